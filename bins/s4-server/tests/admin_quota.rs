//! Storage quotas end to end: `admin set-quota` / `show-quota` / `list-accounts` through the
//! running server's socket and on the stopped data dir, and the refusals a client sees
//! (403 AccountProblem, 400 TooManyBuckets, each with a RequestId) that store nothing.

#[allow(dead_code)]
mod common;

use std::path::Path;

use common::{admin, request, Server};
use http::Method;

fn admin_lines(data_dir: &Path, args: &[&str]) -> String {
    let out = admin(data_dir, args);
    assert!(
        out.status.success(),
        "admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn only_account(data_dir: &Path) -> String {
    admin_lines(data_dir, &["list-accounts"])
        .split_whitespace()
        .next()
        .expect("account")
        .to_owned()
}

/// The status and body text of a request.
fn send(server: &Server, method: &Method, path: &str, body: &[u8]) -> (u16, String) {
    let (status, body) = request(server.addr, method, path, body).expect("request");
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[test]
fn quotas_set_over_the_socket_and_on_the_data_dir_refuse_and_store_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut server = common::start(&data);
    assert_eq!(send(&server, &Method::PUT, "/first", b"").0, 200);
    assert_eq!(
        send(&server, &Method::PUT, "/first/kept", b"0123456789").0,
        200
    );
    let account = only_account(&data);

    // Through the socket: 15 bytes and one bucket.
    let shown = admin_lines(
        &data,
        &[
            "set-quota",
            "--account",
            &account,
            "--max-bytes",
            "15",
            "--max-buckets",
            "1",
        ],
    );
    assert!(shown.contains("max-bytes    10/15"), "{shown}");
    assert!(shown.contains("max-objects  1/unlimited"), "{shown}");
    assert!(shown.contains("max-buckets  1/1"), "{shown}");

    let (status, body) = send(&server, &Method::PUT, "/first/over", b"123456");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccountProblem</Code>"), "{body}");
    assert!(body.contains("max-bytes limit of 15"), "{body}");
    assert!(body.contains("<RequestId>"), "{body}");
    assert_eq!(
        send(&server, &Method::HEAD, "/first/over", b"").0,
        404,
        "nothing stored"
    );
    let (status, body) = send(&server, &Method::PUT, "/second", b"");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<Code>TooManyBuckets</Code>"), "{body}");
    assert_eq!(
        send(&server, &Method::HEAD, "/second", b"").0,
        404,
        "no bucket created"
    );
    assert_eq!(send(&server, &Method::PUT, "/first/fits", b"12345").0, 200);
    let listed = admin_lines(&data, &["list-accounts"]);
    assert!(
        listed.contains("bytes 15/15  objects 2/unlimited  buckets 1/1"),
        "{listed}"
    );

    // On the stopped data dir: clear the byte limit, keep the bucket limit.
    server.kill();
    admin_lines(
        &data,
        &["set-quota", "--account", &account, "--max-bytes", "none"],
    );
    let shown = admin_lines(&data, &["show-quota", "--account", &account]);
    assert!(shown.contains("max-bytes    15/unlimited"), "{shown}");
    assert!(shown.contains("max-buckets  1/1"), "{shown}");
    let server = common::start(&data);
    assert_eq!(send(&server, &Method::PUT, "/first/over", b"123456").0, 200);
    assert_eq!(send(&server, &Method::PUT, "/second", b"").0, 400);

    // Refused arguments.
    let out = admin(&data, &["set-quota", "--account", &account]);
    assert_eq!(out.status.code(), Some(1), "no limit given");
    let out = admin(
        &data,
        &["set-quota", "--account", &account, "--max-objects", "many"],
    );
    assert!(!out.status.success(), "a malformed limit");
}

#[test]
fn quota_figures_and_refusals_are_in_the_metrics_and_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let (server, metrics) = common::start_logged_with_metrics(&data, &log, &[]);
    assert_eq!(send(&server, &Method::PUT, "/only", b"").0, 200);
    assert_eq!(
        send(&server, &Method::PUT, "/only/kept", b"0123456789").0,
        200
    );
    let account = only_account(&data);
    let quota = format!("s4_account_quota_bytes{{account=\"{account}\"}}");
    let used = format!("s4_account_used_bytes{{account=\"{account}\"}}");
    // No quota yet: no figures for the account.
    let scrape = common::scrape_metrics(metrics);
    assert!(
        !scrape.contains(&quota) && !scrape.contains(&used),
        "{scrape}"
    );

    admin_lines(
        &data,
        &[
            "set-quota",
            "--account",
            &account,
            "--max-bytes",
            "12",
            "--max-objects",
            "2",
            "--max-buckets",
            "1",
        ],
    );
    assert_eq!(send(&server, &Method::PUT, "/only/big", b"123").0, 403);
    assert_eq!(send(&server, &Method::PUT, "/only/big", b"1234").0, 403);
    assert_eq!(send(&server, &Method::PUT, "/only/small", b"1").0, 200);
    assert_eq!(send(&server, &Method::PUT, "/only/third", b"").0, 403);
    assert_eq!(send(&server, &Method::PUT, "/other", b"").0, 400);

    let scrape = common::scrape_metrics(metrics);
    assert_eq!(common::metric(&scrape, &quota), 12, "{scrape}");
    assert_eq!(common::metric(&scrape, &used), 11, "{scrape}");
    let refusals = |limit: &str| {
        let series = format!("s4_quota_refusals_total{{account=\"{account}\",limit=\"{limit}\"}}");
        common::metric(&scrape, &series)
    };
    assert_eq!(refusals("max_bytes"), 2, "{scrape}");
    assert_eq!(refusals("max_objects"), 1, "{scrape}");
    assert_eq!(refusals("max_buckets"), 1, "{scrape}");

    // Deleting frees the figure at the next scrape.
    assert_eq!(send(&server, &Method::DELETE, "/only/kept", b"").0, 204);
    let scrape = common::scrape_metrics(metrics);
    assert_eq!(common::metric(&scrape, &used), 1, "{scrape}");

    // One warning per refusal, naming the account and the limit.
    let text = std::fs::read_to_string(&log).expect("read the log");
    let warnings: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("refused by the account's storage quota"))
        .collect();
    assert_eq!(warnings.len(), 4, "{text}");
    assert!(
        warnings
            .iter()
            .all(|l| l.contains(&account) && l.contains("WARN")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|l| l.contains("max_buckets")),
        "{warnings:?}"
    );
}

#[test]
fn new_accounts_get_the_configured_default_quota_and_keep_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut server = common::start_with(
        &data,
        &["--default-max-bytes", "1KiB", "--default-max-buckets", "1"],
    );
    let root = only_account(&data);
    let shown = admin_lines(&data, &["show-quota", "--account", &root]);
    assert!(shown.contains("max-bytes    0/1024"), "{shown}");
    assert!(shown.contains("max-objects  0/unlimited"), "{shown}");
    assert!(shown.contains("max-buckets  0/1"), "{shown}");
    assert_eq!(send(&server, &Method::PUT, "/one", b"").0, 200);
    assert_eq!(
        send(&server, &Method::PUT, "/two", b"").0,
        400,
        "max-buckets 1"
    );

    // Through the running server's socket: the command's configuration (here the environment)
    // gives the default.
    let created = std::process::Command::new(env!("CARGO_BIN_EXE_s4-server"))
        .args(["admin", "create-account", "--data-dir"])
        .arg(&data)
        .env_remove("S4_DATA_DIR")
        .env_remove("S4_DATA")
        .env("S4_DEFAULT_MAX_OBJECTS", "7")
        .output()
        .expect("run admin create-account");
    assert!(created.status.success(), "{created:?}");
    let text = String::from_utf8_lossy(&created.stdout).into_owned();
    let second = text
        .lines()
        .find_map(|l| l.strip_prefix("account:"))
        .expect("account line")
        .trim()
        .to_owned();
    let shown = admin_lines(&data, &["show-quota", "--account", &second]);
    assert!(shown.contains("max-objects  0/7"), "{shown}");
    assert!(shown.contains("max-bytes    0/unlimited"), "{shown}");

    // A later start with another default changes no existing account.
    server.kill();
    let _server = common::start_with(&data, &["--default-max-bytes", "5"]);
    let shown = admin_lines(&data, &["show-quota", "--account", &root]);
    assert!(shown.contains("max-bytes    0/1024"), "{shown}");
    assert!(shown.contains("max-buckets  1/1"), "{shown}");
}
