//! Who is calling, and IAM authorization by the policy engine.

use s4_iam_query::{IamAction, IamError, IamErrorCode};
use s4_naming::{AccountId, Arn};
use s4_policy::{decide, explain, managed, CompiledPolicy, Principal, RequestContext};
use s4_storage::{IdentityStore, KeyOwner, PolicyTarget, StorageError};

/// The authenticated principal of an IAM request, as a borrowed view: the service's
/// authenticated principal lends its account, user name and user ID, nothing is copied.
/// (Anonymous requests never reach IAM.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller<'a> {
    /// The account root (a root access key).
    Root { account: AccountId },
    /// An IAM user of the account, as the authenticator resolved it from the store.
    User {
        account: AccountId,
        /// The user name as stored.
        name: &'a str,
        /// The user's unique ID (`aws:userid` in policies).
        user_id: &'a str,
    },
}

impl<'a> Caller<'a> {
    /// The policy engine's view of the same principal (borrowed too), for IAM and S3
    /// requests alike.
    ///
    /// ```
    /// use s4_iam::Caller;
    /// use s4_naming::AccountId;
    ///
    /// let account = AccountId::from_number(42).unwrap();
    /// let alice = Caller::User { account, name: "alice", user_id: "AIDA1" };
    /// assert_eq!(
    ///     alice.principal(),
    ///     s4_policy::Principal::User { account, name: "alice", user_id: "AIDA1" }
    /// );
    /// ```
    pub fn principal(&self) -> Principal<'a> {
        match *self {
            Self::Root { account } => Principal::Root { account },
            Self::User {
                account,
                name,
                user_id,
            } => Principal::User {
                account,
                name,
                user_id,
            },
        }
    }

    /// The caller's account; every action acts inside it.
    pub fn account(&self) -> &AccountId {
        match self {
            Self::Root { account } | Self::User { account, .. } => account,
        }
    }

    /// `arn:aws:iam::<account>:root` or `arn:aws:iam::<account>:user/<name>`.
    pub fn arn(&self) -> String {
        match *self {
            Self::Root { account } => Arn::IamRoot { account }.to_string(),
            Self::User { account, name, .. } => Arn::IamUser {
                account,
                name: name.into(),
            }
            .to_string(),
        }
    }

    /// The owner of access keys created "for the caller" (no `UserName`).
    pub fn key_owner(&self) -> KeyOwner {
        match self {
            Self::Root { .. } => KeyOwner::Root,
            Self::User { name, .. } => KeyOwner::User((*name).to_owned()),
        }
    }
}

/// The identity policies of an IAM user: its own managed-policy attachments, then those of
/// each of its groups (in group-name order), without duplicates. The compiled forms come from
/// [`managed::ManagedPolicy::compiled`] (compiled once per process, never per request); an
/// attached ARN that names no managed policy is skipped.
pub async fn identity_policies<I: IdentityStore + ?Sized>(
    store: &I,
    account: &AccountId,
    user: &str,
) -> Result<Vec<&'static CompiledPolicy>, StorageError> {
    let mut arns = store
        .list_attached_policies(account, &PolicyTarget::User(user.to_owned()))
        .await?;
    for group in store.list_groups_for_user(account, user).await? {
        arns.extend(
            store
                .list_attached_policies(account, &PolicyTarget::Group(group.name))
                .await?,
        );
    }
    let mut out: Vec<&'static CompiledPolicy> = Vec::with_capacity(arns.len());
    for arn in &arns {
        if let Some(policy) = managed::by_arn(arn) {
            let compiled = policy.compiled();
            if !out.iter().any(|p| std::ptr::eq(*p, compiled)) {
                out.push(compiled);
            }
        }
    }
    Ok(out)
}

/// The resource every IAM action is authorized against: `*`. S4 has only the managed
/// policies, whose statements all name `"Resource": "*"`, so per-entity resources (user,
/// group or policy ARNs) would decide nothing differently.
pub const IAM_RESOURCE: &str = "*";

/// May `caller` perform `action`? Every action acts in the caller's own account only.
///
/// Decided by the policy engine (`s4_policy::decide`) like every S3 request: the account
/// root may do everything in its own account; an IAM user needs an identity policy (its own
/// attachments or its groups') that allows `iam:<Action>` on [`IAM_RESOURCE`] and none that
/// denies it. `conditions` are the request's condition keys (`aws:SourceIp`,
/// `aws:SecureTransport`, `aws:CurrentTime`, ...; the principal keys are derived here).
/// The decision and the deciding statement are logged at `DEBUG` with target `s4::authz`;
/// the `AccessDenied` message names the caller and the action, never a policy.
///
/// ```
/// use s4_iam::{authorize, Caller};
/// use s4_iam_query::{IamAction, IamErrorCode};
/// use s4_naming::AccountId;
/// use s4_storage::memory::MemoryStore;
/// use s4_storage::{IdentityStore, PolicyTarget, User};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let account = AccountId::from_number(42).unwrap();
/// store.create_account(&account).await.unwrap();
/// let now = time::OffsetDateTime::now_utc();
/// store.create_user(User { account, name: "alice".into(), user_id: "AIDA1".into(), created: now }).await.unwrap();
/// assert!(authorize(&store, &Caller::Root { account }, IamAction::CreateUser, &[]).await.is_ok());
/// let alice = Caller::User { account, name: "alice", user_id: "AIDA1" };
/// let e = authorize(&store, &alice, IamAction::GetUser, &[]).await.unwrap_err();
/// assert_eq!(e.code(), IamErrorCode::AccessDenied);
/// assert_eq!(
///     e.message(),
///     "User: arn:aws:iam::000000000000042:user/alice is not authorized to perform: iam:GetUser"
/// );
/// let target = PolicyTarget::User("alice".into());
/// store.attach_policy(&account, &target, "arn:aws:iam::aws:policy/IAMReadAccess").await.unwrap();
/// assert!(authorize(&store, &alice, IamAction::GetUser, &[]).await.is_ok());
/// assert!(authorize(&store, &alice, IamAction::CreateUser, &[]).await.is_err());
/// # });
/// ```
pub async fn authorize<I: IdentityStore + ?Sized>(
    store: &I,
    caller: &Caller<'_>,
    action: IamAction,
    conditions: &[(&str, String)],
) -> Result<(), IamError> {
    let action_name = action.policy_action();
    let denied = || {
        IamError::new(
            IamErrorCode::AccessDenied,
            format!(
                "User: {} is not authorized to perform: {action_name}",
                caller.arn()
            ),
        )
    };
    let internal = |e: StorageError| {
        tracing::error!(target: "s4::authz", error = %e, "identity store failed during authorization");
        IamError::new(
            IamErrorCode::InternalError,
            "We encountered an internal error. Please try again.",
        )
    };
    let identity = match caller {
        Caller::Root { .. } => Vec::new(),
        Caller::User { account, name, .. } => identity_policies(store, account, name)
            .await
            .map_err(internal)?,
    };
    let mut ctx = RequestContext::new(caller.principal(), action_name, IAM_RESOURCE);
    for (key, value) in conditions {
        ctx.insert(key, value.clone());
    }
    let decision = if tracing::enabled!(target: "s4::authz", tracing::Level::DEBUG) {
        let why = explain(&ctx, Some(*caller.account()), &identity, None);
        tracing::debug!(target: "s4::authz", principal = %caller.arn(), action = %action_name, resource = IAM_RESOURCE, decision = %why, "IAM authorization");
        why.decision
    } else {
        decide(&ctx, Some(*caller.account()), &identity, None)
    };
    if decision.is_allowed() {
        Ok(())
    } else {
        Err(denied())
    }
}
