//! Object operations (spec 2.2.2): PutObject, GetObject, HeadObject, DeleteObject,
//! DeleteObjects, GetObjectAcl.

use std::collections::BTreeMap;

use http::header::{
    HeaderName, HeaderValue, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_ENCODING,
    CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, EXPIRES, LAST_MODIFIED,
};
use http::{HeaderMap, Response, StatusCode};
use md5::{Digest, Md5};
use s4_s3_xml::{AccessControlPolicy, Delete, DeleteError, DeleteResult};
use s4_storage::{
    ByteRange, ConditionOutcome, ContentHeaders, ObjectAttributes, ObjectInfo, ObjectStore,
    PutObject, ReadConditions, StorageError, WritePrecondition,
};

use super::{base64_decode, empty_response, Ctx, HandlerResult, NoInput};
use crate::body::{self, refuse_data};
use crate::error_code::S3ErrorCode;
use crate::response::{http_date, parse_http_date, xml_response, ApiError};

/// `Content-MD5`: base64 of 16 bytes, else `InvalidDigest`.
pub(crate) fn content_md5<O>(ctx: &Ctx<'_, O>) -> Result<Option<[u8; 16]>, ApiError> {
    let Some(value) = ctx.headers.get("content-md5") else {
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
pub(crate) fn object_attributes<O>(ctx: &Ctx<'_, O>) -> Result<ObjectAttributes, ApiError> {
    let h = ctx.headers;
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
    if size > ctx.config.limits.max_user_metadata {
        return Err(ApiError::with_message(
            S3ErrorCode::MetadataTooLarge,
            format!(
                "Your metadata headers exceed the maximum allowed metadata size ({size} > {} bytes).",
                ctx.config.limits.max_user_metadata
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

/// `If-Match` / `If-None-Match` on a write, for the backend to decide atomically with it.
pub(crate) fn write_precondition<O: ObjectStore>(
    ctx: &Ctx<'_, O>,
    if_none_match: IfNoneMatch,
) -> Result<WritePrecondition, ApiError> {
    let none_match = ctx.header("if-none-match").map(str::trim);
    if if_none_match == IfNoneMatch::WildcardOnly && none_match.is_some_and(|v| v != "*") {
        return Err(ApiError::with_message(
            S3ErrorCode::NotImplemented,
            "If-None-Match on a copy destination supports only '*'.",
        ));
    }
    let precondition = WritePrecondition::new(
        ctx.header("if-match").map(str::to_owned),
        none_match.map(str::to_owned),
    );
    if !precondition.is_empty() && !ctx.store.capabilities().conditional_writes {
        return Err(ApiError::with_message(
            S3ErrorCode::NotImplemented,
            "This server's storage backend does not implement conditional writes.",
        ));
    }
    Ok(precondition)
}

pub(crate) async fn put_object<O: ObjectStore>(ctx: &mut Ctx<'_, O>, _: NoInput) -> HandlerResult {
    let content_md5 = content_md5(ctx)?;
    let attributes = object_attributes(ctx)?;
    let precondition = write_precondition(ctx, IfNoneMatch::AnyValue)?;
    let content_length = ctx.announced_length();
    // Without Content-Length or Transfer-Encoding a request has no body (RFC 9112 6.3), which
    // is how hyper-based clients send empty objects: accepted rather than 411.
    let content_length = content_length
        .or_else(|| (!ctx.headers.contains_key(http::header::TRANSFER_ENCODING)).then_some(0));
    if content_length.is_some_and(|n| n > ctx.store.capabilities().max_object_size) {
        return Err(ApiError::new(S3ErrorCode::EntityTooLarge));
    }
    // The backend judges the key and the announced length before reading the body, and the
    // size it received at the commit; a folder marker's body is also cut off at its first
    // byte rather than read to the end.
    let mut stream = ctx.take_body()?;
    if ctx.key.ends_with('/') {
        stream = refuse_data(stream);
    }
    let info = ctx
        .store
        .put_object(PutObject {
            target: ctx.object(),
            attributes,
            body: stream,
            content_length,
            content_md5,
            precondition,
        })
        .await?;
    let mut response = empty_response(StatusCode::OK);
    set(response.headers_mut(), ETAG, &info.etag.quoted());
    Ok(response)
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
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

fn object_headers(headers: &mut HeaderMap, info: &ObjectInfo, overrides: &crate::operation::Query) {
    set(headers, ETAG, &info.etag.quoted());
    set(headers, LAST_MODIFIED, &http_date(info.last_modified));
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert("x-amz-storage-class", HeaderValue::from_static("STANDARD"));
    let c = &info.attributes.content;
    let pick = |param: &str, stored: &Option<String>| -> Option<String> {
        overrides
            .get(param)
            .map(str::to_owned)
            .or_else(|| stored.clone())
    };
    let content_type = pick("response-content-type", &c.content_type)
        .unwrap_or_else(|| "binary/octet-stream".to_owned());
    set(headers, CONTENT_TYPE, &content_type);
    for (name, value) in [
        (
            CACHE_CONTROL,
            pick("response-cache-control", &c.cache_control),
        ),
        (
            CONTENT_ENCODING,
            pick("response-content-encoding", &c.content_encoding),
        ),
        (
            CONTENT_LANGUAGE,
            pick("response-content-language", &c.content_language),
        ),
        (CONTENT_DISPOSITION, c.content_disposition.clone()),
        (EXPIRES, c.expires.clone()),
    ] {
        if let Some(value) = value {
            set(headers, name, &value);
        }
    }
    for (name, value) in &info.attributes.user_metadata {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(format!("x-amz-meta-{name}").as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
}

fn condition_failure(outcome: ConditionOutcome, info: &ObjectInfo) -> HandlerResult {
    match outcome {
        ConditionOutcome::PreconditionFailed => Err(ApiError::new(S3ErrorCode::PreconditionFailed)),
        ConditionOutcome::NotModified => {
            let mut response = empty_response(StatusCode::NOT_MODIFIED);
            set(response.headers_mut(), ETAG, &info.etag.quoted());
            set(
                response.headers_mut(),
                LAST_MODIFIED,
                &http_date(info.last_modified),
            );
            Ok(response)
        }
    }
}

/// GetObject and HeadObject: conditions first, then the range, then the bytes (streamed).
pub(crate) async fn get_object<O: ObjectStore>(ctx: &Ctx<'_, O>, _: NoInput) -> HandlerResult {
    let conditions = read_conditions(ctx.headers, false);
    let range = ctx.header("range").and_then(parse_range);
    let object = ctx.object();
    let (info, served, stream) = if ctx.head {
        let info = ctx.store.head_object(&object).await?;
        if let Err(outcome) = conditions.evaluate(&info.etag, info.last_modified) {
            return condition_failure(outcome, &info);
        }
        let served = match range {
            Some(r) => Some(
                r.resolve(info.size)
                    .ok_or_else(|| ApiError::new(S3ErrorCode::InvalidRange))?,
            ),
            None => None,
        };
        (info, served, None)
    } else {
        match ctx.store.get_object(&object, range).await {
            Ok(out) => {
                if let Err(outcome) = conditions.evaluate(&out.info.etag, out.info.last_modified) {
                    return condition_failure(outcome, &out.info);
                }
                (out.info, out.range, Some(out.body))
            }
            Err(StorageError::InvalidRange) => {
                // Conditions decide before the range, as on AWS.
                let info = ctx.store.head_object(&object).await?;
                if let Err(outcome) = conditions.evaluate(&info.etag, info.last_modified) {
                    return condition_failure(outcome, &info);
                }
                return Err(ApiError::new(S3ErrorCode::InvalidRange));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let (status, length) = match &served {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
        None => (StatusCode::OK, info.size),
    };
    let mut response = Response::new(match stream {
        Some(stream) => body::streaming(stream),
        None => body::empty(),
    });
    *response.status_mut() = status;
    let headers = response.headers_mut();
    object_headers(headers, &info, ctx.query);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(r) = &served {
        set(
            headers,
            CONTENT_RANGE,
            &format!(
                "bytes {}-{}/{}",
                r.start,
                r.end.saturating_sub(1),
                info.size
            ),
        );
    }
    Ok(response)
}

pub(crate) async fn delete_object<O: ObjectStore>(ctx: &Ctx<'_, O>, _: NoInput) -> HandlerResult {
    ctx.store.delete_object(&ctx.object()).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub(crate) async fn get_object_acl<O: ObjectStore>(ctx: &Ctx<'_, O>, _: NoInput) -> HandlerResult {
    ctx.store.head_object(&ctx.object()).await?;
    Ok(xml_response(
        StatusCode::OK,
        &AccessControlPolicy::canned(ctx.owner()),
    ))
}

/// Reads a small body that must carry an integrity check: `Content-MD5` or one
/// `x-amz-checksum-*` header (or an aws-chunked trailing checksum), verified over the body
/// (`BadDigest` on a mismatch). Without any, `missing` is the error. DeleteObjects and
/// PutBucketPolicy share it.
pub(crate) async fn read_digested_body<O>(
    ctx: &mut Ctx<'_, O>,
    missing: ApiError,
) -> Result<bytes::Bytes, ApiError> {
    let md5 = content_md5(ctx)?;
    let checksum = ctx.header_checksum()?;
    if md5.is_none() && checksum.is_none() && !ctx.has_trailer_checksum() {
        return Err(missing);
    }
    let body = ctx.read_xml_body().await?;
    if let Some(expected) = md5 {
        let got: [u8; 16] = Md5::digest(&body).into();
        if got != expected {
            return Err(ApiError::new(S3ErrorCode::BadDigest));
        }
    }
    Ok(body)
}

pub(crate) async fn delete_objects<O: ObjectStore>(
    ctx: &mut Ctx<'_, O>,
    _: NoInput,
) -> HandlerResult {
    let body = read_digested_body(
        ctx,
        ApiError::with_message(
            S3ErrorCode::InvalidRequest,
            "Missing required header for this request: Content-MD5 or x-amz-checksum-*",
        ),
    )
    .await?;
    let delete = Delete::parse(&body, ctx.config.limits.max_xml_body)?;
    if delete.objects.len() > ctx.config.limits.max_delete_keys {
        return Err(ApiError::new(S3ErrorCode::MalformedXML));
    }
    // An entry S4 cannot carry out as asked (a version, a condition) is refused; then
    // s3:DeleteObject is authorized per key. Refused and denied keys are reported, not
    // deleted.
    let mut refused = Vec::new();
    let mut keys: Vec<String> = Vec::with_capacity(delete.objects.len());
    for object in delete.objects {
        if let Some(error) = crate::refusals::refuse_delete_entry(&object) {
            refused.push((object.key, error));
            continue;
        }
        match &ctx.key_access {
            Some(access) if !access.allows_delete(&ctx.bucket, &object.key) => {
                refused.push((object.key, ApiError::new(S3ErrorCode::AccessDenied)));
            }
            _ => keys.push(object.key),
        }
    }
    let results = if keys.is_empty() {
        Vec::new()
    } else {
        ctx.store
            .delete_objects(&ctx.account, &ctx.bucket, &keys)
            .await?
    };
    let mut result = DeleteResult::default();
    for (key, error) in refused {
        result.errors.push(DeleteError {
            key,
            code: error.code.as_str().to_owned(),
            message: error.message,
        });
    }
    for (key, outcome) in keys.into_iter().zip(results) {
        match outcome {
            Ok(()) if !delete.quiet => result.deleted.push(key),
            Ok(()) => {}
            Err(e) => {
                let e = ApiError::from(e);
                result.errors.push(DeleteError {
                    key,
                    code: e.code.as_str().to_owned(),
                    message: e.message,
                });
            }
        }
    }
    Ok(xml_response(StatusCode::OK, &result))
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
