//! Interactive containers through the daemon (chapter 8) with the real Docker CLI: standard
//! input (`run -i`, `exec -i`), terminals (`run -it`, `exec -it`, `attach`) driven through a
//! pseudo-terminal the test holds as a user's terminal, window sizes, the detach keys, and
//! nothing left behind when a client goes away. Docker 20.10's behaviour for the same
//! sessions (the oracle, through a pty as well) is what the assertions hold us to.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use minidocker_e2e::daemon::docker_cli;
use minidocker_e2e::{TestDaemon, TestEnv, root_test};
use nix::sys::signal::Signal;

/// How long a session may take to show what the test waits for before the test fails
/// (a liveness ceiling, not a measurement).
const PATIENCE: Duration = Duration::from_secs(60);

/// The Docker CLI on a pseudo-terminal the test holds the master of, as a user's terminal
/// (`script -qc 'docker run -it …'` does the same for the oracle).
struct OnTerminal {
    master: File,
    slave_path: String,
    child: Child,
    /// Everything the terminal showed so far.
    screen: Arc<Mutex<Vec<u8>>>,
}

impl OnTerminal {
    /// `docker ARGS` against `daemon`, its stdin, stdout and stderr a new 24x80 terminal.
    fn docker(daemon: &TestDaemon, config: &Path, args: &[&str]) -> OnTerminal {
        let size = nix::pty::Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&size), None).expect("openpty(3)");
        let slave_path = nix::unistd::ttyname(&pty.slave)
            .expect("the slave's name")
            .display()
            .to_string();
        let stdio = || Stdio::from(pty.slave.try_clone().expect("dup(2) of the slave"));
        let child = Command::new(docker_cli())
            .env("DOCKER_HOST", daemon.docker_host())
            .env("DOCKER_CONFIG", config)
            .env_remove("DOCKER_CONTEXT")
            .args(args)
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stdio())
            .spawn()
            .expect("starting the docker CLI");
        drop(pty.slave); // the CLI's copies only: the master reads EIO once it is gone
        let master = File::from(pty.master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("dup(2) of the master");
        let shown = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                shown
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(&buf[..n]);
            }
        });
        OnTerminal {
            master,
            slave_path,
            child,
            screen,
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    fn type_keys(&mut self, keys: &[u8]) {
        self.master.write_all(keys).expect("typing on the terminal");
    }

    /// Waits until the terminal has shown `needle`; the screen then.
    #[track_caller]
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {needle:?}:\n{screen:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The user's terminal window changes size: `stty` sets it, the CLI gets SIGWINCH.
    fn resize(&self, rows: u16, cols: u16) {
        let out = Command::new("stty")
            .args([
                "-F",
                &self.slave_path,
                "rows",
                &rows.to_string(),
                "cols",
                &cols.to_string(),
            ])
            .output()
            .expect("running stty");
        assert!(out.status.success(), "stty: {out:?}");
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, Signal::SIGWINCH).expect("SIGWINCH to the CLI");
    }

    /// Asks the shell on the terminal for its size (`stty size`) until it is `rows cols`: the
    /// CLI's resize reaches the container a moment after the window changed.
    #[track_caller]
    fn wait_for_size(&mut self, rows: u16, cols: u16) {
        let deadline = Instant::now() + PATIENCE;
        for asked in 0.. {
            // the answer line starts with the tag; the typed line shows `$(stty size)`
            self.type_keys(format!("echo \"size{asked}:$(stty size)\"\r").as_bytes());
            let screen = self.wait_for(&format!("\r\nsize{asked}:"));
            if screen.contains(&format!("\r\nsize{asked}:{rows} {cols}\r\n")) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the terminal never became {rows}x{cols}:\n{screen:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The CLI's exit code once it has exited.
    #[track_caller]
    fn exit_code(&mut self) -> i32 {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the CLI") {
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "the CLI did not exit:\n{:?}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The user closes the terminal window: the CLI is killed.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OnTerminal {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.kill();
        }
    }
}

/// A directory for the CLI's config (nothing of the user's is read or written).
fn cli_config() -> tempfile::TempDir {
    tempfile::tempdir().expect("a config directory for the CLI")
}

/// Polls `check` until it holds (a liveness ceiling of [`PATIENCE`]).
#[track_caller]
fn eventually(what: &str, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match check() {
            Ok(()) => return,
            Err(e) if Instant::now() >= deadline => panic!("{what}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

#[test]
fn piped_input_reaches_the_container_and_its_end_closes_the_containers_stdin() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    // Docker: `hi`, exit 0 (StdinOnce: the client's EOF is the container's)
    let cat = daemon
        .docker_cmd(&["run", "-i", "--rm", "busybox", "cat"])
        .stdin("hi\n")
        .output();
    assert_eq!(
        (cat.code, cat.stdout.as_str(), cat.stderr.as_str()),
        (0, "hi\n", ""),
        "{cat}"
    );
    // several lines through a shell; its exit code is run's
    let sh = daemon
        .docker_cmd(&["run", "-i", "--rm", "busybox", "sh"])
        .stdin("echo one\necho two >&2\necho three\nexit 5\necho never\n")
        .output();
    assert_eq!(
        (sh.code, sh.stdout.as_str(), sh.stderr.as_str()),
        (5, "one\nthree\n", "two\n"),
        "{sh}"
    );
    // nothing read at all: EOF at once
    let empty = daemon.docker(&["run", "-i", "--rm", "busybox", "wc", "-c"]);
    assert_eq!((empty.code, empty.stdout.trim()), (0, "0"), "{empty}");
    // --rm: nothing left, the stdin FIFOs neither
    assert_eq!(daemon.docker(&["ps", "-aq"]).stdout, "");
    assert_eq!(env.container_ids(), Vec::<String>::new());
}

#[test]
fn a_container_created_with_i_keeps_its_stdin_for_the_next_attach() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    // `-d -i`: no StdinOnce, so one client's EOF ends its attach, not the container's input
    daemon
        .docker(&["run", "-d", "-i", "--name", "reader", "busybox", "cat"])
        .assert_code(0);
    let inspect = daemon.docker(&[
        "inspect",
        "-f",
        "{{.Config.OpenStdin}} {{.Config.StdinOnce}} {{.Config.Tty}} {{.Config.AttachStdin}}",
        "reader",
    ]);
    inspect.assert_stdout("true false false false\n");
    // (the Docker CLI's attach then waits for the container's exit: a raw client here)
    for line in ["first\n", "second\n"] {
        let mut stream = raw_attach(&daemon, "reader", "");
        stream.write_all(line.as_bytes()).unwrap();
        // the output as multiplexed frames: stdout (1), the length, the bytes
        let frame = [&[1u8, 0, 0, 0, 0, 0, 0, line.len() as u8][..], line.as_bytes()].concat();
        read_until(&mut stream, &String::from_utf8_lossy(&frame));
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        read_to_end(&mut stream);
    }
    let state = daemon.docker(&["inspect", "-f", "{{.State.Running}}", "reader"]);
    state.assert_stdout("true\n");
    daemon
        .docker(&["logs", "reader"])
        .assert_stdout("first\nsecond\n");
    daemon.docker(&["rm", "-f", "reader"]).assert_code(0);
}

#[test]
fn docker_run_it_is_a_terminal_session_with_the_shells_exit_code() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let config = cli_config();
    let mut term = OnTerminal::docker(&daemon, config.path(), &["run", "-it", "--rm", "busybox", "sh"]);
    term.wait_for("/ # ");
    // the container's own devpts: its terminal is /dev/pts/0, the client's size already
    term.type_keys(b"tty; stty size\r");
    let screen = term.wait_for("\r\n24 80\r\n");
    assert!(screen.contains("\r\n/dev/pts/0\r\n"), "{screen:?}");
    // the user's window grows: the CLI's resize reaches the container's terminal
    term.resize(30, 100);
    term.wait_for_size(30, 100);
    term.type_keys(b"echo $((6*7)); exit 3\r");
    term.wait_for("\r\n42\r\n");
    assert_eq!(term.exit_code(), 3, "{:?}", term.screen());
    assert_eq!(env.container_ids(), Vec::<String>::new(), "--rm");
}

#[test]
fn the_detach_keys_leave_it_running_and_attach_comes_back_to_it() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let config = cli_config();
    let mut run = OnTerminal::docker(
        &daemon,
        config.path(),
        &["run", "-it", "--name", "shell", "busybox", "sh"],
    );
    run.wait_for("/ # ");
    run.type_keys(b"echo one\r");
    run.wait_for("\r\none\r\n");
    // Docker: ctrl-p ctrl-q, `docker run` exits 0 without a word, the container runs on
    run.type_keys(b"\x10\x11");
    assert_eq!(run.exit_code(), 0, "{:?}", run.screen());
    daemon
        .docker(&[
            "inspect",
            "-f",
            "{{.State.Running}} {{.Config.Tty}} {{.Config.OpenStdin}}",
            "shell",
        ])
        .assert_stdout("true true true\n");
    // the shell kept its state; `docker attach` detaches the same way (Docker: "read escape
    // sequence", exit 1)
    // (the CLI resizes the terminal as it attaches: the shell draws its prompt again, and the
    // CLI has made the terminal raw by then)
    let mut attach = OnTerminal::docker(&daemon, config.path(), &["attach", "shell"]);
    attach.wait_for("/ # ");
    attach.type_keys(b"echo two\r");
    attach.wait_for("\r\ntwo\r\n");
    attach.type_keys(b"\x10\x11");
    assert_eq!(attach.exit_code(), 1);
    attach.wait_for("read escape sequence\r\n");
    // and a last attach ends with the shell: the container's exit code is attach's
    let mut last = OnTerminal::docker(&daemon, config.path(), &["attach", "shell"]);
    last.wait_for("/ # ");
    last.type_keys(b"echo three; exit 7\r");
    last.wait_for("\r\nthree\r\n");
    assert_eq!(last.exit_code(), 7, "{:?}", last.screen());
    daemon
        .docker(&["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "shell"])
        .assert_stdout("exited 7\n");
    // its output was logged as it was shown (raw: `docker logs` of a terminal has no frames)
    let logs = daemon.docker(&["logs", "shell"]);
    assert!(
        logs.stdout.contains("one\r\n") && logs.stdout.contains("three\r\n"),
        "{logs}"
    );
}

/// An attach on the raw API (as older clients do): the daemon itself watches for the keys.
fn raw_attach(daemon: &TestDaemon, container: &str, query: &str) -> UnixStream {
    let mut stream = UnixStream::connect(daemon.socket()).expect("connecting to the daemon");
    stream.set_read_timeout(Some(PATIENCE)).expect("a read timeout");
    write!(
        stream,
        "POST /v1.41/containers/{container}/attach?stream=1&stdin=1&stdout=1&stderr=1{query} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n"
    )
    .expect("sending the attach");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("reading the answer's head");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    stream
}

/// Reads from `stream` until it has shown `needle`; what it read.
#[track_caller]
fn read_until(stream: &mut UnixStream, needle: &str) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let n = stream.read(&mut buf).expect("reading the attach stream");
        assert!(
            n > 0,
            "the stream ended before {needle:?}: {:?}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// The rest of the stream until the daemon closes it.
fn read_to_end(stream: &mut UnixStream) -> String {
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("reading to the end of the stream");
    String::from_utf8_lossy(&rest).into_owned()
}

#[test]
fn the_daemon_detaches_a_raw_client_that_types_the_keys() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["run", "-dit", "--name", "raw", "busybox", "sh"])
        .assert_code(0);
    // keys in pieces: what precedes them goes on, then the daemon closes the connection
    let mut stream = raw_attach(&daemon, "raw", "");
    stream.write_all(b"echo hi\r").unwrap();
    read_until(&mut stream, "\r\nhi\r\n");
    stream.write_all(b"\x10").unwrap();
    stream.write_all(b"\x11").unwrap();
    read_to_end(&mut stream);
    // keys of one's own (`--detach-keys x,y`): an x not followed by y is typed after all;
    // in one piece with more after them
    let mut stream = raw_attach(&daemon, "raw", "&detachKeys=x,y");
    stream.write_all(b"echo xz\r").unwrap();
    read_until(&mut stream, "\r\nxz\r\n");
    stream.write_all(b"echo threexy; echo never\r").unwrap();
    read_to_end(&mut stream);
    let mut stream = raw_attach(&daemon, "raw", "");
    stream.write_all(b"\r").unwrap();
    let after = read_until(&mut stream, "/ # ");
    assert!(after.contains("three"), "the keys' prefix went on: {after:?}");
    assert!(
        !after.contains("never"),
        "what followed the keys did not: {after:?}"
    );
    // a client closing its input ends a terminal's attach (Docker), not the container
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    read_to_end(&mut stream);
    daemon
        .docker(&["inspect", "-f", "{{.State.Running}}", "raw"])
        .assert_stdout("true\n");
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
        + 1;
    let events = daemon.docker(&[
        "events",
        "--since",
        "0",
        "--until",
        &until.to_string(),
        "--filter",
        "container=raw",
        "--format",
        "{{.Action}}",
    ]);
    assert_eq!(events.stdout.matches("detach\n").count(), 2, "{events}");
    // keys the daemon cannot read: dockerd's 400
    let bad = daemon.http(
        "POST",
        "/containers/raw/attach?stream=1&stdin=1&detachKeys=ctrl-P",
        None,
    );
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("Invalid detach keys (ctrl-P) provided"),
        "{}",
        bad.body
    );
    daemon.docker(&["rm", "-f", "raw"]).assert_code(0);
}

#[test]
fn resize_answers_as_dockerd_does() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["create", "--name", "idle", "busybox", "sh"])
        .assert_code(0);
    let id = daemon
        .docker(&["inspect", "-f", "{{.Id}}", "idle"])
        .stdout
        .trim()
        .to_owned();
    let not_running = daemon.http("POST", "/containers/idle/resize?h=10&w=20", None);
    assert_eq!(
        (not_running.status, not_running.body.trim_end()),
        (
            409,
            format!("{{\"message\":\"Container {id} is not running\"}}").as_str()
        )
    );
    daemon
        .docker(&["run", "-d", "--name", "plain", "busybox", "sleep", "300"])
        .assert_code(0);
    for (query, body) in [
        (
            "h=a&w=3",
            r#"{"message":"strconv.Atoi: parsing \"a\": invalid syntax"}"#,
        ),
        (
            "w=3",
            r#"{"message":"strconv.Atoi: parsing \"\": invalid syntax"}"#,
        ),
    ] {
        let answer = daemon.http("POST", &format!("/containers/plain/resize?{query}"), None);
        assert_eq!((answer.status, answer.body.trim_end()), (400, body), "{query}");
    }
    // no terminal: nothing to do, 200 (and the event)
    assert_eq!(
        daemon
            .http("POST", "/containers/plain/resize?h=10&w=20", None)
            .status,
        200
    );
    let missing = daemon.http("POST", "/exec/nosuch/resize?h=1&w=1", None);
    assert_eq!(
        (missing.status, missing.body.trim_end()),
        (404, r#"{"message":"No such exec instance: nosuch"}"#)
    );
    daemon.docker(&["rm", "-f", "idle", "plain"]).assert_code(0);
}

#[test]
fn exec_takes_stdin_and_a_terminal() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["run", "-d", "--name", "box", "busybox", "sleep", "300"])
        .assert_code(0);
    let cat = daemon
        .docker_cmd(&["exec", "-i", "box", "cat"])
        .stdin("hello\n")
        .output();
    assert_eq!((cat.code, cat.stdout.as_str()), (0, "hello\n"), "{cat}");
    let sh = daemon
        .docker_cmd(&["exec", "-i", "box", "sh"])
        .stdin("echo from sh\nexit 9\n")
        .output();
    assert_eq!((sh.code, sh.stdout.as_str()), (9, "from sh\n"), "{sh}");

    let config = cli_config();
    let mut term = OnTerminal::docker(&daemon, config.path(), &["exec", "-it", "box", "sh"]);
    term.wait_for("/ # ");
    term.type_keys(b"tty; stty size\r");
    let screen = term.wait_for("\r\n24 80\r\n");
    assert!(
        screen.contains("\r\n/dev/pts/"),
        "a terminal of the container's: {screen:?}"
    );
    term.resize(40, 120);
    term.wait_for_size(40, 120);
    term.type_keys(b"echo hi; exit 4\r");
    term.wait_for("\r\nhi\r\n");
    assert_eq!(term.exit_code(), 4, "{:?}", term.screen());
    daemon.docker(&["rm", "-f", "box"]).assert_code(0);
}

#[test]
fn a_terminal_exec_ends_when_its_client_goes_away() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["run", "-d", "--name", "box", "busybox", "sleep", "300"])
        .assert_code(0);
    let config = cli_config();
    let mut term = OnTerminal::docker(&daemon, config.path(), &["exec", "-it", "box", "sh"]);
    term.wait_for("/ # ");
    term.type_keys(b"echo \"pid=$$=\"\r");
    let screen = term.wait_for("\r\npid=");
    let pid = screen
        .split("\r\npid=")
        .nth(1)
        .and_then(|rest| rest.split('=').next())
        .expect("the shell's pid")
        .to_owned();
    // the user closes the window: the daemon hangs the terminal up, the shell goes
    term.kill();
    eventually("the exec's shell has gone", || {
        let ps = daemon.docker(&["exec", "box", "ps", "-o", "pid,comm"]);
        let alive = ps
            .stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == [pid.as_str(), "sh"]);
        match alive {
            false => Ok(()),
            true => Err(ps.stdout.clone()),
        }
    });
    daemon.docker(&["rm", "-f", "box"]).assert_code(0);
}
