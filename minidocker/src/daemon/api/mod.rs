//! The Remote API: routes, the `/v1.xx` prefix and version checks, Docker's headers and its
//! error body `{"message": "…"}` with its status codes.

pub mod attach;
pub mod blocking_io;
pub mod commit;
pub mod container_archive;
pub mod container_fs;
pub mod container_inspect;
pub mod container_prune;
pub mod container_rename;
pub mod container_top;
pub mod container_update;
pub mod containers;
pub mod disk_usage;
pub mod error;
pub mod events;
pub mod exec;
pub mod exec_io;
pub mod hijack;
pub mod image_import;
pub mod image_transfer;
pub mod images;
pub mod json_newline;
pub mod lifecycle;
pub mod networks;
pub mod params;
pub mod record_watch;
pub mod stats;
pub mod system;
pub mod volumes;

use std::path::PathBuf;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::get;

pub use error::ApiError;

use super::config::DaemonConfig;
use crate::engine::Engine;

// The rules every endpoint shares are chapter 10's: the version prefix and its check, the
// error body, the streamed and hijacked bodies.
pub use ch10_api::hijack::{Upgrade, raw_stream, streamed};
use ch10_api::version::versions_and_headers;
pub use ch10_api::version::{
    API_VERSION, MIN_API_VERSION, RequestedVersion, VersionedApp, with_version_prefix,
};

/// The name of the thread that starts a spare shim ([`AppState::refill_spare_shim`]).
pub const SPARE_REFILL_THREAD: &str = "spare-refill";

/// The name of the thread that makes spare layers ([`AppState::refill_spare_layers`]).
pub const SPARE_LAYERS_THREAD: &str = "spare-layers";

/// What every handler gets: where the engine's state is.
#[derive(Debug, Clone)]
pub struct AppState {
    pub data_root: PathBuf,
    pub config: DaemonConfig,
    /// The shims this daemon started that have ended, with their container's exit code.
    pub ended: lifecycle::EndedShims,
    /// The execs created through this daemon.
    pub execs: exec::Execs,
    /// The shim started ahead for the next container's start (`spare_shim.rs`).
    pub spare_shims: std::sync::Arc<crate::spare_shim::SpareShims>,
    /// The engine every request works on, opened once (its stores are paths; what must be
    /// exclusive between requests is locked inside it).
    engine: std::sync::Arc<Engine>,
}

impl AppState {
    /// The daemon's state, its engine opened on the data root (its directories made).
    pub fn new(config: &DaemonConfig) -> anyhow::Result<AppState> {
        let mut engine = Engine::open(&config.data_root)?;
        engine.cgroup_parent = config.cgroup_parent.clone();
        engine.bip = config.bip;
        Ok(AppState {
            data_root: config.data_root.clone(),
            config: config.clone(),
            ended: lifecycle::EndedShims::default(),
            execs: exec::Execs::default(),
            spare_shims: Default::default(),
            engine: std::sync::Arc::new(engine),
        })
    }

    /// The daemon's engine, for work that outlives a request (a stream, a thread that
    /// waits for a shim).
    pub fn engine(&self) -> std::sync::Arc<Engine> {
        self.engine.clone()
    }

    /// Start a spare shim in the background, at idle priority (`idle.rs`), unless one is
    /// ready (`spare_shim.rs`): its stderr is the daemon's until it gets its container. The
    /// thread that starts it ([`SPARE_REFILL_THREAD`]) ends once the spare is in its slot.
    pub fn refill_spare_shim(&self) {
        let mut command = self.own_command("spare-shim");
        command.stdout(std::process::Stdio::null());
        let spares = self.spare_shims.clone();
        // (named: a test knows the spare is in its slot once no such thread is left)
        let spawned = crate::idle::spawn_idle(SPARE_REFILL_THREAD, move || {
            if let Err(e) = spares.refill(command) {
                tracing::warn!(error = %e, "starting a spare shim");
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "starting a thread to start a spare shim");
        }
    }

    /// Make the next `--rm` container's layers in the background, at idle priority
    /// (`spare_layers.rs`), if a create wants them and none are ready or being made.
    pub fn refill_spare_layers(&self) {
        if !self.engine.spare_layers_wanted() {
            return;
        }
        let engine = self.engine.clone();
        let spawned = crate::idle::spawn_idle(SPARE_LAYERS_THREAD, move || {
            if let Err(e) = engine.make_spare_layers() {
                tracing::warn!(error = %e, "making spare layers");
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "starting a thread to make spare layers");
        }
    }

    // ANCHOR: engine_blocking
    /// `minidocker SUBCOMMAND CONTAINER` (the shim, the exec helper) for this daemon's data
    /// root and cgroup parent, its stdin /dev/null. It is the daemon's own executable, even
    /// if its file was replaced since (a rebuild, an upgrade): /proc/self/exe.
    pub fn helper_command(&self, subcommand: &str, container: &str) -> std::process::Command {
        let mut command = self.own_command(subcommand);
        command.arg(container).stdin(std::process::Stdio::null());
        command
    }

    /// `minidocker SUBCOMMAND` from the daemon's own executable, for its data root and cgroup
    /// parent: what [`AppState::helper_command`] and the spare shim start from.
    fn own_command(&self, subcommand: &str) -> std::process::Command {
        let mut command = std::process::Command::new("/proc/self/exe");
        command
            .arg(subcommand)
            .env("MINIDOCKER_DATA_ROOT", &self.data_root)
            .env("MINIDOCKER_CGROUP_PARENT", &self.engine.cgroup_parent);
        command
    }

    /// Runs `work` on the engine, on a thread where blocking is fine (the engine does file
    /// and netlink I/O and waits on processes).
    pub async fn blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, ApiError> + Send + 'static,
    {
        let engine = self.engine();
        tokio::task::spawn_blocking(move || work(&engine))
            .await
            .map_err(|e| ApiError::internal(format!("engine task failed: {e}")))?
    }
    // ANCHOR_END: engine_blocking
}

/// The container `name_or_id` names, or Docker's 404 `No such container: <name_or_id>`.
pub fn find_container(engine: &Engine, name_or_id: &str) -> Result<crate::container::Container, ApiError> {
    engine
        .containers
        .find(name_or_id)
        .map_err(|_| ApiError::not_found(format!("No such container: {name_or_id}")))
}

async fn page_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "page not found")
}

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/_ping", get(system::ping).head(system::ping))
        .route("/version", get(system::version))
        .route("/info", get(system::info))
        .merge(networks::routes())
        .merge(images::routes())
        .merge(image_transfer::routes())
        .merge(commit::routes())
        .merge(containers::routes())
        .merge(container_inspect::routes())
        .merge(container_fs::routes())
        .merge(container_archive::routes())
        .merge(container_top::routes())
        .merge(container_rename::routes())
        .merge(container_update::routes())
        .merge(container_prune::routes())
        .merge(disk_usage::routes())
        .merge(lifecycle::routes())
        .merge(attach::routes())
        .merge(events::routes())
        .merge(volumes::routes())
        .merge(stats::routes())
        .merge(exec::routes())
        .fallback(page_not_found)
        // dockerd's router answers a known path with another method as an unknown one
        .method_not_allowed_fallback(page_not_found)
        .layer(middleware::from_fn(versions_and_headers))
        // outermost: the version check's own errors end with a newline too
        .layer(middleware::from_fn(json_newline::end_json_with_newline))
        .with_state(state)
}

/// The handlers' `State`.
pub type AppStateExtractor = State<AppState>;

#[cfg(test)]
mod routing_properties;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::Request;
    use ch10_api::version::{compare_versions, strip_version};
    use proptest::prelude::*;

    fn stripped(path: &str) -> (String, Option<String>) {
        let request = Request::builder()
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        let request = strip_version(request);
        let version = request
            .extensions()
            .get::<RequestedVersion>()
            .and_then(|v| v.0.clone());
        (request.uri().to_string(), version)
    }

    #[test]
    fn the_version_prefix_is_taken_off_and_remembered() {
        assert_eq!(
            stripped("/v1.41/containers/json?all=1"),
            ("/containers/json?all=1".into(), Some("1.41".into()))
        );
        assert_eq!(stripped("/containers/json"), ("/containers/json".into(), None));
        assert_eq!(stripped("/volumes/v1.41/x"), ("/volumes/v1.41/x".into(), None));
        assert_eq!(stripped("/vfoo/bar"), ("/vfoo/bar".into(), None));
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(compare_versions("1.9", "1.41").is_lt());
        assert!(compare_versions("1.41", "1.41").is_eq());
        assert!(compare_versions("1.100", "1.41").is_gt());
    }

    proptest! {
        #[test]
        fn any_versioned_path_routes_like_the_bare_one(
            major in 0u32..3, minor in 0u32..60, tail in "(/[a-z0-9_]{1,8}){1,4}"
        ) {
            let (uri, version) = stripped(&format!("/v{major}.{minor}{tail}"));
            prop_assert_eq!(uri, tail);
            prop_assert_eq!(version, Some(format!("{major}.{minor}")));
        }
    }
}
