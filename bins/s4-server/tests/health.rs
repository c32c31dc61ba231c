//! Health endpoints answer without credentials and never shadow buckets.

#[allow(dead_code)]
mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use http::Method;

fn unsigned_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn live_and_ready_without_signing() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut server = common::start(&data_dir);
    assert_eq!(
        unsigned_get(server.addr, "/_s4/health/live"),
        (200, "live\n".to_owned())
    );
    assert_eq!(
        unsigned_get(server.addr, "/_s4/health/ready"),
        (200, "ready\n".to_owned())
    );
    // Anything else still needs a signature.
    assert_eq!(unsigned_get(server.addr, "/").0, 403);
    // A bucket named like the health path's first segment is impossible; a bucket called
    // "health" is an ordinary bucket.
    let (status, _) = common::request(server.addr, &Method::PUT, "/health", b"").unwrap();
    assert_eq!(status, 200);
    let (status, _) = common::request(server.addr, &Method::PUT, "/_s4", b"").unwrap();
    assert_eq!(status, 400);

    // A data dir where the probe cannot be written makes the server unready (a directory in
    // the probe's place fails even for root, unlike permission bits).
    let probe_blocker = data_dir.join(".health-probe");
    std::fs::create_dir(&probe_blocker).unwrap();
    let (status, body) = unsigned_get(server.addr, "/_s4/health/ready");
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("not ready"), "{body}");
    std::fs::remove_dir(&probe_blocker).unwrap();
    assert_eq!(unsigned_get(server.addr, "/_s4/health/ready").0, 200);
    server.kill();
}
