//! `minidocker pull` and `minidocker push`: `POST /images/create?fromImage=` and
//! `POST /images/{name}/push`, the daemon's JSON progress stream shown as the docker CLI shows
//! it (see `progress.rs`); [`follow_progress`] shows `load`'s and `import`'s streams too.
//!
//! Like the docker CLI, these word a failure by when it happened: before the stream began it
//! is the daemon's answer (`Error response from daemon: manifest for … not found`), after that
//! it is the stream's last word, printed bare (`filesystem layer verification failed for
//! digest …`).

use std::io::Write;

use ch05_images::Reference;
use clap::Args;
use hyper::Method;

use super::{ExitCode, api_error, args_error};
use crate::client::autostart::Connector;
use crate::client::{ClientError, RequestBody, Response, path_escape, query};
use crate::progress::{JsonMessage, ProgressDisplay};

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Download all tagged images in the repository
    #[arg(short = 'a', long = "all-tags")]
    pub all_tags: bool,
    /// Suppress verbose output
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[arg(value_name = "NAME[:TAG|@DIGEST]")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Push all tags of an image to the repository
    #[arg(short = 'a', long = "all-tags")]
    pub all_tags: bool,
    /// Suppress verbose output
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[arg(value_name = "NAME[:TAG]")]
    pub names: Vec<String>,
}

/// A failed request whose answer is a progress stream.
#[derive(Debug)]
pub(super) enum StreamFailure {
    /// Before the stream began: the daemon's answer (or no daemon at all).
    Request(ClientError),
    /// The stream's last word: `errorDetail`, or a stream cut short.
    InStream(String),
}

impl StreamFailure {
    /// How the docker CLI prints it: `Error response from daemon: …` for the daemon's answer,
    /// the stream's own words bare; exit code 1.
    pub(super) fn report(&self) -> ExitCode {
        match self {
            StreamFailure::Request(e) => api_error(e),
            StreamFailure::InStream(message) => {
                eprintln!("{message}");
                1
            }
        }
    }
}

impl From<ClientError> for StreamFailure {
    fn from(e: ClientError) -> StreamFailure {
        StreamFailure::Request(e)
    }
}

// ANCHOR: follow_progress
/// Reads a JSON progress stream to its end, showing each message on `display` (nothing if
/// `None`) as it arrives, as the docker CLI's `DisplayJSONMessagesToStream` does; a message
/// that carries an error ends it, as the failure.
pub(super) fn follow_progress<W: Write>(
    response: Response<'_>,
    mut display: Option<&mut ProgressDisplay<W>>,
) -> Result<(), StreamFailure> {
    for message in response.json_messages::<JsonMessage>() {
        let message = message.map_err(|e| StreamFailure::InStream(e.to_string()))?;
        if let Some(detail) = &message.error_detail {
            return Err(StreamFailure::InStream(detail.message.clone()));
        }
        if !message.error.is_empty() {
            return Err(StreamFailure::InStream(message.error));
        }
        if let Some(display) = display.as_deref_mut()
            && let Err(e) = display.show(&message)
        {
            tracing::debug!(error = %e, "showing progress");
        }
    }
    Ok(())
}
// ANCHOR_END: follow_progress

/// The one name `cmd` takes, or Docker's complaint (`'docker pull' requires 1 argument`).
fn exactly_one<'a>(cmd: &str, names: &'a [String]) -> Result<&'a str, ExitCode> {
    match names {
        [name] => Ok(name),
        _ => Err(args_error(cmd, "requires 1 argument")),
    }
}

/// Parse the name as the docker CLI does before it calls the daemon: with `--all-tags` it must
/// have no tag; otherwise a bare name gets `latest` (announced unless `quiet`).
fn parse_name(name: &str, all_tags: bool, quiet: bool) -> Result<Reference, ExitCode> {
    let reference = Reference::parse_name(name).map_err(|e| {
        eprintln!("{e}");
        1
    })?;
    if all_tags {
        if reference.tag.is_some() || reference.digest.is_some() {
            eprintln!("tag can't be used with --all-tags/-a");
            return Err(1);
        }
        return Ok(reference);
    }
    if reference.tag.is_some() || reference.digest.is_some() {
        return Ok(reference);
    }
    if !quiet {
        println!("Using default tag: latest");
    }
    reference
        .with_tag(ch05_images::reference::DEFAULT_TAG)
        .map_err(|e| {
            eprintln!("{e}");
            1
        })
}

// ANCHOR: pull_image
/// `POST /images/create?fromImage=&tag=`: the repository by its full name and the tag or
/// digest (none: every tag), the progress shown on `display`.
pub(super) fn pull_image<W: Write>(
    api: &Connector,
    reference: &Reference,
    display: Option<&mut ProgressDisplay<W>>,
) -> Result<(), StreamFailure> {
    let tag = reference
        .digest
        .clone()
        .or_else(|| reference.tag.clone())
        .unwrap_or_default();
    let path = format!(
        "/images/create?{}",
        query(&[("fromImage", &reference.name()), ("tag", &tag)])
    );
    let response = api.client()?.request(Method::POST, &path, RequestBody::Empty)?;
    follow_progress(response, display)
}
// ANCHOR_END: pull_image

/// `docker pull NAME`: the progress on stdout (none with `-q`), then the full name pulled.
pub(super) fn pull(api: &Connector, args: PullArgs, cmd: &str) -> ExitCode {
    let reference =
        match exactly_one(cmd, &args.names).and_then(|name| parse_name(name, args.all_tags, args.quiet)) {
            Ok(r) => r,
            Err(code) => return code,
        };
    let mut display = ProgressDisplay::stdout();
    match pull_image(api, &reference, (!args.quiet).then_some(&mut display)) {
        Ok(()) => {
            // The full name of what was pulled: docker.io/library/busybox:latest
            let _ = writeln!(std::io::stdout(), "{reference}");
            0
        }
        Err(failure) => failure.report(),
    }
}

/// `docker push NAME[:TAG]`: `POST /images/{name}/push?tag=` (no tag: every tag of the
/// repository), the progress on stdout; with `-q` only the name pushed.
pub(super) fn push(api: &Connector, args: PushArgs, cmd: &str) -> ExitCode {
    let reference =
        match exactly_one(cmd, &args.names).and_then(|name| parse_name(name, args.all_tags, args.quiet)) {
            Ok(r) => r,
            Err(code) => return code,
        };
    if reference.digest.is_some() {
        // the docker CLI's own refusal, before it asks the daemon
        eprintln!("cannot push a digest reference");
        return 1;
    }
    let path = format!(
        "/images/{}/push?{}",
        path_escape(&reference.familiar_name()),
        query(&[("tag", reference.tag.as_deref().unwrap_or_default())])
    );
    let mut display = ProgressDisplay::stdout();
    let pushed = api
        .client()
        // the registries minidocker pushes to want no credentials: an empty set, the way
        // the API takes them in the body
        .and_then(|c| c.request(Method::POST, &path, RequestBody::json(&serde_json::json!({}))))
        .map_err(StreamFailure::from)
        .and_then(|response| follow_progress(response, (!args.quiet).then_some(&mut display)));
    match pushed {
        Ok(()) => {
            if args.quiet {
                let _ = writeln!(std::io::stdout(), "{reference}");
            }
            0
        }
        Err(failure) => failure.report(),
    }
}
