//! The single error type of the crate, with the name of the S3 error code each variant
//! stands for.

use crate::checksum::ChecksumAlgorithm;

/// Everything that can go wrong while authenticating a request or decoding its body.
///
/// `Display` gives a message fit for the error body. [`SigV4Error::s3_code`] names the S3 error
/// code of each variant, from the S4 spec (section 1.3.2); codes outside the spec's common
/// table (`IncompleteBody`, `BadDigest`, `InvalidToken`) are the ones AWS S3 returns in the
/// same case. The HTTP status belongs to that code, so it is the server's to give, not this
/// crate's.
#[derive(Debug, thiserror::Error)]
pub enum SigV4Error {
    /// Garbled or missing parts of the `Authorization` header or of the canonical request.
    #[error("{0}")]
    IncompleteSignature(String),

    /// A header the authentication needs is missing or malformed (for example
    /// `x-amz-content-sha256` on an S3 request, or `x-amz-date`).
    #[error("{0}")]
    MissingSecurityHeader(String),

    /// The request is well formed but not in a form S4 accepts: another algorithm, another
    /// service, SigV2, bad aws-chunked framing or a bad `x-amz-*` value (spec causes 1 to 4).
    #[error("{0}")]
    InvalidRequest(String),

    /// The header or presigned-URL signature does not match. Carries what the error body shows.
    #[error("The request signature we calculated does not match the signature you provided. Check your key and signing method.")]
    SignatureDoesNotMatch {
        /// The canonical request the server computed.
        canonical_request: String,
        /// The string to sign the server computed.
        string_to_sign: String,
    },

    /// A chunk signature of an aws-chunked body does not match (spec case 3).
    #[error("The chunk signature we calculated does not match the signature you provided.")]
    ChunkSignatureMismatch,

    /// The trailer signature of an aws-chunked body does not match (spec case 4).
    #[error("The trailer signature we calculated does not match the signature you provided.")]
    TrailerSignatureMismatch,

    /// The body's SHA-256 differs from the signed `x-amz-content-sha256` (spec case 4).
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    PayloadHashMismatch,

    /// The access key is unknown; built by the caller after its key lookup.
    #[error("The AWS Access Key Id you provided does not exist in our records.")]
    InvalidAccessKeyId,

    /// The request time is more than 15 minutes away from the server's time.
    #[error("The difference between the request time and the current time is too large.")]
    RequestTimeTooSkewed,

    /// The presigned URL has expired.
    #[error("Request has expired")]
    Expired,

    /// An `x-amz-*` header (or `host`) is present but not listed in `SignedHeaders`. Mapped to
    /// AccessDenied, as AWS does ("There were headers present in the request which were not
    /// signed").
    #[error("There were headers present in the request which were not signed: {0}")]
    HeaderNotSigned(String),

    /// A header the signature depends on is not valid ASCII.
    #[error("{0}")]
    ValidationError(String),

    /// The presigned-URL query parameters are missing, garbled or out of range.
    #[error("{0}")]
    AuthorizationQueryParametersError(String),

    /// `X-Amz-Security-Token` was sent; S4 has no temporary credentials.
    #[error("The provided token is malformed or otherwise invalid.")]
    SecurityTokenNotSupported,

    /// The aws-chunked body ended before `x-amz-decoded-content-length` bytes or before its
    /// final chunk.
    #[error("You did not provide the number of bytes specified by the x-amz-decoded-content-length header: expected {expected}, got {received}.")]
    IncompleteBody {
        /// The declared decoded length.
        expected: u64,
        /// How many bytes were decoded before the body ended.
        received: u64,
    },

    /// The aws-chunked body carries more data than `x-amz-decoded-content-length` declared.
    #[error(
        "The aws-chunked body is longer than the x-amz-decoded-content-length header ({expected})."
    )]
    DecodedLengthExceeded {
        /// The declared decoded length.
        expected: u64,
    },

    /// A chunk is larger than the decoder accepts.
    #[error("aws-chunked chunk of {size} bytes exceeds the maximum of {max} bytes.")]
    ChunkTooLarge {
        /// The size the chunk header declared.
        size: u64,
        /// The configured maximum.
        max: usize,
    },

    /// A checksum (trailer or `x-amz-checksum-*` header) does not match the data.
    #[error("The {0} you specified did not match the calculated checksum.")]
    BadDigest(ChecksumAlgorithm),

    /// The body stream itself failed; the message is the underlying error's.
    #[error("error reading the request body: {0}")]
    Body(String),
}

impl SigV4Error {
    /// The name of the S3 error code this error is answered with, for logs and for callers
    /// without a typed code table of their own.
    pub fn s3_code(&self) -> &'static str {
        match self {
            Self::IncompleteSignature(_) => "IncompleteSignature",
            Self::MissingSecurityHeader(_) => "MissingSecurityHeader",
            Self::InvalidRequest(_)
            | Self::DecodedLengthExceeded { .. }
            | Self::ChunkTooLarge { .. } => "InvalidRequest",
            Self::SignatureDoesNotMatch { .. }
            | Self::ChunkSignatureMismatch
            | Self::TrailerSignatureMismatch
            | Self::PayloadHashMismatch => "SignatureDoesNotMatch",
            Self::InvalidAccessKeyId => "InvalidAccessKeyId",
            Self::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            Self::Expired | Self::HeaderNotSigned(_) => "AccessDenied",
            Self::ValidationError(_) => "ValidationError",
            Self::AuthorizationQueryParametersError(_) => "AuthorizationQueryParametersError",
            Self::SecurityTokenNotSupported => "InvalidToken",
            Self::IncompleteBody { .. } | Self::Body(_) => "IncompleteBody",
            Self::BadDigest(_) => "BadDigest",
        }
    }

    /// The error the caller returns when its key lookup finds no such access key.
    pub fn invalid_access_key_id() -> Self {
        Self::InvalidAccessKeyId
    }

    /// The canonical request and string to sign, for a SignatureDoesNotMatch body.
    pub fn signature_details(&self) -> Option<(&str, &str)> {
        match self {
            Self::SignatureDoesNotMatch {
                canonical_request,
                string_to_sign,
            } => Some((canonical_request, string_to_sign)),
            _ => None,
        }
    }

    pub(crate) fn incomplete(msg: impl Into<String>) -> Self {
        Self::IncompleteSignature(msg.into())
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidRequest(msg.into())
    }

    pub(crate) fn query(msg: impl Into<String>) -> Self {
        Self::AuthorizationQueryParametersError(msg.into())
    }
}
