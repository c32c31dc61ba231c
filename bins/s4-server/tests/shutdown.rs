//! Shutdown: the first SIGINT/SIGTERM drains in-flight requests for at most
//! `--shutdown-grace`, a second signal exits at once, and an upload cut short either way is
//! not visible after a restart.

#[allow(dead_code)]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use http::Method;

/// Generous: the machine is loaded.
const DEADLINE: Duration = Duration::from_mins(1);
const BODY: usize = 1 << 20;

fn start(data: &Path, log: &Path, grace: &str) -> common::Server {
    common::start_logged(data, log, &["--shutdown-grace", grace])
}

fn signal(server: &common::Server, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Polls `condition` until it holds; panics after [`DEADLINE`].
fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn log_contains(log: &Path, text: &str) -> bool {
    std::fs::read_to_string(log).is_ok_and(|l| l.contains(text))
}

/// Waits until the upload is being received: its temp file exists.
fn wait_for_upload(data: &Path) {
    wait_for("the upload's temp file", || {
        std::fs::read_dir(data.join("tmp")).is_ok_and(|mut d| d.next().is_some())
    });
}

/// Waits for the process to exit; returns how long that took.
fn wait_for_exit(server: &mut common::Server) -> Duration {
    let start = Instant::now();
    wait_for("the server to exit", || {
        server.child.try_wait().unwrap().is_some()
    });
    start.elapsed()
}

/// After a restart: the object is absent and no blob or temp file is left.
fn assert_upload_discarded(data: &Path, log: &Path) {
    let mut server = start(data, log, "10s");
    let (status, _) = common::request(server.addr, &Method::GET, "/slow/object", b"").unwrap();
    assert_eq!(status, 404);
    assert_eq!(common::blob_files(data), 0);
    assert_eq!(std::fs::read_dir(data.join("tmp")).unwrap().count(), 0);
    server.kill();
}

fn create_bucket(server: &common::Server) {
    let (status, _) = common::request(server.addr, &Method::PUT, "/slow", b"").unwrap();
    assert_eq!(status, 200);
}

#[test]
fn a_second_signal_exits_at_once_and_the_upload_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let (data, log) = (dir.path().join("data"), dir.path().join("server.log"));
    // A grace far longer than the test: only the second signal can end the drain.
    let mut server = start(&data, &log, "10m");
    create_bucket(&server);
    let body = vec![1u8; BODY];
    let mut exited_in = None;
    let result = common::request_paused(
        server.addr,
        &Method::PUT,
        "/slow/object",
        &[],
        &body,
        BODY / 4,
        || {
            wait_for_upload(&data);
            signal(&server, "INT");
            wait_for("the drain to start", || {
                log_contains(&log, "a second signal stops them at once")
            });
            assert!(server.child.try_wait().unwrap().is_none(), "exited early");
            let sent = Instant::now();
            signal(&server, "TERM");
            wait_for_exit(&mut server);
            exited_in = Some(sent.elapsed());
        },
    );
    let exited_in = exited_in.unwrap();
    println!("exited {exited_in:?} after the second signal");
    assert!(exited_in < Duration::from_secs(1), "{exited_in:?}");
    assert!(result.is_err(), "{result:?}");
    assert!(log_contains(
        &log,
        "shutting down at once on a second signal"
    ));
    assert_upload_discarded(&data, &log);
}

#[test]
fn the_grace_period_bounds_the_drain() {
    let dir = tempfile::tempdir().unwrap();
    let (data, log) = (dir.path().join("data"), dir.path().join("server.log"));
    let mut server = start(&data, &log, "2s");
    create_bucket(&server);
    let body = vec![1u8; BODY];
    let mut exited_in = None;
    let _ = common::request_paused(
        server.addr,
        &Method::PUT,
        "/slow/object",
        &[],
        &body,
        BODY / 4,
        || {
            wait_for_upload(&data);
            signal(&server, "TERM");
            exited_in = Some(wait_for_exit(&mut server));
        },
    );
    let exited_in = exited_in.unwrap();
    assert!(
        exited_in >= Duration::from_millis(1900) && exited_in < Duration::from_secs(30),
        "{exited_in:?}"
    );
    assert!(log_contains(&log, "the grace period elapsed"));
    assert_upload_discarded(&data, &log);
}

#[test]
fn the_first_signal_lets_an_upload_finish() {
    let dir = tempfile::tempdir().unwrap();
    let (data, log) = (dir.path().join("data"), dir.path().join("server.log"));
    let mut server = start(&data, &log, "10m");
    create_bucket(&server);
    let body = vec![1u8; BODY];
    let response = common::request_paused(
        server.addr,
        &Method::PUT,
        "/slow/object",
        &[],
        &body,
        BODY / 4,
        || {
            wait_for_upload(&data);
            signal(&server, "TERM");
            wait_for("the drain to start", || {
                log_contains(&log, "a second signal stops them at once")
            });
        },
    )
    .unwrap();
    assert_eq!(response.status, 200);
    wait_for_exit(&mut server);
    assert!(log_contains(&log, "every request finished"));
    let mut server = start(&data, &log, "10s");
    let (status, got) = common::request(server.addr, &Method::GET, "/slow/object", b"").unwrap();
    assert_eq!((status, got.len()), (200, BODY));
    server.kill();
}
