//! v1 `pids`: how many processes (threads, in fact: every task counts) the cgroup may hold.
//!
//! `pids.max` is the limit (`max` = none); a `fork(2)` or `clone(2)` beyond it fails with
//! `EAGAIN`, and `pids.events` counts those refusals. `pids.current` is the count now.
//! The v2 files have the same names and meanings, so v2 uses this module too.

use std::path::Path;

use crate::error::CgroupError;
use crate::resources::{PidsMax, Resources};
use crate::stats::Stats;
use crate::sys::{self, Sys};

// ANCHOR: pids_apply
/// Writes `--pids-limit`, where given.
pub(crate) fn apply(sys: &dyn Sys, dir: &Path, r: &Resources) -> Result<(), CgroupError> {
    let value = match r.pids_max() {
        None => return Ok(()),
        Some(PidsMax::Unlimited) => "max".to_string(),
        Some(PidsMax::Limit(n)) => n.to_string(),
    };
    sys::write(sys, &dir.join("pids.max"), &value)
}
// ANCHOR_END: pids_apply

/// Reads the process count, the limit and the refused forks.
pub(crate) fn stats(sys: &dyn Sys, dir: &Path, stats: &mut Stats) -> Result<(), CgroupError> {
    stats.pids.current = sys::read_u64_or_max(sys, &dir.join("pids.current"))?.unwrap_or(0);
    stats.pids.limit = sys::read_u64_or_max(sys, &dir.join("pids.max"))?;
    stats.pids.refused_forks = sys::read_optional(sys, &dir.join("pids.events"))?
        .and_then(|text| sys::parse_flat_keyed(&text).get("max").copied());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn limits_and_counters() {
        let f = Fixture::new(&[
            ("pids.max", "max\n"),
            ("pids.current", "3\n"),
            ("pids.events", "max 7\n"),
        ]);
        apply(
            &f.sys,
            f.dir(),
            &Resources {
                pids_limit: Some(-1),
                ..Default::default()
            },
        )
        .unwrap();
        apply(
            &f.sys,
            f.dir(),
            &Resources {
                pids_limit: Some(20),
                ..Default::default()
            },
        )
        .unwrap();
        apply(&f.sys, f.dir(), &Resources::default()).unwrap();
        f.assert_writes(&[("pids.max", "max"), ("pids.max", "20")]);
        let mut s = Stats::default();
        stats(&f.sys, f.dir(), &mut s).unwrap();
        assert_eq!(
            (s.pids.current, s.pids.limit, s.pids.refused_forks),
            (3, Some(20), Some(7))
        );
    }
}
