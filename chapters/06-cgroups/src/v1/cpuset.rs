//! v1 `cpuset`: which CPUs and memory nodes the container may use.
//!
//! A new v1 cpuset starts with *empty* `cpuset.cpus` and `cpuset.mems`, and the kernel refuses
//! to put a process into a cpuset with no CPUs (`ENOSPC`). So every directory we create gets
//! its parent's values copied in, top down, before anything else happens (runc does the same).

use std::path::Path;

use crate::error::CgroupError;
use crate::resources::Resources;
use crate::sys::{self, Sys};

const FILES: [&str; 2] = ["cpuset.cpus", "cpuset.mems"];

// ANCHOR: inherit
/// Copies `cpuset.cpus` and `cpuset.mems` from the parent into `dir` where they are empty.
pub(crate) fn inherit_from_parent(sys: &dyn Sys, dir: &Path) -> Result<(), CgroupError> {
    let Some(parent) = dir.parent() else {
        return Ok(());
    };
    for file in FILES {
        let current = sys::read(sys, &dir.join(file))?;
        if current.trim().is_empty() {
            let inherited = sys::read(sys, &parent.join(file))?;
            sys::write(sys, &dir.join(file), inherited.trim())?;
        }
    }
    Ok(())
}
// ANCHOR_END: inherit

/// Writes `--cpuset-cpus` and `--cpuset-mems`, where given.
pub(crate) fn apply(sys: &dyn Sys, dir: &Path, r: &Resources) -> Result<(), CgroupError> {
    if !r.cpuset_cpus.is_empty() {
        sys::write(sys, &dir.join("cpuset.cpus"), &r.cpuset_cpus)?;
    }
    if !r.cpuset_mems.is_empty() {
        sys::write(sys, &dir.join("cpuset.mems"), &r.cpuset_mems)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn an_empty_cpuset_inherits_its_parents() {
        let f = Fixture::new(&[
            ("cpuset.cpus", "0-1\n"),
            ("cpuset.mems", "0\n"),
            ("child/cpuset.cpus", "\n"),
            ("child/cpuset.mems", "0\n"),
        ]);
        inherit_from_parent(&f.sys, &f.dir().join("child")).unwrap();
        f.assert_writes(&[("child/cpuset.cpus", "0-1")]);
    }
}
