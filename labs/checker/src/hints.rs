//! `hints.toml`: a lab's title and, per exercise, its title, file and hint.
//!
//! ```toml
//! [lab]
//! title = "a process"
//!
//! [ex1]
//! title = "ExitStatus::from_wait_status and ExitStatus::code"
//! file = "src/exit_status.rs"
//! hint = """
//! Several lines of text.
//! """
//! ```
//!
//! Only this subset of TOML is read: `[table]` headers, `key = "string"` and
//! `key = """multi-line string"""` (escapes `\"`, `\\`, `\n`, `\t`), comments and blank lines.
//! The workspace has no TOML parser among its dependencies, and this file needs no more.

use anyhow::{Context, Result, bail};

/// One exercise: `ex1`, `ex2`, ... in the order of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exercise {
    /// `ex1`: the prefix of the names of its tests.
    pub id: String,
    /// What the learner writes, e.g. `ExitStatus::code`.
    pub title: String,
    /// The file to edit, relative to the lab's directory.
    pub file: String,
    /// Shown when this is the first exercise with a failing test.
    pub hint: String,
}

/// What `hints.toml` says about a lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hints {
    /// The `[lab]` table's `title`.
    pub title: String,
    /// The `[exN]` tables, in file order.
    pub exercises: Vec<Exercise>,
}

/// A table: its name and its `key = value` pairs.
type Table = (String, Vec<(String, String)>);

/// Parses the text of a `hints.toml`.
pub fn parse_hints(text: &str) -> Result<Hints> {
    let mut title = None;
    let mut exercises = Vec::new();
    for (name, entries) in parse_tables(text)? {
        let get = |key: &str| {
            entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_string())
                .with_context(|| format!("[{name}] has no {key}"))
        };
        if name == "lab" {
            title = Some(get("title")?);
        } else if is_exercise_id(&name) {
            exercises.push(Exercise {
                title: get("title")?,
                file: get("file")?,
                hint: get("hint")?,
                id: name,
            });
        } else {
            bail!("unknown table [{name}]: expected [lab] or [exN]");
        }
    }
    if exercises.is_empty() {
        bail!("no [exN] table");
    }
    Ok(Hints {
        title: title.context("no [lab] table with a title")?,
        exercises,
    })
}

/// `ex` followed by digits.
pub fn is_exercise_id(s: &str) -> bool {
    s.strip_prefix("ex")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn parse_tables(text: &str) -> Result<Vec<Table>> {
    let mut tables: Vec<Table> = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, raw)) = lines.next() {
        let lineno = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            tables.push((name.trim().to_string(), Vec::new()));
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .with_context(|| format!("line {lineno}: expected [table] or key = \"value\""))?;
        let (key, value) = (key.trim().to_string(), value.trim());
        let value = if let Some(first) = value.strip_prefix("\"\"\"") {
            let mut body = String::new();
            let mut rest = first.to_string();
            loop {
                if let Some(end) = rest.find("\"\"\"") {
                    body.push_str(&rest[..end]);
                    break;
                }
                body.push_str(&rest);
                body.push('\n');
                rest = match lines.next() {
                    Some((_, next)) => next.to_string(),
                    None => bail!("line {lineno}: unterminated \"\"\" string"),
                };
            }
            // TOML drops the newline right after the opening quotes.
            unescape(body.strip_prefix('\n').unwrap_or(&body), lineno)?
        } else if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            unescape(inner, lineno)?
        } else {
            bail!("line {lineno}: the value of {key} must be a \"string\"");
        };
        match tables.last_mut() {
            Some((_, entries)) => entries.push((key, value)),
            None => bail!("line {lineno}: {key} is outside any [table]"),
        }
    }
    Ok(tables)
}

fn unescape(s: &str, lineno: usize) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            other => bail!("line {lineno}: unsupported escape \\{}", other.unwrap_or(' ')),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
# A comment.
[lab]
title = "a process"

[ex1]
title = "ExitStatus::code"
file = "src/exit_status.rs"
hint = """
Two lines, with a \"quote\"
and a backslash \\.
"""

[ex2]
title = "supervise"
file = "src/signals.rs"
hint = "one line"
"#;

    #[test]
    fn reads_the_lab_and_its_exercises_in_order() {
        let hints = parse_hints(SAMPLE).expect("valid");
        assert_eq!(hints.title, "a process");
        let ids: Vec<&str> = hints.exercises.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["ex1", "ex2"]);
        assert_eq!(hints.exercises[0].title, "ExitStatus::code");
        assert_eq!(hints.exercises[0].file, "src/exit_status.rs");
        assert_eq!(
            hints.exercises[0].hint,
            "Two lines, with a \"quote\"\nand a backslash \\."
        );
        assert_eq!(hints.exercises[1].hint, "one line");
    }

    #[test]
    fn rejects_what_it_does_not_understand() {
        assert!(parse_hints("[lab]\ntitle = 'single quotes'\n[ex1]\n").is_err());
        assert!(parse_hints("title = \"outside\"\n").is_err());
        assert!(parse_hints("[lab]\ntitle = \"x\"\n[ex1]\ntitle = \"t\"\nfile = \"f\"\n").is_err());
        assert!(parse_hints("[lab]\ntitle = \"x\"\n[bonus]\n").is_err());
        assert!(parse_hints("[lab]\ntitle = \"x\"\n[ex1]\nhint = \"\"\"\nnever closed\n").is_err());
    }

    #[test]
    fn exercise_ids_are_ex_and_a_number() {
        assert!(is_exercise_id("ex1"));
        assert!(is_exercise_id("ex12"));
        assert!(!is_exercise_id("ex"));
        assert!(!is_exercise_id("exa"));
        assert!(!is_exercise_id("lab"));
    }
}
