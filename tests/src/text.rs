//! Texts: Docker's messages as minidocker prints them, id redaction, shell quoting.
//!
//! The tests quote Docker's output verbatim from `docs/oracle/` and expect minidocker to print
//! the same, with its own name in place of `docker` and of the runtime `runc` ([`as_minidocker`]).

/// The replacement of a 64-hex container or image id in snapshots.
pub const ID_PLACEHOLDER: &str = "<64-hex id>";

/// Docker's output with the product names swapped: the CLI's `docker: ` prefix, its
/// `'docker run'` / `Usage:  docker run` mentions, and the runtime (`runc create failed` →
/// `minidocker create failed`). Nothing else changes.
pub fn as_minidocker(docker: &str) -> String {
    docker
        .lines()
        .map(|line| match line.strip_prefix("docker: ") {
            Some(rest) => format!("minidocker: {rest}"),
            None => line.to_owned(),
        })
        .map(|line| {
            line.replace("'docker ", "'minidocker ")
                .replace("Usage:  docker ", "Usage:  minidocker ")
                .replace("runc create failed", "minidocker create failed")
        })
        .map(|line| line + "\n")
        .collect()
}

/// `minidocker: Error response from daemon: <message>` + Docker's trailer: how `run` reports
/// a daemon-side error.
pub fn daemon_error(message: &str) -> String {
    format!(
        "minidocker: Error response from daemon: {message}\n\nRun 'minidocker run --help' for more information\n"
    )
}

/// How `run` reports that the container's process could not be started (`what` is e.g.
/// `exec: "/etc": permission denied`).
pub fn start_error(what: &str) -> String {
    daemon_error(&format!(
        "failed to create shim task: OCI runtime create failed: minidocker create failed: unable to start container process: {what}: unknown"
    ))
}

/// Replaces every run of exactly 64 lowercase hex digits with [`ID_PLACEHOLDER`].
pub fn redact_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 64 {
            out.push_str(ID_PLACEHOLDER);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || ('a'..='f').contains(&c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// True for a full container id: 64 lowercase hex digits.
pub fn is_full_id(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// `arg` as a POSIX shell would need it typed, for readable transcripts.
pub fn shell_quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// A command line for transcripts: `minidocker run --rm busybox sh -c 'exit 3'`.
pub fn command_line<S: AsRef<str>>(program: &str, args: &[S]) -> String {
    std::iter::once(program.to_owned())
        .chain(args.iter().map(|a| shell_quote(a.as_ref())))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_only_64_hex_runs() {
        let id = "6c00d4f2df5708b0c4111413a340aafcaab18bfdd6f773038579db4afa4aa053";
        assert_eq!(
            redact_ids(&format!("by container \"{id}\".")),
            format!("by container \"{ID_PLACEHOLDER}\".")
        );
        assert_eq!(
            redact_ids(&format!("sha256:{id}\n")),
            format!("sha256:{ID_PLACEHOLDER}\n")
        );
        assert_eq!(
            redact_ids("hostname 6c00d4f2df57 stays"),
            "hostname 6c00d4f2df57 stays"
        );
        assert_eq!(
            redact_ids(&format!("{id}0")),
            format!("{id}0"),
            "65 hex digits are not an id"
        );
    }

    #[test]
    fn docker_texts_become_minidocker_texts() {
        let docker = "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: x: unknown\n\nRun 'docker run --help' for more information\n";
        assert_eq!(as_minidocker(docker), start_error("x"));
        assert_eq!(
            as_minidocker("unknown flag: --bogus\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"),
            "unknown flag: --bogus\n\nUsage:  minidocker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
        );
    }

    #[test]
    fn quotes_like_a_shell() {
        assert_eq!(
            command_line("minidocker", &["run", "sh", "-c", "exit 3", "", "it's"]),
            r"minidocker run sh -c 'exit 3' '' 'it'\''s'"
        );
    }
}
