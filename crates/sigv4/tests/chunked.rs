//! aws-chunked bodies: the S3 documentation examples (values transcribed, the 65 KiB body
//! built here), every split point, length, trailer and signature failures, stream adapters.

mod common;

use bytes::Bytes;
use common::amz;
use futures_util::{stream, StreamExt};
use hmac::{Hmac, Mac};
use http::{HeaderMap, Method, Request, Uri};
use s4_sigv4::{
    parse_request, ChecksumAlgorithm, ChecksumStream, ChunkEncoder, ChunkSigningContext,
    ChunkedDecoder, ChunkedStream, PayloadMode, Sha256Stream, SigV4Error, SigningKeyCache,
    StreamError,
};
use sha2::{Digest, Sha256};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const AKID: &str = "AKIAIOSFODNN7EXAMPLE";

fn request(headers: &[(&str, &str)], signed_headers: &str, seed: &str) -> (Method, Uri, HeaderMap) {
    let mut b = Request::builder()
        .method("PUT")
        .uri("/examplebucket/chunkObject.txt");
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b = b.header(
        "authorization",
        format!("AWS4-HMAC-SHA256 Credential={AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed_headers},Signature={seed}"),
    );
    let (p, ()) = b.body(()).unwrap().into_parts();
    (p.method, p.uri, p.headers)
}

fn verify(req: &(Method, Uri, HeaderMap)) -> PayloadMode {
    parse_request(&req.0, &req.1, &req.2, &["s3"])
        .unwrap()
        .unwrap()
        .verify(SECRET, amz("20130524T000000Z"), &SigningKeyCache::default())
        .unwrap()
        .into_payload()
}

/// The documentation's signed-chunk example (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`).
fn signed_example() -> (PayloadMode, Vec<u8>) {
    let req = request(
        &[
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-length", "66824"),
        ],
        "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    );
    let mode = verify(&req);
    let mut body = Vec::new();
    body.extend_from_slice(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
    body.extend(std::iter::repeat_n(b'a', 65536));
    body.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
    body.extend(std::iter::repeat_n(b'a', 1024));
    body.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    assert_eq!(body.len(), 66824);
    (mode, body)
}

/// The documentation's signed-trailer example (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`).
fn trailer_example() -> (PayloadMode, Vec<u8>) {
    let req = request(
        &[
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("x-amz-trailer", "x-amz-checksum-crc32c"),
            ("content-length", "66946"),
        ],
        "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
        "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
    );
    let mode = verify(&req);
    let mut body = Vec::new();
    body.extend_from_slice(b"10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n");
    body.extend(std::iter::repeat_n(b'a', 65536));
    body.extend_from_slice(b"\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n");
    body.extend(std::iter::repeat_n(b'a', 1024));
    body.extend_from_slice(b"\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n");
    body.extend_from_slice(b"x-amz-checksum-crc32c:sOO8/Q==\r\n");
    body.extend_from_slice(b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n");
    assert_eq!(body.len(), 66946);
    (mode, body)
}

fn decode(mut dec: ChunkedDecoder, pieces: &[&[u8]]) -> Result<Vec<u8>, SigV4Error> {
    let mut out = Vec::new();
    for p in pieces {
        dec.push(Bytes::copy_from_slice(p))?;
        while let Some(b) = dec.pop() {
            out.extend_from_slice(&b);
        }
    }
    dec.finish()?;
    while let Some(b) = dec.pop() {
        out.extend_from_slice(&b);
    }
    Ok(out)
}

fn context(mode: &PayloadMode) -> ChunkSigningContext {
    match mode {
        PayloadMode::StreamingSigned { context, .. }
        | PayloadMode::StreamingSignedTrailer { context, .. } => context.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn documentation_signed_chunks() {
    let (mode, body) = signed_example();
    assert!(matches!(
        mode,
        PayloadMode::StreamingSigned {
            decoded_length: 66560,
            ..
        }
    ));
    let out = decode(mode.chunked_decoder().unwrap(), &[&body]).unwrap();
    assert_eq!(out, vec![b'a'; 66560]);
    // Our encoder produces the documented body byte for byte.
    let encoded = ChunkEncoder::signed(context(&mode)).encode_all(&vec![b'a'; 66560], 65536);
    assert_eq!(encoded, body);
}

#[test]
fn documentation_signed_trailer() {
    let (mode, body) = trailer_example();
    assert!(matches!(
        mode,
        PayloadMode::StreamingSignedTrailer {
            trailer: Some(ChecksumAlgorithm::Crc32c),
            decoded_length: 66560,
            ..
        }
    ));
    let out = decode(mode.chunked_decoder().unwrap(), &[&body]).unwrap();
    assert_eq!(out.len(), 66560);
    let encoded =
        ChunkEncoder::signed_with_trailer(context(&mode), Some(ChecksumAlgorithm::Crc32c))
            .encode_all(&vec![b'a'; 66560], 65536);
    assert_eq!(encoded, body);
}

#[test]
fn unsigned_trailer_and_empty_object() {
    let req = request(
        &[
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("x-amz-trailer", "x-amz-checksum-crc32c"),
            ("content-length", "66613"),
        ],
        "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
        "b3c1af636119354fb0277e0af8508f39d041adeecd27737745d6f319d49f0282",
    );
    let mode = verify(&req);
    let mut body = b"10000\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'a', 65536));
    body.extend_from_slice(b"\r\n400\r\n");
    body.extend(std::iter::repeat_n(b'a', 1024));
    body.extend_from_slice(b"\r\n0\r\nx-amz-checksum-crc32c:sOO8/Q==\r\n\r\n");
    assert_eq!(body.len(), 66613);
    assert_eq!(
        decode(mode.chunked_decoder().unwrap(), &[&body])
            .unwrap()
            .len(),
        66560
    );

    // botocore's empty object.
    let empty = ChunkedDecoder::new(None, true, Some(ChecksumAlgorithm::Crc32), 0);
    assert_eq!(
        decode(empty, &[b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"]).unwrap(),
        b""
    );
    let enc =
        ChunkEncoder::unsigned_with_trailer(Some(ChecksumAlgorithm::Crc32)).encode_all(b"", 10);
    assert_eq!(enc, b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    // A trailer block whose closing empty line never comes is accepted at end of input.
    let empty = ChunkedDecoder::new(None, true, Some(ChecksumAlgorithm::Crc32), 0);
    assert_eq!(
        decode(empty, &[b"0\r\nx-amz-checksum-crc32:AAAAAA==\r\n"]).unwrap(),
        b""
    );
}

type NewDecoder = Box<dyn Fn() -> ChunkedDecoder>;

fn small_bodies() -> Vec<(&'static str, Vec<u8>, NewDecoder)> {
    let (mode, _) = trailer_example();
    let ctx = context(&mode);
    let data: Vec<u8> = (0..50u8).collect();
    let c1 = ctx.clone();
    let c2 = ctx.clone();
    vec![
        (
            "signed",
            ChunkEncoder::signed(ctx.clone()).encode_all(&data, 17),
            Box::new(move || ChunkedDecoder::new(Some(c1.clone()), false, None, 50)),
        ),
        (
            "signed-trailer",
            ChunkEncoder::signed_with_trailer(ctx.clone(), Some(ChecksumAlgorithm::Sha256))
                .encode_all(&data, 17),
            Box::new(move || {
                ChunkedDecoder::new(Some(c2.clone()), true, Some(ChecksumAlgorithm::Sha256), 50)
            }),
        ),
        (
            "unsigned-trailer",
            ChunkEncoder::unsigned_with_trailer(Some(ChecksumAlgorithm::Crc64Nvme))
                .encode_all(&data, 17),
            Box::new(|| ChunkedDecoder::new(None, true, Some(ChecksumAlgorithm::Crc64Nvme), 50)),
        ),
    ]
}

#[test]
fn every_split_point_and_every_truncation() {
    let data: Vec<u8> = (0..50u8).collect();
    for (name, body, new) in small_bodies() {
        for i in 0..=body.len() {
            assert_eq!(
                decode(new(), &[&body[..i], &body[i..]]).unwrap(),
                data,
                "{name} split at {i}"
            );
            // Three pieces too, so a header can straddle two boundaries.
            let j = (i + 3).min(body.len());
            assert_eq!(
                decode(new(), &[&body[..i], &body[i..j], &body[j..]]).unwrap(),
                data,
                "{name} split at {i},{j}"
            );
            // Only the closing empty line may be missing at end of input.
            if i + 2 == body.len() {
                assert_eq!(
                    decode(new(), &[&body[..i]]).unwrap(),
                    data,
                    "{name} without the last CRLF"
                );
            } else if i < body.len() {
                // Truncated inside the trailer block at a line boundary, a required trailer
                // line is missing (InvalidRequest); anywhere else the body is incomplete.
                let e = decode(new(), &[&body[..i]]).unwrap_err();
                assert!(
                    ["IncompleteBody", "InvalidRequest"].contains(&e.s3_code()),
                    "{name} truncated at {i}: {e}"
                );
            }
        }
        // One byte at a time.
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(decode(new(), &bytes).unwrap(), data, "{name} bytewise");
    }
}

#[test]
fn documentation_example_split_around_every_header() {
    let (mode, body) = signed_example();
    // Every split point within 100 bytes of a line boundary (all header and CRLF bytes).
    let mut points: Vec<usize> = Vec::new();
    for (i, w) in body.windows(2).enumerate() {
        if w == b"\r\n" {
            points.extend(i.saturating_sub(100)..(i + 100).min(body.len()));
        }
    }
    points.sort_unstable();
    points.dedup();
    for i in points {
        let out = decode(mode.chunked_decoder().unwrap(), &[&body[..i], &body[i..]]).unwrap();
        assert_eq!(out.len(), 66560, "split at {i}");
    }
}

#[test]
fn signed_data_is_released_only_after_its_signature() {
    let (mode, body) = signed_example();
    let mut dec = mode.chunked_decoder().unwrap();
    dec.push(Bytes::copy_from_slice(&body[..60000])).unwrap();
    assert!(dec.pop().is_none());
    dec.push(Bytes::copy_from_slice(&body[60000..65700]))
        .unwrap();
    let mut released = 0;
    while let Some(b) = dec.pop() {
        released += b.len();
    }
    assert_eq!(released, 65536);

    // A flipped data byte: nothing of that chunk comes out.
    let mut tampered = body.clone();
    tampered[1000] = b'b';
    let mut dec = mode.chunked_decoder().unwrap();
    let e = dec.push(Bytes::from(tampered)).unwrap_err();
    assert_eq!(e.s3_code(), "SignatureDoesNotMatch");
    assert!(matches!(e, SigV4Error::ChunkSignatureMismatch));
    assert!(dec.pop().is_none());
    assert!(
        matches!(
            dec.push(Bytes::from_static(b"x")),
            Err(SigV4Error::InvalidRequest(m)) if m == "aws-chunked body already failed to decode"
        ),
        "a failed decoder must refuse further input"
    );
}

#[test]
fn final_chunk_signature_is_checked() {
    let (mode, body) = signed_example();
    let mut tampered = body.clone();
    let at = tampered.len() - 5;
    tampered[at] = if tampered[at] == b'0' { b'1' } else { b'0' };
    let e = decode(mode.chunked_decoder().unwrap(), &[&tampered]).unwrap_err();
    assert!(matches!(e, SigV4Error::ChunkSignatureMismatch), "{e:?}");
    // Chunks reordered or dropped break the chain.
    let (_, body) = signed_example();
    let second = body.windows(5).position(|w| w == b"\r\n400").unwrap() + 2;
    let mut dropped = body[..second].to_vec();
    dropped.extend_from_slice(b"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    // The final chunk's signature was made after the dropped chunk's: the chain check refuses
    // it before the decoded length (one chunk short) is ever compared.
    let dec = mode.chunked_decoder().unwrap();
    let e = decode(dec, &[&dropped]).unwrap_err();
    assert!(matches!(e, SigV4Error::ChunkSignatureMismatch), "{e:?}");
}

#[test]
fn decoded_length_is_enforced() {
    let (mode, body) = signed_example();
    let ctx = context(&mode);
    let short = ChunkedDecoder::new(Some(ctx.clone()), false, None, 66561);
    let e = decode(short, &[&body]).unwrap_err();
    assert_eq!(e.s3_code(), "IncompleteBody");
    let long = ChunkedDecoder::new(Some(ctx), false, None, 66559);
    let e = decode(long, &[&body]).unwrap_err();
    assert!(matches!(
        e,
        SigV4Error::DecodedLengthExceeded { expected: 66559 }
    ));
    assert_eq!(e.s3_code(), "InvalidRequest");
    let unsigned = ChunkedDecoder::new(None, true, None, 3);
    assert!(matches!(
        decode(unsigned, &[b"4\r\nabcd\r\n0\r\n\r\n"]),
        Err(SigV4Error::DecodedLengthExceeded { .. })
    ));
}

fn hmac(key_hex: &str, data: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&hex::decode(key_hex).unwrap()).unwrap();
    mac.update(data.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn trailer_failures() {
    let (mode, body) = trailer_example();
    let head = &body[..body.len() - b"x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n".len()];
    let with_trailer = |t: &str| {
        let mut b = head.to_vec();
        b.extend_from_slice(t.as_bytes());
        decode(mode.chunked_decoder().unwrap(), &[&b])
    };
    let key = "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378";
    let prev = "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992";
    let scope = "20130524T000000Z\n20130524/us-east-1/s3/aws4_request";
    let sign = |label: &str, canonical: &str| {
        let h = hex::encode(Sha256::digest(canonical.as_bytes()));
        hmac(key, &format!("{label}\n{scope}\n{prev}\n{h}"))
    };
    // The recomputed signature of the good trailer is the documented one.
    assert_eq!(
        sign(
            "AWS4-HMAC-SHA256-TRAILER",
            "x-amz-checksum-crc32c:sOO8/Q==\n"
        ),
        "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
    );
    with_trailer(&format!(
        "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{}\r\n\r\n",
        sign(
            "AWS4-HMAC-SHA256-TRAILER",
            "x-amz-checksum-crc32c:sOO8/Q==\n"
        )
    ))
    .unwrap();

    // Wrong label (Garage's bug: the PAYLOAD label for the trailer).
    let wrong_label = sign(
        "AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-checksum-crc32c:sOO8/Q==\n",
    );
    let e = with_trailer(&format!(
        "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{wrong_label}\r\n\r\n"
    ))
    .unwrap_err();
    assert!(matches!(e, SigV4Error::TrailerSignatureMismatch), "{e:?}");
    assert_eq!(e.s3_code(), "SignatureDoesNotMatch");

    // Bad signature.
    let e = with_trailer(&format!(
        "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{}\r\n\r\n",
        "0".repeat(64)
    ))
    .unwrap_err();
    assert!(matches!(e, SigV4Error::TrailerSignatureMismatch));

    // A correctly signed but wrong checksum.
    let bad = "x-amz-checksum-crc32c:AAAAAA==\n";
    let e = with_trailer(&format!(
        "x-amz-checksum-crc32c:AAAAAA==\r\nx-amz-trailer-signature:{}\r\n\r\n",
        sign("AWS4-HMAC-SHA256-TRAILER", bad)
    ))
    .unwrap_err();
    assert!(
        matches!(e, SigV4Error::BadDigest(ChecksumAlgorithm::Crc32c)),
        "{e:?}"
    );
    assert_eq!(e.s3_code(), "BadDigest");

    // Missing signature, undeclared trailer, missing checksum: each refused for its reason.
    let invalid = |e: SigV4Error| match e {
        SigV4Error::InvalidRequest(message) => message,
        other => panic!("expected InvalidRequest, got {other:?}"),
    };
    let e = with_trailer("x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n").unwrap_err();
    assert_eq!(invalid(e), "missing x-amz-trailer-signature");
    let other = "x-amz-checksum-crc32:AAAAAA==\n";
    let e = with_trailer(&format!(
        "x-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:{}\r\n\r\n",
        sign("AWS4-HMAC-SHA256-TRAILER", other)
    ))
    .unwrap_err();
    assert_eq!(
        invalid(e),
        "aws-chunked trailer 'x-amz-checksum-crc32' was not declared in x-amz-trailer"
    );
    let e = with_trailer(&format!(
        "x-amz-trailer-signature:{}\r\n\r\n",
        sign("AWS4-HMAC-SHA256-TRAILER", "")
    ))
    .unwrap_err();
    assert_eq!(
        invalid(e),
        "aws-chunked trailer lacks the declared x-amz-checksum-crc32c"
    );

    // Unsigned mode: a wrong checksum is BadDigest; an encoder-made wrong trailer too.
    let mut out = Vec::new();
    let mut enc = ChunkEncoder::unsigned_with_trailer(Some(ChecksumAlgorithm::Sha1));
    enc.encode_chunk(b"hello", &mut out);
    enc.finish_with_trailers(
        &[("x-amz-checksum-sha1", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")],
        &mut out,
    );
    let dec = ChunkedDecoder::new(None, true, Some(ChecksumAlgorithm::Sha1), 5);
    assert!(matches!(
        decode(dec, &[&out]),
        Err(SigV4Error::BadDigest(ChecksumAlgorithm::Sha1))
    ));
}

#[test]
fn framing_limits_and_errors() {
    let dec = || ChunkedDecoder::new(None, true, None, 10);
    let e = |body: &[u8]| decode(dec(), &[body]).unwrap_err();
    assert_eq!(e(b"zz\r\n").s3_code(), "InvalidRequest");
    assert_eq!(e(b"\r\n").s3_code(), "InvalidRequest");
    assert_eq!(e(b"1;chunk-signature=00\r\n").s3_code(), "InvalidRequest");
    assert_eq!(e(b"1\nx\r\n").s3_code(), "InvalidRequest");
    assert_eq!(e(b"1\r\nxy").s3_code(), "InvalidRequest");
    assert_eq!(e(b"11111111111111111\r\n").s3_code(), "InvalidRequest");
    let zero = ChunkedDecoder::new(None, true, None, 0);
    assert_eq!(
        decode(zero, &[b"0\r\n\r\nextra"]).unwrap_err().s3_code(),
        "InvalidRequest"
    );
    let long_line = vec![b'0'; MAX_LINE_PLUS];
    assert_eq!(e(&long_line).s3_code(), "InvalidRequest");
    let mut long_trailer = b"0\r\n".to_vec();
    for _ in 0..1000 {
        long_trailer.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\n");
    }
    let big = ChunkedDecoder::new(None, true, Some(ChecksumAlgorithm::Crc32), 0);
    assert!(decode(big, &[&long_trailer])
        .unwrap_err()
        .to_string()
        .contains("too long"));
    // Chunk size cap.
    let capped = ChunkedDecoder::new(None, true, None, 1 << 30).with_max_chunk_size(1024);
    assert!(matches!(
        decode(capped, &[b"401\r\n"]),
        Err(SigV4Error::ChunkTooLarge {
            size: 1025,
            max: 1024
        })
    ));
    let default = ChunkedDecoder::new(None, true, None, u64::MAX);
    assert!(matches!(
        decode(default, &[b"1000001\r\n"]),
        Err(SigV4Error::ChunkTooLarge { .. })
    ));
    // Signed bodies need signatures on every chunk.
    let (mode, _) = signed_example();
    let signed = mode.chunked_decoder().unwrap();
    assert_eq!(
        decode(signed, &[b"1\r\na\r\n"]).unwrap_err().s3_code(),
        "InvalidRequest"
    );
}

const MAX_LINE_PLUS: usize = s4_sigv4::MAX_LINE + 1;

async fn collect<S, E>(mut s: S) -> Result<Vec<u8>, StreamError<E>>
where
    S: futures_util::Stream<Item = Result<Bytes, StreamError<E>>> + Unpin,
{
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        out.extend_from_slice(&item?);
    }
    Ok(out)
}

#[tokio::test]
async fn stream_adapters() {
    let (mode, body) = trailer_example();
    let pieces: Vec<Result<Bytes, std::io::Error>> = body
        .chunks(1000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let s = ChunkedStream::new(stream::iter(pieces), mode.chunked_decoder().unwrap());
    assert_eq!(collect(s).await.unwrap().len(), 66560);

    // A truncated body ends in IncompleteBody, a failing one in the body's error.
    let pieces: Vec<Result<Bytes, std::io::Error>> =
        vec![Ok(Bytes::copy_from_slice(&body[..5000]))];
    let s = ChunkedStream::new(stream::iter(pieces), mode.chunked_decoder().unwrap());
    assert!(matches!(
        collect(s).await,
        Err(StreamError::SigV4(SigV4Error::IncompleteBody { .. }))
    ));
    let pieces: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::copy_from_slice(&body[..5000])),
        Err(std::io::Error::other("reset")),
    ];
    let s = ChunkedStream::new(stream::iter(pieces), mode.chunked_decoder().unwrap());
    assert!(matches!(collect(s).await, Err(StreamError::Body(_))));

    // SHA-256 pass-through.
    let data = b"Welcome to Amazon S3.";
    let expected: [u8; 32] = Sha256::digest(data).into();
    let ok = stream::iter(vec![
        Ok::<_, std::io::Error>(Bytes::from_static(&data[..7])),
        Ok(Bytes::from_static(&data[7..])),
    ]);
    assert_eq!(
        collect(Sha256Stream::new(ok, expected)).await.unwrap(),
        data
    );
    let bad = stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(
        b"Welcome to Amazon S4.",
    ))]);
    let e = collect(Sha256Stream::new(bad, expected)).await.unwrap_err();
    assert!(matches!(
        e,
        StreamError::SigV4(SigV4Error::PayloadHashMismatch)
    ));
    assert_eq!(e.to_string(), SigV4Error::PayloadHashMismatch.to_string());

    // x-amz-checksum-* header over a plain body.
    let ok = stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(b"hello"))]);
    assert_eq!(
        collect(ChecksumStream::new(
            ok,
            ChecksumAlgorithm::Crc32,
            "NhCmhg=="
        ))
        .await
        .unwrap(),
        b"hello"
    );
    let bad = stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(b"hellO"))]);
    let e = collect(ChecksumStream::new(
        bad,
        ChecksumAlgorithm::Crc32,
        "NhCmhg==",
    ))
    .await
    .unwrap_err();
    assert!(matches!(
        e,
        StreamError::SigV4(SigV4Error::BadDigest(ChecksumAlgorithm::Crc32))
    ));
}
