//! A subset of Go's `text/template`, the language of Docker's `--format`.
//!
//! Supported: text, `{{.}}`, field chains `{{.State.Status}}`, string literals, pipelines
//! (`{{.Config.Env | json}}`), Docker's functions `json`, `join`, `split`, `lower`, `upper`,
//! `title`, `index`, `println`, `pad`, `truncate`, and `{{if}}…{{else}}…{{end}}`,
//! `{{range}}…{{end}}`, with `{{-`/`-}}` trimming. Values are JSON: an object field that is
//! missing prints `<no value>`, as Go does for a map.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template parsing error: {0}")]
pub struct TemplateError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Dot(Vec<String>),
    Str(String),
    Num(i64),
}

#[derive(Debug, Clone, PartialEq)]
struct Command {
    func: Option<String>,
    args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Action(Vec<Command>),
    If {
        cond: Vec<Command>,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Range {
        over: Vec<Command>,
        body: Vec<Node>,
    },
}

/// A parsed template, ready to render many values.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
}

enum Token {
    Text(String),
    Action(String),
}

fn tokenize(src: &str) -> Result<Vec<Token>, TemplateError> {
    let mut tokens = Vec::new();
    let mut rest = src;
    while let Some(start) = rest.find("{{") {
        let mut text = rest[..start].to_owned();
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| TemplateError(format!("unclosed action in {src:?}")))?;
        let mut inner = &after[..end];
        if let Some(trimmed) = inner.strip_prefix('-') {
            text = text.trim_end().to_owned();
            inner = trimmed;
        }
        let trim_right = inner.ends_with('-') && inner.len() > 1 && inner[..inner.len() - 1].ends_with(' ');
        if trim_right {
            inner = &inner[..inner.len() - 1];
        }
        tokens.push(Token::Text(text));
        tokens.push(Token::Action(inner.trim().to_owned()));
        rest = &after[end + 2..];
        if trim_right {
            rest = rest.trim_start();
        }
    }
    tokens.push(Token::Text(rest.to_owned()));
    Ok(tokens)
}

fn split_words(s: &str) -> Result<Vec<String>, TemplateError> {
    let mut words = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut lit = String::from("\"");
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => lit.push('\n'),
                        Some('t') => lit.push('\t'),
                        Some(other) => lit.push(other),
                        None => return Err(TemplateError("unterminated string".into())),
                    },
                    Some(ch) => lit.push(ch),
                    None => return Err(TemplateError("unterminated string".into())),
                }
            }
            words.push(lit);
        } else if c == '|' {
            chars.next();
            words.push("|".into());
        } else {
            let mut word = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() || ch == '|' {
                    break;
                }
                word.push(ch);
                chars.next();
            }
            words.push(word);
        }
    }
    Ok(words)
}

fn parse_arg(word: &str) -> Result<Arg, TemplateError> {
    if let Some(lit) = word.strip_prefix('"') {
        return Ok(Arg::Str(lit.to_owned()));
    }
    if word == "." {
        return Ok(Arg::Dot(Vec::new()));
    }
    if let Some(path) = word.strip_prefix('.') {
        return Ok(Arg::Dot(path.split('.').map(str::to_owned).collect()));
    }
    word.parse::<i64>()
        .map(Arg::Num)
        .map_err(|_| TemplateError(format!("function {word:?} not defined")))
}

const FUNCS: [&str; 10] = [
    "json", "join", "split", "lower", "upper", "title", "index", "println", "pad", "truncate",
];

fn parse_pipeline(src: &str) -> Result<Vec<Command>, TemplateError> {
    let words = split_words(src)?;
    let mut commands = Vec::new();
    for part in words.split(|w| w == "|") {
        let Some((first, rest)) = part.split_first() else {
            return Err(TemplateError(format!("missing command in {src:?}")));
        };
        if FUNCS.contains(&first.as_str()) {
            let args = rest.iter().map(|w| parse_arg(w)).collect::<Result<_, _>>()?;
            commands.push(Command {
                func: Some(first.clone()),
                args,
            });
        } else if rest.is_empty() {
            commands.push(Command {
                func: None,
                args: vec![parse_arg(first)?],
            });
        } else {
            return Err(TemplateError(format!("function {first:?} not defined")));
        }
    }
    Ok(commands)
}

fn parse_nodes(
    tokens: &mut std::iter::Peekable<std::vec::IntoIter<Token>>,
    until_end: bool,
) -> Result<(Vec<Node>, Option<String>), TemplateError> {
    let mut nodes = Vec::new();
    while let Some(token) = tokens.next() {
        match token {
            Token::Text(t) if !t.is_empty() => nodes.push(Node::Text(t)),
            Token::Text(_) => {}
            Token::Action(a) if a == "end" || a == "else" => {
                return if until_end {
                    Ok((nodes, Some(a)))
                } else {
                    Err(TemplateError(format!("unexpected {{{{{a}}}}}")))
                };
            }
            Token::Action(a) if a.starts_with("if ") => {
                let cond = parse_pipeline(&a[3..])?;
                let (then, stop) = parse_nodes(tokens, true)?;
                let otherwise = if stop.as_deref() == Some("else") {
                    parse_nodes(tokens, true)?.0
                } else {
                    Vec::new()
                };
                nodes.push(Node::If {
                    cond,
                    then,
                    otherwise,
                });
            }
            Token::Action(a) if a.starts_with("range ") => {
                let over = parse_pipeline(&a[6..])?;
                let (body, _) = parse_nodes(tokens, true)?;
                nodes.push(Node::Range { over, body });
            }
            Token::Action(a) if a.starts_with("/*") => {}
            Token::Action(a) => nodes.push(Node::Action(parse_pipeline(&a)?)),
        }
    }
    if until_end {
        return Err(TemplateError("unexpected EOF: missing {{end}}".into()));
    }
    Ok((nodes, None))
}

impl Template {
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let mut tokens = tokenize(src)?.into_iter().peekable();
        Ok(Template {
            nodes: parse_nodes(&mut tokens, false)?.0,
        })
    }

    /// Render with `dot` as `.`.
    pub fn render(&self, dot: &Value) -> Result<String, TemplateError> {
        let mut out = String::new();
        render_nodes(&self.nodes, dot, &mut out)?;
        Ok(out)
    }
}

fn lookup(dot: &Value, path: &[String]) -> Value {
    let mut v = dot;
    for key in path {
        match v.get(key) {
            Some(next) => v = next,
            None => return Value::String("<no value>".into()),
        }
    }
    v.clone()
}

fn eval_arg(arg: &Arg, dot: &Value) -> Value {
    match arg {
        Arg::Dot(path) => lookup(dot, path),
        Arg::Str(s) => Value::String(s.clone()),
        Arg::Num(n) => Value::from(*n),
    }
}

/// How Go's `fmt` prints a value: maps as `map[k:v]`, slices as `[a b]`, null as `<nil>`.
pub fn go_print(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!("[{}]", items.iter().map(go_print).collect::<Vec<_>>().join(" ")),
        Value::Object(map) => {
            let mut keys: Vec<_> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_print(&map[*k])))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty() && s != "<no value>",
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn call(func: &str, args: &[Value]) -> Result<Value, TemplateError> {
    let str_arg = |i: usize| args.get(i).map(go_print).unwrap_or_default();
    Ok(match func {
        "json" => Value::String(
            serde_json::to_string(args.first().unwrap_or(&Value::Null))
                .map_err(|e| TemplateError(e.to_string()))?,
        ),
        "lower" => Value::String(str_arg(0).to_lowercase()),
        "upper" => Value::String(str_arg(0).to_uppercase()),
        "title" => Value::String(
            str_arg(0)
                .split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "println" => Value::String(format!(
            "{}\n",
            args.iter().map(go_print).collect::<Vec<_>>().join(" ")
        )),
        "join" => match args.first() {
            Some(Value::Array(items)) => {
                Value::String(items.iter().map(go_print).collect::<Vec<_>>().join(&str_arg(1)))
            }
            other => Value::String(other.map(go_print).unwrap_or_default()),
        },
        "split" => Value::Array(
            str_arg(0)
                .split(&str_arg(1))
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        "index" => match (args.first(), args.get(1)) {
            (Some(Value::Object(m)), Some(k)) => m
                .get(&go_print(k))
                .cloned()
                .unwrap_or(Value::String("<no value>".into())),
            (Some(Value::Array(a)), Some(Value::Number(n))) => n
                .as_u64()
                .and_then(|i| a.get(i as usize).cloned())
                .ok_or_else(|| TemplateError("index out of range".into()))?,
            _ => return Err(TemplateError("index of untyped nil".into())),
        },
        "pad" => {
            let n = args.get(1).and_then(Value::as_i64).unwrap_or(0).max(0) as usize;
            let pad = " ".repeat(n);
            Value::String(format!("{pad}{}{pad}", str_arg(0)))
        }
        "truncate" => {
            let n = args.get(1).and_then(Value::as_i64).unwrap_or(0).max(0) as usize;
            Value::String(str_arg(0).chars().take(n).collect())
        }
        other => return Err(TemplateError(format!("function {other:?} not defined"))),
    })
}

fn eval_pipeline(commands: &[Command], dot: &Value) -> Result<Value, TemplateError> {
    let mut previous: Option<Value> = None;
    for cmd in commands {
        let mut args: Vec<Value> = cmd.args.iter().map(|a| eval_arg(a, dot)).collect();
        if let Some(p) = previous.take() {
            args.push(p);
        }
        previous = Some(match &cmd.func {
            Some(f) => call(f, &args)?,
            None => args.pop().unwrap_or(Value::Null),
        });
    }
    Ok(previous.unwrap_or(Value::Null))
}

fn render_nodes(nodes: &[Node], dot: &Value, out: &mut String) -> Result<(), TemplateError> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Action(p) => out.push_str(&go_print(&eval_pipeline(p, dot)?)),
            Node::If {
                cond,
                then,
                otherwise,
            } => {
                let branch = if truthy(&eval_pipeline(cond, dot)?) {
                    then
                } else {
                    otherwise
                };
                render_nodes(branch, dot, out)?;
            }
            Node::Range { over, body } => match eval_pipeline(over, dot)? {
                Value::Array(items) => items.iter().try_for_each(|item| render_nodes(body, item, out))?,
                Value::Object(map) => {
                    let mut keys: Vec<_> = map.keys().cloned().collect();
                    keys.sort();
                    keys.iter().try_for_each(|k| render_nodes(body, &map[k], out))?;
                }
                _ => {}
            },
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(src: &str, v: &Value) -> String {
        Template::parse(src).unwrap().render(v).unwrap()
    }

    #[test]
    fn fields_and_text() {
        let v = json!({"ID": "5f515359c7f8", "Repository": "redis", "State": {"Status": "exited", "ExitCode": 0}});
        assert_eq!(render("{{.ID}}: {{.Repository}}", &v), "5f515359c7f8: redis");
        assert_eq!(render("{{ .State.Status }} {{.State.ExitCode}}", &v), "exited 0");
        assert_eq!(render("{{.Nope}}", &v), "<no value>");
    }

    #[test]
    fn functions_and_pipelines() {
        let v = json!({"Env": ["A=1", "B=2"], "Labels": {"k": "v"}, "Name": "web"});
        assert_eq!(render("{{json .Env}}", &v), r#"["A=1","B=2"]"#);
        assert_eq!(render("{{.Env | json}}", &v), r#"["A=1","B=2"]"#);
        assert_eq!(render("{{join .Env \",\"}}", &v), "A=1,B=2");
        assert_eq!(render("{{index .Labels \"k\"}} {{upper .Name}}", &v), "v WEB");
        assert_eq!(render("{{.Labels}} {{.Env}}", &v), "map[k:v] [A=1 B=2]");
    }

    #[test]
    fn control_flow_and_trimming() {
        let v = json!({"Networks": {"b": {"IPAddress": "10.0.0.2"}, "a": {"IPAddress": "10.0.0.1"}}, "Running": false});
        assert_eq!(
            render("{{range .Networks}}{{.IPAddress}} {{end}}", &v),
            "10.0.0.1 10.0.0.2 "
        );
        assert_eq!(render("{{if .Running}}up{{else}}down{{end}}", &v), "down");
        assert_eq!(render("a  {{- .Running -}}  b", &v), "afalseb");
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(
            Template::parse("{{.A")
                .unwrap_err()
                .to_string()
                .contains("unclosed action")
        );
        assert!(
            Template::parse("{{nosuch .A}}")
                .unwrap_err()
                .to_string()
                .contains("\"nosuch\" not defined")
        );
        assert!(
            Template::parse("{{if .A}}x")
                .unwrap_err()
                .to_string()
                .contains("missing {{end}}")
        );
    }
}
