//! First start: one account and its root access key.
//!
//! The key comes from `S4_ROOT_ACCESS_KEY` / `S4_ROOT_SECRET_KEY` when both are set (CI, scripted
//! set-ups); otherwise it is generated from the operating system's CSPRNG, stored, and printed
//! once. Later starts find the account and print nothing secret.

use rand::Rng;
pub use s4_iam::{generate_access_key_id, generate_secret_access_key};
use s4_naming::AccountId;
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, StorageError};
use time::OffsetDateTime;

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
    /// A new account and root key were created; the secret must be shown to the operator.
    Created { account: AccountId, key: AccessKey },
    /// The data dir already had an account (and the given key, if any, is present).
    Existing { account: AccountId },
}

/// Makes sure there is an account and, if one was given, that the root key exists.
pub async fn ensure_root<I: IdentityStore>(
    store: &I,
    given: Option<GivenRootKey>,
) -> Result<Bootstrap, StorageError> {
    let accounts = store.list_accounts().await?;
    let (account, created_account) = match (accounts.first(), &given) {
        (Some(first), _) => (first.id, false),
        // Servers of a cluster start with the same given key, possibly at the same moment on
        // an empty database: deriving the account from the key makes them all create (or find)
        // the same one instead of one account each.
        (None, Some(given)) => (
            create_account_for_key(store, &given.access_key_id).await?,
            true,
        ),
        (None, None) => (create_account(store).await?, true),
    };
    let key = match given {
        Some(given) => {
            if let Some(existing) = store.get_access_key(&given.access_key_id).await? {
                return existing_root(&existing, &given.secret_access_key);
            }
            new_root_key(account, given.access_key_id, given.secret_access_key)
        }
        None if created_account => new_root_key(
            account,
            generate_access_key_id(),
            generate_secret_access_key(),
        ),
        None => return Ok(Bootstrap::Existing { account }),
    };
    match store
        .create_access_key(key.clone(), MAX_KEYS_PER_OWNER)
        .await
    {
        Ok(()) => Ok(Bootstrap::Created { account, key }),
        // A server starting at the same moment stored the same given key first.
        Err(StorageError::EntityAlreadyExists(_)) => {
            match store.get_access_key(&key.access_key_id).await? {
                Some(existing) => existing_root(&existing, &key.secret_access_key),
                None => Err(StorageError::Internal(format!(
                    "access key {} was reported to exist but is missing",
                    key.access_key_id
                ))),
            }
        }
        Err(other) => Err(other),
    }
}

/// A given root key that is already stored: accepted if its secret matches.
fn existing_root(existing: &AccessKey, given_secret: &str) -> Result<Bootstrap, StorageError> {
    if existing.secret_access_key != given_secret {
        return Err(StorageError::Internal(format!(
            "access key {} exists with a different secret; refusing to start",
            existing.access_key_id
        )));
    }
    Ok(Bootstrap::Existing {
        account: existing.account,
    })
}

/// The account a given root key belongs to on an empty store: a 15-digit ID derived from
/// the key ID (FNV-1a, stable across builds), created unless a racing server already did.
async fn create_account_for_key<I: IdentityStore>(
    store: &I,
    access_key_id: &str,
) -> Result<AccountId, StorageError> {
    let id = AccountId::from_number(derived_account_number(access_key_id)).expect("in range");
    match store.create_account(&id).await {
        Ok(_) | Err(StorageError::EntityAlreadyExists(_)) => Ok(id),
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

pub async fn create_account<I: IdentityStore>(store: &I) -> Result<AccountId, StorageError> {
    // Random IDs, like AWS's, so that IDs say nothing about how many accounts exist. A
    // collision is retried.
    loop {
        let n = rand::rng().random_range(100_000_000_000_000..=999_999_999_999_999u64);
        let id = AccountId::from_number(n).expect("in range");
        match store.create_account(&id).await {
            Ok(account) => return Ok(account.id),
            Err(StorageError::EntityAlreadyExists(_)) => {}
            Err(other) => return Err(other),
        }
    }
}

fn new_root_key(account: AccountId, access_key_id: String, secret: String) -> AccessKey {
    AccessKey {
        access_key_id,
        secret_access_key: secret,
        account,
        owner: KeyOwner::Root,
        status: KeyStatus::Active,
        created: OffsetDateTime::now_utc(),
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
            let Bootstrap::Created { account, key } = ensure_root(&store, None).await.unwrap()
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
            let again = ensure_root(&store, None).await.unwrap();
            assert!(matches!(again, Bootstrap::Existing { account: a } if a == account));
            assert_eq!(store.list_accounts().await.unwrap().len(), 1);
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
            let Bootstrap::Created { key, .. } =
                ensure_root(&store, Some(given.clone())).await.unwrap()
            else {
                panic!("must create")
            };
            assert_eq!(key.access_key_id, given.access_key_id);
            assert!(matches!(
                ensure_root(&store, Some(given.clone())).await.unwrap(),
                Bootstrap::Existing { .. }
            ));
            let conflicting = GivenRootKey {
                secret_access_key: "t".repeat(40),
                ..given
            };
            assert!(ensure_root(&store, Some(conflicting)).await.is_err());
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
                        block_on(ensure_root(&*store, Some(given)))
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
