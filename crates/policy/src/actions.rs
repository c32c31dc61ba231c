//! The action table: which IAM action each S3 operation needs, on which resource, and the
//! lists of known S3 and IAM action names that policy validation checks against.
//!
//! ```
//! use s4_policy::actions::S3Operation;
//!
//! let checks = S3Operation::CopyObject.checks("dst", Some("new.jpg"), Some(("src", "old.jpg")));
//! assert_eq!(checks.len(), 2);
//! assert_eq!(checks[0].action, "s3:PutObject");
//! assert_eq!(checks[0].resource, "arn:aws:s3:::dst/new.jpg");
//! assert_eq!(checks[1].action, "s3:GetObject");
//! assert_eq!(checks[1].resource, "arn:aws:s3:::src/old.jpg");
//! assert_eq!(S3Operation::from_name("HeadBucket").unwrap().action(), "s3:ListBucket");
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

/// The S3 operations S4 serves (spec section 2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum S3Operation {
    ListBuckets,
    CreateBucket,
    DeleteBucket,
    HeadBucket,
    GetBucketLocation,
    GetBucketAcl,
    PutBucketAcl,
    ListObjects,
    ListObjectsV2,
    GetObject,
    HeadObject,
    PutObject,
    CopyObject,
    DeleteObject,
    DeleteObjects,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    ListMultipartUploads,
    GetObjectAcl,
    PutObjectAcl,
    GetBucketPolicy,
    PutBucketPolicy,
    DeleteBucketPolicy,
}

/// `(operation, name, action, resource kind)`.
const S3_OPERATIONS: &[(S3Operation, &str, &str, ResourceKind)] = {
    use ResourceKind::{Bucket, Object, Service};
    use S3Operation as O;
    &[
        (
            O::ListBuckets,
            "ListBuckets",
            "s3:ListAllMyBuckets",
            Service,
        ),
        (O::CreateBucket, "CreateBucket", "s3:CreateBucket", Bucket),
        (O::DeleteBucket, "DeleteBucket", "s3:DeleteBucket", Bucket),
        (O::HeadBucket, "HeadBucket", "s3:ListBucket", Bucket),
        (
            O::GetBucketLocation,
            "GetBucketLocation",
            "s3:GetBucketLocation",
            Bucket,
        ),
        (O::GetBucketAcl, "GetBucketAcl", "s3:GetBucketAcl", Bucket),
        (O::PutBucketAcl, "PutBucketAcl", "s3:PutBucketAcl", Bucket),
        (O::ListObjects, "ListObjects", "s3:ListBucket", Bucket),
        (O::ListObjectsV2, "ListObjectsV2", "s3:ListBucket", Bucket),
        (O::GetObject, "GetObject", "s3:GetObject", Object),
        (O::HeadObject, "HeadObject", "s3:GetObject", Object),
        (O::PutObject, "PutObject", "s3:PutObject", Object),
        (O::CopyObject, "CopyObject", "s3:PutObject", Object),
        (O::DeleteObject, "DeleteObject", "s3:DeleteObject", Object),
        (O::DeleteObjects, "DeleteObjects", "s3:DeleteObject", Object),
        (
            O::CreateMultipartUpload,
            "CreateMultipartUpload",
            "s3:PutObject",
            Object,
        ),
        (O::UploadPart, "UploadPart", "s3:PutObject", Object),
        (O::UploadPartCopy, "UploadPartCopy", "s3:PutObject", Object),
        (
            O::CompleteMultipartUpload,
            "CompleteMultipartUpload",
            "s3:PutObject",
            Object,
        ),
        (
            O::AbortMultipartUpload,
            "AbortMultipartUpload",
            "s3:AbortMultipartUpload",
            Object,
        ),
        (
            O::ListParts,
            "ListParts",
            "s3:ListMultipartUploadParts",
            Object,
        ),
        (
            O::ListMultipartUploads,
            "ListMultipartUploads",
            "s3:ListBucketMultipartUploads",
            Bucket,
        ),
        (O::GetObjectAcl, "GetObjectAcl", "s3:GetObjectAcl", Object),
        (O::PutObjectAcl, "PutObjectAcl", "s3:PutObjectAcl", Object),
        (
            O::GetBucketPolicy,
            "GetBucketPolicy",
            "s3:GetBucketPolicy",
            Bucket,
        ),
        (
            O::PutBucketPolicy,
            "PutBucketPolicy",
            "s3:PutBucketPolicy",
            Bucket,
        ),
        (
            O::DeleteBucketPolicy,
            "DeleteBucketPolicy",
            "s3:DeleteBucketPolicy",
            Bucket,
        ),
    ]
};

/// One authorization an operation needs: this action on this resource ARN.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AccessCheck {
    /// The IAM action, e.g. `s3:GetObject`.
    pub action: &'static str,
    /// The resource ARN, e.g. `arn:aws:s3:::photos/a.jpg`.
    pub resource: String,
}

/// `arn:aws:s3:::<bucket>`.
pub fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// `arn:aws:s3:::<bucket>/<key>`.
pub fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// The resource of `s3:ListAllMyBuckets`.
pub const ALL_BUCKETS_ARN: &str = "arn:aws:s3:::*";

impl S3Operation {
    /// Every operation.
    pub fn all() -> impl Iterator<Item = S3Operation> {
        S3_OPERATIONS.iter().map(|e| e.0)
    }

    fn entry(self) -> &'static (S3Operation, &'static str, &'static str, ResourceKind) {
        S3_OPERATIONS
            .iter()
            .find(|e| e.0 == self)
            .expect("every operation is in the table")
    }

    /// The operation's API name (`ListObjectsV2`).
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// Looks an operation up by its API name (exact case).
    pub fn from_name(name: &str) -> Option<Self> {
        S3_OPERATIONS.iter().find(|e| e.1 == name).map(|e| e.0)
    }

    /// The IAM action authorized against the operation's own resource.
    pub fn action(self) -> &'static str {
        self.entry().2
    }

    /// The kind of resource [`action`](Self::action) is authorized against.
    pub fn resource_kind(self) -> ResourceKind {
        self.entry().3
    }

    /// The checks the operation needs, in order: the operation's own action on its resource,
    /// then for `CopyObject` and `UploadPartCopy` `s3:GetObject` on the copy source.
    ///
    /// `key` is the object key (ignored by bucket and service operations; for
    /// `DeleteObjects` call this once per key). `copy_source` is `(bucket, key)`.
    pub fn checks(
        self,
        bucket: &str,
        key: Option<&str>,
        copy_source: Option<(&str, &str)>,
    ) -> Vec<AccessCheck> {
        let resource = match self.resource_kind() {
            ResourceKind::Service | ResourceKind::Iam => ALL_BUCKETS_ARN.to_owned(),
            ResourceKind::Bucket => bucket_arn(bucket),
            ResourceKind::Object => object_arn(bucket, key.unwrap_or_default()),
        };
        let mut out = vec![AccessCheck {
            action: self.action(),
            resource,
        }];
        if matches!(self, Self::CopyObject | Self::UploadPartCopy) {
            if let Some((src_bucket, src_key)) = copy_source {
                out.push(AccessCheck {
                    action: "s3:GetObject",
                    resource: object_arn(src_bucket, src_key),
                });
            }
        }
        out
    }
}

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
    fn operation_table() {
        use S3Operation as O;
        let cases: &[(O, &str, &str)] = &[
            (O::ListBuckets, "s3:ListAllMyBuckets", "arn:aws:s3:::*"),
            (O::CreateBucket, "s3:CreateBucket", "arn:aws:s3:::b"),
            (O::DeleteBucket, "s3:DeleteBucket", "arn:aws:s3:::b"),
            (O::HeadBucket, "s3:ListBucket", "arn:aws:s3:::b"),
            (O::ListObjects, "s3:ListBucket", "arn:aws:s3:::b"),
            (O::ListObjectsV2, "s3:ListBucket", "arn:aws:s3:::b"),
            (
                O::GetBucketLocation,
                "s3:GetBucketLocation",
                "arn:aws:s3:::b",
            ),
            (O::GetBucketAcl, "s3:GetBucketAcl", "arn:aws:s3:::b"),
            (O::PutBucketAcl, "s3:PutBucketAcl", "arn:aws:s3:::b"),
            (O::GetObject, "s3:GetObject", "arn:aws:s3:::b/k/x"),
            (O::HeadObject, "s3:GetObject", "arn:aws:s3:::b/k/x"),
            (O::PutObject, "s3:PutObject", "arn:aws:s3:::b/k/x"),
            (O::CopyObject, "s3:PutObject", "arn:aws:s3:::b/k/x"),
            (
                O::CreateMultipartUpload,
                "s3:PutObject",
                "arn:aws:s3:::b/k/x",
            ),
            (O::UploadPart, "s3:PutObject", "arn:aws:s3:::b/k/x"),
            (O::UploadPartCopy, "s3:PutObject", "arn:aws:s3:::b/k/x"),
            (
                O::CompleteMultipartUpload,
                "s3:PutObject",
                "arn:aws:s3:::b/k/x",
            ),
            (
                O::AbortMultipartUpload,
                "s3:AbortMultipartUpload",
                "arn:aws:s3:::b/k/x",
            ),
            (
                O::ListParts,
                "s3:ListMultipartUploadParts",
                "arn:aws:s3:::b/k/x",
            ),
            (
                O::ListMultipartUploads,
                "s3:ListBucketMultipartUploads",
                "arn:aws:s3:::b",
            ),
            (O::DeleteObject, "s3:DeleteObject", "arn:aws:s3:::b/k/x"),
            (O::DeleteObjects, "s3:DeleteObject", "arn:aws:s3:::b/k/x"),
            (O::GetBucketPolicy, "s3:GetBucketPolicy", "arn:aws:s3:::b"),
            (O::PutBucketPolicy, "s3:PutBucketPolicy", "arn:aws:s3:::b"),
            (
                O::DeleteBucketPolicy,
                "s3:DeleteBucketPolicy",
                "arn:aws:s3:::b",
            ),
            (O::GetObjectAcl, "s3:GetObjectAcl", "arn:aws:s3:::b/k/x"),
            (O::PutObjectAcl, "s3:PutObjectAcl", "arn:aws:s3:::b/k/x"),
        ];
        assert_eq!(cases.len(), S3Operation::all().count());
        for &(op, action, resource) in cases {
            let checks = op.checks("b", Some("k/x"), None);
            assert_eq!(checks.len(), 1, "{op:?}");
            assert_eq!(checks[0].action, action, "{op:?}");
            assert_eq!(checks[0].resource, resource, "{op:?}");
            assert_eq!(S3Operation::from_name(op.name()), Some(op));
            // Every action the table produces is a known one of the right kind.
            assert_eq!(
                lookup_action(action),
                Some(KnownAction::S3(op.resource_kind())),
                "{op:?}"
            );
        }
        assert_eq!(S3Operation::from_name("listbuckets"), None);
    }

    #[test]
    fn copies_also_read_the_source() {
        for op in [S3Operation::CopyObject, S3Operation::UploadPartCopy] {
            let checks = op.checks("dst", Some("d"), Some(("src", "s/k")));
            assert_eq!(
                checks,
                vec![
                    AccessCheck {
                        action: "s3:PutObject",
                        resource: "arn:aws:s3:::dst/d".into()
                    },
                    AccessCheck {
                        action: "s3:GetObject",
                        resource: "arn:aws:s3:::src/s/k".into()
                    },
                ]
            );
        }
        // Other operations ignore a copy source.
        assert_eq!(
            S3Operation::PutObject
                .checks("b", Some("k"), Some(("s", "k")))
                .len(),
            1
        );
    }

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
