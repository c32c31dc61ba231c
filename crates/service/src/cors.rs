//! Server-wide CORS, so that browser pages on other origins can call S4 (signed requests
//! and presigned URLs alike). Bucket-level CORS (PutBucketCors) stays `NotImplemented`: one
//! setting for the whole server, [`CorsConfig`]; its default allows no origin, and then
//! nothing here changes any answer.
//!
//! - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
//!   here, before authentication (browsers send preflights without credentials): 200 with
//!   the `Access-Control-Allow-*` headers when the origin, the method and every requested
//!   header are allowed, else 403 `AccessDenied` without them.
//! - Every other answer to a request from an allowed `Origin`, errors included, carries
//!   `Access-Control-Allow-Origin` (the origin itself), `Access-Control-Expose-Headers` and
//!   `Vary: Origin`. A disallowed origin gets none of them, so the browser hides the answer.

use http::header::{HeaderMap, HeaderValue, VARY};
use http::{Method, Response, StatusCode};

use crate::body::ResponseBody;
use crate::error_code::S3ErrorCode;
use crate::response::ApiError;

/// The server-wide CORS setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorsConfig {
    /// Origins allowed, exactly as browsers send them (`https://app.example.com`), or `*`
    /// for any. Empty (the default): no cross-origin access at all.
    pub allow_origins: Vec<String>,
    /// Methods a preflight may ask for.
    pub allow_methods: Vec<String>,
    /// Request headers a preflight may ask for (case-insensitive), or `*` for any.
    pub allow_headers: Vec<String>,
    /// Response headers the page may read beyond the CORS-safelisted ones.
    pub expose_headers: Vec<String>,
    /// How long a browser may cache a preflight answer, in seconds.
    pub max_age_seconds: u32,
}

/// The methods allowed by default: everything S3 clients send.
pub const DEFAULT_METHODS: [&str; 5] = ["GET", "HEAD", "PUT", "POST", "DELETE"];

/// The response headers exposed by default: what S3 pages read.
pub const DEFAULT_EXPOSE_HEADERS: [&str; 7] = [
    "ETag",
    "x-amz-request-id",
    "x-amz-id-2",
    "x-amz-version-id",
    "Content-Length",
    "Content-Range",
    "Last-Modified",
];

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            allow_origins: Vec::new(),
            allow_methods: DEFAULT_METHODS.iter().map(|m| (*m).to_owned()).collect(),
            allow_headers: vec!["*".to_owned()],
            expose_headers: DEFAULT_EXPOSE_HEADERS
                .iter()
                .map(|h| (*h).to_owned())
                .collect(),
            max_age_seconds: 600,
        }
    }
}

impl CorsConfig {
    /// Whether any origin is allowed.
    pub fn is_enabled(&self) -> bool {
        !self.allow_origins.is_empty()
    }

    fn allows_origin(&self, origin: &str) -> bool {
        self.allow_origins.iter().any(|o| o == "*" || o == origin)
    }

    fn allows_method(&self, method: &str) -> bool {
        self.allow_methods.iter().any(|m| m == method)
    }

    fn allows_header(&self, header: &str) -> bool {
        self.allow_headers
            .iter()
            .any(|h| h == "*" || h.eq_ignore_ascii_case(header))
    }
}

fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get("origin").and_then(|v| v.to_str().ok())
}

/// The answer to a CORS preflight, or `None` when the request is no preflight or CORS is
/// off (then the request goes on as before).
pub(crate) fn preflight(
    config: &CorsConfig,
    method: &Method,
    headers: &HeaderMap,
) -> Option<Result<Response<ResponseBody>, ApiError>> {
    if method != Method::OPTIONS || !config.is_enabled() {
        return None;
    }
    let origin = origin(headers)?;
    let asked_method = headers
        .get("access-control-request-method")
        .and_then(|v| v.to_str().ok())?;
    let asked_headers: Vec<&str> = headers
        .get_all("access-control-request-headers")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let allowed = config.allows_origin(origin)
        && config.allows_method(asked_method)
        && asked_headers.iter().all(|h| config.allows_header(h));
    if !allowed {
        return Some(Err(ApiError::with_message(
            S3ErrorCode::AccessDenied,
            "CORSResponse: This CORS request is not allowed by the server's CORS setting.",
        )));
    }
    let mut response = Response::new(crate::body::empty());
    *response.status_mut() = StatusCode::OK;
    let out = response.headers_mut();
    insert(out, "access-control-allow-origin", origin);
    insert(
        out,
        "access-control-allow-methods",
        &config.allow_methods.join(", "),
    );
    if !asked_headers.is_empty() {
        insert(
            out,
            "access-control-allow-headers",
            &asked_headers.join(", "),
        );
    }
    insert(
        out,
        "access-control-max-age",
        &config.max_age_seconds.to_string(),
    );
    out.append(VARY, HeaderValue::from_static("Origin"));
    Some(Ok(response))
}

/// Adds the CORS headers to the answer of a request from an allowed origin. A preflight's
/// answer already has them when it was allowed, and must not when it was refused.
pub(crate) fn decorate(
    config: &CorsConfig,
    method: &Method,
    request: &HeaderMap,
    response: &mut HeaderMap,
) {
    let is_preflight =
        method == Method::OPTIONS && request.contains_key("access-control-request-method");
    if !config.is_enabled() || is_preflight {
        return;
    }
    let Some(origin) = origin(request) else {
        return;
    };
    if !config.allows_origin(origin) {
        return;
    }
    insert(response, "access-control-allow-origin", origin);
    if !config.expose_headers.is_empty() {
        insert(
            response,
            "access-control-expose-headers",
            &config.expose_headers.join(", "),
        );
    }
    response.append(VARY, HeaderValue::from_static("Origin"));
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}
