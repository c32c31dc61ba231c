//! First start: one account and its root access key.
//!
//! The key comes from `S4_ROOT_ACCESS_KEY` / `S4_ROOT_SECRET_KEY` when both are set (CI, scripted
//! set-ups); otherwise it is generated from the operating system's CSPRNG, stored, and printed
//! once. Later starts find the account and print nothing secret. A later start with a key ID
//! the data dir does not have is a rotation: the key is added and the one it replaces
//! deactivated (logged); the same key ID with another secret refuses to start, naming the
//! admin command that resolves it.

use rand::Rng;
pub use s4_iam::{generate_access_key_id, generate_secret_access_key};
use s4_naming::AccountId;
use s4_storage::quota::AccountQuota;
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, ObjectStore, StorageError};

use crate::root_keys::{self, Replaced, RotateError};

/// AWS's per-owner key quota; the root gets the same.
pub const MAX_KEYS_PER_OWNER: usize = s4_iam::MAX_ACCESS_KEYS_PER_OWNER;

/// Root credentials supplied by the operator.
#[derive(Clone)]
pub struct GivenRootKey {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for GivenRootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GivenRootKey")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl GivenRootKey {
    /// Reads `S4_ROOT_ACCESS_KEY` and `S4_ROOT_SECRET_KEY`; both or neither must be set.
    pub fn from_env() -> Result<Option<Self>, String> {
        let id = std::env::var("S4_ROOT_ACCESS_KEY")
            .ok()
            .filter(|v| !v.is_empty());
        let secret = std::env::var("S4_ROOT_SECRET_KEY")
            .ok()
            .filter(|v| !v.is_empty());
        match (id, secret) {
            (Some(access_key_id), Some(secret_access_key)) => Ok(Some(Self {
                access_key_id,
                secret_access_key,
            })),
            (None, None) => Ok(None),
            _ => Err("set both S4_ROOT_ACCESS_KEY and S4_ROOT_SECRET_KEY, or neither".to_owned()),
        }
    }
}

/// What start-up found or made.
#[derive(Debug)]
pub enum Bootstrap {
    /// A new account with a generated root key; the secret must be shown to the operator.
    NewAccount { account: AccountId, key: AccessKey },
    /// The given key was stored as a root key of `account` (new or existing): a first start
    /// or a rotation through the environment.
    AddedGivenKey {
        account: AccountId,
        access_key_id: String,
        replaced: Replaced,
    },
    /// The data dir already had an account (and the given key, if any).
    Existing { account: AccountId },
}

/// How often a start retries when another server changes the same root keys at once.
const ATTEMPTS: usize = 3;

/// Makes sure there is an account and, if one was given, that the root key exists: a key ID
/// the data dir does not have is added as a root key of the (first) account, replacing the
/// older root key as `admin rotate-root-key` does (see [`root_keys::rotate`]). An account
/// created here gets `default_quota` (see [`create_account`]).
pub async fn ensure_root<I: IdentityStore + ObjectStore>(
    store: &I,
    given: Option<GivenRootKey>,
    default_quota: &AccountQuota,
) -> Result<Bootstrap, String> {
    let accounts = store.list_accounts().await.map_err(|e| e.to_string())?;
    let Some(given) = given else {
        if let Some(first) = accounts.first() {
            return Ok(Bootstrap::Existing { account: first.id });
        }
        let account = create_account(store, default_quota)
            .await
            .map_err(|e| e.to_string())?;
        let key = root_keys::generate(account);
        store
            .create_access_key(key.clone(), MAX_KEYS_PER_OWNER)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(Bootstrap::NewAccount { account, key });
    };
    let account = match accounts.first() {
        Some(first) => first.id,
        // Servers of a cluster start with the same given key, possibly at the same moment on
        // an empty database: deriving the account from the key makes them all create (or find)
        // the same one instead of one account each.
        None => create_account_for_key(store, &given.access_key_id, default_quota)
            .await
            .map_err(|e| e.to_string())?,
    };
    for attempt in 1..=ATTEMPTS {
        let found = store
            .get_access_key(&given.access_key_id)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(existing) = found {
            return existing_root(store, &existing, &given.secret_access_key).await;
        }
        let key = root_keys::with_secret(
            account,
            given.access_key_id.clone(),
            given.secret_access_key.clone(),
        );
        match root_keys::rotate(store, &key).await {
            Ok(replaced) => {
                for id in &replaced.deleted {
                    tracing::warn!(%account, access_key_id = %id, "deleted the inactive root key to make room for S4_ROOT_ACCESS_KEY (AccessKeysPerUser limit {MAX_KEYS_PER_OWNER})");
                }
                for id in &replaced.deactivated {
                    tracing::warn!(%account, access_key_id = %id, new_access_key_id = %key.access_key_id, "deactivated the root key S4_ROOT_ACCESS_KEY replaces (`s4-server admin activate-key` turns it back on)");
                }
                return Ok(Bootstrap::AddedGivenKey {
                    account,
                    access_key_id: key.access_key_id,
                    replaced,
                });
            }
            // Another server stored the key, or changed the root keys, at the same moment.
            Err(RotateError::Storage(
                StorageError::EntityAlreadyExists(_) | StorageError::LimitExceeded(_),
            )) if attempt < ATTEMPTS => {}
            Err(other) => {
                return Err(format!(
                    "cannot add S4_ROOT_ACCESS_KEY {}: {other}",
                    key.access_key_id
                ))
            }
        }
    }
    unreachable!("the last attempt returns")
}

/// A given root key that is already stored: accepted if it is a root key with the same
/// secret; an inactive one is only warned about (the operator turned it off on purpose).
async fn existing_root<I: IdentityStore>(
    store: &I,
    existing: &AccessKey,
    given_secret: &str,
) -> Result<Bootstrap, String> {
    let (id, account) = (&existing.access_key_id, existing.account);
    if let KeyOwner::User(user) = &existing.owner {
        return Err(format!(
            "S4_ROOT_ACCESS_KEY {id} is the access key of IAM user {user} of account {account}, \
             not a root key; choose another key ID"
        ));
    }
    if existing.secret_access_key != given_secret {
        let force = if last_active_root(store, existing).await {
            " --force"
        } else {
            ""
        };
        return Err(format!(
            "S4_ROOT_ACCESS_KEY {id} is stored with a different secret than \
             S4_ROOT_SECRET_KEY; refusing to start. To replace the secret, remove the stored \
             key with `s4-server admin delete-key --account {account} --key {id}{force}` and \
             start again (the key is then added with the new secret); to rotate, choose a new \
             key ID instead"
        ));
    }
    if existing.status == KeyStatus::Inactive {
        tracing::warn!(%account, access_key_id = %id, "S4_ROOT_ACCESS_KEY is inactive and refused by authentication; `s4-server admin activate-key` turns it back on");
    }
    Ok(Bootstrap::Existing { account })
}

/// Whether `key` is the only active root key of its account (a storage error counts as yes:
/// the message then suggests `--force`, which is harmless).
async fn last_active_root<I: IdentityStore>(store: &I, key: &AccessKey) -> bool {
    store
        .list_access_keys(&key.account, &KeyOwner::Root)
        .await
        .map_or(true, |keys| {
            !keys
                .iter()
                .any(|k| k.status == KeyStatus::Active && k.access_key_id != key.access_key_id)
        })
}

/// The account a given root key belongs to on an empty store: a 15-digit ID derived from
/// the key ID (FNV-1a, stable across builds), created unless a racing server already did.
async fn create_account_for_key<I: IdentityStore + ObjectStore>(
    store: &I,
    access_key_id: &str,
    default_quota: &AccountQuota,
) -> Result<AccountId, StorageError> {
    let id = AccountId::from_number(derived_account_number(access_key_id)).expect("in range");
    match create_with_quota(store, &id, default_quota).await {
        Ok(true | false) => Ok(id),
        Err(other) => Err(other),
    }
}

fn derived_account_number(access_key_id: &str) -> u64 {
    let hash = access_key_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    100_000_000_000_000 + hash % 900_000_000_000_000
}

/// Creates an account with a random ID and `default_quota` (the configuration's
/// `default_max_*`) stored as its own quota, so that a later change of the configuration
/// changes no existing account.
pub async fn create_account<I: IdentityStore + ObjectStore>(
    store: &I,
    default_quota: &AccountQuota,
) -> Result<AccountId, StorageError> {
    // Random IDs, like AWS's, so that IDs say nothing about how many accounts exist. A
    // collision is retried.
    loop {
        let n = rand::rng().random_range(100_000_000_000_000..=999_999_999_999_999u64);
        let id = AccountId::from_number(n).expect("in range");
        if create_with_quota(store, &id, default_quota).await? {
            return Ok(id);
        }
    }
}

/// Creates account `id` with `quota`; `false` when it already existed (its quota is left
/// alone). The quota is stored first: an account is never seen without it, and a start
/// that fails between the two leaves only a quota for an account that does not exist, which
/// the next attempt at the same ID overwrites.
async fn create_with_quota<I: IdentityStore + ObjectStore>(
    store: &I,
    id: &AccountId,
    quota: &AccountQuota,
) -> Result<bool, StorageError> {
    if store.get_account(id).await?.is_some() {
        return Ok(false);
    }
    if !quota.is_unlimited() {
        store.set_account_quota(id, *quota).await?;
    }
    match store.create_account(id).await {
        Ok(_) => Ok(true),
        Err(StorageError::EntityAlreadyExists(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod store_tests {
    use s4_storage::memory::MemoryStore;

    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn first_start_creates_an_account_and_a_root_key_once() {
        block_on(async {
            let store = MemoryStore::new();
            let Bootstrap::NewAccount { account, key } =
                ensure_root(&store, None, &AccountQuota::default())
                    .await
                    .unwrap()
            else {
                panic!("first start must create")
            };
            assert_eq!(key.account, account);
            assert_eq!(key.owner, KeyOwner::Root);
            let stored = store
                .get_access_key(&key.access_key_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.secret_access_key, key.secret_access_key);
            let again = ensure_root(&store, None, &AccountQuota::default())
                .await
                .unwrap();
            assert!(matches!(again, Bootstrap::Existing { account: a } if a == account));
            assert_eq!(store.list_accounts().await.unwrap().len(), 1);
        });
    }

    #[test]
    fn a_new_account_keeps_the_default_quota_it_was_created_with() {
        block_on(async {
            let default = AccountQuota {
                max_bytes: Some(1000),
                max_objects: None,
                max_buckets: Some(2),
            };
            let generated = MemoryStore::new();
            let Bootstrap::NewAccount { account, .. } =
                ensure_root(&generated, None, &default).await.unwrap()
            else {
                panic!("first start must create")
            };
            assert_eq!(generated.account_quota(&account).await.unwrap(), default);
            // A later start with another default changes no existing account.
            let other = AccountQuota {
                max_bytes: Some(1),
                ..AccountQuota::default()
            };
            ensure_root(&generated, None, &other).await.unwrap();
            assert_eq!(generated.account_quota(&account).await.unwrap(), default);
            let second = create_account(&generated, &other).await.unwrap();
            assert_eq!(generated.account_quota(&second).await.unwrap(), other);

            let keyed = MemoryStore::new();
            let given = GivenRootKey {
                access_key_id: "AKIAGIVEN00000000009".into(),
                secret_access_key: "s".repeat(40),
            };
            let Bootstrap::AddedGivenKey { account, .. } =
                ensure_root(&keyed, Some(given), &default).await.unwrap()
            else {
                panic!("first start must add the given key")
            };
            assert_eq!(keyed.account_quota(&account).await.unwrap(), default);
            assert_eq!(keyed.account_quotas().await.unwrap().len(), 1);
        });
    }

    #[test]
    fn a_given_key_is_added_once_and_a_conflicting_secret_refused() {
        block_on(async {
            let store = MemoryStore::new();
            let given = GivenRootKey {
                access_key_id: "AKIAGIVEN00000000001".into(),
                secret_access_key: "s".repeat(40),
            };
            let Bootstrap::AddedGivenKey { access_key_id, .. } =
                ensure_root(&store, Some(given.clone()), &AccountQuota::default())
                    .await
                    .unwrap()
            else {
                panic!("must create")
            };
            assert_eq!(access_key_id, given.access_key_id);
            assert!(matches!(
                ensure_root(&store, Some(given.clone()), &AccountQuota::default())
                    .await
                    .unwrap(),
                Bootstrap::Existing { .. }
            ));
            let conflicting = GivenRootKey {
                secret_access_key: "t".repeat(40),
                ..given.clone()
            };
            let refused = ensure_root(&store, Some(conflicting), &AccountQuota::default())
                .await
                .unwrap_err();
            let account = store.list_accounts().await.unwrap()[0].id;
            assert!(
                refused.contains(&format!(
                    "`s4-server admin delete-key --account {account} --key {} --force`",
                    given.access_key_id
                )),
                "{refused}"
            );
        });
    }

    #[test]
    fn new_given_keys_rotate_the_root_key_every_time() {
        block_on(async {
            let store = MemoryStore::new();
            let given = |n: u32| GivenRootKey {
                access_key_id: format!("AKIAROTATE0000000{n:03}"),
                secret_access_key: format!("{n:040}"),
            };
            ensure_root(&store, Some(given(1)), &AccountQuota::default())
                .await
                .unwrap();
            for n in 2..=4 {
                let Bootstrap::AddedGivenKey { replaced, .. } =
                    ensure_root(&store, Some(given(n)), &AccountQuota::default())
                        .await
                        .unwrap()
                else {
                    panic!("rotation {n} must add the key")
                };
                assert_eq!(replaced.deactivated, [given(n - 1).access_key_id]);
                let expected_deleted: Vec<String> = (n > 2)
                    .then(|| given(n - 2).access_key_id)
                    .into_iter()
                    .collect();
                assert_eq!(replaced.deleted, expected_deleted);
                // The restart after the rotation finds everything in place.
                assert!(matches!(
                    ensure_root(&store, Some(given(n)), &AccountQuota::default())
                        .await
                        .unwrap(),
                    Bootstrap::Existing { .. }
                ));
            }
            assert_eq!(store.list_accounts().await.unwrap().len(), 1);
        });
    }

    #[test]
    fn simultaneous_first_starts_with_one_given_key_make_one_account() {
        let given = GivenRootKey {
            access_key_id: "AKIACLUSTER000000001".into(),
            secret_access_key: "c".repeat(40),
        };
        // Two servers released at the same moment on an empty store, many times over.
        for _ in 0..200 {
            let store = std::sync::Arc::new(MemoryStore::new());
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            let starts: Vec<_> = (0..2)
                .map(|_| {
                    let (store, barrier, given) = (store.clone(), barrier.clone(), given.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        block_on(ensure_root(&*store, Some(given), &AccountQuota::default()))
                    })
                })
                .collect();
            for start in starts {
                start.join().unwrap().expect("every start succeeds");
            }
            block_on(async {
                let accounts = store.list_accounts().await.unwrap();
                assert_eq!(accounts.len(), 1, "one account for the cluster");
                let key = store
                    .get_access_key(&given.access_key_id)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(key.account, accounts[0].id);
            });
        }
    }

    #[test]
    fn the_derived_account_is_stable_and_well_formed() {
        let n = derived_account_number("AKIACLUSTER000000001");
        assert_eq!(n, derived_account_number("AKIACLUSTER000000001"));
        assert_ne!(n, derived_account_number("AKIACLUSTER000000002"));
        assert!(AccountId::from_number(n).is_ok());
    }
}
