//! `admin set-quota`, `show-quota`, and the usage-against-quota column of `list-accounts`:
//! per-account storage limits (see `s4_storage::quota`), kept by the backend and enforced in
//! its write transactions. Generic over the store, so the commands work on a data dir, through
//! a running server's admin socket and with `--meta` on PostgreSQL alike.

use s4_naming::AccountId;
use s4_storage::quota::{AccountQuota, AccountUsage};
use s4_storage::ObjectStore;
use serde::{Deserialize, Serialize};

use crate::admin::describe;

/// One limit as `set-quota` takes it: a maximum, or `none` to clear it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitSetting {
    /// No limit.
    None,
    /// At most this many (bytes, objects or buckets).
    Max(u64),
}

impl LimitSetting {
    fn value(self) -> Option<u64> {
        match self {
            Self::None => None,
            Self::Max(n) => Some(n),
        }
    }
}

/// `--max-bytes`: a size (`500GiB`, `1048576`) or `none`.
pub fn parse_bytes_limit(value: &str) -> Result<LimitSetting, String> {
    if value.trim() == "none" {
        return Ok(LimitSetting::None);
    }
    crate::config::parse_size(value).map(LimitSetting::Max)
}

/// `--max-objects`, `--max-buckets`: a count or `none`.
pub fn parse_count_limit(value: &str) -> Result<LimitSetting, String> {
    match value.trim() {
        "none" => Ok(LimitSetting::None),
        n => n
            .parse()
            .map(LimitSetting::Max)
            .map_err(|_| format!("invalid limit {value:?}: expected a number or `none`")),
    }
}

/// The limits `set-quota` changes; `None` leaves a limit as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct QuotaChange {
    pub bytes: Option<LimitSetting>,
    pub objects: Option<LimitSetting>,
    pub buckets: Option<LimitSetting>,
}

/// Applies `change` to the account's limits and shows the result.
pub async fn set_quota<S: ObjectStore>(
    store: &S,
    account: &AccountId,
    change: QuotaChange,
) -> Result<Vec<String>, String> {
    if change.bytes.is_none() && change.objects.is_none() && change.buckets.is_none() {
        return Err("give at least one of --max-bytes, --max-objects, --max-buckets".to_owned());
    }
    let mut quota = store.account_quota(account).await.map_err(describe)?;
    let apply = |setting: Option<LimitSetting>, limit: &mut Option<u64>| {
        if let Some(setting) = setting {
            *limit = setting.value();
        }
    };
    apply(change.bytes, &mut quota.max_bytes);
    apply(change.objects, &mut quota.max_objects);
    apply(change.buckets, &mut quota.max_buckets);
    store
        .set_account_quota(account, quota)
        .await
        .map_err(describe)?;
    show_quota(store, account).await
}

/// One line per limit: usage against the maximum.
pub async fn show_quota<S: ObjectStore>(
    store: &S,
    account: &AccountId,
) -> Result<Vec<String>, String> {
    let quota = store.account_quota(account).await.map_err(describe)?;
    let usage = store.account_usage(account).await.map_err(describe)?;
    Ok(vec![
        format!("max-bytes    {}", against(usage.bytes, quota.max_bytes)),
        format!("max-objects  {}", against(usage.objects, quota.max_objects)),
        format!("max-buckets  {}", against(usage.buckets, quota.max_buckets)),
    ])
}

/// `list-accounts`' columns after the ID: usage next to each limit.
pub fn usage_columns(usage: &AccountUsage, quota: &AccountQuota) -> String {
    format!(
        "bytes {}  objects {}  buckets {}",
        against(usage.bytes, quota.max_bytes),
        against(usage.objects, quota.max_objects),
        against(usage.buckets, quota.max_buckets)
    )
}

fn against(used: u64, limit: Option<u64>) -> String {
    match limit {
        Some(max) => format!("{used}/{max}"),
        None => format!("{used}/unlimited"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s4_storage::memory::MemoryStore;

    #[test]
    fn limits_parse_sizes_counts_and_none() {
        assert_eq!(
            parse_bytes_limit("500GiB"),
            Ok(LimitSetting::Max(500 << 30))
        );
        assert_eq!(parse_bytes_limit("none"), Ok(LimitSetting::None));
        assert!(parse_bytes_limit("lots").is_err());
        assert_eq!(parse_count_limit("12"), Ok(LimitSetting::Max(12)));
        assert_eq!(parse_count_limit("none"), Ok(LimitSetting::None));
        assert!(parse_count_limit("-1").is_err());
    }

    #[tokio::test]
    async fn set_changes_only_the_given_limits_and_none_clears() {
        let store = MemoryStore::new();
        let account = AccountId::from_number(5).expect("account");
        let both = QuotaChange {
            bytes: Some(LimitSetting::Max(1 << 30)),
            objects: Some(LimitSetting::Max(10)),
            ..QuotaChange::default()
        };
        set_quota(&store, &account, both).await.expect("set");
        let clear = QuotaChange {
            objects: Some(LimitSetting::None),
            ..QuotaChange::default()
        };
        let lines = set_quota(&store, &account, clear).await.expect("clear");
        assert_eq!(
            lines,
            [
                "max-bytes    0/1073741824",
                "max-objects  0/unlimited",
                "max-buckets  0/unlimited"
            ]
        );
        assert!(set_quota(&store, &account, QuotaChange::default())
            .await
            .is_err());
    }
}
