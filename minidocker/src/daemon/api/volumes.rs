//! `/volumes`: list, create, inspect, remove, prune (dockerd 20.10's answers, API 1.41).

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::error::ApiJson;
use super::params::bool_value;
use super::{ApiError, AppState};
use crate::api_types::VolumeCreateBody;
use crate::engine::filters::Filters;
use crate::engine::volumes::{Volume, VolumeError, VolumeList, VolumePruneReport};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/volumes", get(list))
        .route("/volumes/create", post(create))
        .route("/volumes/prune", post(prune))
        .route("/volumes/{name}", get(inspect).delete(remove))
}

impl From<VolumeError> for ApiError {
    fn from(e: VolumeError) -> ApiError {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError::new(status, e.to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FilterQuery {
    filters: String,
}

/// `GET /volumes?filters=`: `{"Volumes": […], "Warnings": null}`, sorted by name.
async fn list(
    State(state): State<AppState>,
    Query(q): Query<FilterQuery>,
) -> Result<Json<VolumeList>, ApiError> {
    state
        .blocking(move |engine| {
            let filters = Filters::from_json(&q.filters)?;
            Ok(Json(VolumeList {
                volumes: engine.list_volumes(&filters)?,
                warnings: None,
            }))
        })
        .await
}

/// `POST /volumes/create`: 201 with the volume (the one that exists already, if the name is
/// taken).
async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VolumeCreateBody>,
) -> Result<(StatusCode, Json<Volume>), ApiError> {
    state
        .blocking(move |engine| {
            let volume = engine.create_volume(&body.name, &body.driver, body.labels, body.driver_opts)?;
            Ok((StatusCode::CREATED, Json(volume)))
        })
        .await
}

/// `GET /volumes/{name}`.
async fn inspect(State(state): State<AppState>, Path(name): Path<String>) -> Result<Json<Volume>, ApiError> {
    state
        .blocking(move |engine| Ok(Json(engine.inspect_volume(&name)?)))
        .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RemoveQuery {
    force: String,
}

/// `DELETE /volumes/{name}?force=`: 204; 409 while a container uses it (even with `force`,
/// which only makes a missing volume no error).
async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    let force = bool_value(Some(&q.force));
    state
        .blocking(move |engine| {
            engine.remove_volume(&name, force)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// `POST /volumes/prune?filters=`: `{"VolumesDeleted": […], "SpaceReclaimed": N}`. API 1.41
/// (what this daemon speaks) removes every unused volume, named or not.
async fn prune(
    State(state): State<AppState>,
    Query(q): Query<FilterQuery>,
) -> Result<Json<VolumePruneReport>, ApiError> {
    state
        .blocking(move |engine| {
            let filters = Filters::from_json(&q.filters)?;
            Ok(Json(engine.prune_volumes(&filters)?))
        })
        .await
}
