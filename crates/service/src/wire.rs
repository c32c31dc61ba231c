//! The one mapping from every library error to the S3 wire: each error enum (SigV4, the XML
//! request parsers, storage, naming rules, the service's own body errors) becomes an
//! [`ApiError`] with a typed [`S3ErrorCode`] through an exhaustive `match`, so that a new
//! variant anywhere fails to compile here until someone decides its code. The HTTP status
//! comes from the code ([`S3ErrorCode::status`]), never from the library.

use s4_naming::{BucketNameError, ObjectKeyError};
use s4_s3_xml::{InvalidEncodingType, RequestError};
use s4_sigv4::SigV4Error;
use s4_storage::quota::QuotaLimit;
use s4_storage::{BoxError, StorageError};

use crate::body::{self, BodyCheckError, ReadError};
use crate::error_code::S3ErrorCode;
use crate::rate_limit::RateLimited;
use crate::response::ApiError;

/// The S3 code of a SigV4 failure (spec 1.3.2; codes outside its common table are the ones
/// AWS S3 answers in the same case).
fn sigv4_code(e: &SigV4Error) -> S3ErrorCode {
    use S3ErrorCode as C;
    use SigV4Error as E;
    match e {
        E::IncompleteSignature(_) => C::IncompleteSignature,
        E::MissingSecurityHeader(_) => C::MissingSecurityHeader,
        E::InvalidRequest(_) | E::DecodedLengthExceeded { .. } | E::ChunkTooLarge { .. } => {
            C::InvalidRequest
        }
        E::SignatureDoesNotMatch { .. }
        | E::ChunkSignatureMismatch
        | E::TrailerSignatureMismatch
        | E::PayloadHashMismatch => C::SignatureDoesNotMatch,
        E::InvalidAccessKeyId => C::InvalidAccessKeyId,
        E::RequestTimeTooSkewed => C::RequestTimeTooSkewed,
        // AWS answers an unsigned x-amz-* header with AccessDenied, not a signature code.
        E::Expired | E::HeaderNotSigned(_) => C::AccessDenied,
        E::ValidationError(_) => C::ValidationError,
        E::AuthorizationQueryParametersError(_) => C::AuthorizationQueryParametersError,
        E::SecurityTokenNotSupported => C::InvalidToken,
        E::IncompleteBody { .. } | E::Body(_) => C::IncompleteBody,
        E::BadDigest(_) => C::BadDigest,
    }
}

impl From<&SigV4Error> for ApiError {
    fn from(e: &SigV4Error) -> Self {
        let mut err = Self::with_message(sigv4_code(e), e.to_string());
        if let Some((canonical_request, string_to_sign)) = e.signature_details() {
            err = err
                .with_extra("StringToSign", string_to_sign)
                .with_extra("CanonicalRequest", canonical_request);
        }
        err
    }
}

impl From<SigV4Error> for ApiError {
    fn from(e: SigV4Error) -> Self {
        Self::from(&e)
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        use S3ErrorCode as C;
        match e {
            StorageError::NoSuchBucket => Self::new(C::NoSuchBucket),
            StorageError::BucketAlreadyOwnedByYou => Self::new(C::BucketAlreadyOwnedByYou),
            StorageError::BucketNotEmpty => Self::new(C::BucketNotEmpty),
            StorageError::InvalidObjectKey(e) => Self::from(e),
            StorageError::KeyCannotHoldData => Self::key_cannot_hold_data(),
            StorageError::NoSuchKey => Self::new(C::NoSuchKey),
            StorageError::NoSuchBucketPolicy => Self::new(C::NoSuchBucketPolicy),
            StorageError::NoSuchUpload => Self::new(C::NoSuchUpload),
            StorageError::PreconditionFailed => Self::new(C::PreconditionFailed),
            StorageError::InvalidRange => Self::new(C::InvalidRange),
            StorageError::BadDigest => Self::new(C::BadDigest),
            e @ StorageError::IncompleteBody { .. } => {
                Self::with_message(C::IncompleteBody, e.to_string())
            }
            StorageError::InvalidPart(m) => Self::with_message(C::InvalidPart, m),
            StorageError::InvalidPartOrder => Self::new(C::InvalidPartOrder),
            StorageError::EntityTooSmall(m) => Self::with_message(C::EntityTooSmall, m),
            StorageError::EntityTooLarge => Self::new(C::EntityTooLarge),
            StorageError::NotImplemented(what) => Self::with_message(
                C::NotImplemented,
                format!("This server's storage backend does not implement {what}."),
            ),
            StorageError::Body(source) => Self::from_body_error(&source),
            // Counted and logged, with the account, where the service answers the request.
            StorageError::QuotaExceeded { limit, max } => {
                let mut error = Self::with_message(
                    C::AccountProblem,
                    format!(
                        "Storage quota exceeded: this write would take the account past its {} \
                         limit of {max}.",
                        limit.as_str()
                    ),
                );
                error.quota_limit = Some(match limit {
                    QuotaLimit::Bytes => "max_bytes",
                    QuotaLimit::Objects => "max_objects",
                });
                error
            }
            StorageError::TooManyBuckets { max } => {
                let mut error = Self::with_message(
                    C::TooManyBuckets,
                    format!("Storage quota exceeded: the account's max-buckets limit is {max}."),
                );
                error.quota_limit = Some("max_buckets");
                error
            }
            StorageError::InsufficientStorage(reason) => {
                tracing::warn!(%reason, "write refused for lack of free space; answered 507");
                Self::new(C::InsufficientStorage)
            }
            StorageError::Io(e) if io_is_transient(e.kind()) => {
                tracing::error!(error = %e, "storage I/O failed; answered 503");
                Self::with_message(
                    C::ServiceUnavailable,
                    "The server's storage cannot take this request now; please retry later.",
                )
            }
            // The IAM conditions reach an S3 request only through a backend fault: the S3
            // operations never ask storage about IAM entities.
            e @ (StorageError::Io(_)
            | StorageError::Internal(_)
            | StorageError::NoSuchEntity(_)
            | StorageError::EntityAlreadyExists(_)
            | StorageError::DeleteConflict(_)
            | StorageError::LimitExceeded(_)) => Self::internal(&e),
        }
    }
}

impl From<RateLimited> for ApiError {
    fn from(refused: RateLimited) -> Self {
        let mut error = Self::new(S3ErrorCode::SlowDown);
        error.retry_after = Some(refused.retry_after_seconds);
        error
    }
}

/// Storage I/O failures an operator can fix or that pass by themselves (a full or read-only
/// disk, permissions, a busy or slow device): `503 ServiceUnavailable` with `Retry-After`, so
/// that clients retry. Every other kind is a server fault: `500 InternalError`.
fn io_is_transient(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        kind,
        K::StorageFull
            | K::QuotaExceeded
            | K::ReadOnlyFilesystem
            | K::PermissionDenied
            | K::ResourceBusy
            | K::TimedOut
            | K::WouldBlock
            | K::Interrupted
            | K::OutOfMemory
    )
}

/// The S3 code of a refused XML request body.
fn request_code(e: &RequestError) -> S3ErrorCode {
    use RequestError as E;
    use S3ErrorCode as C;
    match e {
        E::MissingBody => C::MissingRequestBodyError,
        E::TooLarge { .. } => C::MaxMessageLengthExceeded,
        E::Malformed(_) => C::MalformedXML,
        E::UserKeyMustBeSpecified => C::UserKeyMustBeSpecified,
        E::NoParts => C::InvalidRequest,
        E::InvalidPartOrder => C::InvalidPartOrder,
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        Self::with_message(request_code(&e), e.message())
    }
}

impl From<InvalidEncodingType> for ApiError {
    fn from(e: InvalidEncodingType) -> Self {
        Self::invalid_argument(e.message(), "encoding-type", &e.value)
    }
}

impl From<BucketNameError> for ApiError {
    fn from(e: BucketNameError) -> Self {
        use BucketNameError as E;
        let code = match e {
            E::Dot
            | E::DotDot
            | E::ContainsSlash
            | E::TooShort { .. }
            | E::TooLong { .. }
            | E::InvalidCharacter { .. }
            | E::InvalidStart
            | E::InvalidEnd
            | E::AdjacentPeriods
            | E::IpAddress
            | E::XnPrefix
            | E::S3AliasSuffix => S3ErrorCode::InvalidBucketName,
        };
        Self::with_message(code, e.to_string())
    }
}

impl From<ObjectKeyError> for ApiError {
    /// The spec answers a key that breaks a rule of section 2.1.4 with `405 MethodNotAllowed`.
    fn from(e: ObjectKeyError) -> Self {
        use ObjectKeyError as E;
        let code = match e {
            E::DotDot
            | E::LeadingDotDotSlash
            | E::TrailingSlashDotDot
            | E::ContainsSlashDotSlash
            | E::ContainsSlashDotDotSlash
            | E::ConsecutiveSlashes
            | E::Empty
            | E::TooLong { .. } => S3ErrorCode::MethodNotAllowed,
        };
        Self::with_message(code, e.to_string())
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::TooLarge { limit } => Self::with_message(
                S3ErrorCode::MaxMessageLengthExceeded,
                format!("Your request was too big: the limit is {limit} bytes."),
            ),
            ReadError::Body(source) => Self::from_body_error(&source),
        }
    }
}

impl ApiError {
    /// The error of a failed request body stream: a verifier's finding, the service's own
    /// check, or (any other source) a transport failure.
    pub fn from_body_error(error: &BoxError) -> Self {
        if let Some(e) = body::sigv4_error(error) {
            return Self::from(e);
        }
        match error.downcast_ref::<BodyCheckError>() {
            Some(BodyCheckError::DirectoryPayload) => Self::key_cannot_hold_data(),
            Some(e @ BodyCheckError::Idle(_)) => {
                Self::with_message(S3ErrorCode::RequestTimeout, e.to_string())
            }
            None => Self::with_message(
                S3ErrorCode::IncompleteBody,
                format!("The request body could not be read: {error}"),
            ),
        }
    }

    /// S4's rule that a key ending in `/` carries no data (spec: PutObject's `InvalidRequest`).
    fn key_cannot_hold_data() -> Self {
        Self::with_message(
            S3ErrorCode::InvalidRequest,
            "S4 does not allow an object whose key ends with '/' to carry data.",
        )
    }

    fn internal(detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(S3ErrorCode::InternalError)
    }
}

#[cfg(test)]
mod tests {
    use s4_sigv4::ChecksumAlgorithm;

    use super::*;

    /// One of every SigV4 error with the code and status spec 1.3.2 (or AWS, for codes outside
    /// its table) answers it with. The exhaustive `match` makes a new variant a compile error
    /// here until it is added to the list.
    fn every_sigv4_error() -> Vec<(SigV4Error, &'static str, u16)> {
        let all = vec![
            (
                SigV4Error::IncompleteSignature("m".into()),
                "IncompleteSignature",
                403,
            ),
            (
                SigV4Error::MissingSecurityHeader("m".into()),
                "MissingSecurityHeader",
                400,
            ),
            (
                SigV4Error::InvalidRequest("m".into()),
                "InvalidRequest",
                400,
            ),
            (
                SigV4Error::SignatureDoesNotMatch {
                    canonical_request: "CR".into(),
                    string_to_sign: "STS".into(),
                },
                "SignatureDoesNotMatch",
                403,
            ),
            (
                SigV4Error::ChunkSignatureMismatch,
                "SignatureDoesNotMatch",
                403,
            ),
            (
                SigV4Error::TrailerSignatureMismatch,
                "SignatureDoesNotMatch",
                403,
            ),
            (
                SigV4Error::PayloadHashMismatch,
                "SignatureDoesNotMatch",
                403,
            ),
            (SigV4Error::InvalidAccessKeyId, "InvalidAccessKeyId", 403),
            (
                SigV4Error::RequestTimeTooSkewed,
                "RequestTimeTooSkewed",
                403,
            ),
            (SigV4Error::Expired, "AccessDenied", 403),
            (
                SigV4Error::HeaderNotSigned("x-amz-meta-a".into()),
                "AccessDenied",
                403,
            ),
            (
                SigV4Error::ValidationError("m".into()),
                "ValidationError",
                400,
            ),
            (
                SigV4Error::AuthorizationQueryParametersError("m".into()),
                "AuthorizationQueryParametersError",
                400,
            ),
            (SigV4Error::SecurityTokenNotSupported, "InvalidToken", 400),
            (
                SigV4Error::IncompleteBody {
                    expected: 2,
                    received: 1,
                },
                "IncompleteBody",
                400,
            ),
            (
                SigV4Error::DecodedLengthExceeded { expected: 1 },
                "InvalidRequest",
                400,
            ),
            (
                SigV4Error::ChunkTooLarge { size: 9, max: 8 },
                "InvalidRequest",
                400,
            ),
            (
                SigV4Error::BadDigest(ChecksumAlgorithm::Crc32),
                "BadDigest",
                400,
            ),
            (SigV4Error::Body("reset".into()), "IncompleteBody", 400),
        ];
        for (e, _, _) in &all {
            match e {
                SigV4Error::IncompleteSignature(_)
                | SigV4Error::MissingSecurityHeader(_)
                | SigV4Error::InvalidRequest(_)
                | SigV4Error::SignatureDoesNotMatch { .. }
                | SigV4Error::ChunkSignatureMismatch
                | SigV4Error::TrailerSignatureMismatch
                | SigV4Error::PayloadHashMismatch
                | SigV4Error::InvalidAccessKeyId
                | SigV4Error::RequestTimeTooSkewed
                | SigV4Error::Expired
                | SigV4Error::HeaderNotSigned(_)
                | SigV4Error::ValidationError(_)
                | SigV4Error::AuthorizationQueryParametersError(_)
                | SigV4Error::SecurityTokenNotSupported
                | SigV4Error::IncompleteBody { .. }
                | SigV4Error::DecodedLengthExceeded { .. }
                | SigV4Error::ChunkTooLarge { .. }
                | SigV4Error::BadDigest(_)
                | SigV4Error::Body(_) => {}
            }
        }
        all
    }

    #[test]
    fn every_sigv4_error_has_its_code_status_and_message() {
        for (e, code, status) in every_sigv4_error() {
            let api = ApiError::from(&e);
            assert_eq!(
                (api.code.as_str(), api.http_status()),
                (code, status),
                "{e:?}"
            );
            // The code name the library documents for its own users says the same.
            assert_eq!(e.s3_code(), code, "{e:?}");
            assert_eq!(api.message, e.to_string());
        }
    }

    #[test]
    fn a_signature_mismatch_shows_what_the_server_signed() {
        let e = SigV4Error::SignatureDoesNotMatch {
            canonical_request: "CR".into(),
            string_to_sign: "STS".into(),
        };
        let api = ApiError::from(&e);
        assert!(api.extra.contains(&("StringToSign".into(), "STS".into())));
        assert!(api
            .extra
            .contains(&("CanonicalRequest".into(), "CR".into())));
        assert!(ApiError::from(SigV4Error::Expired).extra.is_empty());
    }

    #[test]
    fn every_xml_request_error_has_its_code_and_aws_message() {
        let all = [
            RequestError::MissingBody,
            RequestError::TooLarge { len: 2, limit: 1 },
            RequestError::Malformed("unclosed <Delete>".into()),
            RequestError::UserKeyMustBeSpecified,
            RequestError::NoParts,
            RequestError::InvalidPartOrder,
        ];
        let codes = [
            S3ErrorCode::MissingRequestBodyError,
            S3ErrorCode::MaxMessageLengthExceeded,
            S3ErrorCode::MalformedXML,
            S3ErrorCode::UserKeyMustBeSpecified,
            S3ErrorCode::InvalidRequest,
            S3ErrorCode::InvalidPartOrder,
        ];
        for (e, code) in all.into_iter().zip(codes) {
            let api = ApiError::from(e.clone());
            assert_eq!(api.code, code, "{e:?}");
            assert_eq!(api.code.as_str(), e.code(), "{e:?}");
            assert_eq!(api.http_status(), 400);
            assert_eq!(api.message, e.message());
        }
    }

    #[test]
    fn a_bad_encoding_type_names_the_argument() {
        let api = ApiError::from(InvalidEncodingType {
            value: "base64".into(),
        });
        assert_eq!(
            (api.code, api.http_status()),
            (S3ErrorCode::InvalidArgument, 400)
        );
        assert_eq!(api.message, "Invalid Encoding Method specified in Request");
        assert_eq!(
            api.extra,
            [
                ("ArgumentName".to_owned(), "encoding-type".to_owned()),
                ("ArgumentValue".to_owned(), "base64".to_owned())
            ]
        );
    }

    #[test]
    fn storage_errors_map_to_their_codes() {
        use S3ErrorCode as C;
        let cases = [
            (StorageError::NoSuchBucket, C::NoSuchBucket),
            (
                StorageError::BucketAlreadyOwnedByYou,
                C::BucketAlreadyOwnedByYou,
            ),
            (StorageError::BucketNotEmpty, C::BucketNotEmpty),
            (
                StorageError::InvalidObjectKey(ObjectKeyError::DotDot),
                C::MethodNotAllowed,
            ),
            (StorageError::KeyCannotHoldData, C::InvalidRequest),
            (StorageError::NoSuchKey, C::NoSuchKey),
            (StorageError::NoSuchBucketPolicy, C::NoSuchBucketPolicy),
            (StorageError::NoSuchUpload, C::NoSuchUpload),
            (StorageError::PreconditionFailed, C::PreconditionFailed),
            (StorageError::InvalidRange, C::InvalidRange),
            (StorageError::BadDigest, C::BadDigest),
            (
                StorageError::IncompleteBody {
                    expected: 2,
                    received: 1,
                },
                C::IncompleteBody,
            ),
            (StorageError::InvalidPart("part 2".into()), C::InvalidPart),
            (StorageError::InvalidPartOrder, C::InvalidPartOrder),
            (
                StorageError::EntityTooSmall("part 1".into()),
                C::EntityTooSmall,
            ),
            (StorageError::EntityTooLarge, C::EntityTooLarge),
            (StorageError::NoSuchEntity("u".into()), C::InternalError),
            (
                StorageError::EntityAlreadyExists("u".into()),
                C::InternalError,
            ),
            (StorageError::DeleteConflict("u".into()), C::InternalError),
            (StorageError::LimitExceeded("u".into()), C::InternalError),
            (StorageError::NotImplemented("policies"), C::NotImplemented),
            (
                StorageError::Body(Box::new(SigV4Error::PayloadHashMismatch)),
                C::SignatureDoesNotMatch,
            ),
            (
                StorageError::Io(std::io::ErrorKind::StorageFull.into()),
                C::ServiceUnavailable,
            ),
            (
                StorageError::Io(std::io::ErrorKind::InvalidData.into()),
                C::InternalError,
            ),
            (StorageError::Internal("boom".into()), C::InternalError),
            (
                StorageError::InsufficientStorage("disk full".into()),
                C::InsufficientStorage,
            ),
            (
                StorageError::QuotaExceeded {
                    limit: s4_storage::quota::QuotaLimit::Bytes,
                    max: 10,
                },
                C::AccountProblem,
            ),
            (StorageError::TooManyBuckets { max: 1 }, C::TooManyBuckets),
        ];
        for (e, code) in cases {
            let shown = format!("{e:?}");
            assert_eq!(ApiError::from(e).code, code, "{shown}");
        }
        let api = ApiError::from(StorageError::InvalidPart("part 2 is missing".into()));
        assert_eq!(api.message, "part 2 is missing");
        let api = ApiError::from(StorageError::QuotaExceeded {
            limit: s4_storage::quota::QuotaLimit::Objects,
            max: 3,
        });
        assert_eq!(
            api.message,
            "Storage quota exceeded: this write would take the account past its max-objects \
             limit of 3."
        );
        assert_eq!(api.quota_limit, Some("max_objects"));
        let api = ApiError::from(StorageError::TooManyBuckets { max: 1 });
        assert_eq!(api.quota_limit, Some("max_buckets"));
        let api = ApiError::from(StorageError::KeyCannotHoldData);
        assert_eq!(
            api.message,
            "S4 does not allow an object whose key ends with '/' to carry data."
        );
    }

    #[test]
    fn naming_errors_carry_the_rule_that_failed() {
        let api = ApiError::from(BucketNameError::TooShort { len: 2 });
        assert_eq!(
            (api.code, api.http_status()),
            (S3ErrorCode::InvalidBucketName, 400)
        );
        assert_eq!(
            api.message,
            BucketNameError::TooShort { len: 2 }.to_string()
        );
        let api = ApiError::from(ObjectKeyError::ConsecutiveSlashes);
        assert_eq!(
            (api.code, api.http_status()),
            (S3ErrorCode::MethodNotAllowed, 405)
        );
        assert_eq!(api.message, ObjectKeyError::ConsecutiveSlashes.to_string());
    }

    #[test]
    fn body_errors_map_by_their_source() {
        let too_large = ApiError::from(ReadError::TooLarge { limit: 10 });
        assert_eq!(too_large.code, S3ErrorCode::MaxMessageLengthExceeded);
        assert_eq!(
            too_large.message,
            "Your request was too big: the limit is 10 bytes."
        );
        let directory: BoxError = Box::new(BodyCheckError::DirectoryPayload);
        assert_eq!(
            ApiError::from(ReadError::Body(directory)).code,
            S3ErrorCode::InvalidRequest
        );
        let reset: BoxError = "connection reset".into();
        let api = ApiError::from_body_error(&reset);
        assert_eq!(api.code, S3ErrorCode::IncompleteBody);
        assert_eq!(
            api.message,
            "The request body could not be read: connection reset"
        );
    }
}
