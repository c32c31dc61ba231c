//! Service configuration: the endpoint, the region, the request limits and the console switch.

pub use crate::pre_auth::PreAuthLimits;
pub use crate::route::EndpointConfig;

/// Bounds on what a request may make the service buffer or accept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest XML request body read into memory (DeleteObjects, CreateBucket). Larger
    /// bodies answer `MaxMessageLengthExceeded` without being read.
    pub max_xml_body: usize,
    /// The most bytes of `x-amz-meta-*` names and values on one object (`MetadataTooLarge`).
    pub max_user_metadata: usize,
    /// The most keys one DeleteObjects may name.
    pub max_delete_keys: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_xml_body: s4_s3_xml::DEFAULT_BODY_LIMIT,
            max_user_metadata: 2 * 1024,
            max_delete_keys: s4_s3_xml::MAX_DELETE_OBJECTS,
        }
    }
}

/// Everything [`crate::S4Service`] needs to know besides its stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceConfig {
    /// The endpoint domain the service answers for (`s3.<domain>`, `iam.<domain>`).
    pub endpoint: EndpointConfig,
    /// The region the service names itself; requests signed for any region verify.
    pub region: String,
    pub limits: Limits,
    /// Bounds on bodies read before authentication (IAM forms): see [`crate::pre_auth`].
    pub pre_auth: PreAuthLimits,
    /// Proxies whose `X-Forwarded-For` the access log reports (empty: none).
    pub trusted_proxies: crate::access_log::TrustedProxies,
    /// Whether the web console is served at `/_s4/console/` (and a browser's `GET /` sent
    /// there); on unless the host turns it off.
    pub console: bool,
    /// The request-rate limit of every account without an override (`None`: none); see
    /// [`crate::rate_limit`].
    pub account_rate_limit: Option<s4_storage::RateLimit>,
    /// Server-wide CORS (default: no cross-origin access): see [`crate::cors`].
    pub cors: crate::cors::CorsConfig,
}

impl ServiceConfig {
    /// A configuration for `domain` with region `us-east-1` and default limits.
    pub fn new(domain: &str) -> Self {
        Self {
            endpoint: EndpointConfig::new(domain),
            region: "us-east-1".to_owned(),
            limits: Limits::default(),
            pre_auth: PreAuthLimits::default(),
            trusted_proxies: crate::access_log::TrustedProxies::default(),
            console: true,
            account_rate_limit: None,
            cors: crate::cors::CorsConfig::default(),
        }
    }
}
