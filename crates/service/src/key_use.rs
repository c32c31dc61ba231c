//! When each access key last signed a request, for `s4-server admin list-keys`.
//!
//! Recording it must not cost a metadata write per request: a key's use is written at most
//! once per [`LAST_USED_GRANULARITY`] by this process, in a background task, after the
//! signature verified (a forged request with a known key ID records nothing). The stored time
//! is therefore the start of the last minute in which the key was used, give or take a
//! minute; several servers sharing one database each record theirs and the latest wins.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use s4_storage::IdentityStore;
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use crate::auth::Principal;

/// At most one recorded use per key per this period (and process).
pub const LAST_USED_GRANULARITY: Duration = Duration::from_mins(1);
/// More keys than this and the throttle starts over (a bound on memory: a fresh map costs one
/// extra write per key, not correctness).
const MAX_TRACKED_KEYS: usize = 10_000;
/// Writes in flight at once; beyond that a use is left for a later request to record, so a
/// slow metadata store never accumulates tasks.
const MAX_WRITES_IN_FLIGHT: usize = 4;

#[derive(Debug)]
pub(crate) struct KeyUse {
    /// Access key ID -> when this process last wrote its use.
    written: Mutex<HashMap<String, Instant>>,
    writes: Arc<Semaphore>,
}

impl Default for KeyUse {
    fn default() -> Self {
        Self {
            written: Mutex::default(),
            writes: Arc::new(Semaphore::new(MAX_WRITES_IN_FLIGHT)),
        }
    }
}

impl KeyUse {
    /// Records the authenticated principal's key use in the background when it is due;
    /// says whether it started a write.
    pub fn note<I: IdentityStore>(&self, identity: &Arc<I>, principal: &Principal) -> bool {
        let (Principal::Root { access_key_id, .. } | Principal::User { access_key_id, .. }) =
            principal
        else {
            return false;
        };
        let now = Instant::now();
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if written
            .get(access_key_id)
            .is_some_and(|at| now.duration_since(*at) < LAST_USED_GRANULARITY)
        {
            return false;
        }
        let Ok(permit) = Arc::clone(&self.writes).try_acquire_owned() else {
            return false;
        };
        if written.len() >= MAX_TRACKED_KEYS {
            written.clear();
        }
        written.insert(access_key_id.clone(), now);
        drop(written);
        let (identity, id) = (Arc::clone(identity), access_key_id.clone());
        tokio::spawn(async move {
            let at = OffsetDateTime::now_utc();
            if let Err(error) = identity.record_access_key_use(&id, at).await {
                tracing::warn!(%error, access_key_id = %id, "cannot record the access key's last use");
            }
            drop(permit);
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use s4_naming::AccountId;
    use s4_storage::memory::MemoryStore;
    use s4_storage::{AccessKey, KeyOwner, KeyStatus};

    use super::*;

    #[tokio::test]
    async fn a_use_is_written_once_per_period() {
        let store = Arc::new(MemoryStore::new());
        let account = AccountId::from_number(7).unwrap();
        store.create_account(&account).await.unwrap();
        store
            .create_access_key(
                AccessKey {
                    access_key_id: "AKIAUSE".into(),
                    secret_access_key: "s".into(),
                    account,
                    owner: KeyOwner::Root,
                    status: KeyStatus::Active,
                    created: OffsetDateTime::now_utc(),
                },
                2,
            )
            .await
            .unwrap();
        let principal = Principal::Root {
            account,
            access_key_id: "AKIAUSE".into(),
        };
        let uses = KeyUse::default();
        assert!(uses.note(&store, &principal), "the first use is written");
        let first = wait_for_use(&store, &account, None).await;
        assert!(
            !uses.note(&store, &principal),
            "a second use within the period is not"
        );
        // Once the period is over, the next use is written.
        uses.written.lock().unwrap().insert(
            "AKIAUSE".into(),
            Instant::now()
                .checked_sub(LAST_USED_GRANULARITY)
                .expect("the clock is past a minute"),
        );
        assert!(uses.note(&store, &principal));
        let second = wait_for_use(&store, &account, Some(first)).await;
        assert!(second > first);
        assert!(!uses.note(&store, &Principal::Anonymous));
    }

    async fn wait_for_use(
        store: &MemoryStore,
        account: &AccountId,
        after: Option<OffsetDateTime>,
    ) -> OffsetDateTime {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let last = store
                .access_key_last_used(account, "AKIAUSE")
                .await
                .unwrap();
            if let Some(t) = last.filter(|t| Some(*t) != after) {
                return t;
            }
            assert!(Instant::now() < deadline, "the use was never recorded");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
