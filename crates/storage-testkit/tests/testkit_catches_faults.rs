//! The conformance kit must fail for broken backends: each test wraps `MemoryStore` with one
//! injected fault and checks that the suite panics, naming the case that should catch it.

use std::panic::AssertUnwindSafe;

use async_trait::async_trait;
use futures_util::{FutureExt, StreamExt};
use s4_naming::AccountId;
use s4_storage::memory::MemoryStore;
use s4_storage::multipart::{
    CompleteUpload, PartInfo, PartsPage, UploadInfo, UploadListQuery, UploadPart, UploadRef,
    UploadsPage,
};
use s4_storage::quota::{AccountQuota, AccountUsage};
use s4_storage::{
    AccessKey, Account, AccountBucketUsage, BucketInfo, BucketUsage, ByteRange, ByteStream,
    Capabilities, CopyObject, GetObjectOutput, Group, IdentityStore, KeyOwner, KeyStatus, ListPage,
    ListQuery, ObjectAttributes, ObjectInfo, ObjectRef, ObjectStore, PolicyTarget, PutObject,
    StorageResult, User, WritePrecondition,
};
use s4_storage_testkit::{run_identity_store_suite, run_object_store_suite, Fixture};
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    BucketsUnsorted,
    CommitsFailedBodies,
    IgnoresRanges,
    IgnoresPreconditions,
    NoNextStartAfter,
    CopyIgnoresReplace,
    AbortIsIdempotent,
    ExpireDoesNothing,
    UsersUnsorted,
    KeyLimitIgnored,
    UsageIgnoresUploads,
    /// Account usage that leaves out the parts of uploads in progress.
    QuotaUsageIgnoresParts,
    /// Quotas recorded but never applied to bucket creation.
    BucketLimitIgnored,
    /// Key lookups served from a cache that identity writes never empty.
    StaleKeyCache,
    /// A late-recorded older use overwrites a newer one.
    LastUseMovesBack,
}

#[derive(Debug)]
struct Faulty {
    inner: MemoryStore,
    fault: Fault,
    key_cache: std::sync::Mutex<std::collections::HashMap<String, Option<AccessKey>>>,
}

/// Ends the stream quietly where it would have failed, as a backend that swallows body
/// errors would see it.
fn swallow_errors(body: ByteStream) -> ByteStream {
    Box::pin(body.take_while(|item| futures_util::future::ready(item.is_ok())))
}

#[async_trait]
impl ObjectStore for Faulty {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn create_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo> {
        self.inner.create_bucket(account, bucket).await
    }
    async fn delete_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<()> {
        self.inner.delete_bucket(account, bucket).await
    }
    async fn head_bucket(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketInfo> {
        self.inner.head_bucket(account, bucket).await
    }
    async fn list_buckets(&self, account: &AccountId) -> StorageResult<Vec<BucketInfo>> {
        let mut buckets = self.inner.list_buckets(account).await?;
        if self.fault == Fault::BucketsUnsorted {
            buckets.reverse();
        }
        Ok(buckets)
    }
    async fn get_bucket_policy(&self, account: &AccountId, bucket: &str) -> StorageResult<String> {
        self.inner.get_bucket_policy(account, bucket).await
    }
    async fn set_bucket_policy(
        &self,
        account: &AccountId,
        bucket: &str,
        policy: Option<String>,
    ) -> StorageResult<()> {
        self.inner.set_bucket_policy(account, bucket, policy).await
    }
    async fn put_object(&self, mut request: PutObject) -> StorageResult<ObjectInfo> {
        match self.fault {
            Fault::CommitsFailedBodies => {
                request.body = swallow_errors(request.body);
                request.content_length = None;
            }
            Fault::IgnoresPreconditions => request.precondition = WritePrecondition::default(),
            _ => {}
        }
        self.inner.put_object(request).await
    }
    async fn get_object(
        &self,
        object: &ObjectRef,
        range: Option<ByteRange>,
    ) -> StorageResult<GetObjectOutput> {
        let range = if self.fault == Fault::IgnoresRanges {
            None
        } else {
            range
        };
        self.inner.get_object(object, range).await
    }
    async fn head_object(&self, object: &ObjectRef) -> StorageResult<ObjectInfo> {
        self.inner.head_object(object).await
    }
    async fn delete_object(&self, object: &ObjectRef) -> StorageResult<()> {
        self.inner.delete_object(object).await
    }
    async fn list_objects(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &ListQuery,
    ) -> StorageResult<ListPage> {
        let mut page = self.inner.list_objects(account, bucket, query).await?;
        if self.fault == Fault::NoNextStartAfter {
            page.next_start_after = None;
        }
        Ok(page)
    }
    async fn copy_object(&self, mut request: CopyObject) -> StorageResult<ObjectInfo> {
        if self.fault == Fault::CopyIgnoresReplace {
            request.replace_attributes = None;
        }
        self.inner.copy_object(request).await
    }
    async fn create_multipart_upload(
        &self,
        target: &ObjectRef,
        attributes: ObjectAttributes,
    ) -> StorageResult<UploadInfo> {
        self.inner.create_multipart_upload(target, attributes).await
    }
    async fn upload_part(&self, request: UploadPart) -> StorageResult<PartInfo> {
        self.inner.upload_part(request).await
    }
    async fn list_parts(
        &self,
        upload: &UploadRef,
        part_number_marker: u32,
        max_parts: usize,
    ) -> StorageResult<PartsPage> {
        self.inner
            .list_parts(upload, part_number_marker, max_parts)
            .await
    }
    async fn complete_multipart_upload(
        &self,
        request: CompleteUpload,
    ) -> StorageResult<ObjectInfo> {
        self.inner.complete_multipart_upload(request).await
    }
    async fn abort_multipart_upload(&self, upload: &UploadRef) -> StorageResult<()> {
        let result = self.inner.abort_multipart_upload(upload).await;
        if self.fault == Fault::AbortIsIdempotent {
            return Ok(());
        }
        result
    }
    async fn list_multipart_uploads(
        &self,
        account: &AccountId,
        bucket: &str,
        query: &UploadListQuery,
    ) -> StorageResult<UploadsPage> {
        self.inner
            .list_multipart_uploads(account, bucket, query)
            .await
    }
    async fn bucket_usage(&self, account: &AccountId, bucket: &str) -> StorageResult<BucketUsage> {
        let mut usage = self.inner.bucket_usage(account, bucket).await?;
        if self.fault == Fault::UsageIgnoresUploads {
            usage.uploads_in_progress = 0;
        }
        Ok(usage)
    }
    async fn all_bucket_usage(&self) -> StorageResult<Vec<AccountBucketUsage>> {
        self.inner.all_bucket_usage().await
    }
    async fn account_quota(&self, account: &AccountId) -> StorageResult<AccountQuota> {
        self.inner.account_quota(account).await
    }
    async fn set_account_quota(
        &self,
        account: &AccountId,
        mut quota: AccountQuota,
    ) -> StorageResult<()> {
        if self.fault == Fault::BucketLimitIgnored {
            quota.max_buckets = None;
        }
        self.inner.set_account_quota(account, quota).await
    }
    async fn account_quotas(&self) -> StorageResult<Vec<(AccountId, AccountQuota)>> {
        self.inner.account_quotas().await
    }
    async fn account_usage(&self, account: &AccountId) -> StorageResult<AccountUsage> {
        let mut usage = self.inner.account_usage(account).await?;
        if self.fault == Fault::QuotaUsageIgnoresParts {
            let all = self.inner.all_bucket_usage().await?;
            usage.bytes = all
                .iter()
                .filter(|b| b.account == *account)
                .map(|b| b.usage.bytes)
                .sum();
        }
        Ok(usage)
    }
    async fn expire_multipart_uploads(&self, cutoff: OffsetDateTime) -> StorageResult<u64> {
        if self.fault == Fault::ExpireDoesNothing {
            return Ok(0);
        }
        self.inner.expire_multipart_uploads(cutoff).await
    }
}

#[async_trait]
impl IdentityStore for Faulty {
    async fn create_account(&self, id: &AccountId) -> StorageResult<Account> {
        self.inner.create_account(id).await
    }
    async fn get_account(&self, id: &AccountId) -> StorageResult<Option<Account>> {
        self.inner.get_account(id).await
    }
    async fn list_accounts(&self) -> StorageResult<Vec<Account>> {
        self.inner.list_accounts().await
    }
    async fn create_user(&self, user: User) -> StorageResult<User> {
        self.inner.create_user(user).await
    }
    async fn get_user(&self, account: &AccountId, name: &str) -> StorageResult<User> {
        self.inner.get_user(account, name).await
    }
    async fn list_users(&self, account: &AccountId) -> StorageResult<Vec<User>> {
        let mut users = self.inner.list_users(account).await?;
        if self.fault == Fault::UsersUnsorted {
            users.reverse();
        }
        Ok(users)
    }
    async fn delete_user(&self, account: &AccountId, name: &str) -> StorageResult<()> {
        self.inner.delete_user(account, name).await
    }
    async fn create_group(&self, group: Group) -> StorageResult<Group> {
        self.inner.create_group(group).await
    }
    async fn get_group(&self, account: &AccountId, name: &str) -> StorageResult<Group> {
        self.inner.get_group(account, name).await
    }
    async fn list_groups(&self, account: &AccountId) -> StorageResult<Vec<Group>> {
        self.inner.list_groups(account).await
    }
    async fn delete_group(&self, account: &AccountId, name: &str) -> StorageResult<()> {
        self.inner.delete_group(account, name).await
    }
    async fn add_user_to_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> StorageResult<()> {
        self.inner.add_user_to_group(account, group, user).await
    }
    async fn remove_user_from_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> StorageResult<()> {
        self.inner
            .remove_user_from_group(account, group, user)
            .await
    }
    async fn list_groups_for_user(
        &self,
        account: &AccountId,
        user: &str,
    ) -> StorageResult<Vec<Group>> {
        self.inner.list_groups_for_user(account, user).await
    }
    async fn list_group_members(
        &self,
        account: &AccountId,
        group: &str,
    ) -> StorageResult<Vec<User>> {
        self.inner.list_group_members(account, group).await
    }
    async fn create_access_key(
        &self,
        key: AccessKey,
        max_keys_per_owner: usize,
    ) -> StorageResult<()> {
        let max = if self.fault == Fault::KeyLimitIgnored {
            usize::MAX
        } else {
            max_keys_per_owner
        };
        self.inner.create_access_key(key, max).await
    }
    async fn get_access_key(&self, access_key_id: &str) -> StorageResult<Option<AccessKey>> {
        if self.fault == Fault::StaleKeyCache {
            if let Some(cached) = self.key_cache.lock().unwrap().get(access_key_id) {
                return Ok(cached.clone());
            }
        }
        let key = self.inner.get_access_key(access_key_id).await?;
        self.key_cache
            .lock()
            .unwrap()
            .insert(access_key_id.to_owned(), key.clone());
        Ok(key)
    }
    async fn list_access_keys(
        &self,
        account: &AccountId,
        owner: &KeyOwner,
    ) -> StorageResult<Vec<AccessKey>> {
        self.inner.list_access_keys(account, owner).await
    }
    async fn set_access_key_status(
        &self,
        account: &AccountId,
        access_key_id: &str,
        status: KeyStatus,
    ) -> StorageResult<()> {
        self.inner
            .set_access_key_status(account, access_key_id, status)
            .await
    }
    async fn delete_access_key(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> StorageResult<()> {
        self.inner.delete_access_key(account, access_key_id).await
    }
    async fn record_access_key_use(
        &self,
        access_key_id: &str,
        at: OffsetDateTime,
    ) -> StorageResult<()> {
        if self.fault == Fault::LastUseMovesBack {
            let Some(key) = self.inner.get_access_key(access_key_id).await? else {
                return Ok(());
            };
            // Forget the stored time by recreating the key, then record `at` alone.
            self.inner
                .delete_access_key(&key.account, access_key_id)
                .await?;
            self.inner.create_access_key(key, usize::MAX).await?;
        }
        self.inner.record_access_key_use(access_key_id, at).await
    }
    async fn access_key_last_used(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> StorageResult<Option<OffsetDateTime>> {
        self.inner
            .access_key_last_used(account, access_key_id)
            .await
    }
    async fn attach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> StorageResult<()> {
        self.inner.attach_policy(account, target, policy_arn).await
    }
    async fn detach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> StorageResult<()> {
        self.inner.detach_policy(account, target, policy_arn).await
    }
    async fn list_attached_policies(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
    ) -> StorageResult<Vec<String>> {
        self.inner.list_attached_policies(account, target).await
    }
    async fn count_policy_attachments(
        &self,
        account: &AccountId,
        policy_arn: &str,
    ) -> StorageResult<u64> {
        self.inner
            .count_policy_attachments(account, policy_arn)
            .await
    }
}

fn faulty(fault: Fault) -> Fixture<Faulty> {
    Fixture::new(Faulty {
        inner: MemoryStore::new().with_min_part_size(16),
        fault,
        key_cache: std::sync::Mutex::default(),
    })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// Runs the object suite with `fault` and checks that `case` is reported as failed.
async fn object_suite_catches(fault: Fault, case: &str) {
    let outcome = AssertUnwindSafe(run_object_store_suite(|| async move { faulty(fault) }))
        .catch_unwind()
        .await;
    let panic = outcome.expect_err(&format!("the object suite passed a backend with {fault:?}"));
    let message = panic_message(&*panic);
    assert!(
        message.contains(&format!("\n  {case}: ")),
        "{fault:?} should fail {case}; the suite said:\n{message}"
    );
}

async fn identity_suite_catches(fault: Fault, case: &str) {
    let outcome = AssertUnwindSafe(run_identity_store_suite(|| async move { faulty(fault) }))
        .catch_unwind()
        .await;
    let panic = outcome.expect_err(&format!(
        "the identity suite passed a backend with {fault:?}"
    ));
    let message = panic_message(&*panic);
    assert!(
        message.contains(&format!("\n  {case}: ")),
        "{fault:?} should fail {case}; the suite said:\n{message}"
    );
}

#[tokio::test]
async fn unsorted_buckets() {
    object_suite_catches(
        Fault::BucketsUnsorted,
        "buckets::create_head_and_list_sorted",
    )
    .await;
}

#[tokio::test]
async fn committed_failed_bodies() {
    object_suite_catches(
        Fault::CommitsFailedBodies,
        "objects::failed_body_stores_nothing",
    )
    .await;
}

#[tokio::test]
async fn ignored_ranges() {
    object_suite_catches(Fault::IgnoresRanges, "objects::ranges").await;
}

#[tokio::test]
async fn ignored_preconditions() {
    object_suite_catches(Fault::IgnoresPreconditions, "conditions::if_none_match_any").await;
}

#[tokio::test]
async fn missing_next_start_after() {
    object_suite_catches(
        Fault::NoNextStartAfter,
        "listing::pagination_returns_everything_once",
    )
    .await;
}

#[tokio::test]
async fn copy_ignoring_replace() {
    object_suite_catches(
        Fault::CopyIgnoresReplace,
        "copy::replace_sets_new_attributes",
    )
    .await;
}

#[tokio::test]
async fn idempotent_abort() {
    object_suite_catches(
        Fault::AbortIsIdempotent,
        "multipart::abort_then_no_such_upload",
    )
    .await;
}

#[tokio::test]
async fn expire_that_does_nothing() {
    object_suite_catches(Fault::ExpireDoesNothing, "multipart::expire_uploads").await;
}

#[tokio::test]
async fn unsorted_users() {
    identity_suite_catches(Fault::UsersUnsorted, "identity::users").await;
}

#[tokio::test]
async fn ignored_key_limit() {
    identity_suite_catches(Fault::KeyLimitIgnored, "identity::key_limits").await;
}

#[tokio::test]
async fn stale_key_cache() {
    identity_suite_catches(Fault::StaleKeyCache, "access_keys::root_key_lifecycle").await;
}

#[tokio::test]
async fn last_use_moving_back() {
    identity_suite_catches(Fault::LastUseMovesBack, "access_keys::last_used").await;
}

#[tokio::test]
async fn usage_without_uploads() {
    object_suite_catches(
        Fault::UsageIgnoresUploads,
        "usage::multipart_uploads_and_completion",
    )
    .await;
}

#[tokio::test]
async fn quota_usage_without_parts() {
    object_suite_catches(
        Fault::QuotaUsageIgnoresParts,
        "quota::multipart_parts_count_and_cross_at_a_part",
    )
    .await;
}

#[tokio::test]
async fn bucket_limit_ignored() {
    object_suite_catches(
        Fault::BucketLimitIgnored,
        "quota::buckets_limit_refuses_create_bucket",
    )
    .await;
}
