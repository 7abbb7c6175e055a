//! `save` and `load` (`image save`, `image load`): `GET /images/get` and `POST /images/load`
//! with the archive streamed each way; and where `save` and `export` write: a file written
//! atomically (`-o`) or standard output, never a terminal.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use clap::Args;
use hyper::Method;

use super::distribution::follow_progress;
use super::{ExitCode, api_error, args_error};
use crate::client::autostart::Connector;
use crate::client::{ClientError, RequestBody, query};
use crate::go_errors::io_error_text;
use crate::progress::ProgressDisplay;

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
                    io_error_text(&e)
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
                    io_error_text(&e)
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
            .map_err(|e| fail(format!("{dir}: {}", io_error_text(&e))))?;
        Ok(TarOutput::File {
            tmp: BufWriter::new(tmp),
            target: target.to_owned(),
        })
    }

    /// Flush, and give a file its name.
    pub(super) fn finish(self) -> Result<(), String> {
        match self {
            TarOutput::Stdout(mut out) => out.flush().map_err(|e| io_error_text(&e)),
            TarOutput::File { tmp, target } => {
                let tmp = tmp.into_inner().map_err(|e| io_error_text(e.error()))?;
                tmp.as_file().sync_all().map_err(|e| io_error_text(&e))?;
                tmp.persist(&target)
                    .map(|_| ())
                    .map_err(|e| format!("rename {target}: {}", io_error_text(&e.error)))
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

// ANCHOR: download_tar
/// `GET path`'s tar (`save`, `export`) into the output `-o` names, or standard output; the
/// output is checked before the daemon is asked, as the docker CLI does. Output problems are
/// printed as they are (`what` first for those about the file), the daemon's answers after
/// `Error response from daemon:`. A tar cut short leaves no file.
pub(super) fn download_tar(api: &Connector, path: &str, output: Option<&str>, what: &str) -> ExitCode {
    let mut out = match TarOutput::open(output, what) {
        Ok(out) => out,
        Err(reason) => {
            eprintln!("{reason}");
            return 1;
        }
    };
    let copied = api.client().and_then(|client| {
        let mut body = client
            .request(Method::GET, path, RequestBody::Empty)?
            .into_reader();
        io::copy(&mut body, &mut out).map_err(|source| ClientError::Io {
            what: what.to_owned(),
            source,
        })
    });
    if let Err(e) = copied {
        return api_error(&e);
    }
    match out.finish() {
        Ok(()) => 0,
        Err(reason) => {
            eprintln!("{what}: {reason}");
            1
        }
    }
}
// ANCHOR_END: download_tar

// ANCHOR: save
/// `docker save IMAGE...`: `GET /images/get?names=…` (every name found before a byte is sent).
pub(super) fn save(api: &Connector, args: SaveArgs, cmd: &str) -> ExitCode {
    if args.images.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let names: Vec<(&str, &str)> = args.images.iter().map(|name| ("names", name.as_str())).collect();
    let path = format!("/images/get?{}", query(&names));
    download_tar(api, &path, args.output.as_deref(), "failed to save image")
}
// ANCHOR_END: save

// ANCHOR: load
/// `docker load`: the archive (`-i` or standard input) streamed as the body of
/// `POST /images/load`, its answer shown as it comes: `Loaded image: …` lines, and the
/// `Loading layer` progress on a terminal unless `-q` (the docker CLI asks for `quiet` when
/// standard output is not a terminal). A failure is told in the stream, printed bare.
pub(super) fn load(api: &Connector, args: LoadArgs, cmd: &str) -> ExitCode {
    if !args.unexpected.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    let input: Box<dyn Read + Send> = match args.input.as_deref().filter(|i| !i.is_empty()) {
        Some(path) => match File::open(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("open {path}: {}", io_error_text(&e));
                return 1;
            }
        },
        None if io::stdin().is_terminal() => {
            eprintln!("requested load from stdin, but stdin is empty");
            return 1;
        }
        None => Box::new(io::stdin()),
    };
    let quiet = args.quiet || !io::stdout().is_terminal();
    let path = format!(
        "/images/load?{}",
        query(&[("quiet", if quiet { "1" } else { "0" })])
    );
    let mut display = ProgressDisplay::stdout();
    let loaded = api
        .client()
        .and_then(|c| c.request(Method::POST, &path, RequestBody::Tar(input)))
        .map_err(Into::into)
        .and_then(|response| follow_progress(response, Some(&mut display)));
    match loaded {
        Ok(()) => 0,
        Err(failure) => failure.report(),
    }
}
// ANCHOR_END: load
