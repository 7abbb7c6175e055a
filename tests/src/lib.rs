//! The harness of minidocker's end-to-end tests.
//!
//! The tests in `tests/tests/*.rs` drive the real `minidocker` binary as a user would, as root,
//! on the real kernel, and compare what they see with what Docker does (`docs/oracle/`).
//!
//! - [`root`]: skip (and pass) when not root: [`root_test!`].
//! - [`binary`]: where the `minidocker` binary under test is.
//! - [`image`]: the busybox rootfs tar imported into every test's data root.
//! - [`process`]: run a command with a timeout and capture [`Output`]; keep one running ([`Spawned`]).
//! - [`test_env`]: [`TestEnv`], a fresh data root per test that cleans up after itself, even on panic.
//! - [`daemon`]: [`TestDaemon`], `minidocker daemon` on a test's data root, for the real Docker CLI.
//! - [`test_net`]: [`TestNet`], the network namespace a test's minidocker runs in.
//! - [`host`]: what the host has: mounts, processes and their root directories.
//! - [`leaks`]: what minidocker tests may have left behind (used by the `leak-check` binary).
//! - [`registry`]: [`registry::Registry`], a real registry on 127.0.0.1 in a test's namespace.
//! - [`store`]: what a data root's image store holds (nothing left behind by a failure).
//! - [`text`]: Docker's messages, id redaction, shell quoting.
//!
//! Running them (as root; as another user every test passes as `skipped: needs root`):
//!
//! ```text
//! cargo build -p minidocker && cargo nextest run -p minidocker-e2e   # or cargo test
//! INSTA_UPDATE=always cargo nextest run -p minidocker-e2e            # rewrite the snapshots
//! cargo nextest run -p minidocker-e2e --run-ignored only             # known mismatches with Docker
//! cargo run -p minidocker-e2e --bin leak-check                       # anything left on the host?
//! ```
//!
//! Cargo does not rebuild `minidocker` for these tests: build it first (or set `MINIDOCKER_BIN`).

pub mod binary;
pub mod daemon;
pub mod host;
pub mod image;
pub mod leaks;
pub mod process;
pub mod registry;
pub mod root;
pub mod store;
pub mod test_env;
pub mod test_net;
pub mod text;

pub use binary::minidocker_bin;
pub use daemon::TestDaemon;
pub use process::{Cmd, Output, Spawned};
pub use root::require_root;
pub use test_env::TestEnv;
pub use test_net::TestNet;
