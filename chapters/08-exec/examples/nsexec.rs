//! A tiny `nsenter`: runs a command inside the cgroups and namespaces of a running process,
//! the way `docker exec` does (without the container's user and capabilities: you stay root).
//!
//! ```sh
//! sudo unshare --pid --uts --net --mount --fork sh -c 'hostname inside; sleep 1000' &
//! sudo cargo run -p ch08-exec --example nsexec -- $(pgrep -nx sleep) -- sh -c 'hostname; echo $$; cat /proc/net/dev'
//! ```
//!
//! It prints `inside`, a small PID (the sleep is 1 in there, `hostname` was 2: 3) and only
//! `lo` among the network devices: the host's are in another network namespace.

use std::ffi::CString;

use ch08_exec::run_joined;
use nix::unistd::{Pid, execvp};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (pid, command) = match args.as_slice() {
        [pid, dashes, command @ ..] if dashes == "--" && !command.is_empty() => (pid, command),
        _ => {
            eprintln!("usage: nsexec <pid> -- <command> [args...]");
            std::process::exit(2);
        }
    };
    let Ok(pid) = pid.parse::<i32>() else {
        eprintln!("nsexec: {pid:?} is not a process id");
        std::process::exit(2);
    };
    let argv: Vec<CString> = match command.iter().map(|a| CString::new(a.as_str())).collect() {
        Ok(argv) => argv,
        Err(e) => {
            eprintln!("nsexec: {e}");
            std::process::exit(2);
        }
    };
    // SAFETY: this program is single-threaded; the child only execs (or reports and exits).
    let joined = unsafe {
        run_joined(Pid::from_raw(pid), move || {
            let failure = execvp(&argv[0], &argv).unwrap_err();
            eprintln!("nsexec: {}: {failure}", command[0]);
            126
        })
    };
    match joined {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("nsexec: {e}");
            std::process::exit(125);
        }
    }
}
