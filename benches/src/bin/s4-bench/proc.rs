//! CPU time and resident memory of processes, from /proc.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Clock ticks per second of `utime`/`stime` in /proc (USER_HZ, 100 on Linux).
const TICKS_PER_SEC: f64 = 100.0;

/// User + system CPU seconds of `pid` ("self" for this process).
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SEC)
}

fn status_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Current resident set of `pid`, in bytes.
pub fn rss_bytes(pid: &str) -> Option<u64> {
    status_kib(pid, "VmRSS:").map(|k| k * 1024)
}

/// Peak resident set (VmHWM) of `pid`, in bytes.
pub fn hwm_bytes(pid: &str) -> Option<u64> {
    status_kib(pid, "VmHWM:").map(|k| k * 1024)
}

/// Resets VmHWM to the current RSS (needs the right to write the process's clear_refs).
pub fn reset_hwm(pid: &str) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// Watches a set of processes during one measurement.
#[derive(Debug)]
pub struct Watch {
    pids: Vec<String>,
    cpu_before: f64,
    hwm_reset: bool,
    peak_sampled: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    sampler: Option<tokio::task::JoinHandle<()>>,
}

/// What a [`Watch`] saw.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub cpu_seconds: f64,
    pub peak_rss_bytes: u64,
}

impl Watch {
    pub fn start(pids: &[String]) -> Self {
        let cpu_before = pids.iter().filter_map(|p| cpu_seconds(p)).sum();
        let hwm_reset = !pids.is_empty() && pids.iter().all(|p| reset_hwm(p));
        let peak_sampled = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = (!pids.is_empty()).then(|| {
            let pids = pids.to_vec();
            let peak = Arc::clone(&peak_sampled);
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let rss: u64 = pids.iter().filter_map(|p| rss_bytes(p)).sum();
                    peak.fetch_max(rss, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        });
        Self {
            pids: pids.to_vec(),
            cpu_before,
            hwm_reset,
            peak_sampled,
            stop,
            sampler,
        }
    }

    pub async fn finish(mut self) -> Option<Usage> {
        if self.pids.is_empty() {
            return None;
        }
        self.stop.store(true, Ordering::Relaxed);
        if let Some(sampler) = self.sampler.take() {
            let _ = sampler.await;
        }
        let cpu_after: f64 = self.pids.iter().filter_map(|p| cpu_seconds(p)).sum();
        let mut peak = self.peak_sampled.load(Ordering::Relaxed);
        if self.hwm_reset {
            peak = peak.max(self.pids.iter().filter_map(|p| hwm_bytes(p)).sum());
        }
        Some(Usage {
            cpu_seconds: cpu_after - self.cpu_before,
            peak_rss_bytes: peak,
        })
    }
}
