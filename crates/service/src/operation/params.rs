//! The route parameters: the copy source of a copy, the upload and part of a multipart
//! operation. Validated by the router (so that a malformed one is refused before
//! authorization) and parsed again as the handlers' typed inputs.

use percent_encoding::percent_decode_str;
use s4_naming::{validate_bucket_name, validate_object_key};

use crate::input::{FromRequest, RequestView};
use crate::response::ApiError;

/// The source of a CopyObject or UploadPartCopy, from `x-amz-copy-source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
}

/// The upload and part number an UploadPart (or UploadPartCopy) writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartTarget {
    pub upload_id: String,
    pub part_number: u32,
}

/// The `uploadId` of a multipart operation on an existing upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadId(pub String);

/// `uploadId`: present and not empty.
pub(crate) fn require_upload_id(value: Option<&str>) -> Result<&str, ApiError> {
    match value {
        Some(id) if !id.is_empty() => Ok(id),
        other => Err(ApiError::invalid_argument(
            "The uploadId parameter must not be empty.",
            "uploadId",
            other.unwrap_or(""),
        )),
    }
}

impl FromRequest for UploadId {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        require_upload_id(request.query.get("uploadId")).map(|id| Self(id.to_owned()))
    }
}

impl FromRequest for PartTarget {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self {
            upload_id: UploadId::from_request(request)?.0,
            part_number: parse_part_number(request.query.get("partNumber"))?,
        })
    }
}

impl FromRequest for CopySource {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        copy_source_header(request.headers)
    }
}

/// The copy source named by the `x-amz-copy-source` header.
pub(crate) fn copy_source_header(headers: &http::HeaderMap) -> Result<CopySource, ApiError> {
    let raw = headers
        .get("x-amz-copy-source")
        .map_or(&b""[..], |v| v.as_bytes());
    parse_copy_source(raw)
}

/// `partNumber`: an integer in 1..=10000.
pub(crate) fn parse_part_number(value: Option<&str>) -> Result<u32, ApiError> {
    let raw = value.unwrap_or("");
    match raw.parse::<u32>() {
        Ok(n)
            if (1..=s4_s3_xml::MAX_PART_NUMBER).contains(&n)
                && raw.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(n)
        }
        _ => Err(ApiError::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            raw,
        )),
    }
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=...]`, URL-encoded. S4 keeps one version
/// per key: a version ID other than `null` is refused by the refusal table
/// ([`crate::refusals`]).
pub fn parse_copy_source(raw: &[u8]) -> Result<CopySource, ApiError> {
    let invalid = || {
        ApiError::invalid_argument(
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.",
            "x-amz-copy-source",
            &String::from_utf8_lossy(raw),
        )
    };
    let raw = std::str::from_utf8(raw).map_err(|_| invalid())?;
    let path = match raw.split_once('?') {
        Some((path, _version)) => path,
        None => raw,
    };
    let decoded = percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| invalid())?;
    let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
    let (bucket, key) = decoded.split_once('/').ok_or_else(invalid)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid());
    }
    validate_bucket_name(bucket)?;
    validate_object_key(key)?;
    Ok(CopySource {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    })
}
