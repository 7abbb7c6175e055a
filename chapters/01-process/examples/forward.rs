//! A supervisor that passes the signals it receives on to its child.
//!
//! ```sh
//! cargo run -p ch01-process --example forward          # a shell that traps SIGTERM
//! cargo run -p ch01-process --example forward -- sleep 30
//! ```
//! Then press ctrl-C, or run the `kill -TERM <pid>` it prints in another terminal.
//! The child runs in a process group of its own, so ctrl-C reaches only the
//! supervisor, which forwards it.

use std::error::Error;
use std::ffi::CString;
use std::process::ExitCode;

use ch01_process::{BlockedSignals, ProcessGroup, Reap, forwarded_signals, spawn_command, supervise};
use nix::unistd::getpid;

const TRAPPING_SHELL: &str = "trap 'echo child: caught SIGTERM, exiting with 42; exit 42' TERM; \
     echo child: pid $$ running, SIGTERM is trapped; \
     while :; do sleep 0.1; done";

fn main() -> Result<ExitCode, Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        args = vec!["sh".into(), "-c".into(), TRAPPING_SHELL.into()];
    }
    let argv = args
        .into_iter()
        .map(CString::new)
        .collect::<Result<Vec<_>, _>>()?;

    // Block first, then start the child: no signal can slip through in between.
    let _blocked = BlockedSignals::block(&forwarded_signals())?;
    let child = spawn_command(&argv, ProcessGroup::New)?;
    println!("supervisor: pid {}, child pid {child}", getpid());
    println!("supervisor: press ctrl-C or run `kill -TERM {}`", getpid());

    let status = supervise(child, Reap::MainChildOnly)?;
    println!(
        "supervisor: child {status}; docker would report exit code {}",
        status.code()
    );
    Ok(ExitCode::from(u8::try_from(status.code())?))
}
