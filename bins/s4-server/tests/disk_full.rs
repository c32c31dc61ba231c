//! A full disk on the embedded backend, for real: the data dir lives on a small tmpfs that the
//! test fills (with the server's own writes and with a filler file beside the data dir, as
//! another process would). Two runs on the same data dir:
//!
//! 1. `--min-free-space 4MiB` (the reserve): PUTs until one is refused, then the disk is filled
//!    past the reserve; every kind of write (PUT, UploadPart, CompleteMultipartUpload,
//!    CopyObject, a body cut off while it streams) answers `507 InsufficientStorage`; reads,
//!    listing and deletes work; readiness says why it is not ready; once space is freed
//!    writes succeed again in the same process.
//! 2. `--min-free-space 0` (no reserve): the filler leaves no room at all, so a blob or part
//!    body hits `ENOSPC` and inline PUTs (no blob: metadata only) run until redb's commit hits
//!    it; each answers 507 (never 500), and writes succeed again once space is freed.
//!
//! Afterwards the data dir is opened directly: the objects and usage counters are exactly the
//! acknowledged writes, and the start-up sweep finds no temp file and no orphan blob.
//!
//! Mounting needs root; elsewhere the test says so and passes, except under `CI=true`, where it
//! fails.

#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{request_paused, request_with, unsigned_get, Response};
use http::Method;
use s4_storage::ObjectStore as _;

const MIB: usize = 1 << 20;
const TMPFS_SIZE: &str = "24m";

/// The tmpfs, unmounted (lazily, so that a crashed server cannot keep it) when dropped.
struct Tmpfs {
    mount_point: PathBuf,
}

impl Tmpfs {
    /// Mounts it, or explains why it cannot: `Err` only where mounting is impossible here.
    fn mount(mount_point: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(mount_point).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={TMPFS_SIZE},mode=0700")])
            .arg("tmpfs")
            .arg(mount_point)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed (root is needed): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self {
            mount_point: mount_point.to_owned(),
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(&self.mount_point)
            .status();
    }
}

fn free_bytes(dir: &Path) -> u64 {
    let stat = rustix::fs::statvfs(dir).expect("statvfs");
    stat.f_bavail * stat.f_frsize
}

/// A file beside the data dir that takes space as another process would.
struct Filler {
    path: PathBuf,
}

impl Filler {
    /// Grows the filler until `dir`'s filesystem has at most `leave` bytes free (0: until
    /// `ENOSPC`).
    fn fill_to(&self, dir: &Path, leave: u64) {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.path)
            .expect("filler");
        let page = vec![0x5au8; 4096];
        while free_bytes(dir) > leave {
            if let Err(e) = file.write_all(&page) {
                assert_eq!(e.kind(), std::io::ErrorKind::StorageFull, "{e}");
                break;
            }
        }
        let _ = file.sync_all();
    }

    fn remove(&self) {
        std::fs::remove_file(&self.path).expect("remove the filler");
    }
}

/// Bytes unique to `key`.
fn payload(key: &str, len: usize) -> Vec<u8> {
    let seed = key
        .bytes()
        .fold(7u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
    (0..len)
        .map(|i| seed.wrapping_add((i % 251) as u8))
        .collect()
}

/// Sends with `Expect: 100-continue`, as SDKs do for uploads: a write refused before its body
/// is read is answered at once, without the body (which the server would not drain).
fn send(addr: SocketAddr, method: &Method, path: &str, body: &[u8]) -> Response {
    let expect = [("expect", "100-continue")];
    let extra: &[(&str, &str)] = if body.is_empty() { &[] } else { &expect };
    request_with(addr, method, path, extra, body).expect("request")
}

/// A refusal for lack of space: 507 InsufficientStorage with Retry-After and a RequestId.
fn assert_full(r: &Response, what: &str) {
    let body = String::from_utf8_lossy(&r.body);
    assert_eq!(r.status, 507, "{what}: {body}");
    assert_eq!(
        r.xml("Code").as_deref(),
        Some("InsufficientStorage"),
        "{what}"
    );
    assert!(
        r.xml("RequestId").is_some_and(|id| !id.is_empty()),
        "{what}"
    );
    assert_eq!(r.header("retry-after"), Some("1"), "{what}");
}

/// What the bucket holds according to the client: key -> bytes of acknowledged writes.
#[derive(Default)]
struct Acknowledged(BTreeMap<String, Vec<u8>>);

impl Acknowledged {
    /// PUTs `key` and records it if acknowledged; returns the response.
    fn put(&mut self, addr: SocketAddr, key: &str, body: Vec<u8>) -> Response {
        let r = send(addr, &Method::PUT, &format!("/full/{key}"), &body);
        match r.status {
            200 => {
                self.0.insert(key.to_owned(), body);
            }
            507 => assert_full(&r, key),
            other => panic!("PUT {key}: {other} {}", String::from_utf8_lossy(&r.body)),
        }
        r
    }

    fn delete(&mut self, addr: SocketAddr, key: &str) {
        let r = send(addr, &Method::DELETE, &format!("/full/{key}"), b"");
        assert_eq!(r.status, 204, "DELETE {key} on a full disk");
        self.0.remove(key);
    }

    /// Every acknowledged object reads back whole, and the listing is exactly them.
    fn verify(&self, addr: SocketAddr) {
        for (key, bytes) in &self.0 {
            let r = send(addr, &Method::GET, &format!("/full/{key}"), b"");
            assert_eq!(r.status, 200, "GET {key}");
            assert!(r.body == *bytes, "GET {key}: wrong bytes");
        }
        let listed = send(addr, &Method::GET, "/full?list-type=2&max-keys=1000", b"");
        assert_eq!(listed.status, 200);
        let keys: Vec<String> = self.0.keys().cloned().collect();
        assert_eq!(listed.xml_all("Key"), keys, "the listing");
    }

    fn bytes(&self) -> u64 {
        self.0.values().map(|b| b.len() as u64).sum()
    }
}

fn readiness(addr: SocketAddr) -> (u16, String) {
    unsigned_get(addr, "/_s4/health/ready")
}

fn start_upload(addr: SocketAddr, key: &str) -> String {
    let r = send(addr, &Method::POST, &format!("/full/{key}?uploads"), b"");
    assert_eq!(r.status, 200, "CreateMultipartUpload");
    r.xml("UploadId").expect("UploadId")
}

fn upload_part(addr: SocketAddr, key: &str, id: &str, number: u32, body: &[u8]) -> Response {
    let path = format!("/full/{key}?partNumber={number}&uploadId={id}");
    send(addr, &Method::PUT, &path, body)
}

fn complete(addr: SocketAddr, key: &str, id: &str, etag: &str) -> Response {
    let body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>\
         </CompleteMultipartUpload>"
    );
    let path = format!("/full/{key}?uploadId={id}");
    send(addr, &Method::POST, &path, body.as_bytes())
}

fn copy(addr: SocketAddr, from: &str, to: &str) -> Response {
    let source = format!("/full/{from}");
    let headers = [("x-amz-copy-source", source.as_str())];
    request_with(addr, &Method::PUT, &format!("/full/{to}"), &headers, b"").expect("copy")
}

#[test]
fn a_full_disk_refuses_writes_cleanly_and_recovers_without_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tmpfs = match Tmpfs::mount(&dir.path().join("small-disk")) {
        Ok(t) => t,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("disk_full needs a tmpfs under CI: {why}")
        }
        Err(why) => {
            println!("SKIPPED disk_full: {why}");
            return;
        }
    };
    let disk = tmpfs.mount_point.clone();
    let data = disk.join("data");
    let filler = Filler {
        path: disk.join("filler"),
    };
    let mut acked = Acknowledged::default();

    // Run 1: a 4 MiB reserve.
    let mut server = common::start_with(&data, &["--min-free-space", "4MiB"]);
    let addr = server.addr;
    assert_eq!(send(addr, &Method::PUT, "/full", b"").status, 200);
    acked.put(addr, "copy-source", payload("copy-source", 100_000));
    let upload = start_upload(addr, "assembled");
    let part = upload_part(addr, "assembled", &upload, 1, &payload("part1", 300_000));
    assert_eq!(part.status, 200);
    let part_etag = part.header("etag").expect("part ETag").to_owned();
    // The server's own writes fill the disk until the reserve stops them.
    let mut refused = false;
    for i in 0..40 {
        let key = format!("fill-{i:02}");
        if acked.put(addr, &key, payload(&key, MIB)).status == 507 {
            refused = true;
            break;
        }
    }
    assert!(
        refused,
        "1 MiB PUTs were never refused on a {TMPFS_SIZE} disk"
    );
    let free = free_bytes(&disk);
    assert!(
        free >= 4 * MIB as u64,
        "the reserve was eaten: {free} bytes free"
    );
    println!(
        "disk_full: {} objects of 1 MiB acknowledged, the next refused with {free} bytes free",
        acked.0.len() - 1
    );
    for key in ["fill-00", "fill-01", "fill-02", "fill-03"] {
        acked.delete(addr, key);
    }
    // A body that fits when it starts is cut off once the disk fills under it.
    let big = payload("streamed", 3 * MIB);
    let expect = [("expect", "100-continue")];
    let cut = request_paused(
        addr,
        &Method::PUT,
        "/full/streamed",
        &expect,
        &big,
        2 * MIB,
        || {
            filler.fill_to(&disk, 2 * MIB as u64);
        },
    )
    .expect("streamed PUT");
    assert_full(&cut, "a body cut off mid-stream");
    // Full for everything but deletes.
    filler.fill_to(&disk, 2 * MIB as u64);
    let (status, text) = readiness(addr);
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("--min-free-space"), "{text}");
    assert_full(&acked.put(addr, "tiny", b"tiny".to_vec()), "inline PUT");
    let part2 = upload_part(addr, "assembled", &upload, 2, &payload("part2", 1000));
    assert_full(&part2, "UploadPart");
    assert_full(
        &complete(addr, "assembled", &upload, &part_etag),
        "CompleteMultipartUpload",
    );
    assert_full(&copy(addr, "copy-source", "copied"), "CopyObject");
    acked.verify(addr);
    let before = free_bytes(&disk);
    acked.delete(addr, "fill-04");
    acked.delete(addr, "fill-05");
    assert!(free_bytes(&disk) > before, "deleting freed no space");
    acked.verify(addr);
    // Space freed: the same process takes writes again and is ready.
    filler.remove();
    assert_eq!(readiness(addr).0, 200);
    assert_eq!(acked.put(addr, "after", payload("after", MIB)).status, 200);
    assert_eq!(copy(addr, "copy-source", "copied").status, 200);
    acked
        .0
        .insert("copied".to_owned(), payload("copy-source", 100_000));
    let done = complete(addr, "assembled", &upload, &part_etag);
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    acked
        .0
        .insert("assembled".to_owned(), payload("part1", 300_000));
    acked.verify(addr);
    server.kill();

    // Run 2: no reserve; the filler leaves the disk without a free page.
    let log = dir.path().join("run2.log");
    let mut server = common::start_logged(&data, &log, &["--min-free-space", "0"]);
    let addr = server.addr;
    let upload = start_upload(addr, "parted");
    filler.fill_to(&disk, 0);
    assert_full(
        &acked.put(addr, "blob", payload("blob", 2 * MIB)),
        "a blob PUT meeting ENOSPC",
    );
    assert_full(
        &upload_part(addr, "parted", &upload, 1, &payload("p", 2 * MIB)),
        "a part meeting ENOSPC",
    );
    acked.verify(addr);
    // Inline PUTs store no blob: the first refusal is redb's commit meeting ENOSPC.
    let mut metadata_refused = None;
    for i in 0..3000 {
        let key = format!("inline-{i:04}");
        if acked.put(addr, &key, payload(&key, 3000)).status == 507 {
            metadata_refused = Some(i);
            break;
        }
    }
    let refused_at = metadata_refused.expect("the metadata commit never met the full disk");
    println!("disk_full: the metadata commit failed after {refused_at} inline PUTs");
    let log_text = std::fs::read_to_string(&log).expect("server log");
    assert!(
        log_text.contains("metadata commit failed"),
        "the refusal did not come from the metadata commit: {log_text}"
    );
    // Still full: reads, listing and deletes.
    acked.verify(addr);
    acked.delete(addr, "copied");
    acked.verify(addr);
    let (status, text) = readiness(addr);
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("space reserve"), "{text}");
    filler.remove();
    // Writes work again in the same process once space is back (the metadata store reopened).
    let mut again = None;
    let freed_at = std::time::Instant::now();
    for attempt in 0..50 {
        let r = acked.put(addr, "recovered", payload("recovered", 5000));
        if r.status == 200 {
            again = Some(attempt);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        again.is_some(),
        "writes did not recover once space was freed"
    );
    println!(
        "disk_full: a write succeeded {:?} after space was freed (attempt {})",
        freed_at.elapsed(),
        again.unwrap_or_default()
    );
    acked.delete(addr, "inline-0000");
    acked.verify(addr);
    assert_eq!(readiness(addr).0, 200);
    server.kill();

    // Nothing unacknowledged anywhere: recovery finds no stray file, and the usage counters
    // equal the acknowledged objects (the two open uploads counted as such).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (store, report) =
        s4_storage_fs::FsStore::open_with_report(s4_storage_fs::FsConfig::new(&data))
            .expect("reopen the data dir");
    assert_eq!(report.temp_files_removed, 0, "{report:?}");
    assert_eq!(report.orphan_blobs_removed, 0, "{report:?}");
    let usage = runtime
        .block_on(store.all_bucket_usage())
        .expect("usage counters");
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].usage.objects, acked.0.len() as u64);
    assert_eq!(usage[0].usage.bytes, acked.bytes());
    assert_eq!(usage[0].usage.uploads_in_progress, 1);
    drop(store);
    drop(tmpfs);
}
