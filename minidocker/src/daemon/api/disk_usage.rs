//! `GET /system/df`: what `docker system df` shows, in Docker 20.10's `types.DiskUsage`.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::{ApiError, AppState};
use crate::engine::SystemDf;

pub fn routes() -> Router<AppState> {
    Router::new().route("/system/df", get(system_df))
}

/// The images (with their container counts and shared sizes), the containers (with the size of
/// their own layer), the volumes (with their reference counts and sizes), no build cache yet.
async fn system_df(State(state): State<AppState>) -> Result<Json<SystemDf>, ApiError> {
    state.blocking(|engine| Ok(Json(engine.system_df()?))).await
}
