//! Deciding a request's operation from the catalogue: the method, whether the path names a
//! bucket and a key, the sub-resource flags of the query and the distinguishing header.

use http::{HeaderMap, Method};
use s4_naming::{validate_bucket_name, validate_object_key};

use super::{
    copy_source_header, parse_part_number, require_upload_id, CopySource, Query, S3Operation, Sub,
    Target, Verb, When, CATALOGUE,
};
use crate::error_code::S3ErrorCode;
use crate::response::ApiError;

/// Sub-resources S4 does not implement (yet): answered `501 NotImplemented`, which s3cmd and
/// the SDKs tolerate where a 400 would break them.
pub const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "accelerate",
    "analytics",
    "attributes",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
    "versioning",
    "versions",
    "website",
];

/// A routed request: its operation, and for a copy its source (authorized up front).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routed {
    pub operation: S3Operation,
    pub copy_source: Option<CopySource>,
}

fn method_not_allowed() -> ApiError {
    ApiError::new(S3ErrorCode::MethodNotAllowed)
}

/// Decides the operation. Bucket names and keys are validated here, after authentication:
/// a bad bucket name is `InvalidBucketName`, a bad key `MethodNotAllowed` (spec 2.1.2, 2.1.4).
///
/// Among the catalogue's rows for the target, the sub-resource is that of the first row
/// whose flag the query carries (none: the rows without one); the operation is the first of
/// those rows whose method matches and whose distinguishing header or query value is there.
/// No such row is `MethodNotAllowed`, except the refusals outside the table: presigned POST
/// uploads and reads of single parts (`partNumber` without `uploadId`) are `NotImplemented`.
pub fn route(
    method: &Method,
    bucket: Option<&str>,
    key: Option<&str>,
    query: &Query,
    headers: &HeaderMap,
) -> Result<Routed, ApiError> {
    if let Some(name) = UNSUPPORTED_SUBRESOURCES.iter().find(|n| query.has(n)) {
        return Err(ApiError::with_message(
            S3ErrorCode::NotImplemented,
            format!("S4 does not implement the '{name}' sub-resource."),
        ));
    }
    let target = match (bucket, key) {
        (None, _) => Target::Service,
        (Some(bucket), None) => {
            validate_bucket_name(bucket)?;
            Target::Bucket
        }
        (Some(bucket), Some(key)) => {
            validate_bucket_name(bucket)?;
            validate_object_key(key)?;
            Target::Object
        }
    };
    let rows = || CATALOGUE.iter().filter(move |row| row.target == target);
    let sub = rows()
        .map(|row| row.sub)
        .find(|sub| sub.param().is_some_and(|p| query.has(p)))
        .unwrap_or(Sub::None);
    if sub == Sub::UploadId {
        require_upload_id(query.get("uploadId"))?;
    }
    if target == Target::Object && sub == Sub::None && query.has("partNumber") {
        return Err(ApiError::with_message(
            S3ErrorCode::NotImplemented,
            "S4 does not implement reading single parts (partNumber).",
        ));
    }
    let verb = Verb::of(method);
    let mut candidates = rows().filter(|row| row.sub == sub && Some(row.verb) == verb);
    if sub == Sub::UploadId && verb == Some(Verb::Put) {
        parse_part_number(query.get("partNumber"))?;
    }
    let Some(row) = candidates.find(|row| match row.when {
        When::Always => true,
        When::CopySourceHeader => headers.contains_key("x-amz-copy-source"),
        When::QueryValue(name, value) => query.get(name) == Some(value),
    }) else {
        if target == Target::Bucket && sub == Sub::None && verb == Some(Verb::Post) {
            return Err(ApiError::with_message(
                S3ErrorCode::NotImplemented,
                "S4 does not implement presigned POST uploads.",
            ));
        }
        return Err(method_not_allowed());
    };
    let copy_source = match row.when {
        When::CopySourceHeader => Some(copy_source_header(headers)?),
        When::Always | When::QueryValue(..) => None,
    };
    Ok(Routed {
        operation: row.operation,
        copy_source,
    })
}
