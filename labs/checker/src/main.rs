//! `labs/check`: runs a lab's tests and says, per exercise, whether it is done.
//!
//! * `labs/check 01` — one line per exercise of lab 01, then the hint of the first one that
//!   is not done; exit status 0 only when every exercise passes.
//! * `labs/check --all` — a table of every lab.
//! * `labs/check --verify` — for lab authors and CI: every test must fail on the skeleton
//!   and pass on the reference (the chapter's own files), so no test is vacuous.
//!
//! The tests are built on this machine and run in the lab VM (`vm/run`), as root on a cgroup
//! v2 hierarchy; `--host` runs them here instead. The report is the same either way.
//!
//! A test belongs to the exercise its name starts with (`ex2_forwards_sigterm` is `ex2`);
//! titles and hints come from the lab's `hints.toml`.

mod hints;
mod libtest;
mod place;
mod run;
mod vm;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{ArgGroup, Parser};

use crate::hints::{Exercise, is_exercise_id};
use crate::place::{Place, run_labs};
use crate::run::{Lab, LabRun, Outcome, Variant, discover_labs};

#[derive(Debug, Parser)]
#[command(
    name = "labs/check",
    bin_name = "labs/check",
    about = "Check your work on a lab: runs its tests and reports each exercise",
    group(ArgGroup::new("what").required(true).args(["lab", "all", "verify"])),
    after_help = "Examples:\n  labs/check 01          lab 01: one line per exercise, then a hint\n  \
                  labs/check 01 --host   the same, the tests run on this machine\n  \
                  labs/check --all       every lab in a table\n  \
                  labs/check --verify    every test fails on the skeleton and passes on the reference\n\n\
                  The tests are built on this machine, then run in the lab VM (vm/run, lean image: \
                  a few seconds to boot), as root, on a cgroup v2 hierarchy; one boot per labs/check. \
                  The VM's image must be built once: sudo vm/build lean. With --host the tests run \
                  here, as the user you are: the privileged ones are skipped unless you are root."
)]
struct Cli {
    /// The lab to check: `01`, `1` or `01-process`.
    lab: Option<String>,

    /// Check every lab and print a table.
    #[arg(long)]
    all: bool,

    /// Prove no lab test is vacuous: each must fail on the skeleton and pass on the reference.
    #[arg(long)]
    verify: bool,

    /// Run the tests on this machine instead of the lab VM (as root for the privileged ones).
    #[arg(long)]
    host: bool,

    /// Check the chapter's reference files instead of yours (for lab authors).
    #[arg(long, requires = "lab")]
    reference: bool,

    /// Kill a test that prints nothing for this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    timeout: u64,
}

fn main() -> ExitCode {
    // Inside the lab VM, `labs/check` runs this binary as `lab-checker --vm-guest PLAN`: not a
    // command for people, so not part of the command line `--help` describes.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, plan] if flag == vm::GUEST_FLAG => vm::guest(plan).map(|()| true),
        _ => run(&Cli::parse()),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("labs/check: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// The labs directory (this crate lives in `labs/checker`) and the workspace root above it.
fn paths() -> Result<(PathBuf, PathBuf)> {
    let labs = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let labs = labs.canonicalize().unwrap_or(labs);
    let Some(workspace) = labs.parent().map(Path::to_path_buf) else {
        bail!("{} has no parent directory", labs.display());
    };
    Ok((labs, workspace))
}

/// Runs what the command line asks; `Ok(true)` when everything passed.
fn run(cli: &Cli) -> Result<bool> {
    let (labs_dir, workspace) = paths()?;
    let labs = discover_labs(&labs_dir)?;
    if labs.is_empty() {
        bail!("no labs found in {}", labs_dir.display());
    }
    let idle = Duration::from_secs(cli.timeout.max(1));
    let place = if cli.host { Place::Host } else { Place::Vm };
    let ctx = Context {
        workspace,
        idle,
        place,
    };
    if cli.verify {
        return verify(&ctx, &labs);
    }
    if cli.all {
        return check_all(&ctx, &labs);
    }
    let Some(wanted) = cli.lab.as_deref() else {
        bail!("name a lab, or use --all or --verify");
    };
    let Some(lab) = labs.iter().find(|lab| matches_lab(lab, wanted)) else {
        let known: Vec<&str> = labs.iter().map(|l| l.dir_name.as_str()).collect();
        bail!("no lab {wanted:?}; the labs are {}", known.join(", "));
    };
    let variant = if cli.reference {
        Variant::Reference
    } else {
        Variant::Skeleton
    };
    check_one(&ctx, lab, variant)
}

#[derive(Debug)]
struct Context {
    workspace: PathBuf,
    idle: Duration,
    place: Place,
}

impl Context {
    /// Builds and runs the tests of each `(lab, variant)`, wherever this run puts them.
    fn run(&self, jobs: &[(&Lab, Variant)]) -> Result<Vec<LabRun>> {
        run_labs(&self.workspace, jobs, self.place, self.idle)
    }
}

/// `01`, `1`, `01-process` and `process` all name lab `01-process`.
fn matches_lab(lab: &Lab, wanted: &str) -> bool {
    let wanted = wanted.trim_end_matches('/');
    let wanted = wanted.strip_prefix("labs/").unwrap_or(wanted);
    let number = wanted.parse::<u32>().ok();
    lab.dir_name == wanted
        || lab.dir_name.split_once('-').map(|(_, topic)| topic) == Some(wanted)
        || (number.is_some() && lab.id.parse::<u32>().ok() == number)
}

/// One exercise's tests and what became of them.
#[derive(Debug)]
struct ExerciseResult<'a> {
    exercise: &'a Exercise,
    tests: Vec<(&'a str, &'a Outcome)>,
}

impl ExerciseResult<'_> {
    fn count(&self, pred: impl Fn(&Outcome) -> bool) -> usize {
        self.tests.iter().filter(|(_, o)| pred(o)).count()
    }

    fn failing(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
    }

    /// Done: it has tests and none of them failed.
    fn done(&self) -> bool {
        !self.tests.is_empty() && self.failing() == 0
    }

    fn first_failure(&self) -> Option<(&str, &str)> {
        self.tests.iter().find_map(|(name, o)| match o {
            Outcome::Failed(why) => Some((*name, why.as_str())),
            _ => None,
        })
    }
}

/// The exercise a test belongs to: the `exN` its name starts with.
fn exercise_of(test: &str) -> Option<&str> {
    let name = test.rsplit("::").next().unwrap_or(test);
    let (prefix, _) = name.split_once('_')?;
    is_exercise_id(prefix).then_some(prefix)
}

/// Groups outcomes by exercise, in the order of `hints.toml`; also returns the tests that
/// belong to no exercise.
fn group<'a>(
    lab: &'a Lab,
    outcomes: &'a BTreeMap<String, Outcome>,
) -> (Vec<ExerciseResult<'a>>, Vec<&'a str>) {
    let mut results: Vec<ExerciseResult<'a>> = lab
        .hints
        .exercises
        .iter()
        .map(|exercise| ExerciseResult {
            exercise,
            tests: Vec::new(),
        })
        .collect();
    let mut orphans = Vec::new();
    for (name, outcome) in outcomes {
        let slot = exercise_of(name).and_then(|id| results.iter_mut().find(|r| r.exercise.id == id));
        match slot {
            Some(result) => result.tests.push((name.as_str(), outcome)),
            None => orphans.push(name.as_str()),
        }
    }
    (results, orphans)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Prints `text` indented by `indent`, at most `max_lines` lines.
fn print_indented(text: &str, indent: &str, max_lines: usize) {
    let lines: Vec<&str> = text.lines().collect();
    for line in lines.iter().take(max_lines) {
        if line.is_empty() {
            println!();
        } else {
            println!("{indent}{line}");
        }
    }
    if lines.len() > max_lines {
        println!("{indent}… ({} more lines)", lines.len() - max_lines);
    }
}

/// `labs/check NN`.
fn check_one(ctx: &Context, lab: &Lab, variant: Variant) -> Result<bool> {
    let Some(run) = ctx.run(&[(lab, variant)])?.pop() else {
        bail!("no result for labs/{}", lab.dir_name);
    };
    let outcomes = match run {
        LabRun::Ran(outcomes) => outcomes,
        LabRun::DidNotCompile(errors) => {
            println!("lab {}: {} (labs/{})\n", lab.id, lab.hints.title, lab.dir_name);
            println!("✘ the lab does not compile yet. The compiler says:\n");
            println!("{}", errors.trim_end());
            println!(
                "\nFix the first error above, then run labs/check {} again.",
                lab.id
            );
            return Ok(false);
        }
    };
    let (results, orphans) = group(lab, &outcomes);

    println!("lab {}: {} (labs/{})\n", lab.id, lab.hints.title, lab.dir_name);
    for r in &results {
        let (id, title) = (&r.exercise.id, &r.exercise.title);
        let skipped = r.count(|o| *o == Outcome::Skipped);
        if r.tests.is_empty() {
            println!("  ✘ {id} {title} (no tests)");
        } else if r.done() && skipped > 0 {
            let n = plural(skipped, "test");
            println!("  ✔ {id} {title} ({n} skipped)");
        } else if r.done() {
            println!("  ✔ {id} {title}");
        } else {
            let (failing, total) = (r.failing(), r.tests.len());
            let tests = if total == 1 { "test" } else { "tests" };
            println!("  ✘ {id} {title} ({failing} of {total} {tests} failing)");
        }
    }
    let failing_orphans: Vec<&str> = orphans
        .iter()
        .copied()
        .filter(|name| matches!(outcomes.get(*name), Some(Outcome::Failed(_))))
        .collect();
    if !failing_orphans.is_empty() {
        println!("  ✘ tests of no exercise failing: {}", failing_orphans.join(", "));
    }

    let done = results.iter().filter(|r| r.done()).count();
    println!("\n{done} of {} exercises done.", results.len());
    let skipped_total = outcomes.values().filter(|o| **o == Outcome::Skipped).count();
    if skipped_total > 0 {
        println!(
            "{} skipped: they need root, or a program this machine lacks, and a skipped test \
             proves nothing. labs/check without --host runs every test in the lab VM.",
            plural(skipped_total, "test")
        );
    }

    let Some(next) = results.iter().find(|r| !r.done()) else {
        if failing_orphans.is_empty() {
            println!("Every exercise passes. Well done!");
            return Ok(true);
        }
        return Ok(false);
    };
    let e = next.exercise;
    println!("\nnext: {} {} (labs/{}/{})", e.id, e.title, lab.dir_name, e.file);
    if let Some((test, why)) = next.first_failure() {
        println!("first failing test: {test}");
        print_indented(why, "  | ", 12);
    }
    println!("\nhint:");
    print_indented(&e.hint, "  ", usize::MAX);
    Ok(false)
}

/// `labs/check --all`.
fn check_all(ctx: &Context, labs: &[Lab]) -> Result<bool> {
    let jobs: Vec<(&Lab, Variant)> = labs.iter().map(|lab| (lab, Variant::Skeleton)).collect();
    let runs = ctx.run(&jobs)?;
    let mut rows = Vec::new();
    for (lab, run) in labs.iter().zip(runs) {
        let total = lab.hints.exercises.len();
        let row = match run {
            LabRun::DidNotCompile(_) => (format!("-/{total}"), "does not compile", false),
            LabRun::Ran(outcomes) => {
                let (results, _) = group(lab, &outcomes);
                let done = results.iter().filter(|r| r.done()).count();
                let status = match done {
                    0 => "to do",
                    d if d == total => "done",
                    _ => "in progress",
                };
                (format!("{done}/{total}"), status, done == total)
            }
        };
        rows.push((lab.dir_name.clone(), row));
    }
    let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(3).max(3);
    println!("{:width$}  exercises  status", "lab");
    for (name, (count, status, _)) in &rows {
        println!("{name:width$}  {count:9}  {status}");
    }
    println!("\nlabs/check NN shows the exercises of lab NN and a hint.");
    Ok(rows.iter().all(|(_, (_, _, all_done))| *all_done))
}

/// One lab's verification: counts for the table, and every violation found.
#[derive(Debug, Default)]
struct Verdict {
    tests: usize,
    skeleton_failing: usize,
    reference_passing: usize,
    violations: Vec<String>,
}

/// `labs/check --verify`.
fn verify(ctx: &Context, labs: &[Lab]) -> Result<bool> {
    let jobs: Vec<(&Lab, Variant)> = labs
        .iter()
        .flat_map(|lab| [(lab, Variant::Skeleton), (lab, Variant::Reference)])
        .collect();
    let runs = ctx.run(&jobs)?;
    let mut verdicts = Vec::new();
    for (lab, pair) in labs.iter().zip(runs.chunks(2)) {
        let [skeleton, reference] = pair else {
            bail!("no result for labs/{}", lab.dir_name);
        };
        verdicts.push((lab, verify_lab(lab, skeleton, reference)));
    }

    let width = labs.iter().map(|l| l.dir_name.len()).max().unwrap_or(3).max(3);
    println!(
        "{:width$}  exercises  tests  fail on skeleton  pass on reference  result",
        "lab"
    );
    for (lab, v) in &verdicts {
        let result = if v.violations.is_empty() { "ok" } else { "FAILED" };
        println!(
            "{:width$}  {:9}  {:5}  {:16}  {:17}  {result}",
            lab.dir_name,
            lab.hints.exercises.len(),
            v.tests,
            format!("{}/{}", v.skeleton_failing, v.tests),
            format!("{}/{}", v.reference_passing, v.tests),
        );
    }
    let violations: Vec<String> = verdicts
        .iter()
        .flat_map(|(lab, v)| v.violations.iter().map(move |m| format!("{}: {m}", lab.dir_name)))
        .collect();
    if violations.is_empty() {
        println!("\nevery lab test fails on its skeleton and passes on the reference.");
        return Ok(true);
    }
    println!();
    for v in &violations {
        println!("✘ {}", v.replace('\n', "\n    "));
    }
    println!("\n{} found.", plural(violations.len(), "violation"));
    Ok(false)
}

fn verify_lab(lab: &Lab, skeleton: &LabRun, reference: &LabRun) -> Verdict {
    let mut v = Verdict::default();
    let (skeleton, reference) = match (skeleton, reference) {
        (LabRun::Ran(s), LabRun::Ran(r)) => (s, r),
        (s, r) => {
            for (run, what) in [(s, "skeleton"), (r, "reference")] {
                if let LabRun::DidNotCompile(errors) = run {
                    let first: Vec<&str> = errors.lines().take(20).collect();
                    v.violations
                        .push(format!("the {what} does not compile:\n{}", first.join("\n")));
                }
            }
            return v;
        }
    };
    let (results, orphans) = group(lab, reference);
    v.tests = reference.len();
    if reference.is_empty() {
        v.violations.push("no tests at all".to_string());
    }
    for name in orphans {
        v.violations.push(format!(
            "test {name} belongs to no exercise: its name must start with one of the ids \
             of hints.toml (ex1_, ex2_, …)"
        ));
    }
    for r in results.iter().filter(|r| r.tests.is_empty()) {
        v.violations.push(format!(
            "exercise {} ({}) has no test",
            r.exercise.id, r.exercise.title
        ));
    }
    for (name, outcome) in reference {
        match outcome {
            Outcome::Passed => v.reference_passing += 1,
            Outcome::Failed(why) => {
                v.violations
                    .push(format!("{name} fails with the reference:\n{why}"));
            }
            Outcome::Ignored => v.violations.push(format!("{name} is #[ignore]d")),
            Outcome::Skipped => v.violations.push(format!(
                "{name} was skipped (no root, or a program missing): run labs/check --verify in the lab VM"
            )),
        }
        match skeleton.get(name) {
            Some(Outcome::Failed(_)) => v.skeleton_failing += 1,
            Some(Outcome::Passed) => v.violations.push(format!(
                "{name} passes on the skeleton: it does not test what the learner writes"
            )),
            Some(Outcome::Skipped) => v.violations.push(format!(
                "{name} was skipped on the skeleton (no root, or a program missing): run labs/check --verify in the lab VM"
            )),
            Some(Outcome::Ignored) => {} // reported with the reference run
            None => v
                .violations
                .push(format!("{name} does not exist in the skeleton's tests")),
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hints::Hints;

    fn lab() -> Lab {
        let exercise = |id: &str| Exercise {
            id: id.to_string(),
            title: format!("title of {id}"),
            file: "src/x.rs".to_string(),
            hint: "hint".to_string(),
        };
        Lab {
            id: "01".to_string(),
            dir_name: "01-process".to_string(),
            dir: PathBuf::from("labs/01-process"),
            package: "lab01-process".to_string(),
            hints: Hints {
                title: "a process".to_string(),
                exercises: vec![exercise("ex1"), exercise("ex2")],
            },
        }
    }

    #[test]
    fn labs_are_named_by_number_directory_or_topic() {
        let lab = lab();
        for name in ["01", "1", "01-process", "process", "labs/01-process/"] {
            assert!(matches_lab(&lab, name), "{name}");
        }
        for name in ["2", "02", "proc", "01-proc"] {
            assert!(!matches_lab(&lab, name), "{name}");
        }
    }

    #[test]
    fn tests_are_grouped_by_their_prefix() {
        assert_eq!(exercise_of("ex1_exits"), Some("ex1"));
        assert_eq!(exercise_of("module::ex12_x"), Some("ex12"));
        assert_eq!(exercise_of("helper_test"), None);
        assert_eq!(exercise_of("ex_1"), None);
    }

    #[test]
    fn verify_names_each_kind_of_violation() {
        let lab = lab();
        let outcomes = |list: &[(&str, Outcome)]| {
            LabRun::Ran(list.iter().map(|(n, o)| (n.to_string(), o.clone())).collect())
        };
        let failed = || Outcome::Failed("boom".to_string());
        let skeleton = outcomes(&[("ex1_a", failed()), ("ex1_vacuous", Outcome::Passed)]);
        let reference = outcomes(&[
            ("ex1_a", Outcome::Passed),
            ("ex1_vacuous", Outcome::Passed),
            ("ex9_b", Outcome::Passed),
        ]);
        let v = verify_lab(&lab, &skeleton, &reference);
        let text = v.violations.join("\n");
        assert!(text.contains("ex1_vacuous passes on the skeleton"), "{text}");
        assert!(text.contains("ex9_b belongs to no exercise"), "{text}");
        assert!(text.contains("exercise ex2 (title of ex2) has no test"), "{text}");
        assert_eq!((v.tests, v.skeleton_failing, v.reference_passing), (3, 1, 3));

        let good = verify_lab(
            &lab,
            &outcomes(&[("ex1_a", failed()), ("ex2_b", failed())]),
            &outcomes(&[("ex1_a", Outcome::Passed), ("ex2_b", Outcome::Passed)]),
        );
        assert!(good.violations.is_empty(), "{:?}", good.violations);
    }
}
