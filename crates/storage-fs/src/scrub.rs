//! Bit-rot scrub: reads every blob of every object and every part of every upload in
//! progress, and checks its size and MD5 against the metadata.
//!
//! What is checked, and against what:
//! - an inline or single-blob object: the MD5 of its bytes against its ETag;
//! - a multipart object: each part file's size against the object's part layout, then the MD5
//!   over the parts' MD5s against its `-N` ETag (the per-part MD5s are not kept after
//!   completion, so the object, not the part, is reported);
//! - a part of an upload in progress: its size and MD5 against its part record.
//!
//! An object whose ETag is not an MD5 of its bytes is checked for size only.
//!
//! The scrub walks the keys in batches, each from a fresh read transaction (a transaction
//! held for the whole walk would keep every page that writes free meanwhile), and reads each
//! object's blobs pinned, as a GET does ([`crate::Inner::pin`]): an object overwritten or
//! deleted meanwhile is skipped or checked in its new version, never reported as damaged.
//! The reads can be paced to a byte rate so that a background scrub leaves the disk to
//! clients.

use std::fmt;
use std::fs::File;
use std::io::{self, Read as _};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use md5::{Digest as _, Md5};
use redb::ReadableTable as _;
use s4_naming::AccountId;
use s4_storage::{ETag, ObjectRef, StorageError, StorageResult};

use crate::codec::{Data, ObjectRecord, PartRecord, UploadRecord};
use crate::{blocking, keys, BlobId, Db as _, FsStore, Inner, PinGuard};
use crate::{OBJECTS, PARTS, UPLOADS};

/// Object keys read per metadata transaction.
const BATCH: usize = 256;
/// Bytes per read of a blob file.
const CHUNK: usize = 1 << 20;

/// What is wrong with an object's or part's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The blob file is gone.
    Missing,
    /// The blob file's length differs from the metadata.
    Size {
        /// The size the metadata records.
        expected: u64,
        /// The blob file's length.
        found: u64,
    },
    /// The bytes do not hash to the ETag (or part MD5) the metadata holds.
    Digest,
    /// Reading the blob file failed (for example an I/O error from a bad sector).
    Unreadable(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("blob file missing"),
            Self::Size { expected, found } => {
                write!(
                    f,
                    "blob file holds {found} bytes, the metadata says {expected}"
                )
            }
            Self::Digest => f.write_str("bytes do not match the stored MD5"),
            Self::Unreadable(error) => write!(f, "blob file unreadable: {error}"),
        }
    }
}

/// One damaged object, or one damaged part of an upload in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// The account owning the bucket.
    pub account: AccountId,
    /// The bucket name.
    pub bucket: String,
    /// The object key (of the upload, for a part).
    pub key: String,
    /// For a part of an upload in progress: the upload ID and part number.
    pub upload_part: Option<(String, u32)>,
    /// What is wrong with the bytes.
    pub problem: Problem,
}

/// What one scrub checked and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScrubReport {
    /// Objects checked (inline ones included).
    pub objects: u64,
    /// Parts of uploads in progress checked.
    pub upload_parts: u64,
    /// Bytes read from blob files.
    pub bytes_read: u64,
    /// Every damaged object and part found, in the order checked.
    pub damaged: Vec<Damage>,
}

/// The integrity figures of a store since it was opened (for the metrics endpoint).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IntegrityStats {
    /// Scrubs completed.
    pub scrubs: u64,
    /// Damaged objects and parts the last completed scrub found.
    pub last_scrub_damaged: u64,
    /// When the last scrub completed (Unix seconds; 0: none yet).
    pub last_scrub_completed: u64,
    /// Bytes all scrubs read.
    pub scrubbed_bytes: u64,
    /// GETs whose bytes did not match the ETag (the body was cut, or the request failed).
    pub damaged_reads: u64,
}

/// The counters behind [`IntegrityStats`].
#[derive(Debug, Default)]
pub(crate) struct Integrity {
    scrubs: AtomicU64,
    last_scrub_damaged: AtomicU64,
    last_scrub_completed: AtomicU64,
    scrubbed_bytes: AtomicU64,
    damaged_reads: AtomicU64,
}

impl Integrity {
    pub fn count_damaged_read(&self) {
        self.damaged_reads.fetch_add(1, Ordering::Relaxed);
    }

    fn record_scrub(&self, report: &ScrubReport) {
        self.last_scrub_damaged
            .store(report.damaged.len() as u64, Ordering::Relaxed);
        self.last_scrub_completed.store(
            time::OffsetDateTime::now_utc()
                .unix_timestamp()
                .unsigned_abs(),
            Ordering::Relaxed,
        );
        self.scrubs.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> IntegrityStats {
        IntegrityStats {
            scrubs: self.scrubs.load(Ordering::Relaxed),
            last_scrub_damaged: self.last_scrub_damaged.load(Ordering::Relaxed),
            last_scrub_completed: self.last_scrub_completed.load(Ordering::Relaxed),
            scrubbed_bytes: self.scrubbed_bytes.load(Ordering::Relaxed),
            damaged_reads: self.damaged_reads.load(Ordering::Relaxed),
        }
    }
}

impl FsStore {
    /// Checks every object and every part of every upload in progress (see the module
    /// documentation), reading at most `bytes_per_second` when given.
    pub async fn scrub(&self, bytes_per_second: Option<u64>) -> StorageResult<ScrubReport> {
        let inner = self.inner.clone();
        blocking(move || {
            let mut scrub = Scrub {
                inner: &inner,
                pacer: Pacer::new(bytes_per_second),
                report: ScrubReport::default(),
            };
            scrub.objects()?;
            scrub.upload_parts()?;
            inner.integrity.record_scrub(&scrub.report);
            Ok(scrub.report)
        })
        .await
    }

    /// The integrity counters since the store was opened.
    pub fn integrity(&self) -> IntegrityStats {
        self.inner.integrity.snapshot()
    }
}

struct Scrub<'a> {
    inner: &'a Arc<Inner>,
    pacer: Pacer,
    report: ScrubReport,
}

impl Scrub<'_> {
    fn objects(&mut self) -> StorageResult<()> {
        let mut after: Option<Vec<u8>> = None;
        loop {
            let batch = {
                let txn = self.inner.db.begin_read().db()?;
                let table = txn.open_table(OBJECTS).db()?;
                let lower = after.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
                let mut batch = Vec::with_capacity(BATCH);
                for row in table.range::<&[u8]>((lower, Bound::Unbounded)).db()? {
                    batch.push(row.db()?.0.value().to_vec());
                    if batch.len() == BATCH {
                        break;
                    }
                }
                batch
            };
            let Some(last) = batch.last() else {
                return Ok(());
            };
            after = Some(last.clone());
            for row_key in &batch {
                let Some(object) = object_of_row(row_key) else {
                    return Err(StorageError::Internal("corrupt object key".into()));
                };
                self.object(object)?;
            }
        }
    }

    fn object(&mut self, object: ObjectRef) -> StorageResult<()> {
        let (record, _pinned) = match FsStore::pinned_record(self.inner, &object) {
            Ok(found) => found,
            // Deleted since the key was listed.
            Err(StorageError::NoSuchKey | StorageError::NoSuchBucket) => return Ok(()),
            Err(other) => return Err(other),
        };
        self.report.objects += 1;
        if let Some(problem) = self.check_object(&record) {
            self.report.damaged.push(Damage {
                account: object.account,
                bucket: object.bucket,
                key: object.key,
                upload_part: None,
                problem,
            });
        }
        Ok(())
    }

    fn check_object(&mut self, record: &ObjectRecord) -> Option<Problem> {
        match &record.data {
            Data::Inline(bytes) => {
                let md5: [u8; 16] = Md5::digest(bytes).into();
                compare_simple(&record.etag, md5)
            }
            Data::Blob(id) => match self.hash_blob(*id, record.size) {
                Ok(md5) => compare_simple(&record.etag, md5),
                Err(problem) => Some(problem),
            },
            Data::Parts(ids) => {
                let Some(layout) = record.parts else {
                    return Some(Problem::Unreadable(
                        "multipart object without a layout".into(),
                    ));
                };
                let mut md5s = Vec::with_capacity(ids.len());
                for (index, id) in ids.iter().enumerate() {
                    let size = if index + 1 == ids.len() {
                        layout.last_part_size
                    } else {
                        layout.part_size
                    };
                    match self.hash_blob(*id, size) {
                        Ok(md5) => md5s.push(md5),
                        Err(problem) => return Some(problem),
                    }
                }
                let computed = ETag::multipart(&md5s);
                let checkable = record.etag.as_str().ends_with(&format!("-{}", ids.len()));
                (checkable && computed != record.etag).then_some(Problem::Digest)
            }
        }
    }

    fn upload_parts(&mut self) -> StorageResult<()> {
        let uploads = {
            let txn = self.inner.db.begin_read().db()?;
            let table = txn.open_table(UPLOADS).db()?;
            let mut uploads = Vec::new();
            for row in table.iter().db()? {
                let (k, v) = row.db()?;
                let record = UploadRecord::decode(v.value())?;
                let Some(bucket) = object_of_row(k.value()) else {
                    return Err(StorageError::Internal("corrupt upload key".into()));
                };
                // The row's "key" is the upload ID; the object key is in the record.
                uploads.push((
                    bucket.key,
                    ObjectRef {
                        key: record.key,
                        ..bucket
                    },
                ));
            }
            uploads
        };
        for (upload_id, target) in uploads {
            let parts = {
                let txn = self.inner.db.begin_read().db()?;
                let table = txn.open_table(PARTS).db()?;
                let start = keys::part(&upload_id, 0);
                let end = keys::part(&upload_id, u32::MAX);
                let mut parts = Vec::new();
                for row in table
                    .range::<&[u8]>(start.as_slice()..=end.as_slice())
                    .db()?
                {
                    let (k, v) = row.db()?;
                    let k = k.value();
                    let mut number = [0u8; 4];
                    number.copy_from_slice(&k[k.len() - 4..]);
                    parts.push((u32::from_be_bytes(number), PartRecord::decode(v.value())?));
                }
                parts
            };
            for (number, part) in parts {
                let _pinned = PinGuard::new(self.inner, &[part.blob]);
                // The part may have been replaced, completed or aborted before the pin.
                if !self.part_still_stored(&upload_id, number, part.blob)? {
                    continue;
                }
                self.report.upload_parts += 1;
                let problem = match self.hash_blob(part.blob, part.size) {
                    Ok(md5) => (md5 != part.md5).then_some(Problem::Digest),
                    Err(problem) => Some(problem),
                };
                if let Some(problem) = problem {
                    self.report.damaged.push(Damage {
                        account: target.account,
                        bucket: target.bucket.clone(),
                        key: target.key.clone(),
                        upload_part: Some((upload_id.clone(), number)),
                        problem,
                    });
                }
            }
        }
        Ok(())
    }

    fn part_still_stored(&self, upload_id: &str, number: u32, blob: BlobId) -> StorageResult<bool> {
        let txn = self.inner.db.begin_read().db()?;
        let table = txn.open_table(PARTS).db()?;
        let row = table.get(keys::part(upload_id, number).as_slice()).db()?;
        match row {
            Some(v) => Ok(PartRecord::decode(v.value())?.blob == blob),
            None => Ok(false),
        }
    }

    /// The MD5 of a blob file of `size` bytes, or what is wrong with it.
    fn hash_blob(&mut self, id: BlobId, size: u64) -> Result<[u8; 16], Problem> {
        let unreadable = |e: io::Error| Problem::Unreadable(e.to_string());
        let mut file = match File::open(self.inner.blob_path(id)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Problem::Missing),
            Err(e) => return Err(unreadable(e)),
        };
        let found = file.metadata().map_err(unreadable)?.len();
        if found != size {
            return Err(Problem::Size {
                expected: size,
                found,
            });
        }
        let mut md5 = Md5::new();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(unreadable(e)),
            };
            md5.update(&buf[..n]);
            self.report.bytes_read += n as u64;
            self.inner
                .integrity
                .scrubbed_bytes
                .fetch_add(n as u64, Ordering::Relaxed);
            self.pacer.spend(n as u64);
        }
        Ok(md5.finalize().into())
    }
}

/// A digest problem when `etag` is an MD5 that `md5` differs from.
fn compare_simple(etag: &ETag, md5: [u8; 16]) -> Option<Problem> {
    etag.md5()
        .is_some_and(|expected| expected != md5)
        .then_some(Problem::Digest)
}

/// `account ++ len ++ bucket ++ rest` (an object or upload key) as an object reference whose
/// key is `rest`. `None` for a malformed key.
fn object_of_row(row: &[u8]) -> Option<ObjectRef> {
    let account = AccountId::parse(std::str::from_utf8(row.get(..15)?).ok()?).ok()?;
    let len = usize::from(*row.get(15)?);
    let bucket = std::str::from_utf8(row.get(16..16 + len)?).ok()?;
    let key = std::str::from_utf8(row.get(16 + len..)?).ok()?;
    Some(ObjectRef {
        account,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    })
}

/// Sleeps as needed to keep the bytes read at or under a rate.
struct Pacer {
    bytes_per_second: Option<u64>,
    started: Instant,
    bytes: u64,
}

impl Pacer {
    fn new(bytes_per_second: Option<u64>) -> Self {
        Self {
            bytes_per_second: bytes_per_second.filter(|&rate| rate > 0),
            started: Instant::now(),
            bytes: 0,
        }
    }

    fn spend(&mut self, bytes: u64) {
        self.bytes += bytes;
        let Some(rate) = self.bytes_per_second else {
            return;
        };
        let due = Duration::from_nanos(
            (u128::from(self.bytes) * 1_000_000_000 / u128::from(rate)) as u64,
        );
        if let Some(wait) = due.checked_sub(self.started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_rows_decode_into_references() {
        let account = AccountId::parse("123456789012345").unwrap();
        let row = keys::object(&account, "photos", "a/b.jpg");
        assert_eq!(
            object_of_row(&row),
            Some(ObjectRef {
                account,
                bucket: "photos".into(),
                key: "a/b.jpg".into(),
            })
        );
        assert_eq!(object_of_row(&row[..14]), None);
        assert_eq!(object_of_row(&row[..18]), None);
    }

    #[test]
    fn the_pacer_holds_the_rate() {
        let mut pacer = Pacer::new(Some(10 << 20));
        let started = Instant::now();
        for _ in 0..4 {
            pacer.spend(1 << 20);
        }
        // 4 MiB at 10 MiB/s: at least 0.4 s.
        assert!(started.elapsed() >= Duration::from_millis(390));
        let mut unlimited = Pacer::new(None);
        let started = Instant::now();
        unlimited.spend(1 << 40);
        assert!(started.elapsed() < Duration::from_millis(100));
    }
}
