//! Reading `--change` values the way Docker's Dockerfile parser reads a Dockerfile.
//!
//! 1. The values are joined with newlines and cut into *logical lines*: a line ending in `\`
//!    continues on the next one; empty lines and `#` comments are skipped.
//! 2. A line is `NAME [--flag=value…] rest`; the name is case-insensitive.
//! 3. How `rest` is read depends on the instruction: a JSON array or a shell string (`CMD`,
//!    `ENTRYPOINT`), `key=value` pairs or the old `key value` (`ENV`, `LABEL`), whitespace-
//!    separated words (`EXPOSE`, `VOLUME` unless JSON), the whole rest (`USER`, `WORKDIR`).
//!
//! Variables are not expanded here: that happens when the instruction is applied, with the
//! environment of that moment (see `shell_word.rs`).

use super::{ChangeError, CommandLine, Instruction};

pub(super) fn syntax(message: impl Into<String>) -> ChangeError {
    ChangeError::Syntax(message.into())
}

/// Docker's `reWhitespace`: the separators of a line (no newline: lines are already cut).
fn is_separator(c: char) -> bool {
    matches!(c, '\t' | '\u{0b}' | '\u{0c}' | '\r' | ' ')
}

/// `text`'s logical lines: continuations joined, comments and empty lines dropped.
pub(super) fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut out = Vec::new();
    while let Some(first) = lines.next() {
        let first = first.trim_start();
        if first.is_empty() || first.starts_with('#') {
            continue;
        }
        let (mut line, mut complete) = without_continuation(first);
        while !complete {
            let Some(next) = lines.next() else { break };
            let trimmed = next.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (more, done) = without_continuation(next);
            line.push_str(&more);
            complete = done;
        }
        out.push(line);
    }
    out
}

/// Strip a trailing `\` (and blanks after it); `false` if there was one.
fn without_continuation(line: &str) -> (String, bool) {
    let body = line.trim_end_matches([' ', '\t']);
    match body.strip_suffix('\\') {
        Some(kept) => (kept.to_owned(), false),
        None => (line.to_owned(), true),
    }
}

/// One logical line, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Line {
    /// Lowercase, as Docker reports it (`run is not a valid change command`).
    pub name: String,
    /// The leading `--name=value` words.
    pub flags: Vec<String>,
    pub rest: String,
    /// The line as written (ONBUILD keeps it).
    pub original: String,
}

pub(super) fn split_line(line: &str) -> Line {
    let trimmed = line.trim();
    let (name, args) = match trimmed.find(is_separator) {
        Some(i) => (&trimmed[..i], trimmed[i..].trim_start_matches(is_separator)),
        None => (trimmed, ""),
    };
    let (rest, flags) = builder_flags(args);
    Line {
        name: name.to_lowercase(),
        flags,
        rest: rest.trim().to_owned(),
        original: line.to_owned(),
    }
}

/// Docker's `extractBuilderFlags`: the leading words that start with `--` (quotes and `\` are
/// processed in them), up to the first other word or a bare `--`.
fn builder_flags(args: &str) -> (String, Vec<String>) {
    let chars: Vec<char> = args.chars().collect();
    let rest_from = |i: usize| chars[i..].iter().collect::<String>();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    let mut blank_ok = false;
    let mut i = 0;
    loop {
        let Some(&c) = chars.get(i) else {
            if in_word && word != "--" && (blank_ok || !word.is_empty()) {
                words.push(word);
            }
            return (String::new(), words);
        };
        if !in_word {
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            if c != '-' || chars.get(i + 1) != Some(&'-') {
                return (rest_from(i), words);
            }
            in_word = true;
        }
        match quote {
            None if c.is_whitespace() => {
                in_word = false;
                if word == "--" {
                    return (rest_from(i), words);
                }
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                blank_ok = false;
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                blank_ok = true;
            }
            Some(q) if c == q => quote = None,
            _ if c == '\\' => match chars.get(i + 1) {
                Some(&next) => {
                    word.push(next);
                    i += 1;
                }
                None if quote.is_some() => quote = None,
                None => {}
            },
            _ => word.push(c),
        }
        i += 1;
    }
}

/// Docker's `BFlags.Parse` for instructions whose flags are all strings: the values of the
/// `allowed` flags, in the order given (`None` when not set).
pub(super) fn parse_flags(flags: &[String], allowed: &[&str]) -> Result<Vec<Option<String>>, ChangeError> {
    let mut values = vec![None; allowed.len()];
    for flag in flags {
        let Some(body) = flag.strip_prefix("--") else {
            return Err(syntax(format!("Arg {flag:?} must start with \"--\"")));
        };
        if body.is_empty() {
            break;
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let Some(slot) = allowed.iter().position(|a| *a == name) else {
            return Err(syntax(format!("Unknown flag: {name}")));
        };
        if values[slot].is_some() {
            return Err(syntax(format!("Duplicate flag specified: {name}")));
        }
        let value = value.ok_or_else(|| syntax(format!("Missing a value on flag: {name}")))?;
        values[slot] = Some(value.to_owned());
    }
    Ok(values)
}

/// Docker's `parseWords`: whitespace-separated words, quotes and escapes kept in them.
fn words(rest: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    let mut blank_ok = false;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if !in_word {
            if c.is_whitespace() {
                continue;
            }
            in_word = true;
        }
        match quote {
            None if c.is_whitespace() => {
                in_word = false;
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                blank_ok = false;
                continue;
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    blank_ok = true;
                }
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
        }
        if c == '\\' && quote != Some('\'') {
            match chars.next() {
                Some(next) => {
                    word.push(c);
                    word.push(next);
                }
                None => {
                    quote = None; // a `\` at the end is dropped
                }
            }
            continue;
        }
        word.push(c);
    }
    if in_word && (blank_ok || !word.is_empty()) {
        words.push(word);
    }
    words
}

/// `KEY=value …` or the old `KEY value` (`ENV`, `LABEL`); empty for an empty `rest`.
fn name_values(rest: &str, instruction: &str) -> Result<Vec<(String, String)>, ChangeError> {
    let words = words(rest);
    let Some(first) = words.first() else {
        return Ok(Vec::new());
    };
    let pairs = if first.contains('=') {
        words
            .iter()
            .map(|w| {
                w.split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .ok_or_else(|| {
                        syntax(format!(
                            "Syntax error - can't find = in {w:?}. Must be of the form: name=value"
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        match rest.find(is_separator) {
            Some(i) => vec![(
                rest[..i].to_owned(),
                rest[i..].trim_start_matches(is_separator).to_owned(),
            )],
            None => return Err(syntax(format!("{instruction} must have two arguments"))),
        }
    };
    Ok(pairs)
}

/// Docker's `parseKvps`: at least one pair, no blank name.
fn check_pairs(pairs: &[(String, String)], instruction: &str) -> Result<(), ChangeError> {
    if pairs.is_empty() {
        return Err(syntax(format!("{instruction} requires at least one argument")));
    }
    if pairs.iter().any(|(k, _)| k.is_empty()) {
        return Err(syntax(format!("{instruction} names can not be blank")));
    }
    Ok(())
}

/// A JSON array of strings at the start of `rest` (what follows it is ignored, as Go's
/// decoder does); `None` if `rest` is no JSON array.
fn json_array(rest: &str) -> Result<Option<Vec<String>>, ChangeError> {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Ok(None);
    }
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    match values.next() {
        Some(Ok(serde_json::Value::Array(items))) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(s) => Ok(s),
                _ => Err(syntax(
                    "when using JSON array syntax, arrays must be comprised of strings only",
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        _ => Ok(None),
    }
}

/// The exec form `["a","b"]` or the shell form.
pub(super) fn command_line(rest: &str) -> Result<CommandLine, ChangeError> {
    if rest.is_empty() {
        return Ok(CommandLine::Shell(None));
    }
    Ok(match json_array(rest)? {
        Some(args) => CommandLine::Exec(args),
        None => CommandLine::Shell(Some(rest.to_owned())),
    })
}

fn whitespace_words(rest: &str) -> Vec<String> {
    rest.split(is_separator)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

// ANCHOR: parse_instruction
/// Parse one line whose name is already known to be allowed.
pub(super) fn parse_instruction(line: &Line) -> Result<Instruction, ChangeError> {
    let upper = line.name.to_uppercase();
    let no_flags = || parse_flags(&line.flags, &[]).map(|_| ());
    let rest = line.rest.as_str();
    Ok(match line.name.as_str() {
        "cmd" => {
            no_flags()?;
            Instruction::Cmd(command_line(rest)?)
        }
        "entrypoint" => {
            no_flags()?;
            Instruction::Entrypoint(command_line(rest)?)
        }
        "env" | "label" => {
            let pairs = name_values(rest, &upper)?;
            no_flags()?;
            check_pairs(&pairs, &upper)?;
            match line.name.as_str() {
                "env" => Instruction::Env(pairs),
                _ => Instruction::Label(pairs),
            }
        }
        "expose" => {
            let ports = whitespace_words(rest);
            if ports.is_empty() {
                return Err(syntax("EXPOSE requires at least one argument"));
            }
            no_flags()?;
            Instruction::Expose(ports)
        }
        "user" | "workdir" => {
            if rest.is_empty() {
                return Err(syntax(format!("{upper} requires exactly one argument")));
            }
            no_flags()?;
            match line.name.as_str() {
                "user" => Instruction::User(rest.to_owned()),
                _ => Instruction::Workdir(rest.to_owned()),
            }
        }
        "volume" => {
            let volumes: Vec<String> = match json_array(rest)? {
                Some(list) => list.iter().map(|v| v.trim().to_owned()).collect(),
                None => whitespace_words(rest),
            };
            if volumes.is_empty() {
                return Err(syntax("VOLUME requires at least one argument"));
            }
            no_flags()?;
            if volumes.iter().any(String::is_empty) {
                return Err(syntax("VOLUME specified can not be an empty string"));
            }
            Instruction::Volume(volumes)
        }
        "onbuild" => Instruction::OnBuild(onbuild(line)?),
        "healthcheck" => Instruction::Healthcheck(super::healthcheck::parse(line)?),
        other => return Err(ChangeError::NotAllowed(other.to_owned())),
    })
}
// ANCHOR_END: parse_instruction

/// `ONBUILD <instruction>`: kept as written, minus the `ONBUILD`.
fn onbuild(line: &Line) -> Result<String, ChangeError> {
    if line.rest.is_empty() {
        return Err(syntax("ONBUILD requires at least one argument"));
    }
    parse_flags(&line.flags, &[])?;
    let trigger = line
        .rest
        .split(char::is_whitespace)
        .next()
        .unwrap_or_default()
        .to_uppercase();
    match trigger.as_str() {
        "ONBUILD" => return Err(syntax("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")),
        "MAINTAINER" | "FROM" => {
            return Err(syntax(format!("{trigger} isn't allowed as an ONBUILD trigger")));
        }
        _ => {}
    }
    let original = line.original.trim_start();
    let after = original.get("ONBUILD".len()..).unwrap_or_default();
    Ok(after.trim_start().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_are_joined_at_backslashes_and_comments_dropped() {
        assert_eq!(
            logical_lines("CMD echo \\\n hi\n\n# note\n  ENV A=1 \\  \n# inside\n\n B=2\nUSER x\\"),
            ["CMD echo  hi", "ENV A=1  B=2", "USER x"]
        );
        assert!(logical_lines("").is_empty());
        assert!(logical_lines("  # only a comment\n\n").is_empty());
    }

    #[test]
    fn lines_split_into_name_flags_and_rest() {
        let line = split_line("HEALTHCHECK --interval=5s  --retries=\"3\" CMD  true ");
        assert_eq!(line.name, "healthcheck");
        assert_eq!(line.flags, ["--interval=5s", "--retries=3"]);
        assert_eq!(line.rest, "CMD  true");
        let line = split_line("cmd -- --x");
        assert_eq!((line.flags.len(), line.rest.as_str()), (0, "--x"));
        assert_eq!(split_line("USER").rest, "");
    }

    #[test]
    fn words_keep_quotes_for_the_expansion() {
        assert_eq!(
            words(r#"A="x y" B=z\ w  'q r'"#),
            [r#"A="x y""#, r"B=z\ w", "'q r'"]
        );
        assert_eq!(words("  "), Vec::<String>::new());
        assert_eq!(words("''"), ["''"]);
    }

    #[test]
    fn name_values_in_both_forms() {
        assert_eq!(
            name_values("A B C", "ENV").unwrap(),
            [("A".to_owned(), "B C".to_owned())]
        );
        assert_eq!(
            name_values(r#""a b"="c d" x=y"#, "LABEL").unwrap(),
            [
                (r#""a b""#.to_owned(), r#""c d""#.to_owned()),
                ("x".to_owned(), "y".to_owned())
            ]
        );
        let err = |rest: &str, kind: &str| {
            name_values(rest, kind)
                .and_then(|pairs| check_pairs(&pairs, kind))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err("A", "ENV"), "ENV must have two arguments");
        assert_eq!(err("", "LABEL"), "LABEL requires at least one argument");
        assert_eq!(
            err("A=1 B", "ENV"),
            "Syntax error - can't find = in \"B\". Must be of the form: name=value"
        );
        assert_eq!(err("=x", "LABEL"), "LABEL names can not be blank");
    }

    #[test]
    fn json_or_shell() {
        assert_eq!(
            command_line(r#"["a", "b"] junk"#).unwrap(),
            CommandLine::Exec(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            command_line("['a']").unwrap(),
            CommandLine::Shell(Some("['a']".into()))
        );
        assert_eq!(
            command_line("[bad json").unwrap(),
            CommandLine::Shell(Some("[bad json".into()))
        );
        assert_eq!(command_line("").unwrap(), CommandLine::Shell(None));
        assert_eq!(
            command_line(r#"["a", 1]"#).unwrap_err().to_string(),
            "when using JSON array syntax, arrays must be comprised of strings only"
        );
    }

    #[test]
    fn flags_are_checked_like_dockers() {
        let err = |line: &str| parse_instruction(&split_line(line)).unwrap_err().to_string();
        assert_eq!(err("CMD --help"), "Unknown flag: help");
        assert_eq!(err("ENV --x=1 A=b"), "Unknown flag: x");
        assert_eq!(
            err("HEALTHCHECK --interval CMD true"),
            "Missing a value on flag: interval"
        );
    }

    #[test]
    fn onbuild_keeps_the_trigger_as_written() {
        let parsed = |line: &str| parse_instruction(&split_line(line)).map_err(|e| e.to_string());
        assert_eq!(
            parsed("ONBUILD   run  echo  x ").unwrap(),
            Instruction::OnBuild("run  echo  x ".into())
        );
        assert_eq!(
            parsed("onbuild onbuild x").unwrap_err(),
            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
        );
        assert_eq!(
            parsed("ONBUILD maintainer x").unwrap_err(),
            "MAINTAINER isn't allowed as an ONBUILD trigger"
        );
        assert_eq!(
            parsed("ONBUILD").unwrap_err(),
            "ONBUILD requires at least one argument"
        );
    }

    proptest! {
        #[test]
        fn a_json_array_of_strings_is_the_exec_form(args in proptest::collection::vec("\\PC{0,8}", 0..5)) {
            let json = serde_json::to_string(&args).unwrap();
            prop_assert_eq!(command_line(&json).unwrap(), CommandLine::Exec(args));
        }

        #[test]
        fn anything_else_is_the_shell_form(rest in "[a-z][a-z0-9 =$\"'-]{0,30}") {
            prop_assert_eq!(command_line(&rest).unwrap(), CommandLine::Shell(Some(rest.clone())));
        }

        #[test]
        fn key_value_words_round_trip(pairs in proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_]{0,6}", "[a-z0-9./:-]{0,8}"), 1..5)) {
            let rest = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
            let parsed = name_values(&rest, "ENV").unwrap();
            let want: Vec<(String, String)> = pairs.clone();
            prop_assert_eq!(parsed, want);
        }

        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            for line in logical_lines(&text) {
                let _ = parse_instruction(&split_line(&line));
            }
        }
    }
}
