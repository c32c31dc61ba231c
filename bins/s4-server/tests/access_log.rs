//! The access log line of a real server, parsed from its JSON output: every field, the client
//! address and a trusted proxy's `X-Forwarded-For`, authentication failures told apart (in the
//! log and in `s4_auth_failures_total`), unsupported requests keeping their operation and
//! bucket, and no colour escapes when standard error is not a terminal.

#[allow(dead_code)]
mod common;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, Uri};
use s4_sigv4::{presign, sign_headers, SignableBody, SigningParams};
use serde_json::Value;
use time::OffsetDateTime;

const USER_AGENT: &str = "access-log-test/1.0 (tests)";

struct Started {
    child: Child,
    addr: SocketAddr,
    metrics: Option<SocketAddr>,
}

fn start(data: &Path, log: &Path, args: &[&str]) -> Started {
    let mut child = Command::new(env!("CARGO_BIN_EXE_s4-server"))
        .arg("--data-dir")
        .arg(data)
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
        .args(args)
        .env("S4_ROOT_ACCESS_KEY", common::ACCESS_KEY)
        .env("S4_ROOT_SECRET_KEY", common::SECRET_KEY)
        .env("S4_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut addr, mut metrics) = (None, None);
    while addr.is_none() || metrics.is_none() {
        let line = lines.next().expect("server exited early").unwrap();
        let address = |rest: &str| -> SocketAddr {
            rest.split(['/', ' '])
                .next()
                .unwrap()
                .parse()
                .expect("address")
        };
        if let Some(rest) = line.strip_prefix("s4-server listening on http://") {
            addr = Some(address(rest));
        } else if let Some(rest) = line.strip_prefix("s4-server metrics on http://") {
            metrics = Some(address(rest));
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Started {
        child,
        addr: addr.unwrap(),
        metrics,
    }
}

/// How a test request is signed.
enum Signing<'a> {
    Header {
        key: &'a str,
        secret: &'a str,
    },
    /// Presigned at `signed_at`, valid for `expires` seconds.
    Presigned {
        signed_at: OffsetDateTime,
        expires: u32,
    },
}

/// Sends one request; returns the status and the response's request ID.
fn send(
    addr: SocketAddr,
    method: &Method,
    path_and_query: &str,
    extra: &[(&str, &str)],
    signing: &Signing,
) -> (u16, String) {
    let uri: Uri = format!("http://{addr}{path_and_query}").parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&addr.to_string()).unwrap());
    let target = match signing {
        Signing::Header { key, secret } => {
            let params =
                SigningParams::new(key, secret, "us-east-1", "s3", OffsetDateTime::now_utc());
            sign_headers(method, &uri, &headers, &params, &SignableBody::Bytes(b""))
                .unwrap()
                .apply_to(&mut headers);
            path_and_query.to_owned()
        }
        Signing::Presigned { signed_at, expires } => {
            let params = SigningParams::new(
                common::ACCESS_KEY,
                common::SECRET_KEY,
                "us-east-1",
                "s3",
                *signed_at,
            );
            let query = presign(
                method,
                &uri,
                &headers,
                &params,
                &SignableBody::Precomputed("UNSIGNED-PAYLOAD".into()),
                *expires,
            )
            .unwrap()
            .into_query();
            format!("{}?{query}", uri.path())
        }
    };
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_mins(1)))
        .unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\ncontent-length: 0\r\nconnection: close\r\n\
         user-agent: {USER_AGENT}\r\n"
    );
    for (name, value) in &headers {
        let _ = write!(head, "{name}: {}\r\n", value.to_str().unwrap());
    }
    for (name, value) in extra {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
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
    (status, request_id)
}

const ROOT: Signing = Signing::Header {
    key: common::ACCESS_KEY,
    secret: common::SECRET_KEY,
};

/// The access line of `request_id`, waiting for it to be written (the log is written after
/// the response).
fn access_line(log: &Path, request_id: &str) -> serde_json::Map<String, Value> {
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    loop {
        let text = std::fs::read_to_string(log).unwrap();
        let found = text.lines().find_map(|line| {
            let value: Value = serde_json::from_str(line).ok()?;
            (value["target"] == "s4::access" && value["fields"]["request_id"] == request_id)
                .then(|| value["fields"].as_object().unwrap().clone())
        });
        if let Some(fields) = found {
            return fields;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no access line for {request_id}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn scrape(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn a_json_access_line_carries_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut server = start(
        &dir.path().join("data"),
        &log,
        &["--log-format", "json", "--trusted-proxies", "127.0.0.1"],
    );
    let addr = server.addr;
    let (status, _) = send(addr, &Method::PUT, "/logged", &[], &ROOT);
    assert_eq!(status, 200);
    let long_key = "k".repeat(1000);
    let (status, id) = send(
        addr,
        &Method::GET,
        &format!("/logged/{long_key}"),
        &[("x-forwarded-for", "203.0.113.7")],
        &ROOT,
    );
    assert_eq!(status, 404);
    let line = access_line(&log, &id);
    let text = |name: &str| {
        line.get(name)
            .unwrap_or_else(|| panic!("no {name} in {line:?}"))
            .as_str()
            .unwrap_or_else(|| panic!("{name} is not text in {line:?}"))
            .to_owned()
    };
    let number = |name: &str| {
        line.get(name)
            .unwrap_or_else(|| panic!("no {name} in {line:?}"))
            .as_f64()
            .unwrap()
    };
    assert_eq!(text("request_id"), id);
    assert_eq!(text("client"), "127.0.0.1");
    assert_eq!(text("forwarded_for"), "203.0.113.7");
    assert_eq!(text("method"), "GET");
    assert_eq!(text("operation"), "GetObject");
    assert_eq!(text("bucket"), "logged");
    let key = text("key");
    assert!(
        key.len() < 300 && key.starts_with("kkkk") && key.ends_with('…'),
        "{key}"
    );
    assert!((number("status") - 404.0).abs() < f64::EPSILON);
    assert_eq!(text("error_code"), "NoSuchKey");
    assert_eq!(text("auth_error"), "-");
    assert!(number("bytes_in").abs() < f64::EPSILON);
    assert!(number("bytes_out") > 0.0);
    let duration = line["duration_ms"].to_string();
    let decimals = duration.split_once('.').map_or(0, |(_, d)| d.len());
    assert!(decimals <= 3, "{duration}");
    assert!(number("duration_ms") >= 0.0);
    assert_eq!(text("access_key"), common::ACCESS_KEY);
    assert!(text("principal").ends_with(":root"), "{line:?}");
    assert_eq!(text("user_agent"), USER_AGENT);

    // An unsupported sub-resource keeps its operation and bucket.
    let (status, id) = send(addr, &Method::GET, "/logged?cors", &[], &ROOT);
    assert_eq!(status, 501);
    let line = access_line(&log, &id);
    assert_eq!(line["operation"], "GetBucketCors", "{line:?}");
    assert_eq!(line["bucket"], "logged");
    assert_eq!(line["error_code"], "NotImplemented");

    // Authentication failures are told apart, with the key ID that was used.
    let unknown = Signing::Header {
        key: "AKIAUNKNOWNKEY000001",
        secret: common::SECRET_KEY,
    };
    let wrong_secret = Signing::Header {
        key: common::ACCESS_KEY,
        secret: "not-the-secret-not-the-secret-not-the-se",
    };
    let expired = Signing::Presigned {
        signed_at: OffsetDateTime::now_utc() - Duration::from_mins(10),
        expires: 60,
    };
    for (signing, key, reason, code) in [
        (
            &unknown,
            "AKIAUNKNOWNKEY000001",
            "InvalidAccessKeyId",
            "InvalidAccessKeyId",
        ),
        (
            &wrong_secret,
            common::ACCESS_KEY,
            "SignatureDoesNotMatch",
            "SignatureDoesNotMatch",
        ),
        (&expired, common::ACCESS_KEY, "Expired", "AccessDenied"),
    ] {
        let (status, id) = send(addr, &Method::GET, "/logged", &[], signing);
        assert_eq!(status, 403, "{reason}");
        let line = access_line(&log, &id);
        assert_eq!(line["auth_error"], reason, "{line:?}");
        assert_eq!(line["error_code"], code, "{line:?}");
        assert_eq!(line["access_key"], key, "{line:?}");
        assert_eq!(line["principal"], "-", "{line:?}");
    }
    let metrics = scrape(server.metrics.unwrap());
    // The build, the process and the data dir's free space (one test for all metrics here).
    let commit = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!(
                "s4_build_info{{version=\"{}\",commit=\"",
                env!("CARGO_PKG_VERSION")
            ))
        })
        .unwrap_or_else(|| panic!("no s4_build_info: {metrics}"));
    assert!(commit.ends_with("\"} 1") && commit.len() > 4, "{commit}");
    for series in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "s4_data_dir_free_bytes ",
    ] {
        let value: f64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(series))
            .unwrap_or_else(|| panic!("no {series}: {metrics}"))
            .parse()
            .unwrap();
        assert!(value > 0.0, "{series}{value}");
    }
    for reason in ["InvalidAccessKeyId", "SignatureDoesNotMatch", "Expired"] {
        assert!(
            metrics.contains(&format!(
                "s4_auth_failures_total{{reason=\"{reason}\"}} 1\n"
            )),
            "{reason}: {metrics}"
        );
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[test]
fn an_untrusted_peer_s_forwarded_for_is_not_reported_and_files_get_no_colour() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut server = start(
        &dir.path().join("data"),
        &log,
        &["--log-format", "pretty", "--trusted-proxies", "10.0.0.0/8"],
    );
    let (status, id) = send(
        server.addr,
        &Method::GET,
        "/",
        &[("x-forwarded-for", "203.0.113.7")],
        &ROOT,
    );
    assert_eq!(status, 200);
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    let line = loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if let Some(line) = text
            .lines()
            .find(|l| l.contains(&id) && l.contains("s4::access"))
        {
            break line.to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(line.contains("client=127.0.0.1"), "{line}");
    assert!(line.contains("forwarded_for=\"-\""), "{line}");
    assert!(!line.contains("203.0.113.7"), "{line}");
    assert!(line.contains("operation=\"ListBuckets\""), "{line}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains('\u{1b}'), "colour escapes in a file: {text}");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}
