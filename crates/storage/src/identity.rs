use async_trait::async_trait;
use s4_naming::AccountId;
use time::OffsetDateTime;

use crate::StorageResult;

/// An account: the owner of buckets, users and groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The 12-digit account ID.
    pub id: AccountId,
    /// When the account was created.
    pub created: OffsetDateTime,
}

/// An IAM user of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The account the user belongs to.
    pub account: AccountId,
    /// The user name, with the spelling it was created with.
    pub name: String,
    /// The stable unique ID AWS calls `UserId` (`AIDA...`), chosen by the caller.
    pub user_id: String,
    /// When the user was created.
    pub created: OffsetDateTime,
}

/// An IAM group of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// The account the group belongs to.
    pub account: AccountId,
    /// The group name, with the spelling it was created with.
    pub name: String,
    /// The stable unique ID AWS calls `GroupId` (`AGPA...`), chosen by the caller.
    pub group_id: String,
    /// When the group was created.
    pub created: OffsetDateTime,
}

/// Whom an access key authenticates.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyOwner {
    /// The account root.
    Root,
    /// The IAM user of this name.
    User(String),
}

/// Whether an access key may sign requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// The key signs requests.
    Active,
    /// The key is kept but refused.
    Inactive,
}

/// An access key with its secret. The secret is needed in clear to verify SigV4 (HMAC), so
/// stores keep it; it leaves the server only in the CreateAccessKey answer.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The public key ID (`AKIA...`).
    pub access_key_id: String,
    /// The signing secret, kept in clear (see above); never logged.
    pub secret_access_key: String,
    /// The account the key belongs to.
    pub account: AccountId,
    /// Whom the key authenticates.
    pub owner: KeyOwner,
    /// Whether the key may sign requests.
    pub status: KeyStatus,
    /// When the key was created.
    pub created: OffsetDateTime,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret, not even in debug logs.
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("account", &self.account)
            .field("owner", &self.owner)
            .field("status", &self.status)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// What a managed policy is attached to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PolicyTarget {
    /// The IAM user of this name.
    User(String),
    /// The IAM group of this name.
    Group(String),
}

/// Accounts, IAM users, groups, memberships, access keys and managed-policy attachments.
///
/// Names are validated by the caller (`s4-naming`); the store enforces existence, uniqueness
/// and referential rules atomically: `NoSuchEntity`, `EntityAlreadyExists`, `DeleteConflict`,
/// `LimitExceeded`. Every lookup is scoped to one account, so accounts never see each other's
/// entities.
#[async_trait]
pub trait IdentityStore: Send + Sync + 'static {
    /// `EntityAlreadyExists` when the ID is taken.
    async fn create_account(&self, id: &AccountId) -> StorageResult<Account>;
    /// The account, or `None` when it was never created.
    async fn get_account(&self, id: &AccountId) -> StorageResult<Option<Account>>;
    /// Every account, by ID.
    async fn list_accounts(&self) -> StorageResult<Vec<Account>>;

    /// Creates a user; `EntityAlreadyExists` when the name is taken regardless of case.
    async fn create_user(&self, user: User) -> StorageResult<User>;
    /// The user of this name (any case); `NoSuchEntity` when there is none.
    async fn get_user(&self, account: &AccountId, name: &str) -> StorageResult<User>;
    /// Sorted by name.
    async fn list_users(&self, account: &AccountId) -> StorageResult<Vec<User>>;
    /// `DeleteConflict` while the user has access keys, group memberships or attached
    /// policies, as AWS requires.
    async fn delete_user(&self, account: &AccountId, name: &str) -> StorageResult<()>;

    /// Creates a group; `EntityAlreadyExists` when the name is taken regardless of case.
    async fn create_group(&self, group: Group) -> StorageResult<Group>;
    /// The group of this name (any case); `NoSuchEntity` when there is none.
    async fn get_group(&self, account: &AccountId, name: &str) -> StorageResult<Group>;
    /// Sorted by name.
    async fn list_groups(&self, account: &AccountId) -> StorageResult<Vec<Group>>;
    /// `DeleteConflict` while the group has members or attached policies.
    async fn delete_group(&self, account: &AccountId, name: &str) -> StorageResult<()>;

    /// Idempotent; `NoSuchEntity` when the user or the group does not exist.
    async fn add_user_to_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> StorageResult<()>;
    /// `NoSuchEntity` when either does not exist or the user is not a member.
    async fn remove_user_from_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> StorageResult<()>;
    /// Sorted by name; `NoSuchEntity` for an unknown user.
    async fn list_groups_for_user(
        &self,
        account: &AccountId,
        user: &str,
    ) -> StorageResult<Vec<Group>>;
    /// Sorted by name; `NoSuchEntity` for an unknown group.
    async fn list_group_members(
        &self,
        account: &AccountId,
        group: &str,
    ) -> StorageResult<Vec<User>>;

    /// Stores a new key. `NoSuchEntity` when its user does not exist; `LimitExceeded` when its
    /// owner already has `max_keys_per_owner` keys; `EntityAlreadyExists` on an ID collision.
    async fn create_access_key(
        &self,
        key: AccessKey,
        max_keys_per_owner: usize,
    ) -> StorageResult<()>;
    /// The hot path of authentication: any account, by key ID.
    async fn get_access_key(&self, access_key_id: &str) -> StorageResult<Option<AccessKey>>;
    /// The owner's keys, oldest first; `NoSuchEntity` for an unknown user.
    async fn list_access_keys(
        &self,
        account: &AccountId,
        owner: &KeyOwner,
    ) -> StorageResult<Vec<AccessKey>>;
    /// `NoSuchEntity` unless the key exists in this account.
    async fn set_access_key_status(
        &self,
        account: &AccountId,
        access_key_id: &str,
        status: KeyStatus,
    ) -> StorageResult<()>;
    /// Also forgets the key's last use. `NoSuchEntity` unless the key exists in this account.
    async fn delete_access_key(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> StorageResult<()>;
    /// Remembers that the key signed a request at `at`, keeping the later of `at` and what is
    /// stored. A key deleted meanwhile is not an error (nothing is stored for it). Each call
    /// is a metadata write: callers record a key's use at most once per period, off the
    /// request's path (the service does it once a minute per key).
    async fn record_access_key_use(
        &self,
        access_key_id: &str,
        at: OffsetDateTime,
    ) -> StorageResult<()>;
    /// When the key last signed a request, as recorded; `None` if never. `NoSuchEntity` unless
    /// the key exists in this account.
    async fn access_key_last_used(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> StorageResult<Option<OffsetDateTime>>;

    /// Idempotent; `NoSuchEntity` when the user or group does not exist. The policy ARN is
    /// validated by the caller.
    async fn attach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> StorageResult<()>;
    /// `NoSuchEntity` when the target does not exist or the policy is not attached to it.
    async fn detach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> StorageResult<()>;
    /// Attached policy ARNs, in attachment order.
    async fn list_attached_policies(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
    ) -> StorageResult<Vec<String>>;
    /// How many users and groups of the account have this policy attached.
    async fn count_policy_attachments(
        &self,
        account: &AccountId,
        policy_arn: &str,
    ) -> StorageResult<u64>;
}
