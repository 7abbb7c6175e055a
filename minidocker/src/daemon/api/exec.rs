//! `docker exec` through the API: `POST /containers/{id}/exec` (create), `POST
//! /exec/{id}/start` (run it, its output on the taken-over connection as multiplexed frames,
//! or detached), `GET /exec/{id}/json` (its state and exit code). Each exec runs in its own
//! `minidocker exec-helper` process (see [`crate::exec`]).

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ApiJson;
use super::{ApiError, AppState, Upgrade, find_container};
use crate::container::generate_id;
use crate::exec::{ExecSpec, SPEC_ENV};
use crate::logs::{Stream, frame};

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
}

/// The daemon's execs, by id.
#[derive(Debug, Clone, Default)]
pub struct Execs(Arc<Mutex<HashMap<String, ExecRecord>>>);

impl Execs {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, ExecRecord>) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/containers/{id}/exec", post(create))
        .route("/exec/{id}/start", post(start))
        .route("/exec/{id}/json", get(inspect))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct CreateBody {
    attach_stdin: bool,
    attach_stdout: bool,
    attach_stderr: bool,
    tty: bool,
    env: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    user: String,
    working_dir: String,
    privileged: bool,
}

/// `POST /containers/{id}/exec`: 201 `{"Id": …}`; 409 for a container that is not running
/// or is paused (Docker's messages).
async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let cmd = body.cmd.clone().unwrap_or_default();
    if cmd.is_empty() {
        return Err(ApiError::bad_request("No exec command specified"));
    }
    if body.tty || body.attach_stdin {
        return Err(ApiError::bad_request(
            "minidocker: exec with -i or -t is not supported yet",
        ));
    }
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
                    "tty": false,
                    "entrypoint": cmd[0],
                    "arguments": cmd[1..],
                    "privileged": false,
                    "user": body.user,
                }),
                open_stdin: false,
                open_stderr: body.attach_stderr,
                open_stdout: body.attach_stdout,
                can_remove: false,
                container_id: c.id.clone(),
                detach_keys: String::new(),
                pid: 0,
                spec: ExecSpec {
                    cmd: cmd.clone(),
                    env: body.env.unwrap_or_default(),
                    user: body.user,
                    working_dir: body.working_dir,
                },
                started: false,
            };
            execs.with(|m| m.insert(exec_id.clone(), record));
            engine.container_event(
                &c,
                &format!("exec_create: {}", cmd.join(" ")),
                &[("execID", exec_id.clone())],
            );
            Ok((StatusCode::CREATED, Json(json!({ "Id": exec_id }))))
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct StartBody {
    detach: bool,
    tty: bool,
}

/// Starts the helper for `record`: its output as frames on `tx`, its exit in the record.
fn spawn_helper(
    state: &AppState,
    record: &ExecRecord,
    tx: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
) -> Result<(), ApiError> {
    let spec = serde_json::to_string(&record.spec).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut child = state
        .helper_command("exec-helper", &record.container_id)
        .env(SPEC_ENV, spec)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| ApiError::internal(format!("starting the exec helper: {e}")))?;
    let pid = child.id() as i32;
    let id = record.id.clone();
    state.execs.with(|m| {
        if let Some(r) = m.get_mut(&id) {
            r.running = true;
            r.pid = pid;
        }
    });
    let copy = |pipe: Option<Box<dyn Read + Send>>,
                stream: Stream,
                tx: Option<tokio::sync::mpsc::Sender<Vec<u8>>>| {
        std::thread::spawn(move || {
            let Some(mut pipe) = pipe else { return };
            let mut buf = [0u8; 8192];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                if let Some(tx) = &tx {
                    let _ = tx.blocking_send(frame(stream, &buf[..n]));
                }
            }
        })
    };
    let out = copy(
        child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
        Stream::Stdout,
        tx.clone(),
    );
    let err = copy(
        child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
        Stream::Stderr,
        tx.clone(),
    );
    let (execs, data_root) = (state.execs.clone(), state.data_root.clone());
    std::thread::spawn(move || {
        let _ = out.join();
        let _ = err.join();
        let code = child.wait().ok().and_then(|s| s.code()).unwrap_or(-1);
        let container = execs.with(|m| {
            m.get_mut(&id).map(|r| {
                r.running = false;
                r.exit_code = Some(code);
                r.container_id.clone()
            })
        });
        if let (Some(cid), Ok(engine)) = (container, crate::engine::Engine::open(&data_root))
            && let Ok(c) = engine.containers.load(&cid)
        {
            engine.container_event(
                &c,
                "exec_die",
                &[("execID", id.clone()), ("exitCode", code.to_string())],
            );
        }
        drop(tx); // the last frame is sent: the stream ends
    });
    Ok(())
}

/// `POST /exec/{id}/start`: taken over (101) and streamed, or 200 at once when detached.
async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    upgrade: Upgrade,
    ApiJson(body): ApiJson<StartBody>,
) -> Result<Response, ApiError> {
    if body.tty {
        return Err(ApiError::bad_request(
            "minidocker: exec with -t is not supported yet",
        ));
    }
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
    let cmd = record.spec.cmd.join(" ");
    let exec_id = record.id.clone();
    let _ = events_state
        .blocking(move |engine| {
            if let Ok(c) = engine.containers.load(&cid) {
                engine.container_event(&c, &format!("exec_start: {cmd}"), &[("execID", exec_id)]);
            }
            Ok(())
        })
        .await;
    if body.detach {
        spawn_helper(&state, &record, None)?;
        return Ok(StatusCode::OK.into_response());
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    spawn_helper(&state, &record, Some(tx))?;
    Ok(super::raw_stream(upgrade, rx))
}

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
