//! `/containers/{id}/archive?path=`: `docker cp` in both directions.
//!
//! ```text
//!  HEAD  → 200, X-Docker-Container-Path-Stat: base64({"name","size","mode","mtime","linkTarget"})
//!  GET   → the same header, and the path as a tar (application/x-tar)
//!  PUT   ← a tar (plain or gzip) extracted into the directory `path`
//!          (`noOverwriteDirNonDir`, `copyUIDGID`), running container or not
//! ```
//!
//! The engine does the work (`archive_path.rs`, `extract_to_dir.rs`), every path confined to
//! the container's root filesystem.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::blocking_io::{BodyReader, first_word_decides};
use super::params::bool_value;
use super::{ApiError, AppState};
use crate::engine::ExtractOptions;

/// The header `docker cp` reads the path's stat from.
pub const PATH_STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

pub fn routes() -> Router<AppState> {
    Router::new().route("/containers/{id}/archive", get(archive).head(stat).put(extract))
}

#[derive(Debug, Default, Deserialize)]
struct ArchiveQuery {
    path: Option<String>,
    #[serde(rename = "noOverwriteDirNonDir")]
    no_overwrite_dir_non_dir: Option<String>,
    #[serde(rename = "copyUIDGID")]
    copy_uid_gid: Option<String>,
}

impl ArchiveQuery {
    /// The path, or Docker's 400 (its message, missing space included).
    fn path(&self) -> Result<String, ApiError> {
        self.path
            .clone()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| ApiError::bad_request("bad parameter: pathcannot be empty"))
    }
}

fn with_stat(mut response: Response, stat: String) -> Response {
    if let Ok(value) = HeaderValue::from_str(&stat) {
        response.headers_mut().insert(PATH_STAT_HEADER, value);
    }
    response
}

// ANCHOR: stat
/// `HEAD …/archive?path=`: the stat header only; 404 `Could not find the file …`.
async fn stat(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ArchiveQuery>,
) -> Result<Response, ApiError> {
    let path = q.path()?;
    let stat = state
        .blocking(move |engine| Ok(engine.container_archive_path(&id, &path)?.stat().header_value()))
        .await?;
    Ok(with_stat(StatusCode::OK.into_response(), stat))
}
// ANCHOR_END: stat

// ANCHOR: archive
/// `GET …/archive?path=`: the stat header and the path as a tar. The path is located (and its
/// stat taken) before the first byte, so a missing one is an ordinary 404.
async fn archive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ArchiveQuery>,
) -> Response {
    let path = match q.path() {
        Ok(path) => path,
        Err(e) => return e.into_response(),
    };
    let (stat_tx, mut stat_rx) = tokio::sync::oneshot::channel();
    let response = first_word_decides(&state, "application/x-tar", move |engine, body| {
        let located = engine.container_archive_path(&id, &path)?;
        let _ = stat_tx.send(located.stat().header_value());
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, body);
        located.write_tar(&mut out)?;
        std::io::Write::flush(&mut out).map_err(|e| ApiError::internal(e.to_string()))
    })
    .await;
    // sent before the first byte of the tar, which `first_word_decides` waited for
    match stat_rx.try_recv() {
        Ok(stat) if response.status() == StatusCode::OK => with_stat(response, stat),
        _ => response,
    }
}
// ANCHOR_END: archive

// ANCHOR: extract
/// `PUT …/archive?path=&noOverwriteDirNonDir=&copyUIDGID=`: the body (a tar) extracted into
/// the directory `path`; 200 with no body.
async fn extract(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ArchiveQuery>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let path = q.path()?;
    let opts = ExtractOptions {
        no_overwrite_dir_non_dir: bool_value(q.no_overwrite_dir_non_dir.as_deref()),
        copy_uid_gid: bool_value(q.copy_uid_gid.as_deref()),
    };
    let tar = BodyReader::new(body);
    state
        .blocking(move |engine| {
            engine.extract_to_container(&id, &path, tar, opts)?;
            Ok(StatusCode::OK)
        })
        .await
}
// ANCHOR_END: extract
