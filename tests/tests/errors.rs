//! Bad input to `minidocker run`: each case quotes Docker's stderr verbatim from
//! docs/oracle/step1.md and expects minidocker's to be the same with the product names swapped
//! (`docker` → `minidocker`, `runc` → `minidocker`), with the same exit code and nothing on
//! stdout. Each case is also kept as an insta snapshot (`snapshots/errors__*.snap`, ids
//! redacted): minidocker's transcript, then Docker's, to read the two side by side.

use minidocker_e2e::process::Output;
use minidocker_e2e::text::{as_minidocker, command_line, redact_ids};
use minidocker_e2e::{TestEnv, root_test};

/// What Docker did, from docs/oracle/step1.md.
struct Docker<'a> {
    /// `docs/oracle/step1.md` section.
    section: &'a str,
    /// Docker's arguments when they differ from minidocker's (e.g. `--pull=never`).
    args: Option<&'a [&'a str]>,
    code: i32,
    stderr: &'a str,
}

impl Docker<'_> {
    fn transcript(&self, minidocker_args: &[&str]) -> String {
        let args = self.args.unwrap_or(minidocker_args);
        Output {
            command: command_line("docker", args),
            stdout: String::new(),
            stderr: self.stderr.to_owned(),
            code: self.code,
        }
        .transcript()
    }
}

/// Runs `minidocker ARGS`, asserts it did what Docker did, and snapshots the transcript.
#[track_caller]
fn like_docker(env: &TestEnv, snapshot: &str, args: &[&str], docker: Docker<'_>) -> Output {
    let out = env.minidocker(args);
    assert_eq!(out.code, docker.code, "exit code differs from Docker's:\n{out}");
    assert_eq!(out.stdout, "", "unexpected stdout:\n{out}");
    assert_eq!(
        redact_ids(&out.stderr),
        redact_ids(&as_minidocker(docker.stderr)),
        "stderr differs from Docker's:\n{out}"
    );
    let side_by_side = format!(
        "=== minidocker\n{}\n=== Docker 20.10.24 (CLI 28.2.2), docs/oracle/step1.md {}\n{}",
        out.transcript(),
        docker.section,
        docker.transcript(args)
    );
    insta::with_settings!({ description => "minidocker's output, then Docker's for the same input", omit_expression => true }, {
        insta::assert_snapshot!(snapshot, redact_ids(&side_by_side));
    });
    out
}

const USAGE_TRAILER: &str = "\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'docker run --help' for more information\n";

#[test]
fn unknown_image() {
    root_test!();
    let env = TestEnv::new();
    let stderr = "docker: Error response from daemon: No such image: nosuchimage:latest\n\nRun 'docker run --help' for more information\n";
    // Without --pull=never both would try to pull nosuchimage from Docker Hub.
    let docker_args: &[&str] = &["run", "--rm", "--pull=never", "nosuchimage", "true"];
    like_docker(
        &env,
        "unknown_image",
        &["run", "--rm", "--pull=never", "nosuchimage", "true"],
        Docker {
            section: "§2",
            args: Some(docker_args),
            code: 125,
            stderr,
        },
    );
    let docker_args: &[&str] = &["run", "--rm", "--pull=never", "nosuchimage:latest", "true"];
    like_docker(
        &env,
        "unknown_image_with_tag",
        &["run", "--rm", "--pull=never", "nosuchimage:latest", "true"],
        Docker {
            section: "§2",
            args: Some(docker_args),
            code: 125,
            stderr,
        },
    );
}

#[test]
fn invalid_reference() {
    root_test!();
    let env = TestEnv::new();
    let stderr = "docker: invalid reference format: repository name (library/NoSuchImage) must be lowercase\n\nRun 'docker run --help' for more information\n";
    like_docker(
        &env,
        "invalid_reference",
        &["run", "--rm", "NoSuchImage", "true"],
        Docker {
            section: "§2",
            args: None,
            code: 125,
            stderr,
        },
    );
}

#[test]
fn no_command() {
    root_test!();
    let env = TestEnv::new();
    let stderr = "docker: Error response from daemon: No command specified\n\nRun 'docker run --help' for more information\n";
    like_docker(
        &env,
        "no_command",
        &["run", "--rm", "busybox"],
        Docker {
            section: "§8",
            args: None,
            code: 125,
            stderr,
        },
    );
}

#[test]
fn run_without_arguments() {
    root_test!();
    let env = TestEnv::new();
    let stderr = "docker: 'docker run' requires at least 1 argument\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'docker run --help' for more information\n";
    like_docker(
        &env,
        "run_without_arguments",
        &["run"],
        Docker {
            section: "§8",
            args: None,
            code: 1,
            stderr,
        },
    );
}

#[test]
fn flag_errors() {
    root_test!();
    let env = TestEnv::new();
    let cases: [(&str, &[&str], &str); 3] = [
        (
            "unknown_flag",
            &["run", "--rm", "--bogus", "busybox"],
            "unknown flag: --bogus\n",
        ),
        (
            "unknown_shorthand_flag",
            &["run", "--rm", "-x", "busybox"],
            "unknown shorthand flag: 'x' in -x\n",
        ),
        (
            "flag_needs_an_argument",
            &["run", "--rm", "-e"],
            "flag needs an argument: 'e' in -e\n",
        ),
    ];
    for (name, args, problem) in cases {
        let stderr = format!("{problem}{USAGE_TRAILER}");
        like_docker(
            &env,
            name,
            args,
            Docker {
                section: "§14",
                args: None,
                code: 125,
                stderr: &stderr,
            },
        );
    }
}

#[test]
fn malformed_env() {
    root_test!();
    let env = TestEnv::new();
    let stderr = format!(
        "invalid argument \"=bar\" for \"-e, --env\" flag: invalid environment variable: =bar\n{USAGE_TRAILER}"
    );
    like_docker(
        &env,
        "env_without_name",
        &["run", "--rm", "-e", "=bar", "busybox", "env"],
        Docker {
            section: "§5",
            args: None,
            code: 125,
            stderr: &stderr,
        },
    );
    // Note the trailing space after `variable:`.
    let stderr = format!(
        "invalid argument \"\" for \"-e, --env\" flag: invalid environment variable: \n{USAGE_TRAILER}"
    );
    like_docker(
        &env,
        "env_empty",
        &["run", "--rm", "-e", "", "busybox", "env"],
        Docker {
            section: "§5",
            args: None,
            code: 125,
            stderr: &stderr,
        },
    );
}

#[test]
fn bad_user() {
    root_test!();
    let env = TestEnv::new();
    let cases = [
        (
            "user_unknown",
            "nosuchuser",
            "unable to find user nosuchuser: no matching entries in passwd file",
        ),
        (
            "user_unknown_group",
            "1000:nosuchgroup",
            "unable to find group nosuchgroup: no matching entries in group file",
        ),
        (
            "user_and_group_unknown",
            "abc:def",
            "unable to find user abc: no matching entries in passwd file",
        ),
        (
            "user_negative",
            "-5",
            "uids and gids must be in range 0-2147483647",
        ),
    ];
    for (name, user, message) in cases {
        let stderr = format!(
            "docker: Error response from daemon: {message}\n\nRun 'docker run --help' for more information\n"
        );
        like_docker(
            &env,
            name,
            &["run", "--rm", "-u", user, "busybox", "id"],
            Docker {
                section: "§6",
                args: None,
                code: 125,
                stderr: &stderr,
            },
        );
    }
    assert!(
        env.container_ids().is_empty(),
        "--rm containers were kept: {:?}",
        env.container_ids()
    );
}

#[test]
fn bad_workdir() {
    root_test!();
    let env = TestEnv::new();
    let stderr = "docker: Error response from daemon: the working directory 'relative' is invalid, it needs to be an absolute path\n\nRun 'docker run --help' for more information\n";
    like_docker(
        &env,
        "workdir_relative",
        &["run", "--rm", "-w", "relative", "busybox", "pwd"],
        Docker {
            section: "§7",
            args: None,
            code: 125,
            stderr,
        },
    );
    let stderr = "docker: Error response from daemon: Cannot mkdir: /etc/passwd is not a directory\n\nRun 'docker run --help' for more information\n";
    like_docker(
        &env,
        "workdir_is_a_file",
        &["run", "--rm", "-w", "/etc/passwd", "busybox", "pwd"],
        Docker {
            section: "§7",
            args: None,
            code: 125,
            stderr,
        },
    );
}

#[test]
fn invalid_names() {
    root_test!();
    let env = TestEnv::new();
    for (snapshot, name) in [
        ("name_with_space", "bad name"),
        ("name_too_short", "a"),
        ("name_starting_with_underscore", "_x"),
    ] {
        let stderr = format!(
            "docker: Error response from daemon: Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n\nRun 'docker run --help' for more information\n"
        );
        like_docker(
            &env,
            snapshot,
            &["run", "--rm", "--name", name, "busybox", "true"],
            Docker {
                section: "§10",
                args: None,
                code: 125,
                stderr: &stderr,
            },
        );
    }
    // Accepted: a leading slash, and all the allowed characters.
    for name in ["/foo2", "x.y-z_1"] {
        env.run(&["--rm", "--name", name, "busybox", "true"])
            .assert_clean_success();
    }
}

#[test]
fn name_conflict() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "foo", "busybox", "true"])
        .assert_clean_success();
    let (first, _) = env.only_container();
    // The oracle's id; both sides are compared with ids redacted, the real id is checked below.
    let stderr = "docker: Error response from daemon: Conflict. The container name \"/foo\" is already in use by container \"6c00d4f2df5708b0c4111413a340aafcaab18bfdd6f773038579db4afa4aa053\". You have to remove (or rename) that container to be able to reuse that name.\n\nRun 'docker run --help' for more information\n";
    let out = like_docker(
        &env,
        "name_conflict",
        &["run", "--name", "foo", "busybox", "true"],
        Docker {
            section: "§10",
            args: None,
            code: 125,
            stderr,
        },
    );
    assert!(
        out.stderr.contains(&format!("by container \"{first}\".")),
        "the conflict must name the first container {first}:\n{out}"
    );
    // The leading slash names the same container.
    env.run(&["--rm", "--name", "/foo", "busybox", "true"])
        .assert_code(125);
    assert_eq!(env.container_ids(), [first], "a failed run left a container");
}

#[test]
fn command_cannot_be_started() {
    root_test!();
    let env = TestEnv::new();
    let trailer = ": unknown\n\nRun 'docker run --help' for more information\n";
    let prefix = "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ";
    let cases = [
        (
            "not_found_absolute",
            "/nonexistent",
            127,
            "exec: \"/nonexistent\": stat /nonexistent: no such file or directory",
        ),
        (
            "not_found_in_path",
            "nonexistentcmd",
            127,
            "exec: \"nonexistentcmd\": executable file not found in $PATH",
        ),
        (
            "not_executable_file",
            "/etc/passwd",
            126,
            "exec: \"/etc/passwd\": permission denied",
        ),
        (
            "not_executable_directory",
            "/etc",
            126,
            "exec: \"/etc\": permission denied",
        ),
    ];
    for (snapshot, command, code, what) in cases {
        let stderr = format!("{prefix}{what}{trailer}");
        like_docker(
            &env,
            snapshot,
            &["run", "--rm", "busybox", command],
            Docker {
                section: "§3",
                args: None,
                code,
                stderr: &stderr,
            },
        );
    }
}

/// `--data-root DIR` must not change any message (the harness itself passes the data root
/// through `MINIDOCKER_DATA_ROOT`).
#[test]
fn data_root_flag_does_not_change_messages() {
    root_test!();
    let env = TestEnv::new();
    let root = env.data_root().to_str().expect("utf-8 data root");
    let out = env.minidocker(&["--data-root", root, "run"]);
    out.assert_code(1).assert_stderr(&as_minidocker(
        "docker: 'docker run' requires at least 1 argument\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'docker run --help' for more information\n",
    ));
    let out = env.minidocker(&["--data-root", root, "run", "--bogus", "busybox"]);
    out.assert_code(125)
        .assert_stderr(&as_minidocker(&format!("unknown flag: --bogus\n{USAGE_TRAILER}")));
}

/// docs/oracle §14: `--help` prints Docker's usage layout on stdout and exits 0.
#[test]
fn run_help_is_dockers_layout() {
    root_test!();
    let env = TestEnv::new();
    let out = env.minidocker(&["run", "--help"]);
    out.assert_code(0).assert_stderr("");
    assert!(
        out.stdout.starts_with("Usage:  minidocker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image\n"),
        "{out}"
    );
}
