//! Online backup: a consistent copy of a running store in a new data directory, which
//! `FsStore::open` (or `s4-server --data-dir`) then serves as it was at one commit.
//!
//! The snapshot is one redb read transaction: every table is copied row by row from it into
//! a fresh database, so the copy holds exactly the commits before it began, while writes go
//! on. The blobs the snapshot references are hard-linked into the copy (blob files never
//! change once written, so sharing them is safe), or copied and synced when the destination
//! is on another filesystem or copies are asked for.
//!
//! A blob the snapshot references may lose its last reference to a commit made after the
//! snapshot began; its file must outlive the copy. The backup therefore holds back every blob
//! deletion ([`Inner::hold_deletions`]) from before its transaction begins until the last
//! blob is linked; the held deletions run when it ends (or, after a crash, at the next
//! start-up, which removes unreferenced blobs).
//!
//! The database is written under a scratch name and renamed to `meta.redb` only once
//! everything else is durable: a directory without `meta.redb` is an unfinished backup.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{
    Database, MultimapTableHandle as _, ReadTransaction, ReadableTable as _, TableDefinition,
    TableHandle as _,
};
use s4_storage::StorageError;

use crate::{blocking, create_private_dir, create_private_file, sync_dir, Db as _, FsStore, Inner};
use crate::{BLOBS, META, OBJECTS};

/// Rows copied per transaction of the new database (its dirty pages stay in memory until
/// each commit).
const ROWS_PER_COMMIT: usize = 10_000;

/// How blob files reach the backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobTransfer {
    /// Hard links where the filesystem allows (same filesystem), copies otherwise.
    LinkOrCopy,
    /// Always copies: a backup that shares no inode with the live store, so that damage to
    /// one file cannot reach both.
    Copy,
}

/// Why a backup was refused or failed. Nothing is left in the destination after a failure.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// DEST is relative: the server and the CLI may run in different directories.
    #[error("the backup destination must be an absolute path, not {0}")]
    RelativeDestination(PathBuf),
    /// DEST holds something already; a backup never overwrites.
    #[error("the backup destination {0} exists and is not an empty directory")]
    DestinationNotEmpty(PathBuf),
    #[error("the backup destination {dest} overlaps the data dir {data_dir}")]
    /// DEST is inside the data dir or contains it.
    Overlaps {
        /// The requested destination.
        dest: PathBuf,
        /// The live store's data dir.
        data_dir: PathBuf,
    },
    /// `meta.redb` has a table this version cannot copy (written by a newer server).
    #[error("the metadata holds a table the backup does not know: {0}")]
    UnknownTable(String),
    /// Reading the live store failed.
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// Writing the backup failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory being written.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// What a backup copied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackupReport {
    /// Objects in the snapshot.
    pub objects: u64,
    /// Metadata rows copied, all tables.
    pub rows: u64,
    /// Blob files hard-linked.
    pub blobs_linked: u64,
    /// Blob files copied.
    pub blobs_copied: u64,
    /// Bytes of the copied blob files.
    pub bytes_copied: u64,
}

/// The tables of the metadata store; a backup refuses a database with any other table, so a
/// table added later cannot be left out silently.
fn known_tables() -> Vec<String> {
    let mut names: Vec<String> = bin_tables().iter().map(|t| t.name().to_owned()).collect();
    names.extend([BLOBS.name().to_owned(), META.name().to_owned()]);
    names
}

fn bin_tables() -> Vec<crate::Bin> {
    let mut tables = crate::BYTE_TABLES.to_vec();
    tables.push(crate::usage::USAGE);
    tables
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

impl FsStore {
    /// Writes a consistent copy of the store into `dest` (absolute; created, or an empty
    /// directory), see the module documentation.
    pub async fn backup(
        &self,
        dest: PathBuf,
        transfer: BlobTransfer,
    ) -> Result<BackupReport, BackupError> {
        let inner = self.inner.clone();
        blocking(move || Ok(backup(&inner, &dest, transfer)))
            .await
            .map_err(BackupError::from)?
    }
}

fn backup(
    inner: &Arc<Inner>,
    dest: &Path,
    transfer: BlobTransfer,
) -> Result<BackupReport, BackupError> {
    let created = prepare_destination(&inner.config.data_dir, dest)?;
    let result = write_backup(inner, dest, transfer);
    if result.is_err() {
        // An unfinished backup must not look like a data dir.
        if created {
            let _ = fs::remove_dir_all(dest);
        } else if let Ok(entries) = fs::read_dir(dest) {
            for entry in entries.flatten() {
                let _ = crate::remove_any(&entry.path());
            }
        }
    }
    result
}

/// Checks the destination and creates it if missing; `true` when it was created.
fn prepare_destination(data_dir: &Path, dest: &Path) -> Result<bool, BackupError> {
    if !dest.is_absolute() {
        return Err(BackupError::RelativeDestination(dest.to_owned()));
    }
    let created = match fs::read_dir(dest) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::DestinationNotEmpty(dest.to_owned()));
            }
            false
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => true,
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            return Err(BackupError::DestinationNotEmpty(dest.to_owned()))
        }
        Err(e) => return Err(io_at(dest)(e)),
    };
    // Compare real paths (after creation, so that symlinks in the new path resolve).
    let data_real = fs::canonicalize(data_dir).map_err(io_at(data_dir))?;
    let parent_real = dest
        .ancestors()
        .find_map(|a| fs::canonicalize(a).ok())
        .unwrap_or_default();
    if parent_real.starts_with(&data_real) || data_real.starts_with(dest) {
        return Err(BackupError::Overlaps {
            dest: dest.to_owned(),
            data_dir: data_dir.to_owned(),
        });
    }
    if created {
        create_private_dir(dest).map_err(io_at(dest))?;
    }
    let dest_real = fs::canonicalize(dest).map_err(io_at(dest))?;
    if dest_real.starts_with(&data_real) || data_real.starts_with(&dest_real) {
        if created {
            let _ = fs::remove_dir(dest);
        }
        return Err(BackupError::Overlaps {
            dest: dest.to_owned(),
            data_dir: data_dir.to_owned(),
        });
    }
    Ok(created)
}

fn write_backup(
    inner: &Arc<Inner>,
    dest: &Path,
    transfer: BlobTransfer,
) -> Result<BackupReport, BackupError> {
    let blob_dir = dest.join("blobs");
    for shard in 0..=255u8 {
        let path = blob_dir.join(format!("{shard:02x}"));
        create_private_dir(&path).map_err(io_at(&path))?;
    }
    let tmp = dest.join("tmp");
    create_private_dir(&tmp).map_err(io_at(&tmp))?;
    let scratch = dest.join("meta.redb.partial");
    drop(create_private_file(&scratch).map_err(io_at(&scratch))?);
    let copy = Database::create(&scratch).db()?;

    let mut report = BackupReport::default();
    {
        // Deletions wait from before the snapshot until every blob it references is linked.
        let _held = inner.hold_deletions();
        let snapshot = inner.db.begin_read().db()?;
        for table in snapshot.list_tables().db()? {
            if !known_tables().iter().any(|name| name == table.name()) {
                return Err(BackupError::UnknownTable(table.name().to_owned()));
            }
        }
        if let Some(table) = snapshot.list_multimap_tables().db()?.next() {
            return Err(BackupError::UnknownTable(table.name().to_owned()));
        }
        for table in bin_tables() {
            let rows = copy_table(&snapshot, &copy, table)?;
            report.rows += rows;
            if table.name() == OBJECTS.name() {
                report.objects = rows;
            }
        }
        report.rows += copy_table(&snapshot, &copy, META)?;
        report.rows += copy_table(&snapshot, &copy, BLOBS)?;
        transfer_blobs(inner, &snapshot, &blob_dir, transfer, &mut report)?;
    }
    for shard in 0..=255u8 {
        let path = blob_dir.join(format!("{shard:02x}"));
        sync_dir(&path).map_err(io_at(&path))?;
    }
    sync_dir(&blob_dir).map_err(io_at(&blob_dir))?;
    // A last durable commit makes the batches before it durable too.
    let mut txn = copy.begin_write().db()?;
    txn.set_durability(redb::Durability::Immediate);
    txn.commit().db()?;
    drop(copy);
    File::open(&scratch)
        .and_then(|f| f.sync_all())
        .map_err(io_at(&scratch))?;
    let db_path = dest.join("meta.redb");
    fs::rename(&scratch, &db_path).map_err(io_at(&db_path))?;
    sync_dir(dest).map_err(io_at(dest))?;
    Ok(report)
}

/// Copies one table of the snapshot into `copy`, in transactions of [`ROWS_PER_COMMIT`] rows
/// (not durable; the caller's last commit is). Returns the number of rows.
fn copy_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    snapshot: &ReadTransaction,
    copy: &Database,
    definition: TableDefinition<'static, K, V>,
) -> Result<u64, BackupError> {
    let source = snapshot.open_table(definition).db()?;
    let mut rows = source.iter().db()?;
    let mut copied = 0u64;
    loop {
        let mut txn = copy.begin_write().db()?;
        txn.set_durability(redb::Durability::None);
        let mut batch = 0;
        let mut done = false;
        {
            let mut table = txn.open_table(definition).db()?;
            while batch < ROWS_PER_COMMIT {
                let Some(row) = rows.next() else {
                    done = true;
                    break;
                };
                let (key, value) = row.db()?;
                table.insert(key.value(), value.value()).db()?;
                batch += 1;
            }
        }
        txn.commit().db()?;
        copied += batch as u64;
        if done {
            return Ok(copied);
        }
    }
}

/// Links or copies every blob the snapshot references into `blob_dir`.
fn transfer_blobs(
    inner: &Inner,
    snapshot: &ReadTransaction,
    blob_dir: &Path,
    transfer: BlobTransfer,
    report: &mut BackupReport,
) -> Result<(), BackupError> {
    let mut try_link = transfer == BlobTransfer::LinkOrCopy;
    let refs = snapshot.open_table(BLOBS).db()?;
    for row in refs.iter().db()? {
        let (key, _) = row.db()?;
        let id = crate::BlobId(
            key.value()
                .try_into()
                .map_err(|_| StorageError::Internal("corrupt blob reference".into()))?,
        );
        let source = inner.blob_path(id);
        let name = hex::encode(id.0);
        let target = blob_dir.join(&name[..2]).join(&name);
        if try_link {
            match fs::hard_link(&source, &target) {
                Ok(()) => {
                    report.blobs_linked += 1;
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(io_at(&source)(e)),
                // Another filesystem, or one without hard links: copy from now on.
                Err(_) => try_link = false,
            }
        }
        report.bytes_copied += copy_file(&source, &target)?;
        report.blobs_copied += 1;
    }
    Ok(())
}

/// Copies a file into a new private file and syncs it; returns its length.
fn copy_file(source: &Path, target: &Path) -> Result<u64, BackupError> {
    let mut from = File::open(source).map_err(io_at(source))?;
    let mut to = create_private_file(target).map_err(io_at(target))?;
    let len = io::copy(&mut from, &mut to).map_err(io_at(target))?;
    to.sync_all().map_err(io_at(target))?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use s4_naming::AccountId;
    use s4_storage::{body, ObjectAttributes, ObjectRef, ObjectStore as _, PutObject};

    use super::*;
    use crate::FsConfig;

    fn account() -> AccountId {
        AccountId::parse("123456789012345").unwrap()
    }

    async fn put(store: &FsStore, key: &str, bytes: &[u8]) {
        store
            .put_object(PutObject {
                target: ObjectRef {
                    account: account(),
                    bucket: "bkp".into(),
                    key: key.into(),
                },
                attributes: ObjectAttributes::default(),
                body: body::once(Bytes::copy_from_slice(bytes)),
                content_length: Some(bytes.len() as u64),
                content_md5: None,
                precondition: s4_storage::WritePrecondition::default(),
            })
            .await
            .unwrap();
    }

    async fn get(store: &FsStore, key: &str) -> Bytes {
        let object = ObjectRef {
            account: account(),
            bucket: "bkp".into(),
            key: key.into(),
        };
        body::collect(store.get_object(&object, None).await.unwrap().body)
            .await
            .unwrap()
    }

    fn blob_files(data_dir: &Path) -> usize {
        fs::read_dir(data_dir.join("blobs"))
            .unwrap()
            .map(|shard| fs::read_dir(shard.unwrap().path()).unwrap().count())
            .sum()
    }

    #[tokio::test]
    async fn held_deletions_wait_for_the_hold_and_run_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let store = FsStore::open(FsConfig::new(&data)).unwrap();
        store.create_bucket(&account(), "bkp").await.unwrap();
        put(&store, "k", &[1; 10_000]).await;
        assert_eq!(blob_files(&data), 1);
        let hold = store.inner.hold_deletions();
        put(&store, "k", &[2; 10_000]).await;
        // The first version's file waits for the hold.
        assert_eq!(blob_files(&data), 2);
        drop(hold);
        assert_eq!(blob_files(&data), 1);
        assert_eq!(get(&store, "k").await, Bytes::from(vec![2; 10_000]));
    }

    #[tokio::test]
    async fn a_backup_opens_as_the_store_it_copied() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let copy = dir.path().join("copy");
        let store = FsStore::open(FsConfig::new(&data)).unwrap();
        store.create_bucket(&account(), "bkp").await.unwrap();
        put(&store, "inline", b"small").await;
        put(&store, "blob", &vec![7; 50_000]).await;
        for transfer in [BlobTransfer::LinkOrCopy, BlobTransfer::Copy] {
            let report = store.backup(copy.clone(), transfer).await.unwrap();
            assert_eq!(report.objects, 2);
            assert_eq!(report.blobs_linked + report.blobs_copied, 1);
            if transfer == BlobTransfer::Copy {
                assert_eq!((report.blobs_copied, report.bytes_copied), (1, 50_000));
            }
            let restored = FsStore::open(FsConfig::new(&copy)).unwrap();
            assert_eq!(get(&restored, "inline").await, Bytes::from_static(b"small"));
            assert_eq!(get(&restored, "blob").await, Bytes::from(vec![7; 50_000]));
            drop(restored);
            // A second backup into the same directory is refused and leaves it alone.
            let before = fs::read_dir(&copy).unwrap().count();
            assert!(matches!(
                store.backup(copy.clone(), transfer).await,
                Err(BackupError::DestinationNotEmpty(_))
            ));
            assert_eq!(fs::read_dir(&copy).unwrap().count(), before);
            fs::remove_dir_all(&copy).unwrap();
        }
        assert!(matches!(
            store
                .backup(PathBuf::from("relative"), BlobTransfer::Copy)
                .await,
            Err(BackupError::RelativeDestination(_))
        ));
        assert!(matches!(
            store.backup(data.join("inside"), BlobTransfer::Copy).await,
            Err(BackupError::Overlaps { .. })
        ));
        assert!(!data.join("inside").exists());
    }
}
