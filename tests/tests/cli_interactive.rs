//! `minidocker run`, `create`, `start`, `attach` and `exec` as API clients: detached and
//! attached containers, standard input through the hijacked connection, a terminal (`-t`)
//! through a pty the test opens, exec's exit codes, and what the CLI says when no daemon
//! answers. Docker 20.10's outputs (CLI 28.2.2) are what the assertions hold us to.

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use minidocker_e2e::text::is_full_id;
use minidocker_e2e::{Cmd, TestEnv, minidocker_bin, root_test};
use nix::pty::{OpenptyResult, Winsize, openpty};
use nix::sys::termios::{LocalFlags, tcgetattr};

/// A container that prints `waiting` until `/tmp/go` exists, then `done`, and exits 7.
const WAITS_FOR_GO: &str = "while [ ! -e /tmp/go ]; do echo waiting; sleep 0.1; done; echo done; exit 7";

#[test]
fn create_start_then_exec_then_attach() {
    root_test!();
    let env = TestEnv::new();
    let run = env.minidocker(&["create", "--name", "box", "busybox", "sh", "-c", WAITS_FOR_GO]);
    run.assert_clean_success();
    assert!(is_full_id(run.stdout.trim_end()), "create prints the id: {run}");
    env.minidocker(&["start", "box"])
        .assert_clean_success()
        .assert_stdout("box\n");

    env.minidocker(&["exec", "box", "sh", "-c", "echo out; echo err >&2; hostname"])
        .assert_code(0)
        .assert_stdout(&format!("out\n{}\n", &run.stdout[..12]))
        .assert_stderr("err\n");
    env.minidocker(&[
        "container",
        "exec",
        "-e",
        "X=1",
        "-w",
        "/tmp",
        "box",
        "sh",
        "-c",
        "echo $X; pwd",
    ])
    .assert_clean_success()
    .assert_stdout("1\n/tmp\n");

    // attached while it prints; it ends when an exec lets it
    let mut attached = env.cmd(&["attach", "box"]).spawn();
    attached.wait_for_line("waiting");
    env.minidocker(&["exec", "box", "touch", "/tmp/go"])
        .assert_clean_success();
    let out = attached.wait();
    out.assert_code(7).assert_stderr("");
    assert!(out.stdout.ends_with("waiting\ndone\n"), "{out}");

    // Docker's refusal for a stopped container
    env.minidocker(&["attach", "box"])
        .assert_code(1)
        .assert_stdout("")
        .assert_stderr("You cannot attach to a stopped container, start it first\n");
}

#[test]
fn run_d_prints_the_id_and_exec_and_attach_reach_it() {
    root_test!();
    let env = TestEnv::new();
    let cidfile = env.data_root().join("cid");
    let cid = cidfile.to_str().unwrap();
    let run = env.run(&[
        "-d",
        "--cidfile",
        cid,
        "--name",
        "box",
        "busybox",
        "sh",
        "-c",
        WAITS_FOR_GO,
    ]);
    run.assert_clean_success();
    let id = run.stdout.trim_end();
    assert!(is_full_id(id), "run -d prints the id: {run}");
    assert_eq!(std::fs::read_to_string(&cidfile).unwrap(), id, "--cidfile");
    env.run(&["-d", "--cidfile", cid, "busybox", "true"])
        .assert_code(125)
        .assert_stderr(&format!(
            "minidocker: container ID file found, make sure the other container isn't running or delete {cid}\n\nRun 'minidocker run --help' for more information\n"
        ));
    env.minidocker(&["exec", "box", "hostname"])
        .assert_clean_success()
        .assert_stdout(&format!("{}\n", &id[..12]));
    let mut attached = env.cmd(&["container", "attach", "box"]).spawn();
    attached.wait_for_line("waiting");
    env.minidocker(&["exec", "box", "touch", "/tmp/go"])
        .assert_clean_success();
    let out = attached.wait();
    out.assert_code(7).assert_stderr("");
    assert!(out.stdout.ends_with("waiting\ndone\n"), "{out}");
}

#[test]
fn exec_exit_codes_are_dockers() {
    root_test!();
    let env = TestEnv::new();
    env.minidocker(&["create", "--name", "box", "busybox", "sleep", "300"])
        .assert_code(0);
    env.minidocker(&["start", "box"]).assert_code(0);
    env.minidocker(&["exec", "box", "true"]).assert_clean_success();
    env.minidocker(&["exec", "box", "sh", "-c", "exit 3"])
        .assert_code(3)
        .assert_stderr("");
    // the runtime cannot start it: 126 and its words (Docker 20.10's, byte for byte)
    env.minidocker(&["exec", "box", "nosuch"]).assert_code(126).assert_stderr(
        "OCI runtime exec failed: exec failed: unable to start container process: exec: \"nosuch\": executable file not found in $PATH: unknown\n",
    );
    env.minidocker(&["exec", "box", "/etc"]).assert_code(126).assert_stderr(
        "OCI runtime exec failed: exec failed: unable to start container process: exec: \"/etc\": permission denied: unknown\n",
    );
    // a shell's own "not found" is 127
    env.minidocker(&["exec", "box", "sh", "-c", "nosuch"])
        .assert_code(127)
        .assert_stderr("sh: nosuch: not found\n");
    // -d: nothing printed, and the exec ran
    env.minidocker(&["exec", "-d", "box", "touch", "/tmp/detached"])
        .assert_clean_success()
        .assert_stdout("");
    let deadline = Instant::now() + Duration::from_secs(10);
    while env
        .minidocker(&["exec", "box", "test", "-e", "/tmp/detached"])
        .code
        != 0
    {
        assert!(Instant::now() < deadline, "exec -d did not run");
        std::thread::sleep(Duration::from_millis(50));
    }
    env.minidocker(&["exec", "nosuch", "true"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such container: nosuch\n");
    env.minidocker(&["exec", "box"]).assert_code(1).assert_stderr(
        "minidocker: 'minidocker exec' requires at least 2 arguments\n\nUsage:  minidocker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nSee 'minidocker exec --help' for more information\n",
    );
}

#[test]
fn create_then_start_attached() {
    root_test!();
    let env = TestEnv::new();
    let created = env.minidocker(&[
        "create",
        "--name",
        "later",
        "busybox",
        "sh",
        "-c",
        "echo hi; echo oops >&2; exit 3",
    ]);
    created.assert_clean_success();
    assert!(is_full_id(created.stdout.trim_end()), "{created}");
    let (_, config) = env.only_container();
    assert_eq!(config["State"]["Status"], "created", "{config:#}");

    env.minidocker(&["start", "-a", "later"])
        .assert_code(3)
        .assert_stdout("hi\n")
        .assert_stderr("oops\n");
    // started again without -a: its name, at once
    env.minidocker(&["container", "start", "later"])
        .assert_clean_success()
        .assert_stdout("later\n");
    env.minidocker(&["start", "later", "nosuch"])
        .assert_code(1)
        .assert_stdout("later\n")
        .assert_stderr("Error response from daemon: No such container: nosuch\nError: failed to start containers: nosuch\n");

    // a command that is not there: the daemon's words at start
    env.minidocker(&[
        "container",
        "create",
        "--name",
        "broken",
        "busybox",
        "/nonexistent",
    ])
    .assert_clean_success();
    env.minidocker(&["start", "-a", "broken"]).assert_code(1).assert_stderr(
        "Error response from daemon: failed to create shim task: OCI runtime create failed: minidocker create failed: unable to start container process: exec: \"/nonexistent\": stat /nonexistent: no such file or directory: unknown\n",
    );
}

#[test]
fn create_takes_the_container_options() {
    root_test!();
    let env = TestEnv::new();
    let labels = env.data_root().join("labels");
    std::fs::write(&labels, "b=2\nbare\n").unwrap();
    let label_file = labels.to_str().unwrap();
    env.minidocker(&[
        "create",
        "--name",
        "opts",
        "--entrypoint",
        "echo",
        "-l",
        "a=1",
        "-l",
        "c",
        "--label-file",
        label_file,
        "--stop-signal",
        "USR1",
        "--stop-timeout",
        "3",
        "--log-opt",
        "max-size=1k",
        "--init",
        "busybox",
        "hi",
    ])
    .assert_clean_success();
    // Docker 20.10's inspect of the same create, byte for byte
    let format = "{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{json .Config.Labels}} {{.Config.StopSignal}} \
                  {{.Config.StopTimeout}} {{.HostConfig.LogConfig.Type}} {{json .HostConfig.LogConfig.Config}} {{.HostConfig.Init}}";
    env.minidocker(&["inspect", "-f", format, "opts"])
        .assert_clean_success()
        .assert_stdout(
            "[\"echo\"] [\"hi\"] {\"a\":\"1\",\"b\":\"2\",\"c\":\"\"} USR1 3 \
             json-file {\"max-size\":\"1k\"} true\n",
        );
    env.minidocker(&["start", "-a", "opts"])
        .assert_clean_success()
        .assert_stdout("hi\n");

    // refused by the daemon, or by the CLI before it asks: Docker's words and codes
    env.minidocker(&["create", "--stop-signal", "FOO", "busybox"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: Invalid signal: FOO\n");
    env.minidocker(&["create", "--log-driver", "none", "--log-opt", "a=b", "busybox"])
        .assert_code(125)
        .assert_stderr(
            "minidocker: invalid logging opts for driver none\n\nRun 'minidocker create --help' for more information\n",
        );
    env.minidocker(&["create", "--rm", "--restart", "always", "busybox"])
        .assert_code(125)
        .assert_stderr(
            "minidocker: conflicting options: cannot specify both --restart and --rm\n\nRun 'minidocker create --help' for more information\n",
        );
    env.minidocker(&["create", "--stop-timeout", "x", "busybox"])
        .assert_code(125)
        .assert_stderr(
            "invalid argument \"x\" for \"--stop-timeout\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\n\nUsage:  minidocker create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'minidocker create --help' for more information\n",
        );
    env.minidocker(&["create", "--label-file", "/nonexistent", "busybox"])
        .assert_code(125)
        .assert_stderr(
            "minidocker: open /nonexistent: no such file or directory\n\nRun 'minidocker create --help' for more information\n",
        );
    let (id, _) = env.only_container();
    assert_eq!(
        env.config(&id)["Name"],
        "/opts",
        "a refused create left a container"
    );
}

#[test]
fn piped_stdin_reaches_run_i_and_exec_i() {
    root_test!();
    let env = TestEnv::new();
    env.run_cmd(&["-i", "--rm", "busybox", "cat"])
        .stdin("hi\n")
        .output()
        .assert_clean_success()
        .assert_stdout("hi\n");
    // no newline at the end, and EOF ends the container's input
    env.run_cmd(&["-i", "--rm", "busybox", "sh", "-c", "cat; echo; echo eof"])
        .stdin("last")
        .output()
        .assert_clean_success()
        .assert_stdout("last\neof\n");
    assert_eq!(env.container_ids(), Vec::<String>::new(), "--rm left containers");

    env.run(&["-d", "--name", "box", "busybox", "sleep", "300"])
        .assert_code(0);
    env.cmd(&["exec", "-i", "box", "wc", "-c"])
        .stdin("12345")
        .output()
        .assert_clean_success()
        .assert_stdout("5\n");
}

/// A pty for a command: the test keeps the master (and a copy of the slave, to see its
/// settings after the command is gone); the command gets the slave as its controlling
/// terminal and standard streams.
struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
    output: Arc<Mutex<Vec<u8>>>,
}

impl Pty {
    fn open(rows: u16, cols: u16) -> Pty {
        let size = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let OpenptyResult { master, slave } = openpty(Some(&size), None).expect("openpty(3)");
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = std::fs::File::from(master.try_clone().expect("dup the master"));
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // EIO once no process has the slave open any more
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            master,
            slave,
            output,
        }
    }

    /// `minidocker ARGS` for `env`, on this pty.
    fn spawn(&self, env: &TestEnv, args: &[&str]) -> std::process::Child {
        let mut command = Command::new(minidocker_bin());
        command
            .args(args)
            .env("MINIDOCKER_DATA_ROOT", env.data_root())
            .env("MINIDOCKER_CGROUP_PARENT", env.cgroup_parent())
            .env_remove("DOCKER_HOST");
        for stdio in 0..3 {
            let fd = Stdio::from(self.slave.try_clone().expect("dup the slave"));
            match stdio {
                0 => command.stdin(fd),
                1 => command.stdout(fd),
                _ => command.stderr(fd),
            };
        }
        env.net().enter_on_spawn(&mut command);
        // SAFETY: setsid(2) and ioctl(TIOCSCTTY) are async-signal-safe; they run in the child
        // before exec, on its fd 0 (the slave).
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command.spawn().expect("spawning minidocker on the pty")
    }

    fn type_in(&self, text: &str) {
        std::fs::File::from(self.master.try_clone().expect("dup the master"))
            .write_all(text.as_bytes())
            .expect("writing to the pty");
    }

    /// What the command wrote so far, as text.
    fn seen(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// Waits until the command has written `needle` (`count` times in all).
    #[track_caller]
    fn wait_for(&self, needle: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.seen().matches(needle).count() < count {
            assert!(
                Instant::now() < deadline,
                "no {needle:?} (x{count}) on the terminal:\n{:?}",
                self.seen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn resize(&self, rows: u16, cols: u16) {
        let size = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads one winsize from the struct we pass; the master is open.
        let rc = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &size) };
        assert_eq!(rc, 0, "TIOCSWINSZ: {}", std::io::Error::last_os_error());
    }
}

/// Waits for `child` (at most 30 s) and returns its exit code.
#[track_caller]
fn exit_code_of(child: &mut std::process::Child, pty: &Pty) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("waiting for minidocker") {
            return minidocker_e2e::process::exit_code(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "minidocker still runs after 30 s; the terminal:\n{:?}",
                pty.seen()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn run_it_through_a_pty_follows_the_terminal_and_restores_it() {
    root_test!();
    let env = TestEnv::new();
    let pty = Pty::open(30, 100);
    let before = tcgetattr(pty.slave.as_fd()).expect("tcgetattr");
    assert!(before.local_flags.contains(LocalFlags::ECHO | LocalFlags::ICANON));
    let mut run = pty.spawn(&env, &["run", "-it", "--rm", "busybox", "sh"]);
    pty.wait_for("/ # ", 1);
    // the container's terminal has the local one's size, and is its own pty
    pty.type_in("stty size; tty\r");
    pty.wait_for("30 100", 1);
    pty.wait_for("/dev/pts/0", 1);
    // raw mode: the local terminal does not echo, the container's does (once)
    assert_eq!(
        pty.seen().matches("stty size; tty").count(),
        1,
        "{:?}",
        pty.seen()
    );
    // a resized terminal resizes the container's (SIGWINCH)
    pty.resize(40, 120);
    pty.type_in("stty size\r");
    pty.wait_for("40 120", 1);
    // ctrl-C is a byte for the container, not a signal for the CLI
    pty.type_in("sleep 30\r");
    std::thread::sleep(Duration::from_millis(300));
    pty.type_in("\x03");
    pty.wait_for("/ # ", 4);
    pty.type_in("exit 5\r");
    assert_eq!(exit_code_of(&mut run, &pty), 5, "{:?}", pty.seen());
    let after = tcgetattr(pty.slave.as_fd()).expect("tcgetattr");
    assert_eq!(
        after.local_flags, before.local_flags,
        "the terminal was not restored"
    );
    assert_eq!(
        after.input_flags, before.input_flags,
        "the terminal was not restored"
    );
    assert_eq!(
        after.output_flags, before.output_flags,
        "the terminal was not restored"
    );
    assert_eq!(
        env.container_ids(),
        Vec::<String>::new(),
        "--rm left the container"
    );
}

#[test]
fn detach_keys_leave_a_tty_container_running_and_attach_comes_back() {
    root_test!();
    let env = TestEnv::new();
    let pty = Pty::open(24, 80);
    let mut run = pty.spawn(&env, &["run", "-it", "--name", "tty", "busybox", "sh"]);
    pty.wait_for("/ # ", 1);
    pty.type_in("\x10\x11"); // ctrl-p ctrl-q
    assert_eq!(exit_code_of(&mut run, &pty), 0, "{:?}", pty.seen());
    let (_, c) = env.only_container();
    assert_eq!(c["State"]["Running"], true, "{c:#}");

    let again = Pty::open(24, 80);
    let mut attach = again.spawn(&env, &["attach", "tty"]);
    // nothing is shown until something happens: ask for a prompt
    std::thread::sleep(Duration::from_millis(500));
    again.type_in("echo back\r");
    again.wait_for("back\r\n", 2); // echoed as typed, then printed
    again.type_in("exit 4\r");
    assert_eq!(exit_code_of(&mut attach, &again), 4, "{:?}", again.seen());
}

#[test]
fn the_input_device_must_be_a_tty_for_it() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["-it", "--rm", "busybox", "true"])
        .assert_code(1)
        .assert_stdout("")
        .assert_stderr("the input device is not a TTY\n");
    assert_eq!(
        env.container_ids(),
        Vec::<String>::new(),
        "a container was created"
    );
}

#[test]
fn no_daemon_at_the_host_given_is_dockers_message_and_nothing_is_started() {
    let data_root = tempfile::tempdir().expect("a data root");
    let out = Cmd::new(minidocker_bin())
        .args(["-H", "unix:///nonexistent.sock", "ps"])
        .env("MINIDOCKER_DATA_ROOT", data_root.path())
        .env_remove("DOCKER_HOST")
        .output();
    out.assert_code(1).assert_stdout("").assert_stderr(
        "Cannot connect to the Docker daemon at unix:///nonexistent.sock. Is the docker daemon running?\n",
    );
    let made: Vec<_> = std::fs::read_dir(data_root.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(
        made,
        Vec::<std::path::PathBuf>::new(),
        "something was started in the data root"
    );
    // run says it the run way
    let out = Cmd::new(minidocker_bin())
        .args(["-H", "unix:///nonexistent.sock", "run", "--rm", "busybox", "true"])
        .env("MINIDOCKER_DATA_ROOT", data_root.path())
        .env_remove("DOCKER_HOST")
        .output();
    out.assert_code(125).assert_stderr(
        "minidocker: Cannot connect to the Docker daemon at unix:///nonexistent.sock. Is the docker daemon running?\n\nRun 'minidocker run --help' for more information\n",
    );
}
