//! A multipart upload with one part in flight against one PUT of the same size, straight into
//! `FsStore` (no HTTP): shows what the per-part durable commit costs, for a given
//! `sync_interval`. Bodies arrive in 256 KiB chunks, as from a socket.
//!
//! ```text
//! cargo run --release -p s4-storage-fs --example multipart_vs_put -- \
//!     [object MiB 256] [part MiB 8] [sync interval KiB 8192] [rounds 3] [data dir]
//! ```

#![allow(clippy::cast_precision_loss)] // rates for a human.

use std::time::Instant;

use bytes::Bytes;
use s4_naming::AccountId;
use s4_storage::multipart::{CompleteUpload, CompletedPart, UploadPart, UploadRef};
use s4_storage::{
    body, ByteStream, ObjectAttributes, ObjectRef, ObjectStore, PutObject, WritePrecondition,
};
use s4_storage_fs::{FsConfig, FsStore};

const CHUNK: usize = 256 * 1024;

fn chunked(len: usize, seed: u8) -> ByteStream {
    let chunk: Bytes = (0..CHUNK)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    let mut chunks = Vec::new();
    let mut left = len;
    while left > 0 {
        let n = left.min(CHUNK);
        chunks.push(chunk.slice(..n));
        left -= n;
    }
    body::from_chunks(chunks)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg =
        |i: usize, default: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (object_mib, part_mib, sync_kib, rounds) =
        (arg(1, 256), arg(2, 8), arg(3, 8192), arg(4, 3));
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = args
        .get(5)
        .map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = FsConfig::new(&dir);
    config.sync_interval = sync_kib as u64 * 1024;
    let store = FsStore::open(config).expect("open");
    let account = AccountId::from_number(1).expect("account");
    let (size, part) = (object_mib << 20, part_mib << 20);
    let object = |key: &str| ObjectRef {
        account,
        bucket: "bench".to_owned(),
        key: key.to_owned(),
    };
    runtime.block_on(async {
        store.create_bucket(&account, "bench").await.expect("bucket");
        for round in 0..rounds {
            let start = Instant::now();
            store
                .put_object(PutObject {
                    target: object("whole"),
                    attributes: ObjectAttributes::default(),
                    body: chunked(size, round as u8),
                    content_length: Some(size as u64),
                    content_md5: None,
                    precondition: WritePrecondition::default(),
                })
                .await
                .expect("put");
            let put = start.elapsed().as_secs_f64();

            let start = Instant::now();
            let target = object("parts");
            let upload = store
                .create_multipart_upload(&target, ObjectAttributes::default())
                .await
                .expect("create upload");
            let upload = UploadRef {
                target,
                upload_id: upload.upload_id,
            };
            let mut parts = Vec::new();
            let mut offset = 0;
            let mut number = 1;
            while offset < size {
                let len = part.min(size - offset);
                let info = store
                    .upload_part(UploadPart {
                        upload: upload.clone(),
                        part_number: number,
                        body: chunked(len, number as u8),
                        content_length: Some(len as u64),
                        content_md5: None,
                    })
                    .await
                    .expect("part");
                parts.push(CompletedPart {
                    number,
                    etag: info.etag,
                });
                offset += len;
                number += 1;
            }
            store
                .complete_multipart_upload(CompleteUpload {
                    upload,
                    parts,
                    precondition: WritePrecondition::default(),
                })
                .await
                .expect("complete");
            let multipart = start.elapsed().as_secs_f64();
            let mib = object_mib as f64;
            println!(
                "round {round}: sync every {sync_kib} KiB: PUT {:.0} MiB/s, multipart ({part_mib} MiB parts, 1 in flight) {:.0} MiB/s, ratio {:.2}",
                mib / put,
                mib / multipart,
                put / multipart
            );
        }
    });
}
