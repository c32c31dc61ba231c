//! Online backup on the real binary: `s4-server admin backup DEST` while 8 writers keep
//! writing, overwriting and deleting, then a second server on DEST. Every object it serves is
//! whole and matches its ETag, every write acknowledged before the backup began is in it, and
//! each writer's sequence of new keys is cut at one point (the snapshot is one commit).
//! Refusals (a non-empty destination, one inside the data dir) leave the destination as it was.

#[allow(dead_code)]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{admin, request_with, start, Response};
use http::Method;
use md5::{Digest as _, Md5};

const WRITERS: usize = 8;
/// New keys per writer at most (the listing must fit one page of 1000).
const KEYS_PER_WRITER: usize = 100;

/// Deterministic bytes for a key: 100 B (inline) to about 200 KiB (a blob file).
fn payload(key: &str, version: usize) -> Vec<u8> {
    let seed: usize = key.bytes().map(usize::from).sum::<usize>() + version * 7919;
    let len = [100, 3000, 9000, 70_000, 200_000][seed % 5];
    (0..len)
        .map(|i| ((i * 31 + seed * 17 + i / 977) % 251) as u8)
        .collect()
}

fn send(addr: std::net::SocketAddr, method: &Method, path: &str, body: &[u8]) -> Response {
    request_with(addr, method, path, &[], body).expect("request")
}

/// Key -> ETag of the bucket's listing on `addr`.
fn listing(addr: std::net::SocketAddr) -> BTreeMap<String, String> {
    let r = send(addr, &Method::GET, "/bkp?list-type=2&max-keys=1000", b"");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.xml("IsTruncated").as_deref(), Some("false"));
    let keys = r.xml_all("Key");
    let etags = r.xml_all("ETag");
    assert_eq!(keys.len(), etags.len());
    keys.into_iter()
        .zip(
            etags
                .into_iter()
                .map(|e| e.replace("&quot;", "").replace('"', "")),
        )
        .collect()
}

/// One writer: new keys `w<t>-<i>` in order, and every third write also overwrites
/// `churn-<t>` and deletes the previous new key's twin `gone-<t>` (so that blobs lose their
/// last reference while the backup runs). Returns each new key with when it was
/// acknowledged.
fn writer(
    addr: std::net::SocketAddr,
    t: usize,
    stop: &AtomicBool,
    acked: &Mutex<Vec<(String, Instant)>>,
) {
    for i in 0..KEYS_PER_WRITER {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let key = format!("w{t}-{i:03}");
        let r = send(
            addr,
            &Method::PUT,
            &format!("/bkp/{key}"),
            &payload(&key, 0),
        );
        assert_eq!(r.status, 200, "PUT {key}: {r:?}");
        acked.lock().expect("lock").push((key, Instant::now()));
        if i % 3 == 0 {
            let churn = format!("churn-{t}");
            let r = send(
                addr,
                &Method::PUT,
                &format!("/bkp/{churn}"),
                &payload(&churn, i),
            );
            assert_eq!(r.status, 200, "PUT {churn}: {r:?}");
            let gone = format!("gone-{t}");
            let r = send(
                addr,
                &Method::PUT,
                &format!("/bkp/{gone}"),
                &payload(&gone, i),
            );
            assert_eq!(r.status, 200);
            let r = send(addr, &Method::DELETE, &format!("/bkp/{gone}"), b"");
            assert_eq!(r.status, 204, "DELETE {gone}: {r:?}");
        }
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn dir_entries(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn backup_during_writes_serves_the_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let dest = dir.path().join("backup");
    let server = start(&data);
    let addr = server.addr;
    assert_eq!(send(addr, &Method::PUT, "/bkp", b"").status, 200);
    for i in 0..20 {
        let key = format!("seed-{i:02}");
        let r = send(
            addr,
            &Method::PUT,
            &format!("/bkp/{key}"),
            &payload(&key, 0),
        );
        assert_eq!(r.status, 200);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|t| {
            let (stop, acked) = (stop.clone(), acked.clone());
            std::thread::spawn(move || writer(addr, t, &stop, &acked))
        })
        .collect();
    // Let the writers get going, then back up while they write.
    while acked.lock().expect("lock").len() < 2 * WRITERS {
        std::thread::sleep(Duration::from_millis(10));
    }
    let began = Instant::now();
    let out = admin(&data, &["backup", dest.to_str().expect("utf-8 path")]);
    let backup_took = began.elapsed();
    let writes_during = acked
        .lock()
        .expect("lock")
        .iter()
        .filter(|(_, at)| *at > began)
        .count();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().expect("writer");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "backup: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("hard-linked"), "{stdout}");
    eprintln!(
        "backup took {backup_took:?} with {writes_during} writes acknowledged meanwhile: {stdout}"
    );
    let before: BTreeSet<String> = acked
        .lock()
        .expect("lock")
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(k, _)| k.clone())
        .collect();
    drop(server);

    let restored = start(&dest);
    let listed = listing(restored.addr);
    for i in 0..20 {
        assert!(listed.contains_key(&format!("seed-{i:02}")));
    }
    for key in &before {
        assert!(
            listed.contains_key(key),
            "{key} was acknowledged before the backup"
        );
    }
    for (key, etag) in &listed {
        let r = send(restored.addr, &Method::GET, &format!("/bkp/{key}"), b"");
        assert_eq!(r.status, 200, "GET {key} from the backup");
        assert_eq!(&md5_hex(&r.body), etag, "{key}: bytes match the ETag");
        if key.starts_with('w') || key.starts_with("seed-") {
            assert!(r.body == payload(key, 0), "{key}: the bytes written");
        }
    }
    // One commit: each writer's new keys in the backup are a prefix of its sequence.
    for t in 0..WRITERS {
        let numbers: Vec<usize> = listed
            .keys()
            .filter_map(|k| k.strip_prefix(&format!("w{t}-"))?.parse().ok())
            .collect();
        assert_eq!(
            numbers,
            (0..numbers.len()).collect::<Vec<_>>(),
            "writer {t}'s keys in the backup are not a prefix"
        );
    }
    drop(restored);

    // Refusals leave the destination alone: not empty, and inside the data dir.
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).expect("mkdir");
    std::fs::write(busy.join("keep"), b"x").expect("write");
    let out = admin(&data, &["backup", busy.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not an empty directory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(dir_entries(&busy), ["keep"]);
    let inside = data.join("snapshot");
    let out = admin(&data, &["backup", inside.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("overlaps the data dir"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!inside.exists());
}
