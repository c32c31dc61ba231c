//! ACLs as AWS answers them with ACLs disabled: the owner-only ACL (`private`,
//! `bucket-owner-full-control`, or an XML policy granting only the owner FULL_CONTROL) is
//! accepted and changes nothing; every other ACL is `AccessControlListNotSupported`.

use std::fmt::Write as _;

use http::Method;

use crate::harness::TestServer;

/// An `<AccessControlPolicy>` with the owner `owner` and `grants` (grantee element, permission).
fn policy(owner: &str, grants: &[(&str, &str)]) -> String {
    let mut list = String::new();
    for (grantee, permission) in grants {
        let _ = write!(
            list,
            "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">{grantee}</Grantee><Permission>{permission}</Permission></Grant>"
        );
    }
    format!(
        "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>{owner}</ID></Owner><AccessControlList>{list}</AccessControlList></AccessControlPolicy>"
    )
}

async fn setup() -> (TestServer, String) {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "k", b"bytes").await;
    let r = s.req(Method::GET, "/bkt/k?acl").send().await;
    r.assert_status(200);
    let owner = r.xml("ID").expect("owner ID");
    (s, owner)
}

#[tokio::test]
async fn owner_only_acls_are_accepted_as_no_ops() {
    let (s, owner) = setup().await;
    let before = s.req(Method::GET, "/bkt/k?acl").send().await.text();
    let id = format!("<ID>{owner}</ID>");
    let owner_only = policy(&owner, &[(&id, "FULL_CONTROL")]);
    for path in ["/bkt/k?acl", "/bkt?acl"] {
        for canned in ["private", "bucket-owner-full-control"] {
            s.req(Method::PUT, path)
                .header("x-amz-acl", canned)
                .send()
                .await
                .assert_status(200);
        }
        // The document s3cmd copies from a source onto its copy.
        s.req(Method::PUT, path)
            .header("content-type", "application/xml")
            .body(owner_only.clone())
            .send()
            .await
            .assert_status(200);
    }
    assert_eq!(s.req(Method::GET, "/bkt/k?acl").send().await.text(), before);
    assert_eq!(&s.get("bkt", "k").await.body[..], b"bytes");
    // On object writes too.
    for canned in ["private", "bucket-owner-full-control"] {
        s.req(Method::PUT, "/bkt/put")
            .header("x-amz-acl", canned)
            .body("x")
            .send()
            .await
            .assert_status(200);
        s.req(Method::PUT, "/bkt/copy")
            .header("x-amz-acl", canned)
            .header("x-amz-copy-source", "/bkt/k")
            .send()
            .await
            .assert_status(200);
        s.req(Method::POST, "/bkt/mp?uploads")
            .header("x-amz-acl", canned)
            .send()
            .await
            .assert_status(200);
    }
}

#[tokio::test]
async fn every_other_acl_is_refused_and_nothing_changes() {
    let (s, owner) = setup().await;
    let before = s.req(Method::GET, "/bkt/k?acl").send().await.text();
    let id = format!("<ID>{owner}</ID>");
    let other = "<ID>0000000000000000000000000000000000000000000000000000000000000000</ID>";
    let all_users = "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>";
    let refused = [
        policy(&owner, &[(&id, "FULL_CONTROL"), (all_users, "READ")]),
        policy(&owner, &[(&id, "READ")]),
        policy(&owner, &[(other, "FULL_CONTROL")]),
        policy(
            "0000000000000000000000000000000000000000000000000000000000000000",
            &[(&id, "FULL_CONTROL")],
        ),
        policy(
            &owner,
            &[("<EmailAddress>a@example.com</EmailAddress>", "FULL_CONTROL")],
        ),
        policy(&owner, &[]),
    ];
    for path in ["/bkt/k?acl", "/bkt?acl"] {
        for body in &refused {
            s.req(Method::PUT, path)
                .body(body.clone())
                .send()
                .await
                .assert_error(400, "AccessControlListNotSupported");
        }
        // Neither a header nor a body: no ACL that S4 has.
        s.req(Method::PUT, path)
            .send()
            .await
            .assert_error(400, "AccessControlListNotSupported");
        s.req(Method::PUT, path)
            .body("<AccessControlPolicy><Grant/></AccessControlPolicy>")
            .send()
            .await
            .assert_error(400, "MalformedACLError");
        s.req(Method::PUT, path)
            .header("x-amz-acl", "private")
            .body(policy(&owner, &[(&id, "FULL_CONTROL")]))
            .send()
            .await
            .assert_error(400, "InvalidRequest");
    }
    s.req(Method::PUT, "/bkt/missing?acl")
        .header("x-amz-acl", "private")
        .send()
        .await
        .assert_error(404, "NoSuchKey");
    s.req(Method::PUT, "/nobucket?acl")
        .header("x-amz-acl", "private")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
    assert_eq!(s.req(Method::GET, "/bkt/k?acl").send().await.text(), before);
    assert_eq!(&s.get("bkt", "k").await.body[..], b"bytes");
    assert_eq!(s.get("bkt", "missing").await.status, 404);
}
