//! The compiled form: parsed and validated once, evaluated many times without touching JSON.

use s4_naming::AccountId;

use crate::condition::Condition;
use crate::context::{Principal, RequestContext};
use crate::document::{parse_document, Effect, PolicyDocument, PolicyVersion, PrincipalValue};
use crate::error::{PolicyElement, PolicyError};
use crate::validate::{check_size, parse_principal_entry, validate, PolicyTarget, PrincipalEntry};
use crate::variables::Template;
use crate::wildcard::Pattern;

/// How a statement's principal relates to the request's principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PrincipalMatch {
    /// The statement does not apply to this principal.
    No,
    /// The statement names the principal itself (or `*`, or it is an identity policy).
    Direct,
    /// The statement names the principal's account, and the principal is an IAM user of it:
    /// the account delegates to its users through their identity policies.
    Account,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PrincipalSet {
    Any,
    List(Vec<PrincipalEntry>),
}

impl PrincipalSet {
    fn matches(&self, p: &Principal) -> PrincipalMatch {
        let PrincipalSet::List(entries) = self else {
            return PrincipalMatch::Direct;
        };
        let mut found = PrincipalMatch::No;
        for e in entries {
            match (e, p) {
                (PrincipalEntry::Account(a), Principal::Root { account }) if a == account => {
                    return PrincipalMatch::Direct;
                }
                (PrincipalEntry::User(a, n), Principal::User { account, name, .. })
                    if a == account && n == name =>
                {
                    return PrincipalMatch::Direct;
                }
                (PrincipalEntry::Account(a), Principal::User { account, .. }) if a == account => {
                    found = PrincipalMatch::Account;
                }
                _ => {}
            }
        }
        found
    }
}

/// One compiled statement.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CompiledStatement {
    pub(crate) index: usize,
    pub(crate) sid: Option<Box<str>>,
    pub(crate) effect: Effect,
    /// `None` in identity policies.
    principal: Option<(bool, PrincipalSet)>,
    actions_negated: bool,
    actions: Vec<Pattern>,
    resources_negated: bool,
    resources: Vec<Template>,
    conditions: Vec<Condition>,
}

impl CompiledStatement {
    pub(crate) fn principal_match(&self, p: &Principal) -> PrincipalMatch {
        match &self.principal {
            None => PrincipalMatch::Direct,
            Some((false, set)) => set.matches(p),
            // NotPrincipal: applies to everyone not named exactly (an account entry excludes
            // the account's root only, as in AWS).
            Some((true, set)) => match set.matches(p) {
                PrincipalMatch::Direct => PrincipalMatch::No,
                PrincipalMatch::No | PrincipalMatch::Account => PrincipalMatch::Direct,
            },
        }
    }

    pub(crate) fn action_matches(&self, action: &str) -> bool {
        self.actions.iter().any(|p| p.matches(action)) != self.actions_negated
    }

    pub(crate) fn resource_matches(&self, ctx: &RequestContext) -> bool {
        let resource = ctx.resource();
        self.resources
            .iter()
            .any(|t| t.matches(resource, ctx) == Some(true))
            != self.resources_negated
    }

    pub(crate) fn conditions_hold(&self, ctx: &RequestContext) -> bool {
        self.conditions.iter().all(|c| c.evaluate(ctx))
    }

    /// Whether the statement applies to the request; the principal match decides how.
    pub(crate) fn applies(&self, ctx: &RequestContext) -> PrincipalMatch {
        let m = self.principal_match(&ctx.principal());
        if m == PrincipalMatch::No
            || !self.action_matches(ctx.action())
            || !self.resource_matches(ctx)
            || !self.conditions_hold(ctx)
        {
            return PrincipalMatch::No;
        }
        m
    }
}

/// Whether a compiled policy is an identity policy or a bucket policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// An identity (managed) policy.
    Identity,
    /// The bucket policy of the named bucket.
    Bucket(String),
}

/// A policy parsed, validated and compiled once.
///
/// ```
/// use s4_policy::CompiledPolicy;
///
/// let p = CompiledPolicy::parse_bucket(
///     r#"{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow",
///         "Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}"#,
///     "photos",
/// )
/// .unwrap()
/// .with_name("bucket policy of photos");
/// assert_eq!(p.statement_count(), 1);
/// assert_eq!(p.name(), "bucket policy of photos");
///
/// let e = CompiledPolicy::parse_bucket(
///     r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
///         "Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#,
///     "photos",
/// )
/// .unwrap_err();
/// assert_eq!(e.to_string(), "Invalid Resource \"arn:aws:s3:::other/*\" in statement 0: does not refer to bucket photos");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledPolicy {
    name: String,
    kind: PolicyKind,
    version: PolicyVersion,
    id: Option<String>,
    pub(crate) statements: Vec<CompiledStatement>,
    pub(crate) has_deny: bool,
}

impl CompiledPolicy {
    /// Parses, validates and compiles an identity (managed) policy.
    pub fn parse_identity(text: &str) -> Result<Self, PolicyError> {
        Self::parse(text, PolicyTarget::Identity)
    }

    /// Parses, validates and compiles the bucket policy of `bucket` (at most 20 KB; every
    /// statement names principals; resources are ARNs of `bucket`).
    pub fn parse_bucket(text: &str, bucket: &str) -> Result<Self, PolicyError> {
        Self::parse(text, PolicyTarget::Bucket(bucket))
    }

    /// Parses, validates and compiles `text` for `target`.
    pub fn parse(text: &str, target: PolicyTarget<'_>) -> Result<Self, PolicyError> {
        check_size(text, target)?;
        let doc = parse_document(text)?;
        Self::compile(&doc, target)
    }

    /// Validates and compiles a parsed document.
    pub fn compile(doc: &PolicyDocument, target: PolicyTarget<'_>) -> Result<Self, PolicyError> {
        validate(doc, target)?;
        let variables = doc.version.has_variables();
        let mut statements = Vec::with_capacity(doc.statements.len());
        for (index, st) in doc.statements.iter().enumerate() {
            let at = crate::document::statement_label(index, st.sid.as_deref());
            let principal = match &st.principal {
                None => None,
                Some((negated, PrincipalValue::Any)) => Some((*negated, PrincipalSet::Any)),
                Some((negated, PrincipalValue::Aws(values))) => {
                    let entries = values
                        .iter()
                        .map(|v| parse_principal_entry(v, &at))
                        .collect::<Result<Vec<_>, _>>()?;
                    Some((*negated, PrincipalSet::List(entries)))
                }
            };
            let conditions = st
                .conditions
                .iter()
                .map(|c| {
                    Condition::compile(&c.operator, &c.key, &c.values, variables).map_err(|m| {
                        PolicyError::new(PolicyElement::Condition, format!("{m} in {at}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            statements.push(CompiledStatement {
                index,
                sid: st.sid.as_deref().map(Into::into),
                effect: st.effect,
                principal,
                actions_negated: st.action.negated,
                actions: st
                    .action
                    .values
                    .iter()
                    .map(|a| Pattern::new_ignore_ascii_case(a))
                    .collect(),
                resources_negated: st.resource.negated,
                resources: st
                    .resource
                    .values
                    .iter()
                    .map(|r| Template::new(r, variables, true, false))
                    .collect(),
                conditions,
            });
        }
        let has_deny = statements.iter().any(|s| s.effect == Effect::Deny);
        Ok(Self {
            name: match target {
                PolicyTarget::Identity => "identity policy".to_owned(),
                PolicyTarget::Bucket(b) => format!("bucket policy of {b}"),
            },
            kind: match target {
                PolicyTarget::Identity => PolicyKind::Identity,
                PolicyTarget::Bucket(b) => PolicyKind::Bucket(b.to_owned()),
            },
            version: doc.version,
            id: doc.id.clone(),
            statements,
            has_deny,
        })
    }

    /// Names the policy for [`explain`](crate::explain) (an ARN, "bucket policy of photos").
    /// Defaults to `identity policy` or `bucket policy of <bucket>`.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The name given with [`with_name`](Self::with_name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Identity or bucket policy.
    pub fn kind(&self) -> &PolicyKind {
        &self.kind
    }

    /// The document's version (2008-10-17 when it had none).
    pub fn version(&self) -> PolicyVersion {
        self.version
    }

    /// The document's `Id`.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Number of statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// The `Sid` of statement `index`.
    pub fn statement_sid(&self, index: usize) -> Option<&str> {
        self.statements.get(index).and_then(|s| s.sid.as_deref())
    }

    /// The operators and keys of all conditions, as written (for diagnostics).
    pub fn condition_keys(&self) -> Vec<(&str, &str)> {
        self.statements
            .iter()
            .flat_map(|s| s.conditions.iter().map(|c| (c.operator_text(), c.key())))
            .collect()
    }

    /// The resources of all statements, as written (for diagnostics).
    pub fn resources(&self) -> Vec<&str> {
        self.statements
            .iter()
            .flat_map(|s| s.resources.iter().map(Template::as_str))
            .collect()
    }

    /// The accounts this bucket policy names as principals (root ARNs, account IDs and the
    /// accounts of user ARNs), for admin tools.
    pub fn principal_accounts(&self) -> Vec<AccountId> {
        let mut out: Vec<AccountId> = self
            .statements
            .iter()
            .filter_map(|s| match &s.principal {
                Some((_, PrincipalSet::List(entries))) => Some(entries),
                _ => None,
            })
            .flatten()
            .map(|e| match e {
                PrincipalEntry::Account(a) | PrincipalEntry::User(a, _) => *a,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}
