//! The Remote API: routes, the `/v1.xx` prefix and version checks, Docker's headers and its
//! error body `{"message": "…"}` with its status codes.

pub mod container_inspect;
pub mod containers;
pub mod disk_usage;
pub mod error;
pub mod events;
pub mod exec;
pub mod images;
pub mod lifecycle;
pub mod networks;
pub mod params;
pub mod stats;
pub mod system;

use std::path::PathBuf;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, ServiceExt};
use tower::Layer;

pub use error::ApiError;

use super::config::DaemonConfig;
use crate::engine::Engine;

/// The API version this daemon speaks (Docker 20.10's) and the oldest it accepts.
pub const API_VERSION: &str = "1.41";
pub const MIN_API_VERSION: &str = "1.12";

/// What every handler gets: where the engine's state is.
#[derive(Debug, Clone)]
pub struct AppState {
    pub data_root: PathBuf,
    pub cgroup_parent: String,
    pub bip: Option<ch07_network::Ipv4Net>,
    pub config: DaemonConfig,
    /// The shims this daemon started that have ended, with their container's exit code.
    pub ended: lifecycle::EndedShims,
    /// The execs created through this daemon.
    pub execs: exec::Execs,
}

impl AppState {
    pub fn new(config: &DaemonConfig) -> AppState {
        AppState {
            data_root: config.data_root.clone(),
            cgroup_parent: config.cgroup_parent.clone(),
            bip: config.bip,
            config: config.clone(),
            ended: lifecycle::EndedShims::default(),
            execs: exec::Execs::default(),
        }
    }

    // ANCHOR: engine_blocking
    /// `minidocker SUBCOMMAND CONTAINER` (the shim, the exec helper) for this daemon's data
    /// root and cgroup parent, its stdin /dev/null. It is the daemon's own executable, even
    /// if its file was replaced since (a rebuild, an upgrade): /proc/self/exe.
    pub fn helper_command(&self, subcommand: &str, container: &str) -> std::process::Command {
        let mut command = std::process::Command::new("/proc/self/exe");
        command
            .arg(subcommand)
            .arg(container)
            .env("MINIDOCKER_DATA_ROOT", &self.data_root)
            .env("MINIDOCKER_CGROUP_PARENT", &self.cgroup_parent)
            .stdin(std::process::Stdio::null());
        command
    }

    /// Runs `work` on the engine, on a thread where blocking is fine (the engine does file
    /// and netlink I/O and waits on processes).
    pub async fn blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, ApiError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut engine =
                Engine::open(&state.data_root).map_err(|e| ApiError::internal(format!("{e:#}")))?;
            engine.cgroup_parent = state.cgroup_parent.clone();
            engine.bip = state.bip;
            work(&engine)
        })
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

/// A request's way to take over its connection (`Connection: Upgrade`), for `attach` and
/// `exec start`; `None` when the client did not ask (or the connection cannot be upgraded).
#[derive(Debug)]
pub struct Upgrade(pub Option<hyper::upgrade::OnUpgrade>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Upgrade {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Upgrade(parts.extensions.remove::<hyper::upgrade::OnUpgrade>()))
    }
}

/// The API version a request asked for with its path prefix (`/v1.41/...`), if any.
#[derive(Debug, Clone)]
pub struct RequestedVersion(pub Option<String>);

// ANCHOR: strip_version
/// Strips `/v1.xx` from the path and remembers it, before routing (so one set of routes
/// serves `/containers/json` and `/v1.41/containers/json` alike).
fn strip_version(mut request: Request) -> Request {
    let path = request.uri().path();
    let mut version = None;
    if let Some(rest) = path.strip_prefix("/v")
        && let Some((v, tail)) = rest.split_once('/')
        && !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        version = Some(v.to_owned());
        let new_path = format!("/{tail}");
        let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
        if let Ok(uri) = format!("{new_path}{query}").parse() {
            *request.uri_mut() = uri;
        }
    }
    request.extensions_mut().insert(RequestedVersion(version));
    request
}
// ANCHOR_END: strip_version

/// The router behind the version prefix rewrite.
pub type VersionedApp =
    axum::routing::IntoMakeService<tower::util::MapRequest<Router, fn(Request) -> Request>>;

/// `router` behind the version prefix rewrite, as a service `axum::serve` takes.
pub fn with_version_prefix(router: Router) -> VersionedApp {
    let rewrite: fn(Request) -> Request = strip_version;
    tower::util::MapRequestLayer::new(rewrite)
        .layer(router)
        .into_make_service()
}

fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| {
        v.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    parts(a).cmp(&parts(b))
}

// ANCHOR: versions_and_headers
/// Refuses versions out of range (Docker's messages) and adds Docker's headers to every answer.
async fn versions_and_headers(request: Request, next: Next) -> Response {
    let asked = request
        .extensions()
        .get::<RequestedVersion>()
        .and_then(|v| v.0.clone());
    let mut response = match asked {
        Some(v) if compare_versions(&v, API_VERSION).is_gt() => ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("client version {v} is too new. Maximum supported API version is {API_VERSION}"),
        )
        .into_response(),
        Some(v) if compare_versions(&v, MIN_API_VERSION).is_lt() => ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "client version {v} is too old. Minimum supported API version is {MIN_API_VERSION}, please upgrade your client to a newer version"
            ),
        )
        .into_response(),
        _ => next.run(request).await,
    };
    let headers = response.headers_mut();
    headers.insert("Api-Version", HeaderValue::from_static(API_VERSION));
    headers.insert("Docker-Experimental", HeaderValue::from_static("false"));
    headers.insert("Ostype", HeaderValue::from_static("linux"));
    if let Ok(server) = HeaderValue::from_str(&format!("Docker/{} (linux)", env!("CARGO_PKG_VERSION"))) {
        headers.insert("Server", server);
    }
    response
}
// ANCHOR_END: versions_and_headers

async fn page_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "page not found")
}

// ANCHOR: streamed
/// A response body fed by a blocking producer through a channel.
pub fn streamed(
    producer: impl FnOnce(tokio::sync::mpsc::Sender<Vec<u8>>) + Send + 'static,
) -> axum::body::Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    tokio::task::spawn_blocking(move || producer(tx));
    body_of(rx)
}
// ANCHOR_END: streamed

/// A response body of what `rx` brings, until it ends.
fn body_of(rx: tokio::sync::mpsc::Receiver<Vec<u8>>) -> axum::body::Body {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|bytes| (Ok::<_, std::io::Error>(bytes), rx))
    });
    axum::body::Body::from_stream(stream)
}

/// The answer of `attach` and `exec start`: the connection is taken over (HTTP 101,
/// `Upgrade: tcp`, as dockerd answers the CLI's `Connection: Upgrade`) and carries what `rx`
/// brings until it ends; a client that does not ask to upgrade gets it as the body.
pub fn raw_stream(
    Upgrade(on_upgrade): Upgrade,
    mut rx: tokio::sync::mpsc::Receiver<Vec<u8>>,
) -> axum::response::Response {
    use axum::http::header;
    use tokio::io::AsyncWriteExt;
    let Some(on_upgrade) = on_upgrade else {
        return axum::response::Response::new(body_of(rx));
    };
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else { return };
        let mut io = hyper_util::rt::TokioIo::new(upgraded);
        while let Some(bytes) = rx.recv().await {
            if io.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = io.shutdown().await;
    });
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.docker.raw-stream"),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
    response
}

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/_ping", get(system::ping).head(system::ping))
        .route("/version", get(system::version))
        .route("/info", get(system::info))
        .merge(networks::routes())
        .merge(images::routes())
        .merge(containers::routes())
        .merge(container_inspect::routes())
        .merge(disk_usage::routes())
        .merge(lifecycle::routes())
        .merge(events::routes())
        .merge(stats::routes())
        .merge(exec::routes())
        .fallback(page_not_found)
        .layer(middleware::from_fn(versions_and_headers))
        .with_state(state)
}

/// The handlers' `State`.
pub type AppStateExtractor = State<AppState>;

#[cfg(test)]
mod tests {
    use super::*;
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
