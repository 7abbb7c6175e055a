//! # Lab 06: cgroups
//!
//! The exercises of chapter 6 (`chapters/06-cgroups`, crate `ch06_cgroups`): you write the
//! bodies marked `todo!()` and `labs/check 06` runs the tests in `tests/`. See README.md.
//!
//! | exercise | file | what you write |
//! |---|---|---|
//! | `ex1` | `src/hierarchy.rs` | [`Hierarchy::parse`], [`Hierarchy::layout`], `dir_in_mount` |
//! | `ex2` | `src/size.rs` | [`ram_in_bytes`], [`parse_cpus`] |
//! | `ex3` | `src/cpulist.rs` | [`parse_list`](cpulist::parse_list), [`is_available`](cpulist::is_available) |
//! | `ex4` | `src/resources.rs` | [`Resources::cfs_quota_and_period`], [`Resources::pids_max`] |
//! | `ex5` | `src/stats.rs` | [`cpu_percent`](stats::cpu_percent), [`memory_usage_no_cache`](stats::memory_usage_no_cache), [`effective_memory_limit`](stats::effective_memory_limit) |
//!
//! The other modules are the chapter's own files, compiled here by `#[path]` (one copy of
//! the code, not two): the backends place a cgroup with *your* [`Hierarchy`], write the
//! limits *your* [`Resources`] computes and validate with *your* parsers, so they have to be
//! compiled against your files, and they then run on your code. With `--features reference`
//! the chapter's files replace the exercise files as well (that is how `labs/check --verify`
//! proves every test can pass).

// The chapter's modules that are not exercises.
#[path = "../../../chapters/06-cgroups/src/controller.rs"]
pub mod controller;
#[path = "../../../chapters/06-cgroups/src/error.rs"]
pub mod error;
#[path = "../../../chapters/06-cgroups/src/host.rs"]
pub mod host;
#[path = "../../../chapters/06-cgroups/src/manager.rs"]
pub mod manager;
#[path = "../../../chapters/06-cgroups/src/placement.rs"]
pub mod placement;
#[path = "../../../chapters/06-cgroups/src/sys.rs"]
pub mod sys;
#[cfg(test)]
#[path = "../../../chapters/06-cgroups/src/testing.rs"]
mod testing;
#[path = "../../../chapters/06-cgroups/src/v1/mod.rs"]
pub mod v1;
#[path = "../../../chapters/06-cgroups/src/v2/mod.rs"]
pub mod v2;

// Exercise modules: your file, or the chapter's with `--features reference`. Until the
// `todo!()`s are written, some arguments, imports and helpers are unused.
#[cfg_attr(feature = "reference", path = "../../../chapters/06-cgroups/src/cpulist.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod cpulist;
#[cfg_attr(feature = "reference", path = "../../../chapters/06-cgroups/src/hierarchy.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod hierarchy;
#[cfg_attr(feature = "reference", path = "../../../chapters/06-cgroups/src/resources.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod resources;
#[cfg_attr(feature = "reference", path = "../../../chapters/06-cgroups/src/size.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod size;
#[cfg_attr(feature = "reference", path = "../../../chapters/06-cgroups/src/stats.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod stats;

pub use controller::Controller;
pub use error::{CgroupError, CpuListError, CpusError, ResourceError, SizeError};
pub use hierarchy::{CgroupVersion, Hierarchy, Layout};
pub use host::HostInfo;
pub use manager::{CgroupManager, FreezerState, Waits, open, open_in};
pub use placement::CgroupParent;
pub use resources::{Checked, PidsMax, Resources, validate};
pub use size::{parse_cpus, ram_in_bytes};
pub use stats::{CpuSample, Stats};
pub use sys::{HostSys, Sys};
pub use v1::CgroupV1;
pub use v2::CgroupV2;
