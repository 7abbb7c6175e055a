//! `minidocker create`, and the create `run` begins with: `POST /containers/create`; when the
//! daemon has no such image (and `--pull missing`, the default), say so, pull it through
//! `POST /images/create` showing its progress on stderr, and create again.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use hyper::Method;

use super::container_flags::{ContainerFlags, CreateRequest, PullPolicy};
use super::network_flags::FlagProblem;
use super::{ExitCode, flag_error};
use crate::api_types::ContainerCreateResponse;
use crate::client::autostart::Connector;
use crate::client::{Client, ClientError, RequestBody, query};
use crate::progress::{JsonMessage, ProgressDisplay};
use ch05_images::Reference;

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub flags: ContainerFlags,
    /// Print usage
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    pub image: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// How `run` and `create` word a problem of their own: `minidocker: <problem>` and Docker's
/// trailer (`cmd` is `run` or `create`, whichever group it was typed in).
pub(super) fn command_failure(cmd: &str, problem: &str, code: ExitCode) -> ExitCode {
    eprintln!("minidocker: {problem}\n\nRun 'minidocker {cmd} --help' for more information");
    code
}

/// A flag problem of `run` or `create`, reported as Docker does; exit 125. `typed` is the
/// command as typed (`container create`), `cmd` its short name.
pub(super) fn report_flag_problem(typed: &str, cmd: &str, problem: FlagProblem) -> ExitCode {
    match problem {
        FlagProblem::Flag(problem) => flag_error(typed, &problem),
        FlagProblem::Command(problem) => command_failure(cmd, &problem, 125),
    }
}

/// A failed request in the Docker CLI's words: the daemon's answer as `Error response from
/// daemon: …`, anything else (no daemon) as it is.
pub(super) fn error_text(e: &ClientError) -> String {
    match e {
        ClientError::Daemon { message, .. } => format!("Error response from daemon: {message}"),
        other => other.to_string(),
    }
}

/// `--cidfile`: made before the container (refused if it exists), written with its id, and
/// removed again if no id was written (Docker's `cidFile`).
#[derive(Debug)]
struct CidFile {
    path: PathBuf,
    file: std::fs::File,
    written: bool,
}

impl CidFile {
    fn create(path: &str) -> Result<CidFile, String> {
        if std::path::Path::new(path).exists() {
            return Err(format!(
                "container ID file found, make sure the other container isn't running or delete {path}"
            ));
        }
        let file = std::fs::File::create(path)
            .map_err(|e| format!("failed to create the container ID file: {e}"))?;
        Ok(CidFile {
            path: PathBuf::from(path),
            file,
            written: false,
        })
    }

    fn write(&mut self, id: &str) -> Result<(), String> {
        self.file
            .write_all(id.as_bytes())
            .map_err(|e| format!("failed to write the container ID to the file: {e}"))?;
        self.written = true;
        Ok(())
    }
}

impl Drop for CidFile {
    fn drop(&mut self) {
        if !self.written {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A 64-hex image id (`sha256:` optional): never pulled, as Docker does not.
fn is_full_id(image: &str) -> bool {
    ch05_images::Digest::from_hex(image.strip_prefix("sha256:").unwrap_or(image)).is_ok()
}

/// Whether a failed create was for want of the image (not of a network, say: those 404 too).
fn is_missing_image(e: &ClientError) -> bool {
    matches!(e, ClientError::Daemon { status: 404, message } if message.starts_with("No such image"))
}

// ANCHOR: create_container
/// Creates the container `request` describes, pulling its image first with `--pull always`,
/// or when the daemon has none with `--pull missing`. Prints the daemon's warnings. `Err` is
/// the failure in the Docker CLI's words (`Error response from daemon: …` for the daemon's
/// answers, the pull stream's own words once it began).
pub(super) fn create_container(client: &Client, request: &CreateRequest) -> Result<String, String> {
    let mut cidfile = request.cidfile.as_deref().map(CidFile::create).transpose()?;
    let image = &request.body.image;
    let reference = Reference::parse_normalized(image).map_err(|e| e.to_string())?;
    let pullable = !is_full_id(image);
    if request.pull == PullPolicy::Always && pullable {
        pull_image(client, &reference, request.quiet)?;
    }
    let mut params = Vec::new();
    if let Some(name) = &request.name {
        params.push(("name", name.as_str()));
    }
    let path = format!("/containers/create?{}", query(&params));
    let create = || client.post_json::<ContainerCreateResponse>(&path, &request.body);
    let created = match create() {
        Err(e) if is_missing_image(&e) && pullable && request.pull == PullPolicy::Missing => {
            if !request.quiet {
                eprintln!("Unable to find image '{}' locally", reference.familiar_string());
            }
            pull_image(client, &reference, request.quiet)?;
            create()
        }
        other => other,
    }
    .map_err(|e| error_text(&e))?;
    for warning in created.warnings.iter().flatten() {
        eprintln!("WARNING: {warning}");
    }
    if let Some(cidfile) = cidfile.as_mut() {
        cidfile.write(&created.id)?;
    }
    Ok(created.id)
}
// ANCHOR_END: create_container

/// `POST /images/create?fromImage=&tag=`, its progress shown on stderr unless `quiet`;
/// `Err` is the daemon's answer, or the stream's last word once it began.
fn pull_image(client: &Client, reference: &Reference, quiet: bool) -> Result<(), String> {
    let tag = reference
        .digest
        .clone()
        .or_else(|| reference.tag.clone())
        .unwrap_or_default();
    let path = format!(
        "/images/create?{}",
        query(&[("fromImage", &reference.name()), ("tag", &tag)])
    );
    let response = client
        .request(Method::POST, &path, RequestBody::Empty)
        .map_err(|e| error_text(&e))?;
    let mut display = ProgressDisplay::stderr();
    for message in response.json_messages::<JsonMessage>() {
        let message = message.map_err(|e| e.to_string())?;
        if let Some(detail) = &message.error_detail {
            return Err(detail.message.clone());
        }
        if !message.error.is_empty() {
            return Err(message.error);
        }
        if !quiet && let Err(e) = display.show(&message) {
            tracing::debug!(error = %e, "showing the pull's progress");
        }
    }
    Ok(())
}

/// `minidocker create`: prints the new container's id.
pub(super) fn create(api: &Connector, args: CreateArgs, typed: &str) -> ExitCode {
    let request = match args.flags.request(&args.image, &args.command) {
        Ok(request) => request,
        Err(problem) => return report_flag_problem(typed, "create", problem),
    };
    let created = api
        .client()
        .map_err(|e| error_text(&e))
        .and_then(|client| create_container(client, &request));
    match created {
        Ok(id) => {
            println!("{id}");
            0
        }
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_ids_are_never_pulled() {
        let hex = "a".repeat(64);
        assert!(is_full_id(&hex));
        assert!(is_full_id(&format!("sha256:{hex}")));
        assert!(!is_full_id("aaaa"));
        assert!(!is_full_id("busybox"));
    }

    #[test]
    fn only_a_missing_image_is_pulled_for() {
        let missing = ClientError::Daemon {
            status: 404,
            message: "No such image: nosuch:latest".into(),
        };
        let network = ClientError::Daemon {
            status: 404,
            message: "network nosuch not found".into(),
        };
        assert!(is_missing_image(&missing));
        assert!(!is_missing_image(&network));
    }

    #[test]
    fn a_cidfile_is_refused_if_there_and_removed_unless_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cid");
        let path_str = path.to_str().unwrap();
        drop(CidFile::create(path_str).unwrap());
        assert!(!path.exists(), "an unwritten cidfile is removed");
        let mut cid = CidFile::create(path_str).unwrap();
        cid.write("abc").unwrap();
        drop(cid);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "abc");
        assert_eq!(
            CidFile::create(path_str).unwrap_err(),
            format!(
                "container ID file found, make sure the other container isn't running or delete {path_str}"
            )
        );
    }
}
