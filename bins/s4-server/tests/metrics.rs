//! The metrics endpoint: counters move with requests (scraped before and after), the
//! per-bucket storage gauges follow the data at once (read from the backend's counters), and `metrics_listen` obeys flag > environment >
//! file > default.

#[allow(dead_code)]
mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;

use http::Method;

/// A server with a metrics listener; the process is killed and reaped on drop.
struct Server {
    _process: common::Server,
    addr: SocketAddr,
    metrics: SocketAddr,
}

fn start(data_dir: &Path) -> Server {
    start_with(data_dir, &[])
}

fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
    let (process, metrics) = common::start_with_metrics(data_dir, extra);
    Server {
        addr: process.addr,
        metrics,
        _process: process,
    }
}

/// `GET path` on the metrics address: (status, body).
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

fn scrape(server: &Server) -> String {
    let (status, body) = get(server.metrics, "/metrics");
    assert_eq!(status, 200, "{body}");
    body
}

/// The value of one integer series (exact name and labels); panics when it is absent, so a
/// metric that disappears cannot read as zero.
fn value(text: &str, series: &str) -> i64 {
    common::metric(text, series)
}

/// The value of a labelled counter in a scrape taken before the requests that create it: it
/// appears at its first increment, so there (and only there) absent reads as 0.
fn value_before(text: &str, series: &str) -> i64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0, |v| v.parse().unwrap())
}

fn requests(operation: &str, status: u16) -> String {
    format!("s4_requests_total{{operation=\"{operation}\",status=\"{status}\"}}")
}

#[test]
fn counters_move_with_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("data"));
    let before = scrape(&server);
    assert!(before.contains("# TYPE s4_requests_total counter"));
    assert!(before.contains("# TYPE s4_request_duration_seconds histogram"));

    let body = b"eleven byte";
    assert_eq!(
        common::request(server.addr, &Method::PUT, "/metered", b"")
            .unwrap()
            .0,
        200
    );
    assert_eq!(
        common::request(server.addr, &Method::PUT, "/metered/a.txt", body)
            .unwrap()
            .0,
        200
    );
    let (status, got) = common::request(server.addr, &Method::GET, "/metered/a.txt", b"").unwrap();
    assert_eq!((status, got.as_slice()), (200, &body[..]));
    assert_eq!(
        common::request(server.addr, &Method::GET, "/metered/missing", b"")
            .unwrap()
            .0,
        404
    );
    let (status, _) =
        common::request(server.addr, &Method::POST, "/metered/big?uploads", b"").unwrap();
    assert_eq!(status, 200);

    let after = scrape(&server);
    let delta = |op: &str, status: u16| {
        value(&after, &requests(op, status)) - value_before(&before, &requests(op, status))
    };
    assert_eq!(delta("CreateBucket", 200), 1);
    assert_eq!(delta("PutObject", 200), 1);
    assert_eq!(delta("GetObject", 200), 1);
    assert_eq!(delta("GetObject", 404), 1);
    assert_eq!(delta("CreateMultipartUpload", 200), 1);
    let series_delta = |series: &str| value(&after, series) - value_before(&before, series);
    assert_eq!(
        series_delta("s4_received_bytes_total{operation=\"PutObject\"}"),
        11
    );
    // The 200 carries the 11 bytes, the 404 its error document.
    assert!(series_delta("s4_sent_bytes_total{operation=\"GetObject\"}") > 11);
    assert_eq!(
        series_delta("s4_request_duration_seconds_count{operation=\"GetObject\"}"),
        2
    );
    assert_eq!(
        value(
            &after,
            "s4_request_duration_seconds_bucket{operation=\"GetObject\",le=\"+Inf\"}"
        ),
        value(
            &after,
            "s4_request_duration_seconds_count{operation=\"GetObject\"}"
        )
    );
    // Each request above used its own connection, closed by now; the scrape is on another
    // listener.
    assert_eq!(value(&after, "s4_in_flight_requests"), 0);
    assert!(after.contains("\ns4_open_connections "));

    // The embedded backend keeps usage counters, read at each scrape: the bucket, its object
    // and the upload show at once, without waiting for a sweep.
    let bytes_line = after
        .lines()
        .find(|l| l.starts_with("s4_bucket_bytes{") && l.contains("bucket=\"metered\""))
        .unwrap_or_else(|| panic!("no s4_bucket_bytes for the bucket:\n{after}"));
    assert!(bytes_line.ends_with(" 11"), "{bytes_line}");
    let account = bytes_line.split("account=\"").nth(1).unwrap()[..15].to_owned();
    let objects = format!("s4_bucket_objects{{account=\"{account}\",bucket=\"metered\"}}");
    let uploads =
        format!("s4_bucket_multipart_uploads{{account=\"{account}\",bucket=\"metered\"}}");
    assert_eq!(value(&after, &objects), 1);
    assert_eq!(value(&after, &uploads), 1);
    assert_eq!(value(&after, "s4_multipart_uploads_in_progress"), 1);
    assert!(value(&after, "s4_usage_sweep_timestamp_seconds") > 0);
    assert_eq!(
        common::request(server.addr, &Method::DELETE, "/metered/a.txt", b"")
            .unwrap()
            .0,
        204
    );
    let text = scrape(&server);
    assert_eq!(value(&text, &objects), 0, "{text}");
    assert_eq!(
        value(
            &text,
            &format!("s4_bucket_bytes{{account=\"{account}\",bucket=\"metered\"}}")
        ),
        0
    );

    // Only /metrics is served there.
    assert_eq!(get(server.metrics, "/").0, 404);
}

#[test]
fn refused_requests_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(&dir.path().join("data"), &["--max-uri-bytes", "64"]);
    let series = "s4_rejected_requests_total{reason=\"request_head\"}";
    assert_eq!(value_before(&scrape(&server), series), 0);
    let long = format!("/bucket/{}", "k".repeat(100));
    let (status, _) = common::request(server.addr, &Method::GET, &long, b"").unwrap();
    assert!(status >= 400, "{status}");
    assert_eq!(value(&scrape(&server), series), 1);
    assert!(scrape(&server).contains("\ns4_rejected_connections_total 0\n"));
}

/// `s4-server check-config` with the given file text, environment and flags: the
/// `metrics_listen` line it prints, if any.
fn effective_metrics_listen(
    file: Option<&str>,
    env: Option<&str>,
    flag: Option<&str>,
) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_s4-server"));
    command
        .env_remove("S4_METRICS_LISTEN")
        .env_remove("S4_CONFIG");
    if let Some(text) = file {
        let path = dir.path().join("s4.toml");
        std::fs::write(&path, text).unwrap();
        command.arg("--config").arg(path);
    }
    if let Some(env) = env {
        command.env("S4_METRICS_LISTEN", env);
    }
    if let Some(flag) = flag {
        command.args(["--metrics-listen", flag]);
    }
    let output = command.arg("check-config").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("metrics_listen = "))
        .map(|v| v.trim_matches('"').to_owned())
}

#[test]
fn metrics_listen_precedence() {
    let file = Some("metrics_listen = \"127.0.0.1:9101\"\n");
    assert_eq!(effective_metrics_listen(None, None, None), None);
    assert_eq!(
        effective_metrics_listen(file, None, None).as_deref(),
        Some("127.0.0.1:9101")
    );
    assert_eq!(
        effective_metrics_listen(file, Some("127.0.0.1:9102"), None).as_deref(),
        Some("127.0.0.1:9102")
    );
    assert_eq!(
        effective_metrics_listen(file, Some("127.0.0.1:9102"), Some("127.0.0.1:9103")).as_deref(),
        Some("127.0.0.1:9103")
    );
}
