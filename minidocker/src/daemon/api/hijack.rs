//! Taken-over connections, for `attach` and `exec start`: the client asks to upgrade
//! (`Connection: Upgrade`, `Upgrade: tcp`), the daemon answers HTTP 101 and from then on the
//! connection is a plain byte stream both ways: the container's output to the client (as
//! multiplexed frames, or raw with a terminal), the client's input (`stdin=1`) to the
//! container, until the container ends, the client closes its input, or it detaches.
//!
//! ```text
//!  client ══ 101 ══ connection task ─── output ◀── mpsc ◀── producer (log pump, exec pipes)
//!                         │
//!                         └── input ──▶ mpsc ──▶ consumer (stdin FIFO, pipe, pty master)
//!                   either side may end the session: SessionEnd
//! ```

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::response::Response;
use ch10_api::hijack::{body_of, upgraded_response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::Upgrade;
use crate::detach_keys::EscapeScanner;

/// How many chunks each direction buffers before the other side waits.
const CHANNEL_DEPTH: usize = 64;

/// The end of a session, which either side may call: the output (the container ended), the
/// input (the client detached or closed its input), the connection (the client went away).
#[derive(Debug, Clone, Default)]
pub struct SessionEnd(Arc<SessionEndInner>);

#[derive(Debug, Default)]
struct SessionEndInner {
    ended: AtomicBool,
    notify: tokio::sync::Notify,
}

impl SessionEnd {
    pub fn end(&self) {
        self.0.ended.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_ended(&self) -> bool {
        self.0.ended.load(Ordering::SeqCst)
    }

    async fn ended(&self) {
        loop {
            // registered before the check, so an end() in between is not missed
            let notified = self.0.notify.notified();
            if self.is_ended() {
                return;
            }
            notified.await;
        }
    }
}

/// The blocking side of a taken-over connection.
#[derive(Debug)]
pub struct Session {
    /// What to send the client; the connection closes once every sender is gone.
    pub output: mpsc::Sender<Vec<u8>>,
    /// What the client sends, if asked for: `blocking_recv` gives `None` once the client has
    /// closed its side (or the session has ended).
    pub input: Option<mpsc::Receiver<Vec<u8>>>,
    pub end: SessionEnd,
}

// ANCHOR: take_over
/// Answers an `attach` or `exec start`: HTTP 101 (chapter 10's `upgraded_response`), then the
/// connection carries what the session's `output` brings and, `with_input`, brings what the
/// client sends to its `input` (chapter 10's `raw_stream` is the output half alone). A client
/// that did not ask to upgrade gets the output as the response body, and no input.
pub fn take_over(Upgrade(on_upgrade): Upgrade, with_input: bool) -> (Response, Session) {
    let (output, mut outgoing) = mpsc::channel::<Vec<u8>>(CHANNEL_DEPTH);
    let end = SessionEnd::default();
    let Some(on_upgrade) = on_upgrade else {
        let session = Session {
            output,
            input: None,
            end,
        };
        return (Response::new(body_of(outgoing)), session);
    };
    let (incoming, input) = match with_input {
        true => {
            let (tx, rx) = mpsc::channel::<Vec<u8>>(CHANNEL_DEPTH);
            (Some(tx), Some(rx))
        }
        false => (None, None),
    };
    let task_end = end.clone();
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            task_end.end();
            return;
        };
        let (reader, mut writer) = tokio::io::split(hyper_util::rt::TokioIo::new(upgraded));
        let input_task = incoming.map(|tx| tokio::spawn(forward_input(reader, tx, task_end.clone())));
        loop {
            tokio::select! {
                bytes = outgoing.recv() => match bytes {
                    Some(bytes) if writer.write_all(&bytes).await.is_ok() => {}
                    _ => break,
                },
                () = task_end.ended() => break,
            }
        }
        let _ = writer.shutdown().await;
        task_end.end();
        if let Some(task) = input_task {
            let _ = task.await;
        }
    });
    (upgraded_response(), Session { output, input, end })
}
// ANCHOR_END: take_over

/// The client's bytes into `tx` until it closes its side (EOF), the connection fails, or
/// the session ends; dropping `tx` then tells the consumer.
async fn forward_input(
    mut reader: impl tokio::io::AsyncRead + Unpin,
    tx: mpsc::Sender<Vec<u8>>,
    end: SessionEnd,
) {
    let mut buf = vec![0u8; 8192];
    loop {
        let n = tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(n @ 1..) => n,
                _ => return,
            },
            () = end.ended() => return,
        };
        tokio::select! {
            sent = tx.send(buf[..n].to_vec()) => if sent.is_err() { return },
            () = end.ended() => return,
        }
    }
}

/// How a client's input ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputEnd {
    /// The client closed its input (or the session ended).
    Closed,
    /// The client typed the detach keys.
    Detached,
    /// The container's side is closed: nobody reads it any more.
    Refused,
}

// ANCHOR: copy_input
/// Copies a client's input to `sink`, looking for the detach keys when `scanner` is given
/// (a terminal only, as dockerd does): what precedes them goes on, they end the copy.
pub fn copy_input(
    input: &mut mpsc::Receiver<Vec<u8>>,
    sink: &mut impl Write,
    mut scanner: Option<EscapeScanner>,
) -> InputEnd {
    while let Some(chunk) = input.blocking_recv() {
        let (bytes, detached) = match &mut scanner {
            Some(scanner) => {
                let scanned = scanner.scan(&chunk);
                (scanned.forward, scanned.detached)
            }
            None => (chunk, false),
        };
        if !bytes.is_empty() && sink.write_all(&bytes).and_then(|()| sink.flush()).is_err() {
            return InputEnd::Refused;
        }
        if detached {
            return InputEnd::Detached;
        }
    }
    InputEnd::Closed
}
// ANCHOR_END: copy_input

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detach_keys::DetachKeys;

    fn input(chunks: &[&[u8]]) -> mpsc::Receiver<Vec<u8>> {
        let (tx, rx) = mpsc::channel(16);
        for chunk in chunks {
            tx.try_send(chunk.to_vec()).unwrap();
        }
        rx
    }

    #[test]
    fn input_is_copied_until_the_client_closes_it() {
        let mut sink = Vec::new();
        let end = copy_input(&mut input(&[b"a\n", b"b\x10\x11\n"]), &mut sink, None);
        assert_eq!(end, InputEnd::Closed);
        assert_eq!(sink, b"a\nb\x10\x11\n", "no terminal: the keys are just bytes");
    }

    #[test]
    fn the_detach_keys_end_the_copy_with_a_terminal() {
        let mut sink = Vec::new();
        let scanner = EscapeScanner::new(DetachKeys::default());
        let mut rx = input(&[b"ls\r", b"x\x10", b"\x11", b"never"]);
        assert_eq!(copy_input(&mut rx, &mut sink, Some(scanner)), InputEnd::Detached);
        assert_eq!(sink, b"ls\rx");
    }

    #[test]
    fn a_closed_container_side_refuses_the_input() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        assert_eq!(
            copy_input(&mut input(&[b"x"]), &mut Closed, None),
            InputEnd::Refused
        );
    }

    #[tokio::test]
    async fn an_end_wakes_every_waiter_even_one_that_comes_late() {
        let end = SessionEnd::default();
        let waiter = tokio::spawn({
            let end = end.clone();
            async move { end.ended().await }
        });
        end.end();
        waiter.await.unwrap();
        end.ended().await; // already ended: returns at once
        assert!(end.is_ended());
    }
}
