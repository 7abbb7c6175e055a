//! The last steps inside the container: working directory, user, capabilities, `execve(2)`.
//!
//! When `execve` fails the process is still *ours*, so it can say why: the caller gets an
//! [`ExecFailure`] whose exit code follows Docker's convention (126 cannot invoke, 127 not
//! found) and whose message is Docker's wording.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use caps::Capability;
use nix::errno::Errno;

use crate::capabilities::{drop_bounding_set, set_process_capabilities};
use crate::user::{ResolvedUser, switch_user};

/// The `PATH` Docker gives a container whose image sets none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The process to start once the root filesystem is in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSpec {
    /// `args[0]` is the command, looked up in the container's `PATH` if it has no `/`.
    pub args: Vec<String>,
    /// `KEY=value` pairs, the whole environment.
    pub env: Vec<String>,
    /// Working directory inside the container (see [`prepare_workdir`]).
    pub cwd: PathBuf,
    pub user: ResolvedUser,
    pub capabilities: Vec<Capability>,
}

/// Why the container's command did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecFailure {
    /// 127: no such command; 126: found but cannot be run; 125: our own setup failed.
    pub exit_code: i32,
    pub message: String,
}

impl ExecFailure {
    fn setup(message: impl std::fmt::Display) -> Self {
        ExecFailure {
            exit_code: 125,
            message: message.to_string(),
        }
    }
}

// ANCHOR: lookup
/// Find `command` the way `execvp(3)` would, but in the container's `PATH`, and say precisely
/// why it cannot run (runc does the same in Go's `exec.LookPath`).
pub fn lookup_command(command: &str, env: &[String]) -> Result<PathBuf, ExecFailure> {
    if command.contains('/') {
        let path = PathBuf::from(command);
        return match std::fs::metadata(&path) {
            // execve(2) of a directory fails with EACCES, as runc reports it
            Ok(meta) if meta.is_dir() => Err(ExecFailure {
                exit_code: 126,
                message: format!("exec: \"{command}\": permission denied"),
            }),
            Ok(_) => Ok(path),
            Err(e) => Err(ExecFailure {
                exit_code: 127,
                message: format!("exec: \"{command}\": stat {command}: {}", errno_text(&e)),
            }),
        };
    }
    let path_var = env
        .iter()
        .find_map(|kv| kv.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    for dir in path_var.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let candidate = Path::new(dir).join(command);
        if let Ok(meta) = std::fs::metadata(&candidate) {
            if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
                return Ok(candidate);
            }
        }
    }
    Err(ExecFailure {
        exit_code: 127,
        message: format!("exec: \"{command}\": executable file not found in $PATH"),
    })
}
// ANCHOR_END: lookup

/// The lowercase text Go prints for an errno ("no such file or directory").
fn errno_text(e: &std::io::Error) -> String {
    let errno = e.raw_os_error().map_or(Errno::EIO, Errno::from_raw);
    errno.desc().to_lowercase()
}

fn cstrings(items: &[String]) -> Result<Vec<CString>, ExecFailure> {
    items
        .iter()
        .map(|s| {
            CString::new(s.as_bytes())
                .map_err(|_| ExecFailure::setup(format!("argument {s:?} contains a NUL byte")))
        })
        .collect()
}

/// Make sure the working directory exists in the container's root filesystem, as Docker does
/// at start: missing directories are created (root-owned, 0755), a file in the way is an error.
pub fn prepare_workdir(rootfs: &Path, cwd: &Path) -> Result<(), String> {
    if !cwd.is_absolute() {
        return Err(format!(
            "the working directory '{}' is invalid, it needs to be an absolute path",
            cwd.display()
        ));
    }
    let host_path = crate::secure_join::secure_join(rootfs, cwd).map_err(|e| e.to_string())?;
    match std::fs::metadata(&host_path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(format!("Cannot mkdir: {} is not a directory", cwd.display())),
        Err(_) => std::fs::create_dir_all(&host_path).map_err(|e| match e.raw_os_error() {
            Some(libc::ENOTDIR) => format!("Cannot mkdir: {} is not a directory", cwd.display()),
            _ => format!("mkdir {}: {}", cwd.display(), errno_text(&e)),
        }),
    }
}

// ANCHOR: exec_process
/// Become the container's process. Returns only if something failed.
///
/// Order matters: we enter the working directory while still root; the bounding set is trimmed
/// while we still hold `CAP_SETPCAP`; then the user switch; then the remaining capability sets;
/// and `execve(2)` last.
pub fn exec_process(spec: &ProcessSpec) -> ExecFailure {
    let Some(command) = spec.args.first() else {
        return ExecFailure::setup("no command specified");
    };
    if let Err(errno) = nix::unistd::chdir(&spec.cwd) {
        return ExecFailure::setup(format!(
            "chdir to cwd (\"{}\") set in config.json failed: {}",
            spec.cwd.display(),
            errno.desc().to_lowercase()
        ));
    }
    let path = match lookup_command(command, &spec.env) {
        Ok(p) => p,
        Err(failure) => return failure,
    };
    if let Err(e) = drop_bounding_set(&spec.capabilities) {
        return ExecFailure::setup(e);
    }
    if let Err(e) = switch_user(&spec.user) {
        return ExecFailure::setup(e);
    }
    if spec.user.uid == 0 {
        if let Err(e) = set_process_capabilities(&spec.capabilities) {
            return ExecFailure::setup(e);
        }
    }
    let (args, env) = match (cstrings(&spec.args), cstrings(&spec.env)) {
        (Ok(a), Ok(e)) => (a, e),
        (Err(f), _) | (_, Err(f)) => return f,
    };
    let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
        return ExecFailure::setup("command path contains a NUL byte");
    };
    let errno = match nix::unistd::execve(&c_path, &args, &env) {
        Err(errno) => errno,
        Ok(never) => match never {},
    };
    let exit_code = if errno == Errno::ENOENT { 127 } else { 126 };
    ExecFailure {
        exit_code,
        message: format!("exec: \"{command}\": {}", errno.desc().to_lowercase()),
    }
}
// ANCHOR_END: exec_process

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_commands_in_path_and_reports_missing_ones() {
        let env = vec!["PATH=/usr/bin:/bin".to_owned()];
        assert_eq!(lookup_command("sh", &env).unwrap().file_name().unwrap(), "sh");
        let missing = lookup_command("no-such-command-here", &env).unwrap_err();
        assert_eq!(missing.exit_code, 127);
        assert_eq!(
            missing.message,
            "exec: \"no-such-command-here\": executable file not found in $PATH"
        );
    }

    #[test]
    fn absolute_paths_are_checked_directly() {
        let missing = lookup_command("/nonexistent", &[]).unwrap_err();
        assert_eq!(
            (missing.exit_code, missing.message.as_str()),
            (
                127,
                "exec: \"/nonexistent\": stat /nonexistent: no such file or directory"
            )
        );
        let dir = lookup_command("/etc", &[]).unwrap_err();
        assert_eq!(
            (dir.exit_code, dir.message.as_str()),
            (126, "exec: \"/etc\": permission denied")
        );
    }

    #[test]
    fn workdirs_are_created_but_files_are_refused() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("etc")).unwrap();
        std::fs::write(root.path().join("etc/passwd"), "").unwrap();
        prepare_workdir(root.path(), Path::new("/a/b")).unwrap();
        assert!(root.path().join("a/b").is_dir());
        assert_eq!(
            prepare_workdir(root.path(), Path::new("/etc/passwd")).unwrap_err(),
            "Cannot mkdir: /etc/passwd is not a directory"
        );
        assert_eq!(
            prepare_workdir(root.path(), Path::new("/etc/passwd/x")).unwrap_err(),
            "Cannot mkdir: /etc/passwd/x is not a directory"
        );
        assert_eq!(
            prepare_workdir(root.path(), Path::new("rel")).unwrap_err(),
            "the working directory 'rel' is invalid, it needs to be an absolute path"
        );
    }

    #[test]
    fn non_executable_files_are_not_found_in_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("script"), "#!/bin/sh\n").unwrap();
        let env = vec![format!("PATH={}", dir.path().display())];
        assert_eq!(lookup_command("script", &env).unwrap_err().exit_code, 127);
    }
}
