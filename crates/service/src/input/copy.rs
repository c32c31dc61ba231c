//! CopyObject's input.

use s4_storage::{ObjectAttributes, ReadConditions, WritePrecondition};

use super::object::{object_attributes, read_conditions, write_precondition, IfNoneMatch};
use super::{FromRequest, RequestView};
use crate::error_code::S3ErrorCode;
use crate::operation::CopySource;
use crate::response::ApiError;

/// `x-amz-source-expected-bucket-owner`: the copy source is always in the request's
/// account, so naming any other account is `AccessDenied`, as AWS answers a source bucket
/// owned by someone else.
pub(crate) fn check_source_owner(request: &RequestView<'_>) -> Result<(), ApiError> {
    match request.headers.get("x-amz-source-expected-bucket-owner") {
        Some(expected)
            if expected.as_bytes().trim_ascii() != request.account.as_str().as_bytes() =>
        {
            Err(ApiError::new(S3ErrorCode::AccessDenied))
        }
        _ => Ok(()),
    }
}

/// CopyObject's input: the source, the attributes that replace the source's (with
/// `x-amz-metadata-directive: REPLACE`), the destination's precondition and the source's
/// read conditions.
pub(crate) struct CopyObjectInput {
    pub source: CopySource,
    pub replace_attributes: Option<ObjectAttributes>,
    pub precondition: WritePrecondition,
    pub source_conditions: ReadConditions,
}

impl FromRequest for CopyObjectInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        let source = CopySource::from_request(request)?;
        check_source_owner(request)?;
        let replace = metadata_directive(request)?;
        if !replace && source.bucket == request.bucket && source.key == request.key {
            return Err(ApiError::with_message(
                S3ErrorCode::InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
            ));
        }
        let replace_attributes = if replace {
            Some(object_attributes(request)?)
        } else {
            None
        };
        Ok(Self {
            source,
            replace_attributes,
            precondition: write_precondition(request, IfNoneMatch::WildcardOnly)?,
            source_conditions: read_conditions(request.headers, true),
        })
    }
}

/// `x-amz-metadata-directive`: whether the copy replaces the source's metadata.
fn metadata_directive(request: &RequestView<'_>) -> Result<bool, ApiError> {
    match request.header("x-amz-metadata-directive") {
        None | Some("COPY") => Ok(false),
        Some("REPLACE") => Ok(true),
        Some(other) => Err(ApiError::invalid_argument(
            "Unknown metadata directive.",
            "x-amz-metadata-directive",
            other,
        )),
    }
}
