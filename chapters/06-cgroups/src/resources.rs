//! A container's resource limits with Docker's fields, units and rules.
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
    // ANCHOR: cfs
    /// The CFS bandwidth to set: (quota µs, period µs), each `None` when left alone.
    ///
    /// `--cpus 1.5` is shorthand for a quota of 150ms in every 100ms period: the container may
    /// use 1.5 CPUs' worth of time per period, spread over any number of CPUs.
    pub fn cfs_quota_and_period(&self) -> (Option<i64>, Option<u64>) {
        if self.nano_cpus > 0 {
            let period = DEFAULT_CFS_PERIOD;
            // i128: nano_cpus * period overflows i64 above ~92 billion CPUs' worth.
            let quota = i128::from(self.nano_cpus) * i128::from(period) / 1_000_000_000;
            return (Some(i64::try_from(quota).unwrap_or(i64::MAX)), Some(period));
        }
        let quota = (self.cpu_quota != 0).then_some(self.cpu_quota);
        let period = u64::try_from(self.cpu_period).ok().filter(|p| *p != 0);
        (quota, period)
    }
    // ANCHOR_END: cfs

    // ANCHOR: pids_max
    /// The pids limit to write, `None` to leave it alone. Docker maps 0 and negative values
    /// to "unlimited".
    pub fn pids_max(&self) -> Option<PidsMax> {
        self.pids_limit.map(|n| match u64::try_from(n) {
            Ok(n) if n > 0 => PidsMax::Limit(n),
            _ => PidsMax::Unlimited,
        })
    }
    // ANCHOR_END: pids_max
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

// ANCHOR: validate
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

    // ANCHOR: validate_memory
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
    // ANCHOR_END: validate_memory
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

    // ANCHOR: swap_default
    // Docker's create-time default (adaptContainerSettings): swap as large as memory again.
    if !update && r.memory > 0 && r.memory_swap == 0 {
        r.memory_swap = r.memory.saturating_mul(2);
    }
    // ANCHOR_END: swap_default
    Ok(Checked {
        resources: r,
        warnings,
    })
}
// ANCHOR_END: validate

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MB: i64 = 1024 * 1024;

    /// This chapter's reference machine as Docker 20.10 sees it: 2 CPUs, one memory node,
    /// v1 with swap accounting, no blkio weight.
    fn reference_host() -> HostInfo {
        HostInfo {
            blkio_weight: false,
            ..HostInfo::everything_supported(2, "0-1", "0")
        }
    }

    fn refused(r: Resources) -> String {
        validate(&r, &reference_host(), false).unwrap_err().to_string()
    }

    #[test]
    fn docker_errors_word_for_word() {
        // Each message checked against `docker run` of Docker 20.10 on the reference machine.
        let cases: Vec<(Resources, &str)> = vec![
            (
                Resources {
                    memory: MB,
                    ..Default::default()
                },
                "Minimum memory limit allowed is 6MB",
            ),
            (
                Resources {
                    memory_swap: 10 * MB,
                    ..Default::default()
                },
                "You should always set the Memory limit when using Memoryswap limit, see usage",
            ),
            (
                Resources {
                    memory: 10 * MB,
                    memory_swap: 5 * MB,
                    ..Default::default()
                },
                "Minimum memoryswap limit should be larger than memory limit, see usage",
            ),
            (
                Resources {
                    memory: 10 * MB,
                    memory_reservation: 20 * MB,
                    ..Default::default()
                },
                "Minimum memory limit can not be less than memory reservation limit, see usage",
            ),
            (
                Resources {
                    memory_reservation: 1024,
                    ..Default::default()
                },
                "Minimum memory reservation allowed is 6MB",
            ),
            (
                Resources {
                    nano_cpus: 3_000_000_000,
                    ..Default::default()
                },
                "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available",
            ),
            (
                Resources {
                    nano_cpus: -1_000_000_000,
                    ..Default::default()
                },
                "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available",
            ),
            (
                Resources {
                    cpu_period: 10,
                    ..Default::default()
                },
                "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
            ),
            (
                Resources {
                    cpu_quota: 10,
                    ..Default::default()
                },
                "CPU cfs quota can not be less than 1ms (i.e. 1000)",
            ),
            (
                Resources {
                    nano_cpus: 1_000_000_000,
                    cpu_period: 100_000,
                    ..Default::default()
                },
                "Conflicting options: Nano CPUs and CPU Period cannot both be set",
            ),
            (
                Resources {
                    nano_cpus: 1_000_000_000,
                    cpu_quota: 100_000,
                    ..Default::default()
                },
                "Conflicting options: Nano CPUs and CPU Quota cannot both be set",
            ),
            (
                Resources {
                    cpuset_cpus: "5".into(),
                    ..Default::default()
                },
                "Requested CPUs are not available - requested 5, available: 0-1",
            ),
            (
                Resources {
                    cpuset_cpus: "1-x".into(),
                    ..Default::default()
                },
                "Invalid value 1-x for cpuset cpus: invalid format: 1-x",
            ),
            (
                Resources {
                    cpuset_mems: "1".into(),
                    ..Default::default()
                },
                "Requested memory nodes are not available - requested 1, available: 0",
            ),
            (
                Resources {
                    cpuset_mems: "x".into(),
                    ..Default::default()
                },
                "Invalid value x for cpuset mems: invalid format: x",
            ),
        ];
        for (resources, message) in cases {
            assert_eq!(refused(resources.clone()), message, "{resources:?}");
        }
    }

    #[test]
    fn unsupported_settings_are_dropped_with_dockers_warning() {
        let checked = validate(
            &Resources {
                blkio_weight: 5,
                ..Default::default()
            },
            &reference_host(),
            false,
        )
        .unwrap();
        assert_eq!(checked.resources.blkio_weight, 0);
        assert_eq!(
            checked.warnings,
            ["Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."]
        );

        let host = HostInfo::everything_supported(2, "0-1", "0");
        let err = validate(
            &Resources {
                blkio_weight: 5,
                ..Default::default()
            },
            &host,
            false,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "Range of blkio weight is from 10 to 1000");

        let v2 = HostInfo {
            oom_kill_disable: false,
            ..host.clone()
        };
        let checked = validate(
            &Resources {
                memory: 64 * MB,
                oom_kill_disable: Some(true),
                ..Default::default()
            },
            &v2,
            false,
        )
        .unwrap();
        assert_eq!(checked.resources.oom_kill_disable, None);
        assert_eq!(
            checked.warnings,
            ["Your kernel does not support OomKillDisable. OomKillDisable discarded."]
        );
    }

    #[test]
    fn oom_kill_disable_without_a_memory_limit_warns() {
        let checked = validate(
            &Resources {
                oom_kill_disable: Some(true),
                ..Default::default()
            },
            &reference_host(),
            false,
        )
        .unwrap();
        assert_eq!(checked.resources.oom_kill_disable, Some(true));
        assert!(checked.warnings[0].starts_with("OOM killer is disabled for the container"));
    }

    #[test]
    fn swap_defaults_and_special_values() {
        let host = reference_host();
        let r = |memory, memory_swap| Resources {
            memory,
            memory_swap,
            ..Default::default()
        };
        // -m alone: swap defaults to as much again.
        assert_eq!(
            validate(&r(100 * MB, 0), &host, false)
                .unwrap()
                .resources
                .memory_swap,
            200 * MB
        );
        // ...but not on update, where 0 means "leave it".
        assert_eq!(
            validate(&r(100 * MB, 0), &host, true)
                .unwrap()
                .resources
                .memory_swap,
            0
        );
        // -1: unlimited; equal: no swap at all.
        assert_eq!(
            validate(&r(100 * MB, -1), &host, false)
                .unwrap()
                .resources
                .memory_swap,
            -1
        );
        assert_eq!(
            validate(&r(100 * MB, 100 * MB), &host, false)
                .unwrap()
                .resources
                .memory_swap,
            100 * MB
        );
        // No swap accounting: the memory limit stays, swap becomes unlimited, Docker warns.
        let no_swap = HostInfo {
            swap_limit: false,
            ..host
        };
        let checked = validate(&r(100 * MB, 0), &no_swap, false).unwrap();
        assert_eq!(checked.resources.memory_swap, -1);
        assert_eq!(checked.warnings.len(), 1);
    }

    #[test]
    fn cpus_become_a_quota_per_100ms() {
        let r = Resources {
            nano_cpus: 1_500_000_000,
            ..Default::default()
        };
        assert_eq!(r.cfs_quota_and_period(), (Some(150_000), Some(100_000)));
        let r = Resources {
            nano_cpus: 10_000_000,
            ..Default::default()
        };
        assert_eq!(r.cfs_quota_and_period(), (Some(1000), Some(100_000)));
        let r = Resources {
            cpu_quota: -1,
            cpu_period: 50_000,
            ..Default::default()
        };
        assert_eq!(r.cfs_quota_and_period(), (Some(-1), Some(50_000)));
        assert_eq!(Resources::default().cfs_quota_and_period(), (None, None));
    }

    #[test]
    fn pids_limit_zero_or_less_is_unlimited() {
        let p = |n| {
            Resources {
                pids_limit: n,
                ..Default::default()
            }
            .pids_max()
        };
        assert_eq!(p(None), None);
        assert_eq!(p(Some(0)), Some(PidsMax::Unlimited));
        assert_eq!(p(Some(-1)), Some(PidsMax::Unlimited));
        assert_eq!(p(Some(100)), Some(PidsMax::Limit(100)));
    }

    proptest! {
        #[test]
        fn memory_at_or_above_6mb_with_no_other_flag_is_accepted(memory in MIN_MEMORY..i64::MAX / 2) {
            let checked = validate(&Resources { memory, ..Default::default() }, &reference_host(), false).unwrap();
            prop_assert_eq!(checked.resources.memory, memory);
            prop_assert_eq!(checked.resources.memory_swap, memory * 2);
        }

        #[test]
        fn memory_below_6mb_is_refused(memory in 1i64..MIN_MEMORY) {
            prop_assert_eq!(
                validate(&Resources { memory, ..Default::default() }, &reference_host(), false),
                Err(ResourceError::MemoryBelowMinimum)
            );
        }

        #[test]
        fn swap_below_memory_is_refused(memory in MIN_MEMORY..1i64 << 40, less in 1i64..MIN_MEMORY) {
            let r = Resources { memory, memory_swap: memory - less, ..Default::default() };
            prop_assert_eq!(validate(&r, &reference_host(), false), Err(ResourceError::SwapBelowMemory));
        }

        #[test]
        fn cpus_within_the_host_are_accepted(hundredths in 1i64..=200) {
            let r = Resources { nano_cpus: hundredths * 10_000_000, ..Default::default() };
            prop_assert!(validate(&r, &reference_host(), false).is_ok());
            let too_many = Resources { nano_cpus: 2_000_000_001 + hundredths, ..Default::default() };
            prop_assert!(validate(&too_many, &reference_host(), false).is_err());
        }

        #[test]
        fn period_range_is_1ms_to_1s(period in -10_000i64..2_000_000) {
            let r = Resources { cpu_period: period, ..Default::default() };
            let ok = period == 0 || (1000..=1_000_000).contains(&period);
            prop_assert_eq!(validate(&r, &reference_host(), false).is_ok(), ok);
        }
    }
}
