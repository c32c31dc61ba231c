//! The backend-neutral conformance suite of `s4-storage`, run against `PgStore` on the
//! PostgreSQL named by `S4_TEST_POSTGRES_URL` (`tests/with-postgres.sh` starts a private one
//! and sets it). Every case gets a fresh schema and a fresh blob directory. Without the
//! variable the tests print that they were skipped.

use std::sync::Arc;

use s4_storage_pg::{FsBlobStore, PgConfig, PgStore};
use s4_storage_testkit::{
    run_identity_store_suite, run_object_store_suite, run_rate_limit_store_suite, Fixture,
};

const MIN_PART_SIZE: u64 = 64 * 1024;
const MAX_OBJECT_SIZE: u64 = 1 << 20;

fn url() -> Option<String> {
    std::env::var("S4_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

async fn fixture() -> Fixture<PgStore> {
    let url = url().expect("S4_TEST_POSTGRES_URL");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = PgConfig::new(url);
    config.schema = format!("t_{}", hex_suffix());
    config.pool_size = 4;
    config.min_part_size = MIN_PART_SIZE;
    config.max_object_size = MAX_OBJECT_SIZE;
    let blobs = FsBlobStore::open(dir.path()).expect("blob dir");
    let store = PgStore::open(config, Arc::new(blobs))
        .await
        .expect("open store");
    Fixture::with_guard(store, dir)
}

fn hex_suffix() -> String {
    s4_storage_pg::new_blob_name()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_conformance() {
    if url().is_none() {
        println!("SKIPPED: S4_TEST_POSTGRES_URL is not set (tests/with-postgres.sh sets it)");
        return;
    }
    run_object_store_suite(fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_store_conformance() {
    if url().is_none() {
        println!("SKIPPED: S4_TEST_POSTGRES_URL is not set (tests/with-postgres.sh sets it)");
        return;
    }
    run_identity_store_suite(fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_store_conformance() {
    if url().is_none() {
        println!("SKIPPED: S4_TEST_POSTGRES_URL is not set (tests/with-postgres.sh sets it)");
        return;
    }
    run_rate_limit_store_suite(fixture).await;
}
