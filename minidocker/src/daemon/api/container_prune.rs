//! `POST /containers/prune?filters=`: `docker container prune` (the engine's
//! `prune_containers`).

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::post;
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::engine::ContainerPruneReport;
use crate::engine::filters::Filters;

pub fn routes() -> Router<AppState> {
    Router::new().route("/containers/prune", post(prune))
}

#[derive(Debug, Default, Deserialize)]
struct PruneQuery {
    #[serde(default)]
    filters: String,
}

/// `{"ContainersDeleted": […] or null, "SpaceReclaimed": n}`; 400 for a filter prune does
/// not take.
async fn prune(
    State(state): State<AppState>,
    Query(q): Query<PruneQuery>,
) -> Result<Json<ContainerPruneReport>, ApiError> {
    state
        .blocking(move |engine| {
            let filters = Filters::from_json(&q.filters)?;
            Ok(Json(engine.prune_containers(&filters)?))
        })
        .await
}
