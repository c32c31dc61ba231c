//! The per-request access log: one `s4::access` event per request with request id, principal,
//! operation, bucket, key, status, bytes in and out, duration and the access key ID (not a
//! secret: AWS logs it too), and never a secret or a signature. Its own test binary, so that its subscriber can be the process-wide default.

#[path = "s3/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use http::Method;
use tracing::field::{Field, Visit};
use tracing::span;
use tracing::{Event, Metadata, Subscriber};

use crate::harness::TestServer;

/// Collects the fields of every `s4::access` event as `name=value` text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, "{}={} ", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        if event.metadata().target() != "s4::access" {
            return;
        }
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

#[tokio::test]
async fn one_access_line_per_request_without_secrets() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();
    let s = TestServer::start().await;
    s.create_bucket("logs").await;
    let r = s.put("logs", "dir/file.txt", b"hello access log").await;
    r.assert_status(200);
    let put_id = r.header("x-amz-request-id").unwrap().to_owned();
    let r = s.get("logs", "dir/file.txt").await;
    let get_id = r.header("x-amz-request-id").unwrap().to_owned();
    s.req(Method::GET, "/logs/dir/file.txt")
        .creds(&s.user.clone())
        .send()
        .await;
    s.req(Method::GET, "/logs/dir/file.txt")
        .anonymous()
        .send()
        .await;
    // A request whose signature does not verify has no principal.
    s.req(Method::GET, "/logs/dir/file.txt")
        .bad_signature()
        .send()
        .await
        .assert_error(403, "SignatureDoesNotMatch");
    let url = s.presign(&Method::GET, "/logs/dir/file.txt", 300);
    let presigned = s
        .raw(
            http::Request::get(format!("http://{}{url}", s.addr))
                .header("host", s.addr.to_string())
                .body(http_body_util::Full::new(bytes::Bytes::new()))
                .unwrap(),
        )
        .await;
    presigned.assert_status(200);

    let lines = capture.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 7, "{lines:#?}");
    let account = s.account.as_str();
    let put = lines.iter().find(|l| l.contains(&put_id)).unwrap();
    for part in [
        format!("principal=arn:aws:iam::{account}:root"),
        "operation=PutObject".to_owned(),
        "bucket=logs".to_owned(),
        "key=dir/file.txt".to_owned(),
        "status=200".to_owned(),
        "bytes_in=16".to_owned(),
        "bytes_out=0".to_owned(),
        "duration_ms=".to_owned(),
        format!("access_key={}", s.root.id),
    ] {
        assert!(put.contains(&part), "{part} missing in {put}");
    }
    let get = lines.iter().find(|l| l.contains(&get_id)).unwrap();
    assert!(get.contains("operation=GetObject"), "{get}");
    assert!(get.contains("bytes_out=16"), "{get}");
    assert!(get.contains("bytes_in=0"), "{get}");
    assert!(
        lines.iter().any(|l| l.contains("status=403")
            && l.contains(&format!("principal=arn:aws:iam::{account}:user/alice"))),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("principal=anonymous") && l.contains("status=403")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("principal=- ") && l.contains("status=403")),
        "{lines:#?}"
    );
    let signature = url.split("X-Amz-Signature=").nth(1).unwrap();
    for line in &lines {
        for secret in [
            s.root.secret.as_str(),
            s.user.secret.as_str(),
            signature,
            // The Authorization header's parameter (the error code SignatureDoesNotMatch may
            // appear).
            "Signature=",
            "AWS4-HMAC-SHA256",
        ] {
            assert!(!line.contains(secret), "{secret} leaked into {line}");
        }
    }
}
