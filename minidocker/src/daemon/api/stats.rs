//! `GET /containers/{id}/stats?stream=&one-shot=`: chapter 6's counters in Docker's
//! `StatsJSON`, one object a second while streaming (with the previous second's CPU counters
//! as `precpu_stats`, which the CPU % is computed from), or one object.

use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::params::bool_value;
use super::{ApiError, AppState, find_container, streamed};

/// Docker's sampling interval.
const INTERVAL: Duration = Duration::from_secs(1);

pub fn routes() -> Router<AppState> {
    Router::new().route("/containers/{id}/stats", get(stats))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatsQuery {
    stream: Option<String>,
    #[serde(rename = "one-shot")]
    one_shot: Option<String>,
}

async fn stats(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Result<Response, ApiError> {
    let stream = q.stream.as_deref().is_none_or(|v| bool_value(Some(v)));
    let one_shot = bool_value(q.one_shot.as_deref());
    let container = state.blocking(move |engine| find_container(engine, &id)).await?;
    let engine = state.engine();
    let body = streamed(move |tx| {
        let line = |s: &crate::engine::ContainerStats| {
            let mut bytes = serde_json::to_vec(s).unwrap_or_default();
            bytes.push(b'\n');
            bytes
        };
        let mut previous = None;
        if !stream && !one_shot {
            // one object, but with a second's CPU time behind it
            previous = Some(engine.container_stats(&container, None));
            std::thread::sleep(INTERVAL);
        }
        loop {
            let current = engine
                .containers
                .load(&container.id)
                .unwrap_or_else(|_| container.clone());
            let sample = engine.container_stats(&current, previous.as_ref());
            if tx.blocking_send(line(&sample)).is_err() || !stream || !engine.is_running(&current) {
                return;
            }
            previous = Some(sample);
            std::thread::sleep(INTERVAL);
        }
    });
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}
