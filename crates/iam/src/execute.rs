//! Executing one validated [`IamRequest`] against an [`IdentityStore`].

use s4_iam_query::{IamError, IamErrorCode, IamRequest, IamResponse};
use s4_naming::{validate_group_name, validate_user_name, IamNameError};
use s4_storage::{IdentityStore, PolicyTarget};
use time::OffsetDateTime;

use crate::caller::{authorize, Caller};
use crate::invocation::Invocation;
use crate::{access_keys, groups, policies, users};

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
    caller: &Caller<'_>,
    request: IamRequest,
    now: OffsetDateTime,
) -> Result<IamResponse, IamError> {
    execute_with(store, &Limits::default(), caller, request, now).await
}

/// [`execute`] with explicit quotas.
pub async fn execute_with<I: IdentityStore + ?Sized>(
    store: &I,
    limits: &Limits,
    caller: &Caller<'_>,
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
    caller: &Caller<'_>,
    request: IamRequest,
    now: OffsetDateTime,
    conditions: &[(&str, String)],
) -> Result<IamResponse, IamError> {
    let action = request.action();
    authorize(store, caller, action, conditions).await?;
    check_names(&request)?;
    let cx = Invocation {
        store,
        limits,
        caller,
        account: *caller.account(),
        action,
        now,
    };
    dispatch(&cx, request).await
}

/// The handler of each action: one plain function per action, grouped by concern in
/// [`users`], [`groups`], [`access_keys`] and [`policies`]. The match is exhaustive, so an
/// action added to `IamRequest` does not compile until it has a handler.
async fn dispatch<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    request: IamRequest,
) -> Result<IamResponse, IamError> {
    use IamRequest as R;
    match request {
        R::GetPolicy { policy_arn } => policies::get_policy(cx, policy_arn).await,
        R::GetPolicyVersion {
            policy_arn,
            version_id,
        } => policies::get_policy_version(cx, &policy_arn, version_id),
        R::ListPolicies { page, filter } => policies::list_policies(cx, page, filter).await,
        R::ListAttachedUserPolicies { user_name, page } => {
            policies::list_attached(cx, PolicyTarget::User(user_name), page).await
        }
        R::ListAttachedGroupPolicies { group_name, page } => {
            policies::list_attached(cx, PolicyTarget::Group(group_name), page).await
        }
        R::AttachUserPolicy {
            user_name,
            policy_arn,
        } => policies::attach(cx, PolicyTarget::User(user_name), policy_arn).await,
        R::AttachGroupPolicy {
            group_name,
            policy_arn,
        } => policies::attach(cx, PolicyTarget::Group(group_name), policy_arn).await,
        R::DetachUserPolicy {
            user_name,
            policy_arn,
        } => policies::detach(cx, PolicyTarget::User(user_name), policy_arn).await,
        R::DetachGroupPolicy {
            group_name,
            policy_arn,
        } => policies::detach(cx, PolicyTarget::Group(group_name), policy_arn).await,
        R::CreateUser { user_name, tags } => users::create_user(cx, user_name, tags).await,
        R::GetUser { user_name } => users::get_user(cx, user_name).await,
        R::ListUsers { page } => users::list_users(cx, page).await,
        R::DeleteUser { user_name } => users::delete_user(cx, user_name).await,
        R::CreateGroup { group_name } => groups::create_group(cx, group_name).await,
        R::GetGroup { group_name, page } => groups::get_group(cx, group_name, page).await,
        R::ListGroups { page } => groups::list_groups(cx, page).await,
        R::DeleteGroup { group_name } => groups::delete_group(cx, group_name).await,
        R::AddUserToGroup {
            group_name,
            user_name,
        } => groups::add_user_to_group(cx, group_name, user_name).await,
        R::RemoveUserFromGroup {
            group_name,
            user_name,
        } => groups::remove_user_from_group(cx, group_name, user_name).await,
        R::ListGroupsForUser { user_name, page } => {
            groups::list_groups_for_user(cx, user_name, page).await
        }
        R::CreateAccessKey { user_name } => access_keys::create_access_key(cx, user_name).await,
        R::ListAccessKeys { user_name, page } => {
            access_keys::list_access_keys(cx, user_name, page).await
        }
        R::UpdateAccessKey {
            access_key_id,
            status,
            user_name,
        } => access_keys::update_access_key(cx, access_key_id, status, user_name).await,
        R::DeleteAccessKey {
            access_key_id,
            user_name,
        } => access_keys::delete_access_key(cx, access_key_id, user_name).await,
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
