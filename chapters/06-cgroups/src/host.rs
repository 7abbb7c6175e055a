//! What the host offers: which limits its cgroups can enforce (Docker's `sysinfo`), and the
//! host-wide counters `docker stats` compares a container against.

use std::path::Path;

use nix::unistd::{SysconfVar, sysconf};

use crate::controller::Controller;
use crate::error::CgroupError;
use crate::hierarchy::{CgroupVersion, Hierarchy};
use crate::sys::{self, Sys};

/// Which resource limits this host can enforce, as Docker's daemon finds out at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// CPUs this process may run on (Go's `runtime.NumCPU()`), the ceiling for `--cpus`.
    pub ncpu: u32,
    /// CPUs available for `--cpuset-cpus`, in list format.
    pub cpus: String,
    /// Memory nodes available for `--cpuset-mems`.
    pub mems: String,
    pub memory_limit: bool,
    pub swap_limit: bool,
    pub memory_reservation: bool,
    pub oom_kill_disable: bool,
    pub cpu_cfs: bool,
    pub cpu_shares: bool,
    pub cpuset: bool,
    pub pids_limit: bool,
    pub blkio_weight: bool,
    /// v1's `memory.kmem.limit_in_bytes` (Docker's `sysInfo.KernelMemory`); never on v2.
    pub kernel_memory: bool,
}

impl HostInfo {
    /// A host that supports every limit (for tests and for explaining the rules).
    pub fn everything_supported(ncpu: u32, cpus: &str, mems: &str) -> Self {
        HostInfo {
            ncpu,
            cpus: cpus.to_string(),
            mems: mems.to_string(),
            memory_limit: true,
            swap_limit: true,
            memory_reservation: true,
            oom_kill_disable: true,
            cpu_cfs: true,
            cpu_shares: true,
            cpuset: true,
            pids_limit: true,
            blkio_weight: true,
            kernel_memory: true,
        }
    }

    /// Probes this host the way Docker 20.10 does: on v1, by the interface files at the top of
    /// each controller's hierarchy; on v2, by the controllers the engine's cgroup can pass on.
    pub fn detect(hierarchy: &Hierarchy, sys: &dyn Sys) -> Result<Self, CgroupError> {
        match hierarchy.version()? {
            CgroupVersion::V1 => Ok(Self::detect_v1(hierarchy, sys)),
            CgroupVersion::V2 => Self::detect_v2(&hierarchy.own_v2_dir()?, sys),
        }
    }

    fn detect_v1(hierarchy: &Hierarchy, sys: &dyn Sys) -> Self {
        let has = |controller: Controller, file: &str| {
            hierarchy
                .v1_mount(controller)
                .is_some_and(|m| file.is_empty() || sys.exists(&m.mount_point.join(file)))
        };
        let read = |file: &str| {
            hierarchy
                .v1_mount(Controller::Cpuset)
                .and_then(|m| sys.read(&m.mount_point.join(file)).ok())
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        HostInfo {
            ncpu: ncpu(),
            cpus: read("cpuset.cpus"),
            mems: read("cpuset.mems"),
            memory_limit: has(Controller::Memory, ""),
            swap_limit: has(Controller::Memory, "memory.memsw.limit_in_bytes"),
            memory_reservation: has(Controller::Memory, "memory.soft_limit_in_bytes"),
            oom_kill_disable: has(Controller::Memory, "memory.oom_control"),
            cpu_cfs: has(Controller::Cpu, "cpu.cfs_quota_us") && has(Controller::Cpu, "cpu.cfs_period_us"),
            cpu_shares: has(Controller::Cpu, "cpu.shares"),
            cpuset: has(Controller::Cpuset, ""),
            pids_limit: has(Controller::Pids, ""),
            blkio_weight: has(Controller::Blkio, "blkio.weight")
                || has(Controller::Blkio, "blkio.bfq.weight"),
            kernel_memory: has(Controller::Memory, "memory.kmem.limit_in_bytes"),
        }
    }

    // ANCHOR: detect_v2
    /// v2: what the engine's cgroup has in `cgroup.controllers`. There is no OOM-kill switch
    /// on v2 (the kernel always kills; `memory.oom.group` only widens who), so Docker reports
    /// `oom_kill_disable: false` and drops the flag with a warning.
    pub fn detect_v2(own_dir: &Path, sys: &dyn Sys) -> Result<Self, CgroupError> {
        let controllers = sys::read(sys, &own_dir.join("cgroup.controllers"))?;
        let has = |c: Controller| controllers.split_whitespace().any(|n| n == c.name());
        let read = |file: &str| {
            sys.read(&own_dir.join(file))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let memory = has(Controller::Memory);
        let cpu = has(Controller::Cpu);
        Ok(HostInfo {
            ncpu: ncpu(),
            cpus: read("cpuset.cpus.effective"),
            mems: read("cpuset.mems.effective"),
            memory_limit: memory,
            swap_limit: memory,
            memory_reservation: memory,
            oom_kill_disable: false,
            cpu_cfs: cpu,
            cpu_shares: cpu,
            cpuset: has(Controller::Cpuset),
            pids_limit: has(Controller::Pids),
            blkio_weight: has(Controller::Io),
            kernel_memory: false,
        })
    }
    // ANCHOR_END: detect_v2
}

/// CPUs this process may run on: sched_getaffinity(2), like Go's `runtime.NumCPU()`.
pub fn ncpu() -> u32 {
    let count = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).map(|set| {
        (0..nix::sched::CpuSet::count())
            .filter(|&i| set.is_set(i).unwrap_or(false))
            .count()
    });
    match count {
        Ok(n) if n > 0 => u32::try_from(n).unwrap_or(u32::MAX),
        _ => online_cpus(),
    }
}

/// CPUs online in the system: sysconf(3) `_SC_NPROCESSORS_ONLN`, Docker's `online_cpus`.
pub fn online_cpus() -> u32 {
    match sysconf(SysconfVar::_NPROCESSORS_ONLN) {
        Ok(Some(n)) if n > 0 => u32::try_from(n).unwrap_or(1),
        _ => 1,
    }
}

/// Clock ticks per second, the unit of `/proc/stat` and v1 `cpuacct.stat`: sysconf(3).
pub fn clock_ticks() -> u64 {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(n)) if n > 0 => u64::try_from(n).unwrap_or(100),
        _ => 100,
    }
}

// ANCHOR: system_cpu_usage
/// The host's total CPU time in nanoseconds, from the first line of `/proc/stat`: the sum of
/// user, nice, system, idle, iowait, irq and softirq ticks. `docker stats` divides a
/// container's CPU time by how much of this passed in the same interval.
pub fn parse_system_cpu_usage(proc_stat: &str, ticks_per_second: u64) -> Option<u64> {
    let line = proc_stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(7)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    if ticks.len() < 7 || ticks_per_second == 0 {
        return None;
    }
    let total: u128 = ticks.iter().map(|&t| u128::from(t)).sum();
    u64::try_from(total * 1_000_000_000 / u128::from(ticks_per_second)).ok()
}
// ANCHOR_END: system_cpu_usage

/// [`parse_system_cpu_usage`] of this host's `/proc/stat`.
pub fn system_cpu_usage() -> Result<u64, CgroupError> {
    let path = "/proc/stat";
    let text = std::fs::read_to_string(path).map_err(|e| CgroupError::read(path, e))?;
    parse_system_cpu_usage(&text, clock_ticks()).ok_or_else(|| CgroupError::parse(path, "no usable cpu line"))
}

/// Total RAM in bytes, from `MemTotal` in `/proc/meminfo` (the limit `docker stats` shows
/// for a container without one).
pub fn parse_mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// [`parse_mem_total`] of this host's `/proc/meminfo`.
pub fn machine_memory() -> Result<u64, CgroupError> {
    let path = "/proc/meminfo";
    let text = std::fs::read_to_string(path).map_err(|e| CgroupError::read(path, e))?;
    parse_mem_total(&text).ok_or_else(|| CgroupError::parse(path, "no MemTotal line"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_usage_sums_seven_fields_in_nanoseconds() {
        let stat = "cpu  149134 0 32134 46636 1630 0 527 1133 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
        let ticks = 149_134 + 32_134 + 46_636 + 1_630 + 527;
        assert_eq!(parse_system_cpu_usage(stat, 100), Some(ticks * 10_000_000));
        assert_eq!(parse_system_cpu_usage("cpu  1 2\n", 100), None);
        assert_eq!(parse_system_cpu_usage("intr 1\n", 100), None);
    }

    #[test]
    fn mem_total_is_in_kib() {
        assert_eq!(
            parse_mem_total("MemTotal:       24684096 kB\nMemFree: 1 kB\n"),
            Some(24_684_096 * 1024)
        );
        assert_eq!(parse_mem_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn this_host_has_cpus_and_a_clock() {
        assert!(ncpu() >= 1);
        assert!(online_cpus() >= 1);
        assert!(clock_ticks() >= 1);
        assert!(system_cpu_usage().unwrap() > 0);
        assert!(machine_memory().unwrap() > 0);
    }
}
