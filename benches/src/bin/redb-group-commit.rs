//! How much group commit would buy the small-object PUT path: durable 4 KiB inserts into a
//! redb table (the shape of an inline object record) from N concurrent writers, either one
//! `Durability::Immediate` commit per insert (what `s4-storage-fs` does today: one
//! `fdatasync` per PUT, serialized by redb's single writer) or grouped: a committer thread
//! drains every waiting insert into one transaction and answers each writer only after that
//! commit is durable.
//!
//! `cargo run --release -p s4-benches --bin redb-group-commit -- DIR [WRITERS] [SECONDS]`

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use redb::{Database, Durability, TableDefinition};

const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("objects");

type Job = (Vec<u8>, Vec<u8>, mpsc::SyncSender<()>);

fn per_op(db: &Arc<Database>, writers: usize, secs: u64) -> (u64, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut lat_max = Duration::ZERO;
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let (db, stop, done) = (Arc::clone(db), Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut max = Duration::ZERO;
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let key = format!("per-op/{w}/{i}").into_bytes();
                    let value = s4_benches::payload(i ^ ((w as u64) << 32), 4096);
                    let mut txn = db.begin_write().expect("begin");
                    txn.set_durability(Durability::Immediate);
                    txn.open_table(TABLE)
                        .expect("table")
                        .insert(key.as_slice(), value.as_slice())
                        .expect("insert");
                    txn.commit().expect("commit");
                    done.fetch_add(1, Ordering::Relaxed);
                    max = max.max(t.elapsed());
                    i += 1;
                }
                max
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        lat_max = lat_max.max(h.join().expect("writer"));
    }
    (done.load(Ordering::Relaxed), lat_max)
}

fn grouped(db: &Arc<Database>, writers: usize, secs: u64) -> (u64, Duration, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let (tx, rx) = mpsc::channel::<Job>();
    let committer = {
        let db = Arc::clone(db);
        std::thread::spawn(move || {
            let mut batches = 0u64;
            let mut items = 0u64;
            while let Ok(first) = rx.recv() {
                let mut batch = vec![first];
                batch.extend(rx.try_iter());
                let mut txn = db.begin_write().expect("begin");
                txn.set_durability(Durability::Immediate);
                {
                    let mut table = txn.open_table(TABLE).expect("table");
                    for (k, v, _) in &batch {
                        table.insert(k.as_slice(), v.as_slice()).expect("insert");
                    }
                }
                txn.commit().expect("commit");
                batches += 1;
                items += batch.len() as u64;
                for (_, _, reply) in batch {
                    let _ = reply.send(());
                }
            }
            (batches, items)
        })
    };
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let (tx, stop, done) = (tx.clone(), Arc::clone(&stop), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut max = Duration::ZERO;
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let key = format!("grouped/{w}/{i}").into_bytes();
                    let value = s4_benches::payload(i ^ ((w as u64) << 32), 4096);
                    let (reply_tx, reply_rx) = mpsc::sync_channel(1);
                    tx.send((key, value, reply_tx)).expect("committer");
                    reply_rx.recv().expect("durable");
                    done.fetch_add(1, Ordering::Relaxed);
                    max = max.max(t.elapsed());
                    i += 1;
                }
                max
            })
        })
        .collect();
    drop(tx);
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let mut lat_max = Duration::ZERO;
    for h in handles {
        lat_max = lat_max.max(h.join().expect("writer"));
    }
    let (batches, items) = committer.join().expect("committer");
    #[allow(clippy::cast_precision_loss)]
    let per_batch = items as f64 / batches.max(1) as f64;
    (done.load(Ordering::Relaxed), lat_max, per_batch)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(
        args.next()
            .expect("usage: redb-group-commit DIR [WRITERS] [SECONDS]"),
    );
    let writers: usize = args.next().map_or(32, |v| v.parse().expect("WRITERS"));
    let secs: u64 = args.next().map_or(5, |v| v.parse().expect("SECONDS"));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("group-commit.redb");
    let _ = std::fs::remove_file(&path);
    let db = Arc::new(Database::create(&path).expect("create"));
    for round in 1..=2 {
        let (n, max) = per_op(&db, writers, secs);
        #[allow(clippy::cast_precision_loss)]
        let rate = n as f64 / secs as f64;
        println!(
            "round {round}: one commit per insert, {writers} writers: {rate:.0} inserts/s, max latency {:.1} ms",
            max.as_secs_f64() * 1e3
        );
        let (n, max, per_batch) = grouped(&db, writers, secs);
        #[allow(clippy::cast_precision_loss)]
        let rate = n as f64 / secs as f64;
        println!(
            "round {round}: group commit, {writers} writers: {rate:.0} inserts/s, {per_batch:.1} inserts per commit, max latency {:.1} ms",
            max.as_secs_f64() * 1e3
        );
    }
    let _ = std::fs::remove_file(&path);
}
