//! A cgroup's counters, and the arithmetic `docker stats` does with them.
//!
//! Both backends fill the same [`Stats`]; the fields follow Docker's stats API (`cpu_stats`,
//! `memory_stats`, `pids_stats`, `blkio_stats`), so the engine can serve them as they are.
//! The functions below are the CLI's: they turn two samples into the `CPU %` column and one
//! sample into `MEM USAGE / LIMIT` and `MEM %`.

use std::collections::BTreeMap;

use crate::size;

/// Everything a cgroup reports at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub cpu: CpuStats,
    pub memory: MemoryStats,
    pub pids: PidsStats,
    pub blkio: BlkioStats,
    pub oom: OomStats,
}

/// CPU time used by the cgroup, in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpuStats {
    /// All CPU time (v1 `cpuacct.usage`, v2 `cpu.stat usage_usec`).
    pub total_usage: u64,
    /// Per CPU (v1 `cpuacct.usage_percpu`; v2 has no such file: empty).
    pub percpu_usage: Vec<u64>,
    /// In the kernel (v1 `cpuacct.stat system`, v2 `system_usec`).
    pub usage_in_kernelmode: u64,
    /// In user space.
    pub usage_in_usermode: u64,
    /// CFS bandwidth throttling.
    pub throttling: Throttling,
}

/// How often the CFS quota stopped the cgroup (`cpu.stat`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Throttling {
    /// Enforcement periods that elapsed while the cgroup was runnable.
    pub periods: u64,
    /// Periods in which the quota ran out.
    pub throttled_periods: u64,
    /// Total time spent throttled, in nanoseconds.
    pub throttled_time: u64,
}

/// Memory use of the cgroup, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Current usage, page cache included (v1 `memory.usage_in_bytes`, v2 `memory.current`).
    pub usage: u64,
    /// Peak usage (v1 `memory.max_usage_in_bytes`, v2 `memory.peak` where the kernel has it).
    pub max_usage: Option<u64>,
    /// The limit; `None` when unlimited.
    pub limit: Option<u64>,
    /// Times the limit was hit (v1 `memory.failcnt`, v2 `memory.events max`).
    pub failcnt: u64,
    /// `memory.stat`, key by key (v1: `cache`, `total_inactive_file`, …; v2: `file`, `inactive_file`, …).
    pub stat: BTreeMap<String, u64>,
}

/// Processes in the cgroup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PidsStats {
    /// `pids.current`.
    pub current: u64,
    /// `pids.max`; `None` when unlimited.
    pub limit: Option<u64>,
    /// Forks refused because of the limit (`pids.events max`), where the kernel reports it.
    pub refused_forks: Option<u64>,
}

/// One block I/O counter: bytes of one operation on one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlkioEntry {
    pub major: u64,
    pub minor: u64,
    /// `Read`, `Write`, `Sync`, `Async`, `Discard`, `Total` (v1) or `read`, `write` (v2).
    pub op: String,
    pub value: u64,
}

/// Block I/O bytes per device and operation (Docker's `io_service_bytes_recursive`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlkioStats {
    pub io_service_bytes_recursive: Vec<BlkioEntry>,
}

/// Out-of-memory events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OomStats {
    /// Times the cgroup hit its limit and the OOM killer was invoked (v2 `memory.events oom`);
    /// v1 has no counter for this (only an eventfd notification): `None`.
    pub oom_events: Option<u64>,
    /// Processes the OOM killer killed in the cgroup (v1 `memory.oom_control oom_kill`,
    /// v2 `memory.events oom_kill`).
    pub oom_kills: u64,
    /// v1: whether the cgroup is under OOM right now (only while the OOM killer is disabled).
    pub under_oom: bool,
}

/// What `docker stats` needs from one moment: the container's and the host's CPU time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuSample {
    /// The container's total CPU time, ns ([`CpuStats::total_usage`]).
    pub container: u64,
    /// The host's total CPU time, ns ([`crate::host::system_cpu_usage`]).
    pub system: u64,
}

// ANCHOR: cpu_percent
/// The `CPU %` column: the container's share of the host's CPU time between two samples,
/// scaled to the number of CPUs (so 200% = two CPUs busy).
///
/// `online_cpus` 0 means "unknown" and falls back to the number of per-CPU counters, as the
/// Docker CLI does. Nothing used, or no time passed: 0.
pub fn cpu_percent(previous: CpuSample, current: CpuSample, online_cpus: u32, percpu_len: usize) -> f64 {
    let cpu_delta = current.container as f64 - previous.container as f64;
    let system_delta = current.system as f64 - previous.system as f64;
    let cpus = if online_cpus == 0 {
        percpu_len as f64
    } else {
        f64::from(online_cpus)
    };
    if system_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / system_delta * cpus * 100.0
    } else {
        0.0
    }
}
// ANCHOR_END: cpu_percent

// ANCHOR: memory_usage
/// The `MEM USAGE` column: usage without the page cache the kernel can drop at will.
///
/// v1 reports it as `total_inactive_file` (or `cache` on old kernels), v2 as `inactive_file`;
/// whichever is present and smaller than the usage is subtracted (Docker CLI 20.10).
pub fn memory_usage_no_cache(memory: &MemoryStats) -> u64 {
    ["total_inactive_file", "inactive_file", "cache"]
        .iter()
        .filter_map(|key| memory.stat.get(*key))
        .find(|&&cache| cache < memory.usage)
        .map_or(memory.usage, |cache| memory.usage - cache)
}
// ANCHOR_END: memory_usage

// ANCHOR: memory_limit
/// The `MEM %` column: usage over limit, 0 when the limit is unknown.
pub fn memory_percent(used: u64, limit: u64) -> f64 {
    if limit == 0 {
        0.0
    } else {
        used as f64 / limit as f64 * 100.0
    }
}

/// The limit `docker stats` shows: the cgroup's, or the machine's RAM when the cgroup has
/// none (or one larger than the machine, like v1's "unlimited" 9223372036854771712).
pub fn effective_memory_limit(limit: Option<u64>, machine_memory: u64) -> u64 {
    match limit {
        Some(l) if l < machine_memory => l,
        _ => machine_memory,
    }
}
// ANCHOR_END: memory_limit

/// The `BLOCK I/O` column's two numbers: bytes read and written, summed over devices.
pub fn blkio_read_write(blkio: &BlkioStats) -> (u64, u64) {
    let mut read = 0u64;
    let mut write = 0u64;
    for entry in &blkio.io_service_bytes_recursive {
        match entry.op.as_bytes().first() {
            Some(b'r' | b'R') => read = read.saturating_add(entry.value),
            Some(b'w' | b'W') => write = write.saturating_add(entry.value),
            _ => {}
        }
    }
    (read, write)
}

/// The `CPU %` or `MEM %` cell: `12.34%`.
pub fn format_percent(percent: f64) -> String {
    format!("{percent:.2}%")
}

/// The `MEM USAGE / LIMIT` cell: `488KiB / 23.54GiB`.
pub fn format_memory(used: u64, limit: u64) -> String {
    format!(
        "{} / {}",
        size::bytes_size(used as f64),
        size::bytes_size(limit as f64)
    )
}

/// The `NET I/O` and `BLOCK I/O` cells: `1.23MB / 0B`.
pub fn format_io(first: u64, second: u64) -> String {
    format!(
        "{} / {}",
        size::human_size(first as f64, 3),
        size::human_size(second as f64, 3)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_percent_is_share_of_system_time_times_cpus() {
        let prev = CpuSample {
            container: 1_000_000_000,
            system: 100_000_000_000,
        };
        // The container used 0.5s while the 2-CPU host accumulated 2s of CPU time: 50%.
        let cur = CpuSample {
            container: 1_500_000_000,
            system: 102_000_000_000,
        };
        assert!((cpu_percent(prev, cur, 2, 2) - 50.0).abs() < 1e-9);
        // Unknown CPU count: the per-CPU counters decide.
        assert!((cpu_percent(prev, cur, 0, 4) - 100.0).abs() < 1e-9);
        // No system time passed, or no usage: 0.
        assert_eq!(cpu_percent(prev, prev, 2, 2), 0.0);
        assert_eq!(
            cpu_percent(
                cur,
                CpuSample {
                    container: cur.container,
                    system: cur.system + 10
                },
                2,
                2
            ),
            0.0
        );
    }

    #[test]
    fn memory_usage_subtracts_inactive_file_cache() {
        let m = |usage, key: &str, value| MemoryStats {
            usage,
            stat: BTreeMap::from([(key.to_string(), value)]),
            ..Default::default()
        };
        assert_eq!(memory_usage_no_cache(&m(1000, "total_inactive_file", 300)), 700);
        assert_eq!(memory_usage_no_cache(&m(1000, "inactive_file", 400)), 600);
        assert_eq!(memory_usage_no_cache(&m(1000, "cache", 100)), 900);
        // Cache not smaller than usage: reported as is (it happens between two reads).
        assert_eq!(memory_usage_no_cache(&m(1000, "inactive_file", 2000)), 1000);
        assert_eq!(
            memory_usage_no_cache(&MemoryStats {
                usage: 5,
                ..Default::default()
            }),
            5
        );
    }

    #[test]
    fn docker_stats_row_for_a_50mib_container() {
        // From `docker stats` of `docker run -m 50m busybox sleep` on the reference machine.
        let memory = MemoryStats {
            usage: 524_288,
            limit: Some(52_428_800),
            stat: BTreeMap::from([("total_inactive_file".to_string(), 0)]),
            ..Default::default()
        };
        let used = memory_usage_no_cache(&memory);
        let limit = effective_memory_limit(memory.limit, 25_276_510_208);
        assert_eq!(format_memory(used, limit), "512KiB / 50MiB");
        assert_eq!(format_percent(memory_percent(used, limit)), "1.00%");
        assert_eq!(
            format_memory(
                499_712,
                effective_memory_limit(Some(9_223_372_036_854_771_712), 25_276_510_208)
            ),
            "488KiB / 23.54GiB"
        );
        assert_eq!(format_io(0, 0), "0B / 0B");
        assert_eq!(memory_percent(1, 0), 0.0);
    }

    #[test]
    fn block_io_sums_reads_and_writes_over_devices() {
        let e = |minor, op: &str, value| BlkioEntry {
            major: 8,
            minor,
            op: op.to_string(),
            value,
        };
        let blkio = BlkioStats {
            io_service_bytes_recursive: vec![
                e(0, "Read", 10),
                e(0, "Write", 20),
                e(0, "Total", 30),
                e(16, "read", 1),
                e(16, "write", 2),
                e(16, "Sync", 7),
            ],
        };
        assert_eq!(blkio_read_write(&blkio), (11, 22));
    }
}
