//! `POST /containers/{id}/rename?name=`: `docker rename` (the engine's `rename_container`).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;

use super::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/containers/{id}/rename", post(rename))
}

#[derive(Debug, Default, Deserialize)]
struct RenameQuery {
    #[serde(default)]
    name: String,
}

/// 204; 400 for an empty, unchanged or invalid name, 404 for an unknown container, 409 for
/// a name another container has.
async fn rename(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<RenameQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |engine| {
            engine.rename_container(&id, &q.name)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}
