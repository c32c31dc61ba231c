//! Durability of the whole server: acknowledged PUTs survive `kill -9`, and an interrupted
//! one leaves no trace but its old state. Starts the real binary, writes through HTTP with
//! SigV4-signed requests, SIGKILLs it mid-write several times, restarts it on the same data dir
//! and reads everything back.

#[allow(dead_code)]
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{request, start};
use http::Method;

/// Unique bytes per (key, generation), big enough to go to a blob file for some keys.
fn payload(key: usize, generation: usize) -> Vec<u8> {
    let len = if key.is_multiple_of(3) {
        200_000
    } else {
        1000 + key
    };
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
                        // The SIGKILL cut the connection: the only way this loop ends early.
                        Err(_) => break,
                        Ok((status, body)) => panic!(
                            "PUT k{key} answered {status} before the kill: {}",
                            String::from_utf8_lossy(&body)
                        ),
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
