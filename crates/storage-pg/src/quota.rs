//! Storage quotas (see [`s4_storage::quota`]): `account_quotas` holds each limited account's
//! limits, and every transaction that grows an account's counters judges the growth in
//! [`admit`], called by `UsageDelta::apply` just before it writes the counter rows.
//!
//! Why exact across processes: `admit` first locks the account's quota row (`FOR UPDATE`)
//! and only then sums the account's counter rows. Every transaction that grows the account
//! holds that lock until it commits, and READ COMMITTED gives the sum a snapshot taken after
//! the lock was granted, so the sum includes every earlier grower's committed delta; two
//! writers can never both see the same room. Transactions that grow nothing (deletes,
//! aborts, expiry) take no quota lock: they can only make the sum smaller, never let a
//! grower past a limit.
//!
//! Lock order (extends the one in `usage.rs`): bucket `FOR KEY SHARE`, then object and upload
//! rows, then the quota rows of the accounts that grow (sorted by account), then the counter
//! rows. Only growers take quota rows, and none takes a quota row while holding a counter
//! row, so the quota rows add no cycle. An account without limits has no row: its writers
//! pay one index lookup and lock nothing.
//!
//! Cost: writers that grow one limited account serialize on its quota row for the length of
//! their commits (a WAL flush each). That is the price of an exact limit across servers; an
//! unlimited account keeps the sharded counters' concurrency.

use deadpool_postgres::GenericClient;
use s4_naming::AccountId;
use s4_storage::quota::{AccountQuota, AccountUsage, UsageChange};
use s4_storage::{StorageError, StorageResult};

use crate::prepared::Prepared;
use crate::Db;

/// One account's change in a transaction, summed over its buckets.
#[derive(Debug, Default)]
pub(crate) struct AccountChange {
    pub objects: i64,
    /// Object and part bytes.
    pub bytes: i64,
    pub uploads: i64,
}

impl AccountChange {
    fn grows(&self) -> bool {
        self.objects > 0 || self.bytes > 0 || self.uploads > 0
    }

    fn as_usage_change(&self) -> UsageChange {
        UsageChange {
            bytes_added: self.bytes.max(0) as u64,
            bytes_removed: 0,
            objects_added: self.objects.max(0) as u64,
        }
    }
}

fn as_limit(value: Option<i64>) -> Option<u64> {
    value.map(|v| v.max(0) as u64)
}

fn to_column(limit: Option<u64>) -> Option<i64> {
    limit.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

fn quota_of(row: &tokio_postgres::Row, from: usize) -> AccountQuota {
    AccountQuota {
        max_bytes: as_limit(row.get(from)),
        max_objects: as_limit(row.get(from + 1)),
        max_buckets: as_limit(row.get(from + 2)),
    }
}

/// Locks the account's quota row until the transaction ends; `None` when it has no limits.
async fn lock_quota(tx: &impl GenericClient, account: &str) -> StorageResult<Option<AccountQuota>> {
    let row = tx
        .pquery_opt(
            "SELECT max_bytes, max_objects, max_buckets FROM account_quotas \
             WHERE account = $1 FOR UPDATE",
            &[&account],
        )
        .await
        .db()?;
    Ok(row.map(|r| quota_of(&r, 0)))
}

/// The account's totals from its counter rows and bucket rows, in one statement.
async fn usage_of(client: &impl GenericClient, account: &str) -> StorageResult<AccountUsage> {
    let row = client
        .pquery_one(
            "SELECT (SELECT coalesce(sum(objects), 0)::bigint FROM bucket_usage WHERE account = $1), \
             (SELECT coalesce(sum(bytes + part_bytes), 0)::bigint FROM bucket_usage \
              WHERE account = $1), \
             (SELECT count(*) FROM buckets WHERE account = $1)",
            &[&account],
        )
        .await
        .db()?;
    let get = |i: usize| row.get::<_, i64>(i).max(0) as u64;
    Ok(AccountUsage {
        objects: get(0),
        bytes: get(1),
        buckets: get(2),
    })
}

/// Judges each growing account's change (accounts in sorted order) inside the transaction
/// that makes it; a refusal fails the transaction, which the caller then drops.
pub(crate) async fn admit<'a>(
    tx: &impl GenericClient,
    changes: impl Iterator<Item = (&'a str, AccountChange)>,
) -> StorageResult<()> {
    for (account, change) in changes {
        if !change.grows() {
            continue;
        }
        let Some(quota) = lock_quota(tx, account).await? else {
            continue;
        };
        let usage = usage_of(tx, account).await?;
        if change.uploads > 0 {
            quota.admit_upload_start(&usage)?;
        }
        quota.admit_change(&usage, &change.as_usage_change())?;
    }
    Ok(())
}

/// Judges one more bucket for `account`, holding its quota row until the transaction ends.
pub(crate) async fn admit_bucket(
    tx: &impl GenericClient,
    account: &AccountId,
) -> StorageResult<()> {
    match lock_quota(tx, account.as_str()).await? {
        Some(quota) => quota.admit_bucket(&usage_of(tx, account.as_str()).await?),
        None => Ok(()),
    }
}

/// Judges a write before its body is read, from a declared length, against the last
/// committed usage (no lock: the commit judges again).
pub(crate) async fn precheck(
    client: &impl GenericClient,
    account: &AccountId,
    change: &UsageChange,
) -> StorageResult<()> {
    match read(client, account).await? {
        quota if quota.is_unlimited() => Ok(()),
        quota => quota.admit_change(&usage_of(client, account.as_str()).await?, change),
    }
}

pub(crate) async fn read(
    client: &impl GenericClient,
    account: &AccountId,
) -> StorageResult<AccountQuota> {
    let row = client
        .pquery_opt(
            "SELECT max_bytes, max_objects, max_buckets FROM account_quotas WHERE account = $1",
            &[&account.as_str()],
        )
        .await
        .db()?;
    Ok(row.map(|r| quota_of(&r, 0)).unwrap_or_default())
}

pub(crate) async fn read_usage(
    client: &impl GenericClient,
    account: &AccountId,
) -> StorageResult<AccountUsage> {
    usage_of(client, account.as_str()).await
}

pub(crate) async fn read_all(
    client: &impl GenericClient,
) -> StorageResult<Vec<(AccountId, AccountQuota)>> {
    let rows = client
        .pquery(
            "SELECT account, max_bytes, max_objects, max_buckets FROM account_quotas \
             ORDER BY account COLLATE \"C\"",
            &[],
        )
        .await
        .db()?;
    rows.iter()
        .map(|row| {
            let account: &str = row.get(0);
            let id = AccountId::parse(account).map_err(|e| {
                StorageError::Internal(format!("corrupt account id {account:?}: {e}"))
            })?;
            Ok((id, quota_of(row, 1)))
        })
        .collect()
}

/// Stores the account's limits; unlimited deletes its row.
pub(crate) async fn write(
    client: &impl GenericClient,
    account: &AccountId,
    quota: &AccountQuota,
) -> StorageResult<()> {
    if quota.is_unlimited() {
        client
            .pexecute(
                "DELETE FROM account_quotas WHERE account = $1",
                &[&account.as_str()],
            )
            .await
            .db()?;
    } else {
        client
            .pexecute(
                "INSERT INTO account_quotas (account, max_bytes, max_objects, max_buckets) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO UPDATE SET \
                 max_bytes = excluded.max_bytes, max_objects = excluded.max_objects, \
                 max_buckets = excluded.max_buckets",
                &[
                    &account.as_str(),
                    &to_column(quota.max_bytes),
                    &to_column(quota.max_objects),
                    &to_column(quota.max_buckets),
                ],
            )
            .await
            .db()?;
    }
    Ok(())
}
