//! `s4-bench`: the end-to-end load generator.
//!
//! Sends real SigV4-signed S3 requests with unique payloads over keep-alive HTTP/1.1
//! connections (one per concurrent worker, TCP_NODELAY) and reports ops/s, MB/s, latency
//! percentiles, errors and, given the server's PID, its CPU seconds and peak RSS. The same
//! workloads run against the filesystem (`--target raw`: durable create / read, the PUT
//! ceiling) and against a static file server (`--target static`: nginx, the GET ceiling).
//! `s4-bench report --dir D` turns the JSON of several runs into the comparison tables.
//!
//! ```text
//! s4-bench --endpoint http://127.0.0.1:9000 --access-key AK --secret-key SK \
//!     --workload all --duration 5 --server-pid 1234 --json out.json
//! ```

// Counts and byte totals become f64 rates; precision past 2^52 does not matter here.
#![allow(clippy::cast_precision_loss, clippy::cast_sign_loss)]

mod client;
mod proc;
mod raw;
mod report;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::{Parser, Subcommand, ValueEnum};
use http::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Conn, RequestError, Signer};

#[derive(Debug, Parser)]
#[command(
    name = "s4-bench",
    about = "End-to-end S3 load generator",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Medians and same-run ratios from the JSON files of several runs.
    Report(report::ReportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TargetKind {
    /// An S3 endpoint (S4, s3s-fs, ...).
    S3,
    /// A static file server (nginx) serving `<raw-dir>/<bucket>/<key>`: GETs only.
    Static,
    /// The filesystem itself: write + fsync + rename + directory fsync, and reads.
    Raw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize, Hash)]
#[serde(rename_all = "kebab-case")]
enum Workload {
    PutSmall,
    GetSmall,
    PutLarge,
    GetLarge,
    List,
    Multipart,
    /// One PUT of the multipart size: what a multipart upload is compared with.
    PutWhole,
    All,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Self::PutSmall => "put-small",
            Self::GetSmall => "get-small",
            Self::PutLarge => "put-large",
            Self::GetLarge => "get-large",
            Self::List => "list",
            Self::Multipart => "multipart",
            Self::PutWhole => "put-whole",
            Self::All => "all",
        }
    }

    fn is_small(self) -> bool {
        matches!(self, Self::PutSmall | Self::GetSmall)
    }

    fn supported_by(self, target: TargetKind) -> bool {
        match target {
            TargetKind::S3 => true,
            TargetKind::Raw => !matches!(self, Self::List | Self::Multipart),
            TargetKind::Static => matches!(self, Self::GetSmall | Self::GetLarge),
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
struct RunArgs {
    /// What to load.
    #[arg(long, value_enum, default_value = "s3")]
    target: TargetKind,
    /// The server, `http://host:port` (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    endpoint: String,
    #[arg(long, env = "S4_BENCH_ACCESS_KEY", default_value = "")]
    access_key: String,
    #[arg(
        long,
        env = "S4_BENCH_SECRET_KEY",
        default_value = "",
        hide_env_values = true
    )]
    secret_key: String,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Sign every payload as UNSIGNED-PAYLOAD (headers are still signed).
    #[arg(long)]
    unsigned_payload: bool,
    /// Payloads up to this size have their SHA-256 signed; larger ones are sent as
    /// UNSIGNED-PAYLOAD, as SDKs do for large uploads.
    #[arg(long, value_parser = parse_size, default_value = "1MiB")]
    sign_payload_up_to: usize,
    /// The directory of `--target raw` (and the files nginx serves).
    #[arg(long)]
    raw_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "all")]
    workload: Workload,
    /// Concurrency points (comma-separated); large objects, listings and multipart skip the
    /// points above `--max-large-concurrency`.
    #[arg(long, value_delimiter = ',', default_value = "1,32,128")]
    concurrency: Vec<usize>,
    #[arg(long, default_value_t = 32)]
    max_large_concurrency: usize,
    /// Seconds per point (requests in flight at the end still finish).
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Stop each point after this many operations instead (or whichever comes first).
    #[arg(long)]
    ops: Option<u64>,
    #[arg(long, default_value = "s4bench")]
    bucket: String,
    #[arg(long, value_parser = parse_size, default_value = "4KiB")]
    small_size: usize,
    #[arg(long, value_parser = parse_size, default_value = "64MiB")]
    large_size: usize,
    #[arg(long, value_parser = parse_size, default_value = "256MiB")]
    multipart_size: usize,
    #[arg(long, value_parser = parse_size, default_value = "8MiB")]
    part_size: usize,
    /// Keys in the listing bucket, and keys per page.
    #[arg(long, default_value_t = 10_000)]
    list_keys: usize,
    #[arg(long, default_value_t = 1_000)]
    page_size: usize,
    /// Distinct small objects that get-small reads.
    #[arg(long, default_value_t = 1_000)]
    small_objects: usize,
    /// Distinct large objects that get-large reads.
    #[arg(long, default_value_t = 4)]
    large_objects: usize,
    /// Processes whose CPU time and peak RSS to report (comma-separated PIDs, summed).
    #[arg(long, value_delimiter = ',')]
    server_pid: Vec<String>,
    /// Append the results to this JSON file (an array of records).
    #[arg(long)]
    json: Option<PathBuf>,
    /// The target's name in the results (default: the target kind).
    #[arg(long)]
    label: Option<String>,
    /// The repetition number recorded with the results.
    #[arg(long, default_value_t = 0)]
    rep: u32,
    /// Check every GET's bytes against the payload that was stored.
    #[arg(long)]
    verify: bool,
    /// Do not create the objects that GET and LIST read (they are already there).
    #[arg(long)]
    skip_setup: bool,
}

fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: usize = digits.parse().map_err(|_| format!("bad size '{s}'"))?;
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => return Err(format!("bad size unit in '{s}' (use KiB, MiB, GiB)")),
    };
    Ok(n * mult)
}

/// One measured point, as printed and as stored in JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub target: String,
    pub rep: u32,
    pub workload: String,
    pub size: u64,
    pub concurrency: usize,
    pub ops: u64,
    pub errors: u64,
    pub seconds: f64,
    pub ops_per_sec: f64,
    pub mb_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub server_cpu_seconds: Option<f64>,
    pub server_peak_rss_mib: Option<f64>,
    pub client_cpu_seconds: Option<f64>,
    pub first_error: Option<String>,
}

/// Everything a worker needs.
#[derive(Debug)]
struct Ctx {
    kind: TargetKind,
    addr: Option<SocketAddr>,
    signer: Option<Signer>,
    raw_dir: Option<PathBuf>,
    bucket: String,
    list_bucket: String,
    workload: Workload,
    size: usize,
    part_size: usize,
    concurrency: usize,
    objects: usize,
    page_size: usize,
    list_keys: usize,
    run_id: u64,
    verify: bool,
    /// The stored payloads GETs compare against (only with `--verify`).
    expected: Vec<Bytes>,
}

impl Ctx {
    fn conn(&self) -> Option<Conn> {
        self.addr.map(Conn::new)
    }

    fn raw_dir(&self) -> PathBuf {
        self.raw_dir.clone().expect("--raw-dir is checked at start")
    }
}

/// The seed of the `i`-th object of a GET set of objects of `size` bytes.
fn object_seed(size: usize, i: usize) -> u64 {
    (size as u64).wrapping_mul(1_000_003).wrapping_add(i as u64)
}

fn get_key(workload: Workload, size: usize, i: usize) -> String {
    format!("{}/{size}/{i:06}", workload.name())
}

fn list_key(i: usize) -> String {
    format!("k/{i:06}")
}

/// A payload, generated off the async threads when it is large.
async fn make_payload(seed: u64, len: usize) -> Bytes {
    if len <= 1 << 20 {
        Bytes::from(s4_benches::payload(seed, len))
    } else {
        tokio::task::spawn_blocking(move || Bytes::from(s4_benches::payload(seed, len)))
            .await
            .expect("payload generation")
    }
}

/// Compares streamed bytes with the expected payload.
#[derive(Debug)]
struct Checker<'a> {
    expected: Option<&'a [u8]>,
    offset: usize,
    ok: bool,
}

impl<'a> Checker<'a> {
    fn new(expected: Option<&'a [u8]>) -> Self {
        Self {
            expected,
            offset: 0,
            ok: true,
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        if let Some(expected) = self.expected {
            let end = self.offset + chunk.len();
            if end > expected.len() || expected[self.offset..end] != *chunk {
                self.ok = false;
            }
            self.offset = end;
        }
    }

    fn finish(&self, len: u64, want: usize) -> Result<(), RequestError> {
        if len != want as u64 {
            return Err(RequestError(format!(
                "body of {len} bytes, expected {want}"
            )));
        }
        if !self.ok {
            return Err(RequestError(
                "body bytes differ from the stored payload".into(),
            ));
        }
        Ok(())
    }
}

fn expect_2xx(status: u16, body: &[u8], what: &str) -> Result<(), RequestError> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        Err(RequestError(format!("{what}: HTTP {status} {text}")))
    }
}

fn xml_text(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{name}>"))? + start;
    Some(body[start..end].to_owned())
}

/// One concurrent worker: its connection and reusable buffers.
#[derive(Debug)]
struct Worker {
    ctx: Arc<Ctx>,
    id: usize,
    conn: Option<Conn>,
    /// Extra connections for parallel parts (multipart).
    part_conns: Vec<Conn>,
}

impl Worker {
    async fn put_object(
        &mut self,
        bucket: &str,
        key: &str,
        data: Bytes,
    ) -> Result<(), RequestError> {
        let ctx = Arc::clone(&self.ctx);
        if ctx.kind == TargetKind::Raw {
            let dir = ctx.raw_dir();
            let (bucket, key) = (bucket.to_owned(), key.to_owned());
            return tokio::task::spawn_blocking(move || raw::put(&dir, &bucket, &key, &data))
                .await
                .map_err(|e| RequestError(e.to_string()))?
                .map_err(|e| RequestError(format!("raw put: {e}")));
        }
        let conn = self.conn.as_mut().expect("HTTP target has a connection");
        let mut body = Vec::new();
        let answer = conn
            .request(
                ctx.signer.as_ref(),
                Method::PUT,
                &format!("/{bucket}/{key}"),
                data,
                |c| body.extend_from_slice(c),
            )
            .await?;
        expect_2xx(answer.status, &body, "PUT")
    }

    async fn get_object(
        &mut self,
        bucket: &str,
        key: &str,
        want: usize,
        expected: Option<Bytes>,
    ) -> Result<u64, RequestError> {
        let ctx = Arc::clone(&self.ctx);
        if ctx.kind == TargetKind::Raw {
            let dir = ctx.raw_dir();
            let (bucket, key) = (bucket.to_owned(), key.to_owned());
            return tokio::task::spawn_blocking(move || {
                let mut checker = Checker::new(expected.as_deref());
                let mut buf = Vec::new();
                let len = raw::get(&dir, &bucket, &key, &mut buf, |c| checker.feed(c))
                    .map_err(|e| RequestError(format!("raw get: {e}")))?;
                checker.finish(len, want).map(|()| len)
            })
            .await
            .map_err(|e| RequestError(e.to_string()))?;
        }
        let conn = self.conn.as_mut().expect("HTTP target has a connection");
        let mut checker = Checker::new(expected.as_deref());
        let mut head = Vec::new();
        let signer = if ctx.kind == TargetKind::S3 {
            ctx.signer.as_ref()
        } else {
            None
        };
        let answer = conn
            .request(
                signer,
                Method::GET,
                &format!("/{bucket}/{key}"),
                Bytes::new(),
                |c| {
                    if head.len() < 512 {
                        head.extend_from_slice(&c[..c.len().min(512)]);
                    }
                    checker.feed(c);
                },
            )
            .await?;
        expect_2xx(answer.status, &head, "GET")?;
        checker.finish(answer.body_len, want)?;
        Ok(answer.body_len)
    }

    /// One operation; returns the payload bytes moved.
    async fn op(&mut self, n: u64) -> Result<u64, RequestError> {
        let ctx = Arc::clone(&self.ctx);
        let size = ctx.size;
        match ctx.workload {
            Workload::PutSmall | Workload::PutLarge | Workload::PutWhole => {
                // Small objects get fresh keys (creates); large ones overwrite a few keys per
                // worker so that long runs do not fill the disk.
                let key = if ctx.workload == Workload::PutSmall {
                    format!(
                        "put-small/{}/{}/{}/{n}",
                        ctx.run_id, ctx.concurrency, self.id
                    )
                } else {
                    format!("{}/{size}/{}/{}", ctx.workload.name(), self.id, n % 2)
                };
                let seed = ctx.run_id ^ (n << 20) ^ (self.id as u64) ^ ((size as u64) << 40);
                let data = make_payload(seed, size).await;
                self.put_object(&ctx.bucket, &key, data).await?;
                Ok(size as u64)
            }
            Workload::GetSmall | Workload::GetLarge => {
                let i = (self.id * 131 + n as usize) % ctx.objects;
                let key = get_key(ctx.workload, size, i);
                let expected = ctx.verify.then(|| ctx.expected[i].clone());
                self.get_object(&ctx.bucket, &key, size, expected).await
            }
            Workload::List => {
                let pages = (ctx.list_keys / ctx.page_size).max(1);
                let page = (self.id + n as usize) % pages;
                let mut query = format!(
                    "/{}?list-type=2&max-keys={}",
                    ctx.list_bucket, ctx.page_size
                );
                if page > 0 {
                    query.push_str("&start-after=");
                    query.push_str(&list_key(page * ctx.page_size - 1).replace('/', "%2F"));
                }
                let conn = self.conn.as_mut().expect("S3 target has a connection");
                let mut body = Vec::new();
                let answer = conn
                    .request(
                        ctx.signer.as_ref(),
                        Method::GET,
                        &query,
                        Bytes::new(),
                        |c| {
                            body.extend_from_slice(c);
                        },
                    )
                    .await?;
                expect_2xx(answer.status, &body, "LIST")?;
                let keys = body.windows(5).filter(|w| w == b"<Key>").count();
                let want = ctx.page_size.min(ctx.list_keys - page * ctx.page_size);
                if keys != want {
                    return Err(RequestError(format!(
                        "page of {keys} keys, expected {want}"
                    )));
                }
                Ok(answer.body_len)
            }
            Workload::Multipart => self.multipart(n).await,
            Workload::All => unreachable!("`all` is expanded before running"),
        }
    }

    async fn multipart(&mut self, n: u64) -> Result<u64, RequestError> {
        let ctx = Arc::clone(&self.ctx);
        let key = format!("multipart/{}/{}", ctx.size, n % 2);
        let path = format!("/{}/{key}", ctx.bucket);
        let conn = self.conn.as_mut().expect("S3 target has a connection");
        let mut body = Vec::new();
        let answer = conn
            .request(
                ctx.signer.as_ref(),
                Method::POST,
                &format!("{path}?uploads"),
                Bytes::new(),
                |c| body.extend_from_slice(c),
            )
            .await?;
        expect_2xx(answer.status, &body, "CreateMultipartUpload")?;
        let upload_id = xml_text(&String::from_utf8_lossy(&body), "UploadId")
            .ok_or_else(|| RequestError("no UploadId".into()))?;
        let parts = ctx.size.div_ceil(ctx.part_size);
        let lanes = ctx.concurrency.min(parts).max(1);
        let mut tasks = Vec::new();
        for lane in 0..lanes {
            let mut lane_conn = self
                .part_conns
                .pop()
                .unwrap_or_else(|| ctx.conn().expect("S3 target"));
            let ctx = Arc::clone(&ctx);
            let (path, upload_id) = (path.clone(), upload_id.clone());
            let seed_base = ctx.run_id ^ (n << 24);
            tasks.push(tokio::spawn(async move {
                let mut etags = Vec::new();
                let mut result = Ok(());
                for part in (lane + 1..=parts).step_by(lanes) {
                    let len = ctx.part_size.min(ctx.size - (part - 1) * ctx.part_size);
                    let data = make_payload(seed_base ^ part as u64, len).await;
                    let mut body = Vec::new();
                    let answer = lane_conn
                        .request(
                            ctx.signer.as_ref(),
                            Method::PUT,
                            &format!("{path}?partNumber={part}&uploadId={upload_id}"),
                            data,
                            |c| body.extend_from_slice(c),
                        )
                        .await;
                    match answer {
                        Ok(a) if (200..300).contains(&a.status) => {
                            let etag = a
                                .headers
                                .get(http::header::ETAG)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned();
                            etags.push((part, etag));
                        }
                        Ok(a) => {
                            result = expect_2xx(a.status, &body, "UploadPart");
                            break;
                        }
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                (lane_conn, etags, result)
            }));
        }
        let mut etags = Vec::new();
        let mut failure = None;
        for task in tasks {
            let (lane_conn, lane_etags, result) =
                task.await.map_err(|e| RequestError(e.to_string()))?;
            self.part_conns.push(lane_conn);
            etags.extend(lane_etags);
            if let Err(e) = result {
                failure.get_or_insert(e);
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        etags.sort_unstable();
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (part, etag) in &etags {
            let _ = write!(
                xml,
                "<Part><PartNumber>{part}</PartNumber><ETag>{etag}</ETag></Part>"
            );
        }
        xml.push_str("</CompleteMultipartUpload>");
        let conn = self.conn.as_mut().expect("S3 target has a connection");
        let mut body = Vec::new();
        let answer = conn
            .request(
                ctx.signer.as_ref(),
                Method::POST,
                &format!("{path}?uploadId={upload_id}"),
                Bytes::from(xml),
                |c| body.extend_from_slice(c),
            )
            .await?;
        expect_2xx(answer.status, &body, "CompleteMultipartUpload")?;
        if body.windows(7).any(|w| w == b"<Error>") {
            return Err(RequestError(format!(
                "CompleteMultipartUpload: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        Ok(ctx.size as u64)
    }
}

/// Creates a bucket; an existing one is fine.
async fn create_bucket(ctx: &Ctx, bucket: &str) -> Result<(), RequestError> {
    if ctx.kind != TargetKind::S3 {
        return Ok(());
    }
    let mut conn = ctx.conn().expect("S3 target");
    let mut body = Vec::new();
    let answer = conn
        .request(
            ctx.signer.as_ref(),
            Method::PUT,
            &format!("/{bucket}"),
            Bytes::new(),
            |c| body.extend_from_slice(c),
        )
        .await?;
    if answer.status == 409 || (200..300).contains(&answer.status) {
        Ok(())
    } else {
        expect_2xx(answer.status, &body, "CreateBucket")
    }
}

/// Whether `bucket/key` exists with `size` bytes (so a setup can be skipped).
async fn exists(ctx: &Ctx, bucket: &str, key: &str, size: usize) -> bool {
    match ctx.kind {
        TargetKind::Raw => std::fs::metadata(raw::object_path(&ctx.raw_dir(), bucket, key))
            .is_ok_and(|m| m.len() == size as u64),
        TargetKind::Static => true,
        TargetKind::S3 => {
            let mut conn = ctx.conn().expect("S3 target");
            let answer = conn
                .request(
                    ctx.signer.as_ref(),
                    Method::HEAD,
                    &format!("/{bucket}/{key}"),
                    Bytes::new(),
                    |_| {},
                )
                .await;
            answer.is_ok_and(|a| {
                a.status == 200
                    && a.headers
                        .get(http::header::CONTENT_LENGTH)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<usize>().ok())
                        == Some(size)
            })
        }
    }
}

/// Stores `count` objects named by `key(i)` with payload `seed(i)` of `size` bytes, 16 at
/// a time, unless the last one is already there.
async fn fill(
    ctx: &Arc<Ctx>,
    bucket: &str,
    count: usize,
    size: usize,
    key: impl Fn(usize) -> String,
    seed: impl Fn(usize) -> u64,
) -> Result<(), RequestError> {
    if count == 0 || exists(ctx, bucket, &key(count - 1), size).await {
        return Ok(());
    }
    eprintln!("s4-bench: storing {count} objects of {size} bytes in {bucket}");
    let jobs: Vec<(String, u64)> = (0..count).map(|i| (key(i), seed(i))).collect();
    let jobs = Arc::new(std::sync::Mutex::new(jobs));
    let mut tasks = Vec::new();
    for id in 0..16 {
        let mut worker = Worker {
            ctx: Arc::clone(ctx),
            id,
            conn: ctx.conn(),
            part_conns: Vec::new(),
        };
        let jobs = Arc::clone(&jobs);
        let bucket = bucket.to_owned();
        tasks.push(tokio::spawn(async move {
            loop {
                let job = jobs.lock().expect("jobs lock").pop();
                let Some((key, seed)) = job else {
                    return Ok(());
                };
                let data = make_payload(seed, size).await;
                worker.put_object(&bucket, &key, data).await?;
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| RequestError(e.to_string()))??;
    }
    Ok(())
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

#[derive(Debug, Default)]
struct WorkerStats {
    latencies: Vec<Duration>,
    bytes: u64,
    errors: u64,
    first_error: Option<String>,
}

/// Runs one (workload, size, concurrency) point.
async fn run_point(args: &RunArgs, base: &Ctx, workload: Workload, concurrency: usize) -> Record {
    let size = match workload {
        Workload::PutSmall | Workload::GetSmall => args.small_size,
        Workload::PutLarge | Workload::GetLarge => args.large_size,
        Workload::Multipart | Workload::PutWhole => args.multipart_size,
        Workload::List => 0,
        Workload::All => unreachable!("expanded"),
    };
    let objects = match workload {
        Workload::GetSmall => args.small_objects,
        Workload::GetLarge => args.large_objects,
        _ => 0,
    };
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut ctx = Ctx {
        kind: base.kind,
        addr: base.addr,
        signer: base.signer.clone(),
        raw_dir: base.raw_dir.clone(),
        bucket: base.bucket.clone(),
        list_bucket: base.list_bucket.clone(),
        workload,
        size,
        part_size: args.part_size,
        concurrency,
        objects,
        page_size: args.page_size,
        list_keys: args.list_keys,
        run_id,
        verify: args.verify,
        expected: Vec::new(),
    };
    if args.verify && objects > 0 {
        ctx.expected = (0..objects)
            .map(|i| Bytes::from(s4_benches::payload(object_seed(size, i), size)))
            .collect();
    }
    let ctx = Arc::new(ctx);
    let label = args
        .label
        .clone()
        .unwrap_or_else(|| format!("{:?}", args.target).to_lowercase());
    let mut record = Record {
        target: label,
        rep: args.rep,
        workload: workload.name().to_owned(),
        size: size as u64,
        concurrency,
        ops: 0,
        errors: 0,
        seconds: 0.0,
        ops_per_sec: 0.0,
        mb_per_sec: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        max_ms: 0.0,
        server_cpu_seconds: None,
        server_peak_rss_mib: None,
        client_cpu_seconds: None,
        first_error: None,
    };
    // Setup, not timed.
    let setup = async {
        if args.skip_setup {
            return Ok(());
        }
        match workload {
            Workload::GetSmall | Workload::GetLarge => {
                fill(
                    &ctx,
                    &ctx.bucket,
                    objects,
                    size,
                    |i| get_key(workload, size, i),
                    |i| object_seed(size, i),
                )
                .await
            }
            Workload::List => {
                fill(&ctx, &ctx.list_bucket, args.list_keys, 64, list_key, |i| {
                    i as u64
                })
                .await
            }
            _ => Ok(()),
        }
    };
    if let Err(e) = setup.await {
        record.errors = 1;
        record.first_error = Some(format!("setup: {e}"));
        return record;
    }
    // Workers and their connections; a multipart run is one upload at a time with
    // `concurrency` parts in flight.
    let workers = if workload == Workload::Multipart {
        1
    } else {
        concurrency
    };
    let mut pool = Vec::new();
    for id in 0..workers {
        let mut worker = Worker {
            ctx: Arc::clone(&ctx),
            id,
            conn: ctx.conn(),
            part_conns: Vec::new(),
        };
        if let Some(conn) = worker.conn.as_mut() {
            if let Err(e) = conn.warm().await {
                record.errors = 1;
                record.first_error = Some(format!("connect: {e}"));
                return record;
            }
        }
        if workload == Workload::Multipart {
            for _ in 0..concurrency {
                let mut conn = ctx.conn().expect("S3 target");
                if conn.warm().await.is_ok() {
                    worker.part_conns.push(conn);
                }
            }
        }
        pool.push(worker);
    }
    let watch = proc::Watch::start(&args.server_pid);
    let client_cpu_before = proc::cpu_seconds("self");
    let counter = Arc::new(AtomicU64::new(0));
    let max_ops = args.ops.unwrap_or(u64::MAX);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.duration);
    let mut tasks = Vec::new();
    for mut worker in pool {
        let counter = Arc::clone(&counter);
        tasks.push(tokio::spawn(async move {
            let mut stats = WorkerStats::default();
            loop {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                if n >= max_ops || Instant::now() >= deadline {
                    return stats;
                }
                let t = Instant::now();
                match worker.op(n).await {
                    Ok(bytes) => {
                        stats.latencies.push(t.elapsed());
                        stats.bytes += bytes;
                    }
                    Err(e) => {
                        stats.errors += 1;
                        stats.first_error.get_or_insert(e.0);
                    }
                }
            }
        }));
    }
    let mut latencies = Vec::new();
    let mut bytes = 0u64;
    for task in tasks {
        match task.await {
            Ok(stats) => {
                latencies.extend(stats.latencies);
                bytes += stats.bytes;
                record.errors += stats.errors;
                if record.first_error.is_none() {
                    record.first_error = stats.first_error;
                }
            }
            Err(e) => {
                record.errors += 1;
                record.first_error.get_or_insert(e.to_string());
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let usage = watch.finish().await;
    record.client_cpu_seconds = client_cpu_before
        .zip(proc::cpu_seconds("self"))
        .map(|(a, b)| b - a);
    latencies.sort_unstable();
    record.ops = latencies.len() as u64;
    record.seconds = elapsed;
    record.ops_per_sec = record.ops as f64 / elapsed;
    record.mb_per_sec = bytes as f64 / elapsed / 1e6;
    record.p50_ms = percentile(&latencies, 0.50);
    record.p99_ms = percentile(&latencies, 0.99);
    record.max_ms = latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3);
    if let Some(usage) = usage {
        record.server_cpu_seconds = Some(usage.cpu_seconds);
        record.server_peak_rss_mib = Some(usage.peak_rss_bytes as f64 / (1 << 20) as f64);
    }
    record
}

fn print_header() {
    println!(
        "{:<10} {:<10} {:>10} {:>5} {:>7} {:>10} {:>9} {:>9} {:>9} {:>9} {:>6} {:>8} {:>8} {:>8}",
        "target",
        "workload",
        "size",
        "conc",
        "ops",
        "ops/s",
        "MB/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "errors",
        "srv cpu",
        "srv MiB",
        "cli cpu"
    );
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
}

fn print_record(r: &Record) {
    println!(
        "{:<10} {:<10} {:>10} {:>5} {:>7} {:>10.1} {:>9.1} {:>9.3} {:>9.3} {:>9.3} {:>6} {:>8} {:>8} {:>8}",
        r.target,
        r.workload,
        r.size,
        r.concurrency,
        r.ops,
        r.ops_per_sec,
        r.mb_per_sec,
        r.p50_ms,
        r.p99_ms,
        r.max_ms,
        r.errors,
        opt(r.server_cpu_seconds, 2),
        opt(r.server_peak_rss_mib, 1),
        opt(r.client_cpu_seconds, 2),
    );
    if let Some(e) = &r.first_error {
        println!("  first error: {e}");
    }
}

fn endpoint_addr(endpoint: &str) -> Result<SocketAddr, String> {
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("endpoint '{endpoint}' must start with http://"))?;
    let hostport = rest.trim_end_matches('/');
    let addr: SocketAddr = hostport
        .replace("localhost", "127.0.0.1")
        .parse()
        .map_err(|_| format!("endpoint '{endpoint}' must be http://IP:PORT"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "endpoint '{endpoint}' is not a loopback address; s4-bench only loads local servers"
        ));
    }
    Ok(addr)
}

async fn run(args: RunArgs) -> Result<(), String> {
    let addr = match args.target {
        TargetKind::Raw => None,
        _ => Some(endpoint_addr(&args.endpoint)?),
    };
    if matches!(args.target, TargetKind::Raw) && args.raw_dir.is_none() {
        return Err("--target raw needs --raw-dir".into());
    }
    let signer = (args.target != TargetKind::Raw).then(|| Signer {
        access_key: args.access_key.clone(),
        secret_key: args.secret_key.clone(),
        region: args.region.clone(),
        unsigned_payload: args.unsigned_payload,
        sign_payload_up_to: args.sign_payload_up_to,
    });
    let base = Ctx {
        kind: args.target,
        addr,
        signer,
        raw_dir: args.raw_dir.clone(),
        bucket: args.bucket.clone(),
        list_bucket: format!("{}-list", args.bucket),
        workload: args.workload,
        size: 0,
        part_size: args.part_size,
        concurrency: 1,
        objects: 0,
        page_size: args.page_size,
        list_keys: args.list_keys,
        run_id: 0,
        verify: args.verify,
        expected: Vec::new(),
    };
    if !args.skip_setup {
        create_bucket(&base, &base.bucket)
            .await
            .map_err(|e| format!("create bucket: {e}"))?;
        if matches!(args.workload, Workload::List | Workload::All) && args.target == TargetKind::S3
        {
            create_bucket(&base, &base.list_bucket)
                .await
                .map_err(|e| format!("create bucket: {e}"))?;
        }
    }
    let workloads = if args.workload == Workload::All {
        vec![
            Workload::PutSmall,
            Workload::GetSmall,
            Workload::PutLarge,
            Workload::GetLarge,
            Workload::List,
            Workload::PutWhole,
            Workload::Multipart,
        ]
    } else {
        vec![args.workload]
    };
    let mut records = Vec::new();
    print_header();
    for workload in workloads {
        if !workload.supported_by(args.target) {
            continue;
        }
        for &concurrency in &args.concurrency {
            let too_many = !workload.is_small() && concurrency > args.max_large_concurrency;
            // One whole-object PUT is the multipart baseline: concurrency 1 only.
            if too_many || (workload == Workload::PutWhole && concurrency != 1) {
                continue;
            }
            let record = run_point(&args, &base, workload, concurrency).await;
            print_record(&record);
            records.push(record);
        }
    }
    if let Some(path) = &args.json {
        let mut all: Vec<Record> = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        all.extend(records);
        let text = serde_json::to_vec_pretty(&all).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Report(args)) = cli.command {
        return match report::report(&args) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("s4-bench report: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli.run)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("s4-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
