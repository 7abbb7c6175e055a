//! ex3: `pivot_into`, making the rootfs `/` and dropping the host's mounts.

mod common;

use std::path::Path;

use lab03_rootfs::pivot::{bind_rootfs, pivot_into};
use lab03_rootfs::syscall::Call;
use lab03_rootfs::{LinuxSyscall, RecordingSyscall};
use nix::mount::{MntFlags, MsFlags};

#[test]
fn ex3_pivot_root_then_detach_the_old_root_then_stand_in_the_new_one() {
    let sys = RecordingSyscall::new();
    let rootfs = Path::new("/var/lib/minidocker/rootfs");
    pivot_into(&sys, rootfs).expect("pivot");
    let calls = sys.calls();
    let pivot = calls
        .iter()
        .position(|c| matches!(c, Call::PivotRoot { .. }))
        .unwrap_or_else(|| panic!("no pivot_root(2) in {calls:?}"));
    // The new root is the rootfs: named directly, or "." after a chdir into it.
    let new_root_is_rootfs = match &calls[pivot] {
        Call::PivotRoot { new_root, .. } if new_root == rootfs => true,
        Call::PivotRoot { new_root, .. } if new_root == Path::new(".") => {
            calls[..pivot].iter().rev().find_map(|c| match c {
                Call::Chdir(dir) => Some(dir == rootfs),
                _ => None,
            }) == Some(true)
        }
        _ => false,
    };
    assert!(
        new_root_is_rootfs,
        "pivot_root(2) must make the rootfs the new root: {calls:?}"
    );
    let detached = calls[pivot..]
        .iter()
        .any(|c| matches!(c, Call::Umount2 { flags, .. } if flags.contains(MntFlags::MNT_DETACH)));
    assert!(
        detached,
        "the old root must be unmounted with MNT_DETACH after the pivot: {calls:?}"
    );
    assert_eq!(
        calls.last(),
        Some(&Call::Chdir("/".into())),
        "it ends in the new /: {calls:?}"
    );
}

#[test]
fn ex3_pivot_into_a_real_rootfs_leaves_nothing_of_the_host() {
    if !common::is_root("ex3_pivot_into_a_real_rootfs_leaves_nothing_of_the_host") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rootfs = dir.path().to_path_buf();
    common::write_file(&rootfs, "etc/hostname", "lab03\n");
    std::fs::create_dir(rootfs.join("proc")).expect("mkdir proc");
    let child = common::spawn_in_mount_namespace(move |side| {
        let sys = LinuxSyscall;
        bind_rootfs(&sys, &rootfs)?;
        pivot_into(&sys, &rootfs)?;
        let mut entries: Vec<String> = std::fs::read_dir("/")?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        side.send(&format!("/ has {entries:?}"))?;
        side.send(&format!("cwd {}", std::env::current_dir()?.display()))?;
        side.send(&format!(
            "hostname file {:?}",
            std::fs::read_to_string("/etc/hostname")?
        ))?;
        // Mount /proc to look at the mount table: only the rootfs and /proc may be left.
        nix::mount::mount(
            Some("proc"),
            "/proc",
            Some("proc"),
            MsFlags::empty(),
            None::<&str>,
        )?;
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
        let mut points: Vec<&str> = mountinfo.lines().filter_map(|l| l.split(' ').nth(4)).collect();
        points.sort_unstable();
        side.send(&format!("mount points {points:?}"))?;
        Ok(())
    });
    let report = common::expect_success(child);
    assert_eq!(
        report,
        vec![
            r#"/ has ["etc", "proc"]"#,
            "cwd /",
            r#"hostname file "lab03\n""#,
            r#"mount points ["/", "/proc"]"#,
        ]
    );
}
