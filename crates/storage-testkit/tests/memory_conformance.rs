//! The conformance kit against the in-memory backend: once with tiny parts and a small object
//! limit (so that the size-limit cases run too), once with megabyte parts and the default
//! 5 GiB limit, and no minimum at all (the kit then skips EntityTooSmall, saying so).

use s4_storage::memory::MemoryStore;
use s4_storage_testkit::{
    run_identity_store_suite, run_object_store_suite, run_rate_limit_store_suite, Fixture,
};

#[tokio::test]
async fn object_store_suite_small_parts() {
    run_object_store_suite(|| async {
        Fixture::new(
            MemoryStore::new()
                .with_min_part_size(32)
                .with_max_object_size(64 * 1024),
        )
    })
    .await;
}

/// S3's 5 MiB minimum makes the debug build hash hundreds of megabytes; one MiB keeps real
/// buffer sizes at a fifth of the cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_suite_megabyte_parts() {
    run_object_store_suite(|| async {
        Fixture::new(MemoryStore::new().with_min_part_size(1 << 20))
    })
    .await;
}

#[tokio::test]
async fn object_store_suite_without_minimum_part_size() {
    run_object_store_suite(|| async { Fixture::new(MemoryStore::new().with_min_part_size(0)) })
        .await;
}

#[tokio::test]
async fn identity_store_suite() {
    run_identity_store_suite(|| async { Fixture::new(MemoryStore::new()) }).await;
}

#[tokio::test]
async fn rate_limit_store_suite() {
    run_rate_limit_store_suite(|| async { Fixture::new(MemoryStore::new()) }).await;
}
