//! ex4: a descriptor through a unix socket (`SCM_RIGHTS`), the way a pty's master leaves the
//! container.

use std::io::{Read, Write};
use std::os::fd::AsFd;

use lab08_exec::Terminal;
use lab08_exec::console::{console_socket_pair, receive_master, send_master};

#[test]
fn ex4_a_master_sent_over_the_socket_carries_the_slaves_output() {
    let terminal = Terminal::open().expect("a pty");
    let (ours, theirs) = console_socket_pair().expect("socketpair");
    send_master(theirs.as_fd(), terminal.master.as_fd()).expect("send");
    let received = receive_master(ours.as_fd()).expect("receive").expect("a master");
    // only the received copy of the master is left open
    drop(terminal.master);
    std::fs::File::from(terminal.slave)
        .write_all(b"ping\n")
        .expect("write to the slave");
    let mut got = [0u8; 16];
    let n = std::fs::File::from(received)
        .read(&mut got)
        .expect("read the master");
    // the line discipline turns \n into \r\n on the way out
    assert_eq!(&got[..n], b"ping\r\n");
}

#[test]
fn ex4_the_receiver_sees_the_end_when_the_sender_closes() {
    let (ours, theirs) = console_socket_pair().expect("socketpair");
    drop(theirs);
    assert!(receive_master(ours.as_fd()).expect("receive").is_none());
}

#[test]
fn ex4_a_received_master_is_close_on_exec() {
    let terminal = Terminal::open().expect("a pty");
    let (ours, theirs) = console_socket_pair().expect("socketpair");
    send_master(theirs.as_fd(), terminal.master.as_fd()).expect("send");
    let received = receive_master(ours.as_fd()).expect("receive").expect("a master");
    let flags = nix::fcntl::fcntl(&received, nix::fcntl::FcntlArg::F_GETFD).expect("F_GETFD");
    assert_ne!(
        flags & libc::FD_CLOEXEC,
        0,
        "the command exec'd next must not inherit it"
    );
}

#[test]
fn ex4_bytes_without_a_descriptor_are_skipped() {
    let terminal = Terminal::open().expect("a pty");
    let (ours, theirs) = console_socket_pair().expect("socketpair");
    // a plain byte first, then the master
    std::fs::File::from(theirs.try_clone().expect("dup"))
        .write_all(b"x")
        .expect("write");
    send_master(theirs.as_fd(), terminal.master.as_fd()).expect("send");
    drop(theirs);
    let received = receive_master(ours.as_fd()).expect("receive");
    assert!(received.is_some(), "the master after the plain byte");
    assert!(receive_master(ours.as_fd()).expect("receive").is_none());
}
