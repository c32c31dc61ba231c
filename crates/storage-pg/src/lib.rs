//! The scale-out backend of S4: metadata in PostgreSQL, bytes in a [`BlobStore`].
//!
//! Several stateless `s4-server` processes may share one database and one blob store: every
//! decision that the embedded backend makes inside one redb transaction is made here inside
//! one PostgreSQL transaction (READ COMMITTED with explicit row locks):
//!
//! - an overwrite locks the object row (`SELECT ... FOR UPDATE`), checks the write
//!   precondition against it and replaces it; when no row exists, the insert uses
//!   `ON CONFLICT DO NOTHING` and the whole decision is retried if another process inserted
//!   first, so `If-None-Match: *` has exactly one winner;
//! - UploadPart, CompleteMultipartUpload and AbortMultipartUpload lock the upload row, so
//!   [`s4_storage::multipart::admit_part`] sees every part committed before it and racing
//!   completions have one winner (the others find the row gone: `NoSuchUpload`);
//! - listings are range scans over `bytea` keys (byte order is UTF-8 binary order), and a
//!   delimiter roll-up seeks past the common prefix with a new index scan;
//! - every transaction that changes a bucket's objects or uploads also adds its deltas to the
//!   bucket's usage counters (sharded rows, see `usage.rs`), locking in one order: the bucket
//!   (`FOR KEY SHARE`), then object and upload rows (several object rows by key), then the
//!   counter rows;
//! - a transaction that still fails with a deadlock or serialization failure is rolled back
//!   and run again, a bounded number of times (`PgStore::retry`).
//!
//! Write order: the body is streamed into the blob store (MD5 computed on the way) and made
//! durable first, then the metadata transaction commits; blobs that the commit made
//! unreferenced (replaced objects, aborted uploads, refused parts) are deleted afterwards.
//! A crash between the two steps leaves orphan blobs, which [`PgStore::sweep_orphans`]
//! deletes once they are older than a grace period (so a blob that another process has just
//! written and is about to commit is never collected). Objects up to
//! [`PgConfig::inline_limit`] bytes are stored in their row and need no blob at all.
//!
//! Dependency faults: when the database or the byte store is down, too slow or refuses, an
//! operation fails within a bounded time ([`PgConfig::timeout`], [`S3BlobConfig::timeout`])
//! with an "unavailable" error ([`unavailable`]), which the service answers `503
//! ServiceUnavailable`; the pool drops closed connections and opens new ones, so the store
//! serves again by itself once the dependency is back. A write fails before its metadata
//! commits, so it leaves nothing visible (at most an orphan blob for the sweep).
//!
//! Migrations are versioned and applied at open, in one transaction under an advisory lock,
//! so several servers may start at once.
//!
//! Opening a store needs a running PostgreSQL, so this example is only compiled:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use s4_naming::AccountId;
//! use s4_storage::ObjectStore;
//! use s4_storage_pg::{FsBlobStore, PgConfig, PgStore};
//!
//! # async fn example() -> Result<(), s4_storage::BoxError> {
//! // Metadata in PostgreSQL; bytes in a directory that every server mounts.
//! let blobs = FsBlobStore::open("/srv/s4/blobs")?;
//! let config = PgConfig::new("postgres://s4@127.0.0.1:5432/s4");
//! let store = PgStore::open(config, Arc::new(blobs)).await?;
//! let account = AccountId::from_number(42)?;
//! store.create_bucket(&account, "photos").await?;
//! // A second server opening the same database and directory sees the bucket at once.
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]
// Sizes, counts and part numbers are stored in PostgreSQL's signed integer columns; every
// value is bounded (object size, 10,000 parts, nanosecond timestamps before 2262), so the
// signed/unsigned casts at the column boundary never wrap.
#![allow(clippy::cast_sign_loss, clippy::cast_possible_wrap)]
// `match` on `Some`/`None` reads better than `if let ... else` for the row lookups.
#![allow(clippy::single_match_else)]

// The blob stores' remaining undocumented items are documented with the outage work
// under way in those files.
#[allow(missing_docs)]
mod blob;
mod coherence;
mod identity;
mod ingest;
mod migrations;
mod objects;
mod prepared;
mod quota;
mod rate_limits;
#[allow(missing_docs)]
mod s3blob;
mod usage;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use s4_storage::{StorageError, StorageResult};

pub use blob::{new_blob_name, BlobStore, FsBlobStore};
pub use s3blob::{S3BlobConfig, S3BlobStore, DEFAULT_S3_TIMEOUT};

use crate::prepared::Prepared;

/// How to reach the database and the limits the store enforces.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// A libpq-style URL or key/value string: `postgres://user@127.0.0.1:5432/s4`.
    pub url: String,
    /// The PostgreSQL schema holding S4's tables (created if missing). Lower-case ASCII
    /// letters, digits and `_` only.
    pub schema: String,
    /// Connections per process.
    pub pool_size: usize,
    /// The smallest part but the last that a multipart upload may have.
    pub min_part_size: u64,
    /// The largest object (and the largest part) in bytes.
    pub max_object_size: u64,
    /// Bodies up to this many bytes are stored in the object's row instead of a blob.
    pub inline_limit: usize,
    /// The longest wait for a pooled connection, for a new connection to be made, and for a
    /// pooled one to be checked: past it the operation fails as unavailable.
    pub timeout: Duration,
}

/// The default of [`PgConfig::timeout`]: well below the default body idle timeout (30 s), so
/// a client sees a 503 before it would give up on a silent server.
pub const DEFAULT_PG_TIMEOUT: Duration = Duration::from_secs(10);

impl PgConfig {
    /// The defaults for the database at `url`: schema `s4`, 16 connections, S3's 5 MiB
    /// minimum part and 5 GiB maximum object, bodies up to 4 KiB inline.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            schema: "s4".to_owned(),
            pool_size: 16,
            min_part_size: s4_storage::multipart::DEFAULT_MIN_PART_SIZE,
            max_object_size: s4_storage::memory::DEFAULT_MAX_OBJECT_SIZE,
            inline_limit: 4096,
            timeout: DEFAULT_PG_TIMEOUT,
        }
    }
}

/// [`s4_storage::ObjectStore`] and [`s4_storage::IdentityStore`] over PostgreSQL and a
/// [`BlobStore`]. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    blobs: Arc<dyn BlobStore>,
    config: Arc<PgConfig>,
    /// Identity reads and the bucket-policy epoch, kept coherent by notifications.
    caches: Arc<coherence::Caches>,
    /// The task listening for those notifications; stopped with the last clone.
    _listener: Arc<coherence::Listener>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("schema", &self.config.schema)
            .field("blobs", &self.blobs)
            .finish_non_exhaustive()
    }
}

/// The message prefix that marks a [`StorageError::Internal`] made from a transient
/// transaction conflict (deadlock or serialization failure), which [`PgStore::retry`] retries.
/// Only [`db_err`] writes it, so the string is a private, exact marker.
const TRANSIENT: &str = "database (transient conflict): ";

/// A dependency (the database, the byte store) that is down, too slow or refusing: an I/O
/// error of kind `ResourceBusy`, one of the kinds the service answers with `503
/// ServiceUnavailable` and `Retry-After` (it logs `detail`, which names the dependency and
/// what it answered). Passes by itself when the dependency is back.
pub(crate) fn unavailable(detail: &str) -> StorageError {
    StorageError::Io(std::io::Error::new(
        std::io::ErrorKind::ResourceBusy,
        format!("unavailable: {detail}"),
    ))
}

/// Whether a database error means the server is gone or cannot serve now (the connection
/// broke or was refused, the server is shutting down or starting, out of connections), as
/// opposed to a fault in the statement.
fn connection_lost(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    match e.code() {
        // Class 08: connection exception; 57P01-03: shutdown, crash, starting up; 53300.
        Some(code) => {
            code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::TOO_MANY_CONNECTIONS,
                ]
                .contains(code)
        }
        // No SQLSTATE: a closed connection or a failed connect or socket (an I/O source), not
        // a client-side fault such as a type conversion.
        None => {
            e.is_closed()
                || std::error::Error::source(e)
                    .is_some_and(<dyn std::error::Error>::is::<std::io::Error>)
        }
    }
}

pub(crate) fn db_err(e: &tokio_postgres::Error) -> StorageError {
    use tokio_postgres::error::SqlState;
    // The error's own Display says only "db error"; the server's message is in the source.
    let detail = match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    };
    if connection_lost(e) {
        return unavailable(&format!("database: {detail}"));
    }
    match e.code() {
        Some(code)
            if *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::T_R_SERIALIZATION_FAILURE =>
        {
            StorageError::Internal(format!("{TRANSIENT}{detail}"))
        }
        _ => StorageError::Internal(format!("database: {detail}")),
    }
}

/// Whether the error is a deadlock or serialization failure that a retry of the whole
/// transaction may resolve.
pub(crate) fn is_transient(e: &StorageError) -> bool {
    matches!(e, StorageError::Internal(message) if message.starts_with(TRANSIENT))
}

/// How many times [`PgStore::retry`] runs a transaction that keeps failing transiently.
const MAX_ATTEMPTS: u32 = 8;

pub(crate) fn pool_err(e: &deadpool_postgres::PoolError) -> StorageError {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Backend(e) => db_err(e),
        PoolError::Timeout(_) => unavailable(&format!("database: {e}")),
        _ => StorageError::Internal(format!("database pool: {e}")),
    }
}

/// Maps database errors to [`StorageError`].
pub(crate) trait Db<T> {
    fn db(self) -> StorageResult<T>;
}

impl<T> Db<T> for Result<T, tokio_postgres::Error> {
    fn db(self) -> StorageResult<T> {
        self.map_err(|e| db_err(&e))
    }
}

impl<T> Db<T> for Result<T, deadpool_postgres::PoolError> {
    fn db(self) -> StorageResult<T> {
        self.map_err(|e| pool_err(&e))
    }
}

/// Whether the error is a unique-key or foreign-key violation.
pub(crate) fn is_violation(
    e: &tokio_postgres::Error,
    code: &tokio_postgres::error::SqlState,
) -> bool {
    e.code() == Some(code)
}

impl PgStore {
    /// Connects, creates the schema and applies pending migrations.
    pub async fn open(config: PgConfig, blobs: Arc<dyn BlobStore>) -> StorageResult<Self> {
        if config.schema.is_empty()
            || !config
                .schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StorageError::Internal(format!(
                "invalid schema name {:?}",
                config.schema
            )));
        }
        let mut pg: tokio_postgres::Config = config
            .url
            .parse()
            .map_err(|e| StorageError::Internal(format!("database URL: {e}")))?;
        pg.options(format!("-c search_path={}", config.schema));
        // A URL's own connect_timeout wins; else a connection attempt to a host that does
        // not answer gives up with the pool's wait.
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(config.timeout);
        }
        let listener_config = pg.clone();
        let manager = Manager::from_config(
            pg,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(config.timeout))
            .create_timeout(Some(config.timeout))
            .recycle_timeout(Some(config.timeout))
            .build()
            .map_err(|e| StorageError::Internal(format!("database pool: {e}")))?;
        let mut client = pool.get().await.db()?;
        migrations::apply(&mut client, &config.schema).await?;
        drop(client);
        let caches = Arc::new(coherence::Caches::default());
        let listener = coherence::spawn_listener(
            listener_config,
            coherence::channel(&config.schema),
            Arc::clone(&caches),
        );
        Ok(Self {
            pool,
            blobs,
            config: Arc::new(config),
            caches,
            _listener: Arc::new(listener),
        })
    }

    /// Whether this process is listening for cache notifications, so that its caches are
    /// on (see the `coherence` module: off, and empty, while the listener is reconnecting).
    pub fn cache_listening(&self) -> bool {
        self.caches.listening()
    }

    /// How many identity reads this process has cached.
    pub fn cached_entries(&self) -> usize {
        self.caches.len()
    }

    /// The server process ID (`pg_backend_pid()`) of the connection listening for cache
    /// notifications, while it is connected: for operators (`pg_stat_activity`) and the
    /// tests that cut it.
    pub fn cache_listener_pid(&self) -> Option<i32> {
        self.caches.listener_pid()
    }

    /// The configuration the store was opened with.
    pub fn config(&self) -> &PgConfig {
        &self.config
    }

    /// Where the store keeps object and part bytes.
    pub fn blob_store(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    pub(crate) async fn client(&self) -> StorageResult<deadpool_postgres::Object> {
        self.pool.get().await.db()
    }

    /// Runs `attempt` (one whole transaction: it takes its own connection, and dropping it
    /// uncommitted rolls back) and runs it again when it failed with a deadlock or
    /// serialization failure, up to [`MAX_ATTEMPTS`] times, sleeping a randomized, growing
    /// backoff in between (1-2 ms, 2-4 ms, ... capped at 64-128 ms) so that the transactions
    /// that collided do not collide again in lockstep. Every other result, and the last
    /// transient failure, is returned as is. The attempt must not have effects outside the
    /// database that a rollback would not undo.
    pub(crate) async fn retry<T, F, Fut>(&self, mut attempt: F) -> StorageResult<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = StorageResult<T>>,
    {
        let mut tries = 1;
        loop {
            match attempt().await {
                Err(e) if is_transient(&e) && tries < MAX_ATTEMPTS => {
                    let base = 1u64 << (tries - 1).min(6);
                    let pause = base * 1000 + rand::random::<u64>() % (base * 1000);
                    tracing::debug!(error = %e, tries, "retrying a transaction after a conflict");
                    tokio::time::sleep(Duration::from_micros(pause)).await;
                    tries += 1;
                }
                result => return result,
            }
        }
    }

    /// Whether any object or part still refers to the blob.
    async fn referenced(&self, name: &str) -> StorageResult<bool> {
        let client = self.client().await?;
        let row = client
            .pquery_one(
                "SELECT EXISTS (SELECT 1 FROM objects WHERE blobs @> ARRAY[$1::text]) \
                 OR EXISTS (SELECT 1 FROM parts WHERE blob = $1)",
                &[&name],
            )
            .await
            .db()?;
        Ok(row.get(0))
    }

    /// Deletes blobs a commit released, unless another row (a copy) still refers to them.
    /// Failures only leave orphans for the sweep.
    pub(crate) async fn release(&self, names: Vec<String>) {
        for name in names {
            match self.referenced(&name).await {
                Ok(false) => {
                    if let Err(e) = self.blobs.delete(&name).await {
                        tracing::warn!(blob = %name, error = %e, "deleting a released blob failed");
                    }
                }
                Ok(true) => {}
                Err(e) => {
                    tracing::warn!(blob = %name, error = %e, "checking a released blob failed");
                }
            }
        }
    }

    /// Deletes blobs that no object or part refers to and that were written more than `grace`
    /// ago (a crash between the blob write and the metadata commit), and partial writes older
    /// than `grace`. `grace` must exceed the longest upload a server may still be receiving
    /// and committing. Returns how many blobs were deleted.
    pub async fn sweep_orphans(&self, grace: Duration) -> StorageResult<u64> {
        self.blobs.remove_incomplete(grace).await?;
        let now = SystemTime::now();
        let mut deleted = 0;
        for (name, written) in self.blobs.list().await? {
            if now.duration_since(written).unwrap_or_default() <= grace {
                continue;
            }
            if !self.referenced(&name).await? {
                self.blobs.delete(&name).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}
