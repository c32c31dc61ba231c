//! Health endpoints answer without credentials and never shadow buckets.

#[allow(dead_code)]
mod common;

use http::Method;

#[test]
fn live_and_ready_without_signing() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut server = common::start(&data_dir);
    assert_eq!(
        common::unsigned_get(server.addr, "/_s4/health/live"),
        (200, "live\n".to_owned())
    );
    assert_eq!(
        common::unsigned_get(server.addr, "/_s4/health/ready"),
        (200, "ready\n".to_owned())
    );
    // Anything else still needs a signature.
    assert_eq!(common::unsigned_get(server.addr, "/").0, 403);
    // A bucket named like the health path's first segment is impossible; a bucket called
    // "health" is an ordinary bucket.
    let (status, _) = common::request(server.addr, &Method::PUT, "/health", b"").unwrap();
    assert_eq!(status, 200);
    let (status, _) = common::request(server.addr, &Method::PUT, "/_s4", b"").unwrap();
    assert_eq!(status, 400);

    // A data dir where the probe cannot be written makes the server unready (a directory in
    // the probe's place fails even for root, unlike permission bits).
    let probe_blocker = data_dir.join("tmp").join(".health-probe");
    std::fs::create_dir(&probe_blocker).unwrap();
    let (status, body) = common::unsigned_get(server.addr, "/_s4/health/ready");
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("not ready"), "{body}");
    std::fs::remove_dir(&probe_blocker).unwrap();
    assert_eq!(
        common::unsigned_get(server.addr, "/_s4/health/ready").0,
        200
    );
    server.kill();
}
