//! Print, without root and without touching anything, every system call a container's rootfs
//! setup makes, in order: the recording test double in action.
//!
//!     cargo run -p ch03-rootfs --example mount_plan
use ch03_rootfs::syscall::{Call, FileKind};
use ch03_rootfs::{RecordingSyscall, RootfsSpec, prepare_rootfs};

fn main() {
    let rootfs = std::env::temp_dir(); // any existing directory: nothing is really mounted
    let mut sys = RecordingSyscall::new();
    for masked in ["/proc/kcore", "/proc/keys", "/proc/timer_list"] {
        sys = sys.with_file(masked, FileKind::Other);
    }
    for dir in ["/proc/acpi", "/sys/firmware", "/proc/sys", "/proc/bus"] {
        sys = sys.with_file(dir, FileKind::Directory);
    }
    if let Err(e) = prepare_rootfs(&sys, &RootfsSpec::docker_default(&rootfs)) {
        eprintln!("mount_plan: {e}");
        std::process::exit(1);
    }
    for (i, call) in sys.calls().iter().enumerate() {
        let line = match call {
            Call::Mount {
                source,
                target,
                fstype,
                flags,
                data,
            } => format!(
                "mount {} on {} type {} flags {:?}{}",
                source.as_ref().map_or("none".into(), |s| s.display().to_string()),
                target.display(),
                fstype.as_deref().unwrap_or("(bind/remount)"),
                flags,
                data.as_ref().map_or(String::new(), |d| format!(" data {d}"))
            ),
            other => format!("{other:?}"),
        };
        println!("{:>3}. {line}", i + 1);
    }
}
