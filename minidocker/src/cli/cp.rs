//! `docker cp`: files between a container and this machine, through
//! `/containers/{id}/archive` (HEAD to learn what a path is, GET for a tar of it, PUT to
//! extract a tar into a directory), with the Docker CLI's path rules:
//!
//! ```text
//!  destination            source a file                  source a directory
//!  a directory            copied into it                 copied into it, with its name
//!  a file                 overwritten                    "cannot copy directory"
//!  missing, parent there  created with that name         created with that name
//!  missing, ends in /     "no such directory"            created with that name
//!  SRC/. (a directory)    —                              its contents, not itself
//!  -                      a tar on stdout (from), or a tar from stdin into a directory (to)
//! ```
//!
//! Whichever side the files land on, the tar is renamed on the way so that extracting it
//! into the destination's directory gives the destination's name (Docker's
//! `PrepareArchiveCopy` and `RebaseArchiveEntries`).

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::Args;
use hyper::Method;

use super::lifecycle::{container_path, with_query};
use super::{ExitCode, args_error};
use crate::client::autostart::Connector;
use crate::client::{Client, ClientError, RequestBody};
use crate::daemon::api::container_archive::PATH_STAT_HEADER;
use crate::engine::PathStat;
use crate::format::units::human_size;
use crate::go_errors::io_error_text;

#[derive(Debug, Args)]
pub struct CpArgs {
    /// Archive mode (copy all uid/gid information)
    #[arg(short = 'a', long)]
    pub archive: bool,
    /// Always follow symbol link in SRC_PATH
    #[arg(short = 'L', long = "follow-link")]
    pub follow_link: bool,
    /// Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[arg(hide = true, allow_hyphen_values = true)]
    pub paths: Vec<String>,
}

/// What failed: a message printed as it is (the Docker CLI's own), or the daemon's answer.
#[derive(Debug)]
enum CpError {
    Message(String),
    Api(ClientError),
}

impl From<ClientError> for CpError {
    fn from(e: ClientError) -> CpError {
        CpError::Api(e)
    }
}

fn message(text: impl Into<String>) -> CpError {
    CpError::Message(text.into())
}

/// `CONTAINER:PATH` or a local path, as the Docker CLI splits an argument: an absolute path,
/// or one without `:`, or one starting with `.` before its `:` is local.
fn split_cp_arg(arg: &str) -> (Option<&str>, &str) {
    if arg.starts_with('/') {
        return (None, arg);
    }
    match arg.split_once(':') {
        Some((container, path)) if !container.starts_with('.') => (Some(container), path),
        _ => (None, arg),
    }
}

/// Whether a path ends in a way that says "the directory itself" (`/` or `/.`).
fn asserts_directory(path: &str) -> bool {
    path.ends_with('/') || path.ends_with("/.") || path == "."
}

/// Docker's `SplitPathDirEntry`: the directory and the last part of a cleaned path, the last
/// part `.` for `DIR/.` (the directory's contents).
fn split_path_dir_entry(path: &str) -> (String, String) {
    let specifies_current_dir = path == "." || path.ends_with("/.");
    let mut cleaned = clean(path);
    if specifies_current_dir && cleaned != "." {
        cleaned.push_str("/.");
    }
    match cleaned.rsplit_once('/') {
        Some(("", base)) => ("/".into(), base.into()),
        Some((dir, base)) => (dir.into(), base.into()),
        None => (".".into(), cleaned),
    }
}

/// Go's `filepath.Clean`, for the paths `cp` handles.
fn clean(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// `name` with its first component `old` replaced by `new` (the rest kept).
fn rebase(name: &str, old: &str, new: &str) -> Option<String> {
    let name = name.strip_prefix("./").filter(|_| old != ".").unwrap_or(name);
    if name == old || name.trim_end_matches('/') == old {
        return Some(format!("{new}{}", &name[old.len()..]));
    }
    name.strip_prefix(old)
        .filter(|rest| rest.starts_with('/'))
        .map(|rest| format!("{new}{rest}"))
}

/// Where the copied tar is extracted, and the name its top entry must have there (`None`:
/// as it is), from what the source and destination are.
fn prepare_copy(
    src_is_dir: bool,
    dst_path: &str,
    dst: Option<bool>,
) -> Result<(String, Option<String>), CpError> {
    let (dst_dir, dst_base) = split_path_dir_entry(dst_path);
    match dst {
        Some(true) => Ok((dst_path.to_owned(), None)),
        Some(false) if src_is_dir => Err(message("cannot copy directory")),
        Some(false) => Ok((dst_dir, Some(dst_base))),
        None if src_is_dir => Ok((dst_dir, Some(dst_base))),
        None if asserts_directory(dst_path) => Err(message("no such directory")),
        None => Ok((dst_dir, Some(dst_base))),
    }
}

/// The stat the daemon sends in the `X-Docker-Container-Path-Stat` header (base64 JSON; the
/// inverse of [`PathStat::header_value`]).
fn path_stat(header: Option<&str>) -> Option<PathStat> {
    use base64::Engine as _;
    let json = base64::engine::general_purpose::STANDARD.decode(header?).ok()?;
    serde_json::from_slice(&json).ok()
}

/// Go's `os.ModeDir` and `os.ModeSymlink`: the type bits of the `mode` a path's stat has.
const GO_MODE_DIR: u32 = 1 << 31;
const GO_MODE_SYMLINK: u32 = 1 << 27;

fn is_dir(stat: &PathStat) -> bool {
    stat.mode & GO_MODE_DIR != 0
}

fn is_symlink(stat: &PathStat) -> bool {
    stat.mode & GO_MODE_SYMLINK != 0
}

/// `HEAD /containers/{id}/archive?path=`: what the path is, `None` if it is not there.
fn stat_in_container(client: &Client, container: &str, path: &str) -> Result<Option<PathStat>, ClientError> {
    let url = with_query(container_path(container, "/archive"), &[("path", path)]);
    match client.request(Method::HEAD, &url, RequestBody::Empty) {
        Ok(answer) => Ok(path_stat(answer.header(PATH_STAT_HEADER))),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A symlink's target joined to the directory of the link, when it is relative.
fn link_target(link_path: &str, target: &str) -> String {
    match target.starts_with('/') {
        true => target.to_owned(),
        false => format!("{}/{target}", split_path_dir_entry(link_path).0),
    }
}

/// `docker cp CONTAINER:SRC DEST`.
fn copy_from_container(
    client: &Client,
    container: &str,
    src: &str,
    dst: &str,
    args: &CpArgs,
) -> Result<(), CpError> {
    let mut src_path = src.to_owned();
    let mut rebase_name = None;
    if args.follow_link
        && let Some(stat) = stat_in_container(client, container, &src_path)?
        && is_symlink(&stat)
    {
        rebase_name = Some(split_path_dir_entry(&src_path).1);
        src_path = link_target(&src_path, &stat.link_target);
    }
    let url = with_query(container_path(container, "/archive"), &[("path", &src_path)]);
    let answer = client.request(Method::GET, &url, RequestBody::Empty)?;
    let stat = path_stat(answer.header(PATH_STAT_HEADER))
        .ok_or_else(|| message(format!("the daemon sent no {PATH_STAT_HEADER} header")))?;
    let mut body = answer.into_reader();
    if dst == "-" {
        let mut stdout = std::io::stdout().lock();
        std::io::copy(&mut body, &mut stdout).map_err(|e| message(io_error_text(&e)))?;
        return Ok(());
    }
    let dst_path = absolute_local(dst);
    let dst_dir = Path::new(&clean(&dst_path)).parent().map(Path::to_path_buf);
    if let Some(dir) = dst_dir.filter(|d| !d.exists()) {
        return Err(message(format!(
            "invalid output path: directory {:?} does not exist",
            dir.display().to_string()
        )));
    }
    let dst_kind = std::fs::metadata(&dst_path).ok().map(|m| m.is_dir());
    let (extract_dir, rename) = prepare_copy(is_dir(&stat), &dst_path, dst_kind)?;
    let src_base = rebase_name.unwrap_or_else(|| split_path_dir_entry(&src_path).1);
    let copied = extract_local(&mut body, Path::new(&extract_dir), &src_base, rename.as_deref())?;
    report_copied(args, copied, &dst_path);
    Ok(())
}

/// Extracts the tar `from` into `dir` (permissions and times kept, owners not: the Docker
/// CLI's `NoLchown`), its top entry `old_base` renamed to `new_base`; the bytes copied.
fn extract_local(
    from: &mut impl Read,
    dir: &Path,
    old_base: &str,
    new_base: Option<&str>,
) -> Result<u64, CpError> {
    let mut archive = tar::Archive::new(from);
    let mut copied = 0;
    let entries = archive.entries().map_err(|e| message(io_error_text(&e)))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| message(io_error_text(&e)))?;
        let name = entry
            .path()
            .map_err(|e| message(io_error_text(&e)))?
            .to_string_lossy()
            .into_owned();
        let name = match new_base {
            Some(new) => rebase(&name, old_base, new).unwrap_or(name),
            None => name,
        };
        copied += entry.header().size().unwrap_or(0);
        entry.set_preserve_permissions(true);
        entry.set_preserve_mtime(true);
        let relative = name.trim_start_matches("./");
        if relative.trim_end_matches('/').is_empty() {
            continue;
        }
        if relative.starts_with('/') || relative.split('/').any(|part| part == "..") {
            return Err(message(format!(
                "invalid tar entry outside the destination: {name}"
            )));
        }
        let target = dir.join(relative);
        let unpacked = match target.parent() {
            Some(parent) => std::fs::create_dir_all(parent).and_then(|()| entry.unpack(&target).map(drop)),
            None => entry.unpack(&target).map(drop),
        };
        unpacked.map_err(|e| message(format!("{}: {}", target.display(), io_error_text(&e))))?;
    }
    Ok(copied)
}

/// A local path made absolute, its trailing `/` or `/.` kept (they mean something to `cp`).
fn absolute_local(path: &str) -> String {
    if path.starts_with('/') {
        return path.to_owned();
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    format!("{}/{path}", cwd.display())
}

/// "Successfully copied 2.05kB to …", on a terminal only and without `-q`, as Docker.
fn report_copied(args: &CpArgs, bytes: u64, to: &str) {
    if !args.quiet && std::io::stderr().is_terminal() {
        eprintln!("Successfully copied {} to {to}", human_size(bytes, 3));
    }
}

/// A tar of the local `src` whose top entry is named `name`, written on a thread of its own
/// as the request reads it (symbolic links archived as links).
fn local_tar(src: PathBuf, name: String) -> Box<dyn Read + Send> {
    let (reader, writer) = match nix::unistd::pipe() {
        Ok((reader, writer)) => (std::fs::File::from(reader), std::fs::File::from(writer)),
        Err(e) => return Box::new(FailedRead(Some(e.into()))),
    };
    std::thread::spawn(move || {
        let mut builder = tar::Builder::new(writer);
        builder.follow_symlinks(false);
        let written = match std::fs::symlink_metadata(&src) {
            Ok(m) if m.is_dir() => builder.append_dir_all(&name, &src),
            Ok(_) => builder.append_path_with_name(&src, &name),
            Err(e) => Err(e),
        };
        if written.and_then(|()| builder.finish()).is_err() {
            tracing::debug!("writing the tar of {} stopped", src.display());
        }
    });
    Box::new(reader)
}

/// A reader whose first read fails with the error it holds.
struct FailedRead(Option<std::io::Error>);

impl Read for FailedRead {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// `docker cp SRC CONTAINER:DEST`.
fn copy_to_container(
    client: &Client,
    container: &str,
    src: &str,
    dst: &str,
    args: &CpArgs,
) -> Result<(), CpError> {
    let mut dst_path = dst.to_owned();
    let mut dst_stat = stat_in_container(client, container, &dst_path)?;
    if let Some(stat) = dst_stat.as_ref().filter(|s| is_symlink(s)) {
        dst_path = link_target(&dst_path, &stat.link_target);
        dst_stat = stat_in_container(client, container, &dst_path)?;
    }
    let dst_kind = dst_stat.as_ref().map(is_dir);
    let (extract_dir, body): (String, Box<dyn Read + Send>) = if src == "-" {
        if dst_kind != Some(true) {
            return Err(message(format!(
                "destination \"{container}:{dst}\" must be a directory"
            )));
        }
        (dst_path, Box::new(std::io::stdin()))
    } else {
        let src_path = absolute_local(src);
        let mut resolved = PathBuf::from(clean(&src_path));
        if args.follow_link {
            resolved = std::fs::canonicalize(&resolved)
                .map_err(|e| message(format!("lstat {}: {}", resolved.display(), io_error_text(&e))))?;
        }
        let meta = std::fs::symlink_metadata(&resolved)
            .map_err(|e| message(format!("lstat {}: {}", resolved.display(), io_error_text(&e))))?;
        let (extract_dir, rename) = prepare_copy(meta.is_dir(), &dst_path, dst_kind)?;
        let src_base = split_path_dir_entry(&src_path).1;
        (extract_dir, local_tar(resolved, rename.unwrap_or(src_base)))
    };
    let mut params = vec![("path", extract_dir.as_str()), ("noOverwriteDirNonDir", "true")];
    if args.archive {
        params.push(("copyUIDGID", "true"));
    }
    let url = with_query(container_path(container, "/archive"), &params);
    client
        .request(Method::PUT, &url, RequestBody::Tar(body))?
        .bytes()?;
    report_copied(args, 0, &format!("{container}:{dst}"));
    Ok(())
}

/// `docker cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-` and
/// `docker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH`.
pub(super) fn cp(api: &Connector, args: CpArgs, cmd: &str) -> ExitCode {
    let [src, dst] = args.paths.as_slice() else {
        return args_error(cmd, "requires 2 arguments");
    };
    let (src_container, src_path) = split_cp_arg(src);
    let (dst_container, dst_path) = split_cp_arg(dst);
    let outcome = match (src_container, dst_container) {
        (None, None) => Err(message("must specify at least one container source")),
        (Some(_), Some(_)) => Err(message("copying between containers is not supported")),
        _ if src_path.is_empty() => Err(message("source can not be empty")),
        _ if dst_path.is_empty() => Err(message("destination can not be empty")),
        (Some(container), None) => api
            .client()
            .map_err(CpError::from)
            .and_then(|client| copy_from_container(client, container, src_path, dst_path, &args)),
        (None, Some(container)) => api
            .client()
            .map_err(CpError::from)
            .and_then(|client| copy_to_container(client, container, src_path, dst_path, &args)),
    };
    match outcome {
        Ok(()) => 0,
        Err(CpError::Api(e)) => super::api_error(&e),
        Err(CpError::Message(m)) => {
            eprintln!("{m}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_like_the_docker_clis() {
        assert_eq!(split_cp_arg("web:/etc/hosts"), (Some("web"), "/etc/hosts"));
        assert_eq!(split_cp_arg("/abs:x"), (None, "/abs:x"));
        assert_eq!(split_cp_arg("./file:name"), (None, "./file:name"));
        assert_eq!(split_cp_arg("file"), (None, "file"));
        assert_eq!(split_cp_arg("web:etc"), (Some("web"), "etc"));
    }

    #[test]
    fn paths_split_into_directory_and_entry() {
        assert_eq!(
            split_path_dir_entry("/etc/hosts"),
            ("/etc".into(), "hosts".into())
        );
        assert_eq!(split_path_dir_entry("/etc/"), ("/".into(), "etc".into()));
        assert_eq!(split_path_dir_entry("/etc/."), ("/etc".into(), ".".into()));
        assert_eq!(split_path_dir_entry("x"), (".".into(), "x".into()));
        assert_eq!(clean("/a/./b/../c//"), "/a/c");
    }

    #[test]
    fn the_destination_decides_where_and_under_what_name() {
        // into an existing directory, as it is
        assert_eq!(
            prepare_copy(false, "/d", Some(true)).unwrap(),
            ("/d".into(), None)
        );
        // over an existing file, or to a new name: the destination's name
        assert_eq!(
            prepare_copy(false, "/d/f", Some(false)).unwrap(),
            ("/d".into(), Some("f".into()))
        );
        assert_eq!(
            prepare_copy(true, "/d/new", None).unwrap(),
            ("/d".into(), Some("new".into()))
        );
        assert!(
            matches!(prepare_copy(true, "/d/f", Some(false)), Err(CpError::Message(m)) if m == "cannot copy directory")
        );
        assert!(
            matches!(prepare_copy(false, "/d/nd/", None), Err(CpError::Message(m)) if m == "no such directory")
        );
    }

    #[test]
    fn entries_are_renamed_by_their_first_component() {
        assert_eq!(rebase("etc/hosts", "etc", "x").as_deref(), Some("x/hosts"));
        assert_eq!(rebase("etc", "etc", "x").as_deref(), Some("x"));
        assert_eq!(rebase("etc/", "etc", "x").as_deref(), Some("x/"));
        assert_eq!(rebase("etcetera", "etc", "x"), None);
        assert_eq!(rebase("./a", ".", "x").as_deref(), Some("x/a"));
        assert_eq!(rebase("./", ".", "x").as_deref(), Some("x/"));
    }
}
