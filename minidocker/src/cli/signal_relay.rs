//! While a container is attached, what happens to the CLI happens to the container: the
//! signals the CLI receives are sent on to it (`--sig-proxy`, Docker's `ForwardAllSignals`:
//! `POST /containers/{id}/kill?signal=N`), and a resized terminal resizes the container's
//! (`-t`, Docker's `MonitorTtySize`: `POST /containers/{id}/resize?h=&w=` at once and on
//! every `SIGWINCH`).
//!
//! Chapter 1's way, without a signal handler: the signals are blocked in the main thread
//! before any other thread exists (threads inherit the mask), then a thread of the relay's
//! own takes them one by one with sigwait(3) and makes the requests, on a connection of its
//! own while the main thread pumps the container's streams. They stay blocked until the
//! process exits: one that arrives after the streams ended is dropped, never the CLI's death.

use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::time::Duration;

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};

use crate::client::{Client, Host, query};

/// How many times the first resize is tried again (the container's pty may not be there
/// yet), as Docker's `initTtySize`.
const RESIZE_RETRIES: u32 = 10;

/// Signals blocked, to be relayed once [`SignalRelay::start`] runs.
#[derive(Debug)]
pub struct SignalRelay {
    signals: SigSet,
    /// `/containers/{id}/kill`, when signals are proxied.
    kill: Option<String>,
    /// `/containers/{id}/resize` or `/exec/{id}/resize`, when the terminal is followed.
    resize: Option<String>,
}

impl SignalRelay {
    /// Blocks the signals to relay in the calling thread: every signal chapter 1 forwards if
    /// `kill` (the container's kill path) is given, `SIGWINCH` if `resize` (a resize path)
    /// is. Call it before any other thread is started.
    pub fn block(kill: Option<String>, resize: Option<String>) -> SignalRelay {
        let mut signals = SigSet::empty();
        if kill.is_some() {
            signals = ch01_process::forwarded_signals();
        }
        if resize.is_some() {
            signals.add(Signal::SIGWINCH);
        }
        if let Err(e) = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&signals), None) {
            tracing::warn!("blocking the signals to relay (pthread_sigmask(3)): {e}");
        }
        SignalRelay {
            signals,
            kill,
            resize,
        }
    }

    /// Starts relaying on a thread of its own, with a connection to `host` of its own; with a
    /// resize path, the container's terminal takes the local one's size first.
    pub fn start(self, host: &Host) {
        if self.kill.is_none() && self.resize.is_none() {
            return;
        }
        let host = host.clone();
        std::thread::spawn(move || {
            let client = match Client::new(host) {
                Ok(client) => client,
                Err(e) => {
                    tracing::warn!("relaying signals: {e}");
                    return;
                }
            };
            if let Some(path) = &self.resize {
                first_resize(&client, path);
            }
            loop {
                let signal = match self.signals.wait() {
                    Ok(signal) => signal,
                    Err(e) => {
                        tracing::warn!("waiting for signals (sigwait(3)): {e}");
                        return;
                    }
                };
                match (signal, &self.kill, &self.resize) {
                    (Signal::SIGWINCH, _, Some(path)) => {
                        let _ = resize(&client, path);
                    }
                    (signal, Some(kill), _) => {
                        let number = (signal as i32).to_string();
                        let path = format!("{kill}?{}", query(&[("signal", &number)]));
                        if let Err(e) = client.post(&path) {
                            tracing::debug!("sending {signal} to the container: {e}");
                        }
                    }
                    _ => {}
                }
            }
        });
    }
}

/// The size of the terminal on standard output, if it is one and knows its size.
fn local_size() -> Option<(u16, u16)> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    super::terminal::size(stdout.as_fd()).filter(|&(rows, cols)| rows > 0 || cols > 0)
}

/// `POST {path}?h=&w=` with the local terminal's size (nothing if it has none).
fn resize(client: &Client, path: &str) -> Result<(), crate::client::ClientError> {
    let Some((rows, cols)) = local_size() else {
        return Ok(());
    };
    let (h, w) = (rows.to_string(), cols.to_string());
    client.post(&format!("{path}?{}", query(&[("h", &h), ("w", &w)])))
}

/// The first resize, tried again a few times with growing pauses if it fails.
fn first_resize(client: &Client, path: &str) {
    let mut result = resize(client, path);
    for retry in 1..=RESIZE_RETRIES {
        if result.is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10 * u64::from(retry)));
        result = resize(client, path);
    }
    if result.is_err() {
        eprintln!("failed to resize tty, using default size");
    }
}
