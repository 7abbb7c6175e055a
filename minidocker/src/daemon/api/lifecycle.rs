//! A container's life through the API: create, start (a shim per container), wait, kill,
//! stop, remove, and its output (logs, attach) from the json-file log the shim writes.

use std::collections::BTreeMap;
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
use super::{ApiError, AppState, Upgrade, find_container, streamed};
use crate::container::{Container, ZERO_TIME};
use crate::engine::network::NetworkRunOptions;
use crate::engine::{Engine, RunError, RunOptions};
use crate::logs::{LogReader, Stream, frame, log_path};

/// The containers whose shim (started by this daemon) has ended, and their exit codes: what
/// `wait` answers for a container `--rm` has already removed, and how `attach` knows the
/// log is complete (the shim ends only after it has copied the last output).
#[derive(Debug, Clone, Default)]
pub struct EndedShims(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, i32>>>);

impl EndedShims {
    fn record(&self, id: &str, code: i32) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned(), code);
    }

    fn get(&self, id: &str) -> Option<i32> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(id).copied()
    }

    fn forget(&self, id: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }
}

/// How often a waiting request looks at a container's record again.
const POLL: Duration = Duration::from_millis(20);
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
        .route("/containers/{id}/attach", post(attach))
}

/// `run`'s errors as the API's: missing things 404, name conflicts 409, the rest 400
/// (Docker's create and start answer "invalid parameter" for bad configuration).
fn run_error(e: RunError) -> ApiError {
    let status = if e.message.starts_with("No such") || e.message.contains("not found") {
        StatusCode::NOT_FOUND
    } else if e.message.starts_with("Conflict") {
        StatusCode::CONFLICT
    } else {
        StatusCode::BAD_REQUEST
    };
    ApiError::new(status, e.message)
}

/// The fields of `HostConfig` minidocker honours.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct HostConfigBody {
    memory: i64,
    memory_swap: i64,
    memory_reservation: i64,
    nano_cpus: i64,
    cpu_shares: i64,
    cpu_period: i64,
    cpu_quota: i64,
    cpuset_cpus: String,
    cpuset_mems: String,
    pids_limit: Option<i64>,
    blkio_weight: u16,
    oom_kill_disable: Option<bool>,
    cgroup_parent: String,
    network_mode: String,
    port_bindings: Option<BTreeMap<String, Option<Vec<crate::engine::network::PortBinding>>>>,
    publish_all_ports: bool,
    dns: Option<Vec<String>>,
    dns_search: Option<Vec<String>>,
    dns_options: Option<Vec<String>>,
    extra_hosts: Option<Vec<String>>,
    auto_remove: bool,
    restart_policy: Option<crate::container::RestartPolicy>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct EndpointBody {
    #[serde(rename = "IPAMConfig")]
    ipam_config: Option<BTreeMap<String, String>>,
    aliases: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct NetworkingConfigBody {
    endpoints_config: Option<BTreeMap<String, EndpointBody>>,
}

/// The body of `POST /containers/create`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct CreateBody {
    image: String,
    cmd: Option<Vec<String>>,
    entrypoint: Option<Value>,
    env: Option<Vec<String>>,
    working_dir: String,
    user: String,
    hostname: String,
    tty: bool,
    open_stdin: bool,
    exposed_ports: Option<BTreeMap<String, Value>>,
    host_config: Option<HostConfigBody>,
    networking_config: Option<NetworkingConfigBody>,
}

#[derive(Debug, Default, Deserialize)]
struct NameQuery {
    #[serde(default)]
    name: Option<String>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message)
}

/// The create body as `run`'s options, checked the way dockerd checks them.
fn run_options(body: CreateBody, name: Option<String>) -> Result<RunOptions, ApiError> {
    if body.image.is_empty() {
        return Err(bad("No image specified"));
    }
    if body.tty {
        return Err(bad("minidocker: a TTY (-t) is not supported yet"));
    }
    if body.entrypoint.as_ref().is_some_and(|e| !e.is_null()) {
        return Err(bad("minidocker: --entrypoint is not supported yet"));
    }
    let host = body.host_config.unwrap_or_default();
    let resources = ch06_cgroups::Resources {
        memory: host.memory,
        memory_swap: host.memory_swap,
        memory_reservation: host.memory_reservation,
        oom_kill_disable: host.oom_kill_disable,
        nano_cpus: host.nano_cpus,
        cpu_shares: host.cpu_shares,
        cpu_period: host.cpu_period,
        cpu_quota: host.cpu_quota,
        cpuset_cpus: host.cpuset_cpus,
        cpuset_mems: host.cpuset_mems,
        pids_limit: host.pids_limit,
        blkio_weight: host.blkio_weight,
    };
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
    Ok(RunOptions {
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
    })
}

// ANCHOR: create
/// `POST /containers/create?name=`: 201 `{"Id": …, "Warnings": […]}`.
async fn create(
    State(state): State<AppState>,
    Query(q): Query<NameQuery>,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let opts = run_options(body, q.name.filter(|n| !n.is_empty()))?;
    state
        .blocking(move |engine| {
            let checked = engine.check_resources(&opts.resources, false)?;
            let id = engine.create_container(&opts).map_err(run_error)?;
            Ok((
                StatusCode::CREATED,
                Json(json!({"Id": id, "Warnings": checked.warnings})),
            ))
        })
        .await
}
// ANCHOR_END: create

// ANCHOR: start_shim
/// Starts the shim of `container` and waits until the container runs or has failed.
pub fn start_shim(engine: &Engine, state: &AppState, container: &Container) -> Result<(), ApiError> {
    use std::os::unix::process::CommandExt;
    let dir = engine.containers.dir(&container.id);
    let shim_log =
        std::fs::File::create(dir.join("shim.log")).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut command = state.helper_command("shim", &container.id);
    command.stdout(std::process::Stdio::null()).stderr(shim_log);
    // SAFETY: setsid(2) in the child before exec, async-signal-safe; the shim gets a session
    // of its own, so the daemon's terminal and signals are not its.
    unsafe {
        command.pre_exec(|| nix::unistd::setsid().map(|_| ()).map_err(std::io::Error::from));
    }
    let mut child = command
        .spawn()
        .map_err(|e| ApiError::internal(format!("starting the shim: {e}")))?;
    let started = std::time::Instant::now();
    loop {
        let now = engine.containers.load(&container.id).ok();
        let exited = child.try_wait().ok().flatten();
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
        std::thread::sleep(POLL);
    }
    // Reap the shim when it ends (it outlives us if we go first), note the exit, and
    // remove the container if it was created with --rm (AutoRemove), as dockerd does.
    let (id, data_root, ended) = (container.id.clone(), state.data_root.clone(), state.ended.clone());
    std::thread::spawn(move || {
        let status = child.wait();
        if let Ok(engine) = Engine::open(&data_root) {
            shim_ended(&engine, &ended, &id, status.ok().and_then(|s| s.code()));
        }
    });
    Ok(())
}
// ANCHOR_END: start_shim

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
    if auto_remove && let Err(e) = engine.remove_container(id, true) {
        tracing::warn!(container = %id, error = %e, "auto-removing");
    }
}
// ANCHOR_END: shim_ended

/// `POST /containers/{id}/start`: 204; 304 if it is running already.
async fn start(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let shim_state = state.clone();
    state
        .blocking(move |engine| {
            let container = find_container(engine, &id)?;
            if engine.is_running(&container) {
                return Ok(StatusCode::NOT_MODIFIED);
            }
            shim_state.ended.forget(&container.id);
            let _ = std::fs::remove_file(
                engine
                    .containers
                    .dir(&container.id)
                    .join(crate::shim::STOPPED_BY_USER),
            );
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
    let (data_root, ended) = (state.data_root.clone(), state.ended.clone());
    let body = streamed(move |tx| {
        let Ok(engine) = Engine::open(&data_root) else {
            return;
        };
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
    loop {
        let Ok(now) = engine.containers.load(&first.id) else {
            // removed: that ends every condition; the shim's record has the code
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
                || dead_since.is_some_and(|t| t.elapsed() > Duration::from_secs(2)))
        };
        let done = match condition {
            "not-running" => recorded_or_abandoned || now.state.status == "created",
            "next-exit" => ended && now.state.finished_at != began,
            _ => false,
        };
        if done {
            return code;
        }
        std::thread::sleep(POLL);
    }
}

#[derive(Debug, Default, Deserialize)]
struct KillQuery {
    #[serde(default)]
    signal: String,
}

/// `KILL`, `SIGKILL` or `9`.
fn parse_signal(raw: &str) -> Result<nix::sys::signal::Signal, ApiError> {
    use std::str::FromStr;
    if raw.is_empty() {
        return Ok(nix::sys::signal::Signal::SIGKILL);
    }
    if let Ok(n) = raw.parse::<i32>() {
        return nix::sys::signal::Signal::try_from(n).map_err(|_| bad(format!("Invalid signal: {raw}")));
    }
    let name = raw.to_ascii_uppercase();
    let name = if name.starts_with("SIG") {
        name
    } else {
        format!("SIG{name}")
    };
    nix::sys::signal::Signal::from_str(&name).map_err(|_| bad(format!("Invalid signal: {raw}")))
}

/// `POST /containers/{id}/kill?signal=`: 204; 409 if it is not running.
async fn kill(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<KillQuery>,
) -> Result<StatusCode, ApiError> {
    let signal = parse_signal(&q.signal)?;
    state
        .blocking(move |engine| {
            let c = find_container(engine, &id)?;
            if !engine.is_running(&c) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("Cannot kill container: {id}: Container {} is not running", c.id),
                ));
            }
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(c.state.pid), signal)
                .map_err(|e| ApiError::internal(format!("kill {}: {e}", c.state.pid)))?;
            engine.container_event(&c, "kill", &[("signal", (signal as i32).to_string())]);
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
struct StopQuery {
    t: Option<u64>,
}

/// `POST /containers/{id}/stop?t=10`: SIGTERM, then SIGKILL after `t` seconds; 304 if it is
/// not running.
async fn stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StopQuery>,
) -> Result<StatusCode, ApiError> {
    let grace = Duration::from_secs(q.t.unwrap_or(10));
    state
        .blocking(move |engine| {
            let c = find_container(engine, &id)?;
            if !engine.is_running(&c) {
                if c.state.restarting {
                    // between two runs: its shim sees this and does not start it again
                    let _ = std::fs::write(
                        engine.containers.dir(&c.id).join(crate::shim::STOPPED_BY_USER),
                        "",
                    );
                    engine.container_event(&c, "stop", &[]);
                    return Ok(StatusCode::NO_CONTENT);
                }
                return Ok(StatusCode::NOT_MODIFIED);
            }
            // stopped by a user: no restart policy brings it back
            let _ = std::fs::write(
                engine.containers.dir(&c.id).join(crate::shim::STOPPED_BY_USER),
                "",
            );
            let pid = nix::unistd::Pid::from_raw(c.state.pid);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            engine.container_event(&c, "kill", &[("signal", "15".into())]);
            let deadline = std::time::Instant::now() + grace;
            let stopped = |engine: &Engine| {
                engine
                    .containers
                    .load(&c.id)
                    .map_or(true, |now| !engine.is_running(&now))
            };
            while std::time::Instant::now() < deadline {
                if stopped(engine) {
                    engine.container_event(&c, "stop", &[]);
                    return Ok(StatusCode::NO_CONTENT);
                }
                std::thread::sleep(POLL);
            }
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            engine.container_event(&c, "kill", &[("signal", "9".into())]);
            engine.container_event(&c, "stop", &[]);
            while engine
                .containers
                .load(&c.id)
                .is_ok_and(|now| engine.is_running(&now))
            {
                std::thread::sleep(POLL);
            }
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// `POST /containers/{id}/restart?t=`: stop (as `stop` does), then start; 204.
async fn restart(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<StopQuery>,
) -> Result<StatusCode, ApiError> {
    stop(State(state.clone()), Path(id.clone()), Query(q)).await?;
    // the shim of the stopped run must be gone before a new one starts
    let ended = state.ended.clone();
    let wid = id.clone();
    state
        .blocking(move |engine| {
            let c = find_container(engine, &wid)?;
            // (a shim started by an earlier daemon is not in `ended`: a short wait then)
            let deadline = std::time::Instant::now() + Duration::from_secs(3);
            while ended.get(&c.id).is_none() && std::time::Instant::now() < deadline {
                std::thread::sleep(POLL);
            }
            Ok(())
        })
        .await?;
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
}

/// `DELETE /containers/{id}?force=`: 204.
async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    state
        .blocking(move |engine| {
            find_container(engine, &id)?;
            engine.remove_container(&id, bool_value(Some(&q.force)))?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LogsQuery {
    stdout: String,
    stderr: String,
    follow: String,
    timestamps: String,
    tail: String,
}

/// The container's log entries (for `logs` and `attach`), sent as frames through `tx` until
/// the container is no longer running (with `follow`) or the end of the file.
fn pump(
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
    loop {
        let entries = reader.read_available().unwrap_or_default();
        for entry in entries.into_iter().filter(|e| wanted(e.stream)) {
            let line = if timestamps {
                format!("{} {}", entry.time, entry.log)
            } else {
                entry.log
            };
            if tx.blocking_send(frame(entry.stream, line.as_bytes())).is_err() {
                return;
            }
        }
        if !follow {
            return;
        }
        let ended = match attach {
            // attach: once its shim has ended, every byte of output is in the log
            Some(shims) => shims.get(id).is_some(),
            None => engine
                .containers
                .load(id)
                .map_or(true, |c| !engine.is_running(&c)),
        };
        if ended {
            for entry in reader
                .read_available()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| wanted(e.stream))
            {
                let _ = tx.blocking_send(frame(entry.stream, entry.log.as_bytes()));
            }
            return;
        }
        std::thread::sleep(POLL);
    }
}

/// The last `tail` entries' position: a reader that has skipped the others.
fn open_log(engine: &Engine, id: &str, tail: &str) -> Result<LogReader, ApiError> {
    let path = log_path(&engine.containers.dir(id), id);
    let count = |path: &std::path::Path| -> usize {
        std::fs::read_to_string(path)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    // create it if the shim has not yet: attach may come before start
    let _ = std::fs::File::options().create(true).append(true).open(&path);
    let mut reader =
        LogReader::open(&path).map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))?;
    if let Ok(n) = tail.parse::<usize>() {
        let skip = count(&path).saturating_sub(n);
        for _ in 0..skip {
            // one line each; entries are one line each
            if reader.skip_line().is_err() {
                break;
            }
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
    let engine_state = state.clone();
    let (container, reader) = state
        .blocking(move |engine| {
            let c = find_container(engine, &id)?;
            let reader = open_log(engine, &c.id, &q.tail)?;
            Ok((c, (reader, q)))
        })
        .await?;
    let (reader, q) = reader;
    let follow = bool_value(Some(&q.follow));
    let body = streamed(move |tx| {
        if let Ok(engine) = Engine::open(&engine_state.data_root) {
            pump(&engine, &container.id, reader, follow, None, &q, &tx);
        }
    });
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.docker.raw-stream"),
    );
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AttachQuery {
    stdout: String,
    stderr: String,
    stream: String,
    logs: String,
}

/// `POST /containers/{id}/attach?stream=1&stdout=1&stderr=1`: the connection is taken over
/// (HTTP 101, `Upgrade: tcp`) and carries the container's output as multiplexed frames until
/// it exits. Standard input is not forwarded yet.
async fn attach(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<AttachQuery>,
    upgrade: Upgrade,
) -> Result<Response, ApiError> {
    let engine_state = state.clone();
    let (container, reader) = state
        .blocking(move |engine| {
            let c = find_container(engine, &id)?;
            let mut reader = open_log(engine, &c.id, "")?;
            engine.container_event(&c, "attach", &[]);
            if !bool_value(Some(&q.logs)) {
                reader
                    .seek_to_end()
                    .map_err(|e| ApiError::internal(e.to_string()))?;
            }
            Ok((c, (reader, q)))
        })
        .await?;
    let (reader, q) = reader;
    let opts = LogsQuery {
        stdout: q.stdout,
        stderr: q.stderr,
        follow: q.stream.clone(),
        ..LogsQuery::default()
    };
    let follow = bool_value(Some(&q.stream));
    let produce = move |tx: tokio::sync::mpsc::Sender<Vec<u8>>| {
        if let Ok(engine) = Engine::open(&engine_state.data_root) {
            pump(
                &engine,
                &container.id,
                reader,
                follow,
                Some(&engine_state.ended),
                &opts,
                &tx,
            );
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    tokio::task::spawn_blocking(move || produce(tx));
    Ok(super::raw_stream(upgrade, rx))
}
