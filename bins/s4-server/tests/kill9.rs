//! Durability of the whole server: acknowledged PUTs survive `kill -9`, and an interrupted
//! one leaves no trace but its old state. Starts the real binary, writes through HTTP with
//! SigV4-signed requests, SIGKILLs it mid-write several times, restarts it on the same data dir
//! and reads everything back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, Uri};
use s4_sigv4::{sign_headers, SignableBody, SigningParams};
use time::OffsetDateTime;

const ACCESS_KEY: &str = "AKIAKILLNINETEST0001";
const SECRET_KEY: &str = "killninesecretkillninesecretkillninesecr";

struct Server {
    child: Child,
    addr: SocketAddr,
}

fn start(data_dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_s4-server"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0"])
        .env("S4_ROOT_ACCESS_KEY", ACCESS_KEY)
        .env("S4_ROOT_SECRET_KEY", SECRET_KEY)
        .env("S4_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start s4-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited early")
            .expect("read stdout");
        if let Some(rest) = line.strip_prefix("s4-server listening on http://") {
            let addr = rest.split_whitespace().next().expect("address");
            break addr.parse().expect("socket address");
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

/// One signed HTTP/1.1 request on a fresh connection; returns (status, body).
fn request(
    addr: SocketAddr,
    method: &Method,
    path: &str,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
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
    let signed =
        sign_headers(method, &uri, &headers, &params, &SignableBody::Bytes(body)).expect("sign");
    signed.apply_to(&mut headers);
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in &headers {
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(value.to_str().expect("ascii header"));
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("truncated response"))?;
    let status_line = String::from_utf8_lossy(&response[..split]);
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    Ok((status, response[split + 4..].to_vec()))
}

/// Unique bytes per (key, generation), big enough to go to a blob file for some keys.
fn payload(key: usize, generation: usize) -> Vec<u8> {
    let len = if key % 3 == 0 { 200_000 } else { 1000 + key };
    (0..len)
        .map(|i| ((i * 31 + key * 7 + generation * 13) % 251) as u8)
        .collect()
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let mut server = start(&data_dir);
    let (status, _) = request(server.addr, &Method::PUT, "/durable", b"").expect("create bucket");
    assert_eq!(status, 200);

    // key -> generation of the last acknowledged write; `in_flight` is the write that may or
    // may not have happened when the process died.
    let acknowledged: Arc<Mutex<Vec<Option<usize>>>> = Arc::new(Mutex::new(vec![None; 24]));
    let mut generation = 0usize;
    for round in 0..6u64 {
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let acknowledged = acknowledged.clone();
            let stop = stop.clone();
            let addr = server.addr;
            let start_generation = generation;
            std::thread::spawn(move || {
                let mut generation = start_generation;
                let mut in_flight = None;
                while !stop.load(Ordering::Relaxed) {
                    generation += 1;
                    let key = generation % 24;
                    in_flight = Some((key, generation));
                    match request(
                        addr,
                        &Method::PUT,
                        &format!("/durable/k{key}"),
                        &payload(key, generation),
                    ) {
                        Ok((200, _)) => {
                            acknowledged.lock().unwrap()[key] = Some(generation);
                            in_flight = None;
                        }
                        _ => break,
                    }
                }
                (generation, in_flight)
            })
        };
        std::thread::sleep(Duration::from_millis(150 + 97 * round));
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reap");
        stop.store(true, Ordering::Relaxed);
        let (last_generation, in_flight) = writer.join().expect("writer");
        eprintln!("round {round}: killed after write #{last_generation}, in flight: {in_flight:?}");
        generation = last_generation;

        server = start(&data_dir);
        let tmp = data_dir.join("tmp");
        let leftovers = std::fs::read_dir(&tmp).map_or(0, Iterator::count);
        assert_eq!(leftovers, 0, "temp files left in {}", tmp.display());
        let acked = acknowledged.lock().unwrap().clone();
        for (key, generation) in acked.iter().enumerate() {
            let (status, body) =
                request(server.addr, &Method::GET, &format!("/durable/k{key}"), b"").expect("get");
            match (generation, in_flight) {
                (_, Some((k, g))) if k == key && status == 200 && body == payload(key, g) => {
                    // The interrupted write completed before the kill: also fine, and now the
                    // acknowledged state.
                    acknowledged.lock().unwrap()[key] = Some(g);
                }
                (Some(g), _) => {
                    assert_eq!(status, 200, "round {round}: acknowledged k{key} missing");
                    assert!(
                        body == payload(key, *g),
                        "round {round}: k{key} has wrong bytes"
                    );
                }
                (None, _) => {
                    assert_eq!(status, 404, "round {round}: k{key} was never acknowledged");
                }
            }
        }
    }
    let acked = acknowledged
        .lock()
        .unwrap()
        .iter()
        .filter(|g| g.is_some())
        .count();
    assert!(acked > 0, "no write was ever acknowledged");
    server.child.kill().ok();
    server.child.wait().ok();
}
