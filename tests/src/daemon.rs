//! [`TestDaemon`]: `minidocker daemon` serving one [`TestEnv`]'s data root on a socket of its
//! own, in the test's network namespace, for tests that drive it with the real Docker CLI
//! (`docker`, found in `PATH` or named by `DOCKER_CLI`) or with raw HTTP. Dropping it sends
//! SIGTERM (the daemon's clean shutdown) and waits; a daemon that does not stop is killed.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::process::{Cmd, Output, Spawned};
use crate::test_env::TestEnv;

/// A running daemon; see the module documentation.
#[derive(Debug)]
pub struct TestDaemon {
    dir: tempfile::TempDir,
    data_root: PathBuf,
    process: Option<Spawned>,
}

/// One HTTP answer.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u16,
    /// Header lines as sent (`Api-Version: 1.41`).
    pub headers: Vec<String>,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
    /// The body as sent (a tar from `GET /images/get`).
    pub bytes: Vec<u8>,
}

impl HttpAnswer {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }
}

/// The real Docker CLI.
pub fn docker_cli() -> PathBuf {
    std::env::var_os("DOCKER_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("docker"))
}

impl TestDaemon {
    /// `minidocker daemon` on `env`'s data root, with `extra` flags; waits until it answers.
    #[track_caller]
    pub fn start(env: &TestEnv, extra: &[&str]) -> TestDaemon {
        let dir = tempfile::Builder::new()
            .prefix("minidocker-daemon-")
            .tempdir()
            .expect("a directory for the daemon");
        let config = dir.path().join("daemon.json");
        std::fs::write(&config, "{}").expect("writing daemon.json");
        let socket = dir.path().join("minidocker.sock");
        // This daemon replaces the one the CLI may have started for the data root (killed,
        // so the containers it started run on for this one to find, as after a crash), and
        // listens on its socket too, so `env.minidocker(…)` talks to it.
        env.kill_daemon();
        let env_socket = env.daemon_socket();
        if let Some(run_dir) = env_socket.parent() {
            std::fs::create_dir_all(run_dir).expect("creating the data root's run directory");
        }
        let mut args: Vec<String> = [
            "daemon",
            "--data-root",
            &env.data_root().display().to_string(),
            "-H",
            &format!("unix://{}", socket.display()),
            "-H",
            &format!("unix://{}", env_socket.display()),
            "--pidfile",
            &dir.path().join("minidocker.pid").display().to_string(),
            "--config-file",
            &config.display().to_string(),
            "--cgroup-parent",
            &env.cgroup_parent(),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let process = env
            .cmd(&arg_refs)
            .timeout(Duration::from_secs(600))
            .term_with_test()
            .spawn();
        let mut daemon = TestDaemon {
            dir,
            data_root: env.data_root().to_owned(),
            process: Some(process),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while UnixStream::connect(daemon.socket()).is_err() {
            if daemon.process.as_mut().is_some_and(|p| p.has_exited()) {
                let out = daemon.process.take().map(Spawned::wait);
                panic!(
                    "minidocker daemon exited at start:\n{}",
                    out.map(|o| o.to_string()).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "minidocker daemon did not listen on {}",
                daemon.socket().display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("minidocker.sock")
    }

    pub fn pidfile(&self) -> PathBuf {
        self.dir.path().join("minidocker.pid")
    }

    /// The daemon's pid, from its pid file.
    pub fn pid(&self) -> nix::unistd::Pid {
        let text = std::fs::read_to_string(self.pidfile()).expect("the daemon's pid file");
        nix::unistd::Pid::from_raw(text.trim().parse().expect("a pid"))
    }

    /// `DOCKER_HOST` for this daemon.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// The real Docker CLI pointed at this daemon (its own config directory, so nothing of
    /// the user's is read or written).
    pub fn docker_cmd(&self, args: &[&str]) -> Cmd {
        Cmd::new(docker_cli())
            .env("DOCKER_HOST", self.docker_host())
            .env("DOCKER_CONFIG", self.dir.path().join("docker-cli"))
            .env_remove("DOCKER_CONTEXT")
            .args(args)
    }

    /// Runs the real Docker CLI against this daemon.
    #[track_caller]
    pub fn docker(&self, args: &[&str]) -> Output {
        self.docker_cmd(args).output()
    }

    /// One HTTP/1.0 request on the socket; `body` is sent as JSON.
    #[track_caller]
    pub fn http(&self, method: &str, path: &str, body: Option<&str>) -> HttpAnswer {
        http_on(&self.socket(), method, path, body)
    }

    /// One HTTP/1.0 request on the socket with `headers` (a `Content-Type` among them replaces
    /// the JSON one) and a body of any bytes (a tar for `POST /images/load`).
    #[track_caller]
    pub fn http_with(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpAnswer {
        http_request_on(&self.socket(), method, path, headers, body)
    }

    /// SIGTERM, then the daemon's output once it has exited.
    #[track_caller]
    pub fn stop(mut self) -> Output {
        let process = self.process.take().expect("a running daemon");
        process.signal(Signal::SIGTERM);
        process.wait()
    }
}

/// One HTTP/1.0 request on the unix socket at `socket`.
#[track_caller]
pub fn http_on(socket: &Path, method: &str, path: &str, body: Option<&str>) -> HttpAnswer {
    http_request_on(socket, method, path, &[], body.unwrap_or("").as_bytes())
}

/// One HTTP/1.0 request on the unix socket at `socket`, with `headers` and `body`; the
/// `Content-Type` is JSON unless `headers` has one.
#[track_caller]
pub fn http_request_on(
    socket: &Path,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpAnswer {
    let mut stream =
        UnixStream::connect(socket).unwrap_or_else(|e| panic!("connecting to {}: {e}", socket.display()));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a read timeout");
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: docker\r\n");
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("Content-Type"))
    {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    // A server may answer (413) and close before reading a large body: that is an answer.
    if let Err(e) = stream.write_all(&request) {
        assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "sending the request: {e}"
        );
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("reading the answer");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let (head, bytes) = match split {
        Some(at) => (
            String::from_utf8_lossy(&raw[..at]).into_owned(),
            raw[at + 4..].to_vec(),
        ),
        None => (String::from_utf8_lossy(&raw).into_owned(), Vec::new()),
    };
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    HttpAnswer {
        status,
        headers: lines.map(str::to_owned).collect(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        if let Some(process) = self.process.take() {
            process.signal(Signal::SIGTERM);
            let out = process.wait();
            if std::thread::panicking() {
                eprintln!("--- the daemon's output:\n{out}");
                for shim_log in shim_logs(&self.data_root) {
                    eprintln!(
                        "--- {}:\n{}",
                        shim_log.display(),
                        std::fs::read_to_string(&shim_log).unwrap_or_default()
                    );
                }
            }
        }
    }
}

/// The shims' own logs (`containers/<id>/shim.log`), shown when a test fails.
fn shim_logs(data_root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(data_root.join("containers"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join("shim.log"))
                .filter(|p| p.exists())
                .collect()
        })
        .unwrap_or_default()
}
