//! The filesystem ceilings: a durable create (write, fsync, rename, fsync of the directory)
//! and a whole-file read, on the same sizes and at the same concurrency as the HTTP runs.
//! Files land at `<dir>/<bucket>/<key>`, which is also the layout nginx serves.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// The path of `bucket/key` under `dir`.
pub fn object_path(dir: &Path, bucket: &str, key: &str) -> PathBuf {
    dir.join(bucket).join(key)
}

/// Writes `data` durably to `dir/bucket/key` the way a careful store does.
pub fn put(dir: &Path, bucket: &str, key: &str, data: &[u8]) -> std::io::Result<()> {
    let target = object_path(dir, bucket, key);
    let parent = target.parent().expect("object path has a parent");
    fs::create_dir_all(parent)?;
    let tmp_dir = dir.join(".tmp");
    fs::create_dir_all(&tmp_dir)?;
    let tmp = tmp_dir.join(format!(
        "{}-{}",
        std::process::id(),
        TMP_SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = File::create(&tmp)?;
    file.write_all(data)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, &target)?;
    File::open(parent)?.sync_all()
}

/// Reads `dir/bucket/key` in 1 MiB reads into a reused buffer, feeding `sink`.
pub fn get(
    dir: &Path,
    bucket: &str,
    key: &str,
    buf: &mut Vec<u8>,
    mut sink: impl FnMut(&[u8]),
) -> std::io::Result<u64> {
    let mut file = File::open(object_path(dir, bucket, key))?;
    buf.resize(1 << 20, 0);
    let mut total = 0u64;
    loop {
        let n = file.read(buf)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
        sink(&buf[..n]);
    }
}
