//! v2's built-in freezer: `cgroup.freeze` and the `frozen` key of `cgroup.events`.
//!
//! Writing `1` asks the kernel to stop every task in the subtree; `cgroup.events` says
//! `frozen 1` once they all are. Unlike v1, a frozen v2 task still dies of SIGKILL.

use std::path::Path;
use std::time::Duration;

use crate::error::CgroupError;
use crate::manager::{FreezerState, poll_until};
use crate::sys::{self, Sys};

/// Reads the state from `cgroup.freeze` (asked) and `cgroup.events` (reached).
pub(crate) fn state(sys: &dyn Sys, dir: &Path) -> Result<FreezerState, CgroupError> {
    let freeze_path = dir.join("cgroup.freeze");
    let Some(asked) = sys::read_optional(sys, &freeze_path)? else {
        return Err(CgroupError::NoFreezer {
            path: dir.to_path_buf(),
        });
    };
    let events = sys::parse_flat_keyed(&sys::read(sys, &dir.join("cgroup.events"))?);
    let frozen = events.get("frozen").copied().unwrap_or(0) == 1;
    Ok(match (asked.trim() == "1", frozen) {
        (true, true) => FreezerState::Frozen,
        (true, false) => FreezerState::Freezing,
        (false, _) => FreezerState::Thawed,
    })
}

// ANCHOR: v2_set_state
/// Writes `cgroup.freeze` and waits until `cgroup.events` agrees.
pub(crate) fn set_state(
    sys: &dyn Sys,
    dir: &Path,
    wanted: FreezerState,
    wait: Duration,
) -> Result<(), CgroupError> {
    let freeze_path = dir.join("cgroup.freeze");
    if !sys.exists(&freeze_path) {
        return Err(CgroupError::NoFreezer {
            path: dir.to_path_buf(),
        });
    }
    let (value, frozen) = if wanted == FreezerState::Frozen {
        ("1", 1)
    } else {
        ("0", 0)
    };
    sys::write(sys, &freeze_path, value)?;
    let mut last = String::new();
    let reached = poll_until(wait, || {
        let events = sys::parse_flat_keyed(&sys::read(sys, &dir.join("cgroup.events"))?);
        let now = events.get("frozen").copied().unwrap_or(0);
        last = format!("frozen {now}");
        Ok(now == frozen)
    })?;
    if reached {
        Ok(())
    } else {
        Err(CgroupError::FreezerTimeout {
            path: freeze_path,
            wanted: if frozen == 1 { "frozen" } else { "thawed" },
            last,
            waited: wait,
        })
    }
}
// ANCHOR_END: v2_set_state
