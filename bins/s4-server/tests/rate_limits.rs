//! Per-account request-rate limits on the real binary: an override set through the running
//! server's admin socket applies at once (and cleared, is lifted at once); one set on the
//! stopped data dir is read at start; the default from `--account-rate-limit`; refusals are
//! counted in `s4_rate_limited_total{account}`; with `--meta` on PostgreSQL, an override set
//! on the database reaches a running server within its reload interval.

#[allow(dead_code)]
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{admin, admin_ok, metric, request, scrape_metrics, Server};
use http::Method;

/// The one account of a data dir (or database, with `--meta` in `extra`).
fn only_account(data_dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["list-accounts"];
    args.extend_from_slice(extra);
    let accounts = admin_ok(data_dir, &args);
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    accounts[0]
        .split_whitespace()
        .next()
        .expect("account ID")
        .to_owned()
}

/// `admin set-rate-limit --account ACCOUNT RATE --burst BURST EXTRA...`, which must succeed.
fn set_limit(dir: &Path, account: &str, rate: &str, burst: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "set-rate-limit",
        "--account",
        account,
        rate,
        "--burst",
        burst,
    ];
    args.extend_from_slice(extra);
    admin_ok(dir, &args)
}

/// Sends up to `attempts` ListBuckets as fast as they come back; the first SlowDown's
/// `Retry-After`, or `None` if every one was served.
fn first_slow_down(server: &Server, attempts: usize) -> Option<String> {
    for _ in 0..attempts {
        let response =
            common::request_with(server.addr, &Method::GET, "/", &[], b"").expect("request");
        match response.status {
            200 => {}
            503 => {
                assert_eq!(response.xml("Code").as_deref(), Some("SlowDown"));
                assert!(response.xml("RequestId").is_some());
                return Some(
                    response
                        .header("retry-after")
                        .expect("Retry-After")
                        .to_owned(),
                );
            }
            other => panic!("unexpected status {other}"),
        }
    }
    None
}

#[test]
fn overrides_apply_at_once_through_the_socket_and_at_start_from_the_data_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (server, metrics) = common::start_with_metrics(&data, &[]);
    let account = only_account(&data, &[]);
    // Off by default.
    assert_eq!(first_slow_down(&server, 50), None);

    let set = set_limit(&data, &account, "2/s", "2", &[]);
    assert_eq!(set, vec![format!("{account}  2/s burst 2")]);
    // Applied before the command answered: the third request of a burst is refused.
    assert_eq!(first_slow_down(&server, 10).as_deref(), Some("1"));
    let scrape = scrape_metrics(metrics);
    let series = format!("s4_rate_limited_total{{account=\"{account}\"}}");
    assert!(metric(&scrape, &series) >= 1, "{scrape}");
    assert_eq!(
        admin_ok(&data, &["show-rate-limit"]),
        vec![format!("{account}  2/s burst 2")]
    );

    admin_ok(&data, &["set-rate-limit", "--account", &account, "--clear"]);
    assert_eq!(first_slow_down(&server, 50), None, "cleared at once");
    assert!(
        admin_ok(&data, &["show-rate-limit", "--account", &account])[0]
            .starts_with("no rate-limit override")
    );

    // Refusals: a malformed rate, a rate with --clear, an unknown account; nothing stored.
    for args in [
        vec!["set-rate-limit", "--account", &account, "100"],
        vec!["set-rate-limit", "--account", &account, "0/s"],
        vec!["set-rate-limit", "--account", &account, "5/s", "--clear"],
        vec!["set-rate-limit", "--account", "000000000000001", "5/s"],
        vec!["set-rate-limit", "--account", &account],
    ] {
        let out = admin(&data, &args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!out.stderr.is_empty(), "{args:?}: no reason given");
    }
    assert!(admin_ok(&data, &["show-rate-limit"])[0].starts_with("no rate-limit override"));
    drop(server);

    // Set on the stopped data dir: the next start reads it.
    set_limit(&data, &account, "1/s", "1", &[]);
    let server = common::start(&data);
    assert_eq!(first_slow_down(&server, 10).as_deref(), Some("1"));
}

#[test]
fn the_default_limit_applies_to_every_account_and_a_refused_put_stores_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let server = common::start_with(
        &data,
        &["--account-rate-limit", "1/s", "--account-rate-burst", "3"],
    );
    let (status, _) = request(server.addr, &Method::PUT, "/bucket", b"").expect("create");
    assert_eq!(status, 200);
    let mut stored = Vec::new();
    for i in 0..10 {
        let key = format!("/bucket/k{i}");
        let (status, body) = request(server.addr, &Method::PUT, &key, b"hello").expect("put");
        match status {
            200 => stored.push(format!("k{i}")),
            503 => {
                assert!(String::from_utf8_lossy(&body).contains("SlowDown"));
                break;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(stored.len() <= 2, "{stored:?}");
    // Once a token is back, the listing holds exactly the accepted PUTs.
    std::thread::sleep(Duration::from_millis(1100));
    let listing =
        common::request_with(server.addr, &Method::GET, "/bucket", &[], b"").expect("list");
    assert_eq!(listing.status, 200);
    assert_eq!(listing.xml_all("Key"), stored);
}

/// The cluster's way: `admin set-rate-limit --meta URL` writes the database; a running server
/// applies it within its reload interval (5 s).
#[test]
fn an_override_on_postgres_reaches_a_running_server() {
    let Some(url) = common::test_database("s4_rate") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let blobs = dir.path().join("blobs");
    let child = Command::new(env!("CARGO_BIN_EXE_s4-server"))
        .arg("--data-dir")
        .arg(&blobs)
        .args(["--meta", &url, "--listen", "127.0.0.1:0"])
        .env("S4_ROOT_ACCESS_KEY", common::ACCESS_KEY)
        .env("S4_ROOT_SECRET_KEY", common::SECRET_KEY)
        .env("S4_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start s4-server");
    let server = common::attach(child);
    let account = only_account(&blobs, &["--meta", &url]);
    assert_eq!(first_slow_down(&server, 20), None);
    set_limit(&blobs, &account, "1/s", "1", &["--meta", &url]);
    assert_eq!(
        admin_ok(&blobs, &["show-rate-limit", "--meta", &url]),
        vec![format!("{account}  1/s burst 1")]
    );
    let set = Instant::now();
    while first_slow_down(&server, 3).is_none() {
        assert!(
            set.elapsed() < Duration::from_secs(8),
            "the override did not reach the server within its 5 s reload interval"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
