//! `ObjectStore` for [`PgStore`]: the trait's methods, each delegating to the module that
//! holds its transaction.
//!
//! - `row`: the `objects` row and its encodings;
//! - `buckets`: bucket rows, and the bucket check and lock every transaction starts with;
//! - `write`: the row write under lock that PutObject, CopyObject and completion share;
//!   PutObject and DeleteObject;
//! - `read`: GetObject and HeadObject;
//! - `list`: ListObjects;
//! - `copy`: CopyObject;
//! - `multipart`: an upload's life from creation to completion or abort;
//! - `uploads`: ListMultipartUploads, expiry, and deleting uploads with their parts.

mod buckets;
mod copy;
mod list;
mod multipart;
mod read;
mod row;
mod uploads;
mod write;

use async_trait::async_trait;
use s4_naming::AccountId;
use s4_storage::multipart::{
    CompleteUpload, PartInfo, PartsPage, UploadInfo, UploadListQuery, UploadPart, UploadRef,
    UploadsPage,
};
use s4_storage::quota::{AccountQuota, AccountUsage};
use s4_storage::{
    AccountBucketUsage, BucketInfo, BucketUsage, ByteRange, Capabilities, CopyObject,
    GetObjectOutput, ListPage, ListQuery, ObjectAttributes, ObjectInfo, ObjectRef, ObjectStore,
    PutObject, StorageResult,
};
use time::OffsetDateTime;

use crate::PgStore;

pub(crate) use row::{from_nanos, now};

#[async_trait]
impl ObjectStore for PgStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            conditional_writes: true,
            multipart: true,
            copy: true,
            bucket_policies: true,
            max_object_size: self.config.max_object_size,
            min_part_size: self.config.min_part_size,
            usage_counters: true,
            storage_quotas: true,
        }
    }

    /// Moves with every bucket change notified by any process (and this one's own, at
    /// once); `None` while the notification listener is down (see `coherence.rs`).
    fn policy_cache_epoch(&self) -> Option<u64> {
        self.caches.epoch()
    }

    async fn create_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo> {
        let created = self.create_bucket_row(account, bucket).await;
        self.caches.bucket_changed();
        created
    }

    async fn delete_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<()> {
        let deleted = self.delete_bucket_row(account, bucket).await;
        self.caches.bucket_changed();
        deleted
    }

    async fn head_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo> {
        self.bucket_row(account, bucket).await
    }

    async fn list_buckets(&self, account: &AccountId) -> StorageResult<Vec<BucketInfo>> {
        self.bucket_rows(account).await
    }

    async fn get_bucket_policy(&self, account: &AccountId, bucket: &str) -> StorageResult<String> {
        self.bucket_policy(account, bucket).await
    }

    async fn set_bucket_policy(
        &self,
        account: &AccountId,
        bucket: &str,
        policy: Option<String>,
    ) -> StorageResult<()> {
        let stored = self.store_bucket_policy(account, bucket, policy).await;
        self.caches.bucket_changed();
        stored
    }

    async fn put_object(&self, request: PutObject) -> StorageResult<ObjectInfo> {
        self.put(request).await
    }

    async fn get_object(
        &self,
        object: &ObjectRef,
        range: Option<ByteRange>,
    ) -> StorageResult<GetObjectOutput> {
        self.get(object, range).await
    }

    async fn head_object(&self, object: &ObjectRef) -> StorageResult<ObjectInfo> {
        self.head(object).await
    }

    async fn delete_object(&self, object: &ObjectRef) -> StorageResult<()> {
        self.delete(object).await
    }

    async fn list_objects(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &ListQuery,
    ) -> StorageResult<ListPage> {
        self.list(account, bucket, query).await
    }

    async fn copy_object(&self, request: CopyObject) -> StorageResult<ObjectInfo> {
        self.copy(request).await
    }

    async fn create_multipart_upload(
        &self,
        target: &ObjectRef,
        attributes: ObjectAttributes,
    ) -> StorageResult<UploadInfo> {
        self.create_upload(target, attributes).await
    }

    async fn upload_part(&self, request: UploadPart) -> StorageResult<PartInfo> {
        self.store_part(request).await
    }

    async fn list_parts(
        &self,
        upload: &UploadRef,
        part_number_marker: u32,
        max_parts: usize,
    ) -> StorageResult<PartsPage> {
        self.parts_page(upload, part_number_marker, max_parts).await
    }

    async fn complete_multipart_upload(
        &self,
        request: CompleteUpload,
    ) -> StorageResult<ObjectInfo> {
        self.complete_upload(request).await
    }

    async fn abort_multipart_upload(&self, upload: &UploadRef) -> StorageResult<()> {
        self.abort_upload(upload).await
    }

    async fn list_multipart_uploads(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &UploadListQuery,
    ) -> StorageResult<UploadsPage> {
        self.list_uploads(account, bucket, query).await
    }

    async fn expire_multipart_uploads(&self, cutoff: OffsetDateTime) -> StorageResult<u64> {
        self.expire_uploads(cutoff).await
    }

    async fn bucket_usage(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketUsage> {
        let client = self.client().await?;
        crate::usage::bucket_usage(&client, account, bucket).await
    }

    async fn all_bucket_usage(&self) -> StorageResult<Vec<AccountBucketUsage>> {
        let client = self.client().await?;
        crate::usage::all_bucket_usage(&client).await
    }

    async fn account_quota(&self, account: &AccountId) -> StorageResult<AccountQuota> {
        crate::quota::read(&self.client().await?, account).await
    }

    async fn set_account_quota(
        &self,
        account: &AccountId,
        quota: AccountQuota,
    ) -> StorageResult<()> {
        crate::quota::write(&self.client().await?, account, &quota).await
    }

    async fn account_quotas(&self) -> StorageResult<Vec<(AccountId, AccountQuota)>> {
        crate::quota::read_all(&self.client().await?).await
    }

    async fn account_usage(&self, account: &AccountId) -> StorageResult<AccountUsage> {
        crate::quota::read_usage(&self.client().await?, account).await
    }
}
