//! Finding the daemon, and starting it when nobody answers: `minidocker run …` on a fresh
//! machine just works, as the README promises. Only the default address is started on
//! demand; a daemon named with `-H` or `DOCKER_HOST` is the user's to run.
//!
//! The daemon started here is `minidocker daemon` in a session of its own (setsid(2)), its
//! output in `<data-root>/daemon.log`. Two CLIs starting at once serialize on a lock file
//! (flock(2)), and the second finds the first one's daemon answering.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Client, ClientError, Host, default_socket};

/// How long a started daemon may take to answer `_ping`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the CLI asks while it waits.
const STARTUP_POLL: Duration = Duration::from_millis(20);

/// What the CLI knows about where its daemon is, or should be.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `-H` or `DOCKER_HOST`, as typed.
    pub host: Option<String>,
    /// The data root a daemon started on demand serves (`--data-root`).
    pub data_root: PathBuf,
    /// The default cgroup parent of that daemon (`--cgroup-parent`).
    pub cgroup_parent: String,
    /// TLS (`--tls`, `--tlsverify` …), when on.
    pub tls: Option<super::tls::TlsOptions>,
}

/// The daemon a CLI command talks to, found (and started) on first use, so a command that
/// fails on its flags never starts one.
#[derive(Debug)]
pub struct Connector {
    options: ConnectOptions,
    client: std::cell::OnceCell<Client>,
}

impl Connector {
    pub fn new(options: ConnectOptions) -> Connector {
        Connector {
            options,
            client: std::cell::OnceCell::new(),
        }
    }

    /// The client, connecting (and starting the daemon) the first time.
    pub fn client(&self) -> Result<&Client, ClientError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = connect(&self.options)?;
        Ok(self.client.get_or_init(|| client))
    }
}

/// A client of the daemon `options` name, started first if it is the default one and
/// nobody answers there.
pub fn connect(options: &ConnectOptions) -> Result<Client, ClientError> {
    if let Some(tls) = &options.tls {
        // with TLS and no host, the Docker CLI dials tcp://localhost:2376; nothing is started
        let host = Host::parse(options.host.as_deref().unwrap_or(super::tls::DEFAULT_TLS_HOST))?;
        return Client::new(host.with_tls(super::tls::TlsConnector::new(tls)?));
    }
    if let Some(host) = &options.host {
        return Client::new(Host::parse(host)?);
    }
    let socket = default_socket(&options.data_root);
    let client = Client::new(Host::Unix(socket.clone()))?;
    match client.ping() {
        Err(ClientError::Connect { .. }) => {}
        _ => return Ok(client),
    }
    std::fs::create_dir_all(&options.data_root).map_err(|source| ClientError::Io {
        what: format!("creating the data root {}", options.data_root.display()),
        source,
    })?;
    let lock_path = options.data_root.join("daemon-start.lock");
    let lock_file = std::fs::File::create(&lock_path).map_err(|source| ClientError::Io {
        what: format!("creating {}", lock_path.display()),
        source,
    })?;
    let _lock =
        nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusive).map_err(|(_, errno)| {
            ClientError::Io {
                what: format!("locking {}", lock_path.display()),
                source: errno.into(),
            }
        })?;
    // another CLI may have started it while this one waited for the lock
    if !matches!(client.ping(), Err(ClientError::Connect { .. })) {
        return Ok(client);
    }
    let log = options.data_root.join("daemon.log");
    let mut child = spawn_daemon(options, &socket, &log)?;
    eprintln!(
        "minidocker: no daemon answered at unix://{}; started one in the background (pid {}, log: {})",
        socket.display(),
        child.id(),
        log.display()
    );
    wait_until_answering(&client, &mut child, &log)?;
    Ok(client)
}

/// The daemon's command line: its socket, its data root and, for a data root other than the
/// default, an exec root (and so pid file) inside it, so daemons of different data roots
/// never share one.
fn daemon_args(options: &ConnectOptions, socket: &Path) -> Vec<String> {
    let mut args = vec![
        "daemon".to_owned(),
        "--data-root".to_owned(),
        options.data_root.display().to_string(),
        "-H".to_owned(),
        format!("unix://{}", socket.display()),
        "--cgroup-parent".to_owned(),
        options.cgroup_parent.clone(),
    ];
    if socket != Path::new(crate::daemon::config::DEFAULT_SOCKET) {
        let exec_root = socket.parent().unwrap_or(&options.data_root);
        args.extend(["--exec-root".to_owned(), exec_root.display().to_string()]);
    }
    args
}

fn spawn_daemon(options: &ConnectOptions, socket: &Path, log: &Path) -> Result<Child, ClientError> {
    let io_error = |what: String| move |source| ClientError::Io { what, source };
    let exe = std::env::current_exe().map_err(io_error("finding the minidocker binary".into()))?;
    let output = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(io_error(format!("opening {}", log.display())))?;
    let errors = output
        .try_clone()
        .map_err(io_error(format!("opening {}", log.display())))?;
    let mut command = Command::new(&exe);
    command
        .args(daemon_args(options, socket))
        .stdin(Stdio::null())
        .stdout(output)
        .stderr(errors);
    // SAFETY: setsid(2) is async-signal-safe and touches no memory of the parent; the
    // closure runs in the forked child just before exec.
    unsafe {
        command.pre_exec(|| nix::unistd::setsid().map(|_| ()).map_err(std::io::Error::from));
    }
    command
        .spawn()
        .map_err(io_error(format!("starting {} daemon", exe.display())))
}

fn wait_until_answering(client: &Client, child: &mut Child, log: &Path) -> Result<(), ClientError> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        match client.ping() {
            Err(ClientError::Connect { .. }) => {}
            other => return other,
        }
        let failed = |why: String| ClientError::Io {
            what: format!("starting the daemon (see {})", log.display()),
            source: std::io::Error::other(why),
        };
        if let Ok(Some(status)) = child.try_wait() {
            let tail = std::fs::read_to_string(log).unwrap_or_default();
            let last = tail.lines().last().unwrap_or_default().to_owned();
            return Err(failed(format!("it exited ({status}): {last}")));
        }
        if Instant::now() > deadline {
            return Err(failed(format!("it did not answer within {STARTUP_TIMEOUT:?}")));
        }
        std::thread::sleep(STARTUP_POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_root_of_ones_own_gets_a_daemon_of_its_own() {
        let options = ConnectOptions {
            host: None,
            data_root: PathBuf::from("/tmp/dr"),
            cgroup_parent: "minidocker".into(),
            tls: None,
        };
        let socket = default_socket(&options.data_root);
        assert_eq!(socket, PathBuf::from("/tmp/dr/run/minidocker.sock"));
        let args = daemon_args(&options, &socket);
        assert_eq!(
            args.join(" "),
            "daemon --data-root /tmp/dr -H unix:///tmp/dr/run/minidocker.sock --cgroup-parent minidocker --exec-root /tmp/dr/run"
        );
    }

    #[test]
    fn the_default_data_root_uses_the_default_socket_and_exec_root() {
        let options = ConnectOptions {
            host: None,
            data_root: PathBuf::from(crate::engine::DEFAULT_DATA_ROOT),
            cgroup_parent: "minidocker".into(),
            tls: None,
        };
        let socket = default_socket(&options.data_root);
        assert_eq!(socket, PathBuf::from(crate::daemon::config::DEFAULT_SOCKET));
        assert!(!daemon_args(&options, &socket).contains(&"--exec-root".to_owned()));
    }
}
