//! Where a request goes: which API (S3 or IAM), which bucket, which key, and whether it is a
//! public URL carrying an account ID. Decided from the `Host` header and the raw path alone,
//! before authentication.

use percent_encoding::percent_decode_str;
use s4_naming::AccountId;

/// The endpoint the server answers for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointConfig {
    /// The endpoint domain, e.g. `s4.localhost`: the server answers `s3.<domain>`,
    /// `<bucket>.s3.<domain>` and `iam.<domain>`. Stored lower-case, without a trailing dot.
    domain: String,
}

impl EndpointConfig {
    pub fn new(domain: &str) -> Self {
        Self {
            domain: domain.trim_end_matches('.').to_ascii_lowercase(),
        }
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }
}

/// What the `Host` header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostStyle {
    /// `s3.<domain>`: the bucket, if any, is the first path segment.
    S3Path,
    /// `<bucket>.s3.<domain>`.
    S3Virtual { bucket: String },
    /// `iam.<domain>`.
    Iam,
    /// An IP literal or `localhost` (any port): path style, and the API is named by the
    /// request's credential scope (`s3` or `iam`), as clients pointed at an IP endpoint expect.
    Bare,
}

/// Why a request cannot be routed (answered with `InvalidURI`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("the Host header is missing")]
    MissingHost,
    #[error("the host {0:?} is not served by this endpoint")]
    UnknownHost(String),
    #[error("the request path is not valid percent-encoded UTF-8")]
    BadPath,
}

/// Classifies a `Host` header value (with or without port, IPv6 in brackets).
pub fn classify_host(host: &str, endpoint: &EndpointConfig) -> Result<HostStyle, RouteError> {
    let name = strip_port(host.trim()).ok_or_else(|| RouteError::UnknownHost(host.to_owned()))?;
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return Err(RouteError::MissingHost);
    }
    if name == "localhost" || is_ip_literal(&name) {
        return Ok(HostStyle::Bare);
    }
    let domain = endpoint.domain();
    let Some(service_part) = name
        .strip_suffix(domain)
        .and_then(|rest| rest.strip_suffix('.'))
    else {
        return Err(RouteError::UnknownHost(host.to_owned()));
    };
    match service_part {
        "s3" => Ok(HostStyle::S3Path),
        "iam" => Ok(HostStyle::Iam),
        other => match other.strip_suffix(".s3") {
            // Bucket names may contain dots, so everything before `.s3.<domain>` is the bucket.
            Some(bucket) if !bucket.is_empty() => Ok(HostStyle::S3Virtual {
                bucket: bucket.to_owned(),
            }),
            _ => Err(RouteError::UnknownHost(host.to_owned())),
        },
    }
}

/// Removes a `:port` suffix; keeps IPv6 literals' brackets off. `None` for malformed
/// bracketed hosts or non-numeric ports.
fn strip_port(host: &str) -> Option<&str> {
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        return match after {
            "" => Some(inside),
            port if port.strip_prefix(':').is_some_and(is_port) => Some(inside),
            _ => None,
        };
    }
    match host.rsplit_once(':') {
        // A bare IPv6 literal without brackets has several colons: not a port.
        Some((name, port)) if !name.contains(':') => is_port(port).then_some(name),
        _ => Some(host),
    }
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_ip_literal(name: &str) -> bool {
    name.parse::<std::net::IpAddr>().is_ok()
}

/// The bucket and key named by a request, decoded from the raw path exactly once.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PathTarget {
    /// The account ID of a public URL (`/<account-id>/...`), see [`split_path`].
    pub public_account: Option<AccountId>,
    pub bucket: Option<String>,
    /// `None` for bucket-level requests (`/bucket` and `/bucket/`); otherwise the key exactly
    /// as sent, dot segments and repeated slashes included: S4's key rules apply to it as is.
    pub key: Option<String>,
}

/// Splits the raw request path (before `?`) into bucket and key.
///
/// `virtual_bucket` is the bucket taken from the host. With `public`, the first segment must
/// be a 15-digit account ID (public URLs: `/<account-id>/<key>` virtual-hosted,
/// `/<account-id>/<bucket>/<key>` path style); the caller sets it for anonymous requests whose
/// first segment has that shape, since a 15-digit bucket name is valid too.
pub fn split_path(
    raw_path: &str,
    virtual_bucket: Option<&str>,
    public: bool,
) -> Result<PathTarget, RouteError> {
    let decoded = percent_decode_str(raw_path)
        .decode_utf8()
        .map_err(|_| RouteError::BadPath)?;
    let mut rest: &str = decoded.strip_prefix('/').unwrap_or(&decoded);
    let mut target = PathTarget::default();
    if public {
        let (first, after) = rest.split_once('/').unwrap_or((rest, ""));
        target.public_account = Some(AccountId::parse(first).map_err(|_| RouteError::BadPath)?);
        rest = after;
    }
    if let Some(bucket) = virtual_bucket {
        target.bucket = Some(bucket.to_owned());
        target.key = (!rest.is_empty()).then(|| rest.to_owned());
    } else {
        let (bucket, key) = match rest.split_once('/') {
            Some((bucket, key)) => (bucket, (!key.is_empty()).then(|| key.to_owned())),
            None => (rest, None),
        };
        target.bucket = (!bucket.is_empty()).then(|| bucket.to_owned());
        target.key = key;
    }
    Ok(target)
}

/// Whether the first path segment looks like an account ID (15 ASCII digits).
pub fn starts_with_account_id(raw_path: &str) -> bool {
    let rest = raw_path.strip_prefix('/').unwrap_or(raw_path);
    let first = rest.split('/').next().unwrap_or("");
    AccountId::parse(first).is_ok()
}

/// Whether a request's credential scope names IAM (`.../iam/aws4_request` in the
/// `Authorization` header or the presigned `X-Amz-Credential`). Read without parsing the
/// signature, so that a request to IAM on a bare host whose signature data is malformed is
/// still answered IAM-shaped.
pub fn signed_for_iam(parts: &http::request::Parts) -> bool {
    const SCOPE: &[u8] = b"/iam/aws4_request";
    const ENCODED: &[u8] = b"%2fiam%2faws4_request";
    let contains = |haystack: &[u8], needle: &[u8]| {
        haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    if let Some(value) = parts.headers.get(http::header::AUTHORIZATION) {
        return contains(value.as_bytes(), SCOPE);
    }
    parts.uri.query().is_some_and(|q| {
        let q = q.as_bytes();
        contains(q, SCOPE) || contains(q, ENCODED)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> EndpointConfig {
        EndpointConfig::new("s4.example.com")
    }

    #[test]
    fn hosts() {
        let e = endpoint();
        let cases: &[(&str, Result<HostStyle, ()>)] = &[
            ("s3.s4.example.com", Ok(HostStyle::S3Path)),
            ("S3.S4.Example.COM:9000", Ok(HostStyle::S3Path)),
            ("s3.s4.example.com.", Ok(HostStyle::S3Path)),
            ("iam.s4.example.com", Ok(HostStyle::Iam)),
            (
                "photos.s3.s4.example.com",
                Ok(HostStyle::S3Virtual {
                    bucket: "photos".into(),
                }),
            ),
            (
                "my.dotted.bucket.s3.s4.example.com:443",
                Ok(HostStyle::S3Virtual {
                    bucket: "my.dotted.bucket".into(),
                }),
            ),
            ("127.0.0.1", Ok(HostStyle::Bare)),
            ("127.0.0.1:9000", Ok(HostStyle::Bare)),
            ("[::1]:9000", Ok(HostStyle::Bare)),
            ("[::1]", Ok(HostStyle::Bare)),
            ("::1", Ok(HostStyle::Bare)),
            ("localhost:9000", Ok(HostStyle::Bare)),
            ("s4.example.com", Err(())),
            (".s3.s4.example.com", Err(())),
            ("s3.other.com", Err(())),
            ("xs3.s4.example.com", Err(())),
            ("photos.iam.s4.example.com", Err(())),
            ("evil.com/s3.s4.example.com", Err(())),
            ("127.0.0.1:port", Err(())),
            ("[::1", Err(())),
            ("", Err(())),
        ];
        for (host, expected) in cases {
            let got = classify_host(host, &e).map_err(|_| ());
            assert_eq!(&got, expected, "host {host:?}");
        }
    }

    #[test]
    fn path_style_paths() {
        let t = split_path("/", None, false).unwrap();
        assert_eq!(t, PathTarget::default());
        let t = split_path("/bucket", None, false).unwrap();
        assert_eq!(t.bucket.as_deref(), Some("bucket"));
        assert_eq!(t.key, None);
        let t = split_path("/bucket/", None, false).unwrap();
        assert_eq!((t.bucket.as_deref(), t.key), (Some("bucket"), None));
        let t = split_path("/bucket/a/../b//c%20d%2Be+f", None, false).unwrap();
        assert_eq!(t.key.as_deref(), Some("a/../b//c d+e+f"));
        let t = split_path("/bucket/%C3%A9%F0%9F%98%80", None, false).unwrap();
        assert_eq!(t.key.as_deref(), Some("é😀"));
        assert_eq!(
            split_path("/bucket/%FF", None, false),
            Err(RouteError::BadPath)
        );
    }

    #[test]
    fn virtual_hosted_paths() {
        let t = split_path("/", Some("b"), false).unwrap();
        assert_eq!((t.bucket.as_deref(), t.key), (Some("b"), None));
        let t = split_path("/dir/file", Some("b"), false).unwrap();
        assert_eq!(t.key.as_deref(), Some("dir/file"));
        let t = split_path("//x", Some("b"), false).unwrap();
        assert_eq!(t.key.as_deref(), Some("/x"));
    }

    #[test]
    fn public_urls() {
        let path = "/000000000000042/photos/cat.jpg";
        assert!(starts_with_account_id(path));
        let t = split_path(path, None, true).unwrap();
        assert_eq!(t.public_account.unwrap().as_str(), "000000000000042");
        assert_eq!(t.bucket.as_deref(), Some("photos"));
        assert_eq!(t.key.as_deref(), Some("cat.jpg"));
        let t = split_path("/000000000000042/cat.jpg", Some("photos"), true).unwrap();
        assert_eq!(
            (t.bucket.as_deref(), t.key.as_deref()),
            (Some("photos"), Some("cat.jpg"))
        );
        assert!(!starts_with_account_id("/photos/000000000000042"));
        assert!(!starts_with_account_id("/00000000000004/x"));
    }
}
