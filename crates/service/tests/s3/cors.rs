//! Server-wide CORS (issue 22 item 6): preflights answered from the setting, the
//! `Access-Control-*` headers on answers (errors too) for allowed origins only, presigned
//! URLs usable from such pages, and no CORS at all by default.

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use s4_service::CorsConfig;
use s4_storage::memory::MemoryStore;

use crate::harness::{Resp, TestServer};

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example.net";

async fn with_cors() -> TestServer {
    let s = TestServer::start_custom(MemoryStore::new(), |c| {
        c.cors = CorsConfig {
            allow_origins: vec![APP.to_owned()],
            ..CorsConfig::default()
        };
    })
    .await;
    s.create_bucket("site").await;
    s.put("site", "a.txt", b"hello").await.assert_status(200);
    s
}

async fn preflight(s: &TestServer, origin: &str, method: &str, headers: &str) -> Resp {
    let mut req = Request::builder()
        .method(Method::OPTIONS)
        .uri(format!("http://{}/site/a.txt", s.addr))
        .header("host", s.addr.to_string())
        .header("origin", origin)
        .header("access-control-request-method", method);
    if !headers.is_empty() {
        req = req.header("access-control-request-headers", headers);
    }
    s.raw(req.body(Full::new(Bytes::new())).unwrap()).await
}

/// A signed GET from a page on `origin`.
async fn get_from(s: &TestServer, path: &str, origin: &str) -> Resp {
    s.req(Method::GET, path)
        .header("origin", origin)
        .send()
        .await
}

fn acao(r: &Resp) -> Option<&str> {
    r.header("access-control-allow-origin")
}

#[tokio::test]
async fn preflights_are_answered_for_allowed_origins_only() {
    let s = with_cors().await;
    let r = preflight(
        &s,
        APP,
        "PUT",
        "authorization, x-amz-date, x-amz-content-sha256",
    )
    .await;
    r.assert_status(200);
    assert_eq!(acao(&r), Some(APP));
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("PUT"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization, x-amz-date, x-amz-content-sha256")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    assert!(r.header("x-amz-request-id").is_some());
    for r in [
        preflight(&s, EVIL, "GET", "").await,
        preflight(&s, APP, "PATCH", "").await,
    ] {
        r.assert_error(403, "AccessDenied");
        assert_eq!(acao(&r), None);
    }
}

#[tokio::test]
async fn answers_carry_the_headers_for_allowed_origins_errors_included() {
    let s = with_cors().await;
    let r = get_from(&s, "/site/a.txt", APP).await;
    r.assert_status(200);
    assert_eq!(acao(&r), Some(APP));
    assert!(r
        .header("access-control-expose-headers")
        .unwrap()
        .contains("ETag"));
    assert_eq!(r.header("vary"), Some("Origin"));
    let r = get_from(&s, "/site/missing", APP).await;
    r.assert_error(404, "NoSuchKey");
    assert_eq!(
        acao(&r),
        Some(APP),
        "error answers too, or the page cannot read them"
    );
    let r = get_from(&s, "/site/a.txt", EVIL).await;
    r.assert_status(200);
    assert_eq!(acao(&r), None);
    assert_eq!(r.header("access-control-expose-headers"), None);
    // A presigned URL used from the page.
    let url = s.presign(&Method::GET, "/site/a.txt", 300);
    let req = Request::builder()
        .uri(format!("http://{}{url}", s.addr))
        .header("host", s.addr.to_string())
        .header("origin", APP)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = s.raw(req).await;
    r.assert_status(200);
    assert_eq!(&r.body[..], b"hello");
    assert_eq!(acao(&r), Some(APP));
}

#[tokio::test]
async fn no_cors_by_default() {
    let s = TestServer::start().await;
    s.create_bucket("site").await;
    s.put("site", "a.txt", b"hello").await.assert_status(200);
    let r = preflight(&s, APP, "GET", "").await;
    assert_eq!(r.status.as_u16(), 405, "{}", r.text());
    assert_eq!(acao(&r), None);
    let r = get_from(&s, "/site/a.txt", APP).await;
    r.assert_status(200);
    assert_eq!(acao(&r), None);
}
