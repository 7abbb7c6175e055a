//! `docker top`: the host's `ps`, run by the engine, keeping the rows of the container's
//! processes (those in its cgroup), as Docker 20.10's `ContainerTop` does.
//!
//! ```text
//!  ps -ef -q 4711,4712        (`-q`: only these pids; some ps options refuse it, then
//!  UID   PID  PPID … CMD       plain `ps -ef` and the rows are filtered here)
//!  root  4711 4690 … sleep 300   → {"Titles": ["UID","PID",…], "Processes": [["root","4711",…]]}
//! ```

use serde::{Deserialize, Serialize};

use super::go_json::{nil_if_empty, null_as_default};
use super::{Engine, EngineError};
use crate::container::ContainerError;

// ANCHOR: container_top
/// `container.ContainerTopOKBody`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerTop {
    #[serde(
        rename = "Processes",
        serialize_with = "nil_if_empty",
        default,
        deserialize_with = "null_as_default"
    )]
    pub processes: Vec<Vec<String>>,
    #[serde(rename = "Titles")]
    pub titles: Vec<String>,
}
// ANCHOR_END: container_top

impl Engine {
    // ANCHOR: top
    /// `docker top CONTAINER [ps OPTIONS]`: `ps_args` default `-ef`. A stopped container is a
    /// 409 (`Container … is not running`); `ps` failing, or output without a PID column, a 500
    /// with Docker's message. Emits `top`.
    pub fn container_top(&self, name_or_id: &str, ps_args: &str) -> Result<ContainerTop, EngineError> {
        let ps_args = if ps_args.is_empty() { "-ef" } else { ps_args };
        validate_ps_args(ps_args)?;
        let c = self.containers.find(name_or_id)?;
        if !self.is_running(&c) {
            return Err(ContainerError::NotRunning(c.id).into());
        }
        if c.state.restarting {
            return Err(EngineError::Conflict(format!(
                "Container {} is restarting, wait until the container is running",
                c.id
            )));
        }
        let mut pids: Vec<i32> = match self.container_cgroup(&c.id)? {
            Some(cgroup) => cgroup.manager().pids()?.iter().map(|p| p.as_raw()).collect(),
            None => Vec::new(),
        };
        if pids.is_empty() {
            pids.push(c.state.pid);
        }
        // Docker splits on single spaces, as here
        let args: Vec<&str> = ps_args.split(' ').collect();
        let only_these = format!(
            "-q{}",
            pids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
        );
        let output = match run_ps(&args, Some(&only_these)) {
            Ok(output) => output,
            // some options (`f`) do not go with -q: all processes then, filtered below
            Err(_) => run_ps(&args, None).map_err(|why| EngineError::System(format!("ps: {why}")))?,
        };
        let top = parse_ps_output(&output, &pids)?;
        self.container_event(&c, "top", &[]);
        Ok(top)
    }
    // ANCHOR_END: top
}

/// `ps ARGS [EXTRA]`: its output, or the first line of what it said on stderr.
fn run_ps(args: &[&str], extra: Option<&str>) -> Result<String, String> {
    let output = std::process::Command::new("ps")
        .args(args)
        .args(extra)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    match stderr.lines().next() {
        Some(line) if !line.is_empty() => Err(line.to_owned()),
        _ => Err(format!("ps exited with {}", output.status)),
    }
}

/// Docker refuses a custom column whose header says PID without being the pid
/// (`-o user=PID`): the filter would go by the wrong column.
fn validate_ps_args(ps_args: &str) -> Result<(), EngineError> {
    // Go's regexp `\s+(\S*)=\s*(PID\S*)`: a word after whitespace, `=`, then `PID…`
    let re = regex::Regex::new(r"\s+(\S*)=\s*(PID\S*)").map_err(|e| EngineError::System(e.to_string()))?;
    for group in re.captures_iter(ps_args) {
        let (key, value) = (&group[1], &group[2]);
        if key != "pid" {
            return Err(EngineError::System(format!(
                "specifying \"{key}={value}\" is not allowed"
            )));
        }
    }
    Ok(())
}

/// Go's `fieldsASCII`: split on ASCII white space only.
fn fields(line: &str) -> Vec<&str> {
    line.split(['\t', '\n', '\x0c', '\r', ' '])
        .filter(|f| !f.is_empty())
        .collect()
}

// ANCHOR: parse_ps_output
/// Docker's `parsePSOutput`: the titles are the first line's fields; a row is kept when its
/// PID is one of `pids` (a thread row, PID `-`, goes with the row before it), and the fields
/// past the last title are joined back into the last column (a command and its arguments).
fn parse_ps_output(output: &str, pids: &[i32]) -> Result<ContainerTop, EngineError> {
    let mut lines = output.split('\n');
    let titles: Vec<String> = fields(lines.next().unwrap_or(""))
        .into_iter()
        .map(str::to_owned)
        .collect();
    let pid_index = titles
        .iter()
        .position(|t| t == "PID")
        .ok_or_else(|| EngineError::System("Couldn't find PID field in ps output".into()))?;
    let mut top = ContainerTop {
        processes: Vec::new(),
        titles,
    };
    let last = top.titles.len() - 1;
    let mut previous_kept = false;
    for line in lines.filter(|l| !l.is_empty()) {
        let row = fields(line);
        let Some(pid) = row.get(pid_index) else {
            continue; // shorter than the titles: not a process row
        };
        let keep = if *pid == "-" {
            previous_kept
        } else {
            let pid: i32 = pid.parse().map_err(|_| {
                EngineError::System(format!(
                    "Unexpected pid '{pid}': strconv.Atoi: parsing \"{pid}\": invalid syntax"
                ))
            })?;
            previous_kept = pids.contains(&pid);
            previous_kept
        };
        if keep {
            let mut process: Vec<String> = row.iter().take(last).map(|f| (*f).to_owned()).collect();
            process.push(row.get(last..).map(|rest| rest.join(" ")).unwrap_or_default());
            top.processes.push(process);
        }
    }
    Ok(top)
}
// ANCHOR_END: parse_ps_output

#[cfg(test)]
mod tests {
    use super::*;

    const PS_EF: &str = "UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 Dec01 ?        00:01:52 /sbin/init
root       18533   18512  2 02:48 ?        00:00:00 sleep 300
root       18540   18533  0 02:48 ?        00:00:00 sh -c echo 'a  b'
";

    #[test]
    fn rows_of_the_containers_pids_with_the_command_rejoined() {
        let top = parse_ps_output(PS_EF, &[18533, 18540]).unwrap();
        assert_eq!(
            top.titles,
            ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
        );
        assert_eq!(
            top.processes,
            [
                vec![
                    "root",
                    "18533",
                    "18512",
                    "2",
                    "02:48",
                    "?",
                    "00:00:00",
                    "sleep 300"
                ],
                // Docker's join: runs of spaces inside arguments become one
                vec![
                    "root",
                    "18540",
                    "18533",
                    "0",
                    "02:48",
                    "?",
                    "00:00:00",
                    "sh -c echo 'a b'"
                ],
            ]
        );
        // the oracle's JSON for `sleep 300`
        let one = parse_ps_output(PS_EF, &[18533]).unwrap();
        assert_eq!(
            serde_json::to_string(&one).unwrap(),
            r#"{"Processes":[["root","18533","18512","2","02:48","?","00:00:00","sleep 300"]],"Titles":["UID","PID","PPID","C","STIME","TTY","TIME","CMD"]}"#
        );
    }

    #[test]
    fn thread_rows_follow_their_process() {
        let out = "PID   TID CMD\n10 - a\n- 11 a\n12 - b\n- 13 b\n";
        let top = parse_ps_output(out, &[10]).unwrap();
        assert_eq!(top.processes, [vec!["10", "-", "a"], vec!["-", "11", "a"]]);
    }

    #[test]
    fn dockers_errors() {
        assert_eq!(
            parse_ps_output("UID CMD\nroot x\n", &[1])
                .unwrap_err()
                .to_string(),
            "Couldn't find PID field in ps output"
        );
        assert_eq!(
            parse_ps_output("PID CMD\nabc x\n", &[1]).unwrap_err().to_string(),
            "Unexpected pid 'abc': strconv.Atoi: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            validate_ps_args("-o user=PID").unwrap_err().to_string(),
            "specifying \"user=PID\" is not allowed"
        );
        assert!(validate_ps_args("-o pid=PID").is_ok());
        assert!(validate_ps_args("aux").is_ok());
        let none = parse_ps_output("PID CMD\n1 init\n", &[2]).unwrap();
        assert_eq!(
            serde_json::to_string(&none).unwrap(),
            r#"{"Processes":null,"Titles":["PID","CMD"]}"#
        );
    }
}
