//! The request body as handlers get it: by value, with what the request's headers say
//! about it (announced length, framing, the checksum it must match).

use http::header::CONTENT_LENGTH;
use s4_sigv4::{ChecksumAlgorithm, Checksummer, PayloadMode};
use s4_storage::ByteStream;

use super::RequestView;
use crate::body::{self, read_limited, verified_stream};
use crate::error_code::S3ErrorCode;
use crate::handlers::base64_decode;
use crate::response::ApiError;

const CHECKSUM_PREFIX: &str = "x-amz-checksum-";

/// The request body, with what the request's headers say about it: its announced length,
/// its framing and the checksum it must match.
pub(crate) struct RequestBody {
    raw: ByteStream,
    payload: PayloadMode,
    /// The `x-amz-checksum-*` header, validated when the request is parsed; an invalid one is
    /// answered when the handler takes the body, where the handler would have read it.
    checksum: Result<Option<(ChecksumAlgorithm, String)>, ApiError>,
    content_length: Option<u64>,
    chunked_transfer: bool,
}

impl RequestBody {
    pub fn new(raw: ByteStream, payload: PayloadMode, request: &RequestView<'_>) -> Self {
        Self {
            raw,
            payload,
            checksum: header_checksum(request),
            content_length: request
                .header(CONTENT_LENGTH.as_str())
                .and_then(|v| v.trim().parse().ok()),
            chunked_transfer: request
                .headers
                .contains_key(http::header::TRANSFER_ENCODING),
        }
    }

    /// The decoded body length the client announced, if any.
    pub fn announced_length(&self) -> Option<u64> {
        match &self.payload {
            PayloadMode::StreamingSigned { decoded_length, .. }
            | PayloadMode::StreamingUnsignedTrailer { decoded_length, .. }
            | PayloadMode::StreamingSignedTrailer { decoded_length, .. } => Some(*decoded_length),
            PayloadMode::Sha256(_) | PayloadMode::Unsigned => self.content_length,
        }
    }

    /// The length of an object or part body: the announced one, or none at all without
    /// `Content-Length` or `Transfer-Encoding` (RFC 9112 6.3), which is how hyper-based
    /// clients send empty objects: accepted rather than 411.
    pub fn content_length(&self) -> Option<u64> {
        self.announced_length()
            .or_else(|| (!self.chunked_transfer).then_some(0))
    }

    /// Whether the body is aws-chunked with a trailing checksum.
    fn has_trailer_checksum(&self) -> bool {
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

    /// The body, wrapped in every check the request asks for.
    pub fn into_stream(self) -> Result<ByteStream, ApiError> {
        let checksum = self.checksum?;
        Ok(verified_stream(self.raw, &self.payload, checksum))
    }

    /// Reads a small XML body whole: refused unread when its announced length is over the
    /// limit, cut off when it grows past it.
    pub async fn read_xml(self, limit: usize) -> Result<bytes::Bytes, ApiError> {
        if self.announced_length().is_some_and(|n| n > limit as u64) {
            return Err(ApiError::from(body::ReadError::TooLarge { limit }));
        }
        let stream = self.into_stream()?;
        Ok(read_limited(stream, limit).await?)
    }

    /// Whether the request carries a checksum of the body: a valid `x-amz-checksum-*` or an
    /// aws-chunked trailing one (an invalid header is its error).
    pub fn has_checksum(&self) -> Result<bool, ApiError> {
        match &self.checksum {
            Ok(header) => Ok(header.is_some() || self.has_trailer_checksum()),
            Err(e) => Err(e.clone()),
        }
    }
}

/// The `x-amz-checksum-<algorithm>` header, validated: at most one, a known algorithm, a
/// base64 value of the algorithm's length (else `InvalidRequest`). A presigned URL may carry
/// it as a query parameter of the same name (the JavaScript SDK v3 bakes
/// `x-amz-checksum-crc32=...` into presigned PUT URLs); it counts like the header.
fn header_checksum(
    request: &RequestView<'_>,
) -> Result<Option<(ChecksumAlgorithm, String)>, ApiError> {
    let headers = request.headers.iter().map(|(name, value)| {
        (
            std::borrow::Cow::Borrowed(name.as_str()),
            value.to_str().unwrap_or(""),
        )
    });
    // Query names are matched case-insensitively, as header names are.
    let query = request
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
