//! Blob lifecycle of `PgStore` on PostgreSQL (`S4_TEST_POSTGRES_URL`): replaced and deleted
//! objects release their blobs after the commit, a copy keeps a shared blob alive, and the
//! orphan sweep collects only unreferenced blobs older than its grace period.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use s4_naming::AccountId;
use s4_storage::{
    body, CopyObject, ObjectAttributes, ObjectRef, ObjectStore, PutObject, ReadConditions,
    WritePrecondition,
};
use s4_storage_pg::{new_blob_name, BlobStore, FsBlobStore, PgConfig, PgStore};

fn url() -> Option<String> {
    std::env::var("S4_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

fn object(key: &str) -> ObjectRef {
    ObjectRef {
        account: AccountId::from_number(7).expect("account"),
        bucket: "b".to_owned(),
        key: key.to_owned(),
    }
}

fn put(key: &str, len: usize) -> PutObject {
    PutObject {
        target: object(key),
        attributes: ObjectAttributes::default(),
        body: body::once(Bytes::from(vec![7u8; len])),
        content_length: None,
        content_md5: None,
        precondition: WritePrecondition::default(),
    }
}

async fn blob_count(blobs: &FsBlobStore) -> usize {
    blobs.list().await.expect("list").len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_are_released_and_orphans_swept() {
    let Some(url) = url() else {
        println!("SKIPPED: S4_TEST_POSTGRES_URL is not set (tests/with-postgres.sh sets it)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let blobs = FsBlobStore::open(dir.path()).expect("blob dir");
    let mut config = PgConfig::new(url);
    config.schema = format!("t_{}", new_blob_name());
    config.pool_size = 4;
    let store = PgStore::open(config, Arc::new(blobs.clone()))
        .await
        .expect("open");
    store
        .create_bucket(&object("k").account, "b")
        .await
        .expect("bucket");

    // Small bodies live in the row; larger ones in one blob each.
    store.put_object(put("small", 100)).await.expect("put");
    assert_eq!(blob_count(&blobs).await, 0);
    store.put_object(put("big", 100_000)).await.expect("put");
    assert_eq!(blob_count(&blobs).await, 1);
    // An overwrite deletes the replaced blob after its commit.
    store.put_object(put("big", 100_001)).await.expect("put");
    assert_eq!(blob_count(&blobs).await, 1);
    // A copy shares the blob: deleting the source keeps it for the copy.
    store
        .copy_object(CopyObject {
            source: object("big"),
            source_conditions: ReadConditions::default(),
            target: object("copy"),
            replace_attributes: None,
            precondition: WritePrecondition::default(),
        })
        .await
        .expect("copy");
    store.delete_object(&object("big")).await.expect("delete");
    assert_eq!(blob_count(&blobs).await, 1);
    let got = store.get_object(&object("copy"), None).await.expect("get");
    assert_eq!(body::collect(got.body).await.expect("body").len(), 100_001);

    // An orphan: a durable blob whose commit never happened.
    let orphan = new_blob_name();
    blobs
        .put(&orphan, body::once(Bytes::from_static(b"orphan")))
        .await
        .expect("orphan");
    assert_eq!(blob_count(&blobs).await, 2);
    // Younger than the grace period: kept (another process may be about to commit it).
    assert_eq!(
        store
            .sweep_orphans(Duration::from_hours(1))
            .await
            .expect("sweep"),
        0
    );
    assert_eq!(blob_count(&blobs).await, 2);
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Older: collected; the referenced blob stays.
    assert_eq!(
        store
            .sweep_orphans(Duration::from_millis(10))
            .await
            .expect("sweep"),
        1
    );
    assert_eq!(blob_count(&blobs).await, 1);
    let got = store.get_object(&object("copy"), None).await.expect("get");
    assert_eq!(body::collect(got.body).await.expect("body").len(), 100_001);
    store.delete_object(&object("copy")).await.expect("delete");
    assert_eq!(blob_count(&blobs).await, 0);
}
