//! Access keys recently looked up, so that a signed request reads no metadata for its key.
//!
//! Exact, not a time-to-live cache: only this process writes the database (redb holds an
//! exclusive lock on the file), and every identity transaction empties the cache once it has
//! committed. A lookup that raced with such a write may not fill the cache with what it read:
//! entries are only inserted if no identity write finished since the lookup began (the
//! generation is unchanged), so a deleted or deactivated key is never served from here after
//! the write that removed it has returned.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use s4_storage::AccessKey;

/// More keys than this and the cache starts over (a bound on memory, not an eviction policy:
/// deployments have far fewer active keys).
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub(crate) struct KeyCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    generation: u64,
    keys: HashMap<String, AccessKey>,
}

impl KeyCache {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached key, or the generation to pass to [`KeyCache::insert`] after reading it.
    pub fn get(&self, access_key_id: &str) -> Result<AccessKey, u64> {
        let state = self.lock();
        match state.keys.get(access_key_id) {
            Some(key) => Ok(key.clone()),
            None => Err(state.generation),
        }
    }

    /// Remembers a key read from the database, unless an identity write finished since
    /// `generation` was taken (what was read may be older than that write).
    pub fn insert(&self, generation: u64, key: &AccessKey) {
        let mut state = self.lock();
        if state.generation != generation {
            return;
        }
        if state.keys.len() >= CAPACITY {
            state.keys.clear();
        }
        state.keys.insert(key.access_key_id.clone(), key.clone());
    }

    /// Called after every identity transaction, committed or not.
    pub fn invalidate(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.keys.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s4_naming::AccountId;
    use s4_storage::{KeyOwner, KeyStatus};
    use time::OffsetDateTime;

    fn key(id: &str, status: KeyStatus) -> AccessKey {
        AccessKey {
            access_key_id: id.to_owned(),
            secret_access_key: "secret".to_owned(),
            account: AccountId::from_number(123_456_789_012).unwrap(),
            owner: KeyOwner::Root,
            status,
            created: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn hit_after_insert_and_gone_after_invalidate() {
        let cache = KeyCache::default();
        let generation = cache.get("AKIA1").unwrap_err();
        cache.insert(generation, &key("AKIA1", KeyStatus::Active));
        assert_eq!(cache.get("AKIA1").unwrap().status, KeyStatus::Active);
        cache.invalidate();
        assert!(cache.get("AKIA1").is_err());
    }

    #[test]
    fn a_read_that_raced_with_a_write_is_not_cached() {
        let cache = KeyCache::default();
        let generation = cache.get("AKIA1").unwrap_err();
        // An identity write (say, deactivating the key) commits and invalidates while the
        // lookup's read transaction still saw the old row.
        cache.invalidate();
        cache.insert(generation, &key("AKIA1", KeyStatus::Active));
        assert!(cache.get("AKIA1").is_err());
    }

    #[test]
    fn capacity_bounds_the_map() {
        let cache = KeyCache::default();
        for i in 0..CAPACITY + 5 {
            let generation = cache.get("x").unwrap_err();
            cache.insert(generation, &key(&format!("AKIA{i}"), KeyStatus::Active));
        }
        assert!(cache.lock().keys.len() <= CAPACITY);
        assert!(cache.get(&format!("AKIA{}", CAPACITY + 4)).is_ok());
    }
}
