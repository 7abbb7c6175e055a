//! A container's filesystem: what it changed (`docker diff`) and all of it as a tar
//! (`docker export`), from the engine's `container_changes` and `export_container`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::blocking_io::first_word_decides;
use super::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/containers/{id}/changes", get(changes))
        .route("/containers/{id}/export", get(export))
}

// ANCHOR: change_item
/// Docker's `container.ContainerChangeResponseItem`: `Kind` 0 modified, 1 added, 2 deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeItem {
    #[serde(rename = "Path")]
    pub path: String,
    #[serde(rename = "Kind")]
    pub kind: u8,
}
// ANCHOR_END: change_item

/// `GET /containers/{id}/changes`: the changes, `null` when there are none (as Docker).
async fn changes(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Option<Vec<ChangeItem>>>, ApiError> {
    state
        .blocking(move |engine| {
            let items: Vec<ChangeItem> = engine
                .container_changes(&id)?
                .into_iter()
                .map(|c| ChangeItem {
                    path: c.path.display().to_string(),
                    kind: c.kind as u8,
                })
                .collect();
            Ok(Json(Some(items).filter(|i| !i.is_empty())))
        })
        .await
}

/// `GET /containers/{id}/export`: the filesystem as a tar (`application/x-tar`); 404 for an
/// unknown container.
async fn export(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    first_word_decides(&state, "application/x-tar", move |engine, body| {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, body);
        engine.export_container(&id, &mut out)?;
        std::io::Write::flush(&mut out).map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
}
