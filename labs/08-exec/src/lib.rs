//! # Lab 08: exec, joining a running container
//!
//! The exercises of chapter 8 (`chapters/08-exec`, crate `ch08_exec`): you write the bodies
//! marked `todo!()` and `labs/check 08` runs the tests in `tests/`. See README.md.
//!
//! | exercise | file | what you write |
//! |---|---|---|
//! | `ex1` | `src/cgroup.rs` | [`cgroup::cgroups_to_join`] |
//! | `ex2` | `src/fork.rs` | [`fork::wait_exit_code`], [`fork::run_joined`] |
//! | `ex3` | `src/terminal.rs` | [`terminal::make_controlling_stdio`], [`terminal::become_session_leader`], [`terminal::set_window_size`] |
//! | `ex4` | `src/console.rs` | [`console::send_master`], [`console::receive_master`] |
//!
//! The errors and the join step (`join_container`: the cgroups, then chapter 2's
//! `join_all`) come from the chapter crate as they are, re-exported. With `--features
//! reference` the chapter's files replace the exercise files (that is how `labs/check
//! --verify` proves every test can pass).

/// The chapter's modules that use nothing of the lab's, re-exported.
pub use ch08_exec::{error, join};

// Exercise modules: your file, or the chapter's with `--features reference`. Until the
// `todo!()`s are written, some arguments, imports and helpers are unused.
#[cfg_attr(feature = "reference", path = "../../../chapters/08-exec/src/cgroup.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod cgroup;
#[cfg_attr(feature = "reference", path = "../../../chapters/08-exec/src/console.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod console;
#[cfg_attr(feature = "reference", path = "../../../chapters/08-exec/src/fork.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod fork;
#[cfg_attr(feature = "reference", path = "../../../chapters/08-exec/src/terminal.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod terminal;

pub use error::{ExecError, TerminalError};
pub use fork::{fork_child, run_joined, wait_exit_code};
pub use join::{EXEC_NAMESPACES, join_container};
pub use terminal::{Terminal, WindowSize};
