use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::Method;
use md5::{Digest, Md5};
use s4_sigv4::{ChecksumAlgorithm, Checksummer};

use s4_storage::memory::MemoryStore;

use crate::harness::{enc, Payload, TestServer};

fn md5_b64(data: &[u8]) -> String {
    STANDARD.encode(Md5::digest(data))
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

#[tokio::test]
async fn put_get_head_delete_round_trip() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let data = b"hello, object".to_vec();
    let r = s
        .req(Method::PUT, "/bkt/dir/obj.txt")
        .header("content-type", "text/plain")
        .header("content-md5", &md5_b64(&data))
        .header("cache-control", "no-cache")
        .header("content-disposition", "attachment")
        .header("content-language", "en")
        .header("expires", "Thu, 01 Dec 2094 16:00:00 GMT")
        .header("x-amz-meta-color", "blue")
        .header("x-amz-meta-Mixed-Case", "v")
        .body(data.clone())
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(
        r.header("etag"),
        Some(format!("\"{}\"", md5_hex(&data)).as_str())
    );

    let r = s.get("bkt", "dir/obj.txt").await;
    r.assert_status(200);
    assert_eq!(&r.body[..], &data[..]);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("content-length"), Some("13"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("content-disposition"), Some("attachment"));
    assert_eq!(r.header("content-language"), Some("en"));
    assert_eq!(r.header("expires"), Some("Thu, 01 Dec 2094 16:00:00 GMT"));
    assert_eq!(r.header("x-amz-meta-color"), Some("blue"));
    assert_eq!(r.header("x-amz-meta-mixed-case"), Some("v"));
    let last_modified = r.header("last-modified").unwrap().to_owned();
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");
    let etag = r.header("etag").unwrap().to_owned();

    let r = s.req(Method::HEAD, "/bkt/dir/obj.txt").send().await;
    r.assert_status(200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), Some("13"));
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.header("x-amz-storage-class"), Some("STANDARD"));
    assert_eq!(r.header("x-amz-meta-color"), Some("blue"));

    // response-* overrides.
    let r = s
        .req(
            Method::GET,
            "/bkt/dir/obj.txt?response-content-type=application%2Fjson&response-cache-control=max-age%3D5&response-content-language=fr&response-content-encoding=identity",
        )
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("max-age=5"));
    assert_eq!(r.header("content-language"), Some("fr"));
    assert_eq!(r.header("content-encoding"), Some("identity"));

    // Overwrite, then delete (twice: 204 both times).
    s.put("bkt", "dir/obj.txt", b"v2").await;
    assert_eq!(&s.get("bkt", "dir/obj.txt").await.body[..], b"v2");
    let r = s.req(Method::DELETE, "/bkt/dir/obj.txt").send().await;
    r.assert_status(204);
    s.req(Method::DELETE, "/bkt/dir/obj.txt")
        .send()
        .await
        .assert_status(204);
    s.get("bkt", "dir/obj.txt")
        .await
        .assert_error(404, "NoSuchKey");
    let r = s.req(Method::HEAD, "/bkt/dir/obj.txt").send().await;
    r.assert_status(404);
    assert!(r.body.is_empty());
    s.req(Method::DELETE, "/nobucket/k")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
    s.req(Method::PUT, "/nobucket/k")
        .body("x")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
    s.get("nobucket", "k")
        .await
        .assert_error(404, "NoSuchBucket");
}

#[tokio::test]
async fn default_content_type_and_empty_objects() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "empty", b"").await;
    let r = s.get("bkt", "empty").await;
    r.assert_status(200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), Some("0"));
    assert_eq!(r.header("content-type"), Some("binary/octet-stream"));
    assert_eq!(
        r.header("etag"),
        Some("\"d41d8cd98f00b204e9800998ecf8427e\"")
    );
}

#[tokio::test]
async fn content_md5_and_checksums() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.req(Method::PUT, "/bkt/k")
        .header("content-md5", "not-base64!")
        .body("data")
        .send()
        .await
        .assert_error(400, "InvalidDigest");
    s.req(Method::PUT, "/bkt/k")
        .header("content-md5", &md5_b64(b"other"))
        .body("data")
        .send()
        .await
        .assert_error(400, "BadDigest");
    s.get("bkt", "k").await.assert_error(404, "NoSuchKey");

    let mut crc = Checksummer::new(ChecksumAlgorithm::Crc32);
    crc.update(b"data");
    let good = crc.finalize_base64();
    s.req(Method::PUT, "/bkt/k")
        .header("x-amz-checksum-crc32", &good)
        .header("x-amz-sdk-checksum-algorithm", "CRC32")
        .body("data")
        .send()
        .await
        .assert_status(200);
    s.req(Method::PUT, "/bkt/k2")
        .header("x-amz-checksum-crc32", "AAAAAA==")
        .body("data")
        .send()
        .await
        .assert_error(400, "BadDigest");
    s.get("bkt", "k2").await.assert_error(404, "NoSuchKey");
    s.req(Method::PUT, "/bkt/k2")
        .header("x-amz-checksum-crc32", "!!")
        .body("data")
        .send()
        .await
        .assert_error(400, "InvalidRequest");
}

#[tokio::test]
async fn payload_hash_mismatch_stores_nothing() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let mut request = s.req(Method::PUT, "/bkt/k").body("signed body").build();
    *request.body_mut() = http_body_util::Full::new(bytes::Bytes::from_static(b"other body!"));
    let r = s.raw(request).await;
    r.assert_error(403, "SignatureDoesNotMatch");
    s.get("bkt", "k").await.assert_error(404, "NoSuchKey");
}

#[tokio::test]
async fn metadata_limits_and_key_rules() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.req(Method::PUT, "/bkt/k")
        .header("x-amz-meta-big", &"v".repeat(2100))
        .body("x")
        .send()
        .await
        .assert_error(400, "MetadataTooLarge");
    s.req(Method::PUT, "/bkt/k")
        .header("x-amz-meta-ok", &"v".repeat(2000))
        .body("x")
        .send()
        .await
        .assert_status(200);
    // Directory markers: a key ending in '/' may not carry data.
    s.req(Method::PUT, "/bkt/dir/")
        .body("data")
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    s.req(Method::PUT, "/bkt/dir/")
        .send()
        .await
        .assert_status(200);
    s.req(Method::PUT, "/bkt/dir2/")
        .payload(Payload::ChunkedUnsignedTrailer(4))
        .body("data")
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    // Invalid keys: MethodNotAllowed (spec 2.1.4).
    for key in ["a//b", "../a", "a/../b", "a/./b", "a/.."] {
        s.req(Method::PUT, &format!("/bkt/{key}"))
            .body("x")
            .send()
            .await
            .assert_error(405, "MethodNotAllowed");
    }
    let long = "k".repeat(1025);
    s.req(Method::PUT, &format!("/bkt/{long}"))
        .body("x")
        .send()
        .await
        .assert_error(405, "MethodNotAllowed");
}

#[tokio::test]
async fn write_conditions() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.req(Method::PUT, "/bkt/k")
        .header("if-none-match", "*")
        .body("one")
        .send()
        .await
        .assert_status(200);
    s.req(Method::PUT, "/bkt/k")
        .header("if-none-match", "*")
        .body("two")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    let etag = format!("\"{}\"", md5_hex(b"one"));
    s.req(Method::PUT, "/bkt/k")
        .header("if-match", "\"00000000000000000000000000000000\"")
        .body("two")
        .send()
        .await
        .assert_error(412, "PreconditionFailed");
    s.req(Method::PUT, "/bkt/k")
        .header("if-match", &etag)
        .body("two")
        .send()
        .await
        .assert_status(200);
    s.req(Method::PUT, "/bkt/missing")
        .header("if-match", &etag)
        .body("two")
        .send()
        .await
        .assert_error(404, "NoSuchKey");
    assert_eq!(&s.get("bkt", "k").await.body[..], b"two");
}

#[tokio::test]
async fn ranges() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "r", b"0123456789").await;
    let cases = [
        ("bytes=0-3", "0123", "bytes 0-3/10"),
        ("bytes=7-", "789", "bytes 7-9/10"),
        ("bytes=-2", "89", "bytes 8-9/10"),
        ("bytes=5-100", "56789", "bytes 5-9/10"),
        ("bytes=-100", "0123456789", "bytes 0-9/10"),
    ];
    for (range, body, content_range) in cases {
        let r = s
            .req(Method::GET, "/bkt/r")
            .header("range", range)
            .send()
            .await;
        r.assert_status(206);
        assert_eq!(r.text(), body, "{range}");
        assert_eq!(r.header("content-range"), Some(content_range));
        assert_eq!(
            r.header("content-length"),
            Some(body.len().to_string().as_str())
        );
        let r = s
            .req(Method::HEAD, "/bkt/r")
            .header("range", range)
            .send()
            .await;
        r.assert_status(206);
        assert_eq!(r.header("content-range"), Some(content_range));
    }
    for range in ["bytes=10-", "bytes=20-30", "bytes=-0"] {
        s.req(Method::GET, "/bkt/r")
            .header("range", range)
            .send()
            .await
            .assert_error(416, "InvalidRange");
        let r = s
            .req(Method::HEAD, "/bkt/r")
            .header("range", range)
            .send()
            .await;
        r.assert_status(416);
    }
    // Unparsable ranges are ignored.
    let r = s
        .req(Method::GET, "/bkt/r")
        .header("range", "bytes=0-1,4-5")
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.text(), "0123456789");
}

#[tokio::test]
async fn read_conditions() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "c", b"conditional").await;
    let head = s.req(Method::HEAD, "/bkt/c").send().await;
    let etag = head.header("etag").unwrap().to_owned();
    let last_modified = head.header("last-modified").unwrap().to_owned();
    let past = "Sat, 01 Jan 2000 00:00:00 GMT";
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";
    let cases: &[(&str, &str, u16)] = &[
        ("if-match", &etag, 200),
        ("if-match", "\"nope\"", 412),
        ("if-match", "*", 200),
        ("if-none-match", &etag, 304),
        ("if-none-match", "\"nope\"", 200),
        ("if-modified-since", &last_modified, 304),
        ("if-modified-since", past, 200),
        ("if-modified-since", future, 304),
        ("if-unmodified-since", past, 412),
        ("if-unmodified-since", &last_modified, 200),
        ("if-modified-since", "garbage", 200),
    ];
    for (name, value, status) in cases {
        for method in [Method::GET, Method::HEAD] {
            let r = s
                .req(method.clone(), "/bkt/c")
                .header(name, value)
                .send()
                .await;
            assert_eq!(r.status.as_u16(), *status, "{method} {name}: {value}");
            match status {
                304 => {
                    assert!(r.body.is_empty());
                    assert_eq!(r.header("etag"), Some(etag.as_str()));
                }
                412 if method == Method::GET => r.assert_error(412, "PreconditionFailed"),
                200 if method == Method::GET => assert_eq!(r.text(), "conditional"),
                _ => {}
            }
        }
    }
    // If-Match true overrides a false If-Unmodified-Since; If-None-Match false decides
    // before If-Modified-Since.
    let r = s
        .req(Method::GET, "/bkt/c")
        .header("if-match", &etag)
        .header("if-unmodified-since", past)
        .send()
        .await;
    r.assert_status(200);
    let r = s
        .req(Method::GET, "/bkt/c")
        .header("if-none-match", "\"nope\"")
        .header("if-modified-since", future)
        .send()
        .await;
    r.assert_status(200);
    // Conditions decide before an unsatisfiable range.
    let r = s
        .req(Method::GET, "/bkt/c")
        .header("if-match", "\"nope\"")
        .header("range", "bytes=100-")
        .send()
        .await;
    r.assert_error(412, "PreconditionFailed");
}

#[tokio::test]
async fn keys_that_break_naive_servers_round_trip() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let mut keys: Vec<String> = [
        "with space",
        "plus+sign",
        "amp&ersand",
        "per%cent",
        "tilde~",
        "star*",
        "at@",
        "question?",
        "equals=",
        "é",
        "emoji😀",
        "quote\"",
        "semi;colon",
        "comma,",
        "hash#",
        "dir/sub/leaf",
        "./dot-start",
        "brackets[]{}",
        "back\\slash",
        "caret^",
        "pipe|",
        "apostrophe'",
        "  lead",
        "trail ",
        "%2F",
        "a+b%20c",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .collect();
    keys.push("x".repeat(1024));
    keys.push(format!("{}é", "y".repeat(1022)));
    for key in &keys {
        let r = s
            .req(Method::PUT, &format!("/bkt/{}", enc(key)))
            .body(key.clone())
            .send()
            .await;
        r.assert_status(200);
        let r = s.get("bkt", key).await;
        r.assert_status(200);
        assert_eq!(r.text(), *key);
        let r = s
            .req(Method::HEAD, &format!("/bkt/{}", enc(key)))
            .send()
            .await;
        r.assert_status(200);
    }
    // Listing returns every key exactly (encoding-type=url, decoded as botocore does).
    let r = s
        .req(Method::GET, "/bkt?list-type=2&encoding-type=url")
        .send()
        .await;
    let mut listed: Vec<String> = r
        .xml_all("Key")
        .iter()
        .map(|k| s4_s3_xml::url_decode_plus(k).unwrap())
        .collect();
    listed.sort();
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(listed, expected);
    for key in &keys {
        s.req(Method::DELETE, &format!("/bkt/{}", enc(key)))
            .send()
            .await
            .assert_status(204);
    }
    let r = s.req(Method::GET, "/bkt?list-type=2").send().await;
    assert!(r.xml_all("Key").is_empty());
}

#[tokio::test]
async fn aws_chunked_uploads() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    for (key, payload) in [
        ("signed", Payload::ChunkedSigned(64 * 1024)),
        ("trailer", Payload::ChunkedUnsignedTrailer(64 * 1024)),
        ("unsigned", Payload::Unsigned),
    ] {
        let r = s
            .req(Method::PUT, &format!("/bkt/{key}"))
            .payload(payload)
            .body(data.clone())
            .send()
            .await;
        r.assert_status(200);
        assert_eq!(
            r.header("etag"),
            Some(format!("\"{}\"", md5_hex(&data)).as_str())
        );
        let r = s.get("bkt", key).await;
        assert_eq!(&r.body[..], &data[..], "{key}");
        assert_eq!(
            r.header("content-encoding"),
            None,
            "aws-chunked is not stored"
        );
    }
    // The empty object as botocore sends it: `0\r\n` plus the trailer.
    s.req(Method::PUT, "/bkt/empty")
        .payload(Payload::ChunkedUnsignedTrailer(1024))
        .send()
        .await
        .assert_status(200);
    assert!(s.get("bkt", "empty").await.body.is_empty());
}

#[tokio::test]
async fn tampered_aws_chunked_uploads_store_nothing() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let data = vec![b'a'; 10_000];
    // A flipped payload byte in a signed chunk.
    let mut request = s
        .req(Method::PUT, "/bkt/signed")
        .payload(Payload::ChunkedSigned(4096))
        .body(data.clone())
        .build();
    let mut raw = http_body_util::BodyExt::collect(request.body_mut())
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    let pos = raw.len() / 2;
    raw[pos] ^= 1;
    *request.body_mut() = http_body_util::Full::new(bytes::Bytes::from(raw));
    s.raw(request)
        .await
        .assert_error(403, "SignatureDoesNotMatch");
    s.get("bkt", "signed").await.assert_error(404, "NoSuchKey");

    // A wrong trailing checksum.
    let mut request = s
        .req(Method::PUT, "/bkt/trailer")
        .payload(Payload::ChunkedUnsignedTrailer(4096))
        .body(data)
        .build();
    let raw = http_body_util::BodyExt::collect(request.body_mut())
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let start = text.find("x-amz-checksum-crc32:").unwrap() + "x-amz-checksum-crc32:".len();
    let mut raw = raw;
    raw[start..start + 8].copy_from_slice(b"AAAAAA==");
    *request.body_mut() = http_body_util::Full::new(bytes::Bytes::from(raw));
    s.raw(request).await.assert_error(400, "BadDigest");
    s.get("bkt", "trailer").await.assert_error(404, "NoSuchKey");
}

#[tokio::test]
async fn object_acls() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "k", b"x").await;
    let r = s.req(Method::GET, "/bkt/k?acl").send().await;
    r.assert_status(200);
    assert_eq!(r.xml("Permission").as_deref(), Some("FULL_CONTROL"));
    s.req(Method::GET, "/bkt/missing?acl")
        .send()
        .await
        .assert_error(404, "NoSuchKey");
    s.req(Method::PUT, "/bkt/k?acl")
        .send()
        .await
        .assert_error(400, "AccessControlListNotSupported");
}

#[tokio::test]
async fn delete_objects() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    for key in ["a", "b", "c d"] {
        s.put("bkt", key, b"x").await;
    }
    let body = "<Delete><Object><Key>a</Key></Object><Object><Key>c d</Key></Object><Object><Key>missing</Key></Object></Delete>";
    let r = s
        .req(Method::POST, "/bkt?delete")
        .header("content-md5", &md5_b64(body.as_bytes()))
        .body(body)
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.xml_all("Key"), ["a", "c d", "missing"]);
    assert!(r.xml("Error").is_none());
    s.get("bkt", "a").await.assert_error(404, "NoSuchKey");
    assert_eq!(s.get("bkt", "b").await.status, 200);

    // Quiet, with a CRC32 checksum instead of Content-MD5 (botocore), `?delete=` (minio-py).
    let body = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet><Object><Key>b</Key></Object></Delete>";
    let mut crc = Checksummer::new(ChecksumAlgorithm::Crc32);
    crc.update(body.as_bytes());
    let r = s
        .req(Method::POST, "/bkt/?delete=")
        .header("x-amz-checksum-crc32", &crc.finalize_base64())
        .body(body)
        .send()
        .await;
    r.assert_status(200);
    assert!(r.xml_all("Key").is_empty(), "{}", r.text());
    s.get("bkt", "b").await.assert_error(404, "NoSuchKey");

    let ok = "<Delete><Object><Key>x</Key></Object></Delete>";
    s.req(Method::POST, "/bkt?delete")
        .body(ok)
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    s.req(Method::POST, "/bkt?delete")
        .header("content-md5", "zzz")
        .body(ok)
        .send()
        .await
        .assert_error(400, "InvalidDigest");
    s.req(Method::POST, "/bkt?delete")
        .header("content-md5", &md5_b64(b"else"))
        .body(ok)
        .send()
        .await
        .assert_error(400, "BadDigest");
    s.req(Method::POST, "/bkt?delete")
        .header("x-amz-checksum-crc32", "AAAAAA==")
        .body(ok)
        .send()
        .await
        .assert_error(400, "BadDigest");
    s.req(Method::POST, "/bkt?delete")
        .header("x-amz-checksum-crc32", "AAAAAA==")
        .header("x-amz-checksum-crc32c", "AAAAAA==")
        .body(ok)
        .send()
        .await
        .assert_error(400, "InvalidRequest");
    s.req(Method::POST, "/bkt?delete")
        .header("content-md5", &md5_b64(b""))
        .send()
        .await
        .assert_error(400, "MissingRequestBodyError");
    let bad = "<Delete><Object><Key>x</Key>";
    s.req(Method::POST, "/bkt?delete")
        .header("content-md5", &md5_b64(bad.as_bytes()))
        .body(bad)
        .send()
        .await
        .assert_error(400, "MalformedXML");
    let empty_key = "<Delete><Object><Key></Key></Object></Delete>";
    s.req(Method::POST, "/bkt?delete")
        .header("content-md5", &md5_b64(empty_key.as_bytes()))
        .body(empty_key)
        .send()
        .await
        .assert_error(400, "UserKeyMustBeSpecified");
    let many: String = std::iter::once("<Delete>".to_owned())
        .chain((0..1001).map(|i| format!("<Object><Key>k{i}</Key></Object>")))
        .chain(std::iter::once("</Delete>".to_owned()))
        .collect();
    s.req(Method::POST, "/bkt?delete")
        .header("content-md5", &md5_b64(many.as_bytes()))
        .body(many)
        .send()
        .await
        .assert_error(400, "MalformedXML");
    s.req(Method::POST, "/nobucket?delete")
        .header("content-md5", &md5_b64(ok.as_bytes()))
        .body(ok)
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
}

#[tokio::test]
async fn size_limits() {
    let s = TestServer::start_custom(MemoryStore::new().with_max_object_size(1000), |c| {
        c.limits.max_xml_body = 200;
    })
    .await;
    s.create_bucket("bkt").await;
    s.req(Method::PUT, "/bkt/big")
        .body(vec![0u8; 1001])
        .send()
        .await
        .assert_error(400, "EntityTooLarge");
    s.req(Method::PUT, "/bkt/big")
        .payload(Payload::ChunkedUnsignedTrailer(256))
        .body(vec![0u8; 1001])
        .send()
        .await
        .assert_error(400, "EntityTooLarge");
    s.put("bkt", "fits", &[0u8; 1000]).await;
    let long: String = std::iter::once("<Delete>".to_owned())
        .chain((0..20).map(|i| format!("<Object><Key>k{i}</Key></Object>")))
        .chain(std::iter::once("</Delete>".to_owned()))
        .collect();
    s.req(Method::POST, "/bkt?delete")
        .header("content-md5", &md5_b64(long.as_bytes()))
        .body(long.clone())
        .send()
        .await
        .assert_error(400, "MaxMessageLengthExceeded");
    // aws-chunked: the decoded length decides.
    s.req(Method::PUT, "/other")
        .payload(Payload::ChunkedSigned(64))
        .body(format!(
            "<CreateBucketConfiguration>{}</CreateBucketConfiguration>",
            " ".repeat(300)
        ))
        .send()
        .await
        .assert_error(400, "MaxMessageLengthExceeded");
}

#[tokio::test]
async fn aws_chunked_without_decoded_length_is_invalid_argument() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    for value in [None, Some("abc")] {
        let mut request = s
            .req(Method::PUT, "/bkt/k")
            .payload(Payload::ChunkedUnsignedTrailer(16))
            .body("some data")
            .build();
        match value {
            None => request.headers_mut().remove("x-amz-decoded-content-length"),
            Some(v) => request
                .headers_mut()
                .insert("x-amz-decoded-content-length", v.parse().unwrap()),
        };
        let r = s.raw(request).await;
        r.assert_error(400, "InvalidArgument");
        assert_eq!(
            r.xml("ArgumentName").as_deref(),
            Some("x-amz-decoded-content-length")
        );
    }
}
