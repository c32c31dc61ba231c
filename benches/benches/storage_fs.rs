//! The embedded backend (`s4-storage-fs`) against raw file I/O through `tokio::fs`, in the
//! same run:
//!
//! - put: `FsStore::put_object` (stream to a temp file while hashing MD5, fsync, rename,
//!   directory fsync, durable redb commit; 4 KiB goes inline into one redb commit) against
//!   `tokio::fs` create + write_all + fsync + rename + directory fsync of the same bytes;
//! - get: `FsStore::get_object`, consuming the body stream, against `tokio::fs::read` and a
//!   `tokio::fs::File` read loop with a reused 1 MiB buffer;
//! - list: one page of 1,000 keys from the middle of buckets of 10^4 and 10^6 keys.
//!
//! The 10^6-key bucket is filled through `FsStore::bulk_load_inline` (a documented,
//! `#[doc(hidden)]` path that inserts inline objects 50,000 per durable transaction): one
//! fsync per object would take an hour on a disk with millisecond fsyncs, and listing reads
//! the same rows either way.
//!
//! Targets (docs/performance.md): 64 MiB put >= 0.8x and get >= 0.9x of raw, 4 KiB put
//! within 2x of raw, a list page at 10^6 keys <= 2x of one at 10^4.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures_util::StreamExt;
use s4_naming::AccountId;
use s4_storage::{body, ListQuery, ObjectAttributes, ObjectRef, ObjectStore, PutObject};
use s4_storage_fs::{FsConfig, FsStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How a request body reaches the store: chunks of this size.
const BODY_CHUNK: usize = 256 * 1024;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn account() -> AccountId {
    AccountId::from_number(100_000_000_000_001).unwrap()
}

fn target(bucket: &str, key: &str) -> ObjectRef {
    ObjectRef {
        account: account(),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    }
}

fn put_request(key: &str, data: &Bytes) -> PutObject {
    let chunks: Vec<Bytes> = (0..data.len())
        .step_by(BODY_CHUNK)
        .map(|at| data.slice(at..(at + BODY_CHUNK).min(data.len())))
        .collect();
    PutObject {
        target: target("bench", key),
        attributes: ObjectAttributes::default(),
        body: body::from_chunks(chunks),
        content_length: Some(data.len() as u64),
        content_md5: None,
        precondition: s4_storage::WritePrecondition::default(),
    }
}

async fn raw_put(dir: &Path, data: &Bytes) {
    let tmp = dir.join("object.tmp");
    let path = dir.join("object");
    let mut file = tokio::fs::File::create(&tmp).await.unwrap();
    file.write_all(data).await.unwrap();
    file.sync_all().await.unwrap();
    drop(file);
    tokio::fs::rename(&tmp, &path).await.unwrap();
    tokio::fs::File::open(dir)
        .await
        .unwrap()
        .sync_all()
        .await
        .unwrap();
}

async fn drain(mut stream: s4_storage::ByteStream) -> usize {
    let mut n = 0;
    while let Some(chunk) = stream.next().await {
        n += chunk.unwrap().len();
    }
    n
}

fn open_store(dir: &Path) -> FsStore {
    FsStore::open(FsConfig::new(dir)).unwrap()
}

fn put_get(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir_in(bench_dir()).unwrap();
    let store = open_store(&dir.path().join("store"));
    rt.block_on(store.create_bucket(&account(), "bench"))
        .unwrap();
    let raw_dir = dir.path().join("raw");
    std::fs::create_dir_all(&raw_dir).unwrap();

    for (name, len) in [("4KiB", 4096usize), ("64MiB", 64 << 20)] {
        let data = Bytes::from(s4_benches::payload(len as u64, len));
        let mut group = c.benchmark_group(format!("storage_fs/put/{name}"));
        group.throughput(Throughput::Bytes(len as u64));
        if len > 1 << 20 {
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(20));
        }
        group.bench_function("fs_store", |b| {
            b.to_async(&rt)
                .iter(|| async { store.put_object(put_request("obj", &data)).await.unwrap() });
        });
        group.bench_function("tokio_fs_raw", |b| {
            b.to_async(&rt).iter(|| raw_put(&raw_dir, &data));
        });
        group.finish();

        // The objects to read, also when a filter skipped the puts.
        rt.block_on(async {
            store.put_object(put_request("obj", &data)).await.unwrap();
            raw_put(&raw_dir, &data).await;
        });
        let mut group = c.benchmark_group(format!("storage_fs/get/{name}"));
        group.throughput(Throughput::Bytes(len as u64));
        if len > 1 << 20 {
            group.sample_size(20);
        }
        let key = target("bench", "obj");
        group.bench_function("fs_store", |b| {
            b.to_async(&rt).iter(|| async {
                let out = store.get_object(&key, None).await.unwrap();
                assert_eq!(drain(out.body).await, len);
            });
        });
        let path = raw_dir.join("object");
        group.bench_function("tokio_fs_raw", |b| {
            b.to_async(&rt).iter(|| async {
                assert_eq!(tokio::fs::read(&path).await.unwrap().len(), len);
            });
        });
        // The same through a `tokio::fs::File` read loop into one reused 1 MiB buffer: no
        // large allocation to fault in, closer to what a server does.
        group.bench_function("tokio_fs_raw_1mib_reads", |b| {
            b.to_async(&rt).iter(|| async {
                let mut file = tokio::fs::File::open(&path).await.unwrap();
                let mut buf = vec![0u8; 1 << 20];
                let mut n = 0;
                loop {
                    let got = file.read(&mut buf).await.unwrap();
                    if got == 0 {
                        break;
                    }
                    n += got;
                }
                assert_eq!(n, len);
            });
        });
        group.finish();
    }
}

fn list(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("storage_fs/list_page_1000");
    for keys in [10_000usize, 1_000_000] {
        let dir = tempfile::tempdir_in(bench_dir()).unwrap();
        let store = open_store(dir.path());
        rt.block_on(store.create_bucket(&account(), "bench"))
            .unwrap();
        let key = |i: usize| format!("photos/2024/{:02}/img-{i:08}.jpg", i % 12);
        store
            .bulk_load_inline(
                &account(),
                "bench",
                (0..keys).map(|i| (key(i), s4_benches::payload(i as u64, 16))),
            )
            .unwrap();
        // A page from the middle of the bucket.
        let query = ListQuery {
            prefix: "photos/".to_owned(),
            delimiter: None,
            start_after: Some("photos/2024/06/".to_owned()),
            max_keys: 1000,
        };
        group.bench_with_input(BenchmarkId::new("flat", keys), &query, |b, query| {
            b.to_async(&rt).iter(|| async {
                let page = store
                    .list_objects(&account(), "bench", query)
                    .await
                    .unwrap();
                assert_eq!(page.objects.len(), 1000);
            });
        });
        // A delimiter page: 12 common prefixes, each skipped with one seek whatever it holds.
        let rollup = ListQuery {
            prefix: "photos/2024/".to_owned(),
            delimiter: Some("/".to_owned()),
            start_after: None,
            max_keys: 1000,
        };
        group.bench_with_input(BenchmarkId::new("rollup", keys), &rollup, |b, query| {
            b.to_async(&rt).iter(|| async {
                let page = store
                    .list_objects(&account(), "bench", query)
                    .await
                    .unwrap();
                assert_eq!(page.common_prefixes.len(), 12);
            });
        });
        drop(store);
        drop(dir);
    }
    group.finish();
}

/// Benchmarks write where `S4_BENCH_DIR` says (default: the system temp dir), so that they
/// can be pointed at the disk under test.
fn bench_dir() -> PathBuf {
    std::env::var_os("S4_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from)
}

criterion_group!(benches, put_get, list);
criterion_main!(benches);
