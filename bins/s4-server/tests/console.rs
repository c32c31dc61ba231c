//! The web console is served by the binary by default, and `--console off` removes it.

#[allow(dead_code)]
mod common;

#[test]
fn served_by_default_and_gone_with_console_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = common::start(&dir.path().join("on"));
    let (status, body) = common::unsigned_get(server.addr, "/_s4/console/");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<script type=\"module\" src=\"js/main.js\">"),
        "{body}"
    );
    let (status, body) = common::unsigned_get(server.addr, "/_s4/console/js/sigv4.js");
    assert_eq!(status, 200, "{body}");
    server.kill();

    let mut server = common::start_with(&dir.path().join("off"), &["--console", "off"]);
    let (status, body) = common::unsigned_get(server.addr, "/_s4/console/");
    // Answered as any S3 path: an anonymous request naming the (impossible) bucket `_s4`.
    assert_ne!(status, 200, "{body}");
    assert!(
        body.contains("<Error>") && body.contains("<RequestId>"),
        "{body}"
    );
    server.kill();
}
