//! The metrics endpoint: Prometheus text format on its own listen address (`--metrics-listen`),
//! so that it can stay on a private interface while S3 is public. It answers `GET /metrics`
//! without authentication and 404 to anything else.
//!
//! The series come from the service's [`Metrics`] (requests, latency, bytes, in-flight and
//! rejected requests, per-bucket storage totals) plus the connection gauge kept here, because
//! only the accept loops see connections. When the backend keeps usage counters, each scrape
//! reads them first, so the per-bucket totals are current to the scrape (see `usage.rs`).
//! On the embedded backend, the integrity series (scrubs and damaged reads) come from the
//! store's own counters.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use s4_service::Metrics;
use s4_storage::ObjectStore;
use tokio::net::TcpListener;

/// HTTP connections being served on the S3/IAM listeners (after the TLS handshake).
static OPEN_CONNECTIONS: AtomicI64 = AtomicI64::new(0);
/// HTTP connections served since the start: its rate against the request rate shows whether
/// clients keep their connections alive (a client that sends `Connection: close` on every
/// upload makes it grow with the requests).
static SERVED_CONNECTIONS: AtomicU64 = AtomicU64::new(0);
/// Connections refused at accept because `max_connections` were open.
static REFUSED_CONNECTIONS: AtomicU64 = AtomicU64::new(0);

/// Counts a connection refused by the overload limit (`s4_rejected_connections_total`).
pub fn connection_refused() {
    REFUSED_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
}

/// Counts one open connection (`s4_open_connections`) until dropped, and one more served
/// (`s4_connections_total`). The accept loop holds one for each connection it serves.
#[derive(Debug)]
#[must_use = "the connection counts as open until the guard is dropped"]
pub struct OpenConnection(());

impl OpenConnection {
    pub fn new() -> Self {
        OPEN_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
        SERVED_CONNECTIONS.fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        OPEN_CONNECTIONS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Everything the endpoint shows, in the text exposition format.
pub fn render(metrics: &Metrics) -> String {
    let mut text = metrics.render();
    let connections = [
        (
            "s4_open_connections",
            "gauge",
            "HTTP connections being served.",
            OPEN_CONNECTIONS.load(Ordering::Relaxed).to_string(),
        ),
        (
            "s4_connections_total",
            "counter",
            "HTTP connections served since the start.",
            SERVED_CONNECTIONS.load(Ordering::Relaxed).to_string(),
        ),
        (
            "s4_rejected_connections_total",
            "counter",
            "Connections refused because max_connections were open.",
            REFUSED_CONNECTIONS.load(Ordering::Relaxed).to_string(),
        ),
    ];
    for (name, kind, help, value) in connections {
        let _ = writeln!(
            text,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    text
}

/// The series about the build, the process and the data dir's filesystem: `s4_build_info`,
/// `process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_open_fds` and
/// `s4_data_dir_free_bytes` (when the server has a local data or spool dir).
pub fn render_host(text: &mut String, data_dir: Option<&std::path::Path>) {
    text.push_str(
        "# HELP s4_build_info The running build: version and source commit.\n\
         # TYPE s4_build_info gauge\n",
    );
    let _ = writeln!(
        text,
        "s4_build_info{{version=\"{}\",commit=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION"),
        env!("S4_BUILD_COMMIT")
    );
    if let Some(stats) = crate::host_stats::process() {
        let _ = write!(
            text,
            "# HELP process_cpu_seconds_total User and system CPU time spent, in seconds.\n\
             # TYPE process_cpu_seconds_total counter\n\
             process_cpu_seconds_total {}\n\
             # HELP process_resident_memory_bytes Resident memory size in bytes.\n\
             # TYPE process_resident_memory_bytes gauge\n\
             process_resident_memory_bytes {}\n\
             # HELP process_open_fds Open file descriptors.\n\
             # TYPE process_open_fds gauge\n\
             process_open_fds {}\n",
            stats.cpu_seconds, stats.resident_bytes, stats.open_fds
        );
    }
    if let Some(free) = data_dir.and_then(|d| crate::host_stats::free_bytes(d).ok()) {
        let _ = write!(
            text,
            "# HELP s4_data_dir_free_bytes Bytes still free for the server on the data dir's filesystem.\n\
             # TYPE s4_data_dir_free_bytes gauge\n\
             s4_data_dir_free_bytes {free}\n"
        );
    }
}

/// The embedded backend's integrity series: scrubs run, what the last one found, bytes
/// scrubbed, and GETs cut because the bytes did not match the ETag.
pub fn render_integrity(text: &mut String, stats: &s4_storage_fs::IntegrityStats) {
    let _ = write!(
        text,
        "# HELP s4_scrub_runs_total Scrubs completed since the server started.\n\
         # TYPE s4_scrub_runs_total counter\n\
         s4_scrub_runs_total {}\n\
         # HELP s4_scrub_damaged_objects Damaged objects and parts the last completed scrub found.\n\
         # TYPE s4_scrub_damaged_objects gauge\n\
         s4_scrub_damaged_objects {}\n\
         # HELP s4_scrub_last_completed_timestamp_seconds When the last scrub completed (0: none yet).\n\
         # TYPE s4_scrub_last_completed_timestamp_seconds gauge\n\
         s4_scrub_last_completed_timestamp_seconds {}\n\
         # HELP s4_scrub_read_bytes_total Bytes read by scrubs.\n\
         # TYPE s4_scrub_read_bytes_total counter\n\
         s4_scrub_read_bytes_total {}\n\
         # HELP s4_damaged_reads_total GETs whose bytes did not match the object's ETag (the body was cut).\n\
         # TYPE s4_damaged_reads_total counter\n\
         s4_damaged_reads_total {}\n",
        stats.scrubs,
        stats.last_scrub_damaged,
        stats.last_scrub_completed,
        stats.scrubbed_bytes,
        stats.damaged_reads
    );
}

/// Binds the metrics address; the caller prints where it listens.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// How long a scrape waits for the backend's usage counters before rendering the previous
/// totals (and counting a failure).
const COUNTER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `GET /metrics` on `listener` until the task is aborted. With `counters`, every
/// scrape first reads the backend's per-bucket usage counters into `metrics`; with
/// `embedded`, it shows that store's integrity series.
pub async fn serve(
    listener: TcpListener,
    metrics: Metrics,
    counters: Option<Arc<dyn ObjectStore>>,
    data_dir: Option<std::path::PathBuf>,
    embedded: Option<s4_storage_fs::FsStore>,
) {
    let data_dir = data_dir.map(Arc::new);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let metrics = metrics.clone();
        let counters = counters.clone();
        let data_dir = data_dir.clone();
        let embedded = embedded.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let metrics = metrics.clone();
                let counters = counters.clone();
                let data_dir = data_dir.clone();
                let integrity = embedded.as_ref().map(s4_storage_fs::FsStore::integrity);
                async move {
                    if let Some(store) = counters.filter(|_| is_scrape(&request)) {
                        refresh_usage(&*store, &metrics).await;
                    }
                    Ok::<_, std::convert::Infallible>(answer(
                        &request,
                        &metrics,
                        data_dir.as_deref().map(std::path::PathBuf::as_path),
                        integrity.as_ref(),
                    ))
                }
            });
            if let Err(error) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "metrics connection failed");
            }
        });
    }
}

fn is_scrape(request: &Request<Incoming>) -> bool {
    matches!(*request.method(), Method::GET | Method::HEAD) && request.uri().path() == "/metrics"
}

async fn refresh_usage(store: &dyn ObjectStore, metrics: &Metrics) {
    match tokio::time::timeout(COUNTER_READ_TIMEOUT, crate::usage::read_quotas(store)).await {
        Ok(Ok(figures)) => metrics.set_account_quotas(figures),
        Ok(Err(error)) => tracing::warn!(%error, "reading the storage quotas failed"),
        Err(_) => tracing::warn!("reading the storage quotas timed out"),
    }
    match tokio::time::timeout(COUNTER_READ_TIMEOUT, crate::usage::read_counters(store)).await {
        Ok(Ok(snapshot)) => metrics.set_usage(snapshot),
        Ok(Err(error)) => {
            metrics.record_usage_sweep_failure();
            tracing::warn!(%error, "reading the usage counters failed");
        }
        Err(_) => {
            metrics.record_usage_sweep_failure();
            tracing::warn!("reading the usage counters timed out");
        }
    }
}

fn answer(
    request: &Request<Incoming>,
    metrics: &Metrics,
    data_dir: Option<&std::path::Path>,
    integrity: Option<&s4_storage_fs::IntegrityStats>,
) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match (request.method(), request.uri().path()) {
        (&Method::GET | &Method::HEAD, "/metrics") => {
            let mut text = render(metrics);
            render_host(&mut text, data_dir);
            if let Some(stats) = integrity {
                render_integrity(&mut text, stats);
            }
            (
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                text,
            )
        }
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: the metrics are at /metrics\n".to_owned(),
        ),
    };
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_gauge_follows_the_guards() {
        let metrics = Metrics::new();
        let value = |series: &str| {
            render(&metrics)
                .lines()
                .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap()
        };
        // No other unit test creates guards, so the series move by exactly ours.
        let (open, served) = (value("s4_open_connections"), value("s4_connections_total"));
        let a = OpenConnection::new();
        let b = OpenConnection::new();
        assert_eq!(value("s4_open_connections"), open + 2);
        drop(a);
        assert_eq!(value("s4_open_connections"), open + 1);
        drop(b);
        assert_eq!(value("s4_open_connections"), open);
        assert_eq!(value("s4_connections_total"), served + 2);
        let before = value("s4_rejected_connections_total");
        connection_refused();
        assert_eq!(value("s4_rejected_connections_total"), before + 1);
    }
}
