//! The key-lifecycle admin commands: `list-keys`, `create-key`, `deactivate-key`,
//! `activate-key`, `delete-key`, `rotate-root-key` and `reset-root-key`.
//!
//! Secrets are printed once, by the commands that create a key. Taking away an account's last
//! active root key (deactivating or deleting it) needs `--force`: without one, nobody can sign
//! as the account's root until `reset-root-key` makes a new key on the data dir.

use s4_naming::AccountId;
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, StorageError};
use time::OffsetDateTime;

use crate::admin::{describe, rfc3339};
use crate::bootstrap::{generate_access_key_id, generate_secret_access_key, MAX_KEYS_PER_OWNER};
use crate::root_keys::{self, Replaced};

/// `list-keys --account ID [--user NAME]`: the root's and every user's keys (or one user's),
/// oldest first per owner, with status, creation and last use; never secrets.
pub async fn list_keys<S: IdentityStore>(
    store: &S,
    account: &AccountId,
    user: Option<&str>,
) -> Result<Vec<String>, String> {
    let owners = if let Some(name) = user {
        let user = store.get_user(account, name).await.map_err(describe)?;
        vec![KeyOwner::User(user.name)]
    } else {
        let mut owners = vec![KeyOwner::Root];
        for user in store.list_users(account).await.map_err(describe)? {
            owners.push(KeyOwner::User(user.name));
        }
        owners
    };
    let mut lines = Vec::new();
    for owner in owners {
        for key in store
            .list_access_keys(account, &owner)
            .await
            .map_err(describe)?
        {
            let last_used = store
                .access_key_last_used(account, &key.access_key_id)
                .await
                .map_err(describe)?;
            lines.push(key_line(&key, last_used));
        }
    }
    Ok(lines)
}

/// `create-key --account ID [--user NAME]`: a new active key, its secret printed once.
pub async fn create_key<S: IdentityStore>(
    store: &S,
    account: AccountId,
    user: Option<&str>,
) -> Result<Vec<String>, String> {
    let owner = match user {
        Some(name) => KeyOwner::User(store.get_user(&account, name).await.map_err(describe)?.name),
        None => KeyOwner::Root,
    };
    let key = AccessKey {
        access_key_id: generate_access_key_id(),
        secret_access_key: generate_secret_access_key(),
        account,
        owner,
        status: KeyStatus::Active,
        created: OffsetDateTime::now_utc(),
    };
    match store
        .create_access_key(key.clone(), MAX_KEYS_PER_OWNER)
        .await
    {
        Ok(()) => Ok(secret_lines(&key)),
        Err(StorageError::LimitExceeded(_)) => Err(format!(
            "{} already has {MAX_KEYS_PER_OWNER} access keys, the AccessKeysPerUser limit \
             (inactive keys count): delete one with `s4-server admin delete-key --account \
             {account} --key ID`{}",
            owner_name(&key.owner),
            if key.owner == KeyOwner::Root {
                ", or replace the oldest with `rotate-root-key`"
            } else {
                ""
            }
        )),
        Err(other) => Err(describe(other)),
    }
}

/// `deactivate-key` / `activate-key --account ID --key ID`. Inactive keys are refused by
/// authentication (`InvalidAccessKeyId`) and count against the quota.
pub async fn set_status<S: IdentityStore>(
    store: &S,
    account: &AccountId,
    access_key_id: &str,
    status: KeyStatus,
    force: bool,
) -> Result<Vec<String>, String> {
    let key = key_of(store, account, access_key_id).await?;
    let mut lines = Vec::new();
    if status == KeyStatus::Inactive {
        lines.extend(guard_last_active_root(store, &key, "deactivate", force).await?);
    }
    store
        .set_access_key_status(account, access_key_id, status)
        .await
        .map_err(describe)?;
    let done = match status {
        KeyStatus::Active => "activated",
        KeyStatus::Inactive => "deactivated",
    };
    lines.insert(
        0,
        format!(
            "{done} access key {access_key_id} ({})",
            owner_name(&key.owner)
        ),
    );
    Ok(lines)
}

/// `delete-key --account ID --key ID [--force]`.
pub async fn delete_key<S: IdentityStore>(
    store: &S,
    account: &AccountId,
    access_key_id: &str,
    force: bool,
) -> Result<Vec<String>, String> {
    let key = key_of(store, account, access_key_id).await?;
    let warning = guard_last_active_root(store, &key, "delete", force).await?;
    store
        .delete_access_key(account, access_key_id)
        .await
        .map_err(describe)?;
    let mut lines = vec![format!(
        "deleted access key {access_key_id} ({})",
        owner_name(&key.owner)
    )];
    lines.extend(warning);
    Ok(lines)
}

/// `rotate-root-key --account ID`: a new root key (secret printed once); the key it replaces
/// is deactivated, not deleted (`activate-key` undoes it).
pub async fn rotate_root_key<S: IdentityStore>(
    store: &S,
    account: AccountId,
) -> Result<Vec<String>, String> {
    let key = root_keys::generate(account);
    let replaced = root_keys::rotate(store, &key)
        .await
        .map_err(|e| e.to_string())?;
    Ok(replaced_lines(&key, &replaced))
}

/// `reset-root-key --account ID`: recovery when no root key works (all deleted, deactivated
/// or their secrets lost): a new active root key, deleting the oldest root keys (inactive
/// first) as needed to stay within the quota.
pub async fn reset_root_key<S: IdentityStore>(
    store: &S,
    account: AccountId,
) -> Result<Vec<String>, String> {
    let key = root_keys::generate(account);
    let replaced = root_keys::reset(store, &key).await.map_err(describe)?;
    Ok(replaced_lines(&key, &replaced))
}

fn replaced_lines(key: &AccessKey, replaced: &Replaced) -> Vec<String> {
    let mut lines = secret_lines(key);
    lines.extend(replaced.deleted.iter().map(|id| {
        format!("deleted root key {id} to make room (AccessKeysPerUser limit {MAX_KEYS_PER_OWNER})")
    }));
    lines.extend(
        replaced
            .deactivated
            .iter()
            .map(|id| format!("deactivated root key {id} (`activate-key` turns it back on)")),
    );
    lines
}

fn secret_lines(key: &AccessKey) -> Vec<String> {
    vec![
        format!("access key id:     {}", key.access_key_id),
        format!("secret access key: {}", key.secret_access_key),
    ]
}

/// The key, if it belongs to the account.
async fn key_of<S: IdentityStore>(
    store: &S,
    account: &AccountId,
    access_key_id: &str,
) -> Result<AccessKey, String> {
    match store
        .get_access_key(access_key_id)
        .await
        .map_err(describe)?
    {
        Some(key) if key.account == *account => Ok(key),
        _ => Err(format!(
            "account {account} has no access key {access_key_id}"
        )),
    }
}

/// Refuses to take away the account's last active root key without `--force`; with it, the
/// line to print about what that means.
async fn guard_last_active_root<S: IdentityStore>(
    store: &S,
    key: &AccessKey,
    verb: &str,
    force: bool,
) -> Result<Option<String>, String> {
    if key.owner != KeyOwner::Root || key.status != KeyStatus::Active {
        return Ok(None);
    }
    let others_active = store
        .list_access_keys(&key.account, &KeyOwner::Root)
        .await
        .map_err(describe)?
        .iter()
        .any(|k| k.status == KeyStatus::Active && k.access_key_id != key.access_key_id);
    if others_active {
        return Ok(None);
    }
    let account = key.account;
    let meaning = format!(
        "{} is the last active root key of account {account}: without it nobody can sign \
         requests as the account's root (IAM users' keys keep working) until \
         `s4-server admin reset-root-key --account {account}` makes a new one",
        key.access_key_id
    );
    if force {
        Ok(Some(format!("warning: {meaning}")))
    } else {
        Err(format!(
            "refusing to {verb}: {meaning}; add --force to {verb} it anyway"
        ))
    }
}

fn key_line(key: &AccessKey, last_used: Option<OffsetDateTime>) -> String {
    let status = match key.status {
        KeyStatus::Active => "Active",
        KeyStatus::Inactive => "Inactive",
    };
    let last_used = last_used.map_or_else(|| "never".to_owned(), rfc3339);
    format!(
        "{}  {}  {status}  created {}  last used {last_used}",
        key.access_key_id,
        owner_name(&key.owner),
        rfc3339(key.created)
    )
}

fn owner_name(owner: &KeyOwner) -> String {
    match owner {
        KeyOwner::Root => "root".to_owned(),
        KeyOwner::User(name) => format!("user/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use s4_storage::memory::MemoryStore;
    use s4_storage::User;

    use super::*;
    use crate::admin::{execute, AdminAnswer, AdminCommand};

    async fn run(store: &MemoryStore, command: AdminCommand) -> Result<Vec<String>, String> {
        match execute(store, &command).await {
            AdminAnswer::Lines(lines) => Ok(lines),
            AdminAnswer::Findings(lines) => Err(lines.join("\n")),
            AdminAnswer::Error(e) => Err(e),
        }
    }

    #[tokio::test]
    async fn user_keys_listing_limits_and_last_use() {
        let store = MemoryStore::new();
        let account = AccountId::from_number(9).unwrap();
        let id = account.to_string();
        store.create_account(&account).await.unwrap();
        store
            .create_user(User {
                account,
                name: "Alice".into(),
                user_id: "AIDAALICE".into(),
                created: OffsetDateTime::now_utc(),
            })
            .await
            .unwrap();
        let create = || AdminCommand::CreateKey {
            account: id.clone(),
            user: Some("alice".into()),
        };
        let first = run(&store, create()).await.unwrap();
        let key_id = first[0].rsplit(' ').next().unwrap().to_owned();
        run(&store, create()).await.unwrap();
        let third = run(&store, create()).await.unwrap_err();
        assert!(
            third.starts_with("user/Alice already has 2 access keys, the AccessKeysPerUser limit"),
            "{third}"
        );
        let unknown = run(
            &store,
            AdminCommand::CreateKey {
                account: id.clone(),
                user: Some("bob".into()),
            },
        )
        .await
        .unwrap_err();
        assert!(unknown.contains("bob"), "{unknown}");

        let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        store.record_access_key_use(&key_id, at).await.unwrap();
        let listed = run(
            &store,
            AdminCommand::ListKeys {
                account: id.clone(),
                user: Some("alice".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(listed.len(), 2);
        assert!(
            listed[0].starts_with(&format!("{key_id}  user/Alice  Active  created "))
                && listed[0].ends_with("  last used 2027-01-15T08:00:00Z"),
            "{listed:?}"
        );
        assert!(listed[1].ends_with("  last used never"), "{listed:?}");

        // A user's keys have no last-key guard: the root is not locked out by them.
        let deleted = run(
            &store,
            AdminCommand::DeleteKey {
                account: id.clone(),
                key: key_id.clone(),
                force: false,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            deleted,
            [format!("deleted access key {key_id} (user/Alice)")]
        );
        // Another account's key is not found through this one.
        let other = AccountId::from_number(10).unwrap();
        store.create_account(&other).await.unwrap();
        let foreign = run(
            &store,
            AdminCommand::DeactivateKey {
                account: other.to_string(),
                key: listed[1].split(' ').next().unwrap().to_owned(),
                force: true,
            },
        )
        .await
        .unwrap_err();
        assert!(foreign.starts_with(&format!("account {other} has no access key")));
    }
}
