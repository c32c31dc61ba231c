//! IAM on the wire: what an SDK never sends (anonymous, tampered or oversized bodies, other
//! content types and methods, GET query strings, the `iam.<domain>` host) and the exact
//! response shape.

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, HOST};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::Full;
use s4_sigv4::{presign, sign_headers, SignableBody, SigningParams};
use s4_storage::IdentityStore as _;
use time::OffsetDateTime;

use crate::harness::{Creds, Resp, TestServer, DOMAIN, REGION};

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// An IAM request signed for `<region>/iam` like botocore's: no `x-amz-content-sha256`
/// unless `declare_sha256`. `signed_body` is what the signature covers, `body` what is sent.
struct IamReq<'a> {
    server: &'a TestServer,
    method: Method,
    path_and_query: String,
    host: String,
    content_type: Option<&'static str>,
    signed_body: Vec<u8>,
    body: Vec<u8>,
    creds: Option<Creds>,
    declare_sha256: bool,
}

impl<'a> IamReq<'a> {
    fn post(server: &'a TestServer, form: &str) -> Self {
        Self {
            server,
            method: Method::POST,
            path_and_query: "/".into(),
            host: server.addr.to_string(),
            content_type: Some(FORM),
            signed_body: form.as_bytes().to_vec(),
            body: form.as_bytes().to_vec(),
            creds: Some(server.root.clone()),
            declare_sha256: false,
        }
    }

    fn get(server: &'a TestServer, query: &str) -> Self {
        Self {
            method: Method::GET,
            path_and_query: format!("/?{query}"),
            content_type: None,
            signed_body: Vec::new(),
            body: Vec::new(),
            ..Self::post(server, "")
        }
    }

    async fn send(self) -> Resp {
        let uri: Uri = format!("http://{}{}", self.host, self.path_and_query)
            .parse()
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(&self.host).unwrap());
        if let Some(ct) = self.content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        if let Some(creds) = &self.creds {
            let mut params = SigningParams::new(
                &creds.id,
                &creds.secret,
                REGION,
                "iam",
                OffsetDateTime::now_utc(),
            );
            params.content_sha256_header = self.declare_sha256;
            let signed = sign_headers(
                &self.method,
                &uri,
                &headers,
                &params,
                &SignableBody::Bytes(&self.signed_body),
            )
            .unwrap();
            signed.apply_to(&mut headers);
        }
        let target: Uri = format!("http://{}{}", self.server.addr, self.path_and_query)
            .parse()
            .unwrap();
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(target)
            .body(Full::new(Bytes::from(self.body)))
            .unwrap();
        *request.headers_mut() = headers;
        self.server.raw(request).await
    }
}

/// Asserts an IAM `<ErrorResponse>`: status, `<Code>`, `<Type>`, and the request ID in
/// body and header.
#[track_caller]
fn assert_iam_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "body: {}", r.text());
    let text = r.text();
    assert!(
        text.contains("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"),
        "{text}"
    );
    assert_eq!(r.code().as_deref(), Some(code), "body: {text}");
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    assert_eq!(r.xml("Type").as_deref(), Some(kind));
    let id = r.header("x-amz-request-id").expect("request id header");
    assert_eq!(r.xml("RequestId").as_deref(), Some(id));
    assert_eq!(r.header("content-type"), Some("text/xml"));
}

#[tokio::test]
async fn get_with_a_query_string_and_post_with_a_form_both_work() {
    let s = TestServer::start().await;
    let r = IamReq::get(&s, "Action=ListUsers&Version=2010-05-08")
        .send()
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert!(r
        .text()
        .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListUsersResponse "));
    assert_eq!(r.xml_all("UserName"), ["alice"]);
    assert_eq!(r.header("content-type"), Some("text/xml"));
    let id = r.header("x-amz-request-id").unwrap().to_owned();
    assert_eq!(r.xml("RequestId").as_deref(), Some(id.as_str()));
    assert!(r.header("x-amz-id-2").is_some());

    let r = IamReq::post(
        &s,
        "Action=CreateGroup&Version=2010-05-08&GroupName=from-form",
    )
    .send()
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(r.xml("GroupName").as_deref(), Some("from-form"));
    // A POST may carry parameters in its query string too.
    let mut req = IamReq::post(&s, "GroupName=from-both");
    req.path_and_query = "/?Action=GetGroup&Version=2010-05-08".into();
    let r = req.send().await;
    assert_iam_error(&r, 404, "NoSuchEntity");
}

#[tokio::test]
async fn the_iam_host_routes_to_iam() {
    let s = TestServer::start().await;
    let mut req = IamReq::post(&s, "Action=GetUser&Version=2010-05-08");
    req.host = format!("iam.{DOMAIN}:{}", s.addr.port());
    let r = req.send().await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(
        r.xml("Arn").as_deref(),
        Some("arn:aws:iam::000000000000042:root")
    );

    // Anonymous on the IAM host: an IAM-shaped AccessDenied.
    let mut req = IamReq::post(&s, "Action=ListUsers&Version=2010-05-08");
    req.host = format!("iam.{DOMAIN}:{}", s.addr.port());
    req.creds = None;
    assert_iam_error(&req.send().await, 403, "AccessDenied");
}

#[tokio::test]
async fn the_signature_covers_the_form_body() {
    let s = TestServer::start().await;
    // Signed for one user name, sent with another of the same length.
    let mut req = IamReq::post(&s, "Action=CreateUser&Version=2010-05-08&UserName=good");
    req.body = b"Action=CreateUser&Version=2010-05-08&UserName=evil".to_vec();
    assert_iam_error(&req.send().await, 403, "SignatureDoesNotMatch");
    let r = IamReq::post(&s, "Action=GetUser&Version=2010-05-08&UserName=evil")
        .send()
        .await;
    assert_iam_error(&r, 404, "NoSuchEntity");

    // With a declared x-amz-content-sha256: accepted when it matches ...
    let mut req = IamReq::post(&s, "Action=CreateUser&Version=2010-05-08&UserName=good");
    req.declare_sha256 = true;
    let r = req.send().await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    // ... and refused, storing nothing, when the body differs from it.
    let mut req = IamReq::post(&s, "Action=CreateUser&Version=2010-05-08&UserName=okay");
    req.declare_sha256 = true;
    req.body = b"Action=CreateUser&Version=2010-05-08&UserName=evil".to_vec();
    assert_iam_error(&req.send().await, 400, "InvalidRequest");
    let r = IamReq::post(&s, "Action=GetUser&Version=2010-05-08&UserName=evil")
        .send()
        .await;
    assert_iam_error(&r, 404, "NoSuchEntity");
}

#[tokio::test]
async fn authentication_failures() {
    let s = TestServer::start().await;
    let mut req = IamReq::post(&s, "Action=ListUsers&Version=2010-05-08");
    req.creds = Some(Creds {
        id: "AKIANOSUCHKEY0000000".into(),
        secret: "x".repeat(40),
    });
    assert_iam_error(&req.send().await, 403, "InvalidAccessKeyId");

    // (An anonymous request on an IP host has no credential scope and so goes to S3; the
    // anonymous IAM case is in `the_iam_host_routes_to_iam`.)

    // A key made inactive in the store is refused at once.
    s.store
        .set_access_key_status(&s.account, &s.user.id, s4_storage::KeyStatus::Inactive)
        .await
        .unwrap();
    let mut req = IamReq::post(&s, "Action=ListUsers&Version=2010-05-08");
    req.creds = Some(s.user.clone());
    assert_iam_error(&req.send().await, 403, "InvalidAccessKeyId");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let s = TestServer::start().await;
    let form = format!(
        "Action=ListUsers&Version=2010-05-08&Padding={}",
        "a".repeat(70_000)
    );
    let r = IamReq::post(&s, &form).send().await;
    assert_iam_error(&r, 413, "RequestEntityTooLarge");
    // Just under the limit is fine (unknown parameters are ignored).
    let head = "Action=ListUsers&Version=2010-05-08&Padding=";
    let form = format!("{head}{}", "a".repeat(65_536 - head.len()));
    let r = IamReq::post(&s, &form).send().await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
}

#[tokio::test]
async fn protocol_errors() {
    let s = TestServer::start().await;
    let cases: [(&str, u16, &str); 6] = [
        ("Version=2010-05-08", 400, "MissingAction"),
        ("Action=ListUsers", 400, "InvalidAction"),
        ("Action=ListUsers&Version=2011-01-01", 400, "InvalidAction"),
        (
            "Action=DeleteBucket&Version=2010-05-08",
            400,
            "InvalidAction",
        ),
        (
            "Action=DeleteUser&Version=2010-05-08",
            400,
            "ValidationError",
        ),
        (
            "Action=ListUsers&Version=2010-05-08&MaxItems=x",
            400,
            "MalformedInput",
        ),
    ];
    for (form, status, code) in cases {
        assert_iam_error(&IamReq::post(&s, form).send().await, status, code);
    }
    let r = IamReq::get(&s, "Action=ListUsers&Version=2010-05-08&Marker=%ZZ")
        .send()
        .await;
    assert_iam_error(&r, 400, "MalformedInput");

    // Only forms, only GET and POST.
    let mut req = IamReq::post(&s, "Action=ListUsers&Version=2010-05-08");
    req.content_type = Some("application/json");
    assert_iam_error(&req.send().await, 400, "InvalidRequest");
    let mut req = IamReq::get(&s, "Action=ListUsers&Version=2010-05-08");
    req.method = Method::PUT;
    assert_iam_error(&req.send().await, 400, "InvalidRequest");
}

#[tokio::test]
async fn create_access_key_returns_the_secret_once() {
    let s = TestServer::start().await;
    let r = IamReq::post(
        &s,
        "Action=CreateAccessKey&Version=2010-05-08&UserName=alice",
    )
    .send()
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let secret = r.xml("SecretAccessKey").unwrap();
    assert_eq!(secret.len(), 40);
    let r = IamReq::post(
        &s,
        "Action=ListAccessKeys&Version=2010-05-08&UserName=alice",
    )
    .send()
    .await;
    assert_eq!(r.xml_all("AccessKeyId").len(), 2);
    assert!(!r.text().contains(&secret));
    assert!(!r.text().contains("SecretAccessKey"));
}

#[tokio::test]
async fn presigned_get_urls_work_for_iam() {
    let s = TestServer::start().await;
    let uri: Uri = format!(
        "http://{}/?Action=GetUser&Version=2010-05-08&UserName=alice",
        s.addr
    )
    .parse()
    .unwrap();
    let sign = |creds: &Creds| {
        let params = SigningParams::new(
            &creds.id,
            &creds.secret,
            REGION,
            "iam",
            OffsetDateTime::now_utc(),
        );
        let query = presign(
            &Method::GET,
            &uri,
            &HeaderMap::new(),
            &params,
            // Outside S3 a presigned URL signs the (empty) body's hash, not UNSIGNED-PAYLOAD.
            &SignableBody::Bytes(&[]),
            300,
        )
        .unwrap()
        .into_query();
        Request::get(format!("http://{}/?{query}", s.addr))
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let r = s.raw(sign(&s.root)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(r.xml("UserName").as_deref(), Some("alice"));
    // The user's own presigned URL authenticates and is denied.
    assert_iam_error(&s.raw(sign(&s.user)).await, 403, "AccessDenied");
    // A changed parameter breaks the signature.
    let request = sign(&s.root);
    let tampered = request
        .uri()
        .to_string()
        .replace("UserName=alice", "UserName=other");
    let request = Request::get(tampered)
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_iam_error(&s.raw(request).await, 403, "SignatureDoesNotMatch");
}

/// An IAM CreateUser signed with `declared` as its payload hash (and the headers an
/// aws-chunked body carries for a `STREAMING-*` mode), sent to `host`.
async fn create_user_with_payload(
    s: &TestServer,
    host: &str,
    declared: &str,
    chunked_headers: bool,
) -> Resp {
    let form = b"Action=CreateUser&Version=2010-05-08&UserName=mallory";
    let uri: Uri = format!("http://{host}/").parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(HOST, HeaderValue::from_str(host).unwrap());
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(FORM));
    headers.insert(
        "x-amz-content-sha256",
        HeaderValue::from_str(declared).unwrap(),
    );
    if chunked_headers {
        headers.insert("content-encoding", HeaderValue::from_static("aws-chunked"));
        headers.insert(
            "x-amz-decoded-content-length",
            HeaderValue::from(form.len()),
        );
    }
    let params = SigningParams::new(
        &s.root.id,
        &s.root.secret,
        REGION,
        "iam",
        OffsetDateTime::now_utc(),
    );
    let signed = sign_headers(
        &Method::POST,
        &uri,
        &headers,
        &params,
        &SignableBody::Precomputed(declared.into()),
    )
    .unwrap();
    signed.apply_to(&mut headers);
    let mut request = Request::post(format!("http://{}/", s.addr))
        .body(Full::new(Bytes::from_static(form)))
        .unwrap();
    *request.headers_mut() = headers;
    s.raw(request).await
}

#[tokio::test]
async fn unsigned_and_streaming_payloads_are_refused_iam_shaped() {
    let s = TestServer::start().await;
    let hosts = [
        format!("iam.{DOMAIN}:{}", s.addr.port()),
        s.addr.to_string(),
    ];
    let modes = [
        (s4_sigv4::UNSIGNED_PAYLOAD, false),
        (s4_sigv4::STREAMING_PAYLOAD, true),
        (s4_sigv4::STREAMING_PAYLOAD_TRAILER, true),
        (s4_sigv4::STREAMING_UNSIGNED_PAYLOAD_TRAILER, true),
        // Without x-amz-decoded-content-length, which S3 would refuse S3-shaped.
        (s4_sigv4::STREAMING_PAYLOAD, false),
        ("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", true),
    ];
    for host in &hosts {
        for (declared, chunked) in modes {
            let r = create_user_with_payload(&s, host, declared, chunked).await;
            assert_iam_error(&r, 400, "InvalidRequest");
            assert!(r.text().contains(declared), "{}", r.text());
        }
        // A declared hash must be the SHA-256 of the body received.
        let wrong = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"something else"));
        let r = create_user_with_payload(&s, host, &wrong, false).await;
        assert_iam_error(&r, 400, "InvalidRequest");
    }
    assert!(s.store.get_user(&s.account, "mallory").await.is_err());
    // The same request with the body's own hash creates the user: the refusals were about
    // the payload declaration only.
    let right = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        b"Action=CreateUser&Version=2010-05-08&UserName=mallory",
    ));
    let r = create_user_with_payload(&s, &hosts[0], &right, false).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert!(s.store.get_user(&s.account, "mallory").await.is_ok());
}
