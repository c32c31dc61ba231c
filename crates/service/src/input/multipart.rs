//! The inputs of the multipart operations.

use s4_s3_xml::EncodingType;
use s4_storage::multipart::UploadListQuery;
use s4_storage::{ByteRange, ObjectAttributes, ReadConditions, WritePrecondition};

use super::object::{
    content_md5, object_attributes, read_conditions, write_precondition, IfNoneMatch,
};
use super::{FromRequest, RequestView};
use crate::operation::{CopySource, PartTarget, UploadId};
use crate::response::ApiError;

/// Most parts or uploads one listing answers.
const MAX_LISTED: usize = 1000;

/// A non-negative integer query parameter (`max-parts`, `part-number-marker`, ...).
fn count_param(request: &RequestView<'_>, name: &str) -> Result<Option<u64>, ApiError> {
    match request.query.get(name) {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Some(v.parse().unwrap_or(u64::MAX)))
        }
        Some(v) => Err(ApiError::invalid_argument(
            format!("Provided {name} not an integer or within integer range"),
            name,
            v,
        )),
    }
}

/// CreateMultipartUpload's input: the attributes of the object to be.
pub(crate) struct CreateUploadInput {
    pub attributes: ObjectAttributes,
}

impl FromRequest for CreateUploadInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self {
            attributes: object_attributes(request)?,
        })
    }
}

/// UploadPart's input: the part and its MD5.
pub(crate) struct UploadPartInput {
    pub part: PartTarget,
    pub content_md5: Option<[u8; 16]>,
}

impl FromRequest for UploadPartInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self {
            part: PartTarget::from_request(request)?,
            content_md5: content_md5(request)?,
        })
    }
}

/// `x-amz-copy-source-range`: exactly `bytes=first-last`.
fn copy_source_range(value: &str) -> Result<ByteRange, ApiError> {
    let invalid = || {
        ApiError::invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
            "x-amz-copy-source-range",
            value,
        )
    };
    let spec = value.trim().strip_prefix("bytes=").ok_or_else(invalid)?;
    let (first, last) = spec.split_once('-').ok_or_else(invalid)?;
    let num = |s: &str| -> Result<u64, ApiError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        s.parse().map_err(|_| invalid())
    };
    let (first, last) = (num(first)?, num(last)?);
    if first > last {
        return Err(invalid());
    }
    Ok(ByteRange::Inclusive { first, last })
}

/// UploadPartCopy's input: the part, the source, the range of it and its read conditions.
pub(crate) struct UploadPartCopyInput {
    pub part: PartTarget,
    pub source: CopySource,
    pub range: Option<ByteRange>,
    /// The `x-amz-copy-source-range` as sent, for the error that names it.
    pub range_header: String,
    pub conditions: ReadConditions,
}

impl FromRequest for UploadPartCopyInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        let part = PartTarget::from_request(request)?;
        let source = CopySource::from_request(request)?;
        super::copy::check_source_owner(request)?;
        Ok(Self {
            part,
            source,
            range: request
                .header("x-amz-copy-source-range")
                .map(copy_source_range)
                .transpose()?,
            range_header: request
                .header("x-amz-copy-source-range")
                .unwrap_or("")
                .to_owned(),
            conditions: read_conditions(request.headers, true),
        })
    }
}

/// CompleteMultipartUpload's input: the upload and the object's write precondition.
pub(crate) struct CompleteUploadInput {
    pub upload_id: String,
    pub precondition: WritePrecondition,
}

impl FromRequest for CompleteUploadInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self {
            upload_id: UploadId::from_request(request)?.0,
            precondition: write_precondition(request, IfNoneMatch::AnyValue)?,
        })
    }
}

/// ListParts' input: the upload and the page asked for.
pub(crate) struct ListPartsInput {
    pub upload_id: String,
    pub max_parts: usize,
    pub marker: u32,
}

impl FromRequest for ListPartsInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        Ok(Self {
            upload_id: UploadId::from_request(request)?.0,
            max_parts: count_param(request, "max-parts")?
                .map_or(MAX_LISTED, |n| n.min(MAX_LISTED as u64) as usize),
            marker: count_param(request, "part-number-marker")?
                .map_or(0, |n| n.min(u64::from(u32::MAX)) as u32),
        })
    }
}

/// ListMultipartUploads' input: the listing asked for.
pub(crate) struct ListUploadsInput {
    pub encoding: Option<EncodingType>,
    pub query: UploadListQuery,
}

impl FromRequest for ListUploadsInput {
    fn from_request(request: &RequestView<'_>) -> Result<Self, ApiError> {
        let query = request.query;
        let encoding = EncodingType::from_query(query.get("encoding-type"))?;
        let max_uploads = count_param(request, "max-uploads")?
            .map_or(MAX_LISTED, |n| n.min(MAX_LISTED as u64) as usize);
        let non_empty = |name: &str| query.get(name).filter(|v| !v.is_empty()).map(str::to_owned);
        if let Some(marker) = query.get("upload-id-marker") {
            if !is_valid_upload_id(marker) {
                return Err(ApiError::invalid_argument(
                    "Invalid uploadId marker",
                    "upload-id-marker",
                    marker,
                ));
            }
        }
        Ok(Self {
            encoding,
            query: UploadListQuery {
                prefix: query.get("prefix").unwrap_or("").to_owned(),
                delimiter: non_empty("delimiter"),
                key_marker: non_empty("key-marker"),
                upload_id_marker: non_empty("upload-id-marker"),
                max_uploads,
            },
        })
    }
}

/// Whether `value` could be an upload ID: the backends choose URL-safe IDs (letters, digits,
/// `-`, `_`, `.`, `~`) of at most 128 characters. Empty counts as absent.
fn is_valid_upload_id(value: &str) -> bool {
    value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_code::S3ErrorCode;

    #[test]
    fn upload_id_markers() {
        assert!(is_valid_upload_id("0a1b2c-_."));
        assert!(is_valid_upload_id(""));
        assert!(!is_valid_upload_id("a b"));
        assert!(!is_valid_upload_id("a/b"));
        assert!(!is_valid_upload_id(&"a".repeat(129)));
    }

    #[test]
    fn copy_source_ranges() {
        assert_eq!(
            copy_source_range("bytes=0-9").unwrap(),
            ByteRange::Inclusive { first: 0, last: 9 }
        );
        for bad in [
            "bytes=5-",
            "bytes=-5",
            "bytes=9-1",
            "0-9",
            "bytes=a-b",
            "bytes=0-1,2-3",
        ] {
            assert_eq!(
                copy_source_range(bad).unwrap_err().code,
                S3ErrorCode::InvalidArgument,
                "{bad}"
            );
        }
    }
}
