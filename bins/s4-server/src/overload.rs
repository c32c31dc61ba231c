//! Hostile input and overload, answered before the S3 pipeline:
//!
//! - a request target longer than `max_uri_bytes` is `400 InvalidURI`; a header block over
//!   `max_header_bytes` or `max_header_count` is `400 RequestHeaderSectionTooLarge` — both
//!   before authentication and before any body byte is read;
//! - past `max_requests` requests in flight, a request is answered `503 ServiceUnavailable`
//!   with `Retry-After: 1` at once instead of queuing; the slot is held until the response
//!   body is finished, so streaming GETs count too;
//! - every request body goes through [`IdleTimeoutBody`]: no byte for `body_idle_timeout`
//!   fails the body, the backend discards the partial upload, and the client gets
//!   `400 RequestTimeout`;
//! - past `max_connections` open connections, a new connection gets a canned
//!   `503 ServiceUnavailable` and is closed ([`refuse_connection`]).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::service::Service;
use hyper::{Request, Response};
use s4_service::body::IdleTimeoutBody;
use s4_service::response::{error_response, ApiError};
use s4_service::{ResponseBody, S3ErrorCode, S4Service};
use s4_storage::{IdentityStore, ObjectStore};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Semaphore;

use crate::limits::ServerLimits;

/// What clients are told to wait before retrying a refused request.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// The S4 service behind the request limits.
pub struct Guard<O: ObjectStore, I: IdentityStore> {
    inner: S4Service<O, I>,
    limits: Arc<ServerLimits>,
    requests: Arc<Semaphore>,
}

impl<O: ObjectStore, I: IdentityStore> Clone for Guard<O, I> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            limits: Arc::clone(&self.limits),
            requests: Arc::clone(&self.requests),
        }
    }
}

impl<O: ObjectStore, I: IdentityStore> std::fmt::Debug for Guard<O, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("limits", &self.limits)
            .field("free_request_slots", &self.requests.available_permits())
            .finish_non_exhaustive()
    }
}

impl<O: ObjectStore, I: IdentityStore> Guard<O, I> {
    pub fn new(inner: S4Service<O, I>, limits: &ServerLimits) -> Self {
        Self {
            inner,
            requests: Arc::new(Semaphore::new(limits.max_requests)),
            limits: Arc::new(limits.clone()),
        }
    }
}

/// The S3 error for a request head over the limits, if it is.
pub fn check_head<B>(request: &Request<B>, limits: &ServerLimits) -> Option<ApiError> {
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if target > limits.max_uri_bytes {
        return Some(ApiError::with_message(
            S3ErrorCode::InvalidURI,
            format!(
                "The request URI is {target} bytes long; the limit is {} bytes.",
                limits.max_uri_bytes
            ),
        ));
    }
    let headers = request.headers();
    if headers.len() > limits.max_header_count {
        return Some(ApiError::with_message(
            S3ErrorCode::RequestHeaderSectionTooLarge,
            format!(
                "The request has {} header fields; the limit is {}.",
                headers.len(),
                limits.max_header_count
            ),
        ));
    }
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if bytes > limits.max_header_bytes {
        return Some(ApiError::with_message(
            S3ErrorCode::RequestHeaderSectionTooLarge,
            format!(
                "The request header section is {bytes} bytes; the limit is {} bytes.",
                limits.max_header_bytes
            ),
        ));
    }
    None
}

fn refusal(error: &ApiError, resource: &str, head: bool) -> Response<ResponseBody> {
    let mut response = error_response(error, resource, "0000000000000000", head);
    if error.code == S3ErrorCode::ServiceUnavailable {
        response.headers_mut().insert(
            hyper::header::RETRY_AFTER,
            hyper::header::HeaderValue::from(RETRY_AFTER_SECONDS),
        );
    }
    // The rest of this request is not read: the connection cannot be reused.
    response.headers_mut().insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
    response
}

impl<O: ObjectStore, I: IdentityStore> Service<Request<Incoming>> for Guard<O, I> {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let head = request.method() == hyper::Method::HEAD;
        // Only refusals name the resource; a served request does not pay for the copy.
        let resource = || request.uri().path().to_owned();
        if let Some(error) = check_head(&request, &self.limits) {
            let resource = resource();
            tracing::info!(code = error.code.as_str(), %resource, "request head refused");
            self.inner.metrics().record_rejected("request_head");
            return Box::pin(async move { Ok(refusal(&error, &resource, head)) });
        }
        let Ok(permit) = Arc::clone(&self.requests).try_acquire_owned() else {
            let resource = resource();
            tracing::warn!(%resource, "overloaded: request refused with 503");
            self.inner.metrics().record_rejected("max_requests");
            let error = ApiError::new(S3ErrorCode::ServiceUnavailable);
            return Box::pin(async move { Ok(refusal(&error, &resource, head)) });
        };
        let idle = self.limits.body_idle_timeout;
        let inner = self.inner.clone();
        Box::pin(async move {
            let request = request.map(|body| IdleTimeoutBody::new(body, idle));
            let response = inner.handle(request).await;
            // The slot is released when the response body is done or dropped.
            Ok(response.map(move |body| {
                body.map_frame(move |frame| {
                    let _held = &permit;
                    frame
                })
                .boxed_unsync()
            }))
        })
    }
}

/// The answer to a connection beyond `max_connections`: written without reading the request,
/// then the connection is closed. Bounded in time so a peer that never reads cannot keep it.
pub async fn refuse_connection(mut stream: tokio::net::TcpStream) {
    const BODY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>ServiceUnavailable</Code><Message>Please reduce your request rate.</Message></Error>";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/xml\r\n\
         retry-after: {RETRY_AFTER_SECONDS}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_over_the_limits_are_refused_with_s3_codes() {
        let limits = ServerLimits {
            max_uri_bytes: 20,
            max_header_bytes: 64,
            max_header_count: 3,
            ..ServerLimits::default()
        };
        let ok = Request::get("/bucket/key")
            .header("host", "x")
            .body(())
            .unwrap();
        assert!(check_head(&ok, &limits).is_none());
        let long = Request::get("/bucket/a-key-that-is-too-long")
            .body(())
            .unwrap();
        assert_eq!(
            check_head(&long, &limits).unwrap().code,
            S3ErrorCode::InvalidURI
        );
        let many = Request::get("/b")
            .header("a", "1")
            .header("b", "2")
            .header("c", "3")
            .header("d", "4")
            .body(())
            .unwrap();
        assert_eq!(
            check_head(&many, &limits).unwrap().code,
            S3ErrorCode::RequestHeaderSectionTooLarge
        );
        let big = Request::get("/b")
            .header("x-amz-meta-a", "v".repeat(60))
            .body(())
            .unwrap();
        let error = check_head(&big, &limits).unwrap();
        assert_eq!(error.code, S3ErrorCode::RequestHeaderSectionTooLarge);
        assert_eq!(error.http_status(), 400);
    }
}
