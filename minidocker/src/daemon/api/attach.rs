//! `attach` and `resize` (chapter 8): a client joins a container's streams, its output from the
//! json-file log the shim writes, its input (`stdin=1`, for a container created with `-i`)
//! into the stdin FIFO the shim's I/O process reads ([`crate::container_io`]), and with a
//! terminal (`-t`) the window size through the resize FIFO.
//!
//! ```text
//!  docker run -it:  create  ─▶ attach (101, stays open) ─▶ wait ─▶ start ─▶ resize h w
//!  client input ──▶ detach keys? ──▶ containers/<id>/stdin ──▶ I/O process ──▶ pty master
//!  client ◀── raw bytes (frames without -t) ◀── <id>-json.log ◀── I/O process ◀── master
//! ```

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::hijack::{InputEnd, Session, SessionEnd, copy_input, take_over};
use super::lifecycle::{LogsQuery, open_log, pump};
use super::params::{bool_value, required_int};
use super::record_watch::POLL;
use super::{ApiError, AppState, Upgrade, find_container};
use crate::container::Container;
use crate::container_io::{open_stdin_writer, request_resize};
use crate::detach_keys::{DetachKeys, EscapeScanner};
use crate::engine::Engine;
use crate::terminal::WindowSize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/containers/{id}/attach", post(attach))
        .route("/containers/{id}/resize", post(resize))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct AttachQuery {
    stdin: String,
    stdout: String,
    stderr: String,
    stream: String,
    logs: String,
    detach_keys: String,
}

/// The detach keys of an `attach` or `exec`, or dockerd's answer to keys it cannot read.
pub(super) fn detach_keys(given: &str, message: &str) -> Result<DetachKeys, ApiError> {
    DetachKeys::or_default(given).map_err(|_| ApiError::bad_request(format!("{message} ({given}) provided")))
}

// ANCHOR: attach
/// `POST /containers/{id}/attach?stream=1&stdin=1&stdout=1&stderr=1&detachKeys=`: the
/// connection is taken over (HTTP 101) and carries the container's output until it exits
/// (as multiplexed frames; raw with a terminal), and the client's input to the container's
/// stdin if it was created with `-i`.
async fn attach(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<AttachQuery>,
    upgrade: Upgrade,
) -> Result<Response, ApiError> {
    let keys = detach_keys(&q.detach_keys, "Invalid detach keys")?;
    let ended = state.ended.clone();
    let (container, reader) = state
        .blocking(move |engine| {
            let c = find_container(engine, &id)?;
            let mut reader = open_log(engine, &c.id, "", true)?;
            engine.container_event(&c, "attach", &[]);
            if !bool_value(Some(&q.logs)) {
                reader
                    .seek_to_end()
                    .map_err(|e| ApiError::internal(e.to_string()))?;
            }
            // attached before a start (`docker start -a`): the end of an earlier run is
            // not the end of this attach
            if !engine.is_running(&c) && !c.state.restarting {
                ended.forget(&c.id);
            }
            Ok((c, (reader, q)))
        })
        .await?;
    let (reader, q) = reader;
    let with_input = bool_value(Some(&q.stdin)) && container.config.stdio.open_stdin;
    let (response, Session { output, input, end }) = take_over(upgrade, with_input);
    let opts = LogsQuery {
        stdout: q.stdout,
        stderr: q.stderr,
        follow: q.stream.clone(),
        ..LogsQuery::default()
    };
    let follow = bool_value(Some(&q.stream));
    let pump_state = state.clone();
    let id = container.id.clone();
    tokio::task::spawn_blocking(move || {
        pump(
            &pump_state.engine(),
            &id,
            reader,
            follow,
            Some(&pump_state.ended),
            &opts,
            &output,
        );
        // dropping `output` ends the connection
    });
    if let Some(input) = input {
        let engine = state.engine();
        tokio::task::spawn_blocking(move || feed_stdin(&engine, &container, input, keys, &end));
    }
    Ok(response)
}
// ANCHOR_END: attach

// ANCHOR: feed_stdin
/// The client's input into the container's stdin FIFO, once its shim is there to read it.
/// The detach keys (with a terminal) end the attach and leave the container running; the
/// client closing its input closes the container's stdin too if it was created to
/// (`StdinOnce`, not with a terminal: `echo hi | docker run -i`), else ends the attach, as
/// dockerd does.
fn feed_stdin(
    engine: &Engine,
    container: &Container,
    mut input: mpsc::Receiver<Vec<u8>>,
    keys: DetachKeys,
    end: &SessionEnd,
) {
    let stdio = container.config.stdio;
    let dir = engine.containers.dir(&container.id);
    let mut fifo = match open_stdin_writer(&dir, POLL, || end.is_ended()) {
        Ok(Some(fifo)) => fifo,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(container = %container.id, error = %e, "attaching stdin");
            end.end();
            return;
        }
    };
    let scanner = stdio.tty.then(|| EscapeScanner::new(keys));
    let ended = copy_input(&mut input, &mut fifo, scanner);
    // the FIFO closes here: with StdinOnce, the container reads EOF
    drop(fifo);
    match ended {
        InputEnd::Detached => {
            engine.container_event(container, "detach", &[]);
            end.end();
        }
        _ if stdio.stdin_once && !stdio.tty => {} // its output goes on until it exits
        InputEnd::Closed | InputEnd::Refused => end.end(),
    }
}
// ANCHOR_END: feed_stdin

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ResizeQuery {
    h: Option<String>,
    w: Option<String>,
}

impl ResizeQuery {
    /// `h` rows and `w` columns as dockerd reads them (`strconv.Atoi`, then cut to 16 bits on
    /// the way to the kernel, as Go's conversion does).
    pub(super) fn size(&self) -> Result<WindowSize, ApiError> {
        let rows = required_int(self.h.as_deref())?;
        let cols = required_int(self.w.as_deref())?;
        Ok(WindowSize {
            rows: rows as u16,
            cols: cols as u16,
        })
    }
}

/// `POST /containers/{id}/resize?h=&w=`: the size of the container's terminal (TIOCSWINSZ in
/// its shim's I/O process), and a `resize` event; 200, also without a terminal (nothing to
/// do); 409 if it is not running.
async fn resize(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ResizeQuery>,
) -> Result<StatusCode, ApiError> {
    let size = q.size()?;
    state
        .blocking(move |engine| {
            let c = find_container(engine, &id)?;
            if !engine.is_running(&c) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("Container {} is not running", c.id),
                ));
            }
            if c.config.stdio.tty {
                request_resize(&engine.containers.dir(&c.id), size)
                    .map_err(|e| ApiError::internal(e.to_string()))?;
            }
            let (height, width) = (size.rows.to_string(), size.cols.to_string());
            engine.container_event(&c, "resize", &[("height", height), ("width", width)]);
            Ok(StatusCode::OK)
        })
        .await
}
