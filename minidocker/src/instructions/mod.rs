//! Dockerfile instructions applied to an image config: `docker commit --change` and
//! `docker import --change`.
//!
//! ```text
//! minidocker commit -c 'ENV A=1' -c 'CMD ["sh"]' web
//!        │
//!        ▼  parse.rs: lines, names, flags, JSON or shell form, key=value pairs
//!   [Env([("A","1")]), Cmd(Exec(["sh"]))]
//!        │
//!        ▼  apply: expand $VARS with the config's Env (shell_word.rs), then change the config
//!   {"Env":["A=1"],"Cmd":["sh"]}
//! ```
//!
//! Docker accepts exactly the instructions that only change the config: `CMD`, `ENTRYPOINT`,
//! `ENV`, `EXPOSE`, `HEALTHCHECK`, `LABEL`, `ONBUILD`, `USER`, `VOLUME`, `WORKDIR`; anything
//! else (`RUN`, `COPY`, even `SHELL` and `STOPSIGNAL` in Docker 20.10) is
//! `run is not a valid change command`. All the lines are checked for that before any is parsed,
//! and all are parsed before any is applied, as in moby's `BuildFromConfig`.

mod healthcheck;
mod parse;
mod shell_word;

use ch05_images::ContainerConfig;
use ch05_images::config::{Empty, HealthConfig};

pub use shell_word::{expand_word, expand_words};

use crate::env::replace_or_append;

/// Why a change was refused; the messages are Docker's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("file with no instructions")]
    Empty,
    /// The lowercase instruction name.
    #[error("{0} is not a valid change command")]
    NotAllowed(String),
    #[error("{0}")]
    Syntax(String),
}

/// A command in exec form (`["sh","-c","x"]`) or shell form (`echo hi`, run by the shell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    Exec(Vec<String>),
    /// The text after the instruction name (`None`: nothing, which gives the shell alone).
    Shell(Option<String>),
}

/// One parsed instruction, variables not yet expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    Cmd(CommandLine),
    Entrypoint(CommandLine),
    Env(Vec<(String, String)>),
    Expose(Vec<String>),
    Healthcheck(HealthConfig),
    Label(Vec<(String, String)>),
    OnBuild(String),
    User(String),
    Volume(Vec<String>),
    Workdir(String),
}

/// The instructions `--change` accepts (moby's `validCommitCommands`).
const ALLOWED: [&str; 10] = [
    "cmd",
    "entrypoint",
    "env",
    "expose",
    "healthcheck",
    "label",
    "onbuild",
    "user",
    "volume",
    "workdir",
];

/// The shell of the shell form when the image sets none.
pub const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

// ANCHOR: parse_changes
/// Parse the `--change` values (each may hold several lines).
pub fn parse_changes(changes: &[String]) -> Result<Vec<Instruction>, ChangeError> {
    let lines: Vec<parse::Line> = parse::logical_lines(&changes.join("\n"))
        .iter()
        .map(|l| parse::split_line(l))
        .collect();
    if lines.is_empty() {
        return Err(ChangeError::Empty);
    }
    if let Some(bad) = lines.iter().find(|l| !ALLOWED.contains(&l.name.as_str())) {
        return Err(ChangeError::NotAllowed(bad.name.clone()));
    }
    lines.iter().map(parse::parse_instruction).collect()
}
// ANCHOR_END: parse_changes

// ANCHOR: apply_changes
/// `config` with the `--change` values applied (moby's `BuildFromConfig`). No values: `config`.
pub fn apply_changes(config: &ContainerConfig, changes: &[String]) -> Result<ContainerConfig, ChangeError> {
    if changes.is_empty() {
        return Ok(config.clone());
    }
    let instructions = parse_changes(changes)?;
    let mut state = Dispatch {
        config: config.clone(),
        cmd_set: false,
    };
    for instruction in &instructions {
        state.apply(instruction)?;
    }
    Ok(state.config)
}
// ANCHOR_END: apply_changes

struct Dispatch {
    config: ContainerConfig,
    /// A `CMD` came earlier in this batch: a later `ENTRYPOINT` keeps it.
    cmd_set: bool,
}

impl Dispatch {
    fn apply(&mut self, instruction: &Instruction) -> Result<(), ChangeError> {
        // Every word is expanded with the environment from *before* the instruction.
        let env = self.config.env.clone().unwrap_or_default();
        let expand = |word: &str| expand_word(word, &env);
        match instruction {
            Instruction::Cmd(line) => {
                self.config.cmd = Some(self.command(line));
                self.config.args_escaped = false;
                self.cmd_set = true;
            }
            Instruction::Entrypoint(line) => {
                self.config.entrypoint = Some(self.command(line));
                self.config.args_escaped = false;
                if !self.cmd_set {
                    self.config.cmd = None;
                }
            }
            Instruction::Env(pairs) => {
                let vars = pairs
                    .iter()
                    .map(|(k, v)| Ok(format!("{}={}", expand(k)?, expand(v)?)))
                    .collect::<Result<Vec<_>, ChangeError>>()?;
                let mut env = env.clone();
                replace_or_append(&mut env, &vars);
                self.config.env = Some(env);
            }
            Instruction::Label(pairs) => {
                let labels = self.config.labels.get_or_insert_default();
                for (k, v) in pairs {
                    labels.insert(expand(k)?, expand(v)?);
                }
            }
            Instruction::Expose(raw) => {
                let mut ports = Vec::new();
                for word in raw {
                    for spec in expand_words(word, &env)? {
                        ports.extend(exposed_ports(&spec)?);
                    }
                }
                let set = self.config.exposed_ports.get_or_insert_default();
                set.extend(ports.into_iter().map(|p| (p, Empty {})));
            }
            Instruction::User(user) => self.config.user = Some(expand(user)?),
            Instruction::Volume(volumes) => {
                let mut expanded = Vec::new();
                for v in volumes {
                    let v = expand(v)?;
                    if v.is_empty() {
                        return Err(ChangeError::Syntax(
                            "VOLUME specified can not be an empty string".into(),
                        ));
                    }
                    expanded.push(v);
                }
                let set = self.config.volumes.get_or_insert_default();
                set.extend(expanded.into_iter().map(|v| (v, Empty {})));
            }
            Instruction::Workdir(dir) => {
                let current = self.config.working_dir.clone().unwrap_or_default();
                self.config.working_dir = Some(normalize_workdir(&current, &expand(dir)?)?);
            }
            Instruction::OnBuild(trigger) => {
                self.config.on_build.get_or_insert_default().push(trigger.clone());
            }
            Instruction::Healthcheck(health) => self.config.healthcheck = Some(health.clone()),
        }
        Ok(())
    }

    /// The exec form as is; the shell form after the image's shell (`/bin/sh -c` by default).
    fn command(&self, line: &CommandLine) -> Vec<String> {
        match line {
            CommandLine::Exec(args) => args.clone(),
            CommandLine::Shell(text) => {
                let mut cmd = match self.config.shell.as_deref() {
                    Some(shell) if !shell.is_empty() => shell.to_vec(),
                    _ => DEFAULT_SHELL.iter().map(|s| (*s).to_owned()).collect(),
                };
                cmd.extend(text.clone());
                cmd
            }
        }
    }
}

/// `WORKDIR`: an absolute path as given, a relative one below the current working directory.
fn normalize_workdir(current: &str, requested: &str) -> Result<String, ChangeError> {
    if requested.is_empty() {
        return Err(ChangeError::Syntax("cannot normalize nothing".into()));
    }
    if requested.starts_with('/') {
        return Ok(requested.to_owned());
    }
    Ok(clean_path(&format!("/{current}/{requested}")))
}

/// Go's `filepath.Clean` for an absolute path: no `.`, `..` or doubled slashes.
fn clean_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `EXPOSE 80`, `80/udp`, `8000-8002`: the `port/proto` keys of `ExposedPorts` (go-connections'
/// `ParsePortSpec`; a `host:` or `ip:host:` prefix is allowed and ignored).
fn exposed_ports(spec: &str) -> Result<Vec<String>, ChangeError> {
    let invalid = |what: &str| ChangeError::Syntax(format!("Invalid containerPort: {what}"));
    let container = spec.rsplit(':').next().unwrap_or(spec);
    let (port, proto_raw) = match container.split_once('/') {
        _ if container.is_empty() || container.starts_with('/') => {
            return Err(ChangeError::Syntax(format!("No port specified: {spec}<empty>")));
        }
        None => (container, "tcp"),
        Some((port, "")) => (port, "tcp"),
        Some((port, proto)) => (port, proto.split('/').next().unwrap_or(proto)),
    };
    let number = |s: &str| -> Option<u16> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (start, end) = match port.split_once('-') {
        None => {
            let p = number(port).ok_or_else(|| invalid(port))?;
            (p, p)
        }
        Some((a, b)) => {
            let b = b.split('-').next().unwrap_or(b);
            match (number(a), number(b)) {
                (Some(a), Some(b)) if b >= a => (a, b),
                _ => return Err(invalid(port)),
            }
        }
    };
    let proto = proto_raw.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(ChangeError::Syntax(format!("Invalid proto: {proto_raw}")));
    }
    Ok((start..=end).map(|p| format!("{p}/{proto}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The config of the oracle's container `mdarc-e` (`run -e FOO=bar -w /tmp busybox true`).
    fn base() -> ContainerConfig {
        ContainerConfig {
            env: Some(strings(&["FOO=bar"])),
            cmd: Some(strings(&["true"])),
            working_dir: Some("/tmp".into()),
            ..ContainerConfig::default()
        }
    }

    fn applied(changes: &[&str]) -> Result<ContainerConfig, String> {
        apply_changes(&base(), &strings(changes)).map_err(|e| e.to_string())
    }

    #[test]
    fn no_changes_is_the_config_itself() {
        assert_eq!(apply_changes(&base(), &[]).unwrap(), base());
    }

    #[test]
    fn what_the_oracle_committed() {
        // docker commit -c 'CMD ["cat","/hello"]' -c 'ENV A=1 B=2' -c 'EXPOSE 80' -c 'LABEL x=y "a b"="c d"'
        //   -c 'WORKDIR /etc' -c 'USER nobody' -c 'VOLUME /data' -c 'ONBUILD RUN echo' -c 'ENTRYPOINT echo hi'
        let c = applied(&[
            r#"CMD ["cat","/hello"]"#,
            "ENV A=1 B=2",
            "EXPOSE 80",
            r#"LABEL x=y "a b"="c d""#,
            "WORKDIR /etc",
            "USER nobody",
            "VOLUME /data",
            "ONBUILD RUN echo",
            "ENTRYPOINT echo hi",
        ])
        .unwrap();
        assert_eq!(c.cmd, Some(strings(&["cat", "/hello"])));
        assert_eq!(c.entrypoint, Some(strings(&["/bin/sh", "-c", "echo hi"])));
        assert_eq!(c.env, Some(strings(&["FOO=bar", "A=1", "B=2"])));
        assert_eq!(c.exposed_ports.unwrap().keys().collect::<Vec<_>>(), ["80/tcp"]);
        let labels = c.labels.unwrap();
        assert_eq!((labels["a b"].as_str(), labels["x"].as_str()), ("c d", "y"));
        assert_eq!(c.working_dir.as_deref(), Some("/etc"));
        assert_eq!(c.user.as_deref(), Some("nobody"));
        assert_eq!(c.volumes.unwrap().keys().collect::<Vec<_>>(), ["/data"]);
        assert_eq!(c.on_build, Some(strings(&["RUN echo"])));
    }

    #[test]
    fn more_oracle_cases() {
        let c = applied(&[
            "EXPOSE 80 443/udp 8000-8002 80/TCP 0",
            r#"ENV A="x y" B=z\ w"#,
            "ENV C d e",
            r#"LABEL "k"=v k2="a\"b""#,
            r#"VOLUME ["/a","/b"]"#,
            "VOLUME /c /d",
            "WORKDIR rel",
        ])
        .unwrap();
        assert_eq!(
            c.exposed_ports.unwrap().keys().collect::<Vec<_>>(),
            ["0/tcp", "443/udp", "80/tcp", "8000/tcp", "8001/tcp", "8002/tcp"]
        );
        assert_eq!(c.env, Some(strings(&["FOO=bar", "A=x y", "B=z w", "C=d e"])));
        let labels = c.labels.unwrap();
        assert_eq!((labels["k"].as_str(), labels["k2"].as_str()), ("v", "a\"b"));
        assert_eq!(
            c.volumes.unwrap().keys().collect::<Vec<_>>(),
            ["/a", "/b", "/c", "/d"]
        );
        assert_eq!(c.working_dir.as_deref(), Some("/tmp/rel"));

        assert_eq!(applied(&["CMD"]).unwrap().cmd, Some(strings(&["/bin/sh", "-c"])));
        assert_eq!(
            applied(&["CMD  echo  \"hi\"  there "]).unwrap().cmd,
            Some(strings(&["/bin/sh", "-c", "echo  \"hi\"  there"]))
        );
        assert_eq!(applied(&["cmd [\"x\"]"]).unwrap().cmd, Some(strings(&["x"])));
        assert_eq!(applied(&["USER a b"]).unwrap().user.as_deref(), Some("a b"));
        assert_eq!(applied(&["USER $FOO"]).unwrap().user.as_deref(), Some("bar"));
        assert_eq!(
            applied(&["WORKDIR $FOO/x"]).unwrap().working_dir.as_deref(),
            Some("/tmp/bar/x")
        );
        assert_eq!(
            applied(&["WORKDIR a b"]).unwrap().working_dir.as_deref(),
            Some("/tmp/a b")
        );
        assert_eq!(
            applied(&["EXPOSE $NOPE"]).unwrap().exposed_ports,
            Some(Default::default())
        );
        assert_eq!(applied(&["LABEL a="]).unwrap().labels.unwrap()["a"], "");
        assert_eq!(
            applied(&["ENV a="]).unwrap().env,
            Some(strings(&["FOO=bar", "a="]))
        );
        assert_eq!(
            applied(&["ENV X=$FOO-1 Y=${FOO}2 Z=\\$FOO"]).unwrap().env,
            Some(strings(&["FOO=bar", "X=bar-1", "Y=bar2", "Z=$FOO"]))
        );
        assert_eq!(
            applied(&["ENV FOO=new OLD=$FOO"]).unwrap().env,
            Some(strings(&["FOO=new", "OLD=bar"])),
            "expanded with the environment from before the instruction"
        );
        // ENTRYPOINT without CMD in the same batch drops the CMD
        let c = applied(&[r#"ENTRYPOINT ["sh"]"#]).unwrap();
        assert_eq!((c.entrypoint, c.cmd), (Some(strings(&["sh"])), None));
        let c = applied(&["CMD x", r#"ENTRYPOINT ["sh"]"#]).unwrap();
        assert_eq!(c.cmd, Some(strings(&["/bin/sh", "-c", "x"])));
    }

    #[test]
    fn errors_are_dockers() {
        let cases = [
            ("", "file with no instructions"),
            ("# comment", "file with no instructions"),
            ("RUN echo", "run is not a valid change command"),
            ("FROM x", "from is not a valid change command"),
            ("STOPSIGNAL 9", "stopsignal is not a valid change command"),
            ("SHELL [\"/bin/bash\"]", "shell is not a valid change command"),
            ("ENV", "ENV requires at least one argument"),
            ("ENV A", "ENV must have two arguments"),
            ("ENV =x", "ENV names can not be blank"),
            ("LABEL a", "LABEL must have two arguments"),
            ("EXPOSE", "EXPOSE requires at least one argument"),
            ("EXPOSE abc", "Invalid containerPort: abc"),
            ("EXPOSE 70000", "Invalid containerPort: 70000"),
            ("EXPOSE 80-70", "Invalid containerPort: 80-70"),
            ("EXPOSE 80/xyz", "Invalid proto: xyz"),
            ("USER", "USER requires exactly one argument"),
            ("WORKDIR", "WORKDIR requires exactly one argument"),
            ("VOLUME", "VOLUME requires at least one argument"),
            ("VOLUME []", "VOLUME requires at least one argument"),
            ("VOLUME $NOPE", "VOLUME specified can not be an empty string"),
            ("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"),
        ];
        for (change, want) in cases {
            assert_eq!(applied(&[change]).unwrap_err(), want, "{change}");
        }
        // every name is checked before anything is parsed
        assert_eq!(
            applied(&["ENV", "RUN x"]).unwrap_err(),
            "run is not a valid change command"
        );
    }

    #[test]
    fn a_value_may_hold_several_lines() {
        let c = applied(&["ENV A=1\nUSER x \\\n y"]).unwrap();
        assert_eq!(c.env, Some(strings(&["FOO=bar", "A=1"])));
        assert_eq!(c.user.as_deref(), Some("x  y"));
    }

    #[test]
    fn paths_are_cleaned_like_go() {
        assert_eq!(clean_path("//a/./b/../c/"), "/a/c");
        assert_eq!(clean_path("/../.."), "/");
        assert_eq!(normalize_workdir("", "x").unwrap(), "/x");
        assert_eq!(normalize_workdir("/tmp", "/abs/../x").unwrap(), "/abs/../x");
    }

    proptest! {
        #[test]
        fn exec_form_cmd_is_taken_as_is(args in proptest::collection::vec("\\PC{0,10}", 1..5)) {
            let change = format!("CMD {}", serde_json::to_string(&args).unwrap());
            let c = apply_changes(&base(), &[change]).unwrap();
            prop_assert_eq!(c.cmd, Some(args));
        }

        #[test]
        fn shell_form_cmd_is_run_by_the_shell(cmd in "[a-z][a-z0-9 ./=-]{0,20}[a-z0-9]") {
            let c = apply_changes(&base(), &[format!("CMD {cmd}")]).unwrap();
            prop_assert_eq!(c.cmd, Some(vec!["/bin/sh".to_owned(), "-c".to_owned(), cmd]));
        }

        #[test]
        fn env_sets_each_pair_once(pairs in proptest::collection::btree_map("[A-Z][A-Z0-9_]{0,5}", "[a-z0-9./-]{0,6}", 1..5)) {
            let change = format!("ENV {}", pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "));
            let env = apply_changes(&base(), &[change]).unwrap().env.unwrap();
            for (k, v) in &pairs {
                let want = format!("{k}={v}");
                prop_assert_eq!(env.iter().filter(|e| e.split('=').next() == Some(k.as_str())).collect::<Vec<_>>(), vec![&want]);
            }
        }

        #[test]
        fn exposed_port_ranges_expand(start in 1u16..60000, len in 0u16..5, udp in any::<bool>()) {
            let proto = if udp { "udp" } else { "tcp" };
            let spec = format!("{start}-{}/{proto}", start + len);
            let ports = exposed_ports(&spec).unwrap();
            prop_assert_eq!(ports.len(), usize::from(len) + 1);
            let first = format!("{start}/{proto}");
            prop_assert_eq!(ports[0].as_str(), first.as_str());
        }
    }
}
