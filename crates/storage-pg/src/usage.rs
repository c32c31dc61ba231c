//! Usage counters: each bucket's objects, bytes and uploads in progress, changed in the same
//! transaction as the rows they count.
//!
//! Why sharded delta rows: a single counter row per bucket would be updated by every write to
//! the bucket, and PostgreSQL holds a row's update lock until the transaction commits (with
//! `fsync`, a WAL flush), so every writer of one bucket, in every server process, would queue
//! behind the one before it for the length of its commit. Instead a bucket has up to
//! [`SHARDS`] rows `(account, bucket, shard)`, each holding a part of the totals; a
//! transaction adds its deltas to one shard chosen at random (`INSERT .. ON CONFLICT DO
//! UPDATE SET x = x + excluded.x`), so concurrent writers mostly touch different rows and
//! only 1 in [`SHARDS`] pairs waits. Readers sum the shards (at most 16 rows per bucket, read
//! through the primary key). The rows are fixed accumulators, not an append-only log, so they
//! never need compaction; updates change no indexed column and stay HOT.
//!
//! Lock order, which keeps these rows out of deadlocks: a transaction takes its bucket's
//! `FOR KEY SHARE` lock first, then the object and upload rows it changes, and the counter
//! rows last, in one statement, sorted by (account, bucket), all on the same shard. The only
//! transaction that touches several buckets' counters is the upload expiry.
//!
//! The rows reference the bucket with `ON DELETE CASCADE`: deleting a bucket (possible only
//! when it holds no objects or uploads) removes its counters, and a recreated bucket starts
//! from zero. An `INSERT` of a shard's first row checks the foreign key under the bucket's
//! `FOR KEY SHARE` lock that the transaction already holds; later upserts update in place
//! and check nothing.

use std::collections::BTreeMap;

use deadpool_postgres::GenericClient;
use s4_naming::AccountId;
use s4_storage::{AccountBucketUsage, BucketUsage, StorageError, StorageResult};

use crate::prepared::Prepared;
use crate::quota::AccountChange;
use crate::Db;

/// Counter rows per bucket.
const SHARDS: i16 = 16;

/// Deltas per (account, bucket) collected during a transaction and written by
/// [`UsageDelta::apply`] just before the commit.
#[derive(Debug, Default)]
pub(crate) struct UsageDelta {
    /// objects, bytes, uploads, part bytes.
    buckets: BTreeMap<(String, String), [i64; 4]>,
}

impl UsageDelta {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds `objects`, `bytes` and `uploads` to the bucket's totals.
    pub(crate) fn add(
        &mut self,
        account: &str,
        bucket: &str,
        objects: i64,
        bytes: i64,
        uploads: i64,
    ) {
        let entry = self
            .buckets
            .entry((account.to_owned(), bucket.to_owned()))
            .or_default();
        entry[0] += objects;
        entry[1] += bytes;
        entry[2] += uploads;
    }

    /// Adds `bytes` to the bucket's bytes of parts of uploads in progress (what storage
    /// quotas count beside the objects).
    pub(crate) fn add_part_bytes(&mut self, account: &str, bucket: &str, bytes: i64) {
        self.buckets
            .entry((account.to_owned(), bucket.to_owned()))
            .or_default()[3] += bytes;
    }

    /// An object of `new_size` bytes replaced `old_size` (`None`: the key was free).
    pub(crate) fn replace(
        &mut self,
        account: &str,
        bucket: &str,
        old_size: Option<i64>,
        new_size: i64,
    ) {
        let objects = i64::from(old_size.is_none());
        self.add(
            account,
            bucket,
            objects,
            new_size - old_size.unwrap_or(0),
            0,
        );
    }

    /// Each account's change, summed over its buckets, in account order.
    fn by_account(&self) -> BTreeMap<&str, AccountChange> {
        let mut out: BTreeMap<&str, AccountChange> = BTreeMap::new();
        for ((account, _), [objects, bytes, uploads, part_bytes]) in &self.buckets {
            let change = out.entry(account.as_str()).or_default();
            change.objects += objects;
            change.bytes += bytes + part_bytes;
            change.uploads += uploads;
        }
        out
    }

    /// Judges the growth of each account against its storage quota (see `quota.rs`), then
    /// writes the deltas into one randomly chosen shard of each bucket, in one statement.
    pub(crate) async fn apply(self, tx: &impl GenericClient) -> StorageResult<()> {
        crate::quota::admit(tx, self.by_account().into_iter()).await?;
        let mut accounts = Vec::new();
        let mut buckets = Vec::new();
        let mut columns: [Vec<i64>; 4] = Default::default();
        for ((account, bucket), delta) in self.buckets {
            if delta == [0; 4] {
                continue;
            }
            accounts.push(account);
            buckets.push(bucket);
            for (column, value) in columns.iter_mut().zip(delta) {
                column.push(value);
            }
        }
        if accounts.is_empty() {
            return Ok(());
        }
        let shard = (rand::random::<u16>() % SHARDS as u16) as i16;
        // The map iterates in (account, bucket) order and `unnest ... WITH ORDINALITY` keeps
        // it, so concurrent multi-bucket transactions lock counter rows in the same order.
        tx.pexecute(
            "INSERT INTO bucket_usage (account, bucket, shard, objects, bytes, uploads, \
             part_bytes) \
             SELECT d.account, d.bucket, $1, d.objects, d.bytes, d.uploads, d.part_bytes \
             FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], \
             $7::bigint[]) \
             WITH ORDINALITY AS d (account, bucket, objects, bytes, uploads, part_bytes, n) \
             ORDER BY d.n \
             ON CONFLICT (account, bucket, shard) DO UPDATE SET \
             objects = bucket_usage.objects + excluded.objects, \
             bytes = bucket_usage.bytes + excluded.bytes, \
             uploads = bucket_usage.uploads + excluded.uploads, \
             part_bytes = bucket_usage.part_bytes + excluded.part_bytes",
            &[
                &shard,
                &accounts,
                &buckets,
                &columns[0],
                &columns[1],
                &columns[2],
                &columns[3],
            ],
        )
        .await
        .db()?;
        Ok(())
    }
}

fn totals(row: &tokio_postgres::Row, from: usize) -> BucketUsage {
    let get = |i: usize| row.get::<_, i64>(from + i).max(0) as u64;
    BucketUsage {
        objects: get(0),
        bytes: get(1),
        uploads_in_progress: get(2),
    }
}

const SUMS: &str = "coalesce(sum(u.objects), 0)::bigint, coalesce(sum(u.bytes), 0)::bigint, \
     coalesce(sum(u.uploads), 0)::bigint";

/// The bucket's totals; `NoSuchBucket` when it does not exist.
pub(crate) async fn bucket_usage(
    client: &impl GenericClient,
    account: &AccountId,
    bucket: &str,
) -> StorageResult<BucketUsage> {
    let row = client
        .pquery_opt(
            &format!(
                "SELECT {SUMS} FROM buckets b LEFT JOIN bucket_usage u \
                 ON u.account = b.account AND u.bucket = b.name \
                 WHERE b.account = $1 AND b.name = $2 GROUP BY b.account, b.name"
            ),
            &[&account.as_str(), &bucket],
        )
        .await
        .db()?
        .ok_or(StorageError::NoSuchBucket)?;
    Ok(totals(&row, 0))
}

/// Every bucket's totals in one statement (one snapshot), ordered by account and name.
pub(crate) async fn all_bucket_usage(
    client: &impl GenericClient,
) -> StorageResult<Vec<AccountBucketUsage>> {
    let rows = client
        .pquery(
            &format!(
                "SELECT b.account, b.name, {SUMS} FROM buckets b LEFT JOIN bucket_usage u \
                 ON u.account = b.account AND u.bucket = b.name \
                 GROUP BY b.account, b.name ORDER BY b.account COLLATE \"C\", b.name"
            ),
            &[],
        )
        .await
        .db()?;
    rows.iter()
        .map(|row| {
            let account: &str = row.get(0);
            Ok(AccountBucketUsage {
                account: AccountId::parse(account).map_err(|e| {
                    StorageError::Internal(format!("corrupt account id {account:?}: {e}"))
                })?,
                bucket: row.get(1),
                usage: totals(row, 2),
            })
        })
        .collect()
}
