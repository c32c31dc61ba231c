//! Request and connection limits: flags and environment variables (`LimitArgs`), the
//! `[limits]` table of the TOML file (`LimitsFile`) and the effective values (`ServerLimits`),
//! with the same precedence as every other setting: flag > environment > file > default.

use std::time::Duration;

use serde::Deserialize;

use crate::config::parse_age;

/// Default: connections served at once; past it a connection gets `503 ServiceUnavailable`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// Default: requests in flight at once; past it a request gets `503 ServiceUnavailable`.
pub const DEFAULT_MAX_REQUESTS: usize = 1024;
/// Default: the longest request target (path and query) in bytes.
pub const DEFAULT_MAX_URI_BYTES: usize = 16 * 1024;
/// Default: the largest request header block (names, values, `: ` and CRLF) in bytes.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;
/// Default: the most request header fields.
pub const DEFAULT_MAX_HEADER_COUNT: usize = 100;
/// Default: how long a client may take to send a request head, and how long an idle
/// keep-alive connection stays open.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default: how long a request body may go without a byte before `RequestTimeout`.
pub const DEFAULT_BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default: how long a body read before authentication (an IAM form) may take in full.
pub const DEFAULT_AUTH_BODY_DEADLINE: Duration = s4_service::pre_auth::DEFAULT_AUTH_BODY_DEADLINE;

/// The limit flags, flattened into the command line.
#[derive(Debug, Default, clap::Args)]
pub struct LimitArgs {
    /// Connections served at once; more are answered 503 ServiceUnavailable and closed
    /// [default: 4096].
    #[arg(long, env = "S4_MAX_CONNECTIONS", value_parser = positive)]
    pub max_connections: Option<usize>,
    /// Requests in flight at once; more are answered 503 ServiceUnavailable with Retry-After
    /// [default: 1024].
    #[arg(long, env = "S4_MAX_REQUESTS", value_parser = positive)]
    pub max_requests: Option<usize>,
    /// The longest request target in bytes (InvalidURI beyond) [default: 16384].
    #[arg(long, env = "S4_MAX_URI_BYTES", value_parser = positive)]
    pub max_uri_bytes: Option<usize>,
    /// The largest request header block in bytes (RequestHeaderSectionTooLarge beyond)
    /// [default: 16384].
    #[arg(long, env = "S4_MAX_HEADER_BYTES", value_parser = positive)]
    pub max_header_bytes: Option<usize>,
    /// The most request header fields (RequestHeaderSectionTooLarge beyond) [default: 100].
    #[arg(long, env = "S4_MAX_HEADER_COUNT", value_parser = positive)]
    pub max_header_count: Option<usize>,
    /// How long a client may take to send a request head; also how long an idle keep-alive
    /// connection is kept [default: 30s].
    #[arg(long, env = "S4_HEADER_READ_TIMEOUT", value_parser = parse_age)]
    pub header_read_timeout: Option<Duration>,
    /// How long a request body may go without a byte before the request is answered
    /// RequestTimeout and its upload discarded [default: 30s].
    #[arg(long, env = "S4_BODY_IDLE_TIMEOUT", value_parser = parse_age)]
    pub body_idle_timeout: Option<Duration>,
    /// How long a body read before its request is authenticated (an IAM form) may take in
    /// full before RequestTimeout; such reads may also hold at most a quarter of
    /// --max-requests [default: 10s].
    #[arg(long, env = "S4_AUTH_BODY_DEADLINE", value_parser = parse_age)]
    pub auth_body_deadline: Option<Duration>,
}

fn positive(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{value:?} is not a positive integer")),
    }
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
    let text = match Option::<Age>::deserialize(deserializer)? {
        None => return Ok(None),
        Some(Age::Seconds(n)) => n.to_string(),
        Some(Age::Text(t)) => t,
    };
    parse_age(&text).map(Some).map_err(serde::de::Error::custom)
}

/// The `[limits]` table of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    pub max_connections: Option<usize>,
    pub max_requests: Option<usize>,
    pub max_uri_bytes: Option<usize>,
    pub max_header_bytes: Option<usize>,
    pub max_header_count: Option<usize>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub header_read_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub body_idle_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "deserialize_age")]
    pub auth_body_deadline: Option<Duration>,
}

/// The effective limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    pub max_connections: usize,
    pub max_requests: usize,
    pub max_uri_bytes: usize,
    pub max_header_bytes: usize,
    pub max_header_count: usize,
    pub header_read_timeout: Duration,
    pub body_idle_timeout: Duration,
    pub auth_body_deadline: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_requests: DEFAULT_MAX_REQUESTS,
            max_uri_bytes: DEFAULT_MAX_URI_BYTES,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_header_count: DEFAULT_MAX_HEADER_COUNT,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_idle_timeout: DEFAULT_BODY_IDLE_TIMEOUT,
            auth_body_deadline: DEFAULT_AUTH_BODY_DEADLINE,
        }
    }
}

impl ServerLimits {
    /// Flag (with environment) over file over default, field by field.
    pub fn merge(args: &LimitArgs, file: Option<LimitsFile>) -> Result<Self, String> {
        let file = file.unwrap_or_default();
        let d = Self::default();
        let limits = Self {
            max_connections: args
                .max_connections
                .or(file.max_connections)
                .unwrap_or(d.max_connections),
            max_requests: args
                .max_requests
                .or(file.max_requests)
                .unwrap_or(d.max_requests),
            max_uri_bytes: args
                .max_uri_bytes
                .or(file.max_uri_bytes)
                .unwrap_or(d.max_uri_bytes),
            max_header_bytes: args
                .max_header_bytes
                .or(file.max_header_bytes)
                .unwrap_or(d.max_header_bytes),
            max_header_count: args
                .max_header_count
                .or(file.max_header_count)
                .unwrap_or(d.max_header_count),
            header_read_timeout: args
                .header_read_timeout
                .or(file.header_read_timeout)
                .unwrap_or(d.header_read_timeout),
            body_idle_timeout: args
                .body_idle_timeout
                .or(file.body_idle_timeout)
                .unwrap_or(d.body_idle_timeout),
            auth_body_deadline: args
                .auth_body_deadline
                .or(file.auth_body_deadline)
                .unwrap_or(d.auth_body_deadline),
        };
        for (name, value) in [
            ("max_connections", limits.max_connections),
            ("max_requests", limits.max_requests),
            ("max_uri_bytes", limits.max_uri_bytes),
            ("max_header_bytes", limits.max_header_bytes),
            ("max_header_count", limits.max_header_count),
        ] {
            if value == 0 {
                return Err(format!("limits.{name} must be positive"));
            }
        }
        Ok(limits)
    }

    /// The `[limits]` table in the file's format (to be printed after every top-level key).
    pub fn describe(&self) -> String {
        format!(
            "[limits]\nmax_connections = {}\nmax_requests = {}\nmax_uri_bytes = {}\n\
             max_header_bytes = {}\nmax_header_count = {}\nheader_read_timeout = {}\n\
             body_idle_timeout = {}\nauth_body_deadline = {}\n",
            self.max_connections,
            self.max_requests,
            self.max_uri_bytes,
            self.max_header_bytes,
            self.max_header_count,
            self.header_read_timeout.as_secs(),
            self.body_idle_timeout.as_secs(),
            self.auth_body_deadline.as_secs(),
        )
    }

    /// The service's bounds on bodies read before authentication: the deadline, and shares
    /// of `max_requests` ([`s4_service::pre_auth::PreAuthLimits::for_max_requests`]).
    pub fn pre_auth(&self) -> s4_service::pre_auth::PreAuthLimits {
        s4_service::pre_auth::PreAuthLimits::for_max_requests(
            self.max_requests,
            self.auth_body_deadline,
        )
    }

    /// hyper's own read buffer: room for the largest head this server accepts, so that an
    /// oversized head reaches [`crate::overload`] and is answered with an S3 error, with a
    /// hard stop (hyper's 431) at four times the limits.
    pub fn hyper_buffer(&self) -> usize {
        (4 * (self.max_uri_bytes + self.max_header_bytes)).max(8192)
    }

    /// hyper's header-count cap, likewise above ours.
    pub fn hyper_max_headers(&self) -> usize {
        4 * self.max_header_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        limits: LimitArgs,
    }

    fn args(list: &[&str]) -> LimitArgs {
        crate::config::parse_flags_only::<Cli>(list).unwrap().limits
    }

    #[test]
    fn defaults_precedence_and_round_trip() {
        #[derive(Deserialize)]
        struct Wrapper {
            limits: LimitsFile,
        }
        let limits = ServerLimits::merge(&args(&[]), None).unwrap();
        assert_eq!(limits, ServerLimits::default());
        assert_eq!(limits.max_requests, 1024);
        assert_eq!(limits.body_idle_timeout, Duration::from_secs(30));
        assert_eq!(limits.auth_body_deadline, Duration::from_secs(10));
        let file: LimitsFile = toml::from_str(
            "max_requests = 8\nbody_idle_timeout = \"2m\"\nmax_uri_bytes = 99\nauth_body_deadline = 3\n",
        )
        .unwrap();
        let limits = ServerLimits::merge(&args(&["--max-uri-bytes", "77"]), Some(file)).unwrap();
        assert_eq!(limits.max_requests, 8);
        assert_eq!(limits.max_uri_bytes, 77);
        assert_eq!(limits.body_idle_timeout, Duration::from_mins(2));
        assert_eq!(limits.auth_body_deadline, Duration::from_secs(3));
        assert_eq!(limits.pre_auth().max_in_flight, 2);
        let again: Wrapper = toml::from_str(&limits.describe()).unwrap();
        assert_eq!(
            ServerLimits::merge(&args(&[]), Some(again.limits)).unwrap(),
            limits
        );
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(Cli::try_parse_from(["s4-server", "--max-requests", "0"]).is_err());
        assert!(Cli::try_parse_from(["s4-server", "--body-idle-timeout", "0"]).is_err());
        assert!(Cli::try_parse_from(["s4-server", "--auth-body-deadline", "0"]).is_err());
        assert!(toml::from_str::<LimitsFile>("max_conections = 5").is_err());
        let file: LimitsFile = toml::from_str("max_connections = 0").unwrap();
        assert!(ServerLimits::merge(&args(&[]), Some(file)).is_err());
    }

    #[test]
    fn hyper_buffers_leave_room_for_the_s3_answer() {
        let limits = ServerLimits::default();
        assert!(limits.hyper_buffer() > limits.max_uri_bytes + limits.max_header_bytes);
        assert!(limits.hyper_max_headers() > limits.max_header_count);
    }
}
