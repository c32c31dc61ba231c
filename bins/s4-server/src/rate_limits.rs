//! Per-account request-rate limits on the server side: the `--account-rate-limit` and
//! `--account-rate-burst` settings, and keeping the service's limiter in step with the
//! overrides in the metadata store.
//!
//! Overrides are read at start, after every `set-rate-limit` through this server's admin
//! socket (so it applies at once), and every [`RELOAD_INTERVAL`]: on a cluster (`--meta`),
//! where `s4-server admin set-rate-limit` writes the database directly, every server applies
//! an override within that interval. Buckets are per process (see `s4_service::rate_limit`).

use std::sync::Arc;
use std::time::Duration;

use s4_service::rate_limit::RateLimiter;
use s4_storage::{RateLimit, RateLimitStore, StorageResult};
use serde::Deserialize as _;

/// How often a server re-reads the overrides: the longest an override set elsewhere (another
/// server's admin socket, or `admin` on the database) takes to apply here.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// A `--account-rate-limit` value: `N/s`.
pub fn parse_rate(value: &str) -> Result<u32, String> {
    RateLimit::parse_rate(value).map_err(|e| e.to_string())
}

/// The file's `account_rate_limit = "500/s"`.
pub fn deserialize_rate<'de, D>(deserializer: D) -> Result<Option<u32>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) => parse_rate(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// The default limit from the resolved rate and burst settings: none without a rate; a burst
/// without a rate is a mistake worth refusing.
pub fn resolve(rate: Option<u32>, burst: Option<u32>) -> Result<Option<RateLimit>, String> {
    match (rate, burst) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(
            "account_rate_burst (--account-rate-burst) needs account_rate_limit \
             (--account-rate-limit)"
                .to_owned(),
        ),
        (Some(rate), burst) => RateLimit::new(rate, burst)
            .map(Some)
            .map_err(|e| format!("account_rate_limit: {e}")),
    }
}

/// The service's limiter and the store its overrides come from.
#[derive(Clone)]
pub struct Overrides {
    store: Arc<dyn RateLimitStore>,
    limiter: Arc<RateLimiter>,
}

impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overrides")
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl Overrides {
    pub fn new(store: Arc<dyn RateLimitStore>, limiter: Arc<RateLimiter>) -> Self {
        Self { store, limiter }
    }

    /// Reads every override from the store and hands them to the limiter.
    pub async fn reload(&self) -> StorageResult<()> {
        let overrides = self.store.rate_limits().await?;
        self.limiter.set_overrides(overrides);
        Ok(())
    }

    /// Reloads every `interval` until the task is dropped; a failed read keeps the overrides
    /// in force and is logged.
    pub fn spawn_reload(self, interval: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(error) = self.reload().await {
                    tracing::warn!(%error, "cannot re-read the rate-limit overrides; the previous ones stay in force");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use s4_naming::AccountId;
    use s4_service::Metrics;
    use s4_storage::memory::MemoryStore;
    use s4_storage::IdentityStore;

    use super::*;

    #[test]
    fn a_default_needs_a_rate_and_the_burst_defaults_to_it() {
        assert_eq!(resolve(None, None), Ok(None));
        assert_eq!(
            resolve(Some(500), None),
            Ok(Some(RateLimit::new(500, Some(500)).unwrap()))
        );
        assert_eq!(
            resolve(Some(500), Some(20)),
            Ok(Some(RateLimit::new(500, Some(20)).unwrap()))
        );
        assert!(resolve(None, Some(20)).unwrap_err().contains("needs"));
        assert!(resolve(Some(5), Some(0)).unwrap_err().contains("burst"));
        assert_eq!(parse_rate("50/s"), Ok(50));
        assert!(parse_rate("50").unwrap_err().contains("N/s"));
    }

    #[tokio::test]
    async fn reload_applies_the_stored_overrides() {
        let store = Arc::new(MemoryStore::new());
        let account = AccountId::from_number(5).unwrap();
        store.create_account(&account).await.unwrap();
        let limiter = Arc::new(RateLimiter::new(None, Metrics::default()));
        let overrides = Overrides::new(store.clone(), limiter.clone());
        overrides.reload().await.unwrap();
        assert_eq!(limiter.limit_of(&account), None);
        let limit = RateLimit::new(1, Some(1)).unwrap();
        store.set_rate_limit(&account, Some(limit)).await.unwrap();
        overrides.reload().await.unwrap();
        assert_eq!(limiter.limit_of(&account), Some(limit));
        assert!(limiter.admit(&account).is_ok());
        assert!(limiter.admit(&account).is_err());
    }
}
