//! `/containers`: the list (`docker ps`).

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::params::{bool_value, int_value};
use super::{ApiError, AppState};
use crate::engine::filters::Filters;
use crate::engine::{ContainerListEntry, ContainerListOptions};

pub fn routes() -> Router<AppState> {
    Router::new().route("/containers/json", get(list))
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    all: Option<String>,
    limit: Option<String>,
    size: Option<String>,
    filters: Option<String>,
}

/// `GET /containers/json?all=&limit=&size=&filters=`: newest first, running ones only unless
/// `all`, a `limit` or a `status` filter asks for more.
async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<ContainerListEntry>>, ApiError> {
    let limit = int_value(q.limit.as_deref())?;
    state
        .blocking(move |engine| {
            let opts = ContainerListOptions {
                all: bool_value(q.all.as_deref()),
                limit,
                size: bool_value(q.size.as_deref()),
                filters: Filters::from_json(q.filters.as_deref().unwrap_or(""))?,
            };
            Ok(Json(engine.container_list(&opts)?))
        })
        .await
}
