//! Content rules for a parsed [`PolicyDocument`], per kind of policy.
//!
//! | rule | bucket policy | identity policy |
//! |---|---|---|
//! | size | at most 20 KB (20,480 bytes) | no limit here |
//! | statements | at least one; `Sid`s unique | same |
//! | `Principal` / `NotPrincipal` | required | forbidden |
//! | principal values | `*`, user ARNs, root ARNs, 15-digit account IDs; no groups, no wildcards | — |
//! | `Action` | `*`, or a known `s3:` action, or an `s3:` pattern with `*` / `?` | `*`, known `s3:` / `iam:` actions, or `s3:` / `iam:` patterns |
//! | `Resource` | S3 ARNs whose bucket part matches the policy's bucket | `*` or any S3 / IAM ARN |
//! | action vs resource | every wildcard-free action needs a resource of its kind (bucket or object), as AWS's "Action does not apply to any resource(s) in statement" | not checked |
//! | `Condition` | known operator (see [`crate::condition`]); key of the form `service:name`; values of the operator's type | same |

use std::collections::HashSet;

use s4_naming::{AccountId, Arn};

use crate::actions::{lookup_action, KnownAction, ResourceKind};
use crate::document::{statement_label, PolicyDocument, PrincipalValue, Statement};
use crate::error::{PolicyElement, PolicyError};
use crate::wildcard;

/// Largest bucket policy AWS accepts: 20 KB.
pub const MAX_BUCKET_POLICY_BYTES: usize = 20 * 1024;

/// What a policy is attached to, which decides the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyTarget<'a> {
    /// An identity (managed) policy, attached to users and groups.
    Identity,
    /// The bucket policy of this bucket.
    Bucket(&'a str),
}

fn err(element: PolicyElement, message: String) -> PolicyError {
    PolicyError::new(element, message)
}

/// Checks the size of a bucket policy's text.
pub fn check_size(text: &str, target: PolicyTarget<'_>) -> Result<(), PolicyError> {
    if matches!(target, PolicyTarget::Bucket(_)) && text.len() > MAX_BUCKET_POLICY_BYTES {
        return Err(err(
            PolicyElement::Size,
            format!(
                "Policy exceeds the maximum allowed document size: {} bytes, at most {MAX_BUCKET_POLICY_BYTES}",
                text.len()
            ),
        ));
    }
    Ok(())
}

/// A principal named in a bucket policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PrincipalEntry {
    /// An account (its root ARN or its bare ID).
    Account(AccountId),
    /// An IAM user.
    User(AccountId, String),
}

/// Parses one principal value.
pub(crate) fn parse_principal_entry(value: &str, at: &str) -> Result<PrincipalEntry, PolicyError> {
    let bad = |why: &str| {
        err(
            PolicyElement::Principal,
            format!("Invalid principal \"{value}\" in {at}: {why}"),
        )
    };
    if !value.starts_with("arn:") {
        return AccountId::parse(value)
            .map(PrincipalEntry::Account)
            .map_err(|e| bad(&format!("not an ARN or an account ID ({e})")));
    }
    let arn = Arn::parse(value).map_err(|e| bad(&e.to_string()))?;
    match &arn {
        Arn::IamRoot { account } => Ok(PrincipalEntry::Account(*account)),
        Arn::IamUser { account, name } => {
            if name.contains(['*', '?']) {
                return Err(bad("wildcards are not allowed in principal ARNs"));
            }
            arn.validate().map_err(|e| bad(&e.to_string()))?;
            Ok(PrincipalEntry::User(*account, name.to_string()))
        }
        Arn::IamGroup { .. } => Err(bad("groups cannot be principals in S4")),
        _ => Err(bad(
            "must be a user ARN, an account root ARN or an account ID",
        )),
    }
}

fn check_actions(
    st: &Statement,
    at: &str,
    target: PolicyTarget<'_>,
) -> Result<Vec<ResourceKind>, PolicyError> {
    let name = if st.action.negated {
        "NotAction"
    } else {
        "Action"
    };
    let mut kinds = Vec::new();
    for a in &st.action.values {
        if a == "*" {
            continue;
        }
        let bad = |why: String| {
            err(
                PolicyElement::Action,
                format!("Invalid {name} \"{a}\" in {at}: {why}"),
            )
        };
        let Some((service, action)) = a.split_once(':') else {
            return Err(bad("must be \"*\" or service:action".into()));
        };
        let is_s3 = service.eq_ignore_ascii_case("s3");
        let is_iam = service.eq_ignore_ascii_case("iam");
        if !is_s3 && !is_iam {
            return Err(bad(format!("unknown service \"{service}\"")));
        }
        if is_iam && matches!(target, PolicyTarget::Bucket(_)) {
            return Err(bad("bucket policies can only name s3: actions".into()));
        }
        if action.is_empty() {
            return Err(bad("the action name is empty".into()));
        }
        if action.contains(['*', '?']) {
            continue;
        }
        match lookup_action(a) {
            Some(KnownAction::S3(kind)) => kinds.push(kind),
            Some(KnownAction::Iam) => {}
            None => return Err(bad("not a known action".into())),
        }
    }
    Ok(kinds)
}

fn check_resources(
    st: &Statement,
    at: &str,
    target: PolicyTarget<'_>,
) -> Result<Vec<ResourceKind>, PolicyError> {
    let name = if st.resource.negated {
        "NotResource"
    } else {
        "Resource"
    };
    let mut kinds = Vec::new();
    for r in &st.resource.values {
        let bad = |why: String| {
            err(
                PolicyElement::Resource,
                format!("Invalid {name} \"{r}\" in {at}: {why}"),
            )
        };
        if r == "*" {
            if let PolicyTarget::Bucket(bucket) = target {
                return Err(bad(format!(
                    "a bucket policy's resources must be S3 ARNs of bucket {bucket}"
                )));
            }
            kinds.extend([
                ResourceKind::Bucket,
                ResourceKind::Object,
                ResourceKind::Service,
            ]);
            continue;
        }
        let arn = Arn::parse(r).map_err(|e| bad(e.to_string()))?;
        match (&arn, target) {
            (
                Arn::S3Bucket { bucket: b } | Arn::S3Object { bucket: b, .. },
                PolicyTarget::Bucket(bucket),
            ) => {
                if !wildcard::matches(b, bucket) {
                    return Err(bad(format!("does not refer to bucket {bucket}")));
                }
            }
            (_, PolicyTarget::Bucket(bucket)) => {
                return Err(bad(format!(
                    "a bucket policy's resources must be S3 ARNs of bucket {bucket}"
                )));
            }
            (_, PolicyTarget::Identity) => {}
        }
        match arn {
            Arn::S3Bucket { bucket } => {
                kinds.push(ResourceKind::Bucket);
                if bucket.contains('*') {
                    kinds.push(ResourceKind::Service);
                }
            }
            Arn::S3Object { .. } => kinds.push(ResourceKind::Object),
            _ => kinds.push(ResourceKind::Iam),
        }
    }
    Ok(kinds)
}

fn check_statement(
    st: &Statement,
    index: usize,
    target: PolicyTarget<'_>,
) -> Result<(), PolicyError> {
    let at = statement_label(index, st.sid.as_deref());
    match (&st.principal, target) {
        (None, PolicyTarget::Bucket(_)) => {
            return Err(err(
                PolicyElement::Principal,
                format!("Missing required element Principal (or NotPrincipal) in {at}: bucket policies must name principals"),
            ))
        }
        (Some((negated, _)), PolicyTarget::Identity) => {
            let name = if *negated { "NotPrincipal" } else { "Principal" };
            return Err(err(
                PolicyElement::Principal,
                format!("{name} is not allowed in {at}: identity policies apply to the principal they are attached to"),
            ));
        }
        (Some((_, PrincipalValue::Aws(values))), PolicyTarget::Bucket(_)) => {
            for v in values {
                parse_principal_entry(v, &at)?;
            }
        }
        _ => {}
    }
    let action_kinds = check_actions(st, &at, target)?;
    let resource_kinds = check_resources(st, &at, target)?;
    if matches!(target, PolicyTarget::Bucket(_)) && !st.action.negated && !st.resource.negated {
        for (a, kind) in st
            .action
            .values
            .iter()
            .filter(|a| *a != "*" && !a.contains(['*', '?']))
            .zip(action_kinds)
        {
            if !resource_kinds.contains(&kind) {
                return Err(err(
                    PolicyElement::Resource,
                    format!(
                        "Action does not apply to any resource(s) in {at}: {a} needs {} resource",
                        match kind {
                            ResourceKind::Bucket => "a bucket (arn:aws:s3:::bucket)",
                            ResourceKind::Object => "an object (arn:aws:s3:::bucket/key)",
                            ResourceKind::Service | ResourceKind::Iam => "an account-level",
                        }
                    ),
                ));
            }
        }
    }
    for c in &st.conditions {
        let Some((service, name)) = c.key.split_once(':') else {
            return Err(err(
                PolicyElement::Condition,
                format!(
                    "Invalid Condition key \"{}\" in {at}: must be service:name",
                    c.key
                ),
            ));
        };
        if service.is_empty() || name.is_empty() {
            return Err(err(
                PolicyElement::Condition,
                format!(
                    "Invalid Condition key \"{}\" in {at}: must be service:name",
                    c.key
                ),
            ));
        }
    }
    Ok(())
}

/// Checks the content rules of the [module docs](self).
pub fn validate(doc: &PolicyDocument, target: PolicyTarget<'_>) -> Result<(), PolicyError> {
    if doc.statements.is_empty() {
        return Err(err(
            PolicyElement::Statement,
            "Policy has no statements".into(),
        ));
    }
    let mut sids = HashSet::new();
    for (i, st) in doc.statements.iter().enumerate() {
        if let Some(sid) = &st.sid {
            if !sids.insert(sid.as_str()) {
                return Err(err(
                    PolicyElement::Sid,
                    format!(
                        "Duplicate Sid \"{sid}\" in statement {i}: statement IDs must be unique"
                    ),
                ));
            }
        }
        check_statement(st, i, target)?;
    }
    Ok(())
}
