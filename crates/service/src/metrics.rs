//! Prometheus metrics: a small hand-written registry of atomics and label maps, rendered in
//! the Prometheus text exposition format (version 0.0.4).
//!
//! Why hand-written rather than the `prometheus-client` crate: the service needs a dozen
//! series with at most three labels, all known at compile time, and rendering them is fifty
//! lines; a registry crate would add a dependency (and its own encoding rules) to a crate that
//! is embedded elsewhere, for no behaviour we need.
//!
//! Every [`crate::S4Service`] owns one [`Metrics`] ([`crate::S4Service::metrics`]); cloning
//! shares it. The service records each request where it emits its `s4::access` event, so the
//! counters and the access log always agree. What the service cannot see is recorded by its
//! host through the other methods: [`Metrics::record_rejected`] for requests refused before
//! they reach the service (overload), [`Metrics::set_usage`] for the storage totals read from
//! the backend's usage counters (or counted by a listing sweep).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

/// Upper bounds, in seconds, of the request latency histogram's buckets (`+Inf` follows).
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// A shared handle on the server's metrics. Cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Registry>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Registry {
    /// (operation, status) → count.
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// operation → per-operation figures.
    operations: Mutex<BTreeMap<&'static str, OperationFigures>>,
    in_flight: AtomicI64,
    /// reason → count.
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    /// reason (the error code, or `Expired`) → count.
    auth_failures: Mutex<BTreeMap<&'static str, u64>>,
    usage: Mutex<Option<UsageSnapshot>>,
    usage_sweep_failures: AtomicU64,
    /// account → requests refused for the account's request rate.
    rate_limited: Mutex<BTreeMap<s4_naming::AccountId, u64>>,
    /// (account, limit) → writes refused by the account's storage quota.
    quota_refusals: Mutex<BTreeMap<(s4_naming::AccountId, &'static str), u64>>,
    /// The accounts with a storage quota, as last read from the store.
    account_quotas: Mutex<Vec<AccountQuotaFigures>>,
}

#[derive(Default)]
struct OperationFigures {
    bytes_in: u64,
    bytes_out: u64,
    /// Cumulative counts per bucket of [`LATENCY_BUCKETS`] are computed at render time; this
    /// holds the non-cumulative counts, the last slot being `+Inf`.
    latency_buckets: [u64; LATENCY_BUCKETS.len() + 1],
    latency_sum: f64,
    latency_count: u64,
}

/// The storage held by one bucket, as a listing counted it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BucketUsage {
    /// The owning account's ID.
    pub account: String,
    pub bucket: String,
    pub objects: u64,
    pub bytes: u64,
    /// Multipart uploads initiated and neither completed nor aborted.
    pub uploads_in_progress: u64,
}

/// One account's storage quota next to its usage, as the store last reported them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountQuotaFigures {
    /// The account's ID.
    pub account: String,
    /// Its `max-bytes` limit; `None` when only other limits are set.
    pub max_bytes: Option<u64>,
    /// Object bytes plus the bytes of parts of uploads in progress.
    pub used_bytes: u64,
}

/// The result of one storage sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageSnapshot {
    pub buckets: Vec<BucketUsage>,
    /// When the sweep finished.
    pub completed: OffsetDateTime,
    /// How long it took.
    pub duration: Duration,
}

/// Decrements the in-flight gauge when dropped; see [`Metrics::request_started`].
#[derive(Debug)]
#[must_use = "the request counts as in flight until the guard is dropped"]
pub struct InFlight(Metrics);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.inner.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a request as in flight (`s4_in_flight_requests`) until the guard drops.
    pub fn request_started(&self) -> InFlight {
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Records one answered request: `s4_requests_total{operation,status}`,
    /// `s4_request_duration_seconds{operation}`, `s4_received_bytes_total{operation}` and
    /// `s4_sent_bytes_total{operation}`. `operation` is the S3 or IAM operation name, or `-`
    /// when the request failed before it was known.
    pub fn record_request(
        &self,
        operation: &'static str,
        status: u16,
        bytes_in: u64,
        bytes_out: u64,
        latency: Duration,
    ) {
        *lock(&self.inner.requests)
            .entry((operation, status))
            .or_default() += 1;
        let seconds = latency.as_secs_f64();
        let slot = LATENCY_BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        let mut operations = lock(&self.inner.operations);
        let figures = operations.entry(operation).or_default();
        figures.bytes_in += bytes_in;
        figures.bytes_out += bytes_out;
        figures.latency_buckets[slot] += 1;
        figures.latency_sum += seconds;
        figures.latency_count += 1;
    }

    /// Counts a request refused before the service saw it (`s4_rejected_requests_total`),
    /// e.g. by an overload limiter; `reason` is a short fixed label such as `"overload"`.
    pub fn record_rejected(&self, reason: &'static str) {
        *lock(&self.inner.rejected).entry(reason).or_default() += 1;
    }

    /// Counts a request whose signature was refused (`s4_auth_failures_total`); `reason` is
    /// the error code (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, ...) or `Expired`.
    pub fn record_auth_failure(&self, reason: &'static str) {
        *lock(&self.inner.auth_failures).entry(reason).or_default() += 1;
    }

    /// Counts a request refused for its account's request rate
    /// (`s4_rate_limited_total{account}`, see [`crate::rate_limit`]).
    pub fn record_rate_limited(&self, account: &s4_naming::AccountId) {
        *lock(&self.inner.rate_limited).entry(*account).or_default() += 1;
    }

    /// Counts a write refused by the account's storage quota
    /// (`s4_quota_refusals_total{account,limit}`); `limit` is `max_bytes`, `max_objects` or
    /// `max_buckets`.
    pub fn record_quota_refusal(&self, account: &s4_naming::AccountId, limit: &'static str) {
        *lock(&self.inner.quota_refusals)
            .entry((*account, limit))
            .or_default() += 1;
    }

    /// Replaces the quota and usage figures of the accounts with a quota
    /// (`s4_account_quota_bytes`, `s4_account_used_bytes`).
    pub fn set_account_quotas(&self, figures: Vec<AccountQuotaFigures>) {
        *lock(&self.inner.account_quotas) = figures;
    }

    /// Replaces the per-bucket storage totals with a new sweep's result.
    pub fn set_usage(&self, snapshot: UsageSnapshot) {
        *lock(&self.inner.usage) = Some(snapshot);
    }

    /// Counts a storage sweep that failed (`s4_usage_sweep_failures_total`); the previous
    /// totals stay in place.
    pub fn record_usage_sweep_failure(&self) {
        self.inner
            .usage_sweep_failures
            .fetch_add(1, Ordering::Relaxed);
    }

    /// How many requests with `operation` answered `status` so far.
    pub fn requests(&self, operation: &str, status: u16) -> u64 {
        lock(&self.inner.requests)
            .iter()
            .filter(|((op, st), _)| *op == operation && *st == status)
            .map(|(_, n)| *n)
            .sum()
    }

    /// Every series in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_requests(&mut out);
        self.render_rate_limited(&mut out);
        self.render_quotas(&mut out);
        self.render_usage(&mut out);
        out
    }

    fn render_requests(&self, out: &mut String) {
        header(
            out,
            "s4_requests_total",
            "counter",
            "Requests answered, by operation and HTTP status.",
        );
        for ((operation, status), n) in lock(&self.inner.requests).iter() {
            let _ = writeln!(
                out,
                "s4_requests_total{{operation=\"{}\",status=\"{status}\"}} {n}",
                escape(operation)
            );
        }
        let operations = lock(&self.inner.operations);
        header(
            out,
            "s4_request_duration_seconds",
            "histogram",
            "Time from the request head to the response head, by operation.",
        );
        for (operation, figures) in operations.iter() {
            let op = escape(operation);
            let mut cumulative = 0;
            for (i, count) in figures.latency_buckets.iter().enumerate() {
                cumulative += count;
                let le = LATENCY_BUCKETS
                    .get(i)
                    .map_or_else(|| "+Inf".to_owned(), ToString::to_string);
                let _ = writeln!(
                    out,
                    "s4_request_duration_seconds_bucket{{operation=\"{op}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "s4_request_duration_seconds_sum{{operation=\"{op}\"}} {}",
                figures.latency_sum
            );
            let _ = writeln!(
                out,
                "s4_request_duration_seconds_count{{operation=\"{op}\"}} {}",
                figures.latency_count
            );
        }
        header(
            out,
            "s4_received_bytes_total",
            "counter",
            "Request body bytes read, by operation.",
        );
        for (operation, figures) in operations.iter() {
            let _ = writeln!(
                out,
                "s4_received_bytes_total{{operation=\"{}\"}} {}",
                escape(operation),
                figures.bytes_in
            );
        }
        header(
            out,
            "s4_sent_bytes_total",
            "counter",
            "Response body bytes announced (Content-Length), by operation.",
        );
        for (operation, figures) in operations.iter() {
            let _ = writeln!(
                out,
                "s4_sent_bytes_total{{operation=\"{}\"}} {}",
                escape(operation),
                figures.bytes_out
            );
        }
        drop(operations);
        header(
            out,
            "s4_in_flight_requests",
            "gauge",
            "Requests being handled (up to their response head).",
        );
        let _ = writeln!(
            out,
            "s4_in_flight_requests {}",
            self.inner.in_flight.load(Ordering::Relaxed)
        );
        header(
            out,
            "s4_rejected_requests_total",
            "counter",
            "Requests refused before reaching the service, by reason.",
        );
        for (reason, n) in lock(&self.inner.rejected).iter() {
            let _ = writeln!(
                out,
                "s4_rejected_requests_total{{reason=\"{}\"}} {n}",
                escape(reason)
            );
        }
        header(
            out,
            "s4_auth_failures_total",
            "counter",
            "Requests whose signature was refused, by reason (error code, or Expired).",
        );
        for (reason, n) in lock(&self.inner.auth_failures).iter() {
            let _ = writeln!(
                out,
                "s4_auth_failures_total{{reason=\"{}\"}} {n}",
                escape(reason)
            );
        }
    }

    fn render_rate_limited(&self, out: &mut String) {
        header(
            out,
            "s4_rate_limited_total",
            "counter",
            "Requests refused with SlowDown (IAM: Throttling) for their account's request rate, by account.",
        );
        for (account, n) in lock(&self.inner.rate_limited).iter() {
            let _ = writeln!(out, "s4_rate_limited_total{{account=\"{account}\"}} {n}");
        }
    }

    fn render_quotas(&self, out: &mut String) {
        header(
            out,
            "s4_quota_refusals_total",
            "counter",
            "Writes refused by the account's storage quota, by account and limit.",
        );
        for ((account, limit), n) in lock(&self.inner.quota_refusals).iter() {
            let _ = writeln!(
                out,
                "s4_quota_refusals_total{{account=\"{account}\",limit=\"{limit}\"}} {n}"
            );
        }
        let figures = lock(&self.inner.account_quotas);
        header(
            out,
            "s4_account_quota_bytes",
            "gauge",
            "The account's max-bytes storage quota, for accounts with one.",
        );
        for f in figures.iter() {
            if let Some(max) = f.max_bytes {
                let _ = writeln!(
                    out,
                    "s4_account_quota_bytes{{account=\"{}\"}} {max}",
                    escape(&f.account)
                );
            }
        }
        header(
            out,
            "s4_account_used_bytes",
            "gauge",
            "Bytes the account's storage quota counts (objects and parts of uploads in progress), for accounts with a quota.",
        );
        for f in figures.iter() {
            let _ = writeln!(
                out,
                "s4_account_used_bytes{{account=\"{}\"}} {}",
                escape(&f.account),
                f.used_bytes
            );
        }
    }

    fn render_usage(&self, out: &mut String) {
        let usage = lock(&self.inner.usage);
        let buckets = usage.as_ref().map_or(&[][..], |u| u.buckets.as_slice());
        let series: [(&str, &str, UsageField); 3] = [
            (
                "s4_bucket_objects",
                "Objects in the bucket, as last read from the storage counters (or sweep).",
                |b| b.objects,
            ),
            (
                "s4_bucket_bytes",
                "Bytes of object data in the bucket, as last read from the storage counters (or sweep).",
                |b| b.bytes,
            ),
            (
                "s4_bucket_multipart_uploads",
                "Multipart uploads in progress in the bucket, as last read from the storage counters (or sweep).",
                |b| b.uploads_in_progress,
            ),
        ];
        for (name, help, value) in series {
            header(out, name, "gauge", help);
            for b in buckets {
                let _ = writeln!(
                    out,
                    "{name}{{account=\"{}\",bucket=\"{}\"}} {}",
                    escape(&b.account),
                    escape(&b.bucket),
                    value(b)
                );
            }
        }
        header(
            out,
            "s4_multipart_uploads_in_progress",
            "gauge",
            "Multipart uploads in progress in all buckets, as last read from the storage counters (or sweep).",
        );
        let _ = writeln!(
            out,
            "s4_multipart_uploads_in_progress {}",
            buckets.iter().map(|b| b.uploads_in_progress).sum::<u64>()
        );
        header(
            out,
            "s4_usage_sweep_timestamp_seconds",
            "gauge",
            "Unix time the storage totals were last read (0: not yet).",
        );
        let _ = writeln!(
            out,
            "s4_usage_sweep_timestamp_seconds {}",
            usage.as_ref().map_or(0, |u| u.completed.unix_timestamp())
        );
        header(
            out,
            "s4_usage_sweep_duration_seconds",
            "gauge",
            "How long the last successful storage sweep took.",
        );
        let _ = writeln!(
            out,
            "s4_usage_sweep_duration_seconds {}",
            usage.as_ref().map_or(0.0, |u| u.duration.as_secs_f64())
        );
        header(
            out,
            "s4_usage_sweep_failures_total",
            "counter",
            "Storage sweeps that failed.",
        );
        let _ = writeln!(
            out,
            "s4_usage_sweep_failures_total {}",
            self.inner.usage_sweep_failures.load(Ordering::Relaxed)
        );
    }
}

/// Reads one figure of a bucket's usage.
type UsageField = fn(&BucketUsage) -> u64;

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the text format wants it: backslash, double quote and newline escaped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, series: &str) -> Option<&'a str> {
        text.lines()
            .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
            .map(|l| &l[series.len() + 1..])
    }

    #[test]
    fn requests_histograms_and_bytes() {
        let m = Metrics::new();
        m.record_request("PutObject", 200, 10, 0, Duration::from_millis(3));
        m.record_request("PutObject", 200, 5, 0, Duration::from_secs(100));
        m.record_request("GetObject", 404, 0, 250, Duration::from_millis(20));
        let text = m.render();
        assert_eq!(
            line(
                &text,
                "s4_requests_total{operation=\"PutObject\",status=\"200\"}"
            ),
            Some("2")
        );
        assert_eq!(m.requests("GetObject", 404), 1);
        let bucket = |le: &str| {
            line(
                &text,
                &format!(
                    "s4_request_duration_seconds_bucket{{operation=\"PutObject\",le=\"{le}\"}}"
                ),
            )
        };
        assert_eq!(bucket("0.001"), Some("0"));
        assert_eq!(bucket("0.005"), Some("1"));
        assert_eq!(bucket("60"), Some("1"));
        assert_eq!(bucket("+Inf"), Some("2"));
        assert_eq!(
            line(
                &text,
                "s4_request_duration_seconds_count{operation=\"PutObject\"}"
            ),
            Some("2")
        );
        assert_eq!(
            line(&text, "s4_received_bytes_total{operation=\"PutObject\"}"),
            Some("15")
        );
        assert_eq!(
            line(&text, "s4_sent_bytes_total{operation=\"GetObject\"}"),
            Some("250")
        );
    }

    #[test]
    fn in_flight_rejected_and_usage() {
        let m = Metrics::new();
        let guard = m.request_started();
        let other = m.request_started();
        assert_eq!(line(&m.render(), "s4_in_flight_requests"), Some("2"));
        drop(guard);
        drop(other);
        assert_eq!(line(&m.render(), "s4_in_flight_requests"), Some("0"));
        m.record_rejected("overload");
        m.record_rejected("overload");
        assert_eq!(
            line(
                &m.render(),
                "s4_rejected_requests_total{reason=\"overload\"}"
            ),
            Some("2")
        );
        assert_eq!(
            line(&m.render(), "s4_usage_sweep_timestamp_seconds"),
            Some("0")
        );
        m.set_usage(UsageSnapshot {
            buckets: vec![
                BucketUsage {
                    account: "123456789012345".into(),
                    bucket: "a".into(),
                    objects: 3,
                    bytes: 300,
                    uploads_in_progress: 1,
                },
                BucketUsage {
                    account: "123456789012345".into(),
                    bucket: "b\"x".into(),
                    objects: 0,
                    bytes: 0,
                    uploads_in_progress: 2,
                },
            ],
            completed: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            duration: Duration::from_millis(5),
        });
        let text = m.render();
        assert_eq!(
            line(
                &text,
                "s4_bucket_bytes{account=\"123456789012345\",bucket=\"a\"}"
            ),
            Some("300")
        );
        assert_eq!(
            line(
                &text,
                "s4_bucket_objects{account=\"123456789012345\",bucket=\"b\\\"x\"}"
            ),
            Some("0")
        );
        assert_eq!(line(&text, "s4_multipart_uploads_in_progress"), Some("3"));
        assert_eq!(
            line(&text, "s4_usage_sweep_timestamp_seconds"),
            Some("1700000000")
        );
    }
}
