//! Privileged: the real kernel agrees with the recorded mount plan. Each test clones a child
//! into new mount and PID namespaces, builds the rootfs there and reports through its exit code.

use std::path::Path;

use ch01_process::{spawn_cloned, wait_for_exit};
use ch02_namespaces::{Namespace, clone_flags};
use ch03_rootfs::{LinuxSyscall, RootfsSpec, prepare_rootfs};

fn is_root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipped: needs root (mount and PID namespaces)");
    false
}

/// A tiny rootfs: just the directories the default mounts need, plus a marker file.
fn tiny_rootfs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("marker"), "inside").expect("marker");
    dir
}

/// Run `check` inside a new mount+PID namespace after `prepare_rootfs`; return its exit code.
fn in_container(rootfs: &Path, check: fn() -> Result<(), String>) -> i32 {
    let spec = RootfsSpec::docker_default(rootfs);
    let pid = spawn_cloned(clone_flags(&[Namespace::Mount, Namespace::Pid]), || {
        if let Err(e) = prepare_rootfs(&LinuxSyscall, &spec) {
            eprintln!("prepare_rootfs: {e}");
            return 2;
        }
        match check() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("check failed: {e}");
                1
            }
        }
    })
    .expect("clone");
    wait_for_exit(pid).expect("wait").code()
}

#[test]
fn the_new_root_is_the_rootfs_and_the_host_is_gone() {
    if !is_root() {
        return;
    }
    let rootfs = tiny_rootfs();
    let code = in_container(rootfs.path(), || {
        let marker = std::fs::read_to_string("/marker").map_err(|e| format!("/marker: {e}"))?;
        if marker != "inside" {
            return Err(format!("/marker holds {marker:?}"));
        }
        if Path::new("/etc/os-release").exists() || Path::new("/usr/bin").exists() {
            return Err("host files are visible".into());
        }
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
        if mountinfo.lines().count() > 25 {
            return Err(format!(
                "old root not detached: {} mounts",
                mountinfo.lines().count()
            ));
        }
        Ok(())
    });
    assert_eq!(code, 0);
}

#[test]
fn proc_shows_only_the_new_pid_namespace_and_masks_apply() {
    if !is_root() {
        return;
    }
    let rootfs = tiny_rootfs();
    let code = in_container(rootfs.path(), || {
        let pids: Vec<String> = std::fs::read_dir("/proc")
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.chars().all(|c| c.is_ascii_digit()))
            .collect();
        if pids != ["1"] {
            return Err(format!("processes visible in /proc: {pids:?}"));
        }
        let keys = std::fs::read_to_string("/proc/keys").map_err(|e| e.to_string())?;
        if !keys.is_empty() {
            return Err("/proc/keys is not masked".into());
        }
        match std::fs::write("/proc/sys/kernel/hostname", "x") {
            Err(e) if e.raw_os_error() == Some(libc::EROFS) => Ok(()),
            other => Err(format!("/proc/sys is writable: {other:?}")),
        }
    });
    assert_eq!(code, 0);
}

#[test]
fn dev_has_the_default_nodes_only() {
    if !is_root() {
        return;
    }
    let rootfs = tiny_rootfs();
    let code = in_container(rootfs.path(), || {
        use std::os::unix::fs::FileTypeExt;
        let meta = std::fs::metadata("/dev/null").map_err(|e| e.to_string())?;
        if !meta.file_type().is_char_device() {
            return Err("/dev/null is not a character device".into());
        }
        std::fs::write("/dev/null", "discarded").map_err(|e| e.to_string())?;
        if Path::new("/dev/sda").exists() || Path::new("/dev/mem").exists() || Path::new("/dev/vda").exists()
        {
            return Err("host devices leaked into /dev".into());
        }
        let ptmx = std::fs::read_link("/dev/ptmx").map_err(|e| e.to_string())?;
        if ptmx != Path::new("pts/ptmx") {
            return Err(format!("/dev/ptmx -> {}", ptmx.display()));
        }
        Ok(())
    });
    assert_eq!(code, 0);
}
