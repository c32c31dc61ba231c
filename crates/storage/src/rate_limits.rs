//! Per-account request-rate overrides, as an operator sets them (`s4-server admin
//! set-rate-limit`) and every server process reads them.
//!
//! The store only keeps the numbers; the token buckets that apply them live in each server
//! process (`s4-service`), so on a cluster every process enforces the limit on its own.

use std::fmt;

use async_trait::async_trait;
use s4_naming::AccountId;

use crate::StorageResult;

/// A sustained request rate and the burst allowed on top of it: a token bucket of `burst`
/// tokens refilled at `requests_per_second`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Tokens added per second (at least 1).
    pub requests_per_second: u32,
    /// The bucket's capacity: how many requests may arrive at once after a quiet spell (at
    /// least 1).
    pub burst: u32,
}

/// Why a rate limit or its text form was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// Not `N/s`.
    #[error("{0:?} is not a request rate: write requests per second as N/s, e.g. 500/s")]
    Malformed(String),
    /// A rate or burst of zero would refuse every request.
    #[error("a rate limit's {0} must be at least 1")]
    Zero(&'static str),
}

impl RateLimit {
    /// `requests_per_second` with `burst`, by default one second's worth of requests.
    pub fn new(requests_per_second: u32, burst: Option<u32>) -> Result<Self, RateLimitError> {
        let burst = burst.unwrap_or(requests_per_second);
        if requests_per_second == 0 {
            return Err(RateLimitError::Zero("rate"));
        }
        if burst == 0 {
            return Err(RateLimitError::Zero("burst"));
        }
        Ok(Self {
            requests_per_second,
            burst,
        })
    }

    /// Parses a rate written `N/s` (`500/s`) into requests per second.
    pub fn parse_rate(text: &str) -> Result<u32, RateLimitError> {
        let malformed = || RateLimitError::Malformed(text.to_owned());
        let number = text.trim().strip_suffix("/s").ok_or_else(malformed)?;
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let rate = number.parse::<u32>().map_err(|_| malformed())?;
        if rate == 0 {
            return Err(RateLimitError::Zero("rate"));
        }
        Ok(rate)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s burst {}", self.requests_per_second, self.burst)
    }
}

/// Per-account rate-limit overrides. A server reads them all at start and again periodically
/// (and at once after an override set through its admin socket), so the calls are rare and
/// never on a request's path.
#[async_trait]
pub trait RateLimitStore: Send + Sync + 'static {
    /// Sets (`Some`) or clears (`None`) the account's override. Setting one for an account
    /// that was never created is `NoSuchEntity`; clearing an absent override is not an error.
    async fn set_rate_limit(
        &self,
        account: &AccountId,
        limit: Option<RateLimit>,
    ) -> StorageResult<()>;

    /// Every override, by account ID.
    async fn rate_limits(&self) -> StorageResult<Vec<(AccountId, RateLimit)>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_written_per_second() {
        assert_eq!(RateLimit::parse_rate("500/s"), Ok(500));
        assert_eq!(RateLimit::parse_rate(" 1/s "), Ok(1));
        for bad in [
            "500",
            "500/m",
            "/s",
            "-1/s",
            "1.5/s",
            "+5/s",
            "99999999999/s",
            "",
        ] {
            assert!(
                matches!(
                    RateLimit::parse_rate(bad),
                    Err(RateLimitError::Malformed(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(
            RateLimit::parse_rate("0/s"),
            Err(RateLimitError::Zero("rate"))
        );
    }

    #[test]
    fn the_burst_defaults_to_one_second_of_requests() {
        let limit = RateLimit::new(50, None).unwrap();
        assert_eq!((limit.requests_per_second, limit.burst), (50, 50));
        assert_eq!(RateLimit::new(50, Some(5)).unwrap().burst, 5);
        assert_eq!(
            RateLimit::new(50, Some(0)),
            Err(RateLimitError::Zero("burst"))
        );
        assert_eq!(RateLimit::new(0, None), Err(RateLimitError::Zero("rate")));
        assert_eq!(limit.to_string(), "50/s burst 50");
    }
}
