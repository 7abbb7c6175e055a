//! API versions: a client may put one in front of any path (`/v1.41/containers/json`), and
//! the daemon serves every version from its minimum to its own with one set of routes.
//!
//! **Lab 10 skeleton.** Exercise `ex1`: write [`split_version_prefix`] and
//! [`check_version`] (the two `todo!()`s; the middleware below them is built on them).
//! `labs/check 10` tells you how far you are.
//!
//! Clients negotiate: they ask `GET /_ping`, read the `Api-Version` header, and use the lower
//! of that and their own. The real Docker CLI 28 speaks 1.50 and so comes down to 1.41 here.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The API version this daemon speaks (Docker 20.10's).
pub const API_VERSION: &str = "1.41";
/// The oldest version it still answers (dockerd's default minimum).
pub const MIN_API_VERSION: &str = "1.12";

/// The API version a request asked for with its path prefix (`/v1.41/...`), if any, kept in
/// the request's extensions for the handlers that answer differently by version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedVersion(pub Option<String>);

/// `/v1.41/containers/json` → `Some(("1.41", "/containers/json"))`; `None` for a path
/// without a version prefix. A version is digits and dots, at least one character.
pub fn split_version_prefix(path: &str) -> Option<(&str, &str)> {
    // ex1: a path that starts with `/v`, then a version (one or more digits and dots), then
    // a `/`: the version, and the rest of the path from that `/` on. Anything else (no
    // prefix, an empty version, letters in it, no `/` after it) is `None`.
    todo!(
        "ex1: strip_prefix(\"/v\"), find the first '/', check the part before it is digits and dots and not empty; Some((version, rest_with_its_slash))"
    )
}

/// Compares dotted versions number by number (`1.9` < `1.10`); a part that is not a number
/// counts as 0.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |v: &str| {
        v.split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    parts(a).cmp(&parts(b))
}

/// A version the daemon does not serve, in dockerd's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("client version {asked} is too new. Maximum supported API version is {max}")]
    TooNew { asked: String, max: String },
    #[error(
        "client version {asked} is too old. Minimum supported API version is {min}, please upgrade your client to a newer version"
    )]
    TooOld { asked: String, min: String },
}

/// Whether a daemon serving `min..=max` answers a request for version `asked`.
pub fn check_version(asked: &str, min: &str, max: &str) -> Result<(), VersionError> {
    // ex1: above `max` is `VersionError::TooNew`, below `min` is `VersionError::TooOld`, each
    // with the versions as strings; compare with `compare_versions` (1.9 < 1.10).
    todo!(
        "ex1: compare_versions(asked, max).is_gt() => TooNew, compare_versions(asked, min).is_lt() => TooOld, else Ok"
    )
}

/// Strips `/v1.xx` from the path and remembers it, before routing (so one set of routes
/// serves `/containers/json` and `/v1.41/containers/json` alike).
pub fn strip_version(mut request: Request) -> Request {
    let mut version = None;
    if let Some((v, tail)) = split_version_prefix(request.uri().path()) {
        version = Some(v.to_owned());
        let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
        if let Ok(uri) = format!("{tail}{query}").parse() {
            *request.uri_mut() = uri;
        }
    }
    request.extensions_mut().insert(RequestedVersion(version));
    request
}

/// The router behind the version prefix rewrite.
pub type VersionedApp =
    axum::routing::IntoMakeService<tower::util::MapRequest<axum::Router, fn(Request) -> Request>>;

/// `router` behind the version prefix rewrite, as a service `axum::serve` takes. (A
/// rewrite inside the router would come too late: routing has happened by then.)
pub fn with_version_prefix(router: axum::Router) -> VersionedApp {
    let rewrite: fn(Request) -> Request = strip_version;
    axum::ServiceExt::<Request>::into_make_service(tower::Layer::layer(
        &tower::util::MapRequestLayer::new(rewrite),
        router,
    ))
}

/// Middleware: refuses versions out of range (Docker's messages, 400) and adds Docker's
/// headers to every answer.
pub async fn versions_and_headers(request: Request, next: Next) -> Response {
    let asked = request
        .extensions()
        .get::<RequestedVersion>()
        .and_then(|v| v.0.clone());
    let checked = asked.map_or(Ok(()), |v| check_version(&v, MIN_API_VERSION, API_VERSION));
    let mut response = match checked {
        Ok(()) => next.run(request).await,
        Err(e) => ApiError::new(StatusCode::BAD_REQUEST, e.to_string()).into_response(),
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
