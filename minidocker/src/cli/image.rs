//! Image commands: `import`, a rootfs tar streamed as the body of `POST /images/create`.

use std::io::Read;

use clap::Args;
use hyper::Method;

use super::ExitCode;
use super::distribution::follow_progress;
use crate::client::autostart::Connector;
use crate::client::{RequestBody, query};
use crate::go_errors::io_error_text;
use crate::progress::ProgressDisplay;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Apply Dockerfile instruction to the created image
    #[arg(short = 'c', long = "change", value_name = "list", allow_hyphen_values = true)]
    pub change: Vec<String>,
    /// Set commit message for imported image
    #[arg(short = 'm', long)]
    pub message: Option<String>,
    /// A rootfs tarball, or - for standard input
    pub file: String,
    pub reference: Option<String>,
}

// ANCHOR: import
/// `docker import file|- [REPOSITORY[:TAG]]`: the name is checked here, the changes by the
/// daemon (before it reads the tar); the tar, a file or standard input, goes as it is read
/// (`fromSrc=-`, as the docker CLI sends both). Prints the new image's id, the daemon's one
/// message.
pub(super) fn import(api: &Connector, args: ImportArgs) -> ExitCode {
    let reference = args.reference.clone().unwrap_or_default();
    if !reference.is_empty()
        && let Err(e) = ch05_images::Reference::parse_normalized(&reference)
    {
        eprintln!("{e}");
        return 1;
    }
    let tar: Box<dyn Read + Send> = match args.file.as_str() {
        "-" => Box::new(std::io::stdin()),
        path => match std::fs::File::open(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("open {path}: {}", io_error_text(&e));
                return 1;
            }
        },
    };
    let mut params = vec![("fromSrc", "-"), ("repo", reference.as_str())];
    if let Some(message) = &args.message {
        params.push(("message", message));
    }
    params.extend(args.change.iter().map(|change| ("changes", change.as_str())));
    let path = format!("/images/create?{}", query(&params));
    let mut display = ProgressDisplay::stdout();
    let imported = api
        .client()
        .and_then(|c| c.request(Method::POST, &path, RequestBody::Tar(tar)))
        .map_err(Into::into)
        .and_then(|response| follow_progress(response, Some(&mut display)));
    match imported {
        Ok(()) => 0,
        Err(failure) => failure.report(),
    }
}
// ANCHOR_END: import
