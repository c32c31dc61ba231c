//! The server's logs, captured from a real process at `trace` level in JSON: every event a
//! request causes carries its request ID (the `request` span), and neither the secret key nor
//! a signature (header or presigned query) ever appears.

#[allow(dead_code)]
mod common;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, Uri};
use s4_sigv4::{presign, sign_headers, SignableBody, SigningParams};
use time::OffsetDateTime;

/// Sends `method path` signed with the header scheme, or presigned when `presigned`; returns
/// the response's request ID and the signature that was sent.
fn send(
    addr: SocketAddr,
    method: &Method,
    path: &str,
    body: &[u8],
    presigned: bool,
) -> (u16, String, String) {
    let uri: Uri = format!("http://{addr}{path}").parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&addr.to_string()).unwrap());
    let params = SigningParams::new(
        common::ACCESS_KEY,
        common::SECRET_KEY,
        "us-east-1",
        "s3",
        OffsetDateTime::now_utc(),
    );
    let (target, signature) = if presigned {
        let query = presign(
            method,
            &uri,
            &headers,
            &params,
            &SignableBody::Precomputed("UNSIGNED-PAYLOAD".into()),
            300,
        )
        .unwrap()
        .into_query();
        let signature = query
            .split('&')
            .find_map(|p| p.strip_prefix("X-Amz-Signature="))
            .unwrap()
            .to_owned();
        (format!("{}?{query}", uri.path()), signature)
    } else {
        let signed =
            sign_headers(method, &uri, &headers, &params, &SignableBody::Bytes(body)).unwrap();
        signed.apply_to(&mut headers);
        let signature = signed
            .authorization()
            .rsplit("Signature=")
            .next()
            .unwrap()
            .to_owned();
        (path.to_owned(), signature)
    };
    assert_eq!(signature.len(), 64, "{signature}");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in &headers {
        let _ = write!(head, "{name}: {}\r\n", value.to_str().unwrap());
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let request_id = response
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("x-amz-request-id")
                .then(|| value.trim().to_owned())
        })
        .expect("x-amz-request-id");
    (status, request_id, signature)
}

#[test]
fn request_ids_on_every_line_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_s4-server"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("S4_ROOT_ACCESS_KEY", common::ACCESS_KEY)
        .env("S4_ROOT_SECRET_KEY", common::SECRET_KEY)
        .env("S4_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr: SocketAddr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.strip_prefix("s4-server listening on http://") {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    // Each request is sent alone; `windows` records when it was in flight, from before its
    // first byte to after its last.
    let mut sent = Vec::new();
    let mut windows = Vec::new();
    let mut timed = |method: &Method, path: &str, body: &[u8], presigned: bool| {
        let started = OffsetDateTime::now_utc();
        let (status, id, sig) = send(addr, method, path, body, presigned);
        windows.push((started, OffsetDateTime::now_utc(), id.clone()));
        sent.push(sig);
        (status, id)
    };
    let (status, create_id) = timed(&Method::PUT, "/logged", b"", false);
    assert_eq!(status, 200);
    let (status, put_id) = timed(&Method::PUT, "/logged/k", b"payload", false);
    assert_eq!(status, 200);
    // A failing request logs its error at debug inside the span.
    let (status, missing_id) = timed(&Method::GET, "/logged/missing", b"", false);
    assert_eq!(status, 404);
    let (status, presigned_id) = timed(&Method::GET, "/logged/k", b"", true);
    assert_eq!(status, 200);

    // Wait until the last request's access line reached the file, then stop the server.
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while !std::fs::read_to_string(&log_path)
        .unwrap()
        .lines()
        .any(|l| l.contains("\"s4::access\"") && l.contains(presigned_id.as_str()))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the last request's access line was never written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&log_path).unwrap();

    assert!(
        !text.contains(common::SECRET_KEY),
        "the secret key was logged"
    );
    for signature in &sent {
        assert!(
            !text.contains(signature.as_str()),
            "signature {signature} was logged"
        );
    }
    assert!(
        !text.contains("X-Amz-Signature"),
        "a presigned query was logged"
    );
    assert!(
        !text.contains("Signature="),
        "an Authorization header was logged"
    );

    let events: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every event logged while a request was in flight carries that request's ID (the requests
    // were sent one at a time, so nothing else was going on); every access line is one.
    for event in &events {
        let at = OffsetDateTime::parse(
            event["timestamp"].as_str().expect("timestamp"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339 timestamp");
        if let Some((_, _, id)) = windows
            .iter()
            .find(|(started, ended, _)| *started <= at && at <= *ended)
        {
            assert_eq!(
                event["span"]["request_id"].as_str(),
                Some(id.as_str()),
                "an event logged during request {id} without its ID: {event}"
            );
        }
    }
    let mut per_request = std::collections::HashMap::<String, Vec<String>>::new();
    for event in &events {
        let target = event["target"].as_str().unwrap_or_default();
        let span_id = event["span"]["request_id"].as_str();
        if target == "s4::access" {
            let field_id = event["fields"]["request_id"].as_str().unwrap();
            assert_eq!(span_id, Some(field_id), "{event}");
        }
        if let Some(id) = span_id {
            per_request.entry(id.to_owned()).or_default().push(
                event["fields"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
    }
    for id in [&create_id, &put_id, &missing_id, &presigned_id] {
        let messages = per_request
            .get(id)
            .unwrap_or_else(|| panic!("no line for {id}:\n{text}"));
        assert!(
            messages.iter().any(|m| m == "request"),
            "{id}: {messages:?}"
        );
    }
    // The failure is logged at debug with its code (the error's text is its `message`).
    assert!(
        events.iter().any(
            |e| e["span"]["request_id"].as_str() == Some(missing_id.as_str())
                && e["fields"]["code"] == "NoSuchKey"
                && e["target"] != "s4::access"
        ),
        "{:?}",
        per_request[&missing_id]
    );
}
