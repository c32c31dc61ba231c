//! `s4-server admin delete-bucket-policy`, the last resort against a bucket policy that locks
//! everyone out: through the running server's socket, and on the stopped data dir.

#[allow(dead_code)]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{admin, request, request_with, Server};
use http::Method;

const DENY_GETS: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoReads","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::locked/*"}]}"#;

fn get_status(server: &Server) -> u16 {
    request(server.addr, &Method::GET, "/locked/object", b"")
        .expect("GET")
        .0
}

fn lock(server: &Server) {
    use base64::Engine as _;
    use md5::Digest as _;
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(DENY_GETS));
    let put = request_with(
        server.addr,
        &Method::PUT,
        "/locked?policy",
        &[("content-md5", &md5)],
        DENY_GETS.as_bytes(),
    )
    .expect("PutBucketPolicy");
    // Success is all this needs (its exact status is PutBucketPolicy's own tests' business).
    assert!(
        (200..300).contains(&put.status),
        "{}",
        String::from_utf8_lossy(&put.body)
    );
    assert_eq!(
        get_status(server),
        403,
        "the policy denies the owner's reads"
    );
}

fn account(data_dir: &Path) -> String {
    let out = admin(data_dir, &["list-accounts"]);
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .split_whitespace()
        .next()
        .expect("account")
        .to_owned()
}

#[test]
fn delete_bucket_policy_through_the_socket_and_on_the_data_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut server = common::start(&data);
    assert_eq!(
        request(server.addr, &Method::PUT, "/locked", b"")
            .unwrap()
            .0,
        200
    );
    assert_eq!(
        request(server.addr, &Method::PUT, "/locked/object", b"bytes")
            .unwrap()
            .0,
        200
    );
    let account = account(&data);
    let delete = [
        "delete-bucket-policy",
        "--account",
        &account,
        "--bucket",
        "locked",
    ];

    // Through the running server's socket; the store's policy epoch moves, so its policy
    // cache reloads on the next request.
    lock(&server);
    let out = admin(&data, &delete);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("deleted the policy of bucket locked"));
    let deadline = Instant::now() + Duration::from_mins(1);
    while get_status(&server) != 200 {
        assert!(
            Instant::now() < deadline,
            "the deleted policy still applies"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, _) = request(server.addr, &Method::GET, "/locked?policy", b"").unwrap();
    assert_eq!(status, 404, "NoSuchBucketPolicy");

    // On the stopped data dir.
    lock(&server);
    server.kill();
    let out = admin(&data, &delete);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut server = common::start(&data);
    assert_eq!(get_status(&server), 200);
    server.kill();

    // Nothing to delete, and no such bucket.
    let out = admin(&data, &delete);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("has no policy"));
    let out = admin(
        &data,
        &[
            "delete-bucket-policy",
            "--account",
            &account,
            "--bucket",
            "missing",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no bucket missing"));
}
