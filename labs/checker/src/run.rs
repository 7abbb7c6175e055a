//! Finding the labs, building their tests, running them and collecting one outcome per test.
//!
//! This is `cargo test -p labNN-… --no-fail-fast -- --test-threads=1`, split in two so that
//! every test gets an outcome even when something goes badly wrong:
//!
//! 1. on this machine, `cargo test --no-run --message-format=json-render-diagnostics` builds
//!    the tests and names the test binaries (a compile error stops here, with the compiler's
//!    message), and each binary is asked for its tests (`--list`): a [`Batch`];
//! 2. [`run_batch`], here or in the lab VM (`crate::vm`), runs each binary with
//!    `--test-threads=1` (the tests fork, and a forking test must be alone). A test that prints
//!    nothing for the idle timeout is killed with its binary; tests a crashed or killed binary
//!    never reported count as failed, with the reason.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::hints::{Hints, parse_hints};
use crate::libtest::{Collector, Reported, parse_list_line, running_test};

/// One lab: a directory `labs/NN-topic/` with a Cargo package and a `hints.toml`.
#[derive(Debug, Clone)]
pub struct Lab {
    /// `01`.
    pub id: String,
    /// `01-process`.
    pub dir_name: String,
    /// The lab's directory.
    pub dir: PathBuf,
    /// The Cargo package, `lab01-process`.
    pub package: String,
    /// Titles and hints.
    pub hints: Hints,
}

/// Every `labs/NN-*/` directory, in order.
pub fn discover_labs(labs_dir: &Path) -> Result<Vec<Lab>> {
    let mut labs = Vec::new();
    let entries = std::fs::read_dir(labs_dir).with_context(|| format!("reading {}", labs_dir.display()))?;
    for entry in entries {
        let dir = entry?.path();
        let Some(dir_name) = dir.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
            continue;
        };
        let Some((id, _)) = dir_name.split_once('-') else {
            continue;
        };
        if id.len() != 2 || !id.bytes().all(|b| b.is_ascii_digit()) || !dir.is_dir() {
            continue;
        }
        let manifest_path = dir.join("Cargo.toml");
        let manifest = std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?;
        let package = package_name(&manifest)
            .with_context(|| format!("no package name in {}", manifest_path.display()))?;
        let hints_path = dir.join("hints.toml");
        let text = std::fs::read_to_string(&hints_path)
            .with_context(|| format!("reading {}", hints_path.display()))?;
        let hints = parse_hints(&text).with_context(|| format!("in {}", hints_path.display()))?;
        labs.push(Lab {
            id: id.to_string(),
            dir_name,
            dir,
            package,
            hints,
        });
    }
    labs.sort_by(|a, b| a.dir_name.cmp(&b.dir_name));
    Ok(labs)
}

/// The `name = "..."` of the `[package]` table.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(value) = line.strip_prefix("name").map(str::trim_start) {
                if let Some(value) = value.strip_prefix('=') {
                    return Some(value.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    None
}

/// Which code the exercise modules are compiled from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The learner's files (`todo!()`s in a fresh checkout).
    Skeleton,
    /// The chapter's files (`--features reference`).
    Reference,
}

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    /// Failed, with what it printed or why it did not finish.
    Failed(String),
    /// Marked `#[ignore]`.
    Ignored,
    /// Returned early because it needs root, or a program that is missing (it said so in
    /// `$LAB_CHECK_SKIPPED`).
    Skipped,
}

/// The result of building and running one lab's tests.
#[derive(Debug)]
pub enum LabRun {
    /// The tests ran: one outcome per test name.
    Ran(BTreeMap<String, Outcome>),
    /// The lab did not compile; the compiler's messages.
    DidNotCompile(String),
}

/// One lab's tests, built for one variant: everything the run needs, wherever it happens
/// (here, or in the lab VM, which sees the workspace at the same path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// What the progress line calls it: `labs/01-process`, `labs/01-process (reference)`.
    pub label: String,
    /// The lab's directory: each binary runs there, with `CARGO_MANIFEST_DIR` set to it.
    pub dir: PathBuf,
    /// The test binaries, as `cargo test --no-run` named them.
    pub binaries: Vec<TestBinary>,
}

/// A test binary and the tests it holds (its `--list`, asked on this machine when it is
/// built: under emulation in the VM every start of a binary costs a fraction of a second).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestBinary {
    pub path: PathBuf,
    pub tests: Vec<String>,
}

/// Builds `lab`'s tests: the batch to run, or the compiler's output if the build failed.
pub fn build_batch(workspace: &Path, lab: &Lab, variant: Variant) -> Result<Result<Batch, String>> {
    let label = match variant {
        Variant::Skeleton => format!("labs/{}", lab.dir_name),
        Variant::Reference => format!("labs/{} (reference)", lab.dir_name),
    };
    eprintln!("building the tests of {label}…");
    let paths = match build_tests(workspace, lab, variant)? {
        Ok(paths) => paths,
        Err(compiler_output) => return Ok(Err(compiler_output)),
    };
    let mut binaries = Vec::new();
    for path in paths {
        let tests = list_tests(&path, &lab.dir)?;
        binaries.push(TestBinary { path, tests });
    }
    Ok(Ok(Batch {
        label,
        dir: lab.dir.clone(),
        binaries,
    }))
}

/// The names of the tests in `binary` (`--list`).
fn list_tests(binary: &Path, dir: &Path) -> Result<Vec<String>> {
    let listed = Command::new(binary)
        .arg("--list")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("listing the tests of {}", binary.display()))?;
    Ok(String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(parse_list_line)
        .collect())
}

/// Runs the tests of `batch`, one binary after the other; `idle` is how long a test may
/// stay silent. Tests that skipped themselves (they need root, or a program that is missing)
/// count as skipped.
pub fn run_batch(batch: &Batch, idle: Duration) -> Result<BTreeMap<String, Outcome>> {
    // The time goes on the same line when the batch is done (nothing else writes to stderr
    // meanwhile: the tests' output is captured).
    eprint!("running the tests of {}… ", batch.label);
    let started = Instant::now();
    let skip_log = tempfile::NamedTempFile::new().context("creating the skip log")?;
    let mut outcomes = BTreeMap::new();
    for binary in &batch.binaries {
        outcomes.extend(run_binary(binary, &batch.dir, skip_log.path(), idle)?);
    }
    let skipped = std::fs::read_to_string(skip_log.path()).unwrap_or_default();
    for name in skipped.lines() {
        if let Some(outcome @ Outcome::Passed) = outcomes.get_mut(name) {
            *outcome = Outcome::Skipped;
        }
    }
    eprintln!("{:.1} s", started.elapsed().as_secs_f64());
    Ok(outcomes)
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// `cargo test --no-run`: the test binaries, or the compiler's output if the build failed.
fn build_tests(workspace: &Path, lab: &Lab, variant: Variant) -> Result<Result<Vec<PathBuf>, String>> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(workspace)
        .args(["test", "--quiet", "--no-run", "-p", &lab.package])
        .arg("--message-format=json-render-diagnostics");
    if variant == Variant::Reference {
        cmd.args(["--features", "reference"]);
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .context("running cargo test --no-run")?;
    if !out.status.success() {
        return Ok(Err(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    let mut binaries = BTreeSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let is_integration_test = message["reason"] == "compiler-artifact"
            && message["profile"]["test"] == true
            && message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k == "test"));
        if let (true, Some(exe)) = (is_integration_test, message["executable"].as_str()) {
            binaries.insert(PathBuf::from(exe));
        }
    }
    Ok(Ok(binaries.into_iter().collect()))
}

/// What the stdout reader thread hands over.
enum Event {
    Line(String),
    End,
}

/// Runs the tests of one test binary.
fn run_binary(
    binary: &TestBinary,
    dir: &Path,
    skip_log: &Path,
    idle: Duration,
) -> Result<BTreeMap<String, Outcome>> {
    let mut child = Command::new(&binary.path)
        .args(["--test-threads=1", "--color", "never"])
        .current_dir(dir)
        .env("CARGO_MANIFEST_DIR", dir)
        .env("LAB_CHECK_SKIPPED", skip_log)
        // The panic message is what helps; `cargo test` shows backtraces to whoever wants them.
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", binary.path.display()))?;

    // stdout: complete lines go through the channel; the unfinished last line stays in
    // `partial`, where a hung test's `test NAME ... ` waits for its result.
    let partial = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    let mut stdout = child.stdout.take().context("test stdout")?;
    let reader_partial = Arc::clone(&partial);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            let n = match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let Ok(mut pending) = reader_partial.lock() else {
                break;
            };
            pending.push_str(&String::from_utf8_lossy(&buf[..n]));
            while let Some(end) = pending.find('\n') {
                let line: String = pending.drain(..=end).collect();
                let _ = tx.send(Event::Line(line.trim_end_matches(['\n', '\r']).to_string()));
            }
        }
        let _ = tx.send(Event::End);
    });
    // stderr is only read for the last words of a binary that dies.
    let stderr_text = Arc::new(Mutex::new(Vec::new()));
    let mut stderr = child.stderr.take().context("test stderr")?;
    let stderr_sink = Arc::clone(&stderr_text);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = stderr.read(&mut buf) {
            if let Ok(mut text) = stderr_sink.lock() {
                text.extend_from_slice(&buf[..n]);
            }
        }
    });

    // Read until the binary has exited and its output is drained, or until it has been
    // silent for `idle`. A process the tests started and leaked may keep the pipes open after
    // the binary is gone, so its exit, not the end of the pipe, is what ends the run.
    let mut collector = Collector::default();
    let mut hung = None;
    let mut last_output = Instant::now();
    let mut exited_at: Option<Instant> = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Event::Line(line)) => {
                collector.line(&line);
                last_output = Instant::now();
                continue;
            }
            Ok(Event::End) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if exited_at.is_none() && child.try_wait().ok().flatten().is_some() {
            exited_at = Some(Instant::now());
        }
        match exited_at {
            Some(at) if at.elapsed() > Duration::from_millis(500) => break,
            Some(_) => {}
            None if last_output.elapsed() > idle => {
                hung = Some(partial.lock().ok().and_then(|p| running_test(&p)));
                // Its forked children die with it (the tests set PR_SET_PDEATHSIG).
                let _ = child.kill();
                break;
            }
            None => {}
        }
    }
    let status = child.wait().context("waiting for the test binary")?;
    // The reader threads end when the last holder of the pipes is gone; not waited for.
    drop(reader);
    while let Ok(Event::Line(line)) = rx.try_recv() {
        collector.line(&line);
    }
    collector.finish();
    let stderr_text = stderr_text
        .lock()
        .map(|t| String::from_utf8_lossy(&t).into_owned())
        .unwrap_or_default();
    let crashed_in = running_test(&partial.lock().map(|p| p.clone()).unwrap_or_default());

    let reported: BTreeMap<String, Reported> = collector.results.iter().cloned().collect();
    let mut outcomes = BTreeMap::new();
    for name in binary.tests.iter().chain(reported.keys()) {
        let outcome = match reported.get(name) {
            Some(Reported::Ok) => Outcome::Passed,
            Some(Reported::Ignored) => Outcome::Ignored,
            Some(Reported::Failed) => Outcome::Failed(
                collector
                    .failure_output
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| "failed (no output)".to_string()),
            ),
            None => Outcome::Failed(not_reported(
                name,
                &hung,
                crashed_in.as_deref(),
                status,
                idle,
                &stderr_text,
            )),
        };
        outcomes.insert(name.clone(), outcome);
    }
    Ok(outcomes)
}

/// Why a test has no result line.
fn not_reported(
    name: &str,
    hung: &Option<Option<String>>,
    crashed_in: Option<&str>,
    status: ExitStatus,
    idle: Duration,
    stderr: &str,
) -> String {
    match hung {
        Some(Some(running)) if running == name => format!(
            "did not finish: no output for {}s, so it was killed (an endless loop, or a wait \
             for something that never happens?)",
            idle.as_secs()
        ),
        Some(_) => "not run: the test binary was killed because another test hung".to_string(),
        None if crashed_in == Some(name) => {
            let mut tail: Vec<&str> = stderr.lines().rev().take(5).collect();
            tail.reverse();
            let mut why = format!("the test binary died during this test ({status})");
            if !tail.is_empty() {
                why.push_str(&format!("; its last words:\n{}", tail.join("\n")));
            }
            why
        }
        None => format!("not run: the test binary ended early ({status})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_name_is_read_from_the_package_table() {
        let manifest = "[package]\nname = \"lab01-process\"\n\n[dependencies]\nname = \"x\"\n";
        assert_eq!(package_name(manifest), Some("lab01-process".to_string()));
        assert_eq!(package_name("[dependencies]\nname = \"x\"\n"), None);
    }

    #[test]
    fn a_hung_test_is_told_apart_from_the_ones_never_run() {
        let status = ExitStatus::default();
        let hung = Some(Some("ex1_b".to_string()));
        let idle = Duration::from_secs(7);
        assert!(not_reported("ex1_b", &hung, None, status, idle, "").contains("no output for 7s"));
        assert!(not_reported("ex1_c", &hung, None, status, idle, "").starts_with("not run"));
    }
}
