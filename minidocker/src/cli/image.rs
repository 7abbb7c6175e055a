//! Image commands: `import`.

use std::io::Write;
use std::path::Path;

use clap::Args;

use super::ExitCode;
use crate::engine::{Engine, ImportOptions};

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

pub(super) fn import(data_root: &Path, args: ImportArgs) -> ExitCode {
    let result = (|| -> anyhow::Result<String> {
        use anyhow::Context;
        let reference = args
            .reference
            .as_deref()
            .map(ch05_images::Reference::parse_normalized)
            .transpose()?;
        // the changes are checked before the tar is read, as the daemon does
        let config = crate::instructions::apply_changes(&Default::default(), &args.change)?;
        let engine = Engine::open(data_root)?;
        let opts = ImportOptions {
            message: args.message.clone(),
            // The docker CLI streams a file as it streams stdin: both are "-" to the daemon.
            source: "-".to_owned(),
            config,
            reference,
        };
        let image = if args.file == "-" {
            engine.import_image(std::io::stdin().lock(), &opts)?
        } else {
            let file = std::fs::File::open(&args.file).with_context(|| format!("open {}", args.file))?;
            engine.import_image(std::io::BufReader::new(file), &opts)?
        };
        Ok(image.id.to_string())
    })();
    match result {
        Ok(id) => {
            let _ = writeln!(std::io::stdout(), "{id}");
            0
        }
        Err(e) => {
            eprintln!("Error response from daemon: {e:#}");
            1
        }
    }
}
