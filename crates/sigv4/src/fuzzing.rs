//! Entry points shared by the cargo-fuzz targets and the seed-corpus replay test, so stable
//! CI runs exactly what the fuzzer runs. Each panics only when an oracle is violated.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Uri};
use time::macros::datetime;

use crate::checksum::ChecksumAlgorithm;
use crate::chunk_sign::{ChunkEncoder, ChunkSigningContext};
use crate::chunked::ChunkedDecoder;
use crate::credential::CredentialScope;
use crate::key::{Signature, SigningKey, SigningKeyCache};
use crate::verify::parse_request;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Authenticating a request's head fails only for reasons found in the head: the body
/// variants come from the stream verifiers and `InvalidAccessKeyId` from the caller's key
/// lookup, so either here would be a misreported cause.
fn check_head_error(e: &crate::SigV4Error) {
    use crate::SigV4Error as E;
    let found_in_head = match e {
        E::IncompleteSignature(_)
        | E::MissingSecurityHeader(_)
        | E::InvalidRequest(_)
        | E::SignatureDoesNotMatch { .. }
        | E::RequestTimeTooSkewed
        | E::Expired
        | E::HeaderNotSigned(_)
        | E::ValidationError(_)
        | E::AuthorizationQueryParametersError(_)
        | E::SecurityTokenNotSupported => true,
        E::ChunkSignatureMismatch
        | E::TrailerSignatureMismatch
        | E::PayloadHashMismatch
        | E::InvalidAccessKeyId
        | E::IncompleteBody { .. }
        | E::DecodedLengthExceeded { .. }
        | E::ChunkTooLarge { .. }
        | E::BadDigest(_)
        | E::Body(_) => false,
    };
    assert!(found_in_head, "{e:?}");
}

/// Treats `data` as an `Authorization` header value on an otherwise valid S3 GET, then
/// parses and verifies it.
pub fn authorization_header(data: &[u8]) {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("s3.example.com"));
    headers.insert("x-amz-date", HeaderValue::from_static("20130524T000000Z"));
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    );
    headers.insert("authorization", value);
    run(&Method::GET, &Uri::from_static("/bucket/key"), &headers);
}

/// Treats `data` as a raw path-and-query of a presigned GET, then parses and verifies it.
pub fn presigned_query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(uri) = format!("/bucket/key?{text}").parse::<Uri>() else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("s3.example.com"));
    run(&Method::GET, &uri, &headers);
}

fn run(method: &Method, uri: &Uri, headers: &HeaderMap) {
    let cache = SigningKeyCache::new(4);
    match parse_request(method, uri, headers, &["s3", "iam"]) {
        Ok(Some(parsed)) => {
            let parsed = if parsed.needs_body_sha256() {
                parsed.with_body_sha256([0; 32])
            } else {
                parsed
            };
            if let Err(e) = parsed.verify(SECRET, datetime!(2013-05-24 00:05 UTC), &cache) {
                check_head_error(&e);
            }
        }
        Ok(None) => {}
        Err(e) => check_head_error(&e),
    }
}

/// Two oracles for the aws-chunked decoder, chosen by `data[0]`:
/// * raw: `data[1..3]` is the declared decoded length, the rest is fed as a body (signed or
///   unsigned, fragmented by the control byte); the decoder must not panic, and a success
///   must release exactly the declared length;
/// * round trip: `data[1..]` is a payload, encoded by [`ChunkEncoder`] and decoded again in
///   fragments; the output must be exactly the payload, and a flipped byte must never yield
///   a different payload.
///
/// Returns whether the (raw or encoded) body decoded successfully.
pub fn aws_chunked_decoder(data: &[u8]) -> bool {
    let Some((&control, rest)) = data.split_first() else {
        return false;
    };
    // Bits 3-4 pick the largest read, bits 5-7 the encoder's chunk size; the reads
    // themselves vary pseudo-randomly up to that size, so boundaries fall anywhere.
    let step = Fragments::new(control, [1, 7, 64, 4096][usize::from(control >> 3) & 3]);
    let signed = control & 1 == 1;
    let trailer = control & 2 == 2;
    let ctx = context();
    let algorithm = trailer.then_some(ChecksumAlgorithm::Crc32c);
    if control & 4 == 0 {
        // Raw mode: two bytes of declared length (little endian), then the body.
        let (declared, body) = match rest {
            [a, b, body @ ..] => (u64::from(u16::from_le_bytes([*a, *b])), body),
            _ => return false,
        };
        let decoder =
            ChunkedDecoder::new(signed.then(|| ctx.clone()), trailer, algorithm, declared)
                .with_max_chunk_size(1 << 16);
        let Ok(out) = decode_in_steps(decoder, body, step) else {
            return false;
        };
        assert!(out.len() as u64 == declared);
        return true;
    }
    let encoder = match (signed, trailer) {
        (true, false) => ChunkEncoder::signed(ctx.clone()),
        (true, true) => ChunkEncoder::signed_with_trailer(ctx.clone(), algorithm),
        (false, _) => ChunkEncoder::unsigned_with_trailer(algorithm),
    };
    let trailer = trailer || !signed;
    // At most 64 chunks: each signed chunk costs a few HMACs, and thousands of one-byte
    // chunks would slow the fuzzer to a crawl without reaching new code.
    let chunk_size =
        [1, 5, 16, 61, 256, 1000, 4096, 65536][usize::from(control >> 5)].max(rest.len() / 64);
    let body = encoder.encode_all(rest, chunk_size);
    let new_decoder = || {
        ChunkedDecoder::new(
            signed.then(|| ctx.clone()),
            trailer,
            algorithm,
            rest.len() as u64,
        )
    };
    let out = decode_in_steps(new_decoder(), &body, step).expect("a freshly encoded body decodes");
    assert_eq!(out, rest);
    if signed {
        // Any single flipped byte of a signed body must be detected or harmless.
        let mut tampered = body.clone();
        let at = (usize::from(control) * 31 + rest.len() * 7) % tampered.len();
        tampered[at] ^= 0x20;
        if let Ok(out) = decode_in_steps(new_decoder(), &tampered, step) {
            assert_eq!(
                out, rest,
                "tampered signed body decoded to a different payload"
            );
        }
    }
    true
}

/// Read sizes from a small linear congruential generator.
#[derive(Debug, Clone, Copy)]
struct Fragments {
    state: u32,
    max: usize,
}

impl Fragments {
    fn new(seed: u8, max: usize) -> Self {
        Self {
            state: u32::from(seed) | 1,
            max,
        }
    }

    fn next_len(&mut self) -> usize {
        self.state = self.state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        1 + (self.state >> 16) as usize % self.max
    }
}

fn decode_in_steps(
    mut decoder: ChunkedDecoder,
    body: &[u8],
    mut step: Fragments,
) -> Result<Vec<u8>, crate::SigV4Error> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < body.len() {
        let end = (at + step.next_len()).min(body.len());
        decoder.push(Bytes::copy_from_slice(&body[at..end]))?;
        at = end;
        while let Some(b) = decoder.pop() {
            out.extend_from_slice(&b);
        }
    }
    decoder.finish()?;
    while let Some(b) = decoder.pop() {
        out.extend_from_slice(&b);
    }
    Ok(out)
}

fn context() -> ChunkSigningContext {
    let scope = CredentialScope::new("20130524", "us-east-1", "s3");
    let key = SigningKey::derive(SECRET, "20130524", "us-east-1", "s3");
    let seed =
        Signature::from_hex("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
            .expect("valid hex");
    ChunkSigningContext::new(key, "20130524T000000Z", &scope, seed)
}
