//! The durable write path: stream a body into a temp file while hashing it, check it, fsync
//! it, rename it into `blobs/`, then commit metadata in one redb transaction.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use md5::{Digest, Md5};
use redb::WriteTransaction;
use s4_storage::{ByteStream, StorageError, StorageResult};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::group::{CommitFn, Failure};
use crate::{sync_dir, BlobId, Db, Inner};

/// Chunks in flight between the body and each of the two worker threads.
const CHANNEL_CHUNKS: usize = 32;
/// Body bytes one request may hold between its socket and the disk (in both channels and in
/// the workers' hands), whatever the chunk sizes. Counting chunks alone let the 64 channel
/// slots fill with hyper's 128 KiB reads: a whole 8 MiB part in memory per upload whenever
/// the disk or MD5 trailed the network (436 MiB RSS with 32 such uploads).
/// docs/performance.md ("Memory") adds up the rest of a request's buffers.
pub(crate) const IN_FLIGHT_BYTES: usize = 1 << 20;
/// The writer's buffer: small request chunks are coalesced into writes of this size.
const WRITE_BUFFER: usize = 256 * 1024;
/// While a body streams in, free space is looked at (one `statvfs`) every this many bytes.
const SPACE_CHECK_INTERVAL: u64 = 1 << 20;

/// Where a received body went.
#[derive(Debug)]
pub(crate) enum Spooled {
    /// At most the inline threshold: kept in memory, stored in the record.
    Inline(Vec<u8>),
    /// In a synced temp file, to be renamed to `blobs/` by [`commit`].
    File { id: BlobId, tmp: PathBuf },
}

/// A received and checked body.
#[derive(Debug)]
pub(crate) struct Received {
    pub data: Spooled,
    pub size: u64,
    pub md5: [u8; 16],
}

/// Receives a body: inline in memory when it turns out to be at most `inline_limit` bytes,
/// otherwise into a temp file written and synced by one blocking thread fed by another that
/// computes the MD5. Checks `content_length` (IncompleteBody) and `content_md5` (BadDigest) at the
/// end. Refuses a body that would eat into the free-space reserve before taking a byte, and
/// cuts one off once free space falls under it (`src/space.rs`). On any failure the temp file
/// is gone when this returns.
pub(crate) async fn receive(
    inner: &Arc<Inner>,
    mut body: ByteStream,
    content_length: Option<u64>,
    content_md5: Option<[u8; 16]>,
    inline_limit: Option<usize>,
) -> StorageResult<Received> {
    let max = inner.config.max_object_size;
    if content_length.is_some_and(|len| len > max) {
        return Err(StorageError::EntityTooLarge);
    }
    inner.admit_write(content_length.unwrap_or(0))?;
    let threshold = inline_limit.map_or(0, |l| l as u64);
    let mut buffered: Vec<Bytes> = Vec::new();
    let mut writer = match (inline_limit, content_length) {
        (Some(_), Some(len)) if len <= threshold => None,
        (Some(_), None) => None,
        _ => Some(BlobWriter::start(inner)),
    };
    let mut total: u64 = 0;
    loop {
        let chunk = match body.next().await {
            None => break,
            Some(Err(e)) => {
                if let Some(w) = writer {
                    w.discard().await;
                }
                return Err(StorageError::Body(e));
            }
            Some(Ok(chunk)) => chunk,
        };
        if chunk.is_empty() {
            continue;
        }
        total += chunk.len() as u64;
        if total > max {
            if let Some(w) = writer {
                w.discard().await;
            }
            return Err(StorageError::EntityTooLarge);
        }
        if writer.is_none() {
            buffered.push(chunk);
            if total <= threshold {
                continue;
            }
            writer = Some(BlobWriter::start(inner));
        } else {
            buffered.push(chunk);
        }
        if let Some(w) = &mut writer {
            for c in buffered.drain(..) {
                if w.send(c).await.is_err() {
                    let w = writer.take().expect("writer is set");
                    return Err(w.fail().await);
                }
            }
        }
    }
    let check = |md5: &[u8; 16]| -> StorageResult<()> {
        if let Some(expected) = content_length {
            if expected != total {
                return Err(StorageError::IncompleteBody {
                    expected,
                    received: total,
                });
            }
        }
        if content_md5.is_some_and(|m| &m != md5) {
            return Err(StorageError::BadDigest);
        }
        Ok(())
    };
    match writer {
        None => {
            let mut data = Vec::with_capacity(total as usize);
            let mut hasher = Md5::new();
            for c in &buffered {
                hasher.update(c);
                data.extend_from_slice(c);
            }
            let md5: [u8; 16] = hasher.finalize().into();
            check(&md5)?;
            Ok(Received {
                data: Spooled::Inline(data),
                size: total,
                md5,
            })
        }
        Some(w) => {
            let (id, tmp, md5) = w.finish(check).await?;
            Ok(Received {
                data: Spooled::File { id, tmp },
                size: total,
                md5,
            })
        }
    }
}

/// A body chunk with its share of the request's [`IN_FLIGHT_BYTES`], given back when the chunk
/// is dropped (written, or given up).
struct Budgeted {
    chunk: Bytes,
    _share: OwnedSemaphorePermit,
}

/// A temp file being written by one blocking thread while another hashes the chunks first.
///
/// The body goes to the hasher, which forwards each chunk to the writer after hashing it:
/// MD5 is the slowest stage (about 600 MiB/s per core), so it never waits for the disk, and
/// the writer trails it by at most one channel of chunks.
///
/// Field order matters: dropping the writer (a cancelled request) drops `keep_tx` before
/// the body channel, so the writer thread learns that the file is not wanted before it would
/// start the final sync.
struct BlobWriter {
    /// `true`: keep the file; `false` or dropped: delete it.
    keep_tx: oneshot::Sender<bool>,
    hash_tx: mpsc::Sender<Budgeted>,
    budget: Arc<Semaphore>,
    id: BlobId,
    tmp: PathBuf,
    writer: JoinHandle<io::Result<()>>,
    hasher: JoinHandle<[u8; 16]>,
}

fn join_error(e: &tokio::task::JoinError) -> StorageError {
    StorageError::Internal(format!("body worker failed: {e}"))
}

/// A worker stopped early (the writer on an I/O error).
struct WorkerStopped;

impl BlobWriter {
    fn start(inner: &Arc<Inner>) -> Self {
        let id = BlobId::random();
        let tmp = inner.tmp_dir.join(hex::encode(id.0));
        let (data_tx, data_rx) = mpsc::channel::<Budgeted>(CHANNEL_CHUNKS);
        let (hash_tx, hash_rx) = mpsc::channel::<Budgeted>(CHANNEL_CHUNKS);
        let (keep_tx, keep_rx) = oneshot::channel::<bool>();
        let path = tmp.clone();
        let sync_interval = inner.config.sync_interval;
        let reserve = Reserve {
            dir: inner.config.data_dir.clone(),
            bytes: inner.config.min_free_space,
        };
        let writer = tokio::task::spawn_blocking(move || {
            let result = write_file(&path, data_rx, keep_rx, sync_interval, &reserve)
                .map_err(|e| crate::with_path(&e, &path));
            if !matches!(result, Ok(true)) {
                let _ = fs::remove_file(&path);
            }
            result.map(|_| ())
        });
        let hasher = tokio::task::spawn_blocking(move || {
            let mut rx = hash_rx;
            let mut hasher = Md5::new();
            while let Some(budgeted) = rx.blocking_recv() {
                hasher.update(&budgeted.chunk);
                if data_tx.blocking_send(budgeted).is_err() {
                    // The writer failed: stop taking the body, so that the sender notices.
                    break;
                }
            }
            hasher.finalize().into()
        });
        Self {
            keep_tx,
            hash_tx,
            budget: Arc::new(Semaphore::new(IN_FLIGHT_BYTES)),
            id,
            tmp,
            writer,
            hasher,
        }
    }

    /// Waits until the chunk fits in the request's budget (a chunk larger than the whole
    /// budget takes all of it), then hands it to the hasher.
    async fn send(&mut self, chunk: Bytes) -> Result<(), WorkerStopped> {
        let share = chunk.len().min(IN_FLIGHT_BYTES) as u32;
        let share = Arc::clone(&self.budget)
            .acquire_many_owned(share)
            .await
            .map_err(|_| WorkerStopped)?;
        let budgeted = Budgeted {
            chunk,
            _share: share,
        };
        self.hash_tx.send(budgeted).await.map_err(|_| WorkerStopped)
    }

    /// After a failed `send`: stops everything and returns the writer's error.
    async fn fail(self) -> StorageError {
        let _ = self.keep_tx.send(false);
        drop(self.hash_tx);
        match self.writer.await {
            Ok(Err(e)) => crate::space::io_error(e),
            Ok(Ok(())) => StorageError::Internal("body writer stopped early".to_owned()),
            Err(e) => join_error(&e),
        }
    }

    /// Stops and deletes the temp file; returns once it is gone.
    async fn discard(self) {
        let _ = self.keep_tx.send(false);
        drop(self.hash_tx);
        let _ = self.writer.await;
    }

    /// Ends the body: the writer starts its final sync while the hasher finishes; `check`
    /// judges the MD5. Returns the synced temp file, or deletes it and fails.
    async fn finish(
        self,
        check: impl FnOnce(&[u8; 16]) -> StorageResult<()>,
    ) -> StorageResult<(BlobId, PathBuf, [u8; 16])> {
        drop(self.hash_tx);
        let md5 = match self.hasher.await {
            Ok(md5) => md5,
            Err(e) => {
                let _ = self.keep_tx.send(false);
                let _ = self.writer.await;
                return Err(join_error(&e));
            }
        };
        let verdict = check(&md5);
        let _ = self.keep_tx.send(verdict.is_ok());
        let written = self.writer.await;
        verdict?;
        match written {
            Ok(Ok(())) => Ok((self.id, self.tmp, md5)),
            Ok(Err(e)) => Err(crate::space::io_error(e)),
            Err(e) => Err(join_error(&e)),
        }
    }
}

/// Starts writeback early: `fdatasync` on a second handle of the file, on its own thread, so
/// that the writer never waits for the disk before the final sync.
struct Syncer {
    requests: std::sync::mpsc::SyncSender<()>,
    thread: std::thread::JoinHandle<io::Result<()>>,
}

impl Syncer {
    fn start(file: File) -> io::Result<Self> {
        let (requests, rx) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("s4-fs-sync".to_owned())
            .spawn(move || {
                while rx.recv().is_ok() {
                    file.sync_data()?;
                }
                Ok(())
            })?;
        Ok(Self { requests, thread })
    }

    /// Asks for a sync unless one is already pending.
    fn request(&self) {
        let _ = self.requests.try_send(());
    }

    fn finish(self) -> io::Result<()> {
        drop(self.requests);
        self.thread
            .join()
            .map_err(|_| io::Error::other("sync thread panicked"))?
    }
}

/// The free space a body being written must leave.
struct Reserve {
    dir: PathBuf,
    bytes: u64,
}

impl Reserve {
    fn check(&self) -> io::Result<()> {
        if self.bytes == 0 {
            return Ok(());
        }
        let free = crate::space::free_bytes(&self.dir)?;
        if free < self.bytes {
            return Err(crate::space::below_reserve(&self.dir, free, self.bytes));
        }
        Ok(())
    }
}

/// The writer thread: writes every chunk (asking the syncer for writeback every
/// `sync_interval` bytes, and stopping with `StorageFull` once free space falls under the
/// reserve), and once the body ended syncs the file right away, before the verdict, unless the
/// file was already given up. Returns whether the file is to be kept.
fn write_file(
    path: &std::path::Path,
    mut data_rx: mpsc::Receiver<Budgeted>,
    mut keep_rx: oneshot::Receiver<bool>,
    sync_interval: u64,
    reserve: &Reserve,
) -> io::Result<bool> {
    let file = crate::create_private_file(path)?;
    let syncer = if sync_interval > 0 {
        Some(Syncer::start(file.try_clone()?)?)
    } else {
        None
    };
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut unsynced: u64 = 0;
    let mut unchecked: u64 = 0;
    // The chunk's share of the budget is given back once it is written (or copied into `out`).
    while let Some(Budgeted { chunk, _share }) = data_rx.blocking_recv() {
        out.write_all(&chunk)?;
        unsynced += chunk.len() as u64;
        unchecked += chunk.len() as u64;
        if unchecked >= SPACE_CHECK_INTERVAL {
            reserve.check()?;
            unchecked = 0;
        }
        if unsynced >= sync_interval {
            if let Some(syncer) = &syncer {
                out.flush()?;
                syncer.request();
                unsynced = 0;
            }
        }
    }
    let verdict = match keep_rx.try_recv() {
        Ok(keep) => Some(keep),
        Err(oneshot::error::TryRecvError::Empty) => None,
        Err(oneshot::error::TryRecvError::Closed) => Some(false),
    };
    if verdict == Some(false) {
        return Ok(false);
    }
    out.flush()?;
    if let Some(syncer) = syncer {
        syncer.finish()?;
    }
    out.get_ref().sync_all()?;
    Ok(match verdict {
        Some(keep) => keep,
        None => keep_rx.blocking_recv() == Ok(true),
    })
}

/// Like [`commit`] for a write that places `new_blob`, but the transaction is shared with
/// other waiting requests ([`crate::group`]): `txn` may run more than once (only the committed
/// run counts), and sees the effects of the requests queued before it. Returns once the shared
/// transaction committed. Runs blocking, so that a rejected write removes its blob even if its
/// caller went away; writes without a blob use [`group_commit_async`].
pub(crate) fn group_commit<T, F>(
    inner: &Inner,
    new_blob: &(BlobId, PathBuf),
    txn: F,
) -> StorageResult<T>
where
    T: Send + 'static,
    F: CommitFn<T>,
{
    place_blob(inner, Some(new_blob))?;
    // A blob's bytes are not inline: they do not count against the batch's byte bound.
    match crate::group::submit(inner, 0, txn) {
        Ok(result) => result,
        Err(Failure::Rejected(e)) => {
            let _ = fs::remove_file(inner.blob_path(new_blob.0));
            Err(e)
        }
        Err(Failure::Failed(e)) => {
            remove_if_unreferenced(inner, new_blob.0);
            Err(e)
        }
    }
}

/// [`group_commit`] for a write that places no new blob (inline data, deletes), awaited
/// without holding a thread ([`crate::group::submit_async`]).
pub(crate) async fn group_commit_async<T, F>(
    inner: &Arc<Inner>,
    inline_bytes: usize,
    txn: F,
) -> StorageResult<T>
where
    T: Send + 'static,
    F: CommitFn<T>,
{
    match crate::group::submit_async(inner, inline_bytes, txn).await {
        Ok(result) => result,
        Err(Failure::Rejected(e) | Failure::Failed(e)) => Err(e),
    }
}

/// After a failed commit: deletes the new blob unless the commit landed after all (a failure
/// while syncing can follow a durable write), so that a full disk gets its space back at once.
/// If the metadata cannot be read the blob stays, and the next start-up's sweep decides.
fn remove_if_unreferenced(inner: &Inner, id: BlobId) {
    let referenced = inner.db.begin_read().db().and_then(|txn| {
        let refs = txn.open_table(crate::BLOBS).db()?;
        Ok(refs.get(&id.0[..]).db()?.is_some())
    });
    if matches!(referenced, Ok(false)) {
        let _ = fs::remove_file(inner.blob_path(id));
    }
}

/// Renames a synced body into `blobs/` and syncs its directory.
fn place_blob(inner: &Inner, new_blob: Option<&(BlobId, PathBuf)>) -> StorageResult<()> {
    if let Some((id, tmp)) = new_blob {
        let path = inner.blob_path(*id);
        if let Err(e) = fs::rename(tmp, &path) {
            let _ = fs::remove_file(tmp);
            return Err(crate::space::io_error(crate::with_path(&e, &path)));
        }
        let shard = inner.blob_shard(*id);
        if let Err(e) = sync_dir(&shard) {
            let _ = fs::remove_file(&path);
            return Err(crate::space::io_error(crate::with_path(&e, &shard)));
        }
    }
    Ok(())
}

/// Makes a received body durable and commits metadata.
///
/// A file body is renamed into `blobs/` and its directory synced first; then `txn` runs in one
/// durable write transaction. `txn` returns:
/// - `Err(e)`: the transaction is aborted, the new blob deleted, `e` returned;
/// - `Ok(result)`: the transaction is committed, then the blobs `txn` pushed to `freed` (no
///   longer referenced) are deleted, and `result` is returned, even an `Err` (a rejected part
///   that aborts its upload commits the abort and still fails).
///
/// Runs blocking; call it from [`crate::blocking`]. A caller dropped meanwhile does not stop
/// it, so a commit is never half done.
pub(crate) fn commit<T>(
    inner: &Inner,
    new_blob: Option<&(BlobId, PathBuf)>,
    txn: impl FnOnce(&WriteTransaction, &mut Vec<BlobId>) -> StorageResult<StorageResult<T>>,
) -> StorageResult<T> {
    place_blob(inner, new_blob)?;
    let delete_new = || {
        if let Some((id, _)) = new_blob {
            let _ = fs::remove_file(inner.blob_path(*id));
        }
    };
    let write = match inner.begin_write() {
        Ok(w) => w,
        Err(e) => {
            delete_new();
            return Err(e);
        }
    };
    let mut freed = Vec::new();
    match txn(&write, &mut freed) {
        Ok(result) => {
            if let Err(e) = inner.commit(write) {
                if let Some((id, _)) = new_blob {
                    remove_if_unreferenced(inner, *id);
                }
                return Err(e);
            }
            inner.release(&freed);
            result
        }
        Err(e) => {
            let _ = write.abort();
            delete_new();
            Err(e)
        }
    }
}
