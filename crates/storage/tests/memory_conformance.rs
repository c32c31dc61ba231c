//! The conformance kit against the in-memory backend, with a small minimum part size so that
//! multipart cases run fast, and once with S3's defaults for the object suite's core areas.

use s4_storage::memory::MemoryStore;
use s4_storage::testkit::{run_identity_store_suite, run_object_store_suite, Fixture};

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

#[tokio::test]
async fn object_store_suite_default_limits() {
    run_object_store_suite(|| async { Fixture::new(MemoryStore::new()) }).await;
}

#[tokio::test]
async fn identity_store_suite() {
    run_identity_store_suite(|| async { Fixture::new(MemoryStore::new()) }).await;
}
