//! PutBucketAcl and PutObjectAcl as AWS answers them on a bucket whose ACLs are disabled
//! (object ownership `BucketOwnerEnforced`, S4's only mode): an ACL that says what S4 does
//! anyway, the owner having full control, is accepted and changes nothing; every other ACL is
//! `AccessControlListNotSupported`, as is a request naming no ACL at all. The `x-amz-acl` and `x-amz-grant-*` headers are judged
//! by the refusal table ([`crate::refusals`]) before this handler runs.

use http::StatusCode;
use s4_s3_xml::{AccessControlPolicyRequest, AclGrantee, RequestError};
use s4_storage::ObjectStore;

use super::{empty_response, Env, HandlerResult};
use crate::error_code::S3ErrorCode;
use crate::input::{AclInput, RequestBody};
use crate::response::ApiError;

/// Which resource an ACL request addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AclTarget {
    Bucket,
    Object,
}

pub(crate) async fn put_bucket_acl<O: ObjectStore>(
    env: &Env<'_, O>,
    input: AclInput,
    body: RequestBody,
) -> HandlerResult {
    put_acl(env, AclTarget::Bucket, input, body).await
}

pub(crate) async fn put_object_acl<O: ObjectStore>(
    env: &Env<'_, O>,
    input: AclInput,
    body: RequestBody,
) -> HandlerResult {
    put_acl(env, AclTarget::Object, input, body).await
}

async fn put_acl<O: ObjectStore>(
    env: &Env<'_, O>,
    target: AclTarget,
    AclInput { canned }: AclInput,
    body: RequestBody,
) -> HandlerResult {
    match target {
        AclTarget::Bucket => {
            env.store.head_bucket(&env.account, &env.bucket).await?;
        }
        AclTarget::Object => {
            env.store.head_object(&env.object()).await?;
        }
    }
    let body = body.read_xml(env.config.limits.max_xml_body).await?;
    let has_body = !body.iter().all(u8::is_ascii_whitespace);
    match (canned, has_body) {
        // An accepted canned ACL (`private`, `bucket-owner-full-control`).
        (true, false) => {}
        (true, true) => {
            return Err(ApiError::with_message(
                S3ErrorCode::InvalidRequest,
                "Specify an ACL either with the x-amz-acl header or in the request body, not both.",
            ))
        }
        // Neither names the owner-only ACL.
        (false, false) => return Err(acls_not_supported()),
        (false, true) => {
            let acl = AccessControlPolicyRequest::parse(&body, env.config.limits.max_xml_body)
                .map_err(|e| match e {
                    RequestError::Malformed(_) | RequestError::MissingBody => {
                        ApiError::with_message(S3ErrorCode::MalformedACLError, e.message())
                    }
                    other => ApiError::from(other),
                })?;
            if !grants_only_owner_full_control(&acl, &env.owner().id) {
                return Err(acls_not_supported());
            }
        }
    }
    Ok(empty_response(StatusCode::OK))
}

fn acls_not_supported() -> ApiError {
    ApiError::with_message(
        S3ErrorCode::AccessControlListNotSupported,
        "The bucket does not allow ACLs",
    )
}

/// Whether `acl` grants `FULL_CONTROL` to the owner and nothing to anyone else (and names no
/// other owner): the ACL every S4 bucket and object has.
fn grants_only_owner_full_control(acl: &AccessControlPolicyRequest, owner_id: &str) -> bool {
    acl.owner_id.as_deref().is_none_or(|id| id == owner_id)
        && !acl.grants.is_empty()
        && acl.grants.iter().all(|grant| {
            grant.permission == "FULL_CONTROL"
                && matches!(&grant.grantee, AclGrantee::CanonicalUser(id) if id == owner_id)
        })
}
