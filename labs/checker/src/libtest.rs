//! Reading what a Rust test binary (libtest) prints.
//!
//! ```text
//! test ex1_exited_reports_its_code ... ok          one line per test, in run order
//! test ex2_forwards_sigterm ... FAILED
//!
//! failures:
//!
//! ---- ex2_forwards_sigterm stdout ----            then the output of each failed test
//! thread 'ex2_forwards_sigterm' panicked at src/signals.rs:53:5:
//! not yet implemented: ex2: ...
//! ```
//!
//! With `--test-threads=1` libtest prints `test NAME ... ` when a test *starts* and the
//! result when it ends, so a test that hangs is the one whose line has no result yet.

use std::collections::BTreeMap;

/// How one test ended, as libtest reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    Ok,
    Failed,
    Ignored,
}

/// Collects results and failure output from a test binary's stdout, line by line.
#[derive(Debug, Default)]
pub struct Collector {
    /// Every `test NAME ... RESULT` line, in order.
    pub results: Vec<(String, Reported)>,
    /// The captured output of each failed test.
    pub failure_output: BTreeMap<String, String>,
    /// The failure block being read: test name and its lines so far.
    block: Option<(String, Vec<String>)>,
}

impl Collector {
    /// Feeds one complete line (without its newline).
    pub fn line(&mut self, line: &str) {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            self.end_block();
            self.block = Some((name.to_string(), Vec::new()));
            return;
        }
        if line == "failures:" {
            self.end_block();
            return;
        }
        if let Some((_, lines)) = &mut self.block {
            lines.push(line.to_string());
            return;
        }
        if let Some(result) = parse_result_line(line) {
            self.results.push(result);
        }
    }

    /// Ends the input (the last failure block may be open).
    pub fn finish(&mut self) {
        self.end_block();
    }

    fn end_block(&mut self) {
        if let Some((name, lines)) = self.block.take() {
            let text: Vec<&str> = lines
                .iter()
                .map(String::as_str)
                .filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
                .collect();
            self.failure_output
                .insert(name, text.join("\n").trim().to_string());
        }
    }
}

/// `test NAME ... ok|FAILED|ignored[, reason]`.
pub fn parse_result_line(line: &str) -> Option<(String, Reported)> {
    let rest = line.strip_prefix("test ")?;
    let (name, result) = rest.split_once(" ... ")?;
    let reported = match result.trim() {
        "ok" => Reported::Ok,
        "FAILED" => Reported::Failed,
        r if r == "ignored" || r.starts_with("ignored, ") => Reported::Ignored,
        _ => return None,
    };
    Some((name.to_string(), reported))
}

/// A line of `--list` output: `NAME: test`.
pub fn parse_list_line(line: &str) -> Option<String> {
    line.strip_suffix(": test").map(str::to_string)
}

/// The test that started but has not ended, from an unfinished last line `test NAME ... `.
pub fn running_test(partial_line: &str) -> Option<String> {
    let rest = partial_line.strip_prefix("test ")?;
    let name = rest.trim_end().strip_suffix(" ...")?;
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "
running 3 tests
test ex1_a ... ok
test ex1_b ... FAILED
test ex2_c ... ignored, needs a VM

failures:

---- ex1_b stdout ----

thread 'ex1_b' (42) panicked at labs/01-process/src/exit_status.rs:43:9:
not yet implemented: ex1: do it
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    ex1_b

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out
";

    #[test]
    fn collects_results_and_failure_output() {
        let mut c = Collector::default();
        OUTPUT.lines().for_each(|l| c.line(l));
        c.finish();
        assert_eq!(
            c.results,
            vec![
                ("ex1_a".to_string(), Reported::Ok),
                ("ex1_b".to_string(), Reported::Failed),
                ("ex2_c".to_string(), Reported::Ignored),
            ]
        );
        assert_eq!(
            c.failure_output.get("ex1_b").map(String::as_str),
            Some(
                "thread 'ex1_b' (42) panicked at labs/01-process/src/exit_status.rs:43:9:\n\
                 not yet implemented: ex1: do it"
            )
        );
    }

    #[test]
    fn reads_list_lines_and_the_running_test() {
        assert_eq!(parse_list_line("ex1_a: test"), Some("ex1_a".to_string()));
        assert_eq!(parse_list_line("2 tests, 0 benchmarks"), None);
        assert_eq!(running_test("test ex3_hangs ... "), Some("ex3_hangs".to_string()));
        assert_eq!(running_test("running 3 tests"), None);
        assert_eq!(parse_result_line("test result: ok. 3 passed"), None);
    }
}
