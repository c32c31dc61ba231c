//! Errors as the service answers them: one mapping from every error source (storage, SigV4,
//! XML parsers, naming rules) to an [`S3ErrorCode`] and message, the `<Error>` document, and
//! the helpers every response shares.

use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Response, StatusCode};
use s4_naming::{BucketNameError, ObjectKeyError};
use s4_s3_xml::{ErrorDocument, InvalidEncodingType, RequestError, XmlDocument};
use s4_sigv4::SigV4Error;
use s4_storage::{BoxError, StorageError};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::body::{self, BodyCheckError, ReadError, ResponseBody};
use crate::error_code::S3ErrorCode;

/// An S3 error on its way to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: S3ErrorCode,
    pub message: String,
    /// Extra elements of the `<Error>` document (`StringToSign`, `ArgumentName`, ...).
    pub extra: Vec<(String, String)>,
    /// A status other than the code's usual one, where the spec gives a different status for
    /// one use of a code (UploadPartCopy's missing source is `NoSuchKey` with 400).
    pub status: Option<u16>,
}

impl ApiError {
    /// The code with its default message.
    pub fn new(code: S3ErrorCode) -> Self {
        Self::with_message(code, code.default_message())
    }

    pub fn with_message(code: S3ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            extra: Vec::new(),
            status: None,
        }
    }

    /// The same error answered with `status` instead of the code's usual status.
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The HTTP status this error is answered with.
    pub fn http_status(&self) -> u16 {
        self.status.unwrap_or_else(|| self.code.status())
    }

    #[must_use]
    pub fn with_extra(mut self, name: &str, text: impl Into<String>) -> Self {
        self.extra.push((name.to_owned(), text.into()));
        self
    }

    /// `InvalidArgument` naming the offending argument, as AWS answers it.
    pub fn invalid_argument(message: impl Into<String>, name: &str, value: &str) -> Self {
        Self::with_message(S3ErrorCode::InvalidArgument, message)
            .with_extra("ArgumentName", name)
            .with_extra("ArgumentValue", value)
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

    /// The error of a failed request body stream: a verifier's finding or a transport failure.
    pub fn from_body_error(error: &BoxError) -> Self {
        if let Some(e) = body::sigv4_error(error) {
            return Self::from(e);
        }
        match error.downcast_ref::<BodyCheckError>() {
            Some(BodyCheckError::DirectoryPayload) => return Self::key_cannot_hold_data(),
            Some(e @ BodyCheckError::Idle(_)) => {
                return Self::with_message(S3ErrorCode::RequestTimeout, e.to_string());
            }
            None => {}
        }
        Self::with_message(
            S3ErrorCode::IncompleteBody,
            format!("The request body could not be read: {error}"),
        )
    }
}

impl From<&SigV4Error> for ApiError {
    fn from(e: &SigV4Error) -> Self {
        let code = S3ErrorCode::from_code(e.s3_code()).unwrap_or(S3ErrorCode::InvalidRequest);
        let mut err = Self::with_message(code, e.to_string());
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
            other => Self::internal(&other),
        }
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

/// Seconds a client is told to wait after a `503 ServiceUnavailable` or a
/// `507 InsufficientStorage`.
pub const RETRY_AFTER_SECONDS: u32 = 1;

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        let code = S3ErrorCode::from_code(e.code()).unwrap_or(S3ErrorCode::MalformedXML);
        Self::with_message(code, e.message())
    }
}

impl From<InvalidEncodingType> for ApiError {
    fn from(e: InvalidEncodingType) -> Self {
        Self::invalid_argument(e.message(), "encoding-type", &e.value)
    }
}

impl From<BucketNameError> for ApiError {
    fn from(e: BucketNameError) -> Self {
        Self::with_message(S3ErrorCode::InvalidBucketName, e.to_string())
    }
}

impl From<ObjectKeyError> for ApiError {
    fn from(e: ObjectKeyError) -> Self {
        Self::with_message(S3ErrorCode::MethodNotAllowed, e.to_string())
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

/// The `<Error>` response. HEAD responses and 304 carry no body.
pub fn error_response(
    error: &ApiError,
    resource: &str,
    request_id: &str,
    head: bool,
) -> Response<ResponseBody> {
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if head || status == StatusCode::NOT_MODIFIED {
        let mut response = Response::new(body::empty());
        *response.status_mut() = status;
        response
    } else {
        let mut doc = ErrorDocument::new(error.code.as_str(), error.message.clone())
            .with_resource(resource)
            .with_request_id(request_id);
        doc.extra.clone_from(&error.extra);
        xml_response(status, &doc)
    };
    // A full disk (507) clears once the operator frees space: the same hint as an overload.
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::INSUFFICIENT_STORAGE {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(RETRY_AFTER_SECONDS));
    }
    response
}

/// A 200-style response carrying an XML document.
pub fn xml_response(status: StatusCode, doc: &dyn XmlDocument) -> Response<ResponseBody> {
    let bytes = doc.to_xml();
    let len = bytes.len();
    let mut response = Response::new(body::full(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

/// An IAM `<ErrorResponse>`, for requests routed to IAM before the IAM API exists.
pub fn iam_error_response(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<ResponseBody> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(s4_s3_xml::XML_DECLARATION.as_bytes());
    out.extend_from_slice(
        b"<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>",
    );
    s4_s3_xml::escape_text(&mut out, code);
    out.extend_from_slice(b"</Code><Message>");
    s4_s3_xml::escape_text(&mut out, message);
    out.extend_from_slice(b"</Message></Error><RequestId>");
    s4_s3_xml::escape_text(&mut out, request_id);
    out.extend_from_slice(b"</RequestId></ErrorResponse>");
    let len = out.len();
    let mut response = Response::new(body::full(out));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

const HTTP_DATE: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// `Last-Modified` form: `Wed, 21 Oct 2015 07:28:00 GMT`.
pub fn http_date(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(HTTP_DATE)
        .unwrap_or_default()
}

/// Parses an HTTP date in any of RFC 7231's forms or RFC 2822's (`If-Modified-Since` and
/// friends; the same parser as the `Date` header's); `None` when malformed, which callers
/// treat as an absent condition, as HTTP says.
pub fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    s4_sigv4::parse_http_date(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn http_dates_round_trip() {
        let t = datetime!(2015-10-21 07:28:00 UTC);
        assert_eq!(http_date(t), "Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"), Some(t));
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn sigv4_codes_map_to_the_table_with_the_same_status() {
        let cases = [
            SigV4Error::RequestTimeTooSkewed,
            SigV4Error::Expired,
            SigV4Error::SecurityTokenNotSupported,
            SigV4Error::PayloadHashMismatch,
            SigV4Error::InvalidAccessKeyId,
            SigV4Error::IncompleteBody {
                expected: 2,
                received: 1,
            },
        ];
        for e in cases {
            let api = ApiError::from(&e);
            assert_eq!(api.code.as_str(), e.s3_code());
            assert_eq!(api.code.status(), e.http_status(), "{e:?}");
        }
        let e = SigV4Error::SignatureDoesNotMatch {
            canonical_request: "CR".into(),
            string_to_sign: "STS".into(),
        };
        let api = ApiError::from(&e);
        assert_eq!(api.code, S3ErrorCode::SignatureDoesNotMatch);
        assert!(api.extra.contains(&("StringToSign".into(), "STS".into())));
        assert!(api
            .extra
            .contains(&("CanonicalRequest".into(), "CR".into())));
    }

    #[test]
    fn storage_errors_map() {
        assert_eq!(
            ApiError::from(StorageError::NoSuchKey).code,
            S3ErrorCode::NoSuchKey
        );
        assert_eq!(
            ApiError::from(StorageError::Internal("boom".into())).code,
            S3ErrorCode::InternalError
        );
        let full = ApiError::from(StorageError::InsufficientStorage("disk full".into()));
        assert_eq!(full.code, S3ErrorCode::InsufficientStorage);
        let r = error_response(&full, "/b/k", "id", false);
        assert_eq!(r.status(), 507);
        assert_eq!(r.headers()["retry-after"], "1");
        let body = StorageError::Body(Box::new(SigV4Error::PayloadHashMismatch));
        assert_eq!(
            ApiError::from(body).code,
            S3ErrorCode::SignatureDoesNotMatch
        );
    }

    #[test]
    fn status_override_changes_only_the_status() {
        let e = ApiError::new(S3ErrorCode::NoSuchKey).with_status(400);
        assert_eq!(e.http_status(), 400);
        let r = error_response(&e, "/b/k", "id", false);
        assert_eq!(r.status(), 400);
        assert_eq!(ApiError::new(S3ErrorCode::NoSuchKey).http_status(), 404);
    }

    #[test]
    fn head_errors_have_no_body() {
        let r = error_response(&ApiError::new(S3ErrorCode::NoSuchKey), "/b/k", "id", true);
        assert_eq!(r.status(), 404);
        assert!(r.headers().get(CONTENT_TYPE).is_none());
    }
}
