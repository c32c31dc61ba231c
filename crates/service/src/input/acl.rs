//! The input of PutBucketAcl and PutObjectAcl.

use super::{FromRequest, RequestView};
use crate::response::ApiError;

/// Whether the ACL comes as a canned `x-amz-acl` (whose value the refusal table judged)
/// rather than in the body.
pub(crate) struct AclInput {
    pub canned: bool,
}

impl FromRequest for AclInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self {
            canned: request.headers.contains_key("x-amz-acl"),
        })
    }
}
