//! Bucket operations (spec 2.2.1).

use http::StatusCode;
use s4_s3_xml::{
    AccessControlPolicy, BucketEntry, CreateBucketConfiguration, ListAllMyBucketsResult,
    LocationConstraint,
};
use s4_storage::ObjectStore;

use super::{empty_response, Env, HandlerResult};
use crate::input::{NoInput, RequestBody};
use crate::response::xml_response;

pub(crate) async fn list_buckets<O: ObjectStore>(
    env: &Env<'_, O>,
    _: NoInput,
    _: RequestBody,
) -> HandlerResult {
    let buckets = env.store.list_buckets(&env.account).await?;
    let result = ListAllMyBucketsResult {
        owner: env.owner(),
        buckets: buckets
            .into_iter()
            .map(|b| BucketEntry {
                name: b.name,
                creation_date: b.created,
            })
            .collect(),
    };
    Ok(xml_response(StatusCode::OK, &result))
}

pub(crate) async fn create_bucket<O: ObjectStore>(
    env: &Env<'_, O>,
    _: NoInput,
    body: RequestBody,
) -> HandlerResult {
    // The configuration is read (and its signature checked) but its region is ignored:
    // any endpoint serves any bucket.
    let body = body.read_xml(env.config.limits.max_xml_body).await?;
    if !body.iter().all(u8::is_ascii_whitespace) {
        CreateBucketConfiguration::parse(&body, env.config.limits.max_xml_body)?;
    }
    env.store.create_bucket(&env.account, &env.bucket).await?;
    Ok(empty_response(StatusCode::OK))
}

pub(crate) async fn delete_bucket<O: ObjectStore>(
    env: &Env<'_, O>,
    _: NoInput,
    _: RequestBody,
) -> HandlerResult {
    env.store.delete_bucket(&env.account, &env.bucket).await?;
    // A bucket created again under this name starts without a policy.
    env.policies.invalidate(&env.account, &env.bucket);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub(crate) async fn head_bucket<O: ObjectStore>(
    env: &Env<'_, O>,
    _: NoInput,
    _: RequestBody,
) -> HandlerResult {
    env.store.head_bucket(&env.account, &env.bucket).await?;
    let mut response = empty_response(StatusCode::OK);
    response.headers_mut().insert(
        "x-amz-bucket-region",
        http::HeaderValue::from_str(&env.config.region)
            .unwrap_or(http::HeaderValue::from_static("us-east-1")),
    );
    Ok(response)
}

pub(crate) async fn get_bucket_location<O: ObjectStore>(
    env: &Env<'_, O>,
    _: NoInput,
    _: RequestBody,
) -> HandlerResult {
    env.store.head_bucket(&env.account, &env.bucket).await?;
    Ok(xml_response(StatusCode::OK, &LocationConstraint::default()))
}

pub(crate) async fn get_bucket_acl<O: ObjectStore>(
    env: &Env<'_, O>,
    _: NoInput,
    _: RequestBody,
) -> HandlerResult {
    env.store.head_bucket(&env.account, &env.bucket).await?;
    Ok(xml_response(
        StatusCode::OK,
        &AccessControlPolicy::canned(env.owner()),
    ))
}
