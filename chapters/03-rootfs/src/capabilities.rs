//! Dropping to Docker's default capability set.
//!
//! Root in a container is not root on the host largely because of this: the process keeps only
//! 14 of the ~41 capabilities. Without `CAP_SYS_ADMIN` it cannot `mount`, without
//! `CAP_SYS_MODULE` it cannot load modules, without `CAP_SYS_TIME` it cannot set the clock.
//! The *bounding* set is the ceiling: once a capability is dropped from it, no exec (not even of a
//! setuid binary) can bring it back.

use caps::{CapSet, Capability, CapsHashSet};

use crate::RootfsError;

// ANCHOR: default_caps
/// Docker's default capabilities (moby `oci/caps/defaults.go`).
pub const DEFAULT_CAPABILITIES: [Capability; 14] = [
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FSETID,
    Capability::CAP_FOWNER,
    Capability::CAP_MKNOD,
    Capability::CAP_NET_RAW,
    Capability::CAP_SETGID,
    Capability::CAP_SETUID,
    Capability::CAP_SETFCAP,
    Capability::CAP_SETPCAP,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_SYS_CHROOT,
    Capability::CAP_KILL,
    Capability::CAP_AUDIT_WRITE,
];
// ANCHOR_END: default_caps

fn caps_error(op: &'static str) -> impl Fn(caps::errors::CapsError) -> RootfsError {
    move |e| RootfsError::Capabilities {
        op,
        message: e.to_string(),
    }
}

// ANCHOR: drop_bounding
/// Trim the bounding set to `keep`. Needs `CAP_SETPCAP`, so it runs while still root.
pub fn drop_bounding_set(keep: &[Capability]) -> Result<(), RootfsError> {
    for cap in caps::all() {
        if !keep.contains(&cap) && caps::has_cap(None, CapSet::Bounding, cap).unwrap_or(false) {
            caps::drop(None, CapSet::Bounding, cap).map_err(caps_error("drop from bounding set"))?;
        }
    }
    Ok(())
}

/// Set the effective and permitted sets to `keep`; empty the inheritable and ambient sets.
///
/// Call after [`crate::user::switch_user`]: for root, `execve(2)` then grants exactly the
/// bounding set; for any other uid the kernel already emptied these sets. The inheritable set
/// stays empty, as in Docker since runc 1.1: a capability in it would survive an exec of a
/// program with matching file capabilities, which nothing in a container needs.
pub fn set_process_capabilities(keep: &[Capability]) -> Result<(), RootfsError> {
    let set: CapsHashSet = keep.iter().copied().collect();
    caps::clear(None, CapSet::Ambient).map_err(caps_error("clear ambient set"))?;
    let permitted = caps::read(None, CapSet::Permitted).map_err(caps_error("read permitted set"))?;
    let set: CapsHashSet = set.intersection(&permitted).copied().collect();
    caps::clear(None, CapSet::Inheritable).map_err(caps_error("clear inheritable set"))?;
    caps::set(None, CapSet::Effective, &set).map_err(caps_error("set effective set"))?;
    caps::set(None, CapSet::Permitted, &set).map_err(caps_error("set permitted set"))
}
// ANCHOR_END: drop_bounding

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_set_cannot_mount_or_load_modules() {
        for dangerous in [
            Capability::CAP_SYS_ADMIN,
            Capability::CAP_SYS_MODULE,
            Capability::CAP_SYS_TIME,
            Capability::CAP_NET_ADMIN,
        ] {
            assert!(
                !DEFAULT_CAPABILITIES.contains(&dangerous),
                "{dangerous} must not be a default"
            );
        }
        let unique: CapsHashSet = DEFAULT_CAPABILITIES.iter().copied().collect();
        assert_eq!(unique.len(), DEFAULT_CAPABILITIES.len());
    }
}
