//! Request bodies: strict parsers taking `&[u8]` and a size limit, and serializers (for
//! clients and round-trip tests).
//!
//! The parsers work on quick-xml events rather than serde: serde's deserializer skips unknown
//! elements, merges repeated ones and cannot tell `<Key/>` from a missing key, and each of
//! those must be an S3 error here. The accepted XML is described in the crate docs.

mod acl;
mod complete;
mod create_bucket;
mod delete;
pub(crate) mod reader;

pub use acl::{AccessControlPolicyRequest, AclGrant, AclGrantee};
pub use complete::{CompleteMultipartUpload, CompletedPart, MAX_PART_NUMBER};
pub use create_bucket::CreateBucketConfiguration;
pub use delete::{Delete, ObjectIdentifier, MAX_DELETE_OBJECTS};
