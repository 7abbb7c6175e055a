//! What a container changed: `commit`, `diff` and `export` (also as `container commit|diff|export`).

use std::path::Path;

use clap::Args;

use super::archive::{open_engine, write_tar};
use super::{ExitCode, args_error, daemon_error};
use crate::engine::CommitOptions;

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")
    #[arg(short = 'a', long, value_name = "string", allow_hyphen_values = true)]
    pub author: Option<String>,
    /// Apply Dockerfile instruction to the created image
    #[arg(short = 'c', long = "change", value_name = "list", allow_hyphen_values = true)]
    pub changes: Vec<String>,
    /// Commit message
    #[arg(short = 'm', long, value_name = "string", allow_hyphen_values = true)]
    pub message: Option<String>,
    /// Pause container during commit (default true)
    #[arg(
        short = 'p',
        long,
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true",
        action = clap::ArgAction::Set,
        hide_default_value = true,
        hide_possible_values = true
    )]
    pub pause: bool,
    #[arg(value_name = "CONTAINER [REPOSITORY[:TAG]]")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long, value_name = "string")]
    pub output: Option<String>,
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// `REPOSITORY[:TAG]` as the docker CLI checks it: a valid name, not a digest; `:latest` added.
fn commit_reference(name: &str) -> Result<ch05_images::Reference, String> {
    let reference = ch05_images::Reference::parse_name(name).map_err(|e| e.to_string())?;
    if reference.digest.is_some() {
        return Err("refusing to create a tag with a digest reference".into());
    }
    match reference.tag {
        Some(_) => Ok(reference),
        None => reference
            .with_tag(ch05_images::reference::DEFAULT_TAG)
            .map_err(|e| e.to_string()),
    }
}

// ANCHOR: commit
pub(super) fn commit(data_root: &Path, args: CommitArgs, cmd: &str) -> ExitCode {
    let (container, reference) = match args.names.as_slice() {
        [container] => (container, None),
        [container, reference] => match commit_reference(reference) {
            Ok(r) => (container, Some(r)),
            Err(problem) => {
                eprintln!("{problem}");
                return 1;
            }
        },
        _ => return args_error(cmd, "requires at least 1 and at most 2 arguments"),
    };
    let engine = match open_engine(data_root) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let opts = CommitOptions {
        author: args.author.unwrap_or_default(),
        comment: args.message.unwrap_or_default(),
        changes: args.changes,
        reference,
        pause: args.pause,
    };
    match engine.commit_container(container, &opts) {
        Ok(image) => {
            println!("{}", image.id);
            0
        }
        Err(e) => daemon_error(&e.to_string()),
    }
}
// ANCHOR_END: commit

pub(super) fn diff(data_root: &Path, args: DiffArgs, cmd: &str) -> ExitCode {
    let [container] = args.containers.as_slice() else {
        return args_error(cmd, "requires 1 argument");
    };
    let engine = match open_engine(data_root) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    match engine.container_changes(container) {
        Ok(changes) => {
            for change in changes {
                println!("{change}");
            }
            0
        }
        Err(e) => daemon_error(&e.to_string()),
    }
}

pub(super) fn export(data_root: &Path, args: ExportArgs, cmd: &str) -> ExitCode {
    let [container] = args.containers.as_slice() else {
        return args_error(cmd, "requires 1 argument");
    };
    let engine = match open_engine(data_root) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    write_tar(args.output.as_deref(), "failed to export container", |out| {
        engine.export_container(container, out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_references_are_checked_like_the_docker_cli() {
        assert_eq!(commit_reference("web").unwrap().familiar_string(), "web:latest");
        assert_eq!(commit_reference("web:1.1").unwrap().familiar_string(), "web:1.1");
        assert_eq!(
            commit_reference("BAD").unwrap_err(),
            "invalid reference format: repository name (library/BAD) must be lowercase"
        );
        assert_eq!(commit_reference("a:b:c").unwrap_err(), "invalid reference format");
        let digest = format!("x@sha256:{}", "0".repeat(64));
        assert_eq!(
            commit_reference(&digest).unwrap_err(),
            "refusing to create a tag with a digest reference"
        );
    }
}
