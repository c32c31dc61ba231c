//! `s4-server check-config` refuses each invalid value with a message naming its field, reports
//! every invalid field at once, and accepts host names and bracketed IPv6 as listen addresses.

use std::process::{Command, Output};

fn check_config(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_s4-server"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(args)
        .arg("check-config")
        .env_remove("S4_LOG")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn each_invalid_value_is_refused_naming_its_field() {
    for (args, env, named) in [
        (
            &["--domain", "bad domain"][..],
            &[][..],
            "domain \"bad domain\"",
        ),
        (&["--domain", "http://x"], &[], "domain \"http://x\""),
        (&["--domain", "s4.example.com:9000"], &[], "without a port"),
        (&[], &[("S4_DOMAIN", "a b")], "domain \"a b\""),
        (
            &["--log", "s4=loud"],
            &[],
            "log \"s4=loud\" (--log / S4_LOG)",
        ),
        (
            &[],
            &[("S4_LOG", "info,[{")],
            "log \"info,[{\" (--log / S4_LOG)",
        ),
        (&["--listen", "nowhere"], &[], "listen \"nowhere\""),
        (
            &["--listen", "localhost:http"],
            &[],
            "listen \"localhost:http\"",
        ),
        (
            &["--metrics-listen", "a b:9100"],
            &[],
            "metrics_listen \"a b:9100\"",
        ),
        (
            &["--tls-listen", "bad_host:9443"],
            &[],
            "tls_listen \"bad_host:9443\"",
        ),
    ] {
        let output = check_config(args, env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?} {env:?}: {stderr}");
    }
}

#[test]
fn every_invalid_field_is_reported_at_once() {
    let output = check_config(
        &[
            "--domain",
            "http://x",
            "--listen",
            "nowhere",
            "--metrics-listen",
            "x:y",
        ],
        &[("S4_LOG", "s4=loud")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    for named in [
        "domain \"http://x\"",
        "listen \"nowhere\"",
        "metrics_listen \"x:y\"",
        "log \"s4=loud\"",
    ] {
        assert!(stderr.contains(named), "{named}: {stderr}");
    }
}

#[test]
fn host_names_and_ipv6_listen_addresses_are_accepted() {
    let output = check_config(
        &[
            "--listen",
            "localhost:9000",
            "--metrics-listen",
            "[::1]:9100",
            "--domain",
            "s4.example.com",
            "--log",
            "info,s4::access=warn",
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("listen = \"127.0.0.1:9000\""), "{stdout}");
    assert!(
        stdout.contains("metrics_listen = \"[::1]:9100\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("log = \"info,s4::access=warn\""),
        "{stdout}"
    );
}
