//! Replays the committed fuzz seed corpora through the same entry points the cargo-fuzz
//! targets call, so stable CI checks them.

use std::fs;
use std::path::Path;

use http::{HeaderMap, HeaderValue, Method, Uri};
use s4_sigv4::{fuzzing, parse_request, SigningKeyCache};
use time::macros::datetime;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {target}");
    files
}

#[test]
fn replay_sigv4_authorization_header() {
    for (name, data) in corpus("sigv4_authorization_header") {
        fuzzing::authorization_header(&data);
        if name.starts_with("valid") {
            // The valid seeds really verify, so the fuzzer starts from the success path.
            let mut headers = HeaderMap::new();
            headers.insert("host", HeaderValue::from_static("s3.example.com"));
            headers.insert("x-amz-date", HeaderValue::from_static("20130524T000000Z"));
            headers.insert(
                "x-amz-content-sha256",
                HeaderValue::from_static(
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                ),
            );
            headers.insert("authorization", HeaderValue::from_bytes(&data).unwrap());
            let parsed = parse_request(
                &Method::GET,
                &Uri::from_static("/bucket/key"),
                &headers,
                &["s3"],
            )
            .unwrap()
            .unwrap();
            parsed
                .verify(
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                    datetime!(2013-05-24 00:05 UTC),
                    &SigningKeyCache::default(),
                )
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn replay_sigv4_presigned_query() {
    for (name, data) in corpus("sigv4_presigned_query") {
        fuzzing::presigned_query(&data);
        if name == "valid" {
            let uri: Uri = format!("/bucket/key?{}", String::from_utf8(data).unwrap())
                .parse()
                .unwrap();
            let mut headers = HeaderMap::new();
            headers.insert("host", HeaderValue::from_static("s3.example.com"));
            let parsed = parse_request(&Method::GET, &uri, &headers, &["s3"])
                .unwrap()
                .unwrap();
            parsed
                .verify(
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                    datetime!(2013-05-24 00:05 UTC),
                    &SigningKeyCache::default(),
                )
                .unwrap();
        }
    }
}

#[test]
fn replay_aws_chunked_decoder() {
    for (name, data) in corpus("aws_chunked_decoder") {
        let decoded = fuzzing::aws_chunked_decoder(&data);
        assert_eq!(decoded, !name.contains("garbage"), "{name}");
    }
}
