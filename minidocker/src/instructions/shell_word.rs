//! Word expansion in Dockerfile instructions: quotes, backslashes and `$VAR`, the way Docker's
//! `shell.Lex` does it (the subset of `sh` that `ENV`, `LABEL`, `USER`, `WORKDIR`, `VOLUME` and
//! `EXPOSE` understand).
//!
//! * `'…'` keeps everything literally; `"…"` keeps everything but `$` expansions, and `\"`,
//!   `\$`, `\\` are escapes there (any other `\` stays);
//! * outside quotes `\x` is `x`;
//! * `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alternative}`, with the values from the
//!   image's `Env` *before* the instruction (`ENV A=1 B=$A` does not see the new `A`); an unset
//!   variable is empty; a `$` not followed by a name is a `$`.
//!
//! [`expand_word`] gives one string (whitespace kept); [`expand_words`] splits the result on
//! unquoted whitespace, including whitespace that came out of a variable (only `EXPOSE $PORTS`).

use std::iter::Peekable;
use std::str::Chars;

use super::ChangeError;

/// `word` with quotes removed and variables expanded.
pub fn expand_word(word: &str, env: &[String]) -> Result<String, ChangeError> {
    Ok(Lexer::new(word, env).run()?.0)
}

/// `word` expanded and split into words on unquoted whitespace.
pub fn expand_words(word: &str, env: &[String]) -> Result<Vec<String>, ChangeError> {
    Ok(Lexer::new(word, env).run()?.1.finish())
}

fn syntax(message: &str) -> ChangeError {
    ChangeError::Syntax(message.to_owned())
}

/// The words being collected (Docker's `wordsStruct`).
#[derive(Default)]
struct Words {
    words: Vec<String>,
    word: String,
    in_word: bool,
}

impl Words {
    /// An unquoted character: whitespace ends the word.
    fn add_char(&mut self, c: char) {
        if c.is_whitespace() {
            if self.in_word && !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(c);
        }
    }

    fn add_raw_char(&mut self, c: char) {
        self.word.push(c);
        self.in_word = true;
    }

    fn add_string(&mut self, s: &str) {
        s.chars().for_each(|c| self.add_char(c));
    }

    /// Quoted text: part of the word whatever it holds.
    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(self.word);
        }
        self.words
    }
}

struct Lexer<'a> {
    chars: Peekable<Chars<'a>>,
    env: &'a [String],
}

impl<'a> Lexer<'a> {
    fn new(word: &'a str, env: &'a [String]) -> Self {
        Lexer {
            chars: word.chars().peekable(),
            env,
        }
    }

    fn run(&mut self) -> Result<(String, Words), ChangeError> {
        self.until(None)
    }

    /// Docker's `processStopOn`: read up to `stop` (consumed) or the end.
    fn until(&mut self, stop: Option<char>) -> Result<(String, Words), ChangeError> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(&c) = self.chars.peek() {
            if Some(c) == stop {
                self.chars.next();
                return Ok((result, words));
            }
            match c {
                '\'' => {
                    let quoted = self.single_quoted()?;
                    result.push_str(&quoted);
                    words.add_raw_string(&quoted);
                }
                '"' => {
                    let quoted = self.double_quoted()?;
                    result.push_str(&quoted);
                    words.add_raw_string(&quoted);
                }
                '$' => {
                    let value = self.dollar()?;
                    result.push_str(&value);
                    words.add_string(&value);
                }
                _ => {
                    self.chars.next();
                    if c == '\\' {
                        let Some(escaped) = self.chars.next() else {
                            break; // a backslash at the end is dropped
                        };
                        words.add_raw_char(escaped);
                        result.push(escaped);
                    } else {
                        words.add_char(c);
                        result.push(c);
                    }
                }
            }
        }
        match stop {
            Some(stop) => Err(ChangeError::Syntax(format!(
                "unexpected end of statement while looking for matching {stop}"
            ))),
            None => Ok((result, words)),
        }
    }

    fn single_quoted(&mut self) -> Result<String, ChangeError> {
        self.chars.next();
        let mut out = String::new();
        loop {
            match self.chars.next() {
                None => {
                    return Err(syntax(
                        "unexpected end of statement while looking for matching single-quote",
                    ));
                }
                Some('\'') => return Ok(out),
                Some(c) => out.push(c),
            }
        }
    }

    fn double_quoted(&mut self) -> Result<String, ChangeError> {
        self.chars.next();
        let mut out = String::new();
        loop {
            match self.chars.peek().copied() {
                None => {
                    return Err(syntax(
                        "unexpected end of statement while looking for matching double-quote",
                    ));
                }
                Some('"') => {
                    self.chars.next();
                    return Ok(out);
                }
                Some('$') => out.push_str(&self.dollar()?),
                Some(c) => {
                    self.chars.next();
                    if c == '\\' {
                        match self.chars.peek().copied() {
                            None => continue, // dropped at the end of the word
                            Some(e @ ('"' | '$' | '\\')) => {
                                self.chars.next();
                                out.push(e);
                                continue;
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(c);
                }
            }
        }
    }

    /// `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME:+word}`.
    fn dollar(&mut self) -> Result<String, ChangeError> {
        self.chars.next();
        if self.chars.peek() != Some(&'{') {
            let name = self.name();
            return Ok(match name.is_empty() {
                true => "$".to_owned(),
                false => self.lookup(&name),
            });
        }
        self.chars.next();
        match self.chars.peek() {
            None => return Err(syntax("syntax error: missing '}'")),
            Some('{' | '}' | ':') => return Err(syntax("syntax error: bad substitution")),
            Some(_) => {}
        }
        let name = self.name();
        match self.chars.next() {
            Some('}') => Ok(self.lookup(&name)),
            Some(':') => {
                let modifier = self.chars.next();
                let word = match self.until(Some('}')) {
                    Ok((word, _)) => word,
                    Err(_) if self.chars.peek().is_none() => return Err(syntax("syntax error: missing '}'")),
                    Err(e) => return Err(e),
                };
                let value = self.lookup(&name);
                match modifier {
                    Some('+') => Ok(if value.is_empty() { value } else { word }),
                    Some('-') => Ok(if value.is_empty() { word } else { value }),
                    other => Err(ChangeError::Syntax(format!(
                        "unsupported modifier ({}) in substitution",
                        other.map(String::from).unwrap_or_default()
                    ))),
                }
            }
            _ => Err(syntax("missing ':' in substitution")),
        }
    }

    /// A variable name: letters, digits and `_`; or all the digits of `$1`; or one of the
    /// special parameters `$@ $* $# $? $- $$ $! $0`.
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(&c) = self.chars.peek() {
            if name.is_empty() && c.is_ascii_digit() {
                while let Some(d) = self.chars.next_if(char::is_ascii_digit) {
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && "@*#?-$!".contains(c) {
                self.chars.next();
                return c.to_string();
            }
            if !c.is_alphanumeric() && c != '_' {
                break;
            }
            self.chars.next();
            name.push(c);
        }
        name
    }

    /// The first `NAME=value` of the environment, or empty.
    fn lookup(&self, name: &str) -> String {
        self.env
            .iter()
            .find_map(|kv| match kv.split_once('=') {
                Some((k, v)) if k == name => Some(v.to_owned()),
                None if kv == name => Some(String::new()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn env() -> Vec<String> {
        vec!["FOO=bar".into(), "SPACED=a b".into(), "FOO=shadowed".into()]
    }

    #[test]
    fn quotes_and_escapes_like_docker() {
        let cases = [
            (r#""x y""#, "x y"),
            ("'a $FOO b'", "a $FOO b"),
            (r#""c\"d""#, "c\"d"),
            (r#""a\nb""#, r"a\nb"),
            (r"z\ w", "z w"),
            (r"\$FOO", "$FOO"),
            (r#""\$FOO""#, "$FOO"),
            ("tail\\", "tail"),
        ];
        for (word, want) in cases {
            assert_eq!(expand_word(word, &env()).unwrap(), want, "{word}");
        }
    }

    #[test]
    fn variables_like_docker() {
        // the oracle: ENV X=$FOO-1 Y=${FOO}2 Z=\$FOO P=$NOPE:${NOPE:-dflt}:${FOO:+alt}:${FOO:-x}
        let cases = [
            ("$FOO-1", "bar-1"),
            ("${FOO}2", "bar2"),
            ("$NOPE:${NOPE:-dflt}:${FOO:+alt}:${FOO:-x}", ":dflt:alt:bar"),
            ("${NOPE:+alt}", ""),
            ("100$", "100$"),
            ("$ x", "$ x"),
            ("\"$FOO\"", "bar"),
            ("${FOO:-'a b'}", "bar"),
            ("${NOPE:-'a b'}", "a b"),
        ];
        for (word, want) in cases {
            assert_eq!(expand_word(word, &env()).unwrap(), want, "{word}");
        }
    }

    #[test]
    fn syntax_errors_have_dockers_words() {
        let cases = [
            (
                "'open",
                "unexpected end of statement while looking for matching single-quote",
            ),
            (
                "\"open",
                "unexpected end of statement while looking for matching double-quote",
            ),
            ("${FOO", "missing ':' in substitution"),
            ("${", "syntax error: missing '}'"),
            ("${}", "syntax error: bad substitution"),
            ("${FOO:-x", "syntax error: missing '}'"),
            ("${FOO:?x}", "unsupported modifier (?) in substitution"),
        ];
        for (word, want) in cases {
            assert_eq!(expand_word(word, &env()).unwrap_err().to_string(), want, "{word}");
        }
    }

    #[test]
    fn words_split_on_unquoted_and_expanded_whitespace() {
        assert_eq!(
            expand_words("80 $SPACED '1 2'", &env()).unwrap(),
            ["80", "a", "b", "1 2"]
        );
        assert_eq!(expand_words("  ", &env()).unwrap(), Vec::<String>::new());
        assert_eq!(expand_words("$NOPE", &env()).unwrap(), Vec::<String>::new());
    }

    proptest! {
        #[test]
        fn plain_words_are_unchanged(word in "[A-Za-z0-9_./:=,+-]{0,20}") {
            prop_assert_eq!(expand_word(&word, &env()).unwrap(), word);
        }

        #[test]
        fn single_quotes_keep_anything_but_a_quote(inner in "[^']{0,20}") {
            prop_assert_eq!(expand_word(&format!("'{inner}'"), &env()).unwrap(), inner);
        }

        #[test]
        fn never_panics(word in "\\PC{0,30}") {
            let _ = expand_word(&word, &env());
            let _ = expand_words(&word, &env());
        }
    }
}
