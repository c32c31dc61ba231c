//! Multipart uploads on the real binary and its disk backend: `kill -9` during
//! CompleteMultipartUpload (after a restart the object is either complete and correct or
//! absent with the upload intact, and an acknowledged completion always survives), ranged GETs
//! across part boundaries through HTTP, parts' bytes released by abort, and the
//! `--multipart-expiry` task.

#[allow(dead_code)]
mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{blob_files, request_paused, request_with, start, start_with, Response, Server};
use http::Method;
use s4_storage::ETag;

const MIB: usize = 1024 * 1024;

fn send(server: &Server, method: &Method, path: &str, body: &[u8]) -> Response {
    request_with(server.addr, method, path, &[], body).expect("request")
}

fn payload(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 131 + seed * 17 + i / 4099) % 253) as u8)
        .collect()
}

/// Creates an upload of `key` with parts of these sizes; returns the upload ID, the parts'
/// ETags and the object's bytes.
fn upload_parts(
    server: &Server,
    key: &str,
    sizes: &[usize],
    seed: usize,
) -> (String, Vec<String>, Vec<u8>) {
    let r = send(server, &Method::POST, &format!("/mpu/{key}?uploads"), b"");
    assert_eq!(r.status, 200, "{r:?}");
    let id = r.xml("UploadId").expect("upload id");
    let mut etags = Vec::new();
    let mut all = Vec::new();
    // The last (smallest) part first, as concurrent clients often deliver it.
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.rotate_right(1);
    let mut by_number = vec![String::new(); sizes.len()];
    for &i in &order {
        let bytes = payload(seed * 10 + i, sizes[i]);
        let r = send(
            server,
            &Method::PUT,
            &format!("/mpu/{key}?partNumber={}&uploadId={id}", i + 1),
            &bytes,
        );
        assert_eq!(
            r.status,
            200,
            "part {}: {}",
            i + 1,
            String::from_utf8_lossy(&r.body)
        );
        r.header("etag")
            .expect("etag")
            .clone_into(&mut by_number[i]);
    }
    for (i, size) in sizes.iter().enumerate() {
        all.extend(payload(seed * 10 + i, *size));
        etags.push(by_number[i].clone());
    }
    (id, etags, all)
}

fn complete_body(etags: &[String]) -> Vec<u8> {
    let mut body = String::from("<CompleteMultipartUpload>");
    for (i, etag) in etags.iter().enumerate() {
        let _ = write!(
            body,
            "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>",
            i + 1
        );
    }
    body.push_str("</CompleteMultipartUpload>");
    body.into_bytes()
}

fn multipart_etag(etags: &[String]) -> String {
    let md5s: Vec<[u8; 16]> = etags
        .iter()
        .map(|e| ETag::parse(e).md5().expect("part etags are MD5s"))
        .collect();
    ETag::multipart(md5s.iter()).quoted()
}

/// Ranged GETs inside a part, across one and several part boundaries, open-ended and suffix.
fn check_ranges(server: &Server, key: &str, all: &[u8], part: usize) {
    let len = all.len();
    let range = format!("bytes={}-{}", part - 10, part + 9);
    let head = request_with(
        server.addr,
        &Method::HEAD,
        &format!("/mpu/{key}"),
        &[("range", &range)],
        b"",
    )
    .expect("head");
    assert_eq!(head.status, 206, "HEAD {range}");
    assert_eq!(head.header("content-length"), Some("20"));
    assert!(head.body.is_empty());
    let cases = [
        (0, 99),
        (part - 10, part + 9),
        (part - 1, 2 * part),
        (part / 2, len - 1),
        (2 * part, 2 * part),
    ];
    for (first, last) in cases {
        let range = format!("bytes={first}-{last}");
        let r = request_with(
            server.addr,
            &Method::GET,
            &format!("/mpu/{key}"),
            &[("range", &range)],
            b"",
        )
        .expect("get");
        assert_eq!(r.status, 206, "{range}");
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes {first}-{last}/{len}").as_str())
        );
        assert!(r.body == all[first..=last], "{range}: wrong bytes");
    }
    for (range, start) in [
        (format!("bytes={}-", part + 3), part + 3),
        ("bytes=-1000".to_owned(), len - 1000),
    ] {
        let r = request_with(
            server.addr,
            &Method::GET,
            &format!("/mpu/{key}"),
            &[("range", &range)],
            b"",
        )
        .expect("get");
        assert_eq!(r.status, 206, "{range}");
        assert!(r.body == all[start..], "{range}: wrong bytes");
    }
}

fn assert_no_temp_files(data_dir: &Path) {
    let tmp = data_dir.join("tmp");
    let leftovers = std::fs::read_dir(&tmp).map_or(0, Iterator::count);
    assert_eq!(leftovers, 0, "temp files left in {}", tmp.display());
}

#[test]
fn sigkill_during_completion_leaves_complete_object_or_intact_upload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let mut server = start(&data_dir);
    assert_eq!(send(&server, &Method::PUT, "/mpu", b"").status, 200);
    let sizes = [5 * MIB, 5 * MIB, MIB + 17];
    let (mut completed_before, mut absent_after) = (0, 0);
    for round in 0..8usize {
        let key = format!("obj{round}");
        let (id, etags, all) = upload_parts(&server, &key, &sizes, round);
        let addr = server.addr;
        let body = complete_body(&etags);
        let path = format!("/mpu/{key}?uploadId={id}");
        let completer =
            std::thread::spawn(move || request_with(addr, &Method::POST, &path, &[], &body));
        // Kill at increasing delays: before, during and after the commit.
        std::thread::sleep(Duration::from_micros(700 * round as u64 * round as u64));
        server.kill();
        let acknowledged = matches!(completer.join().expect("completer"), Ok(r) if r.status == 200);

        server = start(&data_dir);
        assert_no_temp_files(&data_dir);
        let get = send(&server, &Method::GET, &format!("/mpu/{key}"), b"");
        let parts = send(
            &server,
            &Method::GET,
            &format!("/mpu/{key}?uploadId={id}"),
            b"",
        );
        let uploads = send(&server, &Method::GET, "/mpu?uploads", b"");
        match get.status {
            200 => {
                completed_before += 1;
                assert!(
                    get.body == all,
                    "round {round}: completed object has wrong bytes"
                );
                assert_eq!(get.header("etag"), Some(multipart_etag(&etags).as_str()));
                assert_eq!(
                    parts.status, 404,
                    "round {round}: completed upload still listed"
                );
                assert_eq!(parts.xml("Code").as_deref(), Some("NoSuchUpload"));
                assert!(!uploads.xml_all("UploadId").contains(&id));
            }
            404 => {
                absent_after += 1;
                assert!(
                    !acknowledged,
                    "round {round}: an acknowledged completion was lost"
                );
                assert_eq!(
                    parts.status, 200,
                    "round {round}: the upload is gone but no object"
                );
                assert_eq!(parts.xml_all("PartNumber"), ["1", "2", "3"]);
                assert!(uploads.xml_all("UploadId").contains(&id));
                // Completing now works and gives the right object.
                let r = send(
                    &server,
                    &Method::POST,
                    &format!("/mpu/{key}?uploadId={id}"),
                    &complete_body(&etags),
                );
                assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
                let get = send(&server, &Method::GET, &format!("/mpu/{key}"), b"");
                assert!(get.body == all);
            }
            other => panic!("round {round}: GET answered {other}"),
        }
        check_ranges(&server, &key, &all, 5 * MIB);
    }
    eprintln!("kill -9 during completion: {completed_before} completed before the kill, {absent_after} not");
    // Every object holds exactly its three part blobs: nothing leaked, nothing lost.
    assert_eq!(blob_files(&data_dir), 3 * 8);
    server.kill();
}

#[test]
fn abort_releases_parts_and_expiry_aborts_abandoned_uploads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    // The default expiry (7 days) while uploads must stay: a 2 s expiry from the start
    // aborted them mid-test on a loaded machine, where these steps take longer than 2 s.
    let mut server = start(&data_dir);
    assert_eq!(send(&server, &Method::PUT, "/mpu", b"").status, 200);
    let before = blob_files(&data_dir);
    let (id, _, _) = upload_parts(&server, "gone", &[5 * MIB, 1000], 1);
    assert_eq!(blob_files(&data_dir), before + 2);
    // Refused parts leave no file: a re-upload, an empty part. The re-upload is refused before
    // its body is read, so it is sent as SDKs send parts, with `Expect: 100-continue`: a plain
    // 5 MiB write could meet the closed connection (a broken pipe) on a loaded machine.
    let path = format!("/mpu/gone?partNumber=1&uploadId={id}");
    let r = request_with(
        server.addr,
        &Method::PUT,
        &path,
        &[("expect", "100-continue")],
        &payload(0, 5 * MIB),
    )
    .expect("request");
    assert_eq!(
        (r.status, r.xml("Code").as_deref()),
        (400, Some("InvalidPart"))
    );
    let path = format!("/mpu/gone?partNumber=3&uploadId={id}");
    let r = send(&server, &Method::PUT, &path, b"");
    assert_eq!(
        (r.status, r.xml("Code").as_deref()),
        (400, Some("InvalidPart"))
    );
    assert_eq!(blob_files(&data_dir), before + 2);
    let r = send(
        &server,
        &Method::DELETE,
        &format!("/mpu/gone?uploadId={id}"),
        b"",
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        blob_files(&data_dir),
        before,
        "abort left part files behind"
    );
    let r = send(
        &server,
        &Method::DELETE,
        &format!("/mpu/gone?uploadId={id}"),
        b"",
    );
    assert_eq!(r.status, 404);

    // An abort while a part is still being received: the part is refused with NoSuchUpload
    // and its bytes are discarded.
    let (id, _, _) = upload_parts(&server, "midway", &[5 * MIB, 1000], 4);
    assert_eq!(blob_files(&data_dir), before + 2);
    let big = payload(44, 5 * MIB);
    let addr = server.addr;
    let r = request_paused(
        addr,
        &Method::PUT,
        &format!("/mpu/midway?partNumber=3&uploadId={id}"),
        &[],
        &big,
        MIB,
        || {
            std::thread::sleep(Duration::from_millis(100));
            let (status, _) = common::request(
                addr,
                &Method::DELETE,
                &format!("/mpu/midway?uploadId={id}"),
                b"",
            )
            .expect("abort");
            assert_eq!(status, 204);
        },
    )
    .expect("part upload");
    assert_eq!(
        (r.status, r.xml("Code").as_deref()),
        (404, Some("NoSuchUpload"))
    );
    assert_eq!(
        blob_files(&data_dir),
        before,
        "the in-flight part left a file behind"
    );
    assert_no_temp_files(&data_dir);

    // A size violation aborts the upload and releases its parts too: part 3 makes part 2
    // (1000 bytes) a non-last part under 5 MiB.
    let (id, _, _) = upload_parts(&server, "violated", &[5 * MIB, 1000], 3);
    assert_eq!(blob_files(&data_dir), before + 2);
    let path = format!("/mpu/violated?partNumber=3&uploadId={id}");
    let r = send(&server, &Method::PUT, &path, b"tail");
    assert_eq!(
        (r.status, r.xml("Code").as_deref()),
        (400, Some("EntityTooSmall"))
    );
    assert_eq!(
        blob_files(&data_dir),
        before,
        "the aborted upload left part files behind"
    );
    let r = send(
        &server,
        &Method::GET,
        &format!("/mpu/violated?uploadId={id}"),
        b"",
    );
    assert_eq!(r.status, 404);

    // An abandoned upload is aborted by the expiry task once older than 2 s: it is made
    // under the default expiry, then the server restarts with `--multipart-expiry 2s`.
    let (id, _, _) = upload_parts(&server, "abandoned", &[5 * MIB, 1000], 2);
    assert_eq!(blob_files(&data_dir), before + 2);
    server.kill();
    let mut server = start_with(&data_dir, &["--multipart-expiry", "2s"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let uploads = send(&server, &Method::GET, "/mpu?uploads", b"");
        if !uploads.xml_all("UploadId").contains(&id) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the abandoned upload never expired"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let r = send(
        &server,
        &Method::GET,
        &format!("/mpu/abandoned?uploadId={id}"),
        b"",
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        blob_files(&data_dir),
        before,
        "expiry left part files behind"
    );
    server.kill();
}

#[test]
fn racing_completions_on_disk_exactly_one_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let mut server = start(&data_dir);
    assert_eq!(send(&server, &Method::PUT, "/mpu", b"").status, 200);
    for round in 0..3usize {
        let key = format!("race{round}");
        let (id, etags, all) = upload_parts(&server, &key, &[5 * MIB, 4096], round);
        let body = complete_body(&etags);
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let racers: Vec<_> = (0..8)
            .map(|_| {
                let (addr, body, barrier) = (server.addr, body.clone(), barrier.clone());
                let path = format!("/mpu/{key}?uploadId={id}");
                std::thread::spawn(move || {
                    barrier.wait();
                    request_with(addr, &Method::POST, &path, &[], &body).expect("complete")
                })
            })
            .collect();
        let results: Vec<Response> = racers
            .into_iter()
            .map(|t| t.join().expect("racer"))
            .collect();
        let winners = results.iter().filter(|r| r.status == 200).count();
        assert_eq!(winners, 1, "round {round}: {winners} completions succeeded");
        for r in results.iter().filter(|r| r.status != 200) {
            assert_eq!(r.status, 404);
            assert_eq!(r.xml("Code").as_deref(), Some("NoSuchUpload"));
        }
        let get = send(&server, &Method::GET, &format!("/mpu/{key}"), b"");
        assert!(get.body == all);
        assert_eq!(get.header("etag"), Some(multipart_etag(&etags).as_str()));
    }
    assert_eq!(blob_files(&data_dir), 2 * 3);
    server.kill();
}
