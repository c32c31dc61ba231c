use async_trait::async_trait;
use s4_naming::AccountId;
use time::OffsetDateTime;

use crate::multipart::{
    CompleteUpload, PartInfo, PartsPage, UploadInfo, UploadListQuery, UploadPart, UploadRef,
    UploadsPage,
};
use crate::quota::{AccountQuota, AccountUsage};
use crate::types::{
    AccountBucketUsage, BucketInfo, BucketUsage, ByteRange, CopyObject, GetObjectOutput, ListPage,
    ListQuery, ObjectAttributes, ObjectInfo, ObjectRef, PutObject,
};
use crate::{StorageError, StorageResult};

/// What a backend can do beyond the required core (buckets, put, get, head, delete, list).
/// The service answers `NotImplemented` for operations a backend lacks instead of failing
/// half-way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
pub struct Capabilities {
    /// `If-Match` / `If-None-Match` on writes, decided atomically with the write.
    pub conditional_writes: bool,
    /// The multipart methods.
    pub multipart: bool,
    /// Server-side copy.
    pub copy: bool,
    /// Bucket policy storage.
    pub bucket_policies: bool,
    /// The largest object a single PutObject may carry.
    pub max_object_size: u64,
    /// The smallest non-last multipart part (S3: 5 MiB).
    pub min_part_size: u64,
    /// [`ObjectStore::bucket_usage`] and [`ObjectStore::all_bucket_usage`]: totals kept in the
    /// write transactions. Without them a caller counts by listing.
    pub usage_counters: bool,
    /// The storage-quota methods ([`ObjectStore::account_quota`] and the rest), with the
    /// limits enforced in the write transactions.
    pub storage_quotas: bool,
}

/// Buckets and objects of all accounts. Every method is atomic on its own: readers see an
/// object whole or not at all, and an overwrite replaces the old object in one step.
///
/// The trait fits backends whose metadata lives in a networked database shared by several
/// server processes: nothing here assumes files, paths or one process. Optional features have
/// default methods answering [`StorageError::NotImplemented`]; [`ObjectStore::capabilities`]
/// says which ones a backend overrides.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// The optional features and limits of this backend.
    fn capabilities(&self) -> Capabilities;

    // Buckets.

    /// Fails with `BucketAlreadyOwnedByYou` when the account has a bucket of that name.
    async fn create_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo>;

    /// Fails with `BucketNotEmpty` while objects or multipart uploads remain.
    async fn delete_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<()>;

    /// The bucket; `NoSuchBucket` when the account has no bucket of that name.
    async fn head_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo>;

    /// The account's buckets, sorted by name.
    async fn list_buckets(&self, account: &AccountId) -> StorageResult<Vec<BucketInfo>>;

    /// For caches of [`ObjectStore::get_bucket_policy`] kept outside the store (the service
    /// keeps compiled policies): a cached answer may be reused while this returns the same
    /// `Some` value as before it was read; `None` means cache nothing now. `None` (the
    /// default) suits every backend; one that only this process changes answers a constant
    /// (the caller forgets what it changes itself), one shared by several processes an epoch
    /// that moves with every bucket or policy change made anywhere.
    fn policy_cache_epoch(&self) -> Option<u64> {
        None
    }

    /// The stored policy document, byte for byte as it was put (`NoSuchBucketPolicy` if none).
    async fn get_bucket_policy(&self, account: &AccountId, bucket: &str) -> StorageResult<String> {
        let _ = (account, bucket);
        Err(StorageError::NotImplemented("bucket policies"))
    }

    /// Stores (`Some`) or removes (`None`) the bucket's policy document. The service
    /// validates it first; the backend keeps it opaque.
    async fn set_bucket_policy(
        &self,
        account: &AccountId,
        bucket: &str,
        policy: Option<String>,
    ) -> StorageResult<()> {
        let _ = (account, bucket, policy);
        Err(StorageError::NotImplemented("bucket policies"))
    }

    // Objects.

    /// Streams the body in and commits only after it ended cleanly, its length and
    /// `Content-MD5` checked and the precondition held.
    async fn put_object(&self, request: PutObject) -> StorageResult<ObjectInfo>;

    /// The object's metadata and bytes (or the bytes of `range`), from one consistent
    /// version even if the object is overwritten while the body streams.
    async fn get_object(
        &self,
        object: &ObjectRef,
        range: Option<ByteRange>,
    ) -> StorageResult<GetObjectOutput>;

    /// The object's metadata without its bytes; `NoSuchKey` when it does not exist.
    async fn head_object(&self, object: &ObjectRef) -> StorageResult<ObjectInfo>;

    /// Succeeds when the key does not exist; `NoSuchBucket` when the bucket does not.
    async fn delete_object(&self, object: &ObjectRef) -> StorageResult<()>;

    /// Deletes each key independently; one result per key, in order.
    async fn delete_objects(
        &self,
        account: &AccountId,
        bucket: &str,
        keys: &[String],
    ) -> StorageResult<Vec<StorageResult<()>>> {
        self.head_bucket(account, bucket).await?;
        let mut results = Vec::with_capacity(keys.len());
        for key in keys {
            let object = ObjectRef {
                account: *account,
                bucket: bucket.to_owned(),
                key: key.clone(),
            };
            results.push(self.delete_object(&object).await);
        }
        Ok(results)
    }

    /// One page of the bucket's keys matching `query` (see [`ListQuery`]).
    async fn list_objects(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &ListQuery,
    ) -> StorageResult<ListPage>;

    /// Copies the source object's bytes to the target, atomically with the check of the
    /// source conditions and the target precondition.
    async fn copy_object(&self, request: CopyObject) -> StorageResult<ObjectInfo> {
        let _ = request;
        Err(StorageError::NotImplemented("server-side copy"))
    }

    // Multipart uploads.

    /// Starts an upload; the backend chooses an unguessable, URL-safe upload ID.
    async fn create_multipart_upload(
        &self,
        target: &ObjectRef,
        attributes: ObjectAttributes,
    ) -> StorageResult<UploadInfo> {
        let _ = (target, attributes);
        Err(StorageError::NotImplemented("multipart uploads"))
    }

    /// Stores a part, judged by [`crate::multipart::admit_part`] atomically with the store.
    async fn upload_part(&self, request: UploadPart) -> StorageResult<PartInfo> {
        let _ = request;
        Err(StorageError::NotImplemented("multipart uploads"))
    }

    /// One page of the upload's parts numbered above `part_number_marker`.
    async fn list_parts(
        &self,
        upload: &UploadRef,
        part_number_marker: u32,
        max_parts: usize,
    ) -> StorageResult<PartsPage> {
        let _ = (upload, part_number_marker, max_parts);
        Err(StorageError::NotImplemented("multipart uploads"))
    }

    /// Builds the object from its parts (without copying bytes where the backend can) and
    /// replaces any existing object atomically. Exactly one of racing completions wins; the
    /// others get `NoSuchUpload`.
    async fn complete_multipart_upload(
        &self,
        request: CompleteUpload,
    ) -> StorageResult<ObjectInfo> {
        let _ = request;
        Err(StorageError::NotImplemented("multipart uploads"))
    }

    /// Releases the parts; `NoSuchUpload` for unknown, completed or aborted uploads.
    async fn abort_multipart_upload(&self, upload: &UploadRef) -> StorageResult<()> {
        let _ = upload;
        Err(StorageError::NotImplemented("multipart uploads"))
    }

    /// One page of the bucket's uploads in progress matching `query`.
    async fn list_multipart_uploads(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &UploadListQuery,
    ) -> StorageResult<UploadsPage> {
        let _ = (account, bucket, query);
        Err(StorageError::NotImplemented("multipart uploads"))
    }

    /// Aborts every upload initiated before `cutoff`; returns how many.
    async fn expire_multipart_uploads(&self, cutoff: OffsetDateTime) -> StorageResult<u64> {
        let _ = cutoff;
        Err(StorageError::NotImplemented("multipart uploads"))
    }

    // Usage.

    /// The bucket's objects, bytes and uploads in progress, as the backend keeps them in the
    /// transactions that change them (no listing). `NoSuchBucket` for a missing bucket.
    async fn bucket_usage(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketUsage> {
        let _ = (account, bucket);
        Err(StorageError::NotImplemented("usage counters"))
    }

    /// Every bucket's usage, empty buckets included, ordered by account and bucket name. One
    /// consistent read where the backend can; at least each bucket's totals are consistent.
    async fn all_bucket_usage(&self) -> StorageResult<Vec<AccountBucketUsage>> {
        Err(StorageError::NotImplemented("usage counters"))
    }

    // Storage quotas (see [`crate::quota`]), enforced in the write transactions.

    /// The account's storage limits; unlimited when none were set.
    async fn account_quota(&self, account: &AccountId) -> StorageResult<AccountQuota> {
        let _ = account;
        Err(StorageError::NotImplemented("storage quotas"))
    }

    /// Replaces the account's limits (`AccountQuota::default()` clears them). Applies to
    /// writes that start after it returns; a limit below current usage deletes nothing.
    async fn set_account_quota(
        &self,
        account: &AccountId,
        quota: AccountQuota,
    ) -> StorageResult<()> {
        let _ = (account, quota);
        Err(StorageError::NotImplemented("storage quotas"))
    }

    /// Every account with a limit set, ordered by account.
    async fn account_quotas(&self) -> StorageResult<Vec<(AccountId, AccountQuota)>> {
        Err(StorageError::NotImplemented("storage quotas"))
    }

    /// What the account holds as its quota counts it, from the counters the write
    /// transactions keep (no listing).
    async fn account_usage(&self, account: &AccountId) -> StorageResult<AccountUsage> {
        let _ = account;
        Err(StorageError::NotImplemented("storage quotas"))
    }
}

/// A bucket's totals counted the slow way, by listing every page of its objects and uploads
/// (`page_size` entries a page): exact as of the listing. The fallback for a backend without
/// usage counters, and the oracle its counters are tested against. A backend without
/// multipart counts no uploads.
pub async fn count_bucket_usage<S: ObjectStore + ?Sized>(
    store: &S,
    account: &AccountId,
    bucket: &str,
    page_size: usize,
) -> StorageResult<BucketUsage> {
    let mut usage = BucketUsage::default();
    let mut query = ListQuery {
        max_keys: page_size.max(1),
        ..ListQuery::default()
    };
    loop {
        let page = store.list_objects(account, bucket, &query).await?;
        usage.objects += page.objects.len() as u64;
        usage.bytes += page.objects.iter().map(|o| o.size).sum::<u64>();
        match page.next_start_after {
            Some(next) if page.is_truncated => query.start_after = Some(next),
            _ => break,
        }
    }
    let mut query = UploadListQuery {
        max_uploads: page_size.max(1),
        ..UploadListQuery::default()
    };
    loop {
        let page = match store.list_multipart_uploads(account, bucket, &query).await {
            Ok(page) => page,
            Err(StorageError::NotImplemented(_)) => break,
            Err(error) => return Err(error),
        };
        usage.uploads_in_progress += page.uploads.len() as u64;
        if !page.is_truncated || page.next_key_marker.is_none() {
            break;
        }
        query.key_marker = page.next_key_marker;
        query.upload_id_marker = page.next_upload_id_marker;
    }
    Ok(usage)
}
