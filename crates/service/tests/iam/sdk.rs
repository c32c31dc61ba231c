//! Every IAM action and error through the official AWS SDK for Rust (`aws-sdk-iam`): form
//! POSTs to `/` on the IP endpoint, signed for `us-east-1/iam`, without
//! `x-amz-content-sha256`.

use std::fmt::Debug;

use aws_credential_types::Credentials;
use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::config::Region;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::{Group, StatusType, Tag, User};
use aws_sdk_iam::Client;

use crate::harness::{Creds, TestServer, REGION};

pub const READ: &str = "arn:aws:iam::aws:policy/S3ReadAccess";
const WRITE: &str = "arn:aws:iam::aws:policy/S3WriteAccess";
const NOPE: &str = "arn:aws:iam::aws:policy/NoSuchPolicy";

pub fn iam(s: &TestServer, creds: &Creds) -> Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version_latest()
        .region(Region::new(REGION))
        .endpoint_url(format!("http://{}", s.addr))
        .credentials_provider(Credentials::new(
            creds.id.clone(),
            creds.secret.clone(),
            None,
            None,
            "test",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

/// The error's code, HTTP status and message; panics on success.
#[track_caller]
pub fn error<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
) -> (String, u16, String) {
    let e = result.expect_err("expected an error");
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (
        e.code().unwrap_or_default().to_owned(),
        status,
        e.message().unwrap_or_default().to_owned(),
    )
}

/// Asserts the error's code and status.
#[track_caller]
pub fn assert_error<T: Debug, E: ProvideErrorMetadata + Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
    code: &str,
    status: u16,
) -> String {
    let (c, s, message) = error(result);
    assert_eq!((c.as_str(), s), (code, status), "message: {message}");
    message
}

#[tokio::test]
async fn policies() {
    let s = TestServer::start().await;
    let c = iam(&s, &s.root);
    c.create_user().user_name("bob").send().await.unwrap();
    c.create_group().group_name("devs").send().await.unwrap();

    // GetPolicy, with the attachment count of this account.
    let p = c.get_policy().policy_arn(READ).send().await.unwrap();
    let p = p.policy().unwrap();
    assert_eq!(p.arn(), Some(READ));
    assert_eq!(p.policy_name(), Some("S3ReadAccess"));
    assert_eq!(p.policy_id(), Some("S3READACCESS"));
    assert_eq!(p.default_version_id(), Some("v1"));
    assert_eq!(p.path(), Some("/"));
    assert_eq!(p.attachment_count(), Some(0));
    assert!(p.is_attachable());
    assert_eq!(p.create_date().unwrap().secs(), 1_659_125_150);

    // Attach to a user and a group; listings; attachment counts.
    c.attach_user_policy()
        .user_name("bob")
        .policy_arn(READ)
        .send()
        .await
        .unwrap();
    c.attach_user_policy()
        .user_name("BOB")
        .policy_arn(WRITE)
        .send()
        .await
        .unwrap();
    c.attach_group_policy()
        .group_name("devs")
        .policy_arn(READ)
        .send()
        .await
        .unwrap();
    let p = c.get_policy().policy_arn(READ).send().await.unwrap();
    assert_eq!(p.policy().unwrap().attachment_count(), Some(2));
    let listed = c
        .list_attached_user_policies()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = listed
        .attached_policies()
        .iter()
        .map(|p| p.policy_name().unwrap())
        .collect();
    assert_eq!(names, ["S3ReadAccess", "S3WriteAccess"]);
    assert_eq!(listed.attached_policies()[0].policy_arn(), Some(READ));
    assert!(!listed.is_truncated());
    let page = c
        .list_attached_user_policies()
        .user_name("bob")
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert!(page.is_truncated());
    assert_eq!(page.marker(), Some("1"));
    let page = c
        .list_attached_user_policies()
        .user_name("bob")
        .marker("1")
        .send()
        .await
        .unwrap();
    assert_eq!(page.attached_policies()[0].policy_arn(), Some(WRITE));
    let listed = c
        .list_attached_group_policies()
        .group_name("devs")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.attached_policies().len(), 1);

    // Detach.
    c.detach_user_policy()
        .user_name("bob")
        .policy_arn(READ)
        .send()
        .await
        .unwrap();
    c.detach_group_policy()
        .group_name("devs")
        .policy_arn(READ)
        .send()
        .await
        .unwrap();
    let p = c.get_policy().policy_arn(READ).send().await.unwrap();
    assert_eq!(p.policy().unwrap().attachment_count(), Some(0));
    assert!(c
        .list_attached_group_policies()
        .group_name("devs")
        .send()
        .await
        .unwrap()
        .attached_policies()
        .is_empty());

    // GetPolicyVersion: the document comes URL-encoded, as the spec shows it.
    let v = c
        .get_policy_version()
        .policy_arn(READ)
        .version_id("v1")
        .send()
        .await
        .unwrap();
    let v = v.policy_version().unwrap();
    assert_eq!(v.version_id(), Some("v1"));
    assert!(v.is_default_version());
    let document = v.document().unwrap();
    assert!(document.starts_with("%7B"), "{document}");
    assert!(document.contains("%22s3%3AGet%2A%22"), "{document}");
}

#[tokio::test]
async fn list_policies_paging_and_its_errors() {
    let s = TestServer::start().await;
    let c = iam(&s, &s.root);
    let all = c.list_policies().send().await.unwrap();
    assert_eq!(all.policies().len(), 20);
    assert!(!all.is_truncated());
    assert_eq!(
        all.policies()[0].arn(),
        Some("arn:aws:iam::aws:policy/AdministratorAccess")
    );

    // The SDK's paginator follows the integer markers.
    let mut names = Vec::new();
    let mut pages = c.list_policies().max_items(6).into_paginator().send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        count += 1;
        names.extend(
            page.policies()
                .iter()
                .map(|p| p.policy_name().unwrap().to_owned()),
        );
    }
    assert_eq!(count, 4);
    let expected: Vec<_> = all
        .policies()
        .iter()
        .map(|p| p.policy_name().unwrap().to_owned())
        .collect();
    assert_eq!(names, expected);

    let end = c.list_policies().marker("20").send().await.unwrap();
    assert!(end.policies().is_empty());

    // MalformedInput: not an integer; ValidationError: out of range.
    assert_error(
        c.list_policies().marker("abc").send().await,
        "MalformedInput",
        400,
    );
    let message = assert_error(
        c.list_policies().marker("21").send().await,
        "ValidationError",
        400,
    );
    assert!(message.contains("less than or equal to 20"), "{message}");
    assert_error(
        c.list_policies().marker("-1").send().await,
        "ValidationError",
        400,
    );
    assert_error(
        c.list_policies().max_items(0).send().await,
        "ValidationError",
        400,
    );
    assert_error(
        c.list_policies().max_items(1001).send().await,
        "ValidationError",
        400,
    );
}

#[tokio::test]
async fn policy_errors() {
    let s = TestServer::start().await;
    let c = iam(&s, &s.root);
    c.create_user().user_name("bob").send().await.unwrap();
    c.create_group().group_name("devs").send().await.unwrap();

    assert_error(
        c.get_policy().policy_arn(NOPE).send().await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.get_policy().policy_arn("short").send().await,
        "ValidationError",
        400,
    );
    assert_error(
        c.get_policy()
            .policy_arn("arn:aws:s3:::some-bucket-name")
            .send()
            .await,
        "InvalidInput",
        400,
    );
    assert_error(
        c.get_policy_version()
            .policy_arn(READ)
            .version_id("v2")
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.get_policy_version()
            .policy_arn(READ)
            .version_id("version1")
            .send()
            .await,
        "ValidationError",
        400,
    );
    // NoSuchEntity is 400 in the attached-policy listings (spec).
    assert_error(
        c.list_attached_user_policies()
            .user_name("ghost")
            .send()
            .await,
        "NoSuchEntity",
        400,
    );
    assert_error(
        c.list_attached_group_policies()
            .group_name("ghosts")
            .send()
            .await,
        "NoSuchEntity",
        400,
    );
    assert_error(
        c.list_attached_group_policies()
            .group_name("devs")
            .marker("x")
            .send()
            .await,
        "MalformedInput",
        400,
    );
    assert_error(
        c.list_attached_user_policies()
            .user_name("bob")
            .marker("21")
            .send()
            .await,
        "ValidationError",
        400,
    );
    // InvalidArgument for an ARN naming no managed policy.
    assert_error(
        c.attach_user_policy()
            .user_name("bob")
            .policy_arn(NOPE)
            .send()
            .await,
        "InvalidArgument",
        400,
    );
    assert_error(
        c.attach_group_policy()
            .group_name("devs")
            .policy_arn(NOPE)
            .send()
            .await,
        "InvalidArgument",
        400,
    );
    assert_error(
        c.detach_user_policy()
            .user_name("bob")
            .policy_arn(NOPE)
            .send()
            .await,
        "InvalidArgument",
        400,
    );
    assert_error(
        c.detach_group_policy()
            .group_name("devs")
            .policy_arn(NOPE)
            .send()
            .await,
        "InvalidArgument",
        400,
    );
    // Unknown targets; detaching what is not attached.
    assert_error(
        c.attach_user_policy()
            .user_name("ghost")
            .policy_arn(READ)
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.attach_group_policy()
            .group_name("ghosts")
            .policy_arn(READ)
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.detach_user_policy()
            .user_name("bob")
            .policy_arn(READ)
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.detach_group_policy()
            .group_name("devs")
            .policy_arn(READ)
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
}

#[tokio::test]
async fn users() {
    let s = TestServer::start().await;
    let c = iam(&s, &s.root);
    let created = c.create_user().user_name("Carol").send().await.unwrap();
    let u = created.user().unwrap();
    assert_eq!(u.user_name(), "Carol");
    assert_eq!(u.path(), "/");
    assert_eq!(u.arn(), "arn:aws:iam::000000000000042:user/Carol");
    assert!(u.user_id().starts_with("AIDA"));

    let got = c.get_user().user_name("carol").send().await.unwrap();
    assert_eq!(got.user().unwrap().user_id(), u.user_id());
    // Without a name: the caller, here the root.
    let me = c.get_user().send().await.unwrap();
    let me = me.user().unwrap();
    assert_eq!(me.arn(), "arn:aws:iam::000000000000042:root");
    assert_eq!(me.user_id(), "000000000000042");

    for name in ["dave", "erin", "frank"] {
        c.create_user().user_name(name).send().await.unwrap();
    }
    // The harness's `alice` exists already.
    let all = c.list_users().send().await.unwrap();
    let names: Vec<_> = all.users().iter().map(User::user_name).collect();
    assert_eq!(names, ["Carol", "alice", "dave", "erin", "frank"]);
    let mut paged = Vec::new();
    let mut pages = c.list_users().max_items(2).into_paginator().send();
    while let Some(page) = pages.next().await {
        paged.extend(
            page.unwrap()
                .users()
                .iter()
                .map(|u| u.user_name().to_owned()),
        );
    }
    assert_eq!(paged, names);

    c.delete_user().user_name("FRANK").send().await.unwrap();
    assert_error(
        c.get_user().user_name("frank").send().await,
        "NoSuchEntity",
        404,
    );

    // Errors.
    assert_error(
        c.create_user().user_name("carol").send().await,
        "EntityAlreadyExists",
        409,
    );
    let message = assert_error(
        c.create_user()
            .user_name("tagged")
            .tags(Tag::builder().key("team").value("a").build().unwrap())
            .send()
            .await,
        "InvalidInput",
        400,
    );
    assert!(message.contains("Tags"), "{message}");
    assert_error(
        c.get_user().user_name("tagged").send().await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.create_user().user_name("bad name").send().await,
        "ValidationError",
        400,
    );
    assert_error(
        c.create_user().user_name("x").path("/team/").send().await,
        "InvalidInput",
        400,
    );
    assert_error(
        c.delete_user().user_name("ghost").send().await,
        "NoSuchEntity",
        404,
    );
}

#[tokio::test]
async fn delete_user_conflicts() {
    let s = TestServer::start().await;
    let c = iam(&s, &s.root);
    c.create_user().user_name("bob").send().await.unwrap();
    c.create_group().group_name("devs").send().await.unwrap();
    let key = c.create_access_key().user_name("bob").send().await.unwrap();
    let key_id = key.access_key().unwrap().access_key_id().to_owned();
    c.add_user_to_group()
        .group_name("devs")
        .user_name("bob")
        .send()
        .await
        .unwrap();
    c.attach_user_policy()
        .user_name("bob")
        .policy_arn(READ)
        .send()
        .await
        .unwrap();

    let m = assert_error(
        c.delete_user().user_name("bob").send().await,
        "DeleteConflict",
        409,
    );
    assert!(m.contains("access keys"), "{m}");
    c.delete_access_key()
        .user_name("bob")
        .access_key_id(&key_id)
        .send()
        .await
        .unwrap();
    let m = assert_error(
        c.delete_user().user_name("bob").send().await,
        "DeleteConflict",
        409,
    );
    assert!(m.contains("groups"), "{m}");
    c.remove_user_from_group()
        .group_name("devs")
        .user_name("bob")
        .send()
        .await
        .unwrap();
    let m = assert_error(
        c.delete_user().user_name("bob").send().await,
        "DeleteConflict",
        409,
    );
    assert!(m.contains("policies"), "{m}");
    c.detach_user_policy()
        .user_name("bob")
        .policy_arn(READ)
        .send()
        .await
        .unwrap();
    c.delete_user().user_name("bob").send().await.unwrap();
}

#[tokio::test]
async fn groups_and_memberships() {
    let s = TestServer::start().await;
    let c = iam(&s, &s.root);
    let g = c.create_group().group_name("Devs").send().await.unwrap();
    let g = g.group().unwrap();
    assert_eq!(g.group_name(), "Devs");
    assert_eq!(g.arn(), "arn:aws:iam::000000000000042:group/Devs");
    assert!(g.group_id().starts_with("AGPA"));
    c.create_group().group_name("ops").send().await.unwrap();
    c.create_user().user_name("bob").send().await.unwrap();

    for user in ["bob", "alice"] {
        c.add_user_to_group()
            .group_name("devs")
            .user_name(user)
            .send()
            .await
            .unwrap();
    }
    c.add_user_to_group()
        .group_name("ops")
        .user_name("bob")
        .send()
        .await
        .unwrap();
    let got = c.get_group().group_name("devs").send().await.unwrap();
    assert_eq!(got.group().unwrap().group_id(), g.group_id());
    let members: Vec<_> = got.users().iter().map(User::user_name).collect();
    assert_eq!(members, ["alice", "bob"]);
    let page = c
        .get_group()
        .group_name("devs")
        .max_items(1)
        .send()
        .await
        .unwrap();
    assert!(page.is_truncated());
    assert_eq!(page.marker(), Some("bob"));

    let groups = c.list_groups().send().await.unwrap();
    let names: Vec<_> = groups.groups().iter().map(Group::group_name).collect();
    assert_eq!(names, ["Devs", "ops"]);
    let page = c.list_groups().max_items(1).send().await.unwrap();
    assert_eq!(page.groups().len(), 1);
    assert_eq!(page.marker(), Some("ops"));

    let of_bob = c
        .list_groups_for_user()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = of_bob.groups().iter().map(Group::group_name).collect();
    assert_eq!(names, ["Devs", "ops"]);

    c.remove_user_from_group()
        .group_name("ops")
        .user_name("bob")
        .send()
        .await
        .unwrap();
    let m = assert_error(
        c.delete_group().group_name("devs").send().await,
        "DeleteConflict",
        409,
    );
    assert!(m.contains("users"), "{m}");
    c.attach_group_policy()
        .group_name("ops")
        .policy_arn(READ)
        .send()
        .await
        .unwrap();
    let m = assert_error(
        c.delete_group().group_name("ops").send().await,
        "DeleteConflict",
        409,
    );
    assert!(m.contains("policies"), "{m}");
    c.detach_group_policy()
        .group_name("ops")
        .policy_arn(READ)
        .send()
        .await
        .unwrap();
    c.delete_group().group_name("ops").send().await.unwrap();

    // Errors.
    assert_error(
        c.create_group().group_name("DEVS").send().await,
        "EntityAlreadyExists",
        409,
    );
    assert_error(
        c.create_group().group_name("a/b").send().await,
        "ValidationError",
        400,
    );
    assert_error(
        c.get_group().group_name("ops").send().await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.delete_group().group_name("ops").send().await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.add_user_to_group()
            .group_name("devs")
            .user_name("ghost")
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.add_user_to_group()
            .group_name("ghosts")
            .user_name("bob")
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    c.create_group().group_name("empty").send().await.unwrap();
    assert_error(
        c.remove_user_from_group()
            .group_name("empty")
            .user_name("bob")
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.list_groups_for_user().user_name("ghost").send().await,
        "NoSuchEntity",
        404,
    );
}

#[tokio::test]
async fn access_keys() {
    let s = TestServer::start().await;
    let c = iam(&s, &s.root);
    c.create_user().user_name("bob").send().await.unwrap();

    let k1 = c.create_access_key().user_name("bob").send().await.unwrap();
    let k1 = k1.access_key().unwrap().clone();
    assert_eq!(k1.user_name(), "bob");
    assert_eq!(k1.access_key_id().len(), 20);
    assert!(k1.access_key_id().starts_with("AKIA"));
    assert_eq!(k1.secret_access_key().len(), 40);
    assert_eq!(k1.status(), &StatusType::Active);
    let k2 = c.create_access_key().user_name("bob").send().await.unwrap();
    let k2 = k2.access_key().unwrap().clone();
    let m = assert_error(
        c.create_access_key().user_name("bob").send().await,
        "LimitExceeded",
        409,
    );
    assert!(m.contains("AccessKeysPerUser"), "{m}");

    let listed = c.list_access_keys().user_name("bob").send().await.unwrap();
    assert_eq!(listed.access_key_metadata().len(), 2);
    let ids: Vec<_> = listed
        .access_key_metadata()
        .iter()
        .map(|k| k.access_key_id().unwrap())
        .collect();
    assert_eq!(ids, [k1.access_key_id(), k2.access_key_id()]);
    assert_eq!(listed.access_key_metadata()[0].user_name(), Some("bob"));

    c.update_access_key()
        .user_name("bob")
        .access_key_id(k1.access_key_id())
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let listed = c.list_access_keys().user_name("bob").send().await.unwrap();
    assert_eq!(
        listed.access_key_metadata()[0].status(),
        Some(&StatusType::Inactive)
    );
    c.delete_access_key()
        .user_name("bob")
        .access_key_id(k1.access_key_id())
        .send()
        .await
        .unwrap();
    let listed = c.list_access_keys().user_name("bob").send().await.unwrap();
    assert_eq!(listed.access_key_metadata().len(), 1);

    // Without UserName: the caller's (root's) own keys; the harness made one.
    let own = c.list_access_keys().send().await.unwrap();
    let ids: Vec<_> = own
        .access_key_metadata()
        .iter()
        .map(|k| k.access_key_id().unwrap())
        .collect();
    assert_eq!(ids, [s.root.id.as_str()]);
    let root2 = c.create_access_key().send().await.unwrap();
    let root2 = root2.access_key().unwrap().clone();
    assert_error(c.create_access_key().send().await, "LimitExceeded", 409);
    // The new root key works.
    let c2 = iam(
        &s,
        &Creds {
            id: root2.access_key_id().to_owned(),
            secret: root2.secret_access_key().to_owned(),
        },
    );
    c2.delete_access_key()
        .access_key_id(root2.access_key_id())
        .send()
        .await
        .unwrap();

    // Errors.
    assert_error(
        c.create_access_key().user_name("ghost").send().await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.list_access_keys().user_name("ghost").send().await,
        "NoSuchEntity",
        404,
    );
    // A key of another owner is not found.
    assert_error(
        c.update_access_key()
            .user_name("alice")
            .access_key_id(k2.access_key_id())
            .status(StatusType::Inactive)
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.delete_access_key()
            .access_key_id(k2.access_key_id())
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.delete_access_key()
            .access_key_id("AKIA0000000000000000")
            .send()
            .await,
        "NoSuchEntity",
        404,
    );
    assert_error(
        c.update_access_key()
            .access_key_id("bad")
            .status(StatusType::Active)
            .send()
            .await,
        "ValidationError",
        400,
    );
    assert_error(
        c.update_access_key()
            .access_key_id(k2.access_key_id())
            .user_name("bob")
            .status(StatusType::from("Disabled"))
            .send()
            .await,
        "ValidationError",
        400,
    );
}

#[tokio::test]
async fn iam_users_without_an_iam_policy_are_denied() {
    let s = TestServer::start().await;
    let root = iam(&s, &s.root);
    // An S3 policy grants nothing in IAM.
    root.attach_user_policy()
        .user_name("alice")
        .policy_arn("arn:aws:iam::aws:policy/S3FullAccess")
        .send()
        .await
        .unwrap();
    let alice = iam(&s, &s.user);
    let m = assert_error(alice.list_users().send().await, "AccessDenied", 403);
    assert!(m.contains("arn:aws:iam::000000000000042:user/alice"), "{m}");
    assert_error(
        alice.create_user().user_name("mallory").send().await,
        "AccessDenied",
        403,
    );
    assert_error(alice.get_user().send().await, "AccessDenied", 403);
    assert_error(alice.create_access_key().send().await, "AccessDenied", 403);
    assert_error(
        alice.get_policy().policy_arn(READ).send().await,
        "AccessDenied",
        403,
    );
    assert_error(
        root.get_user().user_name("mallory").send().await,
        "NoSuchEntity",
        404,
    );
}

#[tokio::test]
async fn iam_read_access_lists_policies_but_cannot_attach() {
    let s = TestServer::start().await;
    let root = iam(&s, &s.root);
    root.attach_user_policy()
        .user_name("alice")
        .policy_arn("arn:aws:iam::aws:policy/IAMReadAccess")
        .send()
        .await
        .unwrap();
    let alice = iam(&s, &s.user);
    let listed = alice.list_policies().send().await.unwrap();
    assert_eq!(listed.policies().len(), 20);
    let attached = alice
        .list_attached_user_policies()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);
    alice.get_policy().policy_arn(READ).send().await.unwrap();
    alice.get_user().send().await.unwrap();
    let m = assert_error(
        alice
            .attach_user_policy()
            .user_name("alice")
            .policy_arn("arn:aws:iam::aws:policy/IAMFullAccess")
            .send()
            .await,
        "AccessDenied",
        403,
    );
    // The message names the caller and the action, never a policy.
    assert!(m.contains("iam:AttachUserPolicy"), "{m}");
    assert!(
        !m.contains("IAMReadAccess") && !m.contains("Statement"),
        "{m}"
    );
    assert_error(
        alice.create_user().user_name("mallory").send().await,
        "AccessDenied",
        403,
    );
    // Nothing was attached.
    let attached = root
        .list_attached_user_policies()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);
}

#[tokio::test]
async fn authentication_errors_are_iam_shaped() {
    let s = TestServer::start().await;
    let unknown = iam(
        &s,
        &Creds {
            id: "AKIANOSUCHKEY0000000".into(),
            secret: "x".repeat(40),
        },
    );
    assert_error(unknown.list_users().send().await, "InvalidAccessKeyId", 403);
    let wrong_secret = iam(
        &s,
        &Creds {
            id: s.root.id.clone(),
            secret: "y".repeat(40),
        },
    );
    assert_error(
        wrong_secret.list_users().send().await,
        "SignatureDoesNotMatch",
        403,
    );
}
