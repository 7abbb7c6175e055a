//! # Chapter 8: exec, joining a running container
//!
//! `docker exec` does not start a container: it puts one more process into a container that
//! is already running. Nothing about that process is new; everything it gets, it gets by
//! *joining* what the container's init already has:
//!
//! | module | the step |
//! |---|---|
//! | [`cgroup`] | the init's cgroups, read from `/proc/<pid>/cgroup`: the exec counts against the container's limits |
//! | [`join`] | the init's namespaces, one setns(2) each, mnt last |
//! | [`fork`] | the fork after joining: setns(2) into a PID namespace moves only the caller's children |
//! | [`terminal`] | `-t`: a pty from the container's `/dev/ptmx`, its slave the controlling terminal, resizes |
//! | [`console`] | the pty's master handed to whoever relays it, over a unix socket (`SCM_RIGHTS`) |
//!
//! `minidocker exec-helper` (in the engine) is these steps in order plus the container's user,
//! capabilities and environment (chapter 3); `cargo run -p ch08-exec --example nsexec` is the
//! same without the engine, a tiny `nsenter`.

pub mod cgroup;
pub mod console;
pub mod error;
pub mod fork;
pub mod join;
pub mod terminal;

pub use error::{ExecError, TerminalError};
pub use fork::{fork_child, run_joined, wait_exit_code};
pub use join::{EXEC_NAMESPACES, join_container};
pub use terminal::{Terminal, WindowSize};
