//! Readiness follows the storage: `/_s4/health/ready` answers 503 when the blob directory or
//! the temp directory cannot be written, or free space is under `--min-free-space`; a PUT that
//! cannot write its body answers 503 ServiceUnavailable with Retry-After (not 500), and the log
//! names the path. Tests run as root, where mode bits do not stop writes: the directories are
//! made immutable with `chattr +i` instead.

#[allow(dead_code)]
mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use http::Method;

fn ready(addr: SocketAddr) -> (u16, String) {
    common::unsigned_get(addr, "/_s4/health/ready")
}

/// `chattr +i` on a directory for as long as this lives (removed even when the test panics,
/// so that the temp dir can be deleted).
struct Immutable(PathBuf);

impl Immutable {
    fn set(dir: &Path) -> Self {
        let status = Command::new("chattr").arg("+i").arg(dir).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "chattr +i {} failed: this test needs root and a filesystem with immutable \
             attributes (ext4, xfs, btrfs, tmpfs)",
            dir.display()
        );
        Self(dir.to_owned())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn an_unwritable_blob_or_temp_dir_makes_the_server_unready_and_puts_503() {
    let dir = tempfile::tempdir().unwrap();
    let (data, log) = (dir.path().join("data"), dir.path().join("server.log"));
    let mut server = common::start_logged(&data, &log, &[]);
    assert_eq!(ready(server.addr), (200, "ready\n".to_owned()));
    let (status, _) = common::request(server.addr, &Method::PUT, "/readonly", b"").unwrap();
    assert_eq!(status, 200);

    let blobs = Immutable::set(&data.join("blobs"));
    let (status, body) = ready(server.addr);
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains(&data.join("blobs").display().to_string()),
        "{body}"
    );
    drop(blobs);
    assert_eq!(ready(server.addr).0, 200);

    let tmp = Immutable::set(&data.join("tmp"));
    let (status, body) = ready(server.addr);
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains(&data.join("tmp").display().to_string()),
        "{body}"
    );
    // A body too large to be stored inline needs a temp file.
    let response = common::request_with(
        server.addr,
        &Method::PUT,
        "/readonly/big",
        &[],
        &vec![1u8; 64 * 1024],
    )
    .unwrap();
    assert_eq!(
        response.status,
        503,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.xml("Code").as_deref(), Some("ServiceUnavailable"));
    assert_eq!(response.header("retry-after"), Some("1"));
    drop(tmp);
    let (status, _) = common::request(server.addr, &Method::GET, "/readonly/big", b"").unwrap();
    assert_eq!(status, 404);
    assert_eq!(ready(server.addr).0, 200);
    server.kill();
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("storage I/O failed"))
        .unwrap_or_else(|| panic!("no storage error logged: {text}"));
    assert!(
        line.contains(&data.join("tmp").display().to_string()),
        "the path is not named: {line}"
    );
}

#[test]
fn too_little_free_space_makes_the_server_unready() {
    let dir = tempfile::tempdir().unwrap();
    let (data, log) = (dir.path().join("data"), dir.path().join("server.log"));
    let mut server = common::start_logged(&data, &log, &["--min-free-space", "1000000TiB"]);
    let (status, body) = ready(server.addr);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("less than --min-free-space"), "{body}");
    server.kill();
    let mut server = common::start_logged(&data, &log, &["--min-free-space", "0"]);
    assert_eq!(ready(server.addr).0, 200);
    server.kill();
}
