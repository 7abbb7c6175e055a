//! # Chapter 6: cgroups, or how much a container may use
//!
//! Namespaces (chapter 2) decide what a container can *see*. Control groups decide how much
//! it can *use*: memory, CPU time, which CPUs, how many processes, disk bandwidth, and whether
//! it runs at all (the freezer). A cgroup is a directory in a special filesystem; its files
//! are its settings and counters; a process is put in it by writing its pid to a file.
//!
//! Two versions of that filesystem are in use, and a runtime must drive both:
//!
//! ```text
//! cgroup v1: a tree per controller               cgroup v2: one tree
//! /sys/fs/cgroup/memory/minidocker/web/           /sys/fs/cgroup/minidocker/web/
//!   memory.limit_in_bytes  cgroup.procs             memory.max  cpu.max  pids.max
//! /sys/fs/cgroup/cpu/minidocker/web/                cgroup.freeze  cgroup.kill
//!   cpu.cfs_quota_us       cgroup.procs             cgroup.procs
//! /sys/fs/cgroup/pids/minidocker/web/ ...
//! ```
//!
//! This crate is the chapter's code, one concept per module:
//!
//! - [`hierarchy`]: finding the mounts and this process's own cgroups; v1, hybrid or v2;
//! - [`placement`]: where a container's cgroup goes (the host-safety rule);
//! - [`manager`]: the one interface, [`CgroupManager`], and [`open`] to pick a backend;
//! - [`v1`] and [`v2`]: the two backends, a small file per controller;
//! - [`resources`]: Docker's resource flags and their validation, word for word;
//! - [`size`], [`cpulist`]: `512m`, `1.5` CPUs, `0-1,3` the way Docker reads and prints them;
//! - [`stats`], [`host`]: counters, and `docker stats`' arithmetic on them;
//! - [`sys`]: the kernel behind a trait, so backends can be tested on a fake cgroupfs.
//!
//! Try it (as root): `cargo run -p ch06-cgroups --example memory_limit` (also `pids_limit`,
//! `freezer`).

pub mod controller;
pub mod cpulist;
pub mod error;
pub mod hierarchy;
pub mod host;
pub mod manager;
pub mod placement;
pub mod resources;
pub mod size;
pub mod stats;
pub mod sys;
#[cfg(test)]
mod testing;
pub mod v1;
pub mod v2;

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
