//! Tests of the harness itself: the test image is the script's, and `TestEnv` cleans up after
//! a test that panicked with a container still running.

use std::path::PathBuf;
use std::time::Duration;

use minidocker_e2e::image::{build_busybox_rootfs, busybox_path, summarize_tar, workspace_root};
use minidocker_e2e::{Cmd, TestEnv, root_test};

#[test]
fn rust_built_rootfs_matches_the_script() {
    if !busybox_path().is_file() {
        eprintln!(
            "skipped: needs {} (apt-get install busybox-static)",
            busybox_path().display()
        );
        return;
    }
    let script = workspace_root().join("scripts/busybox-rootfs.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .output()
        .expect("run busybox-rootfs.sh");
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let from_script = summarize_tar(&out.stdout).expect("read the script's tar");
    let from_rust =
        summarize_tar(&build_busybox_rootfs(false).expect("build the rootfs")).expect("read our tar");
    assert_eq!(
        from_rust, from_script,
        "tests/src/image.rs no longer builds what scripts/busybox-rootfs.sh writes"
    );
}

#[test]
fn minidocker_binary_is_found() {
    let bin = minidocker_e2e::minidocker_bin();
    assert!(bin.ends_with("minidocker"), "{}", bin.display());
    let out = Cmd::new(bin).arg("--version").output();
    out.assert_clean_success();
    assert!(out.stdout.starts_with("minidocker "), "{out}");
}

#[test]
fn test_env_cleans_up_after_a_panic() {
    root_test!();
    let (tx, rx) = std::sync::mpsc::channel::<(PathBuf, i32, i32)>();
    let test = std::thread::spawn(move || {
        let env = TestEnv::new();
        let mut run = env.spawn_run(&[
            "--name",
            "orphan",
            "busybox",
            "sh",
            "-c",
            "echo ready; sleep 60 & exec sleep 60",
        ]);
        run.wait_for_line("ready");
        let init = env.wait_for_running("orphan", Duration::from_secs(10));
        // Leave the minidocker process running, as if the test had lost track of it.
        let cli = run.detach();
        tx.send((env.data_root().to_owned(), cli.as_raw(), init.as_raw()))
            .expect("send");
        panic!("deliberate panic with a running container");
    });
    assert!(test.join().is_err(), "the thread was meant to panic");
    let (root, cli, init) = rx.recv().expect("the thread reported its data root");
    // The container's init died (so the pid namespace and its other process too); minidocker,
    // our child, then exited and is reaped here.
    let status = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(cli), None).expect("reap minidocker");
    assert_eq!(
        status,
        nix::sys::wait::WaitStatus::Exited(nix::unistd::Pid::from_raw(cli), 137),
        "minidocker should report the SIGKILL"
    );
    assert!(
        !PathBuf::from(format!("/proc/{init}")).exists(),
        "container init {init} still exists"
    );
    assert!(!root.exists(), "data root {} was not removed", root.display());
    assert_eq!(minidocker_e2e::host::mounts_under(&root), []);
}
