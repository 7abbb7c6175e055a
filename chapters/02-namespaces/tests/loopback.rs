//! Privileged: `lo` starts down in a new network namespace and `set_loopback_up` raises it.

mod common;

use ch02_namespaces::{Namespace, set_loopback_up, unshare};

fn lo_is_up() -> bool {
    std::fs::read_to_string("/sys/class/net/lo/flags")
        .ok()
        .and_then(|f| u32::from_str_radix(f.trim().trim_start_matches("0x"), 16).ok())
        .is_some_and(|flags| flags & libc::IFF_UP as u32 != 0)
}

#[test]
fn loopback_comes_up_in_a_new_network_namespace() {
    if !common::is_root("loopback_comes_up_in_a_new_network_namespace") {
        return;
    }
    let mut child = common::spawn(|side| {
        unshare(&[Namespace::Net, Namespace::Mount])?;
        // /sys shows the namespace that mounted it: remount it privately to see our own lo.
        nix::mount::mount(
            None::<&str>,
            "/",
            None::<&str>,
            nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
            None::<&str>,
        )
        .map_err(|source| ch02_namespaces::NamespaceError::Loopback { op: "mount", source })?;
        nix::mount::mount(
            Some("sysfs"),
            "/sys",
            Some("sysfs"),
            nix::mount::MsFlags::empty(),
            None::<&str>,
        )
        .map_err(|source| ch02_namespaces::NamespaceError::Loopback {
            op: "mount sysfs",
            source,
        })?;
        side.send(&format!("before {}", lo_is_up()))?;
        set_loopback_up()?;
        side.send(&format!("after {}", lo_is_up()))?;
        Ok(())
    });
    assert_eq!(common::expect_line(&mut child), "before false");
    assert_eq!(common::expect_line(&mut child), "after true");
    common::expect_success(child);
}
