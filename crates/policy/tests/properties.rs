//! Property tests on generated policies and requests: adding a Deny never grants, adding an
//! Allow never takes away, and NotAction / NotResource are exact complements.

mod common;

use common::{ctx, owner, Who};
use proptest::prelude::*;
use s4_policy::{decide, CompiledPolicy, Decision};

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
    "s3:GetBucketPolicy",
    "s3:Get*",
    "s3:*Object",
    "s3:List*",
    "s3:*",
    "*",
    "s3:?etObject",
];
const REQUEST_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
    "s3:GetBucketPolicy",
    "s3:AbortMultipartUpload",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::photos",
    "arn:aws:s3:::photos/*",
    "arn:aws:s3:::photos/a/*",
    "arn:aws:s3:::photos/${aws:username}/*",
    "arn:aws:s3:::pho?os/*",
    "arn:aws:s3:::*",
];
const REQUEST_RESOURCES: &[&str] = &[
    "arn:aws:s3:::photos",
    "arn:aws:s3:::photos/a/b",
    "arn:aws:s3:::photos/alice/x",
    "arn:aws:s3:::photos/bob/x",
    "arn:aws:s3:::photos/",
];
const PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"000000000000001"}"#,
    r#"{"AWS":"arn:aws:iam::000000000000002:root"}"#,
    r#"{"AWS":"arn:aws:iam::000000000000001:user/alice"}"#,
    r#"{"AWS":["arn:aws:iam::000000000000002:user/bob","arn:aws:iam::000000000000001:user/carol"]}"#,
];
const CONDITIONS: &[&str] = &[
    "",
    r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
    r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    r#","Condition":{"StringNotLike":{"s3:prefix":"tmp/*"}}"#,
    r#","Condition":{"StringLikeIfExists":{"s3:prefix":"${aws:username}/*"}}"#,
    r#","Condition":{"NumericLessThan":{"s3:max-keys":"100"}}"#,
];
const WHO: &[Who] = &[
    Who::Anon,
    Who::Root1,
    Who::Root2,
    Who::Alice,
    Who::Carol,
    Who::Bob,
];
const KEY_SETS: &[&[(&str, &str)]] = &[
    &[],
    &[
        ("aws:SecureTransport", "true"),
        ("aws:SourceIp", "10.1.1.1"),
    ],
    &[
        ("aws:SecureTransport", "false"),
        ("s3:prefix", "tmp/x"),
        ("s3:max-keys", "1000"),
    ],
    &[
        ("s3:prefix", "alice/x"),
        ("s3:max-keys", "5"),
        ("aws:SourceIp", "192.0.2.1"),
    ],
];

/// Indices describing one statement: (effect, action, resource, principal, condition,
/// not-action, not-resource).
type Stmt = (bool, usize, usize, usize, usize, bool, bool);

fn statement() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        0..PRINCIPALS.len(),
        0..CONDITIONS.len(),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
    )
}

fn render(stmt: &Stmt, bucket: bool) -> String {
    let (allow, action, resource, principal, condition, not_action, not_resource) = *stmt;
    let effect = if allow { "Allow" } else { "Deny" };
    let principal = if bucket {
        format!(r#""Principal":{},"#, PRINCIPALS[principal])
    } else {
        String::new()
    };
    let action_key = if not_action { "NotAction" } else { "Action" };
    let resource_key = if not_resource {
        "NotResource"
    } else {
        "Resource"
    };
    format!(
        r#"{{"Effect":"{effect}",{principal}"{action_key}":"{}","{resource_key}":"{}"{}}}"#,
        ACTIONS[action], RESOURCES[resource], CONDITIONS[condition]
    )
}

/// Compiles the statements as a policy; `None` when validation rejects the combination
/// (a bucket policy's action/resource kinds must fit).
fn compile(statements: &[Stmt], bucket: bool) -> Option<CompiledPolicy> {
    if statements.is_empty() {
        return None;
    }
    let body: Vec<String> = statements.iter().map(|s| render(s, bucket)).collect();
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        body.join(",")
    );
    if bucket {
        CompiledPolicy::parse_bucket(&text, "photos").ok()
    } else {
        Some(CompiledPolicy::parse_identity(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
    }
}

/// (who, action, resource, keys).
fn request() -> impl Strategy<Value = (usize, usize, usize, usize)> {
    (
        0..WHO.len(),
        0..REQUEST_ACTIONS.len(),
        0..REQUEST_RESOURCES.len(),
        0..KEY_SETS.len(),
    )
}

fn decision(
    req: (usize, usize, usize, usize),
    identity: Option<&CompiledPolicy>,
    bucket: Option<&CompiledPolicy>,
) -> Decision {
    let (who, action, resource, keys) = req;
    let request = ctx(
        WHO[who],
        REQUEST_ACTIONS[action],
        REQUEST_RESOURCES[resource],
        KEY_SETS[keys],
    );
    let ids: Vec<&CompiledPolicy> = identity.into_iter().collect();
    decide(&request, Some(owner()), &ids, bucket)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn adding_a_deny_never_grants(
        ids in prop::collection::vec(statement(), 1..4),
        bs in prop::collection::vec(statement(), 1..4),
        extra in statement(),
        to_bucket in any::<bool>(),
        reqs in prop::collection::vec(request(), 1..12),
    ) {
        let extra = (false, extra.1, extra.2, extra.3, extra.4, extra.5, extra.6);
        let identity = compile(&ids, false);
        let bucket = compile(&bs, true);
        let (mut ids2, mut bs2) = (ids.clone(), bs.clone());
        if to_bucket { bs2.push(extra) } else { ids2.push(extra) }
        let identity2 = compile(&ids2, false);
        let bucket2 = if to_bucket { compile(&bs2, true) } else { bucket.clone() };
        prop_assume!(!to_bucket || (bucket.is_some() && bucket2.is_some()));
        for req in reqs {
            let before = decision(req, identity.as_ref(), bucket.as_ref());
            let after = decision(req, identity2.as_ref(), bucket2.as_ref());
            prop_assert!(after != Decision::Allow || before == Decision::Allow,
                "deny granted: {req:?} {before:?} -> {after:?}");
            if before == Decision::ExplicitDeny {
                prop_assert_eq!(after, Decision::ExplicitDeny);
            }
        }
    }

    #[test]
    fn adding_an_allow_never_takes_away(
        ids in prop::collection::vec(statement(), 1..4),
        bs in prop::collection::vec(statement(), 1..4),
        extra in statement(),
        to_bucket in any::<bool>(),
        reqs in prop::collection::vec(request(), 1..12),
    ) {
        let extra = (true, extra.1, extra.2, extra.3, extra.4, extra.5, extra.6);
        let identity = compile(&ids, false);
        let bucket = compile(&bs, true);
        let (mut ids2, mut bs2) = (ids.clone(), bs.clone());
        if to_bucket { bs2.push(extra) } else { ids2.push(extra) }
        let identity2 = compile(&ids2, false);
        let bucket2 = if to_bucket { compile(&bs2, true) } else { bucket.clone() };
        prop_assume!(!to_bucket || (bucket.is_some() && bucket2.is_some()));
        for req in reqs {
            let before = decision(req, identity.as_ref(), bucket.as_ref());
            let after = decision(req, identity2.as_ref(), bucket2.as_ref());
            if before == Decision::Allow {
                prop_assert_eq!(after, Decision::Allow, "allow taken away: {:?}", req);
            }
            if before == Decision::ExplicitDeny {
                prop_assert_eq!(after, Decision::ExplicitDeny);
            }
        }
    }

    #[test]
    fn not_action_is_the_complement_of_action(
        a in 0..ACTIONS.len(),
        req in request(),
        custom in "s3:[A-Za-z*?]{1,12}",
    ) {
        for action in [ACTIONS[a], custom.as_str()] {
            let plain = CompiledPolicy::parse_identity(&format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{action}","Resource":"*"}}}}"#)).ok();
            let not = CompiledPolicy::parse_identity(&format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","NotAction":"{action}","Resource":"*"}}}}"#)).ok();
            // Unknown wildcard-free names are rejected alike for both forms.
            prop_assert_eq!(plain.is_some(), not.is_some());
            let (Some(plain), Some(not)) = (plain, not) else { continue };
            // A same-account user: identity policies alone decide.
            let (_, act, res, keys) = req;
            let c = ctx(Who::Alice, REQUEST_ACTIONS[act], REQUEST_RESOURCES[res], KEY_SETS[keys]);
            let yes = decide(&c, Some(owner()), &[&plain], None) == Decision::Allow;
            let no = decide(&c, Some(owner()), &[&not], None) == Decision::Allow;
            prop_assert!(yes != no, "{action} on {:?}", REQUEST_ACTIONS[act]);
        }
    }

    #[test]
    fn not_resource_is_the_complement_of_resource(
        r in 0..RESOURCES.len(),
        req in request(),
        custom in "arn:aws:s3:::[a-p*?][a-p*?/]{0,9}",
        requested in "arn:aws:s3:::[a-p/]{1,10}",
        who in prop::sample::select(vec![Who::Alice, Who::Carol]),
    ) {
        for resource in [RESOURCES[r], custom.as_str()] {
            let plain = CompiledPolicy::parse_identity(&format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"{resource}"}}}}"#)).unwrap();
            let not = CompiledPolicy::parse_identity(&format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","NotResource":"{resource}"}}}}"#)).unwrap();
            let (_, act, res, keys) = req;
            for target in [REQUEST_RESOURCES[res], requested.as_str()] {
                let c = ctx(who, REQUEST_ACTIONS[act], target, KEY_SETS[keys]);
                let yes = decide(&c, Some(owner()), &[&plain], None) == Decision::Allow;
                let no = decide(&c, Some(owner()), &[&not], None) == Decision::Allow;
                prop_assert!(yes != no, "{resource} vs {target}");
            }
        }
    }

    #[test]
    fn statement_order_does_not_matter(
        ids in prop::collection::vec(statement(), 1..5),
        bs in prop::collection::vec(statement(), 1..5),
        reqs in prop::collection::vec(request(), 1..8),
    ) {
        let identity = compile(&ids, false);
        let bucket = compile(&bs, true);
        let mut ids_rev = ids.clone();
        ids_rev.reverse();
        let mut bs_rev = bs.clone();
        bs_rev.reverse();
        let identity_rev = compile(&ids_rev, false);
        let bucket_rev = compile(&bs_rev, true);
        for req in reqs {
            prop_assert_eq!(
                decision(req, identity.as_ref(), bucket.as_ref()),
                decision(req, identity_rev.as_ref(), bucket_rev.as_ref())
            );
        }
    }
}
