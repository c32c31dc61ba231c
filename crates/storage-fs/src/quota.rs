//! Storage quotas (see [`s4_storage::quota`]): the `account_quotas` table holds each limited
//! account's limits, and every change to the usage counters passes [`admit`] in the write
//! transaction that makes it.
//!
//! Why exact: redb has one writer at a time (the group commit runs its members one after
//! the other in one transaction), so the account's totals summed from its buckets' usage
//! records inside the transaction already include every earlier commit and every earlier
//! member of the batch. No two writers can both see room for one more.
//!
//! Cost: a write that grows nothing (a delete, an abort, a smaller overwrite) does no quota
//! work; any other does one lookup in `account_quotas`, and only an account with limits
//! sums its buckets' records (a range read, one row per bucket).

use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use s4_naming::AccountId;
use s4_storage::quota::{AccountQuota, AccountUsage, UsageChange};
use s4_storage::{ObjectRef, StorageError, StorageResult};

use crate::codec::{ObjectRecord, UsageRecord};
use crate::usage::{Delta, USAGE};
use crate::{keys, Bin, BinRead, Db, OBJECTS};

/// Account ID (15 digits) -> encoded [`AccountQuota`]; no row: unlimited.
pub(crate) const QUOTAS: Bin = redb::TableDefinition::new("account_quotas");

const ACCOUNT_LEN: usize = 15;
const RECORD_VERSION: u8 = 1;

fn encode(quota: &AccountQuota) -> Vec<u8> {
    let mut out = Vec::with_capacity(28);
    out.push(RECORD_VERSION);
    for limit in [quota.max_bytes, quota.max_objects, quota.max_buckets] {
        out.push(u8::from(limit.is_some()));
        out.extend_from_slice(&limit.unwrap_or(0).to_le_bytes());
    }
    out
}

fn decode(buf: &[u8]) -> StorageResult<AccountQuota> {
    let corrupt = || StorageError::Internal("corrupt account quota record".to_owned());
    if buf.len() != 28 || buf[0] != RECORD_VERSION {
        return Err(corrupt());
    }
    let limit = |i: usize| -> StorageResult<Option<u64>> {
        let at = 1 + 9 * i;
        let value = u64::from_le_bytes(buf[at + 1..at + 9].try_into().map_err(|_| corrupt())?);
        Ok((buf[at] == 1).then_some(value))
    };
    Ok(AccountQuota {
        max_bytes: limit(0)?,
        max_objects: limit(1)?,
        max_buckets: limit(2)?,
    })
}

fn account_key(account: &AccountId) -> &[u8] {
    account.as_str().as_bytes()
}

fn quota_of(table: &impl BinRead, account: &[u8]) -> StorageResult<Option<AccountQuota>> {
    table
        .get(account)
        .db()?
        .map(|v| decode(v.value()))
        .transpose()
}

/// The account's totals summed from its buckets' usage records (keys start with the account).
fn usage_of(usage: &impl BinRead, account: &[u8]) -> StorageResult<AccountUsage> {
    let mut end = account.to_vec();
    end.push(0xff);
    let mut total = AccountUsage::default();
    for row in usage.range::<&[u8]>(account..end.as_slice()).db()? {
        let record = UsageRecord::decode(row.db()?.1.value())?;
        total.buckets += 1;
        total.objects += record.objects;
        total.bytes += record.bytes + record.part_bytes;
    }
    Ok(total)
}

/// Judges `delta` to the bucket `bucket_key` against its account's quota, inside the write
/// transaction that applies it (called by `usage::adjust`, before it applies the delta).
pub(crate) fn admit(txn: &WriteTransaction, bucket_key: &[u8], delta: &Delta) -> StorageResult<()> {
    let change = delta.quota_change();
    let grows = change.bytes_added > change.bytes_removed || change.objects_added > 0;
    if !grows && delta.uploads <= 0 {
        return Ok(());
    }
    let account = bucket_key
        .get(..ACCOUNT_LEN)
        .ok_or_else(|| StorageError::Internal("corrupt bucket key".to_owned()))?;
    let Some(quota) = quota_of(&txn.open_table(QUOTAS).db()?, account)? else {
        return Ok(());
    };
    let usage = usage_of(&txn.open_table(USAGE).db()?, account)?;
    if delta.uploads > 0 {
        quota.admit_upload_start(&usage)?;
    }
    quota.admit_change(&usage, &change)
}

/// Judges one more bucket for `account`, inside the transaction that creates it.
pub(crate) fn admit_bucket(txn: &WriteTransaction, account: &AccountId) -> StorageResult<()> {
    let key = account_key(account);
    match quota_of(&txn.open_table(QUOTAS).db()?, key)? {
        Some(quota) => quota.admit_bucket(&usage_of(&txn.open_table(USAGE).db()?, key)?),
        None => Ok(()),
    }
}

/// Judges a write before its body is read, from a declared length: the same rule as the
/// commit, against the last committed usage. The commit judges again.
pub(crate) fn precheck(
    txn: &ReadTransaction,
    account: &AccountId,
    change: &UsageChange,
) -> StorageResult<()> {
    let key = account_key(account);
    match quota_of(&txn.open_table(QUOTAS).db()?, key)? {
        Some(quota) => quota.admit_change(&usage_of(&txn.open_table(USAGE).db()?, key)?, change),
        None => Ok(()),
    }
}

/// [`precheck`] for `length` bytes stored at `target`, replacing what is there.
pub(crate) fn precheck_object(
    txn: &ReadTransaction,
    target: &ObjectRef,
    length: u64,
) -> StorageResult<()> {
    let account = account_key(&target.account);
    // Most accounts have no limit: they pay this one lookup, not the object's as well.
    let Some(quota) = quota_of(&txn.open_table(QUOTAS).db()?, account)? else {
        return Ok(());
    };
    let key = keys::object(&target.account, &target.bucket, &target.key);
    let replaced = match txn.open_table(OBJECTS).db()?.get(key.as_slice()).db()? {
        Some(v) => Some(ObjectRecord::decode_summary(v.value())?.0),
        None => None,
    };
    let usage = usage_of(&txn.open_table(USAGE).db()?, account)?;
    quota.admit_change(&usage, &Delta::replace(replaced, length).quota_change())
}

pub(crate) fn read(txn: &ReadTransaction, account: &AccountId) -> StorageResult<AccountQuota> {
    Ok(quota_of(&txn.open_table(QUOTAS).db()?, account_key(account))?.unwrap_or_default())
}

pub(crate) fn read_usage(
    txn: &ReadTransaction,
    account: &AccountId,
) -> StorageResult<AccountUsage> {
    usage_of(&txn.open_table(USAGE).db()?, account_key(account))
}

pub(crate) fn read_all(txn: &ReadTransaction) -> StorageResult<Vec<(AccountId, AccountQuota)>> {
    let table = txn.open_table(QUOTAS).db()?;
    let mut out = Vec::new();
    for row in table.iter().db()? {
        let (k, v) = row.db()?;
        let account = std::str::from_utf8(k.value())
            .ok()
            .and_then(|a| AccountId::parse(a).ok())
            .ok_or_else(|| StorageError::Internal("corrupt account quota key".to_owned()))?;
        out.push((account, decode(v.value())?));
    }
    Ok(out)
}

/// Stores the account's limits; unlimited removes its row.
pub(crate) fn write(
    txn: &WriteTransaction,
    account: &AccountId,
    quota: &AccountQuota,
) -> StorageResult<()> {
    let mut table = txn.open_table(QUOTAS).db()?;
    if quota.is_unlimited() {
        table.remove(account_key(account)).db()?;
    } else {
        table
            .insert(account_key(account), encode(quota).as_slice())
            .db()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_reject_damage() {
        let quota = AccountQuota {
            max_bytes: Some(5 << 40),
            max_objects: None,
            max_buckets: Some(0),
        };
        let bytes = encode(&quota);
        assert_eq!(decode(&bytes).unwrap(), quota);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err());
        }
    }
}
