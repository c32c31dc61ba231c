//! CreateUser, GetUser, ListUsers, DeleteUser.

use s4_iam_query::{IamError, IamErrorCode, IamResponse, Page, Tag};
use s4_storage::{IdentityStore, KeyOwner, PolicyTarget, User};

use crate::caller::Caller;
use crate::ids::generate_user_id;
use crate::invocation::Invocation;
use crate::paging::name_page;

/// The stores keep no tags, so a user with `Tags` is refused rather than created without
/// them.
pub(crate) async fn create_user<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    user_name: String,
    tags: Vec<Tag>,
) -> Result<IamResponse, IamError> {
    if !tags.is_empty() {
        return Err(cx.error(
            IamErrorCode::InvalidInput,
            "Tags are not supported by S4; create the user without Tags.",
        ));
    }
    let users = cx.store.list_users(&cx.account).await;
    if cx.check(users)?.len() >= cx.limits.users_per_account {
        return Err(cx.limit("UsersPerAccount", cx.limits.users_per_account));
    }
    let user = User {
        account: cx.account,
        name: user_name,
        user_id: generate_user_id(),
        created: cx.now,
    };
    let user = cx.check(cx.store.create_user(user).await)?;
    Ok(IamResponse::CreateUser(cx.user_info(&user)))
}

/// Without `UserName` a user describes itself and the root describes the account root.
pub(crate) async fn get_user<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    user_name: Option<String>,
) -> Result<IamResponse, IamError> {
    let name = match (user_name, cx.caller) {
        (Some(name), _) => name,
        (None, Caller::User { name, .. }) => (*name).to_owned(),
        (None, Caller::Root { .. }) => {
            let account = cx.store.get_account(&cx.account).await;
            let Some(account) = cx.check(account)? else {
                return Err(cx.error(
                    IamErrorCode::NoSuchEntity,
                    format!("The account {} cannot be found.", cx.account),
                ));
            };
            return Ok(IamResponse::GetUser(s4_iam_query::User::root(
                cx.account.as_str(),
                cx.caller.arn(),
                account.created,
            )));
        }
    };
    let user = cx.get_user(&name).await?;
    Ok(IamResponse::GetUser(cx.user_info(&user)))
}

pub(crate) async fn list_users<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    page: Page,
) -> Result<IamResponse, IamError> {
    let users = cx.store.list_users(&cx.account).await;
    let (users, truncation) = name_page(cx.check(users)?, &page, |u| &u.name);
    Ok(IamResponse::ListUsers {
        users: users.iter().map(|u| cx.user_info(u)).collect(),
        truncation,
    })
}

/// Refused (`DeleteConflict`) while the user has access keys, group memberships or attached
/// policies: nothing is removed implicitly.
pub(crate) async fn delete_user<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    user_name: String,
) -> Result<IamResponse, IamError> {
    let user = cx.get_user(&user_name).await?;
    let keys = cx
        .store
        .list_access_keys(&cx.account, &KeyOwner::User(user.name.clone()))
        .await;
    if !cx.check(keys)?.is_empty() {
        return Err(cx.conflict("must delete access keys first"));
    }
    let groups = cx.store.list_groups_for_user(&cx.account, &user.name).await;
    if !cx.check(groups)?.is_empty() {
        return Err(cx.conflict("must remove the user from all groups first"));
    }
    let policies = cx
        .store
        .list_attached_policies(&cx.account, &PolicyTarget::User(user.name.clone()))
        .await;
    if !cx.check(policies)?.is_empty() {
        return Err(cx.conflict("must detach all policies first"));
    }
    cx.check(cx.store.delete_user(&cx.account, &user.name).await)?;
    Ok(IamResponse::DeleteUser)
}
