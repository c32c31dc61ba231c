//! Per-bucket usage counters: the `bucket_usage` table holds, under each bucket's `buckets`
//! key, the bucket's object count, byte total and multipart uploads in progress.
//!
//! Every transaction that inserts or removes an object or upload row adjusts its bucket's
//! record in the same redb write transaction ([`adjust`]), so the totals are exact at every
//! commit and a crash cannot skew them. A batch of the group commit adjusts once per member;
//! a member that refused is rolled back with the rest of its run.
//!
//! Data directories written before the table existed are recounted once at start-up
//! ([`prepare`]): see there.

use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata, WriteTransaction};
use s4_naming::AccountId;
use s4_storage::{AccountBucketUsage, BucketUsage, StorageError, StorageResult};

use crate::codec::{ObjectRecord, PartRecord, UsageRecord};
use crate::{keys, Bin, Db, BUCKETS, META, OBJECTS, PARTS, UPLOADS};

/// `account ++ bucket` (the `buckets` key) -> [`UsageRecord`].
pub(crate) const USAGE: Bin = redb::TableDefinition::new("bucket_usage");

/// The `meta` row naming the version of the usage table's contents; absent in data
/// directories written before usage counters existed.
pub(crate) const MARKER: &str = "usage_counters";
/// Version 2 added the part bytes that storage quotas count: a version-1 table is recounted.
const MARKER_VERSION: u64 = 2;

/// A change to one bucket's totals.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Delta {
    pub objects: i64,
    pub bytes_added: u64,
    pub bytes_removed: u64,
    pub uploads: i64,
    pub part_bytes_added: u64,
    pub part_bytes_removed: u64,
}

impl Delta {
    /// An object of `new` bytes replaces one of `old` bytes (`None`: there was none).
    pub fn replace(old: Option<u64>, new: u64) -> Self {
        Self {
            objects: i64::from(old.is_none()),
            bytes_added: new,
            bytes_removed: old.unwrap_or(0),
            ..Self::default()
        }
    }

    /// A part of `size` bytes is stored (part numbers are never re-uploaded).
    pub fn part(size: u64) -> Self {
        Self {
            part_bytes_added: size,
            ..Self::default()
        }
    }

    /// Parts of `bytes` in total are gone (their upload ended).
    pub fn parts_removed(bytes: u64) -> Self {
        Self {
            part_bytes_removed: bytes,
            ..Self::default()
        }
    }

    /// An object of `size` bytes is gone.
    pub fn removed(size: u64) -> Self {
        Self {
            objects: -1,
            bytes_removed: size,
            ..Self::default()
        }
    }

    /// `n` uploads started (negative: ended).
    pub fn uploads(n: i64) -> Self {
        Self {
            uploads: n,
            ..Self::default()
        }
    }

    /// Both changes.
    pub fn and(self, other: Self) -> Self {
        Self {
            objects: self.objects + other.objects,
            bytes_added: self.bytes_added + other.bytes_added,
            bytes_removed: self.bytes_removed + other.bytes_removed,
            uploads: self.uploads + other.uploads,
            part_bytes_added: self.part_bytes_added + other.part_bytes_added,
            part_bytes_removed: self.part_bytes_removed + other.part_bytes_removed,
        }
    }

    fn is_zero(&self) -> bool {
        self.objects == 0
            && self.bytes_added == self.bytes_removed
            && self.uploads == 0
            && self.part_bytes_added == self.part_bytes_removed
    }

    /// The change storage quotas judge: object and part bytes together.
    pub fn quota_change(&self) -> s4_storage::quota::UsageChange {
        s4_storage::quota::UsageChange {
            bytes_added: self.bytes_added + self.part_bytes_added,
            bytes_removed: self.bytes_removed + self.part_bytes_removed,
            objects_added: u64::try_from(self.objects).unwrap_or(0),
        }
    }
}

/// Applies `delta` to the totals of the bucket whose `buckets` key is `bucket_key`, inside the
/// transaction that makes the change it counts, after the account's storage quota admitted
/// it (a refusal fails the transaction). The caller has checked, in `txn`, that the bucket
/// exists.
pub(crate) fn adjust(txn: &WriteTransaction, bucket_key: &[u8], delta: Delta) -> StorageResult<()> {
    crate::quota::admit(txn, bucket_key, &delta)?;
    if delta.is_zero() {
        return Ok(());
    }
    let mut table = txn.open_table(USAGE).db()?;
    // Every bucket gets its record when created or recounted at start-up.
    let current = match table.get(bucket_key).db()? {
        Some(v) => UsageRecord::decode(v.value())?,
        None => return Err(missing()),
    };
    let next = UsageRecord {
        objects: step(current.objects, delta.objects),
        bytes: {
            let grown = current.bytes.saturating_add(delta.bytes_added);
            debug_assert!(grown >= delta.bytes_removed, "usage bytes below zero");
            grown.saturating_sub(delta.bytes_removed)
        },
        uploads: step(current.uploads, delta.uploads),
        part_bytes: {
            let grown = current.part_bytes.saturating_add(delta.part_bytes_added);
            debug_assert!(grown >= delta.part_bytes_removed, "part bytes below zero");
            grown.saturating_sub(delta.part_bytes_removed)
        },
    };
    table.insert(bucket_key, next.encode().as_slice()).db()?;
    Ok(())
}

/// `n + d`, clamped at zero (a counter that would go negative is a bug, caught in debug
/// builds; release builds keep serving).
fn step(n: u64, d: i64) -> u64 {
    let next = n.checked_add_signed(d);
    debug_assert!(next.is_some(), "usage counter out of range: {n} + {d}");
    next.unwrap_or(if d < 0 { 0 } else { u64::MAX })
}

/// A new bucket's zero record.
pub(crate) fn create(txn: &WriteTransaction, bucket_key: &[u8]) -> StorageResult<()> {
    txn.open_table(USAGE)
        .db()?
        .insert(bucket_key, UsageRecord::default().encode().as_slice())
        .db()?;
    Ok(())
}

/// A deleted (hence empty) bucket's record goes with it.
pub(crate) fn remove(txn: &WriteTransaction, bucket_key: &[u8]) -> StorageResult<()> {
    let mut table = txn.open_table(USAGE).db()?;
    let removed = table.remove(bucket_key).db()?;
    if cfg!(debug_assertions) {
        let last = removed
            .map(|v| UsageRecord::decode(v.value()))
            .transpose()?;
        assert_eq!(
            last,
            Some(UsageRecord::default()),
            "an empty bucket's usage record must be zero"
        );
    }
    Ok(())
}

/// At start-up, inside the transaction that creates the tables: recounts every bucket's
/// totals from its object and upload rows unless the marker says the table is current and it
/// holds exactly one record per bucket. The first open of a data directory from before usage
/// counters recounts once; so does one after a bucket was created or deleted by such a
/// version. Returns whether it recounted any bucket.
pub(crate) fn prepare(txn: &WriteTransaction) -> StorageResult<bool> {
    let marked = txn
        .open_table(META)
        .db()?
        .get(MARKER)
        .db()?
        .map(|v| v.value());
    if marked == Some(MARKER_VERSION) && one_record_per_bucket(txn)? {
        return Ok(false);
    }
    recount(txn)?;
    txn.open_table(META)
        .db()?
        .insert(MARKER, MARKER_VERSION)
        .db()?;
    // A new data directory has nothing to recount.
    Ok(!txn.open_table(BUCKETS).db()?.is_empty().db()?)
}

/// Whether the usage table's keys are exactly the buckets' keys (one pass over both).
fn one_record_per_bucket(txn: &WriteTransaction) -> StorageResult<bool> {
    let buckets = txn.open_table(BUCKETS).db()?;
    let usage = txn.open_table(USAGE).db()?;
    if buckets.len().db()? != usage.len().db()? {
        return Ok(false);
    }
    for (b, u) in buckets.iter().db()?.zip(usage.iter().db()?) {
        if b.db()?.0.value() != u.db()?.0.value() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Replaces the usage table with totals counted from the object and upload rows.
fn recount(txn: &WriteTransaction) -> StorageResult<()> {
    txn.delete_table(USAGE).db()?;
    let buckets = txn.open_table(BUCKETS).db()?;
    let objects = txn.open_table(OBJECTS).db()?;
    let uploads = txn.open_table(UPLOADS).db()?;
    let parts = txn.open_table(PARTS).db()?;
    let mut usage = txn.open_table(USAGE).db()?;
    for row in buckets.iter().db()? {
        let (bucket_key, _) = row.db()?;
        let bucket_key = bucket_key.value();
        let prefix = keys::row_prefix(bucket_key)
            .ok_or_else(|| StorageError::Internal("corrupt bucket key".to_owned()))?;
        let end = keys::above(&prefix);
        let mut record = UsageRecord::default();
        for row in objects
            .range::<&[u8]>(prefix.as_slice()..end.as_slice())
            .db()?
        {
            let (_, v) = row.db()?;
            let (size, _, _) = ObjectRecord::decode_summary(v.value())?;
            record.objects += 1;
            record.bytes += size;
        }
        for row in uploads
            .range::<&[u8]>(prefix.as_slice()..end.as_slice())
            .db()?
        {
            let (k, _) = row.db()?;
            record.uploads += 1;
            let upload_id = std::str::from_utf8(&k.value()[prefix.len()..])
                .map_err(|_| StorageError::Internal("corrupt upload ID".to_owned()))?;
            let (first, last) = (keys::part(upload_id, 0), keys::part(upload_id, u32::MAX));
            for part in parts
                .range::<&[u8]>(first.as_slice()..=last.as_slice())
                .db()?
            {
                record.part_bytes += PartRecord::decode(part.db()?.1.value())?.size;
            }
        }
        usage.insert(bucket_key, record.encode().as_slice()).db()?;
    }
    Ok(())
}

fn usage(record: UsageRecord) -> BucketUsage {
    BucketUsage {
        objects: record.objects,
        bytes: record.bytes,
        uploads_in_progress: record.uploads,
    }
}

fn missing() -> StorageError {
    StorageError::Internal("a bucket has no usage record".to_owned())
}

/// One bucket's totals (`NoSuchBucket` if it does not exist).
pub(crate) fn read(
    txn: &ReadTransaction,
    account: &AccountId,
    bucket: &str,
) -> StorageResult<BucketUsage> {
    crate::objects::read_bucket(txn, account, bucket)?;
    let table = txn.open_table(USAGE).db()?;
    let row = table.get(keys::bucket(account, bucket).as_slice()).db()?;
    match row {
        Some(v) => Ok(usage(UsageRecord::decode(v.value())?)),
        None => Err(missing()),
    }
}

/// Every bucket's totals, in key order: by account (fixed-width digits), then bucket name.
pub(crate) fn read_all(txn: &ReadTransaction) -> StorageResult<Vec<AccountBucketUsage>> {
    let table = txn.open_table(USAGE).db()?;
    let corrupt = || StorageError::Internal("corrupt usage key".to_owned());
    let mut out = Vec::new();
    for row in table.iter().db()? {
        let (k, v) = row.db()?;
        let k = k.value();
        let account = k
            .get(..15)
            .and_then(|a| std::str::from_utf8(a).ok())
            .and_then(|a| AccountId::parse(a).ok())
            .ok_or_else(corrupt)?;
        let bucket = std::str::from_utf8(&k[15..]).map_err(|_| corrupt())?;
        out.push(AccountBucketUsage {
            account,
            bucket: bucket.to_owned(),
            usage: usage(UsageRecord::decode(v.value())?),
        });
    }
    Ok(out)
}
