//! Multipart uploads through the official AWS SDK for Rust: S4's part rules and every error of
//! the seven operations as the SDK reports them (code and HTTP status), concurrent part uploads
//! in any order, racing completions, abort during an upload, conditional completion, copies
//! with ranges and ranged reads across part boundaries.

// The SDK counts parts and sizes in i32/i64; the tests' numbers are small.
#![allow(clippy::cast_possible_wrap, clippy::cast_sign_loss)]

use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, EncodingType};
use aws_sdk_s3::Client;
use base64::Engine as _;
use md5::{Digest, Md5};
use s4_storage::memory::MemoryStore;

use crate::harness::TestServer;

/// The minimum part size of the test store: small enough to be quick, large enough for the
/// SDK's 64 KiB aws-chunks to matter.
const MIN: usize = 64 * 1024;

async fn setup() -> (TestServer, Client) {
    let s = TestServer::start_with(MemoryStore::new().with_min_part_size(MIN as u64)).await;
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{}", s.addr))
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            s.root.id.clone(),
            s.root.secret.clone(),
            None,
            None,
            "test",
        ))
        .request_checksum_calculation(RequestChecksumCalculation::WhenSupported)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let c = Client::from_conf(config);
    c.create_bucket().bucket("mpu").send().await.unwrap();
    (s, c)
}

fn data(seed: u32, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 13) as u8)
        .collect()
}

/// Asserts an SDK error with this S3 code and HTTP status.
#[track_caller]
fn assert_err<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
    status: u16,
    code: &str,
) {
    let err = result.expect_err("the request should fail");
    let got = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(got, Some(status), "{err:?}");
    assert_eq!(err.code(), Some(code), "{err:?}");
}

async fn create(c: &Client, key: &str) -> String {
    c.create_multipart_upload()
        .bucket("mpu")
        .key(key)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned()
}

async fn put_part(
    c: &Client,
    key: &str,
    id: &str,
    n: i32,
    bytes: &[u8],
) -> Result<String, SdkError<aws_sdk_s3::operation::upload_part::UploadPartError, HttpResponse>> {
    c.upload_part()
        .bucket("mpu")
        .key(key)
        .upload_id(id)
        .part_number(n)
        .body(ByteStream::from(bytes.to_vec()))
        .send()
        .await
        .map(|out| out.e_tag().unwrap().to_owned())
}

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(*e).build())
                .collect(),
        ))
        .build()
}

/// The multipart ETag: MD5 over the binary part MD5s, `-N`.
fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut all = Md5::new();
    for p in parts {
        all.update(Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode(all.finalize()), parts.len())
}

async fn get_range(c: &Client, key: &str, range: &str) -> Vec<u8> {
    c.get_object()
        .bucket("mpu")
        .key(key)
        .range(range)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_out_of_order_parts_complete_and_read_across_boundaries() {
    let (_s, c) = setup().await;
    let c = Arc::new(c);
    let id = create(&c, "movie").await;
    let count = 12usize;
    let last_len = 1000;
    let parts: Vec<Vec<u8>> = (0..count)
        .map(|i| data(i as u32, if i + 1 == count { last_len } else { MIN }))
        .collect();
    // The small last part first, then the rest in a scrambled order, all at once.
    let mut order: Vec<usize> = vec![count - 1];
    order.extend((0..count - 1).map(|i| (i * 7) % (count - 1)));
    let mut tasks = Vec::new();
    for i in order {
        let c = Arc::clone(&c);
        let id = id.clone();
        let bytes = parts[i].clone();
        tasks.push(tokio::spawn(async move {
            let n = i as i32 + 1;
            (n, put_part(&c, "movie", &id, n, &bytes).await.unwrap())
        }));
    }
    let mut etags = Vec::new();
    for t in tasks {
        etags.push(t.await.unwrap());
    }
    etags.sort();
    for (n, etag) in &etags {
        let expected = format!("\"{}\"", hex::encode(Md5::digest(&parts[*n as usize - 1])));
        assert_eq!(etag, &expected);
    }
    let refs: Vec<(i32, &str)> = etags.iter().map(|(n, e)| (*n, e.as_str())).collect();
    let done = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("movie")
        .upload_id(&id)
        .multipart_upload(completed(&refs))
        .send()
        .await
        .unwrap();
    let slices: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    assert_eq!(done.e_tag(), Some(multipart_etag(&slices).as_str()));
    let all = parts.concat();
    let head = c
        .head_object()
        .bucket("mpu")
        .key("movie")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(all.len() as i64));
    let got = c
        .get_object()
        .bucket("mpu")
        .key("movie")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert!(got[..] == all[..], "whole object differs");
    // Ranges inside one part, across one and several boundaries, into the last part, open
    // ended and suffix.
    let m = MIN;
    for (first, last) in [
        (0, 9),
        (m - 5, m + 4),
        (m + 1, 3 * m + 17),
        (5 * m, 5 * m),
        ((count - 1) * m - 3, all.len() - 1),
    ] {
        let got = get_range(&c, "movie", &format!("bytes={first}-{last}")).await;
        assert!(got[..] == all[first..=last], "bytes={first}-{last}");
    }
    let got = get_range(&c, "movie", &format!("bytes={}-", 2 * m - 1)).await;
    assert!(got[..] == all[2 * m - 1..]);
    let got = get_range(&c, "movie", "bytes=-1500").await;
    assert!(got[..] == all[all.len() - 1500..]);
    // Completed: the upload is gone for every operation.
    assert_err(
        c.list_parts()
            .bucket("mpu")
            .key("movie")
            .upload_id(&id)
            .send()
            .await,
        404,
        "NoSuchUpload",
    );
    assert_err(
        c.complete_multipart_upload()
            .bucket("mpu")
            .key("movie")
            .upload_id(&id)
            .multipart_upload(completed(&refs))
            .send()
            .await,
        404,
        "NoSuchUpload",
    );
    assert_err(
        c.abort_multipart_upload()
            .bucket("mpu")
            .key("movie")
            .upload_id(&id)
            .send()
            .await,
        404,
        "NoSuchUpload",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_completions_exactly_one_wins() {
    let (_s, c) = setup().await;
    let c = Arc::new(c);
    for round in 0..5 {
        let key = format!("race{round}");
        let id = create(&c, &key).await;
        let p1 = data(1, MIN);
        let p2 = data(2, 10);
        let e1 = put_part(&c, &key, &id, 1, &p1).await.unwrap();
        let e2 = put_part(&c, &key, &id, 2, &p2).await.unwrap();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let c = Arc::clone(&c);
            let (key, id, e1, e2) = (key.clone(), id.clone(), e1.clone(), e2.clone());
            tasks.push(tokio::spawn(async move {
                c.complete_multipart_upload()
                    .bucket("mpu")
                    .key(&key)
                    .upload_id(&id)
                    .multipart_upload(completed(&[(1, &e1), (2, &e2)]))
                    .send()
                    .await
            }));
        }
        let mut wins = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(out) => {
                    wins += 1;
                    assert_eq!(out.e_tag(), Some(multipart_etag(&[&p1, &p2]).as_str()));
                }
                Err(e) => {
                    assert_eq!(e.code(), Some("NoSuchUpload"), "{e:?}");
                    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
                }
            }
        }
        assert_eq!(wins, 1, "round {round}");
        let got = get_range(&c, &key, "bytes=0-").await;
        assert!(got == [p1, p2].concat());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn abort_during_upload() {
    let (_s, c) = setup().await;
    let c = Arc::new(c);
    let id = create(&c, "aborted").await;
    for n in 1..=3 {
        put_part(&c, "aborted", &id, n, &data(n as u32, MIN))
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for n in 4..=20 {
        let c = Arc::clone(&c);
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            put_part(&c, "aborted", &id, n, &data(n as u32, MIN)).await
        }));
    }
    c.abort_multipart_upload()
        .bucket("mpu")
        .key("aborted")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.code(), Some("NoSuchUpload"), "{e:?}");
                refused += 1;
            }
        }
    }
    eprintln!("{refused} of 17 in-flight parts were refused after the abort");
    assert_err(
        put_part(&c, "aborted", &id, 21, &data(21, MIN)).await,
        404,
        "NoSuchUpload",
    );
    assert_err(
        c.list_parts()
            .bucket("mpu")
            .key("aborted")
            .upload_id(&id)
            .send()
            .await,
        404,
        "NoSuchUpload",
    );
    assert_err(
        c.complete_multipart_upload()
            .bucket("mpu")
            .key("aborted")
            .upload_id(&id)
            .multipart_upload(completed(&[(1, "\"x\"")]))
            .send()
            .await,
        404,
        "NoSuchUpload",
    );
    assert_err(
        c.abort_multipart_upload()
            .bucket("mpu")
            .key("aborted")
            .upload_id(&id)
            .send()
            .await,
        404,
        "NoSuchUpload",
    );
    let listed = c
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    assert!(listed.uploads().is_empty());
    assert_err(
        c.head_object().bucket("mpu").key("aborted").send().await,
        404,
        "NotFound",
    );
}

#[tokio::test]
async fn upload_part_errors_and_size_rules() {
    let (_s, c) = setup().await;
    let id = create(&c, "k").await;
    assert_err(
        put_part(&c, "k", "no-such-upload", 1, b"x").await,
        404,
        "NoSuchUpload",
    );
    assert_err(
        put_part(&c, "other", &id, 1, b"x").await,
        404,
        "NoSuchUpload",
    );
    for n in [0, 10_001] {
        assert_err(
            put_part(&c, "k", &id, n, b"x").await,
            400,
            "InvalidArgument",
        );
    }
    let p1 = data(1, MIN);
    let md5 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(Md5::digest(b));
    let part = |n: i32, bytes: &[u8], content_md5: &str| {
        c.upload_part()
            .bucket("mpu")
            .key("k")
            .upload_id(&id)
            .part_number(n)
            .content_md5(content_md5)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
    };
    assert_err(part(1, &p1, &md5(b"other")).await, 400, "BadDigest");
    assert_err(part(1, &p1, "not-base64!").await, 400, "InvalidDigest");
    assert_err(part(1, &p1, "AAAA").await, 400, "InvalidDigest");
    part(1, &p1, &md5(&p1)).await.unwrap();
    // Re-uploading a part and an empty part: InvalidPart, and the upload lives on.
    assert_err(put_part(&c, "k", &id, 1, &p1).await, 400, "InvalidPart");
    assert_err(put_part(&c, "k", &id, 2, b"").await, 400, "InvalidPart");
    put_part(&c, "k", &id, 2, &data(2, 100)).await.unwrap();
    let parts = c
        .list_parts()
        .bucket("mpu")
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(parts.parts().len(), 2);

    // Part 3 arrives while part 2 (100 bytes) was presumed last: part 2 is now a non-last part
    // under the minimum, EntityTooSmall, and the whole upload is aborted.
    assert_err(
        put_part(&c, "k", &id, 3, &data(3, 50)).await,
        400,
        "EntityTooSmall",
    );
    assert_err(
        c.list_parts()
            .bucket("mpu")
            .key("k")
            .upload_id(&id)
            .send()
            .await,
        404,
        "NoSuchUpload",
    );

    // A non-last part of another size than the others: InvalidPart, upload aborted.
    let id = create(&c, "k").await;
    put_part(&c, "k", &id, 1, &data(1, MIN)).await.unwrap();
    put_part(&c, "k", &id, 3, &data(3, 10)).await.unwrap();
    assert_err(
        put_part(&c, "k", &id, 2, &data(2, MIN + 1)).await,
        400,
        "InvalidPart",
    );
    assert_err(put_part(&c, "k", &id, 4, b"x").await, 404, "NoSuchUpload");

    // A last part larger than the ones before it: InvalidPart, upload aborted.
    let id = create(&c, "k").await;
    put_part(&c, "k", &id, 1, &data(1, MIN)).await.unwrap();
    assert_err(
        put_part(&c, "k", &id, 2, &data(2, MIN + 1)).await,
        400,
        "InvalidPart",
    );
    assert_err(
        put_part(&c, "k", &id, 2, &data(2, 10)).await,
        404,
        "NoSuchUpload",
    );

    // A small part below a higher-numbered one that is not yet known to be last is accepted
    // only until the order proves it wrong: 1 (small) then 2 -> EntityTooSmall.
    let id = create(&c, "k").await;
    put_part(&c, "k", &id, 1, &data(1, 10)).await.unwrap();
    assert_err(
        put_part(&c, "k", &id, 2, &data(2, 5)).await,
        400,
        "EntityTooSmall",
    );
    let listed = c
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    assert!(listed.uploads().is_empty(), "{listed:?}");
    assert_err(
        c.create_multipart_upload()
            .bucket("nobucket")
            .key("k")
            .send()
            .await,
        404,
        "NoSuchBucket",
    );
}

#[tokio::test]
async fn create_keeps_content_headers_and_metadata() {
    let (_s, c) = setup().await;
    let id = c
        .create_multipart_upload()
        .bucket("mpu")
        .key("doc")
        .content_type("text/csv")
        .cache_control("max-age=60")
        .content_disposition("attachment; filename=\"d.csv\"")
        .content_encoding("identity")
        .content_language("de")
        .expires(aws_sdk_s3::primitives::DateTime::from_secs(1_900_000_000))
        .metadata("origin", "sdk")
        .metadata("Mixed-Case", "v")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    assert!(id.len() >= 32, "upload IDs must be unguessable: {id}");
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let other = create(&c, "doc").await;
    assert_ne!(id, other);
    let e1 = put_part(&c, "doc", &id, 1, b"a,b\n").await.unwrap();
    c.complete_multipart_upload()
        .bucket("mpu")
        .key("doc")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &e1)]))
        .send()
        .await
        .unwrap();
    let head = c
        .head_object()
        .bucket("mpu")
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/csv"));
    assert_eq!(head.cache_control(), Some("max-age=60"));
    assert_eq!(
        head.content_disposition(),
        Some("attachment; filename=\"d.csv\"")
    );
    assert_eq!(head.content_encoding(), Some("identity"));
    assert_eq!(head.content_language(), Some("de"));
    assert_eq!(head.expires_string(), Some("Sun, 17 Mar 2030 17:46:40 GMT"));
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("origin").map(String::as_str), Some("sdk"));
    assert_eq!(meta.get("mixed-case").map(String::as_str), Some("v"));
    // The other upload of the same key is untouched by the completion.
    c.list_parts()
        .bucket("mpu")
        .key("doc")
        .upload_id(&other)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn complete_errors_and_conditions() {
    let (_s, c) = setup().await;
    let id = create(&c, "c").await;
    let p1 = data(1, MIN);
    let p2 = data(2, MIN);
    let p3 = data(3, 7);
    let e1 = put_part(&c, "c", &id, 1, &p1).await.unwrap();
    let e2 = put_part(&c, "c", &id, 2, &p2).await.unwrap();
    let e3 = put_part(&c, "c", &id, 3, &p3).await.unwrap();
    let complete = |parts: CompletedMultipartUpload| {
        c.complete_multipart_upload()
            .bucket("mpu")
            .key("c")
            .upload_id(&id)
            .multipart_upload(parts)
            .send()
    };
    assert_err(
        complete(CompletedMultipartUpload::builder().build()).await,
        400,
        "InvalidRequest",
    );
    assert_err(
        complete(completed(&[(2, &e2), (1, &e1), (3, &e3)])).await,
        400,
        "InvalidPartOrder",
    );
    assert_err(
        complete(completed(&[(1, &e1), (1, &e1), (3, &e3)])).await,
        400,
        "InvalidPartOrder",
    );
    // Not every uploaded part, a gap, a part never uploaded, a wrong ETag.
    assert_err(
        complete(completed(&[(1, &e1), (2, &e2)])).await,
        400,
        "InvalidPart",
    );
    assert_err(
        complete(completed(&[(1, &e1), (3, &e3)])).await,
        400,
        "InvalidPart",
    );
    assert_err(
        complete(completed(&[(1, &e1), (2, &e2), (3, &e3), (4, &e3)])).await,
        400,
        "InvalidPart",
    );
    assert_err(
        complete(completed(&[(1, &e1), (2, &e1), (3, &e3)])).await,
        400,
        "InvalidPart",
    );
    // Conditions on the target: If-None-Match * fails once the key exists, If-Match needs
    // the current ETag.
    c.put_object()
        .bucket("mpu")
        .key("c")
        .body(ByteStream::from_static(b"old"))
        .send()
        .await
        .unwrap();
    let parts = completed(&[(1, &e1), (2, &e2), (3, &e3)]);
    assert_err(
        c.complete_multipart_upload()
            .bucket("mpu")
            .key("c")
            .upload_id(&id)
            .if_none_match("*")
            .multipart_upload(parts.clone())
            .send()
            .await,
        412,
        "PreconditionFailed",
    );
    assert_err(
        c.complete_multipart_upload()
            .bucket("mpu")
            .key("c")
            .upload_id(&id)
            .if_match("\"0123456789abcdef0123456789abcdef\"")
            .multipart_upload(parts.clone())
            .send()
            .await,
        412,
        "PreconditionFailed",
    );
    let old_etag = format!("\"{}\"", hex::encode(Md5::digest(b"old")));
    let done = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("c")
        .upload_id(&id)
        .if_match(&old_etag)
        .multipart_upload(parts.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        done.e_tag(),
        Some(multipart_etag(&[&p1, &p2, &p3]).as_str())
    );
    assert_eq!(done.key(), Some("c"));
    assert_eq!(done.bucket(), Some("mpu"));
    assert_err(complete(parts.clone()).await, 404, "NoSuchUpload");
    // If-None-Match * on a fresh key succeeds.
    let id = create(&c, "fresh").await;
    let e = put_part(&c, "fresh", &id, 1, b"x").await.unwrap();
    c.complete_multipart_upload()
        .bucket("mpu")
        .key("fresh")
        .upload_id(&id)
        .if_none_match("*")
        .multipart_upload(completed(&[(1, &e)]))
        .send()
        .await
        .unwrap();
    assert_err(
        c.complete_multipart_upload()
            .bucket("mpu")
            .key("c")
            .upload_id("unknown")
            .multipart_upload(completed(&[(1, &e)]))
            .send()
            .await,
        404,
        "NoSuchUpload",
    );
}

#[tokio::test]
async fn upload_part_copy_etags_ranges_and_errors() {
    let (_s, c) = setup().await;
    let source = data(9, 3 * MIN - 100);
    let put = c
        .put_object()
        .bucket("mpu")
        .key("src")
        .body(ByteStream::from(source.clone()))
        .send()
        .await
        .unwrap();
    let source_etag = put.e_tag().unwrap().to_owned();
    let source_md5 = hex::encode(Md5::digest(&source));
    let id = create(&c, "dst").await;
    let mut etags = Vec::new();
    for (n, first, last) in [
        (1, 0, MIN - 1),
        (3, 2 * MIN, source.len() - 1),
        (2, MIN, 2 * MIN - 1),
    ] {
        let out = c
            .upload_part_copy()
            .bucket("mpu")
            .key("dst")
            .upload_id(&id)
            .part_number(n)
            .copy_source("mpu/src")
            .copy_source_range(format!("bytes={first}-{last}"))
            .copy_source_if_match(&source_etag)
            .send()
            .await
            .unwrap();
        let etag = out.copy_part_result().unwrap().e_tag().unwrap().to_owned();
        // The spec: the MD5 of the complete source with the part number as suffix.
        assert_eq!(etag, format!("\"{source_md5}-{n}\""));
        assert!(out.copy_part_result().unwrap().last_modified().is_some());
        etags.push((n, etag));
    }
    etags.sort();
    let listed = c
        .list_parts()
        .bucket("mpu")
        .key("dst")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    let sizes: Vec<i64> = listed.parts().iter().map(|p| p.size().unwrap()).collect();
    assert_eq!(sizes, [MIN as i64, MIN as i64, (MIN - 100) as i64]);
    let refs: Vec<(i32, &str)> = etags.iter().map(|(n, e)| (*n, e.as_str())).collect();
    let done = c
        .complete_multipart_upload()
        .bucket("mpu")
        .key("dst")
        .upload_id(&id)
        .multipart_upload(completed(&refs))
        .send()
        .await
        .unwrap();
    let thirds: Vec<&[u8]> = vec![&source[..MIN], &source[MIN..2 * MIN], &source[2 * MIN..]];
    assert_eq!(done.e_tag(), Some(multipart_etag(&thirds).as_str()));
    assert!(get_range(&c, "dst", "bytes=0-").await == source);

    // A whole-object copy of a multipart source.
    let id = create(&c, "dst2").await;
    let out = c
        .upload_part_copy()
        .bucket("mpu")
        .key("dst2")
        .upload_id(&id)
        .part_number(1)
        .copy_source("mpu/dst")
        .send()
        .await
        .unwrap();
    let etag = out.copy_part_result().unwrap().e_tag().unwrap().to_owned();
    let dst_digest = done
        .e_tag()
        .unwrap()
        .trim_matches('"')
        .split('-')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(etag, format!("\"{dst_digest}-1\""));
    c.complete_multipart_upload()
        .bucket("mpu")
        .key("dst2")
        .upload_id(&id)
        .multipart_upload(completed(&[(1, &etag)]))
        .send()
        .await
        .unwrap();
    assert!(get_range(&c, "dst2", "bytes=0-").await == source);

    // Errors.
    let id = create(&c, "dst3").await;
    let copy = |range: Option<&str>, source: &str| {
        c.upload_part_copy()
            .bucket("mpu")
            .key("dst3")
            .upload_id(&id)
            .part_number(1)
            .copy_source(source)
            .set_copy_source_range(range.map(str::to_owned))
            .send()
    };
    for bad in ["bytes=5-", "bytes=-5", "bytes=9-1", "0-9", "bytes=0-1,3-4"] {
        assert_err(copy(Some(bad), "mpu/src").await, 400, "InvalidArgument");
    }
    let size = source.len();
    assert_err(
        copy(Some(&format!("bytes=0-{size}")), "mpu/src").await,
        400,
        "InvalidArgument",
    );
    assert_err(
        copy(Some(&format!("bytes={}-{}", size + 1, size + 9)), "mpu/src").await,
        400,
        "InvalidRequest",
    );
    assert_err(copy(None, "mpu/missing").await, 400, "NoSuchKey");
    assert_err(copy(None, "nobucket/src").await, 404, "NoSuchBucket");
    assert_err(
        c.upload_part_copy()
            .bucket("mpu")
            .key("dst3")
            .upload_id(&id)
            .part_number(1)
            .copy_source("mpu/src")
            .copy_source_if_match("\"0123456789abcdef0123456789abcdef\"")
            .send()
            .await,
        412,
        "PreconditionFailed",
    );
    assert_err(
        c.upload_part_copy()
            .bucket("mpu")
            .key("dst3")
            .upload_id("unknown")
            .part_number(1)
            .copy_source("mpu/src")
            .send()
            .await,
        404,
        "NoSuchUpload",
    );
    // Copy parts obey the size rules too: a copied part larger than part 1.
    copy(Some(&format!("bytes=0-{}", MIN - 1)), "mpu/src")
        .await
        .unwrap();
    assert_err(
        c.upload_part_copy()
            .bucket("mpu")
            .key("dst3")
            .upload_id(&id)
            .part_number(2)
            .copy_source("mpu/src")
            .copy_source_range(format!("bytes=0-{MIN}"))
            .send()
            .await,
        400,
        "InvalidPart",
    );
}

#[tokio::test]
async fn list_parts_pages_and_errors() {
    let (s, c) = setup().await;
    let id = create(&c, "lp").await;
    for n in 1..=5 {
        let len = if n == 5 { 3 } else { MIN };
        put_part(&c, "lp", &id, n, &data(n as u32, len))
            .await
            .unwrap();
    }
    let page = c
        .list_parts()
        .bucket("mpu")
        .key("lp")
        .upload_id(&id)
        .max_parts(2)
        .send()
        .await
        .unwrap();
    let numbers: Vec<i32> = page
        .parts()
        .iter()
        .filter_map(aws_sdk_s3::types::Part::part_number)
        .collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(page.next_part_number_marker(), Some("2"));
    assert_eq!(page.max_parts(), Some(2));
    assert_eq!(
        page.storage_class()
            .map(aws_sdk_s3::types::StorageClass::as_str),
        Some("STANDARD")
    );
    let owner_id = page.owner().unwrap().id().unwrap().to_owned();
    assert_eq!(page.initiator().unwrap().id(), Some(owner_id.as_str()));
    assert_eq!(
        page.owner().unwrap().display_name(),
        Some(s.account.as_str())
    );
    let page = c
        .list_parts()
        .bucket("mpu")
        .key("lp")
        .upload_id(&id)
        .part_number_marker("2")
        .max_parts(10)
        .send()
        .await
        .unwrap();
    let numbers: Vec<i32> = page
        .parts()
        .iter()
        .filter_map(aws_sdk_s3::types::Part::part_number)
        .collect();
    assert_eq!(numbers, [3, 4, 5]);
    assert_eq!(page.is_truncated(), Some(false));
    assert_eq!(page.parts()[2].size(), Some(3));
    // The paginator walks every page.
    let mut all = Vec::new();
    let mut pages = c
        .list_parts()
        .bucket("mpu")
        .key("lp")
        .upload_id(&id)
        .max_parts(2)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        all.extend(
            page.unwrap()
                .parts()
                .iter()
                .filter_map(aws_sdk_s3::types::Part::part_number),
        );
    }
    assert_eq!(all, [1, 2, 3, 4, 5]);
    for (marker, max) in [("-1", None), ("x", None), ("1", Some(-1))] {
        assert_err(
            c.list_parts()
                .bucket("mpu")
                .key("lp")
                .upload_id(&id)
                .part_number_marker(marker)
                .set_max_parts(max)
                .send()
                .await,
            400,
            "InvalidArgument",
        );
    }
    for (key, upload) in [("lp", "unknown"), ("other-key", id.as_str())] {
        assert_err(
            c.list_parts()
                .bucket("mpu")
                .key(key)
                .upload_id(upload)
                .send()
                .await,
            404,
            "NoSuchUpload",
        );
    }
    c.abort_multipart_upload()
        .bucket("mpu")
        .key("lp")
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_err(
        c.list_parts()
            .bucket("mpu")
            .key("lp")
            .upload_id(&id)
            .send()
            .await,
        404,
        "NoSuchUpload",
    );
}

#[tokio::test]
async fn list_multipart_uploads_params() {
    let (_s, c) = setup().await;
    let mut ids = Vec::new();
    for key in ["b/2", "a", "b/1", "c", "a", "b/1", "d%x"] {
        ids.push((key, create(&c, key).await));
    }
    let all = c
        .list_multipart_uploads()
        .bucket("mpu")
        .send()
        .await
        .unwrap();
    let listed: Vec<(String, String)> = all
        .uploads()
        .iter()
        .map(|u| {
            assert_eq!(
                u.storage_class()
                    .map(aws_sdk_s3::types::StorageClass::as_str),
                Some("STANDARD")
            );
            assert!(u.initiated().is_some());
            (
                u.key().unwrap().to_owned(),
                u.upload_id().unwrap().to_owned(),
            )
        })
        .collect();
    // By key, then initiation time (creation order within a key).
    let mut expected: Vec<(String, String)> = Vec::new();
    for key in ["a", "b/1", "b/2", "c", "d%x"] {
        for (k, id) in &ids {
            if *k == key {
                expected.push((key.to_owned(), id.clone()));
            }
        }
    }
    assert_eq!(listed, expected);

    let page = c
        .list_multipart_uploads()
        .bucket("mpu")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = page.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["a", "a", "c", "d%x"]);
    let prefixes: Vec<&str> = page
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["b/"]);

    let page = c
        .list_multipart_uploads()
        .bucket("mpu")
        .prefix("b/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = page.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["b/1", "b/1", "b/2"]);
    assert_eq!(page.prefix(), Some("b/"));

    // max-uploads and the markers walk the list one upload at a time.
    let mut walked = Vec::new();
    let mut key_marker: Option<String> = None;
    let mut id_marker: Option<String> = None;
    loop {
        let page = c
            .list_multipart_uploads()
            .bucket("mpu")
            .max_uploads(2)
            .set_key_marker(key_marker.clone())
            .set_upload_id_marker(id_marker.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(page.max_uploads(), Some(2));
        for u in page.uploads() {
            walked.push((
                u.key().unwrap().to_owned(),
                u.upload_id().unwrap().to_owned(),
            ));
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        id_marker = page.next_upload_id_marker().map(str::to_owned);
    }
    assert_eq!(walked, expected);

    // key-marker alone skips the whole key.
    let page = c
        .list_multipart_uploads()
        .bucket("mpu")
        .key_marker("b/1")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = page.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["b/2", "c", "d%x"]);

    let page = c
        .list_multipart_uploads()
        .bucket("mpu")
        .encoding_type(EncodingType::Url)
        .prefix("d")
        .send()
        .await
        .unwrap();
    // The SDK leaves url-encoded keys of this listing encoded.
    let keys: Vec<&str> = page.uploads().iter().filter_map(|u| u.key()).collect();
    assert_eq!(keys, ["d%25x"]);

    assert_err(
        c.list_multipart_uploads()
            .bucket("mpu")
            .key_marker("a")
            .upload_id_marker("not/an id")
            .send()
            .await,
        400,
        "InvalidArgument",
    );
    assert_err(
        c.list_multipart_uploads()
            .bucket("mpu")
            .max_uploads(-1)
            .send()
            .await,
        400,
        "InvalidArgument",
    );
    assert_err(
        c.list_multipart_uploads().bucket("nobucket").send().await,
        404,
        "NoSuchBucket",
    );
}

#[tokio::test]
async fn abandoned_uploads_expire() {
    let (s, c) = setup().await;
    let id = create(&c, "old").await;
    put_part(&c, "old", &id, 1, b"x").await.unwrap();
    // Nothing is older than a day.
    let day = std::time::Duration::from_hours(24);
    assert_eq!(
        s4_service::expiry::expire_uploads_once(&*s.store, day)
            .await
            .unwrap(),
        0
    );
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let task = s4_service::spawn_upload_expiry(
        Arc::clone(&s.store),
        std::time::Duration::from_millis(20),
        std::time::Duration::from_millis(10),
    );
    let mut gone = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        let listed = c
            .list_multipart_uploads()
            .bucket("mpu")
            .send()
            .await
            .unwrap();
        if listed.uploads().is_empty() {
            gone = true;
            break;
        }
    }
    task.abort();
    assert!(gone, "the upload did not expire");
    assert_err(put_part(&c, "old", &id, 2, b"y").await, 404, "NoSuchUpload");
    assert_eq!(s4_service::DEFAULT_UPLOAD_MAX_AGE.as_secs(), 7 * 86_400);
}
