//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fmt::Write as _;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use time::OffsetDateTime;

/// A request read from a test-suite file.
#[derive(Debug)]
pub struct RawRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Percent-encodes what cannot appear on the wire (space, non-ASCII), keeping existing
/// escapes: the suites write paths decoded.
pub fn wire_target(target: &str) -> String {
    let mut out = String::new();
    for b in target.bytes() {
        if b == b' ' || !b.is_ascii() {
            write!(out, "%{b:02X}").unwrap();
        } else {
            out.push(b as char);
        }
    }
    out
}

/// Parses `METHOD target HTTP/1.1\nName:value\n...\n\nbody`; folded header lines are joined
/// with a space, as an HTTP parser that accepts obs-fold does.
pub fn parse_request(text: &str) -> RawRequest {
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b.as_bytes().to_vec()),
        None => (text, Vec::new()),
    };
    let mut lines = head.split('\n');
    let first = lines.next().unwrap();
    let (method, rest) = first.split_once(' ').unwrap();
    let target = rest.strip_suffix(" HTTP/1.1").unwrap_or(rest);
    let mut header_lines: Vec<String> = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = header_lines.last_mut().unwrap();
            last.push(' ');
            last.push_str(line.trim());
        } else {
            header_lines.push(line.to_owned());
        }
    }
    let mut headers = HeaderMap::new();
    for line in header_lines {
        let (name, value) = line.split_once(':').unwrap();
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value.trim()).unwrap(),
        );
    }
    RawRequest {
        method: method.parse().unwrap(),
        uri: wire_target(target).parse().unwrap(),
        headers,
        body,
    }
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

pub fn amz(t: &str) -> OffsetDateTime {
    let f = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(t, &f).unwrap().assume_utc()
}
