//! Running the tests in the lab VM (`vm/run`, the lean image): built here, run there.
//!
//! The VM has no Rust, but it sees the workspace at the same path as this machine, so the
//! checker runs *itself* inside it:
//!
//! ```text
//!  host: labs/check 01                            VM (vm/run, lean image, as root)
//!   build_batch: cargo test --no-run ─┐
//!   vm/run -- target/debug/lab-checker --vm-guest PLAN
//!                                     └────────▶ guest(): run_batch for each batch,
//!   one Report per batch, JSON lines ◀────────── one JSON line on stdout as each ends
//!   the same report as --host                    (progress and test stderr: on stderr)
//! ```
//!
//! `run_batch` is the same function `--host` calls, so the idle timeout, the outcomes and
//! what the checker prints do not depend on where the tests ran. The VM boots once per
//! `labs/check`, whatever the number of labs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::run::{Batch, Outcome, run_batch};

/// The image the tests run in: the lean one boots in seconds and has what they need.
const IMAGE: &str = "lean";

/// The VM's time limit, boot included, is this plus the idle timeout per test binary: a safety
/// net for a VM that hangs; the idle timeout inside still stops a test that does.
const VM_TIME_BASE: Duration = Duration::from_secs(600);

/// The checker's first argument when it runs inside the VM (`--vm-guest PLAN`).
pub const GUEST_FLAG: &str = "--vm-guest";

/// What the host hands the checker in the VM, as one JSON argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// How long a test may stay silent, in seconds.
    pub idle_secs: u64,
    pub batches: Vec<Batch>,
}

/// One line of the guest's stdout: what became of one batch (by its index in the plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    Ran {
        batch: usize,
        outcomes: BTreeMap<String, Outcome>,
    },
    /// The batch could not be run at all (a binary that does not start, say).
    Error { batch: usize, error: String },
}

/// Fails, saying what to do, unless `vm/run` can boot the lab VM and run the checker there:
/// QEMU is installed, the image is built and the checker is in the workspace, which is all the
/// VM sees. It never builds the image: that needs root, apt and a minute or two.
pub fn check_ready(workspace: &Path) -> Result<()> {
    let or_host = "or run the tests on this machine: add --host (as root for the privileged ones)";
    if find_in_path("qemu-system-x86_64").is_none() {
        bail!(
            "the lab VM needs QEMU, and there is no qemu-system-x86_64 on the PATH\n  \
             install it: sudo apt-get install qemu-system-x86\n  {or_host}"
        );
    }
    let build = Command::new(workspace.join("vm/build"))
        .args(["--print", "--cached", IMAGE])
        .stdin(Stdio::null())
        .output()
        .context("running vm/build")?;
    if !build.status.success() {
        let said = String::from_utf8_lossy(&build.stderr);
        let said = said.trim().trim_start_matches("vm/build: ");
        bail!(
            "the lab VM is not ready: {said}\n  build it once, as root: sudo vm/build {IMAGE}\n  {or_host}"
        );
    }
    in_workspace(
        workspace,
        &std::env::current_exe().context("finding the checker's binary")?,
    )
}

/// Fails unless `path` is in the workspace, the one directory of this machine the VM sees.
fn in_workspace(workspace: &Path, path: &Path) -> Result<()> {
    if !path.starts_with(workspace) {
        bail!(
            "{} is outside the workspace, which is all the lab VM sees (is CARGO_TARGET_DIR \
             elsewhere?): unset CARGO_TARGET_DIR, or add --host",
            path.display()
        );
    }
    Ok(())
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Runs `batches` in one boot of the lab VM: one outcome map per batch, in order.
pub fn run_batches(
    workspace: &Path,
    batches: &[Batch],
    idle: Duration,
) -> Result<Vec<BTreeMap<String, Outcome>>> {
    let checker = std::env::current_exe().context("finding the checker's binary")?;
    for binary in batches.iter().flat_map(|b| &b.binaries) {
        in_workspace(workspace, &binary.path)?;
    }
    let plan = Plan {
        idle_secs: idle.as_secs(),
        batches: batches.to_vec(),
    };
    let binaries: u32 = batches
        .iter()
        .map(|b| b.binaries.len())
        .sum::<usize>()
        .try_into()?;
    let limit = VM_TIME_BASE + idle * binaries;

    eprintln!("booting the lab VM (vm/run, {IMAGE} image)…");
    let mut vm = Command::new(workspace.join("vm/run"))
        // --times: how long the boot and the tests took, and whether under KVM or TCG.
        .args([
            "--image",
            IMAGE,
            "--times",
            "--timeout",
            &limit.as_secs().to_string(),
            "-w",
        ])
        .arg(workspace)
        .arg("--")
        .arg(&checker)
        .arg(GUEST_FLAG)
        .arg(serde_json::to_string(&plan)?)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context("running vm/run")?;
    let stdout = vm.stdout.take().context("vm/run's stdout")?;
    let mut results: Vec<Option<Result<BTreeMap<String, Outcome>, String>>> = vec![None; batches.len()];
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading vm/run's output")?;
        match serde_json::from_str::<Report>(&line) {
            Ok(report) => {
                let (batch, result) = match report {
                    Report::Ran { batch, outcomes } => (batch, Ok(outcomes)),
                    Report::Error { batch, error } => (batch, Err(error)),
                };
                if let Some(slot) = results.get_mut(batch) {
                    *slot = Some(result);
                }
            }
            // Not ours (nothing else should write there): pass it on rather than lose it.
            Err(_) => eprintln!("{line}"),
        }
    }
    let status = vm.wait().context("waiting for vm/run")?;
    match status.code() {
        Some(0) => {}
        Some(124) => bail!(
            "the lab VM ran out of time ({} s) and was killed",
            limit.as_secs()
        ),
        Some(125) => bail!("the lab VM failed: vm/run says why above"),
        _ => bail!("vm/run, or the checker inside the lab VM, failed ({status}): see above"),
    }
    let mut all = Vec::new();
    for (batch, result) in batches.iter().zip(results) {
        match result {
            Some(Ok(outcomes)) => all.push(outcomes),
            Some(Err(error)) => bail!("running the tests of {} in the lab VM: {error}", batch.label),
            None => bail!("the lab VM never reported the tests of {}", batch.label),
        }
    }
    Ok(all)
}

/// The checker inside the VM: runs the plan's batches and writes one JSON [`Report`] line per
/// batch on stdout, as each ends.
pub fn guest(plan: &str) -> Result<()> {
    let plan: Plan = serde_json::from_str(plan).context("reading the plan from labs/check")?;
    let idle = Duration::from_secs(plan.idle_secs.max(1));
    let mut stdout = std::io::stdout().lock();
    for (batch, tests) in plan.batches.iter().enumerate() {
        let report = match run_batch(tests, idle) {
            Ok(outcomes) => Report::Ran { batch, outcomes },
            Err(err) => Report::Error {
                batch,
                error: format!("{err:#}"),
            },
        };
        writeln!(stdout, "{}", serde_json::to_string(&report)?)?;
        stdout.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::TestBinary;

    #[test]
    fn a_plan_survives_the_trip_into_the_vm() {
        let plan = Plan {
            idle_secs: 120,
            batches: vec![Batch {
                label: "labs/01-process (reference)".to_string(),
                dir: PathBuf::from("/work/labs/01-process"),
                binaries: vec![TestBinary {
                    path: PathBuf::from("/work/target/debug/deps/ex1_exit_status-0123"),
                    tests: vec!["ex1_a".to_string(), "ex1_b".to_string()],
                }],
            }],
        };
        let text = serde_json::to_string(&plan).unwrap();
        assert_eq!(serde_json::from_str::<Plan>(&text).unwrap(), plan);
        assert!(!text.contains('\n'), "one argument, one line: {text}");
    }

    #[test]
    fn reports_are_one_json_line_each_and_read_back() {
        let outcomes: BTreeMap<String, Outcome> = [
            ("ex1_a", Outcome::Passed),
            ("ex1_b", Outcome::Failed("panicked\nat src/x.rs:3:5".to_string())),
            ("ex2_c", Outcome::Ignored),
            ("ex2_d", Outcome::Skipped),
        ]
        .into_iter()
        .map(|(name, outcome)| (name.to_string(), outcome))
        .collect();
        let ran = Report::Ran { batch: 3, outcomes };
        let line = serde_json::to_string(&ran).unwrap();
        assert!(!line.contains('\n'), "{line}");
        assert!(line.starts_with(r#"{"ran":{"batch":3,"#), "{line}");
        assert_eq!(serde_json::from_str::<Report>(&line).unwrap(), ran);

        let error = Report::Error {
            batch: 0,
            error: "running /x: No such file or directory".to_string(),
        };
        let line = serde_json::to_string(&error).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&line).unwrap(), error);
    }

    #[test]
    fn other_output_is_not_taken_for_a_report() {
        for line in ["", "running the tests of labs/01-process…", "{\"batch\":1}", "{}"] {
            assert!(serde_json::from_str::<Report>(line).is_err(), "{line}");
        }
    }
}
