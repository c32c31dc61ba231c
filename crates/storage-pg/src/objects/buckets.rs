//! Bucket rows: creation, deletion, lookups, bucket policies, and the bucket checks and
//! locks that every object and upload transaction starts with.

use deadpool_postgres::GenericClient;
use s4_naming::AccountId;
use s4_storage::{BucketInfo, StorageError, StorageResult};
use tokio_postgres::error::SqlState;

use super::row::{from_nanos, now};
use crate::prepared::Prepared;
use crate::{is_violation, Db, PgStore};

/// Checks that the bucket exists and keeps it from being deleted until the transaction ends.
pub(super) async fn lock_bucket(
    tx: &impl GenericClient,
    account: &AccountId,
    bucket: &str,
) -> StorageResult<()> {
    tx.pquery_opt(
        "SELECT 1 FROM buckets WHERE account = $1 AND name = $2 FOR KEY SHARE",
        &[&account.as_str(), &bucket],
    )
    .await
    .db()?
    .map(|_| ())
    .ok_or(StorageError::NoSuchBucket)
}

pub(super) async fn bucket_exists(
    client: &impl GenericClient,
    account: &AccountId,
    bucket: &str,
) -> StorageResult<()> {
    client
        .pquery_opt(
            "SELECT 1 FROM buckets WHERE account = $1 AND name = $2",
            &[&account.as_str(), &bucket],
        )
        .await
        .db()?
        .map(|_| ())
        .ok_or(StorageError::NoSuchBucket)
}

impl PgStore {
    pub(super) async fn create_bucket_row(
        &self,
        account: &AccountId,
        bucket: &str,
    ) -> StorageResult<BucketInfo> {
        let (created, nanos) = now();
        let mut client = self.client().await?;
        let tx = client.transaction().await.db()?;
        // The quota row stays locked until the commit: racing creations count one by one.
        crate::quota::admit_bucket(&tx, account).await?;
        let n = tx
            .pexecute(
                "INSERT INTO buckets (account, name, created) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[&account.as_str(), &bucket, &nanos],
            )
            .await
            .db()?;
        if n == 0 {
            return Err(StorageError::BucketAlreadyOwnedByYou);
        }
        tx.commit().await.db()?;
        Ok(BucketInfo {
            name: bucket.to_owned(),
            created,
        })
    }

    pub(super) async fn delete_bucket_row(
        &self,
        account: &AccountId,
        bucket: &str,
    ) -> StorageResult<()> {
        // One statement: the bucket's counter rows go with it (ON DELETE CASCADE), and the
        // objects' and uploads' foreign keys refuse while anything remains.
        self.retry(|| async move {
            let client = self.client().await?;
            match client
                .pexecute(
                    "DELETE FROM buckets WHERE account = $1 AND name = $2",
                    &[&account.as_str(), &bucket],
                )
                .await
            {
                Ok(0) => Err(StorageError::NoSuchBucket),
                Ok(_) => Ok(()),
                Err(e) if is_violation(&e, &SqlState::FOREIGN_KEY_VIOLATION) => {
                    Err(StorageError::BucketNotEmpty)
                }
                Err(e) => Err(crate::db_err(&e)),
            }
        })
        .await
    }

    pub(super) async fn bucket_row(
        &self,
        account: &AccountId,
        bucket: &str,
    ) -> StorageResult<BucketInfo> {
        let client = self.client().await?;
        let row = client
            .pquery_opt(
                "SELECT name, created FROM buckets WHERE account = $1 AND name = $2",
                &[&account.as_str(), &bucket],
            )
            .await
            .db()?
            .ok_or(StorageError::NoSuchBucket)?;
        Ok(BucketInfo {
            name: row.get(0),
            created: from_nanos(row.get(1)),
        })
    }

    pub(super) async fn bucket_rows(&self, account: &AccountId) -> StorageResult<Vec<BucketInfo>> {
        let client = self.client().await?;
        let rows = client
            .pquery(
                "SELECT name, created FROM buckets WHERE account = $1 ORDER BY name",
                &[&account.as_str()],
            )
            .await
            .db()?;
        Ok(rows
            .iter()
            .map(|row| BucketInfo {
                name: row.get(0),
                created: from_nanos(row.get(1)),
            })
            .collect())
    }

    pub(super) async fn bucket_policy(
        &self,
        account: &AccountId,
        bucket: &str,
    ) -> StorageResult<String> {
        let client = self.client().await?;
        let row = client
            .pquery_opt(
                "SELECT policy FROM buckets WHERE account = $1 AND name = $2",
                &[&account.as_str(), &bucket],
            )
            .await
            .db()?
            .ok_or(StorageError::NoSuchBucket)?;
        row.get::<_, Option<String>>(0)
            .ok_or(StorageError::NoSuchBucketPolicy)
    }

    pub(super) async fn store_bucket_policy(
        &self,
        account: &AccountId,
        bucket: &str,
        policy: Option<String>,
    ) -> StorageResult<()> {
        let client = self.client().await?;
        let n = client
            .pexecute(
                "UPDATE buckets SET policy = $3 WHERE account = $1 AND name = $2",
                &[&account.as_str(), &bucket, &policy],
            )
            .await
            .db()?;
        if n == 0 {
            return Err(StorageError::NoSuchBucket);
        }
        Ok(())
    }
}
