//! `minidocker pull` and `minidocker push`, and the pull `run` does for an image it lacks.
//!
//! Like the docker CLI, these show the engine's progress stream (see `progress.rs`) and word a
//! failure by when it happened: before the stream began it is the daemon's answer
//! (`Error response from daemon: manifest for … not found`), after that it is the stream's
//! last word, printed bare (`filesystem layer verification failed for digest …`).

use std::io::Write;
use std::path::Path;

use ch05_images::{Reference, StoreError};
use clap::Args;

use super::{ExitCode, args_error, daemon_error};
use crate::engine::{Engine, EngineError};
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

/// A failed pull or push, and whether the progress stream had begun.
#[derive(Debug)]
pub(super) struct Failure {
    pub message: String,
    pub streamed: bool,
}

impl Failure {
    /// How `pull` and `push` print it; exit code 1.
    fn report(&self) -> ExitCode {
        match self.streamed {
            true => {
                eprintln!("{}", self.message);
                1
            }
            false => daemon_error(&self.message),
        }
    }
}

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

/// Run `operation` with its progress shown on `display` (nowhere if `None`).
fn with_progress<W: Write>(
    display: Option<&mut ProgressDisplay<W>>,
    operation: impl FnOnce(&mut dyn FnMut(JsonMessage)) -> Result<(), crate::engine::DistributionError>,
) -> Result<(), Failure> {
    let mut streamed = false;
    let mut display = display;
    let result = operation(&mut |message| {
        streamed = true;
        if let Some(d) = display.as_deref_mut() {
            if let Err(e) = d.show(&message) {
                tracing::debug!(error = %e, "showing progress");
            }
        }
    });
    result.map_err(|e| Failure {
        message: e.to_string(),
        streamed,
    })
}

fn open_engine(data_root: &Path) -> Result<Engine, Failure> {
    Engine::open(data_root).map_err(|e| Failure {
        message: format!("{e:#}"),
        streamed: false,
    })
}

pub(super) fn pull(data_root: &Path, args: PullArgs, cmd: &str) -> ExitCode {
    let reference =
        match exactly_one(cmd, &args.names).and_then(|name| parse_name(name, args.all_tags, args.quiet)) {
            Ok(r) => r,
            Err(code) => return code,
        };
    let pulled = open_engine(data_root).and_then(|engine| {
        let mut display = ProgressDisplay::stdout();
        let display = (!args.quiet).then_some(&mut display);
        with_progress(display, |out| engine.pull(&reference, args.all_tags, out))
    });
    match pulled {
        Ok(()) => {
            // The full name of what was pulled: docker.io/library/busybox:latest
            let _ = writeln!(std::io::stdout(), "{reference}");
            0
        }
        Err(failure) => failure.report(),
    }
}

pub(super) fn push(data_root: &Path, args: PushArgs, cmd: &str) -> ExitCode {
    let reference =
        match exactly_one(cmd, &args.names).and_then(|name| parse_name(name, args.all_tags, args.quiet)) {
            Ok(r) => r,
            Err(code) => return code,
        };
    let pushed = open_engine(data_root).and_then(|engine| {
        let mut display = ProgressDisplay::stdout();
        let display = (!args.quiet).then_some(&mut display);
        with_progress(display, |out| engine.push(&reference, out))
    });
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

/// A 64-hex image id (`sha256:` optional): `run` never pulls those, as Docker does not.
fn is_full_id(image: &str) -> bool {
    ch05_images::Digest::from_hex(image.strip_prefix("sha256:").unwrap_or(image)).is_ok()
}

/// `run --pull`: when to pull the image first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PullPolicy {
    Always,
    /// The default: only if there is no such image here.
    Missing,
    Never,
}

impl PullPolicy {
    pub(super) fn parse(value: &str) -> Result<PullPolicy, String> {
        match value {
            "always" => Ok(PullPolicy::Always),
            "missing" => Ok(PullPolicy::Missing),
            "never" => Ok(PullPolicy::Never),
            other => Err(format!(
                "invalid pull option: '{other}': must be one of \"always\", \"missing\" or \"never\""
            )),
        }
    }
}

// ANCHOR: pull_for_run
/// What `docker run` does before it creates the container: with `missing` (the default) and
/// no such image here, say so on stderr and pull it, the progress on stderr too (no `Using
/// default tag`, no final name); with `always`, pull it whatever is here. `quiet` hides both.
pub(super) fn pull_for_run(
    engine: &Engine,
    image: &str,
    policy: PullPolicy,
    quiet: bool,
) -> Result<(), Failure> {
    let missing = matches!(engine.images.resolve(image), Err(StoreError::NoSuchImage(_)));
    let wanted = match policy {
        PullPolicy::Always => true,
        PullPolicy::Missing => missing,
        PullPolicy::Never => false,
    };
    if !wanted || is_full_id(image) {
        return Ok(()); // there, or an error `run` reports itself
    }
    let reference = Reference::parse_normalized(image).map_err(|e| Failure {
        message: EngineError::from(e).to_string(),
        streamed: false,
    })?;
    let mut display = ProgressDisplay::stderr();
    if !quiet && policy == PullPolicy::Missing {
        eprintln!("Unable to find image '{}' locally", reference.familiar_string());
    }
    with_progress((!quiet).then_some(&mut display), |out| {
        engine.pull(&reference, false, out)
    })
}
// ANCHOR_END: pull_for_run

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
    fn pull_policies_are_dockers() {
        assert_eq!(PullPolicy::parse("always"), Ok(PullPolicy::Always));
        assert_eq!(PullPolicy::parse("missing"), Ok(PullPolicy::Missing));
        assert_eq!(PullPolicy::parse("never"), Ok(PullPolicy::Never));
        assert_eq!(
            PullPolicy::parse("bogus").unwrap_err(),
            r#"invalid pull option: 'bogus': must be one of "always", "missing" or "never""#
        );
    }
}
