//! Joining a running container: its cgroups, then its namespaces.
//!
//! ```text
//!  the joining process (on the host)             the container's init (pid N)
//!  ─────────────────────────────────             ────────────────────────────
//!  /proc/N/cgroup ──▶ write our pid to cgroup.procs   its cgroups
//!  open /proc/N/ns/{user,pid,uts,ipc,net,cgroup,mnt}   its namespaces
//!  setns(2) each, in that order ─────────────────────▶ now ours too (pid: our children's)
//! ```

use ch02_namespaces::{Namespace, join_all};
use nix::unistd::Pid;

use crate::cgroup::join_cgroups;
use crate::error::ExecError;

// ANCHOR: exec_namespaces
/// The namespaces an exec joins: every kind. Chapter 2's [`join_all`] enters them in
/// [`Namespace::JOIN_ORDER`] (user first, mnt last) whatever the order here, and skips the
/// ones the caller already shares: a container without a user namespace of its own (as
/// minidocker's are) is joined in the other six.
pub const EXEC_NAMESPACES: [Namespace; 7] = Namespace::ALL;
// ANCHOR_END: exec_namespaces

// ANCHOR: join_container
/// Moves the calling process into the cgroups and namespaces of process `pid`, the
/// container's init: [`join_cgroups`], then [`join_all`] of [`EXEC_NAMESPACES`].
///
/// The cgroups come first, while the host's `/proc` and `/sys/fs/cgroup` are still the ones
/// we see. After it returns the caller is in every namespace but one in the usual sense: in
/// the PID namespace only its *next children* will be (see [`crate::fork`]).
///
/// Call it in a single-threaded process: setns(2) into a mount namespace fails with `EINVAL`
/// when other threads share our filesystem information, and a user namespace always does.
/// Not undoable: on error the process is half in, half out, and should exit.
pub fn join_container(pid: Pid) -> Result<(), ExecError> {
    join_cgroups(pid)?;
    join_all(pid, &EXEC_NAMESPACES).map_err(|source| ExecError::Namespaces { pid, source })
}
// ANCHOR_END: join_container

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_joined_and_mnt_comes_last() {
        for ns in Namespace::ALL {
            assert!(EXEC_NAMESPACES.contains(&ns), "{ns}");
        }
        // the order join_all uses: mnt last, or the host's /proc/<pid>/ns is gone
        assert_eq!(Namespace::JOIN_ORDER.last(), Some(&Namespace::Mount));
        assert_eq!(Namespace::JOIN_ORDER.first(), Some(&Namespace::User));
    }
}
