//! Attached to a container: `minidocker attach`, `start -a`, and what `run` does without `-d`.
//! The connection is taken over (`POST /containers/{id}/attach`, 101) before the container
//! starts, so none of its output is missed; the wait is registered before it starts too, and
//! read once the output has ended: the exit code the command ends with.

use std::io::{IsTerminal, Read};

use clap::Args;
use hyper::Method;
use serde_json::Value;

use super::create::error_text;
use super::resources::go_parse_bool;
use super::signal_relay::SignalRelay;
use super::terminal::RawTerminal;
use super::{ExitCode, args_error, flag_error};
use crate::api_types::ContainerWaitResponse;
use crate::client::attach::Hijacked;
use crate::client::autostart::Connector;
use crate::client::{Client, ClientError, RequestBody, Response, percent_encode, query};

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys", value_name = "string")]
    pub detach_keys: Option<String>,
    /// Do not attach STDIN
    #[arg(long = "no-stdin")]
    pub no_stdin: bool,
    /// Proxy all received signals to the process
    #[arg(
        long = "sig-proxy",
        value_name = "bool",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        default_value = "true"
    )]
    pub sig_proxy: String,
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Attach STDOUT/STDERR and forward signals
    #[arg(short = 'a', long)]
    pub attach: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys", value_name = "string")]
    pub detach_keys: Option<String>,
    /// Attach container's STDIN
    #[arg(short = 'i', long)]
    pub interactive: bool,
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// `--sig-proxy[=bool]`, or pflag's complaint.
pub(super) fn sig_proxy_flag(typed: &str, value: &str) -> Result<bool, ExitCode> {
    go_parse_bool(value).map_err(|why| {
        flag_error(
            typed,
            &format!("invalid argument \"{value}\" for \"--sig-proxy\" flag: {why}"),
        )
    })
}

/// What attaching needs to know of a container, from `GET /containers/{id}/json`.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub id: String,
    pub tty: bool,
    pub open_stdin: bool,
    pub auto_remove: bool,
    pub running: bool,
    pub paused: bool,
    pub restarting: bool,
}

/// The container `name` as the daemon describes it.
pub(super) fn inspect(client: &Client, name: &str) -> Result<Target, ClientError> {
    let c: Value = client.get_json(&format!("/containers/{}/json", percent_encode(name)))?;
    let flag = |v: &Value| v.as_bool().unwrap_or(false);
    Ok(Target {
        id: c["Id"].as_str().unwrap_or(name).to_owned(),
        tty: flag(&c["Config"]["Tty"]),
        open_stdin: flag(&c["Config"]["OpenStdin"]),
        auto_remove: flag(&c["HostConfig"]["AutoRemove"]),
        running: flag(&c["State"]["Running"]),
        paused: flag(&c["State"]["Paused"]),
        restarting: flag(&c["State"]["Restarting"]),
    })
}

/// The request that takes the connection over for the container's streams.
pub(super) fn attach_path(id: &str, stdin: bool, detach_keys: Option<&str>) -> String {
    let mut params = vec![("stream", "1")];
    if stdin {
        params.push(("stdin", "1"));
    }
    params.extend([("stdout", "1"), ("stderr", "1")]);
    if let Some(keys) = detach_keys.filter(|k| !k.is_empty()) {
        params.push(("detachKeys", keys));
    }
    format!("/containers/{id}/attach?{}", query(&params))
}

/// How the Docker CLI words a connection the daemon would not take over: it reads no body.
pub(super) fn hijack_error_text(e: &ClientError) -> String {
    match e {
        ClientError::Daemon { status, .. } => format!("unable to upgrade to tcp, received {status}"),
        other => other.to_string(),
    }
}

/// Takes the connection over; `Err` is the failure in the Docker CLI's words.
pub(super) fn hijack<'c>(client: &'c Client, path: &str, body: RequestBody) -> Result<Hijacked<'c>, String> {
    client
        .hijack(Method::POST, path, body)
        .map_err(|e| hijack_error_text(&e))
}

/// Copies the streams until the container's output ends: standard input to it if `stdin`,
/// its output here, raw with a TTY (the local terminal in raw mode then, if it is one).
pub(super) fn pump(hijacked: Hijacked<'_>, stdin: bool, tty: bool) -> Result<(), String> {
    let _raw = match stdin && tty {
        true => RawTerminal::enter().map_err(|e| format!("setting the terminal to raw mode: {e}"))?,
        false => None,
    };
    let input = stdin.then(|| Box::new(std::io::stdin()) as Box<dyn Read + Send>);
    hijacked.pump(input, tty).map_err(|e| e.to_string())
}

/// `POST /containers/{id}/wait`: until it is removed (`--rm`) or its next exit; the answer is
/// read later, with [`exit_status`].
pub(super) fn register_wait<'c>(
    client: &'c Client,
    id: &str,
    condition: &str,
) -> Result<Response<'c>, String> {
    client
        .request(Method::POST, &wait_path(id, condition), RequestBody::Empty)
        .map_err(|e| wait_error_text(&e))
}

/// [`hijack`] of `attach_path` and [`register_wait`] for container `id`, sent together: both
/// are in place before the start, one round trip after the create instead of two.
pub(super) fn attach_and_register_wait<'c>(
    client: &'c Client,
    attach_path: &str,
    id: &str,
    condition: &str,
) -> (Result<Hijacked<'c>, String>, Result<Response<'c>, String>) {
    let wait_path = wait_path(id, condition);
    let (hijacked, wait) = client.hijack_and_request(
        (Method::POST, attach_path, RequestBody::Empty),
        (Method::POST, &wait_path, RequestBody::Empty),
    );
    (
        hijacked.map_err(|e| hijack_error_text(&e)),
        wait.map_err(|e| wait_error_text(&e)),
    )
}

fn wait_path(id: &str, condition: &str) -> String {
    format!("/containers/{id}/wait?{}", query(&[("condition", condition)]))
}

fn wait_error_text(e: &ClientError) -> String {
    format!("error waiting for container: {}", error_text(e))
}

/// The wait condition for a container: `removed` with `--rm`, else `next-exit`.
pub(super) fn wait_condition(auto_remove: bool) -> &'static str {
    if auto_remove { "removed" } else { "next-exit" }
}

/// The container's exit code from the wait's answer; 125 if there is none.
pub(super) fn exit_status(wait: Response<'_>) -> ExitCode {
    match wait.json::<ContainerWaitResponse>() {
        Ok(ContainerWaitResponse {
            error: Some(error), ..
        }) if !error.message.is_empty() => {
            eprintln!("error waiting for container: {}", error.message);
            125
        }
        Ok(answer) => i32::try_from(answer.status_code).unwrap_or(125),
        Err(e) => {
            eprintln!("error waiting for container: {}", error_text(&e));
            125
        }
    }
}

/// After the output ended: whether the user left with the detach keys (only a terminal with
/// input can) and the container still runs.
pub(super) fn detached(client: &Client, id: &str, stdin: bool, tty: bool) -> bool {
    stdin && tty && inspect(client, id).is_ok_and(|c| c.running)
}

/// The relay of signals and terminal size for an attached container: signals if `sig_proxy`
/// and no TTY, the size with a TTY shown on a terminal.
pub(super) fn relay_for(id: &str, sig_proxy: bool, tty: bool) -> SignalRelay {
    let kill = (sig_proxy && !tty).then(|| format!("/containers/{id}/kill"));
    let resize = (tty && std::io::stdout().is_terminal()).then(|| format!("/containers/{id}/resize"));
    SignalRelay::block(kill, resize)
}

/// `minidocker attach CONTAINER`.
pub(super) fn attach(api: &Connector, args: AttachArgs, typed: &str) -> ExitCode {
    let [name] = args.containers.as_slice() else {
        return args_error(typed, "requires 1 argument");
    };
    let sig_proxy = match sig_proxy_flag(typed, &args.sig_proxy) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let fail = |message: String| {
        eprintln!("{message}");
        1
    };
    let client = match api.client() {
        Ok(client) => client,
        Err(e) => return fail(error_text(&e)),
    };
    let check_state = |client: &Client| -> Result<Target, String> {
        let c = inspect(client, name).map_err(|e| error_text(&e))?;
        match (c.running, c.paused, c.restarting) {
            (false, _, _) => Err("You cannot attach to a stopped container, start it first".into()),
            (_, true, _) => Err("You cannot attach to a paused container, unpause it first".into()),
            (_, _, true) => {
                Err("You cannot attach to a restarting container, wait until it is restarted".into())
            }
            _ => Ok(c),
        }
    };
    let c = match check_state(client) {
        Ok(c) => c,
        Err(message) => return fail(message),
    };
    let wait = match register_wait(client, &c.id, "not-running") {
        Ok(wait) => wait,
        Err(message) => return fail(message),
    };
    if !args.no_stdin && c.tty && !std::io::stdin().is_terminal() {
        return fail("the input device is not a TTY".into());
    }
    let stdin = !args.no_stdin && c.open_stdin;
    let relay = relay_for(&c.id, sig_proxy, c.tty);
    let path = attach_path(&c.id, stdin, args.detach_keys.as_deref());
    let hijacked = match hijack(client, &path, RequestBody::Empty) {
        Ok(h) => h,
        Err(message) => return fail(message),
    };
    // it may have stopped in between: then the attach would wait for nothing
    if let Err(message) = check_state(client) {
        return fail(message);
    }
    relay.start(client.host());
    if let Err(message) = pump(hijacked, stdin, c.tty) {
        return fail(message);
    }
    if detached(client, &c.id, stdin, c.tty) {
        return fail("read escape sequence".into());
    }
    exit_status(wait)
}

/// `minidocker start [-a] [-i] CONTAINER...`.
pub(super) fn start(api: &Connector, args: StartArgs, typed: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(typed, "requires at least 1 argument");
    }
    let client = match api.client() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("{}", error_text(&e));
            return 1;
        }
    };
    if args.attach || args.interactive {
        return start_attached(client, &args);
    }
    let mut failed = Vec::new();
    for name in &args.containers {
        match client.post(&format!("/containers/{}/start", percent_encode(name))) {
            Ok(()) => println!("{name}"),
            Err(e) => {
                eprintln!("{}", error_text(&e));
                failed.push(name.as_str());
            }
        }
    }
    if failed.is_empty() {
        return 0;
    }
    eprintln!("Error: failed to start containers: {}", failed.join(", "));
    1
}

/// `start -a` / `start -i`: one container, attached as `run` attaches.
fn start_attached(client: &Client, args: &StartArgs) -> ExitCode {
    let fail = |message: String| {
        eprintln!("{message}");
        1
    };
    let [name] = args.containers.as_slice() else {
        return fail("you cannot start and attach multiple containers at once".into());
    };
    let c = match inspect(client, name) {
        Ok(c) => c,
        Err(e) => return fail(error_text(&e)),
    };
    let stdin = args.interactive && c.open_stdin;
    let relay = relay_for(&c.id, true, c.tty);
    let path = attach_path(&c.id, stdin, args.detach_keys.as_deref());
    let (hijacked, wait) = attach_and_register_wait(client, &path, &c.id, wait_condition(c.auto_remove));
    let hijacked = match hijacked {
        Ok(h) => h,
        Err(message) => return fail(message),
    };
    let wait = match wait {
        Ok(wait) => wait,
        Err(message) => return fail(message),
    };
    if let Err(e) = client.post(&format!("/containers/{}/start", c.id)) {
        drop(hijacked);
        if c.auto_remove {
            let _ = wait.bytes(); // removed by the daemon once this answers
        }
        return fail(error_text(&e));
    }
    relay.start(client.host());
    if let Err(message) = pump(hijacked, stdin, c.tty) {
        return fail(message);
    }
    if detached(client, &c.id, stdin, c.tty) {
        return 0;
    }
    exit_status(wait)
}
