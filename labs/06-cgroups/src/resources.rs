//! A container's resource limits with Docker's fields, units and rules.
//!
//! **Lab 06 skeleton.** Exercise `ex4`: write [`Resources::cfs_quota_and_period`] and
//! [`Resources::pids_max`] (the two `todo!()`s; [`validate`] is done, and the v1 and v2
//! backends call your functions to know what to write). `labs/check 06` tells you how far
//! you are.
//!
//! [`Resources`] holds what `docker run` flags put in a container's `HostConfig`:
//!
//! | flag | field | unit, special values |
//! |---|---|---|
//! | `-m, --memory` | `memory` | bytes, 0 = no limit; at least 6MB |
//! | `--memory-swap` | `memory_swap` | memory **plus** swap, bytes; -1 = unlimited swap; equal to `memory` = no swap; 0 = twice `memory` |
//! | `--memory-reservation` | `memory_reservation` | bytes, a soft limit below `memory` |
//! | `--oom-kill-disable` | `oom_kill_disable` | v1 only (v2 has no such switch) |
//! | `--cpus` | `nano_cpus` | 10⁻⁹ CPUs; becomes a CFS quota per 100ms period |
//! | `--cpu-shares` | `cpu_shares` | relative weight, default 1024 (v2: converted to `cpu.weight`) |
//! | `--cpu-period`, `--cpu-quota` | `cpu_period`, `cpu_quota` | µs; quota -1 = unlimited |
//! | `--cpuset-cpus`, `--cpuset-mems` | `cpuset_cpus`, `cpuset_mems` | lists like `0-1,3` |
//! | `--pids-limit` | `pids_limit` | processes; 0 or less = unlimited |
//! | `--blkio-weight` | `blkio_weight` | 10 to 1000, 0 = unset |
//!
//! [`validate`] applies Docker's checks in Docker's order (`verifyPlatformContainerResources`)
//! before anything is created, so a bad flag never leaves half a container.

use crate::cpulist;
use crate::error::ResourceError;
use crate::host::HostInfo;

/// Docker's smallest memory limit and reservation: 6 MiB.
pub const MIN_MEMORY: i64 = 6 * 1024 * 1024;

/// The CFS period `--cpus` uses: 100ms.
pub const DEFAULT_CFS_PERIOD: u64 = 100_000;

/// The resource limits of one container (Docker's `HostConfig` resource fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// `-m`: the memory limit in bytes; 0 = none.
    pub memory: i64,
    /// `--memory-swap`: memory plus swap in bytes; 0 = unset, -1 = unlimited.
    pub memory_swap: i64,
    /// `--memory-reservation`: the soft limit in bytes; 0 = none.
    pub memory_reservation: i64,
    /// `--oom-kill-disable`.
    pub oom_kill_disable: Option<bool>,
    /// `--cpus` in units of 10⁻⁹ CPUs; 0 = none.
    pub nano_cpus: i64,
    /// `--cpu-shares`; 0 = default.
    pub cpu_shares: i64,
    /// `--cpu-period` in µs; 0 = default.
    pub cpu_period: i64,
    /// `--cpu-quota` in µs per period; 0 = unset, -1 = unlimited.
    pub cpu_quota: i64,
    /// `--cpuset-cpus`, e.g. `0-1,3`; empty = all.
    pub cpuset_cpus: String,
    /// `--cpuset-mems`; empty = all.
    pub cpuset_mems: String,
    /// `--pids-limit`; `Some(n)` with n ≤ 0 = unlimited.
    pub pids_limit: Option<i64>,
    /// `--blkio-weight`, 10 to 1000; 0 = unset.
    pub blkio_weight: u16,
}

/// What the pids controller should be set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PidsMax {
    /// `max`: no limit.
    Unlimited,
    /// At most this many processes.
    Limit(u64),
}

impl Resources {
    /// The CFS bandwidth to set: (quota µs, period µs), each `None` when left alone.
    ///
    /// `--cpus 1.5` is shorthand for a quota of 150ms in every 100ms period: the container may
    /// use 1.5 CPUs' worth of time per period, spread over any number of CPUs.
    pub fn cfs_quota_and_period(&self) -> (Option<i64>, Option<u64>) {
        // ex4: `--cpus` wins: with `nano_cpus > 0` the period is DEFAULT_CFS_PERIOD and the
        // quota `nano_cpus × period / 10⁹` µs (in i128: the product overflows an i64). Without
        // it, `cpu_quota` and `cpu_period` as they are, where 0 means "leave it alone" (`None`),
        // and so does a negative period.
        todo!(
            "ex4: nano_cpus > 0 => (Some(nano_cpus * DEFAULT_CFS_PERIOD / 1e9), Some(DEFAULT_CFS_PERIOD)); otherwise cpu_quota (0 => None) and cpu_period (0 or negative => None)"
        )
    }

    /// The pids limit to write, `None` to leave it alone. Docker maps 0 and negative values
    /// to "unlimited".
    pub fn pids_max(&self) -> Option<PidsMax> {
        // ex4: no `--pids-limit` (`None`) leaves `pids.max` alone; a positive limit is
        // `PidsMax::Limit`; 0 or less means unlimited, `PidsMax::Unlimited`.
        todo!("ex4: self.pids_limit.map(..): n > 0 => PidsMax::Limit(n), otherwise PidsMax::Unlimited")
    }
}

/// A validated request: the resources to apply (after Docker's adjustments) and the warnings
/// Docker would print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// What to apply.
    pub resources: Resources,
    /// Settings dropped or adjusted, in Docker's words.
    pub warnings: Vec<String>,
}

/// Checks `requested` against the host the way Docker's daemon does, in Docker's order.
///
/// Settings the host cannot enforce are dropped with Docker's warning (e.g. `--blkio-weight`
/// on a kernel without a weight-based I/O scheduler); invalid ones are refused with Docker's
/// error. For a new container (`update == false`), a memory limit without `--memory-swap` then
/// gets Docker's default: swap up to the same amount again (memory + swap = 2 × memory).
pub fn validate(requested: &Resources, host: &HostInfo, update: bool) -> Result<Checked, ResourceError> {
    let mut r = requested.clone();
    let mut warnings = Vec::new();
    let mut warn = |w: &str| warnings.push(w.to_string());

    // memory
    if r.memory != 0 && r.memory < MIN_MEMORY {
        return Err(ResourceError::MemoryBelowMinimum);
    }
    if r.memory > 0 && !host.memory_limit {
        warn(
            "Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.",
        );
        r.memory = 0;
        r.memory_swap = -1;
    }
    if r.memory > 0 && r.memory_swap != -1 && !host.swap_limit {
        warn(
            "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.",
        );
        r.memory_swap = -1;
    }
    if r.memory > 0 && r.memory_swap > 0 && r.memory_swap < r.memory {
        return Err(ResourceError::SwapBelowMemory);
    }
    if r.memory == 0 && r.memory_swap > 0 && !update {
        return Err(ResourceError::SwapWithoutMemory);
    }
    if r.memory_reservation > 0 && !host.memory_reservation {
        warn(
            "Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.",
        );
        r.memory_reservation = 0;
    }
    if r.memory_reservation > 0 && r.memory_reservation < MIN_MEMORY {
        return Err(ResourceError::ReservationBelowMinimum);
    }
    if r.memory > 0 && r.memory_reservation > 0 && r.memory < r.memory_reservation {
        return Err(ResourceError::MemoryBelowReservation);
    }
    if r.oom_kill_disable.is_some() && !host.oom_kill_disable {
        if r.oom_kill_disable == Some(true) {
            warn("Your kernel does not support OomKillDisable. OomKillDisable discarded.");
        }
        r.oom_kill_disable = None;
    }
    if r.oom_kill_disable == Some(true) && r.memory == 0 {
        warn(
            "OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.",
        );
    }
    if r.pids_limit.is_some() && !host.pids_limit {
        if r.pids_limit.is_some_and(|n| n > 0) {
            warn(
                "Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.",
            );
        }
        r.pids_limit = None;
    }

    // cpu
    if r.nano_cpus > 0 && r.cpu_period > 0 {
        return Err(ResourceError::NanoCpusAndPeriod);
    }
    if r.nano_cpus > 0 && r.cpu_quota > 0 {
        return Err(ResourceError::NanoCpusAndQuota);
    }
    if r.nano_cpus > 0 && !host.cpu_cfs {
        return Err(ResourceError::NanoCpusUnsupported);
    }
    if r.nano_cpus < 0 || i128::from(r.nano_cpus) > i128::from(host.ncpu) * 1_000_000_000 {
        return Err(ResourceError::CpusOutOfRange { ncpu: host.ncpu });
    }
    if r.cpu_shares > 0 && !host.cpu_shares {
        warn("Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.");
        r.cpu_shares = 0;
    }
    if (r.cpu_period != 0 || r.cpu_quota != 0) && !host.cpu_cfs {
        warn("Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.");
        r.cpu_period = 0;
        r.cpu_quota = 0;
    }
    if r.cpu_period != 0 && !(1000..=1_000_000).contains(&r.cpu_period) {
        return Err(ResourceError::CpuPeriodOutOfRange);
    }
    if r.cpu_quota > 0 && r.cpu_quota < 1000 {
        return Err(ResourceError::CpuQuotaBelowMinimum);
    }

    // cpuset
    if (!r.cpuset_cpus.is_empty() || !r.cpuset_mems.is_empty()) && !host.cpuset {
        warn("Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.");
        r.cpuset_cpus.clear();
        r.cpuset_mems.clear();
    }
    check_cpuset("cpus", &r.cpuset_cpus, &host.cpus)?;
    check_cpuset("mems", &r.cpuset_mems, &host.mems)?;

    // blkio
    if r.blkio_weight > 0 && !host.blkio_weight {
        warn("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.");
        r.blkio_weight = 0;
    }
    if r.blkio_weight > 0 && !(10..=1000).contains(&r.blkio_weight) {
        return Err(ResourceError::BlkioWeightOutOfRange);
    }

    // Docker's create-time default (adaptContainerSettings): swap as large as memory again.
    if !update && r.memory > 0 && r.memory_swap == 0 {
        r.memory_swap = r.memory.saturating_mul(2);
    }
    Ok(Checked {
        resources: r,
        warnings,
    })
}

fn check_cpuset(kind: &'static str, requested: &str, available: &str) -> Result<(), ResourceError> {
    match cpulist::is_available(requested, available) {
        Ok(true) => Ok(()),
        Ok(false) if kind == "cpus" => Err(ResourceError::CpusNotAvailable {
            requested: requested.to_string(),
            available: available.to_string(),
        }),
        Ok(false) => Err(ResourceError::MemsNotAvailable {
            requested: requested.to_string(),
            available: available.to_string(),
        }),
        Err(source) => Err(ResourceError::InvalidCpuset {
            kind,
            value: requested.to_string(),
            source,
        }),
    }
}
