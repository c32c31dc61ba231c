//! The IAM API over HTTP: authenticate, read the form, parse with `s4-iam-query`, execute
//! with `s4-iam`, answer the IAM XML documents.
//!
//! IAM requests are small form-encoded POSTs (or GETs with a query string) that usually carry
//! no `x-amz-content-sha256` (botocore and the AWS SDKs send it for S3 only). So:
//!
//! 1. The access key is looked up first: an unknown or inactive key is refused
//!    (`InvalidAccessKeyId`) before any of the body is read. Keys are read from the
//!    [`IdentityStore`] on every request, never cached, so a status change applies to the
//!    next request.
//! 2. The body is read, bounded by [`ParseOptions::body_limit`] (64 KiB,
//!    `RequestEntityTooLarge` beyond).
//! 3. When the request declares no payload hash, the body's SHA-256 is supplied to the
//!    verifier ([`ParsedRequest::with_body_sha256`]), so the signature covers the body
//!    either way; a declared hash must match the body.
//! 4. `IamRequest::from_query_and_form` (POST) or `from_query` (GET), then
//!    [`s4_iam::execute_in_context`], which authorizes with the policy engine, given the
//!    request's condition keys ([`crate::authz::request_keys`]).
//!
//! Every error, authentication included, is an IAM `<ErrorResponse>` with the request ID;
//! the caller adds the `x-amz-request-id` header.

use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt;
use hyper::body::Bytes;
use s4_iam::Caller;
use s4_iam_query::{IamError, IamErrorCode, IamRequest, ParseOptions, QueryParams};
use s4_sigv4::{ParsedRequest, PayloadMode, SigV4Error, SigningKeyCache};
use s4_storage::{BoxError, IdentityStore, KeyOwner, KeyStatus};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::auth::Principal;
use crate::body::{self, ResponseBody};
use crate::response::ApiError;

/// What serving an IAM request produced, for the response and the access log.
pub(crate) struct Served {
    pub response: Response<ResponseBody>,
    /// `None` when authentication failed.
    pub principal: Option<Principal>,
    /// The IAM action, once the request parsed.
    pub action: Option<&'static str>,
    /// The error code of a failed request, for the access log.
    pub error_code: Option<&'static str>,
}

/// Serves one request routed to IAM. `parsed` is the SigV4 parse of the request (an error
/// is answered IAM-shaped).
pub(crate) async fn serve<I, B>(
    identity: &I,
    keys: &SigningKeyCache,
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
    };
    let outcome = run(identity, keys, parts, body, parsed, &mut served).await;
    served.response = match outcome {
        Ok(response) => xml_response(200, response.to_xml(request_id)),
        Err(error) => {
            tracing::debug!(
                code = error.code().as_str(),
                message = error.message(),
                "IAM request failed"
            );
            served.error_code = Some(error.code().as_str());
            xml_response(error.status(), error.to_xml(request_id))
        }
    };
    served
}

async fn run<I, B>(
    identity: &I,
    keys: &SigningKeyCache,
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
    let Some(parsed) = parsed.map_err(|e| sigv4_error(&e))? else {
        return Err(IamError::new(
            IamErrorCode::AccessDenied,
            "Anonymous requests are not allowed by IAM: sign the request with an access key.",
        ));
    };
    let now = OffsetDateTime::now_utc();
    let (principal, form) =
        authenticate(identity, keys, parsed, body, options.body_limit, now).await?;
    served.principal = Some(principal.clone());
    let caller = caller(&principal).ok_or_else(|| {
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

/// Looks the key up, reads the bounded body, verifies the signature over it and returns the
/// principal with the body.
async fn authenticate<I, B>(
    identity: &I,
    keys: &SigningKeyCache,
    parsed: ParsedRequest,
    body: B,
    limit: usize,
    now: OffsetDateTime,
) -> Result<(Principal, Vec<u8>), IamError>
where
    I: IdentityStore,
    B: Body<Data = Bytes> + Send,
    B::Error: Into<BoxError>,
{
    let key = identity
        .get_access_key(parsed.access_key_id())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "access key lookup failed");
            IamError::new(
                IamErrorCode::InternalFailure,
                "We encountered an internal error. Please try again.",
            )
        })?;
    let key = match key {
        Some(key) if key.status == KeyStatus::Active => key,
        _ => return Err(sigv4_error(&SigV4Error::invalid_access_key_id())),
    };
    let form = read_body(body, limit).await?;
    let digest: [u8; 32] = Sha256::digest(&form).into();
    let parsed = if parsed.needs_body_sha256() {
        parsed.with_body_sha256(digest)
    } else {
        parsed
    };
    let verified = parsed
        .verify(&key.secret_access_key, now, keys)
        .map_err(|e| sigv4_error(&e))?;
    match verified.into_payload() {
        PayloadMode::Sha256(declared) if declared != digest => {
            return Err(IamError::new(
                IamErrorCode::InvalidRequest,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ))
        }
        PayloadMode::Sha256(_) | PayloadMode::Unsigned => {}
        _ => {
            return Err(IamError::new(
                IamErrorCode::InvalidRequest,
                "IAM requests cannot use aws-chunked payloads.",
            ))
        }
    }
    let principal = match key.owner {
        KeyOwner::Root => Principal::Root {
            account: key.account,
            access_key_id: key.access_key_id,
        },
        KeyOwner::User(name) => Principal::User {
            account: key.account,
            name,
            access_key_id: key.access_key_id,
        },
    };
    Ok((principal, form))
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
                // The parser's own error for an oversized form, with the size seen so far.
                let seen = vec![0u8; out.len() + data.len()];
                return Err(QueryParams::parse_form(&seen, limit)
                    .err()
                    .unwrap_or_else(|| {
                        IamError::new(IamErrorCode::RequestEntityTooLarge, "Request too large")
                    }));
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

/// The principal as an IAM caller; `None` for anonymous.
fn caller(principal: &Principal) -> Option<Caller> {
    match principal {
        Principal::Anonymous => None,
        Principal::Root { account, .. } => Some(Caller::Root { account: *account }),
        Principal::User { account, name, .. } => Some(Caller::User {
            account: *account,
            name: name.clone(),
        }),
    }
}

/// A SigV4 failure with its S3 code where IAM has the same code (`InvalidAccessKeyId`,
/// `SignatureDoesNotMatch`, `RequestTimeTooSkewed`, ...), else `IncompleteSignature` for a
/// malformed signature (403) or `InvalidRequest`.
fn sigv4_error(e: &SigV4Error) -> IamError {
    let api = ApiError::from(e);
    let code = IamErrorCode::parse(api.code.as_str()).unwrap_or(if api.code.status() == 403 {
        IamErrorCode::IncompleteSignature
    } else {
        IamErrorCode::InvalidRequest
    });
    IamError::new(code, api.message)
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
