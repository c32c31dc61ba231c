//! Crash test for group commit: a child process (this test re-executed) runs 32 concurrent
//! writers, so that their commits are shared, and logs each write after it was acknowledged.
//! Writers also race `If-None-Match: *` creates of shared keys, so that refused requests
//! leave batches. The parent SIGKILLs the child at random moments, reopens the store and
//! checks that every acknowledged write is there with its exact bytes, that every object is
//! whole (its bytes are the payload its name and ETag announce), that each shared key holds
//! the acknowledged creator's bytes, that the usage totals equal what the listing counts, and
//! that no temp file remains. The kill moments come from a seed printed at the start
//! (`S4_TEST_SEED=<seed>` replays them).

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use md5::{Digest, Md5};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use s4_naming::AccountId;
use s4_storage::{
    body, AccountBucketUsage, BucketUsage, ETag, ListQuery, ObjectAttributes, ObjectRef,
    ObjectStore, PutObject, StorageError, WritePrecondition,
};
use s4_storage_fs::{FsConfig, FsStore};

const WRITERS: u64 = 32;
const KILLS: usize = 25;
const CHILD_ENV: &str = "S4_GROUP_CRASH_CHILD";

fn account() -> AccountId {
    AccountId::from_number(222_233_334_444_555).unwrap()
}

fn obj(key: &str) -> ObjectRef {
    ObjectRef {
        account: account(),
        bucket: "gc".to_owned(),
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

/// Seed and size of the body written under a key, derived from the key and the writer.
fn body_of(seed: u64) -> (u64, usize) {
    let size = if seed.is_multiple_of(7) {
        20_000
    } else {
        64 + (seed % 4000) as usize
    };
    (seed, size)
}

fn put(key: &str, seed: u64) -> PutObject {
    let (seed, size) = body_of(seed);
    let data = payload(seed, size);
    PutObject {
        target: obj(key),
        attributes: ObjectAttributes::default(),
        content_length: Some(data.len() as u64),
        body: body::once(Bytes::from(data)),
        content_md5: None,
        precondition: WritePrecondition::default(),
    }
}

#[test]
fn group_commit_survives_sigkill() {
    if let Ok(dirs) = std::env::var(CHILD_ENV) {
        let (data, rest) = dirs.split_once('\n').unwrap();
        let (log, round) = rest.split_once('\n').unwrap();
        child(Path::new(data), Path::new(log), round.parse().unwrap());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let log_path = dir.path().join("log");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rng = StdRng::seed_from_u64(common::test_seed("group_commit_survives_sigkill"));
    let started = Instant::now();
    let mut acked = 0;
    for round in 0..KILLS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["group_commit_survives_sigkill", "--exact", "--nocapture"])
            .env(
                CHILD_ENV,
                format!("{}\n{}\n{round}", data_dir.display(), log_path.display()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(100..400)));
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child stopped by itself: {status}");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        acked = runtime.block_on(verify(&data_dir, &log_path));
    }
    assert!(acked > 0, "no write was acknowledged");
    println!(
        "group crash: {KILLS} SIGKILLs, {acked} acknowledged writes checked, {:?}",
        started.elapsed()
    );
}

fn child(data: &Path, log: &Path, round: u64) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = FsStore::open(FsConfig::new(data)).unwrap();
        match store.create_bucket(&account(), "gc").await {
            Ok(_) | Err(StorageError::BucketAlreadyOwnedByYou) => {}
            Err(e) => panic!("{e}"),
        }
        // Lines reach the kernel before the next write starts; SIGKILL does not lose them.
        let log = Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .unwrap(),
        ));
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let (store, log) = (store.clone(), log.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0u64.. {
                    let seed = (round * 1000 + w) * 1_000_000 + i;
                    if i % 5 == 0 {
                        let key = format!("shared/{round}-{}", i / 5);
                        let mut req = put(&key, seed);
                        req.precondition = WritePrecondition::if_none_match("*");
                        match store.put_object(req).await {
                            Ok(_) => {
                                let line = format!("A {key} {seed}\n");
                                log.lock().unwrap().write_all(line.as_bytes()).unwrap();
                            }
                            Err(StorageError::PreconditionFailed) => {}
                            Err(e) => panic!("{e}"),
                        }
                    } else {
                        let key = format!("own/{seed}");
                        store.put_object(put(&key, seed)).await.unwrap();
                        let line = format!("A {key} {seed}\n");
                        log.lock().unwrap().write_all(line.as_bytes()).unwrap();
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// Checks the reopened store against the log; returns the number of acknowledged writes.
async fn verify(data: &Path, log: &Path) -> usize {
    let store = FsStore::open(FsConfig::new(data)).unwrap();
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut acked: BTreeMap<String, u64> = BTreeMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields[0], "A", "bad log line {line:?}");
        let previous = acked.insert(fields[1].to_owned(), fields[2].parse().unwrap());
        assert!(previous.is_none(), "{} acknowledged twice", fields[1]);
    }
    for (key, seed) in &acked {
        let out = store
            .get_object(&obj(key), None)
            .await
            .unwrap_or_else(|e| panic!("acknowledged {key} lost: {e}"));
        let bytes = body::collect(out.body).await.unwrap();
        let (seed, size) = body_of(*seed);
        assert!(bytes[..] == payload(seed, size)[..], "{key}: wrong bytes");
    }
    // Every object present (acknowledged or in flight) is whole, and the usage totals count
    // exactly them: they commit in the same shared transactions.
    let maintained = store.all_bucket_usage().await.unwrap();
    let mut usage = BucketUsage::default();
    let mut bucket_exists = true;
    let mut query = ListQuery {
        max_keys: 1000,
        ..ListQuery::default()
    };
    loop {
        let page = match store.list_objects(&account(), "gc", &query).await {
            Ok(page) => page,
            // Killed before the child created its bucket (a slow start on a loaded machine):
            // nothing can exist, and the acknowledged-write checks above already passed.
            Err(StorageError::NoSuchBucket) => {
                bucket_exists = false;
                break;
            }
            Err(e) => panic!("listing failed: {e}"),
        };
        usage.objects += page.objects.len() as u64;
        usage.bytes += page.objects.iter().map(|o| o.size).sum::<u64>();
        for item in &page.objects {
            let out = store.get_object(&obj(&item.key), None).await.unwrap();
            let bytes = body::collect(out.body).await.unwrap();
            assert_eq!(out.info.etag, ETag::from_md5(&Md5::digest(&bytes).into()));
            if let Some(seed) = item.key.strip_prefix("own/") {
                let (seed, size) = body_of(seed.parse().unwrap());
                assert!(bytes[..] == payload(seed, size)[..], "{}: torn", item.key);
            }
        }
        if !page.is_truncated {
            break;
        }
        query.start_after = page.next_start_after;
    }
    let counted: Vec<AccountBucketUsage> = if bucket_exists {
        vec![AccountBucketUsage {
            account: account(),
            bucket: "gc".to_owned(),
            usage,
        }]
    } else {
        Vec::new()
    };
    assert_eq!(maintained, counted, "usage totals after a kill");
    assert_eq!(std::fs::read_dir(data.join("tmp")).unwrap().count(), 0);
    acked.len()
}
