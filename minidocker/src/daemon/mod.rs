//! `minidocker daemon`: the engine behind Docker's Remote API (chapter 10).
//!
//! ```text
//!  docker / minidocker CLI ──HTTP──▶ unix:///run/minidocker.sock ─┐
//!  curl --unix-socket …                                           ├─▶ router ─▶ engine
//!  (optional) tcp://127.0.0.1:2375 ───────────────────────────────┘   (api/)    (crate::engine)
//! ```
//!
//! - [`config`]: dockerd's flags and `daemon.json`, merged as dockerd merges them;
//! - [`listeners`]: the sockets it serves on (`-H unix://…`, `-H tcp://…`);
//! - [`api`]: the routes, API version negotiation, Docker's error bodies and headers.
//!
//! Like dockerd it stays in the foreground and shuts down cleanly on SIGTERM or SIGINT:
//! it stops accepting, lets requests in flight finish, removes its socket and pid file.

pub mod api;
pub mod config;
pub mod listeners;

use std::path::Path;

use anyhow::{Context, Result};

pub use config::{DaemonConfig, DaemonFlags};

/// How long a shutdown waits for requests in flight.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(config: DaemonConfig) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("minidocker-daemon")
        .build()
        .context("starting the daemon's runtime")?;
    let result = runtime.block_on(serve(config));
    // Blocking work still going (a `wait` or a log follow for a client that went away) must
    // not keep the process alive: the containers live on under their shims.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

// ANCHOR: daemon_serve
async fn serve(config: DaemonConfig) -> Result<()> {
    let signals = ShutdownSignals::install()?;
    std::fs::create_dir_all(&config.data_root)
        .with_context(|| format!("creating data root {}", config.data_root.display()))?;
    let _pidfile = PidFile::write(&config.pidfile)?;
    let state = api::AppState::new(&config);
    // The engine's first use makes the predefined networks, as dockerd does when it starts.
    state
        .blocking(|engine| engine.ensure_predefined_networks().map_err(Into::into))
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let restoring = state.clone();
    state
        .blocking(move |engine| {
            restart_on_daemon_start(engine, &restoring);
            Ok(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let bound = listeners::bind_all(&config).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    for listener in bound {
        tracing::info!(address = %listener.describe(), "API listening");
        servers.spawn(listener.serve(api::router(state.clone()), stop_rx.clone()));
    }
    signals.received().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    // Requests in flight get a moment to finish; streams that never end (a follow, an
    // attach) do not hold the daemon up. Containers keep running under their shims.
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while let Some(result) = servers.join_next().await {
            if let Ok(Err(e)) = result {
                tracing::warn!(error = %e, "listener ended with an error");
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::info!("connections still open after {SHUTDOWN_GRACE:?}: closing them");
        servers.abort_all();
    }
    Ok(())
}
// ANCHOR_END: daemon_serve

/// SIGTERM and SIGINT, caught from the start (before the sockets exist), so a signal that
/// comes early still means a clean shutdown.
struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> Result<ShutdownSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(ShutdownSignals {
            term: signal(SignalKind::terminate()).context("handling SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("handling SIGINT")?,
        })
    }

    async fn received(mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

// ANCHOR: restart_on_daemon_start
/// What restart policies ask of a daemon that starts: `always` containers that are not
/// running start again (even those a user stopped), `unless-stopped` ones too unless a user
/// stopped them. Containers still running under their shims are left as they are.
fn restart_on_daemon_start(engine: &crate::engine::Engine, state: &api::AppState) {
    for c in engine.containers.list().unwrap_or_default() {
        // running under its shim, or never started: nothing to do
        if engine.is_running(&c) || c.state.status == "created" {
            continue;
        }
        let policy = engine
            .containers
            .host_config(&c.id)
            .map(|h| h.restart_policy)
            .unwrap_or_default();
        let stopped = engine
            .containers
            .dir(&c.id)
            .join(crate::shim::STOPPED_BY_USER)
            .exists();
        let start = match policy.name.as_str() {
            "always" => true,
            "unless-stopped" => !stopped,
            _ => false,
        };
        if start {
            let _ = std::fs::remove_file(engine.containers.dir(&c.id).join(crate::shim::STOPPED_BY_USER));
            if let Err(e) = api::lifecycle::start_shim(engine, state, &c) {
                tracing::warn!(container = %c.id, error = %e.message, "restarting on daemon start");
            }
        }
    }
}
// ANCHOR_END: restart_on_daemon_start

/// `--pidfile`: written at start (refusing if a live daemon holds it), removed at exit.
#[derive(Debug)]
struct PidFile {
    path: std::path::PathBuf,
}

impl PidFile {
    fn write(path: &Path) -> Result<PidFile> {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse::<i32>()
            && pid != std::process::id() as i32
            && Path::new(&format!("/proc/{pid}")).exists()
        {
            anyhow::bail!(
                "pid file found, ensure minidocker is not running or delete {}",
                path.display()
            );
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, format!("{}", std::process::id()))
            .with_context(|| format!("writing pid file {}", path.display()))?;
        Ok(PidFile {
            path: path.to_owned(),
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
