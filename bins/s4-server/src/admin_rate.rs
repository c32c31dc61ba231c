//! `s4-server admin set-rate-limit` and `show-rate-limit`: the per-account request-rate
//! overrides kept in the metadata store (see [`crate::rate_limits`] for how servers apply
//! them).

use s4_naming::AccountId;
use s4_storage::{RateLimit, RateLimitStore};

use crate::admin::describe;

/// Sets (`rate`, optional `burst`) or, with `clear`, removes the account's override.
pub async fn set<S: RateLimitStore>(
    store: &S,
    account: &AccountId,
    rate: Option<u32>,
    burst: Option<u32>,
    clear: bool,
) -> Result<Vec<String>, String> {
    let limit = match (rate, clear) {
        (Some(_), true) => return Err("give a rate or --clear, not both".to_owned()),
        (None, false) => return Err("give a rate (e.g. 100/s) or --clear".to_owned()),
        (None, true) if burst.is_some() => {
            return Err("--burst goes with a rate, not with --clear".to_owned())
        }
        (None, true) => None,
        (Some(rate), false) => Some(RateLimit::new(rate, burst).map_err(|e| e.to_string())?),
    };
    store
        .set_rate_limit(account, limit)
        .await
        .map_err(describe)?;
    Ok(vec![match limit {
        Some(limit) => format!("{account}  {limit}"),
        None => format!("{account}  override cleared: the servers' --account-rate-limit applies"),
    }])
}

/// Every override (or the one of `account`), one line each: `ACCOUNT  N/s burst B`.
pub async fn show<S: RateLimitStore>(
    store: &S,
    account: Option<&AccountId>,
) -> Result<Vec<String>, String> {
    let overrides = store.rate_limits().await.map_err(describe)?;
    let lines: Vec<String> = overrides
        .iter()
        .filter(|(a, _)| account.is_none_or(|wanted| a == wanted))
        .map(|(a, limit)| format!("{a}  {limit}"))
        .collect();
    if lines.is_empty() {
        let whom = account.map_or_else(|| "any account".to_owned(), ToString::to_string);
        return Ok(vec![format!(
            "no rate-limit override for {whom}: the servers' --account-rate-limit applies (off unless set)"
        )]);
    }
    Ok(lines)
}
