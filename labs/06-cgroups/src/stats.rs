//! A cgroup's counters, and the arithmetic `docker stats` does with them.
//!
//! **Lab 06 skeleton.** Exercise `ex5`: write [`cpu_percent`], [`memory_usage_no_cache`]
//! and [`effective_memory_limit`] (the three `todo!()`s; the formatting is done).
//! `labs/check 06` tells you how far you are.
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

/// The `CPU %` column: the container's share of the host's CPU time between two samples,
/// scaled to the number of CPUs (so 200% = two CPUs busy).
///
/// `online_cpus` 0 means "unknown" and falls back to the number of per-CPU counters, as the
/// Docker CLI does. Nothing used, or no time passed: 0.
pub fn cpu_percent(previous: CpuSample, current: CpuSample, online_cpus: u32, percpu_len: usize) -> f64 {
    // ex5: how much the container's CPU time grew, over how much the host's grew in the
    // same interval, times the number of CPUs (`online_cpus`, or `percpu_len` when that is
    // 0), times 100. Work in f64: a counter can go backwards (a restarted container).
    // Unless both deltas are positive, the answer is 0.
    todo!(
        "ex5: (current.container - previous.container) / (current.system - previous.system) * cpus * 100, or 0.0 unless both deltas are positive"
    )
}

/// The `MEM USAGE` column: usage without the page cache the kernel can drop at will.
///
/// v1 reports it as `total_inactive_file` (or `cache` on old kernels), v2 as `inactive_file`;
/// whichever is present and smaller than the usage is subtracted (Docker CLI 20.10).
pub fn memory_usage_no_cache(memory: &MemoryStats) -> u64 {
    // ex5: the page cache the kernel can drop is `total_inactive_file` (v1),
    // `inactive_file` (v2) or, on old v1 kernels, `cache`, in `memory.stat`. Subtract the
    // first of them, in that order, that is present and smaller than the usage; if none
    // is, the usage as it is.
    todo!(
        "ex5: usage minus the first of total_inactive_file, inactive_file, cache (in memory.stat) that is smaller than the usage; else the usage"
    )
}

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
    // ex5: the cgroup's limit if it has one below the machine's memory; otherwise (no
    // limit, or v1's enormous "unlimited") the machine's memory.
    todo!("ex5: Some(l) with l < machine_memory => l, anything else => machine_memory")
}

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
