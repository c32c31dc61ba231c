//! Cache coherence across `s4-server` processes over one PostgreSQL database (`--meta`): each
//! process caches access keys, identity policies and compiled bucket policies, and a change
//! made through process A reaches process B by a PostgreSQL notification. A key deleted
//! through A is refused by B on a request sent 200 ms later; a bucket policy put or deleted
//! through A is enforced by B within the same bound. The measured propagation times (from A's
//! answer to the first answer of B that reflects the change, B polled back to back) are
//! printed.
//!
//! Runs only when `S4_TEST_POSTGRES_URL` is set (`crates/storage-pg/tests/with-postgres.sh`
//! starts a private PostgreSQL and sets it); otherwise it prints that it was skipped.

#[allow(dead_code)]
mod common;

use std::time::{Duration, Instant};

use common::{iam_request, request_as, request_with, start_with, Response, Server};
use http::Method;

/// The bound of the issue: a change through A is in force on B for a request sent this long
/// after A answered.
const BOUND: Duration = Duration::from_millis(200);

fn iam(server: &Server, form: &str) -> Response {
    let response = iam_request(server.addr, form).expect("IAM request");
    assert_eq!(
        response.status,
        200,
        "{form}: {}",
        String::from_utf8_lossy(&response.body)
    );
    response
}

/// Creates an access key for `user` through `server`: (ID, secret).
fn create_key(server: &Server, user: &str) -> (String, String) {
    let created = iam(
        server,
        &format!("Action=CreateAccessKey&Version=2010-05-08&UserName={user}"),
    );
    (
        created.xml("AccessKeyId").expect("key ID"),
        created.xml("SecretAccessKey").expect("secret"),
    )
}

fn delete_key(server: &Server, user: &str, id: &str) {
    iam(
        server,
        &format!("Action=DeleteAccessKey&Version=2010-05-08&UserName={user}&AccessKeyId={id}"),
    );
}

fn get_as(signer: (&str, &str), server: &Server, path: &str) -> Response {
    request_as(signer, server.addr, &Method::GET, path).expect("request")
}

/// When a change reached B, seen from outside: B is probed back to back from `since` (A's
/// answer) until an answer `reflects` the change. The probe that first reflects it was sent
/// `fresh_sent` after `since`; the one before, sent `stale_sent` after, did not (`None`: the
/// first probe already reflected it). The change took effect in between, give or take one probe's
/// processing time. Fails after 10 s.
struct Propagation {
    stale_sent: Option<Duration>,
    fresh_sent: Duration,
}

impl std::fmt::Display for Propagation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "for a probe sent {:.1?} after A answered",
            self.fresh_sent
        )?;
        match self.stale_sent {
            Some(stale) => write!(
                f,
                " (the one sent after {stale:.1?} still saw the old state)"
            ),
            None => write!(f, " (the first probe)"),
        }
    }
}

fn propagation(
    since: Instant,
    mut probe: impl FnMut() -> Response,
    reflects: impl Fn(&Response) -> bool,
) -> Propagation {
    let mut stale_sent = None;
    loop {
        let sent = since.elapsed();
        let answer = probe();
        if reflects(&answer) {
            return Propagation {
                stale_sent,
                fresh_sent: sent,
            };
        }
        stale_sent = Some(sent);
        assert!(
            since.elapsed() < Duration::from_secs(10),
            "B still answers {} 10 s after the change",
            answer.status
        );
    }
}

fn code(response: &Response) -> Option<String> {
    response.xml("Code")
}

#[test]
fn changes_through_one_process_are_in_force_on_another_within_200_ms() {
    let Some(url) = common::postgres_url_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("shared");
    let a = start_with(&data_dir, &["--meta", &url]);
    let b = start_with(&data_dir, &["--meta", &url]);

    // A user with full S3 access, a bucket and an object, all through A.
    let user = format!("coherent{}", std::process::id());
    let created = iam(
        &a,
        &format!("Action=CreateUser&Version=2010-05-08&UserName={user}"),
    );
    let user_arn = created.xml("Arn").expect("user ARN");
    iam(
        &a,
        &format!(
            "Action=AttachUserPolicy&Version=2010-05-08&UserName={user}\
             &PolicyArn=arn:aws:iam::aws:policy/S3FullAccess"
        ),
    );
    let bucket = format!("coherence{}", std::process::id());
    let object = format!("/{bucket}/object");
    let put = |path: &str, body: &[u8]| {
        use base64::Engine as _;
        use md5::Digest as _;
        // PutBucketPolicy requires Content-MD5; the others accept it.
        let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body));
        let r = request_with(a.addr, &Method::PUT, path, &[("content-md5", &md5)], body)
            .expect("request");
        assert!(
            (200..300).contains(&r.status),
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
    };
    put(&format!("/{bucket}"), b"");
    put(&object, b"bytes");

    // A key deleted through A: B, which has the key cached, refuses a request sent 200 ms
    // after A answered.
    let (id, secret) = create_key(&a, &user);
    let signer = (id.as_str(), secret.as_str());
    // Unknown keys are never cached: B knows the new key at once (and caches it now).
    assert_eq!(get_as(signer, &b, &object).status, 200);
    delete_key(&a, &user, &id);
    let deleted = Instant::now();
    std::thread::sleep(BOUND.saturating_sub(deleted.elapsed()));
    let refused = get_as(signer, &b, &object);
    assert_eq!(
        refused.status, 403,
        "B accepted a key deleted 200 ms earlier"
    );
    assert_eq!(code(&refused).as_deref(), Some("InvalidAccessKeyId"));

    // The same, measured: B polled back to back from A's answer on.
    let (id, secret) = create_key(&a, &user);
    let signer = (id.as_str(), secret.as_str());
    assert_eq!(get_as(signer, &b, &object).status, 200);
    delete_key(&a, &user, &id);
    let key_took = propagation(
        Instant::now(),
        || get_as(signer, &b, &object),
        |r| r.status == 403,
    );

    // A bucket policy denying the user, put through A, then deleted through A.
    let (id, secret) = create_key(&a, &user);
    let signer = (id.as_str(), secret.as_str());
    assert_eq!(get_as(signer, &b, &object).status, 200);
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":{{"AWS":"{user_arn}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    put(&format!("/{bucket}?policy"), policy.as_bytes());
    let put_at = Instant::now();
    let deny_took = propagation(put_at, || get_as(signer, &b, &object), |r| r.status == 403);
    std::thread::sleep(BOUND.saturating_sub(put_at.elapsed()));
    let denied = get_as(signer, &b, &object);
    assert_eq!(denied.status, 403, "B ignores a policy put 200 ms earlier");
    assert_eq!(code(&denied).as_deref(), Some("AccessDenied"));

    let deleted = request_with(
        a.addr,
        &Method::DELETE,
        &format!("/{bucket}?policy"),
        &[],
        b"",
    )
    .expect("request");
    assert_eq!(deleted.status, 204);
    let deleted_at = Instant::now();
    let allow_took = propagation(
        deleted_at,
        || get_as(signer, &b, &object),
        |r| r.status == 200,
    );
    std::thread::sleep(BOUND.saturating_sub(deleted_at.elapsed()));
    assert_eq!(
        get_as(signer, &b, &object).status,
        200,
        "B applies a policy deleted 200 ms earlier"
    );

    // Printed, not asserted: on a loaded machine one probe may take longer than the bound
    // (the 200 ms requests above are the assertions).
    println!("propagation A -> B: key deletion refused {key_took}");
    println!("propagation A -> B: bucket policy put enforced {deny_took}");
    println!("propagation A -> B: bucket policy deletion applied {allow_took}");
}
