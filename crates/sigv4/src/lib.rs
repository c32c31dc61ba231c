//! AWS Signature Version 4 for S4: verification of header-signed and presigned requests,
//! aws-chunked body decoding with chunk and trailer signatures, checksums, and the matching
//! signing side. No I/O: time, secrets and bodies are passed in.
//!
//! # Verifying
//!
//! Verification has two phases so the key lookup in between can be asynchronous:
//! [`parse_parts`] (or [`parse_request`]) reads the authentication data without any secret,
//! then [`ParsedRequest::verify`] checks time and signature. The result says how to treat the
//! body ([`PayloadMode`]).
//!
//! ```
//! use http::Request;
//! use s4_sigv4::{parse_parts, sign_headers, PayloadMode, SignableBody, SigV4Error, SigningKeyCache, SigningParams};
//! use time::macros::datetime;
//!
//! let now = datetime!(2025-01-01 12:00:00 UTC);
//! // A client signs a GET ...
//! let (mut parts, ()) = Request::get("http://s3.example.com/bucket/key?versionId=3")
//!     .header("host", "s3.example.com")
//!     .body(())
//!     .unwrap()
//!     .into_parts();
//! let params = SigningParams::new("AKIDEXAMPLE", "secret", "eu-central-1", "s3", now);
//! let signed = sign_headers(&parts.method, &parts.uri, &parts.headers, &params, &SignableBody::Bytes(b"")).unwrap();
//! signed.apply_to(&mut parts.headers);
//!
//! // ... and the server verifies it.
//! let cache = SigningKeyCache::default();
//! let parsed = parse_parts(&parts, &["s3"])?.expect("not anonymous");
//! let secret = match parsed.access_key_id() {
//!     "AKIDEXAMPLE" => "secret",
//!     _ => return Err(SigV4Error::invalid_access_key_id()),
//! };
//! let verified = parsed.verify(secret, now, &cache)?;
//! assert_eq!(verified.access_key_id(), "AKIDEXAMPLE");
//! assert_eq!(verified.scope().region(), "eu-central-1");
//! assert!(matches!(verified.payload(), PayloadMode::Sha256(_)));
//! # Ok::<(), SigV4Error>(())
//! ```
//!
//! For [`PayloadMode::Sha256`] wrap the body in [`Sha256Stream`]; for the streaming modes use
//! [`PayloadMode::chunked_decoder`] with [`ChunkedDecoder`] or [`ChunkedStream`]; a plain
//! body with an `x-amz-checksum-*` header goes through [`ChecksumStream`].
//!
//! # Errors
//!
//! Every failure is a [`SigV4Error`], whose variants say what failed; [`SigV4Error::s3_code`]
//! names the S3 error code it stands for, and [`SigV4Error::signature_details`] gives the
//! canonical request and string to sign for a SignatureDoesNotMatch body.
//!
//! # Signing
//!
//! [`sign_headers`], [`presign`] and [`ChunkEncoder`] produce what SDKs send:
//!
//! ```
//! use http::{HeaderMap, Method, Uri};
//! use s4_sigv4::{presign, SignableBody, SigningParams, UNSIGNED_PAYLOAD};
//! use time::macros::datetime;
//!
//! let params = SigningParams::new("AKIDEXAMPLE", "secret", "us-east-1", "s3", datetime!(2025-01-01 0:00 UTC));
//! let uri: Uri = "http://s3.example.com/bucket/key".parse().unwrap();
//! let query = presign(&Method::GET, &uri, &HeaderMap::new(), &params,
//!     &SignableBody::Precomputed(UNSIGNED_PAYLOAD.into()), 3600).unwrap().into_query();
//! assert!(query.starts_with("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20250101%2F"));
//! assert!(query.contains("&X-Amz-Signature="));
//! ```

#![warn(missing_docs)]

mod canonical;
mod checksum;
mod chunk_sign;
mod chunked;
mod credential;
mod encode;
mod error;
pub mod fuzzing;
mod http_date;
mod key;
mod sign;
mod stream;
mod verify;

pub use checksum::{ChecksumAlgorithm, Checksummer};
pub use chunk_sign::{ChunkEncoder, ChunkSigningContext};
pub use chunked::{ChunkedDecoder, DEFAULT_MAX_CHUNK_SIZE, MAX_LINE};
pub use credential::{CredentialScope, ALGORITHM};
pub use encode::{decode_query_component, query_pairs};
pub use error::SigV4Error;
pub use http_date::parse_http_date;
pub use key::{Signature, SigningKey, SigningKeyCache};
pub use sign::{presign, sign_headers, PresignedQuery, SignableBody, SignedRequest, SigningParams};
pub use stream::{ChecksumStream, ChunkedStream, Sha256Stream, StreamError};
pub use verify::{
    parse_parts, parse_request, AuthKind, ParsedRequest, PayloadMode, VerifiedRequest,
    MAX_CLOCK_SKEW, MAX_PRESIGNED_EXPIRES, STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_PAYLOAD_TRAILER, UNSIGNED_PAYLOAD,
};
