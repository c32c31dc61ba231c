//! `IdentityStore` for [`PgStore`]. IAM names are case-preserving but unique regardless of
//! ASCII case: rows are keyed by the lower-cased name (`folded`) and keep the spelling.

use std::collections::HashMap;
use std::hash::Hash;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use s4_naming::AccountId;
use s4_storage::identity_rules::{
    duplicate_account, duplicate_group, duplicate_key, duplicate_user, fold, key_quota, no_account,
    no_group, no_key, no_user, not_a_member, not_attached, GroupReferences, UserReferences,
};
use s4_storage::{
    AccessKey, Account, Group, IdentityStore, KeyOwner, KeyStatus, PolicyTarget, StorageError,
    StorageResult, User,
};
use tokio_postgres::Row;

use crate::coherence::{State, Table};
use crate::objects::{from_nanos, now};
use crate::prepared::Prepared;
use crate::{Db, PgStore};

fn nanos(t: time::OffsetDateTime) -> i64 {
    t.unix_timestamp_nanos()
        .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// `(kind, folded)` of a policy target.
fn target_key(target: &PolicyTarget) -> (i8, String) {
    match target {
        PolicyTarget::User(name) => (b'u' as i8, fold(name)),
        PolicyTarget::Group(name) => (b'g' as i8, fold(name)),
    }
}

/// The owner column: "" for the root, the folded user name otherwise.
fn owner_key(owner: &KeyOwner) -> String {
    match owner {
        KeyOwner::Root => String::new(),
        KeyOwner::User(name) => fold(name),
    }
}

async fn account_exists(
    c: &impl GenericClient,
    account: &AccountId,
    lock: bool,
) -> StorageResult<()> {
    let sql = if lock {
        "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT 1 FROM accounts WHERE id = $1"
    };
    c.pquery_opt(sql, &[&account.as_str()])
        .await
        .db()?
        .map(|_| ())
        .ok_or_else(|| no_account(account))
}

/// The user row (`name`, `user_id`, `created`), after checking the account.
async fn user_row(
    c: &impl GenericClient,
    account: &AccountId,
    name: &str,
    lock: &str,
) -> StorageResult<Row> {
    account_exists(c, account, false).await?;
    c.pquery_opt(
        &format!(
            "SELECT name, user_id, created FROM users WHERE account = $1 AND folded = $2 {lock}"
        ),
        &[&account.as_str(), &fold(name)],
    )
    .await
    .db()?
    .ok_or_else(|| no_user(name))
}

async fn group_row(
    c: &impl GenericClient,
    account: &AccountId,
    name: &str,
    lock: &str,
) -> StorageResult<Row> {
    account_exists(c, account, false).await?;
    c.pquery_opt(
        &format!(
            "SELECT name, group_id, created FROM groups WHERE account = $1 AND folded = $2 {lock}"
        ),
        &[&account.as_str(), &fold(name)],
    )
    .await
    .db()?
    .ok_or_else(|| no_group(name))
}

fn user(account: &AccountId, row: &Row) -> User {
    User {
        account: *account,
        name: row.get(0),
        user_id: row.get(1),
        created: from_nanos(row.get(2)),
    }
}

fn group(account: &AccountId, row: &Row) -> Group {
    Group {
        account: *account,
        name: row.get(0),
        group_id: row.get(1),
        created: from_nanos(row.get(2)),
    }
}

fn access_key(row: &Row) -> StorageResult<AccessKey> {
    let account: String = row.get(2);
    let owner: Option<String> = row.get(3);
    Ok(AccessKey {
        access_key_id: row.get(0),
        secret_access_key: row.get(1),
        account: AccountId::parse(&account)
            .map_err(|e| StorageError::Internal(format!("corrupt account id: {e}")))?,
        owner: owner.map_or(KeyOwner::Root, KeyOwner::User),
        status: if row.get(4) {
            KeyStatus::Active
        } else {
            KeyStatus::Inactive
        },
        created: from_nanos(row.get(5)),
    })
}

const KEY_COLUMNS: &str = "id, secret, account, owner_name, active, created";

/// Locks the target's row (user or group) so that attachments cannot race its deletion.
async fn lock_target(
    c: &impl GenericClient,
    account: &AccountId,
    target: &PolicyTarget,
    lock: &str,
) -> StorageResult<()> {
    match target {
        PolicyTarget::User(name) => user_row(c, account, name, lock).await.map(|_| ()),
        PolicyTarget::Group(name) => group_row(c, account, name, lock).await.map(|_| ()),
    }
}

// The cached tables (coherence.rs) that the authorizer reads on every request.
fn keys(state: &mut State) -> &mut HashMap<String, AccessKey> {
    &mut state.keys
}
fn users(state: &mut State) -> &mut HashMap<(AccountId, String), User> {
    &mut state.users
}
fn groups_of_user(state: &mut State) -> &mut HashMap<(AccountId, String), Vec<Group>> {
    &mut state.groups_of_user
}
fn attached(state: &mut State) -> &mut HashMap<(AccountId, i8, String), Vec<String>> {
    &mut state.attached
}

impl PgStore {
    /// The cached value under `key`, else what `load` reads (cached if nothing changed
    /// meanwhile). Errors (a missing user or target) are never cached.
    async fn cached<K, V>(
        &self,
        table: Table<K, V>,
        key: K,
        load: impl std::future::Future<Output = StorageResult<V>>,
    ) -> StorageResult<V>
    where
        K: Eq + Hash,
        V: Clone,
    {
        let token = match self.caches.get(table, &key) {
            Ok(value) => return Ok(value),
            Err(token) => token,
        };
        let value = load.await?;
        self.caches.put(token, table, key, value.clone());
        Ok(value)
    }

    /// The result of a statement or commit that changed (or may have changed) the account's
    /// identities: this process forgets its cached reads of the account at once, so it reads
    /// its own writes; the others do when the trigger's notification reaches them.
    fn changed<T>(
        &self,
        account: &AccountId,
        result: Result<T, tokio_postgres::Error>,
    ) -> StorageResult<T> {
        self.caches.forget_account(account);
        result.db()
    }
}

#[async_trait]
impl IdentityStore for PgStore {
    async fn create_account(&self, id: &AccountId) -> StorageResult<Account> {
        let (created, t) = now();
        let client = self.client().await?;
        let n = client
            .pexecute(
                "INSERT INTO accounts (id, created) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&id.as_str(), &t],
            )
            .await
            .db()?;
        if n == 0 {
            return Err(duplicate_account(id));
        }
        Ok(Account { id: *id, created })
    }

    async fn get_account(&self, id: &AccountId) -> StorageResult<Option<Account>> {
        let client = self.client().await?;
        Ok(client
            .pquery_opt(
                "SELECT created FROM accounts WHERE id = $1",
                &[&id.as_str()],
            )
            .await
            .db()?
            .map(|row| Account {
                id: *id,
                created: from_nanos(row.get(0)),
            }))
    }

    async fn list_accounts(&self) -> StorageResult<Vec<Account>> {
        let client = self.client().await?;
        let rows = client
            .pquery("SELECT id, created FROM accounts ORDER BY id", &[])
            .await
            .db()?;
        rows.iter()
            .map(|row| {
                let id: String = row.get(0);
                Ok(Account {
                    id: AccountId::parse(&id)
                        .map_err(|e| StorageError::Internal(format!("corrupt account id: {e}")))?,
                    created: from_nanos(row.get(1)),
                })
            })
            .collect()
    }

    async fn create_user(&self, user: User) -> StorageResult<User> {
        let client = self.client().await?;
        account_exists(&client, &user.account, false).await?;
        let n = client
            .pexecute(
                "INSERT INTO users (account, folded, name, user_id, created) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[
                    &user.account.as_str(),
                    &fold(&user.name),
                    &user.name,
                    &user.user_id,
                    &nanos(user.created),
                ],
            )
            .await;
        let n = self.changed(&user.account, n)?;
        if n == 0 {
            return Err(duplicate_user(&user.name));
        }
        Ok(user)
    }

    async fn get_user(&self, account: &AccountId, name: &str) -> StorageResult<User> {
        self.cached(users, (*account, fold(name)), async {
            let client = self.client().await?;
            Ok(user(account, &user_row(&client, account, name, "").await?))
        })
        .await
    }

    async fn list_users(&self, account: &AccountId) -> StorageResult<Vec<User>> {
        let client = self.client().await?;
        account_exists(&client, account, false).await?;
        let rows = client
            .pquery(
                "SELECT name, user_id, created FROM users WHERE account = $1 ORDER BY name",
                &[&account.as_str()],
            )
            .await
            .db()?;
        Ok(rows.iter().map(|r| user(account, r)).collect())
    }

    async fn delete_user(&self, account: &AccountId, name: &str) -> StorageResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.db()?;
        user_row(&tx, account, name, "FOR UPDATE").await?;
        let folded = fold(name);
        let row = tx
            .pquery_one(
                "SELECT EXISTS (SELECT 1 FROM memberships WHERE account = $1 AND user_folded = $2), \
                 EXISTS (SELECT 1 FROM attachments WHERE account = $1 AND kind = 'u' \
                 AND target_folded = $2), \
                 EXISTS (SELECT 1 FROM access_keys WHERE account = $1 AND owner_folded = $2)",
                &[&account.as_str(), &folded],
            )
            .await
            .db()?;
        UserReferences {
            group_memberships: row.get(0),
            attached_policies: row.get(1),
            access_keys: row.get(2),
        }
        .admit_delete(name)?;
        tx.pexecute(
            "DELETE FROM users WHERE account = $1 AND folded = $2",
            &[&account.as_str(), &folded],
        )
        .await
        .db()?;
        self.changed(account, tx.commit().await)
    }

    async fn create_group(&self, group: Group) -> StorageResult<Group> {
        let client = self.client().await?;
        account_exists(&client, &group.account, false).await?;
        let n = client
            .pexecute(
                "INSERT INTO groups (account, folded, name, group_id, created) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[
                    &group.account.as_str(),
                    &fold(&group.name),
                    &group.name,
                    &group.group_id,
                    &nanos(group.created),
                ],
            )
            .await;
        let n = self.changed(&group.account, n)?;
        if n == 0 {
            return Err(duplicate_group(&group.name));
        }
        Ok(group)
    }

    async fn get_group(&self, account: &AccountId, name: &str) -> StorageResult<Group> {
        let client = self.client().await?;
        Ok(group(
            account,
            &group_row(&client, account, name, "").await?,
        ))
    }

    async fn list_groups(&self, account: &AccountId) -> StorageResult<Vec<Group>> {
        let client = self.client().await?;
        account_exists(&client, account, false).await?;
        let rows = client
            .pquery(
                "SELECT name, group_id, created FROM groups WHERE account = $1 ORDER BY name",
                &[&account.as_str()],
            )
            .await
            .db()?;
        Ok(rows.iter().map(|r| group(account, r)).collect())
    }

    async fn delete_group(&self, account: &AccountId, name: &str) -> StorageResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.db()?;
        group_row(&tx, account, name, "FOR UPDATE").await?;
        let folded = fold(name);
        let row = tx
            .pquery_one(
                "SELECT EXISTS (SELECT 1 FROM memberships WHERE account = $1 AND group_folded = $2), \
                 EXISTS (SELECT 1 FROM attachments WHERE account = $1 AND kind = 'g' \
                 AND target_folded = $2)",
                &[&account.as_str(), &folded],
            )
            .await
            .db()?;
        GroupReferences {
            members: row.get(0),
            attached_policies: row.get(1),
        }
        .admit_delete(name)?;
        tx.pexecute(
            "DELETE FROM groups WHERE account = $1 AND folded = $2",
            &[&account.as_str(), &folded],
        )
        .await
        .db()?;
        self.changed(account, tx.commit().await)
    }

    async fn add_user_to_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> StorageResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.db()?;
        user_row(&tx, account, user, "FOR SHARE").await?;
        group_row(&tx, account, group, "FOR SHARE").await?;
        tx.pexecute(
            "INSERT INTO memberships (account, group_folded, user_folded) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            &[&account.as_str(), &fold(group), &fold(user)],
        )
        .await
        .db()?;
        self.changed(account, tx.commit().await)
    }

    async fn remove_user_from_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> StorageResult<()> {
        let client = self.client().await?;
        user_row(&client, account, user, "").await?;
        group_row(&client, account, group, "").await?;
        let n = client
            .pexecute(
                "DELETE FROM memberships WHERE account = $1 AND group_folded = $2 \
                 AND user_folded = $3",
                &[&account.as_str(), &fold(group), &fold(user)],
            )
            .await;
        let n = self.changed(account, n)?;
        if n == 0 {
            return Err(not_a_member(user, group));
        }
        Ok(())
    }

    async fn list_groups_for_user(
        &self,
        account: &AccountId,
        user: &str,
    ) -> StorageResult<Vec<Group>> {
        self.cached(groups_of_user, (*account, fold(user)), async {
            let client = self.client().await?;
            user_row(&client, account, user, "").await?;
            let rows = client
                .pquery(
                    "SELECT g.name, g.group_id, g.created FROM memberships m JOIN groups g \
                     ON g.account = m.account AND g.folded = m.group_folded \
                     WHERE m.account = $1 AND m.user_folded = $2 ORDER BY g.name",
                    &[&account.as_str(), &fold(user)],
                )
                .await
                .db()?;
            Ok(rows.iter().map(|r| self::group(account, r)).collect())
        })
        .await
    }

    async fn list_group_members(
        &self,
        account: &AccountId,
        group: &str,
    ) -> StorageResult<Vec<User>> {
        let client = self.client().await?;
        group_row(&client, account, group, "").await?;
        let rows = client
            .pquery(
                "SELECT u.name, u.user_id, u.created FROM memberships m JOIN users u \
                 ON u.account = m.account AND u.folded = m.user_folded \
                 WHERE m.account = $1 AND m.group_folded = $2 ORDER BY u.name",
                &[&account.as_str(), &fold(group)],
            )
            .await
            .db()?;
        Ok(rows.iter().map(|r| self::user(account, r)).collect())
    }

    async fn create_access_key(
        &self,
        key: AccessKey,
        max_keys_per_owner: usize,
    ) -> StorageResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.db()?;
        // Lock the owner (the user row, or the account row for root keys) so that racing
        // creations count each other's keys.
        let owner_name = match &key.owner {
            KeyOwner::Root => {
                account_exists(&tx, &key.account, true).await?;
                None
            }
            KeyOwner::User(name) => {
                let row = user_row(&tx, &key.account, name, "FOR UPDATE").await?;
                Some(row.get::<_, String>(0))
            }
        };
        let folded = owner_key(&key.owner);
        let count: i64 = tx
            .pquery_one(
                "SELECT count(*) FROM access_keys WHERE account = $1 AND owner_folded = $2",
                &[&key.account.as_str(), &folded],
            )
            .await
            .db()?
            .get(0);
        if count as usize >= max_keys_per_owner {
            return Err(key_quota(max_keys_per_owner));
        }
        let inserted = tx
            .pexecute(
                "INSERT INTO access_keys (id, secret, account, owner_folded, owner_name, active, \
                 created) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                &[
                    &key.access_key_id,
                    &key.secret_access_key,
                    &key.account.as_str(),
                    &folded,
                    &owner_name,
                    &(key.status == KeyStatus::Active),
                    &nanos(key.created),
                ],
            )
            .await
            .db()?;
        if inserted == 0 {
            return Err(duplicate_key(&key.access_key_id));
        }
        self.changed(&key.account, tx.commit().await)
    }

    async fn get_access_key(&self, access_key_id: &str) -> StorageResult<Option<AccessKey>> {
        // Only found keys are cached: an unknown ID is read again every time.
        let token = match self.caches.get(keys, access_key_id) {
            Ok(key) => return Ok(Some(key)),
            Err(token) => token,
        };
        let client = self.client().await?;
        let key = client
            .pquery_opt(
                &format!("SELECT {KEY_COLUMNS} FROM access_keys WHERE id = $1"),
                &[&access_key_id],
            )
            .await
            .db()?
            .map(|r| access_key(&r))
            .transpose()?;
        if let Some(key) = &key {
            self.caches
                .put(token, keys, key.access_key_id.clone(), key.clone());
        }
        Ok(key)
    }

    async fn list_access_keys(
        &self,
        account: &AccountId,
        owner: &KeyOwner,
    ) -> StorageResult<Vec<AccessKey>> {
        let client = self.client().await?;
        match owner {
            KeyOwner::Root => account_exists(&client, account, false).await?,
            KeyOwner::User(name) => {
                user_row(&client, account, name, "").await?;
            }
        }
        let rows = client
            .pquery(
                &format!(
                    "SELECT {KEY_COLUMNS} FROM access_keys WHERE account = $1 \
                     AND owner_folded = $2 ORDER BY created, seq"
                ),
                &[&account.as_str(), &owner_key(owner)],
            )
            .await
            .db()?;
        rows.iter().map(access_key).collect()
    }

    async fn set_access_key_status(
        &self,
        account: &AccountId,
        access_key_id: &str,
        status: KeyStatus,
    ) -> StorageResult<()> {
        let client = self.client().await?;
        account_exists(&client, account, false).await?;
        let n = client
            .pexecute(
                "UPDATE access_keys SET active = $3 WHERE account = $1 AND id = $2",
                &[
                    &account.as_str(),
                    &access_key_id,
                    &(status == KeyStatus::Active),
                ],
            )
            .await;
        let n = self.changed(account, n)?;
        if n == 0 {
            return Err(no_key(access_key_id));
        }
        Ok(())
    }

    async fn delete_access_key(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> StorageResult<()> {
        let client = self.client().await?;
        account_exists(&client, account, false).await?;
        let n = client
            .pexecute(
                "DELETE FROM access_keys WHERE account = $1 AND id = $2",
                &[&account.as_str(), &access_key_id],
            )
            .await;
        let n = self.changed(account, n)?;
        if n == 0 {
            return Err(no_key(access_key_id));
        }
        Ok(())
    }

    async fn record_access_key_use(
        &self,
        access_key_id: &str,
        at: time::OffsetDateTime,
    ) -> StorageResult<()> {
        let client = self.client().await?;
        // GREATEST ignores NULL (never used); a later use recorded by another server stays.
        client
            .pexecute(
                "UPDATE access_keys SET last_used = GREATEST(last_used, $2) WHERE id = $1",
                &[&access_key_id, &nanos(at)],
            )
            .await
            .db()?;
        Ok(())
    }

    async fn access_key_last_used(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> StorageResult<Option<time::OffsetDateTime>> {
        let client = self.client().await?;
        let row = client
            .pquery_opt(
                "SELECT last_used FROM access_keys WHERE account = $1 AND id = $2",
                &[&account.as_str(), &access_key_id],
            )
            .await
            .db()?
            .ok_or_else(|| no_key(access_key_id))?;
        Ok(row.get::<_, Option<i64>>(0).map(from_nanos))
    }

    async fn attach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> StorageResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.db()?;
        lock_target(&tx, account, target, "FOR SHARE").await?;
        let (kind, folded) = target_key(target);
        tx.pexecute(
            "INSERT INTO attachments (account, kind, target_folded, arn) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
            &[&account.as_str(), &kind, &folded, &policy_arn],
        )
        .await
        .db()?;
        self.changed(account, tx.commit().await)
    }

    async fn detach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> StorageResult<()> {
        let client = self.client().await?;
        lock_target(&client, account, target, "").await?;
        let (kind, folded) = target_key(target);
        let n = client
            .pexecute(
                "DELETE FROM attachments WHERE account = $1 AND kind = $2 AND target_folded = $3 \
                 AND arn = $4",
                &[&account.as_str(), &kind, &folded, &policy_arn],
            )
            .await;
        let n = self.changed(account, n)?;
        if n == 0 {
            return Err(not_attached(policy_arn));
        }
        Ok(())
    }

    async fn list_attached_policies(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
    ) -> StorageResult<Vec<String>> {
        let (kind, folded) = target_key(target);
        self.cached(attached, (*account, kind, folded.clone()), async {
            let client = self.client().await?;
            lock_target(&client, account, target, "").await?;
            let rows = client
                .pquery(
                    "SELECT arn FROM attachments WHERE account = $1 AND kind = $2 \
                     AND target_folded = $3 ORDER BY seq",
                    &[&account.as_str(), &kind, &folded],
                )
                .await
                .db()?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
        .await
    }

    async fn count_policy_attachments(
        &self,
        account: &AccountId,
        policy_arn: &str,
    ) -> StorageResult<u64> {
        let client = self.client().await?;
        account_exists(&client, account, false).await?;
        let n: i64 = client
            .pquery_one(
                "SELECT count(*) FROM attachments WHERE account = $1 AND arn = $2",
                &[&account.as_str(), &policy_arn],
            )
            .await
            .db()?
            .get(0);
        Ok(n as u64)
    }
}
