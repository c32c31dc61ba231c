//! Every action and every error over `MemoryStore`. Requests are written as the form bodies
//! clients send and go through `s4-iam-query`'s parser, as in the service.

use s4_iam_query::{
    AccessKeyStatus, IamError, IamErrorCode, IamRequest, IamResponse, ParseOptions, Truncation,
};
use s4_naming::AccountId;
use s4_policy::managed;
use s4_storage::memory::MemoryStore;
use s4_storage::{IdentityStore, KeyOwner, KeyStatus, PolicyTarget};
use time::macros::datetime;
use time::OffsetDateTime;

use crate::{execute, execute_with, Caller, Limits};

const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);
const READ: &str = "arn:aws:iam::aws:policy/S3ReadAccess";
const NOPE: &str = "arn:aws:iam::aws:policy/NoSuchPolicy";

struct Fx {
    store: MemoryStore,
    account: AccountId,
    root: Caller<'static>,
}

impl Fx {
    async fn new() -> Self {
        let store = MemoryStore::new();
        let account = AccountId::from_number(42).unwrap();
        store.create_account(&account).await.unwrap();
        Self {
            store,
            account,
            root: Caller::Root { account },
        }
    }

    /// Runs `Action=<params>` as the root.
    async fn run(&self, params: &str) -> Result<IamResponse, IamError> {
        self.run_as(&self.root, params).await
    }

    async fn run_as(&self, caller: &Caller<'_>, params: &str) -> Result<IamResponse, IamError> {
        let request = parse(params)?;
        execute(&self.store, caller, request, NOW).await
    }

    async fn ok(&self, params: &str) -> IamResponse {
        match self.run(params).await {
            Ok(r) => r,
            Err(e) => panic!("{params}: {e}"),
        }
    }

    /// Expects an error with this code and status.
    async fn err(&self, params: &str, code: IamErrorCode, status: u16) -> IamError {
        match self.run(params).await {
            Ok(r) => panic!("{params}: expected {code}, got {r:?}"),
            Err(e) => {
                assert_eq!((e.code(), e.status()), (code, status), "{params}: {e}");
                e
            }
        }
    }

    async fn user(&self, name: &str) {
        self.ok(&format!("CreateUser&UserName={name}")).await;
    }

    async fn group(&self, name: &str) {
        self.ok(&format!("CreateGroup&GroupName={name}")).await;
    }

    async fn key_status(&self, id: &str) -> KeyStatus {
        self.store.get_access_key(id).await.unwrap().unwrap().status
    }
}

fn parse(params: &str) -> Result<IamRequest, IamError> {
    let form = format!("Version=2010-05-08&Action={params}");
    IamRequest::from_form(form.as_bytes(), &ParseOptions::default())
}

fn truncation(r: &IamResponse) -> Truncation {
    match r {
        IamResponse::ListPolicies { truncation, .. }
        | IamResponse::ListAttachedUserPolicies { truncation, .. }
        | IamResponse::ListAttachedGroupPolicies { truncation, .. }
        | IamResponse::ListUsers { truncation, .. }
        | IamResponse::GetGroup { truncation, .. }
        | IamResponse::ListGroups { truncation, .. }
        | IamResponse::ListGroupsForUser { truncation, .. }
        | IamResponse::ListAccessKeys { truncation, .. } => truncation.clone(),
        other => panic!("not a listing: {other:?}"),
    }
}

fn policy_names(r: &IamResponse) -> Vec<String> {
    match r {
        IamResponse::ListPolicies { policies, .. } => {
            policies.iter().map(|p| p.policy_name.clone()).collect()
        }
        IamResponse::ListAttachedUserPolicies {
            attached_policies, ..
        }
        | IamResponse::ListAttachedGroupPolicies {
            attached_policies, ..
        } => attached_policies
            .iter()
            .map(|p| p.policy_name.clone())
            .collect(),
        other => panic!("not a policy listing: {other:?}"),
    }
}

fn user_names(r: &IamResponse) -> Vec<String> {
    match r {
        IamResponse::ListUsers { users, .. } | IamResponse::GetGroup { users, .. } => {
            users.iter().map(|u| u.user_name.clone().unwrap()).collect()
        }
        other => panic!("not a user listing: {other:?}"),
    }
}

fn group_names(r: &IamResponse) -> Vec<String> {
    match r {
        IamResponse::ListGroups { groups, .. } | IamResponse::ListGroupsForUser { groups, .. } => {
            groups.iter().map(|g| g.group_name.clone()).collect()
        }
        other => panic!("not a group listing: {other:?}"),
    }
}

fn key_ids(r: &IamResponse) -> Vec<String> {
    match r {
        IamResponse::ListAccessKeys {
            access_key_metadata,
            ..
        } => access_key_metadata
            .iter()
            .map(|k| k.access_key_id.clone())
            .collect(),
        other => panic!("not a key listing: {other:?}"),
    }
}

fn created_key(r: IamResponse) -> s4_iam_query::AccessKey {
    match r {
        IamResponse::CreateAccessKey(key) => key,
        other => panic!("not CreateAccessKey: {other:?}"),
    }
}

// ---- policies ----

#[tokio::test]
async fn get_policy_counts_attachments_in_the_callers_account_only() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    fx.group("devs").await;
    fx.ok(&format!("AttachUserPolicy&UserName=alice&PolicyArn={READ}"))
        .await;
    fx.ok(&format!(
        "AttachGroupPolicy&GroupName=devs&PolicyArn={READ}"
    ))
    .await;
    // Another account's attachment does not count.
    let other = AccountId::from_number(7).unwrap();
    fx.store.create_account(&other).await.unwrap();
    let other_root = Caller::Root { account: other };
    fx.run_as(&other_root, "CreateUser&UserName=bob")
        .await
        .unwrap();
    fx.run_as(
        &other_root,
        &format!("AttachUserPolicy&UserName=bob&PolicyArn={READ}"),
    )
    .await
    .unwrap();

    let IamResponse::GetPolicy(p) = fx.ok(&format!("GetPolicy&PolicyArn={READ}")).await else {
        panic!()
    };
    assert_eq!(p.arn, READ);
    assert_eq!(p.attachment_count, 2);
    assert_eq!(p.policy_id, "S3READACCESS");
    assert_eq!(p.policy_name, "S3ReadAccess");
    assert_eq!(p.default_version_id, "v1");
    assert_eq!(p.path, "/");
    assert!(p.is_attachable);
    assert_eq!(p.create_date, managed::CREATE_DATE);
    assert_eq!(p.description, "");

    let IamResponse::GetPolicy(p) = fx
        .ok("GetPolicy&PolicyArn=arn:aws:iam::aws:policy/AdministratorAccess")
        .await
    else {
        panic!()
    };
    assert_eq!(p.attachment_count, 0);
}

#[tokio::test]
async fn get_policy_errors() {
    let fx = Fx::new().await;
    let e = fx
        .err(
            &format!("GetPolicy&PolicyArn={NOPE}"),
            IamErrorCode::NoSuchEntity,
            404,
        )
        .await;
    assert_eq!(
        e.message(),
        format!("Policy {NOPE} does not exist or is not attachable.")
    );
    fx.err("GetPolicy", IamErrorCode::ValidationError, 400)
        .await;
    fx.err(
        "GetPolicy&PolicyArn=arn:aws",
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    fx.err(
        "GetPolicy&PolicyArn=arn:aws:iam::123456789012:user/alice",
        IamErrorCode::InvalidInput,
        400,
    )
    .await;
}

#[tokio::test]
async fn get_policy_version_returns_the_document_url_encoded_in_xml() {
    let fx = Fx::new().await;
    let r = fx
        .ok(&format!("GetPolicyVersion&PolicyArn={READ}&VersionId=v1"))
        .await;
    let IamResponse::GetPolicyVersion(v) = &r else {
        panic!()
    };
    let policy = managed::by_name("S3ReadAccess").unwrap();
    assert_eq!(v.document, policy.document());
    assert!(v.is_default_version);
    assert_eq!(v.version_id, "v1");
    let xml = String::from_utf8(r.to_xml("1")).unwrap();
    assert!(xml.contains(&format!(
        "<Document>{}</Document>",
        s4_iam_query::percent_encode(policy.document())
    )));

    let e = fx
        .err(
            &format!("GetPolicyVersion&PolicyArn={READ}&VersionId=v2"),
            IamErrorCode::NoSuchEntity,
            404,
        )
        .await;
    assert!(e.message().contains("version v2"), "{e}");
    fx.err(
        &format!("GetPolicyVersion&PolicyArn={NOPE}&VersionId=v1"),
        IamErrorCode::NoSuchEntity,
        404,
    )
    .await;
    fx.err(
        &format!("GetPolicyVersion&PolicyArn={READ}&VersionId=1"),
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    fx.err(
        &format!("GetPolicyVersion&PolicyArn={READ}"),
        IamErrorCode::ValidationError,
        400,
    )
    .await;
}

#[tokio::test]
async fn list_policies_pages_with_integer_markers() {
    let fx = Fx::new().await;
    let all = fx.ok("ListPolicies").await;
    let names: Vec<String> = managed::all().iter().map(|p| p.name().to_owned()).collect();
    assert_eq!(policy_names(&all), names);
    assert_eq!(truncation(&all), Truncation::complete());

    let first = fx.ok("ListPolicies&MaxItems=8").await;
    assert_eq!(policy_names(&first), names[..8]);
    assert_eq!(truncation(&first), Truncation::truncated("8"));
    let second = fx.ok("ListPolicies&MaxItems=8&Marker=8").await;
    assert_eq!(policy_names(&second), names[8..16]);
    assert_eq!(truncation(&second), Truncation::truncated("16"));
    let last = fx.ok("ListPolicies&MaxItems=8&Marker=16").await;
    assert_eq!(policy_names(&last), names[16..]);
    assert_eq!(truncation(&last), Truncation::complete());
    let exact = fx.ok("ListPolicies&MaxItems=20").await;
    assert_eq!(truncation(&exact), Truncation::complete());
    // A marker equal to the number of policies is an empty page.
    let end = fx.ok("ListPolicies&Marker=20").await;
    assert!(policy_names(&end).is_empty());

    // AttachmentCount in listings too.
    fx.user("alice").await;
    fx.ok(&format!("AttachUserPolicy&UserName=alice&PolicyArn={READ}"))
        .await;
    let IamResponse::ListPolicies { policies, .. } = fx.ok("ListPolicies").await else {
        panic!()
    };
    for p in policies {
        let expected = u32::from(p.arn == READ);
        assert_eq!(p.attachment_count, expected, "{}", p.arn);
    }
}

#[tokio::test]
async fn list_policies_filters() {
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
    let fx = Fx::new().await;
    let names: Vec<String> = managed::all().iter().map(|p| p.name().to_owned()).collect();
    // Nothing attached yet: OnlyAttached lists nothing.
    assert!(policy_names(&fx.ok("ListPolicies&OnlyAttached=true").await).is_empty());
    fx.user("alice").await;
    fx.group("staff").await;
    fx.ok(&format!("AttachUserPolicy&UserName=alice&PolicyArn={READ}"))
        .await;
    fx.ok(&format!(
        "AttachGroupPolicy&GroupName=staff&PolicyArn={ADMIN}"
    ))
    .await;
    let attached = fx.ok("ListPolicies&OnlyAttached=true").await;
    let mut expected: Vec<String> = names
        .iter()
        .filter(|n| ["S3ReadAccess", "AdministratorAccess"].contains(&n.as_str()))
        .cloned()
        .collect();
    assert_eq!(expected.len(), 2, "both policies are managed policies");
    assert_eq!(policy_names(&attached), expected);
    // Paging counts within the filtered list; a marker past it is ValidationError.
    let first = fx.ok("ListPolicies&OnlyAttached=true&MaxItems=1").await;
    assert_eq!(policy_names(&first), expected[..1]);
    assert_eq!(truncation(&first), Truncation::truncated("1"));
    let rest = fx
        .ok("ListPolicies&OnlyAttached=true&MaxItems=1&Marker=1")
        .await;
    assert_eq!(policy_names(&rest), expected.split_off(1));
    assert_eq!(truncation(&rest), Truncation::complete());
    fx.err(
        "ListPolicies&OnlyAttached=true&Marker=3",
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    // OnlyAttached=false, Scope All or AWS and PermissionsPolicy keep every policy.
    for params in [
        "OnlyAttached=false",
        "Scope=All",
        "Scope=AWS",
        "PolicyUsageFilter=PermissionsPolicy",
    ] {
        let listed = fx.ok(&format!("ListPolicies&{params}")).await;
        assert_eq!(policy_names(&listed), names, "{params}");
    }
    // S4 has no customer-managed policies and no permissions boundaries.
    for params in ["Scope=Local", "PolicyUsageFilter=PermissionsBoundary"] {
        let listed = fx.ok(&format!("ListPolicies&{params}")).await;
        assert!(policy_names(&listed).is_empty(), "{params}");
    }
    fx.err(
        "ListPolicies&Scope=Everything",
        IamErrorCode::ValidationError,
        400,
    )
    .await;
}

#[tokio::test]
async fn list_policies_marker_and_max_items_errors() {
    let fx = Fx::new().await;
    // MalformedInput: not an integer, or out of the integer range.
    for bad in [
        "Marker=x",
        "Marker=1.5",
        "MaxItems=ten",
        "Marker=99999999999999999999",
    ] {
        fx.err(
            &format!("ListPolicies&{bad}"),
            IamErrorCode::MalformedInput,
            400,
        )
        .await;
    }
    // ValidationError: below zero, above the number of managed policies, MaxItems out of
    // 1..=1000.
    let e = fx
        .err("ListPolicies&Marker=21", IamErrorCode::ValidationError, 400)
        .await;
    assert!(
        e.message()
            .contains("Member must have value less than or equal to 20"),
        "{e}"
    );
    for bad in ["Marker=-1", "MaxItems=0", "MaxItems=1001", "MaxItems=-3"] {
        fx.err(
            &format!("ListPolicies&{bad}"),
            IamErrorCode::ValidationError,
            400,
        )
        .await;
    }
}

#[tokio::test]
async fn attach_list_detach_for_users_and_groups() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    fx.group("devs").await;
    for (kind, param, name) in [
        ("User", "UserName", "alice"),
        ("Group", "GroupName", "devs"),
    ] {
        let list = format!("ListAttached{kind}Policies&{param}={name}");
        assert!(policy_names(&fx.ok(&list).await).is_empty());
        for policy in ["S3ReadAccess", "S3WriteAccess", "IAMListAccess"] {
            let r = fx
                .ok(&format!(
                    "Attach{kind}Policy&{param}={name}&PolicyArn=arn:aws:iam::aws:policy/{policy}"
                ))
                .await;
            assert_eq!(r.action().as_str(), format!("Attach{kind}Policy"));
        }
        // Idempotent.
        fx.ok(&format!(
            "Attach{kind}Policy&{param}={name}&PolicyArn={READ}"
        ))
        .await;
        let r = fx.ok(&list).await;
        assert_eq!(
            policy_names(&r),
            ["S3ReadAccess", "S3WriteAccess", "IAMListAccess"]
        );
        let (IamResponse::ListAttachedUserPolicies {
            attached_policies, ..
        }
        | IamResponse::ListAttachedGroupPolicies {
            attached_policies, ..
        }) = &r
        else {
            panic!()
        };
        assert_eq!(attached_policies[0].policy_arn, READ);

        // Paging by index.
        let page = fx.ok(&format!("{list}&MaxItems=2")).await;
        assert_eq!(policy_names(&page), ["S3ReadAccess", "S3WriteAccess"]);
        assert_eq!(truncation(&page), Truncation::truncated("2"));
        let page = fx.ok(&format!("{list}&MaxItems=2&Marker=2")).await;
        assert_eq!(policy_names(&page), ["IAMListAccess"]);
        assert_eq!(truncation(&page), Truncation::complete());

        // Detach.
        let r = fx
            .ok(&format!(
                "Detach{kind}Policy&{param}={name}&PolicyArn={READ}"
            ))
            .await;
        assert_eq!(r.action().as_str(), format!("Detach{kind}Policy"));
        assert_eq!(
            policy_names(&fx.ok(&list).await),
            ["S3WriteAccess", "IAMListAccess"]
        );
        let e = fx
            .err(
                &format!("Detach{kind}Policy&{param}={name}&PolicyArn={READ}"),
                IamErrorCode::NoSuchEntity,
                404,
            )
            .await;
        assert_eq!(e.message(), format!("Policy {READ} was not found."));
    }
}

#[tokio::test]
async fn attach_and_detach_errors() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    fx.group("devs").await;
    for (kind, param, name, missing) in [
        ("User", "UserName", "alice", "ghost"),
        ("Group", "GroupName", "devs", "ghosts"),
    ] {
        for verb in ["Attach", "Detach"] {
            // A well-formed ARN naming no managed policy: InvalidArgument (spec).
            let e = fx
                .err(
                    &format!("{verb}{kind}Policy&{param}={name}&PolicyArn={NOPE}"),
                    IamErrorCode::InvalidArgument,
                    400,
                )
                .await;
            assert_eq!(
                e.message(),
                format!("Policy {NOPE} does not exist or is not attachable.")
            );
            // An unknown user or group.
            let e = fx
                .err(
                    &format!("{verb}{kind}Policy&{param}={missing}&PolicyArn={READ}"),
                    IamErrorCode::NoSuchEntity,
                    404,
                )
                .await;
            assert!(e.message().contains(missing), "{e}");
            // Not an ARN at all; missing parameters.
            fx.err(
                &format!("{verb}{kind}Policy&{param}={name}&PolicyArn=arn:aws:s3:::bucket-name"),
                IamErrorCode::InvalidInput,
                400,
            )
            .await;
            fx.err(
                &format!("{verb}{kind}Policy&{param}={name}"),
                IamErrorCode::ValidationError,
                400,
            )
            .await;
        }
    }
    // Nothing was attached along the way.
    assert_eq!(
        fx.store
            .count_policy_attachments(&fx.account, READ)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn list_attached_policies_errors() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    // NoSuchEntity is 400 in these two actions (spec).
    let e = fx
        .err(
            "ListAttachedUserPolicies&UserName=ghost",
            IamErrorCode::NoSuchEntity,
            400,
        )
        .await;
    assert_eq!(e.message(), "The user with name ghost cannot be found.");
    let e = fx
        .err(
            "ListAttachedGroupPolicies&GroupName=ghosts",
            IamErrorCode::NoSuchEntity,
            400,
        )
        .await;
    assert_eq!(e.message(), "The group with name ghosts cannot be found.");
    // Marker rules as in ListPolicies: more than the managed policies is ValidationError,
    // up to it is an (empty) page.
    fx.err(
        "ListAttachedUserPolicies&UserName=alice&Marker=21",
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    let r = fx
        .ok("ListAttachedUserPolicies&UserName=alice&Marker=20")
        .await;
    assert!(policy_names(&r).is_empty());
    fx.err(
        "ListAttachedUserPolicies&UserName=alice&Marker=abc",
        IamErrorCode::MalformedInput,
        400,
    )
    .await;
    fx.err(
        "ListAttachedGroupPolicies&GroupName=x&MaxItems=0",
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    fx.err(
        "ListAttachedUserPolicies",
        IamErrorCode::ValidationError,
        400,
    )
    .await;
}

// ---- users ----

#[tokio::test]
async fn create_get_list_delete_users() {
    let fx = Fx::new().await;
    let IamResponse::CreateUser(u) = fx.ok("CreateUser&UserName=Alice&Path=/").await else {
        panic!()
    };
    assert_eq!(u.user_name.as_deref(), Some("Alice"));
    assert_eq!(u.path.as_deref(), Some("/"));
    assert_eq!(u.arn, "arn:aws:iam::000000000000042:user/Alice");
    assert_eq!(u.user_id.len(), 21);
    assert!(u.user_id.starts_with("AIDA"));
    assert_eq!(u.create_date, NOW);

    // Lookups are case-insensitive and keep the created spelling.
    let IamResponse::GetUser(got) = fx.ok("GetUser&UserName=alice").await else {
        panic!()
    };
    assert_eq!(got, u);

    for name in ["bob", "carol", "dave", "erin"] {
        fx.user(name).await;
    }
    let all = fx.ok("ListUsers").await;
    assert_eq!(user_names(&all), ["Alice", "bob", "carol", "dave", "erin"]);
    assert_eq!(truncation(&all), Truncation::complete());
    let page = fx.ok("ListUsers&MaxItems=2").await;
    assert_eq!(user_names(&page), ["Alice", "bob"]);
    assert_eq!(truncation(&page), Truncation::truncated("carol"));
    let page = fx.ok("ListUsers&MaxItems=2&Marker=carol").await;
    assert_eq!(user_names(&page), ["carol", "dave"]);
    assert_eq!(truncation(&page), Truncation::truncated("erin"));
    // The marker's user was deleted meanwhile: resume after it.
    fx.ok("DeleteUser&UserName=erin").await;
    let page = fx.ok("ListUsers&MaxItems=2&Marker=erin").await;
    assert!(user_names(&page).is_empty());
    assert_eq!(truncation(&page), Truncation::complete());
    let page = fx.ok("ListUsers&Marker=c").await;
    assert_eq!(user_names(&page), ["carol", "dave"]);

    fx.ok("DeleteUser&UserName=ALICE").await;
    fx.err("GetUser&UserName=Alice", IamErrorCode::NoSuchEntity, 404)
        .await;
}

#[tokio::test]
async fn create_user_errors() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    let e = fx
        .err(
            "CreateUser&UserName=ALICE",
            IamErrorCode::EntityAlreadyExists,
            409,
        )
        .await;
    assert!(e.message().contains("ALICE"), "{e}");
    // Tags are refused, and nothing is created.
    let e = fx
        .err(
            "CreateUser&UserName=bob&Tags.member.1.Key=team&Tags.member.1.Value=x",
            IamErrorCode::InvalidInput,
            400,
        )
        .await;
    assert!(e.message().contains("Tags"), "{e}");
    fx.err("GetUser&UserName=bob", IamErrorCode::NoSuchEntity, 404)
        .await;
    fx.err(
        "CreateUser&UserName=a%20b",
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    fx.err(
        &format!("CreateUser&UserName={}", "u".repeat(65)),
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    fx.err("CreateUser", IamErrorCode::ValidationError, 400)
        .await;
    fx.err(
        "CreateUser&UserName=bob&Path=/team/",
        IamErrorCode::InvalidInput,
        400,
    )
    .await;

    // The account's user quota.
    let limits = Limits {
        users_per_account: 2,
        ..Limits::default()
    };
    let create = |name: &str| {
        execute_with(
            &fx.store,
            &limits,
            &fx.root,
            parse(&format!("CreateUser&UserName={name}")).unwrap(),
            NOW,
        )
    };
    create("bob").await.unwrap();
    let e = create("carol").await.unwrap_err();
    assert_eq!((e.code(), e.status()), (IamErrorCode::LimitExceeded, 409));
    assert_eq!(e.message(), "Cannot exceed quota for UsersPerAccount: 2.");
}

#[tokio::test]
async fn get_user_without_a_name_describes_the_root() {
    let fx = Fx::new().await;
    let IamResponse::GetUser(u) = fx.ok("GetUser").await else {
        panic!()
    };
    assert_eq!(u.user_name, None);
    assert_eq!(u.path, None);
    assert_eq!(u.user_id, "000000000000042");
    assert_eq!(u.arn, "arn:aws:iam::000000000000042:root");
    let account = fx.store.get_account(&fx.account).await.unwrap().unwrap();
    assert_eq!(u.create_date, account.created);
    fx.err("GetUser&UserName=ghost", IamErrorCode::NoSuchEntity, 404)
        .await;
    fx.err("GetUser&UserName=a/b", IamErrorCode::ValidationError, 400)
        .await;
}

#[tokio::test]
async fn delete_user_conflicts_until_keys_groups_and_policies_are_gone() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    fx.group("devs").await;
    let key = created_key(fx.ok("CreateAccessKey&UserName=alice").await);
    fx.ok("AddUserToGroup&GroupName=devs&UserName=alice").await;
    fx.ok(&format!("AttachUserPolicy&UserName=alice&PolicyArn={READ}"))
        .await;

    let e = fx
        .err(
            "DeleteUser&UserName=alice",
            IamErrorCode::DeleteConflict,
            409,
        )
        .await;
    assert_eq!(
        e.message(),
        "Cannot delete entity, must delete access keys first."
    );
    fx.ok(&format!(
        "DeleteAccessKey&UserName=alice&AccessKeyId={}",
        key.access_key_id
    ))
    .await;
    let e = fx
        .err(
            "DeleteUser&UserName=alice",
            IamErrorCode::DeleteConflict,
            409,
        )
        .await;
    assert!(e.message().contains("groups"), "{e}");
    fx.ok("RemoveUserFromGroup&GroupName=devs&UserName=alice")
        .await;
    let e = fx
        .err(
            "DeleteUser&UserName=alice",
            IamErrorCode::DeleteConflict,
            409,
        )
        .await;
    assert!(e.message().contains("policies"), "{e}");
    fx.ok(&format!("DetachUserPolicy&UserName=alice&PolicyArn={READ}"))
        .await;
    assert_eq!(
        fx.ok("DeleteUser&UserName=alice").await,
        IamResponse::DeleteUser
    );
    fx.err("DeleteUser&UserName=alice", IamErrorCode::NoSuchEntity, 404)
        .await;
    fx.err("DeleteUser", IamErrorCode::ValidationError, 400)
        .await;
}

// ---- groups ----

#[tokio::test]
async fn create_get_list_delete_groups() {
    let fx = Fx::new().await;
    let IamResponse::CreateGroup(g) = fx.ok("CreateGroup&GroupName=Devs").await else {
        panic!()
    };
    assert_eq!(g.group_name, "Devs");
    assert_eq!(g.path, "/");
    assert_eq!(g.arn, "arn:aws:iam::000000000000042:group/Devs");
    assert_eq!(g.group_id.len(), 21);
    assert!(g.group_id.starts_with("AGPA"));
    assert_eq!(g.create_date, NOW);
    let e = fx
        .err(
            "CreateGroup&GroupName=devs",
            IamErrorCode::EntityAlreadyExists,
            409,
        )
        .await;
    assert!(e.message().contains("devs"), "{e}");
    fx.group("ops").await;
    fx.group("qa").await;

    for name in ["zed", "amy", "kim"] {
        fx.user(name).await;
        fx.ok(&format!("AddUserToGroup&GroupName=devs&UserName={name}"))
            .await;
    }
    let r = fx.ok("GetGroup&GroupName=DEVS").await;
    let IamResponse::GetGroup { group, .. } = &r else {
        panic!()
    };
    assert_eq!(group, &g);
    assert_eq!(user_names(&r), ["amy", "kim", "zed"]);
    let r = fx.ok("GetGroup&GroupName=devs&MaxItems=2").await;
    assert_eq!(user_names(&r), ["amy", "kim"]);
    assert_eq!(truncation(&r), Truncation::truncated("zed"));
    let r = fx.ok("GetGroup&GroupName=devs&Marker=zed").await;
    assert_eq!(user_names(&r), ["zed"]);
    assert_eq!(truncation(&r), Truncation::complete());

    let all = fx.ok("ListGroups").await;
    assert_eq!(group_names(&all), ["Devs", "ops", "qa"]);
    let page = fx.ok("ListGroups&MaxItems=1&Marker=ops").await;
    assert_eq!(group_names(&page), ["ops"]);
    assert_eq!(truncation(&page), Truncation::truncated("qa"));

    fx.ok("DeleteGroup&GroupName=qa").await;
    assert_eq!(group_names(&fx.ok("ListGroups").await), ["Devs", "ops"]);
    fx.err("GetGroup&GroupName=qa", IamErrorCode::NoSuchEntity, 404)
        .await;
}

#[tokio::test]
async fn group_errors() {
    let fx = Fx::new().await;
    fx.group("devs").await;
    fx.user("alice").await;
    fx.err("GetGroup&GroupName=ghosts", IamErrorCode::NoSuchEntity, 404)
        .await;
    fx.err(
        "DeleteGroup&GroupName=ghosts",
        IamErrorCode::NoSuchEntity,
        404,
    )
    .await;
    fx.err(
        "CreateGroup&GroupName=a*b",
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    fx.err(
        &format!("CreateGroup&GroupName={}", "g".repeat(129)),
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    fx.err(
        "CreateGroup&GroupName=x&Path=/a/",
        IamErrorCode::InvalidInput,
        400,
    )
    .await;

    // DeleteGroup refuses while members or policies remain.
    fx.ok("AddUserToGroup&GroupName=devs&UserName=alice").await;
    fx.ok(&format!(
        "AttachGroupPolicy&GroupName=devs&PolicyArn={READ}"
    ))
    .await;
    let e = fx
        .err(
            "DeleteGroup&GroupName=devs",
            IamErrorCode::DeleteConflict,
            409,
        )
        .await;
    assert_eq!(
        e.message(),
        "Cannot delete entity, must remove users from group first."
    );
    fx.ok("RemoveUserFromGroup&GroupName=devs&UserName=alice")
        .await;
    let e = fx
        .err(
            "DeleteGroup&GroupName=devs",
            IamErrorCode::DeleteConflict,
            409,
        )
        .await;
    assert_eq!(
        e.message(),
        "Cannot delete entity, must detach all policies first."
    );
    fx.ok(&format!(
        "DetachGroupPolicy&GroupName=devs&PolicyArn={READ}"
    ))
    .await;
    fx.ok("DeleteGroup&GroupName=devs").await;

    // The account's group quota.
    let limits = Limits {
        groups_per_account: 1,
        ..Limits::default()
    };
    let create = |name: &str| {
        execute_with(
            &fx.store,
            &limits,
            &fx.root,
            parse(&format!("CreateGroup&GroupName={name}")).unwrap(),
            NOW,
        )
    };
    create("one").await.unwrap();
    let e = create("two").await.unwrap_err();
    assert_eq!((e.code(), e.status()), (IamErrorCode::LimitExceeded, 409));
}

#[tokio::test]
async fn memberships() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    for g in ["b-team", "a-team", "c-team"] {
        fx.group(g).await;
        fx.ok(&format!("AddUserToGroup&GroupName={g}&UserName=ALICE"))
            .await;
    }
    // Idempotent.
    fx.ok("AddUserToGroup&GroupName=a-team&UserName=alice")
        .await;
    let r = fx.ok("ListGroupsForUser&UserName=alice").await;
    assert_eq!(group_names(&r), ["a-team", "b-team", "c-team"]);
    let r = fx.ok("ListGroupsForUser&UserName=alice&MaxItems=2").await;
    assert_eq!(group_names(&r), ["a-team", "b-team"]);
    assert_eq!(truncation(&r), Truncation::truncated("c-team"));
    let r = fx
        .ok("ListGroupsForUser&UserName=alice&Marker=c-team")
        .await;
    assert_eq!(group_names(&r), ["c-team"]);

    assert_eq!(
        fx.ok("RemoveUserFromGroup&GroupName=b-team&UserName=alice")
            .await,
        IamResponse::RemoveUserFromGroup
    );
    let r = fx.ok("ListGroupsForUser&UserName=alice").await;
    assert_eq!(group_names(&r), ["a-team", "c-team"]);

    // Errors.
    for params in [
        "AddUserToGroup&GroupName=ghosts&UserName=alice",
        "AddUserToGroup&GroupName=a-team&UserName=ghost",
        "RemoveUserFromGroup&GroupName=ghosts&UserName=alice",
        "RemoveUserFromGroup&GroupName=a-team&UserName=ghost",
        "ListGroupsForUser&UserName=ghost",
    ] {
        fx.err(params, IamErrorCode::NoSuchEntity, 404).await;
    }
    let e = fx
        .err(
            "RemoveUserFromGroup&GroupName=b-team&UserName=alice",
            IamErrorCode::NoSuchEntity,
            404,
        )
        .await;
    assert!(e.message().contains("not a member"), "{e}");
    fx.err(
        "AddUserToGroup&GroupName=a-team",
        IamErrorCode::ValidationError,
        400,
    )
    .await;

    // Groups per user.
    let limits = Limits {
        groups_per_user: 2,
        ..Limits::default()
    };
    let add = |g: &str| {
        execute_with(
            &fx.store,
            &limits,
            &fx.root,
            parse(&format!("AddUserToGroup&GroupName={g}&UserName=alice")).unwrap(),
            NOW,
        )
    };
    // Already a member of two: re-adding one is fine, a third is not.
    add("a-team").await.unwrap();
    let e = add("b-team").await.unwrap_err();
    assert_eq!((e.code(), e.status()), (IamErrorCode::LimitExceeded, 409));
    assert_eq!(e.message(), "Cannot exceed quota for GroupsPerUser: 2.");
}

// ---- access keys ----

#[tokio::test]
async fn access_keys_for_a_user() {
    let fx = Fx::new().await;
    fx.user("Alice").await;
    let k1 = created_key(fx.ok("CreateAccessKey&UserName=alice").await);
    assert_eq!(k1.user_name.as_deref(), Some("Alice"));
    assert_eq!(k1.access_key_id.len(), 20);
    assert!(k1.access_key_id.starts_with("AKIA"));
    assert_eq!(k1.secret_access_key.len(), 40);
    assert_eq!(k1.status, AccessKeyStatus::Active);
    assert_eq!(k1.create_date, NOW);
    // The secret never shows in Debug output.
    assert!(!format!("{k1:?}").contains(&k1.secret_access_key));
    let stored = fx
        .store
        .get_access_key(&k1.access_key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.secret_access_key, k1.secret_access_key);
    assert_eq!(stored.owner, KeyOwner::User("Alice".into()));
    assert_eq!(stored.account, fx.account);

    let k2 = created_key(fx.ok("CreateAccessKey&UserName=alice").await);
    assert_ne!(k1.secret_access_key, k2.secret_access_key);
    let e = fx
        .err(
            "CreateAccessKey&UserName=alice",
            IamErrorCode::LimitExceeded,
            409,
        )
        .await;
    assert_eq!(e.message(), "Cannot exceed quota for AccessKeysPerUser: 2.");

    let r = fx.ok("ListAccessKeys&UserName=alice").await;
    assert_eq!(
        key_ids(&r),
        [k1.access_key_id.as_str(), k2.access_key_id.as_str()]
    );
    let IamResponse::ListAccessKeys {
        user_name,
        access_key_metadata,
        ..
    } = &r
    else {
        panic!()
    };
    assert_eq!(user_name.as_deref(), Some("Alice"));
    assert_eq!(access_key_metadata[0].user_name.as_deref(), Some("Alice"));
    assert_eq!(access_key_metadata[0].status, AccessKeyStatus::Active);
    // No secret in listings or their XML.
    let xml = String::from_utf8(r.to_xml("1")).unwrap();
    assert!(!xml.contains(&k1.secret_access_key));
    let page = fx.ok("ListAccessKeys&UserName=alice&MaxItems=1").await;
    assert_eq!(key_ids(&page), [k1.access_key_id.as_str()]);
    assert_eq!(
        truncation(&page),
        Truncation::truncated(k2.access_key_id.clone())
    );
    let page = fx
        .ok(&format!(
            "ListAccessKeys&UserName=alice&MaxItems=1&Marker={}",
            k2.access_key_id
        ))
        .await;
    assert_eq!(key_ids(&page), [k2.access_key_id.as_str()]);
    assert_eq!(truncation(&page), Truncation::complete());
    fx.err(
        "ListAccessKeys&UserName=alice&Marker=AKIANOSUCHKEY0000000",
        IamErrorCode::InvalidInput,
        400,
    )
    .await;

    // Deactivate, reactivate, delete.
    assert_eq!(
        fx.ok(&format!(
            "UpdateAccessKey&UserName=alice&AccessKeyId={}&Status=Inactive",
            k1.access_key_id
        ))
        .await,
        IamResponse::UpdateAccessKey
    );
    assert_eq!(fx.key_status(&k1.access_key_id).await, KeyStatus::Inactive);
    let IamResponse::ListAccessKeys {
        access_key_metadata,
        ..
    } = fx.ok("ListAccessKeys&UserName=alice").await
    else {
        panic!()
    };
    assert_eq!(access_key_metadata[0].status, AccessKeyStatus::Inactive);
    fx.ok(&format!(
        "UpdateAccessKey&UserName=alice&AccessKeyId={}&Status=Active",
        k1.access_key_id
    ))
    .await;
    assert_eq!(fx.key_status(&k1.access_key_id).await, KeyStatus::Active);
    assert_eq!(
        fx.ok(&format!(
            "DeleteAccessKey&UserName=alice&AccessKeyId={}",
            k1.access_key_id
        ))
        .await,
        IamResponse::DeleteAccessKey
    );
    assert!(fx
        .store
        .get_access_key(&k1.access_key_id)
        .await
        .unwrap()
        .is_none());
    // Room for a new one again.
    created_key(fx.ok("CreateAccessKey&UserName=alice").await);
}

#[tokio::test]
async fn access_keys_of_the_caller() {
    let fx = Fx::new().await;
    let k = created_key(fx.ok("CreateAccessKey").await);
    assert_eq!(k.user_name, None);
    let stored = fx
        .store
        .get_access_key(&k.access_key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.owner, KeyOwner::Root);
    let r = fx.ok("ListAccessKeys").await;
    assert_eq!(key_ids(&r), [k.access_key_id.as_str()]);
    let IamResponse::ListAccessKeys { user_name, .. } = &r else {
        panic!()
    };
    assert_eq!(user_name, &None);
    created_key(fx.ok("CreateAccessKey").await);
    fx.err("CreateAccessKey", IamErrorCode::LimitExceeded, 409)
        .await;
    fx.ok(&format!(
        "UpdateAccessKey&AccessKeyId={}&Status=Inactive",
        k.access_key_id
    ))
    .await;
    assert_eq!(fx.key_status(&k.access_key_id).await, KeyStatus::Inactive);
    fx.ok(&format!("DeleteAccessKey&AccessKeyId={}", k.access_key_id))
        .await;
    assert_eq!(key_ids(&fx.ok("ListAccessKeys").await).len(), 1);
}

#[tokio::test]
async fn access_key_errors() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    fx.user("bob").await;
    let alices = created_key(fx.ok("CreateAccessKey&UserName=alice").await);
    let roots = created_key(fx.ok("CreateAccessKey").await);
    let other = AccountId::from_number(7).unwrap();
    fx.store.create_account(&other).await.unwrap();
    let foreign = created_key(
        fx.run_as(&Caller::Root { account: other }, "CreateAccessKey")
            .await
            .unwrap(),
    );

    for params in [
        "CreateAccessKey&UserName=ghost",
        "ListAccessKeys&UserName=ghost",
    ] {
        fx.err(params, IamErrorCode::NoSuchEntity, 404).await;
    }
    for (verb, extra) in [
        ("UpdateAccessKey", "&Status=Inactive"),
        ("DeleteAccessKey", ""),
    ] {
        let cases = [
            // Unknown key.
            format!("{verb}&AccessKeyId=AKIA0000000000000000{extra}"),
            // Another user's key, the root's key named with a user, a user's key without.
            format!(
                "{verb}&UserName=bob&AccessKeyId={}{extra}",
                alices.access_key_id
            ),
            format!(
                "{verb}&UserName=alice&AccessKeyId={}{extra}",
                roots.access_key_id
            ),
            format!("{verb}&AccessKeyId={}{extra}", alices.access_key_id),
            // Another account's key.
            format!("{verb}&AccessKeyId={}{extra}", foreign.access_key_id),
        ];
        for params in cases {
            let e = fx.err(&params, IamErrorCode::NoSuchEntity, 404).await;
            assert!(e.message().starts_with("The Access Key with id"), "{e}");
        }
        fx.err(
            &format!(
                "{verb}&UserName=ghost&AccessKeyId={}{extra}",
                alices.access_key_id
            ),
            IamErrorCode::NoSuchEntity,
            404,
        )
        .await;
        fx.err(
            &format!("{verb}&AccessKeyId=short{extra}"),
            IamErrorCode::ValidationError,
            400,
        )
        .await;
    }
    fx.err(
        &format!(
            "UpdateAccessKey&AccessKeyId={}&Status=Disabled",
            roots.access_key_id
        ),
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    fx.err(
        &format!("UpdateAccessKey&AccessKeyId={}", roots.access_key_id),
        IamErrorCode::ValidationError,
        400,
    )
    .await;
    // Nothing changed.
    for key in [&alices, &roots, &foreign] {
        assert_eq!(fx.key_status(&key.access_key_id).await, KeyStatus::Active);
    }
}

// ---- authorization, accounts, names ----

#[tokio::test]
async fn iam_users_are_authorized_by_their_and_their_groups_policies() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    fx.group("devs").await;
    let stored = fx.store.get_user(&fx.account, "alice").await.unwrap();
    let alice = Caller::User {
        account: fx.account,
        name: &stored.name,
        user_id: &stored.user_id,
    };
    let denied = |r: Result<IamResponse, IamError>| matches!(r, Err(e) if e.code() == IamErrorCode::AccessDenied);
    assert!(denied(fx.run_as(&alice, "ListPolicies").await));
    fx.ok("AttachUserPolicy&UserName=alice&PolicyArn=arn:aws:iam::aws:policy/IAMReadAccess")
        .await;
    assert!(!denied(fx.run_as(&alice, "ListPolicies").await));
    assert!(!denied(fx.run_as(&alice, "GetUser&UserName=alice").await));
    let attach = "AttachUserPolicy&UserName=alice&PolicyArn=arn:aws:iam::aws:policy/IAMFullAccess";
    assert!(denied(fx.run_as(&alice, attach).await));
    assert!(denied(fx.run_as(&alice, "CreateUser&UserName=bob").await));
    // Through a group.
    fx.ok("AddUserToGroup&GroupName=devs&UserName=alice").await;
    fx.ok(
        "AttachGroupPolicy&GroupName=devs&PolicyArn=arn:aws:iam::aws:policy/IAMAttachDetachAccess",
    )
    .await;
    assert!(denied(fx.run_as(&alice, "CreateUser&UserName=bob").await));
    assert!(!denied(fx.run_as(&alice, attach).await));
    // Having attached IAMFullAccess to herself, alice may create users.
    assert!(!denied(fx.run_as(&alice, "CreateUser&UserName=bob").await));
    // Only attachments, listed once, in order.
    let policies = crate::identity_policies(&fx.store, &fx.account, "alice")
        .await
        .unwrap();
    let names: Vec<&str> = policies.iter().map(|p| p.name()).collect();
    assert_eq!(
        names,
        [
            "arn:aws:iam::aws:policy/IAMReadAccess",
            "arn:aws:iam::aws:policy/IAMFullAccess",
            "arn:aws:iam::aws:policy/IAMAttachDetachAccess"
        ]
    );
}

#[tokio::test]
async fn iam_users_without_policies_are_denied_every_action() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    fx.group("devs").await;
    // An S3 policy grants nothing in IAM.
    fx.ok("AttachUserPolicy&UserName=alice&PolicyArn=arn:aws:iam::aws:policy/S3FullAccess")
        .await;
    let stored = fx.store.get_user(&fx.account, "alice").await.unwrap();
    let alice = Caller::User {
        account: fx.account,
        name: &stored.name,
        user_id: &stored.user_id,
    };
    let all = [
        format!("GetPolicy&PolicyArn={READ}"),
        format!("GetPolicyVersion&PolicyArn={READ}&VersionId=v1"),
        "ListPolicies".to_owned(),
        "ListAttachedUserPolicies&UserName=alice".to_owned(),
        "ListAttachedGroupPolicies&GroupName=devs".to_owned(),
        format!("AttachUserPolicy&UserName=alice&PolicyArn={READ}"),
        format!("AttachGroupPolicy&GroupName=devs&PolicyArn={READ}"),
        format!("DetachUserPolicy&UserName=alice&PolicyArn={READ}"),
        format!("DetachGroupPolicy&GroupName=devs&PolicyArn={READ}"),
        "CreateUser&UserName=mallory".to_owned(),
        "GetUser".to_owned(),
        "ListUsers".to_owned(),
        "DeleteUser&UserName=alice".to_owned(),
        "CreateGroup&GroupName=evil".to_owned(),
        "GetGroup&GroupName=devs".to_owned(),
        "ListGroups".to_owned(),
        "DeleteGroup&GroupName=devs".to_owned(),
        "AddUserToGroup&GroupName=devs&UserName=alice".to_owned(),
        "RemoveUserFromGroup&GroupName=devs&UserName=alice".to_owned(),
        "ListGroupsForUser&UserName=alice".to_owned(),
        "CreateAccessKey".to_owned(),
        "ListAccessKeys".to_owned(),
        "UpdateAccessKey&AccessKeyId=AKIA0000000000000000&Status=Inactive".to_owned(),
        "DeleteAccessKey&AccessKeyId=AKIA0000000000000000".to_owned(),
    ];
    assert_eq!(all.len(), s4_iam_query::IamAction::ALL.len());
    for params in &all {
        let e = fx.run_as(&alice, params).await.unwrap_err();
        assert_eq!(
            (e.code(), e.status()),
            (IamErrorCode::AccessDenied, 403),
            "{params}"
        );
        assert!(e.message().contains("user/alice"), "{e}");
    }
    // Nothing was created by the denied calls.
    fx.err("GetUser&UserName=mallory", IamErrorCode::NoSuchEntity, 404)
        .await;
    assert!(fx
        .store
        .list_access_keys(&fx.account, &KeyOwner::User("alice".into()))
        .await
        .unwrap()
        .is_empty());
    // The root may do each of them.
    for params in &all {
        assert!(
            !matches!(fx.run(params).await, Err(e) if e.code() == IamErrorCode::AccessDenied),
            "{params}"
        );
    }
}

#[tokio::test]
async fn accounts_never_see_each_other() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    fx.group("devs").await;
    let other = AccountId::from_number(7).unwrap();
    fx.store.create_account(&other).await.unwrap();
    let root7 = Caller::Root { account: other };
    for params in [
        "GetUser&UserName=alice",
        "GetGroup&GroupName=devs",
        "DeleteUser&UserName=alice",
        "ListGroupsForUser&UserName=alice",
        "CreateAccessKey&UserName=alice",
    ] {
        let e = fx.run_as(&root7, params).await.unwrap_err();
        assert_eq!(e.code(), IamErrorCode::NoSuchEntity, "{params}");
    }
    let IamResponse::ListUsers { users, .. } = fx.run_as(&root7, "ListUsers").await.unwrap() else {
        panic!()
    };
    assert!(users.is_empty());
    // The same names are free in the other account.
    fx.run_as(&root7, "CreateUser&UserName=alice")
        .await
        .unwrap();
    fx.run_as(&root7, "CreateGroup&GroupName=devs")
        .await
        .unwrap();
}

#[tokio::test]
async fn requests_built_in_code_are_validated_too() {
    let fx = Fx::new().await;
    for request in [
        IamRequest::CreateUser {
            user_name: "bad name".into(),
            tags: vec![],
        },
        IamRequest::CreateGroup {
            group_name: String::new(),
        },
        IamRequest::GetUser {
            user_name: Some("x".repeat(65)),
        },
    ] {
        let e = execute(&fx.store, &fx.root, request, NOW)
            .await
            .unwrap_err();
        assert_eq!((e.code(), e.status()), (IamErrorCode::ValidationError, 400));
    }
    assert!(fx.store.list_users(&fx.account).await.unwrap().is_empty());
    assert!(fx.store.list_groups(&fx.account).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_account_is_no_such_entity() {
    let fx = Fx::new().await;
    let ghost = Caller::Root {
        account: AccountId::from_number(999).unwrap(),
    };
    for params in ["ListUsers", "GetUser", "CreateGroup&GroupName=x"] {
        let e = fx.run_as(&ghost, params).await.unwrap_err();
        assert_eq!(e.code(), IamErrorCode::NoSuchEntity, "{params}");
    }
}

#[tokio::test]
async fn attachments_are_visible_to_the_store() {
    let fx = Fx::new().await;
    fx.user("alice").await;
    fx.ok(&format!("AttachUserPolicy&UserName=alice&PolicyArn={READ}"))
        .await;
    assert_eq!(
        fx.store
            .list_attached_policies(&fx.account, &PolicyTarget::User("alice".into()))
            .await
            .unwrap(),
        [READ]
    );
}

// ---- store failures ----

/// `MemoryStore` whose policy attachment calls fail as a broken backend would.
struct Broken(MemoryStore);

fn broken() -> s4_storage::StorageError {
    s4_storage::StorageError::Internal("disk on fire: /var/lib/s4/meta.redb".into())
}

#[async_trait::async_trait]
impl IdentityStore for Broken {
    async fn create_account(
        &self,
        id: &AccountId,
    ) -> s4_storage::StorageResult<s4_storage::Account> {
        self.0.create_account(id).await
    }
    async fn get_account(
        &self,
        id: &AccountId,
    ) -> s4_storage::StorageResult<Option<s4_storage::Account>> {
        self.0.get_account(id).await
    }
    async fn list_accounts(&self) -> s4_storage::StorageResult<Vec<s4_storage::Account>> {
        self.0.list_accounts().await
    }
    async fn create_user(
        &self,
        user: s4_storage::User,
    ) -> s4_storage::StorageResult<s4_storage::User> {
        self.0.create_user(user).await
    }
    async fn get_user(
        &self,
        account: &AccountId,
        name: &str,
    ) -> s4_storage::StorageResult<s4_storage::User> {
        self.0.get_user(account, name).await
    }
    async fn list_users(
        &self,
        account: &AccountId,
    ) -> s4_storage::StorageResult<Vec<s4_storage::User>> {
        self.0.list_users(account).await
    }
    async fn delete_user(&self, account: &AccountId, name: &str) -> s4_storage::StorageResult<()> {
        self.0.delete_user(account, name).await
    }
    async fn create_group(
        &self,
        group: s4_storage::Group,
    ) -> s4_storage::StorageResult<s4_storage::Group> {
        self.0.create_group(group).await
    }
    async fn get_group(
        &self,
        account: &AccountId,
        name: &str,
    ) -> s4_storage::StorageResult<s4_storage::Group> {
        self.0.get_group(account, name).await
    }
    async fn list_groups(
        &self,
        account: &AccountId,
    ) -> s4_storage::StorageResult<Vec<s4_storage::Group>> {
        self.0.list_groups(account).await
    }
    async fn delete_group(&self, account: &AccountId, name: &str) -> s4_storage::StorageResult<()> {
        self.0.delete_group(account, name).await
    }
    async fn add_user_to_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> s4_storage::StorageResult<()> {
        self.0.add_user_to_group(account, group, user).await
    }
    async fn remove_user_from_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> s4_storage::StorageResult<()> {
        self.0.remove_user_from_group(account, group, user).await
    }
    async fn list_groups_for_user(
        &self,
        account: &AccountId,
        user: &str,
    ) -> s4_storage::StorageResult<Vec<s4_storage::Group>> {
        self.0.list_groups_for_user(account, user).await
    }
    async fn list_group_members(
        &self,
        account: &AccountId,
        group: &str,
    ) -> s4_storage::StorageResult<Vec<s4_storage::User>> {
        self.0.list_group_members(account, group).await
    }
    async fn create_access_key(
        &self,
        key: s4_storage::AccessKey,
        max_keys_per_owner: usize,
    ) -> s4_storage::StorageResult<()> {
        self.0.create_access_key(key, max_keys_per_owner).await
    }
    async fn get_access_key(
        &self,
        access_key_id: &str,
    ) -> s4_storage::StorageResult<Option<s4_storage::AccessKey>> {
        self.0.get_access_key(access_key_id).await
    }
    async fn list_access_keys(
        &self,
        account: &AccountId,
        owner: &KeyOwner,
    ) -> s4_storage::StorageResult<Vec<s4_storage::AccessKey>> {
        self.0.list_access_keys(account, owner).await
    }
    async fn set_access_key_status(
        &self,
        account: &AccountId,
        access_key_id: &str,
        status: KeyStatus,
    ) -> s4_storage::StorageResult<()> {
        self.0
            .set_access_key_status(account, access_key_id, status)
            .await
    }
    async fn delete_access_key(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> s4_storage::StorageResult<()> {
        self.0.delete_access_key(account, access_key_id).await
    }
    async fn record_access_key_use(
        &self,
        access_key_id: &str,
        at: time::OffsetDateTime,
    ) -> s4_storage::StorageResult<()> {
        self.0.record_access_key_use(access_key_id, at).await
    }
    async fn access_key_last_used(
        &self,
        account: &AccountId,
        access_key_id: &str,
    ) -> s4_storage::StorageResult<Option<time::OffsetDateTime>> {
        self.0.access_key_last_used(account, access_key_id).await
    }
    async fn attach_policy(
        &self,
        _: &AccountId,
        _: &PolicyTarget,
        _: &str,
    ) -> s4_storage::StorageResult<()> {
        Err(broken())
    }
    async fn detach_policy(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
        policy_arn: &str,
    ) -> s4_storage::StorageResult<()> {
        self.0.detach_policy(account, target, policy_arn).await
    }
    async fn list_attached_policies(
        &self,
        account: &AccountId,
        target: &PolicyTarget,
    ) -> s4_storage::StorageResult<Vec<String>> {
        self.0.list_attached_policies(account, target).await
    }
    async fn count_policy_attachments(
        &self,
        _: &AccountId,
        _: &str,
    ) -> s4_storage::StorageResult<u64> {
        Err(broken())
    }
}

#[tokio::test]
async fn store_failures_are_internal_errors_without_details() {
    let store = Broken(MemoryStore::new());
    let account = AccountId::from_number(42).unwrap();
    store.create_account(&account).await.unwrap();
    let root = Caller::Root { account };
    execute(
        &store,
        &root,
        parse("CreateUser&UserName=alice").unwrap(),
        NOW,
    )
    .await
    .unwrap();
    for params in [
        format!("AttachUserPolicy&UserName=alice&PolicyArn={READ}"),
        format!("GetPolicy&PolicyArn={READ}"),
        "ListPolicies".to_owned(),
    ] {
        let e = execute(&store, &root, parse(&params).unwrap(), NOW)
            .await
            .unwrap_err();
        assert_eq!(
            (e.code(), e.status()),
            (IamErrorCode::InternalError, 500),
            "{params}"
        );
        assert_eq!(e.error_type(), s4_iam_query::ErrorType::Receiver);
        assert!(!e.message().contains("redb"), "{e}");
    }
    // Not-found still wins over the broken call where it is checked first.
    let e = execute(
        &store,
        &root,
        parse(&format!("AttachUserPolicy&UserName=ghost&PolicyArn={READ}")).unwrap(),
        NOW,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), IamErrorCode::NoSuchEntity);
}
