//! Response documents: plain structs with public fields, written by [`XmlDocument`].
//!
//! Element names and order follow the S4 spec's samples element by element (which are AWS's
//! API reference layouts: for example `<Contents>` lists `ETag, Key, LastModified, Owner,
//! Size, StorageClass`, and its `<Owner>` `DisplayName` before `ID`); clients look elements up
//! by name, so order only matters for byte-exact tests. Where the spec is silent, the choice
//! is documented on the type. Elements the spec marks as not supported are never written.
//! Every result carries the S3 namespace and starts with the XML declaration; `<Error>` has no
//! namespace.

mod buckets;
mod error;
mod list;
mod multipart;
mod objects;

pub use buckets::{AccessControlPolicy, BucketEntry, ListAllMyBucketsResult, LocationConstraint};
pub use error::ErrorDocument;
pub use list::{ListObjectsResult, ListObjectsV2Result, ObjectEntry};
pub use multipart::{
    CompleteMultipartUploadResult, InitiateMultipartUploadResult, ListMultipartUploadsResult,
    ListPartsResult, PartEntry, UploadEntry,
};
pub use objects::{CopyObjectResult, CopyPartResult, DeleteError, DeleteResult};
