//! Scale-out: three `s4-server` processes on different loopback ports over one PostgreSQL
//! database (`--meta`) and one byte store: a shared blob directory (`--data-dir`), or a bucket
//! of an S3 endpoint (`--data s3://bucket/prefix`). An object written through one is read
//! through the others at once; conditional creates and racing CompleteMultipartUploads across
//! processes have exactly one winner; SIGKILL of one process loses no acknowledged write.
//!
//! Runs only when `S4_TEST_POSTGRES_URL` is set (`crates/storage-pg/tests/with-postgres.sh`
//! starts a private PostgreSQL and sets it); otherwise it prints that it was skipped. The S3
//! variant also needs `S4_TEST_S3_ENDPOINT`, `S4_TEST_S3_ACCESS_KEY` and
//! `S4_TEST_S3_SECRET_KEY` (with-postgres.sh starts an embedded s4-server as the upstream); it
//! creates its own bucket there.

#[allow(dead_code)]
mod common;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::{request_with, start_with, Response, Server};
use http::{HeaderMap, HeaderValue, Method, Uri};
use s4_sigv4::{sign_headers, SignableBody, SigningParams};

const MIB: usize = 1024 * 1024;

/// The two variants share the database; one at a time keeps the SIGKILL phase's timing sane
/// on a small machine.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// An acknowledged PUT: path and body.
type Written = (String, Vec<u8>);

fn postgres_url() -> Option<String> {
    std::env::var("S4_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// The S3 upstream for the byte store.
struct Upstream {
    endpoint: String,
    addr: SocketAddr,
    access_key: String,
    secret_key: String,
}

fn upstream() -> Option<Upstream> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let endpoint = var("S4_TEST_S3_ENDPOINT")?;
    let addr = endpoint
        .strip_prefix("http://")
        .and_then(|a| a.trim_end_matches('/').parse().ok())
        .expect("S4_TEST_S3_ENDPOINT: http://<ip>:<port>");
    Some(Upstream {
        endpoint,
        addr,
        access_key: var("S4_TEST_S3_ACCESS_KEY")?,
        secret_key: var("S4_TEST_S3_SECRET_KEY")?,
    })
}

impl Upstream {
    /// One request signed with the upstream's key: (status, body).
    fn request(&self, method: &Method, path: &str) -> (u16, Vec<u8>) {
        let uri: Uri = format!("http://{}{path}", self.addr).parse().expect("uri");
        let mut headers = HeaderMap::new();
        headers.insert(
            "host",
            HeaderValue::from_str(&self.addr.to_string()).expect("host"),
        );
        let params = SigningParams::new(
            &self.access_key,
            &self.secret_key,
            "us-east-1",
            "s3",
            time::OffsetDateTime::now_utc(),
        );
        sign_headers(method, &uri, &headers, &params, &SignableBody::Bytes(b""))
            .expect("sign")
            .apply_to(&mut headers);
        let mut stream = TcpStream::connect(self.addr).expect("connect to the upstream");
        let mut head =
            format!("{method} {path} HTTP/1.1\r\ncontent-length: 0\r\nconnection: close\r\n");
        for (name, value) in &headers {
            let _ = write!(head, "{}: {}\r\n", name, value.to_str().expect("ascii"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("receive");
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("response head");
        let status = String::from_utf8_lossy(&response[..split])
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        (status, response[split + 4..].to_vec())
    }
}

fn send(server: &Server, method: &Method, path: &str, body: &[u8]) -> Response {
    request_with(server.addr, method, path, &[], body).expect("request")
}

fn payload(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 131 + seed * 17 + i / 4099) % 253) as u8)
        .collect()
}

/// A node over the shared blob directory.
fn start_node(data_dir: &Path, url: &str) -> Server {
    start_with(data_dir, &["--meta", url])
}

/// A node with its bytes in `s3://<bucket>/<prefix>` of the upstream: no data dir at all,
/// only a spool dir of its own.
fn start_s3_node(url: &str, up: &Upstream, data: &str, spool: &Path) -> Server {
    let bytes = common::S3Bytes {
        data,
        endpoint: &up.endpoint,
        key: (&up.access_key, &up.secret_key),
        spool,
    };
    let child = common::s3_node_command(url, &bytes, &[])
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start s4-server");
    common::attach(child)
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
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("shared");
    // The first server bootstraps the root key; the others find it.
    let a = start_node(&data_dir, &url);
    let b = start_node(&data_dir, &url);
    let c = start_node(&data_dir, &url);
    exercise("shared blob dir", [a, b, c]);
}

#[test]
fn three_processes_share_one_database_and_s3_bucket() {
    let (Some(url), Some(up)) = (postgres_url(), upstream()) else {
        println!(
            "SKIPPED: S4_TEST_POSTGRES_URL and S4_TEST_S3_ENDPOINT/_ACCESS_KEY/_SECRET_KEY are \
             not all set (crates/storage-pg/tests/with-postgres.sh sets them)"
        );
        return;
    };
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // A bucket of our own on the upstream, the blobs under a prefix.
    let bucket = format!("scale-bytes{}", rand_suffix());
    let (status, body) = up.request(&Method::PUT, &format!("/{bucket}"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let data = format!("s3://{bucket}/blobs");
    let dir = tempfile::tempdir().expect("tempdir");
    let nodes = ["a", "b", "c"].map(|n| start_s3_node(&url, &up, &data, &dir.path().join(n)));
    exercise("S3 bucket", nodes);
    // The bytes went to the upstream bucket, under the prefix.
    let (status, body) = up.request(
        &Method::GET,
        &format!("/{bucket}?list-type=2&prefix=blobs/"),
    );
    assert_eq!(status, 200);
    let listing = String::from_utf8_lossy(&body);
    let blobs = listing.matches("<Key>blobs/").count();
    assert!(blobs > 5, "only {blobs} blobs upstream: {listing}");
    // Nothing stays in the spool dirs once the PUTs are answered (c was killed mid-PUT).
    for n in ["a", "b"] {
        let left = std::fs::read_dir(dir.path().join(n)).map_or(0, Iterator::count);
        assert_eq!(left, 0, "spool dir {n} keeps {left} files");
    }
}

/// The scenario, on three started nodes; kills them all.
fn exercise(variant: &str, [a, b, mut c]: [Server; 3]) {
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
                    // The SIGKILL cut the connection: the only way this loop ends early.
                    Err(_) => break,
                    Ok(r) => panic!("PUT {key} answered {} before the kill", r.status),
                }
            }
        })
    };
    // Kill once a few writes were acknowledged (however long that takes on a loaded machine),
    // while the writer keeps going.
    let deadline = Instant::now() + Duration::from_mins(2);
    while acknowledged.lock().unwrap().len() <= 5 {
        assert!(
            Instant::now() < deadline && !writer.is_finished(),
            "only {} writes acknowledged before the kill",
            acknowledged.lock().unwrap().len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
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
        "scale-out ({variant}): 3 processes; {} acknowledged writes survived SIGKILL of one",
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
