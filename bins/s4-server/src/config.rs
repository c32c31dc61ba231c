//! Configuration: flags, `S4_*` environment variables and an optional TOML file, with the
//! precedence flag > environment > file > default. clap resolves flag > environment; the file
//! fills only what neither gave.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
    #[arg(long, env = "S4_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

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
    pub data_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub domain: Option<String>,
    pub region: Option<String>,
    pub log_format: Option<LogFormat>,
}

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub domain: String,
    pub region: String,
    pub log_format: LogFormat,
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
}

impl Config {
    /// Resolves the effective configuration from parsed flags (with environment) and the file
    /// they name, if any.
    pub fn resolve(cli: &Cli) -> Result<Self, ConfigError> {
        let file = match &cli.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        Ok(Self::merge(cli, file))
    }

    fn merge(cli: &Cli, file: FileConfig) -> Self {
        Self {
            data_dir: cli
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("data")),
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
        }
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
        let config = Config::merge(&cli(&[]), FileConfig::default());
        assert_eq!(config.data_dir, PathBuf::from("data"));
        assert_eq!(config.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.domain, "s4.localhost");
        assert_eq!(config.region, "us-east-1");
        assert_eq!(config.log_format, LogFormat::Pretty);
    }

    #[test]
    fn flags_beat_file_and_file_beats_defaults() {
        let file: FileConfig = toml::from_str(
            "listen = \"127.0.0.1:7000\"\ndomain = \"file.example\"\nlog_format = \"json\"\n",
        )
        .unwrap();
        let config = Config::merge(&cli(&["--domain", "flag.example"]), file);
        assert_eq!(config.domain, "flag.example");
        assert_eq!(config.listen, "127.0.0.1:7000".parse().unwrap());
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.region, "us-east-1");
    }

    #[test]
    fn unknown_file_fields_are_refused() {
        assert!(toml::from_str::<FileConfig>("listen_addr = \"x\"").is_err());
    }
}
