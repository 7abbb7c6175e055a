//! `minidocker exec`: `POST /containers/{id}/exec` makes the exec, `POST /exec/{id}/start`
//! runs it (the connection taken over for its streams, or detached with `-d`), and
//! `GET /exec/{id}/json` gives the exit code the command ends with. The daemon answers 126
//! for a command that cannot be run; a shell's 127 for one not found passes through.

use std::io::IsTerminal;

use clap::Args;
use serde_json::Value;

use super::attach::{hijack, inspect, pump};
use super::create::error_text;
use super::kvfile::{self, ListProblem};
use super::signal_relay::SignalRelay;
use super::{ExitCode, args_error, flag_error};
use crate::api_types::{ExecCreateBody, ExecStartBody, IdResponse};
use crate::client::autostart::Connector;
use crate::client::{ClientError, RequestBody, percent_encode};

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Detached mode: run command in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys", value_name = "string")]
    pub detach_keys: Option<String>,
    /// Set environment variables
    #[arg(short = 'e', long = "env", value_name = "list", allow_hyphen_values = true)]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file", value_name = "list")]
    pub env_file: Vec<String>,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Give extended privileges to the command
    #[arg(long)]
    pub privileged: bool,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Username or UID (format: "<name|uid>[:<group|gid>]")
    #[arg(short = 'u', long, value_name = "string", allow_hyphen_values = true)]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long, value_name = "string", allow_hyphen_values = true)]
    pub workdir: Option<String>,
    /// The container, then the command and its arguments
    #[arg(
        value_name = "CONTAINER COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
}

impl ExecArgs {
    /// The body of `POST /containers/{id}/exec` (Docker's `parseExec`).
    fn body(&self, env: Vec<String>, command: &[String]) -> ExecCreateBody {
        let attached = !self.detach;
        ExecCreateBody {
            user: self.user.clone().unwrap_or_default(),
            privileged: self.privileged,
            tty: self.tty,
            attach_stdin: attached && self.interactive,
            attach_stdout: attached,
            attach_stderr: attached,
            detach: false,
            detach_keys: self.detach_keys.clone().unwrap_or_default(),
            env: Some(env),
            working_dir: self.workdir.clone().unwrap_or_default(),
            cmd: Some(command.to_vec()),
        }
    }
}

// ANCHOR: exec
/// `minidocker exec [OPTIONS] CONTAINER COMMAND [ARG...]`.
pub(super) fn exec(api: &Connector, args: ExecArgs, typed: &str) -> ExitCode {
    let [container, command @ ..] = args.args.as_slice() else {
        return args_error(typed, "requires at least 2 arguments");
    };
    if command.is_empty() {
        return args_error(typed, "requires at least 2 arguments");
    }
    let fail = |message: String| {
        eprintln!("{message}");
        1
    };
    let env = match kvfile::environment(&args.env_file, &args.env) {
        Ok(env) => env,
        Err(ListProblem::Flag(problem)) => return flag_error(typed, &problem),
        Err(ListProblem::File(problem)) => return fail(problem),
    };
    let body = args.body(env, command);
    let client = match api.client() {
        Ok(client) => client,
        Err(e) => return fail(error_text(&e)),
    };
    // A missing container is reported before anything else, as Docker does.
    if let Err(e) = inspect(client, container) {
        return fail(error_text(&e));
    }
    if !args.detach && body.attach_stdin && body.tty && !std::io::stdin().is_terminal() {
        return fail("the input device is not a TTY".into());
    }
    let created: IdResponse =
        match client.post_json(&format!("/containers/{}/exec", percent_encode(container)), &body) {
            Ok(created) => created,
            Err(e) => return fail(error_text(&e)),
        };
    let exec_id = created.id;
    if exec_id.is_empty() {
        return fail("exec ID empty".into());
    }
    let start = ExecStartBody {
        detach: args.detach,
        tty: args.tty,
    };
    let start_path = format!("/exec/{exec_id}/start");
    if args.detach {
        return match client.request(hyper::Method::POST, &start_path, RequestBody::json(&start)) {
            Ok(_) => 0,
            Err(e) => fail(error_text(&e)),
        };
    }
    let resize = (args.tty && std::io::stdin().is_terminal()).then(|| format!("/exec/{exec_id}/resize"));
    let relay = SignalRelay::block(None, resize);
    let hijacked = match hijack(client, &start_path, RequestBody::json(&start)) {
        Ok(hijacked) => hijacked,
        Err(message) => return fail(message),
    };
    relay.start(client.host());
    if let Err(message) = pump(hijacked, body.attach_stdin, args.tty) {
        return fail(message);
    }
    match client.get_json::<Value>(&format!("/exec/{exec_id}/json")) {
        Ok(inspected) => inspected["ExitCode"]
            .as_i64()
            .and_then(|code| i32::try_from(code).ok())
            .unwrap_or(0),
        // the daemon went away
        Err(ClientError::Connect { .. }) => -1,
        Err(e) => fail(error_text(&e)),
    }
}
// ANCHOR_END: exec
