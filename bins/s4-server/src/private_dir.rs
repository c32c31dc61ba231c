//! The data dir is private to the server's user: `meta.redb` holds every secret access key and
//! the blobs are the objects. The storage backends create directories `0700` and files `0600`;
//! at start this module refuses a directory that other users can write (they could have
//! replaced its files) and tightens one written by an older version (`0755`, `0644`).

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use s4_storage_fs::{PRIVATE_DIR_MODE, PRIVATE_FILE_MODE};

/// Permission bits that let the group or others write.
const WRITABLE_BY_OTHERS: u32 = 0o022;
/// Permission bits that give the group or others any access.
const OPEN_TO_OTHERS: u32 = 0o077;

/// What [`secure`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tightened {
    pub dirs: u64,
    pub files: u64,
}

/// Refuses `dir` (and its `blobs/` and `tmp/`) when the group or others can write it; else
/// makes everything in it private to this user. Returns `None` when nothing needed changing
/// (a directory that does not exist yet is created private by the backend). Cheap on every
/// start: the walk over the files only runs when the directory or `meta.redb` is open to
/// others, which a directory this version created never is.
pub fn secure(dir: &Path) -> Result<Option<Tightened>, String> {
    let mode = match fs::metadata(dir) {
        Ok(meta) => meta.permissions().mode(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot inspect the data dir {}: {e}",
                dir.display()
            ))
        }
    };
    for (path, mode) in [
        (dir.to_path_buf(), Some(mode)),
        (dir.join("blobs"), mode_of(&dir.join("blobs"))),
        (dir.join("tmp"), mode_of(&dir.join("tmp"))),
    ] {
        if let Some(mode) = mode.filter(|m| m & WRITABLE_BY_OTHERS != 0) {
            return Err(format!(
                "refusing to start: {} (mode {:04o}) is writable by other users, who could have \
                 replaced the files the server trusts; check its contents, then make it private \
                 to the server's user: chmod -R go-rwx {}",
                path.display(),
                mode & 0o7777,
                dir.display()
            ));
        }
    }
    let redb_open = mode_of(&dir.join("meta.redb")).is_some_and(|m| m & OPEN_TO_OTHERS != 0);
    if mode & OPEN_TO_OTHERS == 0 && !redb_open {
        return Ok(None);
    }
    let mut tightened = Tightened::default();
    tighten_entries(dir, &mut tightened)
        .map_err(|e| format!("cannot make the data dir {} private: {e}", dir.display()))?;
    // The directory itself last: a start interrupted half-way walks again next time.
    if mode & OPEN_TO_OTHERS != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(PRIVATE_DIR_MODE))
            .map_err(|e| format!("cannot make the data dir {} private: {e}", dir.display()))?;
        tightened.dirs += 1;
    }
    Ok(Some(tightened))
}

/// [`secure`] on the local directories of `data` (the data dir, or an S3 byte store's spool
/// dir), logging what was tightened in one line.
pub fn secure_data(data: &crate::config::Data) -> Result<(), String> {
    let dir = match data {
        crate::config::Data::Dir(dir) => dir,
        crate::config::Data::S3(s3) => match &s3.spool_dir {
            Some(dir) => dir,
            None => return Ok(()),
        },
    };
    if let Some(Tightened { dirs, files }) = secure(dir)? {
        tracing::warn!(
            dir = %dir.display(),
            dirs,
            files,
            "made the data dir private to the server's user (directories 0700, files 0600): \
             it was readable by other users, and it holds every secret access key"
        );
    }
    Ok(())
}

fn mode_of(path: &Path) -> Option<u32> {
    fs::metadata(path).ok().map(|m| m.permissions().mode())
}

/// Every directory below `dir` to `0700`, every other entry (files, the admin socket) to
/// `0600`, where they give the group or others any access. Symbolic links are not followed.
fn tighten_entries(dir: &Path, tightened: &mut Tightened) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let meta = fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            continue;
        }
        if meta.is_dir() {
            tighten_entries(&path, tightened)?;
        }
        if meta.permissions().mode() & OPEN_TO_OTHERS == 0 {
            continue;
        }
        let (mode, count) = if meta.is_dir() {
            (PRIVATE_DIR_MODE, &mut tightened.dirs)
        } else {
            (PRIVATE_FILE_MODE, &mut tightened.files)
        };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
        *count += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_open_dir_is_tightened_and_a_writable_one_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        assert_eq!(secure(&dir), Ok(None));
        fs::create_dir_all(dir.join("blobs/ab")).unwrap();
        fs::write(dir.join("meta.redb"), b"x").unwrap();
        fs::write(dir.join("blobs/ab/abcd"), b"x").unwrap();
        for (path, m) in [
            (dir.clone(), 0o755),
            (dir.join("blobs"), 0o755),
            (dir.join("blobs/ab"), 0o755),
            (dir.join("meta.redb"), 0o644),
            (dir.join("blobs/ab/abcd"), 0o644),
        ] {
            set(&path, m);
        }
        assert_eq!(secure(&dir), Ok(Some(Tightened { dirs: 3, files: 2 })));
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("blobs/ab")), 0o700);
        assert_eq!(mode(&dir.join("meta.redb")), 0o600);
        assert_eq!(mode(&dir.join("blobs/ab/abcd")), 0o600);
        assert_eq!(secure(&dir), Ok(None));
        // meta.redb alone, copied in with its mode, is tightened too.
        set(&dir.join("meta.redb"), 0o640);
        assert_eq!(secure(&dir), Ok(Some(Tightened { dirs: 0, files: 1 })));
        for writable in [dir.join("blobs"), dir.clone()] {
            set(&writable, 0o777);
            let error = secure(&dir).unwrap_err();
            assert!(error.contains("writable by other users"), "{error}");
            assert!(error.contains(&writable.display().to_string()), "{error}");
            set(&writable, 0o700);
        }
        set(&dir, 0o770);
        assert!(secure(&dir).is_err());
    }
}
