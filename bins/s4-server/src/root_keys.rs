//! Root access keys: rotation (`admin rotate-root-key`, and a new `S4_ROOT_ACCESS_KEY` at
//! start) and recovery (`admin reset-root-key`), within IAM's quota of two keys per owner,
//! inactive keys included.

use s4_naming::AccountId;
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, StorageError};
use time::OffsetDateTime;

use crate::bootstrap::{generate_access_key_id, generate_secret_access_key, MAX_KEYS_PER_OWNER};

/// What a rotation or a reset did besides storing the new key.
#[derive(Debug)]
pub struct Replaced {
    /// Root keys deleted to make room under the quota, oldest first.
    pub deleted: Vec<String>,
    /// Root keys deactivated because the new key replaces them.
    pub deactivated: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// Both root key slots hold active keys: which one goes is the operator's choice.
    #[error(
        "account {account} already has {MAX_KEYS_PER_OWNER} active root keys ({}), the \
         AccessKeysPerUser limit; deactivate or delete one first with `s4-server admin \
         deactivate-key` or `delete-key --account {account} --key ID`",
        .active.join(", ")
    )]
    NoRoom {
        account: AccountId,
        active: Vec<String>,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A new active root key for `account` with a fresh ID and secret.
pub fn generate(account: AccountId) -> AccessKey {
    with_secret(
        account,
        generate_access_key_id(),
        generate_secret_access_key(),
    )
}

/// A new active root key for `account` with the given ID and secret.
pub fn with_secret(account: AccountId, access_key_id: String, secret: String) -> AccessKey {
    AccessKey {
        access_key_id,
        secret_access_key: secret,
        account,
        owner: KeyOwner::Root,
        status: KeyStatus::Active,
        created: OffsetDateTime::now_utc(),
    }
}

/// Stores `key` as the account's active root key and deactivates (never deletes) the root
/// keys it replaces. At the quota, the oldest inactive root key is deleted to make room;
/// with no inactive one, nothing changes and [`RotateError::NoRoom`] says what to do.
/// `EntityAlreadyExists` when the key ID is stored already (also when it appears meanwhile).
pub async fn rotate<I: IdentityStore>(store: &I, key: &AccessKey) -> Result<Replaced, RotateError> {
    let existing = store
        .list_access_keys(&key.account, &KeyOwner::Root)
        .await?;
    if existing
        .iter()
        .any(|k| k.access_key_id == key.access_key_id)
    {
        return Err(StorageError::EntityAlreadyExists(format!(
            "the access key {} already exists",
            key.access_key_id
        ))
        .into());
    }
    let mut deleted = Vec::new();
    let mut remaining: Vec<&AccessKey> = existing.iter().collect();
    while remaining.len() >= MAX_KEYS_PER_OWNER {
        let Some(at) = remaining
            .iter()
            .position(|k| k.status == KeyStatus::Inactive)
        else {
            return Err(RotateError::NoRoom {
                account: key.account,
                active: remaining.iter().map(|k| k.access_key_id.clone()).collect(),
            });
        };
        let oldest_inactive = remaining.remove(at);
        delete_if_present(store, oldest_inactive).await?;
        deleted.push(oldest_inactive.access_key_id.clone());
    }
    store
        .create_access_key(key.clone(), MAX_KEYS_PER_OWNER)
        .await?;
    let mut deactivated = Vec::new();
    for old in remaining.iter().filter(|k| k.status == KeyStatus::Active) {
        match store
            .set_access_key_status(&key.account, &old.access_key_id, KeyStatus::Inactive)
            .await
        {
            // Deleted meanwhile (another server rotating at the same moment).
            Ok(()) | Err(StorageError::NoSuchEntity(_)) => {}
            Err(other) => return Err(other.into()),
        }
        deactivated.push(old.access_key_id.clone());
    }
    Ok(Replaced {
        deleted,
        deactivated,
    })
}

/// Recovery: stores `key` as a new active root key whatever state the account's root keys
/// are in, deleting the oldest ones (inactive first) as needed to stay within the quota. The
/// remaining keys keep their status.
pub async fn reset<I: IdentityStore>(store: &I, key: &AccessKey) -> Result<Replaced, StorageError> {
    let mut remaining = store
        .list_access_keys(&key.account, &KeyOwner::Root)
        .await?;
    let mut deleted = Vec::new();
    while remaining.len() >= MAX_KEYS_PER_OWNER {
        let at = remaining
            .iter()
            .position(|k| k.status == KeyStatus::Inactive)
            .unwrap_or(0);
        let oldest = remaining.remove(at);
        delete_if_present(store, &oldest).await?;
        deleted.push(oldest.access_key_id);
    }
    store
        .create_access_key(key.clone(), MAX_KEYS_PER_OWNER)
        .await?;
    Ok(Replaced {
        deleted,
        deactivated: Vec::new(),
    })
}

async fn delete_if_present<I: IdentityStore>(
    store: &I,
    key: &AccessKey,
) -> Result<(), StorageError> {
    match store
        .delete_access_key(&key.account, &key.access_key_id)
        .await
    {
        Ok(()) | Err(StorageError::NoSuchEntity(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use s4_storage::memory::MemoryStore;

    use super::*;

    async fn roots(store: &MemoryStore, account: &AccountId) -> Vec<(String, KeyStatus)> {
        store
            .list_access_keys(account, &KeyOwner::Root)
            .await
            .unwrap()
            .into_iter()
            .map(|k| (k.access_key_id, k.status))
            .collect()
    }

    fn named(account: AccountId, id: &str) -> AccessKey {
        with_secret(account, id.to_owned(), format!("secret-{id}"))
    }

    #[tokio::test]
    async fn rotations_deactivate_the_old_key_and_recycle_the_inactive_slot() {
        use KeyStatus::{Active, Inactive};
        let store = MemoryStore::new();
        let account = AccountId::from_number(5).unwrap();
        store.create_account(&account).await.unwrap();
        let first = rotate(&store, &named(account, "K1")).await.unwrap();
        assert!(first.deleted.is_empty() && first.deactivated.is_empty());
        let second = rotate(&store, &named(account, "K2")).await.unwrap();
        assert_eq!(second.deactivated, ["K1"]);
        assert!(second.deleted.is_empty());
        assert_eq!(
            roots(&store, &account).await,
            [("K1".to_owned(), Inactive), ("K2".to_owned(), Active)]
        );
        let third = rotate(&store, &named(account, "K3")).await.unwrap();
        assert_eq!(
            (third.deleted, third.deactivated),
            (vec!["K1".to_owned()], vec!["K2".to_owned()])
        );
        assert_eq!(
            roots(&store, &account).await,
            [("K2".to_owned(), Inactive), ("K3".to_owned(), Active)]
        );
        // Both slots active: the operator chooses; nothing changes.
        store
            .set_access_key_status(&account, "K2", Active)
            .await
            .unwrap();
        let refused = rotate(&store, &named(account, "K4")).await.unwrap_err();
        assert!(
            matches!(&refused, RotateError::NoRoom { active, .. } if *active == ["K2", "K3"]),
            "{refused}"
        );
        assert!(refused
            .to_string()
            .contains("s4-server admin deactivate-key"));
        assert_eq!(
            roots(&store, &account).await,
            [("K2".to_owned(), Active), ("K3".to_owned(), Active)]
        );
        assert!(matches!(
            rotate(&store, &named(account, "K3")).await,
            Err(RotateError::Storage(StorageError::EntityAlreadyExists(_)))
        ));
        // A reset always makes room: the oldest goes, the other keeps its status.
        let reset_one = reset(&store, &named(account, "K5")).await.unwrap();
        assert_eq!(reset_one.deleted, ["K2"]);
        assert_eq!(
            roots(&store, &account).await,
            [("K3".to_owned(), Active), ("K5".to_owned(), Active)]
        );
    }
}
