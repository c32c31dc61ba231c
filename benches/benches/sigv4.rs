//! SigV4 benchmarks: header and presigned verification, aws-chunked decoding, against the
//! `aws-sigv4` signer and plain SHA-256 as yardsticks. Results go to `docs/performance.md`.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http::request::Parts;
use http::{HeaderValue, Method, Request, Uri};
use s4_sigv4::{
    parse_parts, presign, sign_headers, ChecksumAlgorithm, ChunkEncoder, ChunkedDecoder,
    SignableBody, SigningKeyCache, SigningParams, STREAMING_PAYLOAD, UNSIGNED_PAYLOAD,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const MIB: usize = 1024 * 1024;
const CHUNK: usize = 64 * 1024;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_735_732_800).unwrap()
}

/// A GET as botocore sends it: a few headers besides the signed basics.
fn get_parts() -> Parts {
    Request::get("/bucket/photos/2025/holiday%20pic.jpg?versionId=3HL4kqtJlcpXroDTDmJ")
        .header("host", "s3.eu-central-1.example.com")
        .header("user-agent", "aws-cli/2.23 md/Botocore#1.36")
        .header("accept-encoding", "identity")
        .header("range", "bytes=0-1048575")
        .body(())
        .unwrap()
        .into_parts()
        .0
}

fn params() -> SigningParams<'static> {
    SigningParams::new(AKID, SECRET, "eu-central-1", "s3", now())
}

fn header_auth(c: &mut Criterion) {
    let mut parts = get_parts();
    sign_headers(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &params(),
        &SignableBody::Bytes(b""),
    )
    .unwrap()
    .apply_to(&mut parts.headers);
    let cache = SigningKeyCache::default();
    let mut g = c.benchmark_group("sigv4");
    g.bench_function("verify_header_get_warm_cache", |b| {
        b.iter(|| {
            let parsed = parse_parts(black_box(&parts), &["s3"]).unwrap().unwrap();
            black_box(parsed.verify(SECRET, now(), &cache).unwrap());
        });
    });

    let plain = get_parts();
    let mut host_only = http::HeaderMap::new();
    host_only.insert("host", plain.headers["host"].clone());
    let q = presign(
        &Method::GET,
        &plain.uri,
        &host_only,
        &params(),
        &SignableBody::Precomputed(UNSIGNED_PAYLOAD.into()),
        3600,
    )
    .unwrap()
    .into_query();
    let mut presigned = get_parts();
    presigned.uri = format!("{}?{q}", plain.uri.path()).parse::<Uri>().unwrap();
    presigned.headers.remove("range");
    presigned.headers.remove("accept-encoding");
    g.bench_function("verify_presigned_get_warm_cache", |b| {
        b.iter(|| {
            let parsed = parse_parts(black_box(&presigned), &["s3"])
                .unwrap()
                .unwrap();
            black_box(parsed.verify(SECRET, now(), &cache).unwrap());
        });
    });

    g.bench_function("ours_sign_get", |b| {
        b.iter(|| {
            black_box(
                sign_headers(
                    &plain.method,
                    black_box(&plain.uri),
                    &plain.headers,
                    &params(),
                    &SignableBody::Bytes(b""),
                )
                .unwrap(),
            )
        });
    });

    // The reference: aws-sigv4 signing the same GET with S3 settings.
    let identity: aws_smithy_runtime_api::client::identity::Identity =
        aws_credential_types::Credentials::new(AKID, SECRET, None, None, "bench").into();
    let mut settings = aws_sigv4::http_request::SigningSettings::default();
    settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
    settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
    settings.uri_path_normalization_mode =
        aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
    let aws_params: aws_sigv4::http_request::SigningParams<'_> =
        aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region("eu-central-1")
            .name("s3")
            .time(SystemTime::UNIX_EPOCH + Duration::from_hours(482_148))
            .settings(settings)
            .build()
            .unwrap()
            .into();
    let url = format!("https://s3.eu-central-1.example.com{}", plain.uri);
    let headers: Vec<(&str, &str)> = plain
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
        .collect();
    g.bench_function("aws_sigv4_sign_get", |b| {
        b.iter(|| {
            let req = aws_sigv4::http_request::SignableRequest::new(
                "GET",
                black_box(url.as_str()),
                headers.iter().copied(),
                aws_sigv4::http_request::SignableBody::Bytes(b""),
            )
            .unwrap();
            black_box(aws_sigv4::http_request::sign(req, &aws_params).unwrap());
        });
    });
    g.finish();
}

fn chunked(c: &mut Criterion) {
    let payload = s4_benches::payload(7, 64 * MIB);
    let mut parts = Request::put("/bucket/big")
        .header("host", "h")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    parts.headers.insert(
        "x-amz-decoded-content-length",
        HeaderValue::from(payload.len() as u64),
    );
    let signed = sign_headers(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &params(),
        &SignableBody::Precomputed(STREAMING_PAYLOAD.into()),
    )
    .unwrap();
    let ctx = signed.chunk_context();
    let signed_body = Bytes::from(ChunkEncoder::signed(ctx.clone()).encode_all(&payload, CHUNK));
    let trailer_body = Bytes::from(
        ChunkEncoder::unsigned_with_trailer(Some(ChecksumAlgorithm::Crc32))
            .encode_all(&payload, CHUNK),
    );

    let mut g = c.benchmark_group("sigv4_64MiB");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(payload.len() as u64));
    // Feed in 64 KiB reads, as a socket would deliver them (not aligned to chunks).
    let feed = |body: &Bytes, mut dec: ChunkedDecoder| {
        let mut total = 0usize;
        let mut at = 0;
        while at < body.len() {
            let end = (at + CHUNK).min(body.len());
            dec.push(body.slice(at..end)).unwrap();
            while let Some(b) = dec.pop() {
                total += b.len();
            }
            at = end;
        }
        dec.finish().unwrap();
        assert_eq!(total, 64 * MIB);
    };
    g.bench_function("chunked_decode_signed_64KiB_chunks", |b| {
        b.iter(|| {
            feed(
                &signed_body,
                ChunkedDecoder::new(Some(ctx.clone()), false, None, payload.len() as u64),
            );
        });
    });
    g.bench_function("chunked_decode_unsigned_crc32_trailer_64KiB_chunks", |b| {
        b.iter(|| {
            feed(
                &trailer_body,
                ChunkedDecoder::new(
                    None,
                    true,
                    Some(ChecksumAlgorithm::Crc32),
                    payload.len() as u64,
                ),
            );
        });
    });
    g.bench_function("plain_sha256", |b| {
        b.iter(|| black_box(Sha256::digest(black_box(&payload))));
    });
    g.finish();
}

criterion_group!(benches, header_auth, chunked);
criterion_main!(benches);
