//! # Lab 02: namespaces
//!
//! The exercises of chapter 2 (`chapters/02-namespaces`, crate `ch02_namespaces`): you write
//! the bodies marked `todo!()` and `labs/check 02` runs the tests in `tests/`. See README.md.
//!
//! | exercise | file | what you write |
//! |---|---|---|
//! | `ex1` | `src/namespace.rs` | [`Namespace::clone_flag`], [`Namespace::proc_path`] |
//! | `ex2` | `src/identity.rs` | [`namespace_id_of_path`], [`same_namespace`] |
//! | `ex3` | `src/idmap.rs` | [`validate_mappings`] |
//! | `ex4` | `src/hostname.rs` | [`validate_hostname`] |
//!
//! The other modules are the chapter's own files, compiled here by `#[path]` (one copy of
//! the code, not two): the chapter's error type names `Namespace` and `IdMapping`, so it has
//! to be compiled against *your* types, and `join` and `child` then run on your code too.
//! With `--features reference` the chapter's files replace the four exercise files as well
//! (that is how `labs/check --verify` proves every test can pass).

// The chapter's modules that are not exercises.
#[path = "../../../chapters/02-namespaces/src/child.rs"]
pub mod child;
// `NamespaceError::invalid_mapping` is for you to use in `validate_mappings`.
#[path = "../../../chapters/02-namespaces/src/error.rs"]
#[cfg_attr(not(feature = "reference"), allow(dead_code))]
pub mod error;
#[path = "../../../chapters/02-namespaces/src/join.rs"]
pub mod join;

// Exercise modules: your file, or the chapter's with `--features reference`. Until the
// `todo!()`s are written, some arguments, imports and helpers are unused.
#[cfg_attr(
    feature = "reference",
    path = "../../../chapters/02-namespaces/src/hostname.rs"
)]
#[cfg_attr(not(feature = "reference"), allow(unused_variables, unused_imports))]
pub mod hostname;
#[cfg_attr(
    feature = "reference",
    path = "../../../chapters/02-namespaces/src/identity.rs"
)]
#[cfg_attr(not(feature = "reference"), allow(unused_variables, unused_imports))]
pub mod identity;
#[cfg_attr(feature = "reference", path = "../../../chapters/02-namespaces/src/idmap.rs")]
#[cfg_attr(not(feature = "reference"), allow(unused_variables, unused_imports))]
pub mod idmap;
#[cfg_attr(
    feature = "reference",
    path = "../../../chapters/02-namespaces/src/namespace.rs"
)]
#[cfg_attr(not(feature = "reference"), allow(unused_variables, unused_imports))]
pub mod namespace;

pub use child::{ChildSide, ForkedChild};
pub use error::NamespaceError;
pub use hostname::{set_hostname, validate_hostname};
pub use identity::{NamespaceId, current_namespace_id, namespace_id, namespace_id_of_path, same_namespace};
pub use idmap::{IdMapping, deny_setgroups, validate_mappings, write_gid_map, write_uid_map};
pub use join::{PidFd, join, join_all, join_by_pidfd, join_path, unshare};
pub use namespace::{Namespace, clone_flags};
