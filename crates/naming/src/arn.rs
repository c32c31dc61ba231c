//! Amazon Resource Names for the resources S4 knows.
//!
//! | form | variant |
//! |---|---|
//! | `arn:aws:s3:::<bucket>` | [`Arn::S3Bucket`] |
//! | `arn:aws:s3:::<bucket>/<key>` | [`Arn::S3Object`] |
//! | `arn:aws:iam::<account>:root` | [`Arn::IamRoot`] |
//! | `arn:aws:iam::<account>:user/<name>` | [`Arn::IamUser`] |
//! | `arn:aws:iam::<account>:group/<name>` | [`Arn::IamGroup`] |
//! | `arn:aws:iam::aws:policy/<name>` | [`Arn::AwsManagedPolicy`] |
//!
//! Parsing is **structural**: policies put wildcards in resources (`arn:aws:s3:::photos/*`,
//! `arn:aws:s3:::*`, `arn:aws:iam::000000000000001:user/*`), so bucket names, keys and IAM
//! names are taken as they are, including `*`, `?`, `/` and `:`. Check them against the naming
//! rules with [`Arn::validate`] when the ARN must name one concrete resource. What parsing does
//! require:
//!
//! - partition `aws`, service `s3` or `iam`, an empty region;
//! - S3: an empty account and a non-empty bucket; the bucket ends at the first `/`, everything
//!   after it is the key (which may be empty: `arn:aws:s3:::b/` parses, [`Arn::validate`]
//!   rejects it);
//! - IAM: a well-formed 15-digit [`AccountId`] (no wildcard: principals name real accounts),
//!   or the literal `aws` for AWS-managed policies; user, group and policy names must be
//!   non-empty.
//!
//! Length limits of the IAM API (`PolicyArn` 20 to 2048 characters: `ValidationError`) belong
//! to the request layer and are not applied here.
//!
//! [`Arn::parse`] borrows from its input and does not allocate; [`FromStr`] and
//! [`Arn::into_owned`] produce an `Arn<'static>`. For every string that parses,
//! `Display` reproduces it byte for byte.

use std::borrow::Cow;
use std::error::Error;
use std::fmt;
use std::str::FromStr;

use crate::account::{AccountId, AccountIdError};
use crate::bucket::{validate_bucket_name, BucketNameError};
use crate::iam::{validate_group_name, validate_policy_name, validate_user_name, IamNameError};
use crate::key::{validate_object_key, ObjectKeyError};

/// A parsed ARN of one of the forms S4 supports; see the [module docs](self).
///
/// ```
/// use s4_naming::{AccountId, Arn};
///
/// let arn = Arn::parse("arn:aws:s3:::photos/2024/*").unwrap();
/// assert_eq!(arn, Arn::S3Object { bucket: "photos".into(), key: "2024/*".into() });
/// assert_eq!(arn.to_string(), "arn:aws:s3:::photos/2024/*");
///
/// let user: Arn<'static> = "arn:aws:iam::000000000000042:user/alice".parse().unwrap();
/// assert_eq!(user.account(), Some(AccountId::from_number(42).unwrap()));
/// assert!(user.validate().is_ok());
///
/// assert!(Arn::parse("arn:aws:s3:::photos/*").unwrap().validate().is_ok());
/// assert!(Arn::parse("arn:aws:s3:::*").unwrap().validate().is_err());
/// assert!(Arn::parse("arn:aws:ec2:::x").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Arn<'a> {
    /// `arn:aws:s3:::<bucket>`.
    S3Bucket {
        /// The bucket (or a pattern); never empty, never contains `/` when parsed.
        bucket: Cow<'a, str>,
    },
    /// `arn:aws:s3:::<bucket>/<key>`.
    S3Object {
        /// The bucket (or a pattern); never empty, never contains `/` when parsed.
        bucket: Cow<'a, str>,
        /// The key (or a pattern); anything, including `/` and the empty string.
        key: Cow<'a, str>,
    },
    /// `arn:aws:iam::<account>:root`, the account's root user.
    IamRoot {
        /// The account.
        account: AccountId,
    },
    /// `arn:aws:iam::<account>:user/<name>`.
    IamUser {
        /// The account.
        account: AccountId,
        /// The user name (or a pattern); never empty when parsed.
        name: Cow<'a, str>,
    },
    /// `arn:aws:iam::<account>:group/<name>`.
    IamGroup {
        /// The account.
        account: AccountId,
        /// The group name (or a pattern); never empty when parsed.
        name: Cow<'a, str>,
    },
    /// `arn:aws:iam::aws:policy/<name>`, an S4 managed policy (spec section 3.2).
    AwsManagedPolicy {
        /// The policy name; never empty when parsed.
        name: Cow<'a, str>,
    },
}

/// Why a string is not an ARN this crate supports. Checked in the order of the variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArnError {
    /// The string does not start with `arn:`.
    MissingPrefix,
    /// Fewer than six `:`-separated components.
    MissingComponents,
    /// The partition is not `aws`.
    UnsupportedPartition,
    /// The service is not `s3` or `iam`.
    UnsupportedService,
    /// The region is not empty.
    RegionNotEmpty,
    /// An S3 ARN with a non-empty account component.
    S3AccountNotEmpty,
    /// An S3 ARN whose bucket part is empty.
    EmptyBucket,
    /// An IAM ARN with an empty account component.
    MissingAccount,
    /// An IAM ARN whose account is neither `aws` nor a valid account ID.
    InvalidAccount(AccountIdError),
    /// An IAM resource other than `root`, `user/…` or `group/…` (for an account ID) or
    /// `policy/…` (for `aws`).
    UnsupportedIamResource,
    /// `user/`, `group/` or `policy/` with nothing after it.
    EmptyName,
}

impl fmt::Display for ArnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingPrefix => f.write_str("ARN must start with \"arn:\""),
            Self::MissingComponents => {
                f.write_str("ARN must have the form arn:partition:service:region:account:resource")
            }
            Self::UnsupportedPartition => f.write_str("ARN partition must be \"aws\""),
            Self::UnsupportedService => f.write_str("ARN service must be \"s3\" or \"iam\""),
            Self::RegionNotEmpty => f.write_str("ARN region must be empty"),
            Self::S3AccountNotEmpty => {
                f.write_str("S3 ARN account must be empty (arn:aws:s3:::bucket[/key])")
            }
            Self::EmptyBucket => f.write_str("S3 ARN must name a bucket"),
            Self::MissingAccount => f.write_str("IAM ARN must name an account"),
            Self::InvalidAccount(e) => write!(f, "IAM ARN account is invalid: {e}"),
            Self::UnsupportedIamResource => f.write_str(
                "IAM ARN resource must be root, user/<name> or group/<name> for an account ID, \
                 or policy/<name> for the account \"aws\"",
            ),
            Self::EmptyName => f.write_str("IAM ARN resource name must not be empty"),
        }
    }
}

impl Error for ArnError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::InvalidAccount(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a parsed ARN does not name one concrete, validly named resource
/// (see [`Arn::validate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArnValidationError {
    /// The bucket breaks a bucket-name rule.
    Bucket(BucketNameError),
    /// The key breaks an object-key rule.
    Key(ObjectKeyError),
    /// The user, group or policy name breaks an IAM name rule.
    Name(IamNameError),
}

impl fmt::Display for ArnValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bucket(e) => e.fmt(f),
            Self::Key(e) => e.fmt(f),
            Self::Name(e) => e.fmt(f),
        }
    }
}

impl Error for ArnValidationError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Bucket(e) => Some(e),
            Self::Key(e) => Some(e),
            Self::Name(e) => Some(e),
        }
    }
}

impl<'a> Arn<'a> {
    /// Parses `s` without allocating; the result borrows from `s`.
    pub fn parse(s: &'a str) -> Result<Self, ArnError> {
        let rest = s.strip_prefix("arn:").ok_or(ArnError::MissingPrefix)?;
        let mut parts = rest.splitn(5, ':');
        let mut next = || parts.next().ok_or(ArnError::MissingComponents);
        let partition = next()?;
        let service = next()?;
        let region = next()?;
        let account = next()?;
        let resource = next()?;
        if partition != "aws" {
            return Err(ArnError::UnsupportedPartition);
        }
        match service {
            "s3" => Self::parse_s3(region, account, resource),
            "iam" => Self::parse_iam(region, account, resource),
            _ => Err(ArnError::UnsupportedService),
        }
    }

    fn parse_s3(region: &str, account: &str, resource: &'a str) -> Result<Self, ArnError> {
        if !region.is_empty() {
            return Err(ArnError::RegionNotEmpty);
        }
        if !account.is_empty() {
            return Err(ArnError::S3AccountNotEmpty);
        }
        let (bucket, key) = match resource.split_once('/') {
            Some((bucket, key)) => (bucket, Some(key)),
            None => (resource, None),
        };
        if bucket.is_empty() {
            return Err(ArnError::EmptyBucket);
        }
        let bucket = Cow::Borrowed(bucket);
        Ok(match key {
            Some(key) => Self::S3Object {
                bucket,
                key: Cow::Borrowed(key),
            },
            None => Self::S3Bucket { bucket },
        })
    }

    fn parse_iam(region: &str, account: &str, resource: &'a str) -> Result<Self, ArnError> {
        if !region.is_empty() {
            return Err(ArnError::RegionNotEmpty);
        }
        let non_empty = |name: &'a str| {
            if name.is_empty() {
                Err(ArnError::EmptyName)
            } else {
                Ok(Cow::Borrowed(name))
            }
        };
        match account {
            "" => Err(ArnError::MissingAccount),
            "aws" => match resource.strip_prefix("policy/") {
                Some(name) => Ok(Self::AwsManagedPolicy {
                    name: non_empty(name)?,
                }),
                None => Err(ArnError::UnsupportedIamResource),
            },
            _ => {
                let account = AccountId::parse(account).map_err(ArnError::InvalidAccount)?;
                if resource == "root" {
                    Ok(Self::IamRoot { account })
                } else if let Some(name) = resource.strip_prefix("user/") {
                    Ok(Self::IamUser {
                        account,
                        name: non_empty(name)?,
                    })
                } else if let Some(name) = resource.strip_prefix("group/") {
                    Ok(Self::IamGroup {
                        account,
                        name: non_empty(name)?,
                    })
                } else {
                    Err(ArnError::UnsupportedIamResource)
                }
            }
        }
    }

    /// Copies any borrowed parts so the ARN no longer borrows from the parsed string.
    pub fn into_owned(self) -> Arn<'static> {
        let own = |c: Cow<'a, str>| Cow::Owned(c.into_owned());
        match self {
            Self::S3Bucket { bucket } => Arn::S3Bucket {
                bucket: own(bucket),
            },
            Self::S3Object { bucket, key } => Arn::S3Object {
                bucket: own(bucket),
                key: own(key),
            },
            Self::IamRoot { account } => Arn::IamRoot { account },
            Self::IamUser { account, name } => Arn::IamUser {
                account,
                name: own(name),
            },
            Self::IamGroup { account, name } => Arn::IamGroup {
                account,
                name: own(name),
            },
            Self::AwsManagedPolicy { name } => Arn::AwsManagedPolicy { name: own(name) },
        }
    }

    /// `"s3"` or `"iam"`.
    pub fn service(&self) -> &'static str {
        match self {
            Self::S3Bucket { .. } | Self::S3Object { .. } => "s3",
            Self::IamRoot { .. }
            | Self::IamUser { .. }
            | Self::IamGroup { .. }
            | Self::AwsManagedPolicy { .. } => "iam",
        }
    }

    /// The account of an IAM root, user or group ARN; `None` for S3 and AWS-managed policies.
    pub fn account(&self) -> Option<AccountId> {
        match self {
            Self::IamRoot { account }
            | Self::IamUser { account, .. }
            | Self::IamGroup { account, .. } => Some(*account),
            Self::S3Bucket { .. } | Self::S3Object { .. } | Self::AwsManagedPolicy { .. } => None,
        }
    }

    /// Checks the names inside the ARN against the naming rules (bucket, then key; user,
    /// group or policy name), for ARNs that must name one concrete resource. Wildcards fail
    /// here: `*` is not a valid bucket name.
    pub fn validate(&self) -> Result<(), ArnValidationError> {
        match self {
            Self::S3Bucket { bucket } => {
                validate_bucket_name(bucket).map_err(ArnValidationError::Bucket)
            }
            Self::S3Object { bucket, key } => {
                validate_bucket_name(bucket).map_err(ArnValidationError::Bucket)?;
                validate_object_key(key).map_err(ArnValidationError::Key)
            }
            Self::IamRoot { .. } => Ok(()),
            Self::IamUser { name, .. } => {
                validate_user_name(name).map_err(ArnValidationError::Name)
            }
            Self::IamGroup { name, .. } => {
                validate_group_name(name).map_err(ArnValidationError::Name)
            }
            Self::AwsManagedPolicy { name } => {
                validate_policy_name(name).map_err(ArnValidationError::Name)
            }
        }
    }
}

impl fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::S3Bucket { bucket } => write!(f, "arn:aws:s3:::{bucket}"),
            Self::S3Object { bucket, key } => write!(f, "arn:aws:s3:::{bucket}/{key}"),
            Self::IamRoot { account } => write!(f, "arn:aws:iam::{account}:root"),
            Self::IamUser { account, name } => write!(f, "arn:aws:iam::{account}:user/{name}"),
            Self::IamGroup { account, name } => write!(f, "arn:aws:iam::{account}:group/{name}"),
            Self::AwsManagedPolicy { name } => write!(f, "arn:aws:iam::aws:policy/{name}"),
        }
    }
}

impl FromStr for Arn<'static> {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Arn::parse(s).map(Arn::into_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::ArnError as E;
    use super::*;

    fn acct(n: u64) -> AccountId {
        AccountId::from_number(n).unwrap()
    }

    #[test]
    fn parses_every_form_and_round_trips() {
        let a42 = acct(42);
        let cases: Vec<(&str, Arn<'_>)> = vec![
            (
                "arn:aws:s3:::photos",
                Arn::S3Bucket {
                    bucket: "photos".into(),
                },
            ),
            ("arn:aws:s3:::*", Arn::S3Bucket { bucket: "*".into() }),
            (
                "arn:aws:s3:::pho*",
                Arn::S3Bucket {
                    bucket: "pho*".into(),
                },
            ),
            // Not a valid bucket name, but parsing is structural.
            (
                "arn:aws:s3:::Not_Valid",
                Arn::S3Bucket {
                    bucket: "Not_Valid".into(),
                },
            ),
            (
                "arn:aws:s3:::photos/a.jpg",
                Arn::S3Object {
                    bucket: "photos".into(),
                    key: "a.jpg".into(),
                },
            ),
            (
                "arn:aws:s3:::photos/*",
                Arn::S3Object {
                    bucket: "photos".into(),
                    key: "*".into(),
                },
            ),
            (
                "arn:aws:s3:::*/*",
                Arn::S3Object {
                    bucket: "*".into(),
                    key: "*".into(),
                },
            ),
            (
                "arn:aws:s3:::photos/2024/12/a b:c.jpg",
                Arn::S3Object {
                    bucket: "photos".into(),
                    key: "2024/12/a b:c.jpg".into(),
                },
            ),
            (
                "arn:aws:s3:::photos//x/../y",
                Arn::S3Object {
                    bucket: "photos".into(),
                    key: "/x/../y".into(),
                },
            ),
            (
                "arn:aws:s3:::photos/",
                Arn::S3Object {
                    bucket: "photos".into(),
                    key: "".into(),
                },
            ),
            (
                "arn:aws:s3:::b/é😀鍵",
                Arn::S3Object {
                    bucket: "b".into(),
                    key: "é😀鍵".into(),
                },
            ),
            (
                "arn:aws:iam::000000000000042:root",
                Arn::IamRoot { account: a42 },
            ),
            (
                "arn:aws:iam::000000000000042:user/alice",
                Arn::IamUser {
                    account: a42,
                    name: "alice".into(),
                },
            ),
            (
                "arn:aws:iam::000000000000042:user/*",
                Arn::IamUser {
                    account: a42,
                    name: "*".into(),
                },
            ),
            (
                "arn:aws:iam::000000000000042:user/div/alice",
                Arn::IamUser {
                    account: a42,
                    name: "div/alice".into(),
                },
            ),
            (
                "arn:aws:iam::000000000000042:group/Developers",
                Arn::IamGroup {
                    account: a42,
                    name: "Developers".into(),
                },
            ),
            (
                "arn:aws:iam::aws:policy/AdministratorAccess",
                Arn::AwsManagedPolicy {
                    name: "AdministratorAccess".into(),
                },
            ),
            (
                "arn:aws:iam::aws:policy/S3ReadAccess",
                Arn::AwsManagedPolicy {
                    name: "S3ReadAccess".into(),
                },
            ),
        ];
        for (text, expected) in cases {
            let parsed = Arn::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(parsed, expected, "{text:?}");
            assert_eq!(parsed.to_string(), text);
            let owned: Arn<'static> = text.parse().unwrap();
            assert_eq!(owned, expected);
            assert_eq!(Arn::parse(&owned.to_string()), Ok(expected));
        }
    }

    #[test]
    fn parse_borrows_from_the_input() {
        let text = "arn:aws:s3:::photos/a.jpg";
        match Arn::parse(text).unwrap() {
            Arn::S3Object {
                bucket: Cow::Borrowed(b),
                key: Cow::Borrowed(k),
            } => {
                assert_eq!((b, k), ("photos", "a.jpg"));
                assert!(std::ptr::eq(b.as_ptr(), text[13..].as_ptr()));
            }
            other => panic!("not borrowed: {other:?}"),
        }
        match Arn::parse(text).unwrap().into_owned() {
            Arn::S3Object {
                bucket: Cow::Owned(_),
                key: Cow::Owned(_),
            } => {}
            other => panic!("not owned: {other:?}"),
        }
    }

    #[test]
    fn rejects_with_the_reason() {
        let cases: &[(&str, E)] = &[
            ("", E::MissingPrefix),
            ("arn", E::MissingPrefix),
            ("ARN:aws:s3:::b", E::MissingPrefix),
            (" arn:aws:s3:::b", E::MissingPrefix),
            ("arn:", E::MissingComponents),
            ("arn:aws:s3::", E::MissingComponents),
            ("arn:aws:s3:b", E::MissingComponents),
            ("arn:aws:iam::000000000000042", E::MissingComponents),
            ("arn:aws-cn:s3:::b", E::UnsupportedPartition),
            ("arn::s3:::b", E::UnsupportedPartition),
            ("arn:AWS:s3:::b", E::UnsupportedPartition),
            ("arn:aws:ec2:::b", E::UnsupportedService),
            ("arn:aws:S3:::b", E::UnsupportedService),
            ("arn:aws::::b", E::UnsupportedService),
            ("arn:aws:s3:eu-central-1::b", E::RegionNotEmpty),
            (
                "arn:aws:iam:us-east-1:000000000000042:root",
                E::RegionNotEmpty,
            ),
            ("arn:aws:s3::000000000000042:b", E::S3AccountNotEmpty),
            ("arn:aws:s3:::", E::EmptyBucket),
            ("arn:aws:s3:::/key", E::EmptyBucket),
            ("arn:aws:iam:::root", E::MissingAccount),
            (
                "arn:aws:iam::42:root",
                E::InvalidAccount(AccountIdError::WrongLength { len: 2 }),
            ),
            (
                "arn:aws:iam::*:root",
                E::InvalidAccount(AccountIdError::NonDigit { ch: '*' }),
            ),
            (
                "arn:aws:iam::0000000000000042:user/a",
                E::InvalidAccount(AccountIdError::WrongLength { len: 16 }),
            ),
            ("arn:aws:iam::000000000000042:", E::UnsupportedIamResource),
            (
                "arn:aws:iam::000000000000042:root/x",
                E::UnsupportedIamResource,
            ),
            (
                "arn:aws:iam::000000000000042:role/r",
                E::UnsupportedIamResource,
            ),
            (
                "arn:aws:iam::000000000000042:user",
                E::UnsupportedIamResource,
            ),
            (
                "arn:aws:iam::000000000000042:policy/P",
                E::UnsupportedIamResource,
            ),
            ("arn:aws:iam::aws:root", E::UnsupportedIamResource),
            ("arn:aws:iam::aws:user/alice", E::UnsupportedIamResource),
            ("arn:aws:iam::000000000000042:user/", E::EmptyName),
            ("arn:aws:iam::000000000000042:group/", E::EmptyName),
            ("arn:aws:iam::aws:policy/", E::EmptyName),
        ];
        for (text, expected) in cases {
            assert_eq!(Arn::parse(text), Err(*expected), "{text:?}");
            assert_eq!(text.parse::<Arn<'static>>(), Err(*expected), "{text:?}");
        }
    }

    #[test]
    fn resource_may_contain_colons() {
        assert_eq!(
            Arn::parse("arn:aws:iam::000000000000042:user/a:b"),
            Ok(Arn::IamUser {
                account: acct(42),
                name: "a:b".into()
            })
        );
        assert_eq!(
            Arn::parse("arn:aws:s3:::b:c"),
            Ok(Arn::S3Bucket {
                bucket: "b:c".into()
            })
        );
    }

    #[test]
    fn validate_checks_the_names() {
        use crate::iam::IamEntity;
        let ok = [
            "arn:aws:s3:::photos",
            "arn:aws:s3:::photos/a/b.jpg",
            "arn:aws:s3:::photos/*",
            "arn:aws:iam::000000000000042:root",
            "arn:aws:iam::000000000000042:user/alice",
            "arn:aws:iam::000000000000042:group/Developers",
            "arn:aws:iam::aws:policy/AdministratorAccess",
        ];
        for text in ok {
            assert_eq!(Arn::parse(text).unwrap().validate(), Ok(()), "{text:?}");
        }
        let long_group = format!("arn:aws:iam::000000000000042:group/{}", "g".repeat(128));
        assert_eq!(Arn::parse(&long_group).unwrap().validate(), Ok(()));
        let bad: &[(&str, ArnValidationError)] = &[
            (
                "arn:aws:s3:::*",
                ArnValidationError::Bucket(BucketNameError::TooShort { len: 1 }),
            ),
            (
                "arn:aws:s3:::Photos/a",
                ArnValidationError::Bucket(BucketNameError::InvalidCharacter { ch: 'P' }),
            ),
            // The bucket is checked before the key.
            (
                "arn:aws:s3:::192.168.5.4/a//b",
                ArnValidationError::Bucket(BucketNameError::IpAddress),
            ),
            (
                "arn:aws:s3:::photos/",
                ArnValidationError::Key(ObjectKeyError::Empty),
            ),
            // The key is "/a//b": the first slash separates bucket and key.
            (
                "arn:aws:s3:::photos//a//b",
                ArnValidationError::Key(ObjectKeyError::ConsecutiveSlashes),
            ),
            (
                "arn:aws:s3:::photos/../a",
                ArnValidationError::Key(ObjectKeyError::LeadingDotDotSlash),
            ),
            (
                "arn:aws:iam::000000000000042:user/*",
                ArnValidationError::Name(IamNameError::InvalidCharacter {
                    entity: IamEntity::User,
                    ch: '*',
                }),
            ),
            (
                "arn:aws:iam::000000000000042:user/div/alice",
                ArnValidationError::Name(IamNameError::InvalidCharacter {
                    entity: IamEntity::User,
                    ch: '/',
                }),
            ),
            (
                &format!("arn:aws:iam::000000000000042:user/{}", "u".repeat(65)),
                ArnValidationError::Name(IamNameError::TooLong {
                    entity: IamEntity::User,
                    len: 65,
                }),
            ),
            (
                &format!("arn:aws:iam::000000000000042:group/{}", "g".repeat(129)),
                ArnValidationError::Name(IamNameError::TooLong {
                    entity: IamEntity::Group,
                    len: 129,
                }),
            ),
            (
                "arn:aws:iam::aws:policy/Admin Access",
                ArnValidationError::Name(IamNameError::InvalidCharacter {
                    entity: IamEntity::Policy,
                    ch: ' ',
                }),
            ),
        ];
        for (text, expected) in bad {
            assert_eq!(
                Arn::parse(text).unwrap().validate(),
                Err(*expected),
                "{text:?}"
            );
        }
    }

    #[test]
    fn accessors() {
        let user = Arn::parse("arn:aws:iam::000000000000042:user/alice").unwrap();
        assert_eq!(user.service(), "iam");
        assert_eq!(user.account(), Some(acct(42)));
        let root = Arn::parse("arn:aws:iam::000000000000007:root").unwrap();
        assert_eq!(root.account(), Some(acct(7)));
        let group = Arn::parse("arn:aws:iam::000000000000007:group/g").unwrap();
        assert_eq!(group.account(), Some(acct(7)));
        let policy = Arn::parse("arn:aws:iam::aws:policy/P").unwrap();
        assert_eq!((policy.service(), policy.account()), ("iam", None));
        let bucket = Arn::parse("arn:aws:s3:::b").unwrap();
        assert_eq!((bucket.service(), bucket.account()), ("s3", None));
        let object = Arn::parse("arn:aws:s3:::b/k").unwrap();
        assert_eq!((object.service(), object.account()), ("s3", None));
    }

    #[test]
    fn error_messages_and_sources() {
        let e = E::InvalidAccount(AccountIdError::WrongLength { len: 2 });
        assert_eq!(
            e.to_string(),
            "IAM ARN account is invalid: Account ID must be exactly 15 digits long (got 2)"
        );
        assert!(e.source().is_some());
        assert!(E::EmptyBucket.source().is_none());
        assert_eq!(
            E::UnsupportedPartition.to_string(),
            "ARN partition must be \"aws\""
        );
        let v = ArnValidationError::Key(ObjectKeyError::Empty);
        assert_eq!(v.to_string(), "Object key must not be empty");
        assert!(v.source().is_some());
    }
}
