//! The flow: the root creates a user and a group, attaches S3ReadAccess to the
//! group, adds the user and creates the user's key; the key authenticates and the group's
//! policy lets it read (but not write, and nothing in IAM); once
//! the key is made Inactive the very next request is refused with InvalidAccessKeyId, and
//! Active again lets it authenticate again.

use aws_sdk_iam::types::StatusType;
use http::Method;

use crate::harness::{Creds, TestServer};
use crate::sdk::{assert_error, iam, READ};

#[tokio::test]
async fn root_sets_up_a_user_whose_key_authenticates_until_deactivated() {
    let s = TestServer::start().await;
    let root = iam(&s, &s.root);
    root.create_user().user_name("reader").send().await.unwrap();
    root.create_group()
        .group_name("readers")
        .send()
        .await
        .unwrap();
    root.attach_group_policy()
        .group_name("readers")
        .policy_arn(READ)
        .send()
        .await
        .unwrap();
    root.add_user_to_group()
        .group_name("readers")
        .user_name("reader")
        .send()
        .await
        .unwrap();
    let key = root
        .create_access_key()
        .user_name("reader")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    let creds = Creds {
        id: key.access_key_id().to_owned(),
        secret: key.secret_access_key().to_owned(),
    };
    s.create_bucket("photos").await;
    s.put("photos", "cat.jpg", b"meow").await;

    // The stored state the policy engine will read.
    let p = root.get_policy().policy_arn(READ).send().await.unwrap();
    assert_eq!(p.policy().unwrap().attachment_count(), Some(1));
    let groups = root
        .list_groups_for_user()
        .user_name("reader")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.groups()[0].group_name(), "readers");

    // The key authenticates and the group's S3ReadAccess applies: reads pass, writes are
    // AccessDenied; a wrong secret for the same key is SignatureDoesNotMatch.
    let get = || s.req(Method::GET, "/photos/cat.jpg").creds(&creds);
    get().send().await.assert_status(200);
    s.req(Method::GET, "/")
        .creds(&creds)
        .send()
        .await
        .assert_status(200);
    s.req(Method::PUT, "/photos/dog.jpg")
        .creds(&creds)
        .body(&b"woof"[..])
        .send()
        .await
        .assert_error(403, "AccessDenied");
    get()
        .bad_signature()
        .send()
        .await
        .assert_error(403, "SignatureDoesNotMatch");
    // IAM with the user's key: authenticated, then denied.
    assert_error(
        iam(&s, &creds).list_users().send().await,
        "AccessDenied",
        403,
    );

    // Inactive: the next request with the key is refused as an unknown key would be.
    root.update_access_key()
        .user_name("reader")
        .access_key_id(&creds.id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    get().send().await.assert_error(403, "InvalidAccessKeyId");
    assert_error(
        iam(&s, &creds).list_users().send().await,
        "InvalidAccessKeyId",
        403,
    );

    // Active again: authenticates and reads again.
    root.update_access_key()
        .user_name("reader")
        .access_key_id(&creds.id)
        .status(StatusType::Active)
        .send()
        .await
        .unwrap();
    get().send().await.assert_status(200);

    // Deleted: refused at once.
    root.delete_access_key()
        .user_name("reader")
        .access_key_id(&creds.id)
        .send()
        .await
        .unwrap();
    get().send().await.assert_error(403, "InvalidAccessKeyId");

    // The root's own S3 access is unaffected throughout.
    let r = s.get("photos", "cat.jpg").await;
    r.assert_status(200);
    assert_eq!(&r.body[..], b"meow");
}
