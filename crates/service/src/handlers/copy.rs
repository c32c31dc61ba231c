//! CopyObject.

use http::StatusCode;
use s4_s3_xml::CopyObjectResult;
use s4_storage::{CopyObject, ObjectRef, ObjectStore};

use super::object::check_conditional_writes;
use super::{Env, HandlerResult};
use crate::input::{CopyObjectInput, RequestBody};
use crate::response::xml_response;

pub(crate) async fn copy_object<O: ObjectStore>(
    env: &Env<'_, O>,
    input: CopyObjectInput,
    _: RequestBody,
) -> HandlerResult {
    let CopyObjectInput {
        source,
        replace_attributes,
        precondition,
        source_conditions,
    } = input;
    check_conditional_writes(env, &precondition)?;
    let info = env
        .store
        .copy_object(CopyObject {
            source: ObjectRef {
                account: env.account,
                bucket: source.bucket,
                key: source.key,
            },
            source_conditions,
            target: env.object(),
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
