//! S4's object rules and write preconditions on every path that creates an object (PutObject,
//! CopyObject, CreateMultipartUpload, CompleteMultipartUpload), with the bucket proven
//! unchanged after every refusal.

use std::fmt::Write as _;

use http::Method;
use md5::{Digest, Md5};
use s4_storage::memory::MemoryStore;

use crate::harness::{enc, Resp, TestServer};

const PART: usize = 1024;

async fn server() -> TestServer {
    let s = TestServer::start_with(MemoryStore::new().with_min_part_size(PART as u64)).await;
    s.create_bucket("bkt").await;
    s
}

fn quoted_md5(data: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(data)))
}

/// Every key in the bucket with its ETag, and the uploads in progress: the state a refused
/// write must leave as it found.
async fn snapshot(s: &TestServer) -> (Vec<String>, Vec<String>, Vec<String>) {
    let list = s.req(Method::GET, "/bkt?list-type=2").send().await;
    list.assert_status(200);
    let uploads = s.req(Method::GET, "/bkt?uploads").send().await;
    uploads.assert_status(200);
    (
        list.xml_all("Key"),
        list.xml_all("ETag"),
        uploads.xml_all("UploadId"),
    )
}

async fn create_upload(s: &TestServer, key: &str) -> String {
    let r = s
        .req(Method::POST, &format!("/bkt/{}?uploads", enc(key)))
        .send()
        .await;
    r.assert_status(200);
    r.xml("UploadId").expect("an UploadId")
}

/// Uploads one part and returns the body completing the upload with it.
async fn one_part(s: &TestServer, key: &str, id: &str, data: &[u8]) -> String {
    let r = s
        .req(
            Method::PUT,
            &format!("/bkt/{}?partNumber=1&uploadId={id}", enc(key)),
        )
        .body(data.to_vec())
        .send()
        .await;
    r.assert_status(200);
    let etag = r.header("etag").expect("a part ETag").to_owned();
    let mut body = "<CompleteMultipartUpload>".to_owned();
    let _ = write!(
        body,
        "<Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>"
    );
    body.push_str("</CompleteMultipartUpload>");
    body
}

async fn complete(
    s: &TestServer,
    key: &str,
    id: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Resp {
    let mut req = s
        .req(Method::POST, &format!("/bkt/{}?uploadId={id}", enc(key)))
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(name, value);
    }
    req.send().await
}

#[tokio::test]
async fn copy_onto_a_folder_marker_is_refused() {
    let s = server().await;
    s.put("bkt", "full", b"forty bytes of data, give or take a few")
        .await;
    s.put("bkt", "empty", b"").await;
    let before = snapshot(&s).await;
    for directive in ["COPY", "REPLACE"] {
        s.req(Method::PUT, "/bkt/folder/")
            .header("x-amz-copy-source", "/bkt/full")
            .header("x-amz-metadata-directive", directive)
            .send()
            .await
            .assert_error(400, "InvalidRequest");
    }
    assert_eq!(
        snapshot(&s).await,
        before,
        "a refused copy changed the bucket"
    );
    s.get("bkt", "folder/").await.assert_error(404, "NoSuchKey");
    // An empty source makes a valid folder marker.
    s.req(Method::PUT, "/bkt/folder/")
        .header("x-amz-copy-source", "/bkt/empty")
        .send()
        .await
        .assert_status(200);
    assert!(s.get("bkt", "folder/").await.body.is_empty());
}

#[tokio::test]
async fn multipart_onto_a_folder_marker_is_refused_at_create() {
    let s = server().await;
    let before = snapshot(&s).await;
    s.req(Method::POST, "/bkt/folder/?uploads")
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    for key in ["a//b", "a/./b", "a/../b"] {
        s.req(Method::POST, &format!("/bkt/{key}?uploads"))
            .send()
            .await
            .assert_error(405, "MethodNotAllowed");
    }
    assert_eq!(snapshot(&s).await, before, "a refused upload was started");
}

#[tokio::test]
async fn put_folder_marker_with_data_is_refused() {
    let s = server().await;
    let before = snapshot(&s).await;
    s.req(Method::PUT, "/bkt/folder/")
        .body("data")
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    assert_eq!(snapshot(&s).await, before);
}

#[tokio::test]
async fn put_if_none_match_with_etags() {
    let s = server().await;
    s.put("bkt", "k", b"one").await;
    let one = quoted_md5(b"one");
    let before = snapshot(&s).await;
    for value in [
        one.clone(),
        format!("\"0123\", {one}"),
        one.trim_matches('"').to_owned(),
    ] {
        s.req(Method::PUT, "/bkt/k")
            .header("if-none-match", &value)
            .body("two")
            .send()
            .await
            .assert_error(412, "PreconditionFailed");
    }
    assert_eq!(
        snapshot(&s).await,
        before,
        "a refused put changed the bucket"
    );
    // Another ETag holds; a missing key has no ETag to match.
    s.req(Method::PUT, "/bkt/k")
        .header("if-none-match", "\"0123\"")
        .body("two")
        .send()
        .await
        .assert_status(200);
    assert_eq!(&s.get("bkt", "k").await.body[..], b"two");
    s.req(Method::PUT, "/bkt/new")
        .header("if-none-match", &one)
        .body("three")
        .send()
        .await
        .assert_status(200);
    assert_eq!(&s.get("bkt", "new").await.body[..], b"three");
}

#[tokio::test]
async fn copy_destination_preconditions() {
    let s = server().await;
    s.put("bkt", "src", b"source").await;
    s.put("bkt", "dst", b"target").await;
    let dst = quoted_md5(b"target");
    let before = snapshot(&s).await;
    let copy = |target: &str| {
        s.req(Method::PUT, &format!("/bkt/{target}"))
            .header("x-amz-copy-source", "/bkt/src")
    };
    // A missing destination fails If-Match with 412, not 404.
    for value in ["*", dst.as_str()] {
        copy("absent")
            .header("if-match", value)
            .send()
            .await
            .assert_error(412, "PreconditionFailed");
    }
    copy("dst")
        .header("if-match", "\"0123\"")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    copy("dst")
        .header("if-none-match", "*")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    // The spec supports only `*` in a copy's If-None-Match.
    copy("dst")
        .header("if-none-match", "\"0123\"")
        .send()
        .await
        .assert_error(501, "NotImplemented");
    assert_eq!(
        snapshot(&s).await,
        before,
        "a refused copy changed the bucket"
    );
    copy("dst")
        .header("if-match", &dst)
        .send()
        .await
        .assert_status(200);
    assert_eq!(&s.get("bkt", "dst").await.body[..], b"source");
}

#[tokio::test]
async fn complete_with_preconditions() {
    let s = server().await;
    s.put("bkt", "obj", b"old").await;
    let old = quoted_md5(b"old");
    let id = create_upload(&s, "obj").await;
    let data = vec![7u8; PART];
    let body = one_part(&s, "obj", &id, &data).await;
    let before = snapshot(&s).await;
    for (name, value) in [
        ("if-match", "\"0123\""),
        ("if-none-match", "*"),
        ("if-none-match", old.as_str()),
    ] {
        complete(&s, "obj", &id, &body, &[(name, value)])
            .await
            .assert_error(412, "PreconditionFailed");
    }
    assert_eq!(
        snapshot(&s).await,
        before,
        "a refused completion changed the bucket"
    );
    complete(&s, "obj", &id, &body, &[("if-none-match", "\"0123\"")])
        .await
        .assert_status(200);
    assert_eq!(&s.get("bkt", "obj").await.body[..], &data[..]);

    // If-Match on a missing key: NoSuchKey, and the upload stays.
    let id = create_upload(&s, "fresh").await;
    let body = one_part(&s, "fresh", &id, &data).await;
    let before = snapshot(&s).await;
    complete(&s, "fresh", &id, &body, &[("if-match", "*")])
        .await
        .assert_error(404, "NoSuchKey");
    assert_eq!(snapshot(&s).await, before);
}
