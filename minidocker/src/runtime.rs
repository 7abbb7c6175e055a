//! Starting a container's first process: the chapters put together.
//!
//! ```text
//!  minidocker run (parent)                      container init (child of clone(2))
//!  ───────────────────────                      ──────────────────────────────────
//!  block signals            ch01
//!  pipes: error, go (O_CLOEXEC)
//!  clone(NEWNS|NEWUTS|NEWPID|… ) ch01+ch02 ──▶  wait on the go pipe
//!  put the pid in its cgroup       ch06
//!  write "go" ─────────────────────────────────▶ unshare(NEWCGROUP): its cgroup is its root
//!                                               reset signals, setsid          ch01
//!                                               sethostname, lo up             ch02
//!                                               mounts, devices, pivot_root    ch03
//!                                               masks, user, capabilities      ch03
//!  read error pipe ◀──── error, or EOF ──────── execve(2)  (closes the pipe)    ch03
//!  supervise: forward signals, wait  ch01
//! ```
//!
//! The go pipe makes sure the init is in its cgroup (limits and all) before it runs a single
//! instruction of the container's setup, let alone the command: a fork bomb or a memory hog
//! never runs unconfined. If the parent cannot place it, it closes the pipe without a word
//! and the child exits.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

use ch01_process::{reset_in_child, spawn_cloned};
use ch02_namespaces::{Namespace, clone_flags, join_path, set_hostname, set_loopback_up, unshare};
use ch03_rootfs::{ExecFailure, LinuxSyscall, ProcessSpec, RootfsSpec, exec_process, prepare_rootfs};
use nix::unistd::Pid;

/// The namespaces a Step 1 container gets: all but the user namespace (it runs as real root,
/// like Docker without userns-remap). Its network namespace is new (only `lo`, up, until the
/// engine plugs a veth pair in: chapter 7) unless `--network` says otherwise ([`NetworkNamespace`]).
/// All are made by clone(2) except the cgroup namespace: the init unshares that one once it
/// is in its own cgroup, so that cgroup is the root of its view (`/proc/self/cgroup` says `/`).
pub const CONTAINER_NAMESPACES: [Namespace; 6] = [
    Namespace::Mount,
    Namespace::Uts,
    Namespace::Ipc,
    Namespace::Pid,
    Namespace::Net,
    Namespace::Cgroup,
];

/// Which network namespace a container's init gets (`--network`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NetworkNamespace {
    /// A new one (bridge networks and `none`): clone(2) with `CLONE_NEWNET`.
    #[default]
    New,
    /// The engine's own (`--network host`).
    Host,
    /// Another container's (`--network container:<name|id>`): the init setns(2)s into the
    /// namespace file (`/proc/<pid>/ns/net`) first thing.
    Join(PathBuf),
}

/// Everything needed to start a container's init.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    pub rootfs: RootfsSpec,
    pub process: ProcessSpec,
    pub hostname: String,
    pub network: NetworkNamespace,
    /// Keep the caller's stdin (`-i`); otherwise the container reads `/dev/null`, as in Docker.
    pub keep_stdin: bool,
    /// `--init`: the first process stays as a tiny init and runs the command as its child
    /// ([`crate::init`]).
    pub init: bool,
    /// `-t`: a unix socket (inherited through clone(2)) to send the master of the terminal
    /// the init makes inside the container to (runc's `--console-socket`); the terminal's
    /// slave is then the init's stdin, stdout and stderr.
    pub console_socket: Option<RawFd>,
    /// Files the init writes `0` to, first thing once let go, to move itself into its cgroups
    /// (cgroup v1's `tasks`: see `CgroupManager::self_join_files`); empty when the parent
    /// places it.
    pub join_cgroups: Vec<PathBuf>,
}

/// How the launch ended.
#[derive(Debug)]
pub enum Launched {
    /// The command is running as `pid` (host PID; PID 1 inside).
    Running(Pid),
    /// The container's init could not start the command; it has exited.
    Failed { pid: Pid, failure: ExecFailure },
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("creating the error pipe: {0}")]
    Pipe(nix::errno::Errno),
    #[error(transparent)]
    Clone(#[from] ch01_process::ProcessError),
    /// The parent could not place the init (in its cgroup); the init has exited.
    #[error("{message}")]
    Place { pid: Pid, message: String },
    #[error("releasing the container's init (pid {pid}): {source}")]
    Release { pid: Pid, source: nix::errno::Errno },
}

/// The byte the parent writes on the go pipe once the init is in place.
const GO: u8 = b'g';

/// The pipes' raw descriptors, as the child sees them after clone(2).
#[derive(Debug, Clone, Copy)]
struct ChildFds {
    /// Write end of the error pipe (close-on-exec: EOF in the parent means execve(2) worked).
    error: RawFd,
    /// Read end of the go pipe.
    go: RawFd,
    /// The child's copy of the go pipe's write end: closed first, or EOF could never come.
    go_parent_end: RawFd,
}

// ANCHOR: container_init
/// The child side: set up and exec, or report why not through the error pipe. It waits for
/// the parent's [`GO`] before its command runs: first thing when the parent places it in its
/// cgroups (v2), else (v1: it joins them itself) only once its root filesystem is ready, so
/// that its own setup and the parent's (the network) run at the same time.
fn container_init(spec: &LaunchSpec, fds: ChildFds) -> isize {
    let placed_by_parent = spec.join_cgroups.is_empty();
    if placed_by_parent && !wait_for_go(fds) {
        // The parent gave up on us (and reports why itself).
        return 125;
    }
    let failure = match prepare_container(spec) {
        Ok(()) if !placed_by_parent && !wait_for_go(fds) => return 125,
        Ok(()) => start_command(spec),
        Err(f) => f,
    };
    let report = format!("{}\n{}", failure.exit_code, failure.message);
    // SAFETY: fds.error is the write end created by the parent before clone(2) and still open
    // in this child; the BorrowedFd does not outlive this call.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fds.error) };
    let _ = nix::unistd::write(fd, report.as_bytes());
    failure.exit_code as isize
}
// ANCHOR_END: container_init

// ANCHOR: join_cgroups
/// The init moves itself into its cgroups: `0` written to each file (v1 `tasks`) moves the
/// calling thread, the init's only one, without the global lock a write of its pid by the
/// parent takes.
fn join_cgroups(files: &[PathBuf]) -> Result<(), String> {
    for file in files {
        std::fs::write(file, "0").map_err(|e| format!("joining cgroup {}: {e}", file.display()))?;
    }
    Ok(())
}
// ANCHOR_END: join_cgroups

/// Blocks until the parent writes [`GO`] on the go pipe; false if it closed it instead.
fn wait_for_go(fds: ChildFds) -> bool {
    // SAFETY: go_parent_end is this child's copy of the go pipe's write end, open since
    // clone(2) and used by nothing else here; the OwnedFd closes it when dropped.
    drop(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fds.go_parent_end) });
    // SAFETY: fds.go is the read end created before clone(2), open in this child; the
    // BorrowedFd lives only for this function.
    let go = unsafe { std::os::fd::BorrowedFd::borrow_raw(fds.go) };
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(go, &mut byte) {
            Ok(1) => return byte[0] == GO,
            Err(nix::errno::Errno::EINTR) => continue,
            _ => return false,
        }
    }
}

/// Everything before the command: the init's cgroups (v1: it joins them, before anything
/// else, the cgroup namespace in particular: its root is where we are), namespaces, hostname,
/// root filesystem, terminal.
fn prepare_container(spec: &LaunchSpec) -> Result<(), ExecFailure> {
    let init_error = |e: &dyn std::fmt::Display| ExecFailure {
        exit_code: 125,
        message: format!("error during container init: {e}"),
    };
    join_cgroups(&spec.join_cgroups).map_err(|message| init_error(&message))?;
    if let NetworkNamespace::Join(path) = &spec.network {
        join_path(path, Namespace::Net)
            .map_err(|e| init_error(&format!("joining the network namespace: {e}")))?;
    }
    // Now in its cgroup: a new cgroup namespace makes that cgroup the root of what it sees.
    unshare(&[Namespace::Cgroup]).map_err(|e| init_error(&e))?;
    reset_in_child().map_err(|e| init_error(&e))?;
    nix::unistd::setsid().map_err(|e| init_error(&e))?;
    // If minidocker dies, its container dies with it (shims that outlive us come in chapter 8).
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL).map_err(|e| init_error(&e))?;
    set_hostname(&spec.hostname).map_err(|e| match e {
        // runc's wording: "sethostname: invalid argument"
        ch02_namespaces::NamespaceError::SetHostname { source, .. } => {
            init_error(&format!("sethostname: {}", source.desc().to_lowercase()))
        }
        other => init_error(&other),
    })?;
    if spec.network == NetworkNamespace::New {
        set_loopback_up().map_err(|e| init_error(&e))?;
    }
    prepare_rootfs(&LinuxSyscall, &spec.rootfs).map_err(|e| init_error(&e))?;
    if let Some(console) = spec.console_socket {
        // after pivot_root: the container's /dev/ptmx, so the slave is its /dev/pts/0
        attach_terminal(console, spec.process.user.uid).map_err(|e| init_error(&e))?;
    } else if !spec.keep_stdin {
        // the container's own /dev/null, so /proc/self/fd/0 reads "/dev/null" inside
        let null = std::fs::File::open("/dev/null").map_err(|e| init_error(&e))?;
        nix::unistd::dup2_stdin(&null).map_err(|e| init_error(&e))?;
    }
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    Ok(())
}

/// The command: exec'd (with `--init`, by a child of ours that stays the init); returns only
/// if it could not be.
fn start_command(spec: &LaunchSpec) -> ExecFailure {
    if spec.init {
        // only the child comes back, to run the command
        if let Err(e) = crate::init::fork_init(&spec.process) {
            return ExecFailure {
                exit_code: 125,
                message: format!("error during container init: {e}"),
            };
        }
    }
    exec_process(&spec.process)
}

// ANCHOR: attach_terminal
/// The init's terminal (`-t`): a new pty in the container's devpts, its master sent out over
/// `console`, its slave the controlling terminal (we are a session leader: setsid above) and
/// fd 0, 1 and 2, owned by the container's user.
fn attach_terminal(console: RawFd, uid: u32) -> Result<(), crate::terminal::TerminalError> {
    use crate::terminal::{Terminal, make_controlling_stdio, send_master};
    use std::os::fd::AsFd;
    let terminal = Terminal::open()?;
    // SAFETY: `console` is the socket the parent made before clone(2), open in this child
    // until execve(2) (close-on-exec); the BorrowedFd lives only for this call.
    let socket = unsafe { std::os::fd::BorrowedFd::borrow_raw(console) };
    send_master(socket, terminal.master.as_fd())?;
    drop(terminal.master);
    make_controlling_stdio(terminal.slave, &terminal.slave_path, uid)
}
// ANCHOR_END: attach_terminal

// ANCHOR: launch
/// [`launch_placed`] with nothing to do while the init waits: it stays in the caller's cgroups.
pub fn launch(spec: &LaunchSpec) -> Result<Launched, LaunchError> {
    launch_placed(spec, |_| Ok::<(), std::convert::Infallible>(()))
}

/// Clone the container's init into fresh namespaces, let `place` put it where it belongs (its
/// cgroup) while it waits, then let it go and wait until it has either exec'd the command or
/// failed. If `place` fails the init exits without running anything, and the error says why
/// (unless the init had failed first: then its own report does).
/// The caller must hold [`ch01_process::BlockedSignals`] for
/// [`ch01_process::forwarded_signals`] so no signal is lost before it starts supervising.
pub fn launch_placed<E: std::fmt::Display>(
    spec: &LaunchSpec,
    place: impl FnOnce(Pid) -> Result<(), E>,
) -> Result<Launched, LaunchError> {
    let (read_end, write_end): (OwnedFd, OwnedFd) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(LaunchError::Pipe)?;
    let (go_read, go_write): (OwnedFd, OwnedFd) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(LaunchError::Pipe)?;
    let fds = ChildFds {
        error: write_end.as_raw_fd(),
        go: go_read.as_raw_fd(),
        go_parent_end: go_write.as_raw_fd(),
    };
    let namespaces: Vec<Namespace> = CONTAINER_NAMESPACES
        .into_iter()
        .filter(|ns| *ns != Namespace::Cgroup)
        .filter(|ns| *ns != Namespace::Net || spec.network == NetworkNamespace::New)
        .collect();
    let pid = spawn_cloned(clone_flags(&namespaces), || container_init(spec, fds))?;
    drop(write_end); // now only the child holds it: EOF means execve(2) succeeded
    drop(go_read);
    // The go byte only once placed; else the pipe closes with nothing on it and the init exits
    // without running anything. (On v1 the init prepares meanwhile: it may have failed and
    // gone already, having said why; then that is the failure, EPIPE or not.)
    let placed = place(pid);
    let released = placed
        .as_ref()
        .ok()
        .map(|()| nix::unistd::write(&go_write, &[GO]));
    drop(go_write);
    let mut report = Vec::new();
    let mut reader = std::fs::File::from(read_end);
    let _ = std::io::Read::read_to_end(&mut reader, &mut report);
    if report.is_empty() {
        if let Err(e) = placed {
            let _ = ch01_process::wait_for_exit(pid);
            return Err(LaunchError::Place {
                pid,
                message: e.to_string(),
            });
        }
        if let Some(Err(source)) = released {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            let _ = ch01_process::wait_for_exit(pid);
            return Err(LaunchError::Release { pid, source });
        }
        return Ok(Launched::Running(pid));
    }
    let text = String::from_utf8_lossy(&report);
    let (code, message) = text.split_once('\n').unwrap_or(("125", &text));
    let failure = ExecFailure {
        exit_code: code.parse().unwrap_or(125),
        message: message.to_owned(),
    };
    Ok(Launched::Failed { pid, failure })
}
// ANCHOR_END: launch
