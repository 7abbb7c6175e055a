//! `update`: change a container's resource limits, in its saved `HostConfig` and, while it
//! runs, in its cgroup (chapter 6), and its restart policy.

use ch06_cgroups::Resources;

use super::{Engine, EngineError};
use crate::container::{HostConfig, RestartPolicy};

/// What `docker update` may change (the API's `UpdateConfig`: `Resources` and
/// `RestartPolicy`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerUpdate {
    pub resources: Resources,
    /// `None` (or an empty name): the policy stays as it is.
    pub restart_policy: Option<RestartPolicy>,
}

impl Engine {
    // ANCHOR: update
    /// `docker update`: validates the request (Docker's checks for an update), merges it into
    /// the container's `HostConfig` the way Docker's daemon does, saves it, and applies the
    /// limits to the cgroup of a running (or paused) container. A new restart policy is read
    /// by the container's shim when the container next ends. Returns Docker's warnings and
    /// emits `update`.
    pub fn update_container_with(
        &self,
        name_or_id: &str,
        requested: &ContainerUpdate,
    ) -> Result<Vec<String>, EngineError> {
        let c = self.containers.find(name_or_id)?;
        let checked = self.check_resources(&requested.resources, true)?;
        let policy = requested.restart_policy.as_ref().filter(|p| !p.name.is_empty());
        if let Some(policy) = policy {
            policy.validate().map_err(EngineError::Invalid)?;
        }
        // Docker's `errCannotUpdate`: a conflict with what is saved is a 409, the kernel
        // refusing the new limits a 500
        let cannot = |message: &str| format!("Cannot update container {}: {message}", c.id);
        let before = self.containers.host_config(&c.id)?;
        let mut after = before.clone();
        merge_update(&mut after, &checked.resources).map_err(|m| EngineError::Conflict(cannot(m)))?;
        if let Some(policy) = policy {
            if after.auto_remove && policy.name != "no" {
                return Err(EngineError::Conflict(cannot(
                    "Restart policy cannot be updated because AutoRemove is enabled for the container",
                )));
            }
            after.restart_policy = policy.clone();
        }
        self.containers.save_host_config(&c.id, &after)?;
        if self.is_running(&c) {
            let applied = match self.container_cgroup(&c.id)? {
                Some(cgroup) => cgroup
                    .manager()
                    .apply(&checked.resources)
                    .map_err(|e| e.to_string()),
                None => Ok(()),
            };
            if let Err(message) = applied {
                // As Docker: the saved config goes back to what the kernel still enforces.
                let _ = self.containers.save_host_config(&c.id, &before);
                return Err(EngineError::System(cannot(&message)));
            }
        }
        self.container_event(&c, "update", &[]);
        Ok(checked.warnings)
    }
    // ANCHOR_END: update
}

/// Docker's `UpdateContainer`: the requested fields that are set replace the saved ones, after
/// checks against what is already saved. The error is Docker's message.
fn merge_update(saved: &mut HostConfig, r: &Resources) -> Result<(), &'static str> {
    // --cpus sets the quota and period itself: once one way is used, the other is refused.
    if r.nano_cpus > 0 && saved.cpu_period > 0 {
        return Err("Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
    }
    if r.nano_cpus > 0 && saved.cpu_quota > 0 {
        return Err("Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
    }
    if r.cpu_period > 0 && saved.nano_cpus > 0 {
        return Err("Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
    }
    if r.cpu_quota > 0 && saved.nano_cpus > 0 {
        return Err("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
    }
    if r.blkio_weight != 0 {
        saved.blkio_weight = r.blkio_weight;
    }
    if r.cpu_shares != 0 {
        saved.cpu_shares = r.cpu_shares;
    }
    if r.nano_cpus != 0 {
        saved.nano_cpus = r.nano_cpus;
    }
    if r.cpu_period != 0 {
        saved.cpu_period = r.cpu_period;
    }
    if r.cpu_quota != 0 {
        saved.cpu_quota = r.cpu_quota;
    }
    if !r.cpuset_cpus.is_empty() {
        saved.cpuset_cpus = r.cpuset_cpus.clone();
    }
    if !r.cpuset_mems.is_empty() {
        saved.cpuset_mems = r.cpuset_mems.clone();
    }
    if r.memory != 0 {
        // A memory limit above the saved memory+swap limit needs a new swap limit too.
        if r.memory > saved.memory_swap && r.memory_swap == 0 {
            return Err(
                "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time",
            );
        }
        saved.memory = r.memory;
    }
    if r.memory_swap != 0 {
        saved.memory_swap = r.memory_swap;
    }
    if r.memory_reservation != 0 {
        saved.memory_reservation = r.memory_reservation;
    }
    if r.pids_limit.is_some() {
        saved.pids_limit = r.pids_limit;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: i64 = 1024 * 1024;

    #[test]
    fn memory_above_the_saved_swap_limit_needs_swap_too() {
        // docker run -m 50m; docker update -m 500m: refused (swap is 100m)
        let mut saved = HostConfig {
            memory: 50 * MB,
            memory_swap: 100 * MB,
            ..Default::default()
        };
        let grow = Resources {
            memory: 500 * MB,
            ..Default::default()
        };
        assert_eq!(
            merge_update(&mut saved, &grow),
            Err(
                "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
            )
        );
        // ...and a container created without -m has swap 0: any -m alone is refused, as in Docker
        let mut unlimited = HostConfig::default();
        assert!(
            merge_update(
                &mut unlimited,
                &Resources {
                    memory: 20 * MB,
                    ..Default::default()
                }
            )
            .is_err()
        );
        let both = Resources {
            memory: 500 * MB,
            memory_swap: 1000 * MB,
            ..Default::default()
        };
        merge_update(&mut saved, &both).unwrap();
        assert_eq!((saved.memory, saved.memory_swap), (500 * MB, 1000 * MB));
    }

    #[test]
    fn cpus_and_cfs_settings_exclude_each_other_across_updates() {
        let mut saved = HostConfig {
            nano_cpus: 500_000_000,
            ..Default::default()
        };
        let quota = Resources {
            cpu_quota: 20_000,
            ..Default::default()
        };
        assert_eq!(
            merge_update(&mut saved, &quota),
            Err("Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set")
        );
        let mut cfs = HostConfig {
            cpu_period: 50_000,
            ..Default::default()
        };
        let cpus = Resources {
            nano_cpus: 1_000_000_000,
            ..Default::default()
        };
        assert!(merge_update(&mut cfs, &cpus).is_err());
    }

    #[test]
    fn unset_fields_are_left_alone() {
        let mut saved = HostConfig {
            cpu_shares: 512,
            cpuset_cpus: "0".into(),
            pids_limit: Some(40),
            ..Default::default()
        };
        merge_update(
            &mut saved,
            &Resources {
                blkio_weight: 300,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(saved.cpu_shares, 512);
        assert_eq!(saved.cpuset_cpus, "0");
        assert_eq!(saved.pids_limit, Some(40));
        assert_eq!(saved.blkio_weight, 300);
        merge_update(
            &mut saved,
            &Resources {
                pids_limit: Some(0),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(saved.pids_limit, Some(0));
    }
}
