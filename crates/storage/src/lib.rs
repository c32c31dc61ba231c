//! Storage backend traits for S4, their value types, the rules every backend shares and an
//! in-memory backend.
//!
//! Two traits split what a server keeps:
//! - [`ObjectStore`]: buckets (scoped to accounts), objects streamed in and out, listings in
//!   UTF-8 binary key order with prefix/delimiter/marker pushed down, server-side copy,
//!   multipart uploads with S4's part rules ([`multipart`]), bucket policy documents, and
//!   per-bucket usage totals the backend keeps as it writes;
//! - [`IdentityStore`]: accounts, IAM users, groups, memberships, access keys and managed
//!   policy attachments.
//!
//! A third, small trait, [`RateLimitStore`], keeps the per-account request-rate overrides an
//! operator sets.
//!
//! Neither trait mentions files or processes, so a backend may keep metadata in a networked
//! SQL database shared by several servers and bytes in another S3 cluster. Optional features
//! are reported by [`Capabilities`] and default to [`StorageError::NotImplemented`].
//!
//! Bodies are [`ByteStream`]s: a backend commits a write only after the body stream ended
//! cleanly and never stores anything from a stream that failed.
//!
//! [`memory::MemoryStore`] implements both traits in process memory. The conformance suite
//! that every backend must pass is the separate crate `s4-storage-testkit`.
//!
//! ```
//! use s4_naming::AccountId;
//! use s4_storage::memory::MemoryStore;
//! use s4_storage::{body, ObjectRef, ObjectStore, PutObject};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), s4_storage::BoxError> {
//! let store = MemoryStore::new();
//! let account = AccountId::from_number(42)?;
//! store.create_bucket(&account, "photos").await?;
//!
//! let target = ObjectRef { account, bucket: "photos".into(), key: "cat.txt".into() };
//! let put = store
//!     .put_object(PutObject {
//!         target: target.clone(),
//!         attributes: Default::default(),
//!         body: body::once("meow"),
//!         content_length: Some(4),
//!         content_md5: None,
//!         precondition: Default::default(),
//!     })
//!     .await?;
//! assert_eq!(put.etag.as_str(), "4a4be40c96ac6314e91d93f38043a634"); // hex MD5 of "meow"
//!
//! let got = store.get_object(&target, None).await?;
//! assert_eq!(got.info.etag, put.etag);
//! assert_eq!(body::collect(got.body).await?, "meow");
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod admission;
pub mod body;
mod error;
mod identity;
pub mod identity_rules;
pub mod listing;
pub mod memory;
pub mod multipart;
mod object_store;
pub mod quota;
mod rate_limits;
mod types;

pub use admission::{admit_key, admit_object, admit_upload_key};
pub use body::{BoxError, ByteStream};
pub use error::{StorageError, StorageResult};
pub use identity::{
    AccessKey, Account, Group, IdentityStore, KeyOwner, KeyStatus, PolicyTarget, User,
};
pub use object_store::{count_bucket_usage, Capabilities, ObjectStore};
pub use rate_limits::{RateLimit, RateLimitError, RateLimitStore};
pub use types::{
    AccountBucketUsage, BucketInfo, BucketUsage, ByteRange, ConditionOutcome, ContentHeaders,
    CopyObject, ETag, GetObjectOutput, ListPage, ListQuery, ObjectAttributes, ObjectInfo,
    ObjectRef, ObjectSummary, PartLayout, PutObject, ReadConditions, WritePrecondition,
};
