//! The two Docker-API engines the end-to-end bench drives through their CLIs:
//!
//! * [`MinidockerDaemon`]: `minidocker daemon` started by the bench on a private data root in
//!   a temp dir, with its own socket, pid file, exec root and cgroup parent, busybox imported;
//!   stopped (SIGTERM by pid, then SIGKILL if it has not exited in 20 s) and its data root
//!   unmounted and removed on drop;
//! * the Docker daemon of [`DOCKER_HOST_ENV`], when the variable names one (the bench never
//!   starts or stops a dockerd; see `benches/README.md` for running it against the oracle).
//!
//! Both are driven the same way, by a [`Client`]: a CLI binary with `-H <socket>` and a
//! configuration directory of its own (`DOCKER_CONFIG`), so nothing of the user's is read.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::memory::{ProcessMemory, children_of, parent_of, pid_behind_socket};

/// The environment variable naming the Docker daemon to compare with (`unix:///path`).
pub const DOCKER_HOST_ENV: &str = "MINIDOCKER_BENCH_DOCKER_HOST";

/// The environment variable naming the `minidocker` binary (default: the one next to the
/// bench binary, `target/release/minidocker`).
pub const MINIDOCKER_BIN_ENV: &str = "MINIDOCKER_BIN";

/// The environment variable naming the Docker CLI (default: `docker` in `PATH`).
pub const DOCKER_CLI_ENV: &str = "DOCKER_CLI";

/// A CLI pointed at one daemon's socket.
#[derive(Debug, Clone)]
pub struct Client {
    program: PathBuf,
    socket: PathBuf,
    config_dir: PathBuf,
}

impl Client {
    /// `program -H unix://<socket>`, its configuration in `config_dir`.
    pub fn new(program: PathBuf, socket: PathBuf, config_dir: PathBuf) -> Client {
        Client {
            program,
            socket,
            config_dir,
        }
    }

    /// The daemon's socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The command `<program> -H unix://<socket> <args>`, stdin on `/dev/null`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg("-H")
            .arg(format!("unix://{}", self.socket.display()))
            .args(args)
            .env("DOCKER_CONFIG", &self.config_dir)
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `args` to the end with stdout and stderr discarded; true when it exited 0. What
    /// the timed loops call.
    pub fn succeeds(&self, args: &[&str]) -> bool {
        self.command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Runs `args`; its stdout (trimmed) when it exited 0, else an error with its output.
    pub fn output(&self, args: &[&str]) -> Result<String, String> {
        let out = self
            .command(args)
            .output()
            .map_err(|e| format!("running {}: {e}", self.program.display()))?;
        checked(&self.program, args, out)
    }

    /// One HTTP/1.0 request on the daemon's socket, the body JSON; the status code and body
    /// of the answer (read to the end: HTTP/1.0 closes the connection after it).
    pub fn http(&self, method: &str, path: &str, body: &str) -> Result<(u16, String), String> {
        use std::io::Read;
        let fail = |e: std::io::Error| format!("{method} {path} on {}: {e}", self.socket.display());
        let mut stream = std::os::unix::net::UnixStream::connect(&self.socket).map_err(fail)?;
        let request = format!(
            "{method} {path} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).map_err(fail)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).map_err(fail)?;
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("{method} {path}: no status line in {head:?}"))?;
        Ok((status, body.to_owned()))
    }

    /// The pid of a running container's init (`inspect --format {{.State.Pid}}`).
    pub fn container_pid(&self, container: &str) -> Result<i32, String> {
        let pid = self.output(&["inspect", "--format", "{{.State.Pid}}", container])?;
        pid.parse()
            .map_err(|e| format!("pid of {container}: {pid:?}: {e}"))
    }

    /// The memory of the process that is the parent of `container`'s init: its shim.
    pub fn shim_memory(&self, container: &str) -> Result<ProcessMemory, String> {
        ProcessMemory::of(parent_of(self.container_pid(container)?)?)
    }

    /// The memory of the daemon (the process listening on the socket) and of its children
    /// (for dockerd, the containerd it started), daemon first.
    pub fn daemon_memory(&self) -> Result<Vec<ProcessMemory>, String> {
        let daemon = pid_behind_socket(&self.socket)?;
        let mut all = vec![ProcessMemory::of(daemon)?];
        for child in children_of(daemon) {
            // A child can exit between the listing and the read: not an error.
            if let Ok(mem) = ProcessMemory::of(child) {
                all.push(mem);
            }
        }
        Ok(all)
    }
}

/// Containers the bench made on one engine, removed (`rm -f`, in batches) on drop, so a
/// panicking run leaves none behind.
#[derive(Debug)]
pub struct Containers<'a> {
    client: &'a Client,
    ids: Vec<String>,
}

impl<'a> Containers<'a> {
    pub fn new(client: &'a Client) -> Containers<'a> {
        Containers {
            client,
            ids: Vec::new(),
        }
    }

    /// `run -d <args>`; the container is kept for removal. Returns its id.
    pub fn run_detached(&mut self, args: &[&str]) -> Result<String, String> {
        let id = self.client.output(&[&["run", "-d"], args].concat())?;
        self.ids.push(id.clone());
        Ok(id)
    }

    /// Adds a container made elsewhere (`run -d` timed by the caller) for removal.
    pub fn adopt(&mut self, id: String) {
        self.ids.push(id);
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// `rm -f` of every container kept, 50 at a time.
    pub fn remove_all(&mut self) -> Result<(), String> {
        for batch in self.ids.chunks(50) {
            let ids: Vec<&str> = batch.iter().map(String::as_str).collect();
            self.client.output(&[&["rm", "-f"], ids.as_slice()].concat())?;
        }
        self.ids.clear();
        Ok(())
    }
}

impl Drop for Containers<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.remove_all() {
            eprintln!("minidocker-benches: removing the bench's containers: {e}");
        }
    }
}

/// stdout of `out` when it succeeded, else an error with the command and its output.
fn checked(program: &Path, args: &[&str], out: Output) -> Result<String, String> {
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!(
            "{} {}: {}\nstdout: {}\nstderr: {}",
            program.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The Docker daemon named by [`DOCKER_HOST_ENV`], if any: `Ok(None)` when the variable is
/// unset, an error when it is set but nothing answers there.
pub fn docker_from_env(config_dir: &Path) -> Result<Option<Client>, String> {
    let Some(host) = std::env::var_os(DOCKER_HOST_ENV) else {
        return Ok(None);
    };
    let host = host.to_string_lossy().into_owned();
    let socket = host
        .strip_prefix("unix://")
        .ok_or_else(|| format!("{DOCKER_HOST_ENV}={host}: only unix:// sockets are supported"))?;
    let cli = std::env::var_os(DOCKER_CLI_ENV).map_or_else(|| PathBuf::from("docker"), PathBuf::from);
    let client = Client::new(cli, PathBuf::from(socket), config_dir.join("docker-cli"));
    client
        .output(&["version", "--format", "{{.Server.Version}}"])
        .map_err(|e| format!("{DOCKER_HOST_ENV}={host} does not answer: {e}"))?;
    Ok(Some(client))
}

/// The `minidocker` binary: [`MINIDOCKER_BIN_ENV`], else `minidocker` in the profile
/// directory this bench binary was built in (`target/release/deps/<bench>` →
/// `target/release/minidocker`). `cargo bench` does not build it: `cargo build --release -p
/// minidocker` first.
pub fn minidocker_bin() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os(MINIDOCKER_BIN_ENV) {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("{MINIDOCKER_BIN_ENV}={} is not a file", bin.display()))
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("locating the bench binary: {e}"))?;
    let profile_dir = exe
        .parent()
        .map(|dir| {
            if dir.file_name().is_some_and(|n| n == "deps") {
                dir.parent().unwrap_or(dir)
            } else {
                dir
            }
        })
        .unwrap_or(Path::new("."));
    let candidate = profile_dir.join("minidocker");
    if candidate.is_file() {
        Ok(candidate)
    } else {
        Err(format!(
            "{} not found: run `cargo build --release -p minidocker` first (or set {MINIDOCKER_BIN_ENV})",
            candidate.display()
        ))
    }
}

/// `minidocker daemon` on a private data root; see the module documentation.
#[derive(Debug)]
pub struct MinidockerDaemon {
    dir: tempfile::TempDir,
    process: Child,
    client: Client,
}

impl MinidockerDaemon {
    /// Starts `minidocker daemon` (`binary`) with everything under a fresh temp dir and its
    /// containers' cgroups under `cgroup_parent` (absolute); waits until it answers, then
    /// imports `rootfs_tar` as `busybox:latest`.
    pub fn start(binary: &Path, cgroup_parent: &str, rootfs_tar: &[u8]) -> Result<MinidockerDaemon, String> {
        let dir = tempfile::Builder::new()
            .prefix("minidocker-bench-daemon-")
            .tempdir()
            .map_err(|e| format!("creating the daemon's directory: {e}"))?;
        let path = |name: &str| dir.path().join(name);
        std::fs::write(path("daemon.json"), "{}").map_err(|e| format!("writing daemon.json: {e}"))?;
        let socket = path("minidocker.sock");
        let mut command = Command::new(binary);
        // SAFETY: runs in the forked child before exec; prctl(2) is async-signal-safe and
        // nothing is allocated.
        unsafe {
            command.pre_exec(stop_with_parent);
        }
        let process = command
            .arg("daemon")
            .arg("--data-root")
            .arg(path("data"))
            .arg("--exec-root")
            .arg(path("exec"))
            .arg("--pidfile")
            .arg(path("minidocker.pid"))
            .arg("--config-file")
            .arg(path("daemon.json"))
            .arg("--cgroup-parent")
            .arg(cgroup_parent)
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(path("daemon.log")).map_err(|e| format!("creating daemon.log: {e}"))?,
            )
            .spawn()
            .map_err(|e| format!("starting {} daemon: {e}", binary.display()))?;
        let client = Client::new(binary.to_owned(), socket, path("cli-config"));
        let mut daemon = MinidockerDaemon { dir, process, client };
        daemon.wait_until_it_answers()?;
        let mut import = daemon
            .client
            .command(&["import", "-", "busybox:latest"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("running minidocker import: {e}"))?;
        if let Some(mut stdin) = import.stdin.take() {
            stdin
                .write_all(rootfs_tar)
                .map_err(|e| format!("sending the busybox tar to minidocker import: {e}"))?;
        }
        let out = import
            .wait_with_output()
            .map_err(|e| format!("waiting for minidocker import: {e}"))?;
        checked(binary, &["import", "-", "busybox:latest"], out)?;
        Ok(daemon)
    }

    fn wait_until_it_answers(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if std::os::unix::net::UnixStream::connect(self.client.socket()).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.process.try_wait() {
                return Err(format!(
                    "minidocker daemon exited at start ({status}): {}",
                    std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
                ));
            }
            if Instant::now() > deadline {
                return Err("minidocker daemon did not listen within 15 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The minidocker CLI pointed at this daemon.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The daemon's pid.
    pub fn pid(&self) -> i32 {
        self.process.id() as i32
    }

    /// The data root (`<dir>/data`).
    pub fn data_root(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for MinidockerDaemon {
    fn drop(&mut self) {
        // SIGTERM: the daemon stops its containers and exits; SIGKILL if it takes too long.
        let pid = nix::unistd::Pid::from_raw(self.pid());
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(20);
        while matches!(self.process.try_wait(), Ok(None)) {
            if Instant::now() > deadline {
                eprintln!("minidocker-benches: the daemon ignored SIGTERM for 20 s; killing it");
                let _ = self.process.kill();
                let _ = self.process.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Whatever is still mounted under the temp dir (a container the daemon could not
        // stop), deepest first, so the temp dir can go.
        for mount_point in mounts_under(self.dir.path()) {
            let _ = nix::mount::umount2(&mount_point, nix::mount::MntFlags::MNT_DETACH);
        }
    }
}

/// In the daemon's forked child: SIGTERM when the bench dies, killed by a signal its guards
/// cannot run on (prctl(2) `PR_SET_PDEATHSIG`): the daemon then stops its containers and exits
/// as on any SIGTERM. Its temp dir and the cgroup scope stay behind in that case.
fn stop_with_parent() -> std::io::Result<()> {
    // SAFETY: prctl(2) with PR_SET_PDEATHSIG takes a signal number and reads no memory.
    let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Mount points at or below `dir` in this mount namespace, deepest first.
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_whitespace().nth(4).map(PathBuf::from))
        .filter(|mount_point| mount_point.starts_with(dir))
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    found
}
