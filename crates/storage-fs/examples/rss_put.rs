//! Peak memory while one large object streams into `FsStore`: the body is generated chunk by
//! chunk (unique bytes, never held whole), so the process's high-water mark (`VmHWM` in
//! `/proc/self/status`) shows what the write path itself buffers.
//!
//! ```text
//! cargo run --release -p s4-storage-fs --example rss_put -- [GiB, default 4] [data dir]
//! ```

#![allow(clippy::cast_precision_loss)] // MiB figures for a human.

use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use s4_naming::AccountId;
use s4_storage::{ObjectAttributes, ObjectRef, ObjectStore, PutObject, WritePrecondition};
use s4_storage_fs::{FsConfig, FsStore};

const CHUNK: usize = 1 << 20;

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Fills `out` with xorshift bytes (the same generator as `s4_benches::payload`).
fn fill(seed: u64, out: &mut [u8]) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for word in out.chunks_mut(8) {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let v = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
        word.copy_from_slice(&v[..word.len()]);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let gib: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = args
        .get(2)
        .map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
    let total = gib << 30;
    let chunks = total / CHUNK as u64;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = FsConfig::new(&dir);
    config.max_object_size = u64::MAX;
    let store = FsStore::open(config).expect("open");
    let account = AccountId::from_number(1).expect("account");
    let before = vm_hwm_kib();
    let started = Instant::now();
    let info = runtime.block_on(async {
        store.create_bucket(&account, "rss").await.expect("bucket");
        let body = futures_util::stream::iter(0..chunks).map(|i| {
            let mut buf = vec![0u8; CHUNK];
            fill(i, &mut buf);
            Ok::<_, s4_storage::BoxError>(Bytes::from(buf))
        });
        store
            .put_object(PutObject {
                target: ObjectRef {
                    account,
                    bucket: "rss".to_owned(),
                    key: "large".to_owned(),
                },
                attributes: ObjectAttributes::default(),
                body: Box::pin(body),
                content_length: Some(total),
                content_md5: None,
                precondition: WritePrecondition::default(),
            })
            .await
            .expect("put")
    });
    let elapsed = started.elapsed();
    let after = vm_hwm_kib();
    println!(
        "put {} GiB in {:.1} s ({:.0} MiB/s), ETag {}; VmHWM before {} KiB, after {} KiB ({:.1} MiB)",
        gib,
        elapsed.as_secs_f64(),
        total as f64 / (1 << 20) as f64 / elapsed.as_secs_f64(),
        info.etag,
        before,
        after,
        after as f64 / 1024.0
    );
    runtime.block_on(async {
        store
            .delete_object(&ObjectRef {
                account,
                bucket: "rss".to_owned(),
                key: "large".to_owned(),
            })
            .await
            .expect("delete");
    });
}
