//! The embedded default backend of S4: object bytes in blob files, metadata in redb.
//!
//! Layout of a data directory:
//!
//! ```text
//! <data_dir>/meta.redb      every piece of metadata (objects, buckets, uploads, parts,
//!                           identities, blob reference counts, bucket usage totals), one
//!                           ACID store
//! <data_dir>/blobs/xx/<id>  object and part bytes; <id> is 32 random hex digits, xx its
//!                           first two; never derived from a bucket name or key
//! <data_dir>/tmp/<id>       bodies being received; emptied at start-up
//! <data_dir>/space-reserve  4 MiB kept free for deletes on a full disk (`src/space.rs`)
//! ```
//!
//! Every directory the store creates is `0700` and every file `0600`, set when it is created
//! ([`create_private_dir`], [`create_private_file`]): `meta.redb` holds every secret access key
//! and the blobs are the objects, none of it for other users of the machine.
//!
//! A write streams the body into `tmp/` (hashing MD5 on one thread while another writes and
//! syncs), checks length and `Content-MD5` at the end of the stream, fsyncs the file, renames
//! it into `blobs/`, fsyncs that directory and only then commits one redb transaction
//! (`Durability::Immediate`) that checks the precondition and swaps the object's record.
//! Blobs no longer referenced are deleted after the commit. Objects up to
//! [`FsConfig::inline_threshold`] bytes live inside their record: one commit, no file.
//! Concurrent object writes and deletes share durable commits (group commit, `src/group.rs`); each
//! caller is answered only after the commit that holds its change.
//!
//! At start-up [`FsStore::open`] empties `tmp/` and deletes every blob file that the metadata
//! does not reference (a crash between rename and commit, or between commit and delete).
//!
//! Bit rot and backups: a GET of a whole object checks its bytes against the ETag while they
//! stream and cuts the body on a mismatch (`src/read.rs`); [`FsStore::scrub`] checks every
//! blob against its metadata (`src/scrub.rs`); [`FsStore::backup`] copies the store at one
//! commit into a new data directory while it serves (`src/backup.rs`).
//!
//! Usage counters (`ObjectStore::bucket_usage`, `all_bucket_usage`): each bucket's object
//! count, byte total and uploads in progress live in the `bucket_usage` table and change in
//! the same transaction as the rows they count (`src/usage.rs`), so reading them costs one
//! lookup and a crash cannot skew them. A data directory from a version without them is
//! recounted once when opened (see [`RecoveryReport::usage_recounted`]).
//!
//! ```
//! use s4_naming::AccountId;
//! use s4_storage::{body, ObjectRef, ObjectStore, PutObject};
//! use s4_storage_fs::{FsConfig, FsStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), s4_storage::BoxError> {
//! let dir = tempfile::tempdir()?;
//! let store = FsStore::open(FsConfig::new(dir.path()))?;
//! let account = AccountId::from_number(42)?;
//! store.create_bucket(&account, "photos").await?;
//! let target = ObjectRef { account, bucket: "photos".into(), key: "cat.txt".into() };
//! store
//!     .put_object(PutObject {
//!         target: target.clone(),
//!         attributes: Default::default(),
//!         body: body::once("meow"),
//!         content_length: Some(4),
//!         content_md5: None,
//!         precondition: Default::default(),
//!     })
//!     .await?;
//! // Acknowledged means durable: the blob file and the metadata commit are synced.
//! let got = store.get_object(&target, None).await?;
//! assert_eq!(body::collect(got.body).await?, "meow");
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod backup;
mod codec;
mod group;
mod identity;
mod key_cache;
mod keys;
mod list;
mod meta_db;
mod multipart;
mod objects;
mod quota;
mod rate_limits;
mod read;
mod scrub;
mod space;
mod usage;
mod write;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use redb::{Database, ReadableTable, TableDefinition};

use crate::meta_db::MetaDb;
pub use crate::space::{BALLAST_BYTES, SPACE_RESERVE_FILE};
use s4_storage::{StorageError, StorageResult};

pub use backup::{BackupError, BackupReport, BlobTransfer};
pub use scrub::{Damage, IntegrityStats, Problem, ScrubReport};

pub(crate) type Bin = TableDefinition<'static, &'static [u8], &'static [u8]>;

/// Every byte-keyed metadata table but the usage counters (opened, and recounted, by
/// `usage.rs`): created at open, and copied by a backup.
pub(crate) const BYTE_TABLES: [Bin; 15] = [
    BUCKETS,
    OBJECTS,
    UPLOADS,
    PARTS,
    ACCOUNTS,
    USERS,
    GROUPS,
    MEMBERS,
    USER_GROUPS,
    ACCESS_KEYS,
    OWNER_KEYS,
    ATTACHMENTS,
    KEY_LAST_USED,
    rate_limits::RATE_LIMITS,
    quota::QUOTAS,
];

/// `account ++ bucket` -> bucket record.
pub(crate) const BUCKETS: Bin = TableDefinition::new("buckets");
/// `account ++ len ++ bucket ++ key` -> object record.
pub(crate) const OBJECTS: Bin = TableDefinition::new("objects");
/// `account ++ len ++ bucket ++ upload_id` -> upload record.
pub(crate) const UPLOADS: Bin = TableDefinition::new("uploads");
/// `upload_id ++ part_number (BE)` -> part record.
pub(crate) const PARTS: Bin = TableDefinition::new("parts");
/// blob ID -> number of records (objects, parts) referring to it.
pub(crate) const BLOBS: TableDefinition<'static, &'static [u8], u64> =
    TableDefinition::new("blob_refs");
/// Counters (`seq`: a monotonic sequence for ordering keys and attachments).
pub(crate) const META: TableDefinition<'static, &'static str, u64> = TableDefinition::new("meta");
pub(crate) const ACCOUNTS: Bin = TableDefinition::new("accounts");
pub(crate) const USERS: Bin = TableDefinition::new("users");
pub(crate) const GROUPS: Bin = TableDefinition::new("groups");
/// `account ++ len ++ group ++ user` -> ().
pub(crate) const MEMBERS: Bin = TableDefinition::new("group_members");
/// `account ++ len ++ user ++ group` -> ().
pub(crate) const USER_GROUPS: Bin = TableDefinition::new("user_groups");
/// access key ID -> key record.
pub(crate) const ACCESS_KEYS: Bin = TableDefinition::new("access_keys");
/// `account ++ owner ++ key_id` -> ().
pub(crate) const OWNER_KEYS: Bin = TableDefinition::new("owner_keys");
/// `account ++ target ++ seq (BE)` -> policy ARN.
pub(crate) const ATTACHMENTS: Bin = TableDefinition::new("attachments");
/// access key ID -> when the key last signed a request (written at most once a minute per
/// key by the service; apart from `ACCESS_KEYS` so that recording it leaves the key cache
/// alone).
pub(crate) const KEY_LAST_USED: Bin = TableDefinition::new("key_last_used");

/// A readable table of byte keys and values (read-only or inside a write transaction).
pub(crate) trait BinRead: ReadableTable<&'static [u8], &'static [u8]> {}
impl<T: ReadableTable<&'static [u8], &'static [u8]>> BinRead for T {}

/// Maps redb's error types to [`StorageError`].
pub(crate) trait Db<T> {
    fn db(self) -> StorageResult<T>;
}

impl<T, E: Into<redb::Error>> Db<T> for Result<T, E> {
    fn db(self) -> StorageResult<T> {
        self.map_err(|e| match e.into() {
            redb::Error::Io(io) => space::io_error(io),
            // Another request's I/O failure closed the handle this one began on (see
            // `meta_db`); the next request gets the reopened one.
            redb::Error::PreviousIo => StorageError::Io(io::Error::new(
                io::ErrorKind::ResourceBusy,
                "the metadata store is being reopened after an I/O failure",
            )),
            other => StorageError::Internal(format!("metadata store: {other}")),
        })
    }
}

/// The random name of a blob file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct BlobId(pub [u8; 16]);

impl BlobId {
    pub fn random() -> Self {
        Self(rand::random())
    }
    fn parse(name: &str) -> Option<Self> {
        let mut out = [0u8; 16];
        hex::decode_to_slice(name, &mut out).ok()?;
        Some(Self(out))
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Configuration of [`FsStore::open`].
#[derive(Clone, Debug)]
pub struct FsConfig {
    /// Created if missing.
    pub data_dir: PathBuf,
    /// Objects of at most this many bytes are stored inside their metadata record.
    pub inline_threshold: usize,
    /// The smallest non-last multipart part.
    pub min_part_size: u64,
    /// The largest object a single PutObject (or part) may carry.
    pub max_object_size: u64,
    /// While a body streams in, the writer calls `fdatasync` every this many bytes, so that the
    /// final sync has little left to flush. 0 disables the intermediate syncs.
    pub sync_interval: u64,
    /// Group commit: at most this many concurrent writes share one durable metadata commit.
    /// 1 commits every write alone.
    pub max_commit_batch: usize,
    /// Memory for redb's page cache, in bytes (redb's own default is 1 GiB). Small objects
    /// live inline in their records, so without a bound every one written or read stays
    /// resident; pages beyond the cache are read from the OS page cache.
    pub cache_bytes: usize,
    /// Writes that add data are refused with [`StorageError::InsufficientStorage`] when they
    /// would leave less than this many bytes free on the data dir's filesystem; deletes may use
    /// the rest (see `src/space.rs`). 0 turns the check off.
    pub min_free_space: u64,
}

impl FsConfig {
    /// Defaults: 4 KiB inline threshold, S3's 5 MiB minimum part size and 5 GiB PutObject
    /// limit, a sync every 2 MiB, up to 64 writes per commit, a 64 MiB metadata cache, no
    /// free-space reserve.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            inline_threshold: 4096,
            min_part_size: s4_storage::multipart::DEFAULT_MIN_PART_SIZE,
            max_object_size: 5 << 30,
            sync_interval: 2 << 20,
            max_commit_batch: 64,
            cache_bytes: 64 << 20,
            min_free_space: 0,
        }
    }
}

/// The embedded backend; cheap to clone (all clones share one store).
#[derive(Clone)]
pub struct FsStore {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for FsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FsStore")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub config: FsConfig,
    pub db: MetaDb,
    /// The space-reserve file ([`space`]).
    pub ballast: Arc<space::Ballast>,
    pub blob_dir: PathBuf,
    pub tmp_dir: PathBuf,
    /// Blobs that running reads hold open, with the blobs whose deletion waits for them.
    pins: Mutex<Pins>,
    /// The group-commit queue ([`group`]).
    pub(crate) committer: group::Committer,
    /// Access keys already looked up ([`key_cache`]).
    pub(crate) key_cache: key_cache::KeyCache,
    /// Moves after every bucket creation, deletion and policy change has committed, for the
    /// service's cache of compiled policies (`ObjectStore::policy_cache_epoch`): changes can
    /// come from the admin socket as well as from requests.
    pub(crate) policy_epoch: std::sync::atomic::AtomicU64,
    /// Scrub results and damaged reads ([`scrub`]).
    pub(crate) integrity: scrub::Integrity,
}

#[derive(Default)]
struct Pins {
    count: HashMap<BlobId, usize>,
    deferred: HashSet<BlobId>,
    /// Running backups: while any runs, every deletion waits ([`Inner::hold_deletions`]).
    holds: usize,
}

/// What [`FsStore::open`]'s recovery found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Files removed from `tmp/`.
    pub temp_files_removed: u64,
    /// Blob files no metadata referred to, removed.
    pub orphan_blobs_removed: u64,
    /// Blob files kept.
    pub blobs: u64,
    /// The per-bucket usage totals were recounted from the object and upload records: the
    /// data directory was written by a version without usage counters.
    pub usage_recounted: bool,
}

/// The mode of every directory the store creates: the server's user only.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// The mode of every file the store creates: the server's user only.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Creates `path` and its missing parents with mode [`PRIVATE_DIR_MODE`] (the umask can only
/// take bits away). An existing directory is left as it is.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR_MODE)
        .create(path)
}

/// Creates a new file (failing if it exists) with mode [`PRIVATE_FILE_MODE`], open for writing.
pub fn create_private_file(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE_MODE)
        .open(path)
}

/// Creates an empty redb file at `path` atomically: scratch file, sync, rename, sync the
/// directory. A stale scratch file from an earlier crash is replaced.
fn create_database_file(path: &Path) -> Result<(), StorageError> {
    let scratch = path.with_extension("redb.new");
    match fs::remove_file(&scratch) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    // redb keeps the mode of a file that exists (it initialises an empty one), so the secrets
    // it will hold are never readable by others, not even between its creation and a chmod.
    drop(create_private_file(&scratch)?);
    drop(Database::create(&scratch).db()?);
    fs::File::open(&scratch)?.sync_all()?;
    fs::rename(&scratch, path)?;
    if let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

impl FsStore {
    /// Opens (or creates) the store in `config.data_dir` and recovers from any crash: see the
    /// crate documentation.
    pub fn open(config: FsConfig) -> Result<FsStore, StorageError> {
        Self::open_with_report(config).map(|(store, _)| store)
    }

    /// [`FsStore::open`], also saying what the recovery cleaned up.
    pub fn open_with_report(config: FsConfig) -> Result<(FsStore, RecoveryReport), StorageError> {
        let data_dir = config.data_dir.clone();
        let blob_dir = data_dir.join("blobs");
        let tmp_dir = data_dir.join("tmp");
        create_private_dir(&data_dir)?;
        create_private_dir(&tmp_dir)?;
        if !blob_dir.join("ff").is_dir() {
            for shard in 0..=255u8 {
                create_private_dir(&blob_dir.join(format!("{shard:02x}")))?;
            }
            sync_dir(&blob_dir)?;
            sync_dir(&data_dir)?;
        }
        // A crash while redb writes a brand-new file must not leave a file that no longer
        // opens: a new database is made under a scratch name, synced, and renamed into place.
        let db_path = data_dir.join("meta.redb");
        if !db_path.exists() {
            create_database_file(&db_path)?;
        }
        // Opening the database takes its lock first: a second store on the same directory
        // fails here, before it could delete the first one's temp files or new blobs.
        let ballast = Arc::new(space::Ballast::new(&data_dir));
        let db = MetaDb::open(db_path, config.cache_bytes, Arc::clone(&ballast)).db()?;
        let mut report = RecoveryReport::default();
        for entry in fs::read_dir(&tmp_dir)? {
            let entry = entry?;
            remove_any(&entry.path())?;
            report.temp_files_removed += 1;
        }
        {
            let mut txn = db.begin_write().db()?;
            txn.set_durability(redb::Durability::Immediate);
            for table in BYTE_TABLES {
                txn.open_table(table).db()?;
            }
            txn.open_table(BLOBS).db()?;
            txn.open_table(META).db()?;
            txn.open_table(usage::USAGE).db()?;
            report.usage_recounted = usage::prepare(&txn)?;
            db.commit(txn).db()?;
        }
        let referenced: HashSet<BlobId> = {
            let txn = db.begin_read().db()?;
            let table = txn.open_table(BLOBS).db()?;
            let mut set = HashSet::new();
            for row in table.iter().db()? {
                let (k, _) = row.db()?;
                let id: [u8; 16] = k
                    .value()
                    .try_into()
                    .map_err(|_| StorageError::Internal("corrupt blob reference".into()))?;
                set.insert(BlobId(id));
            }
            set
        };
        for shard in fs::read_dir(&blob_dir)? {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                remove_any(&shard.path())?;
                continue;
            }
            let mut removed = false;
            for entry in fs::read_dir(shard.path())? {
                let entry = entry?;
                let keep = entry
                    .file_name()
                    .to_str()
                    .and_then(BlobId::parse)
                    .is_some_and(|id| referenced.contains(&id));
                if keep {
                    report.blobs += 1;
                } else {
                    remove_any(&entry.path())?;
                    report.orphan_blobs_removed += 1;
                    removed = true;
                }
            }
            if removed {
                sync_dir(&shard.path())?;
            }
        }
        if report.temp_files_removed > 0 {
            sync_dir(&tmp_dir)?;
        }
        // On a full disk the store still opens; the first write admitted later writes it.
        if let Err(e) = ballast.ensure() {
            if !space::is_full(&e) {
                return Err(StorageError::Io(with_path(&e, &data_dir)));
            }
        }
        let (committer, pending) = group::Committer::new();
        let max_batch = config.max_commit_batch.max(1);
        let inner = Arc::new(Inner {
            config,
            db,
            ballast,
            blob_dir,
            tmp_dir,
            pins: Mutex::new(Pins::default()),
            committer,
            key_cache: key_cache::KeyCache::default(),
            policy_epoch: std::sync::atomic::AtomicU64::new(0),
            integrity: scrub::Integrity::default(),
        });
        group::start(&inner, pending, max_batch)?;
        Ok((FsStore { inner }, report))
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.config.data_dir
    }
}

fn remove_any(path: &Path) -> io::Result<()> {
    let result = if fs::symlink_metadata(path)?.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match result {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// `error` with the path it happened on in its message (the kind kept, for the service's
/// mapping to a status), so that the log names the file or directory.
pub(crate) fn with_path(error: &io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// Makes a directory's entries (a rename, a new file) durable.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    fs::File::open(path)?.sync_all()
}

impl Inner {
    pub fn blob_path(&self, id: BlobId) -> PathBuf {
        let name = hex::encode(id.0);
        self.blob_dir.join(&name[..2]).join(name)
    }

    pub fn blob_shard(&self, id: BlobId) -> PathBuf {
        self.blob_dir.join(hex::encode(&id.0[..1]))
    }

    /// Deletes blobs whose last reference a committed transaction removed, unless a read
    /// holds them: then the last reader deletes them.
    pub fn release(&self, ids: &[BlobId]) {
        for &id in ids {
            let pinned = {
                let mut pins = self
                    .pins
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if pins.holds > 0 || pins.count.contains_key(&id) {
                    pins.deferred.insert(id);
                    true
                } else {
                    false
                }
            };
            if !pinned {
                // A failure leaves an orphan that the next start-up removes.
                let _ = fs::remove_file(self.blob_path(id));
            }
        }
    }

    /// Marks blobs as in use by a read. The caller must then check, in a transaction begun
    /// after this call, that the blobs are still referenced (see `read`).
    pub fn pin(&self, ids: &[BlobId]) {
        let mut pins = self
            .pins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for &id in ids {
            *pins.count.entry(id).or_insert(0) += 1;
        }
    }

    pub fn unpin(&self, ids: &[BlobId]) {
        let mut to_delete = Vec::new();
        {
            let mut pins = self
                .pins
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for &id in ids {
                if let Some(n) = pins.count.get_mut(&id) {
                    *n -= 1;
                    if *n == 0 {
                        pins.count.remove(&id);
                        if pins.holds == 0 && pins.deferred.remove(&id) {
                            to_delete.push(id);
                        }
                    }
                }
            }
        }
        for id in to_delete {
            let _ = fs::remove_file(self.blob_path(id));
        }
    }

    /// Holds back every blob deletion until the guard is dropped (a backup's blobs must
    /// outlive its snapshot); the held deletions of blobs no read pins then run.
    pub fn hold_deletions(self: &Arc<Self>) -> DeletionHold {
        self.pins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .holds += 1;
        DeletionHold {
            inner: self.clone(),
        }
    }

    /// Begins a write transaction that is durable on commit.
    pub fn begin_write(&self) -> StorageResult<redb::WriteTransaction> {
        let mut txn = self.db.begin_write().db()?;
        txn.set_durability(redb::Durability::Immediate);
        Ok(txn)
    }

    /// Commits a transaction from [`Inner::begin_write`] (reopening the database if the
    /// commit failed on I/O: see `src/meta_db.rs`).
    pub fn commit(&self, txn: redb::WriteTransaction) -> StorageResult<()> {
        self.db.commit(txn).db()
    }
}

/// Held blob deletions ([`Inner::hold_deletions`]); released on drop.
pub(crate) struct DeletionHold {
    inner: Arc<Inner>,
}

impl Drop for DeletionHold {
    fn drop(&mut self) {
        let due: Vec<BlobId> = {
            let mut pins = self
                .inner
                .pins
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pins.holds -= 1;
            if pins.holds > 0 {
                return;
            }
            let Pins {
                count, deferred, ..
            } = &mut *pins;
            let due = deferred
                .iter()
                .filter(|id| !count.contains_key(id))
                .copied()
                .collect();
            for id in &due {
                deferred.remove(id);
            }
            due
        };
        for id in due {
            let _ = fs::remove_file(self.inner.blob_path(id));
        }
    }
}

/// Blobs pinned by one read; unpinned on drop.
pub(crate) struct PinGuard {
    pub inner: Arc<Inner>,
    pub blobs: Vec<BlobId>,
}

impl PinGuard {
    /// Pins `blobs`; see [`Inner::pin`] for the check the caller still owes.
    pub fn new(inner: &Arc<Inner>, blobs: &[BlobId]) -> Self {
        inner.pin(blobs);
        Self {
            inner: inner.clone(),
            blobs: blobs.to_vec(),
        }
    }
}

impl Drop for PinGuard {
    fn drop(&mut self) {
        self.inner.unpin(&self.blobs);
    }
}

/// Adds a reference to a blob.
pub(crate) fn incref(
    table: &mut redb::Table<'_, &'static [u8], u64>,
    id: BlobId,
) -> StorageResult<()> {
    let n = table.get(&id.0[..]).db()?.map_or(0, |v| v.value());
    table.insert(&id.0[..], n + 1).db()?;
    Ok(())
}

/// Drops a reference; a blob left without any goes to `freed`, deleted after the commit.
pub(crate) fn decref(
    table: &mut redb::Table<'_, &'static [u8], u64>,
    id: BlobId,
    freed: &mut Vec<BlobId>,
) -> StorageResult<()> {
    let n = table.get(&id.0[..]).db()?.map_or(0, |v| v.value());
    if n <= 1 {
        table.remove(&id.0[..]).db()?;
        freed.push(id);
    } else {
        table.insert(&id.0[..], n - 1).db()?;
    }
    Ok(())
}

/// Runs blocking work (file I/O, redb transactions) off the async executor.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> StorageResult<T> + Send + 'static,
) -> StorageResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::Internal(format!("blocking task failed: {e}")))?
}
