//! Per-account request-rate limits: one token bucket per account, charged as soon as a
//! request's account is known (a verified signature, or the account of a public URL) and
//! before its body is read. Past the limit the request is refused with `503 SlowDown` (IAM:
//! `Throttling`) and a `Retry-After` of the seconds until a token is available.
//!
//! Each bucket is one atomic word, the GCRA form of a token bucket: the "theoretical arrival
//! time" `tat` (nanoseconds since the limiter's start) at which the bucket would be full
//! again. A request at `now` costs one interval `T = 1 s / rate`; it is admitted when the new
//! `max(tat, now) + T` lies at most `burst × T` ahead of `now`, which is exactly a bucket of
//! `burst` tokens refilled at `rate`. Admission is a compare-and-swap, never a lock.
//!
//! Buckets sit in a map sharded by account, each shard behind a read-write lock that only a
//! never-seen account write-locks (once): the map grows with the accounts that made a
//! request, which are existing accounts only. With no default and no override the limiter is
//! off and costs one atomic load per request.
//!
//! Limits are per process: on a cluster every server keeps its own buckets, so an account may
//! make up to `servers × rate` requests per second in all. Overrides come from the
//! [`RateLimitStore`](s4_storage::RateLimitStore) through the host ([`RateLimiter::set_overrides`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use s4_naming::AccountId;
use s4_storage::RateLimit;

use crate::metrics::Metrics;

const NANOS_PER_SECOND: u64 = 1_000_000_000;
/// Enough shards that the two-core servers S4 targets rarely meet on one lock word.
const SHARDS: usize = 16;

/// A request refused for its account's rate: retry after `retry_after_seconds` (at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimited {
    pub retry_after_seconds: u32,
}

/// The limits of every account and their buckets. Cheap to share (`Arc` it); one per service.
pub struct RateLimiter {
    /// The limit of accounts without an override; `None`: unlimited.
    default: Option<RateLimit>,
    /// Whether any limit applies at all: the whole check when it is off.
    active: AtomicBool,
    overrides: RwLock<HashMap<AccountId, RateLimit>>,
    shards: [RwLock<HashMap<AccountId, Bucket>>; SHARDS],
    started: Instant,
    metrics: Metrics,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("default", &self.default)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// One account's token bucket.
struct Bucket {
    /// `rate << 32 | burst` of the limit in force; 0: unlimited. One word, so that a change
    /// of limit is never seen half-made.
    limit: AtomicU64,
    /// The GCRA theoretical arrival time, in nanoseconds since `started`.
    tat: AtomicU64,
    /// The second (since `started`) of the last refusal logged, plus one (0: none yet).
    logged_second: AtomicU64,
}

fn pack(limit: Option<RateLimit>) -> u64 {
    limit.map_or(0, |l| {
        (u64::from(l.requests_per_second) << 32) | u64::from(l.burst)
    })
}

impl Bucket {
    fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit: AtomicU64::new(pack(limit)),
            tat: AtomicU64::new(0),
            logged_second: AtomicU64::new(0),
        }
    }

    /// Takes one token at `now` (nanoseconds), or says how long until one is available.
    fn take(&self, now: u64) -> Result<(), Duration> {
        let limit = self.limit.load(Ordering::Relaxed);
        if limit == 0 {
            return Ok(());
        }
        let rate = limit >> 32;
        let burst = limit & u64::from(u32::MAX);
        // Rounded down: at most one nanosecond per request in the client's favour.
        let interval = (NANOS_PER_SECOND / rate).max(1);
        let tolerance = interval.saturating_mul(burst);
        let mut tat = self.tat.load(Ordering::Relaxed);
        loop {
            let next = tat.max(now) + interval;
            let ahead = next - now;
            if ahead > tolerance {
                return Err(Duration::from_nanos(ahead - tolerance));
            }
            match self
                .tat
                .compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(current) => tat = current,
            }
        }
    }

    /// True for the first refusal of each second: refusals are logged at most once a second
    /// per account, so that a client hammering past its limit cannot flood the log.
    fn first_refusal_in(&self, second: u64) -> bool {
        self.logged_second.swap(second + 1, Ordering::Relaxed) != second + 1
    }
}

/// Whole seconds to wait for `wait`, rounded up, at least 1 (`Retry-After` counts seconds).
fn retry_after_seconds(wait: Duration) -> u32 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    u32::try_from(seconds.max(1)).unwrap_or(u32::MAX)
}

fn shard_of(account: &AccountId) -> usize {
    (account.as_u64() % SHARDS as u64) as usize
}

impl RateLimiter {
    /// A limiter applying `default` to every account without an override (`None`: no limit
    /// but the overrides); refusals are counted in `metrics`.
    pub fn new(default: Option<RateLimit>, metrics: Metrics) -> Self {
        Self {
            default,
            active: AtomicBool::new(default.is_some()),
            overrides: RwLock::default(),
            shards: std::array::from_fn(|_| RwLock::default()),
            started: Instant::now(),
            metrics,
        }
    }

    /// The limit for accounts without an override.
    pub fn default_limit(&self) -> Option<RateLimit> {
        self.default
    }

    /// Replaces every override with `overrides` (all of them, as the store lists them); the
    /// buckets of accounts already seen take their new limit at once.
    pub fn set_overrides(&self, overrides: impl IntoIterator<Item = (AccountId, RateLimit)>) {
        let overrides: HashMap<AccountId, RateLimit> = overrides.into_iter().collect();
        let mut current = self
            .overrides
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if *current == overrides {
            return;
        }
        self.active.store(
            self.default.is_some() || !overrides.is_empty(),
            Ordering::Relaxed,
        );
        for shard in &self.shards {
            let buckets = shard.read().unwrap_or_else(PoisonError::into_inner);
            for (account, bucket) in buckets.iter() {
                let limit = overrides.get(account).copied().or(self.default);
                bucket.limit.store(pack(limit), Ordering::Relaxed);
            }
        }
        *current = overrides;
    }

    /// The limit in force for `account`: its override, else the default.
    pub fn limit_of(&self, account: &AccountId) -> Option<RateLimit> {
        self.overrides
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(account)
            .copied()
            .or(self.default)
    }

    /// Charges one request to `account`. A refusal is counted
    /// (`s4_rate_limited_total{account}`) and logged, at most once a second per account.
    pub fn admit(&self, account: &AccountId) -> Result<(), RateLimited> {
        if !self.active.load(Ordering::Relaxed) {
            return Ok(());
        }
        let now = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let wait = match self.take(account, now) {
            Ok(()) => return Ok(()),
            Err((wait, first_this_second)) => {
                if first_this_second {
                    tracing::warn!(
                        account = %account,
                        limit = ?self.limit_of(account).map(|l| l.to_string()),
                        retry_after_ms = wait.as_millis() as u64,
                        "request refused with SlowDown: the account is over its request-rate \
                         limit (logged once a second per account)"
                    );
                }
                wait
            }
        };
        self.metrics.record_rate_limited(account);
        Err(RateLimited {
            retry_after_seconds: retry_after_seconds(wait),
        })
    }

    /// Takes a token of `account`'s bucket at `now`; on refusal, the wait and whether it is
    /// the account's first refusal in this second.
    fn take(&self, account: &AccountId, now: u64) -> Result<(), (Duration, bool)> {
        let shard = &self.shards[shard_of(account)];
        {
            let buckets = shard.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(bucket) = buckets.get(account) {
                return bucket
                    .take(now)
                    .map_err(|wait| (wait, bucket.first_refusal_in(now / NANOS_PER_SECOND)));
            }
        }
        // First request of this account: its bucket is made, with the limit in force, under
        // the overrides' read lock, so that a concurrent `set_overrides` cannot be missed.
        let overrides = self
            .overrides
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let limit = overrides.get(account).copied().or(self.default);
        let mut buckets = shard.write().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets
            .entry(*account)
            .or_insert_with(|| Bucket::new(limit));
        drop(overrides);
        bucket
            .take(now)
            .map_err(|wait| (wait, bucket.first_refusal_in(now / NANOS_PER_SECOND)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = NANOS_PER_SECOND;
    const MS: u64 = 1_000_000;

    fn limit(rate: u32, burst: u32) -> RateLimit {
        RateLimit::new(rate, Some(burst)).unwrap()
    }

    fn account(n: u64) -> AccountId {
        AccountId::from_number(n).unwrap()
    }

    /// How many of `n` requests at the same instant are admitted.
    fn admitted_at(bucket: &Bucket, now: u64, n: usize) -> usize {
        (0..n).filter(|_| bucket.take(now).is_ok()).count()
    }

    #[test]
    fn a_full_bucket_admits_its_burst_at_once_then_refuses() {
        let bucket = Bucket::new(Some(limit(10, 5)));
        let now = 100 * SECOND;
        assert_eq!(admitted_at(&bucket, now, 20), 5);
        // The next token comes one interval (100 ms) later.
        assert_eq!(bucket.take(now), Err(Duration::from_millis(100)));
        assert_eq!(bucket.take(now + 40 * MS), Err(Duration::from_millis(60)));
    }

    #[test]
    fn tokens_refill_at_the_rate_up_to_the_burst() {
        let bucket = Bucket::new(Some(limit(10, 5)));
        let start = 100 * SECOND;
        assert_eq!(admitted_at(&bucket, start, 5), 5);
        // 250 ms refill two tokens (and a half).
        assert_eq!(admitted_at(&bucket, start + 250 * MS, 10), 2);
        // A long pause refills at most the burst.
        assert_eq!(admitted_at(&bucket, start + 60 * SECOND, 100), 5);
        // Sustained: one request per interval is always admitted.
        let later = start + 120 * SECOND;
        assert_eq!(admitted_at(&bucket, later, 5), 5);
        for i in 1..=50 {
            assert_eq!(bucket.take(later + i * 100 * MS), Ok(()), "request {i}");
        }
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_at_least_one() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        // Rates are whole requests per second, so a token is never more than a second away:
        // a refused client is told to wait one second.
        let bucket = Bucket::new(Some(RateLimit::new(1, Some(1)).unwrap()));
        assert_eq!(bucket.take(10 * SECOND), Ok(()));
        let wait = bucket.take(10 * SECOND).unwrap_err();
        assert_eq!(retry_after_seconds(wait), 1);
    }

    #[test]
    fn refusals_are_logged_once_a_second() {
        let bucket = Bucket::new(Some(limit(1, 1)));
        assert!(bucket.first_refusal_in(5));
        assert!(!bucket.first_refusal_in(5));
        assert!(!bucket.first_refusal_in(5));
        assert!(bucket.first_refusal_in(6));
        assert!(
            bucket.first_refusal_in(0),
            "second 0 is a second like any other"
        );
    }

    #[test]
    fn off_without_a_default_or_an_override() {
        let limiter = RateLimiter::new(None, Metrics::default());
        for _ in 0..10_000 {
            assert_eq!(limiter.admit(&account(1)), Ok(()));
        }
        assert!(limiter.shards.iter().all(|s| s.read().unwrap().is_empty()));
    }

    #[test]
    fn overrides_replace_the_default_for_their_account_at_once() {
        let metrics = Metrics::default();
        let limiter = RateLimiter::new(Some(limit(1000, 1000)), metrics.clone());
        let (busy, quiet) = (account(1), account(2));
        assert_eq!(limiter.take(&busy, SECOND).map_err(|_| ()), Ok(()));
        // The bucket exists already: the override applies to it from the next request.
        limiter.set_overrides([(busy, limit(2, 2))]);
        assert_eq!(limiter.limit_of(&busy), Some(limit(2, 2)));
        assert_eq!(limiter.limit_of(&quiet), Some(limit(1000, 1000)));
        let later = 10 * SECOND;
        let admitted = (0..10)
            .filter(|_| limiter.take(&busy, later).is_ok())
            .count();
        assert_eq!(admitted, 2);
        let admitted = (0..10)
            .filter(|_| limiter.take(&quiet, later).is_ok())
            .count();
        assert_eq!(admitted, 10);
        // Cleared: back to the default.
        limiter.set_overrides([]);
        assert!(limiter.take(&busy, 20 * SECOND).is_ok());
        // Refusals through `admit` are counted per account.
        let tight = account(3);
        limiter.set_overrides([(tight, limit(1, 1))]);
        let refused = (0..5).filter(|_| limiter.admit(&tight).is_err()).count();
        assert!(refused >= 3, "{refused}");
        assert!(metrics.render().contains(&format!(
            "s4_rate_limited_total{{account=\"{tight}\"}} {refused}"
        )));
    }

    #[test]
    fn an_override_alone_turns_the_limiter_on_and_clearing_it_off() {
        let limiter = RateLimiter::new(None, Metrics::default());
        let a = account(9);
        limiter.set_overrides([(a, limit(1, 1))]);
        assert_eq!(limiter.admit(&a), Ok(()));
        assert_eq!(
            limiter.admit(&a),
            Err(RateLimited {
                retry_after_seconds: 1
            })
        );
        assert_eq!(
            limiter.admit(&account(10)),
            Ok(()),
            "other accounts are free"
        );
        limiter.set_overrides([]);
        assert_eq!(limiter.admit(&a), Ok(()));
    }

    #[test]
    fn concurrent_takers_never_exceed_the_burst() {
        let bucket = std::sync::Arc::new(Bucket::new(Some(limit(1, 100))));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let bucket = bucket.clone();
                std::thread::spawn(move || admitted_at(&bucket, 50 * SECOND, 100))
            })
            .collect();
        let admitted: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(admitted, 100);
    }
}
