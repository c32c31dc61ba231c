//! The access log: one `s4::access` event at `INFO` per request, with what the pipeline
//! learned about it ([`AccessInfo`]) and what the connection and headers say (client address,
//! `X-Forwarded-For` from a trusted proxy, user agent). Never secrets, signatures or the query
//! string (presigned URLs carry signatures there).
//!
//! Fields: `request_id`, `client`, `forwarded_for` (only when the peer is a trusted proxy),
//! `method`, `operation`, `bucket`, `key` (at most [`KEY_LOG_BYTES`] bytes, then `…`),
//! `status`, `error_code` (the S3 or IAM code, `-` on success), `auth_error` (why the
//! signature was refused: `InvalidAccessKeyId`, `SignatureDoesNotMatch`, `Expired`,
//! `RequestTimeTooSkewed`, ...; `-` otherwise), `bytes_in`, `bytes_out`, `duration_ms` (at most
//! three decimals), `access_key` (the access key ID the request was signed with, also when the
//! key was refused), `principal` and `user_agent`.

use std::fmt;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use http::request::Parts;
use http::Method;

use crate::connection::ConnectionInfo;
use crate::error_code::S3ErrorCode;
use crate::response::ApiError;

/// The most bytes of an object key written to the access log.
pub const KEY_LOG_BYTES: usize = 256;
/// The most bytes of a user agent written to the access log.
const USER_AGENT_LOG_BYTES: usize = 256;

/// What the access log line reports about a request, filled in as the pipeline learns it.
#[derive(Default)]
pub(crate) struct AccessInfo {
    /// `None` until authenticated (logged as `-`: the request failed before).
    pub principal: Option<String>,
    pub operation: Option<&'static str>,
    pub bucket: String,
    pub key: String,
    /// The access key ID the request was signed with; only kept while the access log is on.
    pub access_key: Option<String>,
    /// The error code of a failed request.
    pub error_code: Option<&'static str>,
    /// Why authentication failed, when it did.
    pub auth_error: Option<&'static str>,
    /// Whether to keep `access_key`: the line will be written.
    pub log_access_key: bool,
}

impl AccessInfo {
    /// Keeps the access key ID the request was signed with, if the line will be written.
    pub fn set_access_key(&mut self, id: &str) {
        if self.log_access_key {
            self.access_key = Some(id.to_owned());
        }
    }
}

/// Proxies whose `X-Forwarded-For` the access log reports: addresses or CIDR ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses (`10.0.0.5`, `::1`) and CIDR ranges
    /// (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((addr, bits)) => (addr, Some(bits)),
                None => (item, None),
            };
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("{item:?} is not an IP address or CIDR range"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(bits) => bits
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("{item:?}: the prefix length must be 0 to {max}"))?,
            };
            ranges.push((addr, bits));
        }
        Ok(Self(ranges))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        self.0.iter().any(|&(net, bits)| match (net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        })
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (addr, bits)) in self.0.iter().enumerate() {
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let sep = if i == 0 { "" } else { "," };
            if *bits == max {
                write!(f, "{sep}{addr}")?;
            } else {
                write!(f, "{sep}{addr}/{bits}")?;
            }
        }
        Ok(())
    }
}

/// Why a request's signature was refused, for the log and `s4_auth_failures_total`: the
/// error code, except that an expired presigned URL (`AccessDenied` on the wire, as on AWS)
/// is told apart as `Expired`.
pub(crate) fn auth_failure(error: &ApiError) -> &'static str {
    if error.code == S3ErrorCode::AccessDenied
        && error.message == s4_sigv4::SigV4Error::Expired.to_string()
    {
        "Expired"
    } else {
        error.code.as_str()
    }
}

/// The API name of a request S4 refuses as not implemented (`?cors`, `?tagging`, ...), built
/// like AWS's from the method, bucket or object, and the sub-resource: `GetBucketCors`,
/// `PutObjectTagging`. Names are interned (a bounded set: past [`MAX_UNSUPPORTED_NAMES`],
/// `Unsupported`) so that the metrics can keep them as `&'static str`.
pub(crate) fn unsupported_operation(method: &Method, has_key: bool, query: &str) -> &'static str {
    let subresource = query
        .split('&')
        .map(|p| p.split_once('=').map_or(p, |(n, _)| n))
        .find(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-'));
    let verb = match *method {
        Method::GET => "Get",
        Method::PUT => "Put",
        Method::DELETE => "Delete",
        Method::POST => "Post",
        Method::HEAD => "Head",
        _ => return "Unsupported",
    };
    let mut name = String::from(verb);
    name.push_str(if has_key { "Object" } else { "Bucket" });
    for piece in subresource.unwrap_or("").split('-') {
        let mut chars = piece.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    intern(name)
}

const MAX_UNSUPPORTED_NAMES: usize = 256;

fn intern(name: String) -> &'static str {
    static NAMES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.iter().find(|n| **n == name) {
        return known;
    }
    if names.len() >= MAX_UNSUPPORTED_NAMES {
        return "Unsupported";
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    names.push(leaked);
    leaked
}

/// A string cut to at most `max` bytes (at a character boundary), `…` marking the cut.
struct Truncated<'a>(&'a str, usize);

impl fmt::Display for Truncated<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Truncated(text, max) = *self;
        if text.len() <= max {
            return f.write_str(text);
        }
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        f.write_str(&text[..end])?;
        f.write_str("…")
    }
}

/// A duration in milliseconds with at most three decimals.
fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// What the request head says for the log.
fn header<'a>(parts: &'a Parts, name: &str) -> &'a str {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
}

/// Emits the request's access log line.
pub(crate) fn emit(
    parts: &Parts,
    access: &AccessInfo,
    trusted: &TrustedProxies,
    request_id: &str,
    status: u16,
    (bytes_in, bytes_out): (u64, u64),
    duration: Duration,
) {
    let peer = parts.extensions.get::<ConnectionInfo>().map(|c| c.peer);
    let client = peer.map(|p| p.ip());
    let forwarded_for = match client {
        Some(ip) if trusted.contains(ip) => header(parts, "x-forwarded-for"),
        _ => "-",
    };
    let client: &dyn fmt::Display = match &client {
        Some(ip) => ip,
        None => &"-",
    };
    tracing::info!(
        target: "s4::access",
        request_id,
        client = %client,
        forwarded_for,
        method = %parts.method,
        operation = access.operation.unwrap_or("-"),
        bucket = %access.bucket,
        key = %Truncated(&access.key, KEY_LOG_BYTES),
        status,
        error_code = access.error_code.unwrap_or("-"),
        auth_error = access.auth_error.unwrap_or("-"),
        bytes_in,
        bytes_out,
        duration_ms = millis(duration),
        access_key = access.access_key.as_deref().unwrap_or("-"),
        principal = access.principal.as_deref().unwrap_or("-"),
        user_agent = %Truncated(header(parts, "user-agent"), USER_AGENT_LOG_BYTES),
        "request"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_match_addresses_and_ranges() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.168.1.5,fd00::/8").unwrap();
        for ip in ["10.1.2.3", "192.168.1.5", "fd00::1", "::ffff:10.9.9.9"] {
            assert!(proxies.contains(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["11.0.0.1", "192.168.1.6", "fe80::1", "127.0.0.1"] {
            assert!(!proxies.contains(ip.parse().unwrap()), "{ip}");
        }
        assert_eq!(proxies.to_string(), "10.0.0.0/8,192.168.1.5,fd00::/8");
        assert!(TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .contains("1.2.3.4".parse().unwrap()));
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.1/x"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
        assert!(TrustedProxies::parse("").unwrap().is_empty());
    }

    #[test]
    fn keys_are_cut_at_a_character_boundary() {
        assert_eq!(Truncated("abc", 3).to_string(), "abc");
        assert_eq!(Truncated("abcd", 3).to_string(), "abc…");
        assert_eq!(Truncated("aé", 2).to_string(), "a…");
    }

    #[test]
    fn durations_have_at_most_three_decimals() {
        assert!((millis(Duration::from_nanos(162_862_999)) - 162.863).abs() < 1e-9);
        assert_eq!(millis(Duration::from_nanos(162_863)).to_string(), "0.163");
    }

    #[test]
    fn unsupported_operations_are_named_like_aws() {
        assert_eq!(
            unsupported_operation(&Method::GET, false, "cors"),
            "GetBucketCors"
        );
        assert_eq!(
            unsupported_operation(&Method::PUT, true, "tagging="),
            "PutObjectTagging"
        );
        assert_eq!(
            unsupported_operation(&Method::GET, false, "intelligent-tiering&id=1"),
            "GetBucketIntelligentTiering"
        );
        assert_eq!(
            unsupported_operation(&Method::GET, true, "partNumber=1"),
            "GetObjectPartNumber"
        );
    }
}
