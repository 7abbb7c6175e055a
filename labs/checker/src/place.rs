//! Where the tests run: in the lab VM (the default) or on this machine (`--host`).
//!
//! Either way the tests are built here first, every lab and variant a command needs, and only
//! then run: on this machine one batch after the other, or all in one boot of the lab VM.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::run::{Lab, LabRun, Variant, build_batch, run_batch};
use crate::vm;

/// Where the tests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the lab VM, as root, on a cgroup v2 hierarchy (`vm/run`).
    Vm,
    /// On this machine, as the user running the checker.
    Host,
}

/// Builds the tests of each `(lab, variant)`, runs those that compiled at `place`, and returns
/// what became of each, in order. `idle` is how long a test may stay silent.
pub fn run_labs(
    workspace: &Path,
    jobs: &[(&Lab, Variant)],
    place: Place,
    idle: Duration,
) -> Result<Vec<LabRun>> {
    if place == Place::Vm {
        // Before building anything: a learner without the VM learns it at once.
        vm::check_ready(workspace)?;
    }
    let mut built = Vec::new();
    for (lab, variant) in jobs {
        built.push(build_batch(workspace, lab, *variant)?);
    }
    let batches: Vec<_> = built.iter().filter_map(|b| b.as_ref().ok()).cloned().collect();
    let outcomes = match place {
        _ if batches.is_empty() => Vec::new(),
        Place::Vm => vm::run_batches(workspace, &batches, idle)?,
        Place::Host => batches
            .iter()
            .map(|batch| run_batch(batch, idle))
            .collect::<Result<_>>()?,
    };
    let mut outcomes = outcomes.into_iter();
    let mut runs = Vec::new();
    for result in built {
        runs.push(match result {
            Err(compiler_output) => LabRun::DidNotCompile(compiler_output),
            Ok(batch) => match outcomes.next() {
                Some(outcomes) => LabRun::Ran(outcomes),
                None => bail!("no outcomes for {}", batch.label),
            },
        });
    }
    Ok(runs)
}
