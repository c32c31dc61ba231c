//! The IAM query protocol of the S4 dialect (spec section 3): requests, responses and errors.
//!
//! No I/O: the HTTP layer hands over the query string or the form body and writes back the
//! bytes this crate produces.
//!
//! * **Parameters** ([`QueryParams`]): decoded from a GET query string or a POST
//!   `application/x-www-form-urlencoded` body alike (spec 3.1), each name at most once,
//!   bodies bounded ([`DEFAULT_BODY_LIMIT`], 64 KiB).
//! * **Requests** ([`IamRequest`]): one variant per action ([`IamAction`]): the spec's
//!   policy actions (GetPolicy, GetPolicyVersion, ListPolicies, ListAttachedUser/GroupPolicies,
//!   Attach/DetachUser/GroupPolicy) and AWS's user, group and access-key actions. Parsing
//!   checks `Action` and `Version` (`2010-05-08`), then validates like AWS in three layers
//!   (`MalformedInput`, then every `ValidationError` at once, then `InvalidInput`; see
//!   [`validate`]). Every request serializes back ([`IamRequest::to_form_string`]) for
//!   clients and tests.
//! * **Responses** ([`IamResponse`]): typed results written as the spec's
//!   `<XResponse><XResult>..</XResult><ResponseMetadata>` documents.
//! * **Errors** ([`IamError`], [`IamErrorCode`]): codes with their HTTP status and
//!   `Sender`/`Receiver` type, rendered as `<ErrorResponse>`; [`IamAction::error`] applies
//!   the spec's per-action statuses (`NoSuchEntity` is 400 in ListAttached*Policies).
//!
//! # Example
//!
//! ```
//! use s4_iam_query::{
//!     IamErrorCode, IamRequest, IamResponse, ParseOptions, Policy, PolicyFilter, PolicyPage,
//!     Truncation,
//! };
//! use time::macros::datetime;
//!
//! let options = ParseOptions::default();
//!
//! // What botocore sends for `iam.list_policies(MaxItems=1)`: a form-encoded POST body.
//! let body = b"Action=ListPolicies&Version=2010-05-08&MaxItems=1";
//! let request = IamRequest::from_form(body, &options).unwrap();
//! assert_eq!(
//!     request,
//!     IamRequest::ListPolicies {
//!         page: PolicyPage { marker: None, max_items: Some(1) },
//!         filter: PolicyFilter::default(),
//!     }
//! );
//! // The same request as a GET query string parses the same.
//! let query = "Action=ListPolicies&Version=2010-05-08&MaxItems=1";
//! assert_eq!(IamRequest::from_query(query, &options).unwrap(), request);
//!
//! // The handler answers with a typed result ...
//! let created = datetime!(2022-07-29 20:05:50 UTC);
//! let response = IamResponse::ListPolicies {
//!     policies: vec![Policy {
//!         arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
//!         attachment_count: 0,
//!         create_date: created,
//!         update_date: created,
//!         policy_id: "ADMINISTRATORACCESS".into(),
//!         policy_name: "AdministratorAccess".into(),
//!         default_version_id: "v1".into(),
//!         path: "/".into(),
//!         is_attachable: true,
//!         description: String::new(),
//!     }],
//!     truncation: Truncation::truncated("1"),
//! };
//! let xml = String::from_utf8(response.to_xml("0000000000000001")).unwrap();
//! assert!(xml.starts_with(
//!     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListPoliciesResponse \
//!      xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListPoliciesResult>\
//!      <IsTruncated>true</IsTruncated><Marker>1</Marker><Policies><member>"
//! ));
//! assert!(xml.contains("<CreateDate>2022-07-29T20:05:50.000Z</CreateDate>"));
//! assert!(xml.ends_with(
//!     "<ResponseMetadata><RequestId>0000000000000001</RequestId></ResponseMetadata>\
//!      </ListPoliciesResponse>"
//! ));
//!
//! // ... or an error document.
//! let err = IamRequest::from_query("Action=ListPolicies&Version=2010-05-08&MaxItems=x", &options)
//!     .unwrap_err();
//! assert_eq!(err.code(), IamErrorCode::MalformedInput);
//! assert_eq!(err.status(), 400);
//! let err = IamRequest::from_query("Action=GetUser&Version=2010-05-08&UserName=a%20b", &options)
//!     .unwrap_err();
//! assert_eq!(
//!     err.message(),
//!     "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: \
//!      Member must satisfy regular expression pattern: [\\w+=,.@-]+"
//! );
//! let xml = String::from_utf8(err.to_xml("0000000000000002")).unwrap();
//! assert!(xml.contains("<Error><Type>Sender</Type><Code>ValidationError</Code>"));
//!
//! // Clients and tests serialize requests.
//! assert_eq!(request.to_form_string(), "Action=ListPolicies&Version=2010-05-08&MaxItems=1");
//! ```
//!
//! # Decisions where the spec and the AWS documentation are silent
//!
//! * **Version**: a missing or wrong `Version` is `InvalidAction`, `Could not find operation
//!   <Action> for version <Version|NO_VERSION_SPECIFIED>`, AWS's answer for an operation
//!   unknown in a version; no `Action` at all is `MissingAction`.
//! * **Missing parameters** are `ValidationError` (`Value null at 'userName' failed to
//!   satisfy constraint: Member must not be null`), as AWS IAM and the spec (PolicyArn)
//!   answer; `MissingParameter` stays in the table for the HTTP layer (spec 1.3.2).
//! * **Layers**: `MalformedInput` first, then all `ValidationError`s in one message, then
//!   `InvalidInput` ([`validate`]).
//! * **Decoding** is strict (bad `%XX` or non-UTF-8 is `MalformedInput`), a repeated
//!   parameter is `MalformedInput`, unknown parameters are ignored, bodies over 64 KiB are
//!   `RequestEntityTooLarge` (413) ([`params`]).
//! * **Markers**: integers for the policy listings (spec 3.3), opaque strings (AWS rules) for
//!   users, groups and keys; `MaxItems` is bounded by [`ParseOptions::max_items`].
//! * **S4 has no IAM paths or permissions boundaries**: `Path` other than `/` and any
//!   `PermissionsBoundary` are `InvalidInput`; `PathPrefix` is ignored.
//! * **Output** is compact; `Description` only in GetPolicy; see [`response`].
//!
//! # Testing
//!
//! Each module has unit tests; `tests/` holds per-action parsing tests (GET and POST),
//! golden byte-exact responses for every action, a cross-check of the writers against the
//! real IAM responses recorded in botocore's test data, and the replay of the fuzz seed
//! corpus through [`fuzzing::check`], the oracle of the cargo-fuzz target `iam_query`
//! (`cd fuzz && cargo +nightly fuzz run iam_query`).

#![warn(missing_docs)]

pub mod error;
pub mod fuzzing;
pub mod params;
pub mod policy_filter;
pub mod request;
pub mod response;
pub mod validate;
pub mod xml;

pub use error::{ErrorType, IamError, IamErrorCode};
pub use params::{Member, QueryParams, DEFAULT_BODY_LIMIT};
pub use policy_filter::{PolicyFilter, PolicyScope, PolicyUsage};
pub use request::{
    AccessKeyStatus, IamAction, IamRequest, IamResourceKind, Page, ParseOptions, PolicyArn,
    PolicyPage, Tag,
};
pub use response::{
    AccessKey, AccessKeyMetadata, AttachedPolicy, Group, IamResponse, Policy, PolicyVersion,
    Truncation, User,
};
pub use validate::{is_version_id, DEFAULT_MAX_ITEMS, IAM_VERSION, MAX_TAGS};
pub use xml::{format_timestamp, percent_encode, IAM_NAMESPACE};

/// The `Content-Type` of every IAM response document, success or error (AWS sends
/// `text/xml`).
pub const CONTENT_TYPE: &str = "text/xml";
