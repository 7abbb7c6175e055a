//! What a default container may not see or do: masked and read-only paths, no mounting, and
//! Docker's 14 default capabilities (docs/oracle §11, §15).

use minidocker_e2e::{TestEnv, root_test};

/// Docker's 14 default capabilities as a /proc/<pid>/status mask.
const DEFAULT_CAPS: &str = "00000000a80425fb";
const NO_CAPS: &str = "0000000000000000";

/// The `Cap*:` lines of `/proc/self/status` of `cat` run with `user_args` (e.g. `["-u", "1000"]`).
fn cap_lines(env: &TestEnv, user_args: &[&str]) -> String {
    let mut args = vec!["--rm"];
    args.extend_from_slice(user_args);
    args.extend_from_slice(&["busybox", "grep", "^Cap", "/proc/self/status"]);
    let out = env.run(&args);
    out.assert_clean_success();
    out.stdout
}

#[test]
fn masked_proc_files_read_as_empty() {
    root_test!();
    let env = TestEnv::new();
    let host = std::fs::read_to_string("/proc/timer_list").expect("reading the host's /proc/timer_list");
    assert!(
        !host.is_empty(),
        "precondition: the host's /proc/timer_list has content"
    );
    // Both are bound to /dev/null: readable, always empty.
    env.run(&[
        "--rm",
        "busybox",
        "sh",
        "-c",
        "wc -c < /proc/keys; wc -c < /proc/timer_list",
    ])
    .assert_clean_success()
    .assert_stdout("0\n0\n");
}

#[test]
fn sys_firmware_is_empty() {
    root_test!();
    let env = TestEnv::new();
    let host_entries = std::fs::read_dir("/sys/firmware").map(|d| d.count()).unwrap_or(0);
    assert!(
        host_entries > 0,
        "precondition: the host's /sys/firmware has entries"
    );
    env.run(&["--rm", "busybox", "ls", "-A", "/sys/firmware"])
        .assert_clean_success()
        .assert_stdout("");
}

#[test]
fn proc_sys_is_read_only() {
    root_test!();
    let env = TestEnv::new();
    // docs/oracle §11, byte for byte.
    env.run(&[
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo 1 > /proc/sys/kernel/hostname; echo rc=$?",
    ])
    .assert_code(0)
    .assert_stdout("rc=1\n")
    .assert_stderr("sh: can't create /proc/sys/kernel/hostname: Read-only file system\n");
}

#[test]
fn sysfs_is_read_only() {
    root_test!();
    let env = TestEnv::new();
    let out = env.run(&[
        "--rm",
        "busybox",
        "sh",
        "-c",
        "mkdir /sys/minidocker-e2e; echo rc=$?",
    ]);
    out.assert_code(0).assert_stdout("rc=1\n");
    assert!(out.stderr.contains("Read-only file system"), "{out}");
}

#[test]
fn mounting_is_refused() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "--rm",
        "busybox",
        "sh",
        "-c",
        "mount -t tmpfs none /tmp; echo rc=$?",
    ])
    .assert_code(0)
    .assert_stdout("rc=1\n")
    .assert_stderr("mount: permission denied (are you root?)\n");
    // And the exit code of mount itself, run as the command.
    let out = env.run(&["--rm", "busybox", "mount", "-t", "tmpfs", "none", "/tmp"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("permission denied"), "{out}");
}

/// docs/oracle §11/§15, byte for byte: the 14 defaults in permitted, effective and bounding;
/// inheritable and ambient empty.
#[test]
fn root_gets_exactly_dockers_default_capabilities() {
    root_test!();
    let env = TestEnv::new();
    let expected = format!(
        "CapInh:\t{NO_CAPS}\nCapPrm:\t{DEFAULT_CAPS}\nCapEff:\t{DEFAULT_CAPS}\nCapBnd:\t{DEFAULT_CAPS}\nCapAmb:\t{NO_CAPS}\n"
    );
    assert_eq!(cap_lines(&env, &[]), expected);
    assert_eq!(cap_lines(&env, &["-u", "0"]), expected);
}

#[test]
fn non_root_user_has_no_effective_capabilities() {
    root_test!();
    let env = TestEnv::new();
    // docs/oracle §15, byte for byte.
    let expected = format!(
        "CapInh:\t{NO_CAPS}\nCapPrm:\t{NO_CAPS}\nCapEff:\t{NO_CAPS}\nCapBnd:\t{DEFAULT_CAPS}\nCapAmb:\t{NO_CAPS}\n"
    );
    assert_eq!(cap_lines(&env, &["-u", "1000"]), expected);
}

#[test]
fn dev_has_dockers_devices() {
    root_test!();
    let env = TestEnv::new();
    // Name, type, major, minor (hex) of what docs/oracle §11 lists in /dev.
    let out = env.run(&[
        "--rm",
        "busybox",
        "sh",
        "-c",
        "cd /dev && for f in *; do stat -c '%n %F %t %T' $f; done",
    ]);
    out.assert_clean_success().assert_stdout(
        "fd symbolic link 0 0\n\
         full character special file 1 7\n\
         mqueue directory 0 0\n\
         null character special file 1 3\n\
         ptmx symbolic link 0 0\n\
         pts directory 0 0\n\
         random character special file 1 8\n\
         shm directory 0 0\n\
         stderr symbolic link 0 0\n\
         stdin symbolic link 0 0\n\
         stdout symbolic link 0 0\n\
         tty character special file 5 0\n\
         urandom character special file 1 9\n\
         zero character special file 1 5\n",
    );
}
