//! Running a command the way a user's shell would, and capturing what they would see.
//!
//! [`Cmd`] builds the command; [`Cmd::output`] runs it to completion (with a timeout, so a hung
//! minidocker fails the test instead of hanging it); [`Cmd::spawn`] gives a [`Spawned`] process
//! whose stdout lines can be awaited (readiness markers) and which can be signalled. A
//! `Spawned` that is dropped unfinished (the test panicked) is killed with SIGKILL and reaped.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::test_net::TestNet;
use crate::text::command_line;

/// How long a command may run before the test fails (times [`time_scale`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What every timeout of the harness is multiplied by: `MINIDOCKER_E2E_TIME_SCALE`, a whole
/// number, 1 when unset. The lab VM runs under TCG emulation on a busy CI host, where
/// starting a daemon alone can take longer than 30 s; `scripts/vm-tests` sets it there.
pub fn time_scale() -> u32 {
    std::env::var("MINIDOCKER_E2E_TIME_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n >= 1)
        .unwrap_or(1)
}

/// `timeout` times [`time_scale`].
pub fn scaled(timeout: Duration) -> Duration {
    timeout * time_scale()
}

/// What a user sees: stdout, stderr and the exit code (128+N when killed by signal N).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The command line, for messages.
    pub command: String,
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Output {
    /// The run in the format of `docs/oracle/`: command, stdout, stderr, exit code.
    pub fn transcript(&self) -> String {
        let block = |s: &str| {
            if s.is_empty() || s.ends_with('\n') {
                s.to_owned()
            } else {
                format!("{s}\n")
            }
        };
        format!(
            "$ {}\n--- stdout\n{}--- stderr\n{}--- exit code: {}\n",
            self.command,
            block(&self.stdout),
            block(&self.stderr),
            self.code
        )
    }

    /// Panics, showing the whole transcript, unless the exit code is `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code:\n{self}");
        self
    }

    /// Panics unless the command exited 0 with nothing on stderr.
    #[track_caller]
    pub fn assert_clean_success(&self) -> &Self {
        assert!(
            self.code == 0 && self.stderr.is_empty(),
            "expected exit 0 and an empty stderr:\n{self}"
        );
        self
    }

    /// Panics unless stdout is exactly `expected`.
    #[track_caller]
    pub fn assert_stdout(&self, expected: &str) -> &Self {
        assert_eq!(self.stdout, expected, "unexpected stdout:\n{self}");
        self
    }

    /// Panics unless stderr is exactly `expected`.
    #[track_caller]
    pub fn assert_stderr(&self, expected: &str) -> &Self {
        assert_eq!(self.stderr, expected, "unexpected stderr:\n{self}");
        self
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.transcript())
    }
}

#[derive(Debug, Clone)]
enum StdinMode {
    /// `/dev/null`.
    Null,
    /// These bytes, then EOF.
    Bytes(Vec<u8>),
    /// A pipe nobody writes to and that stays open until the process exits.
    Open,
}

/// A command to run, built step by step.
#[derive(Debug, Clone)]
pub struct Cmd {
    program: PathBuf,
    /// How the program is shown in transcripts (`minidocker`, not its full path).
    shown_as: String,
    args: Vec<OsString>,
    envs: Vec<(OsString, Option<OsString>)>,
    stdin: StdinMode,
    timeout: Duration,
    /// The network namespace the command runs in (the test's own, see [`TestNet`]).
    net: Option<TestNet>,
    /// SIGTERM when the test's process (its spawning thread) goes, even killed.
    term_with_test: bool,
}

impl Cmd {
    pub fn new(program: impl AsRef<Path>) -> Cmd {
        let program = program.as_ref().to_owned();
        let shown_as = program.file_name().map_or_else(
            || program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        Cmd {
            program,
            shown_as,
            args: Vec::new(),
            envs: Vec::new(),
            stdin: StdinMode::Null,
            timeout: scaled(DEFAULT_TIMEOUT),
            net: None,
            term_with_test: false,
        }
    }

    /// The process gets SIGTERM if the test's process dies first (a test killed by its
    /// timeout cannot drop its guards): prctl(PR_SET_PDEATHSIG).
    pub fn term_with_test(mut self) -> Cmd {
        self.term_with_test = true;
        self
    }

    /// Runs the command inside `net` instead of the test's own network namespace.
    pub fn in_net(mut self, net: &TestNet) -> Cmd {
        self.net = Some(net.clone());
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Cmd {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets a variable in the command's environment (not the test's).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.envs
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Removes a variable from the command's environment.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Cmd {
        self.envs.push((key.as_ref().to_owned(), None));
        self
    }

    /// Feeds `bytes` on stdin, then closes it (default: stdin is `/dev/null`).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = StdinMode::Bytes(bytes.into());
        self
    }

    /// Gives the command a stdin pipe that stays open and silent until it exits.
    pub fn stdin_open(mut self) -> Cmd {
        self.stdin = StdinMode::Open;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Cmd {
        self.timeout = scaled(timeout);
        self
    }

    /// The command line as a user would type it.
    pub fn command_line(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        command_line(&self.shown_as, &args)
    }

    /// Runs to completion; panics if it takes longer than the timeout (after killing it).
    #[track_caller]
    pub fn output(self) -> Output {
        self.spawn().wait()
    }

    /// Starts the command; panics if it cannot be started.
    #[track_caller]
    pub fn spawn(self) -> Spawned {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in &self.envs {
            match value {
                Some(v) => command.env(key, v),
                None => command.env_remove(key),
            };
        }
        if let Some(net) = &self.net {
            net.enter_on_spawn(&mut command);
        }
        if self.term_with_test {
            // SAFETY: prctl(2) is async-signal-safe; it runs in the child before exec.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(&mut command, || {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        command.stdin(match self.stdin {
            StdinMode::Null => Stdio::null(),
            StdinMode::Bytes(_) | StdinMode::Open => Stdio::piped(),
        });
        let shown = self.command_line();
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{shown}` ({}): {e}", self.program.display()));

        let mut stdin = child.stdin.take();
        if let (StdinMode::Bytes(bytes), Some(mut pipe)) = (self.stdin, stdin.take()) {
            // A writer thread, so a command that does not read cannot block the test.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let (line_tx, lines) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(pipe) = child.stdout.take() {
            let (sink, done_tx) = (Arc::clone(&stdout), done_tx.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(pipe);
                let mut line = Vec::new();
                while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                    lock(&sink).extend_from_slice(&line);
                    let _ = line_tx.send(String::from_utf8_lossy(&line).trim_end_matches('\n').to_owned());
                    line.clear();
                }
                let _ = done_tx.send(());
            });
        }
        if let Some(mut pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    lock(&sink).extend_from_slice(&buf[..n]);
                }
                let _ = done_tx.send(());
            });
        }
        Spawned {
            command: shown,
            child: Some(child),
            stdin,
            lines,
            done,
            stdout,
            stderr,
            timeout: self.timeout,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running command. Dropping it unfinished kills it (SIGKILL, by pid) and reaps it.
#[derive(Debug)]
pub struct Spawned {
    command: String,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    done: Receiver<()>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    timeout: Duration,
}

impl Spawned {
    /// The host pid of the process.
    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.as_ref().map_or(0, |c| c.id() as i32))
    }

    /// Waits until stdout has a line containing `needle` and returns that line; panics (with
    /// what the process printed so far) if it exits or the timeout passes first.
    #[track_caller]
    pub fn wait_for_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout) => panic!(
                    "no line with {needle:?} within {:?}:\n{}",
                    self.timeout,
                    self.so_far()
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("stdout closed before a line with {needle:?}:\n{}", self.so_far())
                }
            }
        }
    }

    /// Sends `signal` to the process.
    #[track_caller]
    pub fn signal(&self, signal: Signal) {
        kill(self.pid(), signal).unwrap_or_else(|e| panic!("kill -{signal} {}: {e}", self.pid()));
    }

    /// Closes the process's stdin pipe, if it has one.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Whether the process has exited (it is not reaped).
    pub fn has_exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| matches!(c.try_wait(), Ok(Some(_))))
    }

    /// Waits for the process to exit; after the timeout, kills it and panics.
    #[track_caller]
    pub fn wait(mut self) -> Output {
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match self.child.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) => break status,
                Some(Ok(None)) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                Some(Ok(None)) => {
                    self.kill_and_reap();
                    panic!(
                        "still running after {:?}, killed:\n{}",
                        self.timeout,
                        self.so_far()
                    );
                }
                Some(Err(e)) => panic!("waiting for `{}`: {e}", self.command),
                None => panic!("`{}` was already waited for", self.command),
            }
        };
        self.child = None;
        self.stdin = None;
        // The output pipes close when the last process holding them exits: normally at once.
        let drained = Instant::now() + Duration::from_secs(5);
        for _ in 0..2 {
            if self
                .done
                .recv_timeout(drained.saturating_duration_since(Instant::now()))
                .is_err()
            {
                break;
            }
        }
        Output {
            code: exit_code(status),
            ..self.so_far()
        }
    }

    /// Lets the process run on: it is neither killed nor reaped when this handle is dropped.
    /// Returns its pid. (For tests of the harness's own clean-up.)
    pub fn detach(mut self) -> Pid {
        let pid = self.pid();
        self.child = None;
        pid
    }

    /// What was captured so far, with exit code -1.
    fn so_far(&self) -> Output {
        Output {
            command: self.command.clone(),
            stdout: String::from_utf8_lossy(&lock(&self.stdout)).into_owned(),
            stderr: String::from_utf8_lossy(&lock(&self.stderr)).into_owned(),
            code: -1,
        }
    }

    fn kill_and_reap(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
            let _ = child.wait();
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

/// The exit code a shell would show: the status, or 128+N for a death by signal N.
pub fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Whether process `pid` has a thread of that name (a daemon's `spare-refill` or
/// `spare-layers`, which end once their spare is ready).
pub fn has_thread_named(pid: nix::unistd::Pid, name: &str) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|task| {
        std::fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.trim_end() == name)
    })
}
