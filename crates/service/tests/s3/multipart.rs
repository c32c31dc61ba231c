use std::fmt::Write as _;

use http::Method;
use md5::{Digest, Md5};
use s4_storage::memory::MemoryStore;

use crate::harness::{Payload, Resp, TestServer};

const PART: usize = 1024;

async fn server() -> TestServer {
    let s = TestServer::start_with(MemoryStore::new().with_min_part_size(PART as u64)).await;
    s.create_bucket("bkt").await;
    s
}

async fn create(s: &TestServer, key: &str) -> String {
    let r = s
        .req(Method::POST, &format!("/bkt/{key}?uploads"))
        .header("content-type", "video/mp4")
        .header("x-amz-meta-kind", "multi")
        .header("x-amz-checksum-algorithm", "CRC32")
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.xml("Key").as_deref(), Some(key));
    assert_eq!(r.xml("Bucket").as_deref(), Some("bkt"));
    r.xml("UploadId").unwrap()
}

async fn upload(s: &TestServer, key: &str, id: &str, n: u32, data: &[u8]) -> Resp {
    s.req(
        Method::PUT,
        &format!("/bkt/{key}?partNumber={n}&uploadId={id}"),
    )
    .body(data.to_vec())
    .send()
    .await
}

fn complete_body(parts: &[(u32, &str)]) -> String {
    let mut body = "<CompleteMultipartUpload>".to_owned();
    for (n, etag) in parts {
        let _ = write!(
            body,
            "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
        );
    }
    body.push_str("</CompleteMultipartUpload>");
    body
}

fn part_data(n: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| n.wrapping_mul(31).wrapping_add(i as u8))
        .collect()
}

#[tokio::test]
async fn upload_out_of_order_list_and_complete() {
    let s = server().await;
    let id = create(&s, "movie.mp4").await;
    let p1 = part_data(1, PART);
    let p2 = part_data(2, PART);
    let p3 = part_data(3, 500);
    // The small last part first, as concurrent clients do; part 2 aws-chunked.
    let r3 = upload(&s, "movie.mp4", &id, 3, &p3).await;
    r3.assert_status(200);
    let r1 = upload(&s, "movie.mp4", &id, 1, &p1).await;
    r1.assert_status(200);
    let r2 = s
        .req(
            Method::PUT,
            &format!("/bkt/movie.mp4?partNumber=2&uploadId={id}"),
        )
        .payload(Payload::ChunkedUnsignedTrailer(300))
        .body(p2.clone())
        .send()
        .await;
    r2.assert_status(200);
    let etags: Vec<String> = [&r1, &r2, &r3]
        .iter()
        .map(|r| r.header("etag").unwrap().to_owned())
        .collect();
    assert_eq!(etags[0], format!("\"{}\"", hex::encode(Md5::digest(&p1))));

    let r = s
        .req(
            Method::GET,
            &format!("/bkt/movie.mp4?uploadId={id}&max-parts=2"),
        )
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.xml_all("PartNumber"), ["1", "2"]);
    assert_eq!(r.xml("IsTruncated").as_deref(), Some("true"));
    assert_eq!(r.xml("NextPartNumberMarker").as_deref(), Some("2"));
    let r = s
        .req(
            Method::GET,
            &format!("/bkt/movie.mp4?uploadId={id}&part-number-marker=2"),
        )
        .send()
        .await;
    assert_eq!(r.xml_all("PartNumber"), ["3"]);
    assert_eq!(r.xml("Size").as_deref(), Some("500"));

    let other = create(&s, "other").await;
    let r = s.req(Method::GET, "/bkt?uploads").send().await;
    r.assert_status(200);
    assert_eq!(r.xml_all("Key"), ["movie.mp4", "other"]);
    assert!(r.xml_all("UploadId").contains(&id));
    s.req(Method::DELETE, &format!("/bkt/other?uploadId={other}"))
        .send()
        .await
        .assert_status(204);
    let r = s.req(Method::GET, "/bkt/?uploads=").send().await;
    assert_eq!(r.xml_all("Key"), ["movie.mp4"]);

    let body = complete_body(&[(1, &etags[0]), (2, &etags[1]), (3, &etags[2])]);
    let r = s
        .req(Method::POST, &format!("/bkt/movie.mp4?uploadId={id}"))
        .body(body)
        .send()
        .await;
    r.assert_status(200);
    let etag = r.xml("ETag").unwrap();
    assert!(etag.ends_with("-3&quot;"), "{etag}");
    assert_eq!(r.xml("Key").as_deref(), Some("movie.mp4"));

    let all: Vec<u8> = [p1.clone(), p2.clone(), p3.clone()].concat();
    let r = s.get("bkt", "movie.mp4").await;
    r.assert_status(200);
    assert_eq!(&r.body[..], &all[..]);
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    assert_eq!(r.header("x-amz-meta-kind"), Some("multi"));
    let r = s
        .req(Method::GET, "/bkt/movie.mp4")
        .header("range", "bytes=1000-2100")
        .send()
        .await;
    r.assert_status(206);
    assert_eq!(&r.body[..], &all[1000..=2100]);
    // Completed: the upload is gone.
    s.req(Method::GET, &format!("/bkt/movie.mp4?uploadId={id}"))
        .send()
        .await
        .assert_error(404, "NoSuchUpload");
}

#[tokio::test]
async fn multipart_errors() {
    let s = server().await;
    let id = create(&s, "k").await;
    upload(&s, "k", "nope", 1, &part_data(1, PART))
        .await
        .assert_error(404, "NoSuchUpload");
    upload(&s, "other-key", &id, 1, &part_data(1, PART))
        .await
        .assert_error(404, "NoSuchUpload");
    for bad in ["0", "10001", "x"] {
        s.req(
            Method::PUT,
            &format!("/bkt/k?partNumber={bad}&uploadId={id}"),
        )
        .body("x")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
    }
    s.req(Method::PUT, &format!("/bkt/k?partNumber=1&uploadId={id}"))
        .header("content-md5", "bad")
        .body(part_data(1, PART))
        .send()
        .await
        .assert_error(400, "InvalidDigest");
    s.req(Method::PUT, &format!("/bkt/k?partNumber=1&uploadId={id}"))
        .header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
        .body(part_data(1, PART))
        .send()
        .await
        .assert_error(400, "BadDigest");
    s.req(Method::GET, &format!("/bkt/k?uploadId={id}&max-parts=-1"))
        .send()
        .await
        .assert_error(400, "InvalidArgument");
    s.req(Method::GET, "/bkt/k?uploadId=")
        .send()
        .await
        .assert_error(400, "InvalidArgument");

    let e1 = upload(&s, "k", &id, 1, &part_data(1, PART)).await;
    e1.assert_status(200);
    let e1 = e1.header("etag").unwrap().to_owned();
    // S4 does not allow re-uploading a part.
    upload(&s, "k", &id, 1, &part_data(1, PART))
        .await
        .assert_error(400, "InvalidPart");
    let e2 = upload(&s, "k", &id, 2, &part_data(2, PART)).await;
    let e2 = e2.header("etag").unwrap().to_owned();

    let post = |body: String| {
        s.req(Method::POST, &format!("/bkt/k?uploadId={id}"))
            .body(body)
            .send()
    };
    post("<CompleteMultipartUpload>".into())
        .await
        .assert_error(400, "MalformedXML");
    post("<CompleteMultipartUpload></CompleteMultipartUpload>".into())
        .await
        .assert_error(400, "InvalidRequest");
    post(complete_body(&[(2, &e2), (1, &e1)]))
        .await
        .assert_error(400, "InvalidPartOrder");
    post(complete_body(&[(1, &e1)]))
        .await
        .assert_error(400, "InvalidPart");
    post(complete_body(&[
        (1, &e1),
        (2, "\"00000000000000000000000000000000\""),
    ]))
    .await
    .assert_error(400, "InvalidPart");
    post(complete_body(&[(1, &e1), (2, &e2), (3, &e2)]))
        .await
        .assert_error(400, "InvalidPart");
    s.req(Method::POST, "/bkt/k?uploadId=unknown")
        .body(complete_body(&[(1, &e1)]))
        .send()
        .await
        .assert_error(404, "NoSuchUpload");

    s.req(Method::DELETE, &format!("/bkt/k?uploadId={id}"))
        .send()
        .await
        .assert_status(204);
    s.req(Method::DELETE, &format!("/bkt/k?uploadId={id}"))
        .send()
        .await
        .assert_error(404, "NoSuchUpload");
    upload(&s, "k", &id, 3, b"late")
        .await
        .assert_error(404, "NoSuchUpload");

    // A part below the minimum size that is not the last one aborts the upload.
    let id = create(&s, "small").await;
    upload(&s, "small", &id, 2, &part_data(2, 10))
        .await
        .assert_status(200);
    upload(&s, "small", &id, 1, &part_data(1, 10))
        .await
        .assert_error(400, "EntityTooSmall");
    s.req(Method::POST, "/nobucket/k?uploads")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
}

#[tokio::test]
async fn upload_part_copy() {
    let s = server().await;
    let source = part_data(9, 3000);
    s.put("bkt", "source", &source).await;
    let id = create(&s, "target").await;
    let r = s
        .req(
            Method::PUT,
            &format!("/bkt/target?partNumber=1&uploadId={id}"),
        )
        .header("x-amz-copy-source", "/bkt/source")
        .header("x-amz-copy-source-range", "bytes=0-1023")
        .send()
        .await;
    r.assert_status(200);
    let e1 = r.xml("ETag").unwrap().replace("&quot;", "\"");
    assert!(r.xml("LastModified").is_some());
    let r = s
        .req(
            Method::PUT,
            &format!("/bkt/target?partNumber=2&uploadId={id}"),
        )
        .header("x-amz-copy-source", "bkt/source")
        .header("x-amz-copy-source-range", "bytes=1024-2999")
        .send()
        .await;
    // 1976 bytes is larger than part 1: S4's part rules refuse it.
    r.assert_error(400, "InvalidPart");

    let id = create(&s, "target2").await;
    let mut etags = Vec::new();
    for (n, range) in [
        (1, "bytes=0-1023"),
        (2, "bytes=1024-2047"),
        (3, "bytes=2048-2999"),
    ] {
        let r = s
            .req(
                Method::PUT,
                &format!("/bkt/target2?partNumber={n}&uploadId={id}"),
            )
            .header("x-amz-copy-source", "/bkt/source")
            .header("x-amz-copy-source-range", range)
            .header(
                "x-amz-copy-source-if-match",
                &format!("\"{}\"", hex::encode(Md5::digest(&source))),
            )
            .send()
            .await;
        r.assert_status(200);
        etags.push(r.xml("ETag").unwrap().replace("&quot;", "\""));
    }
    let parts: Vec<(u32, &str)> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| (i as u32 + 1, e.as_str()))
        .collect();
    s.req(Method::POST, &format!("/bkt/target2?uploadId={id}"))
        .body(complete_body(&parts))
        .send()
        .await
        .assert_status(200);
    assert_eq!(&s.get("bkt", "target2").await.body[..], &source[..]);
    assert!(!e1.is_empty());

    let id = create(&s, "target3").await;
    let copy = |range: &'static str| {
        s.req(
            Method::PUT,
            &format!("/bkt/target3?partNumber=1&uploadId={id}"),
        )
        .header("x-amz-copy-source", "/bkt/source")
        .header("x-amz-copy-source-range", range)
        .send()
    };
    copy("bytes=5-").await.assert_error(400, "InvalidArgument");
    copy("bytes=9-1").await.assert_error(400, "InvalidArgument");
    copy("bytes=0-18446744073709551615")
        .await
        .assert_error(400, "InvalidArgument");
    copy("bytes=5000-6000")
        .await
        .assert_error(400, "InvalidRequest");
    s.req(
        Method::PUT,
        &format!("/bkt/target3?partNumber=1&uploadId={id}"),
    )
    .header("x-amz-copy-source", "/bkt/missing")
    .send()
    .await
    .assert_error(400, "NoSuchKey");
    s.req(
        Method::PUT,
        &format!("/bkt/target3?partNumber=1&uploadId={id}"),
    )
    .header("x-amz-copy-source", "/bkt/source")
    .header("x-amz-copy-source-if-match", "\"nope\"")
    .send()
    .await
    .assert_error(412, "PreconditionFailed");
}

#[tokio::test]
async fn aws_chunked_parts_and_malformed_completions() {
    let s = server().await;
    let id = create(&s, "chunky").await;
    let p1 = part_data(1, PART);
    let p2 = part_data(2, 300);
    // Signed aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), as the Java and Rust SDKs send.
    let r1 = s
        .req(
            Method::PUT,
            &format!("/bkt/chunky?partNumber=1&uploadId={id}"),
        )
        .payload(Payload::ChunkedSigned(256))
        .body(p1.clone())
        .send()
        .await;
    r1.assert_status(200);
    assert_eq!(
        r1.header("etag"),
        Some(format!("\"{}\"", hex::encode(Md5::digest(&p1))).as_str())
    );
    // A wrong Content-MD5 on an aws-chunked part is BadDigest and stores nothing.
    s.req(
        Method::PUT,
        &format!("/bkt/chunky?partNumber=2&uploadId={id}"),
    )
    .payload(Payload::ChunkedUnsignedTrailer(100))
    .header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
    .body(p2.clone())
    .send()
    .await
    .assert_error(400, "BadDigest");
    let r2 = s
        .req(
            Method::PUT,
            &format!("/bkt/chunky?partNumber=2&uploadId={id}"),
        )
        .payload(Payload::ChunkedUnsignedTrailer(100))
        .body(p2.clone())
        .send()
        .await;
    r2.assert_status(200);
    let e1 = r1.header("etag").unwrap().to_owned();
    let e2 = r2.header("etag").unwrap().to_owned();
    let post = |body: &'static str| {
        s.req(Method::POST, &format!("/bkt/chunky?uploadId={id}"))
            .body(body)
            .send()
    };
    for body in [
        "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>\"a\"</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><ETag>\"a\"</ETag></Part></CompleteMultipartUpload>",
        "not xml at all",
    ] {
        post(body).await.assert_error(400, "MalformedXML");
    }
    // Unquoted ETags, no namespace, and botocore's per-part checksum elements are accepted.
    let body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber><ETag>{e2}</ETag></Part></CompleteMultipartUpload>",
        e1.trim_matches('"')
    );
    s.req(Method::POST, &format!("/bkt/chunky?uploadId={id}"))
        .body(body)
        .send()
        .await
        .assert_status(200);
    assert_eq!(
        &s.get("bkt", "chunky").await.body[..],
        &[p1, p2].concat()[..]
    );
}
