//! A container's life through the API: create, start (a shim per container), wait, kill,
//! stop, remove, and its output (logs, attach) from the json-file log the shim writes.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiJson;
use super::params::bool_value;
use super::record_watch::{Bells, RecordWatch};
use super::{ApiError, AppState, find_container, streamed};
use crate::api_types::ContainerCreateBody;
use crate::container::{Container, ContainerError, ContainerStdio, ZERO_TIME};
use crate::engine::network::NetworkRunOptions;
use crate::engine::volumes::MountRequest;
use crate::engine::{ContainerOptions, Engine, EngineError, RunError, RunOptions};
use crate::log_config::LogConfig;
use crate::logs::{LogEntry, LogReader, Stream, frame, log_path, unlogged_output_path};
use crate::signals::{self, parse_signal};

/// The containers whose shim (started by this daemon) has ended, and their exit codes: what
/// `wait` answers for a container `--rm` has already removed, and how `attach` knows the
/// log is complete (the shim ends only after it has copied the last output). A note rings
/// the bells of the container's waiters ([`RecordWatch::hearing_shim_end`]).
#[derive(Debug, Clone, Default)]
pub struct EndedShims {
    codes: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, i32>>>,
    bells: Bells,
}

impl EndedShims {
    fn record(&self, id: &str, code: i32) {
        self.codes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned(), code);
        self.bells.ring(id);
    }

    pub(super) fn get(&self, id: &str) -> Option<i32> {
        self.codes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .copied()
    }

    pub(super) fn forget(&self, id: &str) {
        self.codes.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }

    /// A watch of container `id`'s directory that also hears this daemon note its shim's end.
    pub(super) fn watch(&self, dir: &std::path::Path, id: &str) -> RecordWatch {
        RecordWatch::new(dir).hearing_shim_end(&self.bells, id)
    }
}

/// How long after its record stopped saying running a container whose shim an earlier
/// daemon started (so not in [`EndedShims`]) is taken to have ended, its last output logged.
const EARLIER_SHIM_GRACE: Duration = Duration::from_secs(2);

/// How long a start waits for the shim of the container's last run to end.
pub const SHIM_DECISION: Duration = Duration::from_secs(10);
/// How long a wait that saw the record go gives the rest of the directory to go too.
const REMOVAL_GRACE: Duration = Duration::from_secs(10);
/// How long `start` waits for the shim to report the container running (or failed).
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/containers/create", post(create))
        .route("/containers/{id}/start", post(start))
        .route("/containers/{id}/wait", post(wait))
        .route("/containers/{id}/kill", post(kill))
        .route("/containers/{id}/stop", post(stop))
        .route("/containers/{id}/restart", post(restart))
        .route("/containers/{id}/pause", post(pause))
        .route("/containers/{id}/unpause", post(unpause))
        .route("/containers/{id}", axum::routing::delete(remove))
        .route("/containers/{id}/logs", get(logs))
}

/// `run`'s errors as the API's: missing things 404, name conflicts 409, the rest 400
/// (Docker's create and start answer "invalid parameter" for bad configuration).
fn run_error(e: RunError) -> ApiError {
    let status = if e.message.starts_with("No such") || e.message.contains("not found") {
        StatusCode::NOT_FOUND
    } else if e.message.starts_with("Conflict") {
        StatusCode::CONFLICT
    } else if e.message.starts_with("invalid volume specification") || e.message.starts_with("invalid mode: ")
    {
        // dockerd 20.10's untyped errors of its -v parser
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    ApiError::new(status, e.message)
}

#[derive(Debug, Default, Deserialize)]
struct NameQuery {
    #[serde(default)]
    name: Option<String>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message)
}

/// `Entrypoint` as Docker's `strslice` reads it: `null` (not given), a list of strings, or
/// one string (one argument, not split).
fn entrypoint(value: Option<Value>) -> Result<Option<Vec<String>>, ApiError> {
    let type_error = |kind: &str| {
        bad(format!(
            "json: cannot unmarshal {kind} into Go struct field ContainerConfigWrapper.Entrypoint of type string"
        ))
    };
    let kind = |v: &Value| match v {
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        _ => "string",
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(one)) => Ok(Some(vec![one])),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                other => Err(type_error(kind(&other))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(type_error(kind(&other))),
    }
}

/// The create body as `run`'s options, checked the way dockerd checks them; `daemon_logs`
/// is the daemon's default log driver and options.
fn run_options(
    body: ContainerCreateBody,
    name: Option<String>,
    daemon_logs: &LogConfig,
) -> Result<(RunOptions, ContainerOptions), ApiError> {
    if body.image.is_empty() {
        return Err(bad("No image specified"));
    }
    let host = body.host_config.unwrap_or_default();
    let more = ContainerOptions {
        entrypoint: entrypoint(body.entrypoint)?,
        labels: body.labels.unwrap_or_default(),
        stop_signal: body.stop_signal,
        stop_timeout: body.stop_timeout,
        log_config: host
            .log_config
            .clone()
            .unwrap_or_default()
            .with_defaults(daemon_logs),
        init: host.init,
        kernel_memory: host.kernel_memory,
        mounts: MountRequest {
            binds: host.binds.clone().unwrap_or_default(),
            mounts: host.mounts.clone().unwrap_or_default(),
            tmpfs: host.tmpfs.clone().unwrap_or_default(),
            volumes: body.volumes.clone().unwrap_or_default().into_keys().collect(),
        },
        stdio: Some(ContainerStdio {
            attach_stdin: body.attach_stdin,
            attach_stdout: body.attach_stdout,
            attach_stderr: body.attach_stderr,
            tty: body.tty,
            open_stdin: body.open_stdin,
            stdin_once: body.stdin_once,
        }),
    };
    // here, not only in the engine: "plugin … not found" must not read as a missing image
    more.log_config.validate().map_err(|e| bad(e.to_string()))?;
    let mut resources = host.resources();
    // dockerd's adaptContainerSettings: a zero or negative pids limit is no limit (`null`)
    resources.pids_limit = resources.pids_limit.filter(|n| *n > 0);
    let mut publish = Vec::new();
    for (key, bindings) in host.port_bindings.unwrap_or_default() {
        for binding in bindings.unwrap_or_default() {
            publish.extend(binding.mappings(&key).map_err(|e| bad(e.to_string()))?);
        }
    }
    let mut extra_hosts = Vec::new();
    for entry in host.extra_hosts.unwrap_or_default() {
        let (h, ip) = entry
            .split_once(':')
            .ok_or_else(|| bad(format!("invalid extra host: {entry}")))?;
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| bad(format!("invalid IP address in add-host: {ip:?}")))?;
        extra_hosts.push((h.to_owned(), ip));
    }
    let dns = host
        .dns
        .unwrap_or_default()
        .iter()
        .map(|d| {
            d.parse::<IpAddr>()
                .map_err(|_| bad(format!("{d} is not an ip address")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mode = match host.network_mode.as_str() {
        "default" => String::new(),
        m => m.to_owned(),
    };
    let endpoint = body
        .networking_config
        .and_then(|n| n.endpoints_config)
        .and_then(|mut e| {
            e.remove(if mode.is_empty() { "bridge" } else { &mode })
                .or_else(|| e.into_values().next())
        })
        .unwrap_or_default();
    let ip = match endpoint
        .ipam_config
        .and_then(|c| c.get("IPv4Address").cloned())
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(raw) => Some(
            raw.parse::<Ipv4Addr>()
                .map_err(|_| bad(format!("invalid IPv4 address: {raw}")))?,
        ),
    };
    let opts = RunOptions {
        image: body.image,
        command: body.cmd.unwrap_or_default(),
        name,
        hostname: Some(body.hostname).filter(|h| !h.is_empty()),
        env: body.env.unwrap_or_default(),
        workdir: Some(body.working_dir).filter(|w| !w.is_empty()),
        user: Some(body.user).filter(|u| !u.is_empty()),
        interactive: body.open_stdin,
        auto_remove: host.auto_remove,
        resources,
        cgroup_parent: host.cgroup_parent,
        network: NetworkRunOptions {
            mode,
            ip,
            aliases: endpoint.aliases.unwrap_or_default(),
            publish,
            publish_all: host.publish_all_ports,
            extra_hosts,
            dns,
            dns_search: host.dns_search.unwrap_or_default(),
            dns_options: host.dns_options.unwrap_or_default(),
        },
        expose: body.exposed_ports.unwrap_or_default().into_keys().collect(),
        restart_policy: host.restart_policy.unwrap_or_default(),
    };
    Ok((opts, more))
}

// ANCHOR: create
/// `POST /containers/create?name=`: 201 `{"Id": …, "Warnings": […]}`.
async fn create(
    State(state): State<AppState>,
    Query(q): Query<NameQuery>,
    ApiJson(body): ApiJson<ContainerCreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (opts, more) = run_options(body, q.name.filter(|n| !n.is_empty()), &state.config.log_config)?;
    let created = state
        .blocking(move |engine| {
            let mut warnings = engine.check_resources(&opts.resources, false)?.warnings;
            warnings.extend(engine.check_kernel_memory(more.kernel_memory)?.1);
            let id = engine.create_container_with(&opts, &more).map_err(run_error)?;
            Ok((StatusCode::CREATED, Json(json!({"Id": id, "Warnings": warnings}))))
        })
        .await;
    // the next --rm container's layers, made while this one starts (`spare_layers.rs`)
    state.refill_spare_layers();
    created
}
// ANCHOR_END: create

// ANCHOR: start_shim
/// Starts the shim of `container` and waits until the container runs or has failed.
pub fn start_shim(engine: &Engine, state: &AppState, container: &Container) -> Result<(), ApiError> {
    let dir = engine.containers.dir(&container.id);
    let shim_log = std::fs::File::create(dir.join(crate::shim::SHIM_LOG))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    // the spare shim started ahead, else one spawned now; the next spare once this one runs
    let mut child = match state
        .spare_shims
        .assign(&container.id, std::os::fd::AsFd::as_fd(&shim_log))
    {
        Some(spare) => spare,
        None => {
            let mut command = state.helper_command("shim", &container.id);
            command.stdout(std::process::Stdio::null()).stderr(shim_log);
            // (no pre_exec: the shim makes its own session, and the standard library can
            // spawn it with posix_spawn(3), without copying the daemon's page tables as
            // fork(2) would)
            command
                .spawn()
                .map_err(|e| ApiError::internal(format!("starting the shim: {e}")))?
        }
    };
    let _refill = RefillOnDrop(state);
    let started = std::time::Instant::now();
    // (the shim's end heard by its pidfd: what the loop looks at first)
    let mut changes = RecordWatch::new(&dir).hearing_exit_of(child.id());
    loop {
        // the shim's end first, the record after: a record read before an end seen next
        // could be from before the container started, of a container that ran and ended
        let exited = child.try_wait().ok().flatten();
        let now = engine.containers.load(&container.id).ok();
        match &now {
            Some(c) if c.state.running => break,
            Some(c)
                if c.state.started_at != ZERO_TIME && c.state.started_at != container.state.started_at =>
            {
                break;
            }
            None if exited.is_some() => break, // ran and was removed (--rm)
            _ => {}
        }
        if exited.is_some() {
            let error = now.map(|c| c.state.error).unwrap_or_default();
            // Ended already: note it and remove a --rm container now, as dockerd does when
            // a start fails.
            shim_ended(engine, &state.ended, &container.id, exited.and_then(|s| s.code()));
            return Err(ApiError::bad_request(if error.is_empty() {
                "the container's shim exited before the container started".to_owned()
            } else {
                error
            }));
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(ApiError::internal("the container did not start in time"));
        }
        changes.wait();
    }
    // Reap the shim when it ends (it outlives us if we go first), note the exit, and
    // remove the container if it was created with --rm (AutoRemove), as dockerd does.
    when_shim_ends(state, &container.id, move || {
        child.wait().ok().and_then(|s| s.code())
    });
    Ok(())
}
// ANCHOR_END: start_shim

/// Starts the next spare shim when a start is done with the last one, whatever its outcome.
struct RefillOnDrop<'a>(&'a AppState);

impl Drop for RefillOnDrop<'_> {
    fn drop(&mut self) {
        self.0.refill_spare_shim();
    }
}

/// [`shim_ended`] for container `id`, on a thread of its own, once `wait_for_end` (which
/// waits for the container's shim to end) has returned the shim's exit code, if it knows it.
pub fn when_shim_ends(
    state: &AppState,
    id: &str,
    wait_for_end: impl FnOnce() -> Option<i32> + Send + 'static,
) {
    let (id, engine, ended) = (id.to_owned(), state.engine(), state.ended.clone());
    std::thread::spawn(move || {
        let shim_code = wait_for_end();
        shim_ended(&engine, &ended, &id, shim_code);
    });
}

// ANCHOR: shim_ended
/// What follows the end of a container's shim: its exit code noted (the record's, else the
/// shim's), then, for a `--rm` container, its removal.
fn shim_ended(engine: &Engine, ended: &EndedShims, id: &str, shim_code: Option<i32>) {
    let code = engine
        .containers
        .load(id)
        .map(|c| c.state.exit_code)
        .unwrap_or_else(|_| shim_code.unwrap_or(-1));
    let auto_remove = engine.start_spec(id).is_ok_and(|o| o.auto_remove);
    ended.record(id, code);
    // dockerd's AutoRemove takes the anonymous volumes too (`RemoveVolume: true`)
    // An `rm -f` may have killed it and be removing it now, or be done already.
    if auto_remove
        && let Err(e) = engine.remove_container_with_volumes(id, true, true)
        && !matches!(
            e,
            EngineError::Container(ContainerError::RemovalInProgress(_) | ContainerError::NotFound(_))
        )
    {
        tracing::warn!(container = %id, error = %e, "auto-removing");
    }
}
// ANCHOR_END: shim_ended

fn host_config(engine: &Engine, id: &str) -> Result<crate::container::HostConfig, ApiError> {
    engine
        .containers
        .host_config(id)
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// What a container cannot start with, found before its shim runs: a log configuration it
/// cannot write (`max-size=abc`: dockerd's 500) or `--network container:X` with X not
/// running (dockerd's 409). As dockerd does when a start fails, the container is left
/// `created` with exit code 128 and the reason in `State.Error`, or removed if it was
/// created with `--rm`.
fn refuse_unstartable(engine: &Engine, ended: &EndedShims, container: &Container) -> Result<(), ApiError> {
    let log_config = host_config(engine, &container.id)?.log_config;
    let refusal = match log_config.output() {
        Err(e) => ApiError::internal(e.to_string()),
        Ok(_) => {
            let opts = engine.start_spec(&container.id).map_err(run_error)?;
            match engine
                .plan_network(&opts.network, false)
                .and_then(|plan| plan.check_joinable())
            {
                Err(e) => ApiError::from(e),
                Ok(()) => return Ok(()),
            }
        }
    };
    let mut failed = container.clone();
    failed.state.exit_code = 128;
    failed.state.error = refusal.message.clone();
    engine
        .containers
        .save(&failed)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    shim_ended(engine, ended, &container.id, None);
    Err(refusal)
}

/// `POST /containers/{id}/start`: 204; 304 if it is running already.
async fn start(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let shim_state = state.clone();
    state
        .blocking(move |engine| {
            let container = find_container(engine, &id)?;
            if engine.is_running(&container) {
                return Ok(StatusCode::NOT_MODIFIED);
            }
            refuse_unstartable(engine, &shim_state.ended, &container)?;
            shim_state.ended.forget(&container.id);
            let dir = engine.containers.dir(&container.id);
            // the shim of its last run first decides (on the markers) not to run it again
            crate::shim::wait_for_no_shim(&dir, SHIM_DECISION);
            for marker in [crate::shim::STOPPED_BY_USER, crate::shim::STOPPED_BY_DAEMON] {
                let _ = std::fs::remove_file(dir.join(marker));
            }
            start_shim(engine, &shim_state, &container)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
struct WaitQuery {
    #[serde(default)]
    condition: String,
}

// ANCHOR: wait
/// `POST /containers/{id}/wait?condition=not-running|next-exit|removed`: the headers go out
/// at once (clients wait for them before they start the container, as with dockerd), the
/// body `{"StatusCode": n, "Error": null}` when the condition is met.
async fn wait(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<WaitQuery>,
) -> Result<Response, ApiError> {
    let condition = if q.condition.is_empty() {
        "not-running".to_owned()
    } else {
        q.condition.clone()
    };
    if !["not-running", "next-exit", "removed"].contains(&condition.as_str()) {
        return Err(ApiError::bad_request(format!(
            "invalid condition: \"{condition}\""
        )));
    }
    let first = state.blocking(move |engine| find_container(engine, &id)).await?;
    let (engine, ended) = (state.engine(), state.ended.clone());
    let body = streamed(move |tx| {
        let code = wait_for(&engine, &first, &condition, &ended);
        let _ = tx.blocking_send(format!("{{\"Error\":null,\"StatusCode\":{code}}}\n").into_bytes());
    });
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}
// ANCHOR_END: wait

/// Blocks until `condition` holds for `first`; its exit code then.
fn wait_for(engine: &Engine, first: &Container, condition: &str, ended_shims: &EndedShims) -> i32 {
    let began = first.state.finished_at.clone();
    let mut code = first.state.exit_code;
    let mut dead_since: Option<std::time::Instant> = None;
    let mut changes = ended_shims.watch(&engine.containers.dir(&first.id), &first.id);
    loop {
        let Ok(now) = engine.containers.load(&first.id) else {
            // removed: that ends every condition; the shim's record has the code. Its record
            // goes before the rest of its directory: answer once all of it is gone, so a
            // `run --rm` that ends has left nothing.
            let removing = std::time::Instant::now();
            while engine.containers.dir(&first.id).exists() && removing.elapsed() < REMOVAL_GRACE {
                changes.wait();
            }
            return ended_shims.get(&first.id).unwrap_or(code);
        };
        code = now.state.exit_code;
        let ended = now.state.status == "exited" || now.state.status == "dead";
        // A process gone whose record still says running: its shim is about to record the
        // exit code; give it a moment (or it died too, then the record stays as it is).
        let recorded_or_abandoned = ended || {
            let gone = !engine.is_running(&now);
            if gone && dead_since.is_none() {
                dead_since = Some(std::time::Instant::now());
            }
            gone && (ended_shims.get(&first.id).is_some()
                || dead_since.is_some_and(|t| t.elapsed() > EARLIER_SHIM_GRACE))
        };
        let done = match condition {
            "not-running" => recorded_or_abandoned || now.state.status == "created",
            "next-exit" => ended && now.state.finished_at != began,
            _ => false,
        };
        if done {
            return code;
        }
        changes.wait();
    }
}

#[derive(Debug, Default, Deserialize)]
struct KillQuery {
    #[serde(default)]
    signal: String,
}

/// `POST /containers/{id}/kill?signal=`: 204; 409 if it is not running.
async fn kill(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<KillQuery>,
) -> Result<StatusCode, ApiError> {
    // `KILL`, `SIGKILL` or `9`; SIGKILL when not given
    let signal = match q.signal.as_str() {
        "" => libc::SIGKILL,
        raw => parse_signal(raw).map_err(|e| bad(e.to_string()))?,
    };
    state
        .blocking(move |engine| {
            // dockerd's kill prefixes every failure so (its status kept)
            let c = find_container(engine, &id).map_err(|e| {
                ApiError::new(e.status, format!("Cannot kill container: {id}: {}", e.message))
            })?;
            if !engine.is_running(&c) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("Cannot kill container: {id}: Container {} is not running", c.id),
                ));
            }
            signals::send(nix::unistd::Pid::from_raw(c.state.pid), signal)
                .map_err(|e| ApiError::internal(format!("kill {}: {e}", c.state.pid)))?;
            engine.container_event(&c, "kill", &[("signal", signal.to_string())]);
            engine.resume_after_signal(&c, signal)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
struct StopQuery {
    #[serde(default)]
    t: Option<String>,
}

impl StopQuery {
    /// `t` seconds (negative: for ever); `None` when not given: the container's own
    /// `StopTimeout`, else 10 s. A `t` that is not a number is dockerd's 500.
    fn timeout(&self) -> Result<Option<i64>, ApiError> {
        match self.t.as_deref() {
            None | Some("") => Ok(None),
            Some(raw) => raw
                .parse()
                .map(Some)
                .map_err(|_| ApiError::internal(format!("strconv.Atoi: parsing {raw:?}: invalid syntax"))),
        }
    }
}

/// `POST /containers/{id}/stop?t=10`: 204; 304 if it is not running.
async fn stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StopQuery>,
) -> Result<StatusCode, ApiError> {
    let timeout = q.timeout()?;
    state
        .blocking(move |engine| {
            let c = find_container(engine, &id)?;
            stop_container(engine, &c, timeout, true)
        })
        .await
}

// ANCHOR: stop_container
/// Docker's stop: the container's stop signal (`--stop-signal`, its image's STOPSIGNAL, else
/// SIGTERM), then SIGKILL if it still runs after `timeout` seconds (`None`: its
/// `--stop-timeout`, else 10; negative: no SIGKILL). `by_user`: a user's stop, after which
/// no restart policy starts it again (a daemon's shutdown is not one). 204, or 304 if it
/// was not running.
pub fn stop_container(
    engine: &Engine,
    c: &Container,
    timeout: Option<i64>,
    by_user: bool,
) -> Result<StatusCode, ApiError> {
    let mark_stopped = || {
        let marker = match by_user {
            true => crate::shim::STOPPED_BY_USER,
            false => crate::shim::STOPPED_BY_DAEMON,
        };
        let _ = std::fs::write(engine.containers.dir(&c.id).join(marker), "");
    };
    if !engine.is_running(c) {
        if c.state.restarting {
            // between two runs: its shim sees this, does not start it again and records it
            // exited; the answer waits for that, as dockerd's stop waits for not-running
            let mut changes = RecordWatch::new(&engine.containers.dir(&c.id));
            mark_stopped();
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while engine
                .containers
                .load(&c.id)
                .is_ok_and(|now| now.state.restarting)
                && std::time::Instant::now() < deadline
            {
                changes.wait();
            }
            engine.container_event(c, "stop", &[]);
            return Ok(StatusCode::NO_CONTENT);
        }
        return Ok(StatusCode::NOT_MODIFIED);
    }
    let mut changes = RecordWatch::new(&engine.containers.dir(&c.id));
    mark_stopped();
    let pid = nix::unistd::Pid::from_raw(c.state.pid);
    let signal = c.config.stop_signal();
    // the event first: the container may be gone (and its shim have said `die`) at once
    engine.container_event(c, "kill", &[("signal", signal.to_string())]);
    let _ = signals::send(pid, signal);
    let _ = engine.resume_after_signal(c, signal);
    let seconds = timeout.unwrap_or_else(|| c.config.stop_timeout());
    let deadline = u64::try_from(seconds)
        .ok()
        .map(|s| std::time::Instant::now() + Duration::from_secs(s));
    let mut gone_since = None;
    // Ended for good: its shim has recorded the exit (after its `die` event), or its process
    // has been gone a while with nobody to record it (a shim that died too).
    let mut ended = |engine: &Engine| {
        let Ok(now) = engine.containers.load(&c.id) else {
            return true; // removed
        };
        if !matches!(now.state.status.as_str(), "running" | "paused") || now.state.pid != c.state.pid {
            return true;
        }
        if engine.is_running(&now) {
            return false;
        }
        let since = *gone_since.get_or_insert_with(std::time::Instant::now);
        since.elapsed() > Duration::from_secs(2)
    };
    while deadline.is_none_or(|d| std::time::Instant::now() < d) {
        if ended(engine) {
            engine.container_event(c, "stop", &[]);
            return Ok(StatusCode::NO_CONTENT);
        }
        changes.wait();
    }
    engine.container_event(c, "kill", &[("signal", libc::SIGKILL.to_string())]);
    let _ = signals::send(pid, libc::SIGKILL);
    let _ = engine.resume_after_signal(c, libc::SIGKILL);
    let mut changes = RecordWatch::new(&engine.containers.dir(&c.id));
    while !ended(engine) {
        changes.wait();
    }
    // after its shim has recorded the exit (and said `die`), as dockerd orders them
    engine.container_event(c, "stop", &[]);
    Ok(StatusCode::NO_CONTENT)
}
// ANCHOR_END: stop_container

/// `POST /containers/{id}/restart?t=`: stop (as `stop` does), then start; 204.
async fn restart(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StopQuery>,
) -> Result<StatusCode, ApiError> {
    stop(State(state.clone()), Path(id.clone()), Query(q)).await?; // (its own timeout if no `t`)
    // (start waits for the shim of the stopped run to be gone)
    start(State(state.clone()), Path(id.clone())).await?;
    state
        .blocking(move |engine| {
            let c = find_container(engine, &id)?;
            engine.container_event(&c, "restart", &[]);
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// `POST /containers/{id}/pause`: the freezer (chapter 6); 204.
async fn pause(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |engine| {
            find_container(engine, &id)?;
            engine.pause_container(&id)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// `POST /containers/{id}/unpause`: 204.
async fn unpause(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |engine| {
            find_container(engine, &id)?;
            engine.unpause_container(&id)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
struct RemoveQuery {
    #[serde(default)]
    force: String,
    /// `rm -v`: its anonymous volumes too.
    #[serde(default)]
    v: String,
}

/// `DELETE /containers/{id}?force=&v=`: 204.
async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |engine| {
            find_container(engine, &id)?;
            engine.remove_container_with_volumes(&id, bool_value(Some(&q.force)), bool_value(Some(&q.v)))?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LogsQuery {
    pub(super) stdout: String,
    pub(super) stderr: String,
    pub(super) follow: String,
    pub(super) timestamps: String,
    pub(super) tail: String,
    /// Unix seconds (with a fraction) or RFC 3339, as `/events` takes them.
    pub(super) since: String,
    pub(super) until: String,
    pub(super) details: String,
}

/// A log entry's attributes as `--details` shows them before its line: `k=v,k2=v2`, sorted,
/// each part escaped as Go's `url.QueryEscape` escapes it.
fn details_prefix(attrs: Option<&std::collections::BTreeMap<String, String>>) -> String {
    let escape = |s: &str| crate::client::percent_encode(s).replace("%20", "+");
    attrs
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The container's log entries (for `logs` and `attach`), sent through `tx` until the
/// container is no longer running (with `follow`), the end of the file, or the client is
/// gone: as multiplexed frames, or raw for a container with a terminal (`-t`), whose one
/// stream the Docker CLI reads as it comes.
pub(super) fn pump(
    engine: &Engine,
    id: &str,
    mut reader: LogReader,
    follow: bool,
    attach: Option<&EndedShims>,
    opts: &LogsQuery,
    tx: &tokio::sync::mpsc::Sender<Vec<u8>>,
) {
    let wanted = |s: Stream| match s {
        Stream::Stdout => bool_value(Some(&opts.stdout)),
        Stream::Stderr => bool_value(Some(&opts.stderr)),
    };
    let timestamps = bool_value(Some(&opts.timestamps));
    let details = bool_value(Some(&opts.details));
    // (checked by the handler already)
    let since = super::events::parse_time(&opts.since).ok().flatten();
    let until = super::events::parse_time(&opts.until).ok().flatten();
    let nanos = |e: &LogEntry| {
        chrono::DateTime::parse_from_rfc3339(&e.time)
            .ok()
            .and_then(|t| t.timestamp_nanos_opt())
            .unwrap_or(0)
    };
    let raw = engine.containers.load(id).is_ok_and(|c| c.config.stdio.tty);
    let encode = |stream: Stream, bytes: &[u8]| match raw {
        true => bytes.to_vec(),
        false => frame(stream, bytes),
    };
    // attach: when the container was last seen running, and since when it is not
    let (mut seen_running, mut stopped_since) = (false, None::<std::time::Instant>);
    // Sends the entries wanted; false once the client is gone or `until` is passed.
    let send = |entries: Vec<LogEntry>| -> bool {
        for entry in entries.into_iter().filter(|e| wanted(e.stream)) {
            let t = nanos(&entry);
            if since.is_some_and(|s| t < s) {
                continue;
            }
            if until.is_some_and(|u| t > u) {
                return false;
            }
            let mut line = entry.log;
            if details {
                line = format!("{} {line}", details_prefix(entry.attrs.as_ref()));
            }
            if timestamps {
                line = format!("{} {line}", entry.time);
            }
            if tx.blocking_send(encode(entry.stream, line.as_bytes())).is_err() {
                return false;
            }
        }
        true
    };
    // (before the first read: output written after it wakes the first wait)
    let dir = engine.containers.dir(id);
    let mut changes = match attach {
        Some(shims) => shims.watch(&dir, id),
        None => RecordWatch::new(&dir),
    }
    .hearing_log_writes(&dir);
    loop {
        if !send(reader.read_available().unwrap_or_default()) || !follow || tx.is_closed() {
            return;
        }
        if until.is_some_and(|u| {
            chrono::Utc::now()
                .timestamp_nanos_opt()
                .is_some_and(|now| now > u)
        }) {
            return;
        }
        let ended = match attach {
            // attach: once its shim has ended, every byte of output is in the log; a
            // container removed without running has none to come; one an earlier daemon
            // started ends a moment after its record says so (not before it ran: attach
            // comes before start)
            Some(shims) if shims.get(id).is_some() => true,
            Some(_) => match engine.containers.load(id) {
                Err(_) => true,
                Ok(c) if engine.is_running(&c) || c.state.restarting => {
                    (seen_running, stopped_since) = (true, None);
                    false
                }
                Ok(_) => {
                    seen_running
                        && stopped_since
                            .get_or_insert_with(std::time::Instant::now)
                            .elapsed()
                            > EARLIER_SHIM_GRACE
                }
            },
            None => engine
                .containers
                .load(id)
                .map_or(true, |c| !engine.is_running(&c)),
        };
        if ended {
            send(reader.read_available().unwrap_or_default());
            return;
        }
        changes.wait();
    }
}

/// The container's output from its `tail` last entries on (all of them unless `tail` is a
/// number): its json-file log, rotated files included, or with `--log-driver none` what
/// only attached clients read (`docker logs` refuses those containers before). Unless
/// `follow`, a `tail` is of the entries there now: the reader stops after them.
pub(super) fn open_log(engine: &Engine, id: &str, tail: &str, follow: bool) -> Result<LogReader, ApiError> {
    let dir = engine.containers.dir(id);
    let path = match host_config(engine, id)?.log_config.readable() {
        true => log_path(&dir, id),
        false => unlogged_output_path(&dir, id),
    };
    let io = |e: std::io::Error| ApiError::internal(format!("{}: {e}", path.display()));
    // create it if the shim has not yet: attach may come before start
    let _ = std::fs::File::options().create(true).append(true).open(&path);
    let mut reader = LogReader::open(&path).map_err(io)?;
    if let Ok(n) = tail.parse::<usize>() {
        let count = LogReader::count(&path).map_err(io)?;
        reader.skip(count.saturating_sub(n)).map_err(io)?;
        if !follow {
            reader.stop_after(n.min(count));
        }
    }
    Ok(reader)
}

/// `GET /containers/{id}/logs?stdout=1&stderr=1&follow=&tail=&timestamps=`: multiplexed frames.
async fn logs(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LogsQuery>,
) -> Result<Response, ApiError> {
    if !bool_value(Some(&q.stdout)) && !bool_value(Some(&q.stderr)) {
        return Err(ApiError::bad_request(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    super::events::parse_time(&q.since)?;
    super::events::parse_time(&q.until)?;
    let engine_state = state.clone();
    let (container, reader) = state
        .blocking(move |engine| {
            let c = find_container(engine, &id)?;
            if !host_config(engine, &c.id)?.log_config.readable() {
                return Err(ApiError::new(
                    StatusCode::NOT_IMPLEMENTED,
                    "configured logging driver does not support reading",
                ));
            }
            let reader = open_log(engine, &c.id, &q.tail, bool_value(Some(&q.follow)))?;
            Ok((c, (reader, q)))
        })
        .await?;
    let (reader, q) = reader;
    let follow = bool_value(Some(&q.follow));
    let body = streamed(move |tx| {
        pump(
            &engine_state.engine(),
            &container.id,
            reader,
            follow,
            None,
            &q,
            &tx,
        );
    });
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.docker.raw-stream"),
    );
    Ok(response)
}
