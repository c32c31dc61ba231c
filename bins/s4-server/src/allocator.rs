//! The global allocator, and memory given back to the OS after a burst of large transfers.
//!
//! mimalloc (v3) instead of glibc's malloc: the allocator was the largest single cost of a
//! small GET (16.6 % of the server's samples), and with it 4 KiB GETs at 32 clients went from
//! 32.5k to 49k/s (docs/performance.md). Its peak RSS under 128 concurrent small PUTs stays
//! under 140 MiB now that waiting PUTs no longer park a thread each (v3 keeps a cache per
//! thread). Built without transparent huge pages (`no_thp`): with them, 200 slow uploads (400
//! blocking threads) touched 2 MiB pages per thread and the overload test's RSS went from 146
//! to 684 MiB.
//!
//! What mimalloc keeps: a page whose blocks are all free goes back to mimalloc's arena only
//! when the thread that owns it next looks at its pages, and the arena gives it to the OS
//! ("purges" it) only once it has been free for a second, and again only when some thread
//! next looks. Request bodies are read on the runtime's workers and freed on the blocking
//! threads that write them, so after a burst of uploads an idle server kept what the burst
//! had used. Two cheap nudges make it give memory back within a few seconds
//! (docs/performance.md, "Memory"):
//!
//! - each runtime worker, when it runs out of work, lets mimalloc collect its own pages, at
//!   most once per [`WORKER_COLLECT_INTERVAL`] (collecting costs microseconds; workers go idle
//!   thousands of times a second under light load);
//! - a thread of its own runs the arena's due purges every [`PURGE_INTERVAL`].
//!
//! Without the `mimalloc` feature (the system allocator) both are no-ops.

use std::time::Duration;

/// How often the purge thread gives the OS the pages free for long enough.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(1);
/// The least time between two collections on one runtime worker.
pub const WORKER_COLLECT_INTERVAL: Duration = Duration::from_millis(50);

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "mimalloc")]
mod mimalloc_collect {
    #![allow(unsafe_code)]

    // Part of mimalloc's public C API, in the library the `mimalloc` crate links; declared
    // here rather than through `libmimalloc-sys`'s `extended` feature, which would add a crate
    // for its C types and nothing else.
    extern "C" {
        fn mi_collect(force: bool);
    }

    /// A normal (not forced) collection: the calling thread's free pages go back to the
    /// arena, and the arena purges what has been free longer than mimalloc's purge delay.
    pub fn collect() {
        // SAFETY: `mi_collect` takes no pointers, may be called from any thread at any time,
        // and only returns memory that no live allocation uses.
        unsafe { mi_collect(false) }
    }
}

#[cfg(feature = "mimalloc")]
use mimalloc_collect::collect;

#[cfg(not(feature = "mimalloc"))]
fn collect() {}

/// For `tokio::runtime::Builder::on_thread_park`: collects this worker's free pages unless it
/// did less than [`WORKER_COLLECT_INTERVAL`] ago.
pub fn on_worker_idle() {
    use std::cell::Cell;
    use std::time::Instant;
    thread_local! {
        static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
    }
    let now = Instant::now();
    let due = LAST
        .get()
        .is_none_or(|last| now - last >= WORKER_COLLECT_INTERVAL);
    if due {
        LAST.set(Some(now));
        collect();
    }
}

/// Starts the thread that runs the arena's due purges every [`PURGE_INTERVAL`].
pub fn spawn_purge_thread() -> std::io::Result<()> {
    if cfg!(not(feature = "mimalloc")) {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("s4-mem-purge".to_owned())
        .spawn(|| {
            // mimalloc ignores a collection on a thread that never allocated.
            std::hint::black_box(Vec::<u8>::with_capacity(64));
            loop {
                std::thread::sleep(PURGE_INTERVAL);
                collect();
            }
        })
        .map(drop)
}
