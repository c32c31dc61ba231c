//! The inputs of the object operations (PutObject, GetObject, HeadObject, DeleteObjects)
//! and the header parsers CopyObject and the multipart operations share.

use std::collections::BTreeMap;

use http::header::{
    HeaderName, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_ENCODING, CONTENT_LANGUAGE,
    CONTENT_TYPE, EXPIRES,
};
use http::HeaderMap;
use s4_storage::{ByteRange, ContentHeaders, ObjectAttributes, ReadConditions, WritePrecondition};

use super::{FromRequest, RequestView};
use crate::error_code::S3ErrorCode;
use crate::handlers::base64_decode;
use crate::response::{parse_http_date, ApiError};

/// `Content-MD5`: base64 of 16 bytes, else `InvalidDigest`.
pub(crate) fn content_md5(request: &RequestView<'_>) -> Result<Option<[u8; 16]>, ApiError> {
    let Some(value) = request.headers.get("content-md5") else {
        return Ok(None);
    };
    let decoded = value
        .to_str()
        .ok()
        .and_then(|v| base64_decode(v.trim()))
        .and_then(|raw| <[u8; 16]>::try_from(raw).ok());
    match decoded {
        Some(md5) => Ok(Some(md5)),
        None => Err(ApiError::with_message(
            S3ErrorCode::InvalidDigest,
            "The Content-MD5 you specified is not valid.",
        )),
    }
}

fn header_string(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Content headers and `x-amz-meta-*` of a PutObject or a CopyObject with REPLACE.
pub(crate) fn object_attributes(request: &RequestView<'_>) -> Result<ObjectAttributes, ApiError> {
    let h = request.headers;
    let content_encoding = header_string(h, &CONTENT_ENCODING).and_then(|v| {
        // `aws-chunked` describes the transfer, not the object.
        let kept: Vec<&str> = v
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
            .collect();
        (!kept.is_empty()).then(|| kept.join(", "))
    });
    let content = ContentHeaders {
        content_type: header_string(h, &CONTENT_TYPE),
        content_encoding,
        content_language: header_string(h, &CONTENT_LANGUAGE),
        content_disposition: header_string(h, &CONTENT_DISPOSITION),
        cache_control: header_string(h, &CACHE_CONTROL),
        expires: header_string(h, &EXPIRES),
    };
    let mut user_metadata = BTreeMap::new();
    let mut size = 0usize;
    for (name, value) in h {
        if let Some(meta) = name.as_str().strip_prefix("x-amz-meta-") {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            size += meta.len() + value.len();
            user_metadata
                .entry(meta.to_owned())
                .and_modify(|v: &mut String| {
                    v.push(',');
                    v.push_str(&value);
                })
                .or_insert(value);
        }
    }
    if size > request.limits.max_user_metadata {
        return Err(ApiError::with_message(
            S3ErrorCode::MetadataTooLarge,
            format!(
                "Your metadata headers exceed the maximum allowed metadata size ({size} > {} bytes).",
                request.limits.max_user_metadata
            ),
        ));
    }
    Ok(ObjectAttributes {
        content,
        user_metadata,
    })
}

/// Which values a write accepts in `If-None-Match`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfNoneMatch {
    /// `*` or ETags (PutObject, CompleteMultipartUpload).
    AnyValue,
    /// Only `*` (a CopyObject destination, per the spec).
    WildcardOnly,
}

/// `If-Match` / `If-None-Match` on a write, for the backend to decide atomically with it
/// (whether it can is [`check_conditional_writes`]).
pub(crate) fn write_precondition(
    request: &RequestView<'_>,
    if_none_match: IfNoneMatch,
) -> Result<WritePrecondition, ApiError> {
    let none_match = request.header("if-none-match").map(str::trim);
    if if_none_match == IfNoneMatch::WildcardOnly && none_match.is_some_and(|v| v != "*") {
        return Err(ApiError::with_message(
            S3ErrorCode::NotImplemented,
            "If-None-Match on a copy destination supports only '*'.",
        ));
    }
    Ok(WritePrecondition::new(
        request.header("if-match").map(str::to_owned),
        none_match.map(str::to_owned),
    ))
}

/// PutObject's input: the body's MD5, the object's attributes, the write precondition.
pub(crate) struct PutObjectInput {
    pub content_md5: Option<[u8; 16]>,
    pub attributes: ObjectAttributes,
    pub precondition: WritePrecondition,
}

impl FromRequest for PutObjectInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self {
            content_md5: content_md5(request)?,
            attributes: object_attributes(request)?,
            precondition: write_precondition(request, IfNoneMatch::AnyValue)?,
        })
    }
}

/// The four read conditions of a GET or HEAD (or, with `copy_source`, of a copy source).
pub(crate) fn read_conditions(headers: &HeaderMap, copy_source: bool) -> ReadConditions {
    // Static names: every GET looks these up, and most have none of them.
    let [if_match, if_none_match, if_modified_since, if_unmodified_since] = if copy_source {
        [
            "x-amz-copy-source-if-match",
            "x-amz-copy-source-if-none-match",
            "x-amz-copy-source-if-modified-since",
            "x-amz-copy-source-if-unmodified-since",
        ]
    } else {
        [
            "if-match",
            "if-none-match",
            "if-modified-since",
            "if-unmodified-since",
        ]
    };
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    ReadConditions {
        if_match: get(if_match).map(str::to_owned),
        if_none_match: get(if_none_match).map(str::to_owned),
        if_modified_since: get(if_modified_since).and_then(parse_http_date),
        if_unmodified_since: get(if_unmodified_since).and_then(parse_http_date),
    }
}

/// A single `bytes=` range; anything else (several ranges, other units, garbage) is ignored
/// and the whole object served, as HTTP allows.
pub(crate) fn parse_range(value: &str) -> Option<ByteRange> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let num = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, false) => Some(ByteRange::Suffix { len: num(last)? }),
        (false, true) => Some(ByteRange::From { first: num(first)? }),
        (false, false) => {
            let (first, last) = (num(first)?, num(last)?);
            (first <= last).then_some(ByteRange::Inclusive { first, last })
        }
        (true, true) => None,
    }
}

/// The `response-*` query parameters of a GET or HEAD that override the stored headers.
#[derive(Default)]
pub(crate) struct ResponseOverrides {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
}

impl ResponseOverrides {
    fn parse(request: &RequestView<'_>) -> Self {
        let param = |name: &str| request.query.get(name).map(str::to_owned);
        Self {
            content_type: param("response-content-type"),
            cache_control: param("response-cache-control"),
            content_encoding: param("response-content-encoding"),
            content_language: param("response-content-language"),
        }
    }
}

/// GetObject's and HeadObject's input: read conditions, range and header overrides.
pub(crate) struct GetObjectInput {
    pub conditions: ReadConditions,
    pub range: Option<ByteRange>,
    pub overrides: ResponseOverrides,
}

impl FromRequest for GetObjectInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self {
            conditions: read_conditions(request.headers, false),
            range: request.header("range").and_then(parse_range),
            overrides: ResponseOverrides::parse(request),
        })
    }
}

/// The input of an operation whose small body must carry an integrity check: its
/// `Content-MD5`.
pub(crate) struct DigestedBody {
    pub content_md5: Option<[u8; 16]>,
}

impl FromRequest for DigestedBody {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self {
            content_md5: content_md5(request)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(
            parse_range("bytes=0-9"),
            Some(ByteRange::Inclusive { first: 0, last: 9 })
        );
        assert_eq!(parse_range("bytes=5-"), Some(ByteRange::From { first: 5 }));
        assert_eq!(parse_range("bytes=-3"), Some(ByteRange::Suffix { len: 3 }));
        assert_eq!(parse_range("bytes=-0"), Some(ByteRange::Suffix { len: 0 }));
        for ignored in [
            "bytes=1-2,4-5",
            "items=0-1",
            "bytes=x-1",
            "bytes=-",
            "bytes=9-1",
            "",
        ] {
            assert_eq!(parse_range(ignored), None, "{ignored}");
        }
    }
}
