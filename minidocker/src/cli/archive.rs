//! `save` and `load` (`image save`, `image load`), and where `save` and `export` write: a file
//! written atomically (`-o`) or standard output, never a terminal.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use clap::Args;

use super::{ExitCode, args_error, daemon_error};
use crate::engine::Engine;
use crate::progress::{JsonMessage, ProgressDisplay};

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long, value_name = "string")]
    pub output: Option<String>,
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Read from tar archive file, instead of STDIN
    #[arg(short = 'i', long, value_name = "string")]
    pub input: Option<String>,
    /// Suppress the load output
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// `load` takes no arguments; they are collected to say so as Docker does.
    #[arg(hide = true)]
    pub unexpected: Vec<String>,
}

/// The lowercase text Go prints for an I/O error's errno (`no such file or directory`).
fn go_error_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_lowercase(),
        None => e.to_string(),
    }
}

// ANCHOR: tar_output
/// A file that appears under its name only once completely written: a hidden temporary file
/// beside it (mode 0600), renamed over the name by [`TarOutput::finish`]. Dropped unfinished,
/// the temporary file is removed and an existing file of that name is untouched.
pub(super) enum TarOutput {
    Stdout(BufWriter<io::StdoutLock<'static>>),
    File {
        tmp: BufWriter<tempfile::NamedTempFile>,
        target: String,
    },
}

impl TarOutput {
    /// `-o FILE`, or standard output when `file` is `None` or empty. Refused the way the docker
    /// CLI refuses them: a terminal, a directory, a link, a device… (`what` prefixes the
    /// reasons about the file, e.g. `failed to save image`).
    pub(super) fn open(file: Option<&str>, what: &str) -> Result<TarOutput, String> {
        let Some(target) = file.filter(|f| !f.is_empty()) else {
            let stdout = io::stdout();
            if stdout.is_terminal() {
                return Err("cowardly refusing to save to a terminal. Use the -o flag or redirect".into());
            }
            return Ok(TarOutput::Stdout(BufWriter::new(stdout.lock())));
        };
        let fail = |reason: String| format!("{what}: {reason}");
        let path = Path::new(target);
        let dir = match path.parent().map(|d| d.as_os_str().to_string_lossy()) {
            Some(d) if !d.is_empty() && d != "." && d != ".." => d.into_owned(),
            _ => ".".to_owned(),
        };
        match std::fs::metadata(&dir) {
            Err(e) => {
                return Err(fail(format!(
                    "invalid output path: stat {dir}: {}",
                    go_error_text(&e)
                )));
            }
            Ok(m) if !m.is_dir() => {
                return Err(fail(format!("invalid output path: stat {dir}: not a directory")));
            }
            Ok(_) => {}
        }
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(fail(format!(
                    "failed to stat output path: lstat {target}: {}",
                    go_error_text(&e)
                )));
            }
            Ok(m) => {
                let kind = m.file_type();
                let refused = match () {
                    _ if kind.is_file() => None,
                    _ if kind.is_dir() => Some("cannot write to a directory"),
                    _ if kind.is_symlink() => Some("cannot write to a symbolic link directly"),
                    _ if kind.is_fifo() => Some("cannot write to a named pipe (FIFO)"),
                    _ if kind.is_socket() => Some("cannot write to a socket"),
                    _ if kind.is_char_device() => Some("cannot write to a character device file"),
                    _ => Some("cannot write to a block device file"),
                };
                if let Some(reason) = refused {
                    return Err(fail(reason.to_owned()));
                }
            }
        }
        let base = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".tmp-{base}"))
            .tempfile_in(&dir)
            .map_err(|e| fail(format!("{dir}: {}", go_error_text(&e))))?;
        Ok(TarOutput::File {
            tmp: BufWriter::new(tmp),
            target: target.to_owned(),
        })
    }

    /// Flush, and give a file its name.
    pub(super) fn finish(self) -> Result<(), String> {
        match self {
            TarOutput::Stdout(mut out) => out.flush().map_err(|e| go_error_text(&e)),
            TarOutput::File { tmp, target } => {
                let tmp = tmp.into_inner().map_err(|e| go_error_text(e.error()))?;
                tmp.as_file().sync_all().map_err(|e| go_error_text(&e))?;
                tmp.persist(&target)
                    .map(|_| ())
                    .map_err(|e| format!("rename {target}: {}", go_error_text(&e.error)))
            }
        }
    }
}

impl Write for TarOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            TarOutput::Stdout(out) => out.write(buf),
            TarOutput::File { tmp, .. } => tmp.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            TarOutput::Stdout(out) => out.flush(),
            TarOutput::File { tmp, .. } => tmp.flush(),
        }
    }
}
// ANCHOR_END: tar_output

/// Run `write` into the output `-o` names (or standard output), printing the errors as docker
/// does: output problems as they are, the engine's after `Error response from daemon:`.
pub(super) fn write_tar(
    output: Option<&str>,
    what: &str,
    write: impl FnOnce(&mut TarOutput) -> Result<(), crate::engine::EngineError>,
) -> ExitCode {
    let mut out = match TarOutput::open(output, what) {
        Ok(out) => out,
        Err(reason) => {
            eprintln!("{reason}");
            return 1;
        }
    };
    if let Err(e) = write(&mut out) {
        return daemon_error(&e.to_string());
    }
    match out.finish() {
        Ok(()) => 0,
        Err(reason) => {
            eprintln!("{what}: {reason}");
            1
        }
    }
}

pub(super) fn open_engine(data_root: &Path) -> Result<Engine, ExitCode> {
    Engine::open(data_root).map_err(|e| daemon_error(&format!("{e:#}")))
}

// ANCHOR: save
pub(super) fn save(data_root: &Path, args: SaveArgs, cmd: &str) -> ExitCode {
    if args.images.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let engine = match open_engine(data_root) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    write_tar(args.output.as_deref(), "failed to save image", |out| {
        engine.save_images(&args.images, out)
    })
}
// ANCHOR_END: save

// ANCHOR: load
pub(super) fn load(data_root: &Path, args: LoadArgs, cmd: &str) -> ExitCode {
    if !args.unexpected.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    let input: Box<dyn Read> = match args.input.as_deref().filter(|i| !i.is_empty()) {
        Some(path) => match File::open(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("open {path}: {}", go_error_text(&e));
                return 1;
            }
        },
        None if io::stdin().is_terminal() => {
            eprintln!("requested load from stdin, but stdin is empty");
            return 1;
        }
        None => Box::new(io::stdin().lock()),
    };
    // Like the docker CLI: progress only on a terminal, and never with -q.
    let mut display = (!args.quiet && io::stdout().is_terminal()).then(ProgressDisplay::stdout);
    let engine = match open_engine(data_root) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let loaded = engine.load_images(input, &mut |message| {
        if let Some(display) = display.as_mut() {
            let _ = display.show(&message);
        }
    });
    match loaded {
        Ok(lines) => {
            for line in lines {
                match display.as_mut() {
                    Some(display) => {
                        let _ = display.show(&JsonMessage::line(line));
                    }
                    None => println!("{line}"),
                }
            }
            0
        }
        Err(e) => {
            // Docker streams load errors inside its JSON reply: the CLI prints them bare.
            eprintln!("{e}");
            1
        }
    }
}
// ANCHOR_END: load
