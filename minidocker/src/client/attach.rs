//! A hijacked connection (`attach`, `exec start`, `run` without `-d`): after the daemon
//! answers `101 UPGRADED`, the socket carries the container's output one way and the user's
//! input the other, outside HTTP. Without a TTY the output is multiplexed in Docker's 8-byte
//! frames (`[stream, 0, 0, 0, len u32 BE]`, the inverse of [`crate::logs::frame`]); with one
//! it is the terminal's raw bytes.

use std::io::{Read, Write};

use hyper::Method;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Client, ClientError, RequestBody};

/// A connection the daemon has handed over to the container's streams.
#[derive(Debug)]
pub struct Hijacked<'c> {
    client: &'c Client,
    io: TokioIo<Upgraded>,
}

/// Where a frame's bytes go, from its header's first byte (0 is stdin echoed back, which
/// Docker writes to stdout).
fn frame_target(stream: u8) -> FrameTarget {
    match stream {
        2 => FrameTarget::Stderr,
        _ => FrameTarget::Stdout,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameTarget {
    Stdout,
    Stderr,
}

/// The stream and length of a frame header.
fn parse_frame_header(header: [u8; 8]) -> (FrameTarget, usize) {
    let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    (frame_target(header[0]), len as usize)
}

/// Copies a multiplexed stream (`logs` of a container without a TTY) to `stdout` and
/// `stderr`, frame by frame as the frames arrive, until it ends between two frames.
pub fn copy_frames(
    mut from: impl Read,
    stdout: &mut impl Write,
    stderr: &mut impl Write,
) -> std::io::Result<()> {
    let mut header = [0u8; 8];
    loop {
        match from.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let (target, len) = parse_frame_header(header);
        let mut payload = vec![0u8; len];
        from.read_exact(&mut payload)?;
        let out: &mut dyn Write = match target {
            FrameTarget::Stdout => stdout,
            FrameTarget::Stderr => stderr,
        };
        out.write_all(&payload)?;
        out.flush()?;
    }
}

/// A request of [`Client::hijack_and_request`]: method, path, body.
pub type Request<'a> = (Method, &'a str, RequestBody);

/// How an upgrade went: the connection, an answer that refused it, or no answer.
type Upgrade<'c> = Result<Hijacked<'c>, Result<super::Response<'c>, ClientError>>;

impl Client {
    /// Sends `method path` asking to upgrade the connection (`Connection: Upgrade`,
    /// `Upgrade: tcp`) and returns it once the daemon agreed (101, or 200 from old daemons).
    pub fn hijack(&self, method: Method, path: &str, body: RequestBody) -> Result<Hijacked<'_>, ClientError> {
        Self::hijacked(self.block_on(self.upgrade(method, path, body)))
    }

    /// [`Client::hijack`] and [`Client::request`] at once, on two connections: what `run`
    /// needs in place before its start (the attach, the wait) in one round trip, not two.
    pub fn hijack_and_request(
        &self,
        hijack: Request<'_>,
        request: Request<'_>,
    ) -> (
        Result<Hijacked<'_>, ClientError>,
        Result<super::Response<'_>, ClientError>,
    ) {
        let (upgraded, answered) = self.block_on(async {
            tokio::join!(
                self.upgrade(hijack.0, hijack.1, hijack.2),
                self.send(request.0, request.1, request.2, false)
            )
        });
        (Self::hijacked(upgraded), answered.and_then(Self::succeeded))
    }

    async fn upgrade(&self, method: Method, path: &str, body: RequestBody) -> Upgrade<'_> {
        let response = self.send(method.clone(), path, body, true).await.map_err(Err)?;
        if response.is_error() {
            // reading the error body needs block_on: leave the async block first
            return Err(Ok(response));
        }
        let Some(on_upgrade) = response.upgrade else {
            return Err(Err(ClientError::Io {
                what: format!("{method} {path}"),
                source: std::io::Error::other("the daemon did not upgrade the connection"),
            }));
        };
        let upgraded = on_upgrade.await.map_err(|source| {
            Err(ClientError::Http {
                method,
                path: path.to_owned(),
                source,
            })
        })?;
        Ok(Hijacked {
            client: self,
            io: TokioIo::new(upgraded),
        })
    }

    /// The connection of an [`Client::upgrade`], or its error (a refusal's read from its body).
    fn hijacked(upgrade: Upgrade<'_>) -> Result<Hijacked<'_>, ClientError> {
        upgrade.map_err(|failed| match failed {
            Ok(response) => response.into_error(),
            Err(e) => e,
        })
    }
}

impl Hijacked<'_> {
    /// Copies `stdin` (if any) to the container and its output to this process's stdout
    /// and stderr (demultiplexed unless `tty`) until the output ends. At the end of `stdin`
    /// the write half is shut down, which the daemon passes on as the container's EOF.
    pub fn pump(self, stdin: Option<Box<dyn Read + Send>>, tty: bool) -> Result<(), ClientError> {
        let io_error = |what: &str| {
            let what = what.to_owned();
            move |source| ClientError::Io { what, source }
        };
        let client = self.client;
        client.block_on(async move {
            let (mut from_daemon, mut to_daemon) = tokio::io::split(self.io);
            let input = stdin.map(|stdin| {
                let mut chunks = read_in_thread(stdin);
                tokio::spawn(async move {
                    while let Some(chunk) = chunks.recv().await {
                        if to_daemon.write_all(&chunk).await.is_err() {
                            return;
                        }
                    }
                    let _ = to_daemon.shutdown().await;
                })
            });
            let output = async {
                let mut stdout = std::io::stdout();
                let mut stderr = std::io::stderr();
                if tty {
                    let mut buf = vec![0u8; 32 * 1024];
                    loop {
                        let n = from_daemon
                            .read(&mut buf)
                            .await
                            .map_err(io_error("reading the container's output"))?;
                        if n == 0 {
                            return Ok(());
                        }
                        stdout.write_all(&buf[..n]).map_err(io_error("writing stdout"))?;
                        stdout.flush().map_err(io_error("writing stdout"))?;
                    }
                }
                let mut header = [0u8; 8];
                loop {
                    match from_daemon.read_exact(&mut header).await {
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                        Err(e) => return Err(io_error("reading the container's output")(e)),
                    }
                    let (target, len) = parse_frame_header(header);
                    let mut payload = vec![0u8; len];
                    from_daemon
                        .read_exact(&mut payload)
                        .await
                        .map_err(io_error("reading the container's output"))?;
                    let out: &mut dyn Write = match target {
                        FrameTarget::Stdout => &mut stdout,
                        FrameTarget::Stderr => &mut stderr,
                    };
                    out.write_all(&payload)
                        .map_err(io_error("writing the container's output"))?;
                    out.flush().map_err(io_error("writing the container's output"))?;
                }
            };
            let result = output.await;
            if let Some(input) = input {
                input.abort();
            }
            result
        })
    }
}

/// `reader`'s bytes as they come, read on a thread of its own (a terminal's read blocks).
fn read_in_thread(mut reader: Box<dyn Read + Send>) -> tokio::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx.blocking_send(buf[..n].to_vec()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{Stream, frame};

    /// Reads one request's head (up to the blank line) from `stream`; its first line.
    fn request_line(stream: &mut std::os::unix::net::UnixStream) -> String {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(stream.read(&mut byte).unwrap(), 1, "the request ended early");
            head.push(byte[0]);
        }
        String::from_utf8_lossy(&head)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn hijack_and_request_has_both_in_flight_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("daemon.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        // A daemon that answers neither request before it has both: one sent after the
        // other's answer would never be answered (the test's timeout ends it then).
        let daemon = std::thread::spawn(move || {
            listener.set_nonblocking(true).unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let mut connections = Vec::new();
            while connections.len() < 2 {
                match listener.accept() {
                    Ok((c, _)) => {
                        c.set_nonblocking(false).unwrap();
                        connections.push(c);
                    }
                    Err(e)
                        if e.kind() == std::io::ErrorKind::WouldBlock
                            && std::time::Instant::now() < deadline =>
                    {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    Err(e) => panic!("{} of the 2 requests came: {e}", connections.len()),
                }
            }
            let mut lines = Vec::new();
            for c in &mut connections {
                c.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                    .unwrap();
                lines.push(request_line(c));
            }
            for (c, line) in connections.iter_mut().zip(&lines) {
                let answer = if line.contains("/attach") {
                    "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n".to_owned()
                } else {
                    let body = r#"{"StatusCode":3,"Error":{"Message":""}}"#;
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                };
                c.write_all(answer.as_bytes()).unwrap();
            }
            lines.sort();
            (lines, connections)
        });
        let client = Client::new(super::super::Host::Unix(socket)).unwrap();
        let (hijacked, wait) = client.hijack_and_request(
            (Method::POST, "/containers/c/attach?stream=1", RequestBody::Empty),
            (
                Method::POST,
                "/containers/c/wait?condition=removed",
                RequestBody::Empty,
            ),
        );
        let (lines, _connections) = daemon.join().unwrap();
        assert_eq!(
            lines,
            [
                "POST /v1.41/containers/c/attach?stream=1 HTTP/1.1",
                "POST /v1.41/containers/c/wait?condition=removed HTTP/1.1"
            ]
        );
        assert!(hijacked.is_ok(), "{:?}", hijacked.err());
        let wait = wait.unwrap();
        assert_eq!(wait.status, 200);
        assert_eq!(
            wait.bytes().unwrap(),
            br#"{"StatusCode":3,"Error":{"Message":""}}"#.as_slice()
        );
    }

    #[test]
    fn frame_headers_invert_the_daemons_frames() {
        for (stream, target) in [
            (Stream::Stdout, FrameTarget::Stdout),
            (Stream::Stderr, FrameTarget::Stderr),
        ] {
            let framed = frame(stream, b"hello");
            let header: [u8; 8] = framed[..8].try_into().unwrap();
            assert_eq!(parse_frame_header(header), (target, 5));
        }
        assert_eq!(
            parse_frame_header([0, 0, 0, 0, 0, 1, 0, 0]),
            (FrameTarget::Stdout, 65536)
        );
    }

    #[test]
    fn copied_frames_go_to_their_streams() {
        let mut wire = frame(Stream::Stdout, b"out 1\n");
        wire.extend(frame(Stream::Stderr, b"err\n"));
        wire.extend(frame(Stream::Stdout, b"out 2\n"));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        copy_frames(&wire[..], &mut out, &mut err).unwrap();
        assert_eq!((&out[..], &err[..]), (&b"out 1\nout 2\n"[..], &b"err\n"[..]));
    }
}
