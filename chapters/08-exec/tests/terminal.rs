//! Privileged: an exec with a terminal, end to end: join the container, open a pty from its
//! `/dev/ptmx`, size it, fork a child that makes the slave its controlling terminal and runs
//! `stty size` and `tty`, and read their output from the master.

mod common;

use std::ffi::CString;
use std::io::Read;
use std::os::fd::AsFd;

use ch08_exec::terminal::{Terminal, WindowSize, become_session_leader, set_window_size};
use ch08_exec::{fork_child, join_container, wait_exit_code};
use common::{Container, expect_line, spawn};

#[test]
fn the_execd_shell_has_the_pty_as_its_terminal_with_the_size_set() {
    if !common::is_root("the_execd_shell_has_the_pty_as_its_terminal_with_the_size_set") {
        return;
    }
    let container = Container::start();
    let init = container.init;
    let mut joiner = spawn(move |side| {
        join_container(init)?;
        let terminal = Terminal::open()?;
        set_window_size(terminal.master.as_fd(), WindowSize { rows: 33, cols: 101 })?;
        let mut master = std::fs::File::from(terminal.master.as_fd().try_clone_to_owned()?);
        let slave_path = terminal.slave_path.clone();
        let argv = ["sh", "-c", "stty size; tty"].map(|a| CString::new(a).expect("no NUL"));
        // SAFETY: this forked child is single-threaded.
        let child = unsafe {
            fork_child(move || {
                if become_session_leader(terminal, 0).is_err() {
                    return 125;
                }
                let _ = nix::unistd::execvp(&argv[0], &argv);
                126
            })
        }?;
        // everything the child writes, until the slave's last copy closes (EIO on Linux)
        let mut output = Vec::new();
        let mut buf = [0u8; 256];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => output.extend_from_slice(&buf[..n]),
            }
        }
        let code = wait_exit_code(child)?;
        side.send(&format!("{code} {slave_path}"))?;
        for line in String::from_utf8_lossy(&output).lines() {
            side.send(line.trim_end_matches('\r'))?;
        }
        Ok(())
    });
    let first = expect_line(&mut joiner);
    let (code, slave_path) = first.split_once(' ').expect("code and path");
    assert_eq!(code, "0");
    assert_eq!(expect_line(&mut joiner), "33 101");
    assert_eq!(expect_line(&mut joiner), slave_path);
    drop(container);
}
