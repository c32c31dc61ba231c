//! Table-driven evaluation cases: AWS documentation bucket-policy examples (as our own
//! fixtures), the principal / account matrix, explicit deny precedence, NotPrincipal,
//! NotAction / NotResource, policy variables and the 2008-10-17 version.

mod common;

use common::{bucket_policy, ctx, identity_policy, owner, Who};
use s4_policy::{decide, explain, CompiledPolicy, Decision, Reason};
use Decision::{Allow, ExplicitDeny as Deny, ImplicitDeny as Implicit};
use Who::{Alice, Anon, Bob, Carol, Root1, Root2};

/// One request and its expected decision.
struct Case<'a> {
    who: Who,
    action: &'a str,
    resource: &'a str,
    keys: &'a [(&'a str, &'a str)],
    want: Decision,
}

const fn case<'a>(
    who: Who,
    action: &'a str,
    resource: &'a str,
    keys: &'a [(&'a str, &'a str)],
    want: Decision,
) -> Case<'a> {
    Case {
        who,
        action,
        resource,
        keys,
        want,
    }
}

/// Runs the cases against one set of policies; returns the number of cases.
fn run(
    name: &str,
    identity: &[&CompiledPolicy],
    bucket: Option<&CompiledPolicy>,
    cases: &[Case<'_>],
) -> usize {
    for (i, c) in cases.iter().enumerate() {
        let request = ctx(c.who, c.action, c.resource, c.keys);
        let got = decide(&request, Some(owner()), identity, bucket);
        let why = explain(&request, Some(owner()), identity, bucket);
        assert_eq!(
            got, c.want,
            "{name} case {i}: {:?} {} {} {:?}: {why}",
            c.who, c.action, c.resource, c.keys
        );
        assert_eq!(why.decision, got, "{name} case {i}: explain disagrees");
    }
    cases.len()
}

const PUBLIC_READ: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "AnyoneMayRead",
    "Effect": "Allow",
    "Principal": "*",
    "Action": ["s3:GetObject"],
    "Resource": ["arn:aws:s3:::examplebucket/*"]
  }]
}"#;

#[test]
fn public_read_for_anonymous() {
    let b = bucket_policy(PUBLIC_READ, "examplebucket");
    let obj = "arn:aws:s3:::examplebucket/a/b.html";
    let n = run(
        "public read",
        &[],
        Some(&b),
        &[
            case(Anon, "s3:GetObject", obj, &[], Allow),
            case(
                Anon,
                "s3:GetObject",
                "arn:aws:s3:::examplebucket/x",
                &[],
                Allow,
            ),
            case(Anon, "S3:GETOBJECT", obj, &[], Allow),
            case(Anon, "s3:PutObject", obj, &[], Implicit),
            case(Anon, "s3:DeleteObject", obj, &[], Implicit),
            case(
                Anon,
                "s3:ListBucket",
                "arn:aws:s3:::examplebucket",
                &[],
                Implicit,
            ),
            case(
                Anon,
                "s3:GetObject",
                "arn:aws:s3:::otherbucket/a",
                &[],
                Implicit,
            ),
            case(Anon, "s3:GetObjectAcl", obj, &[], Implicit),
            // Users of the owner and of other accounts: `*` covers them as well.
            case(Alice, "s3:GetObject", obj, &[], Allow),
            case(Alice, "s3:PutObject", obj, &[], Implicit),
            case(Root2, "s3:GetObject", obj, &[], Allow),
            case(Root2, "s3:PutObject", obj, &[], Implicit),
            // Another account's user still needs its own identity permission.
            case(Bob, "s3:GetObject", obj, &[], Implicit),
            case(Root1, "s3:PutObject", obj, &[], Allow),
        ],
    );
    assert_eq!(n, 14);
    // Bob with an identity permission gets in.
    let bob_read = identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    );
    run(
        "public read, bob with identity allow",
        &[&bob_read],
        Some(&b),
        &[
            case(Bob, "s3:GetObject", obj, &[], Allow),
            case(Bob, "s3:PutObject", obj, &[], Implicit),
        ],
    );
}

const IP_RESTRICTED: &str = r#"{
  "Version": "2012-10-17",
  "Id": "IpRestricted",
  "Statement": [
    {
      "Sid": "ReadFromOffice",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::examplebucket/*",
      "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}
    },
    {
      "Sid": "NothingFromTheBadHost",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::examplebucket", "arn:aws:s3:::examplebucket/*"],
      "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.188/32"}}
    }
  ]
}"#;

#[test]
fn restrict_by_ip() {
    let b = bucket_policy(IP_RESTRICTED, "examplebucket");
    let obj = "arn:aws:s3:::examplebucket/report.pdf";
    let ip = |v| [("aws:SourceIp", v)];
    let (a, b6, out, bad, mapped, junk) = (
        ip("192.0.2.10"),
        ip("2001:db8:1::5"),
        ip("203.0.113.9"),
        ip("192.0.2.188"),
        ip("::ffff:192.0.2.10"),
        ip("not-an-ip"),
    );
    run(
        "ip",
        &[],
        Some(&b),
        &[
            case(Anon, "s3:GetObject", obj, &a, Allow),
            case(Anon, "s3:GetObject", obj, &b6, Allow),
            case(Anon, "s3:GetObject", obj, &mapped, Allow),
            case(Anon, "s3:GetObject", obj, &out, Implicit),
            case(Anon, "s3:GetObject", obj, &junk, Implicit),
            case(Anon, "s3:GetObject", obj, &[], Implicit),
            case(Anon, "s3:GetObject", obj, &bad, Deny),
            case(Alice, "s3:GetObject", obj, &bad, Deny),
            case(Root1, "s3:GetObject", obj, &bad, Deny),
            case(
                Root1,
                "s3:DeleteBucket",
                "arn:aws:s3:::examplebucket",
                &bad,
                Deny,
            ),
            case(
                Root1,
                "s3:DeleteBucket",
                "arn:aws:s3:::examplebucket",
                &a,
                Allow,
            ),
            case(Anon, "s3:PutObject", obj, &a, Implicit),
            case(Carol, "s3:GetObject", obj, &a, Allow),
            case(Carol, "s3:GetObject", obj, &out, Implicit),
        ],
    );
}

const PREFIX_LISTING: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ListOwnFolder",
      "Effect": "Allow",
      "Principal": {"AWS": ["arn:aws:iam::000000000000001:user/alice", "arn:aws:iam::000000000000002:user/bob"]},
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::examplebucket",
      "Condition": {
        "StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]},
        "StringEquals": {"s3:delimiter": "/"}
      }
    },
    {
      "Sid": "NoListingOfOthers",
      "Effect": "Deny",
      "Principal": {"AWS": "000000000000002"},
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::examplebucket",
      "Condition": {"StringNotLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}
    }
  ]
}"#;

#[test]
fn restrict_listing_by_prefix() {
    let b = bucket_policy(PREFIX_LISTING, "examplebucket");
    let bucket = "arn:aws:s3:::examplebucket";
    let bob_lists = identity_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:List*","Resource":"*"}}"#,
    );
    let list = "s3:ListBucket";
    let p = |prefix| [("s3:prefix", prefix), ("s3:delimiter", "/")];
    let (root, home, own, own_deep, other, top) = (
        p(""),
        p("home/"),
        p("home/alice/"),
        p("home/alice/photos/"),
        p("home/carol/"),
        p("secret/"),
    );
    let (bob_own, bob_other) = (p("home/bob/x"), p("home/alice/"));
    run(
        "prefix",
        &[&bob_lists],
        Some(&b),
        &[
            case(Alice, list, bucket, &root, Allow),
            case(Alice, list, bucket, &home, Allow),
            case(Alice, list, bucket, &own, Allow),
            case(Alice, list, bucket, &own_deep, Allow),
            case(Alice, list, bucket, &other, Allow), // alice is allowed by her identity policy (S3 List*)
            case(Bob, list, bucket, &bob_own, Allow),
            case(Bob, list, bucket, &root, Allow),
            case(Bob, list, bucket, &bob_other, Deny),
            case(Bob, list, bucket, &top, Deny),
            case(Bob, list, bucket, &[("s3:delimiter", "/")], Deny), // no prefix: StringNotLike is true
            case(Bob, list, bucket, &[("s3:prefix", "home/bob/")], Implicit), // delimiter missing
            case(
                Bob,
                "s3:GetObject",
                "arn:aws:s3:::examplebucket/home/bob/a",
                &[],
                Implicit,
            ),
            case(Anon, list, bucket, &root, Implicit),
        ],
    );
    // Without identity policies: alice is named directly, so the bucket policy alone decides.
    run(
        "prefix, no identity",
        &[],
        Some(&b),
        &[
            case(Alice, list, bucket, &own, Allow),
            case(Alice, list, bucket, &other, Implicit),
            case(Alice, list, bucket, &top, Implicit),
            case(Carol, list, bucket, &root, Implicit),
            case(Bob, list, bucket, &bob_own, Implicit), // cross-account needs identity allow
        ],
    );
}

const TLS_ONLY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PublicRead",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::examplebucket/*"
    },
    {
      "Sid": "DenyPlainHttp",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::examplebucket", "arn:aws:s3:::examplebucket/*"],
      "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }
  ]
}"#;

#[test]
fn deny_plain_http() {
    let b = bucket_policy(TLS_ONLY, "examplebucket");
    let obj = "arn:aws:s3:::examplebucket/k";
    let tls = [("aws:SecureTransport", "true")];
    let plain = [("aws:SecureTransport", "false")];
    let upper = [("aws:SecureTransport", "FALSE")];
    let full = identity_policy(s4_policy::managed::S3_FULL_ACCESS_DOCUMENT);
    run(
        "tls",
        &[&full],
        Some(&b),
        &[
            case(Anon, "s3:GetObject", obj, &tls, Allow),
            case(Anon, "s3:GetObject", obj, &plain, Deny),
            case(Anon, "s3:GetObject", obj, &upper, Deny),
            case(Anon, "s3:GetObject", obj, &[], Allow), // key absent: Bool is false, no deny
            case(Alice, "s3:PutObject", obj, &tls, Allow),
            case(Alice, "s3:PutObject", obj, &plain, Deny),
            case(Root1, "s3:DeleteObject", obj, &plain, Deny),
            case(Root1, "s3:DeleteObject", obj, &tls, Allow),
            case(
                Root1,
                "s3:ListAllMyBuckets",
                "arn:aws:s3:::*",
                &plain,
                Allow,
            ), // not this bucket's resource
            case(Bob, "s3:GetObject", obj, &plain, Deny),
            case(Bob, "s3:GetObject", obj, &tls, Allow), // bob has S3FullAccess too
            case(Bob, "s3:PutObject", obj, &tls, Implicit),
        ],
    );
}

const HOME_FOLDERS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "SeeTheBucket",
      "Effect": "Allow",
      "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"],
      "Resource": "*"
    },
    {
      "Sid": "ListHome",
      "Effect": "Allow",
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::examplebucket",
      "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}
    },
    {
      "Sid": "OwnFolder",
      "Effect": "Allow",
      "Action": "s3:*Object",
      "Resource": [
        "arn:aws:s3:::examplebucket/home/${aws:username}",
        "arn:aws:s3:::examplebucket/home/${aws:username}/*"
      ]
    }
  ]
}"#;

#[test]
fn per_user_home_folders() {
    let home = identity_policy(HOME_FOLDERS);
    let bucket = "arn:aws:s3:::examplebucket";
    let pre = |p| [("s3:prefix", p)];
    let (a, c, top) = (pre("home/alice/"), pre("home/carol/"), pre(""));
    run(
        "home folders",
        &[&home],
        None,
        &[
            case(Alice, "s3:ListAllMyBuckets", "arn:aws:s3:::*", &[], Allow),
            case(Alice, "s3:GetBucketLocation", bucket, &[], Allow),
            case(Alice, "s3:ListBucket", bucket, &top, Allow),
            case(Alice, "s3:ListBucket", bucket, &a, Allow),
            case(Alice, "s3:ListBucket", bucket, &c, Implicit),
            case(Carol, "s3:ListBucket", bucket, &c, Allow),
            case(Carol, "s3:ListBucket", bucket, &a, Implicit),
            case(
                Alice,
                "s3:GetObject",
                "arn:aws:s3:::examplebucket/home/alice/cv.pdf",
                &[],
                Allow,
            ),
            case(
                Alice,
                "s3:PutObject",
                "arn:aws:s3:::examplebucket/home/alice/a/b/c",
                &[],
                Allow,
            ),
            case(
                Alice,
                "s3:DeleteObject",
                "arn:aws:s3:::examplebucket/home/alice",
                &[],
                Allow,
            ),
            case(
                Alice,
                "s3:GetObject",
                "arn:aws:s3:::examplebucket/home/carol/cv.pdf",
                &[],
                Implicit,
            ),
            case(
                Alice,
                "s3:GetObject",
                "arn:aws:s3:::examplebucket/home/alicex/cv.pdf",
                &[],
                Implicit,
            ),
            case(
                Alice,
                "s3:GetObjectAcl",
                "arn:aws:s3:::examplebucket/home/alice/cv.pdf",
                &[],
                Implicit,
            ),
            case(
                Alice,
                "s3:GetObject",
                "arn:aws:s3:::otherbucket/home/alice/cv.pdf",
                &[],
                Implicit,
            ),
            case(
                Carol,
                "s3:GetObject",
                "arn:aws:s3:::examplebucket/home/carol/x",
                &[],
                Allow,
            ),
            // Roots have no username: the variable does not resolve, but the owner root
            // needs no identity policy anyway.
            case(
                Root1,
                "s3:GetObject",
                "arn:aws:s3:::examplebucket/home/alice/x",
                &[],
                Allow,
            ),
        ],
    );
    // The same document without Version is 2008-10-17: no variables, literal text.
    let old = identity_policy(&HOME_FOLDERS.replace("\"Version\": \"2012-10-17\",", ""));
    assert_eq!(old.version(), s4_policy::PolicyVersion::V2008_10_17);
    run(
        "home folders, 2008",
        &[&old],
        None,
        &[
            case(
                Alice,
                "s3:GetObject",
                "arn:aws:s3:::examplebucket/home/alice/cv.pdf",
                &[],
                Implicit,
            ),
            case(
                Alice,
                "s3:GetObject",
                "arn:aws:s3:::examplebucket/home/${aws:username}/cv.pdf",
                &[],
                Allow,
            ),
            case(Alice, "s3:ListBucket", bucket, &a, Implicit),
            case(
                Alice,
                "s3:ListBucket",
                bucket,
                &[("s3:prefix", "home/${aws:username}/x")],
                Allow,
            ),
            case(Alice, "s3:ListAllMyBuckets", "arn:aws:s3:::*", &[], Allow),
        ],
    );
}

#[test]
fn principal_and_account_matrix() {
    let obj = "arn:aws:s3:::photos/k";
    let grants = |principal: &str| {
        bucket_policy(
            &format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}}]}}"#
            ),
            "photos",
        )
    };
    let bob_get = identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}"#,
    );
    let g = "s3:GetObject";
    // Bucket policy naming account 2 (its root ARN).
    let acct2 = grants(r#"{"AWS":"arn:aws:iam::000000000000002:root"}"#);
    run(
        "account 2 root ARN",
        &[],
        Some(&acct2),
        &[
            case(Root2, g, obj, &[], Allow),
            case(Bob, g, obj, &[], Implicit),
            case(Anon, g, obj, &[], Implicit),
            case(Alice, g, obj, &[], Implicit),
            case(Root1, g, obj, &[], Allow),
        ],
    );
    run(
        "account 2 root ARN, bob has identity allow",
        &[&bob_get],
        Some(&acct2),
        &[
            case(Bob, g, obj, &[], Allow),
            case(Bob, "s3:PutObject", obj, &[], Implicit),
        ],
    );
    // Bare account ID: same as the root ARN.
    let acct2_id = grants(r#"{"AWS":"000000000000002"}"#);
    run(
        "account 2 ID",
        &[&bob_get],
        Some(&acct2_id),
        &[
            case(Root2, g, obj, &[], Allow),
            case(Bob, g, obj, &[], Allow),
            case(Anon, g, obj, &[], Implicit),
        ],
    );
    // A user ARN: only that user (plus its identity permission when cross-account).
    let bob_only = grants(r#"{"AWS":["arn:aws:iam::000000000000002:user/bob"]}"#);
    run(
        "bob ARN, no identity",
        &[],
        Some(&bob_only),
        &[
            case(Bob, g, obj, &[], Implicit),
            case(Root2, g, obj, &[], Implicit),
        ],
    );
    run(
        "bob ARN, identity",
        &[&bob_get],
        Some(&bob_only),
        &[case(Bob, g, obj, &[], Allow)],
    );
    // Same-account user named directly: the bucket policy alone is enough.
    let alice_only = grants(r#"{"AWS":"arn:aws:iam::000000000000001:user/alice"}"#);
    run(
        "alice ARN",
        &[],
        Some(&alice_only),
        &[
            case(Alice, g, obj, &[], Allow),
            case(Carol, g, obj, &[], Implicit),
            case(Anon, g, obj, &[], Implicit),
            case(Bob, g, obj, &[], Implicit),
        ],
    );
    // Same-account account principal: delegates to identity policies only.
    let acct1 = grants(r#"{"AWS":"arn:aws:iam::000000000000001:root"}"#);
    run(
        "account 1 root ARN",
        &[],
        Some(&acct1),
        &[
            case(Alice, g, obj, &[], Implicit),
            case(Root1, g, obj, &[], Allow),
            case(Root2, g, obj, &[], Implicit),
        ],
    );
    // No policies at all.
    run(
        "nothing",
        &[],
        None,
        &[
            case(Root1, g, obj, &[], Allow),
            case(
                Root1,
                "s3:PutBucketPolicy",
                "arn:aws:s3:::photos",
                &[],
                Allow,
            ),
            case(Root2, g, obj, &[], Implicit),
            case(Alice, g, obj, &[], Implicit),
            case(Bob, g, obj, &[], Implicit),
            case(Anon, g, obj, &[], Implicit),
        ],
    );
}

#[test]
fn explicit_deny_beats_every_allow() {
    let obj = "arn:aws:s3:::photos/secret/k";
    let deny_secret = bucket_policy(
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"All","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/*"},
          {"Sid":"NoSecret","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/secret/*"}
        ]}"#,
        "photos",
    );
    let admin = s4_policy::managed::by_name("AdministratorAccess")
        .unwrap()
        .compiled();
    let deny_delete = identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    run(
        "deny",
        &[admin, &deny_delete],
        Some(&deny_secret),
        &[
            case(Alice, "s3:GetObject", obj, &[], Deny),
            case(
                Alice,
                "s3:GetObject",
                "arn:aws:s3:::photos/public/k",
                &[],
                Allow,
            ),
            case(Alice, "s3:PutObject", obj, &[], Allow),
            case(
                Alice,
                "s3:DeleteObject",
                "arn:aws:s3:::photos/public/k",
                &[],
                Deny,
            ),
            case(Alice, "s3:DeleteBucket", "arn:aws:s3:::photos", &[], Deny),
            case(Root1, "s3:GetObject", obj, &[], Deny),
            case(Root1, "s3:DeleteObject", obj, &[], Allow), // identity policies do not bind roots
            case(Anon, "s3:GetObject", obj, &[], Deny),
            case(Anon, "s3:PutObject", obj, &[], Allow),
            case(Bob, "s3:GetObject", obj, &[], Deny),
            case(Bob, "s3:DeleteObject", obj, &[], Deny),
            case(Bob, "s3:PutObject", obj, &[], Allow),
            case(Root2, "s3:GetObject", obj, &[], Deny),
            case(Root2, "s3:PutObject", obj, &[], Allow),
        ],
    );
    let request = ctx(Alice, "s3:DeleteObject", obj, &[]);
    let why = explain(
        &request,
        Some(owner()),
        &[admin, &deny_delete],
        Some(&deny_secret),
    );
    assert_eq!(why.reason, Reason::ExplicitDeny);
    assert_eq!(why.statements.len(), 1);
    assert_eq!(why.statements[0].policy, "identity policy");
    assert_eq!(why.statements[0].statement.sid.as_deref(), Some("NoDelete"));
}

#[test]
fn not_principal_not_action_not_resource() {
    let b = bucket_policy(
        r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"},
          {"Sid":"OnlyAliceAndOwnerWrite","Effect":"Deny",
           "NotPrincipal":{"AWS":["arn:aws:iam::000000000000001:user/alice","arn:aws:iam::000000000000001:root"]},
           "NotAction":["s3:GetObject","s3:ListBucket"],
           "Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}
        ]}"#,
        "photos",
    );
    let full = identity_policy(s4_policy::managed::S3_FULL_ACCESS_DOCUMENT);
    let obj = "arn:aws:s3:::photos/k";
    run(
        "not*",
        &[&full],
        Some(&b),
        &[
            case(Alice, "s3:PutObject", obj, &[], Allow),
            case(Carol, "s3:PutObject", obj, &[], Deny),
            case(Carol, "s3:GetObject", obj, &[], Allow),
            case(Carol, "s3:ListBucket", "arn:aws:s3:::photos", &[], Allow),
            case(Carol, "s3:DeleteObject", obj, &[], Deny),
            case(Carol, "s3:PutObject", "arn:aws:s3:::other/k", &[], Allow), // not this bucket
            case(Root1, "s3:PutObject", obj, &[], Allow),
            case(Root2, "s3:PutObject", obj, &[], Deny),
            case(Anon, "s3:PutObject", obj, &[], Deny),
            case(Anon, "s3:GetObject", obj, &[], Allow),
            case(Bob, "s3:DeleteObject", obj, &[], Deny),
        ],
    );
    // NotResource in an identity policy.
    let except_private = identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","NotResource":["arn:aws:s3:::photos/private/*","arn:aws:s3:::vault/*"]}]}"#,
    );
    run(
        "not resource",
        &[&except_private],
        None,
        &[
            case(
                Alice,
                "s3:GetObject",
                "arn:aws:s3:::photos/public/a",
                &[],
                Allow,
            ),
            case(
                Alice,
                "s3:GetObject",
                "arn:aws:s3:::photos/private/a",
                &[],
                Implicit,
            ),
            case(Alice, "s3:GetObject", "arn:aws:s3:::vault/a", &[], Implicit),
            case(Alice, "s3:GetObject", "arn:aws:s3:::vaults/a", &[], Allow),
            case(
                Alice,
                "s3:PutObject",
                "arn:aws:s3:::photos/public/a",
                &[],
                Implicit,
            ),
        ],
    );
    // NotAction allow: everything but IAM.
    let no_iam = identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#,
    );
    run(
        "not action",
        &[&no_iam],
        None,
        &[
            case(Alice, "s3:PutObject", "arn:aws:s3:::x/y", &[], Allow),
            case(
                Alice,
                "iam:CreateUser",
                "arn:aws:iam::000000000000001:user/z",
                &[],
                Implicit,
            ),
            case(Alice, "IAM:ListUsers", "*", &[], Implicit),
        ],
    );
}

#[test]
fn explanations_name_policy_and_statement() {
    let b = bucket_policy(PUBLIC_READ, "examplebucket").with_name("bucket policy of examplebucket");
    let read = s4_policy::managed::by_name("S3ReadAccess")
        .unwrap()
        .compiled();
    let obj = "arn:aws:s3:::examplebucket/a";
    let why = explain(
        &ctx(Anon, "s3:GetObject", obj, &[]),
        Some(owner()),
        &[],
        Some(&b),
    );
    assert_eq!(why.reason, Reason::Allowed);
    assert_eq!(
        why.to_string(),
        "Allow (Allowed): Allow by statement 0 (Sid AnyoneMayRead) of bucket policy of examplebucket"
    );
    let why = explain(
        &ctx(Alice, "s3:ListBucket", "arn:aws:s3:::examplebucket", &[]),
        Some(owner()),
        &[read],
        Some(&b),
    );
    assert_eq!(
        why.to_string(),
        "Allow (Allowed): Allow by statement 0 of arn:aws:iam::aws:policy/S3ReadAccess"
    );
    let why = explain(
        &ctx(Bob, "s3:GetObject", obj, &[]),
        Some(owner()),
        &[read],
        Some(&b),
    );
    assert_eq!(why.reason, Reason::CrossAccountAllowed);
    assert_eq!(why.statements.len(), 2);
    let why = explain(
        &ctx(Bob, "s3:ListBucket", "arn:aws:s3:::examplebucket", &[]),
        Some(owner()),
        &[read],
        Some(&b),
    );
    assert_eq!(
        (why.decision, why.reason),
        (Implicit, Reason::CrossAccountNeedsBucketAllow)
    );
    let why = explain(
        &ctx(Bob, "s3:GetObject", obj, &[]),
        Some(owner()),
        &[],
        Some(&b),
    );
    assert_eq!(
        (why.decision, why.reason),
        (Implicit, Reason::CrossAccountNeedsIdentityAllow)
    );
    let why = explain(
        &ctx(Root1, "s3:GetObject", obj, &[]),
        Some(owner()),
        &[],
        Some(&b),
    );
    assert_eq!((why.decision, why.reason), (Allow, Reason::OwnerRoot));
    assert!(why.statements.is_empty());
    let why = explain(
        &ctx(Alice, "s3:PutObject", obj, &[]),
        Some(owner()),
        &[read],
        Some(&b),
    );
    assert_eq!((why.decision, why.reason), (Implicit, Reason::NoAllow));
    assert_eq!(why.to_string(), "ImplicitDeny (NoAllow)");
}

#[test]
fn account_level_requests_have_no_owner() {
    let list = s4_policy::managed::by_name("S3BucketListAccess")
        .unwrap()
        .compiled();
    let iam = s4_policy::managed::by_name("IAMReadAccess")
        .unwrap()
        .compiled();
    let cases = [
        (Root1, "s3:ListAllMyBuckets", "arn:aws:s3:::*", Allow),
        (Root2, "s3:ListAllMyBuckets", "arn:aws:s3:::*", Allow),
        (Alice, "s3:ListAllMyBuckets", "arn:aws:s3:::*", Allow),
        (Carol, "s3:CreateBucket", "arn:aws:s3:::newbucket", Implicit),
        (Bob, "s3:ListAllMyBuckets", "arn:aws:s3:::*", Allow),
        (Anon, "s3:ListAllMyBuckets", "arn:aws:s3:::*", Implicit),
        (
            Alice,
            "iam:GetUser",
            "arn:aws:iam::000000000000001:user/alice",
            Allow,
        ),
        (
            Alice,
            "iam:CreateUser",
            "arn:aws:iam::000000000000001:user/eve",
            Implicit,
        ),
        (
            Root1,
            "iam:CreateUser",
            "arn:aws:iam::000000000000001:user/eve",
            Allow,
        ),
    ];
    for (who, action, resource, want) in cases {
        let request = ctx(who, action, resource, &[]);
        assert_eq!(
            decide(&request, None, &[list, iam], None),
            want,
            "{who:?} {action}"
        );
    }
}

#[test]
fn per_policy_three_valued() {
    use s4_policy::PolicyDecision as P;
    let b = bucket_policy(TLS_ONLY, "examplebucket");
    let obj = "arn:aws:s3:::examplebucket/k";
    assert_eq!(b.evaluate(&ctx(Anon, "s3:GetObject", obj, &[])), P::Allow);
    assert_eq!(
        b.evaluate(&ctx(
            Anon,
            "s3:GetObject",
            obj,
            &[("aws:SecureTransport", "false")]
        )),
        P::Deny
    );
    assert_eq!(
        b.evaluate(&ctx(Anon, "s3:PutObject", obj, &[])),
        P::NotApplicable
    );
    let read = s4_policy::managed::by_name("S3ReadAccess")
        .unwrap()
        .compiled();
    assert_eq!(
        read.evaluate(&ctx(Alice, "s3:GetObject", obj, &[])),
        P::Allow
    );
    assert_eq!(
        read.evaluate(&ctx(Alice, "s3:PutObject", obj, &[])),
        P::NotApplicable
    );
}

/// Bucket-policy management belongs to the owning account: whatever the policies say, other
/// accounts and anonymous principals get `NotOwnerAccount`, the owner's root `Allow` even
/// under a Deny, and the owner's users are decided by the policies.
#[test]
fn bucket_policy_management_is_owner_account_only() {
    let b = bucket_policy(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::examplebucket"},
            {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::examplebucket"}]}"#,
        "examplebucket",
    );
    let full = s4_policy::managed::by_name("S3FullAccess")
        .unwrap()
        .compiled();
    let bucket = "arn:aws:s3:::examplebucket";
    for action in [
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
    ] {
        for who in [Anon, Root2, Bob] {
            let why = explain(
                &ctx(who, action, bucket, &[]),
                Some(owner()),
                &[full],
                Some(&b),
            );
            assert_eq!(
                (why.decision, why.reason),
                (Decision::NotOwnerAccount, Reason::NotOwnerAccount),
                "{who:?} {action}"
            );
            assert!(why.statements.is_empty());
        }
        let why = explain(
            &ctx(Root1, action, bucket, &[]),
            Some(owner()),
            &[],
            Some(&b),
        );
        assert_eq!(why.to_string(), "Allow (OwnerRootManagesPolicy)");
        // The owner's users: the Deny applies to them as to any action.
        let alice = decide(
            &ctx(Alice, action, bucket, &[]),
            Some(owner()),
            &[full],
            Some(&b),
        );
        assert_eq!(alice, Deny, "{action}");
        let alice = decide(
            &ctx(Alice, action, bucket, &[]),
            Some(owner()),
            &[full],
            None,
        );
        assert_eq!(alice, Allow, "{action}");
    }
    // Other actions are untouched: the owner's root is denied by the bucket policy.
    let list = decide(
        &ctx(Root1, "s3:ListBucket", bucket, &[]),
        Some(owner()),
        &[],
        Some(&b),
    );
    assert_eq!(list, Deny);
}
