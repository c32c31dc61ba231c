//! Bucket-policy management belongs to the bucket's owning account (issue 15): principals
//! outside it get 405 MethodNotAllowed whatever any policy says, and the owning account's
//! root is never locked out of GetBucketPolicy, PutBucketPolicy and DeleteBucketPolicy.

use http::Method;
use s4_policy::Reason;
use s4_service::authz::{explain_request, ExplainedRequest};
use s4_service::ConnectionInfo;
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, PolicyTarget};
use time::OffsetDateTime;

use crate::enforcement::{direct_service, peer, second_account};
use crate::harness::{Creds, Resp, TestServer, DOMAIN};
use crate::{attach_to_alice, md5_b64, put_policy};

/// Grants everything on `shared` to account 43, to bob by name, and to everyone.
const GRANT_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Everyone","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::shared","arn:aws:s3:::shared/*"]},{"Sid":"Bob","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000043:user/bob","000000000000043"]},"Action":["s3:GetBucketPolicy","s3:PutBucketPolicy","s3:DeleteBucketPolicy"],"Resource":"arn:aws:s3:::shared"}]}"#;

/// What a taker would put: deny the owner everything.
const TAKEOVER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::shared","arn:aws:s3:::shared/*"]}]}"#;

/// The root key of account 43.
async fn second_root(s: &TestServer) -> Creds {
    let other_root = Creds {
        id: "AKIAROOT0000000000043".into(),
        secret: "root43/secret/key/00000000000000000000".into(),
    };
    s.store
        .create_access_key(
            AccessKey {
                access_key_id: other_root.id.clone(),
                secret_access_key: other_root.secret.clone(),
                account: s4_naming::AccountId::from_number(43).unwrap(),
                owner: KeyOwner::Root,
                status: KeyStatus::Active,
                created: OffsetDateTime::now_utc(),
            },
            2,
        )
        .await
        .unwrap();
    other_root
}

/// The bucket's policy as the owner's root reads it.
async fn stored_policy(s: &TestServer, bucket: &str) -> Resp {
    s.req(Method::GET, &format!("/{bucket}?policy"))
        .send()
        .await
}

#[track_caller]
fn assert_policy(r: &Resp, doc: &str) {
    r.assert_status(200);
    assert_eq!(r.text(), doc);
}

#[tokio::test]
async fn other_accounts_and_anonymous_get_405_for_bucket_policy_operations() {
    let s = TestServer::start().await;
    let (other, bob) = second_account(&s).await;
    let other_root = second_root(&s).await;
    // Bob's own account lets him do everything.
    s.store
        .attach_policy(
            &other,
            &PolicyTarget::User("bob".into()),
            "arn:aws:iam::aws:policy/S3FullAccess",
        )
        .await
        .unwrap();
    s.create_bucket("shared").await;
    put_policy(&s, "shared", GRANT_ALL).await.assert_status(200);
    // The grant works for what it may grant: bob and anonymous clients read the bucket.
    s.req(Method::GET, "/shared")
        .creds(&bob)
        .header("x-amz-expected-bucket-owner", "000000000000042")
        .send()
        .await
        .assert_status(200);
    let path_host = format!("s3.{DOMAIN}");
    let virtual_host = format!("shared.s3.{DOMAIN}");
    s.req(Method::GET, "/000000000000042/shared")
        .host(&path_host)
        .anonymous()
        .send()
        .await
        .assert_status(200);

    let md5 = md5_b64(TAKEOVER.as_bytes());
    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let body = if method == Method::PUT {
            TAKEOVER.as_bytes()
        } else {
            &b""[..]
        };
        // Another account's user (named in the policy) and root, both naming the owner.
        for creds in [&bob, &other_root] {
            s.req(method.clone(), "/shared?policy")
                .creds(creds)
                .header("x-amz-expected-bucket-owner", "000000000000042")
                .header("content-md5", &md5)
                .body(body)
                .send()
                .await
                .assert_error(405, "MethodNotAllowed");
        }
        // Anonymous, through both public URL forms.
        for (host, path) in [
            (&path_host, "/000000000000042/shared?policy"),
            (&virtual_host, "/000000000000042?policy"),
        ] {
            s.req(method.clone(), path)
                .host(host)
                .anonymous()
                .header("content-md5", &md5)
                .body(body)
                .send()
                .await
                .assert_error(405, "MethodNotAllowed");
        }
        assert_policy(&stored_policy(&s, "shared").await, GRANT_ALL);
    }
    // The refusal does not depend on the bucket: a missing one is refused the same way.
    s.req(Method::GET, "/nosuchbucket?policy")
        .creds(&other_root)
        .header("x-amz-expected-bucket-owner", "000000000000042")
        .send()
        .await
        .assert_error(405, "MethodNotAllowed");
    // Bob still manages the policies of his own account's buckets.
    s.req(Method::PUT, "/bobs")
        .creds(&bob)
        .send()
        .await
        .assert_status(200);
    let own = TAKEOVER.replace("shared", "bobs");
    s.req(Method::PUT, "/bobs?policy")
        .creds(&bob)
        .header("content-md5", &md5_b64(own.as_bytes()))
        .body(own.as_bytes())
        .send()
        .await
        .assert_status(200);
}

#[tokio::test]
async fn owner_root_repairs_a_deny_all_policy_put_by_a_user() {
    let s = TestServer::start().await;
    s.create_bucket("shared").await;
    s.put("shared", "a.txt", b"a").await;
    attach_to_alice(&s, "S3BucketWriteAccess").await;
    // An IAM user with S3BucketWriteAccess denies everyone everything.
    s.req(Method::PUT, "/shared?policy")
        .creds(&s.user)
        .header("content-md5", &md5_b64(TAKEOVER.as_bytes()))
        .body(TAKEOVER.as_bytes())
        .send()
        .await
        .assert_status(200);
    // The Deny holds for everything else, the root included, and for the user's next put.
    s.req(Method::GET, "/shared/a.txt")
        .send()
        .await
        .assert_error(403, "AccessDenied");
    s.req(Method::DELETE, "/shared")
        .send()
        .await
        .assert_error(403, "AccessDenied");
    s.req(Method::PUT, "/shared?policy")
        .creds(&s.user)
        .header("content-md5", &md5_b64(GRANT_ALL.as_bytes()))
        .body(GRANT_ALL.as_bytes())
        .send()
        .await
        .assert_error(403, "AccessDenied");
    // The root reads it, deletes it, and then empties and deletes the bucket.
    assert_policy(&stored_policy(&s, "shared").await, TAKEOVER);
    s.req(Method::DELETE, "/shared?policy")
        .send()
        .await
        .assert_status(204);
    stored_policy(&s, "shared")
        .await
        .assert_error(404, "NoSuchBucketPolicy");
    s.req(Method::DELETE, "/shared/a.txt")
        .send()
        .await
        .assert_status(204);
    s.req(Method::DELETE, "/shared")
        .send()
        .await
        .assert_status(204);
    s.req(Method::HEAD, "/shared")
        .send()
        .await
        .assert_status(404);
}

#[tokio::test]
async fn owner_root_manages_policy_under_a_source_ip_deny() {
    let s = TestServer::start().await;
    s.create_bucket("shared").await;
    // Meant to keep others out, but the owner's address is not in the list either.
    let office_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::shared","arn:aws:s3:::shared/*"],"Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
    put_policy(&s, "shared", office_only)
        .await
        .assert_status(200);
    let service = direct_service(&s);
    let from_home = |mut request: http::Request<_>| {
        request.extensions_mut().insert(ConnectionInfo {
            peer: peer("192.168.1.1"),
            secure: false,
        });
        request
    };
    let status = |r: http::Response<s4_service::ResponseBody>| r.status().as_u16();
    let list = from_home(s.req(Method::GET, "/shared").build());
    assert_eq!(status(service.handle(list).await), 403);
    let get = from_home(s.req(Method::GET, "/shared?policy").build());
    assert_eq!(status(service.handle(get).await), 200);
    let put = from_home(
        s.req(Method::PUT, "/shared?policy")
            .header("content-md5", &md5_b64(GRANT_ALL.as_bytes()))
            .body(GRANT_ALL.as_bytes())
            .build(),
    );
    assert_eq!(status(service.handle(put).await), 200);
    assert_policy(&stored_policy(&s, "shared").await, GRANT_ALL);
    let delete = from_home(s.req(Method::DELETE, "/shared?policy").build());
    assert_eq!(status(service.handle(delete).await), 204);
    let list = from_home(s.req(Method::GET, "/shared").build());
    assert_eq!(status(service.handle(list).await), 200);
}

/// What `s4-server admin explain --key KEY METHOD PATH` reports, over the test store.
async fn explain(s: &TestServer, key: &str, method: &str, path: &str) -> ExplainedRequest {
    explain_request(
        s.store.as_ref(),
        s.store.as_ref(),
        key,
        method,
        path,
        false,
        None,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn explain_shows_the_owner_exemption() {
    let s = TestServer::start().await;
    s.create_bucket("shared").await;
    attach_to_alice(&s, "S3BucketWriteAccess").await;
    put_policy(&s, "shared", TAKEOVER).await.assert_status(200);
    let root = explain(&s, &s.root.id, "DELETE", "/shared?policy").await;
    assert_eq!(root.operation, "DeleteBucketPolicy");
    let why = &root.checks[0].explanation;
    assert_eq!(why.reason, Reason::OwnerRootManagesPolicy);
    assert_eq!(why.to_string(), "Allow (OwnerRootManagesPolicy)");
    assert_eq!(root.answer(), "Allow");
    // The same Deny stops the root's other requests and the user's policy requests.
    let root_get = explain(&s, &s.root.id, "GET", "/shared/a.txt").await;
    assert_eq!(root_get.answer(), "AccessDenied");
    let user = explain(&s, &s.user.id, "PUT", "/shared?policy").await;
    assert_eq!(
        user.checks[0].explanation.to_string(),
        "ExplicitDeny (ExplicitDeny): Deny by statement 0 of bucket policy of shared"
    );
    assert_eq!(user.answer(), "AccessDenied");
}
