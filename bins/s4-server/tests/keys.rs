//! Access-key lifecycle on the real binary: root-key rotation through `S4_ROOT_ACCESS_KEY`
//! (twice in a row, then a restart, then a conflicting secret), and recovery with
//! `admin reset-root-key` after every root key was deleted. Admin commands run through the
//! running server's socket and on the stopped data dir, with the flags after the subcommand.

#[allow(dead_code)]
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{admin, request_as, run_to_exit, Server};
use http::Method;

type Key = (&'static str, &'static str);

const K1: Key = (
    "AKIAROTATE0000000001",
    "first-secret-first-secret-first-secret-1",
);
const K2: Key = (
    "AKIAROTATE0000000002",
    "second-secret-second-secret-second-secr2",
);
const K3: Key = (
    "AKIAROTATE0000000003",
    "third-secret-third-secret-third-secret-3",
);

/// The server on `data_dir`, with `root` as S4_ROOT_ACCESS_KEY / S4_ROOT_SECRET_KEY (or
/// neither).
fn server_command(data_dir: &Path, root: Option<Key>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s4-server"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0"])
        .env("S4_LOG", "warn")
        .env_remove("S4_ROOT_ACCESS_KEY")
        .env_remove("S4_ROOT_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some((id, secret)) = root {
        command
            .env("S4_ROOT_ACCESS_KEY", id)
            .env("S4_ROOT_SECRET_KEY", secret);
    }
    command
}

/// Starts the server; also returns what it printed before listening.
fn start(data_dir: &Path, root: Option<Key>) -> (Server, String) {
    let child = server_command(data_dir, root)
        .spawn()
        .expect("start s4-server");
    let (server, printed) = common::attach_with_output(child);
    (server, printed.join("\n"))
}

/// An admin command that must succeed: its output lines.
fn admin_ok(data_dir: &Path, args: &[&str]) -> Vec<String> {
    let out = admin(data_dir, args);
    assert!(
        out.status.success(),
        "admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn only_account(data_dir: &Path) -> String {
    let accounts = admin_ok(data_dir, &["list-accounts"]);
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    accounts[0]
        .split_whitespace()
        .next()
        .expect("account id")
        .to_owned()
}

/// ListBuckets signed with `key`: the status and the error code, if any.
fn list_buckets(server: &Server, (id, secret): (&str, &str)) -> (u16, Option<String>) {
    let response = request_as((id, secret), server.addr, &Method::GET, "/").expect("request");
    (response.status, response.xml("Code"))
}

fn works(server: &Server, key: (&str, &str)) {
    assert_eq!(
        list_buckets(server, key),
        (200, None),
        "signed with {}",
        key.0
    );
}

fn refused(server: &Server, key: (&str, &str)) {
    assert_eq!(
        list_buckets(server, key),
        (403, Some("InvalidAccessKeyId".to_owned())),
        "signed with {}",
        key.0
    );
}

/// `list-keys` rows as (key ID, status, last used), in the listed order.
fn keys(data_dir: &Path, account: &str) -> Vec<(String, String, String)> {
    admin_ok(data_dir, &["list-keys", "--account", account])
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.split("  ").collect();
            let last_used = line.rsplit("last used ").next().expect("last used");
            (
                fields[0].to_owned(),
                fields[2].to_owned(),
                last_used.to_owned(),
            )
        })
        .collect()
}

/// Waits until `list-keys` shows a last use of `key` (recorded in the background).
fn wait_for_last_use(data_dir: &Path, account: &str, key: &str) {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let rows = keys(data_dir, account);
        let row = rows.iter().find(|r| r.0 == key).expect("the key is listed");
        if row.2 != "never" {
            return;
        }
        assert!(Instant::now() < deadline, "no last use recorded: {rows:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn status_of(rows: &[(String, String, String)]) -> Vec<(&str, &str)> {
    rows.iter()
        .map(|(id, status, _)| (id.as_str(), status.as_str()))
        .collect()
}

#[test]
fn rotation_through_the_environment_twice_in_a_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");

    let (mut server, printed) = start(&data, Some(K1));
    assert!(
        printed.contains(&format!("Added root access key {}", K1.0)),
        "{printed}"
    );
    works(&server, K1);
    let account = only_account(&data);
    wait_for_last_use(&data, &account, K1.0);
    server.kill();

    // First rotation: K2 is added, K1 deactivated (kept).
    let (mut server, printed) = start(&data, Some(K2));
    assert!(
        printed.contains(&format!("Added root access key {}", K2.0)),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("deactivated the root key it replaces: {}", K1.0)),
        "{printed}"
    );
    works(&server, K2);
    refused(&server, K1);
    // Through the running server's socket.
    wait_for_last_use(&data, &account, K2.0);
    let rows = keys(&data, &account);
    assert_eq!(status_of(&rows), [(K1.0, "Inactive"), (K2.0, "Active")]);
    assert_ne!(rows[0].2, "never", "K1's use before the rotation is kept");
    server.kill();

    // Second rotation: at the limit of two, the inactive K1 makes room, K2 is deactivated.
    let (mut server, printed) = start(&data, Some(K3));
    assert!(
        printed.contains(&format!("Added root access key {}", K3.0)),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("deactivated the root key it replaces: {}", K2.0)),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "deleted the inactive root key {} to make room",
            K1.0
        )),
        "{printed}"
    );
    works(&server, K3);
    refused(&server, K2);
    refused(&server, K1);
    assert_eq!(
        status_of(&keys(&data, &account)),
        [(K2.0, "Inactive"), (K3.0, "Active")]
    );
    server.kill();

    // A restart with the same key changes nothing.
    let (mut server, printed) = start(&data, Some(K3));
    assert!(!printed.contains("Added root access key"), "{printed}");
    works(&server, K3);
    server.kill();
    assert_eq!(
        status_of(&keys(&data, &account)),
        [(K2.0, "Inactive"), (K3.0, "Active")]
    );

    // The same key ID with another secret refuses to start and names the fix.
    let changed: Key = (K3.0, "changed-secret-changed-secret-changed-se");
    let out = run_to_exit(server_command(&data, Some(changed)));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let fix = format!(
        "s4-server admin delete-key --account {account} --key {} --force",
        K3.0
    );
    assert!(stderr.contains(&fix), "{stderr}");
    assert_eq!(
        status_of(&keys(&data, &account)),
        [(K2.0, "Inactive"), (K3.0, "Active")],
        "the refused start changed nothing"
    );
    // Following the advice: the key is then added with the new secret.
    let args: Vec<&str> = fix.split_whitespace().skip(2).collect();
    admin_ok(&data, &args);
    let (mut server, printed) = start(&data, Some(changed));
    assert!(
        printed.contains(&format!("Added root access key {}", K3.0)),
        "{printed}"
    );
    works(&server, changed);
    assert_eq!(
        list_buckets(&server, K3),
        (403, Some("SignatureDoesNotMatch".to_owned())),
        "the old secret of the same key ID"
    );
    server.kill();
}

/// The secret printed by `create-key`, `rotate-root-key` or `reset-root-key`.
fn printed_key(lines: &[String]) -> (String, String) {
    let field = |name: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(name))
            .map_or_else(|| panic!("no {name} in {lines:?}"), |v| v.trim().to_owned())
    };
    (field("access key id:"), field("secret access key:"))
}

#[test]
fn reset_root_key_recovers_an_account_whose_keys_were_all_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (mut server, _) = start(&data, Some(K1));
    let account = only_account(&data);

    // A second root key, through the socket; the limit of two holds.
    let (k2_id, k2_secret) = printed_key(&admin_ok(&data, &["create-key", "--account", &account]));
    let k2 = (k2_id.as_str(), k2_secret.as_str());
    works(&server, k2);
    let third = admin(&data, &["create-key", "--account", &account]);
    assert!(!third.status.success());
    assert!(String::from_utf8_lossy(&third.stderr).contains("AccessKeysPerUser"));

    // Deactivate and activate.
    admin_ok(
        &data,
        &["deactivate-key", "--account", &account, "--key", K1.0],
    );
    refused(&server, K1);
    admin_ok(
        &data,
        &["activate-key", "--account", &account, "--key", K1.0],
    );
    works(&server, K1);

    // Deleting the last active root key needs --force and says what it means.
    admin_ok(
        &data,
        &["delete-key", "--account", &account, "--key", &k2_id],
    );
    refused(&server, k2);
    let out = admin(&data, &["delete-key", "--account", &account, "--key", K1.0]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("last active root key") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(stderr.contains("reset-root-key"), "{stderr}");
    works(&server, K1);
    let out = admin(
        &data,
        &["deactivate-key", "--account", &account, "--key", K1.0],
    );
    assert!(!out.status.success(), "deactivating it needs --force too");
    works(&server, K1);
    let lines = admin_ok(
        &data,
        &[
            "delete-key",
            "--account",
            &account,
            "--key",
            K1.0,
            "--force",
        ],
    );
    assert!(lines.iter().any(|l| l.starts_with("warning:")), "{lines:?}");
    refused(&server, K1);
    assert!(keys(&data, &account).is_empty());
    server.kill();

    // Recovery on the stopped data dir; the server then starts without a root key given.
    let (id, secret) = printed_key(&admin_ok(&data, &["reset-root-key", "--account", &account]));
    let (mut server, printed) = start(&data, None);
    assert!(!printed.contains("secret"), "{printed}");
    works(&server, (&id, &secret));
    let (status, _) = list_buckets(&server, (&id, "not-the-secret-not-the-secret-not-the-s"));
    assert_eq!(status, 403);
    server.kill();
}

/// A database of its own on the cluster `S4_TEST_POSTGRES_URL` points at (the scale-out
/// tests bootstrap their own root key in the default one).
fn fresh_database(url: &str) -> String {
    let name = format!("s4_keys_{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect to PostgreSQL");
        let connection = tokio::spawn(connection);
        // One statement each: several in one call would be one transaction, which
        // CREATE DATABASE refuses.
        for statement in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            client
                .batch_execute(&statement)
                .await
                .expect("create the test database");
        }
        drop(client);
        let _ = connection.await;
    });
    let (server, _) = url.rsplit_once('/').expect("a URL with a database name");
    format!("{server}/{name}")
}

#[test]
fn key_lifecycle_with_meta_on_postgres() {
    let Some(url) = common::postgres_url_or_skip() else {
        return;
    };
    let url = fresh_database(&url);
    let dir = tempfile::tempdir().expect("tempdir");
    let blobs = dir.path().join("blobs");
    let meta = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--meta", &url]);
        admin_ok(&blobs, &all)
    };
    let created = meta(&["create-account", "--init"]);
    let account = created[0].rsplit(' ').next().expect("account").to_owned();
    let first = printed_key(&created);
    let mut command = server_command(&blobs, None);
    command.args(["--meta", &url]);
    let (mut server, printed) =
        common::attach_with_output(command.spawn().expect("start s4-server"));
    assert!(!printed.iter().any(|l| l.contains("secret")), "{printed:?}");
    works(&server, (&first.0, &first.1));

    let rotated = printed_key(&meta(&["rotate-root-key", "--account", &account]));
    works(&server, (&rotated.0, &rotated.1));
    refused(&server, (&first.0, &first.1));
    let rows = admin_ok(
        &blobs,
        &["list-keys", "--account", &account, "--meta", &url],
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].starts_with(&format!("{}  root  Inactive", first.0)),
        "{rows:?}"
    );
    assert!(
        rows[1].starts_with(&format!("{}  root  Active", rotated.0)),
        "{rows:?}"
    );

    // Deleting the last active root key needs --force; then only a reset gets back in.
    let out = admin(
        &blobs,
        &[
            "delete-key",
            "--account",
            &account,
            "--key",
            &rotated.0,
            "--meta",
            &url,
        ],
    );
    assert!(!out.status.success());
    meta(&[
        "delete-key",
        "--account",
        &account,
        "--key",
        &rotated.0,
        "--force",
    ]);
    meta(&["deactivate-key", "--account", &account, "--key", &first.0]);
    refused(&server, (&rotated.0, &rotated.1));
    let reset = printed_key(&meta(&["reset-root-key", "--account", &account]));
    works(&server, (&reset.0, &reset.1));
    refused(&server, (&first.0, &first.1));
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let rows = meta(&["list-keys", "--account", &account]);
        let reset_row = rows
            .iter()
            .find(|r| r.starts_with(&reset.0))
            .expect("listed");
        if !reset_row.ends_with("last used never") {
            break;
        }
        assert!(Instant::now() < deadline, "no last use recorded: {rows:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = admin(
        &blobs,
        &[
            "delete-bucket-policy",
            "--account",
            &account,
            "--bucket",
            "none",
            "--meta",
            &url,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    server.kill();
}
