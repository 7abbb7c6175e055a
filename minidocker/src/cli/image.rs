//! Image commands: `import` (more come with chapter 5).

use std::io::Write;
use std::path::Path;

use clap::Args;

use super::ExitCode;
use crate::engine::Engine;

#[derive(Debug, Args)]
pub struct ImportArgs {
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
        let engine = Engine::open(data_root)?;
        let comment = args
            .message
            .clone()
            .unwrap_or_else(|| format!("Imported from {}", args.file));
        let id = if args.file == "-" {
            engine
                .images
                .import(std::io::stdin().lock(), args.reference.as_deref(), &comment)?
        } else {
            let file = std::fs::File::open(&args.file).with_context(|| format!("open {}", args.file))?;
            engine
                .images
                .import(std::io::BufReader::new(file), args.reference.as_deref(), &comment)?
        };
        Ok(id)
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
