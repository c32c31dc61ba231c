//! Storage backend traits for S4, their value types, an in-memory backend and a conformance
//! test kit.
//!
//! Two traits split what a server keeps:
//! - [`ObjectStore`]: buckets (scoped to accounts), objects streamed in and out, listings in
//!   UTF-8 binary key order with prefix/delimiter/marker pushed down, server-side copy,
//!   multipart uploads with S4's part rules ([`multipart`]), and bucket policy documents;
//! - [`IdentityStore`]: accounts, IAM users, groups, memberships, access keys and managed
//!   policy attachments.
//!
//! Neither trait mentions files or processes, so a backend may keep metadata in a networked
//! SQL database shared by several servers and bytes in another S3 cluster. Optional features
//! are reported by [`Capabilities`] and default to [`StorageError::NotImplemented`].
//!
//! Bodies are [`ByteStream`]s: a backend commits a write only after the body stream ended
//! cleanly and never stores anything from a stream that failed.

pub mod body;
mod error;
mod identity;
pub mod memory;
pub mod multipart;
mod object_store;
#[cfg(feature = "testkit")]
pub mod testkit;
mod types;

pub use body::{BoxError, ByteStream};
pub use error::{StorageError, StorageResult};
pub use identity::{
    AccessKey, Account, Group, IdentityStore, KeyOwner, KeyStatus, PolicyTarget, User,
};
pub use object_store::{Capabilities, ObjectStore};
pub use types::{
    BucketInfo, ByteRange, ConditionOutcome, ContentHeaders, CopyObject, ETag, GetObjectOutput,
    ListPage, ListQuery, ObjectAttributes, ObjectInfo, ObjectRef, ObjectSummary, PartLayout,
    PutObject, ReadConditions, WritePrecondition,
};
