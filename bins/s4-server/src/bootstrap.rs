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
    let (account, created_account) = match accounts.first() {
        Some(first) => (first.id, false),
        None => (create_account(store).await?, true),
    };
    let key = match given {
        Some(given) => {
            if let Some(existing) = store.get_access_key(&given.access_key_id).await? {
                if existing.secret_access_key != given.secret_access_key {
                    return Err(StorageError::Internal(format!(
                        "access key {} exists with a different secret; refusing to start",
                        given.access_key_id
                    )));
                }
                return Ok(Bootstrap::Existing {
                    account: existing.account,
                });
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
    store
        .create_access_key(key.clone(), MAX_KEYS_PER_OWNER)
        .await?;
    Ok(Bootstrap::Created { account, key })
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
}
