//! Checksums that describe something other than the request body they travel with are never
//! checked against that body: a checksum header on CompleteMultipartUpload describes the
//! object and is refused; a checksum baked into a presigned URL's query describes the upload
//! and is verified against it while it streams.

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use s4_sigv4::{ChecksumAlgorithm, Checksummer};
use s4_storage::memory::MemoryStore;

use crate::harness::{enc_q, TestServer};

fn crc32(data: &[u8]) -> String {
    let mut c = Checksummer::new(ChecksumAlgorithm::Crc32);
    c.update(data);
    c.finalize_base64()
}

/// Even a header that matches the XML body (what the server used to check it against) is
/// refused, and the upload stays as it was: not completed, parts kept.
#[tokio::test]
async fn complete_multipart_upload_refuses_object_checksums() {
    let s = TestServer::start_with(MemoryStore::new().with_min_part_size(4)).await;
    s.create_bucket("bkt").await;
    let r = s.req(Method::POST, "/bkt/obj?uploads").send().await;
    r.assert_status(200);
    let id = r.xml("UploadId").expect("UploadId");
    let part = b"the only part";
    let r = s
        .req(Method::PUT, &format!("/bkt/obj?partNumber=1&uploadId={id}"))
        .header("x-amz-checksum-crc32", &crc32(part))
        .body(part.to_vec())
        .send()
        .await;
    r.assert_status(200);
    let etag = r.header("etag").expect("ETag").to_owned();
    let body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    );
    for checksum in [crc32(body.as_bytes()), crc32(part)] {
        s.req(Method::POST, &format!("/bkt/obj?uploadId={id}"))
            .header("x-amz-checksum-crc32", &checksum)
            .body(body.clone())
            .send()
            .await
            .assert_error(501, "NotImplemented");
        s.get("bkt", "obj").await.assert_error(404, "NoSuchKey");
        let parts = s
            .req(Method::GET, &format!("/bkt/obj?uploadId={id}"))
            .send()
            .await;
        parts.assert_status(200);
        assert_eq!(parts.xml_all("PartNumber"), ["1"]);
    }
    // Without it the same request completes.
    s.req(Method::POST, &format!("/bkt/obj?uploadId={id}"))
        .body(body)
        .send()
        .await
        .assert_status(200);
    assert_eq!(&s.get("bkt", "obj").await.body[..], part);
}

/// A presigned PUT URL carrying `x-amz-checksum-crc32` (as the JavaScript SDK v3 bakes in):
/// the body must match it, else `BadDigest` and nothing stored.
#[tokio::test]
async fn presigned_query_checksums_are_verified() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let body: &[u8] = b"presigned body";
    let put = |key: &str, checksum: &str| {
        let path = format!(
            "/bkt/{key}?x-amz-checksum-crc32={}&x-amz-sdk-checksum-algorithm=CRC32",
            enc_q(checksum)
        );
        let url = s.presign(&Method::PUT, &path, 600);
        Request::put(format!("http://{}{url}", s.addr))
            .body(Full::new(Bytes::from_static(body)))
            .unwrap()
    };
    s.raw(put("good", &crc32(body))).await.assert_status(200);
    assert_eq!(&s.get("bkt", "good").await.body[..], body);

    // The checksum of an empty body, as an SDK computes it when presigning without one.
    s.raw(put("empty-crc", &crc32(b"")))
        .await
        .assert_error(400, "BadDigest");
    s.get("bkt", "empty-crc")
        .await
        .assert_error(404, "NoSuchKey");
    // Over an existing object: it keeps its bytes.
    s.raw(put("good", &crc32(b"other")))
        .await
        .assert_error(400, "BadDigest");
    assert_eq!(&s.get("bkt", "good").await.body[..], body);
    // A value that is no CRC32.
    s.raw(put("bad-value", "not-base64!"))
        .await
        .assert_error(400, "InvalidRequest");
    s.get("bkt", "bad-value")
        .await
        .assert_error(404, "NoSuchKey");
}
