//! `GET /containers/{id}/top?ps_args=`: `docker top`, the host's `ps` over the container's
//! processes (the engine's `container_top`).

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::engine::ContainerTop;

pub fn routes() -> Router<AppState> {
    Router::new().route("/containers/{id}/top", get(top))
}

#[derive(Debug, Default, Deserialize)]
struct TopQuery {
    #[serde(default)]
    ps_args: String,
}

/// `{"Titles": […], "Processes": [[…]]}`; 409 for a container that is not running.
async fn top(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<TopQuery>,
) -> Result<Json<ContainerTop>, ApiError> {
    state
        .blocking(move |engine| Ok(Json(engine.container_top(&id, &q.ps_args)?)))
        .await
}
