//! Passing signals on to a child, without a single signal handler.
//!
//! **Lab 01 skeleton.** Exercise `ex2`: write [`forwarded_signals`]. Exercise `ex3`: write
//! the loop of [`supervise`] (the rest of this file is done). `labs/check 01` tells you how
//! far you are.
//!
//! `docker stop` sends SIGTERM to the container's first process; ctrl-C on
//! `docker run` sends SIGINT through the CLI. Whoever sits between the sender and
//! the real program (the CLI's sig-proxy, a shim, an init) must pass the signal on.
//!
//! Signal handlers run at arbitrary moments and may do almost nothing safely. The
//! handler-free way, used by tini and here, is:
//!
//! 1. **block** the signals with `sigprocmask(2)`: the kernel then keeps them
//!    *pending* instead of running a handler or a default action;
//! 2. **take** them one by one with `sigtimedwait(2)`, in an ordinary loop, where
//!    any code is safe: forward with `kill(2)`, or reap children on `SIGCHLD`.
//!
//! Blocked masks are inherited through `fork` and `exec`, so a child must undo them
//! ([`reset_in_child`]) before it runs the real program.

use std::marker::PhantomData;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::error::ProcessError;
use crate::exit_status::ExitStatus;

/// How long [`supervise`] sleeps in `sigtimedwait(2)` before it looks for exited
/// children anyway (tini uses the same second). It is a safety net: in a program
/// with other threads, a `SIGCHLD` may be taken by a thread that does not block it.
pub const REAP_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The signals a supervisor passes on to its child: every signal a process can
/// catch, except
///
/// * `SIGCHLD`: it tells *us* that one of *our* children changed state;
/// * `SIGPIPE`: it concerns our own writes to a closed pipe, not the child;
/// * `SIGURG`: out-of-band socket data for us (the Go runtime also uses it to
///   preempt goroutines, which is why Docker's sig-proxy skips it too);
/// * `SIGWINCH`: "the terminal was resized" goes to the terminal's foreground
///   process group straight from the kernel (with a pty, `docker` resizes the pty
///   and the kernel signals the container); forwarding would deliver it twice.
///
/// `SIGKILL` and `SIGSTOP` cannot be caught, blocked or forwarded. Blocking
/// `SIGSEGV`, `SIGBUS`, `SIGFPE`, `SIGILL` is harmless: when a real fault raises
/// one, the kernel unblocks it and the faulting process dies anyway. Real-time
/// signals (`SIGRTMIN`..) are left out: nix has no name for them.
pub fn forwarded_signals() -> SigSet {
    // ex2: start from every signal nix knows (`Signal::iterator()`) and leave out the six
    // the list above names; `collect()` builds a `SigSet`.
    todo!(
        "ex2: Signal::iterator().filter(..).collect(), leaving out SIGKILL, SIGSTOP, SIGCHLD, SIGPIPE, SIGURG and SIGWINCH"
    )
}

/// A set of signals blocked on the calling thread, unblocked again on drop.
///
/// Created by [`BlockedSignals::block`]. The mask belongs to one thread, so this
/// guard is neither `Send` nor `Sync`: dropping it on another thread would restore
/// the wrong thread's mask.
#[derive(Debug)]
pub struct BlockedSignals {
    previous: SigSet,
    _one_thread: PhantomData<*const ()>,
}

impl BlockedSignals {
    /// Blocks `set` and `SIGCHLD` on the calling thread with
    /// [`sigprocmask(2)`](https://man7.org/linux/man-pages/man2/sigprocmask.2.html).
    ///
    /// Block *before* creating the child, so a signal sent in between is kept
    /// pending instead of killing us. Threads spawned afterwards inherit the mask;
    /// threads that already exist do not, and the kernel gives a process-directed
    /// signal to any thread that does not block it.
    pub fn block(set: &SigSet) -> Result<BlockedSignals, ProcessError> {
        let mut to_block = *set;
        to_block.add(Signal::SIGCHLD);
        let mut previous = SigSet::empty();
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&to_block), Some(&mut previous))
            .map_err(|source| ProcessError::SignalMask { source })?;
        Ok(BlockedSignals {
            previous,
            _one_thread: PhantomData,
        })
    }

    /// The mask that was in force before, and that drop restores.
    pub fn previous(&self) -> &SigSet {
        &self.previous
    }
}

impl Drop for BlockedSignals {
    /// Restores the previous mask. Signals still pending are delivered right away,
    /// with their normal effect (a pending SIGTERM terminates the process).
    fn drop(&mut self) {
        if let Err(err) = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.previous), None) {
            tracing::warn!("sigprocmask(2) could not restore the signal mask: {err}");
        }
    }
}

/// The kernel's `struct sigaction` for "default action": handler `SIG_DFL` (0), no
/// flags, no restorer, empty mask. All zeros, so it reads the same whatever the
/// field order of the architecture; four words cover it on x86-64 and arm64.
const KERNEL_DEFAULT_ACTION: [u64; 4] = [0; 4];
/// Signals the kernel knows (1..=64, real-time ones included) and the size in bytes
/// of its signal set.
const KERNEL_NSIG: i32 = 64;
const KERNEL_SIGSET_SIZE: usize = KERNEL_NSIG as usize / 8;

/// Gives a freshly forked or cloned child a clean signal state before it calls
/// `exec`: every catchable signal, real-time ones included, back to its default
/// action ([`rt_sigaction(2)`](https://man7.org/linux/man-pages/man2/rt_sigaction.2.html)),
/// then an empty mask ([`sigprocmask(2)`](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)).
///
/// `exec` forgets handlers but keeps `SIG_IGN` and the mask. The Rust runtime
/// ignores `SIGPIPE`, and a supervisor blocks SIGTERM & co.; without this reset the
/// program would never die of SIGPIPE and would never see a forwarded SIGTERM.
///
/// It calls the raw system call because glibc's `sigaction(3)` refuses signals 32
/// and 33, which it keeps for its own threads; yet a parent may hand them down
/// ignored (our tests saw signal 32 ignored when run under `cargo test`). Both
/// calls are async-signal-safe, so this is fine between `fork` and `exec`.
pub fn reset_in_child() -> Result<(), ProcessError> {
    for signo in 1..=KERNEL_NSIG {
        if signo == libc::SIGKILL || signo == libc::SIGSTOP {
            continue; // their action cannot be changed
        }
        // SAFETY: the kernel reads a `struct sigaction` from KERNEL_DEFAULT_ACTION
        // (all zeros: SIG_DFL, valid in every layout) and writes nothing back (old
        // action NULL). SIG_DFL installs no code of ours that could run later.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                signo,
                KERNEL_DEFAULT_ACTION.as_ptr(),
                std::ptr::null_mut::<libc::c_void>(),
                KERNEL_SIGSET_SIZE,
            )
        };
        Errno::result(ret).map_err(|source| ProcessError::SignalAction { signo, source })?;
    }
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
        .map_err(|source| ProcessError::SignalMask { source })
}

/// Which exited children [`supervise`] collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reap {
    /// Only the main child (`waitpid(main_child)`): other children are left alone.
    MainChildOnly,
    /// Any child (`waitpid(-1)`): the duty of PID 1 and of a child subreaper,
    /// which inherit orphans and must collect them when they die.
    AllChildren,
}

/// Passes signals on to `main_child` and collects exited children until
/// `main_child` has ended; returns how it ended.
///
/// **Precondition**: the calling thread holds a [`BlockedSignals`] for
/// [`forwarded_signals()`] (checked: [`ProcessError::SignalsNotBlocked`]). In a
/// program with several threads, every thread must block them, or a signal sent
/// to the process may go to another thread and take its default action there.
///
/// * A forwarded signal is sent to `main_child` with `kill(2)`; `ESRCH` is ignored
///   (the child is already gone).
/// * On `SIGCHLD`, and every [`REAP_POLL_INTERVAL`], exited children are collected
///   with `waitpid(2)` and `WNOHANG` until none is left: several deaths may have
///   been merged into one `SIGCHLD`. With [`Reap::AllChildren`] that includes the
///   orphans we inherited (each one is logged).
/// * Children are collected once before the first wait, so a `SIGCHLD` that came
///   before this call (even one the kernel discarded) is not missed.
///
/// It returns as soon as `main_child` has been collected; other children may still
/// be running. A container's init then exits and the kernel kills the rest of its
/// PID namespace; see [`reap_remaining_children`](ch01_process::init::reap_remaining_children)
/// for the subreaper case.
pub fn supervise(main_child: Pid, reap: Reap) -> Result<ExitStatus, ProcessError> {
    let mut waited_for = forwarded_signals();
    waited_for.add(Signal::SIGCHLD);
    let mask = SigSet::thread_get_mask().map_err(|source| ProcessError::SignalMask { source })?;
    if let Some(signal) = waited_for.iter().find(|s| !mask.contains(*s)) {
        return Err(ProcessError::SignalsNotBlocked { signal });
    }
    // ex3: the supervisor's loop, with the three helpers below:
    //   reap_exited(main_child, reap)      collects exited children, Some(status) once
    //                                      main_child is among them;
    //   wait_for_signal(&waited_for, t)    the next pending signal of the set, None after t;
    //   forward(signal, main_child)        kill(2), ignoring a child that is already gone.
    todo!(
        "ex3: in a loop, collect exited children (return once main_child is among them), then wait up to REAP_POLL_INTERVAL for a signal: SIGCHLD or none means collect again, any other signal is forwarded"
    )
}

/// Takes one pending signal of `set` with
/// [`sigtimedwait(2)`](https://man7.org/linux/man-pages/man2/sigtimedwait.2.html);
/// `None` after `timeout` or when interrupted by a handler of a signal not in `set`.
fn wait_for_signal(set: &SigSet, timeout: Duration) -> Result<Option<Signal>, ProcessError> {
    let timeout = libc::timespec {
        tv_sec: timeout.as_secs().try_into().unwrap_or(libc::time_t::MAX),
        tv_nsec: timeout.subsec_nanos().into(),
    };
    // SAFETY: `set` and `timeout` are valid for reads during the call, and a null
    // siginfo pointer is allowed (we do not need to know who sent the signal).
    let ret = unsafe { libc::sigtimedwait(set.as_ref(), std::ptr::null_mut(), &timeout) };
    match Errno::result(ret) {
        // `set` holds only named signals, so the conversion cannot fail.
        Ok(signo) => Ok(Signal::try_from(signo).ok()),
        Err(Errno::EAGAIN | Errno::EINTR) => Ok(None),
        Err(source) => Err(ProcessError::SignalWait { source }),
    }
}

/// Sends `signal` to `pid` with [`kill(2)`](https://man7.org/linux/man-pages/man2/kill.2.html).
fn forward(signal: Signal, pid: Pid) -> Result<(), ProcessError> {
    tracing::info!(%pid, "forwarding {signal}");
    match kill(pid, signal) {
        Ok(()) | Err(Errno::ESRCH) => Ok(()),
        Err(source) => Err(ProcessError::Kill { pid, signal, source }),
    }
}

/// Collects exited children without blocking (`waitpid(2)` with `WNOHANG`);
/// returns `main_child`'s status once it is among them.
fn reap_exited(main_child: Pid, reap: Reap) -> Result<Option<ExitStatus>, ProcessError> {
    let (target, pid_for_errors) = match reap {
        Reap::MainChildOnly => (Some(main_child), main_child),
        Reap::AllChildren => (None, Pid::from_raw(-1)),
    };
    let mut main_status = None;
    loop {
        let ws = match waitpid(target, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return Ok(main_status),
            Ok(ws) => ws,
            Err(Errno::EINTR) => continue,
            // No children at all: fine once main_child was collected.
            Err(Errno::ECHILD) if main_status.is_some() => return Ok(main_status),
            Err(source) => {
                return Err(ProcessError::Wait {
                    pid: pid_for_errors,
                    source,
                });
            }
        };
        let (Some(pid), Some(status)) = (ws.pid(), ExitStatus::from_wait_status(ws)) else {
            continue;
        };
        if pid == main_child {
            main_status = Some(status);
            if reap == Reap::MainChildOnly {
                return Ok(main_status);
            }
        } else {
            tracing::info!(%pid, "reaped orphaned process: {status}");
        }
    }
}
