//! The access explainer (`POST /_s4/explain`, issue 22 item 5): the root explains an IAM
//! user's, an anonymous caller's and another account's access with the deciding statements;
//! callers without the reads the answer reveals are refused and learn nothing.

use http::Method;
use serde_json::{json, Value};

use crate::enforcement::second_account;
use crate::harness::{Creds, Resp, TestServer};
use crate::{attach_to_alice, put_policy};

const ALICE: &str = "arn:aws:iam::000000000000042:user/alice";

/// Denies alice deletes, lets everyone read `public/`, lets account 43's root list.
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Sid":"NoDeletes","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000042:user/alice"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::photos/*"},
 {"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/public/*"},
 {"Sid":"PartnerList","Effect":"Allow","Principal":{"AWS":"000000000000043"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos"}]}"#;

async fn setup() -> TestServer {
    let s = bare_setup().await;
    attach_to_alice(&s, "S3FullAccess").await;
    s
}

/// The bucket and its policy; alice has no policy attached.
async fn bare_setup() -> TestServer {
    let s = TestServer::start().await;
    s.create_bucket("photos").await;
    put_policy(&s, "photos", POLICY).await.assert_status(200);
    s
}

async fn ask(s: &TestServer, creds: Option<&Creds>, question: &Value) -> Resp {
    let req = s
        .req(Method::POST, "/_s4/explain")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(question).unwrap());
    match creds {
        Some(c) => req.creds(c).send().await,
        None => req.anonymous().send().await,
    }
}

fn answer(r: &Resp) -> Value {
    r.assert_status(200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    serde_json::from_slice(&r.body).unwrap()
}

fn sids(v: &Value) -> Vec<&str> {
    v["MatchedStatements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap_or("-"))
        .collect()
}

#[tokio::test]
async fn root_explains_a_users_denied_delete_and_allowed_get() {
    let s = setup().await;
    let root = s.root.clone();
    let q = json!({"Principal": ALICE, "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::photos/a.jpg"});
    let v = answer(&ask(&s, Some(&root), &q).await);
    assert_eq!(v["Decision"], "ExplicitDeny");
    assert_eq!(v["Allowed"], false);
    assert_eq!(v["Answer"], "AccessDenied");
    assert_eq!(v["Principal"], ALICE);
    assert_eq!(sids(&v), ["NoDeletes"]);
    assert_eq!(v["MatchedStatements"][0]["Effect"], "Deny");
    assert_eq!(v["MatchedStatements"][0]["Statement"], 0);
    assert_eq!(
        v["MatchedStatements"][0]["Policy"],
        "bucket policy of photos"
    );
    // The same user's GET is allowed by her identity policy.
    let q = json!({"Principal": ALICE, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/a.jpg"});
    let v = answer(&ask(&s, Some(&root), &q).await);
    assert_eq!(v["Decision"], "Allow");
    assert_eq!(
        v["MatchedStatements"][0]["Policy"],
        "arn:aws:iam::aws:policy/S3FullAccess"
    );
    let q = json!({"Principal": ALICE, "Action": "iam:CreateUser", "Resource": "*"});
    let v = answer(&ask(&s, Some(&root), &q).await);
    assert_eq!(v["Decision"], "ImplicitDeny");
    assert_eq!(v["Reason"], "NoAllow");
    assert!(sids(&v).is_empty());
}

#[tokio::test]
async fn anonymous_and_another_accounts_root_are_explained() {
    let s = setup().await;
    let root = s.root.clone();
    let q = json!({"Principal": "anonymous", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/public/cat.jpg"});
    let v = answer(&ask(&s, Some(&root), &q).await);
    assert_eq!(
        (v["Decision"].as_str(), v["Principal"].as_str()),
        (Some("Allow"), Some("anonymous"))
    );
    assert_eq!(sids(&v), ["PublicRead"]);
    let q = json!({"Principal": "anonymous", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/private.jpg"});
    assert_eq!(
        answer(&ask(&s, Some(&root), &q).await)["Decision"],
        "ImplicitDeny"
    );

    let q = json!({"Principal": "arn:aws:iam::000000000000043:root", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::photos"});
    let v = answer(&ask(&s, Some(&root), &q).await);
    assert_eq!(v["Decision"], "Allow");
    assert_eq!(sids(&v), ["PartnerList"]);
    let q = json!({"Principal": "000000000000043", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::photos"});
    let v = answer(&ask(&s, Some(&root), &q).await);
    assert_eq!(
        (v["Decision"].as_str(), v["Answer"].as_str()),
        (Some("NotOwnerAccount"), Some("MethodNotAllowed"))
    );
    // Another account's users have that account's policies: not explained here.
    let q = json!({"Principal": "arn:aws:iam::000000000000043:user/bob", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::photos"});
    ask(&s, Some(&root), &q)
        .await
        .assert_error(400, "InvalidArgument");
}

#[tokio::test]
async fn callers_without_the_reads_are_refused_and_learn_nothing() {
    let s = bare_setup().await;
    let alice = s.user.clone();
    let deny = json!({"Principal": ALICE, "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::photos/a.jpg"});
    let ghost = json!({"Principal": "arn:aws:iam::000000000000042:user/ghost", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/a.jpg"});
    for q in [&deny, &ghost] {
        let r = ask(&s, Some(&alice), q).await;
        r.assert_error(403, "AccessDenied");
        let text = r.text();
        assert!(text.contains("<RequestId>"), "{text}");
        assert!(
            !text.contains("NoDeletes") && !text.contains("Decision"),
            "{text}"
        );
        assert!(
            text.contains("iam:GetPolicy"),
            "names what it lacks: {text}"
        );
    }
    // Anonymous callers and another account's users are refused too.
    ask(&s, None, &deny).await.assert_error(403, "AccessDenied");
    // Another account's user asks in his own account (the explainer never reaches into
    // another account's resources) and, without rights there, is refused the same way.
    let (_, bob) = second_account(&s).await;
    let bobs = json!({"Principal": "arn:aws:iam::000000000000043:user/bob", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/a.jpg"});
    ask(&s, Some(&bob), &bobs)
        .await
        .assert_error(403, "AccessDenied");
    // IAM reads alone are not enough for a bucket resource: the bucket policy is read too.
    attach_to_alice(&s, "IAMReadAccess").await;
    let r = ask(&s, Some(&alice), &deny).await;
    r.assert_error(403, "AccessDenied");
    assert!(r.text().contains("s3:GetBucketPolicy"), "{}", r.text());
    // S3ReadAccess (s3:Get*) adds s3:GetBucketPolicy: now she may ask.
    attach_to_alice(&s, "S3ReadAccess").await;
    let v = answer(&ask(&s, Some(&alice), &deny).await);
    assert_eq!(v["Decision"], "ExplicitDeny");
    // Now that she may ask, a missing user is a clear error.
    ask(&s, Some(&alice), &ghost)
        .await
        .assert_error(400, "InvalidArgument");
}

#[tokio::test]
async fn malformed_questions_are_clear_errors() {
    let s = setup().await;
    let root = s.root.clone();
    for (q, name) in [
        (
            json!({"Principal": ALICE, "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::photos/a"}),
            "Action",
        ),
        (
            json!({"Principal": ALICE, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"}),
            "",
        ),
        (
            json!({"Principal": ALICE, "Action": "s3:GetObject", "Resource": "photos/a"}),
            "Resource",
        ),
        (
            json!({"Principal": ALICE, "Action": "iam:GetUser", "Resource": "arn:aws:s3:::photos"}),
            "Resource",
        ),
        (
            json!({"Principal": "alice", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/a"}),
            "Principal",
        ),
    ] {
        let r = ask(&s, Some(&root), &q).await;
        if name.is_empty() {
            r.assert_status(200);
        } else {
            r.assert_error(400, "InvalidArgument");
            assert_eq!(r.xml("ArgumentName").as_deref(), Some(name), "{q}");
        }
    }
    let r = s
        .req(Method::POST, "/_s4/explain")
        .body(&b"{\"Principal\": 1}"[..])
        .send()
        .await;
    r.assert_error(400, "InvalidRequest");
    s.req(Method::GET, "/_s4/explain")
        .send()
        .await
        .assert_error(405, "MethodNotAllowed");
    let big = vec![b' '; 17 * 1024];
    let r = s.req(Method::POST, "/_s4/explain").body(big).send().await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text());
}
