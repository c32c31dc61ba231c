//! Bucket policies (spec 2.2.3): PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy.
//!
//! The document is validated and compiled by `s4-policy` (`MalformedPolicy` naming the
//! element), stored byte for byte as sent and returned so. Every change invalidates the
//! service's compiled-policy cache after the store committed it.

use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Response, StatusCode};
use s4_policy::{CompiledPolicy, MAX_BUCKET_POLICY_BYTES};
use s4_storage::ObjectStore;

use super::object::read_digested_body;
use super::{empty_response, Env, HandlerResult};
use crate::body;
use crate::error_code::S3ErrorCode;
use crate::input::{DigestedBody, NoInput, RequestBody};
use crate::response::ApiError;

/// PUT `/<bucket>?policy`. An integrity header is mandatory (`Content-MD5` or one
/// `x-amz-checksum-*`: `InvalidDigest` when missing, `BadDigest` when wrong); the document
/// is at most 20 KB and must compile as a policy of this bucket (`MalformedPolicy`).
pub(crate) async fn put_bucket_policy<O: ObjectStore>(
    env: &Env<'_, O>,
    input: DigestedBody,
    body: RequestBody,
) -> HandlerResult {
    let body = read_digested_body(
        env,
        input,
        body,
        ApiError::with_message(
            S3ErrorCode::InvalidDigest,
            "Missing required header for this request: Content-MD5 or x-amz-checksum-*",
        ),
    )
    .await?;
    // A missing bucket is NoSuchBucket whatever the document says.
    env.store.head_bucket(&env.account, &env.bucket).await?;
    if body.len() > MAX_BUCKET_POLICY_BYTES {
        return Err(ApiError::with_message(
            S3ErrorCode::MalformedPolicy,
            format!(
                "Policy exceeds the maximum allowed document size of {MAX_BUCKET_POLICY_BYTES} bytes."
            ),
        ));
    }
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::with_message(
            S3ErrorCode::MalformedPolicy,
            "Policies must be valid UTF-8 JSON.",
        )
    })?;
    CompiledPolicy::parse_bucket(text, &env.bucket)
        .map_err(|e| ApiError::with_message(S3ErrorCode::MalformedPolicy, e.message()))?;
    env.store
        .set_bucket_policy(&env.account, &env.bucket, Some(text.to_owned()))
        .await?;
    env.policies.invalidate(&env.account, &env.bucket);
    // The spec answers 200 with an empty body (AWS: 204).
    Ok(empty_response(StatusCode::OK))
}

/// GET `/<bucket>?policy`: the stored document, byte for byte.
pub(crate) async fn get_bucket_policy<O: ObjectStore>(
    env: &Env<'_, O>,
    _: NoInput,
    _: RequestBody,
) -> HandlerResult {
    let text = env
        .store
        .get_bucket_policy(&env.account, &env.bucket)
        .await?;
    let len = text.len();
    let mut response = Response::new(body::full(text.into_bytes()));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    Ok(response)
}

/// DELETE `/<bucket>?policy`: 204, or `NoSuchBucketPolicy` when the bucket has none.
pub(crate) async fn delete_bucket_policy<O: ObjectStore>(
    env: &Env<'_, O>,
    _: NoInput,
    _: RequestBody,
) -> HandlerResult {
    env.store
        .get_bucket_policy(&env.account, &env.bucket)
        .await?;
    env.store
        .set_bucket_policy(&env.account, &env.bucket, None)
        .await?;
    env.policies.invalidate(&env.account, &env.bucket);
    Ok(empty_response(StatusCode::NO_CONTENT))
}
