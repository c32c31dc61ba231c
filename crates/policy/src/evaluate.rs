//! The decision: per policy three-valued, overall explicit Deny > Allow > implicit deny.
//!
//! | principal | allowed when (and no applicable statement denies) |
//! |---|---|
//! | root of the owning account | always (identity policies are ignored: a root has none) |
//! | root of another account | the bucket policy allows it (by its account or `*`) |
//! | IAM user of the owning account | an identity policy allows, or the bucket policy allows the user itself (user ARN or `*`) |
//! | IAM user of another account | an identity policy allows **and** the bucket policy allows (the user, its account, or `*`) |
//! | anonymous | the bucket policy allows `*` (or a `NotPrincipal` statement covers it) |
//!
//! Bucket-policy management (Get/Put/DeleteBucketPolicy,
//! [`OWNER_ONLY_ACTIONS`](crate::actions::OWNER_ONLY_ACTIONS)) is decided before any policy:
//! a principal outside the owning account (another account's root or user, anonymous) gets
//! [`Decision::NotOwnerAccount`] whatever the policies say, and the owning account's root is
//! allowed even over a bucket-policy Deny ([`Reason::OwnerRootManagesPolicy`]), so that no
//! policy can lock its owner out of repairing it. The owning account's IAM users are decided
//! by the table above.
//!
//! `resource_owner: None` means an account-level request (ListBuckets, CreateBucket, IAM):
//! the principal's own account is the owner.
//!
//! A bucket-policy statement that names an account (root ARN or ID) matches the account's IAM
//! users too. Such a statement's Deny applies to them, but its Allow only delegates: a user of
//! the owning account still needs an identity-policy Allow (which alone suffices), and a user
//! of another account counts it as the bucket side of the cross-account rule.

use std::fmt;

use s4_naming::AccountId;

use crate::actions::is_owner_only;
use crate::compiled::{CompiledPolicy, CompiledStatement, PrincipalMatch};
use crate::context::{Principal, RequestContext};
use crate::document::Effect;

/// The outcome of one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyDecision {
    /// No statement applies.
    NotApplicable,
    /// An Allow statement applies and no Deny does.
    Allow,
    /// A Deny statement applies.
    Deny,
}

/// The overall outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Access granted.
    Allow,
    /// An applicable statement denies.
    ExplicitDeny,
    /// Nothing allows (the default).
    ImplicitDeny,
    /// The action is one of [`OWNER_ONLY_ACTIONS`](crate::actions::OWNER_ONLY_ACTIONS) and
    /// the principal is outside the bucket's owning account: refused whatever any policy says
    /// (S3 answers 405 MethodNotAllowed).
    NotOwnerAccount,
}

impl Decision {
    /// `true` for [`Decision::Allow`].
    pub fn is_allowed(self) -> bool {
        self == Self::Allow
    }
}

/// What one policy says about a request (statement positions, first of each kind).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Outcome {
    deny: Option<usize>,
    allow: Option<usize>,
    /// An Allow that matched only through the principal's account (IAM users).
    allow_account: Option<usize>,
}

fn evaluate_policy(policy: &CompiledPolicy, ctx: &RequestContext) -> Outcome {
    let mut out = Outcome::default();
    for (pos, st) in policy.statements.iter().enumerate() {
        // Once an Allow is known, only Deny statements can change the result.
        if st.effect == Effect::Allow && out.allow.is_some() {
            continue;
        }
        match (st.effect, st.applies(ctx)) {
            (_, PrincipalMatch::No) => {}
            (Effect::Deny, _) => {
                out.deny = Some(pos);
                return out;
            }
            (Effect::Allow, PrincipalMatch::Direct) => {
                out.allow = Some(pos);
                if !policy.has_deny {
                    return out;
                }
            }
            (Effect::Allow, PrincipalMatch::Account) => {
                out.allow_account = out.allow_account.or(Some(pos));
            }
        }
    }
    out
}

impl CompiledPolicy {
    /// This policy's own verdict on the request (principal matching included for bucket
    /// policies; an Allow that names only the user's account counts as Allow here).
    pub fn evaluate(&self, ctx: &RequestContext) -> PolicyDecision {
        let o = evaluate_policy(self, ctx);
        if o.deny.is_some() {
            PolicyDecision::Deny
        } else if o.allow.is_some() || o.allow_account.is_some() {
            PolicyDecision::Allow
        } else {
            PolicyDecision::NotApplicable
        }
    }
}

/// Why a decision was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A statement denies (see [`Explanation::statements`]).
    ExplicitDeny,
    /// The root of the owning account, and no bucket-policy statement denies.
    OwnerRoot,
    /// The root of the owning account managing the bucket's policy
    /// ([`OWNER_ONLY_ACTIONS`](crate::actions::OWNER_ONLY_ACTIONS)): allowed whatever the
    /// bucket policy says.
    OwnerRootManagesPolicy,
    /// A principal outside the owning account asked for one of
    /// [`OWNER_ONLY_ACTIONS`](crate::actions::OWNER_ONLY_ACTIONS).
    NotOwnerAccount,
    /// A policy allows a principal of the owning account (or the bucket policy allows an
    /// anonymous request or another account's root).
    Allowed,
    /// Another account's user: both the bucket policy and an identity policy allow.
    CrossAccountAllowed,
    /// No statement allows.
    NoAllow,
    /// Another account's user: an identity policy allows but the bucket policy does not.
    CrossAccountNeedsBucketAllow,
    /// Another account's user: the bucket policy allows but no identity policy does.
    CrossAccountNeedsIdentityAllow,
}

/// A statement, named by its `Sid` or by its position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StatementRef {
    /// Position in the document's statement list (0-based).
    pub index: usize,
    /// The `Sid`, if the statement has one.
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sid {
            Some(sid) => write!(f, "statement {} (Sid {sid})", self.index),
            None => write!(f, "statement {}", self.index),
        }
    }
}

/// One statement that contributed to a decision.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attribution {
    /// The policy's name ([`CompiledPolicy::with_name`]).
    pub policy: String,
    /// The statement.
    pub statement: StatementRef,
    /// Its effect.
    pub effect: Effect,
}

impl fmt::Display for Attribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let effect = match self.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        write!(f, "{effect} by {} of {}", self.statement, self.policy)
    }
}

/// A decision with its reason and the statements that made it (for logs and admin tools).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Explanation {
    /// The decision ([`decide`] returns the same).
    pub decision: Decision,
    /// Why.
    pub reason: Reason,
    /// The deciding statements: the denying one, or the allowing ones (two for a cross-account
    /// allow: the identity policy's and the bucket policy's). Partial allows are listed for
    /// the `CrossAccountNeeds…` reasons. Empty for `OwnerRoot`, `OwnerRootManagesPolicy`,
    /// `NotOwnerAccount` and `NoAllow`.
    pub statements: Vec<Attribution>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({:?})", self.decision, self.reason)?;
        for (i, s) in self.statements.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            s.fmt(f)?;
        }
        Ok(())
    }
}

type Hit<'p> = (&'p CompiledPolicy, &'p CompiledStatement);

struct Core<'p> {
    decision: Decision,
    reason: Reason,
    statements: [Option<Hit<'p>>; 2],
}

fn hit(policy: &CompiledPolicy, pos: Option<usize>) -> Option<Hit<'_>> {
    pos.map(|p| (policy, &policy.statements[p]))
}

fn core<'p>(
    ctx: &RequestContext,
    resource_owner: Option<AccountId>,
    identity: &[&'p CompiledPolicy],
    bucket: Option<&'p CompiledPolicy>,
) -> Core<'p> {
    let principal = ctx.principal();
    let done = |decision, reason, a, b| Core {
        decision,
        reason,
        statements: [a, b],
    };

    let owner = resource_owner.or_else(|| principal.account());
    let same_account = principal.account().is_some() && principal.account() == owner;

    if is_owner_only(ctx.action()) {
        match principal {
            _ if !same_account => {
                return done(
                    Decision::NotOwnerAccount,
                    Reason::NotOwnerAccount,
                    None,
                    None,
                )
            }
            Principal::Root { .. } => {
                return done(Decision::Allow, Reason::OwnerRootManagesPolicy, None, None)
            }
            // The owning account's users: the policies decide, as for any action.
            Principal::User { .. } | Principal::Anonymous => {}
        }
    }

    let bucket_out = bucket.map(|b| (b, evaluate_policy(b, ctx)));
    if let Some((b, o)) = bucket_out {
        if o.deny.is_some() {
            return done(
                Decision::ExplicitDeny,
                Reason::ExplicitDeny,
                hit(b, o.deny),
                None,
            );
        }
    }
    let bucket_allow = bucket_out.and_then(|(b, o)| hit(b, o.allow));
    let bucket_allow_account = bucket_out.and_then(|(b, o)| hit(b, o.allow_account));

    match principal {
        Principal::Anonymous => match bucket_allow {
            Some(h) => done(Decision::Allow, Reason::Allowed, Some(h), None),
            None => done(Decision::ImplicitDeny, Reason::NoAllow, None, None),
        },
        Principal::Root { .. } if same_account => {
            done(Decision::Allow, Reason::OwnerRoot, None, None)
        }
        Principal::Root { .. } => match bucket_allow.or(bucket_allow_account) {
            Some(h) => done(Decision::Allow, Reason::Allowed, Some(h), None),
            None => done(Decision::ImplicitDeny, Reason::NoAllow, None, None),
        },
        Principal::User { .. } => {
            let mut identity_allow = None;
            for &p in identity {
                let o = evaluate_policy(p, ctx);
                if o.deny.is_some() {
                    return done(
                        Decision::ExplicitDeny,
                        Reason::ExplicitDeny,
                        hit(p, o.deny),
                        None,
                    );
                }
                if identity_allow.is_none() {
                    identity_allow = hit(p, o.allow);
                }
            }
            if same_account {
                match identity_allow.or(bucket_allow) {
                    Some(h) => done(Decision::Allow, Reason::Allowed, Some(h), None),
                    None => done(Decision::ImplicitDeny, Reason::NoAllow, None, None),
                }
            } else {
                match (identity_allow, bucket_allow.or(bucket_allow_account)) {
                    (Some(i), Some(b)) => done(
                        Decision::Allow,
                        Reason::CrossAccountAllowed,
                        Some(i),
                        Some(b),
                    ),
                    (Some(i), None) => done(
                        Decision::ImplicitDeny,
                        Reason::CrossAccountNeedsBucketAllow,
                        Some(i),
                        None,
                    ),
                    (None, Some(b)) => done(
                        Decision::ImplicitDeny,
                        Reason::CrossAccountNeedsIdentityAllow,
                        Some(b),
                        None,
                    ),
                    (None, None) => done(Decision::ImplicitDeny, Reason::NoAllow, None, None),
                }
            }
        }
    }
}

/// Decides a request. `resource_owner` is the account owning the bucket (`None` for
/// account-level requests); `identity` are the principal's identity policies (its own
/// attachments and its groups'; ignored for roots and anonymous requests); `bucket` is the
/// bucket's policy. See the [module docs](self) for the rules.
///
/// ```
/// use s4_naming::AccountId;
/// use s4_policy::{decide, managed, CompiledPolicy, Decision, Principal, RequestContext};
///
/// let acct = AccountId::from_number(1).unwrap();
/// let alice = Principal::User { account: acct, name: "alice", user_id: "AIDA1" };
/// let read = managed::by_name("S3ReadAccess").unwrap().compiled();
/// let get = RequestContext::new(alice.clone(), "s3:GetObject", "arn:aws:s3:::photos/a.jpg");
/// assert_eq!(decide(&get, Some(acct), &[read], None), Decision::Allow);
/// let put = RequestContext::new(alice, "s3:PutObject", "arn:aws:s3:::photos/a.jpg");
/// assert_eq!(decide(&put, Some(acct), &[read], None), Decision::ImplicitDeny);
/// ```
pub fn decide(
    ctx: &RequestContext,
    resource_owner: Option<AccountId>,
    identity: &[&CompiledPolicy],
    bucket: Option<&CompiledPolicy>,
) -> Decision {
    core(ctx, resource_owner, identity, bucket).decision
}

/// [`decide`] with the reason and the deciding statements, named by the policies'
/// [`name`](CompiledPolicy::name)s.
pub fn explain(
    ctx: &RequestContext,
    resource_owner: Option<AccountId>,
    identity: &[&CompiledPolicy],
    bucket: Option<&CompiledPolicy>,
) -> Explanation {
    let c = core(ctx, resource_owner, identity, bucket);
    Explanation {
        decision: c.decision,
        reason: c.reason,
        statements: c
            .statements
            .iter()
            .flatten()
            .map(|(p, s)| Attribution {
                policy: p.name().to_owned(),
                statement: StatementRef {
                    index: s.index,
                    sid: s.sid.as_deref().map(str::to_owned),
                },
                effect: s.effect,
            })
            .collect(),
    }
}
