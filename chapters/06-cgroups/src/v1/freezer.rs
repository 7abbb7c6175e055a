//! v1 `freezer`: `docker pause` and `unpause`.
//!
//! Writing `FROZEN` to `freezer.state` starts stopping every task; the file reads `FREEZING`
//! until the last one is stopped, then `FROZEN`. Writing `THAWED` lets them run again.
//! A frozen task cannot act on signals either, which is why killing a cgroup thaws it after
//! sending SIGKILL ([`crate::manager`]).

use std::path::Path;
use std::time::Duration;

use crate::error::CgroupError;
use crate::manager::{FreezerState, poll_until};
use crate::sys::{self, Sys};

const STATE: &str = "freezer.state";

/// Reads `freezer.state`.
pub(crate) fn state(sys: &dyn Sys, dir: &Path) -> Result<FreezerState, CgroupError> {
    let path = dir.join(STATE);
    let text = sys::read(sys, &path)?;
    match text.trim() {
        "THAWED" => Ok(FreezerState::Thawed),
        "FREEZING" => Ok(FreezerState::Freezing),
        "FROZEN" => Ok(FreezerState::Frozen),
        other => Err(CgroupError::parse(path, format!("unknown state {other:?}"))),
    }
}

// ANCHOR: set_state
/// Asks for `wanted` (FROZEN or THAWED) and waits until the cgroup is there.
///
/// The request is repeated while waiting: a task that forked during `FREEZING` may have been
/// missed by the first pass, and each write of `FROZEN` sweeps the cgroup again.
pub(crate) fn set_state(
    sys: &dyn Sys,
    dir: &Path,
    wanted: FreezerState,
    wait: Duration,
) -> Result<(), CgroupError> {
    let path = dir.join(STATE);
    let value = if wanted == FreezerState::Frozen {
        "FROZEN"
    } else {
        "THAWED"
    };
    let mut last = String::new();
    let reached = poll_until(wait, || {
        sys::write(sys, &path, value)?;
        let now = state(sys, dir)?;
        last = now.to_string();
        Ok(now == wanted)
    })?;
    if reached {
        Ok(())
    } else {
        Err(CgroupError::FreezerTimeout {
            path,
            wanted: value,
            last,
            waited: wait,
        })
    }
}
// ANCHOR_END: set_state

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn freezing_writes_frozen_and_reads_it_back() {
        let f = Fixture::new(&[(STATE, "THAWED\n")]);
        set_state(&f.sys, f.dir(), FreezerState::Frozen, Duration::from_secs(1)).unwrap();
        assert_eq!(state(&f.sys, f.dir()).unwrap(), FreezerState::Frozen);
        f.assert_writes(&[(STATE, "FROZEN")]);
    }
}
