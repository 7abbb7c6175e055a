//! What a container changed: `commit` (`POST /commit`), `diff`
//! (`GET /containers/{id}/changes`) and `export` (`GET /containers/{id}/export`), also as
//! `container commit|diff|export`.

use clap::Args;
use hyper::Method;
use serde::Deserialize;

use super::archive::TarOutput;
use super::lifecycle::{container_path, with_query};
use super::{ExitCode, args_error};
use crate::client::autostart::Connector;
use crate::client::{ClientError, RequestBody};
use crate::daemon::api::container_fs::ChangeItem;

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

/// Docker's `IDResponse`: what `POST /commit` answers.
#[derive(Debug, Deserialize)]
struct IdResponse {
    #[serde(rename = "Id")]
    id: String,
}

// ANCHOR: commit
pub(super) fn commit(api: &Connector, args: CommitArgs, cmd: &str) -> ExitCode {
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
    // the query the Docker CLI sends: the repository and tag apart, `pause=0` only when off
    let mut params = vec![("container", container.clone())];
    if let Some(reference) = &reference {
        params.push(("repo", reference.familiar_name()));
        params.push(("tag", reference.tag.clone().unwrap_or_default()));
    }
    for (key, value) in [("comment", &args.message), ("author", &args.author)] {
        if let Some(value) = value {
            params.push((key, value.clone()));
        }
    }
    params.extend(args.changes.iter().map(|c| ("changes", c.clone())));
    if !args.pause {
        params.push(("pause", "0".into()));
    }
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let committed = api.client().and_then(|client| {
        client.post_json::<IdResponse>(&with_query("/commit".into(), &pairs), &serde_json::json!({}))
    });
    match committed {
        Ok(image) => {
            println!("{}", image.id);
            0
        }
        Err(e) => super::api_error(&e),
    }
}
// ANCHOR_END: commit

/// The letter `diff` prints for a change's `Kind`: modified, added, deleted.
fn change_letter(kind: u8) -> char {
    match kind {
        1 => 'A',
        2 => 'D',
        _ => 'C',
    }
}

pub(super) fn diff(api: &Connector, args: DiffArgs, cmd: &str) -> ExitCode {
    let [container] = args.containers.as_slice() else {
        return args_error(cmd, "requires 1 argument");
    };
    let changes = api
        .client()
        .and_then(|c| c.get_json::<Option<Vec<ChangeItem>>>(&container_path(container, "/changes")));
    match changes {
        Ok(changes) => {
            for change in changes.unwrap_or_default() {
                println!("{} {}", change_letter(change.kind), change.path);
            }
            0
        }
        Err(e) => super::api_error(&e),
    }
}

pub(super) fn export(api: &Connector, args: ExportArgs, cmd: &str) -> ExitCode {
    let [container] = args.containers.as_slice() else {
        return args_error(cmd, "requires 1 argument");
    };
    let what = "failed to export container";
    let mut out = match TarOutput::open(args.output.as_deref(), what) {
        Ok(out) => out,
        Err(reason) => {
            eprintln!("{reason}");
            return 1;
        }
    };
    let copied = api.client().and_then(|client| {
        let path = container_path(container, "/export");
        let mut body = client
            .request(Method::GET, &path, RequestBody::Empty)?
            .into_reader();
        std::io::copy(&mut body, &mut out).map_err(|source| ClientError::Io {
            what: what.into(),
            source,
        })
    });
    if let Err(e) = copied {
        return super::api_error(&e);
    }
    match out.finish() {
        Ok(()) => 0,
        Err(reason) => {
            eprintln!("{what}: {reason}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_lettered_like_dockers() {
        assert_eq!([0, 1, 2].map(change_letter), ['C', 'A', 'D']);
    }

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
