//! CopyObject.

use http::StatusCode;
use s4_s3_xml::CopyObjectResult;
use s4_storage::{CopyObject, ObjectRef, ObjectStore};

use super::object::{object_attributes, read_conditions, write_precondition, IfNoneMatch};
use super::{Ctx, HandlerResult};
use crate::error_code::S3ErrorCode;
use crate::operation::CopySource;
use crate::response::{xml_response, ApiError};

/// `x-amz-source-expected-bucket-owner`: the copy source is always in the request's
/// account, so naming any other account is `AccessDenied`, as AWS answers a source bucket
/// owned by someone else.
pub(crate) fn check_source_owner<O>(ctx: &Ctx<'_, O>) -> Result<(), ApiError> {
    match ctx.headers.get("x-amz-source-expected-bucket-owner") {
        Some(expected) if expected.as_bytes().trim_ascii() != ctx.account.as_str().as_bytes() => {
            Err(ApiError::new(S3ErrorCode::AccessDenied))
        }
        _ => Ok(()),
    }
}

pub(crate) async fn copy_object<O: ObjectStore>(
    ctx: &Ctx<'_, O>,
    source: CopySource,
) -> HandlerResult {
    check_source_owner(ctx)?;
    let replace = match ctx.header("x-amz-metadata-directive") {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(other) => {
            return Err(ApiError::invalid_argument(
                "Unknown metadata directive.",
                "x-amz-metadata-directive",
                other,
            ))
        }
    };
    if !replace && source.bucket == ctx.bucket && source.key == ctx.key {
        return Err(ApiError::with_message(
            S3ErrorCode::InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let replace_attributes = if replace {
        Some(object_attributes(ctx)?)
    } else {
        None
    };
    let precondition = write_precondition(ctx, IfNoneMatch::WildcardOnly)?;
    let info = ctx
        .store
        .copy_object(CopyObject {
            source: ObjectRef {
                account: ctx.account,
                bucket: source.bucket,
                key: source.key,
            },
            source_conditions: read_conditions(ctx.headers, true),
            target: ctx.object(),
            replace_attributes,
            precondition,
        })
        .await?;
    Ok(xml_response(
        StatusCode::OK,
        &CopyObjectResult {
            last_modified: info.last_modified,
            etag: info.etag.as_str().to_owned(),
        },
    ))
}
