//! Malformed requests no SDK sends, built by hand (signed with `s4-sigv4`, then tampered with)
//! and sent raw to the service over the in-memory backend: duplicated query keys, unsigned
//! `x-amz-*` headers, broken aws-chunked framing, truncated chunks, a wrong
//! `x-amz-decoded-content-length`, keys that are not UTF-8 or carry NUL and traversal
//! sequences, and `Host` headers with and without ports and IPv6 literals. The same traversal
//! cases against the disk backend and the real binary: `bins/s4-server/tests/hostile.rs`.

#[allow(dead_code)]
#[path = "../s3/harness.rs"]
mod harness;

use bytes::Bytes;
use harness::{Payload, Resp, TestServer};
use http::{HeaderValue, Method, Request};
use http_body_util::Full;

/// The keys a bucket lists.
async fn keys(server: &TestServer, bucket: &str) -> Vec<String> {
    let r = server
        .req(Method::GET, &format!("/{bucket}?list-type=2"))
        .send()
        .await;
    r.assert_status(200);
    r.xml_all("Key")
}

fn client_error(r: &Resp, what: &str) {
    assert!(
        r.status.is_client_error(),
        "{what}: expected a 4xx, got {} {}",
        r.status,
        r.text()
    );
}

#[tokio::test]
async fn duplicated_query_keys_are_answered_not_crashed() {
    let server = TestServer::start().await;
    server.create_bucket("dup").await;
    server.put("dup", "a", b"1").await.assert_status(200);
    for query in [
        "/dup?list-type=2&list-type=2",
        "/dup?prefix=a&prefix=b",
        "/dup?max-keys=1&max-keys=1000",
        "/dup?uploads&uploads",
        "/dup/a?uploadId=x&uploadId=y",
        "/dup/a?partNumber=1&partNumber=2",
    ] {
        let r = server.req(Method::GET, query).send().await;
        // 501 is the documented answer for GetObject?partNumber; nothing else may be 5xx.
        assert!(
            r.status.as_u16() < 500 || r.code().as_deref() == Some("NotImplemented"),
            "{query}: {} {}",
            r.status,
            r.text()
        );
    }
    assert_eq!(keys(&server, "dup").await, vec!["a".to_owned()]);
}

#[tokio::test]
async fn unsigned_amz_headers_are_refused() {
    let server = TestServer::start().await;
    server.create_bucket("uns").await;
    server
        .put("uns", "source", b"secret")
        .await
        .assert_status(200);
    // A header added after signing: metadata, and a copy source that would turn the PUT into
    // a copy of another object.
    for (name, value) in [
        ("x-amz-meta-evil", "1"),
        ("x-amz-copy-source", "/uns/source"),
        ("x-amz-acl", "public-read"),
    ] {
        let mut request = server
            .req(Method::PUT, "/uns/target")
            .body(b"data".to_vec())
            .build();
        request
            .headers_mut()
            .insert(name, HeaderValue::from_str(value).unwrap());
        let r = server.raw(request).await;
        r.assert_error(403, "AccessDenied");
    }
    assert_eq!(keys(&server, "uns").await, vec!["source".to_owned()]);
}

#[tokio::test]
async fn broken_chunk_framing_and_truncated_chunks_store_nothing() {
    let server = TestServer::start().await;
    server.create_bucket("chunks").await;
    let data = vec![b'x'; 200_000];
    let good = server
        .req(Method::PUT, "/chunks/k")
        .payload(Payload::ChunkedSigned(65_536))
        .body(data.clone())
        .build();
    let (parts, body) = good.into_parts();
    let encoded: Vec<u8> = {
        use http_body_util::BodyExt;
        body.collect().await.unwrap().to_bytes().to_vec()
    };
    let rebuild = |body: Vec<u8>| {
        let mut builder = Request::builder()
            .method(parts.method.clone())
            .uri(parts.uri.clone());
        for (name, value) in &parts.headers {
            if name != http::header::CONTENT_LENGTH {
                builder = builder.header(name, value);
            }
        }
        builder.body(Full::new(Bytes::from(body))).unwrap()
    };
    let text = String::from_utf8_lossy(&encoded).into_owned();
    let size_line_end = encoded.windows(2).position(|w| w == b"\r\n").unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // A size that is not hex.
    let mut bad_size = encoded.clone();
    bad_size[0] = b'z';
    cases.push(("non-hex chunk size", bad_size));
    // A size line without its signature.
    let mut no_sig = b"10000\r\n".to_vec();
    no_sig.extend_from_slice(&encoded[size_line_end + 2..]);
    cases.push(("chunk without a signature", no_sig));
    // A chunk bigger than it says.
    let mut longer = encoded.clone();
    longer.splice(
        size_line_end + 2..size_line_end + 2,
        b"extra".iter().copied(),
    );
    cases.push(("chunk longer than its size", longer));
    // Cut in the middle of the second chunk, and just before the final zero chunk.
    cases.push(("truncated mid-chunk", encoded[..100_000].to_vec()));
    let last = text.rfind("0;chunk-signature=").unwrap();
    cases.push(("final chunk missing", encoded[..last].to_vec()));
    // A flipped data byte: the chunk signature no longer matches.
    let mut flipped = encoded.clone();
    flipped[size_line_end + 10] ^= 1;
    cases.push(("tampered chunk data", flipped));
    // Garbage after the final chunk.
    let mut trailing = encoded.clone();
    trailing.extend_from_slice(b"GARBAGE");
    cases.push(("bytes after the final chunk", trailing));
    for (what, body) in cases {
        let r = server.raw(rebuild(body)).await;
        client_error(&r, what);
        assert!(
            keys(&server, "chunks").await.is_empty(),
            "{what} stored an object"
        );
    }
    // The untouched encoding is accepted, so the cases above failed for their defect.
    let r = server.raw(rebuild(encoded)).await;
    r.assert_status(200);
    assert_eq!(server.get("chunks", "k").await.body.len(), data.len());
}

#[tokio::test]
async fn wrong_decoded_content_length_stores_nothing() {
    let server = TestServer::start().await;
    server.create_bucket("len").await;
    let data = vec![b'y'; 10_000];
    for (what, value, code) in [
        ("not a number", "ten", Some("InvalidArgument")),
        ("negative", "-1", Some("InvalidArgument")),
        (
            "too many digits",
            "99999999999999999999",
            Some("InvalidArgument"),
        ),
        // Changed after signing: refused, whatever the reason found first.
        ("one more than sent", "10001", None),
        ("one less than sent", "9999", None),
    ] {
        let mut request = server
            .req(Method::PUT, "/len/k")
            .payload(Payload::ChunkedSigned(4096))
            .body(data.clone())
            .build();
        request.headers_mut().insert(
            "x-amz-decoded-content-length",
            HeaderValue::from_static(value),
        );
        let r = server.raw(request).await;
        client_error(&r, what);
        if let Some(code) = code {
            r.assert_error(400, code);
        }
        assert!(
            keys(&server, "len").await.is_empty(),
            "{what} stored an object"
        );
    }
}

#[tokio::test]
async fn odd_keys_never_fail_the_server() {
    let server = TestServer::start().await;
    server.create_bucket("odd").await;
    for path in [
        "/odd/%ff%fe",
        "/odd/%c0%ae%c0%ae/x",
        "/odd/nul%00key",
        "/odd/../x",
        "/odd/%2e%2e/x",
        "/odd/..%2fx",
        "/odd/a%2f..%2f..%2fx",
        "/odd//x",
        "/odd/.",
        "/odd/%2e",
    ] {
        let put = server
            .req(Method::PUT, path)
            .body(b"v".to_vec())
            .send()
            .await;
        assert!(
            put.status.as_u16() < 500,
            "PUT {path}: {} {}",
            put.status,
            put.text()
        );
        let get = server.req(Method::GET, path).send().await;
        assert!(get.status.as_u16() < 500, "GET {path}: {}", get.status);
        if put.status == 200 {
            get.assert_status(200);
            assert_eq!(&get.body[..], b"v", "{path}");
        }
    }
    // Every key listed is valid UTF-8 without NUL: keys that are not were refused.
    for key in keys(&server, "odd").await {
        assert!(!key.contains('\0'), "{key:?}");
    }
}

#[tokio::test]
async fn host_headers_with_ports_and_ipv6_literals() {
    let server = TestServer::start().await;
    server.create_bucket("hosts").await;
    for host in ["127.0.0.1", "localhost", "[::1]", "s3.s4.test"] {
        // With the port (the harness adds it) ...
        let r = server.req(Method::GET, "/hosts").host(host).send().await;
        r.assert_status(200);
        // ... and without: signed for the bare host.
        let mut request = server.req(Method::GET, "/hosts").build();
        request
            .headers_mut()
            .insert(http::header::HOST, HeaderValue::from_static("placeholder"));
        let r = server.raw(request).await;
        assert!(
            r.status.is_client_error(),
            "a Host changed after signing: {}",
            r.status
        );
    }
    let r = server
        .req(Method::GET, "/")
        .host("hosts.s3.s4.test")
        .send()
        .await;
    r.assert_status(200);
    for host in ["[::1", "evil.example", "127.0.0.1:x"] {
        let request = Request::builder()
            .uri(format!("http://{}/", server.addr))
            .header(http::header::HOST, host)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let r = server.raw(request).await;
        assert_eq!(r.status.as_u16(), 400, "{host}: {}", r.text());
    }
}
