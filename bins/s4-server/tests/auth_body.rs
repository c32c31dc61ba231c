//! Bodies read before authentication (IAM forms, whose signature covers the body) against
//! the real binary: a total deadline (`--auth-body-deadline`), a cap on such reads in flight
//! so that they never hold more than a share of `--max-requests`, and unknown access keys
//! refused before any body byte is read. Raw HTTP/1.1 over TCP, signed with `s4-sigv4`.

#[allow(dead_code)]
mod common;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{start_with, ACCESS_KEY, SECRET_KEY};
use http::{HeaderMap, HeaderValue, Method, Uri};
use s4_sigv4::{sign_headers, SignableBody, SigningParams};
use time::OffsetDateTime;

/// The IAM form every slow client sends (CreateUser, so a success would be visible).
const FORM: &str = "Action=CreateUser&Version=2010-05-08&UserName=slowpoke";

/// A signed HTTP/1.1 request head for `addr` announcing `body` (which is not sent), signed
/// with `access_key` for `service`. IAM requests are signed like botocore signs them: no
/// `x-amz-content-sha256`, the signature covers the body's hash.
fn signed_head(
    addr: SocketAddr,
    access_key: &str,
    (method, path, service): (&Method, &str, &str),
    body: &[u8],
) -> String {
    let host = addr.to_string();
    let uri: Uri = format!("http://{host}{path}").parse().expect("uri");
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&host).expect("host"));
    if service == "iam" {
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
    }
    // Sends x-amz-content-sha256 for S3 only, as the SDKs do.
    let params = SigningParams::new(
        access_key,
        SECRET_KEY,
        "us-east-1",
        service,
        OffsetDateTime::now_utc(),
    );
    let signed =
        sign_headers(method, &uri, &headers, &params, &SignableBody::Bytes(body)).expect("sign");
    signed.apply_to(&mut headers);
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in &headers {
        let _ = write!(
            head,
            "{}: {}\r\n",
            name.as_str(),
            value.to_str().expect("ascii")
        );
    }
    head.push_str("\r\n");
    head
}

/// The head of an IAM POST of `form`.
fn iam_head(addr: SocketAddr, access_key: &str, form: &str) -> String {
    signed_head(
        addr,
        access_key,
        (&Method::POST, "/", "iam"),
        form.as_bytes(),
    )
}

/// Status, body text and how long after the head the answer came.
struct Answer {
    status: u16,
    text: String,
    after: Duration,
}

impl Answer {
    fn code(&self) -> Option<&str> {
        let start = self.text.find("<Code>")? + "<Code>".len();
        let end = self.text[start..].find("</Code>")? + start;
        Some(&self.text[start..end])
    }
}

/// Reads a whole response (the server closes the connection after it).
fn read_answer(stream: &mut TcpStream, sent: Instant) -> Answer {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    let after = sent.elapsed();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    Answer {
        status,
        text,
        after,
    }
}

/// A client that sends an IAM head and then its form one byte every 200 ms, forever if let:
/// well within the idle timeout, never done. Returns the server's answer.
fn trickling_client(addr: SocketAddr) -> std::thread::JoinHandle<Answer> {
    std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_mins(1)))
            .expect("timeout");
        let sent = Instant::now();
        stream
            .write_all(iam_head(addr, ACCESS_KEY, FORM).as_bytes())
            .expect("head");
        let answered = Arc::new(AtomicBool::new(false));
        let mut writer = stream.try_clone().expect("clone");
        let stop = Arc::clone(&answered);
        let trickle = std::thread::spawn(move || {
            // One byte short of the whole form: the body is never complete.
            for byte in &FORM.as_bytes()[..FORM.len() - 1] {
                if stop.load(Ordering::Relaxed) || writer.write_all(&[*byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            // Then hold the connection open until answered.
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let answer = read_answer(&mut stream, sent);
        answered.store(true, Ordering::Relaxed);
        trickle.join().expect("trickle thread");
        answer
    })
}

#[test]
fn slow_iam_bodies_are_cut_at_the_deadline_while_signed_requests_are_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let deadline = Duration::from_secs(2);
    let mut server = start_with(
        &data_dir,
        &["--max-requests", "5", "--auth-body-deadline", "2"],
    );
    let addr = server.addr;
    // As many slow clients as there are request slots: before the cap, they held them all.
    let started = Instant::now();
    let slow: Vec<_> = (0..5).map(|_| trickling_client(addr)).collect();
    // Correctly signed requests keep being served while the slow bodies trickle, until
    // every slow client has its answer (and a little past the deadline in any case).
    let mut served = 0;
    let mut slowest = Duration::ZERO;
    while started.elapsed() < deadline + Duration::from_secs(1)
        || slow.iter().any(|t| !t.is_finished())
    {
        let sent = Instant::now();
        let (status, body) =
            common::request(addr, &Method::GET, "/", b"").expect("signed ListBuckets");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        slowest = slowest.max(sent.elapsed());
        served += 1;
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "slow clients were never answered"
        );
    }
    let answers: Vec<Answer> = slow
        .into_iter()
        .map(|t| t.join().expect("client"))
        .collect();
    // One read was admitted (a quarter of 5 requests, at least one) and cut at the deadline;
    // the others were refused at once without their bodies being read.
    let mut cut = 0;
    for answer in &answers {
        assert!(
            answer.text.contains("<ErrorResponse"),
            "not IAM-shaped: {}",
            answer.text
        );
        match (answer.status, answer.code()) {
            (400, Some("RequestTimeout")) => {
                cut += 1;
                assert!(answer.after >= deadline, "cut early: {:?}", answer.after);
                assert!(
                    answer.after < deadline + Duration::from_secs(10),
                    "cut late: {:?}",
                    answer.after
                );
            }
            (503, Some("ServiceUnavailable")) => {
                assert!(answer.text.contains("retry-after: 1"), "{}", answer.text);
                assert!(
                    answer.after < Duration::from_secs(5),
                    "refused late: {:?}",
                    answer.after
                );
            }
            _ => panic!("unexpected answer: {}", answer.text),
        }
    }
    assert_eq!(cut, 1, "exactly one read admitted");
    assert!(served >= 3, "only {served} signed requests served");
    eprintln!(
        "signed requests served meanwhile: {served}, slowest {slowest:?}; cut after {:?}",
        answers
            .iter()
            .find(|a| a.status == 400)
            .map(|a| a.after)
            .unwrap_or_default()
    );
    // No user was created by any of them.
    let list = "Action=ListUsers&Version=2010-05-08";
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .write_all(iam_head(addr, ACCESS_KEY, list).as_bytes())
        .expect("head");
    stream.write_all(list.as_bytes()).expect("body");
    let answer = read_answer(&mut stream, Instant::now());
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(
        answer.text.contains("<ListUsersResponse"),
        "{}",
        answer.text
    );
    assert!(!answer.text.contains("slowpoke"), "{}", answer.text);
    server.kill();
}

#[test]
fn unknown_access_keys_are_refused_before_any_body_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let mut server = start_with(&data_dir, &["--max-requests", "5"]);
    let addr = server.addr;
    // IAM: the head alone, announcing a body that never comes.
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let sent = Instant::now();
    stream
        .write_all(iam_head(addr, "AKIANOSUCHKEY0000001", FORM).as_bytes())
        .expect("head");
    let answer = read_answer(&mut stream, sent);
    assert_eq!(answer.status, 403, "{}", answer.text);
    assert!(answer.text.contains("<ErrorResponse"), "{}", answer.text);
    assert_eq!(answer.code(), Some("InvalidAccessKeyId"), "{}", answer.text);
    // S3: a signed PUT head with an unknown key, no body byte either.
    let head = signed_head(
        addr,
        "AKIANOSUCHKEY0000001",
        (&Method::PUT, "/bucket/key", "s3"),
        &[7u8; 4096],
    );
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let sent = Instant::now();
    stream.write_all(head.as_bytes()).expect("head");
    let answer = read_answer(&mut stream, sent);
    assert_eq!(answer.status, 403, "{}", answer.text);
    assert_eq!(answer.code(), Some("InvalidAccessKeyId"), "{}", answer.text);
    server.kill();
}
