//! # Lab 10: the Engine API's own rules
//!
//! The exercises of chapter 10 (`chapters/10-api`, crate `ch10_api`): you write the bodies
//! marked `todo!()` and `labs/check 10` runs the tests in `tests/`. See README.md.
//!
//! | exercise | file | what you write |
//! |---|---|---|
//! | `ex1` | `src/version.rs` | [`version::split_version_prefix`], [`version::check_version`] |
//! | `ex2` | `src/stdcopy.rs` | [`stdcopy::frame`], [`stdcopy::parse_header`], [`stdcopy::read_frame`] |
//! | `ex3` | `src/error.rs` | `ApiError::into_response`, `ApiJson::from_request` |
//! | `ex4` | `src/ping.rs` | the endpoint [`ping::ping`] |
//!
//! The hijacked-connection and streamed bodies come from the chapter crate as they are,
//! re-exported: they use nothing you write. With `--features reference` the chapter's files
//! replace the exercise files (that is how `labs/check --verify` proves every test can pass).

/// The chapter's module that uses nothing of the lab's, re-exported.
pub use ch10_api::hijack;

// Exercise modules: your file, or the chapter's with `--features reference`. Until the
// `todo!()`s are written, some arguments, imports and helpers are unused.
#[cfg_attr(feature = "reference", path = "../../../chapters/10-api/src/error.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod error;
#[cfg_attr(feature = "reference", path = "../../../chapters/10-api/src/ping.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod ping;
#[cfg_attr(feature = "reference", path = "../../../chapters/10-api/src/stdcopy.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod stdcopy;
#[cfg_attr(feature = "reference", path = "../../../chapters/10-api/src/version.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod version;

pub use error::{ApiError, ApiJson};
pub use version::{API_VERSION, MIN_API_VERSION};
