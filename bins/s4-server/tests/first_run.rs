//! First run on the real binary: a server that cannot listen creates no account and prints no
//! secret; admin commands refuse a data dir that does not exist and create nothing, whether
//! the flags come before or after the subcommand.

#[allow(dead_code)]
mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use common::run_to_exit;

/// Runs `s4-server ARGS` in `cwd` to its exit (with a generous deadline), without any
/// S4_* setting from the environment the tests run in.
fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s4-server"));
    command.current_dir(cwd).args(args).env("S4_LOG", "warn");
    for (name, _) in std::env::vars() {
        if name.starts_with("S4_") && name != "S4_LOG" {
            command.env_remove(name);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    run_to_exit(command)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_busy_port_creates_no_account_and_prints_no_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8 path");
    let busy = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();

    // A generated key, then a given one: neither may be stored.
    for env in [
        &[][..],
        &[
            ("S4_ROOT_ACCESS_KEY", "AKIAFIRSTRUN00000001"),
            (
                "S4_ROOT_SECRET_KEY",
                "firstrunsecretfirstrunsecretfirstrunsecr",
            ),
        ][..],
    ] {
        let out = run(
            dir.path(),
            &["--data-dir", data_arg, "--listen", &addr],
            env,
        );
        assert!(!out.status.success(), "the server started on a busy port");
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(
            stderr.contains(&format!("cannot listen on {addr}")),
            "{stderr}"
        );
        assert!(!stdout.contains("secret"), "{stdout}");
        assert!(!stdout.contains("account"), "{stdout}");
        let accounts = run(
            dir.path(),
            &["admin", "list-accounts", "--data-dir", data_arg],
            &[],
        );
        assert!(accounts.status.success(), "{}", text(&accounts.stderr));
        assert_eq!(text(&accounts.stdout), "", "no account was created");
    }
    drop(busy);
}

#[test]
fn admin_refuses_a_missing_data_dir_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing");
    let missing_arg = missing.to_str().expect("utf-8 path");
    let refusals = [
        // The flag after the subcommand, before it, from the environment, and none at all
        // (./data in a directory that has none).
        run(
            dir.path(),
            &["admin", "list-accounts", "--data-dir", missing_arg],
            &[],
        ),
        run(
            dir.path(),
            &["--data-dir", missing_arg, "admin", "list-accounts"],
            &[],
        ),
        run(
            dir.path(),
            &["admin", "create-account"],
            &[("S4_DATA_DIR", missing_arg)],
        ),
        run(
            dir.path(),
            &["admin", "list-keys", "--account", "123456789012345"],
            &[],
        ),
    ];
    for out in &refusals {
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("does not exist"), "{stderr}");
        assert!(stderr.contains("create-account --init"), "{stderr}");
        assert_eq!(text(&out.stdout), "");
    }
    assert!(
        !missing.exists(),
        "the refused commands created the data dir"
    );
    assert!(
        !dir.path().join("data").exists(),
        "a refused command created ./data"
    );

    // A file where the data dir should be is refused the same way.
    let file = dir.path().join("file");
    std::fs::write(&file, b"").expect("write");
    let out = run(
        dir.path(),
        &["admin", "list-accounts", "--data", file.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not a directory"));

    // `create-account --init` creates it on purpose; then the other commands work, with the
    // data dir from a config file given after the subcommand.
    let created = run(
        dir.path(),
        &[
            "admin",
            "create-account",
            "--init",
            "--data-dir",
            missing_arg,
        ],
        &[],
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let account = text(&created.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("account:").map(|a| a.trim().to_owned()))
        .expect("the new account");
    assert!(missing.is_dir());
    let config = dir.path().join("s4.toml");
    std::fs::write(&config, format!("data_dir = {missing_arg:?}\n")).expect("write config");
    let listed = run(
        dir.path(),
        &[
            "admin",
            "list-accounts",
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    );
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert!(
        text(&listed.stdout).starts_with(&account),
        "{}",
        text(&listed.stdout)
    );
}
