//! The access explainer, an S4 extension on the S3 listener: `POST /_s4/explain`, signed
//! with SigV4 like any S3 request, asks how S4 would decide one action of a principal on a
//! resource of the signer's account, and answers the decision with the statements that
//! decided it (the policy engine's [`explain`]), as JSON.
//!
//! Request body (JSON, at most [`MAX_REQUEST_BYTES`]):
//! `{"Principal": "arn:aws:iam::<account>:user/alice", "Action": "s3:DeleteObject",
//! "Resource": "arn:aws:s3:::photos/a.txt", "Context": {"aws:SourceIp": "10.0.0.1"}}`.
//! `Principal` is an IAM user of the signer's account (its own and its groups' policies
//! count), an account root (`arn:aws:iam::<account>:root` or the bare account ID; another
//! account's root is how a cross-account request is explained), or `anonymous`.
//! `Resource` is a bucket or object ARN of the signer's account (its bucket policy counts),
//! `arn:aws:s3:::*` for account-level S3 actions, or `*` / an IAM ARN of the account for IAM
//! actions (decided on `*`, as IAM requests are). `Context` sets condition keys; the others
//! are those of the explain request itself (source address, TLS, time, user agent).
//!
//! Who may ask ([`required_reads`]): the account root always; an IAM user only when the
//! policies allow it to read everything the answer reveals: `iam:GetPolicy` (the managed
//! policies' statements), for a user principal `iam:ListAttachedUserPolicies`,
//! `iam:ListGroupsForUser` and `iam:ListAttachedGroupPolicies`, and for a bucket or object
//! resource `s3:GetBucketPolicy` on the bucket. Anyone else gets `AccessDenied` before the
//! principal or the resource is even looked at. Errors are S3 error documents (XML, with a
//! `RequestId`), like every S3 answer.

use std::collections::BTreeMap;

use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http::{Method, Response, StatusCode};
use s4_naming::{AccountId, Arn};
use s4_policy::actions::{bucket_arn, iam_action, S3_ACTIONS};
use s4_policy::{explain, keys, Effect, Explanation, RequestContext};
use s4_sigv4::PayloadMode;
use s4_storage::{ByteStream, IdentityStore, ObjectStore, StorageError, User};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::Principal;
use crate::authz::{self, PolicyCache};
use crate::body::{self, ResponseBody};
use crate::config::Limits;
use crate::error_code::S3ErrorCode;
use crate::input::{RequestBody, RequestView};
use crate::operation::Query;
use crate::response::ApiError;

/// The explainer's path on the S3 listener (`_s4` is no valid bucket name, so no bucket can
/// shadow it).
pub const PATH: &str = "/_s4/explain";

/// The largest request body accepted.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// The operation name in access logs and metrics.
pub const OPERATION: &str = "S4Explain";

/// What the signer asks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct ExplainInput {
    principal: String,
    action: String,
    resource: String,
    #[serde(default)]
    context: BTreeMap<String, OneOrMany>,
}

/// A condition key's value: one string or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExplainOutput<'a> {
    principal: String,
    action: &'a str,
    resource: &'a str,
    decision: String,
    allowed: bool,
    reason: String,
    /// What S4 would answer: `Allow`, `AccessDenied` or `MethodNotAllowed`.
    answer: &'static str,
    matched_statements: Vec<MatchedStatement>,
    trace: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct MatchedStatement {
    policy: String,
    statement: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    effect: &'static str,
}

/// The principal asked about, before an IAM user is looked up.
#[derive(Debug, PartialEq, Eq)]
enum Subject {
    Anonymous,
    Root(AccountId),
    User(String),
}

/// The resource asked about.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// A bucket or object of the account: its bucket policy counts.
    Bucket(String),
    /// `arn:aws:s3:::*` (account-level S3 actions): no bucket policy.
    AllBuckets,
    /// IAM: decided on [`s4_iam::IAM_RESOURCE`].
    Iam,
}

/// The stores and cache the explainer reads.
pub(crate) struct Stores<'a, O: ?Sized, I: ?Sized> {
    pub store: &'a O,
    pub identity: &'a I,
    pub policies: &'a PolicyCache,
}

/// Answers `POST /_s4/explain` for the authenticated `principal`.
pub(crate) async fn serve<O: ObjectStore + ?Sized, I: IdentityStore + ?Sized>(
    stores: Stores<'_, O, I>,
    parts: &Parts,
    principal: &Principal,
    body: (ByteStream, PayloadMode),
    limits: &Limits,
) -> Result<Response<ResponseBody>, ApiError> {
    if parts.method != Method::POST {
        return Err(ApiError::with_message(
            S3ErrorCode::MethodNotAllowed,
            "The access explainer accepts POST only.",
        ));
    }
    let Some(account) = principal.account().copied() else {
        return Err(ApiError::with_message(
            S3ErrorCode::AccessDenied,
            "The access explainer needs a signed request.",
        ));
    };
    let query = Query::parse(parts.uri.query().unwrap_or(""));
    let view = RequestView {
        headers: &parts.headers,
        query: &query,
        account: &account,
        bucket: "",
        key: "",
        limits,
    };
    let raw = RequestBody::new(body.0, body.1, &view)
        .read_xml(MAX_REQUEST_BYTES)
        .await?;
    let input: ExplainInput = serde_json::from_slice(&raw).map_err(|e| {
        ApiError::with_message(
            S3ErrorCode::InvalidRequest,
            format!("The explain request is not valid JSON of the documented shape: {e}"),
        )
    })?;
    let subject = parse_principal(&input.principal, account)?;
    let target = parse_resource(&input.action, &input.resource, account)?;
    let now = OffsetDateTime::now_utc();
    let request_keys = authz::request_keys(parts, now);
    let owner_policy = match &target {
        Target::Bucket(bucket) => stores.policies.get(stores.store, &account, bucket).await?,
        Target::AllBuckets | Target::Iam => None,
    };
    // Who may ask is decided before the principal is looked up: a refused caller learns
    // nothing, not even whether the user exists.
    if let Principal::User { .. } = principal {
        let caller_policies = authz::principal_policies(stores.identity, principal).await?;
        let mut ctx = RequestContext::new(principal.policy_view(), "", "");
        for (k, v) in &request_keys {
            ctx.insert(k, v.clone());
        }
        for (action, resource) in required_reads(&subject, &target) {
            ctx.set_action(action);
            ctx.set_resource(resource.clone());
            let bucket_policy = match target {
                Target::Bucket(_) if action == "s3:GetBucketPolicy" => owner_policy.as_deref(),
                _ => None,
            };
            let decision =
                authz::decide_logged(&ctx, Some(account), &caller_policies, bucket_policy);
            if !decision.is_allowed() {
                return Err(ApiError::with_message(
                    S3ErrorCode::AccessDenied,
                    format!(
                        "User: {} is not authorized to perform: {action} on resource: {resource}, which explaining this access needs.",
                        principal.arn().unwrap_or_default()
                    ),
                ));
            }
        }
    }
    let user = match &subject {
        Subject::User(name) => Some(look_up_user(stores.identity, &account, name).await?),
        Subject::Anonymous | Subject::Root(_) => None,
    };
    let view = match (&subject, &user) {
        (Subject::User(_), Some(user)) => s4_policy::Principal::User {
            account,
            name: &user.name,
            user_id: &user.user_id,
        },
        (Subject::Root(other), _) => s4_policy::Principal::Root { account: *other },
        _ => s4_policy::Principal::Anonymous,
    };
    let identity_policies = match &user {
        Some(user) => s4_iam::identity_policies(stores.identity, &account, &user.name).await?,
        None => Vec::new(),
    };
    let evaluated_resource = match target {
        Target::Iam => s4_iam::IAM_RESOURCE,
        Target::Bucket(_) | Target::AllBuckets => input.resource.as_str(),
    };
    let mut ctx = RequestContext::new(view, input.action.as_str(), evaluated_resource);
    for (k, v) in request_keys {
        ctx.insert(k, v);
    }
    if view != s4_policy::Principal::Anonymous {
        ctx.insert(keys::S3_SIGNATURE_VERSION, "AWS4-HMAC-SHA256");
        ctx.insert(keys::S3_AUTH_TYPE, "REST-HEADER");
    }
    for (key, value) in input.context {
        ctx.set(
            &key,
            match value {
                OneOrMany::One(v) => vec![v],
                OneOrMany::Many(v) => v,
            },
        );
    }
    let why = explain(
        &ctx,
        Some(account),
        &identity_policies,
        owner_policy.as_deref(),
    );
    let output = output(&view, &input.action, &input.resource, &why);
    json_response(&output)
}

/// The reads an IAM user needs to be allowed, as `(action, resource)`, to explain `subject`
/// on `target`: what the answer reveals.
fn required_reads(subject: &Subject, target: &Target) -> Vec<(&'static str, String)> {
    let mut out = vec![("iam:GetPolicy", s4_iam::IAM_RESOURCE.to_owned())];
    if let Subject::User(_) = subject {
        for action in [
            "iam:ListAttachedUserPolicies",
            "iam:ListGroupsForUser",
            "iam:ListAttachedGroupPolicies",
        ] {
            out.push((action, s4_iam::IAM_RESOURCE.to_owned()));
        }
    }
    if let Target::Bucket(bucket) = target {
        out.push(("s3:GetBucketPolicy", bucket_arn(bucket)));
    }
    out
}

fn invalid(message: &str, name: &str, value: &str) -> ApiError {
    ApiError::invalid_argument(message, name, value)
}

/// `anonymous`, an account ID, a root ARN, or a user ARN of `account`.
fn parse_principal(text: &str, account: AccountId) -> Result<Subject, ApiError> {
    if text == "anonymous" || text == "*" {
        return Ok(Subject::Anonymous);
    }
    if let Ok(id) = AccountId::parse(text) {
        return Ok(Subject::Root(id));
    }
    match Arn::parse(text) {
        Ok(Arn::IamRoot { account: other }) => Ok(Subject::Root(other)),
        Ok(Arn::IamUser { account: of, name }) if of == account => {
            Ok(Subject::User(name.into_owned()))
        }
        Ok(Arn::IamUser { .. }) => Err(invalid(
            "Only the signer's own IAM users can be explained: another account's users have \
             that account's policies; explain its root instead.",
            "Principal",
            text,
        )),
        _ => Err(invalid(
            "Principal must be a user or root ARN, an account ID, or \"anonymous\".",
            "Principal",
            text,
        )),
    }
}

/// Checks the action is one S4 knows and the resource fits it.
fn parse_resource(action: &str, resource: &str, account: AccountId) -> Result<Target, ApiError> {
    if let Some(name) = action.strip_prefix("iam:") {
        if iam_action(name).is_none() {
            return Err(invalid("Not a known IAM action.", "Action", action));
        }
        return match Arn::parse(resource) {
            _ if resource == "*" => Ok(Target::Iam),
            Ok(Arn::AwsManagedPolicy { .. }) => Ok(Target::Iam),
            Ok(
                Arn::IamRoot { account: of }
                | Arn::IamUser { account: of, .. }
                | Arn::IamGroup { account: of, .. },
            ) if of == account => Ok(Target::Iam),
            _ => Err(invalid(
                "An IAM action's resource is \"*\" or an IAM ARN of the signer's account.",
                "Resource",
                resource,
            )),
        };
    }
    let known = action
        .strip_prefix("s3:")
        .is_some_and(|name| S3_ACTIONS.iter().any(|(a, _)| *a == name));
    if !known {
        return Err(invalid(
            "Not a known S3 or IAM action (s3:GetObject, iam:GetUser, ...).",
            "Action",
            action,
        ));
    }
    if resource == s4_policy::actions::ALL_BUCKETS_ARN {
        return Ok(Target::AllBuckets);
    }
    let arn = Arn::parse(resource).ok().filter(|a| a.validate().is_ok());
    match arn {
        Some(Arn::S3Bucket { bucket } | Arn::S3Object { bucket, .. }) => {
            Ok(Target::Bucket(bucket.into_owned()))
        }
        _ => Err(invalid(
            "An S3 action's resource is a bucket or object ARN (arn:aws:s3:::bucket/key) or \
             arn:aws:s3:::*.",
            "Resource",
            resource,
        )),
    }
}

async fn look_up_user<I: IdentityStore + ?Sized>(
    identity: &I,
    account: &AccountId,
    name: &str,
) -> Result<User, ApiError> {
    match identity.get_user(account, name).await {
        Ok(user) => Ok(user),
        Err(StorageError::NoSuchEntity(_)) => Err(invalid(
            &format!("The account has no IAM user {name}."),
            "Principal",
            name,
        )),
        Err(e) => Err(e.into()),
    }
}

fn output<'a>(
    view: &s4_policy::Principal<'_>,
    action: &'a str,
    resource: &'a str,
    why: &Explanation,
) -> ExplainOutput<'a> {
    ExplainOutput {
        principal: view.arn().unwrap_or_else(|| "anonymous".to_owned()),
        action,
        resource,
        decision: format!("{:?}", why.decision),
        allowed: why.decision.is_allowed(),
        reason: format!("{:?}", why.reason),
        answer: if why.decision.is_allowed() {
            "Allow"
        } else {
            authz::refusal(why.decision).code.as_str()
        },
        matched_statements: why
            .statements
            .iter()
            .map(|s| MatchedStatement {
                policy: s.policy.clone(),
                statement: s.statement.index,
                sid: s.statement.sid.clone(),
                effect: match s.effect {
                    Effect::Allow => "Allow",
                    Effect::Deny => "Deny",
                },
            })
            .collect(),
        trace: why.to_string(),
    }
}

fn json_response(output: &ExplainOutput<'_>) -> Result<Response<ResponseBody>, ApiError> {
    let bytes = serde_json::to_vec(output).map_err(|e| {
        tracing::error!(error = %e, "explain answer not serializable");
        ApiError::new(S3ErrorCode::InternalError)
    })?;
    let len = bytes.len();
    let mut response = Response::new(body::full(bytes));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    Ok(response)
}
