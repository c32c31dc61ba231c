//! CreateGroup, GetGroup, ListGroups, DeleteGroup and the memberships: AddUserToGroup,
//! RemoveUserFromGroup, ListGroupsForUser.

use s4_iam_query::{IamError, IamErrorCode, IamResponse, Page};
use s4_storage::{Group, IdentityStore, PolicyTarget, User};

use crate::ids::generate_group_id;
use crate::invocation::Invocation;
use crate::paging::name_page;

pub(crate) async fn create_group<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    group_name: String,
) -> Result<IamResponse, IamError> {
    let groups = cx.store.list_groups(&cx.account).await;
    if cx.check(groups)?.len() >= cx.limits.groups_per_account {
        return Err(cx.limit("GroupsPerAccount", cx.limits.groups_per_account));
    }
    let group = Group {
        account: cx.account,
        name: group_name,
        group_id: generate_group_id(),
        created: cx.now,
    };
    let group = cx.check(cx.store.create_group(group).await)?;
    Ok(IamResponse::CreateGroup(cx.group_info(&group)))
}

/// The group with a page of its members.
pub(crate) async fn get_group<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    group_name: String,
    page: Page,
) -> Result<IamResponse, IamError> {
    let group = cx.get_group(&group_name).await?;
    let members = cx.store.list_group_members(&cx.account, &group.name).await;
    let (users, truncation) = name_page(cx.check(members)?, &page, |u| &u.name);
    Ok(IamResponse::GetGroup {
        group: cx.group_info(&group),
        users: users.iter().map(|u| cx.user_info(u)).collect(),
        truncation,
    })
}

pub(crate) async fn list_groups<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    page: Page,
) -> Result<IamResponse, IamError> {
    let groups = cx.store.list_groups(&cx.account).await;
    let (groups, truncation) = name_page(cx.check(groups)?, &page, |g| &g.name);
    Ok(IamResponse::ListGroups {
        groups: groups.iter().map(|g| cx.group_info(g)).collect(),
        truncation,
    })
}

/// Refused (`DeleteConflict`) while the group has members or attached policies.
pub(crate) async fn delete_group<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    group_name: String,
) -> Result<IamResponse, IamError> {
    let group = cx.get_group(&group_name).await?;
    let members = cx.store.list_group_members(&cx.account, &group.name).await;
    if !cx.check(members)?.is_empty() {
        return Err(cx.conflict("must remove users from group first"));
    }
    let policies = cx
        .store
        .list_attached_policies(&cx.account, &PolicyTarget::Group(group.name.clone()))
        .await;
    if !cx.check(policies)?.is_empty() {
        return Err(cx.conflict("must detach all policies first"));
    }
    cx.check(cx.store.delete_group(&cx.account, &group.name).await)?;
    Ok(IamResponse::DeleteGroup)
}

/// Adding a member again succeeds; a new membership counts against `groups_per_user`.
pub(crate) async fn add_user_to_group<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    group_name: String,
    user_name: String,
) -> Result<IamResponse, IamError> {
    let (group, user, groups) = membership(cx, &group_name, &user_name).await?;
    let member = groups.iter().any(|g| g.name == group.name);
    if !member && groups.len() >= cx.limits.groups_per_user {
        return Err(cx.limit("GroupsPerUser", cx.limits.groups_per_user));
    }
    let added = cx
        .store
        .add_user_to_group(&cx.account, &group.name, &user.name)
        .await;
    cx.check(added)?;
    Ok(IamResponse::AddUserToGroup)
}

pub(crate) async fn remove_user_from_group<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    group_name: String,
    user_name: String,
) -> Result<IamResponse, IamError> {
    let (group, user, groups) = membership(cx, &group_name, &user_name).await?;
    if !groups.iter().any(|g| g.name == group.name) {
        return Err(cx.error(
            IamErrorCode::NoSuchEntity,
            format!(
                "The user with name {} is not a member of the group with name {}.",
                user.name, group.name
            ),
        ));
    }
    let removed = cx
        .store
        .remove_user_from_group(&cx.account, &group.name, &user.name)
        .await;
    cx.check(removed)?;
    Ok(IamResponse::RemoveUserFromGroup)
}

/// The group and the user (both must exist, group first as AWS checks them) and the groups
/// the user belongs to.
async fn membership<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    group_name: &str,
    user_name: &str,
) -> Result<(Group, User, Vec<Group>), IamError> {
    let group = cx.get_group(group_name).await?;
    let user = cx.get_user(user_name).await?;
    let groups = cx.store.list_groups_for_user(&cx.account, &user.name).await;
    let groups = cx.check(groups)?;
    Ok((group, user, groups))
}

pub(crate) async fn list_groups_for_user<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    user_name: String,
    page: Page,
) -> Result<IamResponse, IamError> {
    let user = cx.get_user(&user_name).await?;
    let groups = cx.store.list_groups_for_user(&cx.account, &user.name).await;
    let (groups, truncation) = name_page(cx.check(groups)?, &page, |g| &g.name);
    Ok(IamResponse::ListGroupsForUser {
        groups: groups.iter().map(|g| cx.group_info(g)).collect(),
        truncation,
    })
}
