//! A tiny init that reaps the orphans of its child.
//!
//! ```sh
//! cargo run -p ch01-process --example init -- sh -c 'sleep 1 & exec sleep 0.1'
//! cargo run -p ch01-process --example init -- sh -c '(sleep 0.1 &); sleep 0.5; exit 3'
//! ```
//! In the first, the shell leaves a `sleep 1` behind when it becomes `sleep 0.1`:
//! once `sleep 0.1` exits, the orphan is re-parented to us (we are a child
//! subreaper). A PID 1 would exit now and the kernel would kill the orphan with the
//! namespace; we are not PID 1, so we wait for it and reap it. In the second, the
//! orphan dies while the main child still runs and is reaped on the spot.

use std::error::Error;
use std::ffi::CString;
use std::process::ExitCode;

use ch01_process::{reap_remaining_children, run_init};
use nix::unistd::getpid;

const DEFAULT_COMMAND: [&str; 3] = ["sh", "-c", "sleep 1 & exec sleep 0.1"];

fn main() -> Result<ExitCode, Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .without_time()
        .init();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        args = DEFAULT_COMMAND.iter().map(|arg| arg.to_string()).collect();
    }
    let argv = args
        .into_iter()
        .map(CString::new)
        .collect::<Result<Vec<_>, _>>()?;

    eprintln!("init: pid {}, running {:?}", getpid(), argv);
    let code = run_init(&argv)?;
    eprintln!("init: main child gone (exit code {code}); waiting for remaining orphans");
    let reaped = reap_remaining_children()?;
    eprintln!("init: reaped {} more; exiting with {code}", reaped.len());
    Ok(ExitCode::from(u8::try_from(code)?))
}
