//! Cache coherence of `PgStore` across processes on PostgreSQL (`S4_TEST_POSTGRES_URL`): two
//! stores on one schema stand for two server processes. A change made through one reaches the
//! other's caches by notification (the propagation time is printed), and a listener whose
//! connection is cut drops every cache and serves nothing it can no longer vouch for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use s4_naming::AccountId;
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, ObjectStore, PolicyTarget, User};
use s4_storage_pg::{new_blob_name, FsBlobStore, PgConfig, PgStore};
use time::OffsetDateTime;

fn url() -> Option<String> {
    std::env::var("S4_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

macro_rules! require_postgres {
    () => {
        match url() {
            Some(url) => url,
            None => {
                println!(
                    "SKIPPED: S4_TEST_POSTGRES_URL is not set (tests/with-postgres.sh sets it)"
                );
                return;
            }
        }
    };
}

/// The longest a notification may take to reach the other store in these tests (the
/// documented bound is the delivery time, milliseconds on loopback; this leaves room for a
/// loaded CI machine).
const BOUND: Duration = Duration::from_secs(1);

fn account() -> AccountId {
    AccountId::from_number(21).expect("account")
}

async fn open(url: &str, schema: &str, dir: &std::path::Path) -> PgStore {
    let mut config = PgConfig::new(url);
    schema.clone_into(&mut config.schema);
    config.pool_size = 4;
    let blobs = FsBlobStore::open(dir).expect("blob dir");
    let store = PgStore::open(config, Arc::new(blobs))
        .await
        .expect("open store");
    wait_for("the cache listener to connect", || {
        let listening = store.cache_listening();
        async move { listening }
    })
    .await;
    store
}

/// Polls `done` every 2 ms until it holds; fails after 10 s. Returns how long it took.
async fn wait_for<F, Fut>(what: &str, mut done: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "waited 10 s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    started.elapsed()
}

/// Two stores on a fresh schema with an account, a user `alice` and her key `key_id`.
async fn two_processes(url: &str, dir: &std::path::Path, key_id: &str) -> (PgStore, PgStore) {
    let schema = format!("t_{}", new_blob_name());
    let a = open(url, &schema, dir).await;
    let b = open(url, &schema, dir).await;
    a.create_account(&account()).await.expect("account");
    let now = OffsetDateTime::now_utc();
    a.create_user(User {
        account: account(),
        name: "alice".into(),
        user_id: "AIDAALICE".into(),
        created: now,
    })
    .await
    .expect("user");
    a.create_access_key(
        AccessKey {
            access_key_id: key_id.to_owned(),
            secret_access_key: "s".repeat(40),
            account: account(),
            owner: KeyOwner::User("alice".into()),
            status: KeyStatus::Active,
            created: now,
        },
        2,
    )
    .await
    .expect("key");
    // The notifications of this setup reach B asynchronously and would drop what B caches
    // next; let them arrive first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (a, b)
}

/// The database session of `url`, for what the stores do not offer.
async fn session(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_changes_reach_the_other_process() {
    let url = require_postgres!();
    let dir = tempfile::tempdir().expect("temp dir");
    let key_id = "AKIACOHERENCE0000001";
    let (a, b) = two_processes(&url, dir.path(), key_id).await;
    let alice = PolicyTarget::User("alice".into());

    // B reads (and caches) the key, the user and her attachments.
    assert!(b.get_access_key(key_id).await.expect("get").is_some());
    assert_eq!(
        b.get_user(&account(), "alice").await.expect("user").user_id,
        "AIDAALICE"
    );
    assert!(b
        .list_attached_policies(&account(), &alice)
        .await
        .expect("attached")
        .is_empty());
    assert!(b.cached_entries() >= 3, "B caches what it read");

    // An attachment through A is in B's answer within the bound.
    let arn = "arn:aws:iam::aws:policy/S3ReadAccess";
    a.attach_policy(&account(), &alice, arn)
        .await
        .expect("attach");
    let attached = wait_for("B to see the attachment", || async {
        b.list_attached_policies(&account(), &alice)
            .await
            .expect("attached")
            == [arn]
    })
    .await;

    // A deactivated key, then a deleted one.
    a.set_access_key_status(&account(), key_id, KeyStatus::Inactive)
        .await
        .expect("deactivate");
    let deactivated = wait_for("B to see the key inactive", || async {
        b.get_access_key(key_id)
            .await
            .expect("get")
            .map(|k| k.status)
            == Some(KeyStatus::Inactive)
    })
    .await;
    a.delete_access_key(&account(), key_id)
        .await
        .expect("delete");
    let deleted = wait_for("B to see the key deleted", || async {
        b.get_access_key(key_id).await.expect("get").is_none()
    })
    .await;
    println!(
        "propagation A -> B: attachment {attached:?}, deactivation {deactivated:?}, \
         deletion {deleted:?}"
    );
    for took in [attached, deactivated, deleted] {
        assert!(took < BOUND, "propagation took {took:?}");
    }
    // A reads its own writes at once.
    assert!(a.get_access_key(key_id).await.expect("get").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_changes_move_the_other_process_policy_epoch() {
    let url = require_postgres!();
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = two_processes(&url, dir.path(), "AKIACOHERENCE0000002").await;
    a.create_bucket(&account(), "shared").await.expect("bucket");
    // The bucket's own notification first (it moves the epoch too).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut epoch = b.policy_cache_epoch().expect("B listens");
    for policy in [Some("{}".to_owned()), None] {
        a.set_bucket_policy(&account(), "shared", policy)
            .await
            .expect("policy");
        let took = wait_for("B's policy epoch to move", || {
            let now = b.policy_cache_epoch();
            async move { now.is_some_and(|e| e != epoch) }
        })
        .await;
        println!("bucket policy change A -> B: {took:?}");
        assert!(took < BOUND, "propagation took {took:?}");
        epoch = b.policy_cache_epoch().expect("B listens");
    }
    // A key's last use is written often and changes nothing a cache holds: no notification.
    a.record_access_key_use("AKIACOHERENCE0000002", OffsetDateTime::now_utc())
        .await
        .expect("record use");
    assert!(b
        .get_access_key("AKIACOHERENCE0000002")
        .await
        .expect("get")
        .is_some());
    let cached = b.cached_entries();
    a.record_access_key_use("AKIACOHERENCE0000002", OffsetDateTime::now_utc())
        .await
        .expect("record use");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        b.cached_entries(),
        cached,
        "a recorded use dropped B's cache"
    );
}

/// A change that sends no notification (triggers off for the session) stays invisible to B's
/// cache, which proves the cache is in use; cutting B's listener then drops everything, so B
/// answers from the database again, and caching resumes once it listens again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listener_drops_every_cache_and_serves_nothing_stale() {
    let url = require_postgres!();
    let dir = tempfile::tempdir().expect("temp dir");
    let key_id = "AKIACOHERENCE0000003";
    let (_a, b) = two_processes(&url, dir.path(), key_id).await;
    assert!(b.get_access_key(key_id).await.expect("get").is_some());
    assert!(b.cached_entries() >= 1);

    let admin = session(&url).await;
    let schema = b.config().schema.clone();
    // Deleted without triggers: no notification, B keeps serving its cached copy.
    admin
        .batch_execute(&format!(
            "SET session_replication_role = replica; \
             DELETE FROM {schema}.access_keys WHERE id = '{key_id}'; \
             SET session_replication_role = origin"
        ))
        .await
        .expect("silent delete");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        b.get_access_key(key_id).await.expect("get").is_some(),
        "B's cache was not in use"
    );

    let pid = b.cache_listener_pid().expect("B's listener pid");
    let terminated: bool = admin
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .expect("terminate")
        .get(0);
    assert!(terminated);
    // Dropped as soon as the listener sees its connection end (it then reconnects: either
    // state is fine, as long as the old entries are gone).
    wait_for("B to drop its caches", || {
        let dropped = b.cache_listener_pid() != Some(pid) && b.cached_entries() == 0;
        async move { dropped }
    })
    .await;
    assert!(
        b.get_access_key(key_id).await.expect("get").is_none(),
        "B served a key deleted while it was deaf"
    );

    // Back on a new connection, B caches again and hears changes again.
    wait_for("B to listen again", || {
        let listening = b.cache_listening();
        async move { listening }
    })
    .await;
    assert_ne!(b.cache_listener_pid(), Some(pid));
    assert_eq!(
        b.get_user(&account(), "alice").await.expect("user").name,
        "alice"
    );
    assert!(b.cached_entries() >= 1, "caching resumed");
}
