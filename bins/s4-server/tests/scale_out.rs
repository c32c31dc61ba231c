//! Scale-out: three `s4-server` processes on different loopback ports over one PostgreSQL
//! database (`--meta`) and one shared blob directory (`--data-dir`). An object written
//! through one is read through the others at once; conditional creates and racing
//! CompleteMultipartUploads across processes have exactly one winner; SIGKILL of one process
//! loses no acknowledged write.
//!
//! Runs only when `S4_TEST_POSTGRES_URL` is set (`crates/storage-pg/tests/with-postgres.sh`
//! starts a private PostgreSQL and sets it); otherwise it prints that it was skipped.

#[allow(dead_code)]
mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use common::{request_with, start_with, Response, Server};
use http::Method;

const MIB: usize = 1024 * 1024;

/// An acknowledged PUT: path and body.
type Written = (String, Vec<u8>);

fn postgres_url() -> Option<String> {
    std::env::var("S4_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

fn send(server: &Server, method: &Method, path: &str, body: &[u8]) -> Response {
    request_with(server.addr, method, path, &[], body).expect("request")
}

fn payload(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 131 + seed * 17 + i / 4099) % 253) as u8)
        .collect()
}

fn start_node(data_dir: &Path, url: &str) -> Server {
    start_with(data_dir, &["--meta", url])
}

fn complete_body(etags: &[String]) -> Vec<u8> {
    let mut body = String::from("<CompleteMultipartUpload>");
    for (i, etag) in etags.iter().enumerate() {
        let _ = write!(
            body,
            "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>",
            i + 1
        );
    }
    body.push_str("</CompleteMultipartUpload>");
    body.into_bytes()
}

#[test]
fn three_processes_share_one_database_and_blob_dir() {
    let Some(url) = postgres_url() else {
        println!("SKIPPED: S4_TEST_POSTGRES_URL is not set (crates/storage-pg/tests/with-postgres.sh sets it)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("shared");
    // The first server bootstraps the root key; the others find it.
    let a = start_node(&data_dir, &url);
    let b = start_node(&data_dir, &url);
    let mut c = start_node(&data_dir, &url);
    let nodes = [&a, &b, &c];
    // A fresh bucket per run: the database may outlive one test run.
    let bucket = format!("scale{}", rand_suffix());
    assert_eq!(
        send(&a, &Method::PUT, &format!("/{bucket}"), b"").status,
        200
    );

    // Written through one, read through the others at once (inline and blob objects).
    for (i, len) in [10usize, 300 * 1024].into_iter().enumerate() {
        let body = payload(i, len);
        let path = format!("/{bucket}/obj{i}");
        let writer = nodes[i % 3];
        assert_eq!(send(writer, &Method::PUT, &path, &body).status, 200);
        for reader in nodes {
            let got = send(reader, &Method::GET, &path, b"");
            assert_eq!(got.status, 200);
            assert!(got.body == body, "read through {} differs", reader.addr);
        }
        // Overwritten through another process: everyone sees the new bytes.
        let body2 = payload(i + 100, len + 1);
        assert_eq!(
            send(nodes[(i + 1) % 3], &Method::PUT, &path, &body2).status,
            200
        );
        for reader in nodes {
            assert!(send(reader, &Method::GET, &path, b"").body == body2);
        }
    }

    // If-None-Match: * from all three processes at once: exactly one creates the key.
    for round in 0..5 {
        let path = format!("/{bucket}/cond{round}");
        let barrier = Arc::new(Barrier::new(6));
        let racers: Vec<_> = (0..6)
            .map(|i| {
                let (addr, path, barrier) = (nodes[i % 3].addr, path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let body = payload(i, 64);
                    request_with(addr, &Method::PUT, &path, &[("if-none-match", "*")], &body)
                        .expect("put")
                        .status
                })
            })
            .collect();
        let statuses: Vec<u16> = racers
            .into_iter()
            .map(|t| t.join().expect("racer"))
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 412),
            "{statuses:?}"
        );
    }

    // Racing CompleteMultipartUpload across the three processes: exactly one winner.
    for round in 0..3usize {
        let key = format!("mpu{round}");
        let r = send(&a, &Method::POST, &format!("/{bucket}/{key}?uploads"), b"");
        assert_eq!(r.status, 200, "{r:?}");
        let id = r.xml("UploadId").expect("upload id");
        let sizes = [5 * MIB, 4096];
        let mut etags = Vec::new();
        let mut all = Vec::new();
        for (i, size) in sizes.iter().enumerate() {
            let bytes = payload(round * 10 + i, *size);
            // Parts through different processes.
            let r = send(
                nodes[i % 3],
                &Method::PUT,
                &format!("/{bucket}/{key}?partNumber={}&uploadId={id}", i + 1),
                &bytes,
            );
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            etags.push(r.header("etag").expect("etag").to_owned());
            all.extend(bytes);
        }
        let body = complete_body(&etags);
        let barrier = Arc::new(Barrier::new(9));
        let racers: Vec<_> = (0..9)
            .map(|i| {
                let (addr, body, barrier) = (nodes[i % 3].addr, body.clone(), barrier.clone());
                let path = format!("/{bucket}/{key}?uploadId={id}");
                std::thread::spawn(move || {
                    barrier.wait();
                    request_with(addr, &Method::POST, &path, &[], &body).expect("complete")
                })
            })
            .collect();
        let results: Vec<Response> = racers
            .into_iter()
            .map(|t| t.join().expect("racer"))
            .collect();
        let winners = results.iter().filter(|r| r.status == 200).count();
        assert_eq!(winners, 1, "round {round}: {winners} completions succeeded");
        for r in results.iter().filter(|r| r.status != 200) {
            assert_eq!(r.status, 404, "{r:?}");
            assert_eq!(r.xml("Code").as_deref(), Some("NoSuchUpload"));
        }
        for reader in nodes {
            let got = send(reader, &Method::GET, &format!("/{bucket}/{key}"), b"");
            assert!(got.body == all, "round {round}: completed object differs");
        }
    }

    // SIGKILL one process while it acknowledges writes: every acknowledged write is readable
    // through the survivors.
    let acknowledged: Arc<Mutex<Vec<Written>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (addr, acknowledged, stop, bucket) =
            (c.addr, acknowledged.clone(), stop.clone(), bucket.clone());
        std::thread::spawn(move || {
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let key = format!("/{bucket}/kill{i}");
                let body = payload(i, if i % 2 == 0 { 100 } else { 64 * 1024 });
                match request_with(addr, &Method::PUT, &key, &[], &body) {
                    Ok(r) if r.status == 200 => acknowledged.lock().unwrap().push((key, body)),
                    _ => break,
                }
            }
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    c.kill();
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 5,
        "only {} writes before the kill",
        acknowledged.len()
    );
    for (key, body) in &acknowledged {
        for reader in [&a, &b] {
            let got = send(reader, &Method::GET, key, b"");
            assert_eq!(got.status, 200, "{key} lost after SIGKILL");
            assert!(got.body == *body, "{key} differs after SIGKILL");
        }
    }
    println!(
        "scale-out: 3 processes; {} acknowledged writes survived SIGKILL of one",
        acknowledged.len()
    );
    for mut server in [a, b] {
        server.kill();
    }
}

fn rand_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{}{}", std::process::id(), nanos % 1_000_000_000)
}
