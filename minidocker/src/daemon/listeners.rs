//! The sockets the daemon serves on: `-H unix:///path` (mode 0660, group `-G`), and
//! `-H tcp://host:port`, which hands root to anyone who can reach it (said loudly).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use axum::Router;

use super::config::DaemonConfig;

/// A bound listener, ready to serve.
#[derive(Debug)]
pub enum Bound {
    Unix {
        path: PathBuf,
        listener: tokio::net::UnixListener,
    },
    Tcp {
        listener: tokio::net::TcpListener,
    },
}

/// Parses `-H` values the way dockerd does: `unix://PATH`, `tcp://HOST:PORT`; a bare path is
/// a unix socket.
pub fn parse_host(host: &str) -> Result<(&'static str, String)> {
    if let Some(path) = host.strip_prefix("unix://") {
        let path = if path.is_empty() {
            super::config::DEFAULT_SOCKET
        } else {
            path
        };
        return Ok(("unix", path.to_owned()));
    }
    if let Some(addr) = host.strip_prefix("tcp://") {
        if addr.is_empty() || !addr.contains(':') {
            bail!("Invalid bind address format: {host}");
        }
        return Ok(("tcp", addr.to_owned()));
    }
    if host.starts_with('/') {
        return Ok(("unix", host.to_owned()));
    }
    bail!("Invalid bind address format: {host}")
}

/// Binds every `-H`.
pub async fn bind_all(config: &DaemonConfig) -> Result<Vec<Bound>> {
    let mut bound = Vec::new();
    for host in &config.hosts {
        match parse_host(host)? {
            ("unix", path) => bound.push(bind_unix(PathBuf::from(path), config.group.as_deref()).await?),
            (_, addr) => {
                // ANCHOR: tcp_warning
                eprintln!(
                    "WARNING: API is accessible on http://{addr} without encryption.\n         Access to the remote API is equivalent to root access on the host. Refer\n         to the 'Docker daemon attack surface' section in the documentation for\n         more information: https://docs.docker.com/go/attack-surface/"
                );
                let listener = tokio::net::TcpListener::bind(&addr)
                    .await
                    .with_context(|| format!("listening on tcp://{addr}"))?;
                bound.push(Bound::Tcp { listener });
                // ANCHOR_END: tcp_warning
            }
        }
    }
    Ok(bound)
}

// ANCHOR: bind_unix
async fn bind_unix(path: PathBuf, group: Option<&str>) -> Result<Bound> {
    if path.exists() {
        // A socket nobody answers on is stale (a daemon that was killed); a live one is not ours.
        if tokio::net::UnixStream::connect(&path).await.is_ok() {
            bail!("another daemon is listening on {}", path.display());
        }
        std::fs::remove_file(&path).with_context(|| format!("removing stale socket {}", path.display()))?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let listener =
        tokio::net::UnixListener::bind(&path).with_context(|| format!("listening on {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o660))
        .with_context(|| format!("chmod 0660 {}", path.display()))?;
    if let Some(group) = group {
        let gid = nix::unistd::Group::from_name(group)
            .ok()
            .flatten()
            .with_context(|| format!("group {group} not found"))?
            .gid;
        nix::unistd::chown(&path, None, Some(gid))
            .with_context(|| format!("chgrp {group} {}", path.display()))?;
    }
    Ok(Bound::Unix { path, listener })
}
// ANCHOR_END: bind_unix

impl Bound {
    pub fn describe(&self) -> String {
        match self {
            Bound::Unix { path, .. } => format!("unix://{}", path.display()),
            Bound::Tcp { listener } => format!(
                "tcp://{}",
                listener.local_addr().map(|a| a.to_string()).unwrap_or_default()
            ),
        }
    }

    /// Serves `router` until `stop` turns true, then lets requests in flight finish; a unix
    /// socket's file is removed afterwards.
    pub async fn serve(
        self,
        router: Router,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> std::io::Result<()> {
        let app = super::api::with_version_prefix(router);
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        match self {
            Bound::Unix { path, listener } => {
                let result = axum::serve(listener, app).with_graceful_shutdown(stopped).await;
                let _ = std::fs::remove_file(&path);
                result
            }
            Bound::Tcp { listener } => axum::serve(listener, app).with_graceful_shutdown(stopped).await,
        }
    }
}
