//! Storage quotas on PostgreSQL (`S4_TEST_POSTGRES_URL`) across three "processes" (three
//! pools on one schema): 32 writers racing into an almost-full account never end above the
//! limit, and after writers are cut off mid-flight (their connections dropped, as when a
//! server is killed) the counters still equal what a listing adds up to.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use s4_naming::AccountId;
use s4_storage::quota::{AccountQuota, AccountUsage};
use s4_storage::{
    body, count_bucket_usage, ObjectAttributes, ObjectRef, ObjectStore, PutObject, StorageError,
    WritePrecondition,
};
use s4_storage_pg::{new_blob_name, FsBlobStore, PgConfig, PgStore};

const SIZE: usize = 4_096;
const FILLER: u64 = 100_000;

fn account() -> AccountId {
    AccountId::from_number(31).expect("account")
}

fn put(key: &str, len: usize, announced: bool) -> PutObject {
    PutObject {
        target: ObjectRef {
            account: account(),
            bucket: "full".to_owned(),
            key: key.to_owned(),
        },
        attributes: ObjectAttributes::default(),
        body: body::once(Bytes::from(vec![7u8; len])),
        content_length: announced.then_some(len as u64),
        content_md5: None,
        precondition: WritePrecondition::default(),
    }
}

async fn open(url: &str, schema: &str, dir: &std::path::Path) -> PgStore {
    let mut config = PgConfig::new(url);
    schema.clone_into(&mut config.schema);
    config.pool_size = 8;
    let blobs = FsBlobStore::open(dir).expect("blob dir");
    PgStore::open(config, Arc::new(blobs))
        .await
        .expect("open store")
}

/// The account's usage counted by listing (it has no uploads in progress here).
async fn listed(store: &PgStore) -> AccountUsage {
    let counted = count_bucket_usage(store, &account(), "full", 1000)
        .await
        .expect("count by listing");
    AccountUsage {
        bytes: counted.bytes,
        objects: counted.objects,
        buckets: 1,
    }
}

fn race(stores: &[PgStore; 3], round: usize, announced: bool) -> Vec<tokio::task::JoinHandle<()>> {
    (0..32usize)
        .map(|t| {
            let store = stores[t % 3].clone();
            tokio::spawn(async move {
                // Half the writers create keys, half overwrite a few shared ones with sizes
                // that grow and shrink.
                let (key, len) = if t % 2 == 0 {
                    (format!("r{round}-new-{t}"), SIZE)
                } else {
                    (format!("shared-{}", t % 5), SIZE / 2 + t * 97)
                };
                match store.put_object(put(&key, len, announced)).await {
                    Ok(_) | Err(StorageError::QuotaExceeded { .. }) => {}
                    Err(e) => panic!("racing put {key}: {e:?}"),
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_writers_across_three_processes_stay_within_the_quota() {
    let Some(url) = std::env::var("S4_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        println!("SKIPPED: S4_TEST_POSTGRES_URL is not set (tests/with-postgres.sh sets it)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = format!("t_{}", new_blob_name());
    let stores = [
        open(&url, &schema, dir.path()).await,
        open(&url, &schema, dir.path()).await,
        open(&url, &schema, dir.path()).await,
    ];
    stores[0]
        .create_bucket(&account(), "full")
        .await
        .expect("bucket");
    stores[0]
        .put_object(put("filler", FILLER as usize, true))
        .await
        .expect("filler");
    let limit = FILLER + 5 * SIZE as u64 + 100;
    let quota = AccountQuota {
        max_bytes: Some(limit),
        ..AccountQuota::default()
    };
    stores[1]
        .set_account_quota(&account(), quota)
        .await
        .expect("set quota");

    for (round, announced) in [(0, true), (1, false)] {
        for task in race(&stores, round, announced) {
            task.await.expect("writer task");
        }
        let kept = stores[2].account_usage(&account()).await.expect("usage");
        assert!(
            kept.bytes <= limit,
            "round {round}: {} bytes above the limit {limit}",
            kept.bytes
        );
        assert_eq!(
            kept,
            listed(&stores[0]).await,
            "round {round}: counters vs listing"
        );
    }

    // Writers cut off mid-flight: the tasks are aborted, their connections dropped, so
    // PostgreSQL rolls back whatever had not committed.
    stores[0]
        .delete_object(&put("filler", 0, true).target)
        .await
        .expect("free room");
    let cut = race(&stores, 2, true);
    tokio::time::sleep(Duration::from_millis(30)).await;
    for task in &cut {
        task.abort();
    }
    for task in cut {
        let _ = task.await;
    }
    let fresh = open(&url, &schema, dir.path()).await;
    let kept = fresh
        .account_usage(&account())
        .await
        .expect("usage after the cut");
    assert!(
        kept.bytes <= limit,
        "{} bytes above the limit {limit}",
        kept.bytes
    );
    assert_eq!(
        kept,
        listed(&fresh).await,
        "counters vs listing after the cut"
    );
}
