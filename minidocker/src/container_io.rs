//! A container's standard streams behind its shim (chapter 8): its output into the json-file
//! log, its input (`-i`) and its terminal (`-t`) fed from two FIFOs in its directory, which
//! is how the daemon (or a daemon started later) reaches a container it did not start.
//!
//! ```text
//!                    containers/<id>/
//!  daemon  ──write──▶ stdin  (FIFO) ─┐                          ┌─▶ pipe ─▶ fd 0 of the init
//!  (attach, resize)   resize (FIFO) ─┼─▶ the shim's I/O process ┤   or (-t)
//!                                    │   (forked, one thread    └─▶ pty master ◀──▶ slave:
//!  attach, logs ◀── <id>-json.log ◀──┘    per stream)        ◀──── master     fd 0, 1, 2
//!                                         ◀── pipes ◀── fd 1, 2 of the init (no -t)
//! ```
//!
//! The I/O process is a child of the shim, forked before the shim does anything else, so the
//! shim stays single-threaded: it clone(2)s the container's init, and a clone of a
//! multi-threaded process may inherit a lock (malloc's, say) that another thread held at that
//! instant and wait on it forever. With `-t` the init makes its terminal inside the container
//! and sends the master over a socket ([`crate::terminal`]); the I/O process receives it.
//!
//! The stdin FIFO's ends tell who is there: the daemon opens it for writing while a client is
//! attached with its input; when every writer has closed it, the I/O process reads EOF and
//! either closes the container's stdin (`StdinOnce` without `-t`: `echo hi | docker run -i`)
//! or waits for the next writer.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use nix::unistd::Pid;

use crate::container::ContainerStdio;
use crate::logs::{LogWriter, Stream};
use crate::terminal::{WindowSize, console_socket_pair, receive_master, set_window_size};

/// The FIFO in a container's directory that carries attached clients' input.
pub const STDIN_FIFO: &str = "stdin";
/// The FIFO in a container's directory that carries window sizes (`rows cols\n`) for `-t`.
pub const RESIZE_FIFO: &str = "resize";

#[derive(Debug, thiserror::Error)]
pub enum ContainerIoError {
    #[error("creating the FIFO {path} (mkfifo(3)): {source}")]
    MakeFifo { path: PathBuf, source: Errno },
    #[error("opening {path} (open(2)): {source}")]
    Open { path: PathBuf, source: Errno },
    #[error("writing to {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("creating a pipe for the container's {stream} (pipe2(2)): {source}")]
    Pipe { stream: &'static str, source: Errno },
    #[error("creating the console socket (socketpair(2)): {0}")]
    ConsoleSocket(Errno),
    #[error("starting the I/O process (fork(2)): {0}")]
    Fork(Errno),
    #[error("making the container's {stream} pipe fd {fd} (dup2(2)): {source}")]
    Stdio {
        stream: &'static str,
        fd: i32,
        source: Errno,
    },
}

/// Makes the FIFO `path` (mode 0600) unless it exists.
pub fn ensure_fifo(path: &Path) -> Result<(), ContainerIoError> {
    match nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o600)) {
        Ok(()) | Err(Errno::EEXIST) => Ok(()),
        Err(source) => Err(ContainerIoError::MakeFifo {
            path: path.to_owned(),
            source,
        }),
    }
}

fn open(path: &Path, flags: OFlag) -> Result<OwnedFd, ContainerIoError> {
    nix::fcntl::open(path, flags | OFlag::O_CLOEXEC, Mode::empty()).map_err(|source| ContainerIoError::Open {
        path: path.to_owned(),
        source,
    })
}

// ANCHOR: stdin_writer
/// The daemon's end of the stdin FIFO in `dir`, for one attached client: opened for writing
/// as soon as the container's I/O process has it open for reading (until then open(2) with
/// `O_NONBLOCK` fails with `ENXIO`: the container has not started yet), trying again every
/// `poll` until `give_up()`; `None` then. Writes to it block (the container reads slowly).
pub fn open_stdin_writer(
    dir: &Path,
    poll: Duration,
    give_up: impl Fn() -> bool,
) -> Result<Option<File>, ContainerIoError> {
    let path = dir.join(STDIN_FIFO);
    ensure_fifo(&path)?;
    loop {
        match open(&path, OFlag::O_WRONLY | OFlag::O_NONBLOCK) {
            Ok(fd) => {
                nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_SETFL(OFlag::empty())).map_err(|source| {
                    ContainerIoError::Open {
                        path: path.clone(),
                        source,
                    }
                })?;
                return Ok(Some(File::from(fd)));
            }
            Err(ContainerIoError::Open {
                source: Errno::ENXIO, ..
            }) if !give_up() => std::thread::sleep(poll),
            Err(ContainerIoError::Open {
                source: Errno::ENXIO, ..
            }) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}
// ANCHOR_END: stdin_writer

/// Asks the I/O process of the container in `dir` to set its terminal's size; `false` when
/// none listens (the container is not running, or not with `-t`).
pub fn request_resize(dir: &Path, size: WindowSize) -> Result<bool, ContainerIoError> {
    let path = dir.join(RESIZE_FIFO);
    let fd = match open(&path, OFlag::O_WRONLY | OFlag::O_NONBLOCK) {
        Ok(fd) => fd,
        Err(ContainerIoError::Open {
            source: Errno::ENXIO | Errno::ENOENT,
            ..
        }) => return Ok(false),
        Err(e) => return Err(e),
    };
    // One line, shorter than PIPE_BUF: written whole or not at all.
    File::from(fd)
        .write_all(resize_line(size).as_bytes())
        .map_err(|source| ContainerIoError::Write { path, source })?;
    Ok(true)
}

fn resize_line(size: WindowSize) -> String {
    format!("{} {}\n", size.rows, size.cols)
}

fn parse_resize_line(line: &str) -> Option<WindowSize> {
    let (rows, cols) = line.trim().split_once(' ')?;
    Some(WindowSize {
        rows: rows.parse().ok()?,
        cols: cols.parse().ok()?,
    })
}

// ANCHOR: io_process
/// The shim's I/O process, as the shim sees it.
#[derive(Debug)]
pub struct IoProcess {
    pid: Pid,
    /// With `-t`: the shim's end of the console socket, inherited by each init it starts.
    console: Option<OwnedFd>,
}

impl IoProcess {
    /// Forks the I/O process of the container in `dir`, its output going to `writer`. From
    /// then on fd 1 and 2 of this process (and fd 0 with `-i` and no `-t`) are pipes the I/O
    /// process reads or feeds, and the container's init inherits them.
    pub fn start(
        dir: &Path,
        writer: LogWriter,
        stdio: ContainerStdio,
    ) -> Result<IoProcess, ContainerIoError> {
        let pipe = |stream: &'static str| {
            nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|source| ContainerIoError::Pipe { stream, source })
        };
        let (out_read, out_write) = pipe("stdout")?;
        let (err_read, err_write) = pipe("stderr")?;
        let (stdin, stdin_read) = match stdio.open_stdin {
            false => (None, None),
            true => {
                let path = dir.join(STDIN_FIFO);
                ensure_fifo(&path)?;
                // Non-blocking: there is no writer yet (see `relay_stdin`).
                let fifo = open(&path, OFlag::O_RDONLY | OFlag::O_NONBLOCK)?;
                let (target, read_end) = match stdio.tty {
                    true => (StdinTarget::Terminal, None),
                    false => {
                        let (read, write) = pipe("stdin")?;
                        (StdinTarget::Pipe(write), Some(read))
                    }
                };
                let relay = StdinRelay {
                    path,
                    fifo,
                    target,
                    close_at_eof: stdio.stdin_once && !stdio.tty,
                };
                (Some(relay), read_end)
            }
        };
        let (terminal, console) = match stdio.tty {
            false => (None, None),
            true => {
                let path = dir.join(RESIZE_FIFO);
                ensure_fifo(&path)?;
                // Read and write: it never reads EOF, and writers' opens never block.
                let resize = open(&path, OFlag::O_RDWR)?;
                let (shim_end, io_end) = console_socket_pair().map_err(ContainerIoError::ConsoleSocket)?;
                (
                    Some(TerminalRelay {
                        console: io_end,
                        resize,
                    }),
                    Some(shim_end),
                )
            }
        };
        // SAFETY: the shim has started no thread (Engine::open and the calls above start
        // none), so the child may run any code, threads included.
        match unsafe { nix::unistd::fork() }.map_err(ContainerIoError::Fork)? {
            nix::unistd::ForkResult::Child => {
                drop((out_write, err_write, stdin_read, console));
                run_io_process(writer, [out_read, err_read], stdin, terminal);
                std::process::exit(0);
            }
            nix::unistd::ForkResult::Parent { child } => {
                drop((out_read, err_read, writer, stdin, terminal));
                // dup2(2) onto fd 0, 1, 2: the container's init inherits them (dup2 clears
                // O_CLOEXEC); the originals close when dropped, the pipes stay open there.
                let stdio_error = |stream, fd| move |source| ContainerIoError::Stdio { stream, fd, source };
                nix::unistd::dup2_stdout(&out_write).map_err(stdio_error("stdout", 1))?;
                nix::unistd::dup2_stderr(&err_write).map_err(stdio_error("stderr", 2))?;
                if let Some(read) = stdin_read {
                    nix::unistd::dup2_stdin(&read).map_err(stdio_error("stdin", 0))?;
                }
                Ok(IoProcess { pid: child, console })
            }
        }
    }

    /// The I/O process of this process's earlier self (before an execve(2), which keeps the
    /// children): `pid`, and with `-t` the shim's end of the console socket.
    pub fn adopt(pid: Pid, console: Option<OwnedFd>) -> IoProcess {
        IoProcess { pid, console }
    }

    /// The I/O process's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// With `-t`: the socket the container's init sends its terminal's master on.
    pub fn console(&self) -> Option<BorrowedFd<'_>> {
        self.console.as_ref().map(|c| c.as_fd())
    }

    /// Closes this process's ends of the container's output pipes (fd 1 and 2 become
    /// /dev/null), for a container that will not run again: the I/O process writes the last
    /// of the output and ends as soon as the container's processes have closed theirs.
    pub fn release_output(&self) {
        release_stdio();
    }

    /// Closes this process's ends and waits until the I/O process has written the last of the
    /// container's output (it ends once every writer has closed its end).
    pub fn finish(self) {
        drop(self.console);
        release_stdio();
        let _ = nix::sys::wait::waitpid(self.pid, None);
    }
}
// ANCHOR_END: io_process

/// Points fd 0, 1 and 2 at /dev/null, closing this process's ends of the container's pipes
/// (the copiers then end once the container's processes have closed theirs).
fn release_stdio() {
    if let Ok(null) = File::options().read(true).write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stdin(&null);
        let _ = nix::unistd::dup2_stdout(&null);
        let _ = nix::unistd::dup2_stderr(&null);
    }
}

/// Where the stdin FIFO's bytes go.
#[derive(Debug)]
enum StdinTarget {
    /// The write end of the pipe that is the init's fd 0.
    Pipe(OwnedFd),
    /// The current terminal's master (a restart brings a new one).
    Terminal,
}

#[derive(Debug)]
struct StdinRelay {
    path: PathBuf,
    fifo: OwnedFd,
    target: StdinTarget,
    /// `StdinOnce` without `-t`: the first EOF closes the container's stdin.
    close_at_eof: bool,
}

#[derive(Debug)]
struct TerminalRelay {
    /// The I/O process's end of the console socket.
    console: OwnedFd,
    /// The resize FIFO, open for reading (and writing, so it never reads EOF).
    resize: OwnedFd,
}

/// The container's current terminal: its master (none before the init sends it) and the
/// size asked for last, which a new master gets too.
#[derive(Debug, Default)]
struct CurrentTerminal {
    state: Mutex<(Option<Arc<OwnedFd>>, Option<WindowSize>)>,
    arrived: Condvar,
}

impl CurrentTerminal {
    fn lock(&self) -> std::sync::MutexGuard<'_, (Option<Arc<OwnedFd>>, Option<WindowSize>)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn install(&self, master: Arc<OwnedFd>) {
        let mut state = self.lock();
        if let Some(size) = state.1 {
            let _ = set_window_size(master.as_fd(), size);
        }
        state.0 = Some(master);
        self.arrived.notify_all();
    }

    fn resize(&self, size: WindowSize) {
        let mut state = self.lock();
        state.1 = Some(size);
        if let Some(master) = &state.0
            && let Err(e) = set_window_size(master.as_fd(), size)
        {
            tracing::debug!(error = %e, "resizing the container's terminal");
        }
    }

    fn master(&self) -> Arc<OwnedFd> {
        let mut state = self.lock();
        loop {
            if let Some(master) = &state.0 {
                return master.clone();
            }
            state = self.arrived.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The I/O process: a thread per stream; it returns once the output is all in the log.
fn run_io_process(
    writer: LogWriter,
    [out, err]: [OwnedFd; 2],
    stdin: Option<StdinRelay>,
    terminal: Option<TerminalRelay>,
) {
    let copy = |stream: Stream, read: OwnedFd| {
        let writer = writer.clone();
        std::thread::spawn(move || {
            let _ = writer.copy_from(stream, File::from(read));
        })
    };
    let mut outputs = vec![copy(Stream::Stdout, out), copy(Stream::Stderr, err)];
    let current = Arc::new(CurrentTerminal::default());
    if let Some(TerminalRelay { console, resize }) = terminal {
        let (writer, current_for_masters) = (writer.clone(), current.clone());
        outputs.push(std::thread::spawn(move || {
            relay_terminals(&console, &writer, &current_for_masters)
        }));
        let current = current.clone();
        std::thread::spawn(move || relay_resizes(resize, &current));
    }
    if let Some(relay) = stdin {
        std::thread::spawn(move || relay_stdin(relay, &current));
    }
    // The stdin and resize relays may wait for ever; they end with the process.
    for output in outputs {
        let _ = output.join();
    }
}

/// Each master the container's inits send (one per run): its output into the log as stdout,
/// until the terminal is gone (EIO once the last slave closes).
fn relay_terminals(console: &OwnedFd, writer: &LogWriter, current: &CurrentTerminal) {
    let mut copiers = Vec::new();
    while let Ok(Some(master)) = receive_master(console.as_fd()) {
        let Ok(reader) = master.try_clone() else { continue };
        current.install(Arc::new(master));
        let writer = writer.clone();
        copiers.push(std::thread::spawn(move || {
            let _ = writer.copy_from(Stream::Stdout, File::from(reader));
        }));
    }
    for copier in copiers {
        let _ = copier.join();
    }
}

fn relay_resizes(fifo: OwnedFd, current: &CurrentTerminal) {
    for line in BufReader::new(File::from(fifo)).lines() {
        let Ok(line) = line else { return };
        if let Some(size) = parse_resize_line(&line) {
            current.resize(size);
        }
    }
}

// ANCHOR: relay_stdin
/// Copies what attached clients write into the stdin FIFO to the container. The FIFO is read
/// non-blocking and waited on with poll(2), which on Linux reports the end (`POLLHUP`) only
/// once a writer that came after our open(2) has gone: before any client comes, it waits.
/// At EOF it closes the container's stdin (`StdinOnce` without `-t`), or opens the FIFO again
/// and waits for the next client.
fn relay_stdin(relay: StdinRelay, current: &CurrentTerminal) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let StdinRelay {
        path,
        mut fifo,
        target,
        close_at_eof,
    } = relay;
    let mut buf = [0u8; 8192];
    loop {
        let mut fds = [PollFd::new(fifo.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return,
        }
        match nix::unistd::read(&fifo, &mut buf) {
            Ok(0) if close_at_eof => return, // drops the pipe's write end: EOF inside
            Ok(0) => match open(&path, OFlag::O_RDONLY | OFlag::O_NONBLOCK) {
                Ok(again) => fifo = again,
                Err(_) => return,
            },
            Ok(n) => match &target {
                StdinTarget::Pipe(pipe) => {
                    if write_all(pipe.as_fd(), &buf[..n]).is_err() {
                        return; // the container's stdin is closed: nobody reads any more
                    }
                }
                // a terminal gone (the container restarting) loses what was typed
                StdinTarget::Terminal => {
                    let _ = write_all(current.master().as_fd(), &buf[..n]);
                }
            },
            Err(Errno::EAGAIN | Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}
// ANCHOR_END: relay_stdin

/// write(2) until all of `bytes` is written.
fn write_all(fd: BorrowedFd<'_>, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        match nix::unistd::write(fd, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_lines_read_back() {
        let size = WindowSize { rows: 30, cols: 100 };
        assert_eq!(resize_line(size), "30 100\n");
        assert_eq!(parse_resize_line(&resize_line(size)), Some(size));
        assert_eq!(parse_resize_line("30"), None);
        assert_eq!(parse_resize_line("x 1"), None);
    }

    #[test]
    fn a_writer_opens_the_fifo_only_once_a_reader_has() {
        let dir = tempfile::tempdir().unwrap();
        let none = open_stdin_writer(dir.path(), Duration::from_millis(1), || true).unwrap();
        assert!(none.is_none(), "no reader: the client waits");
        let reader = open(&dir.path().join(STDIN_FIFO), OFlag::O_RDONLY | OFlag::O_NONBLOCK).unwrap();
        let mut writer = open_stdin_writer(dir.path(), Duration::from_millis(1), || true)
            .unwrap()
            .expect("a reader is there");
        writer.write_all(b"hi\n").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(nix::unistd::read(&reader, &mut buf), Ok(3));
    }

    #[test]
    fn a_resize_without_a_listener_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let size = WindowSize { rows: 1, cols: 2 };
        assert!(!request_resize(dir.path(), size).unwrap(), "no FIFO");
        ensure_fifo(&dir.path().join(RESIZE_FIFO)).unwrap();
        assert!(!request_resize(dir.path(), size).unwrap(), "no reader");
        let reader = open(&dir.path().join(RESIZE_FIFO), OFlag::O_RDWR).unwrap();
        assert!(request_resize(dir.path(), size).unwrap());
        let mut line = String::new();
        BufReader::new(File::from(reader)).read_line(&mut line).unwrap();
        assert_eq!(parse_resize_line(&line), Some(size));
    }
}
