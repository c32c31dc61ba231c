//! Crash test: a child process (this binary, re-executed in child mode) writes, overwrites,
//! copies, deletes and completes small multipart uploads in a loop, logging every operation
//! before it starts (`I ...`) and after it was acknowledged (`A`), each line fsynced. The
//! parent SIGKILLs it at random moments, reopens the store (running recovery) and checks:
//!
//! - every acknowledged object is readable with its exact bytes and ETag, deleted ones are
//!   gone;
//! - the one operation in flight shows either its old or its new state, nothing else;
//! - every listed object is readable whole and its size and ETag match;
//! - no temp files remain after recovery, and a second recovery finds no orphan blobs;
//! - the usage totals equal what the object and upload listings count.
//!
//! The parent then records what it observed for the in-flight operation (`A` or `X`) so that
//! the next child starts from the true state.
//!
//! Every random choice (kill moments, operations, sizes) comes from one seed, printed at the
//! start; `S4_TEST_SEED=<seed>` replays its choices (the kill moments still race the child).

mod common;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use md5::{Digest, Md5};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use s4_naming::AccountId;
use s4_storage::multipart::{CompleteUpload, CompletedPart, UploadPart, UploadRef};
use s4_storage::{
    body, count_bucket_usage, AccountBucketUsage, CopyObject, ETag, ListQuery, ObjectAttributes,
    ObjectRef, ObjectStore, PutObject, ReadConditions, StorageError, WritePrecondition,
};
use s4_storage_fs::{FsConfig, FsStore};

const KEYS: usize = 8;
const MIN_PART: u64 = 64 * 1024;
const KILLS: usize = 50;
/// Generous: on a loaded machine each recovery check takes longer, never the kill count less.
const DEADLINE: Duration = Duration::from_mins(10);

/// The name `cargo test` filters match against.
const NAME: &str = "crash";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        let seed = args[4].parse().expect("child seed");
        child(Path::new(&args[2]), Path::new(&args[3]), seed);
        return;
    }
    match selection(&args[1..]) {
        Selection::Run => parent(),
        Selection::List => println!("{NAME}: test"),
        Selection::FilteredOut => println!("{NAME}: filtered out (0 tests run)"),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Selection {
    Run,
    List,
    FilteredOut,
}

/// What the libtest-style arguments `cargo test` passes ask of this harness-less test. Options
/// that take a value (`--test-threads 2`, `--skip x`, ...) consume it, so it is never read as
/// a filter; unknown options are refused rather than guessed at.
fn selection(args: &[String]) -> Selection {
    const WITH_VALUE: [&str; 7] = [
        "--test-threads",
        "--skip",
        "--format",
        "--color",
        "--logfile",
        "--shuffle-seed",
        "-Z",
    ];
    const FLAGS: [&str; 9] = [
        "--nocapture",
        "--no-capture",
        "--show-output",
        "--quiet",
        "-q",
        "--include-ignored",
        "--report-time",
        "--shuffle",
        "--test",
    ];
    let (mut filters, mut skips) = (Vec::new(), Vec::new());
    let (mut exact, mut list, mut ignored_only) = (false, false, false);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with('-') => (name, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        if WITH_VALUE.contains(&name) {
            let value = inline
                .or_else(|| rest.next().cloned())
                .unwrap_or_else(|| panic!("{name} needs a value"));
            if name == "--skip" {
                skips.push(value);
            }
        } else if name == "--exact" {
            exact = true;
        } else if name == "--list" {
            list = true;
        } else if name == "--ignored" {
            ignored_only = true;
        } else if FLAGS.contains(&name) || name == "--bench" {
            // Output and scheduling options: nothing to select.
        } else if name.starts_with('-') {
            panic!("{NAME}: unknown test option {arg}");
        } else {
            filters.push(arg.clone());
        }
    }
    let matches = |pattern: &String| {
        if exact {
            pattern == NAME
        } else {
            NAME.contains(pattern.as_str())
        }
    };
    let selected = (filters.is_empty() || filters.iter().any(matches))
        && !skips.iter().any(matches)
        && !ignored_only;
    if !selected {
        Selection::FilteredOut
    } else if list {
        Selection::List
    } else {
        Selection::Run
    }
}

fn account() -> AccountId {
    AccountId::from_number(111_122_223_333_444).unwrap()
}

fn key(i: usize) -> String {
    format!("dir/key-{i}")
}

fn obj(key: &str) -> ObjectRef {
    ObjectRef {
        account: account(),
        bucket: "crash".to_owned(),
        key: key.to_owned(),
    }
}

fn config(dir: &Path) -> FsConfig {
    let mut c = FsConfig::new(dir);
    c.min_part_size = MIN_PART;
    // Exercise intermediate syncs too.
    c.sync_interval = 128 * 1024;
    c
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

/// An object's content: `payload(seed, size)`, with the ETag it was stored under.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Content {
    seed: u64,
    size: usize,
    etag: String,
}

/// One logged operation: the key it changes and the key's state afterwards.
#[derive(Clone, Debug)]
struct Intent {
    key: String,
    after: Option<Content>,
}

/// Replays the log: the acknowledged state of every key, and the operation in flight.
fn replay(log: &Path) -> (BTreeMap<String, Option<Content>>, Option<Intent>) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut state = BTreeMap::new();
    let mut pending: Option<Intent> = None;
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        match fields[0] {
            "I" => {
                let after = (fields[2] == "P").then(|| Content {
                    seed: fields[3].parse().unwrap(),
                    size: fields[4].parse().unwrap(),
                    etag: fields[5].to_owned(),
                });
                pending = Some(Intent {
                    key: fields[1].to_owned(),
                    after,
                });
            }
            "A" => {
                let done = pending.take().expect("ack without intent");
                state.insert(done.key, done.after);
            }
            "X" => pending = None,
            other => panic!("bad log line {other:?}"),
        }
    }
    (state, pending)
}

struct Log(File);

impl Log {
    fn line(&mut self, line: &str) {
        self.0.write_all(format!("{line}\n").as_bytes()).unwrap();
        self.0.sync_data().unwrap();
    }
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

// ---------------------------------------------------------------------------------------
// Child

fn child(data_dir: &Path, log_path: &Path, seed: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(child_loop(data_dir, log_path, seed));
}

async fn child_loop(data_dir: &Path, log_path: &Path, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut state, pending) = replay(log_path);
    assert!(
        pending.is_none(),
        "the parent settles the in-flight operation"
    );
    let mut log = Log(OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .unwrap());
    let store = FsStore::open(config(data_dir)).unwrap();
    match store.create_bucket(&account(), "crash").await {
        Ok(_) | Err(StorageError::BucketAlreadyOwnedByYou) => {}
        Err(e) => panic!("{e}"),
    }
    loop {
        let k = key(rng.random_range(0..KEYS));
        let seed: u64 = rng.random();
        match rng.random_range(0..100u32) {
            0..50 => {
                let size = [0usize, 10, 4096, 4097, 70_000, 300_000][rng.random_range(0..6)];
                let data = payload(seed, size);
                let etag = md5_hex(&data);
                log.line(&format!("I {k} P {seed} {size} {etag}"));
                let info = store
                    .put_object(PutObject {
                        target: obj(&k),
                        attributes: ObjectAttributes::default(),
                        body: body::from_chunks(
                            data.chunks(16 * 1024)
                                .map(Bytes::copy_from_slice)
                                .collect::<Vec<_>>(),
                        ),
                        content_length: Some(size as u64),
                        content_md5: None,
                        precondition: WritePrecondition::default(),
                    })
                    .await
                    .unwrap();
                assert_eq!(info.etag.as_str(), etag);
                log.line("A");
                state.insert(k, Some(Content { seed, size, etag }));
            }
            50..65 => {
                log.line(&format!("I {k} D"));
                store.delete_object(&obj(&k)).await.unwrap();
                log.line("A");
                state.insert(k, None);
            }
            65..85 => {
                let parts = rng.random_range(1..=3usize);
                let last = rng.random_range(1..=MIN_PART as usize);
                let size = (parts - 1) * MIN_PART as usize + last;
                let data = payload(seed, size);
                let md5s: Vec<[u8; 16]> = data
                    .chunks(MIN_PART as usize)
                    .map(|c| Md5::digest(c).into())
                    .collect();
                let etag = ETag::multipart(md5s.iter()).as_str().to_owned();
                // The upload and its parts are invisible until completion: log only that.
                let upload = store
                    .create_multipart_upload(&obj(&k), ObjectAttributes::default())
                    .await
                    .unwrap();
                let upload = UploadRef {
                    target: obj(&k),
                    upload_id: upload.upload_id,
                };
                let mut done = Vec::new();
                for (i, chunk) in data.chunks(MIN_PART as usize).enumerate() {
                    let part = store
                        .upload_part(UploadPart {
                            upload: upload.clone(),
                            part_number: i as u32 + 1,
                            body: body::once(Bytes::copy_from_slice(chunk)),
                            content_length: Some(chunk.len() as u64),
                            content_md5: None,
                        })
                        .await
                        .unwrap();
                    done.push(CompletedPart {
                        number: part.number,
                        etag: part.etag,
                    });
                }
                log.line(&format!("I {k} P {seed} {size} {etag}"));
                let info = store
                    .complete_multipart_upload(CompleteUpload {
                        upload,
                        parts: done,
                        precondition: WritePrecondition::default(),
                    })
                    .await
                    .unwrap();
                assert_eq!(info.etag.as_str(), etag);
                log.line("A");
                state.insert(k, Some(Content { seed, size, etag }));
            }
            _ => {
                let source = key(rng.random_range(0..KEYS));
                let Some(Some(content)) = state.get(&source).cloned() else {
                    continue;
                };
                log.line(&format!(
                    "I {k} P {} {} {}",
                    content.seed, content.size, content.etag
                ));
                store
                    .copy_object(CopyObject {
                        source: obj(&source),
                        source_conditions: ReadConditions::default(),
                        target: obj(&k),
                        replace_attributes: None,
                        precondition: WritePrecondition::default(),
                    })
                    .await
                    .unwrap();
                log.line("A");
                state.insert(k, Some(content));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Parent

fn parent() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let log_path = dir.path().join("log");
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rng = StdRng::seed_from_u64(common::test_seed(NAME));
    let mut kills = 0;
    let mut checked_objects = 0usize;
    let mut in_flight_new = 0usize;
    while kills < KILLS {
        assert!(
            started.elapsed() < DEADLINE,
            "only {kills} of {KILLS} kills in {DEADLINE:?}"
        );
        let mut child = Command::new(std::env::current_exe().unwrap())
            .arg("child")
            .arg(&data_dir)
            .arg(&log_path)
            .arg(rng.random::<u64>().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(10..250)));
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child stopped by itself: {status}");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let (objects, took_new) = runtime.block_on(verify(&data_dir, &log_path));
        checked_objects += objects;
        in_flight_new += usize::from(took_new);
    }
    println!(
        "crash: {kills} SIGKILLs, {checked_objects} object checks, in-flight op visible after {in_flight_new} kills, {:?}",
        started.elapsed()
    );
}

async fn read(store: &FsStore, key: &str) -> Option<(Vec<u8>, String)> {
    match store.get_object(&obj(key), None).await {
        Ok(out) => {
            let etag = out.info.etag.as_str().to_owned();
            let size = out.info.size;
            let bytes = body::collect(out.body).await.unwrap().to_vec();
            assert_eq!(
                bytes.len() as u64,
                size,
                "{key}: body length differs from size"
            );
            Some((bytes, etag))
        }
        Err(StorageError::NoSuchKey | StorageError::NoSuchBucket) => None,
        Err(e) => panic!("{key}: {e}"),
    }
}

fn matches(actual: Option<&(Vec<u8>, String)>, expected: Option<&Content>) -> bool {
    match (actual, expected) {
        (None, None) => true,
        (Some((bytes, etag)), Some(c)) => {
            *etag == c.etag && bytes.len() == c.size && *bytes == payload(c.seed, c.size)
        }
        _ => false,
    }
}

/// Checks the store against the log after a kill; returns the number of objects checked and
/// whether the in-flight operation had landed.
async fn verify(data_dir: &Path, log_path: &Path) -> (usize, bool) {
    let (store, _) = FsStore::open_with_report(config(data_dir)).unwrap();
    assert_eq!(
        std::fs::read_dir(data_dir.join("tmp")).unwrap().count(),
        0,
        "temp files remain after recovery"
    );
    let (state, pending) = replay(log_path);
    let mut checked = 0;
    let mut took_new = false;
    for i in 0..KEYS {
        let k = key(i);
        let actual = read(&store, &k).await;
        let acked = state.get(&k).cloned().flatten();
        let ok_old = matches(actual.as_ref(), acked.as_ref());
        match &pending {
            Some(intent) if intent.key == k => {
                let ok_new = matches(actual.as_ref(), intent.after.as_ref());
                assert!(
                    ok_old || ok_new,
                    "{k}: neither the acknowledged state {acked:?} nor the in-flight {:?}; found {:?}",
                    intent.after,
                    actual.as_ref().map(|(b, e)| (b.len(), e))
                );
                // Old and new may coincide (an overwrite with the same content).
                took_new = ok_new && !ok_old;
            }
            _ => assert!(
                ok_old,
                "{k}: expected {acked:?}, found {:?}",
                actual.as_ref().map(|(b, e)| (b.len(), e))
            ),
        }
        checked += 1;
    }
    // The listing shows exactly the readable objects, whole.
    let page = store
        .list_objects(
            &account(),
            "crash",
            &ListQuery {
                max_keys: 1000,
                ..ListQuery::default()
            },
        )
        .await;
    if let Ok(page) = page {
        let mut readable = 0;
        for i in 0..KEYS {
            if read(&store, &key(i)).await.is_some() {
                readable += 1;
            }
        }
        assert_eq!(
            page.objects.len(),
            readable,
            "listing differs from readable objects"
        );
        for summary in &page.objects {
            let (bytes, etag) = read(&store, &summary.key)
                .await
                .unwrap_or_else(|| panic!("listed {} is not readable", summary.key));
            assert_eq!(
                bytes.len() as u64,
                summary.size,
                "{}: listed size",
                summary.key
            );
            assert_eq!(etag, summary.etag.as_str(), "{}: listed ETag", summary.key);
        }
    }
    assert_usage_counts(&store).await;
    drop(store);
    // Recovery left nothing behind: a second one removes no orphans.
    let (store, report) = FsStore::open_with_report(config(data_dir)).unwrap();
    assert_eq!(report.orphan_blobs_removed, 0, "orphans survived recovery");
    assert_eq!(report.temp_files_removed, 0);
    drop(store);
    if let Some(intent) = pending {
        let mut log = Log(OpenOptions::new().append(true).open(log_path).unwrap());
        log.line(if took_new || intent_landed(&intent, &state) {
            "A"
        } else {
            "X"
        });
    }
    (checked, took_new)
}

/// The usage totals share the transactions of the changes they count, so after any kill they
/// equal what the listings count (uploads killed before completion stay in progress).
async fn assert_usage_counts(store: &FsStore) {
    let maintained = store.all_bucket_usage().await.unwrap();
    let usage = match count_bucket_usage(store, &account(), "crash", 1000).await {
        Ok(usage) => usage,
        Err(StorageError::NoSuchBucket) => {
            assert_eq!(maintained, [], "usage of a store without buckets");
            return;
        }
        Err(e) => panic!("listing failed: {e}"),
    };
    let counted = AccountBucketUsage {
        account: account(),
        bucket: "crash".to_owned(),
        usage,
    };
    assert_eq!(maintained, [counted], "usage totals after a kill");
}

/// When old and new state coincide, either settlement is right; pick `A`.
fn intent_landed(intent: &Intent, state: &BTreeMap<String, Option<Content>>) -> bool {
    state.get(&intent.key).cloned().flatten() == intent.after
}
