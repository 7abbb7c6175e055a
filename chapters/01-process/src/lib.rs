//! # Chapter 1: a process
//!
//! A container is, first of all, a process. Before namespaces, layers and cgroups,
//! a runtime must be able to do four things with one, and this chapter does them
//! with plain Linux system calls:
//!
//! 1. **Create it** with `clone(2)`, the system call under `fork(2)` whose flags
//!    chapter 2 uses to create namespaces. The child runs on a stack we allocate
//!    ([`clone`]).
//! 2. **Learn how it ended.** The kernel keeps a dead child as a zombie until its
//!    parent collects it with `waitpid(2)`; Docker turns what that returns into one
//!    number: the exit code, or `128 + signal` (`137` after `docker kill`)
//!    ([`exit_status`]).
//! 3. **Pass signals on to it.** `docker stop` sends SIGTERM to whoever sits at the
//!    top; that process must forward it. We block signals and take them with
//!    `sigtimedwait(2)` in a loop: no signal handlers ([`signals`]). Starting a
//!    program in a child with a clean signal state is [`spawn`].
//! 4. **Be PID 1.** The first process of a PID namespace inherits every orphan
//!    and must reap their zombies, and the kernel drops the signals it has no
//!    handler for. A tiny init, like tini behind `docker run --init` ([`init`]).
//!
//! Try it: `cargo run -p ch01-process --example clone -- kill`, then the examples
//! `exit_codes`, `forward` and `init`.

pub mod clone;
pub mod error;
pub mod exit_status;
pub mod init;
pub mod signals;
pub mod spawn;

pub use clone::{DEFAULT_STACK_SIZE, spawn_cloned};
pub use error::ProcessError;
pub use exit_status::{ExitStatus, wait_for_exit};
pub use init::{become_child_subreaper, reap_remaining_children, run_init};
pub use signals::{BlockedSignals, Reap, forwarded_signals, reset_in_child, supervise};
pub use spawn::{ProcessGroup, spawn_command};
