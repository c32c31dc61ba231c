//! Hostile clients against the real binary on the embedded disk backend: slow and idle
//! clients, overload, oversized heads, bodies refused before they are read, path traversal
//! and odd `Host` headers. Raw HTTP/1.1 over TCP, signed with `s4-sigv4`, never an SDK.

#[allow(dead_code)]
mod common;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{
    blob_files, metric, request, request_paused, scrape_metrics, start_with, start_with_metrics,
    ACCESS_KEY, SECRET_KEY,
};
use http::{HeaderMap, HeaderValue, Method, Uri};
use s4_sigv4::{sign_headers, SignableBody, SigningParams, UNSIGNED_PAYLOAD};
use time::OffsetDateTime;

/// A signed request head (no body) for `path` with the given `host` header value.
fn signed_head(
    method: &Method,
    path: &str,
    host: &str,
    extra: &[(&str, &str)],
    body: &SignableBody<'_>,
    content_length: u64,
) -> String {
    let uri: Uri = format!("http://{host}{path}").parse().expect("uri");
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(host).expect("host"));
    for (name, value) in extra {
        headers.insert(
            http::header::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    let params = SigningParams::new(
        ACCESS_KEY,
        SECRET_KEY,
        "us-east-1",
        "s3",
        OffsetDateTime::now_utc(),
    );
    let signed = sign_headers(method, &uri, &headers, &params, body).expect("sign");
    signed.apply_to(&mut headers);
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nconnection: close\r\ncontent-length: {content_length}\r\n"
    );
    for (name, value) in &headers {
        let _ = write!(
            head,
            "{}: {}\r\n",
            name.as_str(),
            value.to_str().expect("ascii")
        );
    }
    head.push_str("\r\n");
    head
}

/// Status line code and the whole response text read until the server closes or `limit`.
fn read_response(stream: &mut TcpStream, limit: Duration) -> (u16, String) {
    stream.set_read_timeout(Some(limit)).expect("timeout");
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&out);
                // Enough for these tests: a complete error document or an empty body.
                if text.contains("</Error>") || text.contains("content-length: 0\r\n\r\n") {
                    break;
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn code(text: &str) -> Option<&str> {
    let start = text.find("<Code>")? + 6;
    let end = text[start..].find("</Code>")? + start;
    Some(&text[start..end])
}

/// Whether the peer closed the connection (EOF or reset) within `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).expect("timeout");
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
        }
    }
}

fn tmp_files(data_dir: &Path) -> usize {
    std::fs::read_dir(data_dir.join("tmp")).map_or(0, Iterator::count)
}

fn create_bucket(addr: SocketAddr, bucket: &str) {
    let (status, body) =
        request(addr, &Method::PUT, &format!("/{bucket}"), b"").expect("create bucket");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
}

#[test]
fn a_client_that_stops_mid_body_gets_request_timeout_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let mut server = start_with(&data_dir, &["--body-idle-timeout", "2"]);
    create_bucket(server.addr, "slow");
    let body = vec![7u8; 1 << 20];
    let started = Instant::now();
    let response = request_paused(
        server.addr,
        &Method::PUT,
        "/slow/stalled",
        &[],
        &body,
        300_000,
        || std::thread::sleep(Duration::from_millis(4500)),
    )
    .expect("response");
    assert_eq!(response.status, 400, "{response:?}");
    assert_eq!(response.xml("Code").as_deref(), Some("RequestTimeout"));
    assert!(started.elapsed() < Duration::from_secs(15));
    let (status, _) = request(server.addr, &Method::GET, "/slow/stalled", b"").expect("get");
    assert_eq!(status, 404, "a timed-out upload must not be visible");
    assert_eq!(tmp_files(&data_dir), 0, "temp files left behind");
    assert_eq!(blob_files(&data_dir), 0, "blob files left behind");

    // A multipart part that stalls: the same answer, and no part.
    let (status, created) =
        request(server.addr, &Method::POST, "/slow/mp?uploads", b"").expect("create upload");
    assert_eq!(status, 200);
    let text = String::from_utf8_lossy(&created).into_owned();
    let upload = &text[text.find("<UploadId>").expect("upload id") + 10
        ..text.find("</UploadId>").expect("upload id")];
    let response = request_paused(
        server.addr,
        &Method::PUT,
        &format!("/slow/mp?partNumber=1&uploadId={upload}"),
        &[],
        &body,
        100_000,
        || std::thread::sleep(Duration::from_millis(4500)),
    )
    .expect("part");
    assert_eq!(response.xml("Code").as_deref(), Some("RequestTimeout"));
    let (status, parts) = request(
        server.addr,
        &Method::GET,
        &format!("/slow/mp?uploadId={upload}"),
        b"",
    )
    .expect("list parts");
    assert_eq!(status, 200);
    assert!(!String::from_utf8_lossy(&parts).contains("<Part>"));
    assert_eq!(
        tmp_files(&data_dir),
        0,
        "temp files left behind by the part"
    );

    // A client that keeps sending, slowly but within the timeout, is served.
    let response = request_paused(
        server.addr,
        &Method::PUT,
        "/slow/patient",
        &[],
        &body,
        500_000,
        || std::thread::sleep(Duration::from_millis(600)),
    )
    .expect("patient");
    assert_eq!(response.status, 200, "{response:?}");
    server.kill();
}

#[test]
fn slow_heads_and_idle_keep_alive_connections_are_closed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = start_with(&dir.path().join("data"), &["--header-read-timeout", "1"]);
    // Half a request head, then nothing.
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .write_all(b"GET /_s4/health/live HTTP/1.1\r\nhost: x\r\n")
        .expect("write");
    assert!(closed_within(&mut stream, Duration::from_secs(5)));
    // A connection that never sends anything.
    let mut idle = TcpStream::connect(server.addr).expect("connect");
    assert!(closed_within(&mut idle, Duration::from_secs(5)));
    // A keep-alive connection after one answered request.
    let mut kept = TcpStream::connect(server.addr).expect("connect");
    kept.write_all(b"GET /_s4/health/live HTTP/1.1\r\nhost: x\r\n\r\n")
        .expect("write");
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    kept.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let n = kept.read(&mut buf).expect("response");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut kept, Duration::from_secs(5)));
    assert!(started.elapsed() >= Duration::from_millis(900));
    server.kill();
}

#[test]
fn past_the_request_limit_clients_get_503_with_retry_after_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let (mut server, metrics) = start_with_metrics(&data_dir, &["--max-requests", "4"]);
    create_bucket(server.addr, "busy");
    // Four uploads in flight that send one byte and wait.
    let body = vec![1u8; 1 << 20];
    let mut holders = Vec::new();
    for i in 0..4 {
        let head = signed_head(
            &Method::PUT,
            &format!("/busy/held{i}"),
            &server.addr.to_string(),
            &[],
            &SignableBody::Bytes(&body),
            body.len() as u64,
        );
        let mut stream = TcpStream::connect(server.addr).expect("connect");
        stream.write_all(head.as_bytes()).expect("head");
        stream.write_all(&body[..1]).expect("first byte");
        holders.push(stream);
    }
    // All four hold their slots once the server counts them in flight.
    wait_for_series(metrics, "s4_in_flight_requests", 4);
    let started = Instant::now();
    let response = common::request_with(server.addr, &Method::GET, "/busy", &[], b"")
        .expect("refused request");
    let latency = started.elapsed();
    assert_eq!(response.status, 503, "{response:?}");
    assert_eq!(response.xml("Code").as_deref(), Some("ServiceUnavailable"));
    assert_eq!(response.header("retry-after"), Some("1"));
    // Answered at once (generous for a loaded CI machine), not queued behind the uploads.
    assert!(latency < Duration::from_secs(3), "503 took {latency:?}");
    // The held uploads finish; slots free up and requests are served again.
    for stream in &mut holders {
        stream.write_all(&body[1..]).expect("rest");
    }
    for mut stream in holders {
        let (status, text) = read_response(&mut stream, Duration::from_secs(20));
        assert_eq!(status, 200, "{text}");
    }
    let (status, _) = request(server.addr, &Method::GET, "/busy/held0", b"").expect("get");
    assert_eq!(status, 200);
    server.kill();
}

#[test]
fn past_the_connection_limit_a_connection_gets_a_canned_503() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, metrics) =
        start_with_metrics(&dir.path().join("data"), &["--max-connections", "2"]);
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(server.addr).expect("connect"))
        .collect();
    wait_for_series(metrics, "s4_open_connections", 2);
    let mut extra = TcpStream::connect(server.addr).expect("connect");
    let (status, text) = read_response(&mut extra, Duration::from_secs(5));
    assert_eq!(status, 503, "{text}");
    assert!(text.to_ascii_lowercase().contains("retry-after: 1"));
    assert_eq!(code(&text), Some("ServiceUnavailable"));
    drop(held);
    wait_for_series(metrics, "s4_open_connections", 0);
    let (status, _) = request(server.addr, &Method::GET, "/", b"").expect("served again");
    assert_eq!(status, 200);
    server.kill();
}

#[test]
fn oversized_heads_get_s3_errors_before_authentication() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = start_with(&dir.path().join("data"), &["--max-header-count", "20"]);
    let addr = server.addr;
    let send = |raw: &str| {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.write_all(raw.as_bytes()).expect("write");
        read_response(&mut stream, Duration::from_secs(10))
    };
    // Too many header fields (unsigned: the limit is checked first).
    let mut raw = String::from("GET /b/k HTTP/1.1\r\nhost: x\r\n");
    for i in 0..30 {
        let _ = write!(raw, "x-pad-{i}: v\r\n");
    }
    raw.push_str("\r\n");
    let (status, text) = send(&raw);
    assert_eq!(
        (status, code(&text)),
        (400, Some("RequestHeaderSectionTooLarge"))
    );
    // A header block over 16 KiB.
    let raw = format!(
        "GET /b/k HTTP/1.1\r\nhost: x\r\nx-amz-meta-big: {}\r\n\r\n",
        "a".repeat(17 * 1024)
    );
    let (status, text) = send(&raw);
    assert_eq!(
        (status, code(&text)),
        (400, Some("RequestHeaderSectionTooLarge"))
    );
    // A request target over 16 KiB.
    let raw = format!(
        "GET /b/{} HTTP/1.1\r\nhost: x\r\n\r\n",
        "k".repeat(17 * 1024)
    );
    let (status, text) = send(&raw);
    assert_eq!((status, code(&text)), (400, Some("InvalidURI")));
    // Far beyond: hyper itself refuses without buffering it all (431 and close).
    let raw = format!(
        "GET /b/k HTTP/1.1\r\nhost: x\r\nx-amz-meta-big: {}\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let (status, _) = send(&raw);
    assert_eq!(status, 431);
    server.kill();
}

#[test]
fn bodies_are_refused_before_a_byte_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let mut server = start_with(&data_dir, &[]);
    create_bucket(server.addr, "big");
    let host = server.addr.to_string();
    let unsigned = SignableBody::Precomputed(UNSIGNED_PAYLOAD.into());
    let six_gib = 6u64 << 30;
    let cases: Vec<(String, &str)> = vec![
        // Over 5 GiB by Content-Length.
        (
            signed_head(&Method::PUT, "/big/huge", &host, &[], &unsigned, six_gib),
            "EntityTooLarge",
        ),
        // Over 5 GiB by x-amz-decoded-content-length on an aws-chunked upload.
        (
            signed_head(
                &Method::PUT,
                "/big/huge-chunked",
                &host,
                &[
                    ("x-amz-decoded-content-length", &six_gib.to_string()),
                    ("content-encoding", "aws-chunked"),
                ],
                &SignableBody::Precomputed(s4_sigv4::STREAMING_PAYLOAD.into()),
                1 << 20,
            ),
            "EntityTooLarge",
        ),
        // A part over 5 GiB.
        (
            signed_head(
                &Method::PUT,
                "/big/k?partNumber=1&uploadId=nope",
                &host,
                &[],
                &unsigned,
                six_gib,
            ),
            "EntityTooLarge",
        ),
        // Unauthenticated: no signature at all, 1 GiB announced.
        (
            format!(
                "PUT /big/anon HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\n\r\n",
                1u64 << 30
            ),
            "AccessDenied",
        ),
        // A bad signature.
        (
            forge(&signed_head(
                &Method::PUT,
                "/big/forged",
                &host,
                &[],
                &unsigned,
                1 << 30,
            )),
            "SignatureDoesNotMatch",
        ),
    ];
    for (head, expected) in cases {
        let mut stream = TcpStream::connect(server.addr).expect("connect");
        stream.write_all(head.as_bytes()).expect("head");
        let started = Instant::now();
        // No body byte is ever sent: the answer must come anyway.
        let (status, text) = read_response(&mut stream, Duration::from_secs(10));
        assert!((400..500).contains(&status), "{expected}: {status} {text}");
        assert_eq!(code(&text), Some(expected), "{text}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    assert_eq!(tmp_files(&data_dir), 0);
    server.kill();
}

/// The head with its signature replaced by 64 zeros.
fn forge(head: &str) -> String {
    let at = head.find("Signature=").expect("signature") + "Signature=".len();
    format!("{}{}{}", &head[..at], "0".repeat(64), &head[at + 64..])
}

/// Every file under `root`.
fn walk(root: &Path, out: &mut Vec<std::path::PathBuf>) {
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let path = entry.path();
            out.push(path.clone());
            if path.is_dir() && !path.is_symlink() {
                walk(&path, out);
            }
        }
    }
}

#[test]
fn path_traversal_never_touches_a_file_outside_the_data_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let mut server = start_with(&data_dir, &[]);
    create_bucket(server.addr, "jail");
    let keys = [
        "/jail/../escape",
        "/jail/..%2fescape",
        "/jail/%2e%2e/escape",
        "/jail/%2e%2e%2f%2e%2e%2fescape",
        "/jail/a/../../../escape",
        "/jail/..%5cescape",
        "/jail/%2Fetc%2Fpasswd",
        "/jail//escape",
        "/jail/.",
        "/jail/..",
        "/jail/nul%00escape",
        "/jail/%c0%ae%c0%ae/escape",
        "/jail/%ff%fe",
        "/%2e%2e/escape",
        "/jail%2f..%2f..%2fescape",
    ];
    for path in keys {
        // Whatever the answer (stored as a literal key, or refused), nothing may escape.
        let put = request(server.addr, &Method::PUT, path, b"escaped?");
        let get = request(server.addr, &Method::GET, path, b"");
        let delete = request(server.addr, &Method::DELETE, path, b"");
        for (what, result) in [("PUT", &put), ("GET", &get), ("DELETE", &delete)] {
            let (status, body) = result.as_ref().expect("an HTTP answer");
            assert!(
                *status < 500,
                "{what} {path}: {status} {}",
                String::from_utf8_lossy(body)
            );
        }
        if let Ok((200, _)) = put {
            // Stored: it reads back as itself, under its own key, until deleted.
            assert_eq!(get.expect("get").1, b"escaped?", "{path}");
        }
    }
    let mut files = Vec::new();
    walk(dir.path(), &mut files);
    for file in &files {
        assert!(
            file.starts_with(&data_dir),
            "a file outside the data dir: {}",
            file.display()
        );
    }
    assert!(!dir.path().join("escape").exists());
    server.kill();
}

#[test]
fn host_headers_with_and_without_ports_and_ipv6_literals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = start_with(&dir.path().join("data"), &[]);
    let port = server.addr.port();
    let unsigned = SignableBody::Bytes(b"");
    for host in [
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_owned(),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        "[::1]".to_owned(),
        format!("s3.s4.localhost:{port}"),
    ] {
        let head = signed_head(&Method::GET, "/", &host, &[], &unsigned, 0);
        let mut stream = TcpStream::connect(server.addr).expect("connect");
        stream.write_all(head.as_bytes()).expect("write");
        let (status, text) = read_response(&mut stream, Duration::from_secs(10));
        assert_eq!(status, 200, "{host}: {text}");
    }
    // Unknown or malformed hosts: a clean 400, never a crash.
    for host in ["evil.example", "[::1", "127.0.0.1:notaport", "a b"] {
        let raw = format!("GET / HTTP/1.1\r\nconnection: close\r\nhost: {host}\r\n\r\n");
        let mut stream = TcpStream::connect(server.addr).expect("connect");
        stream.write_all(raw.as_bytes()).expect("write");
        let (status, text) = read_response(&mut stream, Duration::from_secs(10));
        assert_eq!(status, 400, "{host}: {text}");
    }
    let (status, _) = request(server.addr, &Method::GET, "/", b"").expect("still serving");
    assert_eq!(status, 200);
    server.kill();
}

/// Polls the metrics listener until `series` reads `value`; the machine may be loaded, so the
/// deadline is generous.
fn wait_for_series(metrics: SocketAddr, series: &str, value: i64) {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let got = metric(&scrape_metrics(metrics), series);
        if got == value {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{series} is {got}, not {value}, after a minute"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
