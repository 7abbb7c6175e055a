//! API versions: a client may put one in front of any path (`/v1.41/containers/json`), and
//! the daemon serves every version from its minimum to its own with one set of routes.
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

// ANCHOR: split_version_prefix
/// `/v1.41/containers/json` → `Some(("1.41", "/containers/json"))`; `None` for a path
/// without a version prefix. A version is digits and dots, at least one character.
pub fn split_version_prefix(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/v")?;
    let slash = rest.find('/')?;
    let (version, tail) = rest.split_at(slash);
    let is_version = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    is_version.then_some((version, tail))
}
// ANCHOR_END: split_version_prefix

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

// ANCHOR: check_version
/// Whether a daemon serving `min..=max` answers a request for version `asked`.
pub fn check_version(asked: &str, min: &str, max: &str) -> Result<(), VersionError> {
    if compare_versions(asked, max).is_gt() {
        return Err(VersionError::TooNew {
            asked: asked.to_owned(),
            max: max.to_owned(),
        });
    }
    if compare_versions(asked, min).is_lt() {
        return Err(VersionError::TooOld {
            asked: asked.to_owned(),
            min: min.to_owned(),
        });
    }
    Ok(())
}
// ANCHOR_END: check_version

// ANCHOR: strip_version
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
// ANCHOR_END: strip_version

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

// ANCHOR: versions_and_headers
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
// ANCHOR_END: versions_and_headers

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_prefix_is_split_off() {
        assert_eq!(
            split_version_prefix("/v1.41/containers/json"),
            Some(("1.41", "/containers/json"))
        );
        assert_eq!(split_version_prefix("/v1.24/_ping"), Some(("1.24", "/_ping")));
        assert_eq!(split_version_prefix("/containers/json"), None);
        assert_eq!(split_version_prefix("/volumes/x"), None);
        assert_eq!(split_version_prefix("/v/x"), None);
        assert_eq!(split_version_prefix("/v1.41"), None);
        assert_eq!(split_version_prefix("/vx.y/_ping"), None);
    }

    #[test]
    fn versions_compare_numerically_and_are_checked_against_the_range() {
        assert!(compare_versions("1.9", "1.10").is_lt());
        assert!(compare_versions("1.41", "1.41").is_eq());
        assert_eq!(check_version("1.41", MIN_API_VERSION, API_VERSION), Ok(()));
        assert_eq!(
            check_version("1.50", MIN_API_VERSION, API_VERSION)
                .unwrap_err()
                .to_string(),
            "client version 1.50 is too new. Maximum supported API version is 1.41"
        );
        assert_eq!(
            check_version("1.11", MIN_API_VERSION, API_VERSION)
                .unwrap_err()
                .to_string(),
            "client version 1.11 is too old. Minimum supported API version is 1.12, please upgrade your client to a newer version"
        );
    }

    proptest! {
        #[test]
        fn any_path_with_a_prefix_splits_into_the_bare_path(v in "[0-9]{1,2}\\.[0-9]{1,2}", tail in "(/[a-z_{}]{1,10}){1,4}") {
            let path = format!("/v{v}{tail}");
            prop_assert_eq!(split_version_prefix(&path), Some((v.as_str(), tail.as_str())));
            prop_assert_eq!(split_version_prefix(&tail), None::<(&str, &str)>);
        }
    }
}
