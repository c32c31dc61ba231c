//! S4 naming rules (bucket names, object keys, account IDs, IAM names, ARNs).
//!
//! Pure functions and small value types, no I/O and no dependencies beyond `std`. Every
//! validator reports the **first** failing rule in a fixed, documented order, and every error
//! type implements [`Display`](std::fmt::Display) with a message that names the rule, ready
//! for the `<Message>` of an S3 or IAM error body (control characters are escaped).
//!
//! # Bucket names (spec 2.1.2) — [`bucket`]
//!
//! ```
//! use s4_naming::{validate_bucket_name, BucketNameError};
//!
//! assert!(validate_bucket_name("my-photos.2024").is_ok());
//! assert_eq!(validate_bucket_name("ab"), Err(BucketNameError::TooShort { len: 2 }));
//! assert_eq!(validate_bucket_name("192.168.5.4"), Err(BucketNameError::IpAddress));
//! assert_eq!(validate_bucket_name("xn--abc"), Err(BucketNameError::XnPrefix));
//! assert_eq!(
//!     validate_bucket_name("Photos").unwrap_err().to_string(),
//!     "Bucket name can consist only of lowercase letters, numbers, dots (.) and hyphens (-); \
//!      found 'P'"
//! );
//! ```
//!
//! # Object keys (spec 2.1.4) — [`key`]
//!
//! Length is counted in characters (at most 1024, so up to 4096 bytes); any UTF-8 is allowed.
//!
//! ```
//! use s4_naming::{validate_object_key, ObjectKeyError};
//!
//! assert!(validate_object_key("photos/été/😀.jpg").is_ok());
//! assert!(validate_object_key("./a").is_ok()); // not forbidden by the spec
//! assert_eq!(validate_object_key("a//b"), Err(ObjectKeyError::ConsecutiveSlashes));
//! assert_eq!(validate_object_key("../a"), Err(ObjectKeyError::LeadingDotDotSlash));
//! assert!(validate_object_key(&"😀".repeat(1024)).is_ok());
//! assert_eq!(validate_object_key(&"😀".repeat(1025)), Err(ObjectKeyError::TooLong { len: 1025 }));
//! ```
//!
//! # Account IDs (spec 1.1) — [`account`]
//!
//! ```
//! use s4_naming::{AccountId, AccountIdError};
//!
//! let id = AccountId::from_number(7).unwrap();
//! assert_eq!(id.as_str(), "000000000000007");
//! assert_eq!(AccountId::parse("000000000000007"), Ok(id));
//! assert_eq!(AccountId::parse("7"), Err(AccountIdError::WrongLength { len: 1 }));
//! assert!(AccountId::from_number(1_000_000_000_000_000).is_err());
//! ```
//!
//! # IAM user, group and policy names — [`iam`]
//!
//! ```
//! use s4_naming::{validate_group_name, validate_user_name};
//!
//! assert!(validate_user_name("alice+ops@example.com").is_ok());
//! assert!(validate_user_name(&"u".repeat(65)).is_err()); // users: at most 64
//! assert!(validate_group_name(&"g".repeat(128)).is_ok()); // groups: at most 128
//! assert!(validate_group_name("dev team").is_err());
//! ```
//!
//! # ARNs — [`arn`]
//!
//! ```
//! use s4_naming::{AccountId, Arn};
//!
//! let arn = Arn::parse("arn:aws:iam::000000000000007:user/alice").unwrap();
//! assert_eq!(
//!     arn,
//!     Arn::IamUser { account: AccountId::from_number(7).unwrap(), name: "alice".into() }
//! );
//! assert_eq!(arn.to_string(), "arn:aws:iam::000000000000007:user/alice");
//!
//! // Resources in policies carry wildcards; parsing accepts them, `validate` does not.
//! let any_object = Arn::parse("arn:aws:s3:::photos/*").unwrap();
//! assert!(any_object.validate().is_ok()); // "*" is a valid key
//! assert!(Arn::parse("arn:aws:s3:::*").unwrap().validate().is_err());
//!
//! let policy: Arn<'static> = "arn:aws:iam::aws:policy/S3ReadAccess".parse().unwrap();
//! assert_eq!(policy, Arn::AwsManagedPolicy { name: "S3ReadAccess".into() });
//! ```
//!
//! # Testing
//!
//! Each module carries table tests for every rule (passing and failing cases, boundary
//! lengths, rule order). [`fuzzing`] holds spec-literal oracles written independently of the
//! validators; property tests compare the two on generated strings, and the cargo-fuzz target
//! `naming` (`cd fuzz && cargo +nightly fuzz run naming`) runs the same [`fuzzing::check`],
//! which also checks that every parsed ARN displays back to its input. A unit test replays the
//! committed seed corpus `fuzz/corpus/naming/` on stable.

#![warn(missing_docs)]

pub mod account;
pub mod arn;
pub mod bucket;
pub mod fuzzing;
pub mod iam;
pub mod key;

pub use account::{AccountId, AccountIdError};
pub use arn::{Arn, ArnError, ArnValidationError};
pub use bucket::{validate_bucket_name, BucketNameError};
pub use iam::{
    is_iam_name_char, validate_group_name, validate_policy_name, validate_user_name, IamEntity,
    IamNameError,
};
pub use key::{validate_object_key, ObjectKeyError, OBJECT_KEY_MAX_LEN};
