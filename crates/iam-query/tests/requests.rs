//! Parsing of every action from a GET query string and a POST form body, every validation
//! error, and request serialization round trips.

use s4_iam_query::{
    AccessKeyStatus, IamAction, IamError, IamErrorCode, IamRequest, Page, ParseOptions, PolicyArn,
    PolicyFilter, PolicyPage, PolicyScope, PolicyUsage, QueryParams, Tag,
};

const V: &str = "Action={}&Version=2010-05-08";

fn opts() -> ParseOptions {
    ParseOptions::default()
}

/// Parses `params` (without Action and Version) for `action` both as a query string and as
/// a form body, checks both readings agree, and returns the result.
fn parse(action: &str, params: &str) -> Result<IamRequest, IamError> {
    let mut text = V.replace("{}", action);
    if !params.is_empty() {
        text.push('&');
        text.push_str(params);
    }
    let query = IamRequest::from_query(&text, &opts());
    let form = IamRequest::from_form(text.as_bytes(), &opts());
    assert_eq!(query, form, "GET and POST differ for {text}");
    // Parameters may also be split between the query string and the body.
    let (head, tail) = text.split_at(text.find('&').unwrap_or(text.len()));
    let split = IamRequest::from_query_and_form(head, tail.as_bytes(), &opts());
    assert_eq!(split, query, "split reading differs for {text}");
    if let Ok(request) = &query {
        // Serialization round trip.
        let again = IamRequest::from_form(request.to_form_string().as_bytes(), &opts());
        assert_eq!(again.as_ref(), Ok(request), "round trip of {text}");
    }
    query
}

fn ok(action: &str, params: &str) -> IamRequest {
    parse(action, params).unwrap_or_else(|e| panic!("{action} {params}: {e}"))
}

fn err(action: &str, params: &str) -> IamError {
    match parse(action, params) {
        Ok(r) => panic!("{action} {params} parsed as {r:?}"),
        Err(e) => e,
    }
}

fn arn(name: &str) -> PolicyArn {
    PolicyArn::parse(&format!("arn:aws:iam::aws:policy/{name}")).unwrap()
}

const ADMIN: &str = "PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAdministratorAccess";

#[test]
fn policy_actions() {
    assert_eq!(
        ok("GetPolicy", ADMIN),
        IamRequest::GetPolicy {
            policy_arn: arn("AdministratorAccess")
        }
    );
    // ':' and '/' need no encoding in a query string.
    assert_eq!(
        ok(
            "GetPolicy",
            "PolicyArn=arn:aws:iam::aws:policy/S3ReadAccess"
        ),
        IamRequest::GetPolicy {
            policy_arn: arn("S3ReadAccess")
        }
    );
    assert_eq!(
        ok("GetPolicyVersion", &format!("{ADMIN}&VersionId=v1")),
        IamRequest::GetPolicyVersion {
            policy_arn: arn("AdministratorAccess"),
            version_id: "v1".into()
        }
    );
    assert_eq!(
        ok("ListPolicies", ""),
        IamRequest::ListPolicies {
            page: PolicyPage::default(),
            filter: PolicyFilter::default(),
        }
    );
    assert_eq!(
        ok(
            "ListPolicies",
            "Marker=3&MaxItems=1000&OnlyAttached=true&Scope=AWS&PathPrefix=%2F\
             &PolicyUsageFilter=PermissionsPolicy"
        ),
        IamRequest::ListPolicies {
            page: PolicyPage {
                marker: Some(3),
                max_items: Some(1000)
            },
            filter: PolicyFilter {
                only_attached: true,
                scope: PolicyScope::Aws,
                usage: Some(PolicyUsage::PermissionsPolicy),
            },
        }
    );
    assert_eq!(
        ok(
            "ListPolicies",
            "OnlyAttached=False&Scope=Local&PolicyUsageFilter=PermissionsBoundary"
        ),
        IamRequest::ListPolicies {
            page: PolicyPage::default(),
            filter: PolicyFilter {
                only_attached: false,
                scope: PolicyScope::Local,
                usage: Some(PolicyUsage::PermissionsBoundary),
            },
        }
    );
    // Values outside AWS's sets are ValidationError, each named with its set.
    let e = err(
        "ListPolicies",
        "OnlyAttached=yes&Scope=aws&PolicyUsageFilter=x",
    );
    assert_eq!(e.code(), IamErrorCode::ValidationError);
    assert_eq!(
        e.message(),
        "3 validation errors detected: \
         Value 'yes' at 'onlyAttached' failed to satisfy constraint: \
         Member must satisfy enum value set: [false, true]; \
         Value 'aws' at 'scope' failed to satisfy constraint: \
         Member must satisfy enum value set: [All, AWS, Local]; \
         Value 'x' at 'policyUsageFilter' failed to satisfy constraint: \
         Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]"
    );
    assert_eq!(
        ok(
            "ListAttachedUserPolicies",
            "UserName=alice&Marker=0&MaxItems=1&PathPrefix=%2F"
        ),
        IamRequest::ListAttachedUserPolicies {
            user_name: "alice".into(),
            page: PolicyPage {
                marker: Some(0),
                max_items: Some(1)
            }
        }
    );
    assert_eq!(
        ok("ListAttachedGroupPolicies", "GroupName=devs"),
        IamRequest::ListAttachedGroupPolicies {
            group_name: "devs".into(),
            page: PolicyPage::default()
        }
    );
    for (action, expected) in [
        (
            "AttachUserPolicy",
            IamRequest::AttachUserPolicy {
                user_name: "alice".into(),
                policy_arn: arn("AdministratorAccess"),
            },
        ),
        (
            "DetachUserPolicy",
            IamRequest::DetachUserPolicy {
                user_name: "alice".into(),
                policy_arn: arn("AdministratorAccess"),
            },
        ),
    ] {
        assert_eq!(ok(action, &format!("UserName=alice&{ADMIN}")), expected);
    }
    for (action, expected) in [
        (
            "AttachGroupPolicy",
            IamRequest::AttachGroupPolicy {
                group_name: "devs".into(),
                policy_arn: arn("S3ListAccess"),
            },
        ),
        (
            "DetachGroupPolicy",
            IamRequest::DetachGroupPolicy {
                group_name: "devs".into(),
                policy_arn: arn("S3ListAccess"),
            },
        ),
    ] {
        assert_eq!(
            ok(
                action,
                "GroupName=devs&PolicyArn=arn:aws:iam::aws:policy/S3ListAccess"
            ),
            expected
        );
    }
}

#[test]
fn user_and_group_actions() {
    assert_eq!(
        ok("CreateUser", "UserName=alice"),
        IamRequest::CreateUser {
            user_name: "alice".into(),
            tags: vec![]
        }
    );
    assert_eq!(
        ok("CreateUser", "UserName=alice&Path=%2F"),
        IamRequest::CreateUser {
            user_name: "alice".into(),
            tags: vec![]
        }
    );
    // S4 has no permissions boundaries: refused rather than silently ignored.
    let e = err(
        "CreateUser",
        "UserName=alice&PermissionsBoundary=arn:aws:iam::aws:policy/S3ReadAccess",
    );
    assert_eq!(e.code(), IamErrorCode::InvalidInput);
    assert_eq!(e.message(), "PermissionsBoundary is not supported by S4.");
    assert_eq!(ok("GetUser", ""), IamRequest::GetUser { user_name: None });
    assert_eq!(
        ok("GetUser", "UserName=a%2Bb%40c.d"),
        IamRequest::GetUser {
            user_name: Some("a+b@c.d".into())
        }
    );
    assert_eq!(
        ok("ListUsers", "PathPrefix=%2Fanything%2F"),
        IamRequest::ListUsers {
            page: Page::default()
        }
    );
    assert_eq!(
        ok("ListUsers", "Marker=bob+%C3%A9&MaxItems=2"),
        IamRequest::ListUsers {
            page: Page {
                marker: Some("bob é".into()),
                max_items: Some(2)
            }
        }
    );
    assert_eq!(
        ok("DeleteUser", "UserName=alice"),
        IamRequest::DeleteUser {
            user_name: "alice".into()
        }
    );
    assert_eq!(
        ok("CreateGroup", "GroupName=devs&Path=/"),
        IamRequest::CreateGroup {
            group_name: "devs".into()
        }
    );
    assert_eq!(
        ok("GetGroup", "GroupName=devs&Marker=m&MaxItems=5"),
        IamRequest::GetGroup {
            group_name: "devs".into(),
            page: Page {
                marker: Some("m".into()),
                max_items: Some(5)
            }
        }
    );
    assert_eq!(
        ok("ListGroups", ""),
        IamRequest::ListGroups {
            page: Page::default()
        }
    );
    assert_eq!(
        ok("DeleteGroup", "GroupName=devs"),
        IamRequest::DeleteGroup {
            group_name: "devs".into()
        }
    );
    assert_eq!(
        ok("AddUserToGroup", "GroupName=devs&UserName=alice"),
        IamRequest::AddUserToGroup {
            group_name: "devs".into(),
            user_name: "alice".into()
        }
    );
    assert_eq!(
        ok("RemoveUserFromGroup", "UserName=alice&GroupName=devs"),
        IamRequest::RemoveUserFromGroup {
            group_name: "devs".into(),
            user_name: "alice".into()
        }
    );
    assert_eq!(
        ok("ListGroupsForUser", "UserName=alice&MaxItems=10"),
        IamRequest::ListGroupsForUser {
            user_name: "alice".into(),
            page: Page {
                marker: None,
                max_items: Some(10)
            }
        }
    );
}

#[test]
fn access_key_actions() {
    assert_eq!(
        ok("CreateAccessKey", ""),
        IamRequest::CreateAccessKey { user_name: None }
    );
    assert_eq!(
        ok("CreateAccessKey", "UserName=alice"),
        IamRequest::CreateAccessKey {
            user_name: Some("alice".into())
        }
    );
    assert_eq!(
        ok("ListAccessKeys", "UserName=alice&MaxItems=100&Marker=x"),
        IamRequest::ListAccessKeys {
            user_name: Some("alice".into()),
            page: Page {
                marker: Some("x".into()),
                max_items: Some(100)
            }
        }
    );
    assert_eq!(
        ok("ListAccessKeys", ""),
        IamRequest::ListAccessKeys {
            user_name: None,
            page: Page::default()
        }
    );
    assert_eq!(
        ok(
            "UpdateAccessKey",
            "AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=Inactive"
        ),
        IamRequest::UpdateAccessKey {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            status: AccessKeyStatus::Inactive,
            user_name: None
        }
    );
    assert_eq!(
        ok(
            "UpdateAccessKey",
            "AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=Active&UserName=bob"
        ),
        IamRequest::UpdateAccessKey {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            status: AccessKeyStatus::Active,
            user_name: Some("bob".into())
        }
    );
    assert_eq!(
        ok(
            "DeleteAccessKey",
            "AccessKeyId=AKIA_0123456789AB&UserName=bob"
        ),
        IamRequest::DeleteAccessKey {
            access_key_id: "AKIA_0123456789AB".into(),
            user_name: Some("bob".into())
        }
    );
}

#[test]
fn every_action_is_covered_and_round_trips() {
    let samples = [
        ("GetPolicy", ADMIN.to_owned()),
        ("GetPolicyVersion", format!("{ADMIN}&VersionId=v2.x-1")),
        ("ListPolicies", "Marker=1&MaxItems=2".into()),
        ("ListAttachedUserPolicies", "UserName=u&Marker=5".into()),
        ("ListAttachedGroupPolicies", "GroupName=g&MaxItems=7".into()),
        ("AttachUserPolicy", format!("UserName=u&{ADMIN}")),
        ("AttachGroupPolicy", format!("GroupName=g&{ADMIN}")),
        ("DetachUserPolicy", format!("UserName=u&{ADMIN}")),
        ("DetachGroupPolicy", format!("GroupName=g&{ADMIN}")),
        (
            "CreateUser",
            "UserName=u&Tags.member.1.Key=team&Tags.member.1.Value=a+b".into(),
        ),
        ("GetUser", "UserName=u".into()),
        ("ListUsers", "Marker=abc&MaxItems=3".into()),
        ("DeleteUser", "UserName=u".into()),
        ("CreateGroup", "GroupName=g".into()),
        ("GetGroup", "GroupName=g&Marker=z".into()),
        ("ListGroups", "MaxItems=1".into()),
        ("DeleteGroup", "GroupName=g".into()),
        ("AddUserToGroup", "GroupName=g&UserName=u".into()),
        ("RemoveUserFromGroup", "GroupName=g&UserName=u".into()),
        ("ListGroupsForUser", "UserName=u".into()),
        ("CreateAccessKey", "UserName=u".into()),
        ("ListAccessKeys", String::new()),
        (
            "UpdateAccessKey",
            "AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=Active".into(),
        ),
        ("DeleteAccessKey", "AccessKeyId=AKIAIOSFODNN7EXAMPLE".into()),
    ];
    assert_eq!(samples.len(), IamAction::ALL.len());
    for ((name, params), &action) in samples.iter().zip(IamAction::ALL) {
        assert_eq!(*name, action.as_str());
        let request = ok(name, params);
        assert_eq!(request.action(), action);
        // The serializer writes Action and Version first, percent-encoding everything but
        // unreserved characters.
        let form = request.to_form_string();
        assert!(
            form.starts_with(&format!("Action={name}&Version=2010-05-08")),
            "{form}"
        );
        assert_eq!(
            IamRequest::parse(&request.to_params(), &opts()).unwrap(),
            request
        );
    }
}

#[test]
fn serializer_output_is_exact() {
    let r = IamRequest::CreateUser {
        user_name: "a+b".into(),
        tags: vec![
            Tag {
                key: "team name".into(),
                value: "été/ops".into(),
            },
            Tag {
                key: "k".into(),
                value: String::new(),
            },
        ],
    };
    assert_eq!(
        r.to_form_string(),
        "Action=CreateUser&Version=2010-05-08&UserName=a%2Bb&Tags.member.1.Key=team%20name&\
         Tags.member.1.Value=%C3%A9t%C3%A9%2Fops&Tags.member.2.Key=k&Tags.member.2.Value="
    );
    let r = IamRequest::GetPolicy {
        policy_arn: arn("S3ReadAccess"),
    };
    assert_eq!(
        r.to_form_string(),
        "Action=GetPolicy&Version=2010-05-08&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FS3ReadAccess"
    );
}

#[test]
fn spaces_plus_and_utf8() {
    // `+` and `%20` are both spaces; `%2B` is a plus.
    for marker in ["a+b", "a%20b"] {
        assert_eq!(
            ok("ListUsers", &format!("Marker={marker}")),
            IamRequest::ListUsers {
                page: Page {
                    marker: Some("a b".into()),
                    max_items: None
                }
            }
        );
    }
    assert_eq!(
        ok("GetUser", "UserName=a%2Bb"),
        IamRequest::GetUser {
            user_name: Some("a+b".into())
        }
    );
    // Raw and encoded UTF-8 in tag values.
    let tags = |r: IamRequest| match r {
        IamRequest::CreateUser { tags, .. } => tags,
        other => panic!("{other:?}"),
    };
    let t = tags(ok(
        "CreateUser",
        "UserName=u&Tags.member.1.Key=%E6%97%A5%E6%9C%AC&Tags.member.1.Value=été+à+Paris",
    ));
    assert_eq!(
        t,
        [Tag {
            key: "日本".into(),
            value: "été à Paris".into()
        }]
    );
    // A user name with a space is a ValidationError however it is encoded.
    for name in ["a+b", "a%20b"] {
        assert_eq!(
            err("GetUser", &format!("UserName={name}")).code(),
            IamErrorCode::ValidationError
        );
    }
}

#[test]
fn member_lists() {
    let tags = |params: &str| match ok("CreateUser", params) {
        IamRequest::CreateUser { tags, .. } => tags,
        other => panic!("{other:?}"),
    };
    let tag = |k: &str, v: &str| Tag {
        key: k.into(),
        value: v.into(),
    };
    // Ordered by index, whatever the parameter order; gaps are allowed.
    assert_eq!(
        tags(
            "Tags.member.10.Value=ten&UserName=u&Tags.member.2.Key=two&Tags.member.10.Key=TEN\
             &Tags.member.2.Value="
        ),
        [tag("two", ""), tag("TEN", "ten")]
    );
    // 50 tags are fine, 51 are not.
    let many = |n: usize| {
        (1..=n)
            .map(|i| format!("Tags.member.{i}.Key=k{i}&Tags.member.{i}.Value=v"))
            .collect::<Vec<_>>()
            .join("&")
    };
    assert_eq!(tags(&format!("UserName=u&{}", many(50))).len(), 50);
    let e = err("CreateUser", &format!("UserName=u&{}", many(51)));
    assert_eq!(e.code(), IamErrorCode::ValidationError);
    assert_eq!(
        e.message(),
        "1 validation error detected: Value '51 tags' at 'tags' failed to satisfy constraint: \
         Member must have length less than or equal to 50"
    );
    // Malformed indices and fields.
    for bad in [
        "Tags.member.0.Key=a",
        "Tags.member.01.Key=a",
        "Tags.member.x.Key=a",
        "Tags.member.1.key=a",
        "Tags.member.1=a",
        "Tags.member.1.Key.x=a",
        "Tags.member.99999999999.Key=a",
    ] {
        let e = err("CreateUser", &format!("UserName=u&{bad}"));
        assert_eq!(e.code(), IamErrorCode::MalformedInput, "{bad}");
    }
    // Missing halves.
    let e = err("CreateUser", "UserName=u&Tags.member.1.Key=a");
    assert_eq!(
        e.message(),
        "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy \
         constraint: Member must not be null"
    );
    let e = err("CreateUser", "UserName=u&Tags.member.3.Value=a");
    assert_eq!(
        e.message(),
        "1 validation error detected: Value null at 'tags.3.member.key' failed to satisfy \
         constraint: Member must not be null"
    );
    // Key and value constraints.
    let e = err(
        "CreateUser",
        &format!(
            "UserName=u&Tags.member.1.Key=&Tags.member.1.Value=a%21&Tags.member.2.Key={}&\
             Tags.member.2.Value={}",
            "k".repeat(129),
            "v".repeat(257)
        ),
    );
    assert!(
        e.message().starts_with(
            "4 validation errors detected: Value '' at 'tags.1.member.key' \
             failed to satisfy constraint: Member must have length greater than or equal to 1; \
             Value 'a!' at 'tags.1.member.value' failed to satisfy constraint: Member must \
             satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*; Value 'kkk"
        ),
        "{}",
        e.message()
    );
    // Duplicate keys, regardless of case: InvalidInput after validation.
    let e = err(
        "CreateUser",
        "UserName=u&Tags.member.1.Key=Team&Tags.member.1.Value=a&Tags.member.2.Key=team&\
         Tags.member.2.Value=b",
    );
    assert_eq!(e.code(), IamErrorCode::InvalidInput);
    assert_eq!(
        e.message(),
        "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    );
    // Tags parameters of other actions are ignored.
    assert_eq!(
        ok("GetUser", "Tags.member.0.Key=x"),
        IamRequest::GetUser { user_name: None }
    );
}

#[test]
fn duplicate_parameters() {
    for params in [
        "UserName=a&UserName=a",
        "UserName=a&UserName=b",
        "UserName=a&User%4Eame=b",
        "Version=2010-05-08",
    ] {
        let e = err("GetUser", params);
        assert_eq!(e.code(), IamErrorCode::MalformedInput, "{params}");
    }
    // One copy in the query string and one in the body.
    let e = IamRequest::from_query_and_form(
        "Action=GetUser",
        b"Action=GetUser&Version=2010-05-08",
        &opts(),
    )
    .unwrap_err();
    assert_eq!(e.code(), IamErrorCode::MalformedInput);
    assert_eq!(e.message(), "Parameter Action appears more than once");
}

#[test]
fn action_and_version() {
    let e = IamRequest::from_query("Version=2010-05-08", &opts()).unwrap_err();
    assert_eq!((e.code(), e.status()), (IamErrorCode::MissingAction, 400));
    let e = IamRequest::from_query("Action=&Version=2010-05-08", &opts()).unwrap_err();
    assert_eq!(e.code(), IamErrorCode::MissingAction);
    let e = IamRequest::from_form(b"", &opts()).unwrap_err();
    assert_eq!(e.code(), IamErrorCode::MissingAction);

    let e = IamRequest::from_query("Action=CreatePolicy&Version=2010-05-08", &opts()).unwrap_err();
    assert_eq!((e.code(), e.status()), (IamErrorCode::InvalidAction, 400));
    assert_eq!(
        e.message(),
        "Could not find operation CreatePolicy for version 2010-05-08"
    );
    let e = IamRequest::from_query("Action=getuser&Version=2010-05-08", &opts()).unwrap_err();
    assert_eq!(e.code(), IamErrorCode::InvalidAction);

    let e = IamRequest::from_query("Action=GetUser", &opts()).unwrap_err();
    assert_eq!(e.code(), IamErrorCode::InvalidAction);
    assert_eq!(
        e.message(),
        "Could not find operation GetUser for version NO_VERSION_SPECIFIED"
    );
    for version in ["2011-01-01", "", "2010-05-08%20"] {
        let e = IamRequest::from_query(&format!("Action=GetUser&Version={version}"), &opts())
            .unwrap_err();
        assert_eq!(e.code(), IamErrorCode::InvalidAction, "{version}");
    }
    let e = IamRequest::from_query("Action=GetUser&Version=2011-01-01", &opts()).unwrap_err();
    assert_eq!(
        e.message(),
        "Could not find operation GetUser for version 2011-01-01"
    );
    // Parameter names are case-sensitive.
    let e = IamRequest::from_query("action=GetUser&version=2010-05-08", &opts()).unwrap_err();
    assert_eq!(e.code(), IamErrorCode::MissingAction);
    // SigV4 presigned parameters are ignored.
    assert_eq!(
        IamRequest::from_query(
            "Action=GetUser&Version=2010-05-08&X-Amz-Algorithm=AWS4-HMAC-SHA256&\
             X-Amz-Signature=abc",
            &opts()
        )
        .unwrap(),
        IamRequest::GetUser { user_name: None }
    );
}

#[test]
fn body_limit() {
    let mut body = b"Action=GetUser&Version=2010-05-08&Pad=".to_vec();
    body.resize(64 * 1024, b'x');
    assert!(IamRequest::from_form(&body, &opts()).is_ok());
    body.push(b'x');
    let e = IamRequest::from_form(&body, &opts()).unwrap_err();
    assert_eq!(
        (e.code(), e.status()),
        (IamErrorCode::RequestEntityTooLarge, 413)
    );
    let small = ParseOptions {
        body_limit: 10,
        ..opts()
    };
    assert_eq!(
        IamRequest::from_form(b"Action=GetUser", &small)
            .unwrap_err()
            .code(),
        IamErrorCode::RequestEntityTooLarge
    );
}

fn message(action: &str, params: &str) -> String {
    let e = err(action, params);
    assert_eq!(
        e.code(),
        IamErrorCode::ValidationError,
        "{action} {params}: {e}"
    );
    assert_eq!(e.status(), 400);
    e.message().to_owned()
}

fn one(value: Option<&str>, member: &str, constraint: &str) -> String {
    let value = value.map_or_else(|| "null".to_owned(), |v| format!("'{v}'"));
    format!(
        "1 validation error detected: Value {value} at '{member}' failed to satisfy constraint: \
         {constraint}"
    )
}

#[test]
fn policy_arn_validation() {
    // Spec: missing or length outside 20..=2048 is ValidationError.
    for action in [
        "GetPolicy",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "AttachGroupPolicy",
        "DetachGroupPolicy",
    ] {
        let names = if action.contains("Group") {
            "GroupName=g"
        } else if action.contains("User") {
            "UserName=u"
        } else {
            "X=1"
        };
        assert_eq!(
            message(action, names),
            one(None, "policyArn", "Member must not be null"),
            "{action}"
        );
        assert_eq!(
            message(action, &format!("{names}&PolicyArn=arn:aws:iam::aws:p")),
            one(
                Some("arn:aws:iam::aws:p"),
                "policyArn",
                "Member must have length greater than or equal to 20"
            )
        );
    }
    // Exactly 20 characters passes the length rule (and fails as an ARN).
    let twenty = "arn:aws:iam::aws:pol";
    assert_eq!(twenty.len(), 20);
    let e = err("GetPolicy", &format!("PolicyArn={twenty}"));
    assert_eq!(e.code(), IamErrorCode::InvalidInput);
    assert_eq!(e.message(), format!("ARN {twenty} is not valid."));
    // 2048 passes the length rule; 2049 does not.
    let long = |n: usize| format!("arn:aws:iam::aws:policy/{}", "p".repeat(n - 24));
    let e = err("GetPolicy", &format!("PolicyArn={}", long(2048)));
    assert_eq!(e.code(), IamErrorCode::InvalidInput); // name longer than 128
    let e = err("GetPolicy", &format!("PolicyArn={}", long(2049)));
    assert_eq!(e.code(), IamErrorCode::ValidationError);
    assert!(e
        .message()
        .ends_with("Member must have length less than or equal to 2048"));
    // Valid length, not an S4 managed-policy ARN: InvalidInput.
    for bad in [
        "arn:aws:iam::000000000000001:user/alice",
        "arn:aws:iam::123456789012:policy/Mine",
        "arn:aws:iam::aws:policy/service-role/X",
        "arn:aws:s3:::some-bucket-name",
        "xxxxxxxxxxxxxxxxxxxxxxxx",
        "arn:aws:iam::aws:policy/has space",
    ] {
        let e = err(
            "GetPolicy",
            &format!("PolicyArn={}", s4_iam_query::percent_encode(bad)),
        );
        assert_eq!(e.code(), IamErrorCode::InvalidInput, "{bad}");
        assert_eq!(e.status(), 400);
    }
    // InvalidInput comes after every ValidationError: a bad VersionId wins.
    let e = err(
        "GetPolicyVersion",
        "PolicyArn=xxxxxxxxxxxxxxxxxxxxxxxxx&VersionId=1",
    );
    assert_eq!(e.code(), IamErrorCode::ValidationError);
}

#[test]
fn version_id_validation() {
    let pattern =
        r"Member must satisfy regular expression pattern: v[1-9][0-9]{0,9}(\.[A-Za-z0-9-]{1,64})?";
    assert_eq!(
        message("GetPolicyVersion", ADMIN),
        one(None, "versionId", "Member must not be null")
    );
    for bad in ["", "v0", "1", "V1", "v1.", "v12345678901", "v1.a_b"] {
        assert_eq!(
            message("GetPolicyVersion", &format!("{ADMIN}&VersionId={bad}")),
            one(Some(bad), "versionId", pattern),
            "{bad}"
        );
    }
    // Both parameters missing: two violations in one message.
    assert_eq!(
        message("GetPolicyVersion", ""),
        "2 validation errors detected: Value null at 'policyArn' failed to satisfy constraint: \
         Member must not be null; Value null at 'versionId' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn marker_and_max_items() {
    // Policy listings: integer marker.
    for action in [
        "ListPolicies",
        "ListAttachedUserPolicies",
        "ListAttachedGroupPolicies",
    ] {
        let base = match action {
            "ListAttachedUserPolicies" => "UserName=u&",
            "ListAttachedGroupPolicies" => "GroupName=g&",
            _ => "",
        };
        for bad in [
            "Marker=abc",
            "Marker=1.5",
            "Marker=",
            "Marker=2147483648",
            "MaxItems=x",
            "MaxItems=99999999999",
            "MaxItems=",
        ] {
            let e = err(action, &format!("{base}{bad}"));
            assert_eq!(e.code(), IamErrorCode::MalformedInput, "{action} {bad}");
            assert_eq!(e.status(), 400);
        }
        assert_eq!(
            message(action, &format!("{base}Marker=-1")),
            one(
                Some("-1"),
                "marker",
                "Member must have value greater than or equal to 0"
            )
        );
        assert_eq!(
            message(action, &format!("{base}MaxItems=0")),
            one(
                Some("0"),
                "maxItems",
                "Member must have value greater than or equal to 1"
            )
        );
        assert_eq!(
            message(action, &format!("{base}MaxItems=1001")),
            one(
                Some("1001"),
                "maxItems",
                "Member must have value less than or equal to 1000"
            )
        );
        // MalformedInput is reported before any ValidationError.
        assert_eq!(
            err(action, "MaxItems=0&Marker=x").code(),
            IamErrorCode::MalformedInput
        );
    }
    assert_eq!(
        ok("ListPolicies", "Marker=2147483647&MaxItems=%2B7"),
        IamRequest::ListPolicies {
            page: PolicyPage {
                marker: Some(2_147_483_647),
                max_items: Some(7)
            },
            filter: PolicyFilter::default(),
        }
    );
    // The configured maximum.
    let small = ParseOptions {
        max_items: 10,
        ..opts()
    };
    assert!(
        IamRequest::from_query("Action=ListPolicies&Version=2010-05-08&MaxItems=10", &small)
            .is_ok()
    );
    let e = IamRequest::from_query("Action=ListUsers&Version=2010-05-08&MaxItems=11", &small)
        .unwrap_err();
    assert_eq!(
        e.message(),
        one(
            Some("11"),
            "maxItems",
            "Member must have value less than or equal to 10"
        )
    );
    // Opaque markers of the other listings.
    for action in ["ListUsers", "ListGroups", "ListAccessKeys"] {
        assert_eq!(
            message(action, "Marker="),
            one(
                Some(""),
                "marker",
                "Member must have length greater than or equal to 1"
            )
        );
        let long = "m".repeat(321);
        // Values longer than 256 characters are shortened in messages.
        assert_eq!(
            message(action, &format!("Marker={long}")),
            one(
                Some(&format!("{}...", "m".repeat(256))),
                "marker",
                "Member must have length less than or equal to 320"
            )
        );
        assert_eq!(
            message(action, "Marker=%E2%82%AC"),
            one(
                Some("€"),
                "marker",
                r"Member must satisfy regular expression pattern: [\u0020-\u00FF]+"
            )
        );
        assert_eq!(
            err(action, "MaxItems=ten").code(),
            IamErrorCode::MalformedInput
        );
    }
    assert!(matches!(
        ok("ListGroups", &format!("Marker={}", "ÿ".repeat(320))),
        IamRequest::ListGroups { .. }
    ));
}

#[test]
fn name_validation() {
    let pattern = r"Member must satisfy regular expression pattern: [\w+=,.@-]+";
    let user_actions = [
        ("CreateUser", ""),
        ("DeleteUser", ""),
        ("ListGroupsForUser", ""),
        ("ListAttachedUserPolicies", ""),
        ("AttachUserPolicy", ADMIN),
        ("AddUserToGroup", "GroupName=g"),
    ];
    for (action, rest) in user_actions {
        let with = |p: &str| {
            if rest.is_empty() {
                p.to_owned()
            } else {
                format!("{rest}&{p}")
            }
        };
        assert_eq!(
            message(action, rest),
            one(None, "userName", "Member must not be null"),
            "{action}"
        );
        assert_eq!(
            message(action, &with("UserName=")),
            one(
                Some(""),
                "userName",
                "Member must have length greater than or equal to 1"
            )
        );
        let long = "u".repeat(65);
        assert_eq!(
            message(action, &with(&format!("UserName={long}"))),
            one(
                Some(&long),
                "userName",
                "Member must have length less than or equal to 64"
            )
        );
        assert!(
            ok(action, &with(&format!("UserName={}", "u".repeat(64))))
                .action()
                .as_str()
                == action
        );
        for bad in ["a%2Fb", "a%3Ab", "%C3%A9", "a*"] {
            let shown = QueryParams::parse_query(&format!("x={bad}")).unwrap();
            let shown = shown.get("x").unwrap();
            assert_eq!(
                message(action, &with(&format!("UserName={bad}"))),
                one(Some(shown), "userName", pattern),
                "{action} {bad}"
            );
        }
    }
    for (action, rest) in [
        ("CreateGroup", ""),
        ("GetGroup", ""),
        ("DeleteGroup", ""),
        ("ListAttachedGroupPolicies", ""),
        ("DetachGroupPolicy", ADMIN),
        ("RemoveUserFromGroup", "UserName=u"),
    ] {
        let with = |p: &str| {
            if rest.is_empty() {
                p.to_owned()
            } else {
                format!("{rest}&{p}")
            }
        };
        assert_eq!(
            message(action, rest),
            one(None, "groupName", "Member must not be null"),
            "{action}"
        );
        let long = "g".repeat(129);
        assert_eq!(
            message(action, &with(&format!("GroupName={long}"))),
            one(
                Some(&long),
                "groupName",
                "Member must have length less than or equal to 128"
            )
        );
        assert!(
            ok(action, &with(&format!("GroupName={}", "g".repeat(128))))
                .action()
                .as_str()
                == action
        );
        assert_eq!(
            message(action, &with("GroupName=dev+team")),
            one(Some("dev team"), "groupName", pattern)
        );
    }
    // Optional user names are validated when present.
    for action in ["GetUser", "CreateAccessKey", "ListAccessKeys"] {
        assert_eq!(
            message(action, "UserName=a%20b"),
            one(Some("a b"), "userName", pattern)
        );
    }
    // Every violation is reported, in parameter order.
    assert_eq!(
        message("AddUserToGroup", "UserName=a%21"),
        "2 validation errors detected: Value null at 'groupName' failed to satisfy constraint: \
         Member must not be null; Value 'a!' at 'userName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    );
}

#[test]
fn access_key_validation() {
    for action in ["UpdateAccessKey", "DeleteAccessKey"] {
        let status = if action == "UpdateAccessKey" {
            "&Status=Active"
        } else {
            ""
        };
        assert_eq!(
            message(action, &format!("X=1{status}")),
            one(None, "accessKeyId", "Member must not be null")
        );
        assert_eq!(
            message(action, &format!("AccessKeyId=AKIA{status}")),
            one(
                Some("AKIA"),
                "accessKeyId",
                "Member must have length greater than or equal to 16"
            )
        );
        let long = "A".repeat(129);
        assert_eq!(
            message(action, &format!("AccessKeyId={long}{status}")),
            one(
                Some(&long),
                "accessKeyId",
                "Member must have length less than or equal to 128"
            )
        );
        assert_eq!(
            message(action, &format!("AccessKeyId=AKIAIOSFODNN7EXAMPL-{status}")),
            one(
                Some("AKIAIOSFODNN7EXAMPL-"),
                "accessKeyId",
                r"Member must satisfy regular expression pattern: [\w]+"
            )
        );
        assert!(
            ok(action, &format!("AccessKeyId={}{status}", "A".repeat(16)))
                .action()
                .as_str()
                == action
        );
    }
    assert_eq!(
        message("UpdateAccessKey", "AccessKeyId=AKIAIOSFODNN7EXAMPLE"),
        one(None, "status", "Member must not be null")
    );
    for bad in ["active", "Expired", ""] {
        assert_eq!(
            message(
                "UpdateAccessKey",
                &format!("AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status={bad}")
            ),
            one(
                Some(bad),
                "status",
                "Member must satisfy enum value set: [Active, Inactive]"
            )
        );
    }
}

#[test]
fn paths() {
    // Valid AWS paths other than "/" are InvalidInput: S4 has no paths.
    for action in ["CreateUser", "CreateGroup"] {
        let name = if action == "CreateUser" {
            "UserName=n"
        } else {
            "GroupName=n"
        };
        let e = err(action, &format!("{name}&Path=%2Fdivision%2F"));
        assert_eq!(e.code(), IamErrorCode::InvalidInput);
        assert_eq!(
            e.message(),
            "Path /division/ is not supported: S4 supports only the path /."
        );
        // Invalid AWS paths are ValidationError.
        for bad in ["", "a", "/a", "//", "/a b/"] {
            let shown = bad.replace(' ', "+");
            let e = err(action, &format!("{name}&Path={shown}"));
            assert_eq!(e.code(), IamErrorCode::ValidationError, "{bad}");
            assert!(e.message().contains("at 'path'"), "{}", e.message());
        }
        let long = format!("/{}/", "p".repeat(511));
        let e = err(action, &format!("{name}&Path={long}"));
        assert!(e
            .message()
            .ends_with("Member must have length less than or equal to 512"));
    }
}

#[test]
fn error_documents_for_parse_errors() {
    let e = IamRequest::from_query(
        "Action=GetUser&Version=2010-05-08&UserName=%3Cx%3E",
        &opts(),
    )
    .unwrap_err();
    assert_eq!(
        String::from_utf8(e.to_xml("0000000000000009")).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse \
         xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>ValidationError</Code><Message>1 validation error detected: Value &apos;&lt;x&gt;\
         &apos; at &apos;userName&apos; failed to satisfy constraint: Member must satisfy \
         regular expression pattern: [\\w+=,.@-]+</Message></Error><RequestId>0000000000000009\
         </RequestId></ErrorResponse>"
    );
}
