//! Per-process caches of identity reads, kept coherent across processes by PostgreSQL
//! `LISTEN/NOTIFY`.
//!
//! Every request of an IAM user reads its access key, its user row, its groups and the
//! policies attached to it and to them; without a cache that is several round trips before
//! any work. [`Caches`] keeps those reads (found entries only: an unknown key or user is read
//! again every time) and the epoch that [`s4_storage::ObjectStore::policy_cache_epoch`]
//! reports for the service's cache of compiled bucket policies.
//!
//! Coherence: triggers (migration 7) send `pg_notify` in the transaction that changes an
//! identity table (payload `i <account>`) or a bucket row's existence or policy (`b <account>
//! <bucket>`), so the notification exists exactly when the change committed. Each process
//! holds one dedicated connection that `LISTEN`s ([`spawn_listener`]); a notification drops
//! the account's identity entries, and any notification bumps the epoch. The process that made
//! a change also drops its own entries as soon as the change returns, so it reads its own
//! writes at once; another process applies the change when the notification reaches it: the
//! consistency bound is the notification's delivery time (milliseconds on loopback; measured
//! by `bins/s4-server/tests/scale_out_coherence.rs`).
//!
//! Never stale while deaf: caching is on only while the listener is known to be connected.
//! When its connection breaks, or a heartbeat (`SELECT 1` every [`HEARTBEAT`]) gets no answer
//! within [`HEARTBEAT`], every entry is dropped and nothing is cached or served from the cache
//! until a new connection `LISTEN`s again. A silently dead connection is therefore noticed
//! within at most 2 x [`HEARTBEAT`], the bound on staleness in that case.
//!
//! Races: a read takes the epoch before it queries the database and its result is cached
//! only if the epoch is unchanged when it returns, so a read that overlapped a change (local,
//! notified, or a reconnection) never fills the cache with what it read before the change.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use s4_naming::AccountId;
use s4_storage::{AccessKey, Group, User};
use tokio_postgres::AsyncMessage;

/// More entries than this in one table and the table starts over (a bound on memory, not an
/// eviction policy: deployments have far fewer active keys and users).
const CAPACITY: usize = 10_000;

/// How often the listener proves its connection alive, and how long it waits for the answer.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// The longest pause between two attempts to re-establish the listener.
const MAX_RECONNECT_PAUSE: Duration = Duration::from_secs(2);

/// A user's cached entries are keyed by account and folded name.
type UserKey = (AccountId, String);
/// Attachments are keyed by account, target kind (`u` or `g`) and folded target name.
type TargetKey = (AccountId, i8, String);

#[derive(Default)]
pub(crate) struct State {
    /// Whether the listener is connected: nothing is read from or put into the tables
    /// otherwise.
    listening: bool,
    /// The listening connection's server process ID, while it listens.
    listener_pid: Option<i32>,
    /// Bumped by every change seen (local or notified) and every listener (re)connection.
    epoch: u64,
    pub(crate) keys: HashMap<String, AccessKey>,
    pub(crate) users: HashMap<UserKey, User>,
    pub(crate) groups_of_user: HashMap<UserKey, Vec<Group>>,
    pub(crate) attached: HashMap<TargetKey, Vec<String>>,
}

impl State {
    fn clear(&mut self) {
        self.keys.clear();
        self.users.clear();
        self.groups_of_user.clear();
        self.attached.clear();
    }

    fn forget_account(&mut self, account: &AccountId) {
        self.keys.retain(|_, key| key.account != *account);
        self.users.retain(|(a, _), _| a != account);
        self.groups_of_user.retain(|(a, _), _| a != account);
        self.attached.retain(|(a, _, _), _| a != account);
    }
}

/// The permission to cache one read: the epoch before the read, when caching was on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token(u64);

/// Picks one table of the [`State`].
pub(crate) type Table<K, V> = fn(&mut State) -> &mut HashMap<K, V>;

/// The caches of one process; see the module docs.
#[derive(Default)]
pub(crate) struct Caches {
    state: Mutex<State>,
}

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Caches")
            .field("listening", &state.listening)
            .field("epoch", &state.epoch)
            .finish_non_exhaustive()
    }
}

impl Caches {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached value, or the token to pass to [`Caches::put`] after reading it from the
    /// database (`None` while the listener is not connected: do not cache).
    pub fn get<K, Q, V>(&self, table: Table<K, V>, key: &Q) -> Result<V, Option<Token>>
    where
        K: Eq + Hash + Borrow<Q>,
        Q: Eq + Hash + ?Sized,
        V: Clone,
    {
        let mut state = self.lock();
        if !state.listening {
            return Err(None);
        }
        let epoch = state.epoch;
        table(&mut state)
            .get(key)
            .cloned()
            .ok_or(Some(Token(epoch)))
    }

    /// Caches what was read with `token`, unless something changed since it was taken.
    pub fn put<K: Eq + Hash, V>(&self, token: Option<Token>, table: Table<K, V>, key: K, value: V) {
        let mut state = self.lock();
        if !state.listening || token != Some(Token(state.epoch)) {
            return;
        }
        let map = table(&mut state);
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(key, value);
    }

    /// The epoch for caches of bucket policies kept outside the store; `None` while deaf.
    pub fn epoch(&self) -> Option<u64> {
        let state = self.lock();
        state.listening.then_some(state.epoch)
    }

    /// An identity change in `account` (made here, or notified).
    pub fn forget_account(&self, account: &AccountId) {
        let mut state = self.lock();
        state.epoch = state.epoch.wrapping_add(1);
        state.forget_account(account);
    }

    /// A bucket's existence or policy changed (made here, or notified).
    pub fn bucket_changed(&self) {
        let mut state = self.lock();
        state.epoch = state.epoch.wrapping_add(1);
    }

    /// Applies one notification's payload; an unknown one drops everything (a newer
    /// server's message must not be ignored).
    fn apply(&self, payload: &str) {
        match payload.split_once(' ') {
            Some(("i", account)) => match AccountId::parse(account) {
                Ok(account) => self.forget_account(&account),
                Err(_) => self.forget_all(),
            },
            Some(("b", _)) => self.bucket_changed(),
            _ => {
                tracing::warn!(payload, "unknown cache notification: dropping every cache");
                self.forget_all();
            }
        }
    }

    fn forget_all(&self) {
        let mut state = self.lock();
        state.epoch = state.epoch.wrapping_add(1);
        state.clear();
    }

    /// The listener is connected and listening: caching may start (afresh).
    fn hear(&self, pid: Option<i32>) {
        let mut state = self.lock();
        state.epoch = state.epoch.wrapping_add(1);
        state.clear();
        state.listening = true;
        state.listener_pid = pid;
    }

    /// The listener is gone: drop everything and cache nothing until it is back.
    fn deafen(&self) {
        let mut state = self.lock();
        state.epoch = state.epoch.wrapping_add(1);
        state.clear();
        state.listening = false;
        state.listener_pid = None;
    }

    /// The listening connection's server process ID, while it listens.
    pub fn listener_pid(&self) -> Option<i32> {
        self.lock().listener_pid
    }

    /// Whether caching is on (the listener is connected).
    pub fn listening(&self) -> bool {
        self.lock().listening
    }

    /// How many entries all tables hold.
    pub fn len(&self) -> usize {
        let state = self.lock();
        state.keys.len() + state.users.len() + state.groups_of_user.len() + state.attached.len()
    }
}

/// The notification channel of a schema: the triggers of migration 7 compute the same name
/// (`left('s4_cache_' || schema, 63)`; PostgreSQL's identifiers hold 63 bytes and schema
/// names are ASCII).
pub(crate) fn channel(schema: &str) -> String {
    let mut name = format!("s4_cache_{schema}");
    name.truncate(63);
    name
}

/// Stops the listener task when the last clone of the store is dropped.
pub(crate) struct Listener {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the task that keeps one connection listening on `channel` and applies its
/// notifications to `caches`, reconnecting (with caching off) whenever it is lost.
pub(crate) fn spawn_listener(
    mut config: tokio_postgres::Config,
    channel: String,
    caches: Arc<Caches>,
) -> Listener {
    // Named, so that operators can tell it apart in `pg_stat_activity`.
    config.application_name("s4 cache listener");
    let task = tokio::spawn(async move {
        let mut pause = Duration::from_millis(50);
        loop {
            let error = listen(&config, &channel, &caches).await;
            caches.deafen();
            tracing::warn!(%error, "cache notifications lost: caches dropped and off until reconnected");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_RECONNECT_PAUSE);
        }
    });
    Listener { task }
}

/// Connects, listens and applies notifications until the connection fails; returns why.
async fn listen(config: &tokio_postgres::Config, channel: &str, caches: &Caches) -> String {
    let (client, mut connection) = match config.connect(tokio_postgres::NoTls).await {
        Ok(pair) => pair,
        Err(e) => return format!("connecting: {e}"),
    };
    // The connection must be polled for the client's queries to proceed; it also yields the
    // notifications.
    let receive = async {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => caches.apply(n.payload()),
                Some(Ok(_)) => {}
                Some(Err(e)) => return format!("connection: {e}"),
                None => return "connection closed".to_owned(),
            }
        }
    };
    let serve = async {
        // `channel` is [a-z0-9_]+ (the schema name was checked at open).
        if let Err(e) = client.batch_execute(&format!("LISTEN {channel}")).await {
            return format!("LISTEN: {e}");
        }
        let pid = match client.query_one("SELECT pg_backend_pid()", &[]).await {
            Ok(row) => row.get(0),
            Err(e) => return format!("reading the backend pid: {e}"),
        };
        caches.hear(Some(pid));
        tracing::debug!(channel, "listening for cache notifications");
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            match tokio::time::timeout(HEARTBEAT, client.simple_query("SELECT 1")).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return format!("heartbeat: {e}"),
                Err(_) => return format!("heartbeat: no answer within {HEARTBEAT:?}"),
            }
        }
    };
    tokio::select! {
        why = receive => why,
        why = serve => why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s4_storage::{KeyOwner, KeyStatus};
    use time::OffsetDateTime;

    fn account(n: u64) -> AccountId {
        AccountId::from_number(n).unwrap()
    }

    fn key(id: &str, account: AccountId) -> AccessKey {
        AccessKey {
            access_key_id: id.to_owned(),
            secret_access_key: "secret".to_owned(),
            account,
            owner: KeyOwner::Root,
            status: KeyStatus::Active,
            created: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn keys(state: &mut State) -> &mut HashMap<String, AccessKey> {
        &mut state.keys
    }

    fn listening() -> Caches {
        let caches = Caches::default();
        caches.hear(None);
        caches
    }

    #[test]
    fn nothing_is_cached_or_served_while_deaf() {
        let caches = Caches::default();
        assert_eq!(caches.get(keys, &"K".to_owned()), Err(None));
        caches.put(None, keys, "K".to_owned(), key("K", account(1)));
        assert_eq!(caches.len(), 0);
        assert_eq!(caches.epoch(), None);

        let caches = listening();
        let token = caches.get(keys, &"K".to_owned()).unwrap_err();
        caches.put(token, keys, "K".to_owned(), key("K", account(1)));
        assert!(caches.get(keys, &"K".to_owned()).is_ok());
        caches.deafen();
        assert_eq!(caches.len(), 0);
        assert_eq!(caches.get(keys, &"K".to_owned()), Err(None));
        assert_eq!(caches.epoch(), None);
    }

    #[test]
    fn a_read_that_overlapped_a_change_is_not_cached() {
        let caches = listening();
        let token = caches.get(keys, &"K".to_owned()).unwrap_err();
        caches.apply("i 000000000001");
        caches.put(token, keys, "K".to_owned(), key("K", account(1)));
        assert_eq!(caches.len(), 0);

        // A reconnection in between also voids the token.
        let token = caches.get(keys, &"K".to_owned()).unwrap_err();
        caches.deafen();
        caches.hear(None);
        caches.put(token, keys, "K".to_owned(), key("K", account(1)));
        assert_eq!(caches.len(), 0);
    }

    #[test]
    fn a_notification_drops_its_account_only_and_moves_the_epoch() {
        let caches = listening();
        for (id, n) in [("A", 1), ("B", 2)] {
            let token = caches.get(keys, &id.to_owned()).unwrap_err();
            caches.put(token, keys, id.to_owned(), key(id, account(n)));
        }
        let before = caches.epoch().unwrap();
        caches.apply(&format!("i {}", account(1)));
        assert!(caches.get(keys, &"A".to_owned()).is_err());
        assert!(caches.get(keys, &"B".to_owned()).is_ok());
        let after_identity = caches.epoch().unwrap();
        assert_ne!(before, after_identity);
        caches.apply(&format!("b {} photos", account(2)));
        assert_ne!(caches.epoch().unwrap(), after_identity);
        assert!(caches.get(keys, &"B".to_owned()).is_ok());
        // Something this version does not know drops everything.
        caches.apply("x whatever");
        assert_eq!(caches.len(), 0);
    }

    #[test]
    fn the_channel_fits_an_identifier() {
        assert_eq!(channel("s4"), "s4_cache_s4");
        assert_eq!(channel(&"a".repeat(80)).len(), 63);
    }
}
