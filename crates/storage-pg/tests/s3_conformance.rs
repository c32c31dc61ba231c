//! The conformance kit against `PgStore` with its bytes in an S3-compatible upstream
//! (`S3BlobStore`): PostgreSQL from `S4_TEST_POSTGRES_URL`, the upstream from
//! `S4_TEST_S3_ENDPOINT`, `S4_TEST_S3_ACCESS_KEY` and `S4_TEST_S3_SECRET_KEY`
//! (`tests/with-postgres.sh` starts an embedded `s4-server` on loopback for it). Without
//! them the test prints that it was skipped.

use std::sync::Arc;

use s4_storage_pg::{new_blob_name, PgConfig, PgStore, S3BlobConfig, S3BlobStore};
use s4_storage_testkit::{run_object_store_suite, Fixture};

const BUCKET: &str = "s4-blobs";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

struct Upstream {
    url: String,
    endpoint: String,
    access_key: String,
    secret_key: String,
}

fn upstream() -> Option<Upstream> {
    Some(Upstream {
        url: env("S4_TEST_POSTGRES_URL")?,
        endpoint: env("S4_TEST_S3_ENDPOINT")?,
        access_key: env("S4_TEST_S3_ACCESS_KEY")?,
        secret_key: env("S4_TEST_S3_SECRET_KEY")?,
    })
}

async fn fixture() -> Fixture<PgStore> {
    let up = upstream().expect("upstream");
    let dir = tempfile::tempdir().expect("temp dir");
    let name = format!("t_{}", new_blob_name());
    let blobs = S3BlobStore::new(S3BlobConfig {
        endpoint: up.endpoint,
        region: "us-east-1".to_owned(),
        access_key: up.access_key,
        secret_key: up.secret_key,
        bucket: BUCKET.to_owned(),
        // One prefix per case, so the cases' sweeps and listings never meet.
        prefix: format!("{name}/"),
        spool_dir: dir.path().to_path_buf(),
        timeout: s4_storage_pg::DEFAULT_S3_TIMEOUT,
    })
    .expect("s3 blob store");
    let mut config = PgConfig::new(up.url);
    config.schema = name;
    config.pool_size = 4;
    config.min_part_size = 64 * 1024;
    config.max_object_size = 1 << 20;
    let store = PgStore::open(config, Arc::new(blobs))
        .await
        .expect("open store");
    Fixture::with_guard(store, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_conformance_with_s3_blobs() {
    let Some(up) = upstream() else {
        println!(
            "SKIPPED: S4_TEST_POSTGRES_URL and S4_TEST_S3_ENDPOINT/_ACCESS_KEY/_SECRET_KEY are \
             not all set (tests/with-postgres.sh sets them)"
        );
        return;
    };
    let probe = S3BlobStore::new(S3BlobConfig {
        endpoint: up.endpoint,
        region: "us-east-1".to_owned(),
        access_key: up.access_key,
        secret_key: up.secret_key,
        bucket: BUCKET.to_owned(),
        prefix: String::new(),
        spool_dir: std::env::temp_dir(),
        timeout: s4_storage_pg::DEFAULT_S3_TIMEOUT,
    })
    .expect("s3 blob store");
    // The bucket may exist from an earlier run.
    let _ = probe.client().create_bucket().bucket(BUCKET).send().await;
    run_object_store_suite(fixture).await;
}
