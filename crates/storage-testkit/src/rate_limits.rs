//! Per-account request-rate overrides: set, replace, clear, per account, only for accounts
//! that exist.

use s4_storage::{IdentityStore, RateLimit, RateLimitStore, StorageError};

use super::support::{account_a, account_b, expect_err};
use super::{case, Case};

pub(super) fn cases<S: IdentityStore + RateLimitStore>() -> Vec<Case<S>> {
    vec![
        case!(rate_limits::set_replace_and_clear),
        case!(rate_limits::accounts_are_independent),
        case!(rate_limits::unknown_account),
    ]
}

fn limit(rate: u32, burst: u32) -> RateLimit {
    RateLimit::new(rate, Some(burst)).expect("a valid limit")
}

async fn set_replace_and_clear<S: IdentityStore + RateLimitStore>(store: &S) {
    let a = account_a();
    store.create_account(&a).await.expect("create account");
    assert_eq!(store.rate_limits().await.expect("list"), vec![]);
    store
        .set_rate_limit(&a, Some(limit(100, 150)))
        .await
        .expect("set");
    assert_eq!(
        store.rate_limits().await.expect("list"),
        vec![(a, limit(100, 150))]
    );
    store
        .set_rate_limit(&a, Some(limit(7, 1)))
        .await
        .expect("replace");
    assert_eq!(
        store.rate_limits().await.expect("list"),
        vec![(a, limit(7, 1))],
        "a second set replaces the first"
    );
    // The largest values survive the round trip.
    store
        .set_rate_limit(&a, Some(limit(u32::MAX, u32::MAX)))
        .await
        .expect("set the largest");
    assert_eq!(
        store.rate_limits().await.expect("list"),
        vec![(a, limit(u32::MAX, u32::MAX))]
    );
    store.set_rate_limit(&a, None).await.expect("clear");
    assert_eq!(store.rate_limits().await.expect("list"), vec![]);
    store
        .set_rate_limit(&a, None)
        .await
        .expect("clearing an absent override is not an error");
}

async fn accounts_are_independent<S: IdentityStore + RateLimitStore>(store: &S) {
    let (a, b) = (account_a(), account_b());
    store.create_account(&a).await.expect("create a");
    store.create_account(&b).await.expect("create b");
    store
        .set_rate_limit(&b, Some(limit(2, 3)))
        .await
        .expect("b");
    store
        .set_rate_limit(&a, Some(limit(1, 1)))
        .await
        .expect("a");
    let mut expected = vec![(a, limit(1, 1)), (b, limit(2, 3))];
    expected.sort_by_key(|(account, _)| *account);
    assert_eq!(
        store.rate_limits().await.expect("list"),
        expected,
        "by account ID"
    );
    store.set_rate_limit(&a, None).await.expect("clear a");
    assert_eq!(
        store.rate_limits().await.expect("list"),
        vec![(b, limit(2, 3))],
        "clearing one account leaves the other's override"
    );
}

async fn unknown_account<S: IdentityStore + RateLimitStore>(store: &S) {
    let a = account_a();
    expect_err!(
        store.set_rate_limit(&a, Some(limit(1, 1))).await,
        StorageError::NoSuchEntity(_),
        "an override for an account never created"
    );
    assert_eq!(
        store.rate_limits().await.expect("list"),
        vec![],
        "the refused override was not stored"
    );
}
