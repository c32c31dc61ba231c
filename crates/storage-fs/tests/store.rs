//! Behaviour specific to the embedded backend: files on disk, recovery, blob sharing and
//! tear-free reads. The backend-neutral behaviour is in `conformance.rs`.

use std::collections::BTreeSet;
use std::path::Path;

use bytes::Bytes;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use s4_naming::AccountId;
use s4_storage::multipart::{CompleteUpload, CompletedPart, UploadPart, UploadRef};
use s4_storage::{
    body, ByteRange, CopyObject, ETag, ListQuery, ObjectAttributes, ObjectRef, ObjectStore,
    PutObject, ReadConditions, StorageError, WritePrecondition,
};
use s4_storage_fs::{FsConfig, FsStore};

const MIN_PART: u64 = 64 * 1024;

fn account() -> AccountId {
    AccountId::from_number(123_456_789_012_345).unwrap()
}

fn config(dir: &Path) -> FsConfig {
    let mut c = FsConfig::new(dir);
    c.min_part_size = MIN_PART;
    c
}

fn obj(key: &str) -> ObjectRef {
    ObjectRef {
        account: account(),
        bucket: "bucket".to_owned(),
        key: key.to_owned(),
    }
}

fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn chunks(data: &[u8], size: usize) -> s4_storage::ByteStream {
    let parts: Vec<Bytes> = data.chunks(size).map(Bytes::copy_from_slice).collect();
    body::from_chunks(parts)
}

fn put(key: &str, data: &[u8]) -> PutObject {
    PutObject {
        target: obj(key),
        attributes: ObjectAttributes::default(),
        body: chunks(data, 64 * 1024),
        content_length: Some(data.len() as u64),
        content_md5: None,
        precondition: WritePrecondition::default(),
    }
}

fn md5_etag(data: &[u8]) -> ETag {
    ETag::from_md5(&Md5::digest(data).into())
}

async fn open(dir: &Path) -> FsStore {
    let store = FsStore::open(config(dir)).unwrap();
    match store.create_bucket(&account(), "bucket").await {
        Ok(_) | Err(StorageError::BucketAlreadyOwnedByYou) => {}
        Err(e) => panic!("{e}"),
    }
    store
}

async fn read_all(store: &FsStore, key: &str, range: Option<ByteRange>) -> Vec<u8> {
    let out = store.get_object(&obj(key), range).await.unwrap();
    body::collect(out.body).await.unwrap().to_vec()
}

fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            n += count_files(&entry.path());
        } else {
            n += 1;
        }
    }
    n
}

fn blobs(dir: &Path) -> usize {
    count_files(&dir.join("blobs"))
}

fn temps(dir: &Path) -> usize {
    count_files(&dir.join("tmp"))
}

#[tokio::test]
async fn small_objects_are_inline_and_large_ones_are_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let small = payload(1, 4096);
    let large = payload(2, 3 * 1024 * 1024 + 17);
    let info = store.put_object(put("small", &small)).await.unwrap();
    assert_eq!(info.etag, md5_etag(&small));
    assert_eq!(blobs(dir.path()), 0, "4 KiB is inline");
    let info = store.put_object(put("large", &large)).await.unwrap();
    assert_eq!(info.etag, md5_etag(&large));
    assert_eq!(info.size, large.len() as u64);
    assert_eq!(blobs(dir.path()), 1);
    assert_eq!(read_all(&store, "small", None).await, small);
    assert_eq!(read_all(&store, "large", None).await, large);
    let range = ByteRange::Inclusive {
        first: 1_000_000,
        last: 2_500_000,
    };
    assert_eq!(
        read_all(&store, "large", Some(range)).await,
        &large[1_000_000..=2_500_000]
    );
    // Unknown length, inline-sized, then a body that crosses the threshold mid-stream.
    let mut request = put("unknown", &small[..100]);
    request.content_length = None;
    store.put_object(request).await.unwrap();
    let mut request = put("unknown-large", &large);
    request.content_length = None;
    request.body = chunks(&large, 1000);
    store.put_object(request).await.unwrap();
    assert_eq!(read_all(&store, "unknown-large", None).await, large);
    assert_eq!(blobs(dir.path()), 2);
    assert_eq!(temps(dir.path()), 0);
}

#[tokio::test]
async fn failed_bodies_leave_no_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let data = payload(3, 1024 * 1024);
    let mut request = put("k", &data);
    request.content_length = Some(data.len() as u64 + 1);
    assert!(matches!(
        store.put_object(request).await,
        Err(StorageError::IncompleteBody { .. })
    ));
    let mut request = put("k", &data);
    request.content_md5 = Some([0; 16]);
    assert!(matches!(
        store.put_object(request).await,
        Err(StorageError::BadDigest)
    ));
    let mut request = put("k", &data);
    request.body = body::failing_after(
        [Bytes::copy_from_slice(&data[..500_000])],
        "client went away".into(),
    );
    match store.put_object(request).await {
        Err(StorageError::Body(e)) => assert_eq!(e.to_string(), "client went away"),
        other => panic!("{other:?}"),
    }
    let mut request = put("k", &data);
    request.precondition.if_match = Some("\"nope\"".to_owned());
    assert!(matches!(
        store.put_object(request).await,
        Err(StorageError::NoSuchKey)
    ));
    assert!(matches!(
        store.head_object(&obj("k")).await,
        Err(StorageError::NoSuchKey)
    ));
    assert_eq!(blobs(dir.path()), 0);
    assert_eq!(temps(dir.path()), 0);
}

#[tokio::test]
async fn overwrites_and_deletes_release_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    for seed in 0..3 {
        store
            .put_object(put("k", &payload(seed, 100_000)))
            .await
            .unwrap();
        assert_eq!(blobs(dir.path()), 1);
    }
    store.put_object(put("k", b"tiny")).await.unwrap();
    assert_eq!(blobs(dir.path()), 0);
    store
        .put_object(put("k", &payload(9, 100_000)))
        .await
        .unwrap();
    store.delete_object(&obj("k")).await.unwrap();
    assert_eq!(blobs(dir.path()), 0);
}

#[tokio::test]
async fn a_read_survives_a_concurrent_overwrite_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let old = payload(4, 8 * 1024 * 1024);
    store.put_object(put("k", &old)).await.unwrap();
    let mut out = store.get_object(&obj("k"), None).await.unwrap();
    let first = out.body.next().await.unwrap().unwrap();
    store
        .put_object(put("k", &payload(5, 2 * 1024 * 1024)))
        .await
        .unwrap();
    store.delete_object(&obj("k")).await.unwrap();
    let mut got = first.to_vec();
    while let Some(chunk) = out.body.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, old);
    drop(out);
    // The last reader deleted the old blob; the second one went with the delete.
    assert_eq!(blobs(dir.path()), 0);
}

#[tokio::test]
async fn objects_survive_reopen_and_orphans_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let big = payload(6, 300_000);
    {
        let store = open(dir.path()).await;
        store.put_object(put("a", b"hello")).await.unwrap();
        store.put_object(put("b", &big)).await.unwrap();
        store
            .set_bucket_policy(&account(), "bucket", Some("{}".to_owned()))
            .await
            .unwrap();
    }
    // Debris of a crash: a half-written temp file and a renamed but uncommitted blob.
    std::fs::write(dir.path().join("tmp").join("0123"), b"partial").unwrap();
    let orphan = dir
        .path()
        .join("blobs")
        .join("ab")
        .join("ab000000000000000000000000000000");
    std::fs::write(&orphan, b"orphan").unwrap();
    let (store, report) = FsStore::open_with_report(config(dir.path())).unwrap();
    assert_eq!(report.temp_files_removed, 1);
    assert_eq!(report.orphan_blobs_removed, 1);
    assert_eq!(report.blobs, 1);
    assert!(!orphan.exists());
    assert_eq!(read_all(&store, "a", None).await, b"hello");
    assert_eq!(read_all(&store, "b", None).await, big);
    assert_eq!(
        store.head_object(&obj("b")).await.unwrap().etag,
        md5_etag(&big)
    );
    assert_eq!(
        store.get_bucket_policy(&account(), "bucket").await.unwrap(),
        "{}"
    );
}

#[tokio::test]
async fn copies_share_blobs_until_the_last_reference_goes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let data = payload(7, 200_000);
    store.put_object(put("src", &data)).await.unwrap();
    let copy = CopyObject {
        source: obj("src"),
        source_conditions: ReadConditions::default(),
        target: obj("dst"),
        replace_attributes: None,
        precondition: WritePrecondition::default(),
    };
    let info = store.copy_object(copy.clone()).await.unwrap();
    assert_eq!(info.etag, md5_etag(&data));
    assert_eq!(blobs(dir.path()), 1);
    store.delete_object(&obj("src")).await.unwrap();
    assert_eq!(blobs(dir.path()), 1);
    assert_eq!(read_all(&store, "dst", None).await, data);
    // Copy onto itself keeps the blob.
    let mut self_copy = copy;
    self_copy.source = obj("dst");
    store.copy_object(self_copy).await.unwrap();
    assert_eq!(read_all(&store, "dst", None).await, data);
    store.delete_object(&obj("dst")).await.unwrap();
    assert_eq!(blobs(dir.path()), 0);
}

async fn upload_parts(
    store: &FsStore,
    key: &str,
    parts: &[Vec<u8>],
) -> (UploadRef, Vec<CompletedPart>) {
    let info = store
        .create_multipart_upload(&obj(key), ObjectAttributes::default())
        .await
        .unwrap();
    let upload = UploadRef {
        target: obj(key),
        upload_id: info.upload_id,
    };
    let mut done = Vec::new();
    // Last part first, as clients often do.
    for (i, data) in parts.iter().enumerate().rev() {
        let number = i as u32 + 1;
        let part = store
            .upload_part(UploadPart {
                upload: upload.clone(),
                part_number: number,
                body: chunks(data, 10_000),
                content_length: Some(data.len() as u64),
                content_md5: None,
            })
            .await
            .unwrap();
        assert_eq!(part.etag, md5_etag(data));
        done.push(CompletedPart {
            number,
            etag: part.etag,
        });
    }
    done.reverse();
    (upload, done)
}

#[tokio::test]
async fn multipart_objects_are_read_across_part_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let size = MIN_PART as usize;
    let parts = vec![payload(10, size), payload(11, size), payload(12, size / 3)];
    let whole: Vec<u8> = parts.concat();
    let (upload, done) = upload_parts(&store, "mp", &parts).await;
    let info = store
        .complete_multipart_upload(CompleteUpload {
            upload: upload.clone(),
            parts: done.clone(),
            precondition: WritePrecondition::default(),
        })
        .await
        .unwrap();
    assert_eq!(info.size, whole.len() as u64);
    assert!(info.etag.as_str().ends_with("-3"));
    assert_eq!(blobs(dir.path()), 3, "completion copies nothing");
    assert_eq!(read_all(&store, "mp", None).await, whole);
    for (first, last) in [
        (0, 10),
        (size as u64 - 5, size as u64 + 5),
        (100, 2 * size as u64 + 7),
    ] {
        let got = read_all(&store, "mp", Some(ByteRange::Inclusive { first, last })).await;
        assert_eq!(got, &whole[first as usize..=last as usize]);
    }
    let suffix = read_all(&store, "mp", Some(ByteRange::Suffix { len: 70_000 })).await;
    assert_eq!(suffix, &whole[whole.len() - 70_000..]);
    // A second completion of the same upload finds nothing.
    assert!(matches!(
        store
            .complete_multipart_upload(CompleteUpload {
                upload,
                parts: done,
                precondition: WritePrecondition::default(),
            })
            .await,
        Err(StorageError::NoSuchUpload)
    ));
    drop(store);
    let store = open(dir.path()).await;
    assert_eq!(read_all(&store, "mp", None).await, whole);
    store.delete_object(&obj("mp")).await.unwrap();
    assert_eq!(blobs(dir.path()), 0);
}

#[tokio::test]
async fn racing_completions_have_exactly_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let parts = vec![payload(20, MIN_PART as usize), payload(21, 10)];
    let (upload, done) = upload_parts(&store, "race", &parts).await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        let request = CompleteUpload {
            upload: upload.clone(),
            parts: done.clone(),
            precondition: WritePrecondition::default(),
        };
        tasks.push(tokio::spawn(async move {
            store.complete_multipart_upload(request).await
        }));
    }
    let mut wins = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => wins += 1,
            Err(StorageError::NoSuchUpload) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(read_all(&store, "race", None).await, parts.concat());
}

#[tokio::test]
async fn aborts_and_rejections_release_part_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let parts = vec![payload(30, MIN_PART as usize), payload(31, 10)];
    let (upload, _) = upload_parts(&store, "a", &parts).await;
    assert_eq!(blobs(dir.path()), 2);
    assert!(matches!(
        store.delete_bucket(&account(), "bucket").await,
        Err(StorageError::BucketNotEmpty)
    ));
    store.abort_multipart_upload(&upload).await.unwrap();
    assert_eq!(blobs(dir.path()), 0);
    // Part 2 smaller than the minimum, then part 3 proves it was not the last: the upload is
    // aborted and every part blob released.
    let parts = vec![payload(32, MIN_PART as usize), payload(33, 10)];
    let (upload, _) = upload_parts(&store, "b", &parts).await;
    let rejected = store
        .upload_part(UploadPart {
            upload: upload.clone(),
            part_number: 3,
            body: body::once(vec![1u8; 5]),
            content_length: Some(5),
            content_md5: None,
        })
        .await;
    assert!(
        matches!(rejected, Err(StorageError::EntityTooSmall(_))),
        "{rejected:?}"
    );
    assert!(matches!(
        store.list_parts(&upload, 0, 100).await,
        Err(StorageError::NoSuchUpload)
    ));
    let usage = store.bucket_usage(&account(), "bucket").await.unwrap();
    assert_eq!(
        usage.uploads_in_progress, 0,
        "a rejected part that aborts its upload counts the upload out"
    );
    assert_eq!(blobs(dir.path()), 0);
    assert_eq!(temps(dir.path()), 0);
    // Expiry releases too.
    let parts = vec![payload(34, 10)];
    upload_parts(&store, "c", &parts).await;
    let n = store
        .expire_multipart_uploads(time::OffsetDateTime::now_utc() + time::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(blobs(dir.path()), 0);
    store.delete_bucket(&account(), "bucket").await.unwrap();
}

/// The listing against a model: every combination of prefix, delimiter, marker and page size
/// over a tricky key set, paged to the end.
#[tokio::test]
async fn listings_match_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let keys = [
        "a",
        "a/",
        "a/b",
        "a/b/c",
        "a/c",
        "a//d",
        "ab",
        "b/1",
        "b/2",
        "b0",
        "c/x/y",
        "é/1",
        "é",
        "z",
        "\u{10FFFF}",
        "a-b",
        "a.b",
    ];
    store
        .bulk_load_inline(
            &account(),
            "bucket",
            keys.iter()
                .map(|k| ((*k).to_owned(), k.as_bytes().to_vec())),
        )
        .unwrap();
    let model: BTreeSet<&str> = keys.iter().copied().collect();
    for prefix in ["", "a", "a/", "b", "é", "zz"] {
        for delimiter in [None, Some("/"), Some("b"), Some("//")] {
            for max_keys in [1, 2, 3, 1000] {
                // Expected: flat model listing.
                let mut expected: Vec<String> = Vec::new();
                for key in model.iter().filter(|k| k.starts_with(prefix)) {
                    let entry = match delimiter {
                        Some(d) => match key[prefix.len()..].find(d) {
                            Some(at) => key[..prefix.len() + at + d.len()].to_owned() + "*",
                            None => (*key).to_owned(),
                        },
                        None => (*key).to_owned(),
                    };
                    if expected.last() != Some(&entry) {
                        expected.push(entry);
                    }
                }
                let mut got: Vec<String> = Vec::new();
                let mut start_after = None;
                loop {
                    let page = store
                        .list_objects(
                            &account(),
                            "bucket",
                            &ListQuery {
                                prefix: prefix.to_owned(),
                                delimiter: delimiter.map(str::to_owned),
                                start_after: start_after.clone(),
                                max_keys,
                            },
                        )
                        .await
                        .unwrap();
                    assert!(page.objects.len() + page.common_prefixes.len() <= max_keys);
                    let mut entries: Vec<String> = page
                        .objects
                        .iter()
                        .map(|o| o.key.clone())
                        .chain(page.common_prefixes.iter().map(|p| format!("{p}*")))
                        .collect();
                    entries.sort_by(|a, b| a.trim_end_matches('*').cmp(b.trim_end_matches('*')));
                    got.extend(entries);
                    if !page.is_truncated {
                        assert!(page.next_start_after.is_none());
                        break;
                    }
                    start_after = page.next_start_after;
                    assert!(start_after.is_some());
                }
                assert_eq!(
                    got, expected,
                    "prefix {prefix:?} delimiter {delimiter:?} max {max_keys}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_second_open_of_a_live_store_fails_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let big = payload(8, 200_000);
    store.put_object(put("k", &big)).await.unwrap();
    let in_flight = dir.path().join("tmp").join("ffff");
    std::fs::write(&in_flight, b"a body being received").unwrap();
    assert!(FsStore::open(config(dir.path())).is_err());
    assert!(in_flight.exists());
    assert_eq!(read_all(&store, "k", None).await, big);
}

/// Writers overwrite one key while readers stream it: every read is one whole version (its
/// bytes hash to the ETag it was served with), and when all is done exactly the last
/// version's blob remains.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_overwrites_never_tear_reads() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.put_object(put("hot", b"seed")).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..3u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..15u64 {
                let size = [100usize, 5000, 300_000, 2_500_000][((w + i) % 4) as usize];
                store
                    .put_object(put("hot", &payload(w * 1000 + i, size)))
                    .await
                    .unwrap();
            }
        }));
    }
    for _ in 0..3 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..40 {
                let out = store.get_object(&obj("hot"), None).await.unwrap();
                let etag = out.info.etag.clone();
                let size = out.info.size;
                let mut hasher = Md5::new();
                let mut body = out.body;
                let mut n = 0u64;
                while let Some(chunk) = body.next().await {
                    let chunk = chunk.unwrap();
                    n += chunk.len() as u64;
                    hasher.update(&chunk);
                    tokio::task::yield_now().await;
                }
                assert_eq!(n, size);
                assert_eq!(ETag::from_md5(&hasher.finalize().into()), etag);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let last = store.head_object(&obj("hot")).await.unwrap();
    let expected_blobs = usize::from(last.size > 4096);
    assert_eq!(blobs(dir.path()), expected_blobs);
}

/// Group commit: many concurrent writes share commits, and the ones refused inside a shared
/// transaction leave no trace. Rounds of 48 racing `If-None-Match: *` creates of one key
/// (inline and blob bodies), `If-Match` writes with a wrong ETag, and plain puts of their own
/// keys: each round has exactly one creator, no refused write is visible, every plain put
/// landed, and only the blobs of live objects remain; a reopen sees the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shared_commits_drop_refused_writes_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.put_object(put("target", b"v0")).await.unwrap();
    let mut winners = Vec::new();
    for round in 0..4u64 {
        let mut tasks = Vec::new();
        for t in 0..48u64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let seed = round * 1000 + t;
                let size = if t % 3 == 0 { 10_000 } else { 100 };
                let data = payload(seed, size);
                match t % 4 {
                    0 | 1 => {
                        let mut req = put(&format!("race{round}"), &data);
                        req.precondition = WritePrecondition::if_none_match("*");
                        (t % 4, store.put_object(req).await.map(|i| (i.etag, data)))
                    }
                    2 => {
                        let mut req = put("target", &data);
                        req.precondition.if_match = Some("\"0123456789abcdef\"".to_owned());
                        (2, store.put_object(req).await.map(|i| (i.etag, data)))
                    }
                    _ => {
                        let req = put(&format!("own{round}-{t}"), &data);
                        (3, store.put_object(req).await.map(|i| (i.etag, data)))
                    }
                }
            }));
        }
        let mut created = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (0 | 1, Ok(won)) => created.push(won),
                (0..=2, Err(StorageError::PreconditionFailed)) => {}
                (3, Ok((etag, data))) => assert_eq!(etag, md5_etag(&data)),
                (kind, other) => panic!("kind {kind}: {other:?}"),
            }
        }
        assert_eq!(created.len(), 1, "round {round}: exactly one creator");
        let (etag, data) = created.pop().unwrap();
        assert_eq!(read_all(&store, &format!("race{round}"), None).await, data);
        assert_eq!(
            store
                .head_object(&obj(&format!("race{round}")))
                .await
                .unwrap()
                .etag,
            etag
        );
        winners.push(data);
    }
    assert_eq!(read_all(&store, "target", None).await, b"v0");
    verify_shared(&store, dir.path(), &winners).await;
    drop(store);
    let store = FsStore::open(config(dir.path())).unwrap();
    verify_shared(&store, dir.path(), &winners).await;
}

async fn verify_shared(store: &FsStore, dir: &Path, winners: &[Vec<u8>]) {
    let mut expected_blobs = 0;
    for (round, data) in winners.iter().enumerate() {
        assert_eq!(&read_all(store, &format!("race{round}"), None).await, data);
        expected_blobs += usize::from(data.len() > 4096);
        for t in (3..48u64).step_by(4) {
            let size = if t % 3 == 0 { 10_000 } else { 100 };
            let data = payload(round as u64 * 1000 + t, size);
            assert_eq!(
                read_all(store, &format!("own{round}-{t}"), None).await,
                data
            );
            expected_blobs += usize::from(data.len() > 4096);
        }
    }
    assert_eq!(read_all(store, "target", None).await, b"v0");
    assert_eq!(blobs(dir), expected_blobs);
    assert_eq!(temps(dir), 0);
}

fn refused_for_space<T: std::fmt::Debug>(result: &Result<T, StorageError>) -> bool {
    matches!(result, Err(StorageError::InsufficientStorage(_)))
}

#[tokio::test]
async fn writes_under_the_free_space_reserve_store_nothing_and_deletes_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = payload(11, 200_000);
    {
        let store = open(dir.path()).await;
        store.put_object(put("kept", &data)).await.unwrap();
    }
    let mut reserve_all = config(dir.path());
    reserve_all.min_free_space = u64::MAX / 2; // more than any disk has free
    let store = FsStore::open(reserve_all).unwrap();
    let usage = store.bucket_usage(&account(), "bucket").await.unwrap();
    let files = (blobs(dir.path()), temps(dir.path()));
    assert!(refused_for_space(
        &store.put_object(put("big", &data)).await
    ));
    assert!(refused_for_space(
        &store.put_object(put("tiny", b"tiny")).await
    ));
    let mut unknown_length = put("unknown", &data);
    unknown_length.content_length = None;
    assert!(refused_for_space(&store.put_object(unknown_length).await));
    let copy = CopyObject {
        source: obj("kept"),
        source_conditions: ReadConditions::default(),
        target: obj("copy"),
        replace_attributes: None,
        precondition: WritePrecondition::default(),
    };
    assert!(refused_for_space(&store.copy_object(copy).await));
    let upload = store
        .create_multipart_upload(&obj("multi"), ObjectAttributes::default())
        .await;
    assert!(refused_for_space(&upload));
    assert!(refused_for_space(
        &store.create_bucket(&account(), "another").await
    ));
    // Nothing of any of them was stored.
    assert_eq!(
        store.bucket_usage(&account(), "bucket").await.unwrap(),
        usage
    );
    assert_eq!((blobs(dir.path()), temps(dir.path())), files);
    assert!(store.head_object(&obj("big")).await.is_err());
    assert!(store.head_bucket(&account(), "another").await.is_err());
    // Reads and deletes go on.
    assert_eq!(read_all(&store, "kept", None).await, data);
    store.delete_object(&obj("kept")).await.unwrap();
    assert_eq!(blobs(dir.path()), 0);
    assert_eq!(
        store
            .bucket_usage(&account(), "bucket")
            .await
            .unwrap()
            .objects,
        0
    );
}

/// Flips one bit of every copy of `needle` in `file` (redb may keep an older copy of a page);
/// returns how many it found.
fn flip_in_file(file: &Path, needle: &[u8]) -> usize {
    let mut bytes = std::fs::read(file).unwrap();
    let starts: Vec<usize> = bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    for start in &starts {
        bytes[start + needle.len() / 2] ^= 0x04;
    }
    std::fs::write(file, bytes).unwrap();
    starts.len()
}

/// A store holding the inline object "small" (returned) and "other", with one bit of every
/// copy of "small"'s bytes in `meta.redb` flipped under it. redb's page cache is off, so
/// reads see the file as changed; the store stays open, since a reopen that finds the file
/// not closed cleanly repairs it and refuses it whole (redb's own page checksums).
async fn damaged_inline_store(verify_reads: bool) -> (tempfile::TempDir, FsStore, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.cache_bytes = 0;
    config.verify_reads = verify_reads;
    let store = FsStore::open(config).unwrap();
    store.create_bucket(&account(), "bucket").await.unwrap();
    let stored = payload(77, 3000);
    store.put_object(put("small", &stored)).await.unwrap();
    store
        .put_object(put("other", &payload(78, 100)))
        .await
        .unwrap();
    assert!(flip_in_file(&dir.path().join("meta.redb"), &stored) > 0);
    (dir, store, stored)
}

#[tokio::test]
async fn damaged_inline_bytes_are_refused() {
    let (_dir, store, _) = damaged_inline_store(true).await;
    for range in [
        None,
        Some(ByteRange::Inclusive {
            first: 10,
            last: 20,
        }),
    ] {
        let refused = store.get_object(&obj("small"), range).await.err();
        assert!(
            matches!(&refused, Some(StorageError::Io(e)) if e.kind() == std::io::ErrorKind::InvalidData),
            "{refused:?}"
        );
    }
    assert_eq!(store.integrity().damaged_reads, 2);
    // A copy would seal the damaged bytes afresh: refused too.
    let copied = store
        .copy_object(CopyObject {
            source: obj("small"),
            source_conditions: ReadConditions::default(),
            target: obj("copy"),
            replace_attributes: None,
            precondition: WritePrecondition::default(),
        })
        .await;
    assert!(copied.is_err(), "{copied:?}");
    assert_eq!(read_all(&store, "other", None).await, payload(78, 100));
    let report = store.scrub(None).await.unwrap();
    assert_eq!(report.damaged.len(), 1, "{report:?}");
}

#[tokio::test]
async fn unverified_reads_serve_damaged_inline_bytes_as_they_are() {
    let (_dir, store, stored) = damaged_inline_store(false).await;
    let served = read_all(&store, "small", None).await;
    assert_eq!(served.len(), stored.len());
    assert_ne!(served, stored);
    assert_eq!(store.integrity().damaged_reads, 0);
}
