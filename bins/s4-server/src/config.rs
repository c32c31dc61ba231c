//! Configuration: flags, `S4_*` environment variables and an optional TOML file, with the
//! precedence flag > environment > file > default. clap resolves flag > environment; the file
//! fills only what neither gave.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

/// Command-line flags and their environment variables. Every field is optional here so that a
/// value absent from both can still come from the file.
#[derive(Debug, Parser)]
#[command(
    name = "s4-server",
    version,
    about = "S3- and IAM-compatible object store (S4 dialect)"
)]
pub struct Cli {
    /// A TOML configuration file; flags and environment variables override its fields.
    #[arg(long, env = "S4_CONFIG")]
    pub config: Option<PathBuf>,

    /// Where data and metadata live [default: ./data]. With --meta, either a directory every
    /// server of the cluster shares, or `s3://bucket/prefix`: object bytes in a bucket of an
    /// S3-compatible endpoint (see --data-s3-endpoint). Also read from S4_DATA.
    #[arg(long, visible_alias = "data", env = "S4_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Scale-out: the PostgreSQL URL holding the metadata (`postgres://user@host/db`); object
    /// bytes then go to the data dir, which every server of the cluster shares, or to the
    /// S3 bucket named by `--data s3://...`. Unset: the embedded backend.
    #[arg(long, env = "S4_META")]
    pub meta: Option<String>,

    /// With --meta: the longest wait for a database connection (taken from the pool, or
    /// made); past it a request answers 503 ServiceUnavailable, as seconds or with a unit.
    /// Keep it below --body-idle-timeout [default: 10s].
    #[arg(long, env = "S4_META_TIMEOUT", value_parser = parse_age)]
    pub meta_timeout: Option<Duration>,

    /// With `--data s3://...`: the endpoint of the S3-compatible service holding the bytes,
    /// `http://host:port` (plain HTTP: the byte-store client is built without TLS).
    #[arg(long, env = "S4_DATA_S3_ENDPOINT")]
    pub data_s3_endpoint: Option<String>,

    /// With `--data s3://...`: the region to sign for [default: us-east-1].
    #[arg(long, env = "S4_DATA_S3_REGION")]
    pub data_s3_region: Option<String>,

    /// With `--data s3://...`: the access key id for the endpoint; the secret comes from the
    /// environment variable S4_DATA_S3_SECRET_KEY only.
    #[arg(long, env = "S4_DATA_S3_ACCESS_KEY")]
    pub data_s3_access_key: Option<String>,

    /// With `--data s3://...`: a local directory where each body is spooled before its
    /// upload (deleted after it) [default: a per-process directory under the temp dir].
    #[arg(long, env = "S4_DATA_S3_SPOOL_DIR")]
    pub data_s3_spool_dir: Option<PathBuf>,

    /// With `--data s3://...`: the longest one request to the byte store may take, retries
    /// included (for a PUT, until the whole body is acknowledged, so it also bounds the
    /// largest body: size / upstream throughput); past it the request answers 503
    /// ServiceUnavailable. Seconds or with a unit [default: 60s].
    #[arg(long, env = "S4_DATA_S3_TIMEOUT", value_parser = parse_age)]
    pub data_s3_timeout: Option<Duration>,

    /// The address to listen on, `host:port` with an IP address (`[::1]:9000`) or a host name
    /// (`localhost:9000`; its first IPv4 address) [default: 127.0.0.1:9000].
    #[arg(long, env = "S4_LISTEN")]
    pub listen: Option<String>,

    /// The endpoint domain: the server answers s3.<domain>, <bucket>.s3.<domain> and
    /// iam.<domain>, plus IP and localhost hosts [default: s4.localhost].
    #[arg(long, env = "S4_DOMAIN")]
    pub domain: Option<String>,

    /// The region name reported to clients [default: us-east-1]. Any region in a request's
    /// credential scope is accepted.
    #[arg(long, env = "S4_REGION")]
    pub region: Option<String>,

    /// Log format: `pretty` or `json` [default: pretty].
    #[arg(long, env = "S4_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,

    /// Which events are logged, as a `tracing` filter: a level (`info`), or targets with
    /// levels (`info,s4::access=warn`) [default: info].
    #[arg(long, env = "S4_LOG")]
    pub log: Option<String>,

    /// Age after which an abandoned multipart upload is aborted and its parts released, as
    /// seconds or with a unit: `90s`, `30m`, `12h`, `7d` [default: 7d].
    #[arg(long, env = "S4_MULTIPART_EXPIRY", value_parser = parse_age)]
    pub multipart_expiry: Option<Duration>,

    /// An HTTPS listen address, served side by side with the HTTP one; needs --tls-cert and
    /// --tls-key.
    #[arg(long, env = "S4_TLS_LISTEN")]
    pub tls_listen: Option<String>,

    /// PEM certificate chain for HTTPS (reloaded on SIGHUP).
    #[arg(long, env = "S4_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for HTTPS (reloaded on SIGHUP).
    #[arg(long, env = "S4_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// Serve Prometheus metrics at http://<address>/metrics, apart from S3 [default: off].
    #[arg(long, env = "S4_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,

    /// How often the per-bucket storage totals shown as metrics are recounted by listing, as
    /// seconds or with a unit [default: 60s].
    #[arg(long, env = "S4_USAGE_SWEEP_INTERVAL", value_parser = parse_age)]
    pub usage_sweep_interval: Option<Duration>,

    /// Memory for the embedded backend's metadata page cache, in MiB (small objects live in
    /// their metadata records, so this bounds what they keep resident) [default: 64].
    #[arg(long, env = "S4_METADATA_CACHE_MIB", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub metadata_cache_mib: Option<u64>,

    /// On SIGINT or SIGTERM, how long in-flight requests may take to finish before they are
    /// cut short, as seconds or with a unit; a second signal cuts them short at once
    /// [default: 10s].
    #[arg(long, env = "S4_SHUTDOWN_GRACE", value_parser = parse_age)]
    pub shutdown_grace: Option<Duration>,

    /// Reverse proxies whose `X-Forwarded-For` header the access log reports, as a
    /// comma-separated list of addresses and CIDR ranges (`10.0.0.0/8,::1`) [default: none].
    #[arg(long, env = "S4_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,

    /// Readiness (`/_s4/health/ready`) fails when the data dir's filesystem has less free
    /// space than this, and (embedded backend) writes that would leave less are refused with
    /// 507 InsufficientStorage (reads and deletes go on): bytes, or with a unit `KiB`, `MiB`,
    /// `GiB`, `TiB`; `0` turns both off [default: 1GiB].
    #[arg(long, env = "S4_MIN_FREE_SPACE", value_parser = parse_size)]
    pub min_free_space: Option<u64>,

    /// Embedded backend: scrub every object's bytes against its MD5 in the background this
    /// often (as `s4-server admin scrub` does), as seconds or with a unit [default: off].
    #[arg(long, env = "S4_SCRUB_INTERVAL", value_parser = parse_age)]
    pub scrub_interval: Option<Duration>,

    /// The background scrub reads at most this many MiB per second [default: 10].
    #[arg(long, env = "S4_SCRUB_MAX_MIB_PER_SECOND", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub scrub_max_mib_per_second: Option<u64>,

    /// The web console at /_s4/console/ on the S3 listeners: on (default) or off.
    #[arg(long, env = "S4_CONSOLE")]
    pub console: Option<Switch>,
    /// Limit every account to this many requests per second, as `N/s` (`500/s`); past it
    /// requests answer 503 SlowDown with Retry-After. Per server process; per-account
    /// overrides with `admin set-rate-limit` [default: off].
    #[arg(long, env = "S4_ACCOUNT_RATE_LIMIT", value_parser = crate::rate_limits::parse_rate)]
    pub account_rate_limit: Option<u32>,

    /// How many requests an account may make at once on top of its rate (the token bucket's
    /// size) [default: one second's worth, the rate's N].
    #[arg(long, env = "S4_ACCOUNT_RATE_BURST", value_parser = clap::value_parser!(u32).range(1..))]
    pub account_rate_burst: Option<u32>,
    /// Embedded backend: `on` checks every whole-object GET against the object's ETag while
    /// it streams and cuts the body short on a mismatch, so damaged bytes are never served as
    /// good; `off` serves them unchecked (faster for large objects; scrubs still find damage)
    /// [default: on].
    #[arg(long, env = "S4_VERIFY_READS", value_parser = parse_switch)]
    pub verify_reads: Option<bool>,

    /// The max-bytes storage quota stored on each account created from now on (at first
    /// start and by `admin create-account`), as a size (`500GiB`); existing accounts keep
    /// their own (`admin set-quota` changes one) [default: unlimited].
    #[arg(long, env = "S4_DEFAULT_MAX_BYTES", value_parser = parse_size)]
    pub default_max_bytes: Option<u64>,

    /// The max-objects quota stored on each account created from now on [default: unlimited].
    #[arg(long, env = "S4_DEFAULT_MAX_OBJECTS")]
    pub default_max_objects: Option<u64>,

    /// The max-buckets quota stored on each account created from now on [default: unlimited].
    #[arg(long, env = "S4_DEFAULT_MAX_BUCKETS")]
    pub default_max_buckets: Option<u64>,

    #[command(flatten)]
    pub limits: crate::limits::LimitArgs,

    #[command(flatten)]
    pub cors: crate::cors::CorsArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands; without one, the server runs.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Administer accounts and keys, on a stopped server's data dir or through the running
    /// server's admin socket.
    Admin {
        #[command(subcommand)]
        command: crate::admin::AdminCommand,
    },
    /// Validate the configuration (file, environment and flags) and print the effective
    /// settings with secrets redacted; exits non-zero if it is invalid.
    CheckConfig,
}

/// A duration: whole seconds, or a number with `s`, `m`, `h` or `d`. Zero is refused.
pub fn parse_age(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let (digits, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => value.split_at(i),
        None => (value, "s"),
    };
    let n: u64 = digits.parse().map_err(|_| {
        format!("invalid duration {value:?}: expected e.g. 3600, 90s, 30m, 12h, 7d")
    })?;
    let seconds = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => None,
    }
    .ok_or_else(|| format!("invalid duration {value:?}: expected e.g. 3600, 90s, 30m, 12h, 7d"))?;
    if seconds == 0 {
        return Err("the duration must be positive".to_owned());
    }
    Ok(Duration::from_secs(seconds))
}

fn deserialize_age<'de, D>(deserializer: D) -> Result<Option<Duration>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Age {
        Seconds(u64),
        Text(String),
    }
    match Option::<Age>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Age::Seconds(n)) => parse_age(&n.to_string())
            .map(Some)
            .map_err(serde::de::Error::custom),
        Some(Age::Text(t)) => parse_age(&t).map(Some).map_err(serde::de::Error::custom),
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

/// An on/off setting (`--console off`, `console = "off"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    On,
    Off,
}

impl Switch {
    pub fn is_on(self) -> bool {
        self == Self::On
    }
}

/// The TOML file: the same fields as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The `[limits]` table.
    pub limits: Option<crate::limits::LimitsFile>,
    /// The `[cors]` table.
    pub cors: Option<crate::cors::CorsFile>,
    #[serde(alias = "data")]
    pub data_dir: Option<PathBuf>,
    pub meta: Option<String>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub meta_timeout: Option<Duration>,
    pub data_s3_endpoint: Option<String>,
    pub data_s3_region: Option<String>,
    pub data_s3_access_key: Option<String>,
    pub data_s3_spool_dir: Option<PathBuf>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub data_s3_timeout: Option<Duration>,
    pub listen: Option<String>,
    pub domain: Option<String>,
    pub region: Option<String>,
    pub log_format: Option<LogFormat>,
    pub log: Option<String>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub multipart_expiry: Option<Duration>,
    pub tls_listen: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub metrics_listen: Option<String>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub usage_sweep_interval: Option<Duration>,
    pub metadata_cache_mib: Option<u64>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub shutdown_grace: Option<Duration>,
    pub trusted_proxies: Option<String>,
    #[serde(default, deserialize_with = "deserialize_size")]
    pub min_free_space: Option<u64>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub scrub_interval: Option<Duration>,
    pub scrub_max_mib_per_second: Option<u64>,
    pub console: Option<Switch>,
    #[serde(default, deserialize_with = "crate::rate_limits::deserialize_rate")]
    pub account_rate_limit: Option<u32>,
    pub account_rate_burst: Option<u32>,
    #[serde(default, deserialize_with = "deserialize_switch")]
    pub verify_reads: Option<bool>,
    #[serde(default, deserialize_with = "deserialize_size")]
    pub default_max_bytes: Option<u64>,
    pub default_max_objects: Option<u64>,
    pub default_max_buckets: Option<u64>,
}

/// The default age of an abandoned multipart upload: 7 days.
pub const DEFAULT_MULTIPART_EXPIRY: Duration = Duration::from_hours(7 * 24);

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Request and connection limits (`[limits]`).
    pub limits: crate::limits::ServerLimits,
    /// Where the bytes (and, for the embedded backend, everything else) live.
    pub data: Data,
    /// The PostgreSQL URL of the scale-out backend; `None`: the embedded backend.
    pub meta: Option<String>,
    /// With `meta`: how long a request waits for a database connection.
    pub meta_timeout: Duration,
    pub listen: SocketAddr,
    pub domain: String,
    pub region: String,
    pub log_format: LogFormat,
    /// The `tracing` filter of the log (checked when the configuration is resolved).
    pub log: String,
    /// Abandoned multipart uploads older than this are aborted.
    pub multipart_expiry: Duration,
    pub tls: Option<TlsConfig>,
    /// Where the Prometheus metrics endpoint listens; `None` serves none.
    pub metrics_listen: Option<SocketAddr>,
    /// How often the metrics' per-bucket storage totals are recounted.
    pub usage_sweep_interval: Duration,
    /// The embedded backend's metadata page cache, in MiB.
    pub metadata_cache_mib: u64,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Proxies whose `X-Forwarded-For` the access log reports.
    pub trusted_proxies: s4_service::TrustedProxies,
    /// Server-wide CORS (`[cors]`; default: no cross-origin access).
    pub cors: s4_service::CorsConfig,
    /// Readiness fails, and the embedded backend refuses writes, below this many free bytes
    /// on the data dir's filesystem.
    pub min_free_space: u64,
    /// How often the embedded backend scrubs in the background; `None`: never.
    pub scrub_interval: Option<Duration>,
    /// The background scrub's read rate limit.
    pub scrub_max_mib_per_second: u64,
    /// Whether the web console is served (`--console`, default on).
    pub console: bool,
    /// The request-rate limit of accounts without an override; `None`: off.
    pub account_rate_limit: Option<s4_storage::RateLimit>,
    /// Whether the embedded backend checks whole-object GETs against their ETag.
    pub verify_reads: bool,
    /// The storage quota stored on each new account (`--default-max-bytes` ...); unlimited
    /// by default.
    pub default_quota: s4_storage::quota::AccountQuota,
}

/// The background scrub's default read rate: 10 MiB/s, a small share of one disk.
pub const DEFAULT_SCRUB_MAX_MIB_PER_SECOND: u64 = 10;

/// `on` or `off` (also `true` or `false`).
pub fn parse_switch(value: &str) -> Result<bool, String> {
    match value.trim() {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        other => Err(format!("expected on or off, not {other:?}")),
    }
}

fn deserialize_switch<'de, D>(deserializer: D) -> Result<Option<bool>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Switch {
        Bool(bool),
        Text(String),
    }
    match Option::<Switch>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Switch::Bool(on)) => Ok(Some(on)),
        Some(Switch::Text(text)) => parse_switch(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// The default free-space floor of readiness: 1 GiB.
pub const DEFAULT_MIN_FREE_SPACE: u64 = 1 << 30;

/// A size: bytes, or a number with `KiB`, `MiB`, `GiB` or `TiB`.
pub fn parse_size(value: &str) -> Result<u64, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, unit) = value.split_at(split);
    let shift = match unit.trim() {
        "" | "B" => 0,
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        "TiB" => 40,
        _ => {
            return Err(format!(
                "invalid size {value:?}: expected e.g. 0, 512MiB, 1GiB"
            ))
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("invalid size {value:?}: expected e.g. 0, 512MiB, 1GiB"))
}

fn deserialize_size<'de, D>(deserializer: D) -> Result<Option<u64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Bytes(u64),
        Text(String),
    }
    match Option::<Size>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Size::Bytes(n)) => Ok(Some(n)),
        Some(Size::Text(t)) => parse_size(&t).map(Some).map_err(serde::de::Error::custom),
    }
}

/// The default shutdown grace period: 10 seconds.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The default metadata page cache of the embedded backend: 64 MiB.
pub const DEFAULT_METADATA_CACHE_MIB: u64 = 64;

/// The default interval of the storage usage sweep: 60 seconds.
pub const DEFAULT_USAGE_SWEEP_INTERVAL: Duration = Duration::from_mins(1);

/// The `data` setting: a local directory, or (scale-out only) a bucket of an S3 endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    Dir(PathBuf),
    S3(S3Data),
}

impl Data {
    /// The local data directory; `None` for an S3 byte store.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Self::Dir(dir) => Some(dir),
            Self::S3(_) => None,
        }
    }

    /// How the setting reads in logs and messages (a directory, or the `s3://` URL).
    pub fn display(&self) -> String {
        match self {
            Self::Dir(dir) => dir.display().to_string(),
            Self::S3(s3) => s3.url(),
        }
    }
}

/// The S3 byte store: `s3://bucket/prefix` plus where and as whom to reach it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Data {
    pub bucket: String,
    /// Prepended to every blob name: empty, or ends with `/`.
    pub prefix: String,
    /// `http://host:port`.
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// `None`: a per-process directory under the temp dir, chosen at start.
    pub spool_dir: Option<PathBuf>,
    /// The longest one request to the byte store may take, retries included.
    pub timeout: Duration,
}

impl S3Data {
    /// `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

impl std::fmt::Debug for S3Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Data")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("spool_dir", &self.spool_dir)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Splits `s3://bucket/prefix` into the bucket and the prefix (made to end with `/` when not
/// empty). `Ok(None)`: not an `s3://` URL.
pub fn parse_s3_url(value: &str) -> Result<Option<(String, String)>, ConfigError> {
    let Some(rest) = value.strip_prefix("s3://") else {
        if value.contains("://") {
            return Err(ConfigError::Data(format!(
                "data {value:?}: only a directory or an s3://bucket/prefix URL is supported"
            )));
        }
        return Ok(None);
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    s4_naming::validate_bucket_name(bucket)
        .map_err(|e| ConfigError::Data(format!("data {value:?}: invalid bucket name: {e}")))?;
    if prefix.contains(['?', '#']) || prefix.starts_with('/') {
        return Err(ConfigError::Data(format!(
            "data {value:?}: the prefix must be a plain path (no query, fragment or leading '/')"
        )));
    }
    let mut prefix = prefix.to_owned();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    Ok(Some((bucket.to_owned(), prefix)))
}

/// Settings read from the environment only (not through clap): the `S4_DATA` alias of
/// `S4_DATA_DIR`, and the S3 byte store's secret key, which never comes from a flag (visible
/// in the process list) or the file.
#[derive(Debug, Default, Clone)]
pub struct EnvOnly {
    /// `S4_DATA`.
    pub data: Option<PathBuf>,
    /// `S4_DATA_S3_SECRET_KEY`.
    pub data_s3_secret_key: Option<String>,
}

impl EnvOnly {
    pub fn from_env() -> Self {
        Self {
            data: std::env::var_os("S4_DATA")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            data_s3_secret_key: std::env::var("S4_DATA_S3_SECRET_KEY")
                .ok()
                .filter(|v| !v.is_empty()),
        }
    }
}

/// HTTPS: where to listen and the PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("HTTPS needs all of tls_listen, tls_cert and tls_key; missing {0}")]
    IncompleteTls(&'static str),
    #[error("invalid limits: {0}")]
    Limits(String),
    #[error("{0}")]
    Data(String),
    #[error("metadata_cache_mib must be at least 1")]
    MetadataCache,
    #[error("domain {value:?}: {reason}")]
    Domain { value: String, reason: &'static str },
    #[error("log {value:?} (--log / S4_LOG) is not a valid filter: {message}")]
    LogFilter { value: String, message: String },
    #[error("{field} {value:?}: {message}")]
    Listen {
        field: &'static str,
        value: String,
        message: String,
    },
    #[error("trusted_proxies: {0}")]
    TrustedProxies(String),
    #[error("{0}")]
    RateLimit(String),
    #[error("{0}")]
    Cors(String),
    /// More than one of the above, each reported.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Several(Vec<ConfigError>),
}

impl Config {
    /// The effective settings as TOML, in the file's format. The secrets the server reads
    /// (`S4_ROOT_SECRET_KEY`, `S4_DATA_S3_SECRET_KEY`, a password in the `meta` URL) are shown
    /// as redacted.
    pub fn describe(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let mut data_secret = false;
        match &self.data {
            Data::Dir(dir) => {
                let _ = writeln!(out, "data_dir = {:?}", dir.display().to_string());
            }
            Data::S3(s3) => {
                let _ = writeln!(out, "data = {:?}", s3.url());
                let _ = writeln!(out, "data_s3_endpoint = {:?}", s3.endpoint);
                let _ = writeln!(out, "data_s3_region = {:?}", s3.region);
                let _ = writeln!(out, "data_s3_access_key = {:?}", s3.access_key);
                if let Some(spool) = &s3.spool_dir {
                    let _ = writeln!(out, "data_s3_spool_dir = {:?}", spool.display().to_string());
                }
                let _ = writeln!(out, "data_s3_timeout = {}", s3.timeout.as_secs());
                data_secret = true;
            }
        }
        if let Some(meta) = &self.meta {
            let _ = writeln!(out, "meta = {:?}", redact_password(meta));
            let _ = writeln!(out, "meta_timeout = {}", self.meta_timeout.as_secs());
        }
        let _ = writeln!(out, "listen = \"{}\"", self.listen);
        let _ = writeln!(out, "domain = {:?}", self.domain);
        let _ = writeln!(out, "region = {:?}", self.region);
        let format = match self.log_format {
            LogFormat::Pretty => "pretty",
            LogFormat::Json => "json",
        };
        let _ = writeln!(out, "log_format = \"{format}\"");
        let _ = writeln!(out, "log = {:?}", self.log);
        let _ = writeln!(
            out,
            "multipart_expiry = {}",
            self.multipart_expiry.as_secs()
        );
        if let Some(tls) = &self.tls {
            let _ = writeln!(out, "tls_listen = \"{}\"", tls.listen);
            let _ = writeln!(out, "tls_cert = {:?}", tls.cert.display().to_string());
            let _ = writeln!(out, "tls_key = {:?}", tls.key.display().to_string());
        }
        if let Some(metrics) = self.metrics_listen {
            let _ = writeln!(out, "metrics_listen = \"{metrics}\"");
        }
        let _ = writeln!(
            out,
            "usage_sweep_interval = {}",
            self.usage_sweep_interval.as_secs()
        );
        let _ = writeln!(out, "metadata_cache_mib = {}", self.metadata_cache_mib);
        let _ = writeln!(out, "shutdown_grace = {}", self.shutdown_grace.as_secs());
        let _ = writeln!(out, "min_free_space = {}", self.min_free_space);
        // Embedded backend only: with --meta the field is refused.
        if self.meta.is_none() {
            let switch = if self.verify_reads { "on" } else { "off" };
            let _ = writeln!(out, "verify_reads = \"{switch}\"");
        }
        if let Some(interval) = self.scrub_interval {
            let _ = writeln!(out, "scrub_interval = {}", interval.as_secs());
            let _ = writeln!(
                out,
                "scrub_max_mib_per_second = {}",
                self.scrub_max_mib_per_second
            );
        }
        if !self.trusted_proxies.is_empty() {
            let _ = writeln!(out, "trusted_proxies = \"{}\"", self.trusted_proxies);
        }
        let console = if self.console { "on" } else { "off" };
        let _ = writeln!(out, "console = \"{console}\"");
        if let Some(limit) = self.account_rate_limit {
            let _ = writeln!(
                out,
                "account_rate_limit = \"{}/s\"\naccount_rate_burst = {}",
                limit.requests_per_second, limit.burst
            );
        }
        let quota = &self.default_quota;
        for (name, value) in [
            ("default_max_bytes", quota.max_bytes),
            ("default_max_objects", quota.max_objects),
            ("default_max_buckets", quota.max_buckets),
        ] {
            if let Some(value) = value {
                let _ = writeln!(out, "{name} = {value}");
            }
        }
        if let Ok(id) = std::env::var("S4_ROOT_ACCESS_KEY") {
            let _ = writeln!(out, "# S4_ROOT_ACCESS_KEY = {id:?}");
        }
        if std::env::var_os("S4_ROOT_SECRET_KEY").is_some() {
            let _ = writeln!(out, "# S4_ROOT_SECRET_KEY = <redacted>");
        }
        if data_secret {
            let _ = writeln!(out, "# S4_DATA_S3_SECRET_KEY = <redacted>");
        }
        // A table: after every top-level key.
        out.push_str(&self.limits.describe());
        if self.cors.is_enabled() {
            let c = &self.cors;
            let _ = write!(
                out,
                "\n[cors]\nallow_origins = {:?}\nallow_methods = {:?}\nallow_headers = {:?}\nexpose_headers = {:?}\nmax_age_seconds = {}\n",
                c.allow_origins, c.allow_methods, c.allow_headers, c.expose_headers, c.max_age_seconds
            );
        }
        out
    }

    /// Resolves the effective configuration from parsed flags (with environment) and the file
    /// they name, if any.
    pub fn resolve(cli: &Cli) -> Result<Self, ConfigError> {
        let file = match &cli.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        let env = EnvOnly::from_env();
        if let (Some(alias), Some(dir)) = (&env.data, std::env::var_os("S4_DATA_DIR")) {
            if !dir.is_empty() && alias.as_os_str() != dir {
                return Err(ConfigError::Data(
                    "S4_DATA and S4_DATA_DIR are both set and differ; set one".to_owned(),
                ));
            }
        }
        Self::merge(cli, file, &env)
    }

    /// Every setting by precedence, each checked; all the invalid ones are reported together.
    fn merge(cli: &Cli, file: FileConfig, env: &EnvOnly) -> Result<Self, ConfigError> {
        let mut errors = Vec::new();
        let mut check = |result: Result<(), ConfigError>| {
            if let Err(e) = result {
                errors.push(e);
            }
        };
        let meta = cli.meta.clone().or(file.meta);
        let meta_timeout = cli.meta_timeout.or(file.meta_timeout);
        if meta.is_none() && meta_timeout.is_some() {
            check(Err(ConfigError::Data(
                "meta_timeout is set but meta is not: the embedded backend has no database"
                    .to_owned(),
            )));
        }
        let data = resolve_data(
            cli.data_dir
                .clone()
                .or_else(|| env.data.clone())
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("data")),
            S3Settings {
                endpoint: cli.data_s3_endpoint.clone().or(file.data_s3_endpoint),
                region: cli.data_s3_region.clone().or(file.data_s3_region),
                access_key: cli.data_s3_access_key.clone().or(file.data_s3_access_key),
                secret_key: env.data_s3_secret_key.clone(),
                spool_dir: cli.data_s3_spool_dir.clone().or(file.data_s3_spool_dir),
                timeout: cli.data_s3_timeout.or(file.data_s3_timeout),
            },
            meta.is_some(),
        );
        let listen = resolve_listen("listen", cli.listen.clone().or(file.listen));
        let tls_listen = resolve_listen("tls_listen", cli.tls_listen.clone().or(file.tls_listen));
        let metrics_listen = resolve_listen(
            "metrics_listen",
            cli.metrics_listen.clone().or(file.metrics_listen),
        );
        let tls = match (
            tls_listen.as_ref().ok().copied().flatten(),
            cli.tls_cert.clone().or(file.tls_cert),
            cli.tls_key.clone().or(file.tls_key),
        ) {
            _ if tls_listen.is_err() => Ok(None),
            (None, None, None) => Ok(None),
            (Some(listen), Some(cert), Some(key)) => Ok(Some(TlsConfig { listen, cert, key })),
            (None, _, _) => Err(ConfigError::IncompleteTls("tls_listen")),
            (_, None, _) => Err(ConfigError::IncompleteTls("tls_cert")),
            (_, _, None) => Err(ConfigError::IncompleteTls("tls_key")),
        };
        let domain = cli
            .domain
            .clone()
            .or(file.domain)
            .unwrap_or_else(|| "s4.localhost".to_owned());
        check(validate_domain(&domain));
        let log = cli
            .log
            .clone()
            .or(file.log)
            .unwrap_or_else(|| "info".to_owned());
        check(validate_log_filter(&log));
        let trusted_proxies = s4_service::TrustedProxies::parse(
            cli.trusted_proxies
                .as_deref()
                .or(file.trusted_proxies.as_deref())
                .unwrap_or(""),
        )
        .unwrap_or_else(|message| {
            errors.push(ConfigError::TrustedProxies(message));
            s4_service::TrustedProxies::default()
        });
        let cors = crate::cors::merge(&cli.cors, file.cors).unwrap_or_else(|message| {
            errors.push(ConfigError::Cors(message));
            s4_service::CorsConfig::default()
        });
        let limits = crate::limits::ServerLimits::merge(&cli.limits, file.limits)
            .map_err(ConfigError::Limits);
        let metadata_cache_mib = match cli.metadata_cache_mib.or(file.metadata_cache_mib) {
            Some(0) => Err(ConfigError::MetadataCache),
            Some(mib) => Ok(mib),
            None => Ok(DEFAULT_METADATA_CACHE_MIB),
        };
        let (data, listen, tls, metrics_listen, limits, metadata_cache_mib) = match (
            data,
            listen,
            tls_listen.and(tls),
            metrics_listen,
            limits,
            metadata_cache_mib,
        ) {
            (Ok(data), Ok(listen), Ok(tls), Ok(metrics), Ok(limits), Ok(mib))
                if errors.is_empty() =>
            {
                (data, listen, tls, metrics, limits, mib)
            }
            (data, listen, tls, metrics, limits, mib) => {
                errors.extend(data.err());
                errors.extend(listen.err());
                errors.extend(tls.err());
                errors.extend(metrics.err());
                errors.extend(limits.err());
                errors.extend(mib.err());
                return Err(if errors.len() == 1 {
                    errors.remove(0)
                } else {
                    ConfigError::Several(errors)
                });
            }
        };
        let account_rate_limit = crate::rate_limits::resolve(
            cli.account_rate_limit.or(file.account_rate_limit),
            cli.account_rate_burst.or(file.account_rate_burst),
        )
        .map_err(ConfigError::RateLimit)?;
        let scrub_interval = cli.scrub_interval.or(file.scrub_interval);
        let verify_reads = cli.verify_reads.or(file.verify_reads);
        if meta.is_some() && verify_reads.is_some() {
            return Err(ConfigError::Data(
                "verify_reads works on the embedded backend only, not with --meta (PostgreSQL)"
                    .to_owned(),
            ));
        }
        if meta.is_some() && scrub_interval.is_some() {
            return Err(ConfigError::Data(
                "scrub_interval works on the embedded backend only, not with --meta (PostgreSQL)"
                    .to_owned(),
            ));
        }
        Ok(Self {
            limits,
            data,
            meta,
            meta_timeout: meta_timeout.unwrap_or(s4_storage_pg::DEFAULT_PG_TIMEOUT),
            listen: listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9000))),
            domain,
            region: cli
                .region
                .clone()
                .or(file.region)
                .unwrap_or_else(|| "us-east-1".to_owned()),
            log_format: cli.log_format.or(file.log_format).unwrap_or_default(),
            log,
            multipart_expiry: cli
                .multipart_expiry
                .or(file.multipart_expiry)
                .unwrap_or(DEFAULT_MULTIPART_EXPIRY),
            tls,
            metrics_listen,
            usage_sweep_interval: cli
                .usage_sweep_interval
                .or(file.usage_sweep_interval)
                .unwrap_or(DEFAULT_USAGE_SWEEP_INTERVAL),
            metadata_cache_mib,
            shutdown_grace: cli
                .shutdown_grace
                .or(file.shutdown_grace)
                .unwrap_or(DEFAULT_SHUTDOWN_GRACE),
            trusted_proxies,
            cors,
            min_free_space: cli
                .min_free_space
                .or(file.min_free_space)
                .unwrap_or(DEFAULT_MIN_FREE_SPACE),
            scrub_interval,
            scrub_max_mib_per_second: cli
                .scrub_max_mib_per_second
                .or(file.scrub_max_mib_per_second)
                .unwrap_or(DEFAULT_SCRUB_MAX_MIB_PER_SECOND),
            console: cli.console.or(file.console).is_none_or(Switch::is_on),
            account_rate_limit,
            verify_reads: verify_reads.unwrap_or(true),
            default_quota: s4_storage::quota::AccountQuota {
                max_bytes: cli.default_max_bytes.or(file.default_max_bytes),
                max_objects: cli.default_max_objects.or(file.default_max_objects),
                max_buckets: cli.default_max_buckets.or(file.default_max_buckets),
            },
        })
    }
}

/// A listen address: `ip:port`, `[ipv6]:port`, or `host:port` resolved now (its first IPv4
/// address, else its first address), so that a name that does not resolve fails at start.
fn resolve_listen(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<SocketAddr>, ConfigError> {
    use std::net::ToSocketAddrs as _;
    let Some(value) = value else {
        return Ok(None);
    };
    let invalid = |message: String| ConfigError::Listen {
        field,
        value: value.clone(),
        message,
    };
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(Some(addr));
    }
    let Some((host, port)) = value.rsplit_once(':') else {
        return Err(invalid(
            "expected host:port, e.g. 127.0.0.1:9000, [::1]:9000 or localhost:9000".to_owned(),
        ));
    };
    if port.parse::<u16>().is_err() {
        return Err(invalid(format!("{port:?} is not a port number")));
    }
    if validate_host_name(host).is_err() {
        return Err(invalid(format!(
            "{host:?} is neither an IP address nor a host name"
        )));
    }
    let addrs: Vec<SocketAddr> = value
        .to_socket_addrs()
        .map_err(|e| invalid(format!("cannot resolve {host:?}: {e}")))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .map(Some)
        .ok_or_else(|| invalid(format!("{host:?} has no address")))
}

/// The endpoint domain is a host name (the server answers `s3.<domain>`, `<bucket>.s3.<domain>`
/// and `iam.<domain>`): no scheme, port, path or space.
fn validate_domain(domain: &str) -> Result<(), ConfigError> {
    let reason = if domain.contains("://") {
        Some("give the host name alone, without a scheme (e.g. s4.example.com)")
    } else if domain.contains(char::is_whitespace) {
        Some("a host name has no spaces")
    } else if domain.contains(':') {
        Some("give the host name alone, without a port (the port is the listen address's)")
    } else if domain.contains('/') {
        Some("give the host name alone, without a path")
    } else {
        validate_host_name(domain).err()
    };
    match reason {
        Some(reason) => Err(ConfigError::Domain {
            value: domain.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A DNS host name: dot-separated labels of letters, digits and inner hyphens, 63 bytes each at
/// most, 253 in all.
fn validate_host_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 253 {
        return Err("a host name has 1 to 253 characters");
    }
    for label in name.split('.') {
        let valid = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err(
                "a host name is made of dot-separated labels of letters, digits and \
                        inner hyphens (e.g. s4.example.com)",
            );
        }
    }
    Ok(())
}

/// The log filter parses as `tracing`'s `EnvFilter` (which would otherwise ignore what it
/// cannot read).
fn validate_log_filter(filter: &str) -> Result<(), ConfigError> {
    tracing_subscriber::EnvFilter::builder()
        .parse(filter)
        .map(drop)
        .map_err(|e| ConfigError::LogFilter {
            value: filter.to_owned(),
            message: e.to_string(),
        })
}

/// The S3 byte store's settings as given, before validation.
struct S3Settings {
    endpoint: Option<String>,
    region: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    spool_dir: Option<PathBuf>,
    timeout: Option<Duration>,
}

/// The data setting: a directory, or `s3://bucket/prefix` with its endpoint and credentials
/// (scale-out only). The `data_s3_*` settings are refused with a directory, so a typo in the
/// URL never silently stores bytes on the local disk.
fn resolve_data(value: PathBuf, s3: S3Settings, has_meta: bool) -> Result<Data, ConfigError> {
    let parsed = match value.to_str() {
        Some(text) => parse_s3_url(text)?,
        None => None,
    };
    let Some((bucket, prefix)) = parsed else {
        let given = [
            ("data_s3_endpoint", s3.endpoint.is_some()),
            ("data_s3_region", s3.region.is_some()),
            ("data_s3_access_key", s3.access_key.is_some()),
            ("data_s3_spool_dir", s3.spool_dir.is_some()),
            ("data_s3_timeout", s3.timeout.is_some()),
        ];
        if let Some((name, _)) = given.iter().find(|(_, set)| *set) {
            return Err(ConfigError::Data(format!(
                "{name} is set but data is the directory {:?}, not an s3://bucket/prefix URL",
                value.display().to_string()
            )));
        }
        return Ok(Data::Dir(value));
    };
    let url = value.display();
    if !has_meta {
        return Err(ConfigError::Data(format!(
            "data = {url:?} needs meta (--meta / S4_META = postgres://...): the embedded \
             backend keeps its metadata in a local data dir; an S3 byte store is for the \
             scale-out backend only"
        )));
    }
    let endpoint = s3.endpoint.ok_or_else(|| {
        ConfigError::Data(format!(
            "data = {url:?} needs data_s3_endpoint (--data-s3-endpoint / S4_DATA_S3_ENDPOINT)"
        ))
    })?;
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    if !endpoint.starts_with("http://") || endpoint.len() == "http://".len() {
        return Err(ConfigError::Data(format!(
            "data_s3_endpoint {endpoint:?}: expected http://host:port (the S3 byte-store \
             client speaks plain HTTP; put the endpoint on a private network)"
        )));
    }
    let access_key = s3.access_key.filter(|k| !k.is_empty()).ok_or_else(|| {
        ConfigError::Data(format!(
            "data = {url:?} needs data_s3_access_key (--data-s3-access-key / \
             S4_DATA_S3_ACCESS_KEY)"
        ))
    })?;
    let secret_key = s3.secret_key.ok_or_else(|| {
        ConfigError::Data(format!(
            "data = {url:?} needs the environment variable S4_DATA_S3_SECRET_KEY"
        ))
    })?;
    Ok(Data::S3(S3Data {
        bucket,
        prefix,
        endpoint,
        region: s3.region.unwrap_or_else(|| "us-east-1".to_owned()),
        access_key,
        secret_key,
        spool_dir: s3.spool_dir,
        timeout: s3.timeout.unwrap_or(s4_storage_pg::DEFAULT_S3_TIMEOUT),
    }))
}

/// A database URL with its password (if any) replaced by `<redacted>`.
fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let Some(at) = url[scheme_end..].find('@').map(|i| i + scheme_end) else {
        return url.to_owned();
    };
    match url[scheme_end..at].find(':') {
        Some(colon) => format!("{}<redacted>{}", &url[..=scheme_end + colon], &url[at..]),
        None => url.to_owned(),
    }
}

fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|source| ConfigError::Parse {
        path: path.to_owned(),
        source,
    })
}

/// Parses flags like `C::try_parse_from`, but reads no environment variable: unit tests must
/// not depend on the `S4_*` variables of the shell that runs them.
#[cfg(test)]
pub(crate) fn parse_flags_only<C: Parser>(args: &[&str]) -> Result<C, clap::Error> {
    let command = C::command().mut_args(|arg| arg.env(None));
    let matches =
        command.try_get_matches_from(std::iter::once("s4-server").chain(args.iter().copied()))?;
    C::from_arg_matches(&matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        parse_flags_only(args).unwrap()
    }

    #[test]
    fn defaults() {
        let config = Config::merge(&cli(&[]), FileConfig::default(), &EnvOnly::default()).unwrap();
        assert_eq!(config.data, Data::Dir(PathBuf::from("data")));
        assert_eq!(config.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.domain, "s4.localhost");
        assert_eq!(config.region, "us-east-1");
        assert_eq!(config.log_format, LogFormat::Pretty);
        assert_eq!(config.multipart_expiry, Duration::from_hours(7 * 24));
    }

    #[test]
    fn account_rate_limit_from_the_file_and_the_flags() {
        let merge = |args: &[&str], file: &str| {
            let file: FileConfig = toml::from_str(file).unwrap();
            Config::merge(&cli(args), file, &EnvOnly::default()).map(|c| c.account_rate_limit)
        };
        let limit = |rate, burst| Some(s4_storage::RateLimit::new(rate, Some(burst)).unwrap());
        assert_eq!(merge(&[], "").unwrap(), None);
        assert_eq!(
            merge(&[], "account_rate_limit = \"500/s\"\n").unwrap(),
            limit(500, 500)
        );
        assert_eq!(
            merge(
                &["--account-rate-limit", "50/s"],
                "account_rate_limit = \"500/s\"\naccount_rate_burst = 7\n"
            )
            .unwrap(),
            limit(50, 7)
        );
        let burst_alone = merge(&["--account-rate-burst", "7"], "").unwrap_err();
        assert!(burst_alone.to_string().contains("needs"), "{burst_alone}");
        assert!(toml::from_str::<FileConfig>("account_rate_limit = \"500\"").is_err());
        assert!(parse_flags_only::<Cli>(&["--account-rate-limit", "0/s"]).is_err());
        assert!(parse_flags_only::<Cli>(&["--account-rate-burst", "0"]).is_err());
    }

    #[test]
    fn default_quota_from_the_file_and_the_flags() {
        let merge = |args: &[&str], file: &str| {
            let file: FileConfig = toml::from_str(file).unwrap();
            Config::merge(&cli(args), file, &EnvOnly::default()).map(|c| c.default_quota)
        };
        assert!(merge(&[], "").unwrap().is_unlimited());
        let quota = merge(
            &["--default-max-objects", "9"],
            "default_max_bytes = \"2GiB\"\ndefault_max_objects = 100\ndefault_max_buckets = 3\n",
        )
        .unwrap();
        assert_eq!(quota.max_bytes, Some(2 << 30));
        assert_eq!(quota.max_objects, Some(9), "the flag wins over the file");
        assert_eq!(quota.max_buckets, Some(3));
        let flags = merge(&["--default-max-bytes", "500MiB"], "").unwrap();
        assert_eq!(flags.max_bytes, Some(500 << 20));
        assert!(toml::from_str::<FileConfig>("default_max_bytes = \"lots\"").is_err());
        assert!(parse_flags_only::<Cli>(&["--default-max-buckets", "-1"]).is_err());
    }

    #[test]
    fn multipart_expiry_precedence_and_units() {
        let file: FileConfig = toml::from_str("multipart_expiry = \"12h\"\n").unwrap();
        assert_eq!(
            Config::merge(&cli(&[]), file, &EnvOnly::default())
                .unwrap()
                .multipart_expiry,
            Duration::from_hours(12)
        );
        let file: FileConfig = toml::from_str("multipart_expiry = 600\n").unwrap();
        let config = Config::merge(
            &cli(&["--multipart-expiry", "2d"]),
            file,
            &EnvOnly::default(),
        )
        .unwrap();
        assert_eq!(config.multipart_expiry, Duration::from_hours(48));
        assert_eq!(parse_age("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_age("30m"), Ok(Duration::from_mins(30)));
        for bad in ["", "0", "5w", "-1d", "1.5h", "d"] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
        assert!(toml::from_str::<FileConfig>("multipart_expiry = \"soon\"").is_err());
        assert!(Cli::try_parse_from(["s4-server", "--multipart-expiry", "0"]).is_err());
    }

    #[test]
    fn the_console_is_on_by_default_and_the_flag_beats_the_file() {
        let config = Config::merge(&cli(&[]), FileConfig::default(), &EnvOnly::default()).unwrap();
        assert!(config.console);
        assert!(config.describe().contains("console = \"on\"\n"));
        let file: FileConfig = toml::from_str("console = \"off\"\n").unwrap();
        let config = Config::merge(&cli(&[]), file, &EnvOnly::default()).unwrap();
        assert!(!config.console);
        assert!(config.describe().contains("console = \"off\"\n"));
        let file: FileConfig = toml::from_str("console = \"off\"\n").unwrap();
        let config = Config::merge(&cli(&["--console", "on"]), file, &EnvOnly::default()).unwrap();
        assert!(config.console);
        assert!(toml::from_str::<FileConfig>("console = false").is_err());
        assert!(Cli::try_parse_from(["s4-server", "--console", "maybe"]).is_err());
    }

    #[test]
    fn verified_reads_are_on_by_default_and_switch_off_by_flag_or_file() {
        let merge = |args: &[&str], file: &str| {
            Config::merge(
                &cli(args),
                toml::from_str(file).unwrap(),
                &EnvOnly::default(),
            )
        };
        let config = merge(&[], "").unwrap();
        assert!(config.verify_reads);
        assert!(config.describe().contains("verify_reads = \"on\"\n"));
        let config = merge(&[], "verify_reads = \"off\"\n").unwrap();
        assert!(!config.verify_reads);
        assert!(config.describe().contains("verify_reads = \"off\"\n"));
        assert!(!merge(&[], "verify_reads = false\n").unwrap().verify_reads);
        // The flag wins over the file.
        assert!(
            merge(&["--verify-reads", "on"], "verify_reads = \"off\"\n")
                .unwrap()
                .verify_reads
        );
        assert!(parse_flags_only::<Cli>(&["--verify-reads", "maybe"]).is_err());
        assert!(toml::from_str::<FileConfig>("verify_reads = \"sometimes\"\n").is_err());
        let refused = merge(
            &["--verify-reads", "off", "--meta", "postgres://localhost/s4"],
            "",
        );
        assert!(
            matches!(&refused, Err(ConfigError::Data(m)) if m.contains("verify_reads")),
            "{refused:?}"
        );
    }

    #[test]
    fn background_scrub_is_off_by_default_and_embedded_only() {
        let config = Config::merge(&cli(&[]), FileConfig::default(), &EnvOnly::default()).unwrap();
        assert_eq!(config.scrub_interval, None);
        assert_eq!(
            config.scrub_max_mib_per_second,
            DEFAULT_SCRUB_MAX_MIB_PER_SECOND
        );
        let file: FileConfig =
            toml::from_str("scrub_interval = \"7d\"\nscrub_max_mib_per_second = 50\n").unwrap();
        let config = Config::merge(
            &cli(&["--scrub-max-mib-per-second", "20"]),
            file,
            &EnvOnly::default(),
        )
        .unwrap();
        assert_eq!(config.scrub_interval, Some(Duration::from_hours(7 * 24)));
        assert_eq!(config.scrub_max_mib_per_second, 20);
        assert!(config.describe().contains("scrub_interval = 604800\n"));
        let refused = Config::merge(
            &cli(&[
                "--scrub-interval",
                "1d",
                "--meta",
                "postgres://localhost/s4",
            ]),
            FileConfig::default(),
            &EnvOnly::default(),
        );
        assert!(
            matches!(&refused, Err(ConfigError::Data(m)) if m.contains("embedded backend only")),
            "{refused:?}"
        );
        assert!(Cli::try_parse_from(["s4-server", "--scrub-max-mib-per-second", "0"]).is_err());
    }

    #[test]
    fn describe_round_trips_through_the_file_format() {
        let file: FileConfig = toml::from_str(
            "listen = \"127.0.0.1:7000\"\ndomain = \"d.example\"\nmultipart_expiry = \"2h\"\n\
             tls_listen = \"127.0.0.1:7443\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n",
        )
        .unwrap();
        let config = Config::merge(&cli(&[]), file, &EnvOnly::default()).unwrap();
        let again: FileConfig = toml::from_str(&config.describe()).unwrap();
        assert_eq!(
            Config::merge(&cli(&[]), again, &EnvOnly::default()).unwrap(),
            config
        );
    }

    #[test]
    fn tls_needs_all_three_settings() {
        let file: FileConfig =
            toml::from_str("tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").unwrap();
        assert!(matches!(
            Config::merge(&cli(&[]), file, &EnvOnly::default()),
            Err(ConfigError::IncompleteTls("tls_listen"))
        ));
        let file: FileConfig =
            toml::from_str("tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").unwrap();
        let config = Config::merge(
            &cli(&["--tls-listen", "127.0.0.1:9443"]),
            file,
            &EnvOnly::default(),
        )
        .unwrap();
        let tls = config.tls.unwrap();
        assert_eq!(tls.listen, "127.0.0.1:9443".parse().unwrap());
        assert_eq!(tls.cert, PathBuf::from("c.pem"));
    }

    #[test]
    fn flags_beat_file_and_file_beats_defaults() {
        let file: FileConfig = toml::from_str(
            "listen = \"127.0.0.1:7000\"\ndomain = \"file.example\"\nlog_format = \"json\"\n",
        )
        .unwrap();
        let config = Config::merge(
            &cli(&["--domain", "flag.example"]),
            file,
            &EnvOnly::default(),
        )
        .unwrap();
        assert_eq!(config.domain, "flag.example");
        assert_eq!(config.listen, "127.0.0.1:7000".parse().unwrap());
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.region, "us-east-1");
    }

    #[test]
    fn metrics_listen_is_off_by_default_and_flag_beats_file() {
        assert_eq!(
            Config::merge(&cli(&[]), FileConfig::default(), &EnvOnly::default())
                .unwrap()
                .metrics_listen,
            None
        );
        let file: FileConfig = toml::from_str("metrics_listen = \"127.0.0.1:9100\"\n").unwrap();
        let config = Config::merge(&cli(&[]), file, &EnvOnly::default()).unwrap();
        assert_eq!(
            config.metrics_listen,
            Some("127.0.0.1:9100".parse().unwrap())
        );
        let again: FileConfig = toml::from_str(&config.describe()).unwrap();
        assert_eq!(
            Config::merge(&cli(&[]), again, &EnvOnly::default()).unwrap(),
            config
        );
        let file: FileConfig = toml::from_str("metrics_listen = \"127.0.0.1:9100\"\n").unwrap();
        let config = Config::merge(
            &cli(&["--metrics-listen", "0.0.0.0:9200"]),
            file,
            &EnvOnly::default(),
        )
        .unwrap();
        assert_eq!(config.metrics_listen, Some("0.0.0.0:9200".parse().unwrap()));
        let file: FileConfig = toml::from_str("metrics_listen = \"nowhere\"").unwrap();
        assert!(Config::merge(&cli(&[]), file, &EnvOnly::default()).is_err());
        assert_eq!(config.usage_sweep_interval, Duration::from_mins(1));
        let file: FileConfig = toml::from_str("usage_sweep_interval = \"5m\"\n").unwrap();
        assert_eq!(
            Config::merge(&cli(&[]), file, &EnvOnly::default())
                .unwrap()
                .usage_sweep_interval,
            Duration::from_mins(5)
        );
        let file: FileConfig = toml::from_str("usage_sweep_interval = \"5m\"\n").unwrap();
        let config = Config::merge(
            &cli(&["--usage-sweep-interval", "2"]),
            file,
            &EnvOnly::default(),
        )
        .unwrap();
        assert_eq!(config.usage_sweep_interval, Duration::from_secs(2));
        assert_eq!(config.metadata_cache_mib, DEFAULT_METADATA_CACHE_MIB);
        let file: FileConfig = toml::from_str("metadata_cache_mib = 256\n").unwrap();
        let from_file = Config::merge(&cli(&[]), file, &EnvOnly::default()).unwrap();
        assert_eq!(from_file.metadata_cache_mib, 256);
        let file: FileConfig = toml::from_str("metadata_cache_mib = 256\n").unwrap();
        let config = Config::merge(
            &cli(&["--metadata-cache-mib", "32"]),
            file,
            &EnvOnly::default(),
        )
        .unwrap();
        assert_eq!(config.metadata_cache_mib, 32);
        let file: FileConfig = toml::from_str("metadata_cache_mib = 0\n").unwrap();
        assert!(Config::merge(&cli(&[]), file, &EnvOnly::default()).is_err());
    }

    fn env(data: Option<&str>, secret: Option<&str>) -> EnvOnly {
        EnvOnly {
            data: data.map(PathBuf::from),
            data_s3_secret_key: secret.map(str::to_owned),
        }
    }

    const META: &str = "postgres://s4@db/s4";

    #[test]
    fn s3_urls_parse_into_bucket_and_prefix() {
        assert_eq!(parse_s3_url("/srv/s4").unwrap(), None);
        assert_eq!(parse_s3_url("data").unwrap(), None);
        let parsed = |u: &str| parse_s3_url(u).unwrap().unwrap();
        assert_eq!(parsed("s3://blobs"), ("blobs".into(), String::new()));
        assert_eq!(parsed("s3://blobs/"), ("blobs".into(), String::new()));
        assert_eq!(parsed("s3://blobs/s4"), ("blobs".into(), "s4/".into()));
        assert_eq!(parsed("s3://blobs/a/b/"), ("blobs".into(), "a/b/".into()));
        for bad in [
            "s3://",
            "s3:///prefix",
            "s3://Upper/x",
            "s3://blobs//x",
            "s3://blobs/x?y",
            "https://host/bucket",
            "file:///srv/s4",
        ] {
            assert!(parse_s3_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn data_s3_needs_meta_endpoint_and_credentials() {
        let secret = env(None, Some("shh"));
        let flags = [
            "--data",
            "s3://blobs/s4",
            "--data-s3-endpoint",
            "http://127.0.0.1:9000/",
            "--data-s3-access-key",
            "AKIAEXAMPLE",
        ];
        // Without --meta: refused, the embedded backend needs a local dir.
        let err = Config::merge(&cli(&flags), FileConfig::default(), &secret).unwrap_err();
        assert!(err.to_string().contains("needs meta"), "{err}");
        let mut with_meta = flags.to_vec();
        with_meta.extend(["--meta", META]);
        let config = Config::merge(&cli(&with_meta), FileConfig::default(), &secret).unwrap();
        let Data::S3(s3) = &config.data else {
            panic!("{:?}", config.data)
        };
        assert_eq!((s3.bucket.as_str(), s3.prefix.as_str()), ("blobs", "s4/"));
        assert_eq!(s3.endpoint, "http://127.0.0.1:9000");
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(s3.access_key, "AKIAEXAMPLE");
        assert_eq!(s3.secret_key, "shh");
        assert_eq!(s3.spool_dir, None);
        assert_eq!(config.data.dir(), None);
        // Each missing piece is named.
        let err = Config::merge(&cli(&with_meta), FileConfig::default(), &EnvOnly::default())
            .unwrap_err();
        assert!(err.to_string().contains("S4_DATA_S3_SECRET_KEY"), "{err}");
        for (drop, named) in [
            ("--data-s3-endpoint", "data_s3_endpoint"),
            ("--data-s3-access-key", "data_s3_access_key"),
        ] {
            let i = with_meta.iter().position(|a| *a == drop).unwrap();
            let mut args = with_meta.clone();
            args.drain(i..i + 2);
            let err = Config::merge(&cli(&args), FileConfig::default(), &secret).unwrap_err();
            assert!(err.to_string().contains(named), "{err}");
        }
        // Plain HTTP only.
        let mut https = with_meta.clone();
        https[3] = "https://s3.example.com";
        let err = Config::merge(&cli(&https), FileConfig::default(), &secret).unwrap_err();
        assert!(err.to_string().contains("http://host:port"), "{err}");
    }

    #[test]
    fn data_s3_settings_with_a_directory_are_refused() {
        let err = Config::merge(
            &cli(&["--data-s3-endpoint", "http://127.0.0.1:9000"]),
            FileConfig::default(),
            &EnvOnly::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("data_s3_endpoint is set"), "{err}");
        let file: FileConfig = toml::from_str("data_s3_spool_dir = \"/tmp/x\"\n").unwrap();
        assert!(Config::merge(&cli(&[]), file, &EnvOnly::default()).is_err());
    }

    #[test]
    fn data_precedence_flag_then_env_alias_then_file() {
        let file = || -> FileConfig { toml::from_str("data = \"/from/file\"\n").unwrap() };
        let data = |args: &[&str], file: FileConfig, env: &EnvOnly| {
            Config::merge(&cli(args), file, env).unwrap().data
        };
        assert_eq!(
            data(&[], file(), &EnvOnly::default()),
            Data::Dir("/from/file".into())
        );
        // S4_DATA (the alias of S4_DATA_DIR) beats the file ...
        assert_eq!(
            data(&[], file(), &env(Some("/from/env"), None)),
            Data::Dir("/from/env".into())
        );
        // ... and a flag (or S4_DATA_DIR, which clap reads for the same flag) beats it.
        assert_eq!(
            data(
                &["--data", "/from/flag"],
                file(),
                &env(Some("/from/env"), None)
            ),
            Data::Dir("/from/flag".into())
        );
        assert_eq!(
            data(&["--data-dir", "/from/flag"], file(), &EnvOnly::default()),
            Data::Dir("/from/flag".into())
        );
        // The S3 settings follow the same precedence: flag over file.
        let file: FileConfig = toml::from_str(
            "data = \"s3://from-file/p\"\nmeta = \"postgres://db/s4\"\n\
             data_s3_endpoint = \"http://file:9000\"\ndata_s3_region = \"eu-west-1\"\n\
             data_s3_access_key = \"AKIAFILE\"\ndata_s3_spool_dir = \"/spool\"\n",
        )
        .unwrap();
        let config = Config::merge(
            &cli(&["--data-s3-endpoint", "http://flag:9000"]),
            file,
            &env(None, Some("secret")),
        )
        .unwrap();
        let Data::S3(s3) = &config.data else {
            panic!("{:?}", config.data)
        };
        assert_eq!(s3.bucket, "from-file");
        assert_eq!(s3.endpoint, "http://flag:9000");
        assert_eq!(s3.region, "eu-west-1");
        assert_eq!(s3.access_key, "AKIAFILE");
        assert_eq!(s3.spool_dir, Some(PathBuf::from("/spool")));
        // The secret never comes from the file or a flag.
        assert!(toml::from_str::<FileConfig>("data_s3_secret_key = \"x\"").is_err());
        assert!(Cli::try_parse_from(["s4-server", "--data-s3-secret-key", "x"]).is_err());
    }

    #[test]
    fn describe_redacts_the_s3_secret_and_round_trips() {
        let secret = env(None, Some("very-secret-value"));
        let config = Config::merge(
            &cli(&[
                "--meta",
                "postgres://s4:pw@db/s4",
                "--data",
                "s3://blobs/s4",
                "--data-s3-endpoint",
                "http://10.0.0.5:9000",
                "--data-s3-access-key",
                "AKIAEXAMPLE",
                "--data-s3-spool-dir",
                "/var/spool/s4",
            ]),
            FileConfig::default(),
            &secret,
        )
        .unwrap();
        let text = config.describe();
        assert!(!text.contains("very-secret-value"), "{text}");
        assert!(!text.contains(":pw@"), "{text}");
        assert!(
            text.contains("# S4_DATA_S3_SECRET_KEY = <redacted>"),
            "{text}"
        );
        assert!(text.contains("data = \"s3://blobs/s4/\""), "{text}");
        let again: FileConfig = toml::from_str(&text).unwrap();
        let mut again = Config::merge(&cli(&[]), again, &secret).unwrap();
        // The password was redacted in the text.
        again.meta.clone_from(&config.meta);
        assert_eq!(again, config);
        assert!(!format!("{config:?}").contains("very-secret-value"));
    }

    #[test]
    fn listen_addresses_take_ips_and_host_names() {
        let listen = |value: &str| {
            Config::merge(
                &cli(&["--listen", value]),
                FileConfig::default(),
                &EnvOnly::default(),
            )
            .map(|c| c.listen)
        };
        assert_eq!(listen("[::1]:9000").unwrap(), "[::1]:9000".parse().unwrap());
        assert_eq!(listen("0.0.0.0:80").unwrap(), "0.0.0.0:80".parse().unwrap());
        let local = listen("localhost:9000").unwrap();
        assert!(local.ip().is_loopback() && local.port() == 9000, "{local}");
        for bad in [
            "localhost",
            "localhost:99999",
            "bad host:9000",
            ":9000",
            "1.2.3.4",
        ] {
            let error = listen(bad).unwrap_err().to_string();
            assert!(error.starts_with(&format!("listen {bad:?}")), "{error}");
        }
    }

    #[test]
    fn domains_are_host_names() {
        let domain = |value: &str| {
            Config::merge(
                &cli(&[&format!("--domain={value}")]),
                FileConfig::default(),
                &EnvOnly::default(),
            )
            .map(|c| c.domain)
        };
        assert_eq!(domain("s4.example.com").unwrap(), "s4.example.com");
        assert_eq!(domain("localhost").unwrap(), "localhost");
        for (bad, why) in [
            ("http://x", "scheme"),
            ("bad domain", "spaces"),
            ("s4.example.com:9000", "port"),
            ("s4.example.com/x", "path"),
            ("", "1 to 253"),
            ("a..b", "labels"),
            ("-a.b", "labels"),
            ("a_b.c", "labels"),
        ] {
            let error = domain(bad).unwrap_err().to_string();
            assert!(error.starts_with(&format!("domain {bad:?}")), "{error}");
            assert!(error.contains(why), "{error}");
        }
    }

    #[test]
    fn log_filters_are_parsed() {
        let log = |value: &str| {
            Config::merge(
                &cli(&["--log", value]),
                FileConfig::default(),
                &EnvOnly::default(),
            )
            .map(|c| c.log)
        };
        assert_eq!(log("info,s4::access=warn").unwrap(), "info,s4::access=warn");
        let error = log("s4=loud").unwrap_err().to_string();
        assert!(
            error.starts_with("log \"s4=loud\" (--log / S4_LOG)"),
            "{error}"
        );
        assert_eq!(
            Config::merge(&cli(&[]), FileConfig::default(), &EnvOnly::default())
                .unwrap()
                .log,
            "info"
        );
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let error = Config::merge(
            &cli(&[
                "--domain",
                "http://x",
                "--log",
                "s4=loud",
                "--listen",
                "nowhere",
                "--metrics-listen",
                "a b:1",
                "--tls-listen",
                "x:y",
            ]),
            toml::from_str("metadata_cache_mib = 0\n").unwrap(),
            &EnvOnly::default(),
        )
        .unwrap_err()
        .to_string();
        for field in [
            "domain \"http://x\"",
            "log \"s4=loud\"",
            "listen \"nowhere\"",
            "metrics_listen \"a b:1\"",
            "tls_listen \"x:y\"",
            "metadata_cache_mib",
        ] {
            assert!(error.contains(field), "{field}: {error}");
        }
        assert_eq!(error.lines().count(), 6, "{error}");
    }

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        for bad in ["", "1GB", "-1", "1.5GiB", "99999999TiB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        let file: FileConfig = toml::from_str("min_free_space = \"2GiB\"\n").unwrap();
        let config = Config::merge(&cli(&[]), file, &EnvOnly::default()).unwrap();
        assert_eq!(config.min_free_space, 2 << 30);
        let again: FileConfig = toml::from_str(&config.describe()).unwrap();
        assert_eq!(again.min_free_space, Some(2 << 30));
    }

    #[test]
    fn unknown_file_fields_are_refused() {
        assert!(toml::from_str::<FileConfig>("listen_addr = \"x\"").is_err());
    }
}
