//! Expiry of abandoned multipart uploads: a background task that aborts every upload older
//! than a maximum age, releasing its parts' bytes.

use std::sync::Arc;
use std::time::Duration;

use s4_storage::{ObjectStore, StorageError};
use time::OffsetDateTime;

/// S4's default age after which an upload that was neither completed nor aborted expires.
pub const DEFAULT_UPLOAD_MAX_AGE: Duration = Duration::from_hours(7 * 24);

/// Aborts, once, every upload initiated more than `max_age` ago; returns how many.
pub async fn expire_uploads_once<O: ObjectStore + ?Sized>(
    store: &O,
    max_age: Duration,
) -> Result<u64, StorageError> {
    let max_age = time::Duration::try_from(max_age).unwrap_or(time::Duration::MAX);
    let cutoff = OffsetDateTime::now_utc()
        .checked_sub(max_age)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    store.expire_multipart_uploads(cutoff).await
}

/// Spawns a task on the current Tokio runtime that every `interval` aborts the uploads older
/// than `max_age` (first run right away). Backends without multipart support end the task;
/// other failures are logged and retried at the next tick. Abort the returned handle to stop.
pub fn spawn_upload_expiry<O: ObjectStore>(
    store: Arc<O>,
    max_age: Duration,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    let interval = interval.max(Duration::from_millis(10));
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match expire_uploads_once(&*store, max_age).await {
                Ok(0) => {}
                Ok(expired) => {
                    tracing::info!(
                        expired,
                        max_age_secs = max_age.as_secs(),
                        "expired abandoned multipart uploads"
                    );
                }
                Err(StorageError::NotImplemented(_)) => return,
                Err(error) => tracing::warn!(%error, "multipart upload expiry failed"),
            }
        }
    })
}
