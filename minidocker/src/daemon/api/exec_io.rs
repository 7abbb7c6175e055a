//! An exec's helper process and its streams (chapter 8): its stdout and stderr to the client
//! (multiplexed frames, or raw with a terminal), the client's input to its stdin (`-i`), and
//! with `-t` the terminal's master, which the helper sends over a socket once it has made the
//! terminal inside the container ([`crate::exec`]). The daemon holds that master: it relays
//! it both ways, resizes it, and closes it when the client goes away, which hangs the
//! terminal up (SIGHUP), so an exec'd shell does not outlive its user.
//!
//! ```text
//!  client ══▶ input ──▶ stdin pipe ─────────────────▶ helper ─▶ command's fd 0      (-i)
//!         ══▶ input ──▶ detach keys? ──▶ pty master ◀═══ console socket ═══ helper   (-t)
//!  client ◀══ output ◀── frames ◀── stdout, stderr pipes ◀── helper
//!         ◀══ output ◀── raw bytes ◀── pty master                                   (-t)
//! ```

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use tokio::sync::mpsc;

use super::exec::{ExecRecord, Execs};
use super::hijack::{InputEnd, Session, SessionEnd, copy_input};
use super::record_watch::POLL;
use super::{ApiError, AppState};
use crate::detach_keys::{DetachKeys, EscapeScanner};
use crate::exec::SPEC_ENV;
use crate::logs::{Stream, frame};
use crate::terminal::{console_socket_pair, inherit_across_exec, receive_master, set_window_size};

// ANCHOR: spawn_helper
/// Starts the helper for `record`, wired to `session` (none: `docker exec -d`, the output
/// goes nowhere); its exit goes into the record, and the session's output ends only after
/// that, so a client that asks for the exit code next finds it.
pub(super) fn spawn_helper(
    state: &AppState,
    record: &ExecRecord,
    session: Option<Session>,
    keys: DetachKeys,
) -> Result<(), ApiError> {
    let tty = record.tty();
    let (console, helper_console) = match tty {
        true => {
            let (ours, theirs) = console_socket_pair()
                .map_err(|e| ApiError::internal(format!("the exec's console socket (socketpair(2)): {e}")))?;
            (Some(ours), Some(theirs))
        }
        false => (None, None),
    };
    let mut spec = record.spec().clone();
    spec.console_fd = helper_console.as_ref().map(|fd| fd.as_raw_fd());
    let spec = serde_json::to_string(&spec).map_err(|e| ApiError::internal(e.to_string()))?;
    let (output, input, end) = match session {
        Some(Session { output, input, end }) => (Some(output), input, end),
        None => (None, None, SessionEnd::default()),
    };
    let mut command = state.helper_command("exec-helper", &record.container_id);
    command
        .env(SPEC_ENV, spec)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if input.is_some() && !tty {
        command.stdin(Stdio::piped());
    }
    if let Some(fd) = helper_console.as_ref().map(|fd| fd.as_raw_fd()) {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec the closure only calls fcntl(2), which is
        // async-signal-safe; `fd` is the helper's end of the socket pair, open in the child's
        // copy of our descriptor table.
        unsafe {
            command.pre_exec(move || {
                inherit_across_exec(BorrowedFd::borrow_raw(fd)).map_err(std::io::Error::from)
            });
        }
    }
    let mut child = command
        .spawn()
        .map_err(|e| ApiError::internal(format!("starting the exec helper: {e}")))?;
    drop(helper_console); // only the helper holds its end: its exit closes the socket
    let id = record.id.clone();
    state.execs.started(&id, child.id() as i32);

    // the helper's own stdout and stderr: the command's without a terminal, else only the
    // helper's messages before the command runs
    let encode = move |stream: Stream, bytes: &[u8]| match tty {
        true => bytes.to_vec(),
        false => frame(stream, bytes),
    };
    let copy = |pipe: Option<Box<dyn Read + Send>>, stream: Stream| {
        let output = output.clone();
        std::thread::spawn(move || {
            let Some(mut pipe) = pipe else { return };
            let mut buf = [0u8; 8192];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                if let Some(output) = &output {
                    let _ = output.blocking_send(encode(stream, &buf[..n]));
                }
            }
        })
    };
    let copiers = [
        copy(
            child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
            Stream::Stdout,
        ),
        copy(
            child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
            Stream::Stderr,
        ),
    ];
    let exited = Arc::new(AtomicBool::new(false));
    let (terminal_input, pipe_input) = match tty {
        true => (input, None),
        false => (None, input),
    };
    let terminal = console.map(|console| {
        let relay = TerminalRelay {
            execs: state.execs.clone(),
            exec_id: id.clone(),
            input: terminal_input,
            output: output.clone(),
            end: end.clone(),
            keys,
            exited: exited.clone(),
            on_detach: exec_event(state, record, "exec_detach"),
        };
        std::thread::spawn(move || relay_terminal(&console, relay))
    });
    if let (Some(mut stdin), Some(mut input)) = (child.stdin.take(), pipe_input) {
        // `-i` without a terminal: the client closing its input closes the command's
        std::thread::spawn(move || copy_input(&mut input, &mut stdin, None));
    }
    let (execs, died) = (state.execs.clone(), exec_event(state, record, "exec_die"));
    std::thread::spawn(move || {
        for copier in copiers {
            let _ = copier.join();
        }
        let code = child.wait().ok().and_then(|s| s.code()).unwrap_or(-1);
        exited.store(true, Ordering::SeqCst);
        if let Some(terminal) = terminal {
            let _ = terminal.join();
        }
        execs.ended(&id, code);
        died(&[("exitCode", code.to_string())]);
        drop(output); // the last output is sent: the stream ends
    });
    Ok(())
}
// ANCHOR_END: spawn_helper

/// An event to emit later, with attributes of its own.
type LaterEvent = Box<dyn FnOnce(&[(&str, String)]) + Send>;

/// An exec event (`exec_detach`, `exec_die`) for later, with the exec's id and more.
fn exec_event(state: &AppState, record: &ExecRecord, action: &'static str) -> LaterEvent {
    let (engine, container, exec_id) = (state.engine(), record.container_id.clone(), record.id.clone());
    Box::new(move |extra| {
        let Ok(c) = engine.containers.load(&container) else {
            return;
        };
        let mut attributes = vec![("execID", exec_id)];
        attributes.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
        engine.container_event(&c, action, &attributes);
    })
}

/// What the terminal relay of an exec works with.
struct TerminalRelay {
    execs: Execs,
    exec_id: String,
    input: Option<mpsc::Receiver<Vec<u8>>>,
    output: Option<mpsc::Sender<Vec<u8>>>,
    end: SessionEnd,
    keys: DetachKeys,
    /// Set once the helper (and so the command) has exited.
    exited: Arc<AtomicBool>,
    on_detach: LaterEvent,
}

// ANCHOR: relay_terminal
/// The exec's terminal: receives its master from the helper, then copies the client's input
/// to it (watching for the detach keys) and its output to the client, until the terminal is
/// gone (EIO once the last slave closes), the command has exited and nothing more comes, or
/// the client has gone (then our master closes, and the kernel hangs the terminal up).
/// After a detach the command runs on, its output read and dropped.
fn relay_terminal(console: &OwnedFd, relay: TerminalRelay) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let TerminalRelay {
        execs,
        exec_id,
        input,
        mut output,
        end,
        keys,
        exited,
        on_detach,
    } = relay;
    // None: the helper ended before it made the terminal (its stderr says why)
    let Ok(Some(master)) = receive_master(console.as_fd()) else {
        return;
    };
    let master = Arc::new(master);
    execs.attach_terminal(&exec_id, &master);
    let hung_up = Arc::new(AtomicBool::new(false));
    if let Some(mut input) = input {
        let (master, hung_up) = (master.clone(), hung_up.clone());
        std::thread::spawn(move || {
            let Ok(copy) = master.try_clone() else { return };
            drop(master);
            let mut sink = File::from(copy);
            match copy_input(&mut input, &mut sink, Some(EscapeScanner::new(keys))) {
                InputEnd::Detached => on_detach(&[]),
                InputEnd::Closed | InputEnd::Refused => hung_up.store(true, Ordering::SeqCst),
            }
            end.end();
        });
    }
    let poll_ms = u16::try_from(POLL.as_millis()).unwrap_or(u16::MAX);
    let mut buf = [0u8; 8192];
    while !hung_up.load(Ordering::SeqCst) {
        let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(poll_ms)) {
            Ok(0) if exited.load(Ordering::SeqCst) => break,
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => {}
            Err(_) => break,
        }
        match nix::unistd::read(&*master, &mut buf) {
            Ok(0) | Err(Errno::EIO) => break, // the last slave has closed
            Ok(n) => {
                // a client gone (or detached): the output is read and dropped
                if let Some(tx) = &output
                    && tx.blocking_send(buf[..n].to_vec()).is_err()
                {
                    output = None;
                }
            }
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            Err(_) => break,
        }
    }
    execs.detach_terminal(&exec_id);
    // our copies of the master close here (the input's when the session ends)
}
// ANCHOR_END: relay_terminal

impl Execs {
    /// The exec's terminal is there: resizes can reach it, the size asked for already first.
    fn attach_terminal(&self, id: &str, master: &Arc<OwnedFd>) {
        self.with(|m| {
            if let Some(r) = m.get_mut(id) {
                if let Some(size) = r.size {
                    let _ = set_window_size(master.as_fd(), size);
                }
                r.terminal = Some(master.clone());
            }
        });
    }

    fn detach_terminal(&self, id: &str) {
        self.with(|m| {
            if let Some(r) = m.get_mut(id) {
                r.terminal = None;
            }
        });
    }
}
