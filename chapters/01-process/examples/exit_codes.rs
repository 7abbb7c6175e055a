//! The exit code Docker reports for a few ways a program can end.
//!
//! ```sh
//! cargo run -p ch01-process --example exit_codes
//! ```

use std::error::Error;
use std::ffi::CString;

use ch01_process::{ProcessGroup, spawn_command, wait_for_exit};

fn main() -> Result<(), Box<dyn Error>> {
    let cases: &[(&str, &[&str])] = &[
        ("success", &["true"]),
        ("exit 3", &["sh", "-c", "exit 3"]),
        ("exit 256 (only 8 bits survive)", &["sh", "-c", "exit 256"]),
        ("killed by SIGTERM", &["sh", "-c", "kill -TERM $$"]),
        ("killed by SIGKILL (docker kill)", &["sh", "-c", "kill -KILL $$"]),
        ("program not found", &["/no/such/program"]),
        ("not executable (a directory)", &["/etc"]),
    ];
    for (what, argv) in cases {
        let argv = argv
            .iter()
            .map(|arg| CString::new(*arg))
            .collect::<Result<Vec<_>, _>>()?;
        let child = spawn_command(&argv, ProcessGroup::Inherit)?;
        let status = wait_for_exit(child)?;
        println!("{what:<33} {:<30} docker: {}", status.to_string(), status.code());
    }
    Ok(())
}
