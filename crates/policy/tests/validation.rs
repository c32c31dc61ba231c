//! MalformedPolicy cases: each names the offending element in its message.

use s4_policy::{CompiledPolicy, PolicyElement as E, MAX_BUCKET_POLICY_BYTES};

fn bucket(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
}

#[test]
fn bucket_policy_errors() {
    let cases: &[(String, E, &str)] = &[
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::photos/*"}"#), E::Action, r#"Invalid Action "s3:GetObjekt" in statement 0: not a known action"#),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::photos/*"}"#), E::Action, r#"unknown service "ec2""#),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"GetObject","Resource":"arn:aws:s3:::photos/*"}"#), E::Action, "must be \"*\" or service:action"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:","Resource":"arn:aws:s3:::photos/*"}"#), E::Action, "the action name is empty"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"iam:GetUser","Resource":"arn:aws:s3:::photos/*"}"#), E::Action, "bucket policies can only name s3: actions"),
        (bucket(r#"{"Sid":"X","Effect":"Allow","Principal":"*","NotAction":"s3:Nope","Resource":"arn:aws:s3:::photos/*"}"#), E::Action, r#"Invalid NotAction "s3:Nope" in statement 0 (Sid "X")"#),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}"#), E::Resource, r#"Invalid Resource "arn:aws:s3:::other/*" in statement 0: does not refer to bucket photos"#),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#), E::Resource, "a bucket policy's resources must be S3 ARNs of bucket photos"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:iam::000000000000001:user/a"}"#), E::Resource, "must be S3 ARNs"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"photos/*"}"#), E::Resource, r#"Invalid Resource "photos/*" in statement 0: ARN must start with "arn:""#),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::photo/*"}"#), E::Resource, "Invalid NotResource"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos"}"#), E::Resource, "Action does not apply to any resource(s) in statement 0: s3:GetObject needs an object"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::photos/*"}"#), E::Resource, "s3:ListBucket needs a bucket"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::photos"}"#), E::Resource, "needs an account-level resource"),
        (bucket(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#), E::Principal, "Missing required element Principal (or NotPrincipal) in statement 0"),
        (bucket(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000001:group/devs"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#), E::Principal, "groups cannot be principals in S4"),
        (bucket(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000001:user/*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#), E::Principal, "wildcards are not allowed"),
        (bucket(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#), E::Principal, "IAM ARN account is invalid"),
        (bucket(r#"{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#), E::Principal, r#"Invalid principal "12345" in statement 0: not an ARN or an account ID"#),
        (bucket(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::photos"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#), E::Principal, "must be a user ARN, an account root ARN or an account ID"),
        (bucket(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::aws:policy/S3ReadAccess"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#), E::Principal, "must be a user ARN"),
        (bucket(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000001:user/bad name"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#), E::Principal, "Invalid principal"),
        (bucket(r#"{"Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#), E::Principal, r#"principal type "CanonicalUser""#),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringSortOf":{"s3:prefix":"a"}}}"#), E::Condition, r#"Invalid Condition operator "StringSortOf": not a known operator in statement 0"#),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"NullIfExists":{"s3:prefix":"true"}}}"#), E::Condition, "Null takes no IfExists"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"Null":{"s3:prefix":["true","false"]}}}"#), E::Condition, "takes exactly one value"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"IpAddress":{"aws:SourceIp":"300.1.1.1"}}}"#), E::Condition, r#"Invalid Condition value "300.1.1.1" for IpAddress on key aws:SourceIp: not an IP address or CIDR"#),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}"#), E::Condition, "not a number"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}}"#), E::Condition, "not an ISO 8601 date"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}"#), E::Condition, "not true or false"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"ArnLike":{"aws:PrincipalArn":"alice"}}}"#), E::Condition, "not an ARN"),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{"prefix":"a"}}}"#), E::Condition, r#"Invalid Condition key "prefix" in statement 0: must be service:name"#),
        (bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"StringEquals":{":a":"a"}}}"#), E::Condition, "must be service:name"),
        (bucket(""), E::Statement, "Policy has no statements"),
        (
            bucket(r#"{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"},{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#),
            E::Sid,
            r#"Duplicate Sid "A" in statement 1"#,
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}"#.into(),
            E::Json,
            "duplicate key \"Effect\"",
        ),
    ];
    for (text, element, needle) in cases {
        let e = CompiledPolicy::parse_bucket(text, "photos").expect_err(text);
        assert_eq!(e.element(), *element, "{text}: {e}");
        assert!(
            e.to_string().contains(needle),
            "{text}:\n  got  {e}\n  want {needle}"
        );
        assert_eq!(e.message(), e.to_string());
    }
}

#[test]
fn bucket_policies_that_are_fine() {
    let ok = [
        bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}"#),
        bucket(r#"{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::photos/*"}"#),
        bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::photos"}"#),
        bucket(r#"{"Effect":"Allow","Principal":"*","Action":"S3:getobject","Resource":"arn:aws:s3:::pho*/*"}"#),
        bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/*"}"#),
        bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::*"}"#),
        bucket(r#"{"Effect":"Deny","NotPrincipal":{"AWS":["000000000000001"]},"NotAction":"s3:GetObject","NotResource":"arn:aws:s3:::photos/public/*"}"#),
        bucket(r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000001:user/alice+ops@example.com","arn:aws:iam::000000000000002:root","000000000000003"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/${aws:username}/*"}"#),
        bucket(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"ForAnyValue:StringLikeIfExists":{"s3:prefix":["a",1,true]}}}"#),
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}}"#.to_owned(),
    ];
    for text in ok {
        let p =
            CompiledPolicy::parse_bucket(&text, "photos").unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(p.name(), "bucket policy of photos");
        assert_eq!(p.kind(), &s4_policy::PolicyKind::Bucket("photos".into()));
    }
}

#[test]
fn size_limit_is_20_kb() {
    let statement = r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#;
    let base = bucket(statement);
    // Pad with whitespace (valid JSON) up to exactly the limit, then one byte more.
    let at_limit = format!("{base}{}", " ".repeat(MAX_BUCKET_POLICY_BYTES - base.len()));
    assert_eq!(at_limit.len(), 20 * 1024);
    assert!(CompiledPolicy::parse_bucket(&at_limit, "photos").is_ok());
    let over = format!("{at_limit} ");
    let e = CompiledPolicy::parse_bucket(&over, "photos").unwrap_err();
    assert_eq!(e.element(), E::Size);
    assert_eq!(
        e.to_string(),
        "Policy exceeds the maximum allowed document size: 20481 bytes, at most 20480"
    );
    // Identity policies have no such limit here.
    let identity = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}]}}{}"#,
        " ".repeat(30_000)
    );
    assert!(CompiledPolicy::parse_identity(&identity).is_ok());
}

#[test]
fn identity_policy_rules() {
    let id = |statement: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
    let bad: &[(String, E, &str)] = &[
        (
            id(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#),
            E::Principal,
            "Principal is not allowed in statement 0",
        ),
        (
            id(r#"{"Effect":"Allow","NotPrincipal":"*","Action":"s3:GetObject","Resource":"*"}"#),
            E::Principal,
            "NotPrincipal is not allowed",
        ),
        (
            id(r#"{"Effect":"Allow","Action":"iam:AssumeRole","Resource":"*"}"#),
            E::Action,
            "not a known action",
        ),
        (
            id(r#"{"Effect":"Allow","Action":"sts:*","Resource":"*"}"#),
            E::Action,
            "unknown service",
        ),
        (
            id(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:ec2:::x"}"#),
            E::Resource,
            "ARN service must be",
        ),
        (
            id(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket/key"}"#),
            E::Resource,
            "ARN must start with",
        ),
        (
            id(
                r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":[]}}}"#,
            ),
            E::Condition,
            "empty value list",
        ),
        (
            "{\"Version\":\"2012-10-17\",\"Statement\":[]}".into(),
            E::Statement,
            "no statements",
        ),
    ];
    for (text, element, needle) in bad {
        let e = CompiledPolicy::parse_identity(text).expect_err(text);
        assert_eq!(e.element(), *element, "{text}: {e}");
        assert!(e.to_string().contains(needle), "{text}: {e}");
    }
    let ok = [
        id(r#"{"Effect":"Allow","Action":["iam:*","s3:*"],"Resource":"*"}"#),
        id(
            r#"{"Effect":"Allow","Action":"iam:CreateUser","Resource":"arn:aws:iam::000000000000001:user/*"}"#,
        ),
        id(
            r#"{"Effect":"Allow","Action":"IAM:createuser","Resource":["arn:aws:iam::000000000000001:group/g","arn:aws:iam::aws:policy/S3ReadAccess"]}"#,
        ),
        id(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::any/${aws:username}"}"#,
        ),
        // Identity policies do not check action/resource kinds.
        id(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}"#),
    ];
    for text in ok {
        let p = CompiledPolicy::parse_identity(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(p.kind(), &s4_policy::PolicyKind::Identity);
    }
}

#[test]
fn compiled_accessors() {
    let p = CompiledPolicy::parse_bucket(
        r#"{"Version":"2012-10-17","Id":"Doc1","Statement":[
          {"Sid":"One","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000002:user/bob","000000000000003"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},
          {"Effect":"Deny","Principal":{"AWS":"000000000000002"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/x"}
        ]}"#,
        "photos",
    )
    .unwrap();
    assert_eq!(p.id(), Some("Doc1"));
    assert_eq!(p.statement_count(), 2);
    assert_eq!(p.statement_sid(0), Some("One"));
    assert_eq!(p.statement_sid(1), None);
    assert_eq!(p.statement_sid(2), None);
    assert_eq!(p.condition_keys(), [("Bool", "aws:SecureTransport")]);
    assert_eq!(
        p.resources(),
        ["arn:aws:s3:::photos/*", "arn:aws:s3:::photos/x"]
    );
    let accounts: Vec<String> = p
        .principal_accounts()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(accounts, ["000000000000002", "000000000000003"]);
}
