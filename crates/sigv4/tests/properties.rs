//! Property tests: whatever is signed verifies, and any single meaningful change to what is
//! signed breaks verification.

mod common;

use std::fmt::Write as _;

use bytes::Bytes;
use common::amz;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use proptest::prelude::*;
use s4_sigv4::{
    parse_request, presign, sign_headers, ChunkEncoder, ChunkedDecoder, PayloadMode, SigV4Error,
    SignableBody, SigningKeyCache, SigningParams, UNSIGNED_PAYLOAD,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

const AKID: &str = "AKIDPROPTEST";
const SECRET: &str = "proptest/secret+key";

fn now() -> OffsetDateTime {
    amz("20250101T120000Z")
}

/// Encodes bytes the way some client might: unreserved bytes raw or escaped, sub-delimiters
/// raw, everything else escaped in upper or lower case.
fn client_encode(bytes: &[u8], choices: &[bool]) -> String {
    let mut out = String::new();
    for (i, &b) in bytes.iter().enumerate() {
        let choice = choices
            .get(i % choices.len().max(1))
            .copied()
            .unwrap_or(false);
        let raw_ok = b.is_ascii_alphanumeric() || b"-._~!$'()*,;=:@".contains(&b);
        if raw_ok && !choice {
            out.push(b as char);
        } else if choice {
            write!(out, "%{b:02x}").unwrap();
        } else {
            write!(out, "%{b:02X}").unwrap();
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Req {
    method: Method,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn uri(&self) -> Uri {
        if self.query.is_empty() {
            self.path.parse().unwrap()
        } else {
            format!("{}?{}", self.path, self.query).parse().unwrap()
        }
    }

    fn header_map(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("s3.example.com"));
        for (n, v) in &self.headers {
            h.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }
}

fn req_strategy() -> impl Strategy<Value = Req> {
    let method = prop::sample::select(vec![
        Method::GET,
        Method::PUT,
        Method::POST,
        Method::DELETE,
        Method::HEAD,
    ]);
    let segments = prop::collection::vec(
        (
            prop::collection::vec(any::<u8>(), 0..12),
            prop::collection::vec(any::<bool>(), 1..4),
        ),
        1..4,
    );
    let query = prop::collection::vec(
        (
            "[a-z][a-zA-Z0-9 %+/=&-]{0,8}",
            ".{0,10}",
            prop::collection::vec(any::<bool>(), 1..3),
        ),
        0..4,
    );
    let headers = prop::collection::vec(
        (
            prop::sample::select(vec![
                "x-amz-meta-a",
                "x-amz-meta-b",
                "x-amz-acl",
                "content-type",
                "range",
                "x-custom",
            ]),
            "[ -~]{0,16}",
        ),
        0..5,
    );
    let body = prop::collection::vec(any::<u8>(), 0..200);
    (method, segments, query, headers, body).prop_map(|(method, segments, query, headers, body)| {
        let mut path = String::new();
        for (seg, choices) in segments {
            path.push('/');
            path.push_str(&client_encode(&seg, &choices));
        }
        let query = query
            .iter()
            .map(|(n, v, c)| {
                format!(
                    "{}={}",
                    client_encode(n.as_bytes(), c),
                    client_encode(v.as_bytes(), c)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let headers = headers
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
        Req {
            method,
            path,
            query,
            headers,
            body,
        }
    })
}

fn sign(req: &Req) -> HeaderMap {
    let mut headers = req.header_map();
    let p = SigningParams::new(AKID, SECRET, "any-region-1", "s3", now());
    sign_headers(
        &req.method,
        &req.uri(),
        &headers,
        &p,
        &SignableBody::Bytes(&req.body),
    )
    .unwrap()
    .apply_to(&mut headers);
    headers
}

fn verify(method: &Method, uri: &Uri, headers: &HeaderMap) -> Result<PayloadMode, SigV4Error> {
    parse_request(method, uri, headers, &["s3"])?
        .expect("authenticated")
        .verify(SECRET, now(), &SigningKeyCache::new(8))
        .map(s4_sigv4::VerifiedRequest::into_payload)
}

#[derive(Debug, Clone, Copy)]
enum Mutation {
    Method,
    Path,
    Query,
    Header,
    Payload,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn signed_requests_verify(req in req_strategy()) {
        let headers = sign(&req);
        let mode = verify(&req.method, &req.uri(), &headers).unwrap();
        let expected: [u8; 32] = Sha256::digest(&req.body).into();
        prop_assert!(matches!(mode, PayloadMode::Sha256(d) if d == expected), "{:?}", mode);
    }

    #[test]
    fn presigned_requests_verify(req in req_strategy(), expires in 1u32..=604_800) {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("s3.example.com"));
        let p = SigningParams::new(AKID, SECRET, "r", "s3", now());
        let q = presign(&req.method, &req.uri(), &headers, &p, &SignableBody::Precomputed(UNSIGNED_PAYLOAD.into()), expires).unwrap();
        let uri: Uri = format!("{}?{}", req.path, q.query()).parse().unwrap();
        let mode = verify(&req.method, &uri, &headers).unwrap();
        prop_assert!(matches!(mode, PayloadMode::Unsigned), "{:?}", mode);
        let tampered: Uri = format!("{}?{}&x=1", req.path, q.query()).parse().unwrap();
        let result = verify(&req.method, &tampered, &headers);
        prop_assert!(matches!(result, Err(SigV4Error::SignatureDoesNotMatch { .. })), "{:?}", result);
    }

    #[test]
    fn any_single_mutation_breaks_verification(
        req in req_strategy(),
        mutation in prop::sample::select(vec![Mutation::Method, Mutation::Path, Mutation::Query, Mutation::Header, Mutation::Payload]),
    ) {
        let mut headers = sign(&req);
        let mut method = req.method.clone();
        let mut uri = req.uri();
        match mutation {
            Mutation::Method => method = if method == Method::GET { Method::PUT } else { Method::GET },
            Mutation::Path => uri = format!("{}x{}", req.path, if req.query.is_empty() { String::new() } else { format!("?{}", req.query) }).parse().unwrap(),
            Mutation::Query => uri = format!("{}?{}{}zz=1", req.path, req.query, if req.query.is_empty() { "" } else { "&" }).parse().unwrap(),
            Mutation::Header => {
                // Change a signed header's value (host is always signed).
                let (name, value) = req.headers.first().map_or(("host", "s3.example.com"), |(n, v)| (n.as_str(), v.as_str()));
                headers.insert(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(&format!("{value}z")).unwrap());
            }
            Mutation::Payload => {
                // A different declared payload hash breaks the header signature ...
                let mut other = req.body.clone();
                other.push(1);
                headers.insert("x-amz-content-sha256", HeaderValue::from_str(&hex::encode(Sha256::digest(&other))).unwrap());
            }
        }
        let result = verify(&method, &uri, &headers);
        prop_assert!(matches!(result, Err(SigV4Error::SignatureDoesNotMatch { .. })), "{:?}: {:?}", mutation, result);
    }

    #[test]
    fn a_different_body_fails_the_payload_hash(body in prop::collection::vec(any::<u8>(), 0..300), flip in any::<usize>(), step in 1usize..64) {
        // ... and the same declaration with different bytes fails at the end of the stream.
        let expected: [u8; 32] = Sha256::digest(&body).into();
        let mut other = body.clone();
        if other.is_empty() { other.push(0) } else { let i = flip % other.len(); other[i] ^= 1; }
        let run = |data: Vec<u8>| {
            let pieces: Vec<Result<Bytes, std::io::Error>> = data.chunks(step).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
            let mut s = s4_sigv4::Sha256Stream::new(futures_util::stream::iter(pieces), expected);
            futures_util::FutureExt::now_or_never(async move {
                let mut out = Vec::new();
                while let Some(item) = futures_util::StreamExt::next(&mut s).await {
                    out.extend_from_slice(&item?);
                }
                Ok::<_, s4_sigv4::StreamError<std::io::Error>>(out)
            })
            .expect("ready stream")
        };
        prop_assert_eq!(run(body.clone()).unwrap(), body);
        let result = run(other);
        prop_assert!(matches!(result, Err(s4_sigv4::StreamError::SigV4(SigV4Error::PayloadHashMismatch))), "{:?}", result);
    }

    #[test]
    fn chunked_round_trip_and_tamper(
        payload in prop::collection::vec(any::<u8>(), 0..2000),
        chunk in 1usize..300,
        step in 1usize..500,
        flip in any::<usize>(),
        mode in 0u8..3,
    ) {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("h"));
        let p = SigningParams::new(AKID, SECRET, "r", "s3", now());
        let uri = Uri::from_static("/b/k");
        let signed = sign_headers(&Method::PUT, &uri, &headers, &p, &SignableBody::Precomputed(s4_sigv4::STREAMING_PAYLOAD.into())).unwrap();
        let ctx = signed.chunk_context();
        let alg = Some(s4_sigv4::ChecksumAlgorithm::Crc32);
        let (encoder, signed_mode, trailer) = match mode {
            0 => (ChunkEncoder::signed(ctx.clone()), true, false),
            1 => (ChunkEncoder::signed_with_trailer(ctx.clone(), alg), true, true),
            _ => (ChunkEncoder::unsigned_with_trailer(alg), false, true),
        };
        let body = encoder.encode_all(&payload, chunk);
        let new = || ChunkedDecoder::new(signed_mode.then(|| ctx.clone()), trailer, trailer.then_some(alg).flatten(), payload.len() as u64);
        prop_assert_eq!(decode(new(), &body, step).unwrap(), payload.clone());

        // Flip one byte anywhere: an error, or (hex case, for instance) the same payload.
        let mut tampered = body.clone();
        let at = flip % tampered.len();
        tampered[at] ^= 0x01;
        if let Ok(out) = decode(new(), &tampered, step) {
            prop_assert_eq!(out, payload.clone());
        }
        // Flip a byte of chunk data: always an error (signature, or checksum when unsigned).
        if !payload.is_empty() {
            let first_data = body.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
            let mut tampered = body.clone();
            tampered[first_data + flip % payload.len().min(chunk)] ^= 0x01;
            prop_assert!(decode(new(), &tampered, step).is_err());
        }
    }
}

fn decode(mut dec: ChunkedDecoder, body: &[u8], step: usize) -> Result<Vec<u8>, SigV4Error> {
    let mut out = Vec::new();
    for piece in body.chunks(step) {
        dec.push(Bytes::copy_from_slice(piece))?;
        while let Some(b) = dec.pop() {
            out.extend_from_slice(&b);
        }
    }
    dec.finish()?;
    Ok(out)
}
