//! The sockets the daemon serves on: `-H unix:///path` (mode 0660, group `-G`), and
//! `-H tcp://host:port`, which hands root to anyone who can reach it (said loudly) unless
//! clients must show a certificate (`--tlsverify`, see `tls.rs`).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use axum::Router;

use super::config::DaemonConfig;
use super::tls::{TlsListener, TlsSettings};

/// A bound listener, ready to serve.
#[derive(Debug)]
pub enum Bound {
    Unix {
        path: PathBuf,
        listener: tokio::net::UnixListener,
    },
    Tcp {
        listener: tokio::net::TcpListener,
        /// TLS on this listener (`--tls`, `--tlsverify`).
        tls: Option<Arc<rustls::ServerConfig>>,
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

/// Binds every `-H`; the TCP ones speak TLS with `tls` (the configuration
/// [`TlsSettings::server_config`] read from `config.tls`'s files).
pub async fn bind_all(config: &DaemonConfig, tls: Option<&Arc<rustls::ServerConfig>>) -> Result<Vec<Bound>> {
    let mut bound = Vec::new();
    for host in &config.hosts {
        match parse_host(host)? {
            ("unix", path) => bound.push(bind_unix(PathBuf::from(path), config.group.as_deref()).await?),
            (_, addr) => {
                // ANCHOR: tcp_warning
                if let Some(warning) = tcp_warning(&addr, config.tls.as_ref()) {
                    eprintln!("{warning}");
                }
                let listener = tokio::net::TcpListener::bind(&addr)
                    .await
                    .with_context(|| format!("listening on tcp://{addr}"))?;
                bound.push(Bound::Tcp {
                    listener,
                    tls: tls.cloned(),
                });
                // ANCHOR_END: tcp_warning
            }
        }
    }
    Ok(bound)
}

// ANCHOR: tcp_warning_text
/// The warning Docker 20.10's `docker info` shows for a TCP host anyone who reaches it can
/// use: without TLS, and with TLS that does not verify clients. None with `--tlsverify`.
pub fn tcp_warning(addr: &str, tls: Option<&TlsSettings>) -> Option<String> {
    let what = match tls {
        None => format!("http://{addr} without encryption"),
        Some(tls) if !tls.verify_clients => format!("https://{addr} without TLS client verification"),
        Some(_) => return None,
    };
    Some(format!(
        "WARNING: API is accessible on {what}.\n         Access to the remote API is equivalent to root access on the host. Refer\n         to the 'Docker daemon attack surface' section in the documentation for\n         more information: https://docs.docker.com/go/attack-surface/"
    ))
}
// ANCHOR_END: tcp_warning_text

/// `docker info`'s warnings about the daemon's TCP hosts (see [`tcp_warning`]).
pub fn tcp_warnings(config: &DaemonConfig) -> Vec<String> {
    config
        .hosts
        .iter()
        .filter_map(|host| match parse_host(host) {
            Ok(("tcp", addr)) => tcp_warning(&addr, config.tls.as_ref()),
            _ => None,
        })
        .collect()
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
            Bound::Tcp { listener, .. } => format!(
                "tcp://{}",
                listener.local_addr().map(|a| a.to_string()).unwrap_or_default()
            ),
        }
    }

    /// Serves `router` until `stop` turns true, then lets requests in flight finish; a unix
    /// socket's file is removed afterwards. A connection that has not sent a request's headers
    /// within `idle_timeout` is closed (see `connections.rs`).
    pub async fn serve(
        self,
        router: Router,
        idle_timeout: std::time::Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> std::io::Result<()> {
        let app = super::api::with_version_prefix(router);
        match self {
            Bound::Unix { path, listener } => {
                super::connections::serve(listener, app, idle_timeout, stop).await;
                let _ = std::fs::remove_file(&path);
            }
            Bound::Tcp { listener, tls: None } => {
                super::connections::serve(listener, app, idle_timeout, stop).await
            }
            // the same serving, on the TLS streams of connections whose handshake succeeded
            Bound::Tcp {
                listener,
                tls: Some(config),
            } => {
                let listener = TlsListener::new(listener, config, idle_timeout)?;
                super::connections::serve(listener, app, idle_timeout, stop).await;
            }
        }
        Ok(())
    }
}
