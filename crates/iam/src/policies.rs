//! The spec's policy actions over the managed policies of `s4_policy::managed`: GetPolicy,
//! GetPolicyVersion, ListPolicies, ListAttachedUser/GroupPolicies, Attach/DetachUser/
//! GroupPolicy. A target is a user or a group ([`PolicyTarget`]).

use s4_iam_query::{
    AttachedPolicy, IamError, IamErrorCode, IamResponse, PolicyArn, PolicyFilter, PolicyPage,
};
use s4_policy::managed::{self, ManagedPolicy};
use s4_storage::{IdentityStore, PolicyTarget};

use crate::invocation::Invocation;
use crate::paging::policy_page;

pub(crate) async fn get_policy<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    policy_arn: PolicyArn,
) -> Result<IamResponse, IamError> {
    let policy = managed_policy(cx, &policy_arn, IamErrorCode::NoSuchEntity)?;
    Ok(IamResponse::GetPolicy(policy_info(cx, policy).await?))
}

/// Each managed policy has one version, its default. (No store read: the managed policies
/// are compiled in.)
pub(crate) fn get_policy_version<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    policy_arn: &PolicyArn,
    version_id: String,
) -> Result<IamResponse, IamError> {
    let policy = managed_policy(cx, policy_arn, IamErrorCode::NoSuchEntity)?;
    if version_id != policy.version_id() {
        return Err(cx.error(
            IamErrorCode::NoSuchEntity,
            format!(
                "Policy {policy_arn} version {version_id} does not exist or is not attachable."
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

pub(crate) async fn list_policies<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    page: PolicyPage,
    filter: PolicyFilter,
) -> Result<IamResponse, IamError> {
    // The filters decide which policies exist for this listing, so the Marker counts (and is
    // checked) within the filtered list.
    let mut listed = Vec::with_capacity(managed::all().len());
    for policy in managed::all() {
        let info = policy_info(cx, policy).await?;
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

/// ListAttachedUserPolicies and ListAttachedGroupPolicies.
pub(crate) async fn list_attached<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    target: PolicyTarget,
    page: PolicyPage,
) -> Result<IamResponse, IamError> {
    // The spec's Marker rule: greater than the number of managed policies is a
    // ValidationError, checked (like every validation) before the lookup.
    page.check_marker(managed_count())?;
    let arns = cx.store.list_attached_policies(&cx.account, &target).await;
    let (arns, truncation) = policy_page(cx.check(arns)?, page, managed_count())?;
    let attached_policies = arns
        .into_iter()
        .map(|arn| AttachedPolicy {
            policy_name: arn
                .strip_prefix(managed::ARN_PREFIX)
                .unwrap_or(&arn)
                .to_owned(),
            policy_arn: arn,
        })
        .collect();
    Ok(match target {
        PolicyTarget::User(_) => IamResponse::ListAttachedUserPolicies {
            attached_policies,
            truncation,
        },
        PolicyTarget::Group(_) => IamResponse::ListAttachedGroupPolicies {
            attached_policies,
            truncation,
        },
    })
}

/// AttachUserPolicy and AttachGroupPolicy: attaching again succeeds.
pub(crate) async fn attach<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    target: PolicyTarget,
    policy_arn: PolicyArn,
) -> Result<IamResponse, IamError> {
    let policy = managed_policy(cx, &policy_arn, IamErrorCode::InvalidArgument)?;
    target_exists(cx, &target).await?;
    let attached = cx
        .store
        .attach_policy(&cx.account, &target, &policy.arn())
        .await;
    cx.check(attached)?;
    Ok(match target {
        PolicyTarget::User(_) => IamResponse::AttachUserPolicy,
        PolicyTarget::Group(_) => IamResponse::AttachGroupPolicy,
    })
}

/// DetachUserPolicy and DetachGroupPolicy: a policy that is not attached is `NoSuchEntity`.
pub(crate) async fn detach<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    target: PolicyTarget,
    policy_arn: PolicyArn,
) -> Result<IamResponse, IamError> {
    let policy = managed_policy(cx, &policy_arn, IamErrorCode::InvalidArgument)?;
    target_exists(cx, &target).await?;
    let attached = cx.store.list_attached_policies(&cx.account, &target).await;
    if !cx.check(attached)?.contains(&policy.arn()) {
        return Err(cx.error(
            IamErrorCode::NoSuchEntity,
            format!("Policy {policy_arn} was not found."),
        ));
    }
    let detached = cx
        .store
        .detach_policy(&cx.account, &target, &policy.arn())
        .await;
    cx.check(detached)?;
    Ok(match target {
        PolicyTarget::User(_) => IamResponse::DetachUserPolicy,
        PolicyTarget::Group(_) => IamResponse::DetachGroupPolicy,
    })
}

/// The managed policy `arn` names, else `code` (NoSuchEntity for the reads, InvalidArgument
/// for Attach and Detach, as the spec gives them).
fn managed_policy<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    arn: &PolicyArn,
    code: IamErrorCode,
) -> Result<&'static ManagedPolicy, IamError> {
    managed::by_name(arn.name()).ok_or_else(|| {
        cx.error(
            code,
            format!("Policy {arn} does not exist or is not attachable."),
        )
    })
}

async fn policy_info<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    policy: &ManagedPolicy,
) -> Result<s4_iam_query::Policy, IamError> {
    let arn = policy.arn();
    let count = cx.store.count_policy_attachments(&cx.account, &arn).await;
    let count = cx.check(count)?;
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

async fn target_exists<I: IdentityStore + ?Sized>(
    cx: &Invocation<'_, I>,
    target: &PolicyTarget,
) -> Result<(), IamError> {
    match target {
        PolicyTarget::User(name) => cx.get_user(name).await.map(drop),
        PolicyTarget::Group(name) => cx.get_group(name).await.map(drop),
    }
}

fn managed_count() -> u32 {
    u32::try_from(managed::all().len()).unwrap_or(u32::MAX)
}
