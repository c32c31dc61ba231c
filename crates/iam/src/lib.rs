//! The IAM API of S4: executes a parsed [`IamRequest`](s4_iam_query::IamRequest) for an
//! authenticated [`Caller`] against any [`IdentityStore`](s4_storage::IdentityStore).
//!
//! `s4-iam-query` turns the HTTP form into a validated request and the result into XML; this
//! crate decides what the request does. It has no HTTP and no global state.
//!
//! ```
//! use s4_iam::{execute, Caller};
//! use s4_iam_query::{IamRequest, IamResponse, ParseOptions};
//! use s4_naming::AccountId;
//! use s4_storage::memory::MemoryStore;
//! use s4_storage::IdentityStore;
//! use time::OffsetDateTime;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! let account = AccountId::from_number(42).unwrap();
//! store.create_account(&account).await.unwrap();
//! let root = Caller::Root { account };
//! let now = OffsetDateTime::now_utc();
//!
//! let request = IamRequest::from_form(
//!     b"Action=CreateUser&Version=2010-05-08&UserName=alice",
//!     &ParseOptions::default(),
//! )
//! .unwrap();
//! let IamResponse::CreateUser(user) = execute(&store, &root, request, now).await.unwrap() else {
//!     unreachable!()
//! };
//! assert_eq!(user.arn, "arn:aws:iam::000000000000042:user/alice");
//! assert!(user.user_id.starts_with("AIDA"));
//!
//! let again = IamRequest::CreateUser { user_name: "ALICE".into(), tags: vec![] };
//! let e = execute(&store, &root, again, now).await.unwrap_err();
//! assert_eq!(e.code().as_str(), "EntityAlreadyExists");
//! assert_eq!(e.status(), 409);
//! # });
//! ```
//!
//! # Actions
//!
//! The spec's policy actions (section 3.3: GetPolicy, GetPolicyVersion, ListPolicies,
//! ListAttachedUserPolicies, ListAttachedGroupPolicies, Attach/DetachUserPolicy,
//! Attach/DetachGroupPolicy) over the 20 managed policies of `s4_policy::managed`, and AWS's
//! user, group and access-key actions (CreateUser, GetUser, ListUsers, DeleteUser,
//! CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup, RemoveUserFromGroup,
//! ListGroupsForUser, CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey).
//! Every action acts in the caller's own account.
//!
//! # Authorization
//!
//! [`authorize`] is the one place that decides, with the policy engine of `s4-policy`: the
//! account root may perform every action; an IAM user needs an identity policy (attached to
//! it or to one of its groups, [`identity_policies`]) that allows `iam:<Action>` on resource
//! `*` ([`IAM_RESOURCE`]) and none that denies it (`AccessDenied` otherwise).
//!
//! # Decisions
//!
//! * **Errors** follow AWS IAM: `NoSuchEntity` (404; 400 in ListAttached*Policies, spec),
//!   `EntityAlreadyExists`, `DeleteConflict` and `LimitExceeded` (409), with AWS's messages.
//!   Attach and Detach with a well-formed ARN that names no managed policy answer
//!   `InvalidArgument` (spec); Detach of a policy that is not attached is `NoSuchEntity`.
//! * **Names** are case-insensitive for uniqueness and lookup, as in AWS; a user keeps the
//!   spelling it was created with. Names are checked again with `s4-naming` here, since an
//!   `IamRequest` can be built without the parser.
//! * **Tags**: the stores keep no tags, so CreateUser with `Tags` is refused with
//!   `InvalidInput` rather than silently dropping them; nothing is created.
//! * **Quotas** ([`Limits`]): AWS's defaults, 2 access keys per user (and per account root),
//!   10 groups per user, 5000 users and 300 groups per account.
//! * **DeleteUser** refuses (`DeleteConflict`) while the user has access keys, group
//!   memberships or attached policies, and DeleteGroup while the group has members or
//!   policies, as AWS does; nothing is removed implicitly.
//! * **Access keys**: IDs are 20 upper-case letters and digits (`AKIA...`), secrets 40
//!   letters and digits from a CSPRNG ([`generate_access_key_id`],
//!   [`generate_secret_access_key`]). The secret is returned by CreateAccessKey only and
//!   never appears in `Debug` output. Without `UserName` the key actions act on the caller's
//!   own keys (the root's for the root). UpdateAccessKey and DeleteAccessKey answer
//!   `NoSuchEntity` for a key of another owner or account. The status is read from the store
//!   on every authentication, so an inactive key stops working with the next request.
//! * **Paging**: the policy listings use the spec's integer markers (an index; a marker
//!   greater than the number of managed policies, 20, is `ValidationError`, for
//!   ListAttached*Policies too, as the spec words it); users, groups and members use the
//!   next item's name as an opaque marker, access keys the next key's ID. `MaxItems`
//!   defaults to 100.
//! * **GetUser** without `UserName` by the root describes the root: `UserId` is the account
//!   ID, the ARN `arn:aws:iam::<account>:root`, no `UserName` or `Path` (as AWS answers).
//! * **IDs**: users get `AIDA` + 17, groups `AGPA` + 17 upper-case letters and digits.

mod access_keys;
mod caller;
mod execute;
mod groups;
mod ids;
mod invocation;
mod paging;
mod policies;
mod users;

pub use caller::{authorize, identity_policies, Caller, IAM_RESOURCE};
pub use execute::{
    execute, execute_in_context, execute_with, Limits, DEFAULT_PAGE_SIZE, MAX_ACCESS_KEYS_PER_OWNER,
};
pub use ids::{
    generate_access_key_id, generate_group_id, generate_secret_access_key, generate_user_id,
};

#[cfg(test)]
mod tests;
