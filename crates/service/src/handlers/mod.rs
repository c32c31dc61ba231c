//! Operation handlers: one function per S3 operation, grouped by resource.

pub(crate) mod acl;
pub(crate) mod bucket;
pub(crate) mod copy;
pub(crate) mod list;
pub(crate) mod multipart;
pub(crate) mod object;
pub(crate) mod policy;

use std::sync::{Mutex, PoisonError};

use http::header::{HeaderValue, CONTENT_LENGTH};
use http::{HeaderMap, Response, StatusCode};
use s4_naming::AccountId;
use s4_s3_xml::Owner;
use s4_sigv4::{ChecksumAlgorithm, Checksummer, PayloadMode};
use s4_storage::{ByteStream, ObjectRef};
use sha2::{Digest, Sha256};

use crate::authz::{KeyAccess, PolicyCache};
use crate::body::{self, read_limited, verified_stream, ResponseBody};
use crate::config::ServiceConfig;
use crate::error_code::S3ErrorCode;
use crate::operation::Query;
use crate::response::ApiError;
// The header parsers the fuzz targets drive (crate::fuzzing).
pub(crate) use object::{parse_range, read_conditions};

/// Everything a handler needs about an authorized request.
pub(crate) struct Ctx<'a, O> {
    pub store: &'a O,
    pub config: &'a ServiceConfig,
    /// The account the request acts in.
    pub account: AccountId,
    /// Empty for ListBuckets.
    pub bucket: String,
    /// Empty for bucket operations.
    pub key: String,
    pub headers: &'a HeaderMap,
    pub query: &'a Query,
    pub payload: PayloadMode,
    /// The raw request body, until a handler takes it (in a mutex only so that `Ctx` is
    /// `Sync` and handler futures holding `&Ctx` are `Send`).
    pub body: Mutex<Option<ByteStream>>,
    pub head: bool,
    /// The service's bucket policy cache (invalidated by the policy handlers and
    /// DeleteBucket).
    pub policies: &'a PolicyCache,
    /// Per-key authorization for DeleteObjects (`None`: every key is allowed).
    pub key_access: Option<KeyAccess>,
}

const CHECKSUM_PREFIX: &str = "x-amz-checksum-";

pub(crate) type HandlerResult = Result<Response<ResponseBody>, ApiError>;

/// What a typed input is parsed from: the request's headers and decoded query.
pub(crate) struct RequestView<'a> {
    pub headers: &'a HeaderMap,
    pub query: &'a Query,
}

/// An operation's typed input, parsed from the request before its handler runs (see the
/// catalogue in [`crate::operation`]).
pub(crate) trait FromRequest: Sized {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError>;
}

/// The input of an operation that needs nothing beyond its bucket and key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NoInput;

impl FromRequest for NoInput {
    fn from_request(_: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self)
    }
}

impl<A: FromRequest, B: FromRequest> FromRequest for (A, B) {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok((A::from_request(request)?, B::from_request(request)?))
    }
}

impl<O> Ctx<'_, O> {
    pub fn view(&self) -> RequestView<'_> {
        RequestView {
            headers: self.headers,
            query: self.query,
        }
    }

    pub fn object(&self) -> ObjectRef {
        ObjectRef {
            account: self.account,
            bucket: self.bucket.clone(),
            key: self.key.clone(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The canonical owner of everything in the account (spec 2.1.5).
    pub fn owner(&self) -> Owner {
        owner_of(&self.account)
    }

    /// The `x-amz-checksum-<algorithm>` header, validated: at most one, a known algorithm,
    /// a base64 value of the algorithm's length (else `InvalidRequest`). A presigned URL may
    /// carry it as a query parameter of the same name (the JavaScript SDK v3 bakes
    /// `x-amz-checksum-crc32=...` into presigned PUT URLs); it counts like the header.
    pub fn header_checksum(&self) -> Result<Option<(ChecksumAlgorithm, String)>, ApiError> {
        let headers = self.headers.iter().map(|(name, value)| {
            (
                std::borrow::Cow::Borrowed(name.as_str()),
                value.to_str().unwrap_or(""),
            )
        });
        // Query names are matched case-insensitively, as header names are.
        let query = self
            .query
            .pairs()
            .filter(|(name, _)| crate::refusals::starts_with_ignore_case(name, CHECKSUM_PREFIX))
            .map(|(name, value)| (std::borrow::Cow::Owned(name.to_ascii_lowercase()), value));
        let mut found = None;
        for (name, value) in headers.chain(query) {
            let Some(suffix) = name.strip_prefix(CHECKSUM_PREFIX) else {
                continue;
            };
            if matches!(suffix, "algorithm" | "mode" | "type") {
                continue;
            }
            let algorithm = ChecksumAlgorithm::from_header_name(&name).ok_or_else(|| {
                ApiError::with_message(
                    S3ErrorCode::InvalidRequest,
                    format!("The checksum algorithm of '{name}' is not supported."),
                )
            })?;
            if found.is_some() {
                return Err(ApiError::with_message(
                    S3ErrorCode::InvalidRequest,
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
            let value = value.trim().to_owned();
            let expected_len = Checksummer::new(algorithm).finalize().len();
            let valid = base64_decode(&value).is_some_and(|raw| raw.len() == expected_len);
            if !valid {
                return Err(ApiError::with_message(
                    S3ErrorCode::InvalidRequest,
                    format!("Value for {name} header is invalid."),
                ));
            }
            found = Some((algorithm, value));
        }
        Ok(found)
    }

    /// Whether the body is aws-chunked with a trailing checksum.
    pub fn has_trailer_checksum(&self) -> bool {
        matches!(
            self.payload,
            PayloadMode::StreamingUnsignedTrailer {
                trailer: Some(_),
                ..
            } | PayloadMode::StreamingSignedTrailer {
                trailer: Some(_),
                ..
            }
        )
    }

    /// The decoded body length the client announced, if any.
    pub fn announced_length(&self) -> Option<u64> {
        match &self.payload {
            PayloadMode::StreamingSigned { decoded_length, .. }
            | PayloadMode::StreamingUnsignedTrailer { decoded_length, .. }
            | PayloadMode::StreamingSignedTrailer { decoded_length, .. } => Some(*decoded_length),
            PayloadMode::Sha256(_) | PayloadMode::Unsigned => self
                .header(CONTENT_LENGTH.as_str())
                .and_then(|v| v.trim().parse().ok()),
        }
    }

    /// Takes the request body, wrapped in every check the request asks for.
    pub fn take_body(&mut self) -> Result<ByteStream, ApiError> {
        let checksum = self.header_checksum()?;
        let raw = self
            .body
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| s4_storage::body::once(bytes::Bytes::new()));
        Ok(verified_stream(raw, &self.payload, checksum))
    }

    /// Reads a small XML body whole: refused unread when its announced length is over the
    /// limit, cut off when it grows past it.
    pub async fn read_xml_body(&mut self) -> Result<bytes::Bytes, ApiError> {
        let limit = self.config.limits.max_xml_body;
        if self.announced_length().is_some_and(|n| n > limit as u64) {
            return Err(ApiError::from(body::ReadError::TooLarge { limit }));
        }
        let stream = self.take_body()?;
        Ok(read_limited(stream, limit).await?)
    }
}

/// The canonical owner of an account: a stable 64-hex ID and the account ID as display name.
pub(crate) fn owner_of(account: &AccountId) -> Owner {
    let digest = Sha256::digest(format!("s4-canonical-user:{}", account.as_str()).as_bytes());
    Owner::new(hex::encode(digest), account.as_str())
}

pub(crate) fn base64_decode(value: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(value).ok()
}

/// A response with a status and no body.
pub(crate) fn empty_response(status: StatusCode) -> Response<ResponseBody> {
    let mut response = Response::new(body::empty());
    *response.status_mut() = status;
    if status != StatusCode::NO_CONTENT && status != StatusCode::NOT_MODIFIED {
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    response
}
