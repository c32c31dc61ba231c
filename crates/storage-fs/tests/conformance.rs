//! The backend-neutral conformance suite (`s4-storage-testkit`), run against `FsStore`. Every case
//! gets a fresh data directory, kept alive by the fixture.

use s4_storage_fs::{FsConfig, FsStore};
use s4_storage_testkit::{
    run_identity_store_suite, run_object_store_suite, run_rate_limit_store_suite, Fixture,
};

/// Small, so that the multipart cases (whose parts are sized from the minimum) run fast.
const MIN_PART_SIZE: u64 = 64 * 1024;
/// Small enough for the kit to exercise `EntityTooLarge` (it does so up to 1 MiB); still
/// well above the inline threshold, so blob files are exercised too.
const MAX_OBJECT_SIZE: u64 = 1 << 20;

async fn fixture() -> Fixture<FsStore> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = FsConfig::new(dir.path());
    config.min_part_size = MIN_PART_SIZE;
    config.max_object_size = MAX_OBJECT_SIZE;
    let store = FsStore::open(config).expect("open store");
    Fixture::with_guard(store, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_conformance() {
    run_object_store_suite(fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_store_conformance() {
    run_identity_store_suite(fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_store_conformance() {
    run_rate_limit_store_suite(fixture).await;
}
