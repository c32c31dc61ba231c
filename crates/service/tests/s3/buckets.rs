use http::Method;

use crate::harness::{TestServer, DOMAIN};

#[tokio::test]
async fn create_list_head_delete() {
    let s = TestServer::start().await;
    let r = s.req(Method::GET, "/").send().await;
    r.assert_status(200);
    assert!(r.text().contains("<Buckets></Buckets>"), "{}", r.text());
    assert_eq!(r.xml("DisplayName").as_deref(), Some(s.account.as_str()));

    // rclone: `X-Amz-Acl: private`; s3cmd: trailing slash; a CreateBucketConfiguration body.
    s.req(Method::PUT, "/beta")
        .header("x-amz-acl", "private")
        .send()
        .await
        .assert_status(200);
    s.req(Method::PUT, "/alpha/")
        .send()
        .await
        .assert_status(200);
    s.req(Method::PUT, "/gamma")
        .body(&b"<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"[..])
        .send()
        .await
        .assert_status(200);

    let r = s.req(Method::GET, "/").send().await;
    assert_eq!(r.xml_all("Name"), ["alpha", "beta", "gamma"]);
    assert!(r.xml("CreationDate").unwrap().ends_with('Z'));

    let r = s.req(Method::PUT, "/alpha").send().await;
    r.assert_error(409, "BucketAlreadyOwnedByYou");

    let r = s.req(Method::HEAD, "/alpha").send().await;
    r.assert_status(200);
    assert!(r.body.is_empty());

    s.put("alpha", "k", b"x").await;
    s.req(Method::DELETE, "/alpha")
        .send()
        .await
        .assert_error(409, "BucketNotEmpty");
    s.req(Method::DELETE, "/alpha/k")
        .send()
        .await
        .assert_status(204);
    let r = s.req(Method::DELETE, "/alpha").send().await;
    r.assert_status(204);
    assert!(r.body.is_empty());

    let r = s.req(Method::HEAD, "/alpha").send().await;
    r.assert_status(404);
    assert!(r.body.is_empty(), "HEAD errors carry no body");
    s.req(Method::DELETE, "/alpha")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
}

#[tokio::test]
async fn invalid_bucket_names() {
    let s = TestServer::start().await;
    for name in [
        "ab",
        "Upper",
        "a..b",
        "192.168.5.4",
        "xn--abc",
        "bucket-s3alias",
        "-ab",
    ] {
        s.req(Method::PUT, &format!("/{name}"))
            .send()
            .await
            .assert_error(400, "InvalidBucketName");
    }
    s.req(Method::DELETE, "/ab")
        .send()
        .await
        .assert_error(400, "InvalidBucketName");
    let r = s.req(Method::HEAD, "/ab").send().await;
    r.assert_status(400);
}

#[tokio::test]
async fn malformed_create_bucket_configuration() {
    let s = TestServer::start().await;
    s.req(Method::PUT, "/bkt")
        .body(&b"<CreateBucketConfiguration><Oops"[..])
        .send()
        .await
        .assert_error(400, "MalformedXML");
    s.req(Method::HEAD, "/bkt").send().await.assert_status(404);
}

#[tokio::test]
async fn location_and_acls() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    for path in ["/bkt?location", "/bkt?location=", "/bkt/?location"] {
        let r = s.req(Method::GET, path).send().await;
        r.assert_status(200);
        assert!(
            r.text().ends_with("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>"),
            "{}",
            r.text()
        );
    }
    s.req(Method::GET, "/nope?location")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");

    let r = s.req(Method::GET, "/bkt?acl").send().await;
    r.assert_status(200);
    assert_eq!(r.xml("Permission").as_deref(), Some("FULL_CONTROL"));
    assert_eq!(r.xml("DisplayName").as_deref(), Some(s.account.as_str()));
    s.req(Method::GET, "/nope?acl")
        .send()
        .await
        .assert_error(404, "NoSuchBucket");
    s.req(Method::PUT, "/bkt?acl")
        .header("x-amz-acl", "public-read")
        .send()
        .await
        .assert_error(400, "AccessControlListNotSupported");
    s.req(Method::PUT, "/other")
        .header("x-amz-acl", "public-read")
        .send()
        .await
        .assert_error(400, "AccessControlListNotSupported");
}

#[tokio::test]
async fn unsupported_subresources_are_not_implemented() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    for path in [
        "/bkt/?cors",
        "/bkt?versioning",
        "/bkt?lifecycle",
        "/bkt?tagging",
        "/bkt?website",
    ] {
        s.req(Method::GET, path)
            .send()
            .await
            .assert_error(501, "NotImplemented");
    }
}

#[tokio::test]
async fn virtual_hosted_style() {
    let s = TestServer::start().await;
    s.req(Method::PUT, "/")
        .host(&format!("vhost.s3.{DOMAIN}"))
        .send()
        .await
        .assert_status(200);
    s.req(Method::PUT, "/dir/key%20one")
        .host(&format!("vhost.s3.{DOMAIN}"))
        .body("virtual")
        .send()
        .await
        .assert_status(200);
    // The same object, path style on the s3 host.
    let r = s
        .req(Method::GET, "/vhost/dir/key%20one")
        .host(&format!("s3.{DOMAIN}"))
        .send()
        .await;
    r.assert_status(200);
    assert_eq!(&r.body[..], b"virtual");
    let r = s
        .req(Method::GET, "/?list-type=2")
        .host(&format!("vhost.s3.{DOMAIN}"))
        .send()
        .await;
    assert_eq!(r.xml_all("Key"), ["dir/key one"]);
    let r = s
        .req(Method::GET, "/")
        .host(&format!("s3.{DOMAIN}"))
        .send()
        .await;
    assert_eq!(r.xml_all("Name"), ["vhost"]);
    // Unknown hosts.
    s.req(Method::GET, "/")
        .host("s3.elsewhere.example")
        .send()
        .await
        .assert_error(400, "InvalidURI");
}
