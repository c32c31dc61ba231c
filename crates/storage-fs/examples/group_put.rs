//! Concurrent small PUTs straight into `FsStore`: `clients` tasks each put 4 KiB objects
//! (inline, one durable metadata commit each) until `total` are done; prints PUT/s. Run with
//! a batch of 1 to see the store without group commit.
//!
//! ```text
//! cargo run --release -p s4-storage-fs --example group_put -- \
//!     [clients 32] [total 4000] [max batch 64] [data dir]
//! ```

#![allow(clippy::cast_precision_loss)] // rates for a human.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use s4_naming::AccountId;
use s4_storage::{body, ObjectAttributes, ObjectRef, ObjectStore, PutObject, WritePrecondition};
use s4_storage_fs::{FsConfig, FsStore};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (clients, total, batch) = (arg(1, 32), arg(2, 4000), arg(3, 64));
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = args
        .get(4)
        .map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = FsConfig::new(&dir);
    config.max_commit_batch = batch;
    let store = Arc::new(FsStore::open(config).expect("open"));
    let account = AccountId::from_number(1).expect("account");
    runtime.block_on(async {
        store
            .create_bucket(&account, "bench")
            .await
            .expect("bucket");
        let next = Arc::new(AtomicUsize::new(0));
        let payload = Bytes::from(vec![0x5a_u8; 4096]);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (store, next, payload) = (store.clone(), next.clone(), payload.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    store
                        .put_object(PutObject {
                            target: ObjectRef {
                                account,
                                bucket: "bench".to_owned(),
                                key: format!("k{i:08}"),
                            },
                            attributes: ObjectAttributes::default(),
                            body: body::once(payload.clone()),
                            content_length: Some(payload.len() as u64),
                            content_md5: None,
                            precondition: WritePrecondition::default(),
                        })
                        .await
                        .expect("put");
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{total} x 4 KiB PUT, {clients} clients, max batch {batch}: {secs:.2} s, {:.0} PUT/s",
            total as f64 / secs
        );
    });
}
