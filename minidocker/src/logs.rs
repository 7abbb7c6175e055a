//! Container logs in Docker's `json-file` format: one JSON object per line,
//! `{"log":"hello\n","stream":"stdout","time":"2026-12-02T00:00:00.123456789Z"}`, in
//! `<data-root>/containers/<id>/<id>-json.log`. The shim writes them; `logs` and `attach`
//! read them (following the file while the container runs).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// The two output streams, with the numbers Docker's multiplexed frames use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    /// The stream byte of a frame header: 1 stdout, 2 stderr.
    pub fn frame_id(self) -> u8 {
        match self {
            Stream::Stdout => 1,
            Stream::Stderr => 2,
        }
    }
}

/// One line of the log file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub log: String,
    pub stream: Stream,
    pub time: String,
}

/// The log file of container `id` in its directory.
pub fn log_path(container_dir: &Path, id: &str) -> PathBuf {
    container_dir.join(format!("{id}-json.log"))
}

/// Appends entries to a json-file log; shared by the stdout and stderr copiers.
#[derive(Debug, Clone)]
pub struct LogWriter {
    file: Arc<Mutex<File>>,
}

impl LogWriter {
    pub fn create(path: &Path) -> std::io::Result<LogWriter> {
        let file = File::options().create(true).append(true).open(path)?;
        Ok(LogWriter {
            file: Arc::new(Mutex::new(file)),
        })
    }

    // ANCHOR: log_write
    /// Writes `bytes` as entries, one per line (a last piece without a newline is an entry
    /// of its own, as Docker writes partial lines).
    pub fn write(&self, stream: Stream, bytes: &[u8]) -> std::io::Result<()> {
        let time = crate::container::now_rfc3339();
        let mut out = Vec::new();
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            let entry = LogEntry {
                log: String::from_utf8_lossy(piece).into_owned(),
                stream,
                time: time.clone(),
            };
            serde_json::to_writer(&mut out, &entry).map_err(std::io::Error::other)?;
            out.push(b'\n');
        }
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(&out)
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

/// Reads a json-file log from a position on, entry by entry.
#[derive(Debug)]
pub struct LogReader {
    reader: BufReader<File>,
    /// Bytes of a line not complete yet (the writer is mid-line).
    pending: String,
}

impl LogReader {
    pub fn open(path: &Path) -> std::io::Result<LogReader> {
        Ok(LogReader {
            reader: BufReader::new(File::open(path)?),
            pending: String::new(),
        })
    }

    /// Skips to the end (for `attach`, which shows only what comes next).
    pub fn seek_to_end(&mut self) -> std::io::Result<()> {
        self.reader.seek(SeekFrom::End(0)).map(|_| ())
    }

    /// Skips one line.
    pub fn skip_line(&mut self) -> std::io::Result<()> {
        let mut line = String::new();
        self.reader.read_line(&mut line).map(|_| ())
    }

    /// The complete entries available now (none when the writer has written nothing new).
    pub fn read_available(&mut self) -> std::io::Result<Vec<LogEntry>> {
        let mut entries = Vec::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line)? == 0 {
                return Ok(entries);
            }
            if !line.ends_with('\n') {
                self.pending.push_str(&line);
                return Ok(entries);
            }
            let full = std::mem::take(&mut self.pending) + &line;
            if let Ok(entry) = serde_json::from_str(&full) {
                entries.push(entry);
            }
        }
    }
}

// ANCHOR: frame
/// A frame of Docker's multiplexed stream: `[stream, 0, 0, 0, len (u32 BE)]` then the bytes.
pub fn frame(stream: Stream, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + payload.len());
    out.push(stream.frame_id());
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}
// ANCHOR_END: frame

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
    fn frames_have_dockers_header() {
        assert_eq!(frame(Stream::Stderr, b"hi"), [2, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']);
    }
}
