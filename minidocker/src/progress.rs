//! Progress the way Docker streams and shows it.
//!
//! The engine reports a pull or a push as a stream of [`JsonMessage`]s, the objects of the
//! Remote API's `POST /images/create` and `/images/<name>/push` responses (API-19):
//!
//! ```text
//! {"status":"Pulling from library/busybox","id":"latest"}
//! {"status":"Pulling fs layer","progressDetail":{},"id":"f5384d18de9e"}
//! {"status":"Downloading","progressDetail":{"current":524288,"total":2097152},"progress":"[=====> …","id":"f5384d18de9e"}
//! {"status":"Digest: sha256:9fa7…"}
//! ```
//!
//! One model, two renderers:
//!
//! - [`ProgressDisplay`] shows them as the docker CLI does (its `jsonmessage` package): on a
//!   terminal every layer keeps one line that is rewritten in place (cursor up, clear, rewrite,
//!   cursor down); anywhere else each status change is a line of its own and the progress bars
//!   (`Downloading`, `Extracting`, `Pushing`) are left out.
//! - [`JsonProgressWriter`] writes them as dockerd sends them over the API: one JSON object a
//!   line, with Go's escaping (`\u003e` for `>`), and a failure once the stream has begun as
//!   its last object, `{"errorDetail":{"message":"…"},"error":"…"}`.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Read, Write};
use std::os::fd::AsFd;

use serde::{Deserialize, Serialize};

use crate::format::units::human_size;

/// Progress of a transfer is reported after this many bytes (and at its end), as Docker does.
pub const UPDATE_EVERY: u64 = 512 * 1024;

/// The width Docker assumes when it cannot ask a terminal (the daemon's own rendering).
const DEFAULT_WIDTH: usize = 200;

/// One object of a progress stream. Docker's field names, in the order of its `JSONMessage`;
/// empty fields are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonMessage {
    /// Text to show as it is (`docker load`'s `Loaded image: busybox:latest\n`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stream: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// Present (perhaps empty) on every per-layer status: the CLI keeps one line per such id.
    #[serde(default, rename = "progressDetail", skip_serializing_if = "Option::is_none")]
    pub progress_detail: Option<ProgressDetail>,
    /// The bar as the daemon rendered it, for clients that do not render `progressDetail`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub progress: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Why the operation failed, after the stream had begun (`error` repeats the message).
    #[serde(default, rename = "errorDetail", skip_serializing_if = "Option::is_none")]
    pub error_detail: Option<ErrorDetail>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// A result for programs rather than people; displays skip it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux: Option<Aux>,
}

/// The `aux` of a message: what `docker push` pushed, or anything else an endpoint reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Aux {
    Push(PushResult),
    Other(serde_json::Value),
}

/// `docker push`'s result for one tag, in Docker's field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResult {
    #[serde(rename = "Tag")]
    pub tag: String,
    #[serde(rename = "Digest")]
    pub digest: String,
    #[serde(rename = "Size")]
    pub size: u64,
}

/// `errorDetail` of a failed stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub code: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// How far a transfer is: bytes done of `total`, started at `start` (Unix seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressDetail {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub current: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub total: u64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub start: i64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

impl JsonMessage {
    /// A line of its own: `Digest: sha256:…`, `The push refers to repository […]`.
    pub fn line(status: impl Into<String>) -> JsonMessage {
        JsonMessage {
            status: status.into(),
            ..JsonMessage::default()
        }
    }

    /// A line about `id` that is not a layer's: `latest: Pulling from library/busybox`.
    pub fn about(id: impl Into<String>, status: impl Into<String>) -> JsonMessage {
        JsonMessage {
            id: id.into(),
            ..JsonMessage::line(status)
        }
    }

    /// A layer's new status: `f5384d18de9e: Pull complete`.
    pub fn layer(id: impl Into<String>, status: impl Into<String>) -> JsonMessage {
        JsonMessage {
            progress_detail: Some(ProgressDetail::default()),
            ..JsonMessage::about(id, status)
        }
    }

    /// Text shown as it is: `Loaded image: busybox:latest\n`.
    pub fn stream(text: impl Into<String>) -> JsonMessage {
        JsonMessage {
            stream: text.into(),
            ..JsonMessage::default()
        }
    }

    /// The failure that ends a stream that had begun.
    pub fn error(message: impl Into<String>) -> JsonMessage {
        let message = message.into();
        JsonMessage {
            error_detail: Some(ErrorDetail {
                code: 0,
                message: message.clone(),
            }),
            error: message,
            ..JsonMessage::default()
        }
    }

    /// A result for programs: `{"progressDetail":{},"aux":{…}}`, as dockerd writes it.
    pub fn aux(aux: Aux) -> JsonMessage {
        JsonMessage {
            progress_detail: Some(ProgressDetail::default()),
            aux: Some(aux),
            ..JsonMessage::default()
        }
    }

    /// A layer's transfer, `current` of `total` bytes since `start` (Unix seconds):
    /// `f5384d18de9e: Downloading [=====>     ] 1.049MB/2.097MB 2s`.
    pub fn transfer(
        id: impl Into<String>,
        status: impl Into<String>,
        current: u64,
        total: u64,
        start: i64,
    ) -> JsonMessage {
        let detail = ProgressDetail {
            current,
            total,
            start,
        };
        JsonMessage {
            progress: detail.render(DEFAULT_WIDTH, now_nanos()),
            progress_detail: Some(detail),
            ..JsonMessage::about(id, status)
        }
    }
}

fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

impl ProgressDetail {
    // ANCHOR: render
    /// Docker's `JSONProgress.String()` for a terminal `width` columns wide: a 50-column bar
    /// when the terminal is wider than 110, the sizes, and the time left when wider than 50.
    pub fn render(&self, width: usize, now_nanos: i128) -> String {
        if self.current == 0 && self.total == 0 {
            return String::new();
        }
        let size = |n: u64| human_size(n, 4);
        if self.total == 0 {
            return format!("{:>8}", size(self.current));
        }
        let percentage = ((self.current as f64 / self.total as f64 * 100.0) as usize / 2).min(50);
        let bar = if width > 110 {
            format!("[{}>{}] ", "=".repeat(percentage), " ".repeat(50 - percentage))
        } else {
            String::new()
        };
        let numbers = if self.current > self.total {
            format!("{:>8}", size(self.current))
        } else {
            format!("{:>8}/{}", size(self.current), size(self.total))
        };
        let mut left = String::new();
        if self.current > 0 && self.start > 0 && percentage < 50 && width > 50 {
            let elapsed = now_nanos - i128::from(self.start) * 1_000_000_000;
            let per_byte = elapsed / i128::from(self.current);
            let remaining = i128::from(self.total - self.current) * per_byte;
            left = format!(" {}", go_seconds(remaining / 1_000_000_000));
        }
        format!("{bar}{numbers}{left}")
    }
    // ANCHOR_END: render
}

/// Go's `time.Duration.String()` for whole seconds: `0s`, `42s`, `3m5s`, `1h0m0s`.
fn go_seconds(seconds: i128) -> String {
    let s = seconds.max(0);
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, min, sec) => format!("{min}m{sec}s"),
        (h, min, sec) => format!("{h}h{min}m{sec}s"),
    }
}

// ANCHOR: display
/// Shows a progress stream as the docker CLI does; see the module documentation. A message
/// carrying a failure (`error_detail`) is not shown: the caller reports it.
#[derive(Debug)]
pub struct ProgressDisplay<W> {
    out: W,
    /// The terminal's width when `out` is one.
    terminal: Option<usize>,
    /// The line (counted from the first progress line) of each id shown so far.
    lines: HashMap<String, usize>,
}

impl<W: Write> ProgressDisplay<W> {
    /// A display on `out`; `terminal` is its width if it is a terminal.
    pub fn new(out: W, terminal: Option<usize>) -> ProgressDisplay<W> {
        ProgressDisplay {
            out,
            terminal,
            lines: HashMap::new(),
        }
    }

    /// Show one message.
    pub fn show(&mut self, message: &JsonMessage) -> io::Result<()> {
        self.show_at(message, now_nanos())
    }

    fn show_at(&mut self, message: &JsonMessage, now: i128) -> io::Result<()> {
        if message.aux.is_some() || message.error_detail.is_some() {
            return Ok(()); // aux is for programs; a failure is the caller's to report
        }
        let tracked = !message.id.is_empty() && message.progress_detail.is_some();
        let mut below = 0;
        if tracked {
            let line = match self.lines.get(&message.id) {
                Some(line) => *line,
                None => {
                    let line = self.lines.len();
                    self.lines.insert(message.id.clone(), line);
                    if self.terminal.is_some() {
                        self.out.write_all(b"\n")?; // a new line for a new id
                    }
                    line
                }
            };
            below = self.lines.len() - line;
            if self.terminal.is_some() && below > 0 {
                write!(self.out, "\x1b[{below}A")?;
            }
        } else {
            // Anything else ends the block of progress lines: later ids start a new one.
            self.lines.clear();
        }
        let bar = match (&message.progress_detail, self.terminal) {
            (Some(detail), Some(width)) => detail.render(width, now),
            (Some(detail), None) => detail.render(DEFAULT_WIDTH, now),
            (None, _) => String::new(),
        };
        let in_place = self.terminal.is_some() && message.progress_detail.is_some();
        if in_place {
            self.out.write_all(b"\x1b[2K\r")?;
        } else if !bar.is_empty() {
            return Ok(()); // no progress bars off a terminal
        }
        if !message.id.is_empty() {
            write!(self.out, "{}: ", message.id)?;
        }
        if in_place {
            write!(self.out, "{} {bar}\r", message.status)?;
        } else if !message.stream.is_empty() {
            write!(self.out, "{}", message.stream)?;
        } else {
            writeln!(self.out, "{}", message.status)?;
        }
        if !message.id.is_empty() && self.terminal.is_some() && below > 0 {
            write!(self.out, "\x1b[{below}B")?;
        }
        self.out.flush()
    }
}
// ANCHOR_END: display

// ANCHOR: wire
/// Writes a progress stream as dockerd sends it; see the module documentation.
#[derive(Debug)]
pub struct JsonProgressWriter<W> {
    out: W,
    begun: bool,
}

impl<W: Write> JsonProgressWriter<W> {
    pub fn new(out: W) -> JsonProgressWriter<W> {
        JsonProgressWriter { out, begun: false }
    }

    /// Write one message, a line of its own, and flush it.
    pub fn show(&mut self, message: &JsonMessage) -> io::Result<()> {
        self.begun = true;
        self.out.write_all(&wire_line(message)?)?;
        self.out.flush()
    }

    /// Whether a message went out: from then on a failure can only be told in the stream.
    pub fn has_begun(&self) -> bool {
        self.begun
    }

    /// Ends the stream with `message`, the failure's, as its last object.
    pub fn fail(&mut self, message: &str) -> io::Result<()> {
        self.show(&JsonMessage::error(message))
    }
}

/// `message` as dockerd sends it: dockerd never sends `start`, so its bar, rendered for 200
/// columns, has no time left.
fn wire_line(message: &JsonMessage) -> io::Result<Vec<u8>> {
    let mut message = message.clone();
    if let Some(detail) = message.progress_detail.as_mut() {
        detail.start = 0;
        message.progress = detail.render(DEFAULT_WIDTH, 0);
    }
    let mut line = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut line, GoEscapes);
    message.serialize(&mut serializer).map_err(io::Error::other)?;
    line.push(b'\n');
    Ok(line)
}

/// Go's `encoding/json` escapes `<`, `>`, `&` (and U+2028, U+2029) in strings, so HTML-safe
/// JSON comes out of dockerd: `"[=\u003e    ]"`. serde_json leaves them as they are.
struct GoEscapes;

impl serde_json::ser::Formatter for GoEscapes {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut plain = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[plain..i])?;
            writer.write_all(escaped.as_bytes())?;
            plain = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[plain..])
    }
}
// ANCHOR_END: wire

impl ProgressDisplay<io::Stdout> {
    /// A display on standard output, in place if it is a terminal.
    pub fn stdout() -> Self {
        let out = io::stdout();
        let terminal = terminal_width(&out);
        ProgressDisplay::new(out, terminal)
    }
}

impl ProgressDisplay<io::Stderr> {
    /// A display on standard error (`docker run` shows its pull there).
    pub fn stderr() -> Self {
        let out = io::stderr();
        let terminal = terminal_width(&out);
        ProgressDisplay::new(out, terminal)
    }
}

/// The width of the terminal `stream` is, or `None` if it is none. A terminal that does not
/// know its size counts as 0 columns wide (no bar, no time left), as Docker does.
pub fn terminal_width(stream: &(impl IsTerminal + AsFd)) -> Option<usize> {
    if !stream.is_terminal() {
        return None;
    }
    Some(crate::cli::terminal::size(stream.as_fd()).map_or(0, |(_, columns)| usize::from(columns)))
}

/// Decides when a transfer's progress is worth reporting: every [`UPDATE_EVERY`] bytes and
/// when it is complete.
#[derive(Debug, Default)]
pub struct Throttle {
    reported: u64,
}

impl Throttle {
    pub fn due(&mut self, done: u64, total: u64) -> bool {
        if done.saturating_sub(self.reported) >= UPDATE_EVERY || (done == total && done != self.reported) {
            self.reported = done;
            return true;
        }
        false
    }
}

/// A reader that reports the bytes read so far (throttled), and once more at the end.
pub struct ProgressReader<R, F> {
    inner: R,
    done: u64,
    total: u64,
    throttle: Throttle,
    report: F,
}

impl<R, F> std::fmt::Debug for ProgressReader<R, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressReader")
            .field("done", &self.done)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl<R: Read, F: FnMut(u64, u64)> ProgressReader<R, F> {
    /// `report(done, total)`; `total` is what the caller expects to read.
    pub fn new(inner: R, total: u64, report: F) -> Self {
        ProgressReader {
            inner,
            done: 0,
            total,
            throttle: Throttle::default(),
            report,
        }
    }
}

impl<R: Read, F: FnMut(u64, u64)> Read for ProgressReader<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        let finished = n == 0 && !buf.is_empty();
        let total = if finished { self.done } else { self.total };
        if self.throttle.due(self.done, total) {
            (self.report)(self.done, self.total);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i128 = 1_700_000_010 * 1_000_000_000;

    fn shown(terminal: Option<usize>, messages: &[JsonMessage]) -> String {
        let mut display = ProgressDisplay::new(Vec::new(), terminal);
        for m in messages {
            display.show_at(m, NOW).unwrap();
        }
        String::from_utf8(display.out).unwrap()
    }

    fn pull_of_two_layers() -> Vec<JsonMessage> {
        vec![
            JsonMessage::about("latest", "Pulling from two"),
            JsonMessage::layer("f5384d18de9e", "Already exists"),
            JsonMessage::layer("5c41ba162043", "Pulling fs layer"),
            JsonMessage::transfer("5c41ba162043", "Downloading", 112, 112, 0),
            JsonMessage::layer("5c41ba162043", "Verifying Checksum"),
            JsonMessage::layer("5c41ba162043", "Download complete"),
            JsonMessage::transfer("5c41ba162043", "Extracting", 112, 112, 0),
            JsonMessage::layer("5c41ba162043", "Pull complete"),
            JsonMessage::line("Digest: sha256:d149"),
        ]
    }

    #[test]
    fn off_a_terminal_each_status_is_a_line_and_bars_are_left_out() {
        assert_eq!(
            shown(None, &pull_of_two_layers()),
            "latest: Pulling from two\nf5384d18de9e: Already exists\n5c41ba162043: Pulling fs layer\n\
             5c41ba162043: Verifying Checksum\n5c41ba162043: Download complete\n\
             5c41ba162043: Pull complete\nDigest: sha256:d149\n"
        );
    }

    #[test]
    fn on_a_terminal_lines_are_rewritten_in_place_byte_for_byte_like_docker() {
        // Captured from `script -qc "docker pull 127.0.0.1:5055/two"` (a 0-column pty), with
        // the pty's \n → \r\n translation undone.
        let docker = "latest: Pulling from two\n\n\x1b[1A\x1b[2K\rf5384d18de9e: Already exists \r\x1b[1B\n\
             \x1b[1A\x1b[2K\r5c41ba162043: Pulling fs layer \r\x1b[1B\
             \x1b[1A\x1b[2K\r5c41ba162043: Downloading     112B/112B\r\x1b[1B\
             \x1b[1A\x1b[2K\r5c41ba162043: Verifying Checksum \r\x1b[1B\
             \x1b[1A\x1b[2K\r5c41ba162043: Download complete \r\x1b[1B\
             \x1b[1A\x1b[2K\r5c41ba162043: Extracting     112B/112B\r\x1b[1B\
             \x1b[1A\x1b[2K\r5c41ba162043: Pull complete \r\x1b[1BDigest: sha256:d149\n";
        assert_eq!(shown(Some(0), &pull_of_two_layers()), docker);
    }

    #[test]
    fn an_earlier_line_is_reached_by_moving_up_past_the_later_ones() {
        let out = shown(
            Some(0),
            &[
                JsonMessage::layer("a", "Preparing"),
                JsonMessage::layer("b", "Preparing"),
                JsonMessage::layer("a", "Pushed"),
            ],
        );
        assert!(out.ends_with("\x1b[2A\x1b[2K\ra: Pushed \r\x1b[2B"), "{out:?}");
    }

    #[test]
    fn bars_sizes_and_time_left_like_docker() {
        let half = ProgressDetail {
            current: 1_000_000,
            total: 2_000_000,
            start: 1_700_000_000,
        };
        assert_eq!(
            half.render(120, NOW),
            format!("[{}>{}]      1MB/2MB 10s", "=".repeat(25), " ".repeat(25))
        );
        assert_eq!(half.render(80, NOW), "     1MB/2MB 10s");
        assert_eq!(half.render(40, NOW), "     1MB/2MB");
        let done = ProgressDetail {
            current: 2_000_000,
            ..half
        };
        assert_eq!(done.render(80, NOW), "     2MB/2MB");
        let unknown_total = ProgressDetail {
            current: 1_234_567,
            ..ProgressDetail::default()
        };
        assert_eq!(unknown_total.render(80, NOW), " 1.235MB");
        assert_eq!(ProgressDetail::default().render(120, NOW), "");
        assert_eq!(go_seconds(0), "0s");
        assert_eq!(go_seconds(185), "3m5s");
        assert_eq!(go_seconds(3600), "1h0m0s");
    }

    #[test]
    fn messages_serialise_with_dockers_field_names() {
        let layer = serde_json::to_string(&JsonMessage::layer("abc", "Pull complete")).unwrap();
        assert_eq!(
            layer,
            r#"{"status":"Pull complete","progressDetail":{},"id":"abc"}"#
        );
        let line = serde_json::to_string(&JsonMessage::line("Digest: sha256:x")).unwrap();
        assert_eq!(line, r#"{"status":"Digest: sha256:x"}"#);
        let transfer = JsonMessage::transfer("abc", "Downloading", 5, 10, 0);
        let value = serde_json::to_value(&transfer).unwrap();
        assert_eq!(
            value["progressDetail"],
            serde_json::json!({"current": 5, "total": 10})
        );
        assert!(value["progress"].as_str().unwrap().ends_with("5B/10B"));
    }

    fn on_the_wire(messages: &[JsonMessage]) -> String {
        let mut writer = JsonProgressWriter::new(Vec::new());
        assert!(!writer.has_begun());
        for m in messages {
            writer.show(m).unwrap();
        }
        String::from_utf8(writer.out).unwrap()
    }

    #[test]
    fn on_the_wire_a_pull_is_dockerds_json_byte_for_byte() {
        // `curl --unix-socket … -X POST '/v1.41/images/create?fromImage=127.0.0.1:5871/i8other&tag=v1'`
        // against dockerd 20.10 (first and last Downloading only)
        let start = 1_700_000_000; // dockerd sends no start, so no time left in the bar
        let sent = on_the_wire(&[
            JsonMessage::about("v1", "Pulling from i8other"),
            JsonMessage::layer("2d5ac4e1256a", "Pulling fs layer"),
            JsonMessage::transfer("2d5ac4e1256a", "Downloading", 32768, 1536786, start),
            JsonMessage::transfer("2d5ac4e1256a", "Downloading", 1536786, 1536786, start),
            JsonMessage::layer("2d5ac4e1256a", "Download complete"),
            JsonMessage::line("Digest: sha256:13b5"),
        ]);
        let dockerd = r#"{"status":"Pulling from i8other","id":"v1"}
{"status":"Pulling fs layer","progressDetail":{},"id":"2d5ac4e1256a"}
{"status":"Downloading","progressDetail":{"current":32768,"total":1536786},"progress":"[=\u003e                                                 ]  32.77kB/1.537MB","id":"2d5ac4e1256a"}
{"status":"Downloading","progressDetail":{"current":1536786,"total":1536786},"progress":"[==================================================\u003e]  1.537MB/1.537MB","id":"2d5ac4e1256a"}
{"status":"Download complete","progressDetail":{},"id":"2d5ac4e1256a"}
{"status":"Digest: sha256:13b5"}
"#;
        assert_eq!(sent, dockerd);
    }

    #[test]
    fn on_the_wire_results_failures_and_text_are_dockerds_too() {
        // dockerd's push result, a failure after the stream began, and `docker load`'s text
        let sent = on_the_wire(&[
            JsonMessage::aux(Aux::Push(PushResult {
                tag: "latest".into(),
                digest: "sha256:8470".into(),
                size: 527,
            })),
            JsonMessage::error("tag does not exist: 127.0.0.1:5871/i8box:nope"),
            JsonMessage::stream("Loaded image: busybox:latest\n"),
        ]);
        let dockerd = r#"{"progressDetail":{},"aux":{"Tag":"latest","Digest":"sha256:8470","Size":527}}
{"errorDetail":{"message":"tag does not exist: 127.0.0.1:5871/i8box:nope"},"error":"tag does not exist: 127.0.0.1:5871/i8box:nope"}
{"stream":"Loaded image: busybox:latest\n"}
"#;
        assert_eq!(sent, dockerd);
    }

    #[test]
    fn strings_are_escaped_as_gos_encoding_json_escapes_them() {
        let sent = on_the_wire(&[JsonMessage::line("a<b>&c \u{2028} \"q\" \\ \n é")]);
        let go = r#"{"status":"a\u003cb\u003e\u0026c \u2028 \"q\" \\ \n é"}"#;
        assert_eq!(sent, format!("{go}\n"));
    }

    #[test]
    fn the_wire_form_reads_back_as_the_same_messages() {
        let messages = [
            JsonMessage::layer("abc", "Pushed"),
            JsonMessage::aux(Aux::Push(PushResult {
                tag: "v1".into(),
                digest: "sha256:1".into(),
                size: 9,
            })),
            JsonMessage::aux(Aux::Other(serde_json::json!({"ID": "sha256:2"}))),
            JsonMessage::error("boom"),
            JsonMessage::stream("Loaded image ID: sha256:3\n"),
        ];
        let sent = on_the_wire(&messages);
        let read: Vec<JsonMessage> = sent.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(read, messages);
    }

    #[test]
    fn displays_print_text_as_it_is_and_skip_results_and_failures() {
        let messages = [
            JsonMessage::stream("Loaded image: busybox:latest\n"),
            JsonMessage::aux(Aux::Other(serde_json::json!({"ID": "x"}))),
            JsonMessage::error("boom"),
            JsonMessage::line("done"),
        ];
        assert_eq!(shown(None, &messages), "Loaded image: busybox:latest\ndone\n");
        assert_eq!(shown(Some(80), &messages), "Loaded image: busybox:latest\ndone\n");
    }

    #[test]
    fn progress_is_reported_every_half_mebibyte_and_at_the_end() {
        let data = vec![0u8; 1_300_000];
        let mut seen = Vec::new();
        let mut reader = ProgressReader::new(&data[..], data.len() as u64, |done, _| seen.push(done));
        let mut sink = Vec::new();
        let mut buf = [0u8; 100_000];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            sink.extend_from_slice(&buf[..n]);
        }
        assert_eq!(seen, [600_000, 1_200_000, 1_300_000]);
    }
}
