//! [`Registry`]: Debian's `docker-registry` (distribution 2.8) on a free port of 127.0.0.1 in a
//! test's network namespace, for `pull` and `push` tests (the minidocker CLI's and the real
//! Docker CLI's through the daemon).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::Output;
use crate::test_net::TestNet;
use crate::text::redact_ids;

/// Where Debian's `docker-registry` package puts the registry.
pub const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

/// Debian's `docker-registry` on a free port of 127.0.0.1. Dropping it (a panic too) kills it
/// by its pid and removes its directory (config, storage, log).
#[derive(Debug)]
pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`
    pub host: String,
    dir: tempfile::TempDir,
}

impl Registry {
    #[track_caller]
    pub fn start(net: &TestNet) -> Registry {
        assert!(
            Path::new(REGISTRY_BINARY).exists(),
            "{REGISTRY_BINARY} is missing: apt-get install docker-registry"
        );
        let dir = tempfile::Builder::new()
            .prefix("minidocker-e2e-registry-")
            .tempdir()
            .expect("a directory for the registry");
        let host = format!("127.0.0.1:{}", free_port(net));
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
                 delete:\n    enabled: true\nhttp:\n  addr: {host}\n",
                dir.path().join("storage").display()
            ),
        )
        .expect("writing the registry config");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("registry log");
        let mut command = Command::new(REGISTRY_BINARY);
        net.enter_on_spawn(&mut command);
        let child = command
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("registry log"))
            .stderr(log)
            .spawn()
            .expect("starting docker-registry");
        let mut registry = Registry { child, host, dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        while net.run(|| TcpStream::connect(&registry.host)).is_err() {
            if let Ok(Some(status)) = registry.child.try_wait() {
                panic!("docker-registry exited with {status}: {}", registry.log());
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not listen: {}",
                registry.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        registry
    }

    /// What the registry logged (warnings and errors).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Where the registry keeps its blobs (`<2 hex>/<64 hex>/data`).
    pub fn blobs_dir(&self) -> PathBuf {
        self.dir.path().join("storage/docker/registry/v2/blobs/sha256")
    }

    /// The file the registry serves blob `digest` (`sha256:…`) from.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.blobs_dir().join(&hex[..2]).join(hex).join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill(); // SIGKILL to our own child, by its pid
        let _ = self.child.wait();
    }
}

/// A port nothing listens on in `net` (taken from the kernel, then released).
pub fn free_port(net: &TestNet) -> u16 {
    net.run(|| TcpListener::bind("127.0.0.1:0"))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Output for a snapshot: the registry's port, digests, 12-hex layer ids and manifest sizes
/// replaced by placeholders.
pub fn redact(out: &Output, hosts: &[&str]) -> String {
    let mut text = out.transcript();
    for host in hosts {
        text = text.replace(host, "127.0.0.1:PORT");
    }
    let is_hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    redact_ids(&text)
        .lines()
        .map(|line| {
            let line = match line.split_at_checked(12) {
                Some((id, rest)) if is_hex(id) && rest.starts_with(": ") => format!("<layer>{rest}"),
                _ => line.to_owned(),
            };
            match line.rsplit_once(" size: ") {
                Some((head, n)) if n.bytes().all(|b| b.is_ascii_digit()) => format!("{head} size: <n>\n"),
                _ => line + "\n",
            }
        })
        .collect()
}
