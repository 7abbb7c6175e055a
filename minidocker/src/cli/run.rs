//! `minidocker run`: the Docker CLI's requests, in its order. Create the container (pulling
//! its image if the daemon has none); with `-d`, start it and print its id. Otherwise take
//! a connection over for its streams and register the wait, both before it starts, start it,
//! copy its streams until its output ends, then exit with the wait's status code.
//!
//! Errors are `run`'s: `minidocker: <problem>` and a pointer to the help, exit 125, or 126
//! and 127 for a command that could not be run (Docker's `toStatusError`).

use std::io::IsTerminal;

use clap::Args;

use super::ExitCode;
use super::attach::{
    attach_and_register_wait, attach_path, detached, exit_status, pump, relay_for, sig_proxy_flag,
    wait_condition,
};
use super::container_flags::ContainerFlags;
use super::create::{command_failure, create_container, error_text, report_flag_problem};
use crate::client::autostart::Connector;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys", value_name = "string")]
    pub detach_keys: Option<String>,
    /// Proxy received signals to the process
    #[arg(
        long = "sig-proxy",
        value_name = "bool",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        default_value = "true"
    )]
    pub sig_proxy: String,
    #[command(flatten)]
    pub flags: ContainerFlags,
    /// Print usage
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    pub image: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

// ANCHOR: start_status
/// The exit code of a `run` whose container could not be created or started, from the
/// daemon's words (Docker's `toStatusError`): 127 when the command was not found, 126 when it
/// could not be executed, 125 otherwise.
fn failure_status(message: &str) -> ExitCode {
    if [
        "executable file not found",
        "no such file or directory",
        "system cannot find the file specified",
    ]
    .iter()
    .any(|m| message.contains(m))
    {
        127
    } else if message.contains("permission denied") || message.contains("is a directory") {
        126
    } else {
        125
    }
}
// ANCHOR_END: start_status

/// `run`'s report of a failure after the flags were read.
fn run_failure(message: &str) -> ExitCode {
    command_failure("run", message, failure_status(message))
}

// ANCHOR: run
/// `minidocker run` (`typed` is how it was typed: `run` or `container run`).
pub(super) fn run(api: &Connector, args: RunArgs, typed: &str) -> ExitCode {
    let sig_proxy = match sig_proxy_flag(typed, &args.sig_proxy) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let mut request = match args.flags.request(&args.image, &args.command) {
        Ok(request) => request,
        Err(problem) => return report_flag_problem(typed, "run", problem),
    };
    if args.detach {
        let body = &mut request.body;
        (
            body.attach_stdin,
            body.attach_stdout,
            body.attach_stderr,
            body.stdin_once,
        ) = (false, false, false, false);
    }
    let tty = request.body.tty;
    let stdin = request.body.open_stdin && !args.detach;
    if stdin && tty && !std::io::stdin().is_terminal() {
        eprintln!("the input device is not a TTY");
        return 1;
    }
    let client = match api.client() {
        Ok(client) => client,
        Err(e) => return run_failure(&error_text(&e)),
    };
    let id = match create_container(client, &request) {
        Ok(id) => id,
        Err(message) => return run_failure(&message),
    };
    let start_path = format!("/containers/{id}/start");
    if args.detach {
        println!("{id}");
        return match client.post(&start_path) {
            Ok(()) => 0,
            Err(e) => run_failure(&error_text(&e)),
        };
    }
    let relay = relay_for(&id, sig_proxy, tty);
    let path = attach_path(&id, stdin, args.detach_keys.as_deref());
    let auto_remove = request.body.host_config.as_ref().is_some_and(|h| h.auto_remove);
    let (hijacked, wait) = attach_and_register_wait(client, &path, &id, wait_condition(auto_remove));
    let hijacked = match hijacked {
        Ok(hijacked) => hijacked,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    let wait = match wait {
        Ok(wait) => wait,
        Err(message) => {
            eprintln!("{message}");
            return 125;
        }
    };
    if let Err(e) = client.post(&start_path) {
        drop(hijacked);
        if auto_remove {
            let _ = wait.bytes(); // answered once the daemon has removed it
        }
        return run_failure(&error_text(&e));
    }
    relay.start(client.host());
    if let Err(message) = pump(hijacked, stdin, tty) {
        eprintln!("{message}");
        return 1;
    }
    if detached(client, &id, stdin, tty) {
        return 0;
    }
    exit_status(wait)
}
// ANCHOR_END: run

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_failures_have_dockers_exit_codes() {
        let start = |what: &str| {
            format!(
                "Error response from daemon: failed to create shim task: OCI runtime create failed: minidocker create failed: unable to start container process: {what}: unknown"
            )
        };
        assert_eq!(failure_status(&start("exec: \"/etc\": permission denied")), 126);
        assert_eq!(
            failure_status(&start(
                "exec: \"nonexistentcmd\": executable file not found in $PATH"
            )),
            127
        );
        assert_eq!(
            failure_status(&start(
                "exec: \"/nonexistent\": stat /nonexistent: no such file or directory"
            )),
            127
        );
        assert_eq!(
            failure_status(&start(
                "error during container init: sethostname: invalid argument"
            )),
            125
        );
        assert_eq!(
            failure_status("Error response from daemon: No such image: nosuch:latest"),
            125
        );
    }
}
