//! The action vocabulary: the S3 and IAM action names policy validation checks against,
//! the resource kind each S3 action is authorized against, and the ARNs of S3 resources.
//! Which action and resource an S3 request is authorized as is the caller's to say (the S4
//! service's operation catalogue); the evaluation takes them as given.
//!
//! ```
//! use s4_policy::actions::{bucket_arn, object_arn, ResourceKind, S3_ACTIONS};
//!
//! assert_eq!(object_arn("photos", "a.jpg"), "arn:aws:s3:::photos/a.jpg");
//! assert_eq!(bucket_arn("photos"), "arn:aws:s3:::photos");
//! assert!(S3_ACTIONS.contains(&("ListBucket", ResourceKind::Bucket)));
//! ```

/// What kind of resource an action is authorized against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// Not tied to a bucket (`s3:ListAllMyBuckets`: resource `arn:aws:s3:::*`).
    Service,
    /// A bucket: `arn:aws:s3:::<bucket>`.
    Bucket,
    /// An object: `arn:aws:s3:::<bucket>/<key>`.
    Object,
    /// An IAM resource (user, group, policy ARN) or `*`.
    Iam,
}

/// `arn:aws:s3:::<bucket>`.
pub fn bucket_arn(bucket: &str) -> String {
    print_arn(
        bucket.len(),
        &s4_naming::Arn::S3Bucket {
            bucket: bucket.into(),
        },
    )
}

/// `arn:aws:s3:::<bucket>/<key>`.
pub fn object_arn(bucket: &str, key: &str) -> String {
    print_arn(
        bucket.len() + 1 + key.len(),
        &s4_naming::Arn::S3Object {
            bucket: bucket.into(),
            key: key.into(),
        },
    )
}

/// Prints an S3 ARN through [`s4_naming::Arn`] into a string sized for it up front: these
/// run on every request, and `to_string` would grow the string several times.
fn print_arn(resource_len: usize, arn: &s4_naming::Arn<'_>) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity("arn:aws:s3:::".len() + resource_len);
    write!(out, "{arn}").expect("writing to a String cannot fail");
    out
}

/// The resource of `s3:ListAllMyBuckets`.
pub const ALL_BUCKETS_ARN: &str = "arn:aws:s3:::*";

/// The actions only identities of the bucket's owning account may use, as in AWS: for a
/// principal of any other account, or an anonymous one, [`crate::decide`] answers
/// [`Decision::NotOwnerAccount`](crate::Decision::NotOwnerAccount) whatever any policy says,
/// and the owning account's root is allowed them even when a bucket policy denies (so that a
/// policy can never lock its owner out of repairing it).
pub const OWNER_ONLY_ACTIONS: [&str; 3] = [
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

/// Whether `action` is one of [`OWNER_ONLY_ACTIONS`] (compared case-insensitively, as IAM
/// compares actions).
///
/// ```
/// assert!(s4_policy::actions::is_owner_only("s3:PutBucketPolicy"));
/// assert!(!s4_policy::actions::is_owner_only("s3:GetObject"));
/// ```
pub fn is_owner_only(action: &str) -> bool {
    OWNER_ONLY_ACTIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(action))
}

/// S3 action names (without `s3:`) that policies may name, with the resource kind each is
/// authorized against. Covers what S4 serves plus the common AWS S3 actions, so that policies
/// written for AWS validate; actions S4 does not serve simply never match a request.
pub const S3_ACTIONS: &[(&str, ResourceKind)] = {
    use ResourceKind::{Bucket, Object, Service};
    &[
        ("ListAllMyBuckets", Service),
        ("GetAccountPublicAccessBlock", Service),
        ("PutAccountPublicAccessBlock", Service),
        ("CreateBucket", Bucket),
        ("DeleteBucket", Bucket),
        ("ListBucket", Bucket),
        ("ListBucketVersions", Bucket),
        ("ListBucketMultipartUploads", Bucket),
        ("GetBucketLocation", Bucket),
        ("GetBucketAcl", Bucket),
        ("PutBucketAcl", Bucket),
        ("GetBucketPolicy", Bucket),
        ("PutBucketPolicy", Bucket),
        ("DeleteBucketPolicy", Bucket),
        ("GetBucketPolicyStatus", Bucket),
        ("GetBucketVersioning", Bucket),
        ("PutBucketVersioning", Bucket),
        ("GetBucketCORS", Bucket),
        ("PutBucketCORS", Bucket),
        ("GetBucketTagging", Bucket),
        ("PutBucketTagging", Bucket),
        ("GetBucketWebsite", Bucket),
        ("PutBucketWebsite", Bucket),
        ("DeleteBucketWebsite", Bucket),
        ("GetBucketLogging", Bucket),
        ("PutBucketLogging", Bucket),
        ("GetBucketNotification", Bucket),
        ("PutBucketNotification", Bucket),
        ("GetBucketObjectLockConfiguration", Bucket),
        ("PutBucketObjectLockConfiguration", Bucket),
        ("GetBucketPublicAccessBlock", Bucket),
        ("PutBucketPublicAccessBlock", Bucket),
        ("GetBucketOwnershipControls", Bucket),
        ("PutBucketOwnershipControls", Bucket),
        ("GetBucketRequestPayment", Bucket),
        ("PutBucketRequestPayment", Bucket),
        ("GetLifecycleConfiguration", Bucket),
        ("PutLifecycleConfiguration", Bucket),
        ("GetEncryptionConfiguration", Bucket),
        ("PutEncryptionConfiguration", Bucket),
        ("GetReplicationConfiguration", Bucket),
        ("PutReplicationConfiguration", Bucket),
        ("GetAccelerateConfiguration", Bucket),
        ("PutAccelerateConfiguration", Bucket),
        ("GetObject", Object),
        ("PutObject", Object),
        ("DeleteObject", Object),
        ("GetObjectAcl", Object),
        ("PutObjectAcl", Object),
        ("AbortMultipartUpload", Object),
        ("ListMultipartUploadParts", Object),
        ("GetObjectVersion", Object),
        ("DeleteObjectVersion", Object),
        ("GetObjectVersionAcl", Object),
        ("PutObjectVersionAcl", Object),
        ("GetObjectTagging", Object),
        ("PutObjectTagging", Object),
        ("DeleteObjectTagging", Object),
        ("GetObjectVersionTagging", Object),
        ("PutObjectVersionTagging", Object),
        ("DeleteObjectVersionTagging", Object),
        ("GetObjectAttributes", Object),
        ("GetObjectVersionAttributes", Object),
        ("GetObjectRetention", Object),
        ("PutObjectRetention", Object),
        ("GetObjectLegalHold", Object),
        ("PutObjectLegalHold", Object),
        ("BypassGovernanceRetention", Object),
        ("RestoreObject", Object),
        ("GetObjectTorrent", Object),
        ("GetObjectVersionTorrent", Object),
        ("ReplicateObject", Object),
        ("ReplicateDelete", Object),
        ("ReplicateTags", Object),
    ]
};

/// IAM action names (without `iam:`) that policy validation accepts: every action S4 serves
/// (the catalogue `s4_iam_query::IamAction`) and the AWS actions a policy may name although
/// S4 does not serve them. This crate may not depend on
/// `s4-iam-query`, so `s4-iam`'s `tests/catalogue.rs` fails when the two drift apart.
pub const IAM_ACTIONS: &[&str] = &[
    "GetPolicy",
    "GetPolicyVersion",
    "ListPolicies",
    "ListPolicyVersions",
    "ListEntitiesForPolicy",
    "ListAttachedUserPolicies",
    "ListAttachedGroupPolicies",
    "AttachUserPolicy",
    "AttachGroupPolicy",
    "DetachUserPolicy",
    "DetachGroupPolicy",
    "CreateUser",
    "GetUser",
    "ListUsers",
    "UpdateUser",
    "DeleteUser",
    "CreateGroup",
    "GetGroup",
    "ListGroups",
    "UpdateGroup",
    "DeleteGroup",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "ListGroupsForUser",
    "CreateAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "GetAccessKeyLastUsed",
    "GetAccountSummary",
];

/// The IAM action string for an IAM API action name: `iam:<Action>`, or `None` for an action
/// S4 does not know.
///
/// ```
/// assert_eq!(s4_policy::actions::iam_action("AttachUserPolicy").as_deref(), Some("iam:AttachUserPolicy"));
/// assert_eq!(s4_policy::actions::iam_action("AssumeRole"), None);
/// ```
pub fn iam_action(action_name: &str) -> Option<String> {
    IAM_ACTIONS
        .iter()
        .find(|a| **a == action_name)
        .map(|a| format!("iam:{a}"))
}

/// What an action string names, for validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KnownAction {
    S3(ResourceKind),
    Iam,
}

/// Looks up `s3:Name` / `iam:Name` (service and name case-insensitive, as IAM compares
/// actions).
pub(crate) fn lookup_action(action: &str) -> Option<KnownAction> {
    let (service, name) = action.split_once(':')?;
    if service.eq_ignore_ascii_case("s3") {
        S3_ACTIONS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, k)| KnownAction::S3(*k))
    } else if service.eq_ignore_ascii_case("iam") {
        IAM_ACTIONS
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
            .then_some(KnownAction::Iam)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_actions() {
        for a in IAM_ACTIONS {
            assert_eq!(iam_action(a), Some(format!("iam:{a}")));
            assert_eq!(
                lookup_action(&format!("IAM:{}", a.to_lowercase())),
                Some(KnownAction::Iam)
            );
        }
        assert_eq!(iam_action("attachuserpolicy"), None);
        assert_eq!(
            lookup_action("s3:getobject"),
            Some(KnownAction::S3(ResourceKind::Object))
        );
        assert_eq!(lookup_action("s3:GetObjects"), None);
        assert_eq!(lookup_action("ec2:RunInstances"), None);
        assert_eq!(lookup_action("GetObject"), None);
    }
}
