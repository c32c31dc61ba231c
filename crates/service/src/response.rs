//! Errors as the service answers them ([`ApiError`], built from library errors in
//! [`wire`](crate::wire)), the `<Error>` document, and the helpers every response shares.

use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Response, StatusCode};
use s4_s3_xml::{ErrorDocument, XmlDocument};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::body::{self, ResponseBody};
use crate::error_code::S3ErrorCode;

/// An S3 error on its way to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The `<Code>`; its status is the answer's unless `status` overrides it.
    pub code: S3ErrorCode,
    /// The `<Message>`.
    pub message: String,
    /// Extra elements of the `<Error>` document (`StringToSign`, `ArgumentName`, ...).
    pub extra: Vec<(String, String)>,
    /// A status other than the code's usual one, where the spec gives a different status for
    /// one use of a code (UploadPartCopy's missing source is `NoSuchKey` with 400).
    pub status: Option<u16>,
    /// `Retry-After` seconds of a 503 or 507 other than [`RETRY_AFTER_SECONDS`] (a
    /// `SlowDown` says when the account's next token is available).
    pub retry_after: Option<u32>,
    /// The storage-quota limit that refused the write (`max_bytes`, `max_objects`,
    /// `max_buckets`): the service, which knows the account, counts and logs the refusal.
    pub quota_limit: Option<&'static str>,
}

impl ApiError {
    /// The code with its default message.
    pub fn new(code: S3ErrorCode) -> Self {
        Self::with_message(code, code.default_message())
    }

    /// The code with a message of the caller's.
    pub fn with_message(code: S3ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            extra: Vec::new(),
            status: None,
            retry_after: None,
            quota_limit: None,
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

    /// The same error with one more element in its `<Error>` document.
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
}

/// Seconds a client is told to wait after a `503 ServiceUnavailable` or a
/// `507 InsufficientStorage`.
pub const RETRY_AFTER_SECONDS: u32 = 1;

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
        response.headers_mut().insert(
            "retry-after",
            HeaderValue::from(error.retry_after.unwrap_or(RETRY_AFTER_SECONDS)),
        );
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
    fn status_override_changes_only_the_status() {
        let e = ApiError::new(S3ErrorCode::NoSuchKey).with_status(400);
        assert_eq!(e.http_status(), 400);
        let r = error_response(&e, "/b/k", "id", false);
        assert_eq!(r.status(), 400);
        assert_eq!(ApiError::new(S3ErrorCode::NoSuchKey).http_status(), 404);
    }

    #[test]
    fn a_full_disk_is_a_507_with_retry_after() {
        let full = ApiError::new(S3ErrorCode::InsufficientStorage);
        let r = error_response(&full, "/b/k", "id", false);
        assert_eq!(r.status(), 507);
        assert_eq!(r.headers()["retry-after"], "1");
    }

    #[test]
    fn head_errors_have_no_body() {
        let r = error_response(&ApiError::new(S3ErrorCode::NoSuchKey), "/b/k", "id", true);
        assert_eq!(r.status(), 404);
        assert!(r.headers().get(CONTENT_TYPE).is_none());
    }
}
