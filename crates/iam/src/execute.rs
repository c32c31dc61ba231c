//! Executing one validated [`IamRequest`] against an [`IdentityStore`].

use s4_iam_query::{
    AccessKeyStatus, AttachedPolicy, IamAction, IamError, IamErrorCode, IamRequest, IamResponse,
    Page, PolicyArn, PolicyPage, Truncation,
};
use s4_naming::{validate_group_name, validate_user_name, AccountId, Arn, IamNameError};
use s4_policy::managed::{self, ManagedPolicy};
use s4_storage::{
    AccessKey, Group, IdentityStore, KeyOwner, KeyStatus, PolicyTarget, StorageError, User,
};
use time::OffsetDateTime;

use crate::caller::{authorize, Caller};
use crate::ids::{
    generate_access_key_id, generate_group_id, generate_secret_access_key, generate_user_id,
};

/// AWS's quota of access keys per user; S4 applies it to the account root too.
pub const MAX_ACCESS_KEYS_PER_OWNER: usize = 2;

/// `MaxItems` when the request gives none (AWS's default).
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// The quotas [`execute_with`] enforces with `LimitExceeded` (409). The defaults are AWS's
/// default IAM quotas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Access keys per user, and per account root (AWS: 2).
    pub access_keys_per_owner: usize,
    /// Groups a user may belong to (AWS: 10).
    pub groups_per_user: usize,
    /// Users per account (AWS: 5000).
    pub users_per_account: usize,
    /// Groups per account (AWS: 300).
    pub groups_per_account: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            access_keys_per_owner: MAX_ACCESS_KEYS_PER_OWNER,
            groups_per_user: 10,
            users_per_account: 5000,
            groups_per_account: 300,
        }
    }
}

/// Authorizes ([`authorize`]) and executes `request` for `caller` in the caller's account,
/// with the default [`Limits`]. `now` stamps created users, groups and keys.
///
/// Errors carry the status the spec gives their code in this action
/// ([`IamAction::error`]); a store failure other than the IAM conditions is
/// `InternalError` (500) and its details are logged, not returned.
pub async fn execute<I: IdentityStore + ?Sized>(
    store: &I,
    caller: &Caller,
    request: IamRequest,
    now: OffsetDateTime,
) -> Result<IamResponse, IamError> {
    execute_with(store, &Limits::default(), caller, request, now).await
}

/// [`execute`] with explicit quotas.
pub async fn execute_with<I: IdentityStore + ?Sized>(
    store: &I,
    limits: &Limits,
    caller: &Caller,
    request: IamRequest,
    now: OffsetDateTime,
) -> Result<IamResponse, IamError> {
    execute_in_context(store, limits, caller, request, now, &[]).await
}

/// [`execute_with`] for a request with condition keys (`aws:SourceIp`,
/// `aws:SecureTransport`, ...) that [`authorize`] passes to the policy engine.
pub async fn execute_in_context<I: IdentityStore + ?Sized>(
    store: &I,
    limits: &Limits,
    caller: &Caller,
    request: IamRequest,
    now: OffsetDateTime,
    conditions: &[(&str, String)],
) -> Result<IamResponse, IamError> {
    let action = request.action();
    authorize(store, caller, action, conditions).await?;
    check_names(&request)?;
    let ex = Exec {
        store,
        limits,
        caller,
        account: *caller.account(),
        action,
        now,
    };
    ex.run(request).await
}

struct Exec<'a, I: ?Sized> {
    store: &'a I,
    limits: &'a Limits,
    caller: &'a Caller,
    account: AccountId,
    action: IamAction,
    now: OffsetDateTime,
}

impl<I: IdentityStore + ?Sized> Exec<'_, I> {
    async fn run(&self, request: IamRequest) -> Result<IamResponse, IamError> {
        use IamRequest as R;
        match request {
            R::GetPolicy { policy_arn } => {
                let policy = self.policy(&policy_arn, IamErrorCode::NoSuchEntity)?;
                Ok(IamResponse::GetPolicy(self.policy_info(policy).await?))
            }
            R::GetPolicyVersion {
                policy_arn,
                version_id,
            } => {
                let policy = self.policy(&policy_arn, IamErrorCode::NoSuchEntity)?;
                if version_id != policy.version_id() {
                    return Err(self.error(
                        IamErrorCode::NoSuchEntity,
                        format!(
                            "Policy {policy_arn} version {version_id} does not exist or is not \
                             attachable."
                        ),
                    ));
                }
                Ok(IamResponse::GetPolicyVersion(s4_iam_query::PolicyVersion {
                    document: policy.document().to_owned(),
                    is_default_version: true,
                    version_id,
                    create_date: policy.create_date(),
                }))
            }
            R::ListPolicies { page, filter } => {
                // The filters decide which policies exist for this listing, so the Marker
                // counts (and is checked) within the filtered list.
                let mut listed = Vec::with_capacity(managed::all().len());
                for policy in managed::all() {
                    let info = self.policy_info(policy).await?;
                    if filter.keeps(u64::from(info.attachment_count)) {
                        listed.push(info);
                    }
                }
                let available = u32::try_from(listed.len()).unwrap_or(u32::MAX);
                let (policies, truncation) = policy_page(listed, page, available)?;
                Ok(IamResponse::ListPolicies {
                    policies,
                    truncation,
                })
            }
            R::ListAttachedUserPolicies { user_name, page } => {
                let (attached_policies, truncation) =
                    self.attached(&PolicyTarget::User(user_name), page).await?;
                Ok(IamResponse::ListAttachedUserPolicies {
                    attached_policies,
                    truncation,
                })
            }
            R::ListAttachedGroupPolicies { group_name, page } => {
                let (attached_policies, truncation) = self
                    .attached(&PolicyTarget::Group(group_name), page)
                    .await?;
                Ok(IamResponse::ListAttachedGroupPolicies {
                    attached_policies,
                    truncation,
                })
            }
            R::AttachUserPolicy {
                user_name,
                policy_arn,
            } => {
                self.attach(&PolicyTarget::User(user_name), &policy_arn)
                    .await?;
                Ok(IamResponse::AttachUserPolicy)
            }
            R::AttachGroupPolicy {
                group_name,
                policy_arn,
            } => {
                self.attach(&PolicyTarget::Group(group_name), &policy_arn)
                    .await?;
                Ok(IamResponse::AttachGroupPolicy)
            }
            R::DetachUserPolicy {
                user_name,
                policy_arn,
            } => {
                self.detach(&PolicyTarget::User(user_name), &policy_arn)
                    .await?;
                Ok(IamResponse::DetachUserPolicy)
            }
            R::DetachGroupPolicy {
                group_name,
                policy_arn,
            } => {
                self.detach(&PolicyTarget::Group(group_name), &policy_arn)
                    .await?;
                Ok(IamResponse::DetachGroupPolicy)
            }
            R::CreateUser { user_name, tags } => {
                if !tags.is_empty() {
                    return Err(self.error(
                        IamErrorCode::InvalidInput,
                        "Tags are not supported by S4; create the user without Tags.",
                    ));
                }
                let users = self.store.list_users(&self.account).await;
                if self.check(users)?.len() >= self.limits.users_per_account {
                    return Err(self.limit("UsersPerAccount", self.limits.users_per_account));
                }
                let user = User {
                    account: self.account,
                    name: user_name,
                    user_id: generate_user_id(),
                    created: self.now,
                };
                let user = self.check(self.store.create_user(user).await)?;
                Ok(IamResponse::CreateUser(self.user_info(&user)))
            }
            R::GetUser { user_name } => {
                let name = match (&user_name, self.caller) {
                    (Some(name), _) | (None, Caller::User { name, .. }) => name.clone(),
                    (None, Caller::Root { .. }) => {
                        let account = self.store.get_account(&self.account).await;
                        let Some(account) = self.check(account)? else {
                            return Err(self.error(
                                IamErrorCode::NoSuchEntity,
                                format!("The account {} cannot be found.", self.account),
                            ));
                        };
                        return Ok(IamResponse::GetUser(s4_iam_query::User::root(
                            self.account.as_str(),
                            self.caller.arn(),
                            account.created,
                        )));
                    }
                };
                let user = self.get_user(&name).await?;
                Ok(IamResponse::GetUser(self.user_info(&user)))
            }
            R::ListUsers { page } => {
                let users = self.store.list_users(&self.account).await;
                let (users, truncation) = name_page(self.check(users)?, &page, |u| &u.name);
                Ok(IamResponse::ListUsers {
                    users: users.iter().map(|u| self.user_info(u)).collect(),
                    truncation,
                })
            }
            R::DeleteUser { user_name } => {
                let user = self.get_user(&user_name).await?;
                let keys = self
                    .store
                    .list_access_keys(&self.account, &KeyOwner::User(user.name.clone()))
                    .await;
                if !self.check(keys)?.is_empty() {
                    return Err(self.conflict("must delete access keys first"));
                }
                let groups = self
                    .store
                    .list_groups_for_user(&self.account, &user.name)
                    .await;
                if !self.check(groups)?.is_empty() {
                    return Err(self.conflict("must remove the user from all groups first"));
                }
                let policies = self
                    .store
                    .list_attached_policies(&self.account, &PolicyTarget::User(user.name.clone()))
                    .await;
                if !self.check(policies)?.is_empty() {
                    return Err(self.conflict("must detach all policies first"));
                }
                self.check(self.store.delete_user(&self.account, &user.name).await)?;
                Ok(IamResponse::DeleteUser)
            }
            R::CreateGroup { group_name } => {
                let groups = self.store.list_groups(&self.account).await;
                if self.check(groups)?.len() >= self.limits.groups_per_account {
                    return Err(self.limit("GroupsPerAccount", self.limits.groups_per_account));
                }
                let group = Group {
                    account: self.account,
                    name: group_name,
                    group_id: generate_group_id(),
                    created: self.now,
                };
                let group = self.check(self.store.create_group(group).await)?;
                Ok(IamResponse::CreateGroup(self.group_info(&group)))
            }
            R::GetGroup { group_name, page } => {
                let group = self.get_group(&group_name).await?;
                let members = self
                    .store
                    .list_group_members(&self.account, &group.name)
                    .await;
                let (users, truncation) = name_page(self.check(members)?, &page, |u| &u.name);
                Ok(IamResponse::GetGroup {
                    group: self.group_info(&group),
                    users: users.iter().map(|u| self.user_info(u)).collect(),
                    truncation,
                })
            }
            R::ListGroups { page } => {
                let groups = self.store.list_groups(&self.account).await;
                let (groups, truncation) = name_page(self.check(groups)?, &page, |g| &g.name);
                Ok(IamResponse::ListGroups {
                    groups: groups.iter().map(|g| self.group_info(g)).collect(),
                    truncation,
                })
            }
            R::DeleteGroup { group_name } => {
                let group = self.get_group(&group_name).await?;
                let members = self
                    .store
                    .list_group_members(&self.account, &group.name)
                    .await;
                if !self.check(members)?.is_empty() {
                    return Err(self.conflict("must remove users from group first"));
                }
                let policies = self
                    .store
                    .list_attached_policies(&self.account, &PolicyTarget::Group(group.name.clone()))
                    .await;
                if !self.check(policies)?.is_empty() {
                    return Err(self.conflict("must detach all policies first"));
                }
                self.check(self.store.delete_group(&self.account, &group.name).await)?;
                Ok(IamResponse::DeleteGroup)
            }
            R::AddUserToGroup {
                group_name,
                user_name,
            } => {
                let group = self.get_group(&group_name).await?;
                let user = self.get_user(&user_name).await?;
                let groups = self
                    .store
                    .list_groups_for_user(&self.account, &user.name)
                    .await;
                let groups = self.check(groups)?;
                let member = groups.iter().any(|g| g.name == group.name);
                if !member && groups.len() >= self.limits.groups_per_user {
                    return Err(self.limit("GroupsPerUser", self.limits.groups_per_user));
                }
                let added = self
                    .store
                    .add_user_to_group(&self.account, &group.name, &user.name)
                    .await;
                self.check(added)?;
                Ok(IamResponse::AddUserToGroup)
            }
            R::RemoveUserFromGroup {
                group_name,
                user_name,
            } => {
                let group = self.get_group(&group_name).await?;
                let user = self.get_user(&user_name).await?;
                let groups = self
                    .store
                    .list_groups_for_user(&self.account, &user.name)
                    .await;
                if !self.check(groups)?.iter().any(|g| g.name == group.name) {
                    return Err(self.error(
                        IamErrorCode::NoSuchEntity,
                        format!(
                            "The user with name {} is not a member of the group with name {}.",
                            user.name, group.name
                        ),
                    ));
                }
                let removed = self
                    .store
                    .remove_user_from_group(&self.account, &group.name, &user.name)
                    .await;
                self.check(removed)?;
                Ok(IamResponse::RemoveUserFromGroup)
            }
            R::ListGroupsForUser { user_name, page } => {
                let user = self.get_user(&user_name).await?;
                let groups = self
                    .store
                    .list_groups_for_user(&self.account, &user.name)
                    .await;
                let (groups, truncation) = name_page(self.check(groups)?, &page, |g| &g.name);
                Ok(IamResponse::ListGroupsForUser {
                    groups: groups.iter().map(|g| self.group_info(g)).collect(),
                    truncation,
                })
            }
            R::CreateAccessKey { user_name } => {
                let owner = self.key_owner(user_name.as_deref()).await?;
                self.create_key(owner).await
            }
            R::ListAccessKeys { user_name, page } => {
                let owner = self.key_owner(user_name.as_deref()).await?;
                let keys = self.store.list_access_keys(&self.account, &owner).await;
                let keys = self.check(keys)?;
                let start = match &page.marker {
                    None => 0,
                    Some(marker) => keys
                        .iter()
                        .position(|k| &k.access_key_id == marker)
                        .ok_or_else(|| {
                            self.error(
                                IamErrorCode::InvalidInput,
                                format!("Marker {marker} is not valid."),
                            )
                        })?,
                };
                let (keys, truncation) =
                    slice_page(keys, start, page.max_items, |k| k.access_key_id.clone());
                let user_name = owner_name(&owner);
                Ok(IamResponse::ListAccessKeys {
                    access_key_metadata: keys
                        .iter()
                        .map(|k| s4_iam_query::AccessKeyMetadata {
                            user_name: user_name.clone(),
                            access_key_id: k.access_key_id.clone(),
                            status: key_status(k.status),
                            create_date: k.created,
                        })
                        .collect(),
                    user_name,
                    truncation,
                })
            }
            R::UpdateAccessKey {
                access_key_id,
                status,
                user_name,
            } => {
                self.own_key(&access_key_id, user_name.as_deref()).await?;
                let status = match status {
                    AccessKeyStatus::Active => KeyStatus::Active,
                    AccessKeyStatus::Inactive => KeyStatus::Inactive,
                };
                let updated = self
                    .store
                    .set_access_key_status(&self.account, &access_key_id, status)
                    .await;
                self.check(updated)?;
                Ok(IamResponse::UpdateAccessKey)
            }
            R::DeleteAccessKey {
                access_key_id,
                user_name,
            } => {
                self.own_key(&access_key_id, user_name.as_deref()).await?;
                let deleted = self
                    .store
                    .delete_access_key(&self.account, &access_key_id)
                    .await;
                self.check(deleted)?;
                Ok(IamResponse::DeleteAccessKey)
            }
        }
    }

    // ---- errors ----

    fn error(&self, code: IamErrorCode, message: impl Into<String>) -> IamError {
        self.action.error(code, message)
    }

    fn limit(&self, quota: &str, value: usize) -> IamError {
        self.error(
            IamErrorCode::LimitExceeded,
            format!("Cannot exceed quota for {quota}: {value}."),
        )
    }

    fn conflict(&self, what: &str) -> IamError {
        self.error(
            IamErrorCode::DeleteConflict,
            format!("Cannot delete entity, {what}."),
        )
    }

    /// Maps a store result: the IAM conditions keep their code (with the message as a
    /// sentence), anything else is `InternalError` with the details logged only.
    fn check<T>(&self, result: Result<T, StorageError>) -> Result<T, IamError> {
        result.map_err(|e| self.storage_error(e))
    }

    fn storage_error(&self, e: StorageError) -> IamError {
        let (code, message) = match e {
            StorageError::NoSuchEntity(m) => (IamErrorCode::NoSuchEntity, m),
            StorageError::EntityAlreadyExists(m) => (IamErrorCode::EntityAlreadyExists, m),
            StorageError::DeleteConflict(m) => (IamErrorCode::DeleteConflict, m),
            StorageError::LimitExceeded(m) => (IamErrorCode::LimitExceeded, m),
            other => {
                tracing::error!(action = %self.action, error = %other, "identity store failed");
                return self.error(
                    IamErrorCode::InternalError,
                    "We encountered an internal error. Please try again.",
                );
            }
        };
        self.error(code, sentence(&message))
    }

    // ---- policies ----

    fn policy(
        &self,
        arn: &PolicyArn,
        code: IamErrorCode,
    ) -> Result<&'static ManagedPolicy, IamError> {
        managed::by_name(arn.name()).ok_or_else(|| {
            self.error(
                code,
                format!("Policy {arn} does not exist or is not attachable."),
            )
        })
    }

    async fn policy_info(&self, policy: &ManagedPolicy) -> Result<s4_iam_query::Policy, IamError> {
        let arn = policy.arn();
        let count = self
            .store
            .count_policy_attachments(&self.account, &arn)
            .await;
        let count = self.check(count)?;
        Ok(s4_iam_query::Policy {
            arn,
            attachment_count: u32::try_from(count).unwrap_or(u32::MAX),
            create_date: policy.create_date(),
            update_date: policy.update_date(),
            policy_id: policy.policy_id(),
            policy_name: policy.name().to_owned(),
            default_version_id: policy.version_id().to_owned(),
            path: policy.path().to_owned(),
            is_attachable: true,
            description: String::new(),
        })
    }

    async fn attached(
        &self,
        target: &PolicyTarget,
        page: PolicyPage,
    ) -> Result<(Vec<AttachedPolicy>, Truncation), IamError> {
        // The spec's Marker rule: greater than the number of managed policies is a
        // ValidationError, checked (like every validation) before the lookup.
        page.check_marker(managed_count())?;
        let arns = self
            .store
            .list_attached_policies(&self.account, target)
            .await;
        let (arns, truncation) = policy_page(self.check(arns)?, page, managed_count())?;
        let attached = arns
            .into_iter()
            .map(|arn| AttachedPolicy {
                policy_name: arn
                    .strip_prefix(managed::ARN_PREFIX)
                    .unwrap_or(&arn)
                    .to_owned(),
                policy_arn: arn,
            })
            .collect();
        Ok((attached, truncation))
    }

    async fn attach(&self, target: &PolicyTarget, arn: &PolicyArn) -> Result<(), IamError> {
        let policy = self.policy(arn, IamErrorCode::InvalidArgument)?;
        self.target_exists(target).await?;
        let attached = self
            .store
            .attach_policy(&self.account, target, &policy.arn())
            .await;
        self.check(attached)
    }

    async fn detach(&self, target: &PolicyTarget, arn: &PolicyArn) -> Result<(), IamError> {
        let policy = self.policy(arn, IamErrorCode::InvalidArgument)?;
        self.target_exists(target).await?;
        let attached = self
            .store
            .list_attached_policies(&self.account, target)
            .await;
        if !self.check(attached)?.contains(&policy.arn()) {
            return Err(self.error(
                IamErrorCode::NoSuchEntity,
                format!("Policy {arn} was not found."),
            ));
        }
        let detached = self
            .store
            .detach_policy(&self.account, target, &policy.arn())
            .await;
        self.check(detached)
    }

    async fn target_exists(&self, target: &PolicyTarget) -> Result<(), IamError> {
        match target {
            PolicyTarget::User(name) => self.get_user(name).await.map(drop),
            PolicyTarget::Group(name) => self.get_group(name).await.map(drop),
        }
    }

    // ---- users, groups ----

    async fn get_user(&self, name: &str) -> Result<User, IamError> {
        let user = self.store.get_user(&self.account, name).await;
        self.check(user)
    }

    async fn get_group(&self, name: &str) -> Result<Group, IamError> {
        let group = self.store.get_group(&self.account, name).await;
        self.check(group)
    }

    fn user_info(&self, user: &User) -> s4_iam_query::User {
        let arn = Arn::IamUser {
            account: self.account,
            name: user.name.as_str().into(),
        };
        s4_iam_query::User::new(&user.name, &user.user_id, arn.to_string(), user.created)
    }

    fn group_info(&self, group: &Group) -> s4_iam_query::Group {
        let arn = Arn::IamGroup {
            account: self.account,
            name: group.name.as_str().into(),
        };
        s4_iam_query::Group {
            path: "/".to_owned(),
            group_name: group.name.clone(),
            group_id: group.group_id.clone(),
            arn: arn.to_string(),
            create_date: group.created,
        }
    }

    // ---- access keys ----

    /// The owner named by an optional `UserName`: that user (which must exist), else the
    /// caller.
    async fn key_owner(&self, user_name: Option<&str>) -> Result<KeyOwner, IamError> {
        match user_name {
            Some(name) => Ok(KeyOwner::User(self.get_user(name).await?.name)),
            None => Ok(self.caller.key_owner()),
        }
    }

    async fn create_key(&self, owner: KeyOwner) -> Result<IamResponse, IamError> {
        let keys = self.store.list_access_keys(&self.account, &owner).await;
        if self.check(keys)?.len() >= self.limits.access_keys_per_owner {
            return Err(self.limit("AccessKeysPerUser", self.limits.access_keys_per_owner));
        }
        // An ID collision (36^16 IDs) is retried with a fresh ID.
        let mut attempts = 0;
        loop {
            let key = AccessKey {
                access_key_id: generate_access_key_id(),
                secret_access_key: generate_secret_access_key(),
                account: self.account,
                owner: owner.clone(),
                status: KeyStatus::Active,
                created: self.now,
            };
            match self
                .store
                .create_access_key(key.clone(), self.limits.access_keys_per_owner)
                .await
            {
                Ok(()) => {
                    return Ok(IamResponse::CreateAccessKey(s4_iam_query::AccessKey {
                        user_name: owner_name(&owner),
                        access_key_id: key.access_key_id,
                        status: AccessKeyStatus::Active,
                        secret_access_key: key.secret_access_key,
                        create_date: key.created,
                    }))
                }
                Err(StorageError::EntityAlreadyExists(_)) if attempts < 3 => attempts += 1,
                Err(other) => return Err(self.storage_error(other)),
            }
        }
    }

    /// The key must exist in the caller's account and belong to the owner the request names
    /// (`UserName`, else the caller); otherwise `NoSuchEntity`, as AWS answers.
    async fn own_key(&self, access_key_id: &str, user_name: Option<&str>) -> Result<(), IamError> {
        let owner = self.key_owner(user_name).await?;
        let key = self.store.get_access_key(access_key_id).await;
        let found = self.check(key)?.is_some_and(|k| {
            k.account == self.account
                && match (&k.owner, &owner) {
                    (KeyOwner::Root, KeyOwner::Root) => true,
                    (KeyOwner::User(a), KeyOwner::User(b)) => a.eq_ignore_ascii_case(b),
                    _ => false,
                }
        });
        if found {
            Ok(())
        } else {
            Err(self.error(
                IamErrorCode::NoSuchEntity,
                format!("The Access Key with id {access_key_id} cannot be found."),
            ))
        }
    }
}

fn managed_count() -> u32 {
    u32::try_from(managed::all().len()).unwrap_or(u32::MAX)
}

fn owner_name(owner: &KeyOwner) -> Option<String> {
    match owner {
        KeyOwner::Root => None,
        KeyOwner::User(name) => Some(name.clone()),
    }
}

fn key_status(status: KeyStatus) -> AccessKeyStatus {
    match status {
        KeyStatus::Active => AccessKeyStatus::Active,
        KeyStatus::Inactive => AccessKeyStatus::Inactive,
    }
}

/// A store message as an AWS-style sentence: capitalized, ending with a period.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The spec's integer-marker paging of the policy listings: the marker is an index, and one
/// greater than the `available` policies is a `ValidationError`.
fn policy_page<T>(
    items: Vec<T>,
    page: PolicyPage,
    available: u32,
) -> Result<(Vec<T>, Truncation), IamError> {
    page.check_marker(available)?;
    let start = page.marker.map_or(0, |m| m as usize);
    let (items, truncation) = slice_page(items, start, page.max_items, |_| String::new());
    let truncation = if truncation.is_truncated {
        Truncation::truncated((start + items.len()).to_string())
    } else {
        truncation
    };
    Ok((items, truncation))
}

/// Opaque-marker paging of the name-sorted listings: the marker is the name of the first
/// item of the next page; a marker naming no item resumes at the first name after it (so a
/// page survives the deletion of its marker's entity).
fn name_page<T>(items: Vec<T>, page: &Page, name: impl Fn(&T) -> &String) -> (Vec<T>, Truncation) {
    let start = page.marker.as_ref().map_or(0, |marker| {
        items
            .iter()
            .position(|item| name(item) >= marker)
            .unwrap_or(items.len())
    });
    slice_page(items, start, page.max_items, |item| name(item).clone())
}

/// Items `start..start + max_items` (default [`DEFAULT_PAGE_SIZE`]); when more remain, the
/// truncation's marker is `marker` of the first item left out.
fn slice_page<T>(
    items: Vec<T>,
    start: usize,
    max_items: Option<u32>,
    marker: impl Fn(&T) -> String,
) -> (Vec<T>, Truncation) {
    let max = max_items.map_or(DEFAULT_PAGE_SIZE, |m| m as usize);
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    if rest.len() > max {
        let next = marker(&rest[max]);
        rest.truncate(max);
        (rest, Truncation::truncated(next))
    } else {
        (rest, Truncation::complete())
    }
}

/// The names of a request checked again with `s4-naming`: [`IamRequest`]'s fields are
/// public, so a request built in code has not necessarily been through the parser.
fn check_names(request: &IamRequest) -> Result<(), IamError> {
    use IamRequest as R;
    let (user, group): (Option<&str>, Option<&str>) = match request {
        R::ListAttachedUserPolicies { user_name, .. }
        | R::AttachUserPolicy { user_name, .. }
        | R::DetachUserPolicy { user_name, .. }
        | R::CreateUser { user_name, .. }
        | R::DeleteUser { user_name }
        | R::ListGroupsForUser { user_name, .. } => (Some(user_name), None),
        R::GetUser { user_name }
        | R::CreateAccessKey { user_name }
        | R::ListAccessKeys { user_name, .. }
        | R::UpdateAccessKey { user_name, .. }
        | R::DeleteAccessKey { user_name, .. } => (user_name.as_deref(), None),
        R::ListAttachedGroupPolicies { group_name, .. }
        | R::AttachGroupPolicy { group_name, .. }
        | R::DetachGroupPolicy { group_name, .. }
        | R::CreateGroup { group_name }
        | R::GetGroup { group_name, .. }
        | R::DeleteGroup { group_name } => (None, Some(group_name)),
        R::AddUserToGroup {
            group_name,
            user_name,
        }
        | R::RemoveUserFromGroup {
            group_name,
            user_name,
        } => (Some(user_name), Some(group_name)),
        R::GetPolicy { .. }
        | R::GetPolicyVersion { .. }
        | R::ListPolicies { .. }
        | R::ListUsers { .. }
        | R::ListGroups { .. } => (None, None),
    };
    let invalid = |param: &str, e: IamNameError| {
        IamError::new(
            IamErrorCode::ValidationError,
            format!("Invalid {param}: {e}"),
        )
    };
    if let Some(name) = user {
        validate_user_name(name).map_err(|e| invalid("userName", e))?;
    }
    if let Some(name) = group {
        validate_group_name(name).map_err(|e| invalid("groupName", e))?;
    }
    Ok(())
}
