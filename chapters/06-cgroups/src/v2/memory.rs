//! v2 `memory`: the limit, swap, the protected minimum, and the counters.
//!
//! | file | what | v1 equivalent |
//! |---|---|---|
//! | `memory.max` | hard limit; over it, reclaim then OOM kill | `memory.limit_in_bytes` |
//! | `memory.swap.max` | swap **alone** (not memory plus swap) | `memory.memsw.limit_in_bytes` − limit |
//! | `memory.low` | best-effort protection from reclaim | `memory.soft_limit_in_bytes` |
//! | `memory.current`, `memory.peak`, `memory.stat` | counters | `usage_in_bytes`, `max_usage_in_bytes`, `stat` |
//! | `memory.events` | `max` (limit hits), `oom`, `oom_kill` | `failcnt`, `oom_control` |
//!
//! There is no switch to disable the OOM killer on v2: a cgroup at `memory.max` that cannot
//! reclaim has a process killed. `--oom-kill-disable` is dropped with Docker's warning.

use std::path::Path;

use crate::error::CgroupError;
use crate::resources::Resources;
use crate::stats::Stats;
use crate::sys::{self, Sys};

// ANCHOR: swap_max
/// The value for `memory.swap.max` from Docker's `--memory-swap` (memory **plus** swap) and
/// `--memory`, as runc converts it. `None`: leave the file alone.
///
/// `-1` is unlimited (`max`); `--memory-swap` equal to `--memory` means no swap (`0`).
pub fn swap_max(memory_swap: i64, memory: i64) -> Result<Option<String>, String> {
    match (memory_swap, memory) {
        // No memory limit and no swap setting: unlimited both, as v1 would be.
        (0, -1) | (-1, _) => Ok(Some("max".to_string())),
        (0, _) => Ok(None),
        (_, 0 | -1) => Err("unable to set swap limit without memory limit".to_string()),
        (_, m) if m < 0 => Err(format!("invalid memory value: {m}")),
        (s, m) if s < m => Err("memory+swap limit should be >= memory limit".to_string()),
        (s, m) => Ok(Some((s - m).to_string())),
    }
}
// ANCHOR_END: swap_max

/// `0` → leave alone, negative → `max`, else the number.
fn limit_value(bytes: i64) -> Option<String> {
    match bytes {
        0 => None,
        b if b < 0 => Some("max".to_string()),
        b => Some(b.to_string()),
    }
}

// ANCHOR: v2_memory_apply
/// Writes the memory settings of `r` into `dir`: swap first, then the limit (runc's order).
pub(crate) fn apply(sys: &dyn Sys, dir: &Path, r: &Resources) -> Result<(), CgroupError> {
    let swap_path = dir.join("memory.swap.max");
    let swap = swap_max(r.memory_swap, r.memory).map_err(|what| CgroupError::Write {
        path: swap_path.clone(),
        value: r.memory_swap.to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, what),
    })?;
    if let Some(swap) = swap {
        match sys::write(sys, &swap_path, &swap) {
            // No swap accounting: "unlimited" and "none" are what the host does anyway.
            Err(e) if e.is_not_found() && (swap == "max" || swap == "0") => {}
            other => other?,
        }
    }
    if let Some(max) = limit_value(r.memory) {
        sys::write(sys, &dir.join("memory.max"), &max)?;
    }
    if let Some(low) = limit_value(r.memory_reservation) {
        sys::write(sys, &dir.join("memory.low"), &low)?;
    }
    Ok(())
}
// ANCHOR_END: v2_memory_apply

/// Reads the memory counters and OOM events of `dir` into `stats`.
pub(crate) fn stats(sys: &dyn Sys, dir: &Path, stats: &mut Stats) -> Result<(), CgroupError> {
    let m = &mut stats.memory;
    m.usage = sys::read_u64_or_max(sys, &dir.join("memory.current"))?.unwrap_or(0);
    m.limit = sys::read_u64_or_max(sys, &dir.join("memory.max"))?;
    m.max_usage = match sys::read_optional(sys, &dir.join("memory.peak"))? {
        Some(text) => text.trim().parse().ok(),
        None => None,
    };
    m.stat = sys::parse_flat_keyed(&sys::read(sys, &dir.join("memory.stat"))?);
    let events = events(sys, dir)?;
    m.failcnt = events.get("max").copied().unwrap_or(0);
    stats.oom.oom_events = Some(events.get("oom").copied().unwrap_or(0));
    stats.oom.oom_kills = events.get("oom_kill").copied().unwrap_or(0);
    Ok(())
}

/// How many processes of `dir` the OOM killer killed: `memory.events`' `oom_kill`.
pub(crate) fn oom_kills(sys: &dyn Sys, dir: &Path) -> Result<u64, CgroupError> {
    Ok(events(sys, dir)?.get("oom_kill").copied().unwrap_or(0))
}

/// `memory.events`' keys (`max`, `oom`, `oom_kill`, …).
fn events(sys: &dyn Sys, dir: &Path) -> Result<std::collections::BTreeMap<String, u64>, CgroupError> {
    Ok(sys::parse_flat_keyed(&sys::read(
        sys,
        &dir.join("memory.events"),
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn swap_conversion_matches_runc() {
        assert_eq!(swap_max(0, 0), Ok(None));
        assert_eq!(swap_max(0, 64), Ok(None));
        assert_eq!(swap_max(0, -1).unwrap().as_deref(), Some("max"));
        assert_eq!(swap_max(-1, 64).unwrap().as_deref(), Some("max"));
        assert_eq!(swap_max(64, 64).unwrap().as_deref(), Some("0"));
        assert_eq!(swap_max(200, 64).unwrap().as_deref(), Some("136"));
        assert!(swap_max(32, 64).is_err());
        assert!(swap_max(64, 0).is_err());
    }

    #[test]
    fn no_swap_means_swap_max_zero_then_the_limit() {
        let f = Fixture::new(&[
            ("memory.swap.max", "max"),
            ("memory.max", "max"),
            ("memory.low", "0"),
        ]);
        let r = Resources {
            memory: 16 << 20,
            memory_swap: 16 << 20,
            memory_reservation: 8 << 20,
            ..Default::default()
        };
        apply(&f.sys, f.dir(), &r).unwrap();
        f.assert_writes(&[
            ("memory.swap.max", "0"),
            ("memory.max", "16777216"),
            ("memory.low", "8388608"),
        ]);
    }

    #[test]
    fn a_host_without_swap_accounting_tolerates_no_swap() {
        let f = Fixture::new(&[("memory.max", "max")]);
        let r = Resources {
            memory: 16 << 20,
            memory_swap: 16 << 20,
            ..Default::default()
        };
        apply(&f.sys, f.dir(), &r).unwrap();
        assert_eq!(f.read("memory.max"), "16777216");
    }

    #[test]
    fn stats_read_events_as_oom_counts() {
        let f = Fixture::new(&[
            ("memory.current", "1048576\n"),
            ("memory.max", "max\n"),
            ("memory.stat", "anon 4096\nfile 8192\ninactive_file 4096\n"),
            (
                "memory.events",
                "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n",
            ),
        ]);
        let mut s = Stats::default();
        stats(&f.sys, f.dir(), &mut s).unwrap();
        assert_eq!(s.memory.usage, 1_048_576);
        assert_eq!(s.memory.limit, None);
        assert_eq!(s.memory.max_usage, None);
        assert_eq!(s.memory.failcnt, 12);
        assert_eq!(s.oom.oom_events, Some(2));
        assert_eq!(s.oom.oom_kills, 1);
        assert_eq!(
            oom_kills(&f.sys, f.dir()).unwrap(),
            1,
            "the same number, one file read"
        );
        assert_eq!(crate::stats::memory_usage_no_cache(&s.memory), 1_048_576 - 4096);
    }
}
