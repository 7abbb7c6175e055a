//! v1 `cpu` and `cpuacct`: shares and CFS bandwidth, and the usage counters.
//!
//! | file | what |
//! |---|---|
//! | `cpu.shares` | relative weight under contention (`--cpu-shares`, default 1024) |
//! | `cpu.cfs_period_us`, `cpu.cfs_quota_us` | at most *quota* µs of CPU time per *period* µs (`--cpus`, `--cpu-quota`, `--cpu-period`); quota -1 = no limit |
//! | `cpu.stat` | `nr_periods`, `nr_throttled`, `throttled_time` (ns) |
//! | `cpuacct.usage`, `cpuacct.usage_percpu` | CPU time in ns, total and per CPU |
//! | `cpuacct.stat` | `user` and `system` time in clock ticks |

use std::path::Path;

use crate::error::CgroupError;
use crate::host;
use crate::resources::Resources;
use crate::stats::Stats;
use crate::sys::{self, Sys};

/// Writes the CPU settings of `r` into the `cpu` controller's `dir`.
pub(crate) fn apply(sys: &dyn Sys, dir: &Path, r: &Resources) -> Result<(), CgroupError> {
    if r.cpu_shares != 0 {
        set_shares(sys, dir, r.cpu_shares)?;
    }
    let (quota, period) = r.cfs_quota_and_period();
    set_bandwidth(sys, dir, quota, period)
}

// ANCHOR: shares
/// Writes `cpu.shares` and reads it back: the kernel silently clamps to 2..=262144, and runc
/// (so Docker) reports the clamp as an error rather than run with a different weight.
fn set_shares(sys: &dyn Sys, dir: &Path, shares: i64) -> Result<(), CgroupError> {
    let path = dir.join("cpu.shares");
    // Docker hands the value to runc as an unsigned number; so do we.
    let shares = shares as u64;
    sys::write(sys, &path, &shares.to_string())?;
    let actual = sys::read_u64_or_max(sys, &path)?.unwrap_or(u64::MAX);
    if shares > actual {
        return Err(CgroupError::CpuSharesClamped {
            bound: "maximum",
            actual,
        });
    }
    if shares < actual {
        return Err(CgroupError::CpuSharesClamped {
            bound: "minimum",
            actual,
        });
    }
    Ok(())
}
// ANCHOR_END: shares

// ANCHOR: bandwidth
/// Writes the CFS period, then the quota.
///
/// A new period can be refused (`EINVAL`) while the *old* quota over the new period exceeds
/// what the parent allows; when a quota is about to be written too, runc retries the period
/// after the quota, and so do we.
fn set_bandwidth(
    sys: &dyn Sys,
    dir: &Path,
    quota: Option<i64>,
    period: Option<u64>,
) -> Result<(), CgroupError> {
    let period_path = dir.join("cpu.cfs_period_us");
    let mut retry_period = None;
    if let Some(period) = period {
        let value = period.to_string();
        match sys::write(sys, &period_path, &value) {
            Ok(()) => {}
            Err(CgroupError::Write { source, .. })
                if quota.is_some() && source.raw_os_error() == Some(libc::EINVAL) =>
            {
                retry_period = Some(value);
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(quota) = quota {
        sys::write(sys, &dir.join("cpu.cfs_quota_us"), &quota.to_string())?;
        if let Some(value) = retry_period {
            sys::write(sys, &period_path, &value)?;
        }
    }
    Ok(())
}
// ANCHOR_END: bandwidth

/// Reads throttling from the `cpu` controller's `dir`.
pub(crate) fn cpu_stats(sys: &dyn Sys, dir: &Path, stats: &mut Stats) -> Result<(), CgroupError> {
    if let Some(text) = sys::read_optional(sys, &dir.join("cpu.stat"))? {
        let map = sys::parse_flat_keyed(&text);
        let t = &mut stats.cpu.throttling;
        t.periods = map.get("nr_periods").copied().unwrap_or(0);
        t.throttled_periods = map.get("nr_throttled").copied().unwrap_or(0);
        t.throttled_time = map.get("throttled_time").copied().unwrap_or(0);
    }
    Ok(())
}

/// Reads CPU time from the `cpuacct` controller's `dir`.
pub(crate) fn cpuacct_stats(sys: &dyn Sys, dir: &Path, stats: &mut Stats) -> Result<(), CgroupError> {
    let usage_path = dir.join("cpuacct.usage");
    stats.cpu.total_usage = sys::read_u64_or_max(sys, &usage_path)?.unwrap_or(0);
    let percpu_path = dir.join("cpuacct.usage_percpu");
    if let Some(text) = sys::read_optional(sys, &percpu_path)? {
        stats.cpu.percpu_usage = text
            .split_whitespace()
            .map(|n| n.parse())
            .collect::<Result<_, _>>()
            .map_err(|_| CgroupError::parse(&percpu_path, format!("not numbers: {text:?}")))?;
    }
    if let Some(text) = sys::read_optional(sys, &dir.join("cpuacct.stat"))? {
        let map = sys::parse_flat_keyed(&text);
        let ns_per_tick = 1_000_000_000 / host::clock_ticks().max(1);
        stats.cpu.usage_in_usermode = map.get("user").copied().unwrap_or(0).saturating_mul(ns_per_tick);
        stats.cpu.usage_in_kernelmode = map
            .get("system")
            .copied()
            .unwrap_or(0)
            .saturating_mul(ns_per_tick);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn cpus_write_period_then_quota() {
        let f = Fixture::new(&[("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", "-1")]);
        let r = Resources {
            nano_cpus: 500_000_000,
            ..Default::default()
        };
        apply(&f.sys, f.dir(), &r).unwrap();
        f.assert_writes(&[("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", "50000")]);
    }

    #[test]
    fn shares_are_read_back_and_a_clamp_is_an_error() {
        let f = Fixture::new(&[("cpu.shares", "1024")]);
        apply(
            &f.sys,
            f.dir(),
            &Resources {
                cpu_shares: 512,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(f.read("cpu.shares"), "512");
        // The fixture stores what is written; emulate the kernel clamping 1 to 2 by checking
        // the comparison directly.
        let clamped = Fixture::new(&[("cpu.shares", "2")]);
        let err = set_shares(&ClampingSys(&clamped), clamped.dir(), 1).unwrap_err();
        assert_eq!(err.to_string(), "the minimum allowed cpu-shares is 2");
    }

    /// Writes go nowhere, reads see the fixture: like a kernel that clamped the value.
    #[derive(Debug)]
    struct ClampingSys<'a>(&'a Fixture);

    impl Sys for ClampingSys<'_> {
        fn mkdir(&self, p: &Path) -> std::io::Result<()> {
            self.0.sys.mkdir(p)
        }
        fn rmdir(&self, p: &Path) -> std::io::Result<()> {
            self.0.sys.rmdir(p)
        }
        fn read(&self, p: &Path) -> std::io::Result<String> {
            self.0.sys.read(p)
        }
        fn write(&self, _p: &Path, _v: &str) -> std::io::Result<()> {
            Ok(())
        }
        fn exists(&self, p: &Path) -> bool {
            self.0.sys.exists(p)
        }
        fn subdirs(&self, p: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
            self.0.sys.subdirs(p)
        }
        fn kill(&self, p: nix::unistd::Pid, s: nix::sys::signal::Signal) -> Result<(), nix::errno::Errno> {
            self.0.sys.kill(p, s)
        }
    }

    #[test]
    fn usage_counters_are_nanoseconds() {
        let f = Fixture::new(&[
            ("cpuacct.usage", "26960430\n"),
            ("cpuacct.usage_percpu", "0 26960430 \n"),
            ("cpuacct.stat", "user 1\nsystem 0\n"),
            ("cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 123\n"),
        ]);
        let mut s = Stats::default();
        cpuacct_stats(&f.sys, f.dir(), &mut s).unwrap();
        cpu_stats(&f.sys, f.dir(), &mut s).unwrap();
        assert_eq!(s.cpu.total_usage, 26_960_430);
        assert_eq!(s.cpu.percpu_usage, [0, 26_960_430]);
        assert_eq!(s.cpu.usage_in_usermode, 1_000_000_000 / host::clock_ticks());
        assert_eq!(s.cpu.throttling.throttled_periods, 4);
        assert_eq!(s.cpu.throttling.throttled_time, 123);
    }
}
