//! `/images`: list, inspect, history, tag, remove, prune.
//!
//! An image's name may contain slashes (`localhost:5000/team/app:1`), so
//! `/images/{name}/json`, `/images/{name}/history`, `/images/{name}/tag`,
//! `/images/{name}/push`, `/images/{name}/get` and `DELETE /images/{name}` share one route that
//! takes the rest of the path; its last segment says what is asked (dockerd's router matches
//! `{name:.*}` the same way). The fixed paths (`/images/create`, `/images/get`, `/images/load`,
//! in `image_transfer.rs`) win over it. `push` and `get` are `image_transfer.rs`'s too.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ch05_images::reference::DEFAULT_TAG;
use serde::Deserialize;

use super::params::bool_value;
use super::{ApiError, AppState, image_transfer};
use crate::engine::filters::Filters;
use crate::engine::{DeleteRecord, EngineError, HistoryItem, ImageInspect, ImageSummary, PruneReport};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/images/json", get(list))
        .route("/images/prune", post(prune))
        .route(
            "/images/{*name_and_action}",
            get(on_named).post(on_named).delete(remove),
        )
}

/// Docker's status for an image that could not be found or named (404 for a missing image,
/// 400 for a malformed name: `From<EngineError>` knows them).
fn image_error(e: EngineError) -> ApiError {
    e.into()
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    all: Option<String>,
    filters: Option<String>,
    /// The name filter of API versions before 1.28 (`reference` since).
    filter: Option<String>,
}

/// `GET /images/json`: newest first; `digests` changes nothing (the client uses it).
async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<ImageSummary>>, ApiError> {
    state
        .blocking(move |engine| {
            let mut filters = Filters::from_json(q.filters.as_deref().unwrap_or(""))?;
            if let Some(name) = q.filter.filter(|f| !f.is_empty()) {
                filters.add("reference", &name);
            }
            let images = engine
                .list_images(&filters, bool_value(q.all.as_deref()))
                .map_err(image_error)?;
            Ok(Json(images))
        })
        .await
}

/// `a/b:1/json` → (`a/b:1`, `json`).
fn split_action(rest: &str) -> Option<(String, &str)> {
    let (name, action) = rest.rsplit_once('/')?;
    (!name.is_empty()).then(|| (name.to_owned(), action))
}

#[derive(Debug, Default, Deserialize)]
struct TagQuery {
    #[serde(default)]
    repo: String,
    #[serde(default)]
    tag: String,
}

/// `GET /images/{name}/json|history|get`, `POST /images/{name}/tag|push`.
async fn on_named(
    State(state): State<AppState>,
    method: Method,
    Path(rest): Path<String>,
    Query(tag): Query<TagQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    match (method, split_action(&rest)) {
        (Method::GET, Some((name, "json"))) => Ok(inspect(state, name).await?.into_response()),
        (Method::GET, Some((name, "history"))) => Ok(history(state, name).await?.into_response()),
        (Method::GET, Some((name, "get"))) => Ok(image_transfer::save(state, vec![name]).await),
        (Method::POST, Some((name, "tag"))) => Ok(tag_image(state, name, tag).await?.into_response()),
        (Method::POST, Some((name, "push"))) => {
            Ok(image_transfer::push(state, name, tag.tag, headers, body).await)
        }
        _ => Err(ApiError::not_found("page not found")),
    }
}

/// `GET /images/{name}/json`: Docker's `ImageInspect`; a lookup error names what was asked.
async fn inspect(state: AppState, name: String) -> Result<Json<ImageInspect>, ApiError> {
    state
        .blocking(move |engine| {
            engine.inspect_image(&name).map(Json).map_err(|e| {
                let ApiError { status, message } = image_error(e);
                match status {
                    StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => {
                        ApiError::new(status, format!("no such image: {name}: {message}"))
                    }
                    _ => ApiError::new(status, message),
                }
            })
        })
        .await
}

/// `GET /images/{name}/history`: the steps, newest first.
async fn history(state: AppState, name: String) -> Result<Json<Vec<HistoryItem>>, ApiError> {
    state
        .blocking(move |engine| engine.image_history(&name).map(Json).map_err(image_error))
        .await
}

// ANCHOR: tag
/// `POST /images/{name}/tag?repo=…&tag=…`: 201. As in dockerd, the image is looked up first;
/// a malformed new name is then a 500, a digest or `sha256` as its name a 400.
async fn tag_image(state: AppState, name: String, q: TagQuery) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |engine| {
            let id = engine.resolve_image(&name).map_err(image_error)?;
            let repo = crate::engine::parse_daemon_reference(&q.repo)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let target = if !q.tag.is_empty() {
                repo.with_tag(&q.tag)
                    .map_err(|_| ApiError::internal("invalid tag format"))?
            } else if repo.digest.is_some() {
                return Err(ApiError::bad_request(
                    "refusing to create a tag with a digest reference",
                ));
            } else if repo.tag.is_none() {
                repo.with_tag(DEFAULT_TAG)
                    .map_err(|e| ApiError::internal(e.to_string()))?
            } else {
                repo
            };
            engine.tag_image(&id.to_string(), &target).map_err(image_error)?;
            Ok(StatusCode::CREATED)
        })
        .await
}
// ANCHOR_END: tag

#[derive(Debug, Default, Deserialize)]
struct DeleteQuery {
    force: Option<String>,
    noprune: Option<String>,
}

/// `DELETE /images/{name}?force=&noprune=`: what was untagged and deleted, in order.
async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Result<Json<Vec<DeleteRecord>>, ApiError> {
    let force = bool_value(q.force.as_deref());
    let prune = !bool_value(q.noprune.as_deref());
    state
        .blocking(move |engine| {
            engine
                .delete_image(&name, force, prune)
                .map(Json)
                .map_err(image_error)
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
struct PruneQuery {
    filters: Option<String>,
}

/// `POST /images/prune`: `{"ImagesDeleted": […] or null, "SpaceReclaimed": n}`; without a
/// `dangling` filter only dangling images go.
async fn prune(
    State(state): State<AppState>,
    Query(q): Query<PruneQuery>,
) -> Result<Json<PruneReport>, ApiError> {
    state
        .blocking(move |engine| {
            let filters = Filters::from_json(q.filters.as_deref().unwrap_or(""))?;
            Ok(Json(engine.prune_images(&filters)?))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_is_the_last_segment_of_the_path() {
        assert_eq!(split_action("busybox/json"), Some(("busybox".to_owned(), "json")));
        assert_eq!(
            split_action("localhost:5000/team/app:1/history"),
            Some(("localhost:5000/team/app:1".to_owned(), "history"))
        );
        assert_eq!(split_action("json"), None);
        assert_eq!(split_action("/json"), None);
    }
}
