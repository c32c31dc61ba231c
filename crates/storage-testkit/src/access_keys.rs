//! Access-key lifecycle: root keys listed with their status, deactivation and deletion seen
//! by the next lookup (caches included), and the last-used time.

use time::{Duration, OffsetDateTime};

use super::identity::{add_user, alice, key, setup_account};
use super::support::{account_a, account_b, expect_err};
use super::{case, Case};
use s4_storage::StorageError;
use s4_storage::{IdentityStore, KeyOwner, KeyStatus};

pub(super) fn cases<S: IdentityStore>() -> Vec<Case<S>> {
    vec![
        case!(access_keys::root_key_lifecycle),
        case!(access_keys::last_used),
    ]
}

async fn status_of<S: IdentityStore>(store: &S, id: &str) -> Option<KeyStatus> {
    store
        .get_access_key(id)
        .await
        .unwrap_or_else(|e| panic!("get {id}: {e:?}"))
        .map(|k| k.status)
}

async fn root_listing<S: IdentityStore>(store: &S) -> Vec<(String, KeyStatus)> {
    store
        .list_access_keys(&account_a(), &KeyOwner::Root)
        .await
        .expect("list root keys")
        .into_iter()
        .map(|k| (k.access_key_id, k.status))
        .collect()
}

fn listed(keys: &[(&str, KeyStatus)]) -> Vec<(String, KeyStatus)> {
    keys.iter().map(|(id, s)| ((*id).to_owned(), *s)).collect()
}

async fn root_key_lifecycle<S: IdentityStore>(store: &S) {
    use KeyStatus::{Active, Inactive};
    let a = account_a();
    setup_account(store, a).await;
    store
        .create_access_key(key(a, KeyOwner::Root, "AKIAROOTOLD", 1), 2)
        .await
        .expect("first root key");
    // Looked up once before every change, so that a backend's cache holds the old state.
    assert_eq!(status_of(store, "AKIAROOTOLD").await, Some(Active));
    store
        .create_access_key(key(a, KeyOwner::Root, "AKIAROOTNEW", 2), 2)
        .await
        .expect("second root key");
    assert_eq!(
        root_listing(store).await,
        listed(&[("AKIAROOTOLD", Active), ("AKIAROOTNEW", Active)]),
        "root keys, oldest first, with their status"
    );
    store
        .set_access_key_status(&a, "AKIAROOTOLD", Inactive)
        .await
        .expect("deactivate the old root key");
    assert_eq!(
        status_of(store, "AKIAROOTOLD").await,
        Some(Inactive),
        "the lookup right after deactivation"
    );
    assert_eq!(
        root_listing(store).await,
        listed(&[("AKIAROOTOLD", Inactive), ("AKIAROOTNEW", Active)]),
        "the listing after deactivation"
    );
    expect_err!(
        store
            .create_access_key(key(a, KeyOwner::Root, "AKIAROOTTHIRD", 3), 2)
            .await,
        StorageError::LimitExceeded(_),
        "a third root key while one of two is inactive"
    );
    store
        .set_access_key_status(&a, "AKIAROOTOLD", Active)
        .await
        .expect("reactivate");
    assert_eq!(
        status_of(store, "AKIAROOTOLD").await,
        Some(Active),
        "the lookup right after reactivation"
    );
    store
        .delete_access_key(&a, "AKIAROOTOLD")
        .await
        .expect("delete the old root key");
    assert_eq!(
        status_of(store, "AKIAROOTOLD").await,
        None,
        "the lookup right after deletion"
    );
    store
        .create_access_key(key(a, KeyOwner::Root, "AKIAROOTTHIRD", 3), 2)
        .await
        .expect("a root key in the freed slot");
    assert_eq!(
        root_listing(store).await,
        listed(&[("AKIAROOTNEW", Active), ("AKIAROOTTHIRD", Active)]),
        "the listing after deletion and creation"
    );
    // Every root key deleted: the account stays, with no root key at all.
    for id in ["AKIAROOTNEW", "AKIAROOTTHIRD"] {
        store.delete_access_key(&a, id).await.expect("delete");
    }
    assert!(root_listing(store).await.is_empty(), "no root key left");
    assert!(
        store.get_account(&a).await.expect("get account").is_some(),
        "the account outlives its keys"
    );
    store
        .create_access_key(key(a, KeyOwner::Root, "AKIAROOTRESET", 4), 2)
        .await
        .expect("a root key for an account that had none");
    assert_eq!(status_of(store, "AKIAROOTRESET").await, Some(Active));
}

async fn last_used<S: IdentityStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    setup_account(store, a).await;
    setup_account(store, b).await;
    add_user(store, a, "alice").await;
    let created = key(a, alice(), "AKIAUSED", 0);
    store
        .create_access_key(created.clone(), 2)
        .await
        .expect("create key");
    let last = |account| async move {
        store
            .access_key_last_used(&account, "AKIAUSED")
            .await
            .expect("last used")
    };
    assert_eq!(last(a).await, None, "a new key was never used");
    let t1 = OffsetDateTime::UNIX_EPOCH + Duration::days(20_100);
    store
        .record_access_key_use("AKIAUSED", t1)
        .await
        .expect("record a use");
    assert_eq!(last(a).await, Some(t1), "the recorded use");
    store
        .record_access_key_use("AKIAUSED", t1 - Duration::minutes(5))
        .await
        .expect("record an older use");
    assert_eq!(
        last(a).await,
        Some(t1),
        "an older use (recorded late by another server) does not move it back"
    );
    let t2 = t1 + Duration::hours(1);
    store
        .record_access_key_use("AKIAUSED", t2)
        .await
        .expect("record a later use");
    assert_eq!(last(a).await, Some(t2), "a later use");
    assert_eq!(
        store.get_access_key("AKIAUSED").await.expect("get"),
        Some(created),
        "recording a use changes nothing else about the key"
    );
    expect_err!(
        store.access_key_last_used(&b, "AKIAUSED").await,
        StorageError::NoSuchEntity(_),
        "another account asking for the key's last use"
    );
    expect_err!(
        store.access_key_last_used(&a, "AKIAUNKNOWN").await,
        StorageError::NoSuchEntity(_),
        "last use of an unknown key"
    );
    store
        .record_access_key_use("AKIAUNKNOWN", t2)
        .await
        .expect("a use of a key deleted meanwhile is not an error");
    expect_err!(
        store.access_key_last_used(&a, "AKIAUNKNOWN").await,
        StorageError::NoSuchEntity(_),
        "recording a use does not create a key"
    );
    // Deleting the key forgets its use: a new key with the same ID starts unused.
    store
        .delete_access_key(&a, "AKIAUSED")
        .await
        .expect("delete");
    store
        .create_access_key(key(a, alice(), "AKIAUSED", 1), 2)
        .await
        .expect("recreate");
    assert_eq!(last(a).await, None, "a recreated key was never used");
}
