//! Enforcement: identity policies, bucket-policy denies, cross-account access, public URLs,
//! DeleteObjects per key, aws:SecureTransport and aws:SourceIp.

use std::net::SocketAddr;
use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use http::Method;
use s4_naming::AccountId;
use s4_service::{ConnectionInfo, S4Service, ServiceConfig};
use s4_storage::{AccessKey, IdentityStore, KeyOwner, KeyStatus, PolicyTarget, User};
use time::OffsetDateTime;

use crate::harness::{Creds, TestServer, DOMAIN, REGION};
use crate::{attach_to_alice, md5_b64, put_policy};

fn s3(s: &TestServer, creds: &Creds) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new(REGION))
        .endpoint_url(format!("http://{}", s.addr))
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            creds.id.clone(),
            creds.secret.clone(),
            None,
            None,
            "test",
        ))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn s3_read_access_gets_and_lists_but_cannot_put_or_delete() {
    let s = TestServer::start().await;
    s.create_bucket("photos").await;
    s.put("photos", "cat.jpg", b"meow").await;
    let alice = s3(&s, &s.user);
    // No policy yet: nothing.
    let e = alice
        .get_object()
        .bucket("photos")
        .key("cat.jpg")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    attach_to_alice(&s, "S3ReadAccess").await;
    let got = alice
        .get_object()
        .bucket("photos")
        .key("cat.jpg")
        .send()
        .await
        .unwrap();
    assert_eq!(&got.body.collect().await.unwrap().into_bytes()[..], b"meow");
    let listed = alice
        .list_objects_v2()
        .bucket("photos")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);
    alice.list_buckets().send().await.unwrap();
    let e = alice
        .put_object()
        .bucket("photos")
        .key("dog.jpg")
        .body(ByteStream::from_static(b"woof"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let e = alice
        .delete_object()
        .bucket("photos")
        .key("cat.jpg")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let e = alice
        .create_bucket()
        .bucket("new")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    // Nothing changed.
    assert_eq!(s.get("photos", "cat.jpg").await.status, 200);
    assert_eq!(s.get("photos", "dog.jpg").await.status, 404);
}

#[tokio::test]
async fn bucket_policy_deny_beats_administrator_access_and_applies_at_once() {
    let s = TestServer::start().await;
    s.create_bucket("vault").await;
    s.put("vault", "secret", b"x").await;
    attach_to_alice(&s, "AdministratorAccess").await;
    let get = || s.req(Method::GET, "/vault/secret").creds(&s.user);
    get().send().await.assert_status(200);
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoAlice","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000042:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::vault/*"}]}"#;
    put_policy(&s, "vault", deny).await.assert_status(200);
    let r = get().send().await;
    r.assert_error(403, "AccessDenied");
    // The answer leaks nothing of the policy.
    let text = r.text();
    assert!(
        !text.contains("NoAlice") && !text.contains("Deny"),
        "{text}"
    );
    // Other actions are still allowed by AdministratorAccess.
    s.req(Method::PUT, "/vault/other")
        .creds(&s.user)
        .body(&b"y"[..])
        .send()
        .await
        .assert_status(200);
    // Deleting the policy applies to the very next request (the cache is invalidated).
    s.req(Method::DELETE, "/vault?policy")
        .send()
        .await
        .assert_status(204);
    get().send().await.assert_status(200);
    // So does a new policy, and DeleteBucket forgets it.
    put_policy(&s, "vault", deny).await.assert_status(200);
    get().send().await.assert_error(403, "AccessDenied");
    for key in ["secret", "other"] {
        s.req(Method::DELETE, &format!("/vault/{key}"))
            .send()
            .await
            .assert_status(204);
    }
    s.req(Method::DELETE, "/vault")
        .send()
        .await
        .assert_status(204);
    s.create_bucket("vault").await;
    s.put("vault", "secret", b"z").await;
    s.req(Method::GET, "/vault?policy")
        .send()
        .await
        .assert_error(404, "NoSuchBucketPolicy");
    get().send().await.assert_status(200);
}

/// Account 43 with a user `bob` and his key.
pub(crate) async fn second_account(s: &TestServer) -> (AccountId, Creds) {
    let other = AccountId::from_number(43).unwrap();
    s.store.create_account(&other).await.unwrap();
    let now = OffsetDateTime::now_utc();
    s.store
        .create_user(User {
            account: other,
            name: "bob".into(),
            user_id: "AIDABOB".into(),
            created: now,
        })
        .await
        .unwrap();
    let bob = Creds {
        id: "AKIABOB0000000000001".into(),
        secret: "bob/secret/key/00000000000000000000000".into(),
    };
    s.store
        .create_access_key(
            AccessKey {
                access_key_id: bob.id.clone(),
                secret_access_key: bob.secret.clone(),
                account: other,
                owner: KeyOwner::User("bob".into()),
                status: KeyStatus::Active,
                created: now,
            },
            2,
        )
        .await
        .unwrap();
    (other, bob)
}

#[tokio::test]
async fn cross_account_access_needs_both_sides() {
    let s = TestServer::start().await;
    let (other, bob) = second_account(&s).await;
    s.create_bucket("shared").await;
    s.put("shared", "report.csv", b"1,2,3").await;
    let get = || {
        s.req(Method::GET, "/shared/report.csv")
            .creds(&bob)
            .header("x-amz-expected-bucket-owner", "000000000000042")
    };
    let bob_target = PolicyTarget::User("bob".into());
    let read = "arn:aws:iam::aws:policy/S3ReadAccess";
    // Neither side.
    get().send().await.assert_error(403, "AccessDenied");
    // Identity side only.
    s.store
        .attach_policy(&other, &bob_target, read)
        .await
        .unwrap();
    get().send().await.assert_error(403, "AccessDenied");
    // Both sides.
    let allow_bob = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000043:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}"#;
    put_policy(&s, "shared", allow_bob).await.assert_status(200);
    let r = get().send().await;
    r.assert_status(200);
    assert_eq!(&r.body[..], b"1,2,3");
    // Only what both allow: the bucket policy grants no PUT, the identity policy no PUT.
    s.req(Method::PUT, "/shared/x")
        .creds(&bob)
        .header("x-amz-expected-bucket-owner", "000000000000042")
        .body(&b"x"[..])
        .send()
        .await
        .assert_error(403, "AccessDenied");
    // Bucket side only.
    s.store
        .detach_policy(&other, &bob_target, read)
        .await
        .unwrap();
    get().send().await.assert_error(403, "AccessDenied");
    // Without the header bob addresses his own account, which has no such bucket.
    s.store
        .attach_policy(&other, &bob_target, read)
        .await
        .unwrap();
    s.req(Method::GET, "/shared/report.csv")
        .creds(&bob)
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
    // An unknown account is NoSuchAccessPoint, a malformed one InvalidArgument.
    s.req(Method::GET, "/shared/report.csv")
        .creds(&bob)
        .header("x-amz-expected-bucket-owner", "000000000000999")
        .send()
        .await
        .assert_error(404, "NoSuchAccessPoint");
    s.req(Method::GET, "/shared/report.csv")
        .creds(&bob)
        .header("x-amz-expected-bucket-owner", "42")
        .send()
        .await
        .assert_error(400, "InvalidArgument");
    // The owner naming its own account is served as usual.
    s.req(Method::GET, "/shared/report.csv")
        .creds(&s.root)
        .header("x-amz-expected-bucket-owner", "000000000000042")
        .send()
        .await
        .assert_status(200);
}

#[tokio::test]
async fn anonymous_public_reads_through_both_url_forms_only() {
    let s = TestServer::start().await;
    s.create_bucket("pub").await;
    s.create_bucket("private").await;
    s.put("pub", "a/cat.jpg", b"meow").await;
    s.put("private", "a/cat.jpg", b"hiss").await;
    let public = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}"#;
    put_policy(&s, "pub", public).await.assert_status(200);
    let virtual_host = format!("pub.s3.{DOMAIN}");
    let path_host = format!("s3.{DOMAIN}");
    let anon = |method: Method, host: &str, path: &str| s.req(method, path).host(host).anonymous();
    // Virtual-hosted: <bucket>.s3.<domain>/<account-id>/<key>.
    let r = anon(Method::GET, &virtual_host, "/000000000000042/a/cat.jpg")
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(&r.body[..], b"meow");
    // Path style: s3.<domain>/<account-id>/<bucket>/<key>.
    let r = anon(Method::GET, &path_host, "/000000000000042/pub/a/cat.jpg")
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(&r.body[..], b"meow");
    anon(Method::HEAD, &path_host, "/000000000000042/pub/a/cat.jpg")
        .send()
        .await
        .assert_status(200);
    // Nothing else: PUT, DELETE, LIST without a grant, a bucket without a policy.
    anon(Method::PUT, &path_host, "/000000000000042/pub/a/dog.jpg")
        .body(&b"woof"[..])
        .send()
        .await
        .assert_error(403, "AccessDenied");
    anon(Method::DELETE, &virtual_host, "/000000000000042/a/cat.jpg")
        .send()
        .await
        .assert_error(403, "AccessDenied");
    anon(Method::GET, &path_host, "/000000000000042/pub")
        .send()
        .await
        .assert_error(403, "AccessDenied");
    anon(
        Method::GET,
        &path_host,
        "/000000000000042/private/a/cat.jpg",
    )
    .send()
    .await
    .assert_error(403, "AccessDenied");
    // Without the account ID the request addresses no account.
    anon(Method::GET, &path_host, "/pub/a/cat.jpg")
        .send()
        .await
        .assert_error(403, "AccessDenied");
    anon(Method::GET, &virtual_host, "/a/cat.jpg")
        .send()
        .await
        .assert_error(403, "AccessDenied");
    // An unknown account.
    anon(Method::GET, &path_host, "/000000000000999/pub/a/cat.jpg")
        .send()
        .await
        .assert_error(404, "NoSuchAccessPoint");
    anon(Method::GET, &virtual_host, "/000000000000999/a/cat.jpg")
        .send()
        .await
        .assert_error(404, "NoSuchAccessPoint");
    // A listing grant makes the anonymous LIST work.
    let with_list = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"},{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::pub","Condition":{"StringEquals":{"s3:prefix":"a/"}}}]}"#;
    put_policy(&s, "pub", with_list).await.assert_status(200);
    let r = anon(Method::GET, &path_host, "/000000000000042/pub?prefix=a/")
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(r.xml_all("Key"), ["a/cat.jpg"]);
    // s3:prefix is checked.
    anon(Method::GET, &path_host, "/000000000000042/pub?prefix=b/")
        .send()
        .await
        .assert_error(403, "AccessDenied");
}

#[tokio::test]
async fn delete_objects_reports_access_denied_per_key() {
    let s = TestServer::start().await;
    s.create_bucket("logs").await;
    for key in ["keep/a", "tmp/b", "tmp/c"] {
        s.put("logs", key, b"x").await;
    }
    attach_to_alice(&s, "S3FullAccess").await;
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::logs/keep/*"}]}"#;
    put_policy(&s, "logs", deny).await.assert_status(200);
    let body = "<Delete><Object><Key>keep/a</Key></Object><Object><Key>tmp/b</Key></Object><Object><Key>tmp/c</Key></Object></Delete>";
    let r = s
        .req(Method::POST, "/logs?delete")
        .creds(&s.user)
        .header("content-md5", &md5_b64(body.as_bytes()))
        .body(body.as_bytes())
        .send()
        .await;
    r.assert_status(200);
    let mut deleted = r.xml_all("Key");
    deleted.sort();
    // Keys appear in <Deleted> and <Error> alike; the error names keep/a.
    assert_eq!(deleted, ["keep/a", "tmp/b", "tmp/c"]);
    assert_eq!(r.xml_all("Code"), ["AccessDenied"]);
    let text = r.text();
    let error_at = text.find("<Error>").unwrap();
    assert!(text[error_at..].contains("<Key>keep/a</Key>"), "{text}");
    assert_eq!(s.get("logs", "keep/a").await.status, 200);
    assert_eq!(s.get("logs", "tmp/b").await.status, 404);
    assert_eq!(s.get("logs", "tmp/c").await.status, 404);
}

/// A service over the test server's store, called directly so that the test decides the
/// request's `ConnectionInfo`.
pub(crate) fn direct_service(
    s: &TestServer,
) -> S4Service<s4_storage::memory::MemoryStore, s4_storage::memory::MemoryStore> {
    let mut config = ServiceConfig::new(DOMAIN);
    config.region = REGION.into();
    S4Service::new(Arc::clone(&s.store), Arc::clone(&s.store), config)
}

async fn status_with(
    service: &S4Service<s4_storage::memory::MemoryStore, s4_storage::memory::MemoryStore>,
    s: &TestServer,
    connection: Option<ConnectionInfo>,
) -> u16 {
    let mut request = s
        .req(Method::GET, "/site/index.html")
        .creds(&s.user)
        .build();
    if let Some(c) = connection {
        request.extensions_mut().insert(c);
    }
    service.handle(request).await.status().as_u16()
}

pub(crate) fn peer(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), 50000)
}

#[tokio::test]
async fn secure_transport_deny_refuses_plain_http() {
    let s = TestServer::start().await;
    s.create_bucket("site").await;
    s.put("site", "index.html", b"<html>").await;
    attach_to_alice(&s, "S3ReadAccess").await;
    let tls_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::site","arn:aws:s3:::site/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    put_policy(&s, "site", tls_only).await.assert_status(200);
    let service = direct_service(&s);
    // No ConnectionInfo counts as not secure.
    assert_eq!(status_with(&service, &s, None).await, 403);
    let plain = ConnectionInfo {
        peer: peer("127.0.0.1"),
        secure: false,
    };
    assert_eq!(status_with(&service, &s, Some(plain)).await, 403);
    let tls = ConnectionInfo {
        peer: peer("127.0.0.1"),
        secure: true,
    };
    assert_eq!(status_with(&service, &s, Some(tls)).await, 200);
}

#[tokio::test]
async fn source_ip_restriction() {
    let s = TestServer::start().await;
    s.create_bucket("site").await;
    s.put("site", "index.html", b"<html>").await;
    attach_to_alice(&s, "S3ReadAccess").await;
    let office_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}]}"#;
    put_policy(&s, "site", office_only).await.assert_status(200);
    let service = direct_service(&s);
    for (ip, status) in [
        ("10.1.2.3", 200),
        ("2001:db8::7", 200),
        ("192.168.1.1", 403),
        ("11.0.0.1", 403),
    ] {
        let c = ConnectionInfo {
            peer: peer(ip),
            secure: false,
        };
        assert_eq!(status_with(&service, &s, Some(c)).await, status, "{ip}");
    }
}

#[tokio::test]
async fn copy_needs_put_on_the_target_and_get_on_the_source() {
    let s = TestServer::start().await;
    for bucket in ["src", "dst"] {
        s.create_bucket(bucket).await;
    }
    s.put("src", "open/a", b"A").await;
    s.put("src", "closed/b", b"B").await;
    attach_to_alice(&s, "S3FullAccess").await;
    let deny_read = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::src/closed/*"}]}"#;
    put_policy(&s, "src", deny_read).await.assert_status(200);
    let deny_write = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::dst/locked/*"}]}"#;
    put_policy(&s, "dst", deny_write).await.assert_status(200);
    let copy = |source: &str, target: &str| {
        s.req(Method::PUT, &format!("/dst/{target}"))
            .creds(&s.user)
            .header("x-amz-copy-source", source)
    };
    copy("/src/open/a", "x").send().await.assert_status(200);
    // The source's bucket policy denies reading it.
    copy("/src/closed/b", "y")
        .send()
        .await
        .assert_error(403, "AccessDenied");
    // The target's bucket policy denies writing there.
    copy("/src/open/a", "locked/z")
        .send()
        .await
        .assert_error(403, "AccessDenied");
    assert_eq!(s.get("dst", "x").await.status, 200);
    assert_eq!(s.get("dst", "y").await.status, 404);
    assert_eq!(s.get("dst", "locked/z").await.status, 404);
}
