//! How many runs the CPU trains at once. The reduced profiles train every run on one libtorch
//! thread (so that a run's numbers do not depend on the machine's core count); one run at a
//! time would leave every other core idle, so as many single-threaded runs run side by side as
//! there are cores, as far as the memory allows. Each run is still computed on one thread from
//! its own seed, so its numbers are the same to the digit however many run beside it.

/// Memory one quick-profile run may need at its peak (the analysis of a 164-layer ResNeXt at
/// width x0.25 holds its 128-sample representations): what each parallel run is budgeted.
pub const RUN_MEMORY_BYTES: u64 = 2 << 30;

/// Runs side by side: `requested` when given (at least 1), otherwise one per available core,
/// no more than `memory_bytes` (when known) holds at [`RUN_MEMORY_BYTES`] each.
pub fn cpu_workers(requested: Option<usize>, cores: usize, memory_bytes: Option<u64>) -> usize {
    if let Some(n) = requested {
        return n.max(1);
    }
    let by_memory = memory_bytes.map_or(usize::MAX, |m| (m / RUN_MEMORY_BYTES) as usize);
    cores.min(by_memory).max(1)
}

/// The cores this process may use.
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `MemAvailable` of /proc/meminfo, in bytes; `None` where there is no such file.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    mem_available(&text)
}

fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_per_core_unless_memory_or_the_user_says_otherwise() {
        let plenty = Some(64 * RUN_MEMORY_BYTES);
        assert_eq!(cpu_workers(None, 2, plenty), 2);
        assert_eq!(cpu_workers(None, 16, Some(3 * RUN_MEMORY_BYTES)), 3);
        assert_eq!(cpu_workers(None, 4, None), 4);
        assert_eq!(cpu_workers(None, 8, Some(RUN_MEMORY_BYTES / 2)), 1);
        assert_eq!(cpu_workers(Some(5), 2, plenty), 5);
        assert_eq!(cpu_workers(Some(0), 2, plenty), 1);
    }

    #[test]
    fn reads_mem_available_in_kib() {
        let meminfo = "MemTotal:       24000000 kB\nMemFree:   100 kB\nMemAvailable:   2048 kB\n";
        assert_eq!(mem_available(meminfo), Some(2048 * 1024));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
    }
}
