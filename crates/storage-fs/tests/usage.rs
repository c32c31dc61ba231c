//! Usage counters specific to the embedded backend: data directories from before the
//! `bucket_usage` table are recounted once when opened, and the bulk loader counts too. The
//! backend-neutral cases are the conformance kit's `usage::*`.

use std::path::Path;

use bytes::Bytes;
use redb::{Database, ReadableTable, TableDefinition};
use s4_naming::AccountId;
use s4_storage::multipart::{UploadPart, UploadRef};
use s4_storage::quota::AccountQuota;
use s4_storage::{
    body, count_bucket_usage, AccountBucketUsage, BucketUsage, ObjectAttributes, ObjectRef,
    ObjectStore, PutObject, StorageError, WritePrecondition,
};
use s4_storage_fs::{FsConfig, FsStore};

const MIN_PART: u64 = 64 * 1024;

const USAGE_TABLE: TableDefinition<'static, &'static [u8], &'static [u8]> =
    TableDefinition::new("bucket_usage");
const META_TABLE: TableDefinition<'static, &'static str, u64> = TableDefinition::new("meta");
const MARKER: &str = "usage_counters";

fn a() -> AccountId {
    AccountId::from_number(100_000_000_000_001).unwrap()
}

fn b() -> AccountId {
    AccountId::from_number(100_000_000_000_002).unwrap()
}

fn config(dir: &Path) -> FsConfig {
    let mut c = FsConfig::new(dir);
    c.min_part_size = MIN_PART;
    c
}

fn obj(account: AccountId, bucket: &str, key: &str) -> ObjectRef {
    ObjectRef {
        account,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    }
}

async fn put(store: &FsStore, target: ObjectRef, len: usize) {
    let data = Bytes::from(vec![0x42u8; len]);
    store
        .put_object(PutObject {
            target,
            attributes: ObjectAttributes::default(),
            content_length: Some(data.len() as u64),
            body: body::once(data),
            content_md5: None,
            precondition: WritePrecondition::default(),
        })
        .await
        .unwrap();
}

/// A bucket's totals counted the slow way: every listing page of objects and uploads (small
/// pages, so that paging is exercised too).
async fn counted(store: &FsStore, account: AccountId, bucket: &str) -> BucketUsage {
    count_bucket_usage(store, &account, bucket, 7)
        .await
        .unwrap()
}

/// Every bucket of both accounts, counted by listing, in `all_bucket_usage` order.
async fn all_counted(store: &FsStore) -> Vec<AccountBucketUsage> {
    let mut out = Vec::new();
    for account in [a(), b()] {
        for bucket in store.list_buckets(&account).await.unwrap() {
            out.push(AccountBucketUsage {
                account,
                bucket: bucket.name.clone(),
                usage: counted(store, account, &bucket.name).await,
            });
        }
    }
    out
}

/// Fills a store with objects inline and in blobs, an overwrite, a delete, a multipart object,
/// uploads in progress and empty buckets, over two accounts.
async fn fill(store: &FsStore) {
    for (account, bucket) in [
        (a(), "photos"),
        (a(), "empty"),
        (b(), "photos"),
        (b(), "logs"),
    ] {
        store.create_bucket(&account, bucket).await.unwrap();
    }
    for i in 0..30 {
        put(store, obj(a(), "photos", &format!("p/{i:02}")), 100 * i).await;
    }
    put(store, obj(a(), "photos", "big"), 300_000).await;
    put(store, obj(a(), "photos", "p/03"), 9).await;
    store
        .delete_object(&obj(a(), "photos", "p/04"))
        .await
        .unwrap();
    put(store, obj(b(), "logs", "one"), 5_000).await;
    // A completed upload and two in progress.
    let target = obj(b(), "photos", "assembled");
    let upload = store
        .create_multipart_upload(&target, ObjectAttributes::default())
        .await
        .unwrap();
    let upload = UploadRef {
        target,
        upload_id: upload.upload_id,
    };
    let mut done = Vec::new();
    for (number, len) in [(1u32, MIN_PART as usize), (2, 123)] {
        let part = store
            .upload_part(UploadPart {
                upload: upload.clone(),
                part_number: number,
                body: body::once(Bytes::from(vec![7u8; len])),
                content_length: Some(len as u64),
                content_md5: None,
            })
            .await
            .unwrap();
        done.push(s4_storage::multipart::CompletedPart {
            number,
            etag: part.etag,
        });
    }
    store
        .complete_multipart_upload(s4_storage::multipart::CompleteUpload {
            upload,
            parts: done,
            precondition: WritePrecondition::default(),
        })
        .await
        .unwrap();
    for key in ["pending-1", "pending-2"] {
        store
            .create_multipart_upload(&obj(b(), "photos", key), ObjectAttributes::default())
            .await
            .unwrap();
    }
}

/// Turns a data directory into one written before usage counters: no table, no marker.
fn strip_usage(dir: &Path) {
    let db = Database::create(dir.join("meta.redb")).unwrap();
    let txn = db.begin_write().unwrap();
    assert!(txn.delete_table(USAGE_TABLE).unwrap(), "no usage table");
    assert!(txn
        .open_table(META_TABLE)
        .unwrap()
        .remove(MARKER)
        .unwrap()
        .is_some());
    txn.commit().unwrap();
}

#[tokio::test]
async fn old_data_dirs_are_recounted_once_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let (store, report) = FsStore::open_with_report(config(dir.path())).unwrap();
    assert!(
        !report.usage_recounted,
        "a new data directory has nothing to recount"
    );
    fill(&store).await;
    let maintained = store.all_bucket_usage().await.unwrap();
    assert_eq!(maintained, all_counted(&store).await, "maintained totals");
    assert_eq!(maintained.len(), 4);
    assert_eq!(
        maintained[3].usage,
        BucketUsage {
            objects: 1,
            bytes: MIN_PART + 123,
            uploads_in_progress: 2,
        },
        "{maintained:?}"
    );
    drop(store);

    strip_usage(dir.path());
    let (store, report) = FsStore::open_with_report(config(dir.path())).unwrap();
    assert!(report.usage_recounted, "an old data directory is recounted");
    assert_eq!(store.all_bucket_usage().await.unwrap(), maintained);
    // The recounted totals are maintained from there on.
    put(&store, obj(a(), "empty", "now-not"), 77).await;
    assert_eq!(
        store.bucket_usage(&a(), "empty").await.unwrap(),
        BucketUsage {
            objects: 1,
            bytes: 77,
            uploads_in_progress: 0,
        }
    );
    let expected = store.all_bucket_usage().await.unwrap();
    assert_eq!(expected, all_counted(&store).await);
    drop(store);

    let (store, report) = FsStore::open_with_report(config(dir.path())).unwrap();
    assert!(!report.usage_recounted, "recounted only once");
    assert_eq!(store.all_bucket_usage().await.unwrap(), expected);
}

/// An older version run on a migrated directory creates or deletes buckets without touching
/// the usage table; the next open notices that buckets and usage records differ.
#[tokio::test]
async fn buckets_without_a_usage_record_trigger_a_recount() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(config(dir.path())).unwrap();
    fill(&store).await;
    let expected = store.all_bucket_usage().await.unwrap();
    drop(store);
    {
        let db = Database::create(dir.path().join("meta.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut usage = txn.open_table(USAGE_TABLE).unwrap();
            let first = usage.first().unwrap().unwrap().0.value().to_vec();
            usage.remove(first.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let (store, report) = FsStore::open_with_report(config(dir.path())).unwrap();
    assert!(report.usage_recounted);
    assert_eq!(store.all_bucket_usage().await.unwrap(), expected);
}

#[tokio::test]
async fn bulk_loads_count() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(config(dir.path())).unwrap();
    store.create_bucket(&a(), "bulk").await.unwrap();
    put(&store, obj(a(), "bulk", "k0001"), 1_000).await;
    let loaded = store
        .bulk_load_inline(
            &a(),
            "bulk",
            (0..100).map(|i| (format!("k{i:04}"), vec![1u8; i % 50])),
        )
        .unwrap();
    assert_eq!(loaded, 100);
    let usage = store.bucket_usage(&a(), "bulk").await.unwrap();
    assert_eq!(usage, counted(&store, a(), "bulk").await);
    assert_eq!(usage.objects, 100);
}

/// Storage quotas count the parts of uploads in progress: after a crash-like loss of the
/// usage table, the recount at open reproduces every account's usage, parts included, and
/// a quota set before keeps refusing from the recounted totals.
#[tokio::test]
async fn recount_reproduces_account_usage_with_parts() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsStore::open(config(dir.path())).unwrap();
    fill(&store).await;
    let pending = UploadRef {
        target: obj(a(), "photos", "pending"),
        upload_id: store
            .create_multipart_upload(&obj(a(), "photos", "pending"), ObjectAttributes::default())
            .await
            .unwrap()
            .upload_id,
    };
    store
        .upload_part(UploadPart {
            upload: pending,
            part_number: 1,
            body: body::once(Bytes::from(vec![1u8; 4_321])),
            content_length: Some(4_321),
            content_md5: None,
        })
        .await
        .unwrap();
    let before = [
        store.account_usage(&a()).await.unwrap(),
        store.account_usage(&b()).await.unwrap(),
    ];
    let objects_of_a: u64 = all_counted(&store)
        .await
        .iter()
        .filter(|u| u.account == a())
        .map(|u| u.usage.bytes)
        .sum();
    assert_eq!(
        before[0].bytes,
        objects_of_a + 4_321,
        "parts count for quotas"
    );
    let quota = AccountQuota {
        max_bytes: Some(before[0].bytes),
        ..AccountQuota::default()
    };
    store.set_account_quota(&a(), quota).await.unwrap();
    drop(store);

    strip_usage(dir.path());
    let (store, report) = FsStore::open_with_report(config(dir.path())).unwrap();
    assert!(report.usage_recounted);
    let after = [
        store.account_usage(&a()).await.unwrap(),
        store.account_usage(&b()).await.unwrap(),
    ];
    assert_eq!(after, before, "recounted account usage");
    assert_eq!(store.account_quota(&a()).await.unwrap(), quota);
    let refused = store
        .put_object(PutObject {
            target: obj(a(), "photos", "one-more"),
            attributes: ObjectAttributes::default(),
            body: body::once(Bytes::from_static(b"x")),
            content_length: None,
            content_md5: None,
            precondition: WritePrecondition::default(),
        })
        .await;
    assert!(
        matches!(refused, Err(StorageError::QuotaExceeded { .. })),
        "{refused:?}"
    );
}
