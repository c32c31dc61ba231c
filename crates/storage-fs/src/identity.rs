//! `IdentityStore` for [`FsStore`], in the same redb database as the objects.
//!
//! IAM names are case-preserving but unique regardless of ASCII case, as in AWS: rows are
//! keyed by the lower-cased name and keep the original spelling in the value. Memberships are
//! indexed both ways, access keys by ID and by owner, attachments by target in attachment
//! order (a sequence number in the key).

use async_trait::async_trait;
use redb::{ReadableTable, WriteTransaction};
use s4_naming::AccountId;
use s4_storage::identity_rules::{
    duplicate_account, duplicate_group, duplicate_key, duplicate_user, fold, key_quota, no_account,
    no_group, no_key, no_user, not_a_member, not_attached, GroupReferences, UserReferences,
};
use s4_storage::{
    AccessKey, Account, Group, IdentityStore, KeyOwner, KeyStatus, PolicyTarget, StorageError,
    StorageResult, User,
};
use time::OffsetDateTime;

use crate::codec::{Dec, Enc};
use crate::multipart::next_seq;
use crate::write::commit;
use crate::{
    blocking, keys, Bin, BinRead, Db, FsStore, ACCESS_KEYS, ACCOUNTS, ATTACHMENTS, GROUPS,
    KEY_LAST_USED, MEMBERS, OWNER_KEYS, USERS, USER_GROUPS,
};

/// A user or a group row: original name, stable ID, creation date.
struct Entity {
    name: String,
    id: String,
    created: OffsetDateTime,
}

impl Entity {
    fn encode(&self) -> Vec<u8> {
        let mut e = Enc::new();
        e.str(&self.name);
        e.str(&self.id);
        e.time(self.created);
        e.0
    }
    fn decode(buf: &[u8]) -> StorageResult<Self> {
        let mut d = Dec::new(buf)?;
        Ok(Self {
            name: d.str()?,
            id: d.str()?,
            created: d.time()?,
        })
    }
    fn user(self, account: AccountId) -> User {
        User {
            account,
            name: self.name,
            user_id: self.id,
            created: self.created,
        }
    }
    fn group(self, account: AccountId) -> Group {
        Group {
            account,
            name: self.name,
            group_id: self.id,
            created: self.created,
        }
    }
}

fn encode_key(key: &AccessKey, seq: u64) -> Vec<u8> {
    let mut e = Enc::new();
    e.str(key.account.as_str());
    match &key.owner {
        KeyOwner::Root => e.opt_str(None),
        KeyOwner::User(name) => e.opt_str(Some(name)),
    }
    e.str(&key.secret_access_key);
    e.u8(match key.status {
        KeyStatus::Active => 1,
        KeyStatus::Inactive => 0,
    });
    e.time(key.created);
    e.u64(seq);
    e.0
}

fn decode_key(access_key_id: &str, buf: &[u8]) -> StorageResult<(AccessKey, u64)> {
    let mut d = Dec::new(buf)?;
    let account = AccountId::parse(&d.str()?)
        .map_err(|_| StorageError::Internal("corrupt access key record".to_owned()))?;
    let owner = match d.opt_str()? {
        None => KeyOwner::Root,
        Some(name) => KeyOwner::User(name),
    };
    let secret_access_key = d.str()?;
    let status = if d.u8()? == 1 {
        KeyStatus::Active
    } else {
        KeyStatus::Inactive
    };
    let created = d.time()?;
    let seq = d.u64()?;
    Ok((
        AccessKey {
            access_key_id: access_key_id.to_owned(),
            secret_access_key,
            account,
            owner,
            status,
            created,
        },
        seq,
    ))
}

/// `account ++ 0` (root) or `account ++ 1 ++ len ++ folded user name`.
fn owner_prefix(account: &AccountId, owner: &KeyOwner) -> Vec<u8> {
    let mut k = account.as_str().as_bytes().to_vec();
    match owner {
        KeyOwner::Root => k.push(0),
        KeyOwner::User(name) => {
            let name = fold(name);
            k.push(1);
            k.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
            k.extend_from_slice(name.as_bytes());
        }
    }
    k
}

/// `account ++ U|G ++ len ++ folded name`.
fn target_prefix(account: &AccountId, target: &PolicyTarget) -> Vec<u8> {
    let (tag, name) = match target {
        PolicyTarget::User(n) => (b'U', n),
        PolicyTarget::Group(n) => (b'G', n),
    };
    let name = fold(name);
    let mut k = account.as_str().as_bytes().to_vec();
    k.push(tag);
    k.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
    k.extend_from_slice(name.as_bytes());
    k
}

/// Every row under `prefix` (keys whose remainder may hold any byte).
fn scan(table: &impl BinRead, prefix: &[u8]) -> StorageResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    for row in table.range::<&[u8]>(prefix..).db()? {
        let (k, v) = row.db()?;
        if !k.value().starts_with(prefix) {
            break;
        }
        out.push((k.value().to_vec(), v.value().to_vec()));
    }
    Ok(out)
}

fn has_any(table: &impl BinRead, prefix: &[u8]) -> StorageResult<bool> {
    let first = table.range::<&[u8]>(prefix..).db()?.next();
    match first {
        None => Ok(false),
        Some(row) => Ok(row.db()?.0.value().starts_with(prefix)),
    }
}

fn account_exists(table: &impl BinRead, account: &AccountId) -> StorageResult<()> {
    if table.get(account.as_str().as_bytes()).db()?.is_some() {
        Ok(())
    } else {
        Err(no_account(account))
    }
}

fn get_entity(
    table: &impl BinRead,
    account: &AccountId,
    name: &str,
    missing: fn(&str) -> StorageError,
) -> StorageResult<Entity> {
    match table
        .get(keys::entity(account, &fold(name)).as_slice())
        .db()?
    {
        Some(v) => Entity::decode(v.value()),
        None => Err(missing(name)),
    }
}

fn sorted(mut entities: Vec<Entity>) -> Vec<Entity> {
    entities.sort_by(|a, b| a.name.cmp(&b.name));
    entities
}

/// Runs a durable identity transaction on a blocking thread, then empties the access-key
/// cache (there, not after the await: the commit finishes even if the caller goes away).
async fn write<T: Send + 'static>(
    store: &FsStore,
    f: impl FnOnce(&WriteTransaction) -> StorageResult<T> + Send + 'static,
) -> StorageResult<T> {
    let inner = store.inner.clone();
    blocking(move || {
        let result = commit(&inner, None, |txn, _| f(txn).map(Ok));
        inner.key_cache.invalidate();
        result
    })
    .await
}

fn open(
    txn: &WriteTransaction,
    table: Bin,
) -> StorageResult<redb::Table<'_, &'static [u8], &'static [u8]>> {
    txn.open_table(table).db()
}

impl FsStore {
    fn read(&self) -> StorageResult<redb::ReadTransaction> {
        self.inner.db.begin_read().db()
    }

    fn ro(
        txn: &redb::ReadTransaction,
        table: Bin,
    ) -> StorageResult<redb::ReadOnlyTable<&'static [u8], &'static [u8]>> {
        txn.open_table(table).db()
    }

    /// The owner's keys, oldest first.
    fn keys_of(
        keys_table: &impl BinRead,
        owner_keys: &impl BinRead,
        account: &AccountId,
        owner: &KeyOwner,
    ) -> StorageResult<Vec<AccessKey>> {
        let prefix = owner_prefix(account, owner);
        let mut out = Vec::new();
        for (k, _) in scan(owner_keys, &prefix)? {
            let id = String::from_utf8(k[prefix.len()..].to_vec())
                .map_err(|_| StorageError::Internal("corrupt key index".to_owned()))?;
            if let Some(v) = keys_table.get(id.as_bytes()).db()? {
                out.push(decode_key(&id, v.value())?);
            }
        }
        out.sort_by_key(|(k, seq)| (k.created, *seq));
        Ok(out.into_iter().map(|(k, _)| k).collect())
    }
}

fn create_entity(
    txn: &WriteTransaction,
    table: Bin,
    account: &AccountId,
    entity: &Entity,
    taken: fn(&str) -> StorageError,
) -> StorageResult<()> {
    account_exists(&open(txn, ACCOUNTS)?, account)?;
    let mut t = open(txn, table)?;
    let key = keys::entity(account, &fold(&entity.name));
    if t.get(key.as_slice()).db()?.is_some() {
        return Err(taken(&entity.name));
    }
    t.insert(key.as_slice(), entity.encode().as_slice()).db()?;
    Ok(())
}

/// The attachment rows of a target, after checking the target exists.
fn attachments_of(
    users: &impl BinRead,
    groups: &impl BinRead,
    attachments: &impl BinRead,
    account: &AccountId,
    target: &PolicyTarget,
) -> StorageResult<Vec<(Vec<u8>, String)>> {
    match target {
        PolicyTarget::User(n) => get_entity(users, account, n, no_user).map(|_| ())?,
        PolicyTarget::Group(n) => get_entity(groups, account, n, no_group).map(|_| ())?,
    }
    scan(attachments, &target_prefix(account, target))?
        .into_iter()
        .map(|(k, v)| {
            String::from_utf8(v)
                .map(|arn| (k, arn))
                .map_err(|_| StorageError::Internal("corrupt attachment".to_owned()))
        })
        .collect()
}

#[async_trait]
impl IdentityStore for FsStore {
    async fn create_account(&self, id: &AccountId) -> StorageResult<Account> {
        let id = *id;
        write(self, move |txn| {
            let mut t = open(txn, ACCOUNTS)?;
            if t.get(id.as_str().as_bytes()).db()?.is_some() {
                return Err(duplicate_account(&id));
            }
            let created = OffsetDateTime::now_utc();
            let mut e = Enc::new();
            e.time(created);
            t.insert(id.as_str().as_bytes(), e.0.as_slice()).db()?;
            Ok(Account { id, created })
        })
        .await
    }

    async fn get_account(&self, id: &AccountId) -> StorageResult<Option<Account>> {
        let txn = self.read()?;
        let t = Self::ro(&txn, ACCOUNTS)?;
        let row = t.get(id.as_str().as_bytes()).db()?;
        match row {
            None => Ok(None),
            Some(v) => Ok(Some(Account {
                id: *id,
                created: Dec::new(v.value())?.time()?,
            })),
        }
    }

    async fn list_accounts(&self) -> StorageResult<Vec<Account>> {
        let txn = self.read()?;
        let t = Self::ro(&txn, ACCOUNTS)?;
        let mut out = Vec::new();
        for row in t.iter().db()? {
            let (k, v) = row.db()?;
            let id = std::str::from_utf8(k.value())
                .ok()
                .and_then(|s| AccountId::parse(s).ok())
                .ok_or_else(|| StorageError::Internal("corrupt account row".to_owned()))?;
            out.push(Account {
                id,
                created: Dec::new(v.value())?.time()?,
            });
        }
        Ok(out)
    }

    async fn create_user(&self, user: User) -> StorageResult<User> {
        write(self, move |txn| {
            let entity = Entity {
                name: user.name.clone(),
                id: user.user_id.clone(),
                created: user.created,
            };
            create_entity(txn, USERS, &user.account, &entity, duplicate_user)?;
            Ok(user)
        })
        .await
    }

    async fn get_user(&self, account: &AccountId, name: &str) -> StorageResult<User> {
        let txn = self.read()?;
        account_exists(&Self::ro(&txn, ACCOUNTS)?, account)?;
        Ok(get_entity(&Self::ro(&txn, USERS)?, account, name, no_user)?.user(*account))
    }

    async fn list_users(&self, account: &AccountId) -> StorageResult<Vec<User>> {
        let txn = self.read()?;
        account_exists(&Self::ro(&txn, ACCOUNTS)?, account)?;
        let rows = scan(&Self::ro(&txn, USERS)?, account.as_str().as_bytes())?;
        let entities = rows
            .iter()
            .map(|(_, v)| Entity::decode(v))
            .collect::<StorageResult<Vec<_>>>()?;
        Ok(sorted(entities)
            .into_iter()
            .map(|e| e.user(*account))
            .collect())
    }

    async fn delete_user(&self, account: &AccountId, name: &str) -> StorageResult<()> {
        let (account, name) = (*account, name.to_owned());
        write(self, move |txn| {
            account_exists(&open(txn, ACCOUNTS)?, &account)?;
            let users = open(txn, USERS)?;
            let user = get_entity(&users, &account, &name, no_user)?;
            drop(users);
            let folded = keys::named(&account, &fold(&name));
            let target = PolicyTarget::User(name.clone());
            let owner = KeyOwner::User(user.name);
            UserReferences {
                group_memberships: has_any(&open(txn, USER_GROUPS)?, &folded)?,
                attached_policies: has_any(
                    &open(txn, ATTACHMENTS)?,
                    &target_prefix(&account, &target),
                )?,
                access_keys: has_any(&open(txn, OWNER_KEYS)?, &owner_prefix(&account, &owner))?,
            }
            .admit_delete(&name)?;
            open(txn, USERS)?
                .remove(keys::entity(&account, &fold(&name)).as_slice())
                .db()?;
            Ok(())
        })
        .await
    }

    async fn create_group(&self, group: Group) -> StorageResult<Group> {
        write(self, move |txn| {
            let entity = Entity {
                name: group.name.clone(),
                id: group.group_id.clone(),
                created: group.created,
            };
            create_entity(txn, GROUPS, &group.account, &entity, duplicate_group)?;
            Ok(group)
        })
        .await
    }

    async fn get_group(&self, account: &AccountId, name: &str) -> StorageResult<Group> {
        let txn = self.read()?;
        account_exists(&Self::ro(&txn, ACCOUNTS)?, account)?;
        Ok(get_entity(&Self::ro(&txn, GROUPS)?, account, name, no_group)?.group(*account))
    }

    async fn list_groups(&self, account: &AccountId) -> StorageResult<Vec<Group>> {
        let txn = self.read()?;
        account_exists(&Self::ro(&txn, ACCOUNTS)?, account)?;
        let rows = scan(&Self::ro(&txn, GROUPS)?, account.as_str().as_bytes())?;
        let entities = rows
            .iter()
            .map(|(_, v)| Entity::decode(v))
            .collect::<StorageResult<Vec<_>>>()?;
        Ok(sorted(entities)
            .into_iter()
            .map(|e| e.group(*account))
            .collect())
    }

    async fn delete_group(&self, account: &AccountId, name: &str) -> StorageResult<()> {
        let (account, name) = (*account, name.to_owned());
        write(self, move |txn| {
            account_exists(&open(txn, ACCOUNTS)?, &account)?;
            get_entity(&open(txn, GROUPS)?, &account, &name, no_group)?;
            let target = PolicyTarget::Group(name.clone());
            GroupReferences {
                members: has_any(&open(txn, MEMBERS)?, &keys::named(&account, &fold(&name)))?,
                attached_policies: has_any(
                    &open(txn, ATTACHMENTS)?,
                    &target_prefix(&account, &target),
                )?,
            }
            .admit_delete(&name)?;
            open(txn, GROUPS)?
                .remove(keys::entity(&account, &fold(&name)).as_slice())
                .db()?;
            Ok(())
        })
        .await
    }

    async fn add_user_to_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> StorageResult<()> {
        let (account, group, user) = (*account, fold(group), user.to_owned());
        let group_name = group.clone();
        write(self, move |txn| {
            account_exists(&open(txn, ACCOUNTS)?, &account)?;
            get_entity(&open(txn, USERS)?, &account, &user, no_user)?;
            get_entity(&open(txn, GROUPS)?, &account, &group_name, no_group)?;
            let user = fold(&user);
            let mut member = keys::named(&account, &group);
            member.extend_from_slice(user.as_bytes());
            open(txn, MEMBERS)?
                .insert(member.as_slice(), &[][..])
                .db()?;
            let mut of_user = keys::named(&account, &user);
            of_user.extend_from_slice(group.as_bytes());
            open(txn, USER_GROUPS)?
                .insert(of_user.as_slice(), &[][..])
                .db()?;
            Ok(())
        })
        .await
    }

    async fn remove_user_from_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> StorageResult<()> {
        let (account, group, user) = (*account, group.to_owned(), user.to_owned());
        write(self, move |txn| {
            account_exists(&open(txn, ACCOUNTS)?, &account)?;
            get_entity(&open(txn, USERS)?, &account, &user, no_user)?;
            get_entity(&open(txn, GROUPS)?, &account, &group, no_group)?;
            let (g, u) = (fold(&group), fold(&user));
            let mut member = keys::named(&account, &g);
            member.extend_from_slice(u.as_bytes());
            if open(txn, MEMBERS)?
                .remove(member.as_slice())
                .db()?
                .is_none()
            {
                return Err(not_a_member(&user, &group));
            }
            let mut of_user = keys::named(&account, &u);
            of_user.extend_from_slice(g.as_bytes());
            open(txn, USER_GROUPS)?.remove(of_user.as_slice()).db()?;
            Ok(())
        })
        .await
    }

    async fn list_groups_for_user(
        &self,
        account: &AccountId,
        user: &str,
    ) -> StorageResult<Vec<Group>> {
        let txn = self.read()?;
        account_exists(&Self::ro(&txn, ACCOUNTS)?, account)?;
        get_entity(&Self::ro(&txn, USERS)?, account, user, no_user)?;
        let prefix = keys::named(account, &fold(user));
        let groups = Self::ro(&txn, GROUPS)?;
        let mut out = Vec::new();
        for (k, _) in scan(&Self::ro(&txn, USER_GROUPS)?, &prefix)? {
            let name = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            out.push(get_entity(&groups, account, &name, no_group)?);
        }
        Ok(sorted(out).into_iter().map(|e| e.group(*account)).collect())
    }

    async fn list_group_members(
        &self,
        account: &AccountId,
        group: &str,
    ) -> StorageResult<Vec<User>> {
        let txn = self.read()?;
        account_exists(&Self::ro(&txn, ACCOUNTS)?, account)?;
        get_entity(&Self::ro(&txn, GROUPS)?, account, group, no_group)?;
        let prefix = keys::named(account, &fold(group));
        let users = Self::ro(&txn, USERS)?;
        let mut out = Vec::new();
        for (k, _) in scan(&Self::ro(&txn, MEMBERS)?, &prefix)? {
            let name = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            out.push(get_entity(&users, account, &name, no_user)?);
        }
        Ok(sorted(out).into_iter().map(|e| e.user(*account)).collect())
    }

    async fn create_access_key(
        &self,
        key: AccessKey,
        max_keys_per_owner: usize,
    ) -> StorageResult<()> {
        write(self, move |txn| {
            let mut key = key;
            account_exists(&open(txn, ACCOUNTS)?, &key.account)?;
            if let KeyOwner::User(name) = &key.owner {
                // Keep the user's own spelling of the name.
                let user = get_entity(&open(txn, USERS)?, &key.account, name, no_user)?;
                key.owner = KeyOwner::User(user.name);
            }
            let existing = FsStore::keys_of(
                &open(txn, ACCESS_KEYS)?,
                &open(txn, OWNER_KEYS)?,
                &key.account,
                &key.owner,
            )?;
            if existing.len() >= max_keys_per_owner {
                return Err(key_quota(max_keys_per_owner));
            }
            let mut keys_table = open(txn, ACCESS_KEYS)?;
            if keys_table.get(key.access_key_id.as_bytes()).db()?.is_some() {
                return Err(duplicate_key(&key.access_key_id));
            }
            drop(keys_table);
            let seq = next_seq(txn)?;
            keys_table = open(txn, ACCESS_KEYS)?;
            keys_table
                .insert(
                    key.access_key_id.as_bytes(),
                    encode_key(&key, seq).as_slice(),
                )
                .db()?;
            let mut index = owner_prefix(&key.account, &key.owner);
            index.extend_from_slice(key.access_key_id.as_bytes());
            open(txn, OWNER_KEYS)?
                .insert(index.as_slice(), &[][..])
                .db()?;
            Ok(())
        })
        .await
    }

    async fn get_access_key(&self, access_key_id: &str) -> StorageResult<Option<AccessKey>> {
        let generation = match self.inner.key_cache.get(access_key_id) {
            Ok(key) => return Ok(Some(key)),
            Err(generation) => generation,
        };
        let txn = self.read()?;
        let t = Self::ro(&txn, ACCESS_KEYS)?;
        let row = t.get(access_key_id.as_bytes()).db()?;
        match row {
            // Unknown IDs are not remembered: anyone can send those, in any number.
            None => Ok(None),
            Some(v) => {
                let key = decode_key(access_key_id, v.value())?.0;
                self.inner.key_cache.insert(generation, &key);
                Ok(Some(key))
            }
        }
    }

    async fn list_access_keys(
        &self,
        account: &AccountId,
        owner: &KeyOwner,
    ) -> StorageResult<Vec<AccessKey>> {
        let txn = self.read()?;
        account_exists(&Self::ro(&txn, ACCOUNTS)?, account)?;
        if let KeyOwner::User(name) = owner {
            get_entity(&Self::ro(&txn, USERS)?, account, name, no_user)?;
        }
        FsStore::keys_of(
            &Self::ro(&txn, ACCESS_KEYS)?,
            &Self::ro(&txn, OWNER_KEYS)?,
            account,
            owner,
        )
    }

    async fn set_access_key_status(
        &self,
        account: &AccountId,
        access_key_id: &str,
        status: KeyStatus,
    ) -> StorageResult<()> {
        let (account, id) = (*account, access_key_id.to_owned());
        write(self, move |txn| {
            let mut t = open(txn, ACCESS_KEYS)?;
            let found = t
                .get(id.as_bytes())
                .db()?
                .map(|v| decode_key(&id, v.value()))
                .transpose()?;
            let Some((mut key, seq)) = found.filter(|(k, _)| k.account == account) else {
                return Err(no_key(&id));
            };
            key.status = status;
            t.insert(id.as_bytes(), encode_key(&key, seq).as_slice())
                .db()?;
            Ok(())
        })
        .await
    }

    async fn delete_access_key(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> StorageResult<()> {
        let (account, id) = (*account, access_key_id.to_owned());
        write(self, move |txn| {
            let mut t = open(txn, ACCESS_KEYS)?;
            let found = t
                .get(id.as_bytes())
                .db()?
                .map(|v| decode_key(&id, v.value()))
                .transpose()?;
            let Some((key, _)) = found.filter(|(k, _)| k.account == account) else {
                return Err(no_key(&id));
            };
            t.remove(id.as_bytes()).db()?;
            let mut index = owner_prefix(&key.account, &key.owner);
            index.extend_from_slice(id.as_bytes());
            open(txn, OWNER_KEYS)?.remove(index.as_slice()).db()?;
            open(txn, KEY_LAST_USED)?.remove(id.as_bytes()).db()?;
            Ok(())
        })
        .await
    }

    async fn record_access_key_use(
        &self,
        access_key_id: &str,
        at: OffsetDateTime,
    ) -> StorageResult<()> {
        let (inner, id) = (self.inner.clone(), access_key_id.to_owned());
        // Not `write`: the key record is unchanged, so the key cache stays valid.
        blocking(move || {
            commit(&inner, None, |txn, _| {
                if open(txn, ACCESS_KEYS)?.get(id.as_bytes()).db()?.is_none() {
                    return Ok(Ok(()));
                }
                let mut t = open(txn, KEY_LAST_USED)?;
                let stored = t
                    .get(id.as_bytes())
                    .db()?
                    .map(|v| Dec::new(v.value())?.time())
                    .transpose()?;
                if stored.is_none_or(|s| s < at) {
                    let mut e = Enc::new();
                    e.time(at);
                    t.insert(id.as_bytes(), e.0.as_slice()).db()?;
                }
                Ok(Ok(()))
            })
        })
        .await
    }

    async fn access_key_last_used(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> StorageResult<Option<OffsetDateTime>> {
        let txn = self.read()?;
        let found = Self::ro(&txn, ACCESS_KEYS)?
            .get(access_key_id.as_bytes())
            .db()?
            .map(|v| decode_key(access_key_id, v.value()))
            .transpose()?;
        if found.is_none_or(|(k, _)| k.account != *account) {
            return Err(no_key(access_key_id));
        }
        let row = Self::ro(&txn, KEY_LAST_USED)?
            .get(access_key_id.as_bytes())
            .db()?;
        row.map(|v| Dec::new(v.value())?.time()).transpose()
    }

    async fn attach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> StorageResult<()> {
        let (account, target, arn) = (*account, target.clone(), policy_arn.to_owned());
        write(self, move |txn| {
            account_exists(&open(txn, ACCOUNTS)?, &account)?;
            let current = attachments_of(
                &open(txn, USERS)?,
                &open(txn, GROUPS)?,
                &open(txn, ATTACHMENTS)?,
                &account,
                &target,
            )?;
            if current.iter().any(|(_, a)| *a == arn) {
                return Ok(());
            }
            let mut k = target_prefix(&account, &target);
            k.extend_from_slice(&next_seq(txn)?.to_be_bytes());
            open(txn, ATTACHMENTS)?
                .insert(k.as_slice(), arn.as_bytes())
                .db()?;
            Ok(())
        })
        .await
    }

    async fn detach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> StorageResult<()> {
        let (account, target, arn) = (*account, target.clone(), policy_arn.to_owned());
        write(self, move |txn| {
            account_exists(&open(txn, ACCOUNTS)?, &account)?;
            let current = attachments_of(
                &open(txn, USERS)?,
                &open(txn, GROUPS)?,
                &open(txn, ATTACHMENTS)?,
                &account,
                &target,
            )?;
            let Some((k, _)) = current.into_iter().find(|(_, a)| *a == arn) else {
                return Err(not_attached(&arn));
            };
            open(txn, ATTACHMENTS)?.remove(k.as_slice()).db()?;
            Ok(())
        })
        .await
    }

    async fn list_attached_policies(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
    ) -> StorageResult<Vec<String>> {
        let txn = self.read()?;
        account_exists(&Self::ro(&txn, ACCOUNTS)?, account)?;
        Ok(attachments_of(
            &Self::ro(&txn, USERS)?,
            &Self::ro(&txn, GROUPS)?,
            &Self::ro(&txn, ATTACHMENTS)?,
            account,
            target,
        )?
        .into_iter()
        .map(|(_, arn)| arn)
        .collect())
    }

    async fn count_policy_attachments(
        &self,
        account: &AccountId,
        policy_arn: &str,
    ) -> StorageResult<u64> {
        let txn = self.read()?;
        account_exists(&Self::ro(&txn, ACCOUNTS)?, account)?;
        let rows = scan(&Self::ro(&txn, ATTACHMENTS)?, account.as_str().as_bytes())?;
        Ok(rows
            .iter()
            .filter(|(_, v)| v == policy_arn.as_bytes())
            .count() as u64)
    }
}
