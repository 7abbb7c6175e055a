//! ex3: a terminal for the exec'd process: its controlling terminal and stdio, and its size.

mod common;

use std::ffi::CString;
use std::io::Read;
use std::os::fd::AsFd;

use lab08_exec::terminal::{become_session_leader, make_controlling_stdio, set_window_size, window_size};
use lab08_exec::{Terminal, TerminalError, WindowSize, fork_child, wait_exit_code};
use nix::unistd::geteuid;

/// Runs `sh -c script` on a new pty of size `size`, the slave its controlling terminal and
/// stdio (via `become_session_leader`); returns its exit code, the slave's path and the lines
/// it wrote.
fn on_a_terminal(script: &str, size: WindowSize) -> (i32, String, Vec<String>) {
    let terminal = Terminal::open().expect("a pty");
    set_window_size(terminal.master.as_fd(), size).expect("set the size");
    let mut master = std::fs::File::from(terminal.master.as_fd().try_clone_to_owned().expect("dup"));
    let slave_path = terminal.slave_path.clone();
    let argv = ["sh", "-c", script].map(|a| CString::new(a).expect("no NUL"));
    let uid = geteuid().as_raw();
    // SAFETY: the body makes system calls only (setsid, fchown, ioctl, dup2, execve); the
    // tests run one at a time, so no other thread holds a lock.
    let child = unsafe {
        fork_child(move || {
            if become_session_leader(terminal, uid).is_err() {
                return 125;
            }
            let _ = nix::unistd::execvp(&argv[0], &argv);
            126
        })
    }
    .expect("fork");
    // everything the child writes, until the last copy of the slave closes (EIO)
    let mut output = Vec::new();
    let mut buf = [0u8; 256];
    while let Ok(n @ 1..) = master.read(&mut buf) {
        output.extend_from_slice(&buf[..n]);
    }
    let code = wait_exit_code(child).expect("wait");
    let lines = String::from_utf8_lossy(&output)
        .lines()
        .map(|l| l.trim_end_matches('\r').to_owned())
        .collect();
    (code, slave_path, lines)
}

#[test]
fn ex3_the_size_set_on_the_master_is_the_slaves() {
    let terminal = Terminal::open().expect("a pty");
    let size = WindowSize { rows: 33, cols: 101 };
    set_window_size(terminal.master.as_fd(), size).expect("set the size");
    assert_eq!(window_size(terminal.slave.as_fd()).expect("read it back"), size);
}

#[test]
fn ex3_a_resize_of_something_that_is_not_a_terminal_names_the_size() {
    let null = std::fs::File::open("/dev/null").expect("/dev/null");
    let err = set_window_size(null.as_fd(), WindowSize { rows: 3, cols: 4 }).expect_err("not a tty");
    assert!(
        matches!(err, TerminalError::Resize { rows: 3, cols: 4, .. }),
        "{err:?}"
    );
}

#[test]
fn ex3_the_execd_shell_has_the_pty_as_its_terminal() {
    // /dev/tty opens only for a process with a controlling terminal
    let (code, slave_path, lines) = on_a_terminal(
        "tty; stty size; echo controlling > /dev/tty",
        WindowSize { rows: 30, cols: 100 },
    );
    assert_eq!(code, 0, "{lines:?}");
    assert_eq!(lines, [slave_path.as_str(), "30 100", "controlling"]);
}

#[test]
fn ex3_a_process_that_already_leads_a_session_cannot_start_another() {
    let terminal = Terminal::open().expect("a pty");
    let uid = geteuid().as_raw();
    // SAFETY: system calls only; the tests run one at a time.
    let child = unsafe {
        fork_child(move || {
            if nix::unistd::setsid().is_err() {
                return 2;
            }
            match become_session_leader(terminal, uid) {
                Err(TerminalError::Session { .. }) => 0,
                _ => 1,
            }
        })
    }
    .expect("fork");
    assert_eq!(wait_exit_code(child).expect("wait"), 0);
}

#[test]
fn ex3_make_controlling_stdio_names_the_terminal_when_it_is_not_a_session_leader() {
    let terminal = Terminal::open().expect("a pty");
    let uid = geteuid().as_raw();
    // SAFETY: system calls only; the tests run one at a time.
    let child = unsafe {
        fork_child(move || {
            // not a session leader (a child of a fork never is): TIOCSCTTY is refused
            match make_controlling_stdio(terminal.slave, &terminal.slave_path, uid) {
                Err(TerminalError::Controlling { path, .. }) if path == terminal.slave_path => 0,
                _ => 1,
            }
        })
    }
    .expect("fork");
    assert_eq!(wait_exit_code(child).expect("wait"), 0);
}
