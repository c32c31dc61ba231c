//! Storage quotas: each limit refuses exactly the write that would cross it, stores nothing
//! of it, and the account's usage always equals what a listing counts.

use bytes::Bytes;
use futures_util::future::join_all;
use s4_naming::AccountId;

use super::support::{
    account_a, account_b, complete_request, completed, copy_request, create_bucket, expect_err,
    object, part_request, part_size, pattern, put, put_request, upload_part, upload_ref,
};
use super::{case, Case};
use s4_storage::body;
use s4_storage::multipart::UploadListQuery;
use s4_storage::quota::{AccountQuota, AccountUsage, QuotaLimit};
use s4_storage::{count_bucket_usage, ObjectAttributes, ObjectStore, StorageError};

pub(super) fn cases<S: ObjectStore>() -> Vec<Case<S>> {
    vec![
        case!(quota::limits_are_kept_per_account, StorageQuotas),
        case!(quota::bytes_limit_refuses_the_crossing_put, StorageQuotas),
        case!(quota::bytes_limit_counts_copies, StorageQuotas, Copy),
        case!(quota::objects_limit_refuses_new_keys_only, StorageQuotas),
        case!(quota::buckets_limit_refuses_create_bucket, StorageQuotas),
        case!(
            quota::multipart_parts_count_and_cross_at_a_part,
            StorageQuotas,
            Multipart
        ),
        case!(
            quota::lowered_limit_blocks_writes_and_deletes_nothing,
            StorageQuotas
        ),
        case!(quota::racing_writers_never_cross_the_limit, StorageQuotas),
    ]
}

const BUCKET: &str = "quota";
/// The racing writers' object size.
const SIZE: u64 = 4_096;

fn limit_bytes(max: u64) -> AccountQuota {
    AccountQuota {
        max_bytes: Some(max),
        ..AccountQuota::default()
    }
}

async fn set<S: ObjectStore>(store: &S, account: AccountId, quota: AccountQuota) {
    store
        .set_account_quota(&account, quota)
        .await
        .unwrap_or_else(|e| panic!("set_account_quota {quota:?}: {e:?}"));
}

/// The account's usage counted the slow way: listing every bucket, upload and part.
async fn counted_usage<S: ObjectStore>(store: &S, account: AccountId) -> AccountUsage {
    let buckets = store.list_buckets(&account).await.expect("list_buckets");
    let mut usage = AccountUsage {
        buckets: buckets.len() as u64,
        ..AccountUsage::default()
    };
    for bucket in buckets {
        let totals = count_bucket_usage(store, &account, &bucket.name, 1000)
            .await
            .expect("count_bucket_usage");
        usage.objects += totals.objects;
        usage.bytes += totals.bytes;
        let query = UploadListQuery {
            max_uploads: 1000,
            ..UploadListQuery::default()
        };
        let uploads = match store
            .list_multipart_uploads(&account, &bucket.name, &query)
            .await
        {
            Ok(page) => page.uploads,
            Err(StorageError::NotImplemented(_)) => Vec::new(),
            Err(e) => panic!("list_multipart_uploads: {e:?}"),
        };
        for upload in uploads {
            let upload = upload_ref(
                &object(account, &bucket.name, &upload.key),
                &upload.upload_id,
            );
            let parts = store
                .list_parts(&upload, 0, 10_000)
                .await
                .expect("list_parts");
            usage.bytes += parts.parts.iter().map(|p| p.size).sum::<u64>();
        }
    }
    usage
}

/// The counters' account usage equals the listing's and `want`.
async fn expect_usage<S: ObjectStore>(
    store: &S,
    account: AccountId,
    want: AccountUsage,
    when: &str,
) {
    let kept = store
        .account_usage(&account)
        .await
        .unwrap_or_else(|e| panic!("account_usage {when}: {e:?}"));
    assert_eq!(kept, want, "account_usage {when}");
    assert_eq!(
        counted_usage(store, account).await,
        kept,
        "listing vs counters {when}"
    );
}

fn usage(bytes: u64, objects: u64, buckets: u64) -> AccountUsage {
    AccountUsage {
        bytes,
        objects,
        buckets,
    }
}

/// Asserts that `result` is a refusal by `limit` naming `max`.
fn expect_quota<T: std::fmt::Debug>(
    result: Result<T, StorageError>,
    limit: QuotaLimit,
    max: u64,
    what: &str,
) {
    match result {
        Err(StorageError::QuotaExceeded { limit: l, max: m }) if (l, m) == (limit, max) => {}
        other => panic!("{what}: expected QuotaExceeded {{ {limit:?}, {max} }}, got {other:?}"),
    }
}

async fn limits_are_kept_per_account<S: ObjectStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    let none = store.account_quota(&a).await.expect("account_quota");
    assert!(none.is_unlimited(), "a new account is unlimited: {none:?}");
    let quota = AccountQuota {
        max_bytes: Some(5 << 40),
        max_objects: Some(7),
        max_buckets: Some(0),
    };
    set(store, a, quota).await;
    set(store, b, limit_bytes(1)).await;
    assert_eq!(store.account_quota(&a).await.expect("read A"), quota);
    let all = store.account_quotas().await.expect("account_quotas");
    let mut want = vec![(a, quota), (b, limit_bytes(1))];
    want.sort_by_key(|(account, _)| *account);
    assert_eq!(
        all, want,
        "account_quotas lists every limited account in order"
    );
    set(store, a, AccountQuota::default()).await;
    assert!(store.account_quota(&a).await.expect("read").is_unlimited());
    assert_eq!(
        store.account_quotas().await.expect("list"),
        vec![(b, limit_bytes(1))]
    );
    expect_usage(store, a, usage(0, 0, 0), "of an empty account").await;
}

async fn bytes_limit_refuses_the_crossing_put<S: ObjectStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    create_bucket(store, a, BUCKET).await;
    create_bucket(store, b, BUCKET).await;
    set(store, a, limit_bytes(10_000)).await;
    put(store, &object(a, BUCKET, "big"), &pattern(1, 6_000)).await;
    expect_quota(
        store
            .put_object(put_request(&object(a, BUCKET, "over"), &pattern(2, 4_001)))
            .await,
        QuotaLimit::Bytes,
        10_000,
        "a put one byte past max-bytes",
    );
    expect_usage(store, a, usage(6_000, 1, 1), "after a refused put").await;
    expect_err!(
        store.head_object(&object(a, BUCKET, "over")).await,
        StorageError::NoSuchKey,
        "the refused object"
    );
    // An overwrite counts only the difference: 6000 -> 9000 plus 1000 reaches 10000 exactly.
    put(store, &object(a, BUCKET, "big"), &pattern(3, 9_000)).await;
    put(store, &object(a, BUCKET, "last"), &pattern(4, 1_000)).await;
    expect_usage(store, a, usage(10_000, 2, 1), "at the limit").await;
    // A body of unannounced length is judged at the commit.
    let mut streamed = put_request(&object(a, BUCKET, "streamed"), &Bytes::new());
    streamed.content_length = None;
    streamed.body = body::once(pattern(5, 1));
    expect_quota(
        store.put_object(streamed).await,
        QuotaLimit::Bytes,
        10_000,
        "a streamed byte past the limit",
    );
    // Nothing of the refused writes, and another account's quota is its own.
    expect_usage(
        store,
        a,
        usage(10_000, 2, 1),
        "after a refused streamed put",
    )
    .await;
    put(store, &object(b, BUCKET, "free"), &pattern(6, 20_000)).await;
    // A delete frees quota at once; an empty object grows nothing.
    store
        .delete_object(&object(a, BUCKET, "last"))
        .await
        .expect("delete");
    put(store, &object(a, BUCKET, "again"), &pattern(7, 1_000)).await;
    put(store, &object(a, BUCKET, "empty"), &Bytes::new()).await;
    expect_usage(store, a, usage(10_000, 3, 1), "after a delete and two puts").await;
}

async fn bytes_limit_counts_copies<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let source = object(a, BUCKET, "source");
    put(store, &source, &pattern(1, 3_000)).await;
    put(store, &object(a, BUCKET, "small"), &pattern(2, 1_000)).await;
    set(store, a, limit_bytes(6_000)).await;
    expect_quota(
        store
            .copy_object(copy_request(&source, &object(a, BUCKET, "copy")))
            .await,
        QuotaLimit::Bytes,
        6_000,
        "a copy past max-bytes",
    );
    expect_usage(store, a, usage(4_000, 2, 1), "after a refused copy").await;
    // Over the 1000-byte object the copy adds 2000: 6000, admitted.
    store
        .copy_object(copy_request(&source, &object(a, BUCKET, "small")))
        .await
        .expect("a copy over a smaller object that fits");
    expect_usage(store, a, usage(6_000, 2, 1), "after a copy over").await;
}

async fn objects_limit_refuses_new_keys_only<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    create_bucket(store, a, "second").await;
    set(
        store,
        a,
        AccountQuota {
            max_objects: Some(2),
            ..AccountQuota::default()
        },
    )
    .await;
    put(store, &object(a, BUCKET, "one"), &pattern(1, 10)).await;
    put(store, &object(a, "second", "two"), &pattern(2, 10)).await;
    expect_quota(
        store
            .put_object(put_request(&object(a, BUCKET, "three"), &pattern(3, 1)))
            .await,
        QuotaLimit::Objects,
        2,
        "a third object",
    );
    put(store, &object(a, BUCKET, "one"), &pattern(4, 500)).await;
    expect_usage(
        store,
        a,
        usage(510, 2, 2),
        "after an overwrite at max-objects",
    )
    .await;
    store
        .delete_object(&object(a, "second", "two"))
        .await
        .expect("delete");
    put(store, &object(a, BUCKET, "three"), &pattern(5, 1)).await;
    expect_usage(store, a, usage(501, 2, 2), "after a delete and a put").await;
}

async fn buckets_limit_refuses_create_bucket<S: ObjectStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    create_bucket(store, a, "one").await;
    set(
        store,
        a,
        AccountQuota {
            max_buckets: Some(2),
            ..AccountQuota::default()
        },
    )
    .await;
    create_bucket(store, a, "two").await;
    expect_err!(
        store.create_bucket(&a, "three").await,
        StorageError::TooManyBuckets { max: 2 },
        "a third bucket"
    );
    expect_err!(
        store.head_bucket(&a, "three").await,
        StorageError::NoSuchBucket,
        "the refused bucket"
    );
    create_bucket(store, b, "three").await;
    store.delete_bucket(&a, "one").await.expect("delete bucket");
    create_bucket(store, a, "three").await;
    expect_usage(store, a, usage(0, 0, 2), "after replacing a bucket").await;
}

async fn multipart_parts_count_and_cross_at_a_part<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    let size = part_size(store) as u64;
    // Room for two parts and 10 bytes more (a last part may be smaller than the others).
    set(store, a, limit_bytes(2 * size + 10)).await;
    let target = object(a, BUCKET, "assembled");
    let started = store
        .create_multipart_upload(&target, ObjectAttributes::default())
        .await
        .expect("create upload");
    let upload = upload_ref(&target, &started.upload_id);
    let p1 = upload_part(store, &upload, 1, &pattern(1, size as usize)).await;
    expect_usage(store, a, usage(size, 0, 1), "with one part").await;
    let p2 = upload_part(store, &upload, 2, &pattern(3, size as usize)).await;
    expect_quota(
        store
            .upload_part(part_request(&upload, 3, &pattern(4, 11)))
            .await,
        QuotaLimit::Bytes,
        2 * size + 10,
        "the part that crosses max-bytes",
    );
    // Without a declared length the part is judged at the commit.
    let mut streamed = part_request(&upload, 3, &Bytes::new());
    streamed.content_length = None;
    streamed.body = body::once(pattern(5, 11));
    expect_quota(
        store.upload_part(streamed).await,
        QuotaLimit::Bytes,
        2 * size + 10,
        "a streamed part",
    );
    expect_usage(store, a, usage(2 * size, 0, 1), "after refused parts").await;
    let p3 = upload_part(store, &upload, 3, &pattern(6, 10)).await;
    // At the limit: no new upload may start.
    expect_quota(
        store
            .create_multipart_upload(&object(a, BUCKET, "next"), ObjectAttributes::default())
            .await,
        QuotaLimit::Bytes,
        2 * size + 10,
        "an upload started at max-bytes",
    );
    // Completion turns the parts' bytes into the object's: it grows nothing.
    store
        .complete_multipart_upload(complete_request(&upload, completed(&[&p1, &p2, &p3])))
        .await
        .expect("complete at the limit");
    expect_usage(store, a, usage(2 * size + 10, 1, 1), "after completing").await;
    store.delete_object(&target).await.expect("delete");
    let second = store
        .create_multipart_upload(&target, ObjectAttributes::default())
        .await
        .expect("an upload after a delete freed the quota");
    let second = upload_ref(&target, &second.upload_id);
    upload_part(store, &second, 1, &pattern(7, 5)).await;
    expect_usage(store, a, usage(5, 0, 1), "with one small part").await;
    store.abort_multipart_upload(&second).await.expect("abort");
    expect_usage(store, a, usage(0, 0, 1), "after aborting").await;
}

async fn lowered_limit_blocks_writes_and_deletes_nothing<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    put(store, &object(a, BUCKET, "one"), &pattern(1, 3_000)).await;
    put(store, &object(a, BUCKET, "two"), &pattern(2, 3_000)).await;
    set(
        store,
        a,
        AccountQuota {
            max_bytes: Some(1_000),
            max_objects: Some(1),
            max_buckets: Some(0),
        },
    )
    .await;
    expect_usage(store, a, usage(6_000, 2, 1), "over a lowered limit").await;
    expect_quota(
        store
            .put_object(put_request(&object(a, BUCKET, "one"), &pattern(3, 3_001)))
            .await,
        QuotaLimit::Bytes,
        1_000,
        "a growing overwrite over the limit",
    );
    // Shrinking writes and deletes still work.
    put(store, &object(a, BUCKET, "one"), &pattern(4, 10)).await;
    store
        .delete_object(&object(a, BUCKET, "two"))
        .await
        .expect("delete");
    expect_usage(store, a, usage(10, 1, 1), "after shrinking").await;
    expect_quota(
        store
            .put_object(put_request(&object(a, BUCKET, "new"), &pattern(5, 1)))
            .await,
        QuotaLimit::Objects,
        1,
        "a new object at max-objects",
    );
}

async fn racing_writers_never_cross_the_limit<S: ObjectStore>(store: &S) {
    let a = account_a();
    create_bucket(store, a, BUCKET).await;
    // Almost full: room for exactly 5 of the 32 racing objects.
    put(store, &object(a, BUCKET, "filler"), &pattern(0, 10_000)).await;
    set(store, a, limit_bytes(10_000 + 5 * SIZE + SIZE / 2)).await;
    let writes = (0..32u8).map(|i| {
        let request = put_request(
            &object(a, BUCKET, &format!("racer-{i:02}")),
            &pattern(i, SIZE as usize),
        );
        async move { store.put_object(request).await }
    });
    let mut stored = 0u64;
    for (i, result) in join_all(writes).await.into_iter().enumerate() {
        match result {
            Ok(_) => stored += 1,
            Err(StorageError::QuotaExceeded {
                limit: QuotaLimit::Bytes,
                ..
            }) => {}
            Err(e) => panic!("racing put {i}: {e:?}"),
        }
    }
    assert_eq!(stored, 5, "exactly the writes that fit are stored");
    expect_usage(
        store,
        a,
        usage(10_000 + 5 * SIZE, 6, 1),
        "after 32 racing puts",
    )
    .await;
}
