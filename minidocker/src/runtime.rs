//! Starting a container's first process: the chapters put together.
//!
//! ```text
//!  minidocker run (parent)                      container init (child of clone(2))
//!  ───────────────────────                      ──────────────────────────────────
//!  block signals            ch01
//!  pipe(O_CLOEXEC)
//!  clone(NEWNS|NEWUTS|NEWPID|… ) ch01+ch02 ──▶  reset signals, setsid          ch01
//!                                               sethostname, lo up             ch02
//!                                               mounts, devices, pivot_root    ch03
//!                                               masks, user, capabilities      ch03
//!  read error pipe ◀──── error, or EOF ──────── execve(2)  (closes the pipe)    ch03
//!  supervise: forward signals, wait  ch01
//! ```

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use ch01_process::{reset_in_child, spawn_cloned};
use ch02_namespaces::{Namespace, clone_flags, set_hostname, set_loopback_up};
use ch03_rootfs::{ExecFailure, LinuxSyscall, ProcessSpec, RootfsSpec, exec_process, prepare_rootfs};
use nix::unistd::Pid;

/// The namespaces a Step 1 container gets: all but the user namespace (it runs as real root,
/// like Docker without userns-remap). Its network namespace has only `lo` (up) until chapter 7.
pub const CONTAINER_NAMESPACES: [Namespace; 6] = [
    Namespace::Mount,
    Namespace::Uts,
    Namespace::Ipc,
    Namespace::Pid,
    Namespace::Net,
    Namespace::Cgroup,
];

/// Everything needed to start a container's init.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    pub rootfs: RootfsSpec,
    pub process: ProcessSpec,
    pub hostname: String,
    /// Keep the caller's stdin (`-i`); otherwise the container reads `/dev/null`, as in Docker.
    pub keep_stdin: bool,
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
}

/// The child side: set up and exec, or report why not through `error_pipe`.
fn container_init(spec: &LaunchSpec, error_pipe: RawFd) -> isize {
    let failure = match setup_and_exec(spec) {
        Ok(never) => match never {},
        Err(f) => f,
    };
    let report = format!("{}\n{}", failure.exit_code, failure.message);
    // SAFETY: error_pipe is the write end created by the parent before clone(2) and still open
    // in this child; the BorrowedFd does not outlive this call.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(error_pipe) };
    let _ = nix::unistd::write(fd, report.as_bytes());
    failure.exit_code as isize
}

fn setup_and_exec(spec: &LaunchSpec) -> Result<std::convert::Infallible, ExecFailure> {
    let init_error = |e: &dyn std::fmt::Display| ExecFailure {
        exit_code: 125,
        message: format!("error during container init: {e}"),
    };
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
    set_loopback_up().map_err(|e| init_error(&e))?;
    prepare_rootfs(&LinuxSyscall, &spec.rootfs).map_err(|e| init_error(&e))?;
    if !spec.keep_stdin {
        // the container's own /dev/null, so /proc/self/fd/0 reads "/dev/null" inside
        let null = std::fs::File::open("/dev/null").map_err(|e| init_error(&e))?;
        nix::unistd::dup2_stdin(&null).map_err(|e| init_error(&e))?;
    }
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    Err(exec_process(&spec.process))
}

// ANCHOR: launch
/// Clone the container's init into fresh namespaces and wait until it has either exec'd the
/// command or failed. The caller must hold [`ch01_process::BlockedSignals`] for
/// [`ch01_process::forwarded_signals`] so no signal is lost before it starts supervising.
pub fn launch(spec: &LaunchSpec) -> Result<Launched, LaunchError> {
    let (read_end, write_end): (OwnedFd, OwnedFd) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(LaunchError::Pipe)?;
    let write_fd = write_end.as_raw_fd();
    let pid = spawn_cloned(clone_flags(&CONTAINER_NAMESPACES), || {
        container_init(spec, write_fd)
    })?;
    drop(write_end); // now only the child holds it: EOF means execve(2) succeeded
    let mut report = Vec::new();
    let mut reader = std::fs::File::from(read_end);
    let _ = std::io::Read::read_to_end(&mut reader, &mut report);
    if report.is_empty() {
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
