//! Process memory from /proc/self/status (Linux).

/// A `kB` field of /proc/self/status, in bytes.
pub fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Peak resident set size so far (`VmHWM`).
pub fn peak_rss() -> Option<u64> {
    status_bytes("VmHWM:")
}

pub fn current_rss() -> Option<u64> {
    status_bytes("VmRSS:")
}

/// Resets `VmHWM` to the current RSS (Linux ≥ 4.0: write 5 to clear_refs). False if refused.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
