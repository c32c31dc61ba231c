//! Property tests: generated valid requests survive serialize-then-parse (as a form and as
//! a query string), arbitrary parameters survive encode-then-decode, and response text
//! survives XML escaping (read back with quick-xml).

use proptest::prelude::*;
use quick_xml::events::Event;
use quick_xml::Reader;
use s4_iam_query::{
    AccessKeyStatus, IamRequest, IamResponse, Page, ParseOptions, PolicyArn, PolicyFilter,
    PolicyPage, PolicyScope, PolicyUsage, QueryParams, Tag, User,
};
use time::macros::datetime;

fn name(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9+=,.@_-]{{1,{max}}}")).unwrap()
}

fn user() -> impl Strategy<Value = String> {
    name(64)
}

fn group() -> impl Strategy<Value = String> {
    name(128)
}

fn policy_arn() -> impl Strategy<Value = PolicyArn> {
    name(100).prop_map(|n| PolicyArn::parse(&format!("arn:aws:iam::aws:policy/{n}")).unwrap())
}

fn max_items() -> impl Strategy<Value = Option<u32>> {
    proptest::option::of(1u32..=1000)
}

fn page() -> impl Strategy<Value = Page> {
    (
        proptest::option::of(proptest::string::string_regex("[\\u{20}-\\u{FF}]{1,320}").unwrap()),
        max_items(),
    )
        .prop_map(|(marker, max_items)| Page { marker, max_items })
}

fn policy_page() -> impl Strategy<Value = PolicyPage> {
    (proptest::option::of(0u32..=i32::MAX as u32), max_items())
        .prop_map(|(marker, max_items)| PolicyPage { marker, max_items })
}

fn tags() -> impl Strategy<Value = Vec<Tag>> {
    let key = proptest::string::string_regex("[a-zA-Zé日0-9 _.:/=+@-]{1,128}").unwrap();
    let value = proptest::string::string_regex("[a-zA-Zé日0-9 _.:/=+@-]{0,256}").unwrap();
    proptest::collection::vec((key, value), 0..=50).prop_map(|pairs| {
        let mut seen = Vec::new();
        pairs
            .into_iter()
            .filter(|(k, _)| {
                let lower = k.to_lowercase();
                let fresh = !seen.contains(&lower);
                seen.push(lower);
                fresh
            })
            .map(|(key, value)| Tag { key, value })
            .collect()
    })
}

fn key_id() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[A-Za-z0-9_]{16,128}").unwrap()
}

fn status() -> impl Strategy<Value = AccessKeyStatus> {
    prop_oneof![
        Just(AccessKeyStatus::Active),
        Just(AccessKeyStatus::Inactive)
    ]
}

fn policy_filter() -> impl Strategy<Value = PolicyFilter> {
    let scope = prop_oneof![
        Just(PolicyScope::All),
        Just(PolicyScope::Aws),
        Just(PolicyScope::Local)
    ];
    let usage = proptest::option::of(prop_oneof![
        Just(PolicyUsage::PermissionsPolicy),
        Just(PolicyUsage::PermissionsBoundary)
    ]);
    (any::<bool>(), scope, usage).prop_map(|(only_attached, scope, usage)| PolicyFilter {
        only_attached,
        scope,
        usage,
    })
}

fn request() -> impl Strategy<Value = IamRequest> {
    use IamRequest as R;
    prop_oneof![
        policy_arn().prop_map(|policy_arn| R::GetPolicy { policy_arn }),
        (
            policy_arn(),
            proptest::string::string_regex("v[1-9][0-9]{0,9}(\\.[A-Za-z0-9-]{1,64})?").unwrap()
        )
            .prop_map(|(policy_arn, version_id)| R::GetPolicyVersion {
                policy_arn,
                version_id
            }),
        (policy_page(), policy_filter())
            .prop_map(|(page, filter)| R::ListPolicies { page, filter }),
        (user(), policy_page())
            .prop_map(|(user_name, page)| R::ListAttachedUserPolicies { user_name, page }),
        (group(), policy_page())
            .prop_map(|(group_name, page)| R::ListAttachedGroupPolicies { group_name, page }),
        (user(), policy_arn()).prop_map(|(user_name, policy_arn)| R::AttachUserPolicy {
            user_name,
            policy_arn
        }),
        (group(), policy_arn()).prop_map(|(group_name, policy_arn)| R::AttachGroupPolicy {
            group_name,
            policy_arn
        }),
        (user(), policy_arn()).prop_map(|(user_name, policy_arn)| R::DetachUserPolicy {
            user_name,
            policy_arn
        }),
        (group(), policy_arn()).prop_map(|(group_name, policy_arn)| R::DetachGroupPolicy {
            group_name,
            policy_arn
        }),
        (user(), tags()).prop_map(|(user_name, tags)| R::CreateUser { user_name, tags }),
        proptest::option::of(user()).prop_map(|user_name| R::GetUser { user_name }),
        page().prop_map(|page| R::ListUsers { page }),
        user().prop_map(|user_name| R::DeleteUser { user_name }),
        group().prop_map(|group_name| R::CreateGroup { group_name }),
        (group(), page()).prop_map(|(group_name, page)| R::GetGroup { group_name, page }),
        page().prop_map(|page| R::ListGroups { page }),
        group().prop_map(|group_name| R::DeleteGroup { group_name }),
        (group(), user()).prop_map(|(group_name, user_name)| R::AddUserToGroup {
            group_name,
            user_name
        }),
        (group(), user()).prop_map(|(group_name, user_name)| R::RemoveUserFromGroup {
            group_name,
            user_name
        }),
        (user(), page()).prop_map(|(user_name, page)| R::ListGroupsForUser { user_name, page }),
        proptest::option::of(user()).prop_map(|user_name| R::CreateAccessKey { user_name }),
        (proptest::option::of(user()), page())
            .prop_map(|(user_name, page)| R::ListAccessKeys { user_name, page }),
        (key_id(), status(), proptest::option::of(user())).prop_map(
            |(access_key_id, status, user_name)| R::UpdateAccessKey {
                access_key_id,
                status,
                user_name
            }
        ),
        (key_id(), proptest::option::of(user())).prop_map(|(access_key_id, user_name)| {
            R::DeleteAccessKey {
                access_key_id,
                user_name,
            }
        }),
    ]
}

/// The text of the first `<name>` element of `xml`.
fn element_text(xml: &[u8], name: &str) -> String {
    let mut reader = Reader::from_reader(xml);
    let mut inside = false;
    let mut text = String::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == name.as_bytes() => inside = true,
            Event::Text(t) if inside => text.push_str(&t.unescape().unwrap()),
            Event::End(e) if inside && e.name().as_ref() == name.as_bytes() => return text,
            Event::Eof => panic!("no <{name}>"),
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn valid_requests_round_trip(request in request()) {
        let options = ParseOptions::default();
        let text = request.to_form_string();
        prop_assert!(text.len() <= options.body_limit);
        prop_assert_eq!(IamRequest::from_form(text.as_bytes(), &options), Ok(request.clone()));
        prop_assert_eq!(IamRequest::from_query(&text, &options), Ok(request.clone()));
        // The fuzz oracle agrees, when the text fits its smaller limit.
        if text.len() <= s4_iam_query::fuzzing::FUZZ_BODY_LIMIT {
            prop_assert_eq!(s4_iam_query::fuzzing::check(text.as_bytes()), 2);
        }
    }

    #[test]
    fn parameters_round_trip(pairs in proptest::collection::vec((".*", ".*"), 0..8)) {
        let mut params = QueryParams::new();
        for (k, v) in pairs {
            let _ = params.insert(k, v);
        }
        let text = params.to_form_string();
        prop_assert_eq!(QueryParams::parse_query(&text), Ok(params.clone()));
        prop_assert_eq!(QueryParams::parse_form(text.as_bytes(), usize::MAX), Ok(params));
    }

    #[test]
    fn response_text_survives_escaping(
        arn in "[^\\u{0}-\\u{8}\\u{B}\\u{C}\\u{E}-\\u{1F}\\u{FFFE}\\u{FFFF}]*",
        request_id in "[ -~]{0,40}",
    ) {
        let mut user = User::new("u", "AIDA", "x", datetime!(2024-01-01 00:00 UTC));
        user.arn.clone_from(&arn);
        let xml = IamResponse::GetUser(user).to_xml(&request_id);
        prop_assert_eq!(element_text(&xml, "Arn"), arn);
        prop_assert_eq!(element_text(&xml, "RequestId"), request_id);
    }
}
