//! [`TestNet`]: the network namespace a test's minidocker runs in, so that its bridges, veth
//! pairs, addresses and NAT rules never touch the host's network.
//!
//! Each [`crate::TestEnv`] makes one (or shares another test's, for tests where two data roots
//! talk to one registry): a fresh, anonymous network namespace with `lo` up, held by a
//! descriptor and never bind-mounted, so it disappears with everything in it once the test and
//! the processes it started are gone, even after a panic. Every `minidocker` the test runs
//! enters it before exec (setns(2) in the child), and servers the test runs for minidocker to
//! reach (a registry on 127.0.0.1) are started or bound inside it too.

use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::sync::Arc;

use ch07_network::{NetNs, Netlink};

/// A network namespace with `lo` up. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct TestNet {
    ns: Arc<NetNs>,
}

impl Default for TestNet {
    fn default() -> Self {
        TestNet::new()
    }
}

impl TestNet {
    /// A fresh network namespace with only `lo`, up.
    #[track_caller]
    pub fn new() -> TestNet {
        let ns = NetNs::new().unwrap_or_else(|e| panic!("creating the test's network namespace: {e}"));
        Netlink::open_in(&ns)
            .and_then(|mut nl| nl.set_up("lo"))
            .unwrap_or_else(|e| panic!("bringing lo up in the test's network namespace: {e}"));
        TestNet { ns: Arc::new(ns) }
    }

    pub fn netns(&self) -> &NetNs {
        &self.ns
    }

    /// Runs `work` on a thread inside the namespace (sockets it opens stay in there).
    #[track_caller]
    pub fn run<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        self.ns
            .run(work)
            .unwrap_or_else(|e| panic!("running in the test's network namespace: {e}"))
    }

    /// Makes `command` enter this namespace (setns(2)) in its child before exec.
    pub fn enter_on_spawn(&self, command: &mut std::process::Command) {
        let ns = Arc::clone(&self.ns);
        // SAFETY: the closure runs in the forked child before exec and only calls setns(2),
        // which is async-signal-safe, on a descriptor the Arc keeps open in the parent (and so
        // in the child's copy of the descriptor table).
        unsafe {
            command.pre_exec(move || {
                if libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// The names of the links in the namespace, `lo` included.
    #[track_caller]
    pub fn links(&self) -> Vec<String> {
        let mut nl = Netlink::open_in(&self.ns).unwrap_or_else(|e| panic!("netlink in the test netns: {e}"));
        let mut names: Vec<String> = nl
            .links()
            .unwrap_or_else(|e| panic!("listing links in the test netns: {e}"))
            .into_iter()
            .map(|l| l.name)
            .collect();
        names.sort();
        names
    }
}
