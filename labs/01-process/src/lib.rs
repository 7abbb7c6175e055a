//! # Lab 01: a process
//!
//! The exercises of chapter 1 (`chapters/01-process`, crate `ch01_process`): you write the
//! bodies marked `todo!()` and `labs/check 01` runs the tests in `tests/`. See README.md.
//!
//! | exercise | file | what you write |
//! |---|---|---|
//! | `ex1` | `src/exit_status.rs` | [`ExitStatus::from_wait_status`], [`ExitStatus::code`] |
//! | `ex2` | `src/signals.rs` | [`forwarded_signals`] |
//! | `ex3` | `src/signals.rs` | the loop of [`supervise`] |
//!
//! Everything else comes from the chapter crate, so there is one copy of it: `error` is
//! `ch01_process::error`. With `--features reference` the chapter's own `exit_status.rs` and
//! `signals.rs` are compiled instead of your files (that is how `labs/check --verify` proves
//! every test can pass).

/// The chapter's error type, re-exported: the exercise files say `crate::error::ProcessError`.
pub use ch01_process::error;

// Exercise modules: your file, or the chapter's with `--features reference`. Until the
// `todo!()`s are written, their arguments and the skeleton's helpers are unused.
#[cfg_attr(
    feature = "reference",
    path = "../../../chapters/01-process/src/exit_status.rs"
)]
#[cfg_attr(not(feature = "reference"), allow(unused_variables))]
pub mod exit_status;

#[cfg_attr(feature = "reference", path = "../../../chapters/01-process/src/signals.rs")]
#[cfg_attr(not(feature = "reference"), allow(dead_code, unused_variables))]
pub mod signals;

pub use error::ProcessError;
pub use exit_status::{ExitStatus, wait_for_exit};
pub use signals::{BlockedSignals, Reap, forwarded_signals, reset_in_child, supervise};
