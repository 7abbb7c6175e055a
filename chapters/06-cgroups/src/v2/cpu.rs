//! v2 `cpu`: weight and bandwidth in two files, and the usage counters in `cpu.stat`.
//!
//! | file | what | v1 equivalent |
//! |---|---|---|
//! | `cpu.weight` | 1 to 10000, default 100 | `cpu.shares` 2 to 262144, default 1024 |
//! | `cpu.max` | `"<quota> <period>"`, quota `max` = no limit | `cpu.cfs_quota_us`, `cpu.cfs_period_us` |
//! | `cpu.stat` | `usage_usec`, `user_usec`, `system_usec`, `nr_periods`, `nr_throttled`, `throttled_usec` | `cpuacct.*`, `cpu.stat` |

use std::path::Path;

use crate::error::CgroupError;
use crate::resources::Resources;
use crate::stats::Stats;
use crate::sys::{self, Sys};

// ANCHOR: weight
/// Converts v1 `cpu.shares` to v2 `cpu.weight` as runc does: the range [2, 262144] maps
/// linearly onto [1, 10000]. 0 stays 0 ("unset"). Docker's default 1024 becomes 39, not 100:
/// the formula is linear, and v2's default sits elsewhere on the line.
pub fn cpu_weight_from_shares(shares: u64) -> u64 {
    if shares == 0 {
        return 0;
    }
    // runc computes in unsigned arithmetic; clamping first keeps 0 < shares < 2 from wrapping.
    let shares = shares.clamp(2, 262_144);
    1 + ((shares - 2) * 9999) / 262_142
}
// ANCHOR_END: weight

// ANCHOR: cpu_max
/// The `cpu.max` line, or `None` when neither quota nor period is set. runc writes `max` for
/// an unset or negative quota and leaves the period out when it is unset.
pub fn cpu_max(quota: Option<i64>, period: Option<u64>) -> Option<String> {
    if quota.is_none() && period.is_none() {
        return None;
    }
    let mut line = match quota {
        Some(q) if q > 0 => q.to_string(),
        _ => "max".to_string(),
    };
    if let Some(period) = period {
        line.push_str(&format!(" {period}"));
    }
    Some(line)
}
// ANCHOR_END: cpu_max

/// Writes the CPU settings of `r` into `dir`.
pub(crate) fn apply(sys: &dyn Sys, dir: &Path, r: &Resources) -> Result<(), CgroupError> {
    if r.cpu_shares != 0 {
        let weight = cpu_weight_from_shares(r.cpu_shares as u64);
        sys::write(sys, &dir.join("cpu.weight"), &weight.to_string())?;
    }
    let (quota, period) = r.cfs_quota_and_period();
    if let Some(line) = cpu_max(quota, period) {
        sys::write(sys, &dir.join("cpu.max"), &line)?;
    }
    Ok(())
}

/// Reads `cpu.stat` (µs) into nanosecond counters. v2 has no per-CPU usage.
pub(crate) fn stats(sys: &dyn Sys, dir: &Path, stats: &mut Stats) -> Result<(), CgroupError> {
    let map = sys::parse_flat_keyed(&sys::read(sys, &dir.join("cpu.stat"))?);
    let ns = |key: &str| map.get(key).copied().unwrap_or(0).saturating_mul(1000);
    stats.cpu.total_usage = ns("usage_usec");
    stats.cpu.usage_in_usermode = ns("user_usec");
    stats.cpu.usage_in_kernelmode = ns("system_usec");
    stats.cpu.throttling.periods = map.get("nr_periods").copied().unwrap_or(0);
    stats.cpu.throttling.throttled_periods = map.get("nr_throttled").copied().unwrap_or(0);
    stats.cpu.throttling.throttled_time = ns("throttled_usec");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;
    use proptest::prelude::*;

    #[test]
    fn shares_to_weight_like_runc() {
        assert_eq!(cpu_weight_from_shares(0), 0);
        assert_eq!(cpu_weight_from_shares(2), 1);
        assert_eq!(cpu_weight_from_shares(1024), 39);
        assert_eq!(cpu_weight_from_shares(512), 20);
        assert_eq!(cpu_weight_from_shares(262_144), 10_000);
        assert_eq!(cpu_weight_from_shares(1), 1);
        assert_eq!(cpu_weight_from_shares(1 << 40), 10_000);
    }

    #[test]
    fn cpu_max_lines() {
        assert_eq!(
            cpu_max(Some(150_000), Some(100_000)).as_deref(),
            Some("150000 100000")
        );
        assert_eq!(cpu_max(Some(-1), None).as_deref(), Some("max"));
        assert_eq!(cpu_max(None, Some(50_000)).as_deref(), Some("max 50000"));
        assert_eq!(cpu_max(None, None), None);
    }

    #[test]
    fn stats_are_converted_to_nanoseconds() {
        let f = Fixture::new(&[(
            "cpu.stat",
            "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 8\nnr_throttled 3\nthrottled_usec 70\n",
        )]);
        let mut s = Stats::default();
        stats(&f.sys, f.dir(), &mut s).unwrap();
        assert_eq!(s.cpu.total_usage, 2_500_000);
        assert_eq!(s.cpu.usage_in_kernelmode, 500_000);
        assert_eq!(s.cpu.throttling.throttled_time, 70_000);
        assert!(s.cpu.percpu_usage.is_empty());
    }

    proptest! {
        #[test]
        fn weight_is_monotonic_and_in_range(a in 2u64..=262_144, b in 2u64..=262_144) {
            let (wa, wb) = (cpu_weight_from_shares(a), cpu_weight_from_shares(b));
            prop_assert!((1..=10_000).contains(&wa));
            if a <= b {
                prop_assert!(wa <= wb);
            }
        }
    }
}
