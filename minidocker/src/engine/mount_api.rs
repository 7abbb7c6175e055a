//! Which overlay mount API the kernel has ([`detect_mount_api`], chapter 4), asked once per
//! boot rather than once per process.
//!
//! Every shim is a new process and would probe again, and the probe (a lower layer that does
//! not exist) makes overlayfs write `failed to resolve` to the kernel log: one line per
//! container started. The answer cannot change before the next boot, so the first process to
//! probe keeps it in the data root with the boot's id (`/proc/sys/kernel/random/boot_id`,
//! proc(5)); after a reboot, maybe into another kernel, the first process probes again.

use std::path::Path;

use ch04_layers::{MountApi, detect_mount_api};

/// The file in the data root that keeps the answer: `<boot id> <api>`.
const MOUNT_API_FILE: &str = "overlay-mount-api";

/// This kernel's overlay mount API: the answer kept for this boot, else a probe (kept for
/// the next process when it can be written; a data root that cannot be written only costs
/// the next process a probe).
pub fn mount_api_of_this_boot(data_root: &Path) -> MountApi {
    let Ok(boot_id) = std::fs::read_to_string("/proc/sys/kernel/random/boot_id") else {
        return detect_mount_api();
    };
    let boot_id = boot_id.trim();
    let path = data_root.join(MOUNT_API_FILE);
    if let Some(api) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|kept| parse_kept(&kept, boot_id))
    {
        return api;
    }
    let api = detect_mount_api();
    let _ = crate::atomic::write_atomic(
        &path,
        format!("{boot_id} {}\n", name(api)).as_bytes(),
        crate::atomic::Durability::Synced,
    );
    api
}

fn name(api: MountApi) -> &'static str {
    match api {
        MountApi::Legacy => "legacy",
        MountApi::FsConfig => "fsconfig",
    }
}

/// The API in `kept` if it was kept during the boot `boot_id`.
fn parse_kept(kept: &str, boot_id: &str) -> Option<MountApi> {
    let (kept_boot, api) = kept.trim().split_once(' ')?;
    if kept_boot != boot_id {
        return None;
    }
    [MountApi::Legacy, MountApi::FsConfig]
        .into_iter()
        .find(|candidate| name(*candidate) == api)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_counts_only_in_the_boot_that_kept_it() {
        assert_eq!(parse_kept("b1 fsconfig\n", "b1"), Some(MountApi::FsConfig));
        assert_eq!(parse_kept("b1 legacy\n", "b1"), Some(MountApi::Legacy));
        assert_eq!(parse_kept("b0 fsconfig\n", "b1"), None);
        assert_eq!(parse_kept("b1 something-else\n", "b1"), None);
        assert_eq!(parse_kept("", "b1"), None);
    }

    #[test]
    fn the_first_process_keeps_the_probes_answer_for_the_next() {
        let root = tempfile::tempdir().unwrap();
        let first = mount_api_of_this_boot(root.path());
        assert_eq!(first, detect_mount_api());
        let kept = std::fs::read_to_string(root.path().join(MOUNT_API_FILE)).unwrap();
        let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
        assert_eq!(kept, format!("{} {}\n", boot_id.trim(), name(first)));
        // the next one reads it: a kept answer of the other kind shows that it was read
        let other = match first {
            MountApi::Legacy => MountApi::FsConfig,
            MountApi::FsConfig => MountApi::Legacy,
        };
        std::fs::write(
            root.path().join(MOUNT_API_FILE),
            format!("{} {}\n", boot_id.trim(), name(other)),
        )
        .unwrap();
        assert_eq!(mount_api_of_this_boot(root.path()), other);
    }
}
