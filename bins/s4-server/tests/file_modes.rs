//! The data dir is private to the server's user: created 0700 with every file 0600, an older
//! data dir (0755 / 0644) tightened at start with a log line, and a directory other users can
//! write refused before anything is served.

#[allow(dead_code)]
mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use http::Method;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every directory and file under `dir`, itself included.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if out[i].is_dir() {
            let children: Vec<_> = std::fs::read_dir(&out[i])
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            out.extend(children);
        }
        i += 1;
    }
    out
}

/// Asserts that every directory under `dir` is 0700 and every other entry 0600; returns how
/// many files there were.
fn assert_private(dir: &Path) -> usize {
    let mut files = 0;
    for path in walk(dir) {
        let expected = if path.is_dir() {
            0o700
        } else {
            files += 1;
            0o600
        };
        assert_eq!(mode(&path), expected, "{}", path.display());
    }
    files
}

/// Creates a bucket and an object large enough to live in a blob file.
fn put_blob(server: &common::Server, key: &str) {
    let (status, _) = common::request(server.addr, &Method::PUT, "/modes", b"").unwrap();
    assert!(status == 200 || status == 409, "{status}");
    let body = vec![7u8; 64 * 1024];
    let (status, body) =
        common::request(server.addr, &Method::PUT, &format!("/modes/{key}"), &body).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
}

#[test]
fn first_start_creates_everything_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = common::start(&data);
    put_blob(&server, "big");
    assert_eq!(common::blob_files(&data), 1);
    server.kill();
    // meta.redb, the blob and the admin socket left by SIGKILL.
    assert!(assert_private(&data) >= 2);
}

#[test]
fn an_older_open_data_dir_is_tightened_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let mut server = common::start(&data);
    put_blob(&server, "big");
    server.kill();
    // As an older version left it under umask 022.
    for path in walk(&data) {
        set_mode(&path, if path.is_dir() { 0o755 } else { 0o644 });
    }
    let mut server = common::start_logged(&data, &log, &[]);
    assert_private(&data);
    // The object is still there.
    let (status, body) = common::request(server.addr, &Method::GET, "/modes/big", b"").unwrap();
    assert_eq!((status, body.len()), (200, 64 * 1024));
    server.kill();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<_> = text
        .lines()
        .filter(|l| l.contains("made the data dir private"))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    let line: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(line["level"], "WARN");
    // The data dir, blobs/, its 256 shards and tmp/; meta.redb and the blob at least.
    assert!(line["fields"]["dirs"].as_u64().unwrap() >= 259, "{line}");
    assert!(line["fields"]["files"].as_u64().unwrap() >= 2, "{line}");
    // A second start has nothing to do and says nothing.
    let mut server = common::start_logged(&data, &log, &[]);
    server.kill();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("made the data dir private"), "{text}");
}

#[test]
fn a_data_dir_others_can_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = common::start(&data);
    put_blob(&server, "big");
    server.kill();
    for (writable, mode) in [(data.clone(), 0o777), (data.join("blobs"), 0o775)] {
        set_mode(&writable, mode);
        let output = Command::new(env!("CARGO_BIN_EXE_s4-server"))
            .arg("--data-dir")
            .arg(&data)
            .args(["--listen", "127.0.0.1:0"])
            .env("S4_ROOT_ACCESS_KEY", common::ACCESS_KEY)
            .env("S4_ROOT_SECRET_KEY", common::SECRET_KEY)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(stderr.contains("writable by other users"), "{stderr}");
        assert!(
            stderr.contains(&format!("{} (mode {mode:04o})", writable.display())),
            "{stderr}"
        );
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("listening"),
            "served anyway"
        );
        // Refused before anything was changed.
        assert_eq!(self::mode(&writable), mode);
        set_mode(&writable, 0o700);
    }
}
