//! `POST /containers/{id}/update`: `docker update` (the engine's `update_container_with`).
//! The body is Docker's `UpdateConfig`: the `Resources` fields of a `HostConfig` and its
//! `RestartPolicy`, the same names as in the create body's `HostConfig`, so that struct reads
//! it (its other fields are left out by clients and ignored here).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use serde::Serialize;

use super::error::ApiJson;
use super::{ApiError, AppState};
use crate::api_types::HostConfigBody;
use crate::engine::ContainerUpdate;

pub fn routes() -> Router<AppState> {
    Router::new().route("/containers/{id}/update", post(update))
}

/// `container.ContainerUpdateOKBody`: `null` when there is nothing to warn about, as Docker.
#[derive(Debug, Serialize)]
struct UpdateResponse {
    #[serde(rename = "Warnings")]
    warnings: Option<Vec<String>>,
}

/// 200 `{"Warnings": …}`; Docker's 400 for limits it refuses, 409 for a change that
/// conflicts with what is set (`--cpus` after `--cpu-quota`, a restart policy with `--rm`).
async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<HostConfigBody>,
) -> Result<Json<UpdateResponse>, ApiError> {
    let update = ContainerUpdate {
        resources: body.resources(),
        restart_policy: body.restart_policy,
    };
    state
        .blocking(move |engine| {
            let warnings = engine.update_container_with(&id, &update)?;
            Ok(Json(UpdateResponse {
                warnings: Some(warnings).filter(|w| !w.is_empty()),
            }))
        })
        .await
}
