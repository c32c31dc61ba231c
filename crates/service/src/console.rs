//! The web console's static files (`s4-console`), answered at `/_s4/console/` before S3
//! routing, and the browser's `GET /` sent there.
//!
//! `_s4` can never be a bucket: bucket names are lower-case letters, digits, dots and hyphens
//! (`s4_naming::validate_bucket_name` refuses the underscore), so a path-style
//! `/_s4/console/...` names no object anyone could have stored. On a virtual-hosted host
//! (`<bucket>.s3.<domain>`) the same path is an object key, so the console is not served there.

use http::request::Parts;
use http::{header, HeaderValue, Method, Response, StatusCode};

use crate::body::{self, ResponseBody};
use crate::error_code::S3ErrorCode;
use crate::response::ApiError;
use crate::route::HostStyle;

/// The operation name in the access log and the metrics.
pub(crate) const OPERATION: &str = "Console";

/// The answer to a console request, or `None` when the request is not one (it goes on to S3
/// or IAM routing). Only path-style hosts (`s3.<domain>`, an IP, `localhost`) serve it.
pub(crate) fn answer(
    parts: &Parts,
    style: &HostStyle,
    enabled: bool,
) -> Option<Result<Response<ResponseBody>, ApiError>> {
    if !enabled || !matches!(style, HostStyle::S3Path | HostStyle::Bare) {
        return None;
    }
    let path = parts.uri.path();
    if path == "/" && is_browser_landing(parts) {
        return Some(Ok(redirect()));
    }
    let asset_path = path
        .strip_prefix(s4_console::MOUNT)
        .or_else(|| (path == "/_s4/console").then_some(""))?;
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return Some(Err(ApiError::with_message(
            S3ErrorCode::MethodNotAllowed,
            "The console answers GET and HEAD only.",
        )));
    }
    if path == "/_s4/console" {
        return Some(Ok(redirect()));
    }
    let Some(asset) = s4_console::lookup(asset_path) else {
        return Some(Err(ApiError::with_message(
            S3ErrorCode::NoSuchKey,
            "The console has no such file.",
        )));
    };
    Some(Ok(asset_response(parts, asset)))
}

/// A browser opening the server's address: `GET /` asking for HTML, unsigned, no query.
/// S3 clients never ask for HTML, and an anonymous ListBuckets is `AccessDenied` anyway, so
/// sending the person to the console takes nothing from S3.
fn is_browser_landing(parts: &Parts) -> bool {
    parts.method == Method::GET
        && parts.uri.query().is_none()
        && !parts.headers.contains_key(header::AUTHORIZATION)
        && parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

fn redirect() -> Response<ResponseBody> {
    let mut response = Response::new(body::empty());
    *response.status_mut() = StatusCode::FOUND;
    response.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_static(s4_console::MOUNT),
    );
    response
}

fn asset_response(parts: &Parts, asset: &s4_console::Asset) -> Response<ResponseBody> {
    let etag = asset.etag();
    let unchanged = parts
        .headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if unchanged {
        let mut r = Response::new(body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(body::full(asset.bytes));
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(asset.bytes.len()));
        r
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(s4_console::CACHE_CONTROL),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    for (name, value) in s4_console::SECURITY_HEADERS {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Request;

    fn parts(method: Method, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn get(uri: &str) -> Parts {
        parts(Method::GET, uri, &[])
    }

    #[test]
    fn the_mount_can_never_be_a_bucket() {
        assert!(s4_naming::validate_bucket_name("_s4").is_err());
    }

    #[test]
    fn assets_carry_type_cache_and_security_headers() {
        let response = answer(&get("/_s4/console/js/sigv4.js"), &HostStyle::Bare, true)
            .unwrap()
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let h = response.headers();
        assert_eq!(h["content-type"], "text/javascript; charset=utf-8");
        assert_eq!(h["cache-control"], "no-cache");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(!h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("unsafe"));
        let etag = h["etag"].to_str().unwrap().to_owned();
        let again = parts(
            Method::GET,
            "/_s4/console/js/sigv4.js",
            &[("if-none-match", &etag)],
        );
        let cached = answer(&again, &HostStyle::S3Path, true).unwrap().unwrap();
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    }

    #[test]
    fn the_mount_without_slash_and_the_browser_landing_redirect_to_the_index() {
        for p in [
            get("/_s4/console"),
            parts(Method::GET, "/", &[("accept", "text/html,*/*")]),
        ] {
            let r = answer(&p, &HostStyle::Bare, true).unwrap().unwrap();
            assert_eq!(r.status(), StatusCode::FOUND);
            assert_eq!(r.headers()["location"], "/_s4/console/");
        }
        let index = answer(&get("/_s4/console/"), &HostStyle::Bare, true)
            .unwrap()
            .unwrap();
        assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    }

    #[test]
    fn s3_requests_to_the_root_are_left_to_s3() {
        for p in [
            get("/"),
            parts(Method::GET, "/", &[("accept", "*/*")]),
            parts(
                Method::GET,
                "/?x-id=ListBuckets",
                &[("accept", "text/html")],
            ),
            parts(
                Method::GET,
                "/",
                &[
                    ("accept", "text/html"),
                    ("authorization", "AWS4-HMAC-SHA256 x"),
                ],
            ),
            parts(Method::HEAD, "/", &[("accept", "text/html")]),
            get("/_s4console/x"),
            get("/bucket/_s4/console/"),
        ] {
            assert!(answer(&p, &HostStyle::Bare, true).is_none(), "{:?}", p.uri);
        }
    }

    #[test]
    fn nothing_is_served_when_disabled_or_on_virtual_hosts_and_iam() {
        let p = get("/_s4/console/");
        assert!(answer(&p, &HostStyle::Bare, false).is_none());
        assert!(answer(&p, &HostStyle::Iam, true).is_none());
        let virtual_host = HostStyle::S3Virtual {
            bucket: "photos".into(),
        };
        assert!(answer(&p, &virtual_host, true).is_none());
    }

    #[test]
    fn unknown_files_and_writes_are_s3_errors() {
        let missing = answer(&get("/_s4/console/nope.js"), &HostStyle::Bare, true).unwrap();
        assert_eq!(missing.unwrap_err().code, S3ErrorCode::NoSuchKey);
        let put = parts(Method::PUT, "/_s4/console/index.html", &[]);
        let refused = answer(&put, &HostStyle::Bare, true).unwrap();
        assert_eq!(refused.unwrap_err().code, S3ErrorCode::MethodNotAllowed);
    }
}
