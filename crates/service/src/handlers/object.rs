//! Object operations (spec 2.2.2): PutObject, GetObject, HeadObject, DeleteObject,
//! DeleteObjects, GetObjectAcl.

use http::header::{
    HeaderName, HeaderValue, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_ENCODING,
    CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, EXPIRES, LAST_MODIFIED,
};
use http::{HeaderMap, Response, StatusCode};
use md5::{Digest, Md5};
use s4_s3_xml::{AccessControlPolicy, Delete, DeleteError, DeleteResult};
use s4_storage::{
    ConditionOutcome, ObjectInfo, ObjectStore, PutObject, StorageError, WritePrecondition,
};

use super::{empty_response, Env, HandlerResult};
use crate::body::{self, refuse_data};
use crate::error_code::S3ErrorCode;
use crate::input::{
    DigestedBody, GetObjectInput, NoInput, PutObjectInput, RequestBody, ResponseOverrides,
};
use crate::response::{http_date, xml_response, ApiError};

/// A write precondition is refused when the backend cannot decide it with the write.
pub(crate) fn check_conditional_writes<O: ObjectStore>(
    env: &Env<'_, O>,
    precondition: &WritePrecondition,
) -> Result<(), ApiError> {
    if !precondition.is_empty() && !env.store.capabilities().conditional_writes {
        return Err(ApiError::with_message(
            S3ErrorCode::NotImplemented,
            "This server's storage backend does not implement conditional writes.",
        ));
    }
    Ok(())
}

/// An object or part body longer than the backend stores is refused before it is read.
pub(crate) fn check_body_size<O: ObjectStore>(
    env: &Env<'_, O>,
    content_length: Option<u64>,
) -> Result<(), ApiError> {
    if content_length.is_some_and(|n| n > env.store.capabilities().max_object_size) {
        return Err(ApiError::new(S3ErrorCode::EntityTooLarge));
    }
    Ok(())
}

pub(crate) async fn put_object<O: ObjectStore>(
    env: &Env<'_, O>,
    input: PutObjectInput,
    body: RequestBody,
) -> HandlerResult {
    check_conditional_writes(env, &input.precondition)?;
    let content_length = body.content_length();
    check_body_size(env, content_length)?;
    // The backend judges the key and the announced length before reading the body, and the
    // size it received at the commit; a folder marker's body is also cut off at its first
    // byte rather than read to the end.
    let mut stream = body.into_stream()?;
    if env.key.ends_with('/') {
        stream = refuse_data(stream);
    }
    let PutObjectInput {
        content_md5,
        attributes,
        precondition,
    } = input;
    let info = env
        .store
        .put_object(PutObject {
            target: env.object(),
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

fn object_headers(headers: &mut HeaderMap, info: &ObjectInfo, overrides: ResponseOverrides) {
    set(headers, ETAG, &info.etag.quoted());
    set(headers, LAST_MODIFIED, &http_date(info.last_modified));
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert("x-amz-storage-class", HeaderValue::from_static("STANDARD"));
    let c = &info.attributes.content;
    let pick = |given: Option<String>, stored: &Option<String>| given.or_else(|| stored.clone());
    let content_type = pick(overrides.content_type, &c.content_type)
        .unwrap_or_else(|| "binary/octet-stream".to_owned());
    set(headers, CONTENT_TYPE, &content_type);
    for (name, value) in [
        (
            CACHE_CONTROL,
            pick(overrides.cache_control, &c.cache_control),
        ),
        (
            CONTENT_ENCODING,
            pick(overrides.content_encoding, &c.content_encoding),
        ),
        (
            CONTENT_LANGUAGE,
            pick(overrides.content_language, &c.content_language),
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
pub(crate) async fn get_object<O: ObjectStore>(
    env: &Env<'_, O>,
    input: GetObjectInput,
    _: RequestBody,
) -> HandlerResult {
    let GetObjectInput {
        conditions,
        range,
        overrides,
    } = input;
    let object = env.object();
    let (info, served, stream) = if env.head {
        let info = env.store.head_object(&object).await?;
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
        match env.store.get_object(&object, range).await {
            Ok(out) => {
                if let Err(outcome) = conditions.evaluate(&out.info.etag, out.info.last_modified) {
                    return condition_failure(outcome, &out.info);
                }
                (out.info, out.range, Some(out.body))
            }
            Err(StorageError::InvalidRange) => {
                // Conditions decide before the range, as on AWS.
                let info = env.store.head_object(&object).await?;
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
    object_headers(headers, &info, overrides);
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

pub(crate) async fn delete_object<O: ObjectStore>(
    env: &Env<'_, O>,
    _: NoInput,
    _: RequestBody,
) -> HandlerResult {
    env.store.delete_object(&env.object()).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub(crate) async fn get_object_acl<O: ObjectStore>(
    env: &Env<'_, O>,
    _: NoInput,
    _: RequestBody,
) -> HandlerResult {
    env.store.head_object(&env.object()).await?;
    Ok(xml_response(
        StatusCode::OK,
        &AccessControlPolicy::canned(env.owner()),
    ))
}

/// Reads a small body that must carry an integrity check: `Content-MD5` or one
/// `x-amz-checksum-*` header (or an aws-chunked trailing checksum), verified over the body
/// (`BadDigest` on a mismatch). Without any, `missing` is the error. DeleteObjects and
/// PutBucketPolicy share it.
pub(crate) async fn read_digested_body<O>(
    env: &Env<'_, O>,
    input: DigestedBody,
    body: RequestBody,
    missing: ApiError,
) -> Result<bytes::Bytes, ApiError> {
    let md5 = input.content_md5;
    if md5.is_none() && !body.has_checksum()? {
        return Err(missing);
    }
    let body = body.read_xml(env.config.limits.max_xml_body).await?;
    if let Some(expected) = md5 {
        let got: [u8; 16] = Md5::digest(&body).into();
        if got != expected {
            return Err(ApiError::new(S3ErrorCode::BadDigest));
        }
    }
    Ok(body)
}

pub(crate) async fn delete_objects<O: ObjectStore>(
    env: &Env<'_, O>,
    input: DigestedBody,
    body: RequestBody,
) -> HandlerResult {
    let body = read_digested_body(
        env,
        input,
        body,
        ApiError::with_message(
            S3ErrorCode::InvalidRequest,
            "Missing required header for this request: Content-MD5 or x-amz-checksum-*",
        ),
    )
    .await?;
    let delete = Delete::parse(&body, env.config.limits.max_xml_body)?;
    if delete.objects.len() > env.config.limits.max_delete_keys {
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
        match &env.key_access {
            Some(access) if !access.allows_delete(&env.bucket, &object.key) => {
                refused.push((object.key, ApiError::new(S3ErrorCode::AccessDenied)));
            }
            _ => keys.push(object.key),
        }
    }
    let results = if keys.is_empty() {
        Vec::new()
    } else {
        env.store
            .delete_objects(&env.account, &env.bucket, &keys)
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
