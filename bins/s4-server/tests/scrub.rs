//! Bit rot on the real binary: bytes flipped in blob files (a single-blob object, a part of a
//! multipart object, a part of an upload in progress) are found by `s4-server admin scrub`
//! (through a running server's socket and on a stopped data dir), counted by the metrics, and
//! never served as a complete 200 body; good objects are unaffected.

#[allow(dead_code)]
mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use common::{admin, metric, request_with, scrape_metrics, start_with_metrics, Response, Server};
use http::Method;

const MIB: usize = 1024 * 1024;

fn payload(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 131 + seed * 17 + i / 4099) % 253) as u8)
        .collect()
}

fn send(server: &Server, method: &Method, path: &str, body: &[u8]) -> Response {
    request_with(server.addr, method, path, &[], body).expect("request")
}

fn blob_paths(data_dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for shard in std::fs::read_dir(data_dir.join("blobs")).expect("blobs dir") {
        for file in std::fs::read_dir(shard.expect("shard").path()).expect("shard dir") {
            out.insert(file.expect("blob").path());
        }
    }
    out
}

/// Runs `write` and returns the one blob file it added.
fn new_blob(data_dir: &Path, write: impl FnOnce()) -> PathBuf {
    let before = blob_paths(data_dir);
    write();
    let added: Vec<PathBuf> = blob_paths(data_dir).difference(&before).cloned().collect();
    assert_eq!(added.len(), 1, "expected one new blob file: {added:?}");
    added.into_iter().next().expect("one blob")
}

/// Flips every bit of one byte in place (the file keeps its size, as with bit rot).
fn flip_byte(path: &Path, offset: u64) {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("open blob");
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(offset)).expect("seek");
    file.read_exact(&mut byte).expect("read");
    file.seek(SeekFrom::Start(offset)).expect("seek");
    file.write_all(&[!byte[0]]).expect("write");
    file.sync_all().expect("sync");
}

fn put(server: &Server, key: &str, body: &[u8]) {
    let r = send(server, &Method::PUT, &format!("/rot/{key}"), body);
    assert_eq!(r.status, 200, "PUT {key}: {r:?}");
}

fn put_part(server: &Server, key: &str, upload: &str, number: u32, body: &[u8]) -> String {
    let r = send(
        server,
        &Method::PUT,
        &format!("/rot/{key}?partNumber={number}&uploadId={upload}"),
        body,
    );
    assert_eq!(r.status, 200, "part {number} of {key}: {r:?}");
    r.header("etag").expect("part etag").to_owned()
}

fn create_upload(server: &Server, key: &str) -> String {
    let r = send(server, &Method::POST, &format!("/rot/{key}?uploads"), b"");
    assert_eq!(r.status, 200, "{r:?}");
    r.xml("UploadId").expect("upload id")
}

/// A completed two-part object (5 MiB + `tail` bytes); returns its bytes and the first part's
/// blob file.
fn multipart(server: &Server, data_dir: &Path, key: &str, seed: usize) -> (Vec<u8>, PathBuf) {
    let upload = create_upload(server, key);
    let first = payload(seed, 5 * MIB);
    let second = payload(seed + 1, 1000);
    let mut etag = String::new();
    let blob = new_blob(data_dir, || {
        etag = put_part(server, key, &upload, 1, &first);
    });
    let etag2 = put_part(server, key, &upload, 2, &second);
    let mut body = String::from("<CompleteMultipartUpload>");
    for (n, e) in [(1, &etag), (2, &etag2)] {
        let _ = write!(
            body,
            "<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
        );
    }
    body.push_str("</CompleteMultipartUpload>");
    let r = send(
        server,
        &Method::POST,
        &format!("/rot/{key}?uploadId={upload}"),
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "complete {key}: {r:?}");
    let mut all = first;
    all.extend(second);
    (all, blob)
}

/// A GET of a damaged object: the client must see an error status, a cut connection, or a
/// body shorter than the `Content-Length` it was promised, never the whole body.
fn assert_not_served_whole(server: &Server, key: &str, stored: &[u8]) {
    match request_with(server.addr, &Method::GET, &format!("/rot/{key}"), &[], b"") {
        Err(error) => eprintln!("GET {key}: connection error {error} (expected)"),
        Ok(r) if r.status == 200 => {
            let promised: usize = r
                .header("content-length")
                .expect("content-length")
                .parse()
                .expect("length");
            assert_eq!(promised, stored.len(), "GET {key}: length header");
            assert!(
                r.body.len() < promised,
                "GET {key}: a damaged object was served whole ({} bytes)",
                r.body.len()
            );
        }
        Ok(r) => assert!(r.status >= 500, "GET {key}: {r:?}"),
    }
}

fn assert_served(server: &Server, key: &str, stored: &[u8]) {
    let r = send(server, &Method::GET, &format!("/rot/{key}"), b"");
    assert_eq!(r.status, 200, "GET {key}");
    assert!(r.body == stored, "GET {key}: bytes differ");
}

/// The `damaged:` lines of a scrub's output, and its exit status.
fn scrub(data_dir: &Path) -> (Option<i32>, BTreeSet<String>, String) {
    let out = admin(data_dir, &["scrub"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let damaged = stdout
        .lines()
        .filter(|l| l.starts_with("damaged: "))
        .map(str::to_owned)
        .collect();
    (out.status.code(), damaged, stdout)
}

#[test]
fn flipped_bytes_are_found_by_scrub_and_never_served_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (server, metrics) = start_with_metrics(&data, &[]);
    assert_eq!(send(&server, &Method::PUT, "/rot", b"").status, 200);

    let objects: Vec<(&str, Vec<u8>)> = vec![
        ("good", payload(1, 100 * 1024)),
        ("inline-good", payload(2, 100)),
        ("bad-small", payload(3, 10 * 1024)),
        ("dir/bad-large", payload(4, 3 * MIB + 5)),
    ];
    let mut blobs = Vec::new();
    for (key, bytes) in &objects {
        if key.starts_with("inline") {
            put(&server, key, bytes);
        } else {
            blobs.push((*key, new_blob(&data, || put(&server, key, bytes))));
        }
    }
    let (mp_good, _) = multipart(&server, &data, "mp-good", 10);
    let (mp_bad, mp_bad_part) = multipart(&server, &data, "mp-bad", 20);
    let pending = create_upload(&server, "pending");
    let pending_part = new_blob(&data, || {
        put_part(&server, "pending", &pending, 1, &payload(30, 20 * 1024));
    });

    let (status, damaged, stdout) = scrub(&data);
    assert_eq!(status, Some(0), "{stdout}");
    assert!(damaged.is_empty(), "{stdout}");
    assert!(
        stdout.contains("scrubbed 6 objects and 1 parts of uploads in progress"),
        "{stdout}"
    );
    let scraped = scrape_metrics(metrics);
    assert_eq!(metric(&scraped, "s4_scrub_runs_total"), 1);
    assert_eq!(metric(&scraped, "s4_scrub_damaged_objects"), 0);

    for (key, blob) in &blobs {
        if key.contains("bad") {
            // The last byte of the small one, a byte in the middle of the large one.
            let offset = if *key == "bad-small" {
                10 * 1024 - 1
            } else {
                1_500_000
            };
            flip_byte(blob, offset);
        }
    }
    flip_byte(&mp_bad_part, 4242);
    flip_byte(&pending_part, 0);

    let (status, damaged, stdout) = scrub(&data);
    assert_eq!(status, Some(1), "a scrub that finds damage fails: {stdout}");
    let expected: BTreeSet<String> = [
        "damaged: bucket rot key \"bad-small\"".to_owned(),
        "damaged: bucket rot key \"dir/bad-large\"".to_owned(),
        "damaged: bucket rot key \"mp-bad\"".to_owned(),
        format!("damaged: bucket rot key \"pending\" upload {pending} part 1"),
    ]
    .into();
    let found: BTreeSet<String> = damaged
        .iter()
        .map(|l| l.split(" (account ").next().unwrap_or(l).to_owned())
        .collect();
    assert_eq!(found, expected, "{stdout}");
    assert!(
        damaged
            .iter()
            .all(|l| l.ends_with("bytes do not match the stored MD5")),
        "{stdout}"
    );
    let scraped = scrape_metrics(metrics);
    assert_eq!(metric(&scraped, "s4_scrub_runs_total"), 2);
    assert_eq!(metric(&scraped, "s4_scrub_damaged_objects"), 4);
    assert_eq!(metric(&scraped, "s4_damaged_reads_total"), 0);

    let stored = |key: &str| {
        objects
            .iter()
            .find(|(k, _)| *k == key)
            .expect("key")
            .1
            .clone()
    };
    assert_not_served_whole(&server, "bad-small", &stored("bad-small"));
    assert_not_served_whole(&server, "dir/bad-large", &stored("dir/bad-large"));
    assert_not_served_whole(&server, "mp-bad", &mp_bad);
    assert_served(&server, "good", &stored("good"));
    assert_served(&server, "inline-good", &stored("inline-good"));
    assert_served(&server, "mp-good", &mp_good);
    let scraped = scrape_metrics(metrics);
    assert_eq!(metric(&scraped, "s4_damaged_reads_total"), 3);

    // The same findings on the stopped server's data dir, without the socket.
    drop(server);
    let (status, damaged, stdout) = scrub(&data);
    assert_eq!(status, Some(1), "{stdout}");
    assert_eq!(damaged.len(), 4, "{stdout}");
}
