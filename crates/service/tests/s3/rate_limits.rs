//! Per-account request-rate limits: past the account's tokens, S3 requests answer
//! `503 SlowDown` with `Retry-After` and store nothing; anonymous requests to a public URL
//! charge the URL's account; IAM requests answer `Throttling`.

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, HOST};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::Full;
use s4_service::ServiceConfig;
use s4_sigv4::{sign_headers, SignableBody, SigningParams};
use s4_storage::memory::MemoryStore;
use s4_storage::{BucketUsage, ListQuery, ObjectStore, RateLimit};
use time::OffsetDateTime;

use crate::harness::{Resp, TestServer, DOMAIN, REGION};

/// A server whose accounts may make `rate` requests a second, `burst` at once.
async fn limited(rate: u32, burst: u32) -> TestServer {
    TestServer::start_custom(MemoryStore::new(), |config: &mut ServiceConfig| {
        config.account_rate_limit = Some(RateLimit::new(rate, Some(burst)).unwrap());
    })
    .await
}

/// Every key of the bucket and its usage, read from the store directly.
async fn stored(server: &TestServer, bucket: &str) -> (Vec<String>, BucketUsage) {
    let query = ListQuery {
        prefix: String::new(),
        delimiter: None,
        start_after: None,
        max_keys: 1000,
    };
    let page = server
        .store
        .list_objects(&server.account, bucket, &query)
        .await
        .unwrap();
    let usage = server
        .store
        .bucket_usage(&server.account, bucket)
        .await
        .unwrap();
    (page.objects.into_iter().map(|o| o.key).collect(), usage)
}

#[track_caller]
fn assert_slow_down(response: &Resp) {
    response.assert_error(503, "SlowDown");
    assert_eq!(response.header("retry-after"), Some("1"), "{response:?}");
}

#[tokio::test]
async fn a_burst_past_the_limit_gets_slow_down_and_a_refused_put_stores_nothing() {
    // One token a second, two at once: a burst of PUTs runs out within a few requests
    // however slow the machine (each request would need a second to earn a token back).
    let server = limited(1, 2).await;
    server
        .store
        .create_bucket(&server.account, "photos")
        .await
        .unwrap();
    let mut accepted = Vec::new();
    let refused = loop {
        assert!(accepted.len() < 20, "no refusal after {accepted:?}");
        let key = format!("k{}", accepted.len());
        let before = stored(&server, "photos").await;
        let response = server
            .req(Method::PUT, &format!("/photos/{key}"))
            .body(vec![7u8; 4096])
            .send()
            .await;
        if response.status == 200 {
            accepted.push(key);
            continue;
        }
        assert_slow_down(&response);
        // Nothing of the refused PUT reached the store: same keys, same usage.
        assert_eq!(stored(&server, "photos").await, before);
        break key;
    };
    assert!(!accepted.is_empty() && accepted.len() <= 3, "{accepted:?}");
    let (keys, usage) = stored(&server, "photos").await;
    assert_eq!(keys, accepted);
    assert!(!keys.contains(&refused));
    assert_eq!(usage.bytes, 4096 * accepted.len() as u64);
    // Reads count too, and so do requests of another principal of the same account.
    let user = server.user.clone();
    let read = server
        .req(Method::GET, "/photos/k0")
        .creds(&user)
        .send()
        .await;
    assert_slow_down(&read);
    // A second later a token is back, and the refused PUT goes through when retried.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    server
        .req(Method::PUT, &format!("/photos/{refused}"))
        .body(vec![7u8; 4096])
        .send()
        .await
        .assert_status(200);
    assert!(stored(&server, "photos").await.0.contains(&refused));
}

#[tokio::test]
async fn anonymous_requests_to_a_public_url_charge_its_account() {
    let server = limited(1, 1).await;
    server
        .store
        .create_bucket(&server.account, "site")
        .await
        .unwrap();
    // The signed request takes the account's only token.
    server
        .get("site", "index.html")
        .await
        .assert_error(404, "NoSuchKey");
    // An anonymous request to the account's public URL is charged to it: refused before its
    // authorization (which would deny it) is even decided.
    let public = server
        .req(Method::GET, &format!("/{}/site/index.html", server.account))
        .anonymous()
        .send()
        .await;
    assert_slow_down(&public);
    // Anonymous requests without an account are charged to none: answered as before.
    server
        .req(Method::GET, "/site/index.html")
        .anonymous()
        .send()
        .await
        .assert_error(403, "AccessDenied");
}

/// A signed IAM ListUsers form POST, as the SDKs send it.
fn iam_list_users(server: &TestServer) -> Request<Full<Bytes>> {
    let host = format!("iam.{DOMAIN}");
    let body = b"Action=ListUsers&Version=2010-05-08".to_vec();
    let uri: Uri = format!("http://{host}/").parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(HOST, HeaderValue::from_str(&host).unwrap());
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let params = SigningParams::new(
        &server.root.id,
        &server.root.secret,
        REGION,
        "iam",
        OffsetDateTime::now_utc(),
    );
    let signed = sign_headers(
        &Method::POST,
        &uri,
        &headers,
        &params,
        &SignableBody::Bytes(&body),
    )
    .unwrap();
    signed.apply_to(&mut headers);
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(format!("http://{}/", server.addr))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    *request.headers_mut() = headers;
    request
}

#[tokio::test]
async fn iam_requests_count_and_are_throttled() {
    let server = limited(1, 1).await;
    let first = server.raw(iam_list_users(&server)).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let second = server.raw(iam_list_users(&server)).await;
    assert_eq!(second.status, 400, "{}", second.text());
    assert_eq!(second.code().as_deref(), Some("Throttling"));
    assert_eq!(second.header("retry-after"), Some("1"));
    assert!(second.xml("RequestId").is_some(), "{}", second.text());
    // The IAM request took the token S3 requests of the same account would have used.
    assert_slow_down(&server.req(Method::GET, "/").send().await);
}

#[tokio::test]
async fn without_a_limit_nothing_is_refused() {
    let server = TestServer::start().await;
    server.create_bucket("free").await;
    for i in 0..200 {
        server.put("free", &format!("k{i}"), b"x").await;
    }
}
