//! Concurrency of `PgStore` on PostgreSQL (`S4_TEST_POSTGRES_URL`): copies in opposite
//! directions at once, several servers opening an empty database at once, usage counters
//! under concurrent writers of two "processes" (two pools on one schema), and the backfill of
//! the counters when an existing schema is migrated.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::join_all;
use s4_naming::AccountId;
use s4_storage::{
    body, count_bucket_usage, BucketUsage, CopyObject, ObjectAttributes, ObjectRef, ObjectStore,
    PutObject, ReadConditions, WritePrecondition,
};
use s4_storage_pg::{new_blob_name, FsBlobStore, PgConfig, PgStore};

fn url() -> Option<String> {
    std::env::var("S4_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

macro_rules! require_postgres {
    () => {
        match url() {
            Some(url) => url,
            None => {
                println!(
                    "SKIPPED: S4_TEST_POSTGRES_URL is not set (tests/with-postgres.sh sets it)"
                );
                return;
            }
        }
    };
}

fn account() -> AccountId {
    AccountId::from_number(7).expect("account")
}

fn object(bucket: &str, key: &str) -> ObjectRef {
    ObjectRef {
        account: account(),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    }
}

fn put(target: ObjectRef, len: usize, fill: u8) -> PutObject {
    PutObject {
        target,
        attributes: ObjectAttributes::default(),
        body: body::once(Bytes::from(vec![fill; len])),
        content_length: None,
        content_md5: None,
        precondition: WritePrecondition::default(),
    }
}

fn copy(source: ObjectRef, target: ObjectRef) -> CopyObject {
    CopyObject {
        source,
        source_conditions: ReadConditions::default(),
        target,
        replace_attributes: None,
        precondition: WritePrecondition::default(),
    }
}

fn config(url: &str, schema: &str, pool_size: usize) -> PgConfig {
    let mut config = PgConfig::new(url);
    schema.clone_into(&mut config.schema);
    config.pool_size = pool_size;
    config
}

async fn open(url: &str, schema: &str, pool_size: usize, dir: &std::path::Path) -> PgStore {
    let blobs = FsBlobStore::open(dir).expect("blob dir");
    PgStore::open(config(url, schema, pool_size), Arc::new(blobs))
        .await
        .expect("open store")
}

/// Many copies A to B and B to A at once (plus copies onto themselves), across two pools that
/// stand for two server processes: without a consistent lock order and a retry on deadlock,
/// PostgreSQL kills one of two crossing copies with `deadlock_detected`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opposite_copies_all_succeed() {
    let url = require_postgres!();
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = format!("t_{}", new_blob_name());
    let one = open(&url, &schema, 16, dir.path()).await;
    let two = open(&url, &schema, 16, dir.path()).await;
    one.create_bucket(&account(), "left").await.expect("bucket");
    one.create_bucket(&account(), "right")
        .await
        .expect("bucket");
    // Same bucket both ways, and across buckets both ways; inline and blob-backed bodies.
    let pairs = [
        (object("left", "a"), object("left", "b")),
        (object("left", "c"), object("right", "c")),
    ];
    for (i, (x, y)) in pairs.iter().enumerate() {
        one.put_object(put(x.clone(), 100 + i * 10_000, 1))
            .await
            .expect("put");
        one.put_object(put(y.clone(), 200, 2)).await.expect("put");
    }
    let rounds = 12;
    let mut tasks = Vec::new();
    for round in 0..rounds {
        for (x, y) in &pairs {
            for (from, to) in [(x, y), (y, x), (x, x)] {
                let store = if round % 2 == 0 { &one } else { &two };
                let request = copy(from.clone(), to.clone());
                tasks.push(async move { store.copy_object(request).await });
            }
        }
    }
    let total = tasks.len();
    let started = Instant::now();
    let results = join_all(tasks).await;
    let failed: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
    assert!(
        failed.is_empty(),
        "{} of {total} concurrent copies failed: {:?}",
        failed.len(),
        failed.first()
    );
    println!("{total} crossing copies in {:?}", started.elapsed());
    for bucket in ["left", "right"] {
        let usage = one.bucket_usage(&account(), bucket).await.expect("usage");
        let counted = count_bucket_usage(&one, &account(), bucket, 1000)
            .await
            .expect("count by listing");
        assert_eq!(usage, counted, "counters of {bucket} after the copies");
        assert_eq!(usage.uploads_in_progress, 0);
    }
}

/// Creates a fresh, empty database and returns its URL, or `None` when the test URL is not
/// a `postgres://` URL (then a fresh schema stands in).
async fn fresh_database(url: &str) -> Option<(String, String)> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let query = path.split_once('?').map(|(_, q)| q);
    let name = format!("t_{}", new_blob_name());
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let fresh = match query {
        Some(q) => format!("postgres://{authority}/{name}?{q}"),
        None => format!("postgres://{authority}/{name}"),
    };
    Some((fresh, name))
}

async fn drop_database(url: &str, name: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop database");
}

/// Four servers starting at the same moment on an empty database: the migrations run once,
/// under the advisory lock, and every open succeeds and sees the whole schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_opens_on_an_empty_database() {
    let url = require_postgres!();
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh = fresh_database(&url).await;
    let db_url = fresh.as_ref().map_or(url.as_str(), |(u, _)| u.as_str());
    for round in 0..3 {
        // Round 0 runs in the default schema of the fresh database; later rounds in new
        // schemas of it, which also start empty.
        let schema = if round == 0 && fresh.is_some() {
            "s4".to_owned()
        } else {
            format!("t_{}", new_blob_name())
        };
        let opens = (0..4).map(|_| {
            let blobs = FsBlobStore::open(dir.path()).expect("blob dir");
            PgStore::open(config(db_url, &schema, 2), Arc::new(blobs))
        });
        let stores: Vec<PgStore> = join_all(opens)
            .await
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|e| panic!("open {i} of round {round}: {e:?}")))
            .collect();
        // Every store works, and all see the same tables.
        for (i, store) in stores.iter().enumerate() {
            let bucket = format!("b{i}");
            store
                .create_bucket(&account(), &bucket)
                .await
                .expect("bucket");
            store
                .put_object(put(object(&bucket, "k"), 10, 1))
                .await
                .expect("put");
        }
        let all = stores[0].all_bucket_usage().await.expect("usage");
        assert_eq!(all.len(), 4, "round {round}: {all:?}");
        assert!(all
            .iter()
            .all(|u| u.usage.objects == 1 && u.usage.bytes == 10));
    }
    if let Some((_, name)) = fresh {
        drop_database(&url, &name).await;
    }
}

/// Puts, overwrites, deletes, copies and multipart uploads from 32 tasks over two pools on
/// one schema: afterwards the counters equal what a listing adds up to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_match_a_listing_after_concurrent_writes() {
    let url = require_postgres!();
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = format!("t_{}", new_blob_name());
    let one = open(&url, &schema, 8, dir.path()).await;
    let two = open(&url, &schema, 8, dir.path()).await;
    one.create_bucket(&account(), "hot").await.expect("bucket");
    one.create_bucket(&account(), "cold").await.expect("bucket");
    let tasks = (0..32usize).map(|t| {
        let store = if t % 2 == 0 { one.clone() } else { two.clone() };
        async move {
            for i in 0..20usize {
                // Few keys, so tasks collide on them.
                let key = format!("k{}", (t * 7 + i) % 13);
                let target = object("hot", &key);
                match i % 5 {
                    0 | 1 => {
                        store
                            .put_object(put(target, (t * 31 + i * 997) % 9_000, 3))
                            .await
                            .expect("put");
                    }
                    2 => store.delete_object(&target).await.expect("delete"),
                    3 => {
                        let other = object(if t % 3 == 0 { "cold" } else { "hot" }, "c");
                        match store.copy_object(copy(target, other)).await {
                            Ok(_) | Err(s4_storage::StorageError::NoSuchKey) => {}
                            Err(e) => panic!("copy: {e:?}"),
                        }
                    }
                    _ => {
                        let upload = store
                            .create_multipart_upload(&target, ObjectAttributes::default())
                            .await
                            .expect("create upload");
                        if t % 4 != 0 {
                            store
                                .abort_multipart_upload(&s4_storage::multipart::UploadRef {
                                    target,
                                    upload_id: upload.upload_id,
                                })
                                .await
                                .expect("abort");
                        }
                    }
                }
            }
        }
    });
    let started = Instant::now();
    join_all(tasks).await;
    println!("640 mixed writes in {:?}", started.elapsed());
    for bucket in ["hot", "cold"] {
        let usage = one.bucket_usage(&account(), bucket).await.expect("usage");
        let counted = count_bucket_usage(&one, &account(), bucket, 1000)
            .await
            .expect("count by listing");
        assert_eq!(usage, counted, "counters of {bucket}");
    }
    // Expiry takes every upload off its bucket's counter.
    let expired = two
        .expire_multipart_uploads(time::OffsetDateTime::now_utc() + time::Duration::minutes(1))
        .await
        .expect("expire");
    assert_eq!(expired, 8 * 4, "uploads left by the tasks with t % 4 == 0");
    let usage = one.bucket_usage(&account(), "hot").await.expect("usage");
    assert_eq!(usage.uploads_in_progress, 0);
}

/// An existing schema from before the counters gets them backfilled by the migration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_backfills_counters() {
    let url = require_postgres!();
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = format!("t_{}", new_blob_name());
    let store = open(&url, &schema, 2, dir.path()).await;
    store
        .create_bucket(&account(), "full")
        .await
        .expect("bucket");
    store
        .create_bucket(&account(), "empty")
        .await
        .expect("bucket");
    for (i, len) in [0usize, 10, 5_000, 70_000].into_iter().enumerate() {
        store
            .put_object(put(object("full", &format!("k{i}")), len, 1))
            .await
            .expect("put");
    }
    store
        .create_multipart_upload(&object("full", "u"), ObjectAttributes::default())
        .await
        .expect("upload");
    drop(store);
    // Back to version 1: no counter table, as a store of the previous release left it.
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "DROP TABLE {schema}.bucket_usage; DELETE FROM {schema}.s4_migrations WHERE version > 1"
        ))
        .await
        .expect("downgrade");
    let store = open(&url, &schema, 2, dir.path()).await;
    let all = store.all_bucket_usage().await.expect("usage");
    let got: Vec<_> = all.iter().map(|u| (u.bucket.as_str(), u.usage)).collect();
    assert_eq!(
        got,
        [
            ("empty", BucketUsage::default()),
            (
                "full",
                BucketUsage {
                    objects: 4,
                    bytes: 75_010,
                    uploads_in_progress: 1,
                }
            ),
        ]
    );
}

/// Not a test of correctness: PUT throughput of 4 KiB objects (stored inline, so this is the
/// metadata path alone) from 32 concurrent tasks into one bucket. Run with
/// `cargo test -p s4-storage-pg --test concurrency -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run explicitly"]
async fn put_throughput_one_bucket() {
    const TASKS: usize = 32;
    let url = require_postgres!();
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = format!("t_{}", new_blob_name());
    let store = open(&url, &schema, TASKS, dir.path()).await;
    store.create_bucket(&account(), "b").await.expect("bucket");
    let per_task: usize = std::env::var("S4_BENCH_PUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let run = |round: usize| {
        let tasks = (0..TASKS).map(|t| {
            let store = store.clone();
            async move {
                for i in 0..per_task {
                    store
                        .put_object(put(object("b", &format!("r{round}/t{t}/{i}")), 4096, 5))
                        .await
                        .expect("put");
                }
            }
        });
        join_all(tasks.map(tokio::spawn))
    };
    // Warm-up: connections, prepared statements.
    run(0).await.into_iter().for_each(|r| r.expect("task"));
    let started = Instant::now();
    run(1).await.into_iter().for_each(|r| r.expect("task"));
    let elapsed = started.elapsed();
    let puts = u32::try_from(TASKS * per_task).expect("count");
    println!(
        "{puts} PUTs of 4 KiB from {TASKS} tasks in {elapsed:?}: {:.0} PUT/s",
        f64::from(puts)
            / elapsed
                .as_secs_f64()
                .max(Duration::from_millis(1).as_secs_f64())
    );
}
