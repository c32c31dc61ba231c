use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use s4_storage::{IdentityStore, KeyStatus};
use time::{Duration, OffsetDateTime};

use crate::harness::{Creds, Payload, TestServer, DOMAIN};

#[tokio::test]
async fn signature_mismatch_carries_string_to_sign_and_canonical_request() {
    let s = TestServer::start().await;
    let r = s.req(Method::GET, "/").bad_signature().send().await;
    r.assert_error(403, "SignatureDoesNotMatch");
    let sts = r.xml("StringToSign").expect("StringToSign");
    assert!(sts.starts_with("AWS4-HMAC-SHA256\n"), "{sts}");
    let canonical = r.xml("CanonicalRequest").expect("CanonicalRequest");
    assert!(canonical.starts_with("GET\n/\n"), "{canonical}");
    // A HEAD error has the status only.
    let r = s.req(Method::HEAD, "/").bad_signature().send().await;
    r.assert_status(403);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn unknown_inactive_and_user_keys() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let stranger = Creds {
        id: "AKIANOBODY0000000000".into(),
        secret: "whatever".into(),
    };
    s.req(Method::GET, "/")
        .creds(&stranger)
        .send()
        .await
        .assert_error(403, "InvalidAccessKeyId");

    // An IAM user without policies may do nothing (no default allow).
    let user = s.user.clone();
    for (method, path) in [
        (Method::GET, "/"),
        (Method::PUT, "/userbucket"),
        (Method::GET, "/bkt?list-type=2"),
        (Method::PUT, "/bkt/k"),
        (Method::GET, "/bkt/k"),
        (Method::DELETE, "/bkt"),
    ] {
        s.req(method, path)
            .creds(&user)
            .send()
            .await
            .assert_error(403, "AccessDenied");
    }
    s.req(Method::HEAD, "/bkt").send().await.assert_status(200);

    s.store
        .set_access_key_status(&s.account, &s.user.id, KeyStatus::Inactive)
        .await
        .unwrap();
    s.req(Method::GET, "/")
        .creds(&user)
        .send()
        .await
        .assert_error(403, "InvalidAccessKeyId");
}

#[tokio::test]
async fn anonymous_requests_are_denied() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "k", b"secret").await;
    s.req(Method::GET, "/bkt/k")
        .anonymous()
        .send()
        .await
        .assert_error(403, "AccessDenied");
    s.req(Method::GET, "/")
        .anonymous()
        .send()
        .await
        .assert_error(403, "AccessDenied");
    // Public URLs carry the account ID: an unknown account is NoSuchAccessPoint.
    s.req(Method::GET, "/000000000000999/bkt/k")
        .anonymous()
        .send()
        .await
        .assert_error(404, "NoSuchAccessPoint");
    s.req(Method::GET, &format!("/{}/bkt/k", s.account.as_str()))
        .anonymous()
        .send()
        .await
        .assert_error(403, "AccessDenied");
}

#[tokio::test]
async fn unsigned_amz_header_is_refused() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let mut request = s.req(Method::PUT, "/bkt/k").body("x").build();
    request
        .headers_mut()
        .insert("x-amz-meta-sneaky", "added-after-signing".parse().unwrap());
    s.raw(request).await.assert_error(403, "AccessDenied");
    s.get("bkt", "k").await.assert_error(404, "NoSuchKey");
}

#[tokio::test]
async fn clock_skew_and_missing_headers() {
    let s = TestServer::start().await;
    s.req(Method::GET, "/")
        .time(OffsetDateTime::now_utc() - Duration::minutes(20))
        .send()
        .await
        .assert_error(403, "RequestTimeTooSkewed");
    let mut request = s.req(Method::GET, "/").build();
    request.headers_mut().remove("x-amz-content-sha256");
    s.raw(request)
        .await
        .assert_error(400, "MissingSecurityHeader");
    let mut request = s.req(Method::GET, "/").build();
    request
        .headers_mut()
        .insert("authorization", "AWS AKIA:sig".parse().unwrap());
    let r = s.raw(request).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.code().is_some());
    // The refusal names the client setting that fixes it.
    assert!(
        r.text().contains("signature_version = s3v4"),
        "{}",
        r.text()
    );
    // SigV2 presigned URLs are refused with an S3 error.
    let request = Request::get(format!(
        "http://{}/bkt/k?AWSAccessKeyId=x&Signature=y&Expires=1",
        s.addr
    ))
    .body(Full::new(Bytes::new()))
    .unwrap();
    let r = s.raw(request).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("signature_version = s3v4"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn presigned_get_put_head_delete() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let path = "/bkt/pre%20signed%2Bkey";
    let url = s.presign(&Method::PUT, path, 600);
    let request = Request::put(format!("http://{}{url}", s.addr))
        .body(Full::new(Bytes::from_static(b"via presigned put")))
        .unwrap();
    s.raw(request).await.assert_status(200);

    let url = s.presign(&Method::GET, path, 600);
    let request = Request::get(format!("http://{}{url}", s.addr))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = s.raw(request).await;
    r.assert_status(200);
    assert_eq!(r.text(), "via presigned put");
    assert_eq!(
        s.get("bkt", "pre signed+key").await.text(),
        "via presigned put"
    );

    let url = s.presign(&Method::HEAD, path, 600);
    let request = Request::head(format!("http://{}{url}", s.addr))
        .body(Full::new(Bytes::new()))
        .unwrap();
    s.raw(request).await.assert_status(200);

    // A tampered presigned URL.
    let url = s
        .presign(&Method::GET, path, 600)
        .replace("X-Amz-Expires=600", "X-Amz-Expires=601");
    let request = Request::get(format!("http://{}{url}", s.addr))
        .body(Full::new(Bytes::new()))
        .unwrap();
    s.raw(request)
        .await
        .assert_error(403, "SignatureDoesNotMatch");
    // Expiry out of range.
    let url = s
        .presign(&Method::GET, path, 600)
        .replace("X-Amz-Expires=600", "X-Amz-Expires=604801");
    let request = Request::get(format!("http://{}{url}", s.addr))
        .body(Full::new(Bytes::new()))
        .unwrap();
    s.raw(request)
        .await
        .assert_error(400, "AuthorizationQueryParametersError");

    let url = s.presign(&Method::DELETE, path, 600);
    let request = Request::delete(format!("http://{}{url}", s.addr))
        .body(Full::new(Bytes::new()))
        .unwrap();
    s.raw(request).await.assert_status(204);
    s.get("bkt", "pre signed+key")
        .await
        .assert_error(404, "NoSuchKey");
}

#[tokio::test]
async fn iam_host_refuses_an_s3_scoped_signature_iam_shaped() {
    // The IAM API itself is tested in tests/iam.
    let s = TestServer::start().await;
    let r = s
        .req(Method::POST, "/")
        .host(&format!("iam.{DOMAIN}"))
        .body("Action=ListUsers&Version=2010-05-08")
        .send()
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("<ErrorResponse"), "{}", r.text());
    assert_eq!(r.code().as_deref(), Some("InvalidRequest"));
    assert!(r.header("x-amz-request-id").is_some());
}

#[tokio::test]
async fn signed_chunk_payload_with_user_key_is_denied_before_reading() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let user = s.user.clone();
    s.req(Method::PUT, "/bkt/k")
        .creds(&user)
        .payload(Payload::ChunkedSigned(1024))
        .body(vec![1u8; 5000])
        .send()
        .await
        .assert_error(403, "AccessDenied");
}

#[tokio::test]
async fn expired_presigned_url_is_access_denied() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "k", b"x").await;
    let url = s.presign_at(
        &Method::GET,
        "/bkt/k",
        60,
        OffsetDateTime::now_utc() - Duration::minutes(5),
    );
    let request = Request::get(format!("http://{}{url}", s.addr))
        .body(Full::new(Bytes::new()))
        .unwrap();
    s.raw(request).await.assert_error(403, "AccessDenied");
}

#[tokio::test]
async fn bare_host_routes_by_credential_scope() {
    let s = TestServer::start().await;
    // An IAM-scoped signature on the IP host goes to IAM.
    let uri: http::Uri = format!("http://{}/", s.addr).parse().unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("host", s.addr.to_string().parse().unwrap());
    headers.insert(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8"
            .parse()
            .unwrap(),
    );
    let body = b"Action=ListUsers&Version=2010-05-08";
    let params = s4_sigv4::SigningParams::new(
        &s.root.id,
        &s.root.secret,
        "us-east-1",
        "iam",
        OffsetDateTime::now_utc(),
    );
    let signed = s4_sigv4::sign_headers(
        &Method::POST,
        &uri,
        &headers,
        &params,
        &s4_sigv4::SignableBody::Bytes(body),
    )
    .unwrap();
    signed.apply_to(&mut headers);
    let mut request = Request::post(uri)
        .body(Full::new(Bytes::from_static(body)))
        .unwrap();
    *request.headers_mut() = headers;
    let r = s.raw(request).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<ListUsersResponse"), "{}", r.text());
    // An S3-scoped one on the same host is S3.
    s.req(Method::GET, "/").send().await.assert_status(200);
}

/// `+` in a query value is a space for the signature and the handlers alike, `%2B` a plus
/// (as AWS reads them): swapping one spelling for the other under the same signature is
/// `SignatureDoesNotMatch`, and a correctly signed request of each spelling lists its own
/// keys.
#[tokio::test]
async fn swapping_plus_and_percent_2b_under_one_signature_is_refused() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "a+b/plus", b"1").await;
    s.put("bkt", "a b/space", b"2").await;
    let keys = |r: &crate::harness::Resp| {
        r.assert_status(200);
        r.xml_all("Key")
    };
    let plus = s.req(Method::GET, "/bkt?prefix=a%2Bb").send().await;
    assert_eq!(keys(&plus), ["a+b/plus"]);
    let space = s.req(Method::GET, "/bkt?prefix=a+b").send().await;
    assert_eq!(keys(&space), ["a b/space"]);
    for (signed, sent) in [("a%2Bb", "a+b"), ("a+b", "a%2Bb"), ("a%20b", "a%2Bb")] {
        let mut request = s.req(Method::GET, &format!("/bkt?prefix={signed}")).build();
        let uri = format!("http://{}/bkt?prefix={sent}", s.addr);
        *request.uri_mut() = uri.parse().unwrap();
        let r = s.raw(request).await;
        r.assert_error(403, "SignatureDoesNotMatch");
        assert!(
            r.xml("Contents").is_none(),
            "{signed} -> {sent}: {}",
            r.text()
        );
    }
    // `%20` and `+` are two spellings of the same space: both sign and list alike.
    let mut request = s.req(Method::GET, "/bkt?prefix=a+b").build();
    *request.uri_mut() = format!("http://{}/bkt?prefix=a%20b", s.addr)
        .parse()
        .unwrap();
    assert_eq!(keys(&s.raw(request).await), ["a b/space"]);
}
