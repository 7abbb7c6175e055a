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
//! - [`connections`]: each connection served, with a deadline for a request's headers;
//! - [`tls`]: TLS on the TCP listeners (`--tls`, `--tlsverify`), Go's answer to plain HTTP;
//! - [`api`]: the routes, API version negotiation, Docker's error bodies and headers.
//!
//! Like dockerd it stays in the foreground and shuts down cleanly on SIGTERM or SIGINT:
//! it stops accepting, lets requests in flight finish, stops the running containers (unless
//! `--live-restore`: they go on under their shims), removes its socket and pid file.

pub mod api;
pub mod config;
pub mod connections;
pub mod listeners;
pub mod tls;

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
    // As dockerd, the TLS files are read first: one it cannot use stops it before it did anything.
    let tls = config
        .tls
        .as_ref()
        .map(tls::TlsSettings::server_config)
        .transpose()?;
    std::fs::create_dir_all(&config.data_root)
        .with_context(|| format!("creating data root {}", config.data_root.display()))?;
    let _pidfile = PidFile::write(&config.pidfile)?;
    let state = api::AppState::new(&config)?;
    // The engine's first use makes the predefined networks, as dockerd does when it starts.
    state
        .blocking(|engine| engine.ensure_predefined_networks().map_err(Into::into))
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let restoring = state.clone();
    state
        .blocking(move |engine| {
            // spare layers an earlier daemon made are garbage now (`spare_layers.rs`)
            if let Err(e) = engine.discard_spare_layers_left() {
                tracing::warn!(error = %e, "discarding the spare layers left");
            }
            // new containers' files in block groups of their own (ext4's `chattr +T`)
            engine.spread_new_hierarchies();
            // the first container's shim, started ahead
            restoring.refill_spare_shim();
            // what an earlier process removed but could not finish deleting (`trash.rs`);
            // no thread for an empty trash
            let trash = engine.containers.trash();
            if !trash.is_empty() {
                trash.empty_later();
            }
            auto_remove_on_daemon_start(engine, &restoring);
            restart_on_daemon_start(engine, &restoring);
            Ok(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let bound = listeners::bind_all(&config, tls.as_ref()).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    for listener in bound {
        tracing::info!(address = %listener.describe(), "API listening");
        servers.spawn(listener.serve(api::router(state.clone()), config.idle_timeout, stop_rx.clone()));
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
    if !config.live_restore {
        state
            .blocking(|engine| {
                stop_running_containers(engine);
                Ok(())
            })
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    }
    Ok(())
}
// ANCHOR_END: daemon_serve

// ANCHOR: stop_on_shutdown
/// What dockerd does at shutdown without `--live-restore`: every running container is
/// stopped, all at once, each with its own stop signal and timeout. It is not a user's stop:
/// the next daemon starts `always` and `unless-stopped` containers again.
fn stop_running_containers(engine: &crate::engine::Engine) {
    let running: Vec<_> = engine
        .containers
        .list()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| engine.is_running(c))
        .collect();
    std::thread::scope(|scope| {
        for c in &running {
            scope.spawn(move || {
                tracing::info!(container = %c.id, "stopping at shutdown");
                if let Err(e) = api::lifecycle::stop_container(engine, c, None, false) {
                    tracing::warn!(container = %c.id, error = %e.message, "stopping at shutdown");
                }
                // its shim's last decision (no restart) made before the next daemon starts
                let dir = engine.containers.dir(&c.id);
                crate::shim::wait_for_no_shim(&dir, api::lifecycle::SHIM_DECISION);
            });
        }
    });
}
// ANCHOR_END: stop_on_shutdown

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

// ANCHOR: auto_remove_on_daemon_start
/// dockerd's restore of `--rm` (AutoRemove) containers: one that is not running (its shim
/// ended while no daemon ran, or it was never started) is removed now, one that runs when
/// its shim ends. First, what a crash of the machine left of them: their files are written
/// without fsync(2) ([`crate::container::ContainerStore::create`]).
fn auto_remove_on_daemon_start(engine: &crate::engine::Engine, state: &api::AppState) {
    for id in engine.containers.volatile_wrecks().unwrap_or_default() {
        if crate::shim::has_live_shim(&engine.containers.dir(&id)) {
            continue;
        }
        tracing::info!(container = %id, "removing what a crash left of a --rm container");
        if let Err(e) = engine.remove_volatile_wreck(&id) {
            tracing::warn!(container = %id, error = %e, "removing what a crash left");
        }
    }
    for c in engine.containers.list().unwrap_or_default() {
        if !engine.containers.host_config(&c.id).is_ok_and(|h| h.auto_remove) {
            continue;
        }
        let dir = engine.containers.dir(&c.id);
        if engine.is_running(&c) || crate::shim::has_live_shim(&dir) {
            // an earlier daemon's shim, not our child: its end is the release of its lock
            api::lifecycle::when_shim_ends(state, &c.id, move || {
                crate::shim::wait_for_shim_end(&dir);
                None
            });
        } else if let Err(e) = engine.remove_container_with_volumes(&c.id, true, true) {
            tracing::warn!(container = %c.id, error = %e, "auto-removing on daemon start");
        }
    }
}
// ANCHOR_END: auto_remove_on_daemon_start

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
            crate::shim::wait_for_no_shim(&engine.containers.dir(&c.id), api::lifecycle::SHIM_DECISION);
            for marker in [crate::shim::STOPPED_BY_USER, crate::shim::STOPPED_BY_DAEMON] {
                let _ = std::fs::remove_file(engine.containers.dir(&c.id).join(marker));
            }
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
