//! The metadata database, reopened after an I/O failure.
//!
//! redb treats any failed read or write of its file (`ENOSPC` while a commit writes its pages,
//! say) as fatal for that `Database`: every later write transaction, and every read of a page
//! not in its cache, answers `PreviousIo` until the database is closed and opened again (which
//! repairs it from the last durable commit). A full disk must not need a restart, so
//! [`MetaDb`] closes and reopens the file as soon as a commit fails that way, and again when a
//! transaction finds it poisoned. Until a reopen succeeds (the repair itself needs a little
//! free space: a reopen that meets a full disk gives up the space-reserve file and tries
//! once more) requests fail with the reopen's error, and one is tried again at most once per
//! [`RETRY_REOPEN`].

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use redb::{Database, ReadTransaction, TransactionError, WriteTransaction};

use crate::space::Ballast;

/// The least time between two attempts to reopen a database whose reopen failed.
const RETRY_REOPEN: Duration = Duration::from_secs(1);
/// How long a reopen waits for transactions of the old handle (which keep its file, and so
/// its lock, open) to end.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// A redb error, boxed (redb's own is 160 bytes); callers map it with [`crate::Db`].
#[derive(Debug)]
pub(crate) struct MetaError(Box<redb::Error>);

impl From<MetaError> for redb::Error {
    fn from(e: MetaError) -> Self {
        *e.0
    }
}

fn boxed(e: impl Into<redb::Error>) -> MetaError {
    MetaError(Box::new(e.into()))
}

pub(crate) struct MetaDb {
    path: PathBuf,
    cache_bytes: usize,
    /// The open handle with its generation (bumped at every reopen), `None` after a failed
    /// reopen.
    current: RwLock<(u64, Option<Arc<Database>>)>,
    /// When a reopen last failed, and why.
    failed: Mutex<Option<(Instant, String, io::ErrorKind)>>,
    ballast: Arc<Ballast>,
}

impl MetaDb {
    pub fn open(
        path: PathBuf,
        cache_bytes: usize,
        ballast: Arc<Ballast>,
    ) -> Result<Self, redb::DatabaseError> {
        let db = open_file(&path, cache_bytes)?;
        Ok(Self {
            path,
            cache_bytes,
            current: RwLock::new((0, Some(Arc::new(db)))),
            failed: Mutex::new(None),
            ballast,
        })
    }

    pub fn begin_read(&self) -> Result<ReadTransaction, MetaError> {
        let (_, db) = self.handle()?;
        db.begin_read().map_err(boxed)
    }

    pub fn begin_write(&self) -> Result<WriteTransaction, MetaError> {
        let (generation, db) = self.handle()?;
        match db.begin_write() {
            Err(TransactionError::Storage(redb::StorageError::PreviousIo)) => {
                drop(db);
                let (_, db) = self.reopen(generation)?;
                db.begin_write().map_err(boxed)
            }
            other => other.map_err(boxed),
        }
    }

    /// Commits `txn`; a commit that failed on I/O poisoned the handle, which is then replaced
    /// before this returns (so that the next transaction finds a usable database).
    pub fn commit(&self, txn: WriteTransaction) -> Result<(), MetaError> {
        let generation = self.generation();
        let error: redb::Error = match txn.commit() {
            Ok(()) => return Ok(()),
            Err(e) => e.into(),
        };
        if matches!(error, redb::Error::Io(_) | redb::Error::PreviousIo) {
            // The commit's own error is the answer; the reopen's, if any, is remembered.
            let _ = self.reopen(generation);
        }
        Err(boxed(error))
    }

    fn generation(&self) -> u64 {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }

    fn handle(&self) -> Result<(u64, Arc<Database>), MetaError> {
        let (generation, db) = self
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match db {
            Some(db) => Ok((generation, db)),
            None => self.reopen(generation),
        }
    }

    /// Replaces the handle of `generation` with a new one, unless another thread already did.
    fn reopen(&self, generation: u64) -> Result<(u64, Arc<Database>), MetaError> {
        let mut slot = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if slot.0 != generation {
            if let Some(db) = &slot.1 {
                return Ok((slot.0, Arc::clone(db)));
            }
        }
        let mut failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.1.is_none() {
            if let Some((at, reason, kind)) = &*failed {
                if at.elapsed() < RETRY_REOPEN {
                    return Err(boxed(redb::Error::Io(io::Error::new(
                        *kind,
                        format!("metadata store closed after an I/O failure: {reason}"),
                    ))));
                }
            }
        }
        // Drop this side's handle first: the file's lock goes with the last one.
        slot.1 = None;
        slot.0 += 1;
        let mut opened = self.open_when_unlocked();
        if opened.as_ref().is_err_and(is_full) && self.ballast.release() {
            opened = self.open_when_unlocked();
        }
        match opened {
            Ok(db) => {
                let db = Arc::new(db);
                slot.1 = Some(Arc::clone(&db));
                *failed = None;
                Ok((slot.0, db))
            }
            Err(e) => {
                let kind = match &e {
                    redb::DatabaseError::Storage(redb::StorageError::Io(io)) => io.kind(),
                    _ => io::ErrorKind::Other,
                };
                *failed = Some((Instant::now(), e.to_string(), kind));
                Err(boxed(e))
            }
        }
    }

    /// Opens the file, waiting while transactions begun on the old handle still hold it.
    fn open_when_unlocked(&self) -> Result<Database, redb::DatabaseError> {
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match open_file(&self.path, self.cache_bytes) {
                Err(redb::DatabaseError::DatabaseAlreadyOpen) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                other => return other,
            }
        }
    }
}

fn is_full(error: &redb::DatabaseError) -> bool {
    matches!(error, redb::DatabaseError::Storage(redb::StorageError::Io(io)) if crate::space::is_full(io))
}

fn open_file(path: &std::path::Path, cache_bytes: usize) -> Result<Database, redb::DatabaseError> {
    redb::Builder::new()
        .set_cache_size(cache_bytes)
        .create(path)
}
