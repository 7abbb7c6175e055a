//! Signals by name or number, the way Docker reads them (`--stop-signal`, `kill -s`,
//! `STOPSIGNAL`): `SIGUSR1`, `usr1`, `USR1` and `10` are one signal, real-time signals are
//! `RTMIN`, `RTMIN+1` … `RTMAX-1`, `RTMAX`; anything else (and `0`) is `Invalid signal: …`.
//! Docker's table is moby's `signal.SignalMap`; its parser `signal.ParseSignal`.

use nix::errno::Errno;
use nix::unistd::Pid;

/// Docker's stop signal when neither the container nor its image names one.
pub const DEFAULT_STOP_SIGNAL: i32 = libc::SIGTERM;

/// Docker's stop timeout, in seconds, when the container has none (`--stop-timeout`).
pub const DEFAULT_STOP_TIMEOUT: i64 = 10;

/// A signal Docker does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid signal: {0}")]
pub struct InvalidSignal(pub String);

/// The real-time signals as Linux numbers them (glibc keeps 32 and 33 for itself).
const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;

/// The named signals, without their `SIG` prefix (moby's `SignalMap`, less the real-time
/// ones, which [`parse_signal`] computes).
const NAMED: [(&str, i32); 34] = [
    ("ABRT", libc::SIGABRT),
    ("ALRM", libc::SIGALRM),
    ("BUS", libc::SIGBUS),
    ("CHLD", libc::SIGCHLD),
    ("CLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("FPE", libc::SIGFPE),
    ("HUP", libc::SIGHUP),
    ("ILL", libc::SIGILL),
    ("INT", libc::SIGINT),
    ("IO", libc::SIGIO),
    ("IOT", libc::SIGIOT),
    ("KILL", libc::SIGKILL),
    ("PIPE", libc::SIGPIPE),
    ("POLL", libc::SIGPOLL),
    ("PROF", libc::SIGPROF),
    ("PWR", libc::SIGPWR),
    ("QUIT", libc::SIGQUIT),
    ("SEGV", libc::SIGSEGV),
    ("STKFLT", libc::SIGSTKFLT),
    ("STOP", libc::SIGSTOP),
    ("SYS", libc::SIGSYS),
    ("TERM", libc::SIGTERM),
    ("TRAP", libc::SIGTRAP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("USR1", libc::SIGUSR1),
    ("USR2", libc::SIGUSR2),
    ("VTALRM", libc::SIGVTALRM),
    ("WINCH", libc::SIGWINCH),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
];

// ANCHOR: parse_signal
/// `raw` as a signal number, as Docker parses it: a number is taken as it is (any but 0;
/// whether the kernel knows it is for `kill(2)` to say), a name in any case with or without
/// `SIG`, `RTMIN+n` for n up to 15 and `RTMAX-n` for n up to 14.
pub fn parse_signal(raw: &str) -> Result<i32, InvalidSignal> {
    let invalid = || InvalidSignal(raw.to_owned());
    if let Ok(number) = raw.parse::<i64>() {
        return match i32::try_from(number) {
            Ok(0) | Err(_) => Err(invalid()),
            Ok(n) => Ok(n),
        };
    }
    let upper = raw.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some((_, number)) = NAMED.iter().find(|(n, _)| *n == name) {
        return Ok(*number);
    }
    // Exactly the spellings of moby's table: `RTMIN+1`, not `RTMIN+01` nor `RTMIN+0`.
    let offset = |text: &str, max: i32| {
        text.parse::<i32>()
            .ok()
            .filter(|n| (1..=max).contains(n) && n.to_string() == text)
    };
    match name {
        "RTMIN" => Ok(SIGRTMIN),
        "RTMAX" => Ok(SIGRTMAX),
        _ => {
            if let Some(n) = name.strip_prefix("RTMIN+").and_then(|t| offset(t, 15)) {
                Ok(SIGRTMIN + n)
            } else if let Some(n) = name.strip_prefix("RTMAX-").and_then(|t| offset(t, 14)) {
                Ok(SIGRTMAX - n)
            } else {
                Err(invalid())
            }
        }
    }
}
// ANCHOR_END: parse_signal

/// The signal `stop` sends first: the container's `StopSignal` (its own or its image's),
/// else SIGTERM; one that does not parse counts as none (Docker's `container.StopSignal`).
pub fn stop_signal(configured: &str) -> i32 {
    match configured {
        "" => DEFAULT_STOP_SIGNAL,
        name => parse_signal(name).unwrap_or(DEFAULT_STOP_SIGNAL),
    }
}

/// Sends signal number `signo` to `pid` with
/// [`kill(2)`](https://man7.org/linux/man-pages/man2/kill.2.html) (a number, not nix's
/// `Signal`: real-time signals have no name there).
pub fn send(pid: Pid, signo: i32) -> Result<(), Errno> {
    // SAFETY: kill(2) takes two integers and touches no memory of ours.
    let ret = unsafe { libc::kill(pid.as_raw(), signo) };
    Errno::result(ret).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_numbers_and_cases_are_one_signal() {
        for raw in ["SIGUSR1", "USR1", "usr1", "sigusr1", "SigUsr1", "10"] {
            assert_eq!(parse_signal(raw), Ok(libc::SIGUSR1), "{raw}");
        }
        assert_eq!(parse_signal("KILL"), Ok(9));
        assert_eq!(parse_signal("SIGCLD"), Ok(libc::SIGCHLD));
        assert_eq!(parse_signal("SIGRTMIN"), Ok(34));
        assert_eq!(parse_signal("RTMIN+3"), Ok(37));
        assert_eq!(parse_signal("SIGRTMIN+15"), Ok(49));
        assert_eq!(parse_signal("RTMAX-14"), Ok(50));
        assert_eq!(parse_signal("rtmax"), Ok(64));
    }

    #[test]
    fn dockers_refusals() {
        // each checked with `docker create --stop-signal X` against dockerd 20.10
        for raw in [
            "0",
            "FOO",
            "",
            "SIG",
            "SIGSIGTERM",
            "RTMIN+16",
            "RTMAX-15",
            "RTMIN+0",
            "RTMIN+01",
            "TERM ",
        ] {
            assert_eq!(parse_signal(raw), Err(InvalidSignal(raw.to_owned())), "{raw:?}");
        }
        assert_eq!(
            parse_signal("FOO").unwrap_err().to_string(),
            "Invalid signal: FOO"
        );
        // numbers are not checked against the kernel's list (dockerd accepts 65 and -1)
        assert_eq!(parse_signal("65"), Ok(65));
        assert_eq!(parse_signal("-1"), Ok(-1));
    }

    #[test]
    fn the_stop_signal_falls_back_to_sigterm() {
        assert_eq!(stop_signal(""), libc::SIGTERM);
        assert_eq!(stop_signal("nonsense"), libc::SIGTERM);
        assert_eq!(stop_signal("SIGUSR1"), libc::SIGUSR1);
        assert_eq!(stop_signal("2"), libc::SIGINT);
    }

    proptest! {
        #[test]
        fn every_kernel_signal_number_parses_to_itself(n in 1i32..=64) {
            prop_assert_eq!(parse_signal(&n.to_string()), Ok(n));
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,12}") {
            let _ = parse_signal(&s);
        }
    }
}
