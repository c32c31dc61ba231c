//! Typed IAM responses and their XML.
//!
//! Every document has the shape of the spec's samples (3.3):
//!
//! ```text
//! <XResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
//!   <XResult>...</XResult>            (absent for actions without a result)
//!   <ResponseMetadata><RequestId>..</RequestId></ResponseMetadata>
//! </XResponse>
//! ```
//!
//! written compact (declaration, newline, no indentation). Element orders follow the spec's
//! samples for the policy actions and the real AWS responses in botocore's test data for the
//! others; where neither shows an element (`Marker`, `CreateDate` of an access key), it
//! follows the AWS API reference. Policy documents are percent-encoded as the spec's
//! GetPolicyVersion sample shows. Timestamps are `2022-07-29T20:05:50.000Z`.
//!
//! Decisions: `Description` is written by GetPolicy only (the spec's GetPolicy sample has
//! it, empty; its ListPolicies sample does not, and AWS's ListPolicies never returns it).
//! List results write `<Marker>` whenever [`Truncation::marker`] is set; handlers set it
//! exactly when `IsTruncated` is true, as AWS does. Users carry `<Tags>` only when they have
//! tags; the root user (GetUser by the root) has no `Path` and no `UserName`, as in
//! botocore's recorded GetUser response.

use time::OffsetDateTime;

use crate::request::{AccessKeyStatus, IamAction, Tag};
use crate::xml::XmlWriter;

/// A managed policy (GetPolicy, ListPolicies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `arn:aws:iam::aws:policy/<name>`.
    pub arn: String,
    /// How many users and groups it is attached to.
    pub attachment_count: u32,
    /// Creation time.
    pub create_date: OffsetDateTime,
    /// Last update time.
    pub update_date: OffsetDateTime,
    /// Stable ID (`ADMINISTRATORACCESS` in the spec's sample).
    pub policy_id: String,
    /// Name.
    pub policy_name: String,
    /// `v1`.
    pub default_version_id: String,
    /// `/`.
    pub path: String,
    /// Whether it can be attached.
    pub is_attachable: bool,
    /// Written by GetPolicy only; empty gives `<Description></Description>` as in the spec.
    pub description: String,
}

/// A policy version (GetPolicyVersion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyVersion {
    /// The JSON document, raw; written percent-encoded.
    pub document: String,
    /// Whether this is the default version.
    pub is_default_version: bool,
    /// `v1`.
    pub version_id: String,
    /// Creation time.
    pub create_date: OffsetDateTime,
}

/// A policy attached to a user or group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// Name.
    pub policy_name: String,
    /// ARN.
    pub policy_arn: String,
}

/// An IAM user, or the account root (GetUser without `UserName` called by the root).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// `/` for users; `None` for the root (AWS writes no Path for it).
    pub path: Option<String>,
    /// `None` for the root.
    pub user_name: Option<String>,
    /// Stable ID; the account ID for the root.
    pub user_id: String,
    /// `arn:aws:iam::<account>:user/<name>` or `...:root`.
    pub arn: String,
    /// Creation time.
    pub create_date: OffsetDateTime,
    /// Written when not empty (CreateUser, GetUser).
    pub tags: Vec<Tag>,
}

impl User {
    /// A user with path `/` and no tags.
    pub fn new(
        user_name: impl Into<String>,
        user_id: impl Into<String>,
        arn: impl Into<String>,
        create_date: OffsetDateTime,
    ) -> Self {
        Self {
            path: Some("/".to_owned()),
            user_name: Some(user_name.into()),
            user_id: user_id.into(),
            arn: arn.into(),
            create_date,
            tags: Vec::new(),
        }
    }

    /// The account root: no path, no name.
    pub fn root(
        user_id: impl Into<String>,
        arn: impl Into<String>,
        create_date: OffsetDateTime,
    ) -> Self {
        Self {
            path: None,
            user_name: None,
            user_id: user_id.into(),
            arn: arn.into(),
            create_date,
            tags: Vec::new(),
        }
    }
}

/// An IAM group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// `/`.
    pub path: String,
    /// Name.
    pub group_name: String,
    /// Stable ID.
    pub group_id: String,
    /// `arn:aws:iam::<account>:group/<name>`.
    pub arn: String,
    /// Creation time.
    pub create_date: OffsetDateTime,
}

/// An access key as listed (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKeyMetadata {
    /// Owner; `None` for the root's keys.
    pub user_name: Option<String>,
    /// ID.
    pub access_key_id: String,
    /// Status.
    pub status: AccessKeyStatus,
    /// Creation time.
    pub create_date: OffsetDateTime,
}

/// A new access key with its secret: only CreateAccessKey ever writes a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// Owner; `None` for the root's keys.
    pub user_name: Option<String>,
    /// ID.
    pub access_key_id: String,
    /// Status (`Active`).
    pub status: AccessKeyStatus,
    /// The secret.
    pub secret_access_key: String,
    /// Creation time.
    pub create_date: OffsetDateTime,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("AccessKey")
            .field("user_name", &self.user_name)
            .field("access_key_id", &self.access_key_id)
            .field("status", &self.status)
            .field("create_date", &self.create_date)
            .finish_non_exhaustive()
    }
}

/// Truncation of a list result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Truncation {
    /// `<IsTruncated>`.
    pub is_truncated: bool,
    /// `<Marker>`, written when `Some` (give it exactly when truncated).
    pub marker: Option<String>,
}

impl Truncation {
    /// Not truncated, no marker.
    pub fn complete() -> Self {
        Self::default()
    }

    /// Truncated, continue at `marker`.
    pub fn truncated(marker: impl Into<String>) -> Self {
        Self {
            is_truncated: true,
            marker: Some(marker.into()),
        }
    }
}

/// One successful IAM response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IamResponse {
    /// The result of `GetPolicy`: the policy.
    GetPolicy(Policy),
    /// The result of `GetPolicyVersion`: the policy version.
    GetPolicyVersion(PolicyVersion),
    /// The result of `ListPolicies`.
    ListPolicies {
        /// The policies of this page.
        policies: Vec<Policy>,
        /// Whether more results follow, and the `Marker` to ask for them.
        truncation: Truncation,
    },
    /// The result of `ListAttachedUserPolicies`.
    ListAttachedUserPolicies {
        /// The attached policies of this page.
        attached_policies: Vec<AttachedPolicy>,
        /// Whether more results follow, and the `Marker` to ask for them.
        truncation: Truncation,
    },
    /// The result of `ListAttachedGroupPolicies`.
    ListAttachedGroupPolicies {
        /// The attached policies of this page.
        attached_policies: Vec<AttachedPolicy>,
        /// Whether more results follow, and the `Marker` to ask for them.
        truncation: Truncation,
    },
    /// `AttachUserPolicy` succeeded (the response has no result element).
    AttachUserPolicy,
    /// `AttachGroupPolicy` succeeded (the response has no result element).
    AttachGroupPolicy,
    /// `DetachUserPolicy` succeeded (the response has no result element).
    DetachUserPolicy,
    /// `DetachGroupPolicy` succeeded (the response has no result element).
    DetachGroupPolicy,
    /// The result of `CreateUser`: the user.
    CreateUser(User),
    /// The result of `GetUser`: the user.
    GetUser(User),
    /// The result of `ListUsers`.
    ListUsers {
        /// The users of this page.
        users: Vec<User>,
        /// Whether more results follow, and the `Marker` to ask for them.
        truncation: Truncation,
    },
    /// `DeleteUser` succeeded (the response has no result element).
    DeleteUser,
    /// The result of `CreateGroup`: the group.
    CreateGroup(Group),
    /// The result of `GetGroup`.
    GetGroup {
        /// The group itself.
        group: Group,
        /// The group's members on this page.
        users: Vec<User>,
        /// Whether more results follow, and the `Marker` to ask for them.
        truncation: Truncation,
    },
    /// The result of `ListGroups`.
    ListGroups {
        /// The groups of this page.
        groups: Vec<Group>,
        /// Whether more results follow, and the `Marker` to ask for them.
        truncation: Truncation,
    },
    /// `DeleteGroup` succeeded (the response has no result element).
    DeleteGroup,
    /// `AddUserToGroup` succeeded (the response has no result element).
    AddUserToGroup,
    /// `RemoveUserFromGroup` succeeded (the response has no result element).
    RemoveUserFromGroup,
    /// The result of `ListGroupsForUser`.
    ListGroupsForUser {
        /// The groups of this page.
        groups: Vec<Group>,
        /// Whether more results follow, and the `Marker` to ask for them.
        truncation: Truncation,
    },
    /// The result of `CreateAccessKey`: the new key, with its secret.
    CreateAccessKey(AccessKey),
    /// The result of `ListAccessKeys`.
    ListAccessKeys {
        /// The `<UserName>` of the result: the user whose keys are listed, `None` for the
        /// root.
        user_name: Option<String>,
        /// The keys of this page, without their secrets.
        access_key_metadata: Vec<AccessKeyMetadata>,
        /// Whether more results follow, and the `Marker` to ask for them.
        truncation: Truncation,
    },
    /// `UpdateAccessKey` succeeded (the response has no result element).
    UpdateAccessKey,
    /// `DeleteAccessKey` succeeded (the response has no result element).
    DeleteAccessKey,
}

impl IamResponse {
    /// The action this answers.
    pub fn action(&self) -> IamAction {
        use IamAction as A;
        match self {
            Self::GetPolicy(_) => A::GetPolicy,
            Self::GetPolicyVersion(_) => A::GetPolicyVersion,
            Self::ListPolicies { .. } => A::ListPolicies,
            Self::ListAttachedUserPolicies { .. } => A::ListAttachedUserPolicies,
            Self::ListAttachedGroupPolicies { .. } => A::ListAttachedGroupPolicies,
            Self::AttachUserPolicy => A::AttachUserPolicy,
            Self::AttachGroupPolicy => A::AttachGroupPolicy,
            Self::DetachUserPolicy => A::DetachUserPolicy,
            Self::DetachGroupPolicy => A::DetachGroupPolicy,
            Self::CreateUser(_) => A::CreateUser,
            Self::GetUser(_) => A::GetUser,
            Self::ListUsers { .. } => A::ListUsers,
            Self::DeleteUser => A::DeleteUser,
            Self::CreateGroup(_) => A::CreateGroup,
            Self::GetGroup { .. } => A::GetGroup,
            Self::ListGroups { .. } => A::ListGroups,
            Self::DeleteGroup => A::DeleteGroup,
            Self::AddUserToGroup => A::AddUserToGroup,
            Self::RemoveUserFromGroup => A::RemoveUserFromGroup,
            Self::ListGroupsForUser { .. } => A::ListGroupsForUser,
            Self::CreateAccessKey(_) => A::CreateAccessKey,
            Self::ListAccessKeys { .. } => A::ListAccessKeys,
            Self::UpdateAccessKey => A::UpdateAccessKey,
            Self::DeleteAccessKey => A::DeleteAccessKey,
        }
    }

    /// The response document (HTTP 200, `Content-Type: text/xml`).
    pub fn to_xml(&self, request_id: &str) -> Vec<u8> {
        let action = self.action().as_str();
        let root = format!("{action}Response");
        let result = format!("{action}Result");
        let mut w = XmlWriter::new(&root);
        if self.has_result() {
            w.start(&result);
            self.write_result(&mut w);
            w.end(&result);
        }
        w.start("ResponseMetadata");
        w.text("RequestId", request_id);
        w.end("ResponseMetadata");
        w.finish(&root)
    }

    fn has_result(&self) -> bool {
        !matches!(
            self,
            Self::AttachUserPolicy
                | Self::AttachGroupPolicy
                | Self::DetachUserPolicy
                | Self::DetachGroupPolicy
                | Self::DeleteUser
                | Self::DeleteGroup
                | Self::AddUserToGroup
                | Self::RemoveUserFromGroup
                | Self::UpdateAccessKey
                | Self::DeleteAccessKey
        )
    }

    fn write_result(&self, w: &mut XmlWriter) {
        match self {
            Self::GetPolicy(policy) => {
                w.start("Policy");
                write_policy(w, policy, true);
                w.end("Policy");
            }
            Self::GetPolicyVersion(v) => {
                w.start("PolicyVersion");
                w.percent_encoded("Document", &v.document);
                w.boolean("IsDefaultVersion", v.is_default_version);
                w.text("VersionId", &v.version_id);
                w.timestamp("CreateDate", v.create_date);
                w.end("PolicyVersion");
            }
            Self::ListPolicies {
                policies,
                truncation,
            } => {
                write_truncation(w, truncation);
                w.start("Policies");
                for p in policies {
                    w.start("member");
                    write_policy(w, p, false);
                    w.end("member");
                }
                w.end("Policies");
            }
            Self::ListAttachedUserPolicies {
                attached_policies,
                truncation,
            }
            | Self::ListAttachedGroupPolicies {
                attached_policies,
                truncation,
            } => {
                w.start("AttachedPolicies");
                for p in attached_policies {
                    w.start("member");
                    w.text("PolicyName", &p.policy_name);
                    w.text("PolicyArn", &p.policy_arn);
                    w.end("member");
                }
                w.end("AttachedPolicies");
                write_truncation(w, truncation);
            }
            Self::CreateUser(user) | Self::GetUser(user) => {
                w.start("User");
                write_user(w, user);
                w.end("User");
            }
            Self::ListUsers { users, truncation } => {
                write_users(w, users);
                write_truncation(w, truncation);
            }
            Self::CreateGroup(group) => {
                w.start("Group");
                write_group(w, group);
                w.end("Group");
            }
            Self::GetGroup {
                group,
                users,
                truncation,
            } => {
                write_users(w, users);
                write_truncation(w, truncation);
                w.start("Group");
                write_group(w, group);
                w.end("Group");
            }
            Self::ListGroups { groups, truncation }
            | Self::ListGroupsForUser { groups, truncation } => {
                w.start("Groups");
                for g in groups {
                    w.start("member");
                    write_group(w, g);
                    w.end("member");
                }
                w.end("Groups");
                write_truncation(w, truncation);
            }
            Self::CreateAccessKey(key) => {
                w.start("AccessKey");
                w.opt_text("UserName", key.user_name.as_deref());
                w.text("AccessKeyId", &key.access_key_id);
                w.text("Status", key.status.as_str());
                w.text("SecretAccessKey", &key.secret_access_key);
                w.timestamp("CreateDate", key.create_date);
                w.end("AccessKey");
            }
            Self::ListAccessKeys {
                user_name,
                access_key_metadata,
                truncation,
            } => {
                w.opt_text("UserName", user_name.as_deref());
                w.start("AccessKeyMetadata");
                for k in access_key_metadata {
                    w.start("member");
                    w.opt_text("UserName", k.user_name.as_deref());
                    w.text("AccessKeyId", &k.access_key_id);
                    w.text("Status", k.status.as_str());
                    w.timestamp("CreateDate", k.create_date);
                    w.end("member");
                }
                w.end("AccessKeyMetadata");
                write_truncation(w, truncation);
            }
            Self::AttachUserPolicy
            | Self::AttachGroupPolicy
            | Self::DetachUserPolicy
            | Self::DetachGroupPolicy
            | Self::DeleteUser
            | Self::DeleteGroup
            | Self::AddUserToGroup
            | Self::RemoveUserFromGroup
            | Self::UpdateAccessKey
            | Self::DeleteAccessKey => {}
        }
    }
}

fn write_policy(w: &mut XmlWriter, p: &Policy, with_description: bool) {
    w.text("Arn", &p.arn);
    w.number("AttachmentCount", u64::from(p.attachment_count));
    w.timestamp("CreateDate", p.create_date);
    w.timestamp("UpdateDate", p.update_date);
    w.text("PolicyId", &p.policy_id);
    w.text("PolicyName", &p.policy_name);
    w.text("DefaultVersionId", &p.default_version_id);
    w.text("Path", &p.path);
    w.boolean("IsAttachable", p.is_attachable);
    if with_description {
        w.text("Description", &p.description);
    }
}

fn write_user(w: &mut XmlWriter, u: &User) {
    w.opt_text("Path", u.path.as_deref());
    w.opt_text("UserName", u.user_name.as_deref());
    w.text("UserId", &u.user_id);
    w.text("Arn", &u.arn);
    w.timestamp("CreateDate", u.create_date);
    if !u.tags.is_empty() {
        w.start("Tags");
        for t in &u.tags {
            w.start("member");
            w.text("Key", &t.key);
            w.text("Value", &t.value);
            w.end("member");
        }
        w.end("Tags");
    }
}

fn write_users(w: &mut XmlWriter, users: &[User]) {
    w.start("Users");
    for u in users {
        w.start("member");
        write_user(w, u);
        w.end("member");
    }
    w.end("Users");
}

fn write_group(w: &mut XmlWriter, g: &Group) {
    w.text("Path", &g.path);
    w.text("GroupName", &g.group_name);
    w.text("GroupId", &g.group_id);
    w.text("Arn", &g.arn);
    w.timestamp("CreateDate", g.create_date);
}

fn write_truncation(w: &mut XmlWriter, t: &Truncation) {
    w.boolean("IsTruncated", t.is_truncated);
    w.opt_text("Marker", t.marker.as_deref());
}
