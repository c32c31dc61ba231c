//! Typed IAM requests: one [`IamRequest`] variant per supported action, parsed from
//! [`QueryParams`] and serialized back to them.
//!
//! # Action and Version
//!
//! * No `Action` (or an empty one): `MissingAction` (400).
//! * An `Action` S4 does not implement, or a `Version` other than `2010-05-08`:
//!   `InvalidAction` (400) with AWS's message `Could not find operation <Action> for version
//!   <Version>`. A missing `Version` is treated the same way, with the version shown as
//!   `NO_VERSION_SPECIFIED` as AWS's query services do: every SDK sends `Version`, so a
//!   request without it is not one AWS would serve.
//!
//! Parameters an action does not know are ignored (AWS does the same; SigV4 query
//! parameters such as `X-Amz-Signature` arrive that way), and so is the spec's unsupported
//! `PathPrefix`. ListPolicies' `OnlyAttached`, `PolicyUsageFilter` and `Scope` are read into a
//! [`PolicyFilter`]. See
//! [`crate::validate`] for the checks and their order.

use std::fmt;

use s4_naming::Arn;

use crate::error::{IamError, IamErrorCode};
use crate::params::QueryParams;
use crate::policy_filter::PolicyFilter;
use crate::validate::{
    only_root_path, policy_arn, unique_tag_keys, Reader, DEFAULT_MAX_ITEMS, IAM_VERSION,
};

/// The kind of IAM resource an action reads or changes, as AWS's authorization reference
/// names the resource type of each action: access keys belong to their user, memberships to
/// their group, a listing to the kind it lists.
///
/// S4 authorizes every IAM action against `*` (the managed policies all say `"Resource":
/// "*"`); the kind says which ARN ([`s4_naming::Arn::IamUser`], [`Arn::IamGroup`] or
/// [`Arn::AwsManagedPolicy`]) a per-resource decision would use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IamResourceKind {
    /// A managed policy, `arn:aws:iam::aws:policy/<name>`.
    Policy,
    /// An IAM user, `arn:aws:iam::<account>:user/<name>`.
    User,
    /// An IAM group, `arn:aws:iam::<account>:group/<name>`.
    Group,
}

/// The catalogue of IAM actions: one row per action, `Name => ResourceKind`. The enum, the
/// `Action` parameter value, the policy action it is authorized as (`iam:<Name>`) and the
/// resource kind all come from the row; the handler is `s4-iam`'s exhaustive dispatch over
/// [`IamRequest`], and `s4-iam` tests that `s4_policy::actions::IAM_ACTIONS` (the vocabulary
/// policy validation accepts) names every action here.
macro_rules! actions {
    ($( $(#[$doc:meta])* $name:ident => $resource:ident ),* $(,)?) => {
        /// The IAM actions S4 implements.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum IamAction {
            $( $(#[$doc])* $name, )*
        }

        impl IamAction {
            /// Every action, in declaration order.
            pub const ALL: &'static [IamAction] = &[ $( Self::$name, )* ];

            /// The `Action` parameter value.
            pub const fn as_str(self) -> &'static str {
                match self { $( Self::$name => stringify!($name), )* }
            }

            /// The policy action the request is authorized as: `iam:<Action>`.
            ///
            /// ```
            /// assert_eq!(s4_iam_query::IamAction::CreateUser.policy_action(), "iam:CreateUser");
            /// ```
            pub const fn policy_action(self) -> &'static str {
                match self { $( Self::$name => concat!("iam:", stringify!($name)), )* }
            }

            /// The kind of resource the action reads or changes.
            pub const fn resource_kind(self) -> IamResourceKind {
                match self { $( Self::$name => IamResourceKind::$resource, )* }
            }

            /// Parses an `Action` value (exact, case-sensitive).
            pub fn parse(action: &str) -> Option<Self> {
                match action { $( stringify!($name) => Some(Self::$name), )* _ => None }
            }
        }
    };
}

actions! {
    /// Spec 3.3.1.
    GetPolicy => Policy,
    /// Spec 3.3.1.
    GetPolicyVersion => Policy,
    /// Spec 3.3.1.
    ListPolicies => Policy,
    /// Spec 3.3.1.
    ListAttachedUserPolicies => User,
    /// Spec 3.3.1.
    ListAttachedGroupPolicies => Group,
    /// Spec 3.3.1.
    AttachUserPolicy => User,
    /// Spec 3.3.1.
    AttachGroupPolicy => Group,
    /// Spec 3.3.1.
    DetachUserPolicy => User,
    /// Spec 3.3.1.
    DetachGroupPolicy => Group,
    /// AWS IAM.
    CreateUser => User,
    /// AWS IAM.
    GetUser => User,
    /// AWS IAM.
    ListUsers => User,
    /// AWS IAM.
    DeleteUser => User,
    /// AWS IAM.
    CreateGroup => Group,
    /// AWS IAM.
    GetGroup => Group,
    /// AWS IAM.
    ListGroups => Group,
    /// AWS IAM.
    DeleteGroup => Group,
    /// AWS IAM.
    AddUserToGroup => Group,
    /// AWS IAM.
    RemoveUserFromGroup => Group,
    /// AWS IAM.
    ListGroupsForUser => User,
    /// AWS IAM.
    CreateAccessKey => User,
    /// AWS IAM.
    ListAccessKeys => User,
    /// AWS IAM.
    UpdateAccessKey => User,
    /// AWS IAM.
    DeleteAccessKey => User,
}

impl IamAction {
    /// An error raised while serving this action, with the status the spec gives the code
    /// here: `NoSuchEntity` is 400 in ListAttachedUserPolicies and ListAttachedGroupPolicies
    /// (spec 3.3) and the code's default (404) elsewhere.
    ///
    /// ```
    /// use s4_iam_query::{IamAction, IamErrorCode};
    ///
    /// let e = IamAction::ListAttachedUserPolicies.error(IamErrorCode::NoSuchEntity, "no bob");
    /// assert_eq!(e.status(), 400);
    /// assert_eq!(IamAction::GetUser.error(IamErrorCode::NoSuchEntity, "no bob").status(), 404);
    /// ```
    pub fn error(self, code: IamErrorCode, message: impl Into<String>) -> IamError {
        let error = IamError::new(code, message);
        match (self, code) {
            (
                Self::ListAttachedUserPolicies | Self::ListAttachedGroupPolicies,
                IamErrorCode::NoSuchEntity,
            ) => error.with_status(400),
            _ => error,
        }
    }
}

impl fmt::Display for IamAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated S4 managed-policy ARN, `arn:aws:iam::aws:policy/<name>` (spec 3.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyArn {
    name: String,
}

impl PolicyArn {
    /// Parses and validates `text` as a `PolicyArn` parameter would be (length, then ARN).
    pub fn parse(text: &str) -> Result<Self, IamError> {
        let len = text.chars().count();
        if !(20..=2048).contains(&len) {
            return Err(IamError::new(
                IamErrorCode::ValidationError,
                format!("PolicyArn must be between 20 and 2048 characters long (got {len})"),
            ));
        }
        policy_arn(text)
    }

    pub(crate) fn managed(name: String) -> Self {
        Self { name }
    }

    /// The policy name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// As an `s4_naming::Arn`.
    pub fn as_arn(&self) -> Arn<'_> {
        Arn::AwsManagedPolicy {
            name: self.name.as_str().into(),
        }
    }
}

impl fmt::Display for PolicyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_arn(), f)
    }
}

/// An access key status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKeyStatus {
    /// Usable.
    Active,
    /// Disabled.
    Inactive,
}

impl AccessKeyStatus {
    /// `"Active"` or `"Inactive"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
        }
    }

    /// Parses `Active` or `Inactive` (exact).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Active" => Some(Self::Active),
            "Inactive" => Some(Self::Inactive),
            _ => None,
        }
    }
}

/// A user tag.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tag {
    /// 1..=128 characters.
    pub key: String,
    /// 0..=256 characters.
    pub value: String,
}

/// `Marker` and `MaxItems` of the user, group and access-key listings (AWS: an opaque
/// marker string).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Page {
    /// Where to continue, from a previous `<Marker>`.
    pub marker: Option<String>,
    /// At most this many items, `1..=ParseOptions::max_items`.
    pub max_items: Option<u32>,
}

/// `Marker` and `MaxItems` of the policy listings (spec 3.3: the marker is a non-negative
/// integer; whether it exceeds the number of policies is for the handler to check).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PolicyPage {
    /// Index to continue from.
    pub marker: Option<u32>,
    /// At most this many items, `1..=ParseOptions::max_items`.
    pub max_items: Option<u32>,
}

impl PolicyPage {
    /// The handler's half of the spec's Marker rule: a marker greater than the number of
    /// policies available is `ValidationError` (spec 3.3, ListPolicies and
    /// ListAttached*Policies), with the parser's message style.
    ///
    /// ```
    /// use s4_iam_query::{IamErrorCode, PolicyPage};
    ///
    /// let page = PolicyPage { marker: Some(6), max_items: None };
    /// assert!(page.check_marker(6).is_ok());
    /// let e = page.check_marker(5).unwrap_err();
    /// assert_eq!(e.code(), IamErrorCode::ValidationError);
    /// assert_eq!(
    ///     e.message(),
    ///     "1 validation error detected: Value '6' at 'marker' failed to satisfy constraint: \
    ///      Member must have value less than or equal to 5"
    /// );
    /// ```
    pub fn check_marker(&self, available: u32) -> Result<(), IamError> {
        match self.marker {
            Some(m) if m > available => {
                let mut v = crate::validate::Violations::default();
                v.push(
                    Some(&m.to_string()),
                    "marker",
                    &format!("Member must have value less than or equal to {available}"),
                );
                v.into_result()
            }
            _ => Ok(()),
        }
    }
}

/// Parser settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// The largest `MaxItems` accepted (spec 3.3: "the max number for MaxItems specified in
    /// the configuration"); default 1000, AWS's maximum.
    pub max_items: u32,
    /// Largest form body, in bytes; default [`crate::DEFAULT_BODY_LIMIT`].
    pub body_limit: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            max_items: DEFAULT_MAX_ITEMS,
            body_limit: crate::DEFAULT_BODY_LIMIT,
        }
    }
}

/// One IAM request, validated.
///
/// User names are 1..=64 and group names 1..=128 characters of `[A-Za-z0-9+=,.@_-]`;
/// `None` for an optional `UserName` means the caller (AWS: the user whose access key
/// signed the request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IamRequest {
    /// The `GetPolicy` action.
    GetPolicy {
        /// The managed policy, by ARN.
        policy_arn: PolicyArn,
    },
    /// The `GetPolicyVersion` action.
    GetPolicyVersion {
        /// The managed policy, by ARN.
        policy_arn: PolicyArn,
        /// Matches `v[1-9][0-9]{0,9}(\.[A-Za-z0-9-]{1,64})?`.
        version_id: String,
    },
    /// The `ListPolicies` action.
    ListPolicies {
        /// `Marker` and `MaxItems`.
        page: PolicyPage,
        /// `Scope`, `OnlyAttached` and `PolicyUsageFilter`.
        filter: PolicyFilter,
    },
    /// The `ListAttachedUserPolicies` action.
    ListAttachedUserPolicies {
        /// The `UserName`.
        user_name: String,
        /// `Marker` and `MaxItems`.
        page: PolicyPage,
    },
    /// The `ListAttachedGroupPolicies` action.
    ListAttachedGroupPolicies {
        /// The `GroupName`.
        group_name: String,
        /// `Marker` and `MaxItems`.
        page: PolicyPage,
    },
    /// The `AttachUserPolicy` action.
    AttachUserPolicy {
        /// The `UserName`.
        user_name: String,
        /// The managed policy, by ARN.
        policy_arn: PolicyArn,
    },
    /// The `AttachGroupPolicy` action.
    AttachGroupPolicy {
        /// The `GroupName`.
        group_name: String,
        /// The managed policy, by ARN.
        policy_arn: PolicyArn,
    },
    /// The `DetachUserPolicy` action.
    DetachUserPolicy {
        /// The `UserName`.
        user_name: String,
        /// The managed policy, by ARN.
        policy_arn: PolicyArn,
    },
    /// The `DetachGroupPolicy` action.
    DetachGroupPolicy {
        /// The `GroupName`.
        group_name: String,
        /// The managed policy, by ARN.
        policy_arn: PolicyArn,
    },
    /// The `CreateUser` action.
    ///
    /// `Path` may be given only as `/`; `PermissionsBoundary` is refused (`InvalidInput`)
    /// rather than ignored, since S4 has no permissions boundaries.
    CreateUser {
        /// The `UserName`.
        user_name: String,
        /// The `Tags.member.N` key/value pairs, in request order.
        tags: Vec<Tag>,
    },
    /// The `GetUser` action.
    GetUser {
        /// The `UserName`; `None` means the caller.
        user_name: Option<String>,
    },
    /// The `ListUsers` action.
    ///
    /// `PathPrefix` is ignored.
    ListUsers {
        /// `Marker` and `MaxItems`.
        page: Page,
    },
    /// The `DeleteUser` action.
    DeleteUser {
        /// The `UserName`.
        user_name: String,
    },
    /// The `CreateGroup` action.
    ///
    /// `Path` may be given only as `/`.
    CreateGroup {
        /// The `GroupName`.
        group_name: String,
    },
    /// The `GetGroup` action.
    GetGroup {
        /// The `GroupName`.
        group_name: String,
        /// `Marker` and `MaxItems`.
        page: Page,
    },
    /// The `ListGroups` action.
    ///
    /// `PathPrefix` is ignored.
    ListGroups {
        /// `Marker` and `MaxItems`.
        page: Page,
    },
    /// The `DeleteGroup` action.
    DeleteGroup {
        /// The `GroupName`.
        group_name: String,
    },
    /// The `AddUserToGroup` action.
    AddUserToGroup {
        /// The `GroupName`.
        group_name: String,
        /// The `UserName`.
        user_name: String,
    },
    /// The `RemoveUserFromGroup` action.
    RemoveUserFromGroup {
        /// The `GroupName`.
        group_name: String,
        /// The `UserName`.
        user_name: String,
    },
    /// The `ListGroupsForUser` action.
    ListGroupsForUser {
        /// The `UserName`.
        user_name: String,
        /// `Marker` and `MaxItems`.
        page: Page,
    },
    /// The `CreateAccessKey` action.
    CreateAccessKey {
        /// The `UserName`; `None` means the caller.
        user_name: Option<String>,
    },
    /// The `ListAccessKeys` action.
    ListAccessKeys {
        /// The `UserName`; `None` means the caller.
        user_name: Option<String>,
        /// `Marker` and `MaxItems`.
        page: Page,
    },
    /// The `UpdateAccessKey` action.
    UpdateAccessKey {
        /// 16..=128 characters of `[A-Za-z0-9_]`.
        access_key_id: String,
        /// The new `Status`.
        status: AccessKeyStatus,
        /// The `UserName`; `None` means the caller.
        user_name: Option<String>,
    },
    /// The `DeleteAccessKey` action.
    DeleteAccessKey {
        /// The `AccessKeyId`.
        access_key_id: String,
        /// The `UserName`; `None` means the caller.
        user_name: Option<String>,
    },
}

impl IamRequest {
    /// Parses a GET query string (without `?`).
    pub fn from_query(query: &str, options: &ParseOptions) -> Result<Self, IamError> {
        Self::parse(&QueryParams::parse_query(query)?, options)
    }

    /// Parses a POST form body (limited to `options.body_limit` bytes).
    pub fn from_form(body: &[u8], options: &ParseOptions) -> Result<Self, IamError> {
        Self::parse(&QueryParams::parse_form(body, options.body_limit)?, options)
    }

    /// Parses a POST whose query string may carry parameters too (merged with the body;
    /// a parameter in both is `MalformedInput`).
    pub fn from_query_and_form(
        query: &str,
        body: &[u8],
        options: &ParseOptions,
    ) -> Result<Self, IamError> {
        let params = QueryParams::parse_query(query)?
            .merge(QueryParams::parse_form(body, options.body_limit)?)?;
        Self::parse(&params, options)
    }

    /// Reads `Action`, checks `Version`, then reads and validates the action's parameters.
    pub fn parse(params: &QueryParams, options: &ParseOptions) -> Result<Self, IamError> {
        let action = match params.get("Action") {
            Some(a) if !a.is_empty() => a,
            _ => {
                return Err(IamError::new(
                    IamErrorCode::MissingAction,
                    "The request must contain the parameter Action.",
                ))
            }
        };
        let version = params.get("Version");
        let action = match IamAction::parse(action) {
            Some(a) if version == Some(IAM_VERSION) => a,
            _ => {
                return Err(IamError::new(
                    IamErrorCode::InvalidAction,
                    format!(
                        "Could not find operation {} for version {}",
                        crate::params::quoted(action),
                        version.map_or_else(
                            || "NO_VERSION_SPECIFIED".to_owned(),
                            crate::params::quoted
                        )
                    ),
                ))
            }
        };
        Self::parse_action(action, params, options)
    }

    fn parse_action(
        action: IamAction,
        params: &QueryParams,
        options: &ParseOptions,
    ) -> Result<Self, IamError> {
        use IamAction as A;
        let mut r = Reader::new(params, options.max_items);
        let request = match action {
            A::GetPolicy => {
                let arn = r.policy_arn_text();
                r.finish()?;
                Self::GetPolicy {
                    policy_arn: policy_arn(arn)?,
                }
            }
            A::GetPolicyVersion => {
                let arn = r.policy_arn_text();
                let version_id = r.version_id();
                r.finish()?;
                Self::GetPolicyVersion {
                    policy_arn: policy_arn(arn)?,
                    version_id,
                }
            }
            A::ListPolicies => {
                let page = policy_page(&mut r)?;
                let filter = PolicyFilter::read(&mut r);
                r.finish()?;
                Self::ListPolicies { page, filter }
            }
            A::ListAttachedUserPolicies => {
                let page = policy_page(&mut r)?;
                let user_name = r.user_name("UserName");
                r.finish()?;
                Self::ListAttachedUserPolicies { user_name, page }
            }
            A::ListAttachedGroupPolicies => {
                let page = policy_page(&mut r)?;
                let group_name = r.group_name("GroupName");
                r.finish()?;
                Self::ListAttachedGroupPolicies { group_name, page }
            }
            A::AttachUserPolicy | A::DetachUserPolicy => {
                let user_name = r.user_name("UserName");
                let arn = r.policy_arn_text();
                r.finish()?;
                let policy_arn = policy_arn(arn)?;
                if action == A::AttachUserPolicy {
                    Self::AttachUserPolicy {
                        user_name,
                        policy_arn,
                    }
                } else {
                    Self::DetachUserPolicy {
                        user_name,
                        policy_arn,
                    }
                }
            }
            A::AttachGroupPolicy | A::DetachGroupPolicy => {
                let group_name = r.group_name("GroupName");
                let arn = r.policy_arn_text();
                r.finish()?;
                let policy_arn = policy_arn(arn)?;
                if action == A::AttachGroupPolicy {
                    Self::AttachGroupPolicy {
                        group_name,
                        policy_arn,
                    }
                } else {
                    Self::DetachGroupPolicy {
                        group_name,
                        policy_arn,
                    }
                }
            }
            A::CreateUser => {
                let tags = r.tags()?;
                let user_name = r.user_name("UserName");
                let path = r.path();
                r.finish()?;
                only_root_path(path)?;
                unique_tag_keys(&tags)?;
                if params.get("PermissionsBoundary").is_some() {
                    // Ignoring it would leave a client believing the user is bounded.
                    return Err(IamError::new(
                        IamErrorCode::InvalidInput,
                        "PermissionsBoundary is not supported by S4.",
                    ));
                }
                Self::CreateUser { user_name, tags }
            }
            A::GetUser => {
                let user_name = r.opt_user_name("UserName");
                r.finish()?;
                Self::GetUser { user_name }
            }
            A::ListUsers => {
                let page = page(&mut r)?;
                r.finish()?;
                Self::ListUsers { page }
            }
            A::DeleteUser => {
                let user_name = r.user_name("UserName");
                r.finish()?;
                Self::DeleteUser { user_name }
            }
            A::CreateGroup => {
                let group_name = r.group_name("GroupName");
                let path = r.path();
                r.finish()?;
                only_root_path(path)?;
                Self::CreateGroup { group_name }
            }
            A::GetGroup => {
                let page = page(&mut r)?;
                let group_name = r.group_name("GroupName");
                r.finish()?;
                Self::GetGroup { group_name, page }
            }
            A::ListGroups => {
                let page = page(&mut r)?;
                r.finish()?;
                Self::ListGroups { page }
            }
            A::DeleteGroup => {
                let group_name = r.group_name("GroupName");
                r.finish()?;
                Self::DeleteGroup { group_name }
            }
            A::AddUserToGroup | A::RemoveUserFromGroup => {
                let group_name = r.group_name("GroupName");
                let user_name = r.user_name("UserName");
                r.finish()?;
                if action == A::AddUserToGroup {
                    Self::AddUserToGroup {
                        group_name,
                        user_name,
                    }
                } else {
                    Self::RemoveUserFromGroup {
                        group_name,
                        user_name,
                    }
                }
            }
            A::ListGroupsForUser => {
                let page = page(&mut r)?;
                let user_name = r.user_name("UserName");
                r.finish()?;
                Self::ListGroupsForUser { user_name, page }
            }
            A::CreateAccessKey => {
                let user_name = r.opt_user_name("UserName");
                r.finish()?;
                Self::CreateAccessKey { user_name }
            }
            A::ListAccessKeys => {
                let page = page(&mut r)?;
                let user_name = r.opt_user_name("UserName");
                r.finish()?;
                Self::ListAccessKeys { user_name, page }
            }
            A::UpdateAccessKey => {
                let user_name = r.opt_user_name("UserName");
                let access_key_id = r.access_key_id();
                let status = r.status();
                r.finish()?;
                Self::UpdateAccessKey {
                    access_key_id,
                    status,
                    user_name,
                }
            }
            A::DeleteAccessKey => {
                let user_name = r.opt_user_name("UserName");
                let access_key_id = r.access_key_id();
                r.finish()?;
                Self::DeleteAccessKey {
                    access_key_id,
                    user_name,
                }
            }
        };
        Ok(request)
    }

    /// The action.
    pub fn action(&self) -> IamAction {
        use IamAction as A;
        match self {
            Self::GetPolicy { .. } => A::GetPolicy,
            Self::GetPolicyVersion { .. } => A::GetPolicyVersion,
            Self::ListPolicies { .. } => A::ListPolicies,
            Self::ListAttachedUserPolicies { .. } => A::ListAttachedUserPolicies,
            Self::ListAttachedGroupPolicies { .. } => A::ListAttachedGroupPolicies,
            Self::AttachUserPolicy { .. } => A::AttachUserPolicy,
            Self::AttachGroupPolicy { .. } => A::AttachGroupPolicy,
            Self::DetachUserPolicy { .. } => A::DetachUserPolicy,
            Self::DetachGroupPolicy { .. } => A::DetachGroupPolicy,
            Self::CreateUser { .. } => A::CreateUser,
            Self::GetUser { .. } => A::GetUser,
            Self::ListUsers { .. } => A::ListUsers,
            Self::DeleteUser { .. } => A::DeleteUser,
            Self::CreateGroup { .. } => A::CreateGroup,
            Self::GetGroup { .. } => A::GetGroup,
            Self::ListGroups { .. } => A::ListGroups,
            Self::DeleteGroup { .. } => A::DeleteGroup,
            Self::AddUserToGroup { .. } => A::AddUserToGroup,
            Self::RemoveUserFromGroup { .. } => A::RemoveUserFromGroup,
            Self::ListGroupsForUser { .. } => A::ListGroupsForUser,
            Self::CreateAccessKey { .. } => A::CreateAccessKey,
            Self::ListAccessKeys { .. } => A::ListAccessKeys,
            Self::UpdateAccessKey { .. } => A::UpdateAccessKey,
            Self::DeleteAccessKey { .. } => A::DeleteAccessKey,
        }
    }

    /// The request as parameters: `Action`, `Version`, then the action's parameters, so that
    /// `IamRequest::parse(&r.to_params(), ..) == Ok(r)` for every valid `r`.
    pub fn to_params(&self) -> QueryParams {
        let mut p = Params(Vec::with_capacity(6));
        p.push("Action", self.action().as_str());
        p.push("Version", IAM_VERSION);
        match self {
            Self::GetPolicy { policy_arn } => p.push("PolicyArn", policy_arn.to_string()),
            Self::GetPolicyVersion {
                policy_arn,
                version_id,
            } => {
                p.push("PolicyArn", policy_arn.to_string());
                p.push("VersionId", version_id);
            }
            Self::ListPolicies { page, filter } => {
                p.policy_page(*page);
                for (name, value) in filter.params() {
                    p.push(name, value.to_owned());
                }
            }
            Self::ListAttachedUserPolicies { user_name, page } => {
                p.push("UserName", user_name);
                p.policy_page(*page);
            }
            Self::ListAttachedGroupPolicies { group_name, page } => {
                p.push("GroupName", group_name);
                p.policy_page(*page);
            }
            Self::AttachUserPolicy {
                user_name,
                policy_arn,
            }
            | Self::DetachUserPolicy {
                user_name,
                policy_arn,
            } => {
                p.push("UserName", user_name);
                p.push("PolicyArn", policy_arn.to_string());
            }
            Self::AttachGroupPolicy {
                group_name,
                policy_arn,
            }
            | Self::DetachGroupPolicy {
                group_name,
                policy_arn,
            } => {
                p.push("GroupName", group_name);
                p.push("PolicyArn", policy_arn.to_string());
            }
            Self::CreateUser { user_name, tags } => {
                p.push("UserName", user_name);
                for (i, tag) in tags.iter().enumerate() {
                    p.push(format!("Tags.member.{}.Key", i + 1), &tag.key);
                    p.push(format!("Tags.member.{}.Value", i + 1), &tag.value);
                }
            }
            Self::GetUser { user_name } | Self::CreateAccessKey { user_name } => {
                p.opt("UserName", user_name.as_deref());
            }
            Self::ListUsers { page } | Self::ListGroups { page } => p.page(page),
            Self::DeleteUser { user_name } => p.push("UserName", user_name),
            Self::CreateGroup { group_name } | Self::DeleteGroup { group_name } => {
                p.push("GroupName", group_name);
            }
            Self::GetGroup { group_name, page } => {
                p.push("GroupName", group_name);
                p.page(page);
            }
            Self::AddUserToGroup {
                group_name,
                user_name,
            }
            | Self::RemoveUserFromGroup {
                group_name,
                user_name,
            } => {
                p.push("GroupName", group_name);
                p.push("UserName", user_name);
            }
            Self::ListGroupsForUser { user_name, page } => {
                p.push("UserName", user_name);
                p.page(page);
            }
            Self::ListAccessKeys { user_name, page } => {
                p.opt("UserName", user_name.as_deref());
                p.page(page);
            }
            Self::UpdateAccessKey {
                access_key_id,
                status,
                user_name,
            } => {
                p.push("AccessKeyId", access_key_id);
                p.push("Status", status.as_str());
                p.opt("UserName", user_name.as_deref());
            }
            Self::DeleteAccessKey {
                access_key_id,
                user_name,
            } => {
                p.push("AccessKeyId", access_key_id);
                p.opt("UserName", user_name.as_deref());
            }
        }
        let mut params = QueryParams::new();
        for (k, v) in p.0 {
            // Names are distinct by construction.
            let _ = params.insert(k, v);
        }
        params
    }

    /// [`Self::to_params`] encoded as a form body or query string
    /// (`Action=GetUser&Version=2010-05-08&UserName=alice`).
    pub fn to_form_string(&self) -> String {
        self.to_params().to_form_string()
    }
}

fn policy_page(r: &mut Reader<'_>) -> Result<PolicyPage, IamError> {
    Ok(PolicyPage {
        marker: r.int_marker()?,
        max_items: r.max_items()?,
    })
}

fn page(r: &mut Reader<'_>) -> Result<Page, IamError> {
    let max_items = r.max_items()?;
    Ok(Page {
        marker: r.string_marker(),
        max_items,
    })
}

struct Params(Vec<(String, String)>);

impl Params {
    fn push(&mut self, k: impl Into<String>, v: impl Into<String>) {
        self.0.push((k.into(), v.into()));
    }

    fn opt(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.push(k, v);
        }
    }

    fn policy_page(&mut self, page: PolicyPage) {
        if let Some(m) = page.marker {
            self.push("Marker", m.to_string());
        }
        if let Some(n) = page.max_items {
            self.push("MaxItems", n.to_string());
        }
    }

    fn page(&mut self, page: &Page) {
        self.opt("Marker", page.marker.as_deref());
        if let Some(n) = page.max_items {
            self.push("MaxItems", n.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        assert_eq!(IamAction::ALL.len(), 24);
        for &a in IamAction::ALL {
            assert_eq!(IamAction::parse(a.as_str()), Some(a));
            assert_eq!(a.to_string(), a.as_str());
        }
        assert_eq!(IamAction::parse("getuser"), None);
        assert_eq!(IamAction::parse("CreatePolicy"), None);
    }

    #[test]
    fn per_action_statuses() {
        for &a in IamAction::ALL {
            let e = a.error(IamErrorCode::NoSuchEntity, "m");
            let expected = match a {
                IamAction::ListAttachedUserPolicies | IamAction::ListAttachedGroupPolicies => 400,
                _ => 404,
            };
            assert_eq!(e.status(), expected, "{a}");
            assert_eq!(e.message(), "m");
            assert_eq!(a.error(IamErrorCode::AccountProblem, "m").status(), 403);
            assert_eq!(a.error(IamErrorCode::InternalError, "m").status(), 500);
        }
    }

    #[test]
    fn policy_arn_type() {
        let arn = PolicyArn::parse("arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
        assert_eq!(arn.name(), "AdministratorAccess");
        assert_eq!(
            arn.to_string(),
            "arn:aws:iam::aws:policy/AdministratorAccess"
        );
        assert_eq!(arn.as_arn().to_string(), arn.to_string());
        assert_eq!(
            PolicyArn::parse("arn:aws:iam::aws:p").unwrap_err().code(),
            IamErrorCode::ValidationError
        );
        assert_eq!(
            PolicyArn::parse("arn:aws:iam::aws:policy/a/b")
                .unwrap_err()
                .code(),
            IamErrorCode::InvalidInput
        );
    }

    #[test]
    fn status() {
        assert_eq!(
            AccessKeyStatus::parse("Active"),
            Some(AccessKeyStatus::Active)
        );
        assert_eq!(
            AccessKeyStatus::parse("Inactive"),
            Some(AccessKeyStatus::Inactive)
        );
        assert_eq!(AccessKeyStatus::parse("active"), None);
        assert_eq!(AccessKeyStatus::parse("Expired"), None);
        assert_eq!(AccessKeyStatus::Inactive.as_str(), "Inactive");
    }

    #[test]
    fn options_default() {
        let o = ParseOptions::default();
        assert_eq!(o.max_items, 1000);
        assert_eq!(o.body_limit, 64 * 1024);
    }
}
