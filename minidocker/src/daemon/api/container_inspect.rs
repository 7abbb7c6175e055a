//! `GET /containers/{id}/json`: `docker container inspect` (and `docker inspect`, which asks
//! here first).

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::params::bool_value;
use super::{ApiError, AppState};
use crate::engine::ContainerInspect;

pub fn routes() -> Router<AppState> {
    Router::new().route("/containers/{id}/json", get(inspect))
}

#[derive(Debug, Default, Deserialize)]
struct InspectQuery {
    size: Option<String>,
}

/// `GET /containers/{id}/json?size=`: Docker's `ContainerJSON`, with `SizeRw` and `SizeRootFs`
/// when `size` is true; 404 `No such container: <id>`.
async fn inspect(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<InspectQuery>,
) -> Result<Json<ContainerInspect>, ApiError> {
    let size = bool_value(q.size.as_deref());
    state
        .blocking(move |engine| Ok(Json(engine.inspect_container_with_size(&id, size)?)))
        .await
}
