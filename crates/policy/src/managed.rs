//! The S4 managed policies (spec section 3.2): names, ARNs, documents and metadata.
//!
//! The documents are the spec's JSON text byte for byte (pretty-printed, two-space indent, no
//! trailing newline); `GetPolicyVersion` returns them URL-encoded.
//!
//! Metadata decisions: `PolicyId` is the upper-cased name (as the spec's examples show),
//! `DefaultVersionId` is `v1`, the path is `/`. The spec shows only sample dates; every policy
//! uses the one of its `GetPolicy` example, 2022-07-29T20:05:50Z, as create and update date
//! ([`CREATE_DATE`]).
//!
//! ```
//! use s4_policy::managed;
//!
//! let p = managed::by_arn("arn:aws:iam::aws:policy/S3ReadAccess").unwrap();
//! assert_eq!(p.name(), "S3ReadAccess");
//! assert_eq!(p.policy_id(), "S3READACCESS");
//! assert_eq!(p.version_id(), "v1");
//! assert_eq!(p.compiled().name(), "arn:aws:iam::aws:policy/S3ReadAccess");
//! assert_eq!(managed::all().len(), 20);
//! ```

use std::sync::OnceLock;

use time::macros::datetime;
use time::OffsetDateTime;

use crate::compiled::CompiledPolicy;

/// Create and update date of every managed policy (the spec's `GetPolicy` example).
pub const CREATE_DATE: OffsetDateTime = datetime!(2022-07-29 20:05:50 UTC);

/// The ARN prefix of managed policies.
pub const ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// One managed policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ManagedPolicy {
    name: &'static str,
    document: &'static str,
}

impl ManagedPolicy {
    const fn new(name: &'static str, document: &'static str) -> Self {
        Self { name, document }
    }

    /// The policy name, e.g. `S3ReadAccess`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// `arn:aws:iam::aws:policy/<Name>`.
    pub fn arn(&self) -> String {
        s4_naming::Arn::AwsManagedPolicy {
            name: self.name.into(),
        }
        .to_string()
    }

    /// The `PolicyId`: the name upper-cased.
    pub fn policy_id(&self) -> String {
        self.name.to_ascii_uppercase()
    }

    /// The default (and only) version, `v1`.
    pub fn version_id(&self) -> &'static str {
        "v1"
    }

    /// The path, `/`.
    pub fn path(&self) -> &'static str {
        "/"
    }

    /// The creation date ([`CREATE_DATE`]).
    pub fn create_date(&self) -> OffsetDateTime {
        CREATE_DATE
    }

    /// The update date ([`CREATE_DATE`]: the policies never change).
    pub fn update_date(&self) -> OffsetDateTime {
        CREATE_DATE
    }

    /// The policy document, exactly as the spec shows it.
    pub fn document(&self) -> &'static str {
        self.document
    }

    /// The compiled identity policy, named by its ARN; compiled on first use.
    pub fn compiled(&self) -> &'static CompiledPolicy {
        static COMPILED: [OnceLock<CompiledPolicy>; 20] = [const { OnceLock::new() }; 20];
        let slot = MANAGED_POLICIES
            .iter()
            .position(|p| p.name == self.name)
            .expect("managed policies come from the table");
        COMPILED[slot].get_or_init(|| {
            CompiledPolicy::parse_identity(self.document)
                .expect("managed policy documents are valid (tested)")
                .with_name(self.arn())
        })
    }
}

/// The document of `AdministratorAccess`, exactly as spec section 3.2 shows it.
pub const ADMINISTRATOR_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "*",
    "Resource": "*"
  }
}"#;

/// The document of `S3ListAccess`, exactly as spec section 3.2 shows it.
pub const S3_LIST_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "s3:List*",
    "Resource": "*"
  }
}"#;

/// The document of `S3ReadAccess`, exactly as spec section 3.2 shows it.
pub const S3_READ_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "s3:List*",
      "s3:Get*"
    ],
    "Resource": "*"
  }
}"#;

/// The document of `S3WriteAccess`, exactly as spec section 3.2 shows it.
pub const S3_WRITE_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "s3:Put*",
      "s3:Create*"
    ],
    "Resource": "*"
  }
}"#;

/// The document of `S3DeleteAccess`, exactly as spec section 3.2 shows it.
pub const S3_DELETE_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "s3:Delete*",
    "Resource": "*"
  }
}"#;

/// The document of `S3FullAccess`, exactly as spec section 3.2 shows it.
pub const S3_FULL_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "s3:*",
    "Resource": "*"
  }
}"#;

/// The document of `S3BucketListAccess`, exactly as spec section 3.2 shows it.
pub const S3_BUCKET_LIST_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "s3:ListAllMyBuckets",
    "Resource": "*"
  }
}"#;

/// The document of `S3BucketReadAccess`, exactly as spec section 3.2 shows it.
pub const S3_BUCKET_READ_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "s3:ListAllMyBuckets",
      "s3:GetBucket*"
    ],
    "Resource": "*"
  }
}"#;

/// The document of `S3BucketWriteAccess`, exactly as spec section 3.2 shows it.
pub const S3_BUCKET_WRITE_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "s3:CreateBucket",
      "s3:PutBucket*"
    ],
    "Resource": "*"
  }
}"#;

/// The document of `S3BucketDeleteAccess`, exactly as spec section 3.2 shows it.
pub const S3_BUCKET_DELETE_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "s3:DeleteBucket*",
    "Resource": "*"
  }
}"#;

/// The document of `S3BucketFullAccess`, exactly as spec section 3.2 shows it.
pub const S3_BUCKET_FULL_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "s3:ListAllMyBuckets",
      "s3:GetBucket*",
      "s3:CreateBucket",
      "s3:PutBucket*",
      "s3:DeleteBucket*"
    ],
    "Resource": "*"
  }
}"#;

/// The document of `S3ObjectListAccess`, exactly as spec section 3.2 shows it.
pub const S3_OBJECT_LIST_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "s3:ListBucket*",
    "Resource": "*"
  }
}"#;

/// The document of `S3ObjectReadAccess`, exactly as spec section 3.2 shows it.
pub const S3_OBJECT_READ_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "s3:GetObject*",
      "s3:ListMultipartUploadParts",
      "s3:ListBucket*"
    ],
    "Resource": "*"
  }
}"#;

/// The document of `S3ObjectWriteAccess`, exactly as spec section 3.2 shows it.
pub const S3_OBJECT_WRITE_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "s3:PutObject*",
    "Resource": "*"
  }
}"#;

/// The document of `S3ObjectDeleteAccess`, exactly as spec section 3.2 shows it.
pub const S3_OBJECT_DELETE_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "s3:DeleteObject*",
      "s3:AbortMultipartUpload"
    ],
    "Resource": "*"
  }
}"#;

/// The document of `S3ObjectFullAccess`, exactly as spec section 3.2 shows it.
pub const S3_OBJECT_FULL_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "s3:ListBucket*",
      "s3:GetObject*",
      "s3:ListMultipartUploadParts",
      "s3:PutObject*",
      "s3:DeleteObject*",
      "s3:AbortMultipartUpload"
    ],
    "Resource": "*"
  }
}"#;

/// The document of `IAMListAccess`, exactly as spec section 3.2 shows it.
pub const IAM_LIST_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "iam:List*",
    "Resource": "*"
  }
}"#;

/// The document of `IAMReadAccess`, exactly as spec section 3.2 shows it.
pub const IAM_READ_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "iam:Get*",
      "iam:List*"
    ],
    "Resource": "*"
  }
}"#;

/// The document of `IAMAttachDetachAccess`, exactly as spec section 3.2 shows it.
pub const IAM_ATTACH_DETACH_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": [
      "iam:Attach*",
      "iam:Detach*"
    ],
    "Resource": "*"
  }
}"#;

/// The document of `IAMFullAccess`, exactly as spec section 3.2 shows it.
pub const IAM_FULL_ACCESS_DOCUMENT: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Allow",
    "Action": "iam:*",
    "Resource": "*"
  }
}"#;

/// All managed policies, in the spec's order.
pub const MANAGED_POLICIES: [ManagedPolicy; 20] = [
    ManagedPolicy::new("AdministratorAccess", ADMINISTRATOR_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3ListAccess", S3_LIST_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3ReadAccess", S3_READ_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3WriteAccess", S3_WRITE_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3DeleteAccess", S3_DELETE_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3FullAccess", S3_FULL_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3BucketListAccess", S3_BUCKET_LIST_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3BucketReadAccess", S3_BUCKET_READ_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3BucketWriteAccess", S3_BUCKET_WRITE_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3BucketDeleteAccess", S3_BUCKET_DELETE_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3BucketFullAccess", S3_BUCKET_FULL_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3ObjectListAccess", S3_OBJECT_LIST_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3ObjectReadAccess", S3_OBJECT_READ_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3ObjectWriteAccess", S3_OBJECT_WRITE_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3ObjectDeleteAccess", S3_OBJECT_DELETE_ACCESS_DOCUMENT),
    ManagedPolicy::new("S3ObjectFullAccess", S3_OBJECT_FULL_ACCESS_DOCUMENT),
    ManagedPolicy::new("IAMListAccess", IAM_LIST_ACCESS_DOCUMENT),
    ManagedPolicy::new("IAMReadAccess", IAM_READ_ACCESS_DOCUMENT),
    ManagedPolicy::new("IAMAttachDetachAccess", IAM_ATTACH_DETACH_ACCESS_DOCUMENT),
    ManagedPolicy::new("IAMFullAccess", IAM_FULL_ACCESS_DOCUMENT),
];

/// All managed policies, in the spec's order.
pub fn all() -> &'static [ManagedPolicy] {
    &MANAGED_POLICIES
}

/// Looks a managed policy up by its ARN (exact, case-sensitive).
pub fn by_arn(arn: &str) -> Option<&'static ManagedPolicy> {
    by_name(arn.strip_prefix(ARN_PREFIX)?)
}

/// Looks a managed policy up by its name (exact, case-sensitive).
pub fn by_name(name: &str) -> Option<&'static ManagedPolicy> {
    MANAGED_POLICIES.iter().find(|p| p.name == name)
}
