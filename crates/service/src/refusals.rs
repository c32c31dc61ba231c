//! The refusal table: request headers and query parameters that S4 does not implement and
//! that a client could not safely see ignored (encryption, object lock, tagging, versions,
//! ACLs, storage classes, whole-object checksums), each with the answer the server gives.
//!
//! [`check`] applies [`REFUSALS`] to every S3 request once it is authorized and before any
//! handler runs, so a refused request never stores a byte. DeleteObjects entries are judged
//! per key by [`refuse_delete_entry`] with [`DELETE_ENTRY_REFUSALS`]: a refused entry gets an
//! `<Error>` and its key is left alone. `docs/compatibility.md` carries this table (a unit
//! test keeps the two in step), together with the headers S4 ignores because ignoring them
//! misleads no one.
//!
//! Headers are also matched as query parameters of the same name: presigned URLs carry
//! headers there (the JavaScript SDK v3 hoists `x-amz-*` headers into the query).

use http::HeaderMap;
use s4_s3_xml::ObjectIdentifier;

use crate::error_code::S3ErrorCode;
use crate::operation::{Query, S3Operation};
use crate::response::ApiError;
use S3Operation as O;

/// What a row of the table looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// A request header (lower-case name), or a query parameter of that name.
    Header(&'static str),
    /// Every request header (or query parameter) whose name starts with `prefix`;
    /// `example` is one of them.
    HeaderPrefix {
        prefix: &'static str,
        example: &'static str,
    },
    /// A query parameter.
    Query(&'static str),
    /// The `versionId` in `x-amz-copy-source` (`bucket/key?versionId=...`).
    CopySourceVersionId,
}

/// One row: a parameter, the values accepted because they describe what S4 does anyway, the
/// operations the row applies to, and the answer to every other value.
#[derive(Clone, Copy, Debug)]
pub struct Refusal {
    pub param: Param,
    /// Accepted values, compared ASCII case-insensitively; empty: every value is refused.
    pub accepted: &'static [&'static str],
    pub operations: &'static [S3Operation],
    pub code: S3ErrorCode,
    pub message: &'static str,
    /// A value the row refuses (for the documentation and the tests).
    pub example: &'static str,
}

/// Operations that create an object from request headers.
const OBJECT_WRITES: &[S3Operation] = &[O::PutObject, O::CopyObject, O::CreateMultipartUpload];

/// Operations that take an `x-amz-acl` canned ACL.
const ACL_WRITES: &[S3Operation] = &[
    O::CreateBucket,
    O::PutObject,
    O::CopyObject,
    O::CreateMultipartUpload,
    O::PutBucketAcl,
    O::PutObjectAcl,
];

/// Operations AWS defines server-side encryption headers for.
const ENCRYPTED_OBJECT_OPERATIONS: &[S3Operation] = &[
    O::PutObject,
    O::CopyObject,
    O::CreateMultipartUpload,
    O::UploadPart,
    O::UploadPartCopy,
    O::CompleteMultipartUpload,
    O::ListParts,
    O::GetObject,
    O::HeadObject,
];

const COPIES: &[S3Operation] = &[O::CopyObject, O::UploadPartCopy];

/// Operations that address one version of an object.
const VERSIONED_READS: &[S3Operation] = &[
    O::GetObject,
    O::HeadObject,
    O::DeleteObject,
    O::GetObjectAcl,
    O::PutObjectAcl,
];

const NO_ENCRYPTION: &str =
    "S4 does not implement server-side encryption: the object would be stored unencrypted.";
const NO_OBJECT_LOCK: &str = "S4 does not implement Object Lock.";
const NO_VERSION: &str = "Invalid version id specified";
const NO_ACLS: &str = "The bucket does not allow ACLs";
const NO_WHOLE_OBJECT_CHECKSUM: &str =
    "S4 does not verify a whole-object checksum on CompleteMultipartUpload; the checksum of each part is verified when the part is uploaded.";

/// Refused on CompleteMultipartUpload: the object's checksum, which S4 cannot verify without
/// reading the whole object.
const fn whole_object_checksum(name: &'static str, example: &'static str) -> Refusal {
    Refusal {
        param: Param::Header(name),
        accepted: &[],
        operations: &[O::CompleteMultipartUpload],
        code: S3ErrorCode::NotImplemented,
        message: NO_WHOLE_OBJECT_CHECKSUM,
        example,
    }
}

/// The refusal table.
pub static REFUSALS: &[Refusal] = &[
    Refusal {
        param: Param::HeaderPrefix {
            prefix: "x-amz-server-side-encryption",
            example: "x-amz-server-side-encryption-customer-algorithm",
        },
        accepted: &[],
        operations: ENCRYPTED_OBJECT_OPERATIONS,
        code: S3ErrorCode::NotImplemented,
        message: NO_ENCRYPTION,
        example: "AES256",
    },
    Refusal {
        param: Param::HeaderPrefix {
            prefix: "x-amz-copy-source-server-side-encryption-",
            example: "x-amz-copy-source-server-side-encryption-customer-algorithm",
        },
        accepted: &[],
        operations: COPIES,
        code: S3ErrorCode::NotImplemented,
        message: NO_ENCRYPTION,
        example: "AES256",
    },
    Refusal {
        param: Param::Header("x-amz-bucket-object-lock-enabled"),
        accepted: &["false"],
        operations: &[O::CreateBucket],
        code: S3ErrorCode::NotImplemented,
        message: NO_OBJECT_LOCK,
        example: "true",
    },
    Refusal {
        param: Param::HeaderPrefix {
            prefix: "x-amz-object-lock-",
            example: "x-amz-object-lock-mode",
        },
        accepted: &[],
        operations: OBJECT_WRITES,
        code: S3ErrorCode::NotImplemented,
        message: NO_OBJECT_LOCK,
        example: "GOVERNANCE",
    },
    Refusal {
        param: Param::Header("x-amz-tagging"),
        accepted: &[],
        operations: OBJECT_WRITES,
        code: S3ErrorCode::NotImplemented,
        message: "S4 does not implement object tagging.",
        example: "project=s4",
    },
    Refusal {
        param: Param::Header("x-amz-website-redirect-location"),
        accepted: &[],
        operations: OBJECT_WRITES,
        code: S3ErrorCode::NotImplemented,
        message: "S4 does not implement website redirects.",
        example: "/elsewhere.html",
    },
    Refusal {
        param: Param::Header("x-amz-storage-class"),
        accepted: &["STANDARD"],
        operations: OBJECT_WRITES,
        code: S3ErrorCode::InvalidStorageClass,
        message:
            "The storage class you specified is not valid: S4 stores every object as STANDARD.",
        example: "GLACIER",
    },
    Refusal {
        param: Param::Header("x-amz-acl"),
        accepted: &["private", "bucket-owner-full-control"],
        operations: ACL_WRITES,
        code: S3ErrorCode::AccessControlListNotSupported,
        message: NO_ACLS,
        example: "public-read",
    },
    Refusal {
        param: Param::HeaderPrefix {
            prefix: "x-amz-grant-",
            example: "x-amz-grant-read",
        },
        accepted: &[],
        operations: ACL_WRITES,
        code: S3ErrorCode::AccessControlListNotSupported,
        message: NO_ACLS,
        example: "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
    },
    Refusal {
        param: Param::Header("x-amz-object-ownership"),
        accepted: &["BucketOwnerEnforced"],
        operations: &[O::CreateBucket],
        code: S3ErrorCode::NotImplemented,
        message: "S4 buckets are always BucketOwnerEnforced: ACLs are disabled.",
        example: "ObjectWriter",
    },
    Refusal {
        param: Param::Query("versionId"),
        accepted: &["null"],
        operations: VERSIONED_READS,
        code: S3ErrorCode::InvalidArgument,
        message: NO_VERSION,
        example: "3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY",
    },
    Refusal {
        param: Param::CopySourceVersionId,
        accepted: &["null"],
        operations: COPIES,
        code: S3ErrorCode::InvalidArgument,
        message: NO_VERSION,
        example: "3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY",
    },
    Refusal {
        param: Param::Query("response-content-disposition"),
        accepted: &[],
        operations: &[O::GetObject, O::HeadObject],
        code: S3ErrorCode::NotImplemented,
        message: "S4 does not implement the response-content-disposition override.",
        example: "attachment",
    },
    Refusal {
        param: Param::Query("response-expires"),
        accepted: &[],
        operations: &[O::GetObject, O::HeadObject],
        code: S3ErrorCode::NotImplemented,
        message: "S4 does not implement the response-expires override.",
        example: "Thu, 01 Dec 1994 16:00:00 GMT",
    },
    whole_object_checksum("x-amz-checksum-crc32", "AAAAAA=="),
    whole_object_checksum("x-amz-checksum-crc32c", "AAAAAA=="),
    whole_object_checksum("x-amz-checksum-crc64nvme", "AAAAAAAAAAA="),
    whole_object_checksum("x-amz-checksum-sha1", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
    whole_object_checksum(
        "x-amz-checksum-sha256",
        "47DEQpj8HBSa+/TImW+5JYeuQeRkm5NMpqWZG3hSuFU=",
    ),
];

impl Refusal {
    /// Whether the row applies to `operation`.
    pub fn applies_to(&self, operation: S3Operation) -> bool {
        self.operations.contains(&operation)
    }

    /// The first refused value this row finds in the request: the parameter's name and value.
    fn find<'r>(&self, headers: &'r HeaderMap, query: &'r Query) -> Option<(&'r str, &'r str)> {
        let refused = |value: &str| {
            !self
                .accepted
                .iter()
                .any(|a| a.eq_ignore_ascii_case(value.trim()))
        };
        let header_value = |v: &'r http::HeaderValue| std::str::from_utf8(v.as_bytes()).ok();
        match self.param {
            Param::Header(name) => {
                let in_headers = headers
                    .get_all(name)
                    .iter()
                    .map(|v| (name, header_value(v).unwrap_or("\u{fffd}")));
                let in_query = query
                    .pairs()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| (name, v));
                in_headers.chain(in_query).find(|(_, v)| refused(v))
            }
            Param::HeaderPrefix { prefix, .. } => {
                let starts = |n: &str| starts_with_ignore_case(n, prefix);
                let in_headers = headers
                    .iter()
                    .filter(|(n, _)| starts(n.as_str()))
                    .map(|(n, v)| (n.as_str(), header_value(v).unwrap_or("\u{fffd}")));
                let in_query = query.pairs().filter(|(n, _)| starts(n));
                in_headers.chain(in_query).find(|(_, v)| refused(v))
            }
            Param::Query(name) => query
                .pairs()
                .filter(|(n, _)| *n == name)
                .find(|(_, v)| refused(v)),
            Param::CopySourceVersionId => headers
                .get("x-amz-copy-source")
                .and_then(|v| copy_source_version_id(v.as_bytes()))
                .filter(|v| refused(v))
                .map(|v| ("versionId", v)),
        }
    }

    /// The error answering `value` of parameter `name`.
    fn error(&self, name: &str, value: &str) -> ApiError {
        match self.code {
            S3ErrorCode::InvalidArgument => ApiError::invalid_argument(self.message, name, value),
            code => ApiError::with_message(code, self.message),
        }
    }
}

/// Whether `name` starts with `prefix`, ASCII case-insensitively (compared as bytes: a
/// decoded query name may have a multi-byte character where the prefix ends).
pub(crate) fn starts_with_ignore_case(name: &str, prefix: &str) -> bool {
    name.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The `versionId` of an `x-amz-copy-source` value, if it names one.
fn copy_source_version_id(raw: &[u8]) -> Option<&str> {
    let raw = std::str::from_utf8(raw).ok()?;
    let (_, query) = raw.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("versionId="))
}

/// Refuses the request if any row of [`REFUSALS`] applies to it.
pub fn check(operation: &S3Operation, headers: &HeaderMap, query: &Query) -> Result<(), ApiError> {
    for row in REFUSALS.iter().filter(|r| r.applies_to(*operation)) {
        if let Some((param, value)) = row.find(headers, query) {
            return Err(row.error(param, value));
        }
    }
    Ok(())
}

/// A member of a DeleteObjects `<Object>` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryField {
    VersionId,
    ETag,
    LastModifiedTime,
    Size,
}

impl EntryField {
    /// The element's name.
    pub fn element(self) -> &'static str {
        match self {
            Self::VersionId => "VersionId",
            Self::ETag => "ETag",
            Self::LastModifiedTime => "LastModifiedTime",
            Self::Size => "Size",
        }
    }

    fn value(self, entry: &ObjectIdentifier) -> Option<String> {
        match self {
            Self::VersionId => entry.version_id.clone(),
            Self::ETag => entry.etag.clone(),
            Self::LastModifiedTime => entry.last_modified_time.clone(),
            Self::Size => entry.size.map(|s| s.to_string()),
        }
    }
}

/// One row for DeleteObjects entries: a member, its accepted values, the per-key error.
#[derive(Clone, Copy, Debug)]
pub struct EntryRefusal {
    pub field: EntryField,
    pub accepted: &'static [&'static str],
    pub code: S3ErrorCode,
    pub message: &'static str,
    /// A value the row refuses (for the documentation and the tests).
    pub example: &'static str,
}

const NO_CONDITIONAL_DELETES: &str = "S4 does not implement conditional deletes.";

/// The refusal table of DeleteObjects entries.
pub static DELETE_ENTRY_REFUSALS: &[EntryRefusal] = &[
    EntryRefusal {
        field: EntryField::VersionId,
        accepted: &["null"],
        code: S3ErrorCode::InvalidArgument,
        message: NO_VERSION,
        example: "3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY",
    },
    EntryRefusal {
        field: EntryField::ETag,
        accepted: &[],
        code: S3ErrorCode::NotImplemented,
        message: NO_CONDITIONAL_DELETES,
        example: "\"9b2cf535f27731c974343645a3985328\"",
    },
    EntryRefusal {
        field: EntryField::LastModifiedTime,
        accepted: &[],
        code: S3ErrorCode::NotImplemented,
        message: NO_CONDITIONAL_DELETES,
        example: "2026-01-01T00:00:00.000Z",
    },
    EntryRefusal {
        field: EntryField::Size,
        accepted: &[],
        code: S3ErrorCode::NotImplemented,
        message: NO_CONDITIONAL_DELETES,
        example: "42",
    },
];

/// The error for a DeleteObjects entry that S4 cannot carry out as asked, if any.
pub fn refuse_delete_entry(entry: &ObjectIdentifier) -> Option<ApiError> {
    DELETE_ENTRY_REFUSALS.iter().find_map(|row| {
        let value = row.field.value(entry)?;
        let accepted = row
            .accepted
            .iter()
            .any(|a| a.eq_ignore_ascii_case(value.trim()));
        (!accepted).then(|| ApiError::with_message(row.code, row.message))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn examples_are_refused_and_accepted_values_pass() {
        for row in REFUSALS {
            let name = match row.param {
                Param::Header(name) | Param::HeaderPrefix { example: name, .. } => name,
                Param::Query(_) | Param::CopySourceVersionId => continue,
            };
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::HeaderName::from_static(name),
                HeaderValue::from_static(row.example),
            );
            assert!(row.find(&headers, &Query::default()).is_some(), "{row:?}");
            let hoisted = Query::parse(&format!("{name}=x"));
            assert!(row.find(&HeaderMap::new(), &hoisted).is_some(), "{row:?}");
            for accepted in row.accepted {
                let mut headers = HeaderMap::new();
                headers.insert(
                    http::header::HeaderName::from_static(name),
                    HeaderValue::from_static(accepted),
                );
                assert!(row.find(&headers, &Query::default()).is_none(), "{row:?}");
            }
        }
    }

    #[test]
    fn prefixes_of_multibyte_query_names() {
        assert!(starts_with_ignore_case("X-Amz-Grant-Read", "x-amz-grant-"));
        assert!(!starts_with_ignore_case("x-amz-gran\u{e9}", "x-amz-grant-"));
        assert!(!starts_with_ignore_case("x", "x-amz-grant-"));
        let query = Query::parse("x-amz-gran%C3%A9=1&x-amz-checksu%C3%A9=2");
        let put = S3Operation::PutObject;
        assert!(check(&put, &HeaderMap::new(), &query).is_ok());
    }

    #[test]
    fn copy_source_versions() {
        assert_eq!(copy_source_version_id(b"/b/k?versionId=abc"), Some("abc"));
        assert_eq!(
            copy_source_version_id(b"/b/k?x=1&versionId=null"),
            Some("null")
        );
        assert_eq!(copy_source_version_id(b"/b/k"), None);
        assert_eq!(copy_source_version_id(b"/b/k?other=1"), None);
    }

    /// The table's rows as `docs/compatibility.md` lists them.
    fn documented_rows() -> Vec<String> {
        let code = |c: S3ErrorCode| format!("`{}` {}", c.as_str(), c.status());
        let accepted = |a: &[&str]| {
            if a.is_empty() {
                "-".to_owned()
            } else {
                a.iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let mut rows: Vec<String> = REFUSALS
            .iter()
            .map(|r| {
                let param = match r.param {
                    Param::Header(name) => format!("header `{name}`"),
                    Param::HeaderPrefix { prefix, .. } => format!("headers `{prefix}*`"),
                    Param::Query(name) => format!("query `{name}`"),
                    Param::CopySourceVersionId => "`versionId` in `x-amz-copy-source`".to_owned(),
                };
                format!(
                    "| {param} | {} | {} | {} | {} |",
                    r.operations
                        .iter()
                        .map(|o| o.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                    accepted(r.accepted),
                    code(r.code),
                    r.message
                )
            })
            .collect();
        rows.extend(DELETE_ENTRY_REFUSALS.iter().map(|r| {
            format!(
                "| DeleteObjects `<{}>` | DeleteObjects (per key) | {} | {} | {} |",
                r.field.element(),
                accepted(r.accepted),
                code(r.code),
                r.message
            )
        }));
        rows
    }

    fn compatibility_doc() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/compatibility.md");
        std::fs::read_to_string(path).expect("docs/compatibility.md")
    }

    /// The operation matrix names exactly the S3 operations the service has.
    #[test]
    fn the_operation_matrix_names_every_operation() {
        let doc = compatibility_doc();
        let matrix = doc
            .split("\n## Operation matrix\n")
            .nth(1)
            .and_then(|rest| rest.split("\n### IAM managed policies").next())
            .expect("the operation matrix and its IAM section");
        let documented: std::collections::BTreeSet<&str> = matrix
            .lines()
            .filter_map(|line| line.strip_prefix("| "))
            .filter_map(|line| line.split(" | ").next())
            .filter(|cell| *cell != "operation" && !cell.starts_with("---"))
            .flat_map(|cell| cell.split(", "))
            .collect();
        let code: std::collections::BTreeSet<&str> =
            S3Operation::all().map(S3Operation::name).collect();
        assert_eq!(documented, code);
    }

    #[test]
    fn the_compatibility_doc_lists_every_row() {
        let doc = compatibility_doc();
        let missing: Vec<String> = documented_rows()
            .into_iter()
            .filter(|row| !doc.lines().any(|line| line == row))
            .collect();
        assert!(
            missing.is_empty(),
            "docs/compatibility.md lacks these rows of the refusal table:\n{}",
            missing.join("\n")
        );
    }
}
