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
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::{sync_dir, BlobId, Db, Inner};

/// Chunks in flight between the body and each of the two worker threads. Bounded, so that a
/// fast client cannot make us buffer a large object in memory.
const CHANNEL_CHUNKS: usize = 32;
/// The writer's buffer: small request chunks are coalesced into writes of this size.
const WRITE_BUFFER: usize = 1 << 20;

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
/// otherwise into a temp file written and synced by one blocking thread while MD5 runs on
/// another. Checks `content_length` (IncompleteBody) and `content_md5` (BadDigest) at the
/// end. On any failure the temp file is gone when this returns.
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
        if let Some(w) = &mut writer {
            w.send(chunk).await?;
        } else {
            buffered.push(chunk);
            if total > threshold {
                let mut w = BlobWriter::start(inner);
                for c in buffered.drain(..) {
                    w.send(c).await?;
                }
                writer = Some(w);
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
            let (w, md5) = w.hash().await?;
            if let Err(e) = check(&md5) {
                w.discard().await;
                return Err(e);
            }
            let (id, tmp) = w.finish().await?;
            Ok(Received {
                data: Spooled::File { id, tmp },
                size: total,
                md5,
            })
        }
    }
}

/// A temp file being written by one blocking thread while another hashes the same chunks.
struct BlobWriter {
    id: BlobId,
    tmp: PathBuf,
    data_tx: mpsc::Sender<Bytes>,
    hash_tx: Option<mpsc::Sender<Bytes>>,
    /// `true`: sync and keep the file; `false` or dropped: delete it.
    keep_tx: oneshot::Sender<bool>,
    writer: JoinHandle<io::Result<()>>,
    hasher: Option<JoinHandle<[u8; 16]>>,
}

struct HashedWriter {
    id: BlobId,
    tmp: PathBuf,
    data_tx: mpsc::Sender<Bytes>,
    keep_tx: oneshot::Sender<bool>,
    writer: JoinHandle<io::Result<()>>,
}

fn join_error(e: &tokio::task::JoinError) -> StorageError {
    StorageError::Internal(format!("body worker failed: {e}"))
}

impl BlobWriter {
    fn start(inner: &Arc<Inner>) -> Self {
        let id = BlobId::random();
        let tmp = inner.tmp_dir.join(hex::encode(id.0));
        let (data_tx, data_rx) = mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
        let (hash_tx, hash_rx) = mpsc::channel::<Bytes>(CHANNEL_CHUNKS);
        let (keep_tx, keep_rx) = oneshot::channel::<bool>();
        let path = tmp.clone();
        let sync_interval = inner.config.sync_interval;
        let writer = tokio::task::spawn_blocking(move || {
            let result = write_file(&path, data_rx, keep_rx, sync_interval);
            if !matches!(result, Ok(true)) {
                let _ = fs::remove_file(&path);
            }
            result.map(|_| ())
        });
        let hasher = tokio::task::spawn_blocking(move || {
            let mut rx = hash_rx;
            let mut hasher = Md5::new();
            while let Some(chunk) = rx.blocking_recv() {
                hasher.update(&chunk);
            }
            hasher.finalize().into()
        });
        Self {
            id,
            tmp,
            data_tx,
            hash_tx: Some(hash_tx),
            keep_tx,
            writer,
            hasher: Some(hasher),
        }
    }

    async fn send(&mut self, chunk: Bytes) -> StorageResult<()> {
        let hashed = match &self.hash_tx {
            Some(tx) => tx.send(chunk.clone()).await.is_ok(),
            None => false,
        };
        if !hashed || self.data_tx.send(chunk).await.is_err() {
            // A worker stopped: the writer on an I/O error. Report that error.
            return Err(self.take_error().await);
        }
        Ok(())
    }

    async fn take_error(&mut self) -> StorageError {
        let (tx, _) = mpsc::channel(1);
        drop(std::mem::replace(&mut self.data_tx, tx));
        match (&mut self.writer).await {
            Ok(Err(e)) => StorageError::Io(e),
            Ok(Ok(())) => StorageError::Internal("body writer stopped early".to_owned()),
            Err(e) => join_error(&e),
        }
    }

    /// Ends the hashing (all chunks were sent) and returns the MD5.
    async fn hash(mut self) -> StorageResult<(HashedWriter, [u8; 16])> {
        drop(self.hash_tx.take());
        let hasher = self.hasher.take().expect("hash() is called once");
        let md5 = hasher.await.map_err(|e| join_error(&e))?;
        Ok((
            HashedWriter {
                id: self.id,
                tmp: self.tmp,
                data_tx: self.data_tx,
                keep_tx: self.keep_tx,
                writer: self.writer,
            },
            md5,
        ))
    }

    /// Stops and deletes the temp file; returns once it is gone.
    async fn discard(self) {
        drop(self.data_tx);
        drop(self.hash_tx);
        let _ = self.keep_tx.send(false);
        let _ = self.writer.await;
    }
}

impl HashedWriter {
    async fn finish(self) -> StorageResult<(BlobId, PathBuf)> {
        drop(self.data_tx);
        let _ = self.keep_tx.send(true);
        match self.writer.await {
            Ok(Ok(())) => Ok((self.id, self.tmp)),
            Ok(Err(e)) => Err(StorageError::Io(e)),
            Err(e) => Err(join_error(&e)),
        }
    }

    async fn discard(self) {
        drop(self.data_tx);
        let _ = self.keep_tx.send(false);
        let _ = self.writer.await;
    }
}

/// The writer thread: writes every chunk, syncing every `sync_interval` bytes, then waits for
/// the verdict. Returns whether the file is to be kept (synced).
fn write_file(
    path: &std::path::Path,
    mut data_rx: mpsc::Receiver<Bytes>,
    keep_rx: oneshot::Receiver<bool>,
    sync_interval: u64,
) -> io::Result<bool> {
    let file = File::create_new(path)?;
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut unsynced: u64 = 0;
    while let Some(chunk) = data_rx.blocking_recv() {
        out.write_all(&chunk)?;
        unsynced += chunk.len() as u64;
        if sync_interval > 0 && unsynced >= sync_interval {
            out.flush()?;
            out.get_ref().sync_data()?;
            unsynced = 0;
        }
    }
    if keep_rx.blocking_recv() != Ok(true) {
        return Ok(false);
    }
    out.flush()?;
    out.get_ref().sync_all()?;
    Ok(true)
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
    if let Some((id, tmp)) = new_blob {
        let path = inner.blob_path(*id);
        if let Err(e) = fs::rename(tmp, &path) {
            let _ = fs::remove_file(tmp);
            return Err(e.into());
        }
        if let Err(e) = sync_dir(&inner.blob_shard(*id)) {
            let _ = fs::remove_file(&path);
            return Err(e.into());
        }
    }
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
            // If the commit fails the blob stays (unreferenced unless the commit did land);
            // the next start-up removes it if it is an orphan.
            write.commit().db()?;
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
