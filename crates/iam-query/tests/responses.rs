//! Golden, byte-exact response documents for every action, modeled on the spec's samples
//! (3.3) and AWS's documented shapes.

use s4_iam_query::{
    AccessKey, AccessKeyMetadata, AccessKeyStatus, AttachedPolicy, Group, IamAction, IamResponse,
    Policy, PolicyVersion, Tag, Truncation, User,
};
use time::macros::datetime;
use time::OffsetDateTime;

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const NS: &str = "xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"";

fn xml(response: &IamResponse, request_id: &str) -> String {
    String::from_utf8(response.to_xml(request_id)).unwrap()
}

/// The envelope written out by hand: declaration, root with namespace, result, metadata.
fn envelope(action: &str, result: Option<&str>, request_id: &str) -> String {
    let result = result.map_or_else(String::new, |r| {
        format!("<{action}Result>{r}</{action}Result>")
    });
    format!(
        "{DECL}<{action}Response {NS}>{result}<ResponseMetadata><RequestId>{request_id}\
         </RequestId></ResponseMetadata></{action}Response>"
    )
}

const SPEC_DATE: OffsetDateTime = datetime!(2022-07-29 20:05:50 UTC);

fn admin_policy() -> Policy {
    Policy {
        arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
        attachment_count: 0,
        create_date: SPEC_DATE,
        update_date: SPEC_DATE,
        policy_id: "ADMINISTRATORACCESS".into(),
        policy_name: "AdministratorAccess".into(),
        default_version_id: "v1".into(),
        path: "/".into(),
        is_attachable: true,
        description: String::new(),
    }
}

fn alice() -> User {
    User::new(
        "alice",
        "AIDA000000000000000A1",
        "arn:aws:iam::000000000000001:user/alice",
        datetime!(2024-01-02 03:04:05.678 UTC),
    )
}

fn devs() -> Group {
    Group {
        path: "/".into(),
        group_name: "devs".into(),
        group_id: "AGPA000000000000000D1".into(),
        arn: "arn:aws:iam::000000000000001:group/devs".into(),
        create_date: datetime!(2024-01-02 03:04:05 UTC),
    }
}

const ALICE_XML: &str = "<Path>/</Path><UserName>alice</UserName><UserId>AIDA000000000000000A1\
    </UserId><Arn>arn:aws:iam::000000000000001:user/alice</Arn><CreateDate>\
    2024-01-02T03:04:05.678Z</CreateDate>";
const DEVS_XML: &str = "<Path>/</Path><GroupName>devs</GroupName><GroupId>AGPA000000000000000D1\
    </GroupId><Arn>arn:aws:iam::000000000000001:group/devs</Arn><CreateDate>\
    2024-01-02T03:04:05.000Z</CreateDate>";

#[test]
fn get_policy_matches_the_spec_sample() {
    // Spec 3.3 GetPolicy, written compact.
    assert_eq!(
        xml(&IamResponse::GetPolicy(admin_policy()), "0000000000000003"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <GetPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <GetPolicyResult><Policy>\
         <Arn>arn:aws:iam::aws:policy/AdministratorAccess</Arn>\
         <AttachmentCount>0</AttachmentCount>\
         <CreateDate>2022-07-29T20:05:50.000Z</CreateDate>\
         <UpdateDate>2022-07-29T20:05:50.000Z</UpdateDate>\
         <PolicyId>ADMINISTRATORACCESS</PolicyId>\
         <PolicyName>AdministratorAccess</PolicyName>\
         <DefaultVersionId>v1</DefaultVersionId>\
         <Path>/</Path>\
         <IsAttachable>true</IsAttachable>\
         <Description></Description>\
         </Policy></GetPolicyResult>\
         <ResponseMetadata><RequestId>0000000000000003</RequestId></ResponseMetadata>\
         </GetPolicyResponse>"
    );
}

#[test]
fn get_policy_version_matches_the_spec_sample() {
    let version = PolicyVersion {
        document:
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#
                .into(),
        is_default_version: true,
        version_id: "v1".into(),
        create_date: SPEC_DATE,
    };
    assert_eq!(
        xml(&IamResponse::GetPolicyVersion(version), "0000000000000017"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <GetPolicyVersionResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <GetPolicyVersionResult><PolicyVersion>\
         <Document>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A\
         %22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D</Document>\
         <IsDefaultVersion>true</IsDefaultVersion>\
         <VersionId>v1</VersionId>\
         <CreateDate>2022-07-29T20:05:50.000Z</CreateDate>\
         </PolicyVersion></GetPolicyVersionResult>\
         <ResponseMetadata><RequestId>0000000000000017</RequestId></ResponseMetadata>\
         </GetPolicyVersionResponse>"
    );
}

#[test]
fn list_policies_matches_the_spec_sample() {
    let date = datetime!(2017-05-15 02:57:50 UTC);
    let full = Policy {
        arn: "arn:aws:iam::aws:policy/FullAccess".into(),
        attachment_count: 0,
        create_date: date,
        update_date: date,
        policy_id: "FULLACCESS".into(),
        policy_name: "FullAccess".into(),
        default_version_id: "v1".into(),
        path: "/".into(),
        is_attachable: true,
        description: "not written in lists".into(),
    };
    let member = "<member><Arn>arn:aws:iam::aws:policy/FullAccess</Arn>\
        <AttachmentCount>0</AttachmentCount>\
        <CreateDate>2017-05-15T02:57:50.000Z</CreateDate>\
        <UpdateDate>2017-05-15T02:57:50.000Z</UpdateDate>\
        <PolicyId>FULLACCESS</PolicyId><PolicyName>FullAccess</PolicyName>\
        <DefaultVersionId>v1</DefaultVersionId><Path>/</Path>\
        <IsAttachable>true</IsAttachable></member>";
    assert_eq!(
        xml(
            &IamResponse::ListPolicies {
                policies: vec![full.clone()],
                truncation: Truncation::complete(),
            },
            "0000000000000001"
        ),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ListPoliciesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <ListPoliciesResult><IsTruncated>false</IsTruncated><Policies>{member}</Policies>\
             </ListPoliciesResult><ResponseMetadata><RequestId>0000000000000001</RequestId>\
             </ResponseMetadata></ListPoliciesResponse>"
        )
    );
    assert_eq!(
        xml(
            &IamResponse::ListPolicies {
                policies: vec![full.clone(), full],
                truncation: Truncation::truncated("2"),
            },
            "r"
        ),
        envelope(
            "ListPolicies",
            Some(&format!(
                "<IsTruncated>true</IsTruncated><Marker>2</Marker><Policies>{member}{member}\
                 </Policies>"
            )),
            "r"
        )
    );
    assert_eq!(
        xml(
            &IamResponse::ListPolicies {
                policies: vec![],
                truncation: Truncation::complete(),
            },
            "r"
        ),
        envelope(
            "ListPolicies",
            Some("<IsTruncated>false</IsTruncated><Policies></Policies>"),
            "r"
        )
    );
}

#[test]
fn list_attached_policies_match_the_spec_sample() {
    let attached = vec![AttachedPolicy {
        policy_name: "FullAccess".into(),
        policy_arn: "arn:aws:iam::aws:policy/FullAccess".into(),
    }];
    let body = "<AttachedPolicies><member><PolicyName>FullAccess</PolicyName>\
        <PolicyArn>arn:aws:iam::aws:policy/FullAccess</PolicyArn></member></AttachedPolicies>\
        <IsTruncated>false</IsTruncated>";
    assert_eq!(
        xml(
            &IamResponse::ListAttachedGroupPolicies {
                attached_policies: attached.clone(),
                truncation: Truncation::complete(),
            },
            "0000000000000001"
        ),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <ListAttachedGroupPoliciesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <ListAttachedGroupPoliciesResult>{body}</ListAttachedGroupPoliciesResult>\
             <ResponseMetadata><RequestId>0000000000000001</RequestId></ResponseMetadata>\
             </ListAttachedGroupPoliciesResponse>"
        )
    );
    assert_eq!(
        xml(
            &IamResponse::ListAttachedUserPolicies {
                attached_policies: attached,
                truncation: Truncation::truncated("1"),
            },
            "x"
        ),
        envelope(
            "ListAttachedUserPolicies",
            Some(
                "<AttachedPolicies><member><PolicyName>FullAccess</PolicyName>\
                 <PolicyArn>arn:aws:iam::aws:policy/FullAccess</PolicyArn></member>\
                 </AttachedPolicies><IsTruncated>true</IsTruncated><Marker>1</Marker>"
            ),
            "x"
        )
    );
}

#[test]
fn actions_without_result_match_the_spec_sample() {
    assert_eq!(
        xml(&IamResponse::AttachUserPolicy, "0000000000000001"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <AttachUserPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <ResponseMetadata><RequestId>0000000000000001</RequestId></ResponseMetadata>\
         </AttachUserPolicyResponse>"
    );
    for (response, action) in [
        (IamResponse::AttachGroupPolicy, "AttachGroupPolicy"),
        (IamResponse::DetachUserPolicy, "DetachUserPolicy"),
        (IamResponse::DetachGroupPolicy, "DetachGroupPolicy"),
        (IamResponse::DeleteUser, "DeleteUser"),
        (IamResponse::DeleteGroup, "DeleteGroup"),
        (IamResponse::AddUserToGroup, "AddUserToGroup"),
        (IamResponse::RemoveUserFromGroup, "RemoveUserFromGroup"),
        (IamResponse::UpdateAccessKey, "UpdateAccessKey"),
        (IamResponse::DeleteAccessKey, "DeleteAccessKey"),
    ] {
        assert_eq!(response.action().as_str(), action);
        assert_eq!(xml(&response, "id-7"), envelope(action, None, "id-7"));
    }
}

#[test]
fn users() {
    assert_eq!(
        xml(&IamResponse::GetUser(alice()), "1"),
        envelope("GetUser", Some(&format!("<User>{ALICE_XML}</User>")), "1")
    );
    let mut tagged = alice();
    tagged.tags = vec![
        Tag {
            key: "team".into(),
            value: "a&b".into(),
        },
        Tag {
            key: "empty".into(),
            value: String::new(),
        },
    ];
    assert_eq!(
        xml(&IamResponse::CreateUser(tagged), "2"),
        envelope(
            "CreateUser",
            Some(&format!(
                "<User>{ALICE_XML}<Tags><member><Key>team</Key><Value>a&amp;b</Value></member>\
                 <member><Key>empty</Key><Value></Value></member></Tags></User>"
            )),
            "2"
        )
    );
    // The root, as GetUser answers its own caller: no Path, no UserName.
    let root = User::root(
        "000000000000001",
        "arn:aws:iam::000000000000001:root",
        datetime!(2011-12-19 23:16:46 UTC),
    );
    assert_eq!(
        xml(&IamResponse::GetUser(root), "3"),
        envelope(
            "GetUser",
            Some(
                "<User><UserId>000000000000001</UserId><Arn>arn:aws:iam::000000000000001:root\
                 </Arn><CreateDate>2011-12-19T23:16:46.000Z</CreateDate></User>"
            ),
            "3"
        )
    );
    assert_eq!(
        xml(
            &IamResponse::ListUsers {
                users: vec![alice(), alice()],
                truncation: Truncation::truncated("bob"),
            },
            "4"
        ),
        envelope(
            "ListUsers",
            Some(&format!(
                "<Users><member>{ALICE_XML}</member><member>{ALICE_XML}</member></Users>\
                 <IsTruncated>true</IsTruncated><Marker>bob</Marker>"
            )),
            "4"
        )
    );
    assert_eq!(
        xml(
            &IamResponse::ListUsers {
                users: vec![],
                truncation: Truncation::complete(),
            },
            "5"
        ),
        envelope(
            "ListUsers",
            Some("<Users></Users><IsTruncated>false</IsTruncated>"),
            "5"
        )
    );
}

#[test]
fn groups() {
    assert_eq!(
        xml(&IamResponse::CreateGroup(devs()), "1"),
        envelope(
            "CreateGroup",
            Some(&format!("<Group>{DEVS_XML}</Group>")),
            "1"
        )
    );
    assert_eq!(
        xml(
            &IamResponse::GetGroup {
                group: devs(),
                users: vec![alice()],
                truncation: Truncation::complete(),
            },
            "2"
        ),
        envelope(
            "GetGroup",
            Some(&format!(
                "<Users><member>{ALICE_XML}</member></Users><IsTruncated>false</IsTruncated>\
                 <Group>{DEVS_XML}</Group>"
            )),
            "2"
        )
    );
    assert_eq!(
        xml(
            &IamResponse::GetGroup {
                group: devs(),
                users: vec![],
                truncation: Truncation::truncated("m"),
            },
            "2"
        ),
        envelope(
            "GetGroup",
            Some(&format!(
                "<Users></Users><IsTruncated>true</IsTruncated><Marker>m</Marker>\
                 <Group>{DEVS_XML}</Group>"
            )),
            "2"
        )
    );
    for (response, action) in [
        (
            IamResponse::ListGroups {
                groups: vec![devs()],
                truncation: Truncation::complete(),
            },
            "ListGroups",
        ),
        (
            IamResponse::ListGroupsForUser {
                groups: vec![devs()],
                truncation: Truncation::complete(),
            },
            "ListGroupsForUser",
        ),
    ] {
        assert_eq!(
            xml(&response, "3"),
            envelope(
                action,
                Some(&format!(
                    "<Groups><member>{DEVS_XML}</member></Groups><IsTruncated>false</IsTruncated>"
                )),
                "3"
            )
        );
    }
}

#[test]
fn access_keys() {
    let key = AccessKey {
        user_name: Some("alice".into()),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        status: AccessKeyStatus::Active,
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        create_date: datetime!(2024-05-06 07:08:09.010 UTC),
    };
    assert!(
        !format!("{key:?}").contains("wJalr"),
        "Debug must hide the secret"
    );
    assert_eq!(
        xml(&IamResponse::CreateAccessKey(key.clone()), "1"),
        envelope(
            "CreateAccessKey",
            Some(
                "<AccessKey><UserName>alice</UserName><AccessKeyId>AKIAIOSFODNN7EXAMPLE\
                 </AccessKeyId><Status>Active</Status><SecretAccessKey>\
                 wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey><CreateDate>\
                 2024-05-06T07:08:09.010Z</CreateDate></AccessKey>"
            ),
            "1"
        )
    );
    let root_key = AccessKey {
        user_name: None,
        ..key
    };
    assert!(!xml(&IamResponse::CreateAccessKey(root_key), "1").contains("UserName"));
    let listed = |user: Option<&str>, id: &str, status| AccessKeyMetadata {
        user_name: user.map(str::to_owned),
        access_key_id: id.into(),
        status,
        create_date: datetime!(2024-05-06 07:08:09 UTC),
    };
    assert_eq!(
        xml(
            &IamResponse::ListAccessKeys {
                user_name: Some("Bob".into()),
                access_key_metadata: vec![
                    listed(Some("Bob"), "AKIAIOSFODNN7EXAMPLE", AccessKeyStatus::Active),
                    listed(
                        Some("Bob"),
                        "AKIAI44QH8DHBEXAMPLE",
                        AccessKeyStatus::Inactive
                    ),
                ],
                truncation: Truncation::complete(),
            },
            "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"
        ),
        envelope(
            "ListAccessKeys",
            Some(
                "<UserName>Bob</UserName><AccessKeyMetadata>\
                 <member><UserName>Bob</UserName><AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId>\
                 <Status>Active</Status><CreateDate>2024-05-06T07:08:09.000Z</CreateDate></member>\
                 <member><UserName>Bob</UserName><AccessKeyId>AKIAI44QH8DHBEXAMPLE</AccessKeyId>\
                 <Status>Inactive</Status><CreateDate>2024-05-06T07:08:09.000Z</CreateDate>\
                 </member></AccessKeyMetadata><IsTruncated>false</IsTruncated>"
            ),
            "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"
        )
    );
    assert_eq!(
        xml(
            &IamResponse::ListAccessKeys {
                user_name: None,
                access_key_metadata: vec![listed(
                    None,
                    "AKIAROOTKEY000000001",
                    AccessKeyStatus::Active
                )],
                truncation: Truncation::complete(),
            },
            "r"
        ),
        envelope(
            "ListAccessKeys",
            Some(
                "<AccessKeyMetadata><member><AccessKeyId>AKIAROOTKEY000000001</AccessKeyId>\
                 <Status>Active</Status><CreateDate>2024-05-06T07:08:09.000Z</CreateDate>\
                 </member></AccessKeyMetadata><IsTruncated>false</IsTruncated>"
            ),
            "r"
        )
    );
}

#[test]
fn text_is_escaped_everywhere() {
    let mut user = alice();
    user.arn = "a<b>&\"c'\r\u{1}".into();
    let out = xml(&IamResponse::GetUser(user), "<id>&");
    assert!(
        out.contains("<Arn>a&lt;b&gt;&amp;&quot;c&apos;&#xD;&#x1;</Arn>"),
        "{out}"
    );
    assert!(
        out.contains("<RequestId>&lt;id&gt;&amp;</RequestId>"),
        "{out}"
    );
    // Percent-encoded documents need no escaping at all.
    let version = PolicyVersion {
        document: "{\"a\": \"<&>\"}\n".into(),
        is_default_version: false,
        version_id: "v2".into(),
        create_date: SPEC_DATE,
    };
    let out = xml(&IamResponse::GetPolicyVersion(version), "r");
    assert!(
        out.contains(
            "<Document>%7B%22a%22%3A%20%22%3C%26%3E%22%7D%0A</Document><IsDefaultVersion>false"
        ),
        "{out}"
    );
}

#[test]
fn every_action_has_a_response_variant() {
    let samples = [
        IamResponse::GetPolicy(admin_policy()),
        IamResponse::GetPolicyVersion(PolicyVersion {
            document: "{}".into(),
            is_default_version: true,
            version_id: "v1".into(),
            create_date: SPEC_DATE,
        }),
        IamResponse::ListPolicies {
            policies: vec![],
            truncation: Truncation::complete(),
        },
        IamResponse::ListAttachedUserPolicies {
            attached_policies: vec![],
            truncation: Truncation::complete(),
        },
        IamResponse::ListAttachedGroupPolicies {
            attached_policies: vec![],
            truncation: Truncation::complete(),
        },
        IamResponse::AttachUserPolicy,
        IamResponse::AttachGroupPolicy,
        IamResponse::DetachUserPolicy,
        IamResponse::DetachGroupPolicy,
        IamResponse::CreateUser(alice()),
        IamResponse::GetUser(alice()),
        IamResponse::ListUsers {
            users: vec![],
            truncation: Truncation::complete(),
        },
        IamResponse::DeleteUser,
        IamResponse::CreateGroup(devs()),
        IamResponse::GetGroup {
            group: devs(),
            users: vec![],
            truncation: Truncation::complete(),
        },
        IamResponse::ListGroups {
            groups: vec![],
            truncation: Truncation::complete(),
        },
        IamResponse::DeleteGroup,
        IamResponse::AddUserToGroup,
        IamResponse::RemoveUserFromGroup,
        IamResponse::ListGroupsForUser {
            groups: vec![],
            truncation: Truncation::complete(),
        },
        IamResponse::CreateAccessKey(AccessKey {
            user_name: None,
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            status: AccessKeyStatus::Active,
            secret_access_key: "s".into(),
            create_date: SPEC_DATE,
        }),
        IamResponse::ListAccessKeys {
            user_name: None,
            access_key_metadata: vec![],
            truncation: Truncation::complete(),
        },
        IamResponse::UpdateAccessKey,
        IamResponse::DeleteAccessKey,
    ];
    let actions: Vec<IamAction> = samples.iter().map(IamResponse::action).collect();
    assert_eq!(actions, IamAction::ALL);
    for response in &samples {
        let action = response.action().as_str();
        let out = xml(response, "rid");
        assert!(
            out.starts_with(&format!("{DECL}<{action}Response {NS}>")),
            "{out}"
        );
        assert!(
            out.ends_with(&format!(
                "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></{action}Response>"
            )),
            "{out}"
        );
    }
}
