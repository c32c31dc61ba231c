//! Helpers shared by the tests that run the real `s4-server` binary: start it on a data dir,
//! and send SigV4-signed HTTP/1.1 requests on fresh connections.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderValue, Method, Uri};
use s4_sigv4::{sign_headers, SignableBody, SigningParams};
use time::OffsetDateTime;

pub const ACCESS_KEY: &str = "AKIAKILLNINETEST0001";
pub const SECRET_KEY: &str = "killninesecretkillninesecretkillninesecr";

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }
}

/// A test that fails (panics) mid-way must not leave its server running for the rest of the
/// run: dropping a `Server` SIGKILLs and reaps it (a no-op after [`Server::kill`]).
impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Starts the server on `data_dir` with a fixed root key on a free port.
pub fn start(data_dir: &Path) -> Server {
    start_with(data_dir, &[])
}

/// Starts the server with extra command-line arguments.
pub fn start_with(data_dir: &Path, args: &[&str]) -> Server {
    attach(spawn(data_dir, args))
}

/// The server process on `data_dir` (a free port, the fixed root key, stdout piped).
fn spawn(data_dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_s4-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("S4_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("S4_ROOT_SECRET_KEY", SECRET_KEY)
        .env("S4_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start s4-server")
}

/// Where a scale-out node keeps its bytes: `data` (`s3://bucket/prefix`) at an S3 `endpoint`
/// reached with `key` (access key ID, secret), bodies spooled in `spool`.
pub struct S3Bytes<'a> {
    pub data: &'a str,
    pub endpoint: &'a str,
    pub key: (&'a str, &'a str),
    pub spool: &'a Path,
}

/// The command of a scale-out node over the database `meta_url` and an S3 byte store (no data
/// dir at all), on a free port with the fixed root key, stdout piped; the caller decides
/// where stderr goes and spawns it (then [`attach`]).
pub fn s3_node_command(meta_url: &str, bytes: &S3Bytes<'_>, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s4-server"));
    command
        .args([
            "--meta",
            meta_url,
            "--data",
            bytes.data,
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--data-s3-endpoint", bytes.endpoint])
        .args(["--data-s3-access-key", bytes.key.0])
        .arg("--data-s3-spool-dir")
        .arg(bytes.spool)
        .args(args)
        .env("S4_DATA_S3_SECRET_KEY", bytes.key.1)
        .env("S4_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("S4_ROOT_SECRET_KEY", SECRET_KEY)
        .env("S4_LOG", "warn")
        .env_remove("S4_DATA_DIR")
        .env_remove("S4_DATA")
        .stdout(Stdio::piped());
    command
}

/// Starts the server with extra arguments, its log (JSON, `S4_LOG=info`) written to `log`.
pub fn start_logged(data_dir: &Path, log: &Path, args: &[&str]) -> Server {
    attach(spawn_logged(data_dir, log, args))
}

/// [`start_logged`] with a metrics listener on a free port, as [`start_with_metrics`].
pub fn start_logged_with_metrics(
    data_dir: &Path,
    log: &Path,
    args: &[&str],
) -> (Server, SocketAddr) {
    let mut all = vec!["--metrics-listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let (server, metrics, _) = attach_reading(spawn_logged(data_dir, log, &all), true);
    (server, metrics.expect("metrics address"))
}

fn spawn_logged(data_dir: &Path, log: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_s4-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(args)
        .env("S4_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("S4_ROOT_SECRET_KEY", SECRET_KEY)
        .env("S4_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).expect("create the log file"))
        .spawn()
        .expect("start s4-server")
}

/// A started server (stdout piped): waits for its "listening on" line and keeps draining
/// stdout so that it never blocks on a full pipe.
pub fn attach(child: std::process::Child) -> Server {
    attach_reading(child, false).0
}

/// [`attach`], also returning what the server printed before it listened.
pub fn attach_with_output(child: std::process::Child) -> (Server, Vec<String>) {
    let (server, _, before) = attach_reading(child, false);
    (server, before)
}

/// Starts the server with extra arguments and a metrics listener on a free port; returns the
/// server and the metrics address (scrape it with [`scrape_metrics`]).
pub fn start_with_metrics(data_dir: &Path, args: &[&str]) -> (Server, SocketAddr) {
    let mut all = vec!["--metrics-listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let (server, metrics, _) = attach_reading(spawn(data_dir, &all), true);
    (server, metrics.expect("metrics address"))
}

/// Reads stdout up to the "listening on" line (and the "metrics on" line, printed after it,
/// when `metrics`), then keeps draining it in a thread. Returns the server, the metrics
/// address and the lines printed before the "listening on" line.
fn attach_reading(
    mut child: std::process::Child,
    metrics: bool,
) -> (Server, Option<SocketAddr>, Vec<String>) {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut before = Vec::new();
    let mut next_line = || {
        lines
            .next()
            .expect("server exited early")
            .expect("read stdout")
    };
    let addr = loop {
        let line = next_line();
        if let Some(rest) = line.strip_prefix("s4-server listening on http://") {
            let addr = rest.split_whitespace().next().expect("address");
            break addr.parse().expect("socket address");
        }
        before.push(line);
    };
    let metrics_addr = metrics.then(|| loop {
        let line = next_line();
        if let Some(rest) = line.strip_prefix("s4-server metrics on http://") {
            break rest
                .trim_end_matches("/metrics")
                .parse()
                .expect("metrics address");
        }
    });
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (Server { child, addr }, metrics_addr, before)
}

/// An unsigned `GET path` on a fresh connection (the health endpoints); returns the status
/// and the body.
pub fn unsigned_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The text of `GET /metrics` on a metrics listener; panics unless it answers 200.
pub fn scrape_metrics(metrics: SocketAddr) -> String {
    let mut stream = TcpStream::connect(metrics).expect("connect to the metrics listener");
    stream
        .set_read_timeout(Some(Duration::from_mins(1)))
        .expect("timeout");
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nhost: {metrics}\r\nconnection: close\r\n\r\n"
    )
    .expect("send scrape");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read scrape");
    let (head, body) = response.split_once("\r\n\r\n").expect("scrape response");
    assert!(head.starts_with("HTTP/1.1 200"), "scrape: {head}");
    body.to_owned()
}

/// The value of one integer series (exact name and labels) in a scrape; panics when the
/// series is absent, so that a metric that disappears cannot read as zero.
pub fn metric(text: &str, series: &str) -> i64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no series {series} in the scrape:\n{text}"))
        .parse()
        .unwrap_or_else(|e| panic!("{series}: {e}"))
}

/// A response: status, header block (lower-case names) and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The text of the first `<name>` element of an XML body.
    pub fn xml(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.body);
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].to_owned())
    }

    /// Every `<name>` element's text.
    pub fn xml_all(&self, name: &str) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.body).into_owned();
        let (open, close) = (format!("<{name}>"), format!("</{name}>"));
        let mut out = Vec::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(&open) {
            rest = &rest[i + open.len()..];
            let Some(j) = rest.find(&close) else { break };
            out.push(rest[..j].to_owned());
            rest = &rest[j + close.len()..];
        }
        out
    }
}

/// `S4_TEST_POSTGRES_URL`, or `None` after printing that the test is skipped
/// (`crates/storage-pg/tests/with-postgres.sh` sets it).
pub fn postgres_url_or_skip() -> Option<String> {
    let url = std::env::var("S4_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        println!("SKIPPED: S4_TEST_POSTGRES_URL is not set (crates/storage-pg/tests/with-postgres.sh sets it)");
    }
    url
}

/// One signed HTTP/1.1 request on a fresh connection; returns (status, body).
pub fn request(
    addr: SocketAddr,
    method: &Method,
    path: &str,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    request_with(addr, method, path, &[], body).map(|r| (r.status, r.body))
}

/// One signed HTTP/1.1 request with extra (signed) headers.
pub fn request_with(
    addr: SocketAddr,
    method: &Method,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    request_paused(addr, method, path, extra, body, body.len(), || {})
}

/// Like [`request_with`], but sends the first `split` body bytes, runs `during`, then sends
/// the rest: a request that is still uploading while something else happens.
pub fn request_paused(
    addr: SocketAddr,
    method: &Method,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    split: usize,
    during: impl FnOnce(),
) -> std::io::Result<Response> {
    let signer = (ACCESS_KEY, SECRET_KEY);
    request_paused_as(signer, addr, method, path, extra, body, split, during)
}

/// One request signed with the given `(access key ID, secret)` instead of the fixed root key.
pub fn request_as(
    signer: (&str, &str),
    addr: SocketAddr,
    method: &Method,
    path: &str,
) -> std::io::Result<Response> {
    request_paused_as(signer, addr, method, path, &[], b"", 0, || {})
}

/// [`request_paused`] signed with `signer`.
#[allow(clippy::too_many_arguments)]
pub fn request_paused_as(
    signer: (&str, &str),
    addr: SocketAddr,
    method: &Method,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    split: usize,
    during: impl FnOnce(),
) -> std::io::Result<Response> {
    let target = (addr, method, path);
    send_signed("s3", signer, target, extra, body, split, during)
}

/// An IAM request as the root: a POST of the form `form` (`Action=...&Version=2010-05-08`),
/// signed for service `iam`.
pub fn iam_request(addr: SocketAddr, form: &str) -> std::io::Result<Response> {
    let target = (addr, &Method::POST, "/");
    let form_type = [("content-type", "application/x-www-form-urlencoded")];
    let signer = (ACCESS_KEY, SECRET_KEY);
    send_signed(
        "iam",
        signer,
        target,
        &form_type,
        form.as_bytes(),
        form.len(),
        || {},
    )
}

/// One request signed for `service`; see [`request_paused`] for `split` and `during`.
fn send_signed(
    service: &str,
    signer: (&str, &str),
    (addr, method, path): (SocketAddr, &Method, &str),
    extra: &[(&str, &str)],
    body: &[u8],
    split: usize,
    during: impl FnOnce(),
) -> std::io::Result<Response> {
    let head = signed_head_as(service, signer, (addr, method, path), extra, body, "close");
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_mins(1)))?;
    stream.write_all(head.as_bytes())?;
    let expects_continue = extra
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("expect") && v.eq_ignore_ascii_case("100-continue"));
    let mut response = Vec::new();
    if expects_continue {
        // As real clients do: the body only after `100 Continue`, none after a final answer.
        let interim = read_head(&mut stream)?;
        if !interim.starts_with(b"HTTP/1.1 100") {
            response = interim;
        }
    }
    if !response.is_empty() {
        stream.read_to_end(&mut response)?;
        return parse_response(&response);
    }
    stream.write_all(&body[..split])?;
    stream.flush()?;
    during();
    // The server may answer (and close) before reading the rest; the response decides.
    let _ = stream.write_all(&body[split..]);
    stream.read_to_end(&mut response)?;
    parse_response(&response)
}

/// The head of a request signed with `signer` (`Content-Length` and `Connection: <connection>`
/// included), up to and including its blank line.
pub fn signed_head(
    signer: (&str, &str),
    addr: SocketAddr,
    method: &Method,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    connection: &str,
) -> String {
    signed_head_as("s3", signer, (addr, method, path), extra, body, connection)
}

/// [`signed_head`] signed for `service` (`s3` or `iam`).
fn signed_head_as(
    service: &str,
    signer: (&str, &str),
    (addr, method, path): (SocketAddr, &Method, &str),
    extra: &[(&str, &str)],
    body: &[u8],
    connection: &str,
) -> String {
    let uri: Uri = format!("http://{addr}{path}").parse().expect("uri");
    let mut headers = HeaderMap::new();
    headers.insert(
        "host",
        HeaderValue::from_str(&addr.to_string()).expect("host"),
    );
    for (name, value) in extra {
        headers.insert(
            http::header::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    let params = SigningParams::new(
        signer.0,
        signer.1,
        "us-east-1",
        service,
        OffsetDateTime::now_utc(),
    );
    let signed =
        sign_headers(method, &uri, &headers, &params, &SignableBody::Bytes(body)).expect("sign");
    signed.apply_to(&mut headers);
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\ncontent-length: {}\r\nconnection: {connection}\r\n",
        body.len()
    );
    for (name, value) in &headers {
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(value.to_str().expect("ascii header"));
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head
}

/// Reads a response head, up to and including its blank line.
pub fn read_head(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::Error::other(
                "connection closed in a response head",
            ));
        }
        head.push(byte[0]);
    }
    Ok(head)
}

/// Status, headers and body of a whole HTTP/1.1 response (`connection: close`).
pub fn parse_response(response: &[u8]) -> std::io::Result<Response> {
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("truncated response"))?;
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: response[split + 4..].to_vec(),
    })
}

/// How many blob files the data dir holds.
pub fn blob_files(data_dir: &Path) -> usize {
    let Ok(dirs) = std::fs::read_dir(data_dir.join("blobs")) else {
        return 0;
    };
    dirs.filter_map(Result::ok)
        .filter(|d| d.path().is_dir())
        .map(|d| std::fs::read_dir(d.path()).map_or(0, Iterator::count))
        .sum()
}

/// Runs a process that must exit by itself, with a generous deadline.
pub fn run_to_exit(mut command: Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_mins(2);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("kill");
            panic!("the process did not exit within two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut output = Output {
        status: child.wait().expect("wait"),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_end(&mut output.stdout)
        .expect("read stdout");
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_end(&mut output.stderr)
        .expect("read stderr");
    output
}

/// `s4-server admin ARGS --data-dir DIR` (the flag after the subcommand, as operators type it).
pub fn admin(data_dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s4-server"));
    command
        .arg("admin")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("S4_DATA_DIR")
        .env_remove("S4_DATA")
        .env_remove("S4_META");
    run_to_exit(command)
}

/// A database of its own on the cluster `S4_TEST_POSTGRES_URL` points at (the scale-out
/// tests bootstrap their own root key in the default one).
pub fn fresh_database(url: &str, prefix: &str) -> String {
    let name = format!("{prefix}_{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect to PostgreSQL");
        let connection = tokio::spawn(connection);
        // One statement each: several in one call would be one transaction, which
        // CREATE DATABASE refuses.
        for statement in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            client
                .batch_execute(&statement)
                .await
                .expect("create the test database");
        }
        drop(client);
        let _ = connection.await;
    });
    let (server, _) = url.rsplit_once('/').expect("a URL with a database name");
    format!("{server}/{name}")
}

/// An admin command that must succeed: its output lines.
pub fn admin_ok(data_dir: &Path, args: &[&str]) -> Vec<String> {
    let out = admin(data_dir, args);
    assert!(
        out.status.success(),
        "admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A fresh database (named `prefix_<pid>`) on the PostgreSQL of `S4_TEST_POSTGRES_URL`, or
/// `None`, saying the test was skipped, when the variable is not set.
pub fn test_database(prefix: &str) -> Option<String> {
    let Some(url) = std::env::var("S4_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        println!("SKIPPED: S4_TEST_POSTGRES_URL is not set (crates/storage-pg/tests/with-postgres.sh sets it)");
        return None;
    };
    Some(fresh_database(&url, prefix))
}
