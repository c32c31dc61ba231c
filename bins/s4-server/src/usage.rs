//! Storage totals: objects and bytes per bucket, and multipart uploads in progress.
//!
//! Backends that keep usage counters (`Capabilities::usage_counters`: the embedded, memory
//! and PostgreSQL backends) update them in the transaction of every write, delete, copy,
//! completion and abort, so the totals are exact at any moment: the metrics endpoint reads
//! them at each scrape ([`read_counters`]), and `s4-server admin list-buckets` reads one
//! bucket's record. For a backend without counters the totals are counted by listing, exact
//! for the moment each bucket is listed: a task recounts every `usage_sweep_interval` (60 s
//! by default; its finish time is `s4_usage_sweep_timestamp_seconds`). The accounts with a
//! storage quota are read at each scrape too ([`read_quotas`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use s4_naming::AccountId;
use s4_service::metrics::{AccountQuotaFigures, BucketUsage, UsageSnapshot};
use s4_service::Metrics;
use s4_storage::{IdentityStore, ObjectStore, StorageError};
use time::OffsetDateTime;

/// One bucket's totals: the backend's counters when it keeps them, else counted by listing.
pub async fn bucket_usage<O: ObjectStore + ?Sized>(
    store: &O,
    account: &AccountId,
    bucket: &str,
) -> Result<BucketUsage, StorageError> {
    match store.bucket_usage(account, bucket).await {
        Ok(usage) => Ok(labelled(account, bucket.to_owned(), usage)),
        Err(StorageError::NotImplemented(_)) => count_bucket(store, account, bucket).await,
        Err(error) => Err(error),
    }
}

/// Every bucket's totals from the backend's counters, in one read.
pub async fn read_counters<O: ObjectStore + ?Sized>(
    store: &O,
) -> Result<UsageSnapshot, StorageError> {
    let started = Instant::now();
    let buckets = store
        .all_bucket_usage()
        .await?
        .into_iter()
        .map(|entry| labelled(&entry.account, entry.bucket, entry.usage))
        .collect();
    Ok(UsageSnapshot {
        buckets,
        completed: OffsetDateTime::now_utc(),
        duration: started.elapsed(),
    })
}

/// Every account with a storage quota, its `max-bytes` next to the bytes it holds: one read
/// of the quota list, then one of each such account's counters. Empty for a backend without
/// quotas.
pub async fn read_quotas<O: ObjectStore + ?Sized>(
    store: &O,
) -> Result<Vec<AccountQuotaFigures>, StorageError> {
    let quotas = match store.account_quotas().await {
        Err(StorageError::NotImplemented(_)) => return Ok(Vec::new()),
        other => other?,
    };
    let mut figures = Vec::with_capacity(quotas.len());
    for (account, quota) in quotas {
        let usage = store.account_usage(&account).await?;
        figures.push(AccountQuotaFigures {
            account: account.to_string(),
            max_bytes: quota.max_bytes,
            used_bytes: usage.bytes,
        });
    }
    Ok(figures)
}

/// Counts one bucket's objects, bytes and uploads in progress by listing it page by page.
pub async fn count_bucket<O: ObjectStore + ?Sized>(
    store: &O,
    account: &AccountId,
    bucket: &str,
) -> Result<BucketUsage, StorageError> {
    let usage = s4_storage::count_bucket_usage(store, account, bucket, 1000).await?;
    Ok(labelled(account, bucket.to_owned(), usage))
}

/// The storage totals as the metrics show them: with their account and bucket labels.
fn labelled(account: &AccountId, bucket: String, usage: s4_storage::BucketUsage) -> BucketUsage {
    BucketUsage {
        account: account.to_string(),
        bucket,
        objects: usage.objects,
        bytes: usage.bytes,
        uploads_in_progress: usage.uploads_in_progress,
    }
}

/// Every bucket of every account, listed. A bucket deleted while the sweep runs is skipped.
pub async fn sweep<S: ObjectStore + IdentityStore>(
    store: &S,
) -> Result<UsageSnapshot, StorageError> {
    let started = Instant::now();
    let mut buckets = Vec::new();
    for account in store.list_accounts().await? {
        for bucket in store.list_buckets(&account.id).await? {
            match count_bucket(store, &account.id, &bucket.name).await {
                Ok(usage) => buckets.push(usage),
                Err(StorageError::NoSuchBucket) => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(UsageSnapshot {
        buckets,
        completed: OffsetDateTime::now_utc(),
        duration: started.elapsed(),
    })
}

/// Sweeps now and then every `interval`, publishing each result to `metrics`.
pub fn spawn_sweep<S: ObjectStore + IdentityStore>(
    store: Arc<S>,
    metrics: Metrics,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match sweep(&*store).await {
                Ok(snapshot) => metrics.set_usage(snapshot),
                Err(error) => {
                    metrics.record_usage_sweep_failure();
                    tracing::warn!(%error, "storage usage sweep failed");
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use s4_storage::memory::MemoryStore;
    use s4_storage::{body, ObjectAttributes, ObjectRef, PutObject, WritePrecondition};

    use super::*;

    async fn put(store: &MemoryStore, account: AccountId, bucket: &str, key: &str, len: usize) {
        store
            .put_object(PutObject {
                target: ObjectRef {
                    account,
                    bucket: bucket.into(),
                    key: key.into(),
                },
                attributes: ObjectAttributes::default(),
                body: body::once(Bytes::from(vec![b'x'; len])),
                content_length: Some(len as u64),
                content_md5: None,
                precondition: WritePrecondition::default(),
            })
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn sweep_counts_every_page_and_overwrites_once() {
        let store = MemoryStore::new();
        let account = AccountId::parse("111122223333444").unwrap();
        store.create_account(&account).await.unwrap();
        store.create_bucket(&account, "big").await.unwrap();
        store.create_bucket(&account, "empty").await.unwrap();
        // More than one listing page.
        for i in 0..1005 {
            put(&store, account, "big", &format!("k{i:05}"), 3).await;
        }
        // An overwrite replaces: 1005 objects, not 1006.
        put(&store, account, "big", "k00000", 10).await;
        let upload_target = ObjectRef {
            account,
            bucket: "empty".into(),
            key: "pending".into(),
        };
        store
            .create_multipart_upload(&upload_target, ObjectAttributes::default())
            .await
            .unwrap();
        let snapshot = sweep(&store).await.unwrap();
        let big = snapshot.buckets.iter().find(|b| b.bucket == "big").unwrap();
        assert_eq!((big.objects, big.bytes), (1005, 1004 * 3 + 10));
        let empty = snapshot
            .buckets
            .iter()
            .find(|b| b.bucket == "empty")
            .unwrap();
        assert_eq!(
            (empty.objects, empty.bytes, empty.uploads_in_progress),
            (0, 0, 1)
        );
        assert_eq!(big.uploads_in_progress, 0);
        assert_eq!(big.account, account.to_string());
    }

    #[tokio::test]
    async fn counters_agree_with_the_listing_sweep() {
        let store = MemoryStore::new();
        let account = AccountId::parse("111122223333444").unwrap();
        store.create_account(&account).await.unwrap();
        store.create_bucket(&account, "a").await.unwrap();
        store.create_bucket(&account, "b").await.unwrap();
        put(&store, account, "a", "x", 5).await;
        put(&store, account, "a", "y", 7).await;
        put(&store, account, "a", "x", 1).await;
        put(&store, account, "b", "z", 3).await;
        let counted = sweep(&store).await.unwrap();
        let read = read_counters(&store).await.unwrap();
        assert_eq!(read.buckets, counted.buckets);
        assert_eq!(
            bucket_usage(&store, &account, "a").await.unwrap(),
            count_bucket(&store, &account, "a").await.unwrap()
        );
        assert!(matches!(
            bucket_usage(&store, &account, "missing").await,
            Err(StorageError::NoSuchBucket)
        ));
    }
}
