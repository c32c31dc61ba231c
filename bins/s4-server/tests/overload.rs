//! Many slow uploads at once against the real binary: the server's memory stays under a
//! ceiling and other clients are still served promptly.
//!
//! CI size: 200 connections, each announcing a 64 MiB PUT and trickling 16 KiB every 100 ms
//! for about 3 seconds (then giving up, as a stalled client does). The full size is
//! `S4_OVERLOAD_CONNECTIONS=2000 S4_OVERLOAD_SECONDS=20 cargo test -p s4-server --test overload
//! -- --nocapture`; its figures are in docs/reliability.md.

#[allow(dead_code)]
mod common;

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{metric, request, scrape_metrics, start_with_metrics, ACCESS_KEY, SECRET_KEY};
use http::{HeaderMap, HeaderValue, Method, Uri};
use s4_sigv4::{sign_headers, SignableBody, SigningParams, UNSIGNED_PAYLOAD};
use time::OffsetDateTime;

/// The ceiling on the server's resident memory (MiB): a fixed base plus a bounded cost per
/// request slot in use. A slow upload on the disk backend holds hyper's read buffer (up to
/// 4 x (max_uri_bytes + max_header_bytes) = 128 KiB), the body channel and a 256 KiB write
/// buffer in its writer thread: about 1.1 MiB measured, budgeted at 1.5 MiB. So the server's
/// memory is bounded by `max_requests` (default 1024: about 1.6 GiB worst case).
fn rss_ceiling_mib(in_flight: u64) -> u64 {
    64 + in_flight * 3 / 2
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server's resident memory; panics when it cannot be read (a missing figure must not
/// read as a small one).
fn rss_mib(pid: u32) -> u64 {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no VmRSS line in {path}:\n{status}"));
    kib / 1024
}

fn in_flight(metrics: std::net::SocketAddr) -> u64 {
    let value = metric(&scrape_metrics(metrics), "s4_in_flight_requests");
    u64::try_from(value).expect("a count")
}

fn slow_put_head(addr: std::net::SocketAddr, key: &str, length: u64) -> String {
    let path = format!("/slow/{key}");
    let uri: Uri = format!("http://{addr}{path}").parse().expect("uri");
    let mut headers = HeaderMap::new();
    headers.insert(
        "host",
        HeaderValue::from_str(&addr.to_string()).expect("host"),
    );
    let params = SigningParams::new(
        ACCESS_KEY,
        SECRET_KEY,
        "us-east-1",
        "s3",
        OffsetDateTime::now_utc(),
    );
    let body = SignableBody::Precomputed(UNSIGNED_PAYLOAD.into());
    let signed = sign_headers(&Method::PUT, &uri, &headers, &params, &body).expect("sign");
    signed.apply_to(&mut headers);
    let mut head = format!("PUT {path} HTTP/1.1\r\ncontent-length: {length}\r\n");
    for (name, value) in &headers {
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(value.to_str().expect("ascii"));
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head
}

#[test]
fn many_slow_uploads_keep_memory_bounded_and_others_served() {
    let connections = env_or("S4_OVERLOAD_CONNECTIONS", 200) as usize;
    let seconds = env_or("S4_OVERLOAD_SECONDS", 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let (mut server, metrics) = start_with_metrics(
        &data_dir,
        &[
            "--max-requests",
            &(connections + 64).to_string(),
            "--max-connections",
            &(connections + 128).to_string(),
        ],
    );
    let pid = server.child.id();
    let addr = server.addr;
    let (status, _) = request(addr, &Method::PUT, "/slow", b"").expect("bucket");
    assert_eq!(status, 200);
    let (status, _) = request(addr, &Method::PUT, "/slow/small", b"hello").expect("small");
    assert_eq!(status, 200);
    let rss_idle = rss_mib(pid);

    // Open every slow upload: the head and a first chunk.
    let announced = 64u64 << 20;
    let chunk = vec![0x5au8; 16 * 1024];
    let mut streams = Vec::with_capacity(connections);
    for i in 0..connections {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .write_all(slow_put_head(addr, &format!("k{i}"), announced).as_bytes())
            .expect("head");
        stream.write_all(&chunk).expect("first chunk");
        streams.push(stream);
    }

    // Meanwhile: another client GETs a small object in a loop; its latencies are recorded.
    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let other = {
        let stop = stop.clone();
        let latencies = latencies.clone();
        std::thread::spawn(move || {
            let mut failures = 0;
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                match request(addr, &Method::GET, "/slow/small", b"") {
                    Ok((200, body)) if body == b"hello" => {
                        latencies.lock().unwrap().push(started.elapsed());
                    }
                    _ => failures += 1,
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            failures
        })
    };

    // Trickle: 16 KiB to every connection every 100 ms; sample the server's RSS and its
    // requests in flight. The measured `seconds` start once every upload is in flight (on a
    // loaded machine the server may take a while to accept them all).
    let all_held_by = Instant::now() + Duration::from_mins(2);
    let mut held_since: Option<Instant> = None;
    let mut peak = rss_idle;
    let mut sent_per_connection = chunk.len() as u64;
    let mut write_errors = 0usize;
    let mut held;
    loop {
        for stream in &mut streams {
            if stream.write_all(&chunk).is_err() {
                write_errors += 1;
            }
        }
        sent_per_connection += chunk.len() as u64;
        peak = peak.max(rss_mib(pid));
        held = in_flight(metrics);
        if held >= connections as u64 && held_since.is_none() {
            held_since = Some(Instant::now());
        }
        match held_since {
            Some(since) if since.elapsed() >= Duration::from_secs(seconds) => break,
            None => assert!(
                Instant::now() < all_held_by,
                "only {held} of {connections} slow uploads ever in flight"
            ),
            Some(_) => {}
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    let failures = other.join().expect("other client");
    peak = peak.max(rss_mib(pid));
    // The slow clients give up: the uploads fail and leave nothing.
    drop(streams);

    let ceiling = rss_ceiling_mib(connections as u64);
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    assert!(!latencies.is_empty(), "the other client was never served");
    let p50 = latencies[latencies.len() / 2];
    let p99 = latencies[latencies.len() * 99 / 100];
    let max = *latencies.last().expect("max");
    eprintln!(
        "overload: {connections} slow PUTs x {} KiB sent of {} MiB announced over {seconds}s; \
         server RSS idle {rss_idle} MiB, peak {peak} MiB (ceiling {ceiling}), {held} requests in \
         flight at the end; other \
         client: {} GETs, {failures} failed, p50 {p50:?}, p99 {p99:?}, max {max:?}",
        sent_per_connection / 1024,
        announced >> 20,
        latencies.len(),
    );
    assert_eq!(failures, 0, "the other client's requests failed");
    // Every slow upload was still being received at the end: none was cut off or finished.
    assert_eq!(write_errors, 0, "writes to the slow uploads failed");
    assert!(
        held >= connections as u64,
        "only {held} of {connections} slow uploads in flight at the end"
    );
    assert!(
        peak < ceiling,
        "RSS {peak} MiB over the ceiling {ceiling} MiB"
    );
    // Served, and promptly: on two shared cores with 2,000 uploads writing to disk the tail
    // reaches a few seconds, the median stays in milliseconds.
    assert!(p50 < Duration::from_millis(500), "other client p50 {p50:?}");
    assert!(max < Duration::from_secs(10), "other client max {max:?}");

    // Once the slow clients are gone nothing of theirs remains.
    let tmp = data_dir.join("tmp");
    let started = Instant::now();
    while std::fs::read_dir(&tmp).map_or(0, Iterator::count) > 0
        && started.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(std::fs::read_dir(&tmp).map_or(0, Iterator::count), 0);
    let (status, list) = request(addr, &Method::GET, "/slow", b"").expect("list");
    assert_eq!(status, 200);
    assert_eq!(
        String::from_utf8_lossy(&list).matches("<Key>").count(),
        1,
        "only the small object is visible"
    );
    server.kill();
}
