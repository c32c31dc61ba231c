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

    /// Where data and metadata live [default: ./data].
    #[arg(long, visible_alias = "data", env = "S4_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Scale-out: the PostgreSQL URL holding the metadata (`postgres://user@host/db`); object
    /// bytes then go to the data dir, which every server of the cluster shares. Unset: the
    /// embedded backend.
    #[arg(long, env = "S4_META")]
    pub meta: Option<String>,

    /// The address to listen on [default: 127.0.0.1:9000].
    #[arg(long, env = "S4_LISTEN")]
    pub listen: Option<SocketAddr>,

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

    /// Age after which an abandoned multipart upload is aborted and its parts released, as
    /// seconds or with a unit: `90s`, `30m`, `12h`, `7d` [default: 7d].
    #[arg(long, env = "S4_MULTIPART_EXPIRY", value_parser = parse_age)]
    pub multipart_expiry: Option<Duration>,

    /// An HTTPS listen address, served side by side with the HTTP one; needs --tls-cert and
    /// --tls-key.
    #[arg(long, env = "S4_TLS_LISTEN")]
    pub tls_listen: Option<SocketAddr>,

    /// PEM certificate chain for HTTPS (reloaded on SIGHUP).
    #[arg(long, env = "S4_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for HTTPS (reloaded on SIGHUP).
    #[arg(long, env = "S4_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// Serve Prometheus metrics at http://<address>/metrics, apart from S3 [default: off].
    #[arg(long, env = "S4_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// How often the per-bucket storage totals shown as metrics are recounted by listing, as
    /// seconds or with a unit [default: 60s].
    #[arg(long, env = "S4_USAGE_SWEEP_INTERVAL", value_parser = parse_age)]
    pub usage_sweep_interval: Option<Duration>,

    #[command(flatten)]
    pub limits: crate::limits::LimitArgs,

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

/// The TOML file: the same fields as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The `[limits]` table.
    pub limits: Option<crate::limits::LimitsFile>,
    #[serde(alias = "data")]
    pub data_dir: Option<PathBuf>,
    pub meta: Option<String>,
    pub listen: Option<SocketAddr>,
    pub domain: Option<String>,
    pub region: Option<String>,
    pub log_format: Option<LogFormat>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub multipart_expiry: Option<Duration>,
    pub tls_listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub metrics_listen: Option<SocketAddr>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub usage_sweep_interval: Option<Duration>,
}

/// The default age of an abandoned multipart upload: 7 days.
pub const DEFAULT_MULTIPART_EXPIRY: Duration = Duration::from_hours(7 * 24);

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Request and connection limits (`[limits]`).
    pub limits: crate::limits::ServerLimits,
    pub data_dir: PathBuf,
    /// The PostgreSQL URL of the scale-out backend; `None`: the embedded backend.
    pub meta: Option<String>,
    pub listen: SocketAddr,
    pub domain: String,
    pub region: String,
    pub log_format: LogFormat,
    /// Abandoned multipart uploads older than this are aborted.
    pub multipart_expiry: Duration,
    pub tls: Option<TlsConfig>,
    /// Where the Prometheus metrics endpoint listens; `None` serves none.
    pub metrics_listen: Option<SocketAddr>,
    /// How often the metrics' per-bucket storage totals are recounted.
    pub usage_sweep_interval: Duration,
}

/// The default interval of the storage usage sweep: 60 seconds.
pub const DEFAULT_USAGE_SWEEP_INTERVAL: Duration = Duration::from_mins(1);

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
}

impl Config {
    /// The effective settings as TOML, in the file's format. The only secret the server reads,
    /// `S4_ROOT_SECRET_KEY`, is shown as redacted.
    pub fn describe(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "data_dir = {:?}", self.data_dir.display().to_string());
        if let Some(meta) = &self.meta {
            let _ = writeln!(out, "meta = {:?}", redact_password(meta));
        }
        let _ = writeln!(out, "listen = \"{}\"", self.listen);
        let _ = writeln!(out, "domain = {:?}", self.domain);
        let _ = writeln!(out, "region = {:?}", self.region);
        let format = match self.log_format {
            LogFormat::Pretty => "pretty",
            LogFormat::Json => "json",
        };
        let _ = writeln!(out, "log_format = \"{format}\"");
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
        if let Ok(id) = std::env::var("S4_ROOT_ACCESS_KEY") {
            let _ = writeln!(out, "# S4_ROOT_ACCESS_KEY = {id:?}");
        }
        if std::env::var_os("S4_ROOT_SECRET_KEY").is_some() {
            let _ = writeln!(out, "# S4_ROOT_SECRET_KEY = <redacted>");
        }
        // A table: after every top-level key.
        out.push_str(&self.limits.describe());
        out
    }

    /// Resolves the effective configuration from parsed flags (with environment) and the file
    /// they name, if any.
    pub fn resolve(cli: &Cli) -> Result<Self, ConfigError> {
        let file = match &cli.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        Self::merge(cli, file)
    }

    fn merge(cli: &Cli, file: FileConfig) -> Result<Self, ConfigError> {
        let tls = match (
            cli.tls_listen.or(file.tls_listen),
            cli.tls_cert.clone().or(file.tls_cert),
            cli.tls_key.clone().or(file.tls_key),
        ) {
            (None, None, None) => None,
            (Some(listen), Some(cert), Some(key)) => Some(TlsConfig { listen, cert, key }),
            (None, _, _) => return Err(ConfigError::IncompleteTls("tls_listen")),
            (_, None, _) => return Err(ConfigError::IncompleteTls("tls_cert")),
            (_, _, None) => return Err(ConfigError::IncompleteTls("tls_key")),
        };
        Ok(Self {
            limits: crate::limits::ServerLimits::merge(&cli.limits, file.limits)
                .map_err(ConfigError::Limits)?,
            data_dir: cli
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("data")),
            meta: cli.meta.clone().or(file.meta),
            listen: cli
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9000))),
            domain: cli
                .domain
                .clone()
                .or(file.domain)
                .unwrap_or_else(|| "s4.localhost".to_owned()),
            region: cli
                .region
                .clone()
                .or(file.region)
                .unwrap_or_else(|| "us-east-1".to_owned()),
            log_format: cli.log_format.or(file.log_format).unwrap_or_default(),
            multipart_expiry: cli
                .multipart_expiry
                .or(file.multipart_expiry)
                .unwrap_or(DEFAULT_MULTIPART_EXPIRY),
            tls,
            metrics_listen: cli.metrics_listen.or(file.metrics_listen),
            usage_sweep_interval: cli
                .usage_sweep_interval
                .or(file.usage_sweep_interval)
                .unwrap_or(DEFAULT_USAGE_SWEEP_INTERVAL),
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("s4-server").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn defaults() {
        let config = Config::merge(&cli(&[]), FileConfig::default()).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("data"));
        assert_eq!(config.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.domain, "s4.localhost");
        assert_eq!(config.region, "us-east-1");
        assert_eq!(config.log_format, LogFormat::Pretty);
        assert_eq!(config.multipart_expiry, Duration::from_hours(7 * 24));
    }

    #[test]
    fn multipart_expiry_precedence_and_units() {
        let file: FileConfig = toml::from_str("multipart_expiry = \"12h\"\n").unwrap();
        assert_eq!(
            Config::merge(&cli(&[]), file).unwrap().multipart_expiry,
            Duration::from_hours(12)
        );
        let file: FileConfig = toml::from_str("multipart_expiry = 600\n").unwrap();
        let config = Config::merge(&cli(&["--multipart-expiry", "2d"]), file).unwrap();
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
    fn describe_round_trips_through_the_file_format() {
        let file: FileConfig = toml::from_str(
            "listen = \"127.0.0.1:7000\"\ndomain = \"d.example\"\nmultipart_expiry = \"2h\"\n\
             tls_listen = \"127.0.0.1:7443\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n",
        )
        .unwrap();
        let config = Config::merge(&cli(&[]), file).unwrap();
        let again: FileConfig = toml::from_str(&config.describe()).unwrap();
        assert_eq!(Config::merge(&cli(&[]), again).unwrap(), config);
    }

    #[test]
    fn tls_needs_all_three_settings() {
        let file: FileConfig =
            toml::from_str("tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").unwrap();
        assert!(matches!(
            Config::merge(&cli(&[]), file),
            Err(ConfigError::IncompleteTls("tls_listen"))
        ));
        let file: FileConfig =
            toml::from_str("tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").unwrap();
        let config = Config::merge(&cli(&["--tls-listen", "127.0.0.1:9443"]), file).unwrap();
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
        let config = Config::merge(&cli(&["--domain", "flag.example"]), file).unwrap();
        assert_eq!(config.domain, "flag.example");
        assert_eq!(config.listen, "127.0.0.1:7000".parse().unwrap());
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.region, "us-east-1");
    }

    #[test]
    fn metrics_listen_is_off_by_default_and_flag_beats_file() {
        assert_eq!(
            Config::merge(&cli(&[]), FileConfig::default())
                .unwrap()
                .metrics_listen,
            None
        );
        let file: FileConfig = toml::from_str("metrics_listen = \"127.0.0.1:9100\"\n").unwrap();
        let config = Config::merge(&cli(&[]), file).unwrap();
        assert_eq!(
            config.metrics_listen,
            Some("127.0.0.1:9100".parse().unwrap())
        );
        let again: FileConfig = toml::from_str(&config.describe()).unwrap();
        assert_eq!(Config::merge(&cli(&[]), again).unwrap(), config);
        let file: FileConfig = toml::from_str("metrics_listen = \"127.0.0.1:9100\"\n").unwrap();
        let config = Config::merge(&cli(&["--metrics-listen", "0.0.0.0:9200"]), file).unwrap();
        assert_eq!(config.metrics_listen, Some("0.0.0.0:9200".parse().unwrap()));
        assert!(toml::from_str::<FileConfig>("metrics_listen = \"nowhere\"").is_err());
        assert_eq!(config.usage_sweep_interval, Duration::from_mins(1));
        let file: FileConfig = toml::from_str("usage_sweep_interval = \"5m\"\n").unwrap();
        assert_eq!(
            Config::merge(&cli(&[]), file).unwrap().usage_sweep_interval,
            Duration::from_mins(5)
        );
        let file: FileConfig = toml::from_str("usage_sweep_interval = \"5m\"\n").unwrap();
        let config = Config::merge(&cli(&["--usage-sweep-interval", "2"]), file).unwrap();
        assert_eq!(config.usage_sweep_interval, Duration::from_secs(2));
    }

    #[test]
    fn unknown_file_fields_are_refused() {
        assert!(toml::from_str::<FileConfig>("listen_addr = \"x\"").is_err());
    }
}
