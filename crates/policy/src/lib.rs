//! S4 policies: parse, validate and compile IAM-style policy documents (bucket policies and
//! the managed identity policies), and decide requests against them. No I/O.
//!
//! # Pipeline
//!
//! 1. [`CompiledPolicy::parse_bucket`] / [`CompiledPolicy::parse_identity`]: JSON text →
//!    [`document::PolicyDocument`] (duplicate keys rejected) → [`validate`] (errors name the
//!    element, ready for `MalformedPolicy`) → compiled statements (wildcard patterns,
//!    parsed CIDRs, dates and numbers, policy-variable templates). Store the compiled form;
//!    evaluation never touches JSON again.
//! 2. Build a [`RequestContext`] per request (principal, action, resource ARN, condition
//!    keys): the caller says which action on which resource a request needs
//!    ([`actions`] has the S3 and IAM action names and the ARNs of buckets and objects).
//! 3. [`decide`] (or [`explain`], which also names the deciding policy and statement) with
//!    the principal's identity policies and the bucket's policy.
//!
//! ```
//! use s4_naming::AccountId;
//! use s4_policy::actions::object_arn;
//! use s4_policy::{decide, explain, keys, managed, CompiledPolicy, Decision, Principal, RequestContext};
//!
//! let owner = AccountId::from_number(1).unwrap();
//! let bucket = CompiledPolicy::parse_bucket(
//!     r#"{
//!       "Version": "2012-10-17",
//!       "Statement": [
//!         {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
//!          "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/public/*"},
//!         {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
//!          "Resource": ["arn:aws:s3:::photos", "arn:aws:s3:::photos/*"],
//!          "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
//!       ]
//!     }"#,
//!     "photos",
//! )
//! .unwrap();
//!
//! // Anonymous GET of a public object over TLS.
//! let resource = object_arn("photos", "public/cat.jpg");
//! let ctx = RequestContext::new(Principal::Anonymous, "s3:GetObject", resource.clone())
//!     .with(keys::SECURE_TRANSPORT, "true");
//! assert_eq!(decide(&ctx, Some(owner), &[], Some(&bucket)), Decision::Allow);
//!
//! // The same over plain HTTP is denied explicitly, even for the owner's users.
//! let alice = Principal::User { account: owner, name: "alice", user_id: "AIDA1" };
//! let full = managed::by_name("S3FullAccess").unwrap().compiled();
//! let ctx = RequestContext::new(alice, "s3:GetObject", resource)
//!     .with(keys::SECURE_TRANSPORT, "false");
//! let why = explain(&ctx, Some(owner), &[full], Some(&bucket));
//! assert_eq!(why.decision, Decision::ExplicitDeny);
//! assert_eq!(why.to_string(), "ExplicitDeny (ExplicitDeny): Deny by statement 1 (Sid TlsOnly) of bucket policy of photos");
//!
//! // Malformed policies name the element.
//! let err = CompiledPolicy::parse_bucket(
//!     r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
//!         "Action":"s3:GetObjekt","Resource":"arn:aws:s3:::photos/*"}]}"#,
//!     "photos",
//! )
//! .unwrap_err();
//! assert_eq!(err.element(), s4_policy::PolicyElement::Action);
//! assert_eq!(err.to_string(), "Invalid Action \"s3:GetObjekt\" in statement 0: not a known action");
//! ```
//!
//! # Modules
//!
//! - [`document`]: JSON → typed document (structure); [`validate`]: content rules;
//!   [`compiled`]: the compiled form.
//! - [`wildcard`]: `*` / `?` matching; [`variables`]: the rules for `${aws:username}` and friends;
//!   [`condition`]: the condition operators.
//! - [`evaluate`]: [`decide`] and [`explain`]; [`context`]: [`RequestContext`].
//! - [`managed`]: the 20 managed policies of spec 3.2; [`actions`]: operation → action table.
//! - [`fuzzing`]: the checks behind the cargo-fuzz targets `policy_wildcard` and
//!   `policy_json` (`cd fuzz && cargo +nightly fuzz run policy_json`); a unit test replays
//!   their seed corpora on stable.

#![warn(missing_docs)]

pub mod actions;
pub mod compiled;
pub mod condition;
pub mod context;
pub mod document;
mod error;
pub mod evaluate;
pub mod fuzzing;
pub mod managed;
pub mod validate;
pub mod variables;
pub mod wildcard;

pub use compiled::{CompiledPolicy, PolicyKind};
pub use context::{keys, Principal, RequestContext};
pub use document::{Effect, PolicyVersion};
pub use error::{PolicyElement, PolicyError};
pub use evaluate::{
    decide, explain, Attribution, Decision, Explanation, PolicyDecision, Reason, StatementRef,
};
pub use validate::{PolicyTarget, MAX_BUCKET_POLICY_BYTES};
