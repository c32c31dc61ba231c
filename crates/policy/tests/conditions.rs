//! Every condition operator, its `IfExists` form, the set qualifiers, absent keys, policy
//! variables in condition values and multi-valued request keys. Each case is an identity
//! policy `Allow s3:GetObject on * if <condition>` evaluated for alice of the owning account:
//! the request is allowed exactly when the condition holds.

mod common;

use common::{ctx, identity_policy, owner, Who};
use s4_policy::{decide, Decision};

/// `(operator, key, policy values as JSON, request values (None = key absent), holds)`.
type Row<'a> = (&'a str, &'a str, &'a str, Option<&'a [&'a str]>, bool);

fn check(rows: &[Row<'_>]) -> usize {
    for (i, &(op, key, values, request_values, want)) in rows.iter().enumerate() {
        let policy = identity_policy(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"{op}":{{"{key}":{values}}}}}}}]}}"#
        ));
        let mut request = ctx(Who::Alice, "s3:GetObject", "arn:aws:s3:::b/k", &[]);
        match request_values {
            Some(vs) => request.set(key, vs.iter().map(|v| (*v).to_owned()).collect()),
            None => request.remove(key),
        }
        let got = decide(&request, Some(owner()), &[&policy], None);
        assert_eq!(
            got == Decision::Allow,
            want,
            "row {i}: {op} {{{key}: {values}}} with request {request_values:?}"
        );
    }
    rows.len()
}

const NONE: Option<&[&str]> = None;

#[test]
fn string_operators() {
    let n = check(&[
        (
            "StringEquals",
            "aws:Referer",
            r#""https://a.example/""#,
            Some(&["https://a.example/"]),
            true,
        ),
        (
            "StringEquals",
            "aws:Referer",
            r#""https://a.example/""#,
            Some(&["https://A.example/"]),
            false,
        ),
        (
            "StringEquals",
            "aws:Referer",
            r#"["x","y"]"#,
            Some(&["y"]),
            true,
        ),
        (
            "StringEquals",
            "aws:Referer",
            r#""a*""#,
            Some(&["abc"]),
            false,
        ),
        (
            "StringEquals",
            "aws:Referer",
            r#""a*""#,
            Some(&["a*"]),
            true,
        ),
        ("StringEquals", "aws:Referer", r#""x""#, NONE, false),
        (
            "StringNotEquals",
            "aws:Referer",
            r#""x""#,
            Some(&["y"]),
            true,
        ),
        (
            "StringNotEquals",
            "aws:Referer",
            r#""x""#,
            Some(&["x"]),
            false,
        ),
        (
            "StringNotEquals",
            "aws:Referer",
            r#"["x","y"]"#,
            Some(&["y"]),
            false,
        ),
        ("StringNotEquals", "aws:Referer", r#""x""#, NONE, true),
        (
            "StringEqualsIgnoreCase",
            "aws:UserAgent",
            r#""Mozilla""#,
            Some(&["mOZILLA"]),
            true,
        ),
        (
            "StringEqualsIgnoreCase",
            "aws:UserAgent",
            r#""Été""#,
            Some(&["éTÉ"]),
            true,
        ),
        (
            "StringEqualsIgnoreCase",
            "aws:UserAgent",
            r#""Mozilla""#,
            Some(&["Mozill"]),
            false,
        ),
        (
            "StringEqualsIgnoreCase",
            "aws:UserAgent",
            r#""Mozilla""#,
            NONE,
            false,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "aws:UserAgent",
            r#""Mozilla""#,
            Some(&["MOZILLA"]),
            false,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "aws:UserAgent",
            r#""Mozilla""#,
            Some(&["curl"]),
            true,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "aws:UserAgent",
            r#""Mozilla""#,
            NONE,
            true,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#""home/*""#,
            Some(&["home/a/b"]),
            true,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#""home/?""#,
            Some(&["home/ab"]),
            false,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#"["", "docs/*"]"#,
            Some(&[""]),
            true,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#""Home/*""#,
            Some(&["home/a"]),
            false,
        ),
        ("StringLike", "s3:prefix", r#""*""#, NONE, false),
        (
            "StringNotLike",
            "s3:prefix",
            r#""tmp/*""#,
            Some(&["home/a"]),
            true,
        ),
        (
            "StringNotLike",
            "s3:prefix",
            r#""tmp/*""#,
            Some(&["tmp/a"]),
            false,
        ),
        (
            "StringNotLike",
            "s3:prefix",
            r#"["tmp/*","*.bak"]"#,
            Some(&["x.bak"]),
            false,
        ),
        ("StringNotLike", "s3:prefix", r#""tmp/*""#, NONE, true),
        // Key names are case-insensitive.
        ("StringEquals", "S3:PREFIX", r#""p""#, Some(&["p"]), true),
        (
            "StringEquals",
            "s3:X-Amz-Metadata-Directive",
            r#""REPLACE""#,
            Some(&["REPLACE"]),
            true,
        ),
        (
            "StringEquals",
            "s3:x-amz-content-sha256",
            r#""UNSIGNED-PAYLOAD""#,
            Some(&["UNSIGNED-PAYLOAD"]),
            true,
        ),
        (
            "StringEquals",
            "s3:signatureversion",
            r#""AWS4-HMAC-SHA256""#,
            Some(&["AWS4-HMAC-SHA256"]),
            true,
        ),
        (
            "StringEquals",
            "s3:authType",
            r#""REST-QUERY-STRING""#,
            Some(&["REST-HEADER"]),
            false,
        ),
    ]);
    assert_eq!(n, 31);
}

#[test]
fn numeric_operators() {
    check(&[
        (
            "NumericEquals",
            "s3:max-keys",
            r#""10""#,
            Some(&["10"]),
            true,
        ),
        ("NumericEquals", "s3:max-keys", "10", Some(&["10.0"]), true),
        ("NumericEquals", "s3:max-keys", "10", Some(&["11"]), false),
        ("NumericEquals", "s3:max-keys", "10", Some(&["ten"]), false),
        ("NumericEquals", "s3:max-keys", "10", NONE, false),
        ("NumericNotEquals", "s3:max-keys", "10", Some(&["11"]), true),
        (
            "NumericNotEquals",
            "s3:max-keys",
            "10",
            Some(&["10"]),
            false,
        ),
        ("NumericNotEquals", "s3:max-keys", "10", NONE, true),
        ("NumericLessThan", "s3:max-keys", "10", Some(&["9"]), true),
        ("NumericLessThan", "s3:max-keys", "10", Some(&["10"]), false),
        ("NumericLessThan", "s3:max-keys", "10", NONE, false),
        (
            "NumericLessThanEquals",
            "s3:max-keys",
            "10",
            Some(&["10"]),
            true,
        ),
        (
            "NumericLessThanEquals",
            "s3:max-keys",
            "10",
            Some(&["10.5"]),
            false,
        ),
        (
            "NumericGreaterThan",
            "s3:max-keys",
            "10",
            Some(&["10.5"]),
            true,
        ),
        (
            "NumericGreaterThan",
            "s3:max-keys",
            "10",
            Some(&["-3"]),
            false,
        ),
        (
            "NumericGreaterThanEquals",
            "s3:max-keys",
            "10",
            Some(&["10"]),
            true,
        ),
        (
            "NumericGreaterThanEquals",
            "s3:max-keys",
            "10",
            Some(&["9.99"]),
            false,
        ),
        ("NumericGreaterThanEquals", "s3:max-keys", "10", NONE, false),
        (
            "NumericLessThan",
            "s3:max-keys",
            "[5, 100]",
            Some(&["50"]),
            true,
        ),
    ]);
}

#[test]
fn date_operators() {
    // 2026-01-01T00:00:00Z = 1767225600.
    let t = "\"2026-01-01T00:00:00Z\"";
    check(&[
        (
            "DateEquals",
            "aws:CurrentTime",
            t,
            Some(&["2026-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateEquals",
            "aws:CurrentTime",
            t,
            Some(&["2026-01-01T01:00:00+01:00"]),
            true,
        ),
        (
            "DateEquals",
            "aws:EpochTime",
            t,
            Some(&["1767225600"]),
            true,
        ),
        (
            "DateEquals",
            "aws:CurrentTime",
            "\"1767225600\"",
            Some(&["2026-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateEquals",
            "aws:CurrentTime",
            t,
            Some(&["2026-01-01T00:00:01Z"]),
            false,
        ),
        ("DateEquals", "aws:CurrentTime", t, NONE, false),
        (
            "DateNotEquals",
            "aws:CurrentTime",
            t,
            Some(&["2026-01-01T00:00:01Z"]),
            true,
        ),
        (
            "DateNotEquals",
            "aws:CurrentTime",
            t,
            Some(&["2026-01-01T00:00:00Z"]),
            false,
        ),
        ("DateNotEquals", "aws:CurrentTime", t, NONE, true),
        (
            "DateLessThan",
            "aws:CurrentTime",
            t,
            Some(&["2025-12-31T23:59:59Z"]),
            true,
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            t,
            Some(&["2026-01-01T00:00:00Z"]),
            false,
        ),
        (
            "DateLessThanEquals",
            "aws:CurrentTime",
            t,
            Some(&["2026-01-01T00:00:00Z"]),
            true,
        ),
        (
            "DateLessThanEquals",
            "aws:EpochTime",
            t,
            Some(&["1767225601"]),
            false,
        ),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            t,
            Some(&["2026-06-01T00:00:00Z"]),
            true,
        ),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            t,
            Some(&["2020-01-01"]),
            false,
        ),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            t,
            Some(&["garbage"]),
            false,
        ),
        (
            "DateGreaterThanEquals",
            "aws:EpochTime",
            t,
            Some(&["1767225600"]),
            true,
        ),
        ("DateGreaterThanEquals", "aws:EpochTime", t, NONE, false),
        (
            "DateLessThan",
            "aws:CurrentTime",
            "\"2026-01-01\"",
            Some(&["2025-12-31T12:00:00Z"]),
            true,
        ),
    ]);
}

#[test]
fn bool_ip_arn_null() {
    check(&[
        (
            "Bool",
            "aws:SecureTransport",
            "\"true\"",
            Some(&["true"]),
            true,
        ),
        ("Bool", "aws:SecureTransport", "true", Some(&["TRUE"]), true),
        (
            "Bool",
            "aws:SecureTransport",
            "\"false\"",
            Some(&["true"]),
            false,
        ),
        (
            "Bool",
            "aws:SecureTransport",
            "\"false\"",
            Some(&["yes"]),
            false,
        ),
        ("Bool", "aws:SecureTransport", "\"false\"", NONE, false),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["10.1.2.3"]),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["11.1.2.3"]),
            false,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#"["10.0.0.0/8","fd00::/8"]"#,
            Some(&["fd12::1"]),
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["fd12::1"]),
            false,
        ),
        ("IpAddress", "aws:SourceIp", r#""10.0.0.0/8""#, NONE, false),
        (
            "NotIpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["11.1.2.3"]),
            true,
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["10.9.9.9"]),
            false,
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            NONE,
            true,
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            r#""0.0.0.0/0""#,
            Some(&["1.2.3.4"]),
            true,
        ),
        (
            "ArnEquals",
            "aws:PrincipalArn",
            r#""arn:aws:iam::000000000000001:user/alice""#,
            Some(&["arn:aws:iam::000000000000001:user/alice"]),
            true,
        ),
        (
            "ArnEquals",
            "aws:PrincipalArn",
            r#""arn:aws:iam::*:user/alice""#,
            Some(&["arn:aws:iam::000000000000001:user/alice"]),
            true,
        ),
        (
            "ArnLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::000000000000001:user/*""#,
            Some(&["arn:aws:iam::000000000000001:user/alice"]),
            true,
        ),
        (
            "ArnLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::000000000000001:user/*""#,
            Some(&["arn:aws:iam::000000000000002:user/bob"]),
            false,
        ),
        // `*` does not cross a component boundary: the account component must match alone.
        (
            "ArnLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam:::*""#,
            Some(&["arn:aws:iam::000000000000001:user/alice"]),
            false,
        ),
        (
            "ArnLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::*:*""#,
            Some(&["arn:aws:iam::000000000000001:user/alice"]),
            true,
        ),
        (
            "ArnLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::*:*""#,
            Some(&["not-an-arn"]),
            false,
        ),
        (
            "ArnLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::*:*""#,
            NONE,
            false,
        ),
        (
            "ArnNotEquals",
            "aws:PrincipalArn",
            r#""arn:aws:iam::000000000000001:root""#,
            Some(&["arn:aws:iam::000000000000001:user/alice"]),
            true,
        ),
        (
            "ArnNotLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::000000000000001:*""#,
            Some(&["arn:aws:iam::000000000000001:user/alice"]),
            false,
        ),
        (
            "ArnNotLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::000000000000001:*""#,
            NONE,
            true,
        ),
        ("Null", "aws:username", "\"true\"", NONE, true),
        ("Null", "aws:username", "\"true\"", Some(&["alice"]), false),
        ("Null", "aws:username", "\"false\"", Some(&["alice"]), true),
        ("Null", "aws:username", "false", NONE, false),
        ("Null", "s3:prefix", "\"true\"", Some(&[]), true), // an empty value list counts as absent
    ]);
}

#[test]
fn if_exists_forms() {
    check(&[
        ("StringEqualsIfExists", "aws:Referer", r#""x""#, NONE, true),
        (
            "StringEqualsIfExists",
            "aws:Referer",
            r#""x""#,
            Some(&["x"]),
            true,
        ),
        (
            "StringEqualsIfExists",
            "aws:Referer",
            r#""x""#,
            Some(&["y"]),
            false,
        ),
        (
            "StringNotEqualsIfExists",
            "aws:Referer",
            r#""x""#,
            NONE,
            true,
        ),
        (
            "StringNotEqualsIfExists",
            "aws:Referer",
            r#""x""#,
            Some(&["x"]),
            false,
        ),
        (
            "StringEqualsIgnoreCaseIfExists",
            "aws:Referer",
            r#""X""#,
            Some(&["x"]),
            true,
        ),
        (
            "StringNotEqualsIgnoreCaseIfExists",
            "aws:Referer",
            r#""X""#,
            Some(&["x"]),
            false,
        ),
        ("StringLikeIfExists", "s3:prefix", r#""a*""#, NONE, true),
        (
            "StringLikeIfExists",
            "s3:prefix",
            r#""a*""#,
            Some(&["b"]),
            false,
        ),
        (
            "StringNotLikeIfExists",
            "s3:prefix",
            r#""a*""#,
            Some(&["b"]),
            true,
        ),
        ("NumericLessThanIfExists", "s3:max-keys", "10", NONE, true),
        (
            "NumericLessThanIfExists",
            "s3:max-keys",
            "10",
            Some(&["100"]),
            false,
        ),
        (
            "NumericNotEqualsIfExists",
            "s3:max-keys",
            "10",
            Some(&["10"]),
            false,
        ),
        (
            "NumericEqualsIfExists",
            "s3:max-keys",
            "10",
            Some(&["10"]),
            true,
        ),
        (
            "NumericLessThanEqualsIfExists",
            "s3:max-keys",
            "10",
            NONE,
            true,
        ),
        (
            "NumericGreaterThanIfExists",
            "s3:max-keys",
            "10",
            Some(&["11"]),
            true,
        ),
        (
            "NumericGreaterThanEqualsIfExists",
            "s3:max-keys",
            "10",
            Some(&["9"]),
            false,
        ),
        (
            "DateLessThanIfExists",
            "aws:CurrentTime",
            r#""2026-01-01""#,
            NONE,
            true,
        ),
        (
            "DateGreaterThanIfExists",
            "aws:CurrentTime",
            r#""2026-01-01""#,
            Some(&["2025-01-01"]),
            false,
        ),
        (
            "DateEqualsIfExists",
            "aws:EpochTime",
            r#""0""#,
            Some(&["0"]),
            true,
        ),
        (
            "DateNotEqualsIfExists",
            "aws:EpochTime",
            r#""0""#,
            Some(&["0"]),
            false,
        ),
        (
            "DateLessThanEqualsIfExists",
            "aws:EpochTime",
            r#""0""#,
            Some(&["0"]),
            true,
        ),
        (
            "DateGreaterThanEqualsIfExists",
            "aws:EpochTime",
            r#""0""#,
            Some(&["-1"]),
            false,
        ),
        (
            "BoolIfExists",
            "aws:SecureTransport",
            "\"true\"",
            NONE,
            true,
        ),
        (
            "BoolIfExists",
            "aws:SecureTransport",
            "\"true\"",
            Some(&["false"]),
            false,
        ),
        (
            "IpAddressIfExists",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            NONE,
            true,
        ),
        (
            "IpAddressIfExists",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["8.8.8.8"]),
            false,
        ),
        (
            "NotIpAddressIfExists",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["10.0.0.1"]),
            false,
        ),
        (
            "ArnLikeIfExists",
            "aws:PrincipalArn",
            r#""arn:aws:iam::*:root""#,
            NONE,
            true,
        ),
        (
            "ArnEqualsIfExists",
            "aws:PrincipalArn",
            r#""arn:aws:iam::*:root""#,
            Some(&["arn:aws:iam::000000000000001:user/alice"]),
            false,
        ),
        (
            "ArnNotEqualsIfExists",
            "aws:PrincipalArn",
            r#""arn:aws:iam::*:root""#,
            Some(&["arn:aws:iam::000000000000001:user/alice"]),
            true,
        ),
        (
            "ArnNotLikeIfExists",
            "aws:PrincipalArn",
            r#""arn:aws:iam::*:root""#,
            NONE,
            true,
        ),
    ]);
}

#[test]
fn set_qualifiers() {
    let ab: &[&str] = &["a", "b"];
    check(&[
        (
            "ForAnyValue:StringEquals",
            "s3:prefix",
            r#"["a","z"]"#,
            Some(ab),
            true,
        ),
        (
            "ForAnyValue:StringEquals",
            "s3:prefix",
            r#"["y","z"]"#,
            Some(ab),
            false,
        ),
        (
            "ForAnyValue:StringEquals",
            "s3:prefix",
            r#"["a"]"#,
            NONE,
            false,
        ),
        (
            "ForAnyValue:StringEqualsIfExists",
            "s3:prefix",
            r#"["a"]"#,
            NONE,
            true,
        ),
        (
            "ForAllValues:StringEquals",
            "s3:prefix",
            r#"["a","b","c"]"#,
            Some(ab),
            true,
        ),
        (
            "ForAllValues:StringEquals",
            "s3:prefix",
            r#"["a","c"]"#,
            Some(ab),
            false,
        ),
        (
            "ForAllValues:StringEquals",
            "s3:prefix",
            r#"["a"]"#,
            NONE,
            true,
        ),
        (
            "ForAllValues:StringLike",
            "s3:prefix",
            r#"["*"]"#,
            Some(ab),
            true,
        ),
        (
            "ForAnyValue:StringNotEquals",
            "s3:prefix",
            r#"["a"]"#,
            Some(ab),
            true,
        ),
        (
            "ForAnyValue:StringNotEquals",
            "s3:prefix",
            r#"["a","b"]"#,
            Some(ab),
            false,
        ),
        (
            "ForAnyValue:StringNotEquals",
            "s3:prefix",
            r#"["a"]"#,
            NONE,
            false,
        ),
        (
            "ForAllValues:StringNotEquals",
            "s3:prefix",
            r#"["c"]"#,
            Some(ab),
            true,
        ),
        (
            "ForAllValues:StringNotEquals",
            "s3:prefix",
            r#"["a"]"#,
            Some(ab),
            false,
        ),
        (
            "ForAllValues:StringNotEquals",
            "s3:prefix",
            r#"["a"]"#,
            NONE,
            true,
        ),
        (
            "ForAnyValue:NumericLessThan",
            "s3:max-keys",
            "5",
            Some(&["10", "1"]),
            true,
        ),
        (
            "ForAllValues:NumericLessThan",
            "s3:max-keys",
            "5",
            Some(&["10", "1"]),
            false,
        ),
        (
            "ForAnyValue:IpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["1.1.1.1", "10.0.0.1"]),
            true,
        ),
        (
            "ForAllValues:IpAddress",
            "aws:SourceIp",
            r#""10.0.0.0/8""#,
            Some(&["1.1.1.1", "10.0.0.1"]),
            false,
        ),
        (
            "ForAnyValue:Bool",
            "aws:SecureTransport",
            "true",
            Some(&["false", "true"]),
            true,
        ),
        (
            "ForAllValues:ArnLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::*:user/*""#,
            Some(&[
                "arn:aws:iam::000000000000001:user/a",
                "arn:aws:iam::000000000000002:user/b",
            ]),
            true,
        ),
        // Without a qualifier a multi-valued key matches when any value does (positive) /
        // none does (negated).
        ("StringEquals", "s3:prefix", r#""b""#, Some(ab), true),
        ("StringNotEquals", "s3:prefix", r#""b""#, Some(ab), false),
        ("StringNotEquals", "s3:prefix", r#""c""#, Some(ab), true),
    ]);
}

#[test]
fn policy_variables_in_conditions() {
    check(&[
        (
            "StringEquals",
            "s3:prefix",
            r#""home/${aws:username}/""#,
            Some(&["home/alice/"]),
            true,
        ),
        (
            "StringEquals",
            "s3:prefix",
            r#""home/${aws:username}/""#,
            Some(&["home/bob/"]),
            false,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#""home/${aws:username}/*""#,
            Some(&["home/alice/x/y"]),
            true,
        ),
        (
            "StringLike",
            "s3:prefix",
            r#""${aws:userid}-*""#,
            Some(&["AIDAALICE-1"]),
            true,
        ),
        (
            "StringEqualsIgnoreCase",
            "s3:prefix",
            r#""${aws:username}""#,
            Some(&["ALICE"]),
            true,
        ),
        (
            "StringEquals",
            "s3:prefix",
            r#""${aws:PrincipalAccount}""#,
            Some(&["000000000000001"]),
            true,
        ),
        (
            "StringEquals",
            "s3:prefix",
            r#""a${*}b${?}c${$}""#,
            Some(&["a*b?c$"]),
            true,
        ),
        ("StringLike", "s3:prefix", r#""${*}*""#, Some(&["x"]), false),
        ("StringLike", "s3:prefix", r#""${*}*""#, Some(&["*x"]), true),
        // A variable whose key is absent: the condition does not hold, even negated.
        (
            "StringEquals",
            "s3:prefix",
            r#""${aws:SourceIp}""#,
            Some(&["x"]),
            false,
        ),
        (
            "StringNotEquals",
            "s3:prefix",
            r#""${aws:SourceIp}""#,
            Some(&["x"]),
            false,
        ),
        (
            "StringNotLike",
            "s3:prefix",
            r#"["${aws:SourceIp}", "zzz"]"#,
            Some(&["x"]),
            false,
        ),
        (
            "ArnLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}""#,
            Some(&["arn:aws:iam::000000000000001:user/alice"]),
            true,
        ),
        (
            "ArnLike",
            "aws:PrincipalArn",
            r#""arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}""#,
            Some(&["arn:aws:iam::000000000000002:user/alice"]),
            false,
        ),
    ]);
}

#[test]
fn several_operators_and_keys_are_anded() {
    let policy = identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*",
          "Condition":{"StringLike":{"s3:prefix":"docs/*","s3:delimiter":"/"},"NumericLessThanEquals":{"s3:max-keys":"100"}}}]}"#,
    );
    let rows: &[(&[(&str, &str)], bool)] = &[
        (
            &[
                ("s3:prefix", "docs/a"),
                ("s3:delimiter", "/"),
                ("s3:max-keys", "100"),
            ],
            true,
        ),
        (
            &[
                ("s3:prefix", "docs/a"),
                ("s3:delimiter", "/"),
                ("s3:max-keys", "101"),
            ],
            false,
        ),
        (
            &[
                ("s3:prefix", "docs/a"),
                ("s3:delimiter", "|"),
                ("s3:max-keys", "1"),
            ],
            false,
        ),
        (
            &[
                ("s3:prefix", "img/a"),
                ("s3:delimiter", "/"),
                ("s3:max-keys", "1"),
            ],
            false,
        ),
        (&[("s3:prefix", "docs/a"), ("s3:delimiter", "/")], false),
    ];
    for (keys, want) in rows {
        let request = ctx(Who::Alice, "s3:ListBucket", "arn:aws:s3:::b", keys);
        assert_eq!(
            decide(&request, Some(owner()), &[&policy], None) == Decision::Allow,
            *want,
            "{keys:?}"
        );
    }
}
