//! `IdentityStore` for [`MemoryStore`].
//!
//! IAM names are case-preserving but unique regardless of (ASCII) case, as in AWS: entities
//! are indexed by their lower-cased name, and lookups by name ignore case.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use s4_naming::AccountId;
use time::OffsetDateTime;

use super::{AccountEntry, GroupEntry, IdentityState, MemoryStore, StoredKey, UserEntry};
use crate::identity::{
    AccessKey, Account, Group, IdentityStore, KeyOwner, KeyStatus, PolicyTarget, User,
};
use crate::identity_rules::{
    duplicate_account, duplicate_group, duplicate_key, duplicate_user, fold, key_quota, no_account,
    no_group, no_key, no_user, not_a_member, not_attached, GroupReferences, UserReferences,
};
use crate::StorageResult;

impl IdentityState {
    fn account(&self, id: &AccountId) -> StorageResult<&AccountEntry> {
        self.accounts.get(id).ok_or_else(|| no_account(id))
    }

    fn account_mut(&mut self, id: &AccountId) -> StorageResult<&mut AccountEntry> {
        self.accounts.get_mut(id).ok_or_else(|| no_account(id))
    }

    /// The key, if it belongs to `account`.
    fn key_in(&self, account: &AccountId, id: &str) -> StorageResult<&StoredKey> {
        self.keys
            .get(id)
            .filter(|k| k.key.account == *account)
            .ok_or_else(|| no_key(id))
    }

    /// The owner's keys, oldest first.
    fn keys_of(&self, account: &AccountId, owner: &KeyOwner) -> Vec<&StoredKey> {
        let mut keys: Vec<&StoredKey> = self
            .keys
            .values()
            .filter(|k| k.key.account == *account && same_owner(&k.key.owner, owner))
            .collect();
        keys.sort_by_key(|k| (k.key.created, k.seq));
        keys
    }
}

fn same_owner(a: &KeyOwner, b: &KeyOwner) -> bool {
    match (a, b) {
        (KeyOwner::Root, KeyOwner::Root) => true,
        (KeyOwner::User(x), KeyOwner::User(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

impl AccountEntry {
    fn user(&self, name: &str) -> StorageResult<&UserEntry> {
        self.users.get(&fold(name)).ok_or_else(|| no_user(name))
    }

    fn group(&self, name: &str) -> StorageResult<&GroupEntry> {
        self.groups.get(&fold(name)).ok_or_else(|| no_group(name))
    }

    fn policies_mut(&mut self, target: &PolicyTarget) -> StorageResult<&mut Vec<String>> {
        match target {
            PolicyTarget::User(name) => self
                .users
                .get_mut(&fold(name))
                .map(|u| &mut u.policies)
                .ok_or_else(|| no_user(name)),
            PolicyTarget::Group(name) => self
                .groups
                .get_mut(&fold(name))
                .map(|g| &mut g.policies)
                .ok_or_else(|| no_group(name)),
        }
    }
}

fn sorted_users<'a>(users: impl Iterator<Item = &'a UserEntry>) -> Vec<User> {
    let mut out: Vec<User> = users.map(|u| u.user.clone()).collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn sorted_groups<'a>(groups: impl Iterator<Item = &'a GroupEntry>) -> Vec<Group> {
    let mut out: Vec<Group> = groups.map(|g| g.group.clone()).collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[async_trait]
impl IdentityStore for MemoryStore {
    async fn create_account(&self, id: &AccountId) -> StorageResult<Account> {
        let mut state = self.write_identities();
        if state.accounts.contains_key(id) {
            return Err(duplicate_account(id));
        }
        let account = Account {
            id: *id,
            created: OffsetDateTime::now_utc(),
        };
        state.accounts.insert(
            *id,
            AccountEntry {
                account: account.clone(),
                users: BTreeMap::new(),
                groups: BTreeMap::new(),
            },
        );
        Ok(account)
    }

    async fn get_account(&self, id: &AccountId) -> StorageResult<Option<Account>> {
        Ok(self
            .read_identities()
            .accounts
            .get(id)
            .map(|a| a.account.clone()))
    }

    async fn list_accounts(&self) -> StorageResult<Vec<Account>> {
        Ok(self
            .read_identities()
            .accounts
            .values()
            .map(|a| a.account.clone())
            .collect())
    }

    async fn create_user(&self, user: User) -> StorageResult<User> {
        let mut state = self.write_identities();
        let account = state.account_mut(&user.account)?;
        let folded = fold(&user.name);
        if account.users.contains_key(&folded) {
            return Err(duplicate_user(&user.name));
        }
        account.users.insert(
            folded,
            UserEntry {
                user: user.clone(),
                groups: BTreeSet::new(),
                policies: Vec::new(),
            },
        );
        Ok(user)
    }

    async fn get_user(&self, account: &AccountId, name: &str) -> StorageResult<User> {
        let state = self.read_identities();
        Ok(state.account(account)?.user(name)?.user.clone())
    }

    async fn list_users(&self, account: &AccountId) -> StorageResult<Vec<User>> {
        let state = self.read_identities();
        Ok(sorted_users(state.account(account)?.users.values()))
    }

    async fn delete_user(&self, account: &AccountId, name: &str) -> StorageResult<()> {
        let mut state = self.write_identities();
        let entry = state.account(account)?.user(name)?;
        let owner = KeyOwner::User(entry.user.name.clone());
        UserReferences {
            group_memberships: !entry.groups.is_empty(),
            attached_policies: !entry.policies.is_empty(),
            access_keys: !state.keys_of(account, &owner).is_empty(),
        }
        .admit_delete(name)?;
        state.account_mut(account)?.users.remove(&fold(name));
        Ok(())
    }

    async fn create_group(&self, group: Group) -> StorageResult<Group> {
        let mut state = self.write_identities();
        let account = state.account_mut(&group.account)?;
        let folded = fold(&group.name);
        if account.groups.contains_key(&folded) {
            return Err(duplicate_group(&group.name));
        }
        account.groups.insert(
            folded,
            GroupEntry {
                group: group.clone(),
                members: BTreeSet::new(),
                policies: Vec::new(),
            },
        );
        Ok(group)
    }

    async fn get_group(&self, account: &AccountId, name: &str) -> StorageResult<Group> {
        let state = self.read_identities();
        Ok(state.account(account)?.group(name)?.group.clone())
    }

    async fn list_groups(&self, account: &AccountId) -> StorageResult<Vec<Group>> {
        let state = self.read_identities();
        Ok(sorted_groups(state.account(account)?.groups.values()))
    }

    async fn delete_group(&self, account: &AccountId, name: &str) -> StorageResult<()> {
        let mut state = self.write_identities();
        let entry = state.account_mut(account)?;
        let group = entry.group(name)?;
        GroupReferences {
            members: !group.members.is_empty(),
            attached_policies: !group.policies.is_empty(),
        }
        .admit_delete(name)?;
        entry.groups.remove(&fold(name));
        Ok(())
    }

    async fn add_user_to_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> StorageResult<()> {
        let mut state = self.write_identities();
        let entry = state.account_mut(account)?;
        entry.user(user)?;
        entry.group(group)?;
        let (group_key, user_key) = (fold(group), fold(user));
        if let Some(g) = entry.groups.get_mut(&group_key) {
            g.members.insert(user_key.clone());
        }
        if let Some(u) = entry.users.get_mut(&user_key) {
            u.groups.insert(group_key);
        }
        Ok(())
    }

    async fn remove_user_from_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> StorageResult<()> {
        let mut state = self.write_identities();
        let entry = state.account_mut(account)?;
        entry.user(user)?;
        let (group_key, user_key) = (fold(group), fold(user));
        if !entry.group(group)?.members.contains(&user_key) {
            return Err(not_a_member(user, group));
        }
        if let Some(g) = entry.groups.get_mut(&group_key) {
            g.members.remove(&user_key);
        }
        if let Some(u) = entry.users.get_mut(&user_key) {
            u.groups.remove(&group_key);
        }
        Ok(())
    }

    async fn list_groups_for_user(
        &self,
        account: &AccountId,
        user: &str,
    ) -> StorageResult<Vec<Group>> {
        let state = self.read_identities();
        let entry = state.account(account)?;
        let found = entry.user(user)?;
        Ok(sorted_groups(
            found.groups.iter().filter_map(|g| entry.groups.get(g)),
        ))
    }

    async fn list_group_members(
        &self,
        account: &AccountId,
        group: &str,
    ) -> StorageResult<Vec<User>> {
        let state = self.read_identities();
        let entry = state.account(account)?;
        let found = entry.group(group)?;
        Ok(sorted_users(
            found.members.iter().filter_map(|u| entry.users.get(u)),
        ))
    }

    async fn create_access_key(
        &self,
        key: AccessKey,
        max_keys_per_owner: usize,
    ) -> StorageResult<()> {
        let mut state = self.write_identities();
        let account = state.account(&key.account)?;
        let mut key = key;
        if let KeyOwner::User(name) = &key.owner {
            // Keep the user's own spelling of the name.
            key.owner = KeyOwner::User(account.user(name)?.user.name.clone());
        }
        if state.keys_of(&key.account, &key.owner).len() >= max_keys_per_owner {
            return Err(key_quota(max_keys_per_owner));
        }
        if state.keys.contains_key(&key.access_key_id) {
            return Err(duplicate_key(&key.access_key_id));
        }
        state.key_seq += 1;
        let seq = state.key_seq;
        state.keys.insert(
            key.access_key_id.clone(),
            StoredKey {
                key,
                seq,
                last_used: None,
            },
        );
        Ok(())
    }

    async fn get_access_key(&self, access_key_id: &str) -> StorageResult<Option<AccessKey>> {
        Ok(self
            .read_identities()
            .keys
            .get(access_key_id)
            .map(|k| k.key.clone()))
    }

    async fn list_access_keys(
        &self,
        account: &AccountId,
        owner: &KeyOwner,
    ) -> StorageResult<Vec<AccessKey>> {
        let state = self.read_identities();
        let entry = state.account(account)?;
        if let KeyOwner::User(name) = owner {
            entry.user(name)?;
        }
        Ok(state
            .keys_of(account, owner)
            .into_iter()
            .map(|k| k.key.clone())
            .collect())
    }

    async fn set_access_key_status(
        &self,
        account: &AccountId,
        access_key_id: &str,
        status: KeyStatus,
    ) -> StorageResult<()> {
        let mut state = self.write_identities();
        state.key_in(account, access_key_id)?;
        if let Some(stored) = state.keys.get_mut(access_key_id) {
            stored.key.status = status;
        }
        Ok(())
    }

    async fn delete_access_key(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> StorageResult<()> {
        let mut state = self.write_identities();
        state.key_in(account, access_key_id)?;
        state.keys.remove(access_key_id);
        Ok(())
    }

    async fn record_access_key_use(
        &self,
        access_key_id: &str,
        at: OffsetDateTime,
    ) -> StorageResult<()> {
        let mut state = self.write_identities();
        if let Some(stored) = state.keys.get_mut(access_key_id) {
            stored.last_used = stored.last_used.max(Some(at));
        }
        Ok(())
    }

    async fn access_key_last_used(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> StorageResult<Option<OffsetDateTime>> {
        Ok(self
            .read_identities()
            .key_in(account, access_key_id)?
            .last_used)
    }

    async fn attach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> StorageResult<()> {
        let mut state = self.write_identities();
        let policies = state.account_mut(account)?.policies_mut(target)?;
        if !policies.iter().any(|p| p == policy_arn) {
            policies.push(policy_arn.to_owned());
        }
        Ok(())
    }

    async fn detach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> StorageResult<()> {
        let mut state = self.write_identities();
        let policies = state.account_mut(account)?.policies_mut(target)?;
        let Some(at) = policies.iter().position(|p| p == policy_arn) else {
            return Err(not_attached(policy_arn));
        };
        policies.remove(at);
        Ok(())
    }

    async fn list_attached_policies(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
    ) -> StorageResult<Vec<String>> {
        let state = self.read_identities();
        let entry = state.account(account)?;
        Ok(match target {
            PolicyTarget::User(name) => entry.user(name)?.policies.clone(),
            PolicyTarget::Group(name) => entry.group(name)?.policies.clone(),
        })
    }

    async fn count_policy_attachments(
        &self,
        account: &AccountId,
        policy_arn: &str,
    ) -> StorageResult<u64> {
        let state = self.read_identities();
        let entry = state.account(account)?;
        let users = entry
            .users
            .values()
            .filter(|u| u.policies.iter().any(|p| p == policy_arn))
            .count();
        let groups = entry
            .groups
            .values()
            .filter(|g| g.policies.iter().any(|p| p == policy_arn))
            .count();
        Ok((users + groups) as u64)
    }
}
