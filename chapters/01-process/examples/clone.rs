//! A child created with `clone(2)` on a stack we allocated, and how it ended.
//!
//! ```sh
//! cargo run -p ch01-process --example clone            # exits with 0
//! cargo run -p ch01-process --example clone -- 3       # exits with 3
//! cargo run -p ch01-process --example clone -- kill    # SIGKILLs itself: 137
//! ```

use std::error::Error;

use ch01_process::{spawn_cloned, wait_for_exit};
use nix::sched::CloneFlags;
use nix::sys::signal::{Signal, kill};
use nix::unistd::{getpid, getppid};

fn main() -> Result<(), Box<dyn Error>> {
    // What the child will do, decided in the parent so a bad argument is reported here.
    let kill_itself = std::env::args().nth(1).as_deref() == Some("kill");
    let code: isize = match std::env::args().nth(1) {
        Some(arg) if arg != "kill" => arg.parse()?,
        _ => 0,
    };

    println!("parent: pid {}", getpid());
    let child = spawn_cloned(CloneFlags::empty(), || {
        println!("child:  pid {}, parent pid {}", getpid(), getppid());
        if kill_itself {
            println!("child:  sending myself SIGKILL");
            // If kill fails we fall through and exit with 1.
            let _ = kill(getpid(), Signal::SIGKILL);
            return 1;
        }
        println!("child:  returning {code}");
        code
    })?;

    let status = wait_for_exit(child)?;
    println!(
        "parent: child {child} {status}; docker would report exit code {}",
        status.code()
    );
    Ok(())
}
