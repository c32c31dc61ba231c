//! Bucket operations (spec 2.2.1).

use http::StatusCode;
use s4_s3_xml::{
    AccessControlPolicy, BucketEntry, CreateBucketConfiguration, ListAllMyBucketsResult,
    LocationConstraint,
};
use s4_storage::ObjectStore;

use super::{empty_response, Ctx, HandlerResult, NoInput};
use crate::response::xml_response;

pub(crate) async fn list_buckets<O: ObjectStore>(ctx: &Ctx<'_, O>, _: NoInput) -> HandlerResult {
    let buckets = ctx.store.list_buckets(&ctx.account).await?;
    let result = ListAllMyBucketsResult {
        owner: ctx.owner(),
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
    ctx: &mut Ctx<'_, O>,
    _: NoInput,
) -> HandlerResult {
    // The configuration is read (and its signature checked) but its region is ignored:
    // any endpoint serves any bucket.
    let body = ctx.read_xml_body().await?;
    if !body.iter().all(u8::is_ascii_whitespace) {
        CreateBucketConfiguration::parse(&body, ctx.config.limits.max_xml_body)?;
    }
    ctx.store.create_bucket(&ctx.account, &ctx.bucket).await?;
    Ok(empty_response(StatusCode::OK))
}

pub(crate) async fn delete_bucket<O: ObjectStore>(ctx: &Ctx<'_, O>, _: NoInput) -> HandlerResult {
    ctx.store.delete_bucket(&ctx.account, &ctx.bucket).await?;
    // A bucket created again under this name starts without a policy.
    ctx.policies.invalidate(&ctx.account, &ctx.bucket);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub(crate) async fn head_bucket<O: ObjectStore>(ctx: &Ctx<'_, O>, _: NoInput) -> HandlerResult {
    ctx.store.head_bucket(&ctx.account, &ctx.bucket).await?;
    let mut response = empty_response(StatusCode::OK);
    response.headers_mut().insert(
        "x-amz-bucket-region",
        http::HeaderValue::from_str(&ctx.config.region)
            .unwrap_or(http::HeaderValue::from_static("us-east-1")),
    );
    Ok(response)
}

pub(crate) async fn get_bucket_location<O: ObjectStore>(
    ctx: &Ctx<'_, O>,
    _: NoInput,
) -> HandlerResult {
    ctx.store.head_bucket(&ctx.account, &ctx.bucket).await?;
    Ok(xml_response(StatusCode::OK, &LocationConstraint::default()))
}

pub(crate) async fn get_bucket_acl<O: ObjectStore>(ctx: &Ctx<'_, O>, _: NoInput) -> HandlerResult {
    ctx.store.head_bucket(&ctx.account, &ctx.bucket).await?;
    Ok(xml_response(
        StatusCode::OK,
        &AccessControlPolicy::canned(ctx.owner()),
    ))
}
