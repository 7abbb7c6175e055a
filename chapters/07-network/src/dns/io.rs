//! Socket I/O that a stop can interrupt.
//!
//! Every socket of the DNS server is non-blocking, and every wait for it is a poll(2) on two
//! descriptors: the socket, and the read end of a pipe whose write end [`StopSignal::raise`]
//! closes. A closed pipe stays readable for every poller at once, so one `raise` wakes the
//! UDP loop, the TCP accept loop, each TCP connection and each forwarded query, wherever
//! they wait, and they all return at once: stopping never waits for a timeout to run out.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrStorage, sockopt};

/// Wakes every waiting thread of one server, once and for good.
#[derive(Debug)]
pub(crate) struct StopSignal {
    raised: AtomicBool,
    wake: OwnedFd,
    wake_writer: Mutex<Option<OwnedFd>>,
}

/// What a socket is waited for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ready {
    Read,
    Write,
}

impl StopSignal {
    /// A signal not raised yet: pipe2(2).
    pub(crate) fn new() -> io::Result<StopSignal> {
        let (wake, writer) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        Ok(StopSignal {
            raised: AtomicBool::new(false),
            wake,
            wake_writer: Mutex::new(Some(writer)),
        })
    }

    /// Raises the signal: closing the pipe's write end makes its read end readable (end of
    /// file) for every poll(2), now and later.
    pub(crate) fn raise(&self) {
        self.raised.store(true, Ordering::SeqCst);
        if let Ok(mut writer) = self.wake_writer.lock() {
            writer.take();
        }
    }

    /// Whether [`StopSignal::raise`] was called.
    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::SeqCst)
    }

    /// Waits until `socket` is ready, the deadline passes (`TimedOut`) or the signal is
    /// raised (an error saying so): poll(2).
    pub(crate) fn wait(
        &self,
        socket: BorrowedFd<'_>,
        ready: Ready,
        deadline: Option<Instant>,
    ) -> io::Result<()> {
        let events = match ready {
            Ready::Read => PollFlags::POLLIN,
            Ready::Write => PollFlags::POLLOUT,
        };
        loop {
            if self.is_raised() {
                return Err(stopped());
            }
            let timeout = match deadline {
                None => PollTimeout::NONE,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                    // round up, so a wait never ends just before its deadline
                    PollTimeout::try_from(left + Duration::from_micros(999)).unwrap_or(PollTimeout::MAX)
                }
            };
            let mut fds = [
                PollFd::new(socket, events),
                PollFd::new(self.wake.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, timeout) {
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(errno) => return Err(errno.into()),
            }
            if fds[1].any().unwrap_or(false) {
                return Err(stopped());
            }
            // readiness, an error or a hang-up: the next read or write tells which
            if fds[0].revents().is_some_and(|r| !r.is_empty()) {
                return Ok(());
            }
        }
    }
}

/// The error a wait returns once the server stops.
fn stopped() -> io::Error {
    io::Error::other("embedded DNS server stopping")
}

/// True for the errors that mean "try again once the socket is ready".
pub(crate) fn is_transient(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
}

/// Connects a non-blocking TCP socket to `addr`: socket(2), connect(2) (`EINPROGRESS`), a
/// wait for writability, then the outcome from `SO_ERROR` (getsockopt(2)). Made here rather
/// than with `TcpStream::connect_timeout` so that a stop interrupts the wait.
pub(crate) fn connect(addr: SocketAddr, deadline: Instant, stop: &StopSignal) -> io::Result<TcpStream> {
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    };
    let socket = nix::sys::socket::socket(
        family,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    match nix::sys::socket::connect(socket.as_raw_fd(), &SockaddrStorage::from(addr)) {
        Ok(()) => {}
        Err(Errno::EINPROGRESS) => {
            stop.wait(socket.as_fd(), Ready::Write, Some(deadline))?;
            let error = nix::sys::socket::getsockopt(&socket, sockopt::SocketError)?;
            if error != 0 {
                return Err(io::Error::from_raw_os_error(error));
            }
        }
        Err(errno) => return Err(errno.into()),
    }
    Ok(TcpStream::from(socket))
}

/// Fills `buf` from a non-blocking stream; end of file before that is `UnexpectedEof`.
fn read_exact(
    mut stream: &TcpStream,
    buf: &mut [u8],
    deadline: Instant,
    stop: &StopSignal,
) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match stream.read(&mut buf[done..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => done += n,
            Err(e) if is_transient(&e) => stop.wait(stream.as_fd(), Ready::Read, Some(deadline))?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes all of `buf` to a non-blocking stream.
fn write_all(mut stream: &TcpStream, buf: &[u8], deadline: Instant, stop: &StopSignal) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match stream.write(&buf[done..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if is_transient(&e) => stop.wait(stream.as_fd(), Ready::Write, Some(deadline))?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

// ANCHOR: tcp_framing
/// Reads one DNS message from a TCP stream: a two-byte big-endian length, then the message
/// (RFC 1035 section 4.2.2).
pub(crate) fn read_message(stream: &TcpStream, deadline: Instant, stop: &StopSignal) -> io::Result<Vec<u8>> {
    let mut length = [0u8; 2];
    read_exact(stream, &mut length, deadline, stop)?;
    let mut message = vec![0u8; usize::from(u16::from_be_bytes(length))];
    read_exact(stream, &mut message, deadline, stop)?;
    Ok(message)
}

/// Writes one DNS message to a TCP stream, length first.
pub(crate) fn write_message(
    stream: &TcpStream,
    message: &[u8],
    deadline: Instant,
    stop: &StopSignal,
) -> io::Result<()> {
    let length = u16::try_from(message.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "DNS message over 65535 bytes"))?;
    let mut framed = Vec::with_capacity(message.len() + 2);
    framed.extend_from_slice(&length.to_be_bytes());
    framed.extend_from_slice(message);
    write_all(stream, &framed, deadline, stop)
}
// ANCHOR_END: tcp_framing

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::net::{Ipv4Addr, TcpListener, UdpSocket};
    use std::sync::Arc;

    #[test]
    fn a_raised_signal_wakes_a_waiting_thread() {
        // loopback of the test's own namespace: no privilege, nothing sent anywhere
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let stop = Arc::new(StopSignal::new().unwrap());
        let waiter = {
            let stop = stop.clone();
            std::thread::spawn(move || stop.wait(socket.as_fd(), Ready::Read, None))
        };
        stop.raise();
        let outcome = waiter.join().unwrap();
        assert_eq!(outcome.unwrap_err().to_string(), "embedded DNS server stopping");
        assert!(stop.is_raised());
    }

    #[test]
    fn a_wait_past_its_deadline_times_out() {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let stop = StopSignal::new().unwrap();
        let outcome = stop.wait(socket.as_fd(), Ready::Read, Some(Instant::now()));
        assert_eq!(outcome.unwrap_err().kind(), io::ErrorKind::TimedOut);
    }

    #[test]
    fn messages_round_trip_over_tcp_with_their_length_first() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let stop = StopSignal::new().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let client = connect(listener.local_addr().unwrap(), deadline, &stop).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        write_message(&client, b"hello dns", deadline, &stop).unwrap();
        assert_eq!(read_message(&server, deadline, &stop).unwrap(), b"hello dns");
        drop(client);
        let eof = read_message(&server, deadline, &stop).unwrap_err();
        assert_eq!(eof.kind(), io::ErrorKind::UnexpectedEof);
    }
}
