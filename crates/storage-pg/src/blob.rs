//! Where object bytes live: a small trait, and its shared-filesystem implementation.

use std::fmt::Debug;
use std::io::{self, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use s4_storage::{ByteStream, StorageError, StorageResult};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// A store of immutable byte blobs under opaque names chosen by the caller
/// ([`new_blob_name`]: random, never derived from a bucket or key).
///
/// Contract:
/// - [`BlobStore::put`] returns only once the blob is durable; if `body` yields `Err`, nothing
///   is kept under `name` and the error is returned as [`StorageError::Body`] untouched;
/// - [`BlobStore::read`] opens the blob before it returns (a blob deleted afterwards keeps
///   streaming where the store allows it); a missing blob is an `Io` error of kind `NotFound`;
/// - [`BlobStore::delete`] is idempotent;
/// - [`BlobStore::list`] yields every stored blob with the time it was written, for the
///   orphan sweep, and [`BlobStore::remove_incomplete`] drops abandoned partial writes.
#[async_trait]
pub trait BlobStore: Send + Sync + Debug + 'static {
    /// Stores `body` under `name` durably; returns its length.
    async fn put(&self, name: &str, body: ByteStream) -> StorageResult<u64>;
    /// Streams `range` of the blob.
    async fn read(&self, name: &str, range: Range<u64>) -> StorageResult<ByteStream>;
    async fn delete(&self, name: &str) -> StorageResult<()>;
    /// Every stored blob and when it was written.
    async fn list(&self) -> StorageResult<Vec<(String, SystemTime)>>;
    /// Deletes partial writes older than `grace` (a crashed or cancelled `put`).
    async fn remove_incomplete(&self, grace: Duration) -> StorageResult<u64> {
        let _ = grace;
        Ok(0)
    }
}

/// A fresh blob name: 32 random hex digits.
pub fn new_blob_name() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn valid_name(name: &str) -> StorageResult<()> {
    if name.len() >= 3 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(StorageError::Internal(format!(
            "invalid blob name {name:?}"
        )))
    }
}

/// Chunk size of blob reads.
const READ_CHUNK: u64 = 256 * 1024;
/// Writes are coalesced into buffers of this size.
const WRITE_BUFFER: usize = 256 * 1024;

/// Blobs as files on a (possibly shared, e.g. NFS) mounted directory, laid out like the
/// embedded backend: `blobs/xx/<name>` (xx: the name's first two hex digits) and `tmp/<name>`
/// while a body is received. A put writes the temp file, fsyncs it, renames it into place and
/// fsyncs the directory. Names are random, so processes sharing the directory never collide.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// Opens (creating if needed) the blob directory.
    pub fn open(root: impl Into<PathBuf>) -> StorageResult<Self> {
        let root = root.into();
        // Private to the server's user: 0700 directories, 0600 files (see `private_file`).
        let mut dirs = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(dirs.recursive(true), 0o700);
        dirs.create(root.join("tmp"))?;
        for i in 0..=255u8 {
            dirs.create(root.join("blobs").join(hex::encode([i])))?;
        }
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join("blobs").join(&name[..2]).join(name)
    }

    async fn write(&self, tmp: &Path, name: &str, mut body: ByteStream) -> StorageResult<u64> {
        let file = private_file(tmp).await?;
        let mut writer = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(StorageError::Body)?;
            writer.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        writer.flush().await?;
        let file = writer.into_inner();
        file.sync_all().await?;
        drop(file);
        let dest = self.path(name);
        tokio::fs::rename(tmp, &dest).await?;
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_default();
        tokio::task::spawn_blocking(move || std::fs::File::open(dir)?.sync_all())
            .await
            .map_err(|e| StorageError::Internal(e.to_string()))??;
        Ok(written)
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, name: &str, body: ByteStream) -> StorageResult<u64> {
        valid_name(name)?;
        let tmp = self.root.join("tmp").join(name);
        let result = self.write(&tmp, name, body).await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    async fn read(&self, name: &str, range: Range<u64>) -> StorageResult<ByteStream> {
        valid_name(name)?;
        let mut file = tokio::fs::File::open(self.path(name)).await?;
        if range.start > 0 {
            file.seek(SeekFrom::Start(range.start)).await?;
        }
        let remaining = range.end.saturating_sub(range.start);
        let stream =
            futures_util::stream::unfold((file, remaining), |(mut file, remaining)| async move {
                if remaining == 0 {
                    return None;
                }
                let n = remaining.min(READ_CHUNK) as usize;
                let mut buf = vec![0u8; n];
                match file.read_exact(&mut buf).await {
                    Ok(_) => Some((Ok(Bytes::from(buf)), (file, remaining - n as u64))),
                    Err(e) => Some((Err(e.into()), (file, 0))),
                }
            });
        Ok(Box::pin(stream))
    }

    async fn delete(&self, name: &str) -> StorageResult<()> {
        valid_name(name)?;
        match tokio::fs::remove_file(self.path(name)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    async fn list(&self) -> StorageResult<Vec<(String, SystemTime)>> {
        let root = self.root.join("blobs");
        tokio::task::spawn_blocking(move || -> io::Result<Vec<(String, SystemTime)>> {
            let mut out = Vec::new();
            for dir in std::fs::read_dir(root)? {
                for entry in std::fs::read_dir(dir?.path())? {
                    let entry = entry?;
                    let Ok(name) = entry.file_name().into_string() else {
                        continue;
                    };
                    match entry.metadata().and_then(|m| m.modified()) {
                        Ok(modified) => out.push((name, modified)),
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| StorageError::Internal(e.to_string()))?
        .map_err(StorageError::Io)
    }

    async fn remove_incomplete(&self, grace: Duration) -> StorageResult<u64> {
        let tmp = self.root.join("tmp");
        tokio::task::spawn_blocking(move || -> io::Result<u64> {
            let mut removed = 0;
            let now = SystemTime::now();
            for entry in std::fs::read_dir(tmp)? {
                let entry = entry?;
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > grace);
                if old && std::fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
        .map_err(|e| StorageError::Internal(e.to_string()))?
        .map_err(StorageError::Io)
    }
}

/// Creates (or truncates) a file with mode 0600: blobs and spooled bodies are the objects, not
/// for other users of the machine.
pub(crate) async fn private_file(path: &Path) -> std::io::Result<tokio::fs::File> {
    tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .await
}
