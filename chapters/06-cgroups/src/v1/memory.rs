//! v1 `memory`: the limit, swap, soft limit, the OOM killer switch, and the counters.
//!
//! | file | what |
//! |---|---|
//! | `memory.limit_in_bytes` | the hard limit (`-m`) |
//! | `memory.memsw.limit_in_bytes` | memory **plus** swap (`--memory-swap`); only with swap accounting |
//! | `memory.soft_limit_in_bytes` | reclaimed down to this first under pressure (`--memory-reservation`) |
//! | `memory.oom_control` | write 1 to disable the OOM killer; reads `oom_kill N`, `under_oom 0/1` |
//! | `memory.usage_in_bytes`, `memory.max_usage_in_bytes`, `memory.failcnt`, `memory.stat` | counters |

use std::path::Path;

use crate::error::CgroupError;
use crate::resources::Resources;
use crate::stats::Stats;
use crate::sys::{self, Sys};

const LIMIT: &str = "memory.limit_in_bytes";
const SWAP_LIMIT: &str = "memory.memsw.limit_in_bytes";

/// v1 reports "no limit" as the largest page-aligned counter (9223372036854771712 on 4K pages).
const UNLIMITED_ABOVE: u64 = (i64::MAX / 2) as u64;

// ANCHOR: v1_memory_apply
/// Writes the memory settings of `r` into `dir`.
pub(crate) fn apply(sys: &dyn Sys, dir: &Path, r: &Resources) -> Result<(), CgroupError> {
    set_memory_and_swap(sys, dir, r.memory, r.memory_swap)?;
    if r.memory_reservation != 0 {
        sys::write(
            sys,
            &dir.join("memory.soft_limit_in_bytes"),
            &r.memory_reservation.to_string(),
        )?;
    }
    if r.oom_kill_disable == Some(true) {
        sys::write(sys, &dir.join("memory.oom_control"), "1")?;
    }
    Ok(())
}
// ANCHOR_END: v1_memory_apply

// ANCHOR: memory_and_swap
/// Sets the memory and memory+swap limits in the order the kernel accepts.
///
/// The kernel insists that memory ≤ memory+swap at every moment. Raising both (an update from
/// 64m/128m to 256m/512m) must write the swap limit first; lowering both must write memory
/// first. runc decides by comparing with the current memory limit; so do we.
fn set_memory_and_swap(sys: &dyn Sys, dir: &Path, memory: i64, swap: i64) -> Result<(), CgroupError> {
    let swap_file = dir.join(SWAP_LIMIT);
    // Unlimited swap on a kernel without swap accounting: there is nothing to write.
    let swap = if swap == -1 && !sys.exists(&swap_file) {
        0
    } else {
        swap
    };
    let write_memory = || match memory {
        0 => Ok(()),
        m => sys::write(sys, &dir.join(LIMIT), &m.to_string()),
    };
    let write_swap = || match swap {
        0 => Ok(()),
        s => sys::write(sys, &swap_file, &s.to_string()),
    };
    if memory != 0 && swap != 0 {
        let current = sys::read_u64_or_max(sys, &dir.join(LIMIT))?.unwrap_or(u64::MAX);
        if swap == -1 || u64::try_from(swap).is_ok_and(|s| current < s) {
            write_swap()?;
            return write_memory();
        }
    }
    write_memory()?;
    write_swap()
}
// ANCHOR_END: memory_and_swap

/// Reads the memory counters and OOM state of `dir` into `stats`.
pub(crate) fn stats(sys: &dyn Sys, dir: &Path, stats: &mut Stats) -> Result<(), CgroupError> {
    let number = |file: &str| sys::read_u64_or_max(sys, &dir.join(file));
    let m = &mut stats.memory;
    m.usage = number("memory.usage_in_bytes")?.unwrap_or(0);
    m.max_usage = number("memory.max_usage_in_bytes")?;
    m.limit = number(LIMIT)?.filter(|&l| l < UNLIMITED_ABOVE);
    m.failcnt = number("memory.failcnt")?.unwrap_or(0);
    m.stat = sys::parse_flat_keyed(&sys::read(sys, &dir.join("memory.stat"))?);
    let oom = oom_control(sys, dir)?;
    stats.oom.oom_kills = oom.get("oom_kill").copied().unwrap_or(0);
    stats.oom.under_oom = oom.get("under_oom").is_some_and(|&v| v != 0);
    Ok(())
}

/// How many processes of `dir` the OOM killer killed: `memory.oom_control`'s `oom_kill`
/// (0 on kernels without it, before 4.13).
pub(crate) fn oom_kills(sys: &dyn Sys, dir: &Path) -> Result<u64, CgroupError> {
    Ok(oom_control(sys, dir)?.get("oom_kill").copied().unwrap_or(0))
}

/// `memory.oom_control`'s keys; none where the kernel has no such file.
fn oom_control(sys: &dyn Sys, dir: &Path) -> Result<std::collections::BTreeMap<String, u64>, CgroupError> {
    let text = sys::read_optional(sys, &dir.join("memory.oom_control"))?;
    Ok(text.map(|t| sys::parse_flat_keyed(&t)).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn raising_both_limits_writes_swap_first() {
        let f = Fixture::new(&[(LIMIT, "67108864"), (SWAP_LIMIT, "134217728")]);
        set_memory_and_swap(&f.sys, f.dir(), 256 << 20, 512 << 20).unwrap();
        f.assert_writes(&[(SWAP_LIMIT, "536870912"), (LIMIT, "268435456")]);
    }

    #[test]
    fn lowering_both_limits_writes_memory_first() {
        let f = Fixture::new(&[(LIMIT, "268435456"), (SWAP_LIMIT, "536870912")]);
        set_memory_and_swap(&f.sys, f.dir(), 16 << 20, 16 << 20).unwrap();
        f.assert_writes(&[(LIMIT, "16777216"), (SWAP_LIMIT, "16777216")]);
    }

    #[test]
    fn unlimited_swap_without_swap_accounting_writes_nothing_for_swap() {
        let f = Fixture::new(&[(LIMIT, "9223372036854771712")]);
        let r = Resources {
            memory: 64 << 20,
            memory_swap: -1,
            memory_reservation: 32 << 20,
            ..Default::default()
        };
        f.create("memory.soft_limit_in_bytes", "0");
        apply(&f.sys, f.dir(), &r).unwrap();
        f.assert_writes(&[(LIMIT, "67108864"), ("memory.soft_limit_in_bytes", "33554432")]);
    }

    #[test]
    fn stats_read_usage_limit_and_oom_kills() {
        let f = Fixture::new(&[
            ("memory.usage_in_bytes", "524288\n"),
            ("memory.max_usage_in_bytes", "4091904\n"),
            (LIMIT, "9223372036854771712\n"),
            ("memory.failcnt", "3\n"),
            ("memory.stat", "cache 12288\ntotal_inactive_file 4096\n"),
            (
                "memory.oom_control",
                "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
            ),
        ]);
        let mut s = Stats::default();
        stats(&f.sys, f.dir(), &mut s).unwrap();
        assert_eq!(s.memory.usage, 524_288);
        assert_eq!(s.memory.max_usage, Some(4_091_904));
        assert_eq!(s.memory.limit, None, "v1's huge number means unlimited");
        assert_eq!(s.memory.failcnt, 3);
        assert_eq!(s.memory.stat.get("total_inactive_file"), Some(&4096));
        assert_eq!(s.oom.oom_kills, 2);
        assert!(!s.oom.under_oom);
        assert_eq!(s.oom.oom_events, None);
        assert_eq!(
            oom_kills(&f.sys, f.dir()).unwrap(),
            2,
            "the same number, one file read"
        );
    }
}
