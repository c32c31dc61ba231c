//! The server-wide CORS setting: flags (`--cors-allow-origin`, repeatable), environment
//! (`S4_CORS_ALLOW_ORIGIN`, comma-separated) and the `[cors]` table of the configuration
//! file, merged into [`s4_service::CorsConfig`]. A flag or variable replaces the file's list.

use serde::Deserialize;

/// The CORS flags, flattened into the command line.
#[derive(Debug, Default, clap::Args)]
pub struct CorsArgs {
    /// An origin browser pages may call S4 from (`https://app.example.com`, or `*` for any);
    /// repeat it or separate with commas [default: none, no cross-origin access].
    #[arg(
        long = "cors-allow-origin",
        env = "S4_CORS_ALLOW_ORIGIN",
        value_delimiter = ','
    )]
    pub allow_origins: Vec<String>,
    /// Methods a preflight may ask for, comma-separated [default: GET,HEAD,PUT,POST,DELETE].
    #[arg(
        long = "cors-allow-methods",
        env = "S4_CORS_ALLOW_METHODS",
        value_delimiter = ','
    )]
    pub allow_methods: Vec<String>,
    /// Request headers a preflight may ask for, comma-separated, or `*` [default: *].
    #[arg(
        long = "cors-allow-headers",
        env = "S4_CORS_ALLOW_HEADERS",
        value_delimiter = ','
    )]
    pub allow_headers: Vec<String>,
    /// Response headers pages may read, comma-separated [default: ETag, x-amz-request-id,
    /// x-amz-id-2, x-amz-version-id, Content-Length, Content-Range, Last-Modified].
    #[arg(
        long = "cors-expose-headers",
        env = "S4_CORS_EXPOSE_HEADERS",
        value_delimiter = ','
    )]
    pub expose_headers: Vec<String>,
    /// How long browsers may cache a preflight answer, in seconds [default: 600].
    #[arg(long = "cors-max-age", env = "S4_CORS_MAX_AGE")]
    pub max_age_seconds: Option<u32>,
}

/// The `[cors]` table of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsFile {
    pub allow_origins: Option<Vec<String>>,
    pub allow_methods: Option<Vec<String>>,
    pub allow_headers: Option<Vec<String>>,
    pub expose_headers: Option<Vec<String>>,
    pub max_age_seconds: Option<u32>,
}

const METHODS: [&str; 5] = ["GET", "HEAD", "PUT", "POST", "DELETE"];

/// The effective setting; errors name the bad value.
pub fn merge(args: &CorsArgs, file: Option<CorsFile>) -> Result<s4_service::CorsConfig, String> {
    let file = file.unwrap_or_default();
    let pick = |flag: &Vec<String>, file: Option<Vec<String>>, default: Vec<String>| {
        let chosen = if flag.is_empty() {
            file.unwrap_or(default)
        } else {
            flag.clone()
        };
        chosen
            .into_iter()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
    };
    let defaults = s4_service::CorsConfig::default();
    let config = s4_service::CorsConfig {
        allow_origins: pick(&args.allow_origins, file.allow_origins, Vec::new()),
        allow_methods: pick(
            &args.allow_methods,
            file.allow_methods,
            defaults.allow_methods,
        )
        .into_iter()
        .map(|m| m.to_ascii_uppercase())
        .collect(),
        allow_headers: pick(
            &args.allow_headers,
            file.allow_headers,
            defaults.allow_headers,
        ),
        expose_headers: pick(
            &args.expose_headers,
            file.expose_headers,
            defaults.expose_headers,
        ),
        max_age_seconds: args
            .max_age_seconds
            .or(file.max_age_seconds)
            .unwrap_or(defaults.max_age_seconds),
    };
    for origin in &config.allow_origins {
        check_origin(origin)?;
    }
    if let Some(m) = config
        .allow_methods
        .iter()
        .find(|m| !METHODS.contains(&m.as_str()))
    {
        return Err(format!(
            "cors allow_methods {m:?}: not one of {}",
            METHODS.join(", ")
        ));
    }
    for name in config.allow_headers.iter().chain(&config.expose_headers) {
        if name != "*" && hyper::http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(format!("cors header {name:?}: not a header name"));
        }
    }
    Ok(config)
}

/// `*`, or `scheme://host[:port]` exactly as a browser sends it in `Origin` (no path, no
/// trailing slash).
fn check_origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Ok(());
    }
    let bad = |why: &str| Err(format!("cors allow_origin {origin:?}: {why}"));
    let Some((scheme, rest)) = origin.split_once("://") else {
        return bad("must be scheme://host[:port], e.g. https://app.example.com");
    };
    if !matches!(scheme, "http" | "https") {
        return bad("the scheme must be http or https");
    }
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
        return bad("no path, query, spaces or wildcards: browsers send scheme://host[:port]");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_no_cross_origin_access() {
        let c = merge(&CorsArgs::default(), None).unwrap();
        assert!(!c.is_enabled());
        assert_eq!(c, s4_service::CorsConfig::default());
    }

    #[test]
    fn flags_replace_the_file_and_values_are_checked() {
        let args = CorsArgs {
            allow_origins: vec!["https://app.example.com".into()],
            allow_methods: vec!["get".into(), "PUT".into()],
            ..CorsArgs::default()
        };
        let file = CorsFile {
            allow_origins: Some(vec!["https://old.example.com".into()]),
            expose_headers: Some(vec!["ETag".into()]),
            ..CorsFile::default()
        };
        let c = merge(&args, Some(file)).unwrap();
        assert_eq!(c.allow_origins, ["https://app.example.com"]);
        assert_eq!(c.allow_methods, ["GET", "PUT"]);
        assert_eq!(c.expose_headers, ["ETag"]);
        for origin in [
            "app.example.com",
            "https://app.example.com/",
            "ftp://x",
            "https://*.example.com",
        ] {
            let args = CorsArgs {
                allow_origins: vec![origin.into()],
                ..CorsArgs::default()
            };
            assert!(merge(&args, None).is_err(), "{origin}");
        }
        let args = CorsArgs {
            allow_methods: vec!["PATCH".into()],
            ..CorsArgs::default()
        };
        assert!(merge(&args, None).unwrap_err().contains("PATCH"));
    }
}
