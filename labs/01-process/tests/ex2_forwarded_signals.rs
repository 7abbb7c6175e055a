//! ex2: `forwarded_signals`, the signals a supervisor passes on to its child.

use lab01_process::forwarded_signals;
use nix::sys::signal::Signal;

/// The signals a supervisor keeps for itself or cannot touch at all.
const NOT_FORWARDED: [Signal; 6] = [
    Signal::SIGKILL,
    Signal::SIGSTOP,
    Signal::SIGCHLD,
    Signal::SIGPIPE,
    Signal::SIGURG,
    Signal::SIGWINCH,
];

#[test]
fn ex2_forwards_what_docker_stop_and_ctrl_c_send() {
    let set = forwarded_signals();
    for signal in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ] {
        assert!(set.contains(signal), "{signal} must be forwarded");
    }
}

#[test]
fn ex2_keeps_the_signals_that_are_about_the_supervisor_itself() {
    let set = forwarded_signals();
    for signal in NOT_FORWARDED {
        assert!(!set.contains(signal), "{signal} must not be forwarded");
    }
}

#[test]
fn ex2_forwards_every_other_signal() {
    let set = forwarded_signals();
    let missing: Vec<Signal> = Signal::iterator()
        .filter(|s| !NOT_FORWARDED.contains(s) && !set.contains(*s))
        .collect();
    assert!(
        missing.is_empty(),
        "these catchable signals are not forwarded: {missing:?}"
    );
}
