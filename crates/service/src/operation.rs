//! Parsing a routed, authenticated request into one typed S3 operation, dispatched on the
//! method, the bucket/key shape and the sub-resource flags of the query.

use http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;
use s4_naming::{validate_bucket_name, validate_object_key};

use crate::error_code::S3ErrorCode;
use crate::response::ApiError;

/// The decoded query parameters, in order. Flags without a value (`?acl`) and with an empty
/// one (`?uploads=`, as minio-py and rclone send them) are alike.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes a raw query string with the decoding the signature check uses
    /// ([`s4_sigv4::query_pairs`]): `+` is a space, `%2B` a plus, as on AWS.
    pub fn parse(raw: &str) -> Self {
        let text = |b: Vec<u8>| {
            String::from_utf8(b)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        };
        Self(
            s4_sigv4::query_pairs(raw)
                .map(|(n, v)| (text(n), text(v)))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// Every parameter's name and value, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// Sub-resources S4 does not implement (yet): answered `501 NotImplemented`, which s3cmd and
/// the SDKs tolerate where a 400 would break them.
const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
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

/// The source of a CopyObject, from `x-amz-copy-source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopySource {
    pub bucket: String,
    pub key: String,
}

/// One S3 operation. Bucket and key travel with the request target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum S3Operation {
    ListBuckets,
    CreateBucket,
    DeleteBucket,
    HeadBucket,
    GetBucketLocation,
    GetBucketAcl,
    PutBucketAcl,
    ListObjects,
    ListObjectsV2,
    DeleteObjects,
    PutObject,
    CopyObject(CopySource),
    GetObject,
    HeadObject,
    DeleteObject,
    GetObjectAcl,
    PutObjectAcl,
    CreateMultipartUpload,
    UploadPart(PartTarget),
    UploadPartCopy(PartTarget, CopySource),
    CompleteMultipartUpload { upload_id: String },
    AbortMultipartUpload { upload_id: String },
    ListParts { upload_id: String },
    ListMultipartUploads,
    GetBucketPolicy,
    PutBucketPolicy,
    DeleteBucketPolicy,
}

/// The upload and part number an UploadPart (or UploadPartCopy) writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartTarget {
    pub upload_id: String,
    pub part_number: u32,
}

impl S3Operation {
    /// The operation's API name, as the access log reports it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ListBuckets => "ListBuckets",
            Self::CreateBucket => "CreateBucket",
            Self::DeleteBucket => "DeleteBucket",
            Self::HeadBucket => "HeadBucket",
            Self::GetBucketLocation => "GetBucketLocation",
            Self::GetBucketAcl => "GetBucketAcl",
            Self::PutBucketAcl => "PutBucketAcl",
            Self::ListObjects => "ListObjects",
            Self::ListObjectsV2 => "ListObjectsV2",
            Self::DeleteObjects => "DeleteObjects",
            Self::PutObject => "PutObject",
            Self::CopyObject(_) => "CopyObject",
            Self::GetObject => "GetObject",
            Self::HeadObject => "HeadObject",
            Self::DeleteObject => "DeleteObject",
            Self::GetObjectAcl => "GetObjectAcl",
            Self::PutObjectAcl => "PutObjectAcl",
            Self::CreateMultipartUpload => "CreateMultipartUpload",
            Self::UploadPart(_) => "UploadPart",
            Self::UploadPartCopy(..) => "UploadPartCopy",
            Self::CompleteMultipartUpload { .. } => "CompleteMultipartUpload",
            Self::AbortMultipartUpload { .. } => "AbortMultipartUpload",
            Self::ListParts { .. } => "ListParts",
            Self::ListMultipartUploads => "ListMultipartUploads",
            Self::GetBucketPolicy => "GetBucketPolicy",
            Self::PutBucketPolicy => "PutBucketPolicy",
            Self::DeleteBucketPolicy => "DeleteBucketPolicy",
        }
    }

    /// The IAM action this operation is authorized as.
    pub fn action(&self) -> &'static str {
        match self {
            Self::ListBuckets => "s3:ListAllMyBuckets",
            Self::CreateBucket => "s3:CreateBucket",
            Self::DeleteBucket => "s3:DeleteBucket",
            Self::HeadBucket | Self::ListObjects | Self::ListObjectsV2 => "s3:ListBucket",
            Self::GetBucketLocation => "s3:GetBucketLocation",
            Self::GetBucketAcl => "s3:GetBucketAcl",
            Self::PutBucketAcl => "s3:PutBucketAcl",
            Self::DeleteObjects | Self::DeleteObject => "s3:DeleteObject",
            Self::PutObject
            | Self::CopyObject(_)
            | Self::CreateMultipartUpload
            | Self::UploadPart(_)
            | Self::UploadPartCopy(..)
            | Self::CompleteMultipartUpload { .. } => "s3:PutObject",
            Self::AbortMultipartUpload { .. } => "s3:AbortMultipartUpload",
            Self::ListParts { .. } => "s3:ListMultipartUploadParts",
            Self::ListMultipartUploads => "s3:ListBucketMultipartUploads",
            Self::GetObject | Self::HeadObject => "s3:GetObject",
            Self::GetObjectAcl => "s3:GetObjectAcl",
            Self::PutObjectAcl => "s3:PutObjectAcl",
            Self::GetBucketPolicy => "s3:GetBucketPolicy",
            Self::PutBucketPolicy => "s3:PutBucketPolicy",
            Self::DeleteBucketPolicy => "s3:DeleteBucketPolicy",
        }
    }

    /// The authorization checks of the operation on `bucket`/`key` (`s4-policy`'s table):
    /// its own action on its resource, plus `s3:GetObject` on the source of a copy.
    /// DeleteObjects is authorized per key by its handler and has no check here.
    pub fn checks(&self, bucket: &str, key: &str) -> Vec<s4_policy::actions::AccessCheck> {
        use s4_policy::actions::S3Operation as P;
        let (op, source) = match self {
            Self::DeleteObjects => return Vec::new(),
            Self::CopyObject(source) => (P::CopyObject, Some(source)),
            Self::UploadPartCopy(_, source) => (P::UploadPartCopy, Some(source)),
            other => (
                P::from_name(other.name()).expect("every operation is in s4-policy's table"),
                None,
            ),
        };
        op.checks(
            bucket,
            Some(key),
            source.map(|s| (s.bucket.as_str(), s.key.as_str())),
        )
    }

    /// The bucket a check of [`checks`](Self::checks) is about: the copy source's for the
    /// second check of a copy, else the request's.
    pub fn check_bucket<'a>(&'a self, index: usize, bucket: &'a str) -> &'a str {
        match self {
            Self::CopyObject(source) | Self::UploadPartCopy(_, source) if index == 1 => {
                &source.bucket
            }
            _ => bucket,
        }
    }
}

fn method_not_allowed() -> ApiError {
    ApiError::new(S3ErrorCode::MethodNotAllowed)
}

/// Decides the operation. Bucket names and keys are validated here, after authentication:
/// a bad bucket name is `InvalidBucketName`, a bad key `MethodNotAllowed` (spec 2.1.2, 2.1.4).
pub fn parse_operation(
    method: &Method,
    bucket: Option<&str>,
    key: Option<&str>,
    query: &Query,
    headers: &HeaderMap,
) -> Result<S3Operation, ApiError> {
    if let Some(name) = UNSUPPORTED_SUBRESOURCES.iter().find(|n| query.has(n)) {
        return Err(ApiError::with_message(
            S3ErrorCode::NotImplemented,
            format!("S4 does not implement the '{name}' sub-resource."),
        ));
    }
    let Some(bucket) = bucket else {
        return match *method {
            Method::GET => Ok(S3Operation::ListBuckets),
            _ => Err(method_not_allowed()),
        };
    };
    validate_bucket_name(bucket)?;
    let Some(key) = key else {
        return bucket_operation(method, query);
    };
    validate_object_key(key)?;
    object_operation(method, query, headers)
}

fn bucket_operation(method: &Method, query: &Query) -> Result<S3Operation, ApiError> {
    let op = if query.has("acl") {
        match *method {
            Method::GET => S3Operation::GetBucketAcl,
            Method::PUT => S3Operation::PutBucketAcl,
            _ => return Err(method_not_allowed()),
        }
    } else if query.has("location") {
        match *method {
            Method::GET => S3Operation::GetBucketLocation,
            _ => return Err(method_not_allowed()),
        }
    } else if query.has("uploads") {
        match *method {
            Method::GET => S3Operation::ListMultipartUploads,
            _ => return Err(method_not_allowed()),
        }
    } else if query.has("policy") {
        match *method {
            Method::GET => S3Operation::GetBucketPolicy,
            Method::PUT => S3Operation::PutBucketPolicy,
            Method::DELETE => S3Operation::DeleteBucketPolicy,
            _ => return Err(method_not_allowed()),
        }
    } else if query.has("delete") {
        match *method {
            Method::POST => S3Operation::DeleteObjects,
            _ => return Err(method_not_allowed()),
        }
    } else {
        match *method {
            Method::GET if query.get("list-type") == Some("2") => S3Operation::ListObjectsV2,
            Method::GET => S3Operation::ListObjects,
            Method::PUT => S3Operation::CreateBucket,
            Method::DELETE => S3Operation::DeleteBucket,
            Method::HEAD => S3Operation::HeadBucket,
            Method::POST => {
                return Err(ApiError::with_message(
                    S3ErrorCode::NotImplemented,
                    "S4 does not implement presigned POST uploads.",
                ))
            }
            _ => return Err(method_not_allowed()),
        }
    };
    Ok(op)
}

fn object_operation(
    method: &Method,
    query: &Query,
    headers: &HeaderMap,
) -> Result<S3Operation, ApiError> {
    if query.has("acl") {
        return match *method {
            Method::GET => Ok(S3Operation::GetObjectAcl),
            Method::PUT => Ok(S3Operation::PutObjectAcl),
            _ => Err(method_not_allowed()),
        };
    }
    if query.has("uploads") {
        return match *method {
            Method::POST => Ok(S3Operation::CreateMultipartUpload),
            _ => Err(method_not_allowed()),
        };
    }
    if let Some(upload_id) = query.get("uploadId") {
        return multipart_operation(method, query, headers, upload_id);
    }
    if query.has("partNumber") {
        return Err(ApiError::with_message(
            S3ErrorCode::NotImplemented,
            "S4 does not implement reading single parts (partNumber).",
        ));
    }
    match *method {
        Method::PUT => match headers.get("x-amz-copy-source") {
            Some(value) => parse_copy_source(value.as_bytes()).map(S3Operation::CopyObject),
            None => Ok(S3Operation::PutObject),
        },
        Method::GET => Ok(S3Operation::GetObject),
        Method::HEAD => Ok(S3Operation::HeadObject),
        Method::DELETE => Ok(S3Operation::DeleteObject),
        _ => Err(method_not_allowed()),
    }
}

fn multipart_operation(
    method: &Method,
    query: &Query,
    headers: &HeaderMap,
    upload_id: &str,
) -> Result<S3Operation, ApiError> {
    if upload_id.is_empty() {
        return Err(ApiError::invalid_argument(
            "The uploadId parameter must not be empty.",
            "uploadId",
            upload_id,
        ));
    }
    let upload_id = upload_id.to_owned();
    match *method {
        Method::PUT => {
            let part = PartTarget {
                upload_id,
                part_number: parse_part_number(query.get("partNumber"))?,
            };
            match headers.get("x-amz-copy-source") {
                Some(value) => parse_copy_source(value.as_bytes())
                    .map(|source| S3Operation::UploadPartCopy(part, source)),
                None => Ok(S3Operation::UploadPart(part)),
            }
        }
        Method::POST => Ok(S3Operation::CompleteMultipartUpload { upload_id }),
        Method::DELETE => Ok(S3Operation::AbortMultipartUpload { upload_id }),
        Method::GET => Ok(S3Operation::ListParts { upload_id }),
        _ => Err(method_not_allowed()),
    }
}

/// `partNumber`: an integer in 1..=10000.
fn parse_part_number(value: Option<&str>) -> Result<u32, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::needless_pass_by_value)]
    fn op(
        method: Method,
        bucket: Option<&str>,
        key: Option<&str>,
        query: &str,
    ) -> Result<S3Operation, S3ErrorCode> {
        parse_operation(
            &method,
            bucket,
            key,
            &Query::parse(query),
            &HeaderMap::new(),
        )
        .map_err(|e| e.code)
    }

    #[test]
    fn dispatch() {
        use S3Operation as O;
        assert_eq!(op(Method::GET, None, None, ""), Ok(O::ListBuckets));
        assert_eq!(op(Method::PUT, Some("bkt"), None, ""), Ok(O::CreateBucket));
        assert_eq!(
            op(Method::GET, Some("bkt"), None, "location="),
            Ok(O::GetBucketLocation)
        );
        assert_eq!(
            op(Method::GET, Some("bkt"), None, "location"),
            Ok(O::GetBucketLocation)
        );
        assert_eq!(
            op(Method::GET, Some("bkt"), None, "list-type=2&prefix="),
            Ok(O::ListObjectsV2)
        );
        assert_eq!(
            op(
                Method::GET,
                Some("bkt"),
                None,
                "delimiter=&max-keys=1000&prefix="
            ),
            Ok(O::ListObjects)
        );
        assert_eq!(
            op(Method::POST, Some("bkt"), None, "delete="),
            Ok(O::DeleteObjects)
        );
        assert_eq!(
            op(Method::PUT, Some("bkt"), Some("k"), "acl"),
            Ok(O::PutObjectAcl)
        );
        assert_eq!(
            op(Method::HEAD, Some("bkt"), Some("k"), "versionId=x"),
            Ok(O::HeadObject)
        );
        assert_eq!(
            op(Method::PUT, Some("bkt"), None, "policy"),
            Ok(O::PutBucketPolicy)
        );
        assert_eq!(
            op(Method::GET, Some("bkt"), None, "policy="),
            Ok(O::GetBucketPolicy)
        );
        assert_eq!(
            op(Method::DELETE, Some("bkt"), None, "policy"),
            Ok(O::DeleteBucketPolicy)
        );
        let copy = O::CopyObject(CopySource {
            bucket: "src".into(),
            key: "a".into(),
        });
        let checks = copy.checks("dst", "b");
        assert_eq!(
            checks
                .iter()
                .map(|c| (c.action, c.resource.as_str()))
                .collect::<Vec<_>>(),
            [
                ("s3:PutObject", "arn:aws:s3:::dst/b"),
                ("s3:GetObject", "arn:aws:s3:::src/a")
            ]
        );
        assert_eq!(copy.check_bucket(1, "dst"), "src");
        for o in [
            O::ListBuckets,
            O::GetObject,
            O::PutBucketPolicy,
            O::ListObjectsV2,
        ] {
            assert_eq!(o.checks("b", "k")[0].action, o.action());
        }
        assert!(O::DeleteObjects.checks("b", "").is_empty());
        assert_eq!(
            op(Method::GET, Some("bkt"), None, "cors"),
            Err(S3ErrorCode::NotImplemented)
        );
        assert_eq!(
            op(Method::POST, Some("bkt"), Some("k"), "uploads="),
            Ok(O::CreateMultipartUpload)
        );
        assert_eq!(
            op(Method::GET, Some("bkt"), None, "uploads"),
            Ok(O::ListMultipartUploads)
        );
        assert_eq!(
            op(
                Method::PUT,
                Some("bkt"),
                Some("k"),
                "partNumber=3&uploadId=u"
            ),
            Ok(O::UploadPart(PartTarget {
                upload_id: "u".into(),
                part_number: 3
            }))
        );
        assert_eq!(
            op(Method::DELETE, Some("bkt"), Some("k"), "uploadId=u"),
            Ok(O::AbortMultipartUpload {
                upload_id: "u".into()
            })
        );
        for bad in [
            "partNumber=0&uploadId=u",
            "partNumber=10001&uploadId=u",
            "partNumber=x&uploadId=u",
            "uploadId=u",
            "partNumber=1&uploadId=",
        ] {
            assert_eq!(
                op(Method::PUT, Some("bkt"), Some("k"), bad),
                Err(S3ErrorCode::InvalidArgument),
                "{bad}"
            );
        }
        assert_eq!(
            op(Method::GET, Some("bkt"), Some("k"), "partNumber=1"),
            Err(S3ErrorCode::NotImplemented)
        );
        assert_eq!(
            op(Method::PUT, Some("Bad_Bucket"), None, ""),
            Err(S3ErrorCode::InvalidBucketName)
        );
        assert_eq!(
            op(Method::PUT, Some("bkt"), Some("a//b"), ""),
            Err(S3ErrorCode::MethodNotAllowed)
        );
        assert_eq!(
            op(Method::DELETE, Some("bkt"), None, "acl"),
            Err(S3ErrorCode::MethodNotAllowed)
        );
    }

    #[test]
    fn copy_sources() {
        let s = parse_copy_source(b"/src/a%20b%2Bc?versionId=null").unwrap();
        assert_eq!((s.bucket.as_str(), s.key.as_str()), ("src", "a b+c"));
        let s = parse_copy_source(b"src/dir/k").unwrap();
        assert_eq!((s.bucket.as_str(), s.key.as_str()), ("src", "dir/k"));
        for bad in [&b"src"[..], b"/src/", b"", b"/"] {
            assert_eq!(
                parse_copy_source(bad).unwrap_err().code,
                S3ErrorCode::InvalidArgument
            );
        }
    }
}
