//! How much of a body the write path holds at once. The body is made of chunks that count
//! themselves while alive, produced much faster than MD5 and the disk take them, so without a
//! bound the pipeline would fill with them; the peak must stay under the per-request bound
//! documented in docs/performance.md ("Memory").

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use s4_naming::AccountId;
use s4_storage::multipart::{UploadPart, UploadRef};
use s4_storage::{
    ByteStream, ETag, ObjectAttributes, ObjectRef, ObjectStore, PutObject, WritePrecondition,
};
use s4_storage_fs::{FsConfig, FsStore};

/// The documented bound on body bytes one upload holds in the storage pipeline.
const BOUND: usize = 2 << 20;
/// hyper's largest read at the server's default limits.
const CHUNK: usize = 128 << 10;
const BODY: usize = 8 << 20;

/// Body bytes alive now, and the most ever alive at once.
#[derive(Default)]
struct Live {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// One chunk's bytes; counted in [`Live`] until dropped.
struct Counted {
    bytes: Vec<u8>,
    live: Arc<Live>,
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.live.now.fetch_sub(self.bytes.len(), Ordering::SeqCst);
    }
}

/// The body's chunks, distinct from each other.
fn chunks() -> Vec<Vec<u8>> {
    (0..BODY / CHUNK)
        .map(|index| {
            (0..CHUNK)
                .map(|i| (i.wrapping_mul(31) ^ index.wrapping_mul(7)) as u8)
                .collect()
        })
        .collect()
}

/// The body as counted chunks, each copied only when the store asks for it (a copy is much
/// faster than MD5, as a fast network is).
fn counted_body(live: &Arc<Live>) -> ByteStream {
    let live = Arc::clone(live);
    let chunks = chunks();
    Box::pin(
        futures_util::stream::iter(0..BODY / CHUNK).map(move |index| {
            let bytes = chunks[index].clone();
            let now = live.now.fetch_add(bytes.len(), Ordering::SeqCst) + bytes.len();
            live.peak.fetch_max(now, Ordering::SeqCst);
            let live = Arc::clone(&live);
            Ok(Bytes::from_owner(Counted { bytes, live }))
        }),
    )
}

fn expected_etag() -> ETag {
    let mut md5 = Md5::new();
    for chunk in chunks() {
        md5.update(chunk);
    }
    ETag::from_md5(&md5.finalize().into())
}

fn object() -> ObjectRef {
    ObjectRef {
        account: AccountId::from_number(123_456_789_012_345).unwrap(),
        bucket: "bucket".to_owned(),
        key: "large".to_owned(),
    }
}

async fn open(dir: &std::path::Path) -> FsStore {
    let store = FsStore::open(FsConfig::new(dir)).unwrap();
    store
        .create_bucket(&object().account, "bucket")
        .await
        .unwrap();
    store
}

fn check_peak(live: &Live, what: &str) {
    let peak = live.peak.load(Ordering::SeqCst);
    println!(
        "{what}: at most {} KiB of the body alive at once",
        peak >> 10
    );
    assert!(
        peak <= BOUND,
        "{what} held {peak} body bytes at once, over the {BOUND}-byte bound"
    );
    assert_eq!(live.now.load(Ordering::SeqCst), 0, "{what}: chunks leaked");
}

#[tokio::test]
async fn a_put_holds_a_bounded_part_of_its_body() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let live = Arc::new(Live::default());
    let info = store
        .put_object(PutObject {
            target: object(),
            attributes: ObjectAttributes::default(),
            body: counted_body(&live),
            content_length: Some(BODY as u64),
            content_md5: None,
            precondition: WritePrecondition::default(),
        })
        .await
        .unwrap();
    assert_eq!((info.size, info.etag), (BODY as u64, expected_etag()));
    check_peak(&live, "PutObject");
}

#[tokio::test]
async fn a_part_upload_holds_a_bounded_part_of_its_body() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let created = store
        .create_multipart_upload(&object(), ObjectAttributes::default())
        .await
        .unwrap();
    let live = Arc::new(Live::default());
    let part = store
        .upload_part(UploadPart {
            upload: UploadRef {
                target: object(),
                upload_id: created.upload_id,
            },
            part_number: 1,
            body: counted_body(&live),
            content_length: Some(BODY as u64),
            content_md5: None,
        })
        .await
        .unwrap();
    assert_eq!(part.etag, expected_etag());
    check_peak(&live, "UploadPart");
}
