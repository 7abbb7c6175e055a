//! # minidocker
//!
//! A Docker-compatible container engine assembled from the chapter crates: chapter 1 starts and
//! supervises the process, chapter 2 gives it namespaces, chapter 3 its root filesystem, chapters
//! 4 and 5 its layers and images, chapter 6 its cgroup and resource limits. This
//! crate adds what makes it Docker: image references, container ids and names, state on disk,
//! the environment and the command line with Docker's messages and exit codes.

// `json!` of `GET /info` nests deeper than the default limit allows.
#![recursion_limit = "256"]

pub mod api_types;
pub mod atomic;
pub mod cli;
pub mod client;
pub mod container;
pub mod container_io;
pub mod daemon;
pub mod detach_keys;
pub mod engine;
pub mod env;
pub mod events;
pub mod exec;
pub mod format;
pub mod go_errors;
pub mod idle;
pub mod init;
pub mod instructions;
pub mod log_config;
pub mod logs;
pub mod names;
pub mod progress;
pub mod runtime;
pub mod shim;
pub mod signals;
pub mod spare_shim;
pub mod terminal;
pub mod tls;
pub mod trash;
