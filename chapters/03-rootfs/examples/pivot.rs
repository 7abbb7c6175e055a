//! A container in 40 lines: new mount, PID, UTS, IPC and network namespaces, Docker's root
//! filesystem setup, `pivot_root`, then a shell.
//!
//!     scripts/busybox-rootfs.sh | (mkdir -p /tmp/bb && tar -C /tmp/bb -x)
//!     sudo cargo run -p ch03-rootfs --example pivot -- /tmp/bb sh -c 'ps; ls /; cat /proc/self/mountinfo'
//!
//! (The rootfs is used in place: files the shell writes stay in /tmp/bb.)
use ch01_process::{BlockedSignals, Reap, forwarded_signals, spawn_cloned, supervise};
use ch02_namespaces::{Namespace, clone_flags, set_hostname};
use ch03_rootfs::capabilities::DEFAULT_CAPABILITIES;
use ch03_rootfs::user::ResolvedUser;
use ch03_rootfs::{LinuxSyscall, ProcessSpec, RootfsSpec, exec_process, prepare_rootfs};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(rootfs) = args.next() else {
        eprintln!("usage: pivot ROOTFS [CMD...]");
        std::process::exit(2);
    };
    let mut command: Vec<String> = args.collect();
    if command.is_empty() {
        command = vec!["sh".into()];
    }
    let spec = RootfsSpec::docker_default(&rootfs);
    let process = ProcessSpec {
        args: command,
        env: vec!["PATH=/bin:/usr/bin".into(), "HOME=/root".into()],
        cwd: "/".into(),
        user: ResolvedUser {
            uid: 0,
            gid: 0,
            additional_gids: vec![0],
            home: "/root".into(),
        },
        capabilities: DEFAULT_CAPABILITIES.to_vec(),
    };
    let namespaces = [
        Namespace::Mount,
        Namespace::Pid,
        Namespace::Uts,
        Namespace::Ipc,
        Namespace::Net,
    ];
    let blocked = BlockedSignals::block(&forwarded_signals()).expect("block signals");
    let child = spawn_cloned(clone_flags(&namespaces), || {
        let _ = ch01_process::reset_in_child();
        let result = set_hostname("pivot-example")
            .map_err(|e| e.to_string())
            .and_then(|()| prepare_rootfs(&LinuxSyscall, &spec).map_err(|e| e.to_string()));
        match result {
            Ok(()) => {
                let failure = exec_process(&process);
                eprintln!("pivot: {}", failure.message);
                failure.exit_code as isize
            }
            Err(e) => {
                eprintln!("pivot: {e}");
                125
            }
        }
    })
    .expect("clone (are you root?)");
    let status = supervise(child, Reap::MainChildOnly).expect("supervise");
    drop(blocked);
    println!(
        "container {status} (docker would report exit code {})",
        status.code()
    );
    std::process::exit(status.code());
}
