//! Free space: the reserve that writes adding data may not eat, and the mapping of a full
//! disk to [`StorageError::InsufficientStorage`].
//!
//! A write that stores bytes or metadata (PutObject, UploadPart, CopyObject, CreateBucket,
//! CreateMultipartUpload, CompleteMultipartUpload) is refused before it stores anything when
//! the data dir's filesystem has less than [`crate::FsConfig::min_free_space`] free, or would
//! have once its announced body is written; a body without a length is cut off with the
//! same error as soon as free space falls under the reserve while it streams in. Deletes and
//! aborts are never refused: the reserve is what lets their metadata commits (redb writes
//! copy-on-write pages) land on a disk that is full for everything else, and they are how an
//! operator frees space. A write that still meets a full disk (another process ate the
//! reserve, or the reserve is 0) fails with the same error and leaves nothing behind.
//!
//! The reserve is a threshold, which another process can fill. So the data dir also holds
//! [`SPACE_RESERVE_FILE`], [`BALLAST_BYTES`] written at start-up: a delete (or abort) that finds
//! less than that free removes the file first, so its copy-on-write commit always finds room
//! (a commit that meets `ENOSPC` poisons redb: see `meta_db`), and so does the repair of a
//! reopened database. The file is written again by the first write admitted once there is room
//! for it; until then readiness reports it missing.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use s4_storage::{StorageError, StorageResult};

/// Bytes that an unprivileged process can still write on the filesystem holding `dir`.
pub(crate) fn free_bytes(dir: &Path) -> io::Result<u64> {
    let stat = rustix::fs::statvfs(dir)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Whether `error` says that the disk (or the user's quota) is full.
pub(crate) fn is_full(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// An I/O failure as the store reports it: a full disk becomes
/// [`StorageError::InsufficientStorage`], anything else stays [`StorageError::Io`].
pub(crate) fn io_error(error: io::Error) -> StorageError {
    if is_full(&error) {
        StorageError::InsufficientStorage(error.to_string())
    } else {
        StorageError::Io(error)
    }
}

/// The error of a body cut off while streaming because free space fell under the reserve; an
/// `io::Error` so that it travels the writer thread's result like a real `ENOSPC`.
pub(crate) fn below_reserve(dir: &Path, free: u64, reserve: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::StorageFull,
        format!(
            "{} has {free} bytes free, under the reserve of {reserve} bytes kept for deletes",
            dir.display()
        ),
    )
}

/// Admits a write that will add `incoming` bytes (0: metadata only) to the filesystem of
/// `dir`, keeping `reserve` bytes free; returns the free bytes it saw. A reserve of 0 admits
/// everything without a look (`None`).
pub(crate) fn admit(dir: &Path, reserve: u64, incoming: u64) -> StorageResult<Option<u64>> {
    if reserve == 0 {
        return Ok(None);
    }
    let free = free_bytes(dir).map_err(|e| StorageError::Io(crate::with_path(&e, dir)))?;
    if free < reserve.saturating_add(incoming) {
        let reason = if incoming == 0 {
            below_reserve(dir, free, reserve).to_string()
        } else {
            format!(
                "{incoming} more bytes would leave {} with less than the reserve of {reserve} \
                 bytes kept for deletes ({free} free)",
                dir.display()
            )
        };
        return Err(StorageError::InsufficientStorage(reason));
    }
    Ok(Some(free))
}

/// How long a free-space reading may stand in for a fresh `statvfs`.
const READING_TTL: Duration = Duration::from_millis(100);
/// A reading stands in only while, less what was admitted since, it leaves this much more
/// than the reserve and the write: room for other processes' writes in the meantime.
const READING_HEADROOM: u64 = 64 << 20;

/// A look at free space taken while the space-reserve file was present, with the bytes
/// admitted since. Lets a busy server skip the two system calls (`statvfs`, and a `stat` of
/// the file) per write while free space is far above the reserve; near it, every write looks.
struct Reading {
    at: Instant,
    free: u64,
    admitted: u64,
}

impl Reading {
    /// Whether this reading admits `incoming` more bytes under `reserve`; counts them if so.
    fn admit(&mut self, reserve: u64, incoming: u64) -> bool {
        let wanted = reserve
            .saturating_add(incoming)
            .saturating_add(READING_HEADROOM);
        let left = self.free.saturating_sub(self.admitted);
        if self.at.elapsed() >= READING_TTL || left < wanted {
            return false;
        }
        self.admitted = self.admitted.saturating_add(incoming);
        true
    }
}

/// The name of the space-reserve file in the data dir.
pub const SPACE_RESERVE_FILE: &str = "space-reserve";
/// Its size: room for many delete commits and for a metadata repair.
pub const BALLAST_BYTES: u64 = 4 << 20;

/// The space-reserve file, and the last look at free space taken while it was there.
pub(crate) struct Ballast {
    path: PathBuf,
    /// Serialises writing and removing the file.
    lock: Mutex<()>,
    /// Dropped when the file is removed, so that the next write looks again.
    reading: Mutex<Option<Reading>>,
}

impl Ballast {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join(SPACE_RESERVE_FILE),
            lock: Mutex::new(()),
            reading: Mutex::new(None),
        }
    }

    fn reading(&self) -> std::sync::MutexGuard<'_, Option<Reading>> {
        self.reading.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn present(&self) -> bool {
        self.path.exists()
    }

    /// Writes the file unless it is there: under a scratch name, synced, then renamed, so that
    /// a crash or a full disk never leaves a short one under the real name.
    pub fn ensure(&self) -> io::Result<()> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        if self.present() {
            return Ok(());
        }
        let scratch = self.path.with_extension("new");
        let written = (|| {
            let _ = fs::remove_file(&scratch);
            let mut file = crate::create_private_file(&scratch)?;
            let block = vec![0u8; 64 * 1024];
            for _ in 0..BALLAST_BYTES / block.len() as u64 {
                file.write_all(&block)?;
            }
            file.sync_all()?;
            fs::rename(&scratch, &self.path)?;
            if let Some(dir) = self.path.parent() {
                crate::sync_dir(dir)?;
            }
            Ok(())
        })();
        if written.is_err() {
            let _ = fs::remove_file(&scratch);
        }
        written
    }

    /// Gives the file's space back; `true` if there was one.
    pub fn release(&self) -> bool {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        *self.reading() = None;
        fs::remove_file(&self.path).is_ok()
    }
}

impl crate::Inner {
    /// [`admit`] on the data dir with the configured reserve; also writes the space-reserve
    /// file again once there is room for it and for this write.
    ///
    /// A recent look at free space, far enough above the reserve, stands in for a new one
    /// ([`Reading`]); a write near the reserve always looks.
    pub fn admit_write(&self, incoming: u64) -> StorageResult<()> {
        let reserve = self.config.min_free_space;
        if let Some(reading) = &mut *self.ballast.reading() {
            if reading.admit(reserve, incoming) {
                return Ok(());
            }
        }
        let dir = &self.config.data_dir;
        let free = admit(dir, reserve, incoming)?;
        if self.ballast.present() {
            if let Some(free) = free {
                *self.ballast.reading() = Some(Reading {
                    at: Instant::now(),
                    free,
                    admitted: incoming,
                });
            }
        } else {
            let wanted = self
                .config
                .min_free_space
                .saturating_add(incoming)
                .saturating_add(2 * BALLAST_BYTES);
            if free_bytes(dir).is_ok_and(|free| free >= wanted) {
                // Best effort: a failure leaves it missing, and the next write tries again.
                // Written on the caller's thread: 4 MiB, once after each full-disk episode.
                let _ = self.ballast.ensure();
            }
        }
        Ok(())
    }

    /// Before a commit that frees space (a delete, an abort): when the disk is nearly full,
    /// the space-reserve file goes, so that the commit's new pages find room.
    pub fn make_room_to_free(&self) {
        let nearly_full = free_bytes(&self.config.data_dir).map_or(true, |f| f < BALLAST_BYTES);
        if nearly_full {
            self.ballast.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_decides() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(dir.path()).unwrap();
        assert!(free > 0);
        admit(dir.path(), 0, u64::MAX).unwrap();
        admit(dir.path(), 1, 0).unwrap();
        let refused = admit(dir.path(), free + (1 << 30), 0).unwrap_err();
        assert!(
            matches!(&refused, StorageError::InsufficientStorage(m) if m.contains("reserve")),
            "{refused:?}"
        );
        let refused = admit(dir.path(), 1, u64::MAX - 1).unwrap_err();
        assert!(matches!(refused, StorageError::InsufficientStorage(_)));
    }

    #[test]
    fn a_reading_stands_in_only_while_fresh_and_far_above_the_reserve() {
        let mut reading = Reading {
            at: Instant::now(),
            free: 200 << 20,
            admitted: 0,
        };
        assert!(reading.admit(0, 100 << 20));
        assert_eq!(reading.admitted, 100 << 20);
        // What it admitted counts: 100 MiB left is under 100 MiB + the headroom.
        assert!(!reading.admit(0, 100 << 20));
        assert!(!reading.admit(100 << 20, 0));
        assert!(reading.admit(0, 1 << 20));
        let mut stale = Reading {
            at: Instant::now().checked_sub(READING_TTL).unwrap(),
            free: u64::MAX,
            admitted: 0,
        };
        assert!(!stale.admit(0, 0));
    }

    #[test]
    fn a_full_disk_is_insufficient_storage() {
        let full = io::Error::new(io::ErrorKind::StorageFull, "no space left on device");
        assert!(matches!(
            io_error(full),
            StorageError::InsufficientStorage(_)
        ));
        let other = io::Error::new(io::ErrorKind::PermissionDenied, "no");
        assert!(matches!(io_error(other), StorageError::Io(_)));
    }
}
