//! `minidocker-shim <init pid> <binary fd> <log fd> <argv0> [args…]`: what a container's
//! shim becomes while the container runs (issue 9), small because it is: chapter 1's
//! supervision and nothing else.
//!
//! The shim (`minidocker shim <id>`) starts the container, then execve(2)s this binary with
//! the pid of the container's init (its child: execve keeps the pid and the children), a
//! descriptor of its own binary, one of its log (`shim.log`) and the command line to run once
//! the init has ended. This process forwards the signals it gets to the init and waits for
//! it; then it runs `argv0 args… --exit-code N` from that descriptor (fexecve(3)): the very
//! binary the shim was, even if a newer `minidocker` was installed meanwhile, for the exit
//! phase. The forwarded signals are blocked before the first execve and stay blocked across
//! both (the signal mask and pending signals survive execve), so none is lost in between.
//!
//! It uses only chapter 1 and `std`, never the `minidocker` library: that keeps it a few
//! hundred kilobytes, not the whole engine, daemon and TLS stack. Errors go to stderr with a
//! nonzero exit.
//!
//! `main` is the C library's, not Rust's (`no_main`): Rust's runtime start asks glibc for the
//! main thread's stack (`pthread_getattr_np`, which reads `/proc/self/maps` with stdio and
//! scanf) to place a guard page, and the pages of libc that touches stayed resident, about a
//! fifth of this process's RSS. Without it a stack overflow is a plain SIGSEGV (there is no
//! recursion here), and SIGPIPE keeps the disposition the shim had, ignored.
#![no_main]

use std::ffi::{CString, OsString, c_char, c_int};
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStringExt;

use ch01_process::{BlockedSignals, Reap, forwarded_signals, supervise};
use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::unistd::{Pid, fexecve, write};

/// The program's entry, called by the C library's start code (`std::env::args_os` still
/// works: std takes the arguments from glibc's init on Linux).
#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let Err(e) = monitor(&args);
    let message = format!("minidocker-shim: {e}\n");
    // into the shim's log; else to stderr, which by now is the container's (its log)
    let logged = args.get(2).and_then(|fd| fd_argument(fd).ok()).is_some_and(|fd| {
        // SAFETY: the shim left this descriptor open for us; only borrowed for this write
        let log = unsafe { BorrowedFd::borrow_raw(fd) };
        write(log, message.as_bytes()).is_ok()
    });
    if !logged {
        eprint!("{message}");
    }
    125
}

/// Supervises the init, then runs the shim's binary again with `--exit-code N`; returns only
/// on failure.
fn monitor(args: &[OsString]) -> Result<std::convert::Infallible, String> {
    let [pid, binary, log, argv0, rest @ ..] = args else {
        return Err("usage: minidocker-shim <init pid> <binary fd> <log fd> <argv0> [args...]".into());
    };
    let pid = pid
        .to_str()
        .and_then(|p| p.parse().ok())
        .filter(|p: &i32| *p > 0)
        .ok_or_else(|| format!("not a pid: {}", pid.to_string_lossy()))?;
    let (binary, log) = (fd_argument(binary)?, fd_argument(log)?);
    // SAFETY: the shim left these descriptors open for us, and nothing else here owns them.
    let (binary, log) = unsafe { (OwnedFd::from_raw_fd(binary), BorrowedFd::borrow_raw(log)) };
    // neither goes on to the shim's binary (the kernel has opened it before it closes them)
    for fd in [binary.as_fd(), log] {
        fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(|e| format!("fcntl(F_SETFD): {e}"))?;
    }
    // Blocked already by the shim; blocked here too, so that a monitor started any other way
    // supervises all the same. Never unblocked: the next execve keeps the mask.
    let blocked = BlockedSignals::block(&forwarded_signals()).map_err(|e| e.to_string())?;
    let status = supervise(Pid::from_raw(pid), Reap::MainChildOnly)
        .map_err(|e| format!("supervising the container's init {pid}: {e}"))?;
    std::mem::forget(blocked);
    let exit_code = status.code().to_string();
    let c_string = |arg: OsString| CString::new(arg.into_vec()).map_err(|e| format!("argument {e}"));
    let argv = std::iter::once(argv0)
        .chain(rest)
        .cloned()
        .chain(["--exit-code".into(), exit_code.into()])
        .map(c_string)
        .collect::<Result<Vec<_>, _>>()?;
    let env = std::env::vars_os()
        .map(|(key, value)| {
            let mut pair = key;
            pair.push("=");
            pair.push(value);
            c_string(pair)
        })
        .collect::<Result<Vec<_>, _>>()?;
    // fexecve(3): no fork, and unlike std's `Command::exec` it leaves the signal mask alone
    let Err(e) = fexecve(&binary, &argv, &env);
    Err(format!("executing {} again: {e}", argv0.to_string_lossy()))
}

/// A descriptor number given as an argument.
fn fd_argument(arg: &OsString) -> Result<RawFd, String> {
    arg.to_str()
        .and_then(|fd| fd.parse().ok())
        .filter(|fd: &RawFd| *fd >= 0)
        .ok_or_else(|| format!("not a file descriptor: {}", arg.to_string_lossy()))
}
