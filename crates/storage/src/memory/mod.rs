//! An in-memory backend: every bucket, object, upload and identity lives in process memory
//! behind `std` locks.
//!
//! It implements the whole [`ObjectStore`](crate::ObjectStore) (copy, bucket policies,
//! multipart) and [`IdentityStore`](crate::IdentityStore), and serves as the reference
//! behaviour for the conformance kit. Object bytes are held as [`Bytes`]: a GET streams
//! slices of the stored buffers without copying them, and a completed multipart object keeps
//! its parts' buffers as they were uploaded.
//!
//! Locks are never held across an `.await`: a write first consumes and verifies its body, then
//! takes the lock for the commit, where preconditions and part rules are decided.
//!
//! Choices where the traits leave room:
//! - upload IDs are 64 hex digits (256 random bits);
//! - a copy shares the source's buffers and keeps its ETag and part layout (the bytes are the
//!   same), with a new `last_modified`;
//! - the maximum object size also bounds a single part, as in S3; part numbers outside
//!   `1..=10000` are refused with `InvalidPart` (the service validates them first);
//! - ListMultipartUploads with an `upload_id_marker` that names no upload of `key_marker`
//!   skips that key entirely, like `key_marker` alone;
//! - IAM names are unique and looked up regardless of ASCII case, and keep their spelling;
//! - every identity operation scoped to an account answers `NoSuchEntity` for an account that
//!   was never created.
//!
//! ```
//! # futures_util::FutureExt::now_or_never(async {
//! use s4_storage::memory::MemoryStore;
//! use s4_storage::ObjectStore;
//!
//! let store = MemoryStore::new().with_min_part_size(5).with_max_object_size(1 << 20);
//! let caps = store.capabilities();
//! assert_eq!((caps.min_part_size, caps.max_object_size), (5, 1 << 20));
//! # }).unwrap();
//! ```

mod identity;
mod ingest;

mod objects;
mod quota;
mod rate_limits;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use s4_naming::AccountId;
use time::OffsetDateTime;

use crate::identity::{AccessKey, Account, Group, User};
use crate::multipart::{UploadInfo, DEFAULT_MIN_PART_SIZE};
use crate::object_store::Capabilities;
use crate::types::{BucketInfo, ObjectInfo};

/// S3's largest single PUT: 5 GiB.
pub const DEFAULT_MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// The in-memory backend. Cheap to create; nothing is persisted.
///
/// Limits are set with [`MemoryStore::with_min_part_size`] and
/// [`MemoryStore::with_max_object_size`] and reported by `capabilities()`. The maximum object
/// size bounds a PutObject body and, as in S3, a single part.
#[derive(Debug)]
pub struct MemoryStore {
    min_part_size: u64,
    max_object_size: u64,
    objects: RwLock<ObjectState>,
    identities: RwLock<IdentityState>,
    rate_limits: RwLock<BTreeMap<AccountId, crate::RateLimit>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store with S3's limits: 5 MiB minimum part size, 5 GiB maximum object size.
    pub fn new() -> Self {
        Self {
            min_part_size: DEFAULT_MIN_PART_SIZE,
            max_object_size: DEFAULT_MAX_OBJECT_SIZE,
            objects: RwLock::new(ObjectState::default()),
            identities: RwLock::new(IdentityState::default()),
            rate_limits: RwLock::default(),
        }
    }

    /// Sets the smallest size of a non-last multipart part (tests use a few bytes).
    #[must_use]
    pub fn with_min_part_size(mut self, bytes: u64) -> Self {
        self.min_part_size = bytes;
        self
    }

    /// Sets the largest PutObject body (and part) the store accepts.
    #[must_use]
    pub fn with_max_object_size(mut self, bytes: u64) -> Self {
        self.max_object_size = bytes;
        self
    }

    fn caps(&self) -> Capabilities {
        Capabilities {
            conditional_writes: true,
            multipart: true,
            copy: true,
            bucket_policies: true,
            max_object_size: self.max_object_size,
            min_part_size: self.min_part_size,
            usage_counters: true,
            storage_quotas: true,
        }
    }

    fn read_objects(&self) -> RwLockReadGuard<'_, ObjectState> {
        // Every mutation completes before its guard is dropped and none of them panics
        // half-way, so the state behind a poisoned lock is still consistent.
        self.objects.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_objects(&self) -> RwLockWriteGuard<'_, ObjectState> {
        self.objects.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn read_identities(&self) -> RwLockReadGuard<'_, IdentityState> {
        self.identities
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write_identities(&self) -> RwLockWriteGuard<'_, IdentityState> {
        self.identities
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Buckets of all accounts.
#[derive(Debug, Default)]
struct ObjectState {
    buckets: BTreeMap<(AccountId, String), Bucket>,
    /// Orders uploads initiated within the same clock tick.
    upload_seq: u64,
    /// Moves with every bucket creation, deletion and policy change
    /// ([`ObjectStore::policy_cache_epoch`]): several services may share one store.
    policy_epoch: u64,
    /// Accounts with a storage limit set.
    quotas: BTreeMap<AccountId, crate::quota::AccountQuota>,
}

#[derive(Debug)]
struct Bucket {
    info: BucketInfo,
    policy: Option<String>,
    /// Keys in UTF-8 binary order (`String`'s `Ord` compares bytes).
    objects: BTreeMap<String, Arc<StoredObject>>,
    /// Uploads in progress, by upload ID.
    uploads: BTreeMap<String, Upload>,
}

/// An object's metadata and bytes. Immutable once stored: an overwrite replaces the `Arc`.
#[derive(Debug)]
struct StoredObject {
    info: ObjectInfo,
    /// One buffer for a simple object; the parts' buffers, in order, for a multipart object
    /// (laid out as `info.parts` says).
    segments: Arc<[Bytes]>,
}

#[derive(Debug)]
struct Upload {
    info: UploadInfo,
    seq: u64,
    parts: BTreeMap<u32, StoredPart>,
}

#[derive(Debug)]
struct StoredPart {
    info: crate::multipart::PartInfo,
    md5: [u8; 16],
    bytes: Bytes,
}

/// Accounts and everything they own on the IAM side.
#[derive(Debug, Default)]
struct IdentityState {
    accounts: BTreeMap<AccountId, AccountEntry>,
    /// Every access key of every account, by key ID (the authentication lookup).
    keys: BTreeMap<String, StoredKey>,
    key_seq: u64,
}

#[derive(Debug)]
struct AccountEntry {
    account: Account,
    /// By lower-cased name: IAM names are unique regardless of case.
    users: BTreeMap<String, UserEntry>,
    groups: BTreeMap<String, GroupEntry>,
}

#[derive(Debug)]
struct UserEntry {
    user: User,
    /// Lower-cased group names.
    groups: BTreeSet<String>,
    policies: Vec<String>,
}

#[derive(Debug)]
struct GroupEntry {
    group: Group,
    /// Lower-cased user names.
    members: BTreeSet<String>,
    policies: Vec<String>,
}

#[derive(Debug)]
struct StoredKey {
    key: AccessKey,
    seq: u64,
    last_used: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::identity::{IdentityStore, KeyOwner, KeyStatus};
    use crate::multipart::{UploadPart, UploadRef};
    use crate::types::{ObjectAttributes, ObjectRef};
    use crate::{body, ObjectStore, StorageError};

    fn account() -> AccountId {
        AccountId::from_number(1).expect("account")
    }

    fn target(key: &str) -> ObjectRef {
        ObjectRef {
            account: account(),
            bucket: "b".to_owned(),
            key: key.to_owned(),
        }
    }

    #[tokio::test]
    async fn limits_are_reported_and_applied_to_parts() {
        let store = MemoryStore::new()
            .with_min_part_size(2)
            .with_max_object_size(10);
        let caps = store.capabilities();
        assert_eq!((caps.min_part_size, caps.max_object_size), (2, 10));
        assert!(caps.multipart && caps.copy && caps.bucket_policies && caps.conditional_writes);
        let defaults = MemoryStore::default().capabilities();
        assert_eq!(defaults.min_part_size, DEFAULT_MIN_PART_SIZE);
        assert_eq!(defaults.max_object_size, DEFAULT_MAX_OBJECT_SIZE);

        store.create_bucket(&account(), "b").await.unwrap();
        let upload = store
            .create_multipart_upload(&target("k"), ObjectAttributes::default())
            .await
            .unwrap();
        // 64 hex digits: 256 random bits, URL-safe.
        assert_eq!(upload.upload_id.len(), 64);
        assert!(upload.upload_id.bytes().all(|b| b.is_ascii_hexdigit()));
        let upload = UploadRef {
            target: target("k"),
            upload_id: upload.upload_id,
        };
        let part = |number, len: usize| UploadPart {
            upload: upload.clone(),
            part_number: number,
            body: body::once(Bytes::from(vec![0u8; len])),
            content_length: None,
            content_md5: None,
        };
        assert!(matches!(
            store.upload_part(part(1, 11)).await,
            Err(StorageError::EntityTooLarge)
        ));
        assert!(matches!(
            store.upload_part(part(0, 1)).await,
            Err(StorageError::InvalidPart(_))
        ));
        assert!(matches!(
            store.upload_part(part(10_001, 1)).await,
            Err(StorageError::InvalidPart(_))
        ));
        store.upload_part(part(1, 10)).await.unwrap();
    }

    #[tokio::test]
    async fn iam_names_are_found_regardless_of_case() {
        let store = MemoryStore::new();
        store.create_account(&account()).await.unwrap();
        let user = crate::identity::User {
            account: account(),
            name: "Alice".to_owned(),
            user_id: "AIDAALICE".to_owned(),
            created: time::OffsetDateTime::UNIX_EPOCH,
        };
        store.create_user(user.clone()).await.unwrap();
        assert_eq!(store.get_user(&account(), "alice").await.unwrap(), user);
        store
            .create_access_key(
                crate::identity::AccessKey {
                    access_key_id: "AKIA1".to_owned(),
                    secret_access_key: "s".to_owned(),
                    account: account(),
                    owner: KeyOwner::User("ALICE".to_owned()),
                    status: KeyStatus::Active,
                    created: time::OffsetDateTime::UNIX_EPOCH,
                },
                2,
            )
            .await
            .unwrap();
        // The key records the user's own spelling.
        let key = store.get_access_key("AKIA1").await.unwrap().unwrap();
        assert_eq!(key.owner, KeyOwner::User("Alice".to_owned()));
        let keys = store
            .list_access_keys(&account(), &KeyOwner::User("alice".to_owned()))
            .await
            .unwrap();
        assert_eq!(keys.len(), 1);
        assert!(matches!(
            store.delete_user(&account(), "ALICE").await,
            Err(StorageError::DeleteConflict(_))
        ));
    }
}
