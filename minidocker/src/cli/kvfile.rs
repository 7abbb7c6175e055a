//! `--env-file` and `--label-file`, and the `-e`/`-l` lists they go with, read as the Docker CLI
//! reads them (its `kvfile.Parse` and `ReadKVEnvStrings`): one `KEY=value` a line, leading
//! whitespace dropped, trailing whitespace kept as part of the value, `#` comments and blank
//! lines skipped, a UTF-8 byte-order mark ignored on the first line; a bare `KEY` takes its
//! value from the CLI's own environment (env files) or is left out (label files).

use std::collections::BTreeMap;
use std::path::Path;

use crate::env::{expand_env_flag, validate_env_flag};

/// What separates words for Docker's key checks.
const WHITESPACE: [char; 2] = [' ', '\t'];

/// The `KEY=value` lines of `text`, by Docker's rules; `lookup` gives a bare `KEY` its value
/// (`None`: the key is left out). Errors are the CLI's, without the file's name.
fn parse_lines(text: &[u8], lookup: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    for (index, raw) in text.split(|b| *b == b'\n').enumerate() {
        let number = index + 1;
        // Go's bufio.Scanner drops a final empty line and the `\r` of a `\r\n`
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            let bytes: Vec<String> = raw.iter().map(u8::to_string).collect();
            return Err(format!(
                "invalid utf8 bytes at line {number}: [{}]",
                bytes.join(" ")
            ));
        };
        let line = if number == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, has_value) = match line.split_once('=') {
            Some((key, _)) => (key, true),
            None => (line, false),
        };
        if key.is_empty() {
            return Err(format!("no variable name on line '{line}'"));
        }
        if key.contains(WHITESPACE) {
            return Err(format!("variable '{key}' contains whitespaces"));
        }
        if has_value {
            lines.push(line.to_owned());
        } else if let Some(value) = lookup(key) {
            lines.push(format!("{key}={value}"));
        }
    }
    Ok(lines)
}

/// The lines of the file at `path`; errors name it as the Docker CLI does.
fn parse_file(path: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
    let text = std::fs::read(Path::new(path))
        .map_err(|e| format!("open {path}: {}", crate::go_errors::io_error_text(&e)))?;
    parse_lines(&text, lookup).map_err(|why| format!("invalid env file ({path}): {why}"))
}

/// A problem with `-e`/`--env-file` or `-l`/`--label-file`: a flag's value (printed as a
/// flag error, with the usage) or a file (printed as the command's own error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListProblem {
    Flag(String),
    File(String),
}

/// The container's environment from `--env-file`s then `-e`s (which come later, so they win):
/// a bare `NAME` takes NAME's value from the CLI's environment, or is left out.
pub fn environment(env_files: &[String], env: &[String]) -> Result<Vec<String>, ListProblem> {
    let lookup = |key: &str| std::env::var(key).ok();
    let mut vars = Vec::new();
    for file in env_files {
        vars.extend(parse_file(file, &lookup).map_err(ListProblem::File)?);
    }
    for e in env {
        validate_env_flag(e).map_err(ListProblem::Flag)?;
        vars.extend(expand_env_flag(e, lookup));
    }
    Ok(vars)
}

/// Docker's check of a `-l` value: a name, without whitespace.
fn validate_label(value: &str) -> Result<(), String> {
    let invalid = |why: String| format!("invalid argument \"{value}\" for \"-l, --label\" flag: {why}");
    let key = value
        .split_once('=')
        .map_or(value, |(k, _)| k)
        .trim_start_matches(WHITESPACE);
    if key.is_empty() {
        return Err(invalid(format!("invalid label '{value}': empty name")));
    }
    if key.contains(WHITESPACE) {
        return Err(invalid(format!("label '{key}' contains whitespaces")));
    }
    Ok(())
}

/// The labels from `--label-file`s then `-l`s: `k=v`, or `k` for an empty value.
pub fn labels(label_files: &[String], labels: &[String]) -> Result<BTreeMap<String, String>, ListProblem> {
    let mut all = Vec::new();
    for file in label_files {
        all.extend(parse_file(file, &|_| None).map_err(ListProblem::File)?);
    }
    for label in labels {
        validate_label(label).map_err(ListProblem::Flag)?;
        all.push(label.clone());
    }
    Ok(key_values(&all))
}

/// `k=v` strings as a map (Docker's `ConvertKVStringsToMap`: `k` alone has an empty value,
/// a later key wins).
pub fn key_values(items: &[String]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (item.clone(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn lines_are_read_as_dockers_kvfile() {
        let text = b"\xef\xbb\xbf  A=1 \n\tB= x\nHOME\nNOPE\n#c\n  \nC=a=b\r\n";
        let home = |k: &str| (k == "HOME").then(|| "/root".to_owned());
        assert_eq!(
            parse_lines(text, &home).unwrap(),
            ["A=1 ", "B= x", "HOME=/root", "C=a=b"]
        );
        assert_eq!(parse_lines(b"HOME\n", &none).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn dockers_messages_for_bad_lines() {
        assert_eq!(
            parse_lines(b"a=1\nb c=2\n", &none).unwrap_err(),
            "variable 'b c' contains whitespaces"
        );
        assert_eq!(
            parse_lines(b"=1\n", &none).unwrap_err(),
            "no variable name on line '=1'"
        );
        assert_eq!(
            parse_lines(b"x=1\nl=ab\xff\n", &none).unwrap_err(),
            "invalid utf8 bytes at line 2: [108 61 97 98 255]"
        );
        assert_eq!(
            parse_file("/nonexistent/env", &none).unwrap_err(),
            "open /nonexistent/env: no such file or directory"
        );
    }

    #[test]
    fn labels_are_checked_and_merged() {
        assert_eq!(
            labels(&[], &["=x".into()]).unwrap_err(),
            ListProblem::Flag(
                "invalid argument \"=x\" for \"-l, --label\" flag: invalid label '=x': empty name".into()
            )
        );
        assert_eq!(
            labels(&[], &["a b=x".into()]).unwrap_err(),
            ListProblem::Flag(
                "invalid argument \"a b=x\" for \"-l, --label\" flag: label 'a b' contains whitespaces"
                    .into()
            )
        );
        let got = labels(&[], &["a=1".into(), "b".into(), "a=2".into()]).unwrap();
        assert_eq!(
            got,
            BTreeMap::from([("a".into(), "2".into()), ("b".into(), String::new())])
        );
    }
}
