//! What the host says about the server: free space under a directory (readiness and
//! `s4_data_dir_free_bytes`) and the process's CPU time, resident memory and open files
//! (`process_*` metrics, named as Prometheus client libraries name them), read from `/proc`.

use std::path::Path;

/// Bytes an unprivileged process can still write on the filesystem holding `dir`.
pub fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    let stat = rustix::fs::statvfs(dir)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// The process's resource use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessStats {
    /// User and system CPU time, in seconds.
    pub cpu_seconds: f64,
    pub resident_bytes: u64,
    pub open_fds: u64,
}

/// This process's figures, or `None` where `/proc` is not mounted.
pub fn process() -> Option<ProcessStats> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: the fields after it follow the last ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) of proc(5); `after_name` starts at field 3.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    #[allow(clippy::cast_precision_loss)]
    let cpu_seconds = ticks as f64 / rustix::param::clock_ticks_per_second() as f64;
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let resident_pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    Some(ProcessStats {
        cpu_seconds,
        resident_bytes: resident_pages * rustix::param::page_size() as u64,
        open_fds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_plausible() {
        let stats = process().unwrap();
        assert!(stats.resident_bytes > 1 << 20, "{stats:?}");
        // At least stdin, stdout, stderr and the directory being read.
        assert!(stats.open_fds >= 3, "{stats:?}");
        assert!(stats.cpu_seconds >= 0.0);
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(dir.path()).unwrap() > 0);
        assert!(free_bytes(&dir.path().join("missing")).is_err());
    }
}
