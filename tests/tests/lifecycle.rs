//! A container's life as the user sees it: its saved state (config.v2.json), `--rm`, stdin,
//! signals sent to `minidocker run`, and nothing left on the host afterwards.

use std::time::{Duration, Instant};

use minidocker_e2e::text::{is_full_id, start_error};
use minidocker_e2e::{TestEnv, root_test};
use nix::sys::signal::Signal;

const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Asserts that nothing of the data root is mounted on the host and no process runs in it.
#[track_caller]
fn assert_nothing_left_on_host(env: &TestEnv) {
    assert_eq!(
        env.mounts_inside(),
        [],
        "mounts under the data root remain on the host"
    );
    assert_eq!(
        env.processes_inside(),
        [],
        "processes rooted in the data root remain"
    );
}

#[test]
fn rm_removes_the_container() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "busybox", "true"]).assert_clean_success();
    env.run(&["--rm", "busybox", "sh", "-c", "exit 3"]).assert_code(3);
    env.run(&["--rm", "busybox", "/nonexistent"]).assert_code(127);
    assert_eq!(
        env.container_ids(),
        Vec::<String>::new(),
        "--rm left containers behind"
    );
}

#[test]
fn without_rm_the_exited_container_is_kept_with_its_state() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "kept", "busybox", "sh", "-c", "exit 3"])
        .assert_code(3);
    let (id, c) = env.only_container();
    assert!(is_full_id(&id), "container id {id:?} is not 64 hex digits");
    assert!(
        env.container_layer_dir(&id).join("diff").is_dir(),
        "the container's layer is kept"
    );
    assert_eq!(c["ID"], id.as_str());
    assert_eq!(c["Name"], "/kept");
    assert_eq!(c["Path"], "sh");
    assert_eq!(c["Args"], serde_json::json!(["-c", "exit 3"]));
    assert_eq!(c["Image"], env.image_id());
    assert_eq!(c["Config"]["Cmd"], serde_json::json!(["sh", "-c", "exit 3"]));
    assert_eq!(c["Config"]["Image"], "busybox");
    assert_eq!(c["Config"]["Hostname"], &id[..12]);
    let s = &c["State"];
    assert_eq!(s["Status"], "exited", "{c:#}");
    assert_eq!(s["ExitCode"], 3, "{c:#}");
    assert_eq!(s["Running"], false, "{c:#}");
    assert_eq!(s["Pid"], 0, "{c:#}");
    assert_eq!(s["Error"], "", "{c:#}");
    assert_ne!(s["StartedAt"], ZERO_TIME, "{c:#}");
    assert_ne!(s["FinishedAt"], ZERO_TIME, "{c:#}");
    assert_nothing_left_on_host(&env);
}

#[test]
fn generated_names_look_like_dockers() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["busybox", "true"]).assert_clean_success();
    let (_, c) = env.only_container();
    let name = c["Name"].as_str().expect("Name is a string");
    // moby's namesgenerator: /<adjective>_<surname>, a digit appended on retries.
    let bare = name
        .strip_prefix('/')
        .unwrap_or_else(|| panic!("name {name:?} lacks the leading slash"));
    let (left, right) = bare
        .split_once('_')
        .unwrap_or_else(|| panic!("name {name:?} is not adjective_surname"));
    assert!(
        left.chars().all(|c| c.is_ascii_lowercase()) && !left.is_empty(),
        "{name:?}"
    );
    assert!(
        right
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .chars()
            .all(|c| c.is_ascii_lowercase()),
        "{name:?}"
    );
}

#[test]
fn failed_start_leaves_a_created_container_with_the_error() {
    root_test!();
    let env = TestEnv::new();
    let out = env.run(&["--name", "failstart", "busybox", "/nonexistent"]);
    let what = "exec: \"/nonexistent\": stat /nonexistent: no such file or directory";
    out.assert_code(127).assert_stderr(&start_error(what));
    let (_, c) = env.only_container();
    let s = &c["State"];
    assert_eq!(s["Status"], "created", "{c:#}");
    assert_eq!(s["ExitCode"], 127, "{c:#}");
    assert_eq!(s["Running"], false, "{c:#}");
    assert_eq!(
        s["Error"],
        format!(
            "failed to create shim task: OCI runtime create failed: minidocker create failed: unable to start container process: {what}: unknown"
        ),
        "{c:#}"
    );
    assert_nothing_left_on_host(&env);
}

#[test]
fn without_i_stdin_is_at_eof_at_once() {
    root_test!();
    let env = TestEnv::new();
    // The caller's stdin is a pipe that stays open: a container reading it would hang.
    let started = Instant::now();
    let script = "cat; echo cat-done; stat -L -c '%F %t,%T' /proc/self/fd/0";
    let out = env
        .run_cmd(&["--rm", "busybox", "sh", "-c", script])
        .stdin_open()
        .timeout(Duration::from_secs(10))
        .output();
    // stdin is the null device (1,3).
    out.assert_clean_success()
        .assert_stdout("cat-done\ncharacter special file 1,3\n");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cat took {:?} to see EOF",
        started.elapsed()
    );
}

#[test]
fn with_i_piped_stdin_reaches_the_container() {
    root_test!();
    let env = TestEnv::new();
    let input = "hello\nsecond line\n";
    env.run_cmd(&["--rm", "-i", "busybox", "cat"])
        .stdin(input)
        .output()
        .assert_clean_success()
        .assert_stdout(input);
    // And EOF arrives when the caller closes it.
    env.run_cmd(&["--rm", "-i", "busybox", "wc", "-l"])
        .stdin(input)
        .output()
        .assert_clean_success()
        .assert_stdout("2\n");
}

#[test]
fn sigterm_to_run_reaches_a_trapping_container() {
    root_test!();
    let env = TestEnv::new();
    let mut run = env.spawn_run(&[
        "--rm",
        "busybox",
        "sh",
        "-c",
        "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done",
    ]);
    run.wait_for_line("ready");
    run.signal(Signal::SIGTERM);
    run.wait()
        .assert_code(7)
        .assert_stdout("ready\ngot TERM\n")
        .assert_stderr("");
    assert_eq!(env.container_ids(), Vec::<String>::new());
    assert_nothing_left_on_host(&env);
}

#[test]
fn sigint_to_run_ends_the_container_with_130() {
    root_test!();
    let env = TestEnv::new();
    // docs/oracle §12: no trap, yet busybox `sh -c` handles SIGINT, so PID 1 dies of it: 128+2.
    let mut run = env.spawn_run(&[
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo ready; while :; do sleep 0.1; done",
    ]);
    run.wait_for_line("ready");
    run.signal(Signal::SIGINT);
    run.wait()
        .assert_code(130)
        .assert_stdout("ready\n")
        .assert_stderr("");
}

#[test]
fn sigterm_ignored_by_pid_1_does_not_end_run() {
    root_test!();
    let env = TestEnv::new();
    // docs/oracle §12: `sleep` as PID 1 has no handler, the kernel drops the signal, the CLI
    // keeps waiting.
    let mut run = env.spawn_run(&[
        "--name",
        "sleeper",
        "busybox",
        "sh",
        "-c",
        "echo ready; exec sleep 30",
    ]);
    run.wait_for_line("ready");
    let pid = env.wait_for_running("sleeper", Duration::from_secs(10));
    run.signal(Signal::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !run.has_exited(),
        "minidocker run exited on a SIGTERM that PID 1 ignores"
    );
    nix::sys::signal::kill(pid, Signal::SIGKILL).expect("kill the container's init");
    run.wait().assert_code(137);
}

#[test]
fn nothing_leaks_after_runs() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "busybox", "true"]).assert_clean_success();
    env.run(&["busybox", "sh", "-c", "sleep 0.1 & sleep 0.1 & wait"])
        .assert_clean_success();
    env.run(&["busybox", "/nonexistent"]).assert_code(127);
    // A container whose children are still running when its init exits.
    env.run(&["--rm", "busybox", "sh", "-c", "sleep 30 & exit 0"])
        .assert_clean_success();
    assert_nothing_left_on_host(&env);
}
