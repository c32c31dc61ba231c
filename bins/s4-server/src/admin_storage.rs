//! The admin commands that look at what an account holds: `list-users`, `list-buckets` (with
//! object counts and bytes, counted by listing), `expire-uploads` (on demand, the same abort
//! the background expiry does) and `delete-bucket-policy` (the last resort against a policy
//! that locks everyone out), and the embedded backend's `scrub` (bit rot) and `backup`
//! (a consistent copy of a running server's data dir).

use std::path::Path;
use std::time::Duration;

use s4_naming::{AccountId, Arn};
use s4_storage::{IdentityStore, ObjectStore, StorageError};
use s4_storage_fs::{BlobTransfer, FsStore};
use s4_storage_pg::PgStore;

use crate::admin::{rfc3339, AdminAnswer};

/// The embedded backend behind a store, for the commands only it has (`scrub`, `backup`).
pub trait Embedded: Send + Sync {
    fn embedded(&self) -> Option<&FsStore> {
        None
    }
}

impl Embedded for FsStore {
    fn embedded(&self) -> Option<&FsStore> {
        Some(self)
    }
}

impl Embedded for PgStore {}

#[cfg(test)]
impl Embedded for s4_storage::memory::MemoryStore {}

fn embedded_only(command: &str) -> AdminAnswer {
    AdminAnswer::Error(format!(
        "{command} works on the embedded backend only; with --meta, back up and check \
         PostgreSQL and the byte store with their own tools (see docs/operations.md)"
    ))
}

/// `scrub [--max-mib-per-second N]`: one line per damaged object or part, then a summary;
/// [`AdminAnswer::Findings`] when anything is damaged.
pub async fn scrub<S: Embedded>(store: &S, max_mib_per_second: Option<u64>) -> AdminAnswer {
    let Some(fs) = store.embedded() else {
        return embedded_only("scrub");
    };
    let report = match fs.scrub(max_mib_per_second.map(|mib| mib << 20)).await {
        Ok(report) => report,
        Err(error) => return AdminAnswer::Error(format!("scrub failed: {error}")),
    };
    let mut lines: Vec<String> = report.damaged.iter().map(describe_damage).collect();
    lines.push(format!(
        "scrubbed {} objects and {} parts of uploads in progress ({} bytes read): {} damaged",
        report.objects,
        report.upload_parts,
        report.bytes_read,
        report.damaged.len()
    ));
    if report.damaged.is_empty() {
        AdminAnswer::Lines(lines)
    } else {
        AdminAnswer::Findings(lines)
    }
}

/// `damaged: bucket B key "K" [upload U part N] (account A): problem`.
pub fn describe_damage(damage: &s4_storage_fs::Damage) -> String {
    let part = damage
        .upload_part
        .as_ref()
        .map(|(upload, number)| format!(" upload {upload} part {number}"))
        .unwrap_or_default();
    format!(
        "damaged: bucket {} key {:?}{part} (account {}): {}",
        damage.bucket, damage.key, damage.account, damage.problem
    )
}

/// Scrubs the store every `interval` (the first one an interval after start-up), reading at
/// most `max_mib_per_second`; each damaged object is logged as an error, and the metrics show
/// the count.
pub fn spawn_background_scrub(store: FsStore, interval: Duration, max_mib_per_second: u64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match store.scrub(Some(max_mib_per_second << 20)).await {
                Ok(report) => {
                    for damage in &report.damaged {
                        tracing::error!("background scrub: {}", describe_damage(damage));
                    }
                    tracing::info!(
                        objects = report.objects,
                        upload_parts = report.upload_parts,
                        bytes_read = report.bytes_read,
                        damaged = report.damaged.len(),
                        "background scrub completed"
                    );
                }
                Err(error) => tracing::warn!(%error, "background scrub failed"),
            }
        }
    });
}

/// `backup DEST [--copy]`: what the copy holds.
pub async fn backup<S: Embedded>(store: &S, dest: &Path, copy: bool) -> AdminAnswer {
    let Some(fs) = store.embedded() else {
        return embedded_only("backup");
    };
    let transfer = if copy {
        BlobTransfer::Copy
    } else {
        BlobTransfer::LinkOrCopy
    };
    match fs.backup(dest.to_owned(), transfer).await {
        Ok(report) => AdminAnswer::Lines(vec![
            format!(
                "backed up {} to {}: {} objects, {} metadata rows, {} blob files hard-linked, \
                 {} copied ({} bytes)",
                fs.data_dir().display(),
                dest.display(),
                report.objects,
                report.rows,
                report.blobs_linked,
                report.blobs_copied,
                report.bytes_copied
            ),
            format!(
                "serve it with `s4-server --data-dir {}`; it holds every secret access key: \
                 keep it as private as the data dir",
                dest.display()
            ),
        ]),
        Err(error) => AdminAnswer::Error(format!("backup failed: {error}")),
    }
}

/// `list-users --account ID`: one line per IAM user: name, user ID, ARN, creation time.
pub async fn list_users<S: IdentityStore>(
    store: &S,
    account: &AccountId,
) -> Result<Vec<String>, String> {
    let users = store.list_users(account).await.map_err(|e| e.to_string())?;
    Ok(users
        .iter()
        .map(|u| {
            let arn = Arn::IamUser {
                account: *account,
                name: u.name.as_str().into(),
            };
            format!(
                "{}  {}  {arn}  created {}",
                u.name,
                u.user_id,
                rfc3339(u.created)
            )
        })
        .collect())
}

/// `list-buckets --account ID`: one line per bucket with its objects, bytes and multipart
/// uploads in progress, from the backend's usage counters (or counted by listing the bucket
/// now when the backend keeps none).
pub async fn list_buckets<S: ObjectStore>(
    store: &S,
    account: &AccountId,
) -> Result<Vec<String>, String> {
    let buckets = store
        .list_buckets(account)
        .await
        .map_err(|e| e.to_string())?;
    let mut lines = Vec::with_capacity(buckets.len());
    for bucket in buckets {
        let usage = crate::usage::bucket_usage(store, account, &bucket.name)
            .await
            .map_err(|e| format!("bucket {}: {e}", bucket.name))?;
        lines.push(format!(
            "{}  objects {}  bytes {}  uploads in progress {}  created {}",
            bucket.name,
            usage.objects,
            usage.bytes,
            usage.uploads_in_progress,
            rfc3339(bucket.created)
        ));
    }
    Ok(lines)
}

/// `expire-uploads --older-than AGE`: aborts every multipart upload initiated more than `AGE`
/// ago, in every bucket of every account, releasing its parts.
pub async fn expire_uploads<S: ObjectStore>(
    store: &S,
    older_than: Duration,
) -> Result<Vec<String>, String> {
    let expired = s4_service::expiry::expire_uploads_once(store, older_than)
        .await
        .map_err(|e| e.to_string())?;
    Ok(vec![format!(
        "expired {expired} multipart upload(s) older than {}s",
        older_than.as_secs()
    )])
}

/// `delete-bucket-policy --account ID --bucket NAME`: removes the policy whatever it says
/// (no authorization is involved: the admin socket and the data dir are the server owner's).
pub async fn delete_bucket_policy<S: ObjectStore>(
    store: &S,
    account: &AccountId,
    bucket: &str,
) -> Result<Vec<String>, String> {
    match store.get_bucket_policy(account, bucket).await {
        Ok(_) => {}
        Err(StorageError::NoSuchBucketPolicy) => {
            return Ok(vec![format!(
                "bucket {bucket} of account {account} has no policy; nothing to delete"
            )])
        }
        Err(StorageError::NoSuchBucket) => {
            return Err(format!("account {account} has no bucket {bucket}"))
        }
        Err(other) => return Err(other.to_string()),
    }
    store
        .set_bucket_policy(account, bucket, None)
        .await
        .map_err(|e| e.to_string())?;
    // Running servers (PostgreSQL backend) drop their cached policies when the change's
    // notification reaches them (docs/scale-out.md).
    Ok(vec![format!(
        "deleted the policy of bucket {bucket} of account {account}"
    )])
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use s4_storage::memory::MemoryStore;
    use s4_storage::{body, ObjectAttributes, ObjectRef, PutObject, User, WritePrecondition};
    use time::OffsetDateTime;

    use super::*;
    use crate::admin::{execute, AdminAnswer, AdminCommand};

    fn lines(answer: AdminAnswer) -> Vec<String> {
        match answer {
            AdminAnswer::Lines(lines) => lines,
            other => panic!("admin command failed: {other:?}"),
        }
    }

    #[tokio::test]
    async fn users_buckets_with_sizes_and_expiry() {
        let store = MemoryStore::new();
        let account = AccountId::parse("222233334444555").unwrap();
        store.create_account(&account).await.unwrap();
        store
            .create_user(User {
                account,
                name: "alice".into(),
                user_id: "AIDAALICE0000000000A".into(),
                created: OffsetDateTime::now_utc(),
            })
            .await
            .unwrap();
        store.create_bucket(&account, "photos").await.unwrap();
        for (key, len) in [("a", 5usize), ("b", 7)] {
            store
                .put_object(PutObject {
                    target: ObjectRef {
                        account,
                        bucket: "photos".into(),
                        key: key.into(),
                    },
                    attributes: ObjectAttributes::default(),
                    body: body::once(Bytes::from(vec![0u8; len])),
                    content_length: Some(len as u64),
                    content_md5: None,
                    precondition: WritePrecondition::default(),
                })
                .await
                .unwrap();
        }
        let target = ObjectRef {
            account,
            bucket: "photos".into(),
            key: "big".into(),
        };
        store
            .create_multipart_upload(&target, ObjectAttributes::default())
            .await
            .unwrap();
        let id = account.to_string();

        let users = lines(
            execute(
                &store,
                &AdminCommand::ListUsers {
                    account: id.clone(),
                },
            )
            .await,
        );
        assert_eq!(users.len(), 1);
        assert!(users[0]
            .starts_with("alice  AIDAALICE0000000000A  arn:aws:iam::222233334444555:user/alice"));

        let buckets = lines(
            execute(
                &store,
                &AdminCommand::ListBuckets {
                    account: id.clone(),
                },
            )
            .await,
        );
        assert_eq!(buckets.len(), 1);
        assert!(
            buckets[0].starts_with("photos  objects 2  bytes 12  uploads in progress 1  created "),
            "{buckets:?}"
        );

        // A young upload survives an expiry by age; a tiny age takes it.
        let keep = lines(
            execute(
                &store,
                &AdminCommand::ExpireUploads {
                    older_than: Duration::from_hours(1),
                },
            )
            .await,
        );
        assert_eq!(keep, ["expired 0 multipart upload(s) older than 3600s"]);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let gone = lines(
            execute(
                &store,
                &AdminCommand::ExpireUploads {
                    older_than: Duration::from_secs(1),
                },
            )
            .await,
        );
        assert_eq!(gone, ["expired 1 multipart upload(s) older than 1s"]);
        let buckets = lines(execute(&store, &AdminCommand::ListBuckets { account: id }).await);
        assert!(buckets[0].contains("uploads in progress 0"), "{buckets:?}");

        assert!(matches!(
            execute(
                &store,
                &AdminCommand::ListBuckets {
                    account: "000000000000009".into()
                }
            )
            .await,
            AdminAnswer::Error(_)
        ));
    }
}
