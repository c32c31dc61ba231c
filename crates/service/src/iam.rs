//! The IAM API over HTTP: authenticate, read the form, parse with `s4-iam-query`, execute
//! with `s4-iam`, answer the IAM XML documents.
//!
//! IAM requests are small form-encoded POSTs (or GETs with a query string) that usually carry
//! no `x-amz-content-sha256` (botocore and the AWS SDKs send it for S3 only). So:
//!
//! 1. The access key is looked up first ([`crate::auth::look_up_key`], the authenticator
//!    S3 requests use too): an unknown or inactive key is refused (`InvalidAccessKeyId`)
//!    before any of the body is read. Keys are read from the [`IdentityStore`] on every
//!    request, never cached, so a status change applies to the next request.
//! 2. The body is read, bounded by [`ParseOptions::body_limit`] (64 KiB,
//!    `RequestEntityTooLarge` beyond), within the deadline and the in-flight caps of
//!    [`crate::pre_auth`] (`RequestTimeout`, `ServiceUnavailable`).
//! 3. When the request declares no payload hash, the body's SHA-256 is supplied to the
//!    verifier ([`crate::auth::KnownKey::with_body_sha256`]), so the signature covers the body
//!    either way; a declared hash must match the body. `UNSIGNED-PAYLOAD` and the
//!    `STREAMING-*` modes are S3-only and refused before anything else
//!    (`check_payload_declaration`).
//!    Once the signature is verified, the account is charged one token of its request-rate
//!    limit ([`crate::rate_limit`]): past it the answer is `Throttling` (AWS IAM's code, which
//!    SDKs retry) with `Retry-After`.
//! 4. `IamRequest::from_query_and_form` (POST) or `from_query` (GET), then
//!    [`s4_iam::execute_in_context`], which authorizes with the policy engine, given the
//!    request's condition keys ([`crate::authz::request_keys`]).
//!
//! Every error, authentication included, is an IAM `<ErrorResponse>` with the request ID;
//! the caller adds the `x-amz-request-id` header.

use std::net::SocketAddr;

use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt;
use hyper::body::Bytes;
use s4_iam_query::{IamError, IamErrorCode, IamRequest, ParseOptions, QueryParams};
use s4_sigv4::{ParsedRequest, PayloadMode, SigV4Error, SigningKeyCache};
use s4_storage::{BoxError, IdentityStore};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::auth::{look_up_key, AuthError, Principal};
use crate::body::{self, ResponseBody};
use crate::connection::ConnectionInfo;
use crate::pre_auth::PreAuthGate;
use crate::rate_limit::RateLimiter;

/// What serving an IAM request produced, for the response and the access log.
pub(crate) struct Served {
    pub response: Response<ResponseBody>,
    /// `None` when authentication failed.
    pub principal: Option<Principal>,
    /// The IAM action, once the request parsed.
    pub action: Option<&'static str>,
    /// The error code of a failed request, for the access log.
    pub error_code: Option<&'static str>,
    /// The `Retry-After` seconds of a request refused for its account's rate.
    pub retry_after: Option<u32>,
}

/// Serves one request routed to IAM. `parsed` is the SigV4 parse of the request (an error
/// is answered IAM-shaped); `limits` bound what is read before authentication and how many
/// requests an account may make.
pub(crate) async fn serve<I, B>(
    identity: &I,
    keys: &SigningKeyCache,
    limits: (&PreAuthGate, &RateLimiter),
    parts: &Parts,
    body: B,
    parsed: Result<Option<ParsedRequest>, SigV4Error>,
    request_id: &str,
) -> Served
where
    I: IdentityStore,
    B: Body<Data = Bytes> + Send,
    B::Error: Into<BoxError>,
{
    let mut served = Served {
        response: Response::new(body::empty()),
        principal: None,
        action: None,
        error_code: None,
        retry_after: None,
    };
    let outcome = run(identity, keys, limits, parts, body, parsed, &mut served).await;
    served.response = match outcome {
        Ok(response) => xml_response(200, response.to_xml(request_id)),
        Err(error) => {
            tracing::debug!(
                code = error.code().as_str(),
                message = error.message(),
                "IAM request failed"
            );
            served.error_code = Some(error.code().as_str());
            let mut response = xml_response(error.status(), error.to_xml(request_id));
            if matches!(
                error.code(),
                IamErrorCode::ServiceUnavailable | IamErrorCode::RequestTimeout
            ) {
                // The body was not read (or not in full): the connection cannot be reused.
                let headers = response.headers_mut();
                headers.insert(http::header::CONNECTION, HeaderValue::from_static("close"));
                if error.code() == IamErrorCode::ServiceUnavailable {
                    headers.insert(http::header::RETRY_AFTER, HeaderValue::from(1u32));
                }
            }
            if let Some(seconds) = served.retry_after {
                response
                    .headers_mut()
                    .insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    };
    served
}

async fn run<I, B>(
    identity: &I,
    keys: &SigningKeyCache,
    (gate, rate_limiter): (&PreAuthGate, &RateLimiter),
    parts: &Parts,
    body: B,
    parsed: Result<Option<ParsedRequest>, SigV4Error>,
    served: &mut Served,
) -> Result<s4_iam_query::IamResponse, IamError>
where
    I: IdentityStore,
    B: Body<Data = Bytes> + Send,
    B::Error: Into<BoxError>,
{
    let options = ParseOptions::default();
    check_payload_declaration(&parts.headers)?;
    let Some(parsed) = parsed.map_err(|e| sigv4_error(&e))? else {
        return Err(IamError::new(
            IamErrorCode::AccessDenied,
            "Anonymous requests are not allowed by IAM: sign the request with an access key.",
        ));
    };
    let now = OffsetDateTime::now_utc();
    let connection = parts.extensions.get::<ConnectionInfo>().map(|c| c.peer);
    let reader = BodyReader {
        gate,
        connection,
        limit: options.body_limit,
    };
    let (principal, form) = authenticate(identity, keys, parsed, body, &reader, now).await?;
    served.principal = Some(principal.clone());
    // Charged once the signature is verified (an IAM signature covers the body, read above
    // within the pre-authentication bounds): a key ID alone, which is no secret, must not be
    // able to spend an account's requests.
    if let Some(account) = principal.account() {
        rate_limiter.admit(account).map_err(|refused| {
            served.retry_after = Some(refused.retry_after_seconds);
            IamError::new(IamErrorCode::Throttling, "Rate exceeded")
        })?;
    }
    // A verified signature always names a root or a user; refused rather than assumed.
    let caller = principal.caller().ok_or_else(|| {
        IamError::new(
            IamErrorCode::AccessDenied,
            "Anonymous requests are not allowed.",
        )
    })?;
    let query = parts.uri.query().unwrap_or("");
    let request = if parts.method == Method::POST {
        check_content_type(parts, &form)?;
        IamRequest::from_query_and_form(query, &form, &options)?
    } else if parts.method == Method::GET {
        IamRequest::from_query(query, &options)?
    } else {
        return Err(IamError::new(
            IamErrorCode::InvalidRequest,
            format!("IAM accepts GET and POST requests, not {}.", parts.method),
        ));
    };
    served.action = Some(request.action().as_str());
    // The same condition keys as S3 requests (source address, TLS, time, user agent).
    let conditions = crate::authz::request_keys(parts, now);
    s4_iam::execute_in_context(
        identity,
        &s4_iam::Limits::default(),
        &caller,
        request,
        now,
        &conditions,
    )
    .await
}

/// How the body of a request not yet authenticated is read: admitted by the gate, within
/// the deadline, at most `limit` bytes.
struct BodyReader<'g> {
    gate: &'g PreAuthGate,
    connection: Option<SocketAddr>,
    limit: usize,
}

impl BodyReader<'_> {
    async fn read<B>(&self, access_key_id: &str, body: B) -> Result<Vec<u8>, IamError>
    where
        B: Body<Data = Bytes> + Send,
        B::Error: Into<BoxError>,
    {
        let _permit = self
            .gate
            .admit(access_key_id, self.connection)
            .map_err(|refusal| {
                tracing::warn!(
                    ?refusal,
                    limits = ?self.gate.limits(),
                    "unauthenticated body refused: too many in flight"
                );
                IamError::new(
                    IamErrorCode::ServiceUnavailable,
                    "Too many requests are waiting for their bodies; please retry.",
                )
            })?;
        let deadline = self.gate.limits().body_deadline;
        tokio::time::timeout(deadline, read_body(body, self.limit))
            .await
            .unwrap_or_else(|_| {
                tracing::info!(?deadline, "unauthenticated body cut at the deadline");
                Err(IamError::new(
                    IamErrorCode::RequestTimeout,
                    format!(
                        "The request body did not arrive within {} seconds.",
                        deadline.as_secs_f64()
                    ),
                ))
            })
    }
}

/// Authenticates with the one authenticator of [`crate::auth`]: looks the key up, reads the
/// bounded body, verifies the signature over it and returns the principal with the body.
async fn authenticate<I, B>(
    identity: &I,
    keys: &SigningKeyCache,
    parsed: ParsedRequest,
    body: B,
    reader: &BodyReader<'_>,
    now: OffsetDateTime,
) -> Result<(Principal, Vec<u8>), IamError>
where
    I: IdentityStore,
    B: Body<Data = Bytes> + Send,
    B::Error: Into<BoxError>,
{
    let key = look_up_key(parsed, identity).await.map_err(|e| match e {
        AuthError::Signature(e) => sigv4_error(&e),
        AuthError::Store(e) => {
            tracing::error!(error = %e, "access key lookup failed");
            IamError::new(
                IamErrorCode::InternalFailure,
                "We encountered an internal error. Please try again.",
            )
        }
    })?;
    let form = reader.read(key.access_key_id(), body).await?;
    let digest: [u8; 32] = Sha256::digest(&form).into();
    let authenticated = key
        .with_body_sha256(digest)
        .verify(now, keys)
        .map_err(|e| sigv4_error(&e))?;
    match authenticated.payload {
        PayloadMode::Sha256(declared) if declared != digest => {
            return Err(IamError::new(
                IamErrorCode::InvalidRequest,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ))
        }
        PayloadMode::Sha256(_) => {}
        // Refused before the body was read (check_payload_declaration); kept exhaustive so
        // that no unsigned mode can slip through a later change.
        _ => {
            return Err(IamError::new(
                IamErrorCode::InvalidRequest,
                "IAM requests must sign their body.",
            ))
        }
    }
    Ok((authenticated.principal, form))
}

/// IAM signs its body: `x-amz-content-sha256`, when sent, must be the hex SHA-256 of the
/// body. `UNSIGNED-PAYLOAD` (which would leave the form, the action and its parameters, out
/// of the signature, so that a captured request could be replayed with any other body) and
/// every `STREAMING-*` mode are S3-only; they are refused before the signature is parsed
/// and before any body byte is read.
fn check_payload_declaration(headers: &http::HeaderMap) -> Result<(), IamError> {
    let Some(value) = headers.get("x-amz-content-sha256") else {
        return Ok(());
    };
    let value = value.as_bytes().trim_ascii();
    if value == s4_sigv4::UNSIGNED_PAYLOAD.as_bytes() || value.starts_with(b"STREAMING-") {
        return Err(IamError::new(
            IamErrorCode::InvalidRequest,
            format!(
                "IAM requests must sign their body: x-amz-content-sha256 must be the hex SHA-256 of the body, not {}.",
                String::from_utf8_lossy(value)
            ),
        ));
    }
    Ok(())
}

/// Reads the whole body, refusing (`RequestEntityTooLarge`, 413) as soon as it exceeds
/// `limit` bytes.
async fn read_body<B>(body: B, limit: usize) -> Result<Vec<u8>, IamError>
where
    B: Body<Data = Bytes> + Send,
    B::Error: Into<BoxError>,
{
    let mut body = std::pin::pin!(body);
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            let e: BoxError = e.into();
            tracing::debug!(error = %e, "IAM request body failed");
            IamError::new(
                IamErrorCode::InvalidRequest,
                "The request body could not be read.",
            )
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                // The parser's refusal of an oversized form, with the size seen so far.
                return Err(QueryParams::body_too_large(out.len() + data.len(), limit));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// A POST body must be a form (`application/x-www-form-urlencoded`, any parameters such as
/// `charset`); a POST without a body or without a `Content-Type` is read as a form.
fn check_content_type(parts: &Parts, form: &[u8]) -> Result<(), IamError> {
    let Some(value) = parts.headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let media = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    if form.is_empty() || media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(())
    } else {
        Err(IamError::new(
            IamErrorCode::InvalidRequest,
            "IAM request bodies must be application/x-www-form-urlencoded.",
        ))
    }
}

/// A SigV4 failure with the IAM code of the same name where IAM has one
/// (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, `RequestTimeTooSkewed`, ...), else
/// `InvalidRequest`, with the same message as the S3 answer. The match is exhaustive: a new
/// SigV4 error does not compile until its IAM code is chosen here.
fn sigv4_error(e: &SigV4Error) -> IamError {
    use IamErrorCode as C;
    use SigV4Error as E;
    let code = match e {
        E::IncompleteSignature(_) => C::IncompleteSignature,
        E::MissingSecurityHeader(_) => C::MissingSecurityHeader,
        E::SignatureDoesNotMatch { .. }
        | E::ChunkSignatureMismatch
        | E::TrailerSignatureMismatch
        | E::PayloadHashMismatch => C::SignatureDoesNotMatch,
        E::InvalidAccessKeyId => C::InvalidAccessKeyId,
        E::RequestTimeTooSkewed => C::RequestTimeTooSkewed,
        E::Expired | E::HeaderNotSigned(_) => C::AccessDenied,
        E::ValidationError(_) => C::ValidationError,
        E::AuthorizationQueryParametersError(_) => C::AuthorizationQueryParametersError,
        // S3's InvalidToken, IncompleteBody and BadDigest have no IAM namesake.
        E::InvalidRequest(_)
        | E::DecodedLengthExceeded { .. }
        | E::ChunkTooLarge { .. }
        | E::SecurityTokenNotSupported
        | E::IncompleteBody { .. }
        | E::Body(_)
        | E::BadDigest(_) => C::InvalidRequest,
    };
    IamError::new(code, e.to_string())
}

fn xml_response(status: u16, bytes: Vec<u8>) -> Response<ResponseBody> {
    let len = bytes.len();
    let mut response = Response::new(body::full(bytes));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(s4_iam_query::CONTENT_TYPE),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigv4_failures_keep_their_code_where_iam_has_it() {
        use IamErrorCode as C;
        let m = || "m".to_owned();
        let cases: Vec<(SigV4Error, IamErrorCode, u16)> = vec![
            (
                SigV4Error::IncompleteSignature(m()),
                C::IncompleteSignature,
                403,
            ),
            (
                SigV4Error::MissingSecurityHeader(m()),
                C::MissingSecurityHeader,
                400,
            ),
            (SigV4Error::InvalidRequest(m()), C::InvalidRequest, 400),
            (
                SigV4Error::SignatureDoesNotMatch {
                    canonical_request: m(),
                    string_to_sign: m(),
                },
                C::SignatureDoesNotMatch,
                403,
            ),
            (
                SigV4Error::PayloadHashMismatch,
                C::SignatureDoesNotMatch,
                403,
            ),
            (SigV4Error::InvalidAccessKeyId, C::InvalidAccessKeyId, 403),
            (
                SigV4Error::RequestTimeTooSkewed,
                C::RequestTimeTooSkewed,
                403,
            ),
            (SigV4Error::Expired, C::AccessDenied, 403),
            (SigV4Error::HeaderNotSigned(m()), C::AccessDenied, 403),
            (SigV4Error::ValidationError(m()), C::ValidationError, 400),
            (
                SigV4Error::AuthorizationQueryParametersError(m()),
                C::AuthorizationQueryParametersError,
                400,
            ),
            (
                SigV4Error::SecurityTokenNotSupported,
                C::InvalidRequest,
                400,
            ),
            (
                SigV4Error::BadDigest(s4_sigv4::ChecksumAlgorithm::Crc32),
                C::InvalidRequest,
                400,
            ),
        ];
        for (e, code, status) in cases {
            let iam = sigv4_error(&e);
            assert_eq!((iam.code(), iam.status()), (code, status), "{e:?}");
            assert_eq!(iam.message(), e.to_string());
        }
    }
}
