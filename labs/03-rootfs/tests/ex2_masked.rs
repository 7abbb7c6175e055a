//! ex2: `mask_path` and `readonly_path`, recorded through `RecordingSyscall` and then for real.

mod common;

use std::path::{Path, PathBuf};

use lab03_rootfs::masked::{MASKED_PATHS, READONLY_PATHS, apply_default_masks, mask_path, readonly_path};
use lab03_rootfs::syscall::{Call, FileKind};
use lab03_rootfs::{LinuxSyscall, RecordingSyscall};
use nix::mount::MsFlags;

#[test]
fn ex2_a_directory_is_hidden_under_a_read_only_tmpfs() {
    let sys = RecordingSyscall::new().with_file("/proc/scsi", FileKind::Directory);
    mask_path(&sys, Path::new("/proc/scsi")).expect("mask");
    let mounts = sys.mounts();
    assert_eq!(mounts.len(), 1, "one mount: {mounts:?}");
    let (target, fstype, flags) = &mounts[0];
    assert_eq!(target, Path::new("/proc/scsi"));
    assert_eq!(fstype.as_deref(), Some("tmpfs"));
    assert!(flags.contains(MsFlags::MS_RDONLY), "read-only: {flags:?}");
}

#[test]
fn ex2_a_file_is_hidden_under_dev_null() {
    let sys = RecordingSyscall::new().with_file("/proc/kcore", FileKind::Other);
    mask_path(&sys, Path::new("/proc/kcore")).expect("mask");
    match sys.calls().as_slice() {
        [
            Call::Mount {
                source,
                target,
                flags,
                ..
            },
        ] => {
            assert_eq!(source.as_deref(), Some(Path::new("/dev/null")));
            assert_eq!(target, Path::new("/proc/kcore"));
            assert!(flags.contains(MsFlags::MS_BIND), "a bind mount: {flags:?}");
        }
        calls => panic!("expected one bind mount of /dev/null, got {calls:?}"),
    }
}

#[test]
fn ex2_paths_the_kernel_does_not_have_are_skipped() {
    let sys = RecordingSyscall::new();
    mask_path(&sys, Path::new("/proc/acpi")).expect("mask a missing path");
    readonly_path(&sys, Path::new("/proc/irq")).expect("freeze a missing path");
    assert_eq!(sys.calls(), vec![], "nothing to mount over");
}

#[test]
fn ex2_readonly_is_a_bind_then_a_read_only_remount() {
    let sys = RecordingSyscall::new().with_file("/proc/sys", FileKind::Directory);
    readonly_path(&sys, Path::new("/proc/sys")).expect("freeze");
    let calls = sys.calls();
    let [first, second] = calls.as_slice() else {
        panic!("expected two mounts, got {calls:?}");
    };
    for call in [first, second] {
        let Call::Mount { source, target, .. } = call else {
            panic!("expected mounts, got {calls:?}");
        };
        assert_eq!(
            (source.as_deref(), target.as_path()),
            (Some(Path::new("/proc/sys")), Path::new("/proc/sys"))
        );
    }
    let flags = |call: &Call| match call {
        Call::Mount { flags, .. } => *flags,
        _ => MsFlags::empty(),
    };
    assert!(flags(first).contains(MsFlags::MS_BIND), "first a bind: {calls:?}");
    assert!(
        !flags(first).contains(MsFlags::MS_REMOUNT),
        "first a bind: {calls:?}"
    );
    let remount = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    assert!(
        flags(second).contains(remount),
        "then a read-only remount: {calls:?}"
    );
}

#[test]
fn ex2_the_default_masks_cover_dockers_lists() {
    let mut sys = RecordingSyscall::new();
    for (i, p) in MASKED_PATHS.iter().enumerate() {
        let kind = if i % 2 == 0 {
            FileKind::Directory
        } else {
            FileKind::Other
        };
        sys = sys.with_file(*p, kind);
    }
    for p in READONLY_PATHS {
        sys = sys.with_file(p, FileKind::Directory);
    }
    apply_default_masks(&sys).expect("apply");
    let targets: Vec<PathBuf> = sys.mounts().into_iter().map(|(target, ..)| target).collect();
    assert_eq!(
        targets.len(),
        MASKED_PATHS.len() + 2 * READONLY_PATHS.len(),
        "{targets:?}"
    );
    for p in MASKED_PATHS.iter().chain(READONLY_PATHS.iter()) {
        assert!(targets.contains(&PathBuf::from(p)), "{p} was not mounted over");
    }
}

#[test]
fn ex2_masked_paths_are_hidden_and_readonly_paths_frozen_for_real() {
    if !common::is_root("ex2_masked_paths_are_hidden_and_readonly_paths_frozen_for_real") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    common::write_file(&root, "secret/key", "hunter2");
    common::write_file(&root, "kcore", "kernel memory");
    common::write_file(&root, "sys/knob", "1");
    let child = common::spawn_in_mount_namespace(move |side| {
        let sys = LinuxSyscall;
        mask_path(&sys, &root.join("secret"))?;
        mask_path(&sys, &root.join("kcore"))?;
        readonly_path(&sys, &root.join("sys"))?;
        let secret: Vec<_> = std::fs::read_dir(root.join("secret"))?.collect();
        side.send(&format!("secret entries: {}", secret.len()))?;
        side.send(&format!(
            "kcore: {:?}",
            std::fs::read_to_string(root.join("kcore"))?
        ))?;
        side.send(&format!(
            "knob: {:?}",
            std::fs::read_to_string(root.join("sys/knob"))?
        ))?;
        let write = std::fs::write(root.join("sys/knob"), "0").map_err(|e| e.raw_os_error());
        side.send(&format!("write knob: {write:?}"))?;
        Ok(())
    });
    let report = common::expect_success(child);
    let erofs = format!("write knob: Err(Some({}))", libc_erofs());
    assert_eq!(
        report,
        vec!["secret entries: 0", "kcore: \"\"", "knob: \"1\"", erofs.as_str()],
        "inside the child's mount namespace"
    );
    // The host (our mount namespace) never saw any of it.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("secret/key")).expect("read"),
        "hunter2"
    );
}

fn libc_erofs() -> i32 {
    nix::errno::Errno::EROFS as i32
}
