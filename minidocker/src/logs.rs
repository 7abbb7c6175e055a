//! Container logs in Docker's `json-file` format: one JSON object per line,
//! `{"log":"hello\n","stream":"stdout","time":"2026-12-02T00:00:00.123456789Z"}`, in
//! `<data-root>/containers/<id>/<id>-json.log`. The shim writes them; `logs` and `attach`
//! read them (following the file while the container runs).
//!
//! With `--log-opt max-size` the file is rotated as Docker's json-file rotates it: before an
//! entry is written to a file that has reached the size, the files move up one
//! (`<id>-json.log` → `.1` → `.2` …, gzipped with `compress=true`), the oldest beyond
//! `max-file` is removed, and a new file begins. Readers go through the rotated files, oldest
//! first, then the live one, and follow it across rotations.
//!
//! ```text
//!  writes ──▶ <id>-json.log ──full──▶ <id>-json.log.1 ──▶ <id>-json.log.2 ──▶ (removed)
//!  reads  ◀── .2, then .1, then the live file (reopened when it is rotated away)
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

pub use crate::log_config::Rotation;

/// The two output streams, with the numbers Docker's multiplexed frames use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line of the log file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub log: String,
    pub stream: Stream,
    /// The labels and variables `--log-opt labels=…`/`env=…` asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attrs: Option<BTreeMap<String, String>>,
    pub time: String,
}

/// The log file of container `id` in its directory.
pub fn log_path(container_dir: &Path, id: &str) -> PathBuf {
    container_dir.join(format!("{id}-json.log"))
}

/// Where the output of a container that keeps no log (`--log-driver none`) goes for the
/// clients attached to it: the same format, a file `docker logs` does not read, kept small
/// by [`UNLOGGED_OUTPUT`].
pub fn unlogged_output_path(container_dir: &Path, id: &str) -> PathBuf {
    container_dir.join(format!("{id}-attach.json"))
}

/// The bound on [`unlogged_output_path`]: two files of 1 MB.
pub const UNLOGGED_OUTPUT: Rotation = Rotation {
    max_size: 1 << 20,
    max_files: 2,
    compress: false,
};

/// `path.n`, or `path.n.gz` when compressed.
fn rotated_path(path: &Path, n: u32, compressed: bool) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}{}", if compressed { ".gz" } else { "" }));
    PathBuf::from(name)
}

/// The open log file and how full it is.
#[derive(Debug)]
struct LogFile {
    path: PathBuf,
    file: File,
    size: u64,
    rotation: Option<Rotation>,
}

fn ignore_missing(result: std::io::Result<()>) -> std::io::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

impl LogFile {
    // ANCHOR: rotate
    /// Before an entry of `len` bytes: a new file if this one is full (moby's
    /// `checkCapacityAndRotate`: a file may pass `max_size` by its last entry).
    fn make_room(&mut self) -> std::io::Result<()> {
        let Some(rotation) = self.rotation else {
            return Ok(());
        };
        if self.size < rotation.max_size {
            return Ok(());
        }
        if rotation.max_files >= 2 {
            let gz = rotation.compress;
            ignore_missing(std::fs::remove_file(rotated_path(
                &self.path,
                rotation.max_files - 1,
                gz,
            )))?;
            for n in (2..rotation.max_files).rev() {
                ignore_missing(std::fs::rename(
                    rotated_path(&self.path, n - 1, gz),
                    rotated_path(&self.path, n, gz),
                ))?;
            }
            let first = rotated_path(&self.path, 1, false);
            std::fs::rename(&self.path, &first)?;
            if gz {
                gzip(&first, &rotated_path(&self.path, 1, true))?;
            }
        }
        // One file only: it starts again empty.
        self.file = File::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.path)?;
        self.size = 0;
        Ok(())
    }
    // ANCHOR_END: rotate
}

/// `from` gzipped into `to` (written beside it, then renamed), then removed.
fn gzip(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut partial = to.as_os_str().to_owned();
    partial.push(".tmp");
    let partial = PathBuf::from(partial);
    let mut encoder = flate2::write::GzEncoder::new(File::create(&partial)?, flate2::Compression::default());
    std::io::copy(&mut File::open(from)?, &mut encoder)?;
    encoder.finish()?.sync_all()?;
    std::fs::rename(&partial, to)?;
    std::fs::remove_file(from)
}

/// Appends entries to a json-file log, rotating it if asked; shared by the stdout and stderr
/// copiers.
#[derive(Debug, Clone)]
pub struct LogWriter {
    file: Arc<Mutex<LogFile>>,
    attrs: Option<BTreeMap<String, String>>,
}

impl LogWriter {
    /// A log that grows for ever, entries without attributes.
    pub fn create(path: &Path) -> std::io::Result<LogWriter> {
        LogWriter::open(path, None, None)
    }

    /// A log at `path` (appended to if it exists), rotated by `rotation`, every entry with
    /// `attrs`.
    pub fn open(
        path: &Path,
        rotation: Option<Rotation>,
        attrs: Option<BTreeMap<String, String>>,
    ) -> std::io::Result<LogWriter> {
        let file = File::options().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        Ok(LogWriter {
            file: Arc::new(Mutex::new(LogFile {
                path: path.to_owned(),
                file,
                size,
                rotation,
            })),
            attrs,
        })
    }

    // ANCHOR: log_write
    /// Writes `bytes` as entries, one per line (a last piece without a newline is an entry
    /// of its own, as Docker writes partial lines).
    pub fn write(&self, stream: Stream, bytes: &[u8]) -> std::io::Result<()> {
        let time = crate::container::now_rfc3339();
        let mut lines = Vec::new();
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            let entry = LogEntry {
                log: String::from_utf8_lossy(piece).into_owned(),
                stream,
                attrs: self.attrs.clone(),
                time: time.clone(),
            };
            let mut line = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
            line.push(b'\n');
            lines.push(line);
        }
        let mut log = self.file.lock().unwrap_or_else(|e| e.into_inner());
        for line in lines {
            log.make_room()?;
            log.file.write_all(&line)?;
            log.size += line.len() as u64;
        }
        Ok(())
    }
    // ANCHOR_END: log_write

    /// Copies everything read from `source` into the log as `stream`, until EOF.
    pub fn copy_from(&self, stream: Stream, mut source: impl Read) -> std::io::Result<()> {
        let mut buf = [0u8; 8192];
        loop {
            match source.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => self.write(stream, &buf[..n])?,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Reads a json-file log entry by entry: its rotated files, oldest first, then the live
/// file, which it follows across rotations.
pub struct LogReader {
    path: PathBuf,
    /// The rotated files not read yet, oldest first (opened at once: a rotation that
    /// removes one while we read does not take it away from us).
    rotated: VecDeque<Box<dyn BufRead + Send>>,
    live: BufReader<File>,
    /// Bytes of a line not complete yet (the writer is mid-line).
    pending: String,
    /// How many entries may still be read, when limited ([`LogReader::stop_after`]).
    remaining: Option<usize>,
}

impl std::fmt::Debug for LogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogReader")
            .field("path", &self.path)
            .field("rotated", &self.rotated.len())
            .finish_non_exhaustive()
    }
}

impl LogReader {
    /// The log at `path` from its first entry (in its oldest rotated file).
    pub fn open(path: &Path) -> std::io::Result<LogReader> {
        let mut rotated = VecDeque::new();
        for n in 1.. {
            let plain = rotated_path(path, n, false);
            let reader: Box<dyn BufRead + Send> = match File::open(&plain) {
                Ok(file) => Box::new(BufReader::new(file)),
                Err(_) => match File::open(rotated_path(path, n, true)) {
                    Ok(file) => Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file))),
                    Err(_) => break,
                },
            };
            rotated.push_front(reader);
        }
        Ok(LogReader {
            path: path.to_owned(),
            rotated,
            live: BufReader::new(File::open(path)?),
            pending: String::new(),
            remaining: None,
        })
    }

    /// Skips to the end (for `attach`, which shows only what comes next).
    pub fn seek_to_end(&mut self) -> std::io::Result<()> {
        self.rotated.clear();
        self.pending.clear();
        self.live.seek(SeekFrom::End(0)).map(|_| ())
    }

    /// Skips `count` entries.
    pub fn skip(&mut self, count: usize) -> std::io::Result<()> {
        for _ in 0..count {
            if self.next_line()?.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// Reads no more than `count` further entries: `logs --tail N` without `-f` shows the
    /// last N entries of the moment it was asked, not also those written while it reads.
    pub fn stop_after(&mut self, count: usize) {
        self.remaining = Some(count);
    }

    /// How many entries the log at `path` has now, its rotated files included.
    pub fn count(path: &Path) -> std::io::Result<usize> {
        let mut reader = LogReader::open(path)?;
        let mut count = 0;
        while reader.next_line()?.is_some() {
            count += 1;
        }
        Ok(count)
    }

    /// The complete entries available now (none when the writer has written nothing new).
    pub fn read_available(&mut self) -> std::io::Result<Vec<LogEntry>> {
        let mut entries = Vec::new();
        while let Some(line) = self.next_line()? {
            if let Ok(entry) = serde_json::from_str(&line) {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// The next complete line (within the limit of [`LogReader::stop_after`]).
    fn next_line(&mut self) -> std::io::Result<Option<String>> {
        if self.remaining == Some(0) {
            return Ok(None);
        }
        let line = self.next_unlimited_line()?;
        if line.is_some()
            && let Some(remaining) = &mut self.remaining
        {
            *remaining -= 1;
        }
        Ok(line)
    }

    /// The next complete line: from the rotated files first, then the live one.
    fn next_unlimited_line(&mut self) -> std::io::Result<Option<String>> {
        while let Some(file) = self.rotated.front_mut() {
            let mut line = String::new();
            match file.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    // the end of that file (or a damaged gzip stream): on to the next
                    self.rotated.pop_front();
                }
                Ok(_) => return Ok(Some(line)),
            }
        }
        loop {
            let mut line = String::new();
            if self.live.read_line(&mut line)? > 0 {
                if !line.ends_with('\n') {
                    self.pending.push_str(&line);
                    continue;
                }
                return Ok(Some(std::mem::take(&mut self.pending) + &line));
            }
            // At the end of what we have open: a new live file if ours was rotated away
            // (once the rest of ours is read: the writer finished it before it moved it).
            if !self.follow_rotation()? {
                return Ok(None);
            }
        }
    }

    /// Switches to the live file if the one open was rotated away (or starts it again if it
    /// was emptied in place, `max-file=1`); false when nothing changed.
    fn follow_rotation(&mut self) -> std::io::Result<bool> {
        let Ok(now) = std::fs::metadata(&self.path) else {
            return Ok(false); // between the rename and the new file
        };
        // After the path: if ours was moved away, its size is final now.
        let ours = self.live.get_ref().metadata()?;
        let position = self.live.stream_position()?;
        if now.ino() != ours.ino() || now.dev() != ours.dev() {
            if ours.len() > position {
                return Ok(true); // its last entries first
            }
            self.pending.clear();
            self.live = BufReader::new(File::open(&self.path)?);
            return Ok(true);
        }
        if ours.len() < position {
            self.pending.clear();
            self.live.seek(SeekFrom::Start(0))?;
            return Ok(true);
        }
        Ok(false)
    }
}

/// A frame of Docker's multiplexed stream (chapter 10's `stdcopy`) for a log entry's stream.
pub fn frame(stream: Stream, payload: &[u8]) -> Vec<u8> {
    ch10_api::stdcopy::frame(stream.into(), payload)
}

impl From<Stream> for ch10_api::stdcopy::StdStream {
    fn from(stream: Stream) -> Self {
        match stream {
            Stream::Stdout => ch10_api::stdcopy::StdStream::Stdout,
            Stream::Stderr => ch10_api::stdcopy::StdStream::Stderr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_lines_and_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x-json.log");
        let writer = LogWriter::create(&path).unwrap();
        writer.write(Stream::Stdout, b"one\ntwo\npart").unwrap();
        writer.write(Stream::Stderr, b"oops\n").unwrap();
        let mut reader = LogReader::open(&path).unwrap();
        let got: Vec<(String, Stream)> = reader
            .read_available()
            .unwrap()
            .into_iter()
            .map(|e| (e.log, e.stream))
            .collect();
        assert_eq!(
            got,
            [
                ("one\n".to_owned(), Stream::Stdout),
                ("two\n".to_owned(), Stream::Stdout),
                ("part".to_owned(), Stream::Stdout),
                ("oops\n".to_owned(), Stream::Stderr),
            ]
        );
        assert!(reader.read_available().unwrap().is_empty());
        let line = std::fs::read_to_string(&path).unwrap();
        assert!(
            line.starts_with(r#"{"log":"one\n","stream":"stdout","time":""#),
            "{line}"
        );
    }

    #[test]
    fn a_limited_reader_stops_after_its_entries_while_the_log_grows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t-json.log");
        let writer = LogWriter::create(&path).unwrap();
        writer.write(Stream::Stdout, b"a\nb\nc\n").unwrap();
        let mut reader = LogReader::open(&path).unwrap();
        reader.skip(2).unwrap();
        reader.stop_after(1);
        writer.write(Stream::Stdout, b"written while reading\n").unwrap();
        let got: Vec<String> = reader
            .read_available()
            .unwrap()
            .into_iter()
            .map(|e| e.log)
            .collect();
        assert_eq!(got, ["c\n"]);
        assert!(reader.read_available().unwrap().is_empty());
    }

    /// The `n` lines of the rotated files and the live one, oldest first.
    fn all_logs(path: &Path) -> Vec<String> {
        LogReader::open(path)
            .unwrap()
            .read_available()
            .unwrap()
            .into_iter()
            .map(|e| e.log)
            .collect()
    }

    fn numbered(n: usize) -> String {
        format!("line {n:03} {}\n", "x".repeat(40))
    }

    #[test]
    fn a_full_file_moves_up_and_the_oldest_goes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c-json.log");
        let rotation = Rotation {
            max_size: 1000,
            max_files: 3,
            compress: false,
        };
        let writer = LogWriter::open(&path, Some(rotation), None).unwrap();
        for n in 0..100 {
            writer.write(Stream::Stdout, numbered(n).as_bytes()).unwrap();
        }
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["c-json.log", "c-json.log.1", "c-json.log.2"]);
        let entry_len = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .len() as u64
            + 1;
        for name in &names {
            let len = std::fs::metadata(dir.path().join(name)).unwrap().len();
            // a file is rotated once it has reached the size: it may pass it by one entry
            assert!(len < rotation.max_size + entry_len, "{name}: {len}");
        }
        // the reader goes through .2, .1 and the live file: the last entries, in order
        let logs = all_logs(&path);
        let last = logs.last().unwrap().clone();
        assert_eq!(last, numbered(99));
        let first: usize = logs[0][5..8].parse().unwrap();
        assert_eq!(logs, (first..100).map(numbered).collect::<Vec<_>>());
        assert!(first > 50, "older entries are gone: {first}");
        assert_eq!(LogReader::count(&path).unwrap(), logs.len());
        // a writer opened again (a restarted container) goes on where the file is
        let again = LogWriter::open(&path, Some(rotation), None).unwrap();
        again.write(Stream::Stderr, b"after\n").unwrap();
        assert_eq!(all_logs(&path).last().unwrap(), "after\n");
    }

    #[test]
    fn one_file_starts_again_empty_and_compressed_files_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one-json.log");
        let one = Rotation {
            max_size: 500,
            max_files: 1,
            compress: false,
        };
        let writer = LogWriter::open(&path, Some(one), None).unwrap();
        for n in 0..30 {
            writer.write(Stream::Stdout, numbered(n).as_bytes()).unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(all_logs(&path).last().unwrap(), &numbered(29));

        let path = dir.path().join("gz-json.log");
        let gz = Rotation {
            max_size: 500,
            max_files: 2,
            compress: true,
        };
        let writer = LogWriter::open(&path, Some(gz), None).unwrap();
        for n in 0..30 {
            writer.write(Stream::Stdout, numbered(n).as_bytes()).unwrap();
        }
        assert!(dir.path().join("gz-json.log.1.gz").exists());
        assert!(!dir.path().join("gz-json.log.1").exists());
        let logs = all_logs(&path);
        assert_eq!(logs.last().unwrap(), &numbered(29));
        assert!(logs.len() > std::fs::read_to_string(&path).unwrap().lines().count());
    }

    #[test]
    fn a_follower_goes_on_in_the_new_file_after_a_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f-json.log");
        let rotation = Rotation {
            max_size: 300,
            max_files: 2,
            compress: false,
        };
        let writer = LogWriter::open(&path, Some(rotation), None).unwrap();
        let mut reader = LogReader::open(&path).unwrap();
        let mut seen = Vec::new();
        // read between writes, as `logs -f` does: every entry once, in order, across
        // several rotations
        for n in 0..40 {
            writer.write(Stream::Stdout, numbered(n).as_bytes()).unwrap();
            if n % 2 == 0 {
                seen.extend(reader.read_available().unwrap().into_iter().map(|e| e.log));
            }
        }
        seen.extend(reader.read_available().unwrap().into_iter().map(|e| e.log));
        assert_eq!(seen, (0..40).map(numbered).collect::<Vec<_>>());
    }

    #[test]
    fn attrs_go_between_stream_and_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a-json.log");
        let attrs = BTreeMap::from([("app".to_owned(), "web".to_owned())]);
        LogWriter::open(&path, None, Some(attrs))
            .unwrap()
            .write(Stream::Stdout, b"hi\n")
            .unwrap();
        let line = std::fs::read_to_string(&path).unwrap();
        assert!(
            line.starts_with(r#"{"log":"hi\n","stream":"stdout","attrs":{"app":"web"},"time":""#),
            "{line}"
        );
    }

    #[test]
    fn frames_have_dockers_header() {
        assert_eq!(frame(Stream::Stderr, b"hi"), [2, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']);
    }
}
