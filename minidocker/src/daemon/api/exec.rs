//! `docker exec` through the API: `POST /containers/{id}/exec` (create), `POST
//! /exec/{id}/start` (run it, its streams on the taken-over connection, or detached),
//! `POST /exec/{id}/resize` (its terminal's size), `GET /exec/{id}/json` (its state and exit
//! code). Each exec runs in its own `minidocker exec-helper` process (see [`crate::exec`]),
//! wired to the client by [`super::exec_io`].

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::RngCore;
use serde::Serialize;
use serde_json::{Value, json};

use super::attach::{ResizeQuery, detach_keys};
use super::error::ApiJson;
use super::exec_io::spawn_helper;
use super::hijack::take_over;
use super::record_watch::POLL;
use super::{ApiError, AppState, Upgrade, find_container};
use crate::api_types::{ExecCreateBody, ExecStartBody};
use crate::container::generate_id;
use crate::exec::ExecSpec;
use crate::terminal::{WindowSize, set_window_size};

/// How long a resize waits for its exec to start (dockerd's).
const EXEC_START_TIMEOUT: Duration = Duration::from_secs(10);

/// An exec the daemon knows (in memory, as dockerd keeps them).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecRecord {
    #[serde(rename = "ID")]
    pub id: String,
    pub running: bool,
    pub exit_code: Option<i32>,
    pub process_config: Value,
    pub open_stdin: bool,
    pub open_stderr: bool,
    pub open_stdout: bool,
    pub can_remove: bool,
    #[serde(rename = "ContainerID")]
    pub container_id: String,
    pub detach_keys: String,
    pub pid: i32,
    #[serde(skip)]
    spec: ExecSpec,
    #[serde(skip)]
    started: bool,
    /// `-t`: the command's stdio is a terminal.
    #[serde(skip)]
    tty: bool,
    /// With `-t`, once the helper has sent it: the terminal's master (for resizes).
    #[serde(skip)]
    pub(super) terminal: Option<Arc<OwnedFd>>,
    /// The size asked for last (a resize may come before the terminal).
    #[serde(skip)]
    pub(super) size: Option<WindowSize>,
}

impl ExecRecord {
    pub(super) fn spec(&self) -> &ExecSpec {
        &self.spec
    }

    pub(super) fn tty(&self) -> bool {
        self.tty
    }
}

/// The daemon's execs, by id.
#[derive(Debug, Clone, Default)]
pub struct Execs(Arc<Mutex<HashMap<String, ExecRecord>>>);

impl Execs {
    pub(super) fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, ExecRecord>) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The helper of exec `id` runs as `pid`.
    pub(super) fn started(&self, id: &str, pid: i32) {
        self.with(|m| {
            if let Some(r) = m.get_mut(id) {
                r.running = true;
                r.pid = pid;
            }
        });
    }

    /// Exec `id` has exited with `code`.
    pub(super) fn ended(&self, id: &str, code: i32) {
        self.with(|m| {
            if let Some(r) = m.get_mut(id) {
                r.running = false;
                r.exit_code = Some(code);
            }
        });
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/containers/{id}/exec", post(create))
        .route("/exec/{id}/start", post(start))
        .route("/exec/{id}/resize", post(resize))
        .route("/exec/{id}/json", get(inspect))
}

/// `POST /containers/{id}/exec`: 201 `{"Id": …}`; 409 for a container that is not running
/// or is paused (Docker's messages).
async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ExecCreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let cmd = body.cmd.clone().unwrap_or_default();
    if cmd.is_empty() {
        return Err(ApiError::bad_request("No exec command specified"));
    }
    // dockerd's words and status for keys it cannot read
    detach_keys(&body.detach_keys, "Invalid escape keys").map_err(|e| ApiError::internal(e.message))?;
    if body.privileged {
        return Err(ApiError::bad_request(
            "minidocker: exec --privileged is not supported yet",
        ));
    }
    let execs = state.execs.clone();
    state
        .blocking(move |engine| {
            let c = find_container(engine, &id)?;
            if !engine.is_running(&c) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("Container {} is not running", c.id),
                ));
            }
            if c.state.paused {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("Container {id} is paused, unpause the container before exec"),
                ));
            }
            let mut random = rand::rng();
            let exec_id = generate_id(|b| random.fill_bytes(b));
            let record = ExecRecord {
                id: exec_id.clone(),
                running: false,
                exit_code: None,
                process_config: json!({
                    "tty": body.tty,
                    "entrypoint": cmd[0],
                    "arguments": cmd[1..],
                    "privileged": false,
                    "user": body.user,
                }),
                open_stdin: body.attach_stdin,
                open_stderr: body.attach_stderr,
                open_stdout: body.attach_stdout,
                can_remove: false,
                container_id: c.id.clone(),
                detach_keys: body.detach_keys,
                pid: 0,
                spec: ExecSpec {
                    cmd: cmd.clone(),
                    env: body.env.unwrap_or_default(),
                    user: body.user,
                    working_dir: body.working_dir,
                    console_fd: None,
                },
                started: false,
                tty: body.tty,
                terminal: None,
                size: None,
            };
            execs.with(|m| m.insert(exec_id.clone(), record));
            engine.container_event(
                &c,
                &exec_action("exec_create", &cmd),
                &[("execID", exec_id.clone())],
            );
            Ok((StatusCode::CREATED, Json(json!({ "Id": exec_id }))))
        })
        .await
}

/// The action of an exec's `exec_create`/`exec_start` event as dockerd writes it: the
/// program, a space, then its arguments joined (`exec_start: true ` has the space too).
fn exec_action(kind: &str, cmd: &[String]) -> String {
    let (program, args) = cmd
        .split_first()
        .map(|(p, a)| (p.as_str(), a))
        .unwrap_or_default();
    format!("{kind}: {program} {}", args.join(" "))
}

/// `POST /exec/{id}/start`: taken over (101) and streamed, or 200 at once when detached.
async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    upgrade: Upgrade,
    // its `Tty` repeats the create's, which is what counts (as in dockerd)
    ApiJson(body): ApiJson<ExecStartBody>,
) -> Result<Response, ApiError> {
    let record = state.execs.with(|m| {
        let r = m.get_mut(&id)?;
        let already = r.started;
        r.started = true;
        Some((r.clone(), already))
    });
    let Some((record, already)) = record else {
        return Err(ApiError::not_found(format!("No such exec instance: {id}")));
    };
    if already {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("Error: Exec command {id} has already run"),
        ));
    }
    let events_state = state.clone();
    let cid = record.container_id.clone();
    let action = exec_action("exec_start", &record.spec.cmd);
    let exec_id = record.id.clone();
    let _ = events_state
        .blocking(move |engine| {
            if let Ok(c) = engine.containers.load(&cid) {
                engine.container_event(&c, &action, &[("execID", exec_id)]);
            }
            Ok(())
        })
        .await;
    let keys = detach_keys(&record.detach_keys, "Invalid escape keys")?;
    if body.detach {
        spawn_helper(&state, &record, None, keys)?;
        return Ok(StatusCode::OK.into_response());
    }
    let (response, session) = take_over(upgrade, record.open_stdin);
    spawn_helper(&state, &record, Some(session), keys)?;
    Ok(response)
}

// ANCHOR: exec_resize
/// `POST /exec/{id}/resize?h=&w=`: the size of the exec's terminal; 200 (also without one).
/// As dockerd, it waits up to 10 s for the exec to start; 404 `no such exec` once it ended.
async fn resize(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ResizeQuery>,
) -> Result<StatusCode, ApiError> {
    let size = q.size()?;
    let execs = state.execs.clone();
    let waited = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + EXEC_START_TIMEOUT;
        loop {
            let resized = execs.with(|m| {
                let r = m.get_mut(&id)?;
                if !r.running && r.exit_code.is_none() {
                    return Some(None); // not started yet
                }
                if !r.running {
                    return Some(Some(Err(ApiError::not_found("no such exec"))));
                }
                r.size = Some(size);
                let set = match &r.terminal {
                    Some(master) => {
                        set_window_size(master.as_fd(), size).map_err(|e| ApiError::internal(e.to_string()))
                    }
                    None => Ok(()),
                };
                Some(Some(set.map(|()| StatusCode::OK)))
            });
            match resized {
                None => return Err(ApiError::not_found(format!("No such exec instance: {id}"))),
                Some(Some(answer)) => return answer,
                Some(None) if Instant::now() >= deadline => {
                    return Err(ApiError::internal("timeout waiting for exec session ready"));
                }
                Some(None) => std::thread::sleep(POLL),
            }
        }
    });
    waited
        .await
        .map_err(|e| ApiError::internal(format!("resize task failed: {e}")))?
}
// ANCHOR_END: exec_resize

/// `GET /exec/{id}/json`.
async fn inspect(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ExecRecord>, ApiError> {
    state
        .execs
        .with(|m| m.get(&id).cloned())
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("No such exec instance: {id}")))
}
