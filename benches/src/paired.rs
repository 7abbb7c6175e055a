//! Paired measurements: ours and the floor, run alternately, so their ratio survives a busy
//! machine.
//!
//! Criterion measures one benchmark after the other: `ours/N` for a few seconds, then `raw/N`.
//! On a shared 2-core VM, load that starts or stops in between lands on one of them only, and
//! a ratio of two such means can be off by ±30%. So the comparison benchmarks also run a short
//! paired pass before criterion's: `a` then `b`, `b` then `a`, … (the order alternates, so
//! neither always runs on a warm cache), and each pair gives one ratio `a / b` taken a moment
//! apart. The median of those ratios (with its 10th and 90th percentiles), and the medians of
//! each side, go to `target/criterion/<group>/paired.json`, where `benches/report` reads them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The times of `reps` alternating runs of two sides.
#[derive(Debug, Clone, Default)]
pub struct Paired {
    /// Nanoseconds per run of the first side, in run order.
    pub a: Vec<f64>,
    /// Nanoseconds per run of the second side, in run order (`b[i]` ran next to `a[i]`).
    pub b: Vec<f64>,
}

impl Paired {
    /// Run `a` and `b` alternately `reps` times each (`a b`, `b a`, `a b`, …); each returns
    /// the time it wants counted.
    pub fn measure(reps: usize, mut a: impl FnMut() -> Duration, mut b: impl FnMut() -> Duration) -> Paired {
        let mut out = Paired::default();
        for i in 0..reps {
            let ns = |d: Duration| d.as_secs_f64() * 1e9;
            if i % 2 == 0 {
                out.a.push(ns(a()));
                out.b.push(ns(b()));
            } else {
                out.b.push(ns(b()));
                out.a.push(ns(a()));
            }
        }
        out
    }

    /// Median of the per-pair ratios `a / b`.
    pub fn ratio(&self) -> f64 {
        median(self.ratios())
    }

    fn ratios(&self) -> Vec<f64> {
        self.a.iter().zip(&self.b).map(|(a, b)| a / b).collect()
    }

    /// Median of the per-pair differences `a - b`, in nanoseconds: what `a` adds to `b`.
    pub fn difference(&self) -> f64 {
        median(self.differences())
    }

    fn differences(&self) -> Vec<f64> {
        self.a.iter().zip(&self.b).map(|(a, b)| a - b).collect()
    }

    /// 10th, 50th and 90th percentile (nearest rank) of `values`.
    pub fn percentiles(values: &[f64]) -> [f64; 3] {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return [f64::NAN; 3];
        }
        [0.1, 0.5, 0.9].map(|q| sorted[((sorted.len() - 1) as f64 * q).round() as usize])
    }

    fn to_json(&self) -> serde_json::Value {
        let [p10, _, p90] = Paired::percentiles(&self.ratios());
        let [d10, _, d90] = Paired::percentiles(&self.differences());
        serde_json::json!({
            "a": summary(&self.a),
            "b": summary(&self.b),
            "ratio": self.ratio(),
            "ratio_p10": p10,
            "ratio_p90": p90,
            "difference_ns": self.difference(),
            "difference_p10_ns": d10,
            "difference_p90_ns": d90,
        })
    }
}

/// More than two ways, run in turn: `rounds` rounds, each running every way once, in an order
/// shuffled anew each round (a fixed seed: the same orders every run). None always runs first
/// or last, and none always runs right after the same other one: a way that leaves work
/// behind when it returns (dockerd and containerd go on for a while after `docker run`) slows
/// whichever way runs next, and a fixed rotation (`a b c`, `b c a`, `c a b`) puts the same
/// way after it every time. Returns each way's times (nanoseconds), in round order:
/// `times[w][r]` ran in round `r` next to `times[v][r]`.
pub fn interleave(rounds: usize, ways: &mut [&mut dyn FnMut() -> Duration]) -> Vec<Vec<f64>> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let n = ways.len();
    let mut times = vec![Vec::with_capacity(rounds); n];
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x6d69_6e69);
    let mut order: Vec<usize> = (0..n).collect();
    for _ in 0..rounds {
        order.shuffle(&mut rng);
        for &way in &order {
            times[way].push(ways[way]().as_secs_f64() * 1e9);
        }
    }
    times
}

/// `{"median", "p10", "p90"}` of the per-round ratios `a[r] / b[r]`.
pub fn ratio_summary(a: &[f64], b: &[f64]) -> serde_json::Value {
    let ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
    let [p10, _, p90] = Paired::percentiles(&ratios);
    serde_json::json!({ "median": median(ratios), "p10": p10, "p90": p90 })
}

/// `{"median_ns", "p10_ns", "p90_ns", "runs"}` of times in nanoseconds, as `paired.json`
/// has them.
pub fn summary(values: &[f64]) -> serde_json::Value {
    let [p10, _, p90] = Paired::percentiles(values);
    serde_json::json!({
        "median_ns": median(values.to_vec()),
        "p10_ns": p10,
        "p90_ns": p90,
        "runs": values.len(),
    })
}

/// The median (the mean of the middle two for an even count; NaN for none).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The paired results of one criterion group, by case (`"32"`, `"generated.tar"`, …).
#[derive(Debug)]
pub struct PairedReport {
    group: String,
    a: String,
    b: String,
    cases: BTreeMap<String, Paired>,
    /// Times of parts of a run, by case and part name (see [`PairedReport::add_part`]).
    parts: BTreeMap<String, BTreeMap<String, Vec<f64>>>,
}

impl PairedReport {
    /// `a` and `b` name the two sides as the criterion benchmarks do (`ours_legacy`, `raw_mount`).
    pub fn new(group: &str, a: &str, b: &str) -> PairedReport {
        PairedReport {
            group: group.to_owned(),
            a: a.to_owned(),
            b: b.to_owned(),
            cases: BTreeMap::new(),
            parts: BTreeMap::new(),
        }
    }

    /// Record the times (nanoseconds) of one part of the runs of `case` (`"a.connect"`, …),
    /// written as `cases.<case>.parts.<part>` with their median and 10th/90th percentiles.
    pub fn add_part(&mut self, case: &str, part: &str, ns: Vec<f64>) {
        self.parts
            .entry(case.to_owned())
            .or_default()
            .insert(part.to_owned(), ns);
    }

    /// Record `paired` for `case` and print one line about it.
    pub fn add(&mut self, case: &str, paired: Paired) {
        let side = |v: &[f64]| Duration::from_secs_f64(median(v.to_vec()) / 1e9);
        let difference = paired.difference();
        eprintln!(
            "{}: paired {case}: {} {:?}, {} {:?}, {} / {} = {:.2}, {} - {} = {}{:?} ({} pairs)",
            self.group,
            self.a,
            side(&paired.a),
            self.b,
            side(&paired.b),
            self.a,
            self.b,
            paired.ratio(),
            self.a,
            self.b,
            if difference < 0.0 { "-" } else { "" },
            Duration::from_secs_f64(difference.abs() / 1e9),
            paired.a.len()
        );
        self.cases.insert(case.to_owned(), paired);
    }

    /// Write `<criterion dir>/<group>/paired.json`.
    pub fn write(&self) -> std::io::Result<PathBuf> {
        let dir = criterion_dir().join(&self.group);
        std::fs::create_dir_all(&dir)?;
        let cases: serde_json::Map<String, serde_json::Value> = self
            .cases
            .iter()
            .map(|(case, paired)| {
                let mut json = paired.to_json();
                if let Some(parts) = self.parts.get(case) {
                    let parts: serde_json::Map<String, serde_json::Value> = parts
                        .iter()
                        .map(|(part, ns)| (part.clone(), summary(ns)))
                        .collect();
                    json["parts"] = parts.into();
                }
                (case.clone(), json)
            })
            .collect();
        let json = serde_json::json!({ "a": self.a, "b": self.b, "cases": cases });
        let path = dir.join("paired.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&json)?)?;
        Ok(path)
    }
}

/// Where criterion writes: `$CRITERION_HOME`, else `<target dir>/criterion`, the target dir
/// being `$CARGO_TARGET_DIR` or the one this bench binary was built in
/// (`<target>/release/deps/<bench>`).
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|t| t.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratio_is_the_median_of_the_pairs() {
        let paired = Paired {
            a: vec![110.0, 220.0, 1000.0],
            b: vec![100.0, 200.0, 100.0],
        };
        assert!(
            (paired.ratio() - 1.1).abs() < 1e-9,
            "one outlier pair does not move it"
        );
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(
            (paired.difference() - 20.0).abs() < 1e-9,
            "the median of 10, 20 and 900"
        );
    }

    #[test]
    fn interleaved_rounds_run_every_way_once_and_vary_who_runs_after_whom() {
        let order = std::cell::RefCell::new(String::new());
        let way = |c: char| {
            let order = &order;
            move || {
                order.borrow_mut().push(c);
                Duration::from_micros(1)
            }
        };
        let (mut a, mut b, mut c, mut d) = (way('a'), way('b'), way('c'), way('d'));
        let rounds = 120;
        let times = interleave(rounds, &mut [&mut a, &mut b, &mut c, &mut d]);
        assert!(times.iter().all(|t| t.len() == rounds));
        let order: Vec<char> = order.into_inner().chars().collect();
        for round in order.chunks(4) {
            let mut sorted = round.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, ['a', 'b', 'c', 'd'], "each way once per round");
        }
        // who runs right before whom, across rounds too: 479 pairs, ~40 per ordered pair of
        // different ways (a rotation gives 120 to `d` before `a` and none to `c` before `a`)
        let mut before = std::collections::BTreeMap::new();
        for pair in order.windows(2) {
            *before.entry((pair[0], pair[1])).or_insert(0) += 1;
        }
        for x in ['a', 'b', 'c', 'd'] {
            for y in ['a', 'b', 'c', 'd'].into_iter().filter(|y| *y != x) {
                let count = before.get(&(x, y)).copied().unwrap_or(0);
                assert!(
                    (20..=60).contains(&count),
                    "{x} ran right before {y} {count} times: {before:?}"
                );
            }
        }
        let first: std::collections::BTreeSet<char> = order.chunks(4).map(|r| r[0]).collect();
        assert_eq!(first.len(), 4, "every way runs first in some round");
        let ratio = ratio_summary(&[2.0, 4.0, 9.0], &[1.0, 2.0, 3.0]);
        assert_eq!(ratio["median"], 2.0);
    }

    #[test]
    fn runs_alternate_and_are_all_recorded() {
        let order = std::cell::RefCell::new(String::new());
        let paired = Paired::measure(
            3,
            || {
                order.borrow_mut().push('a');
                Duration::from_micros(2)
            },
            || {
                order.borrow_mut().push('b');
                Duration::from_micros(1)
            },
        );
        assert_eq!(order.into_inner(), "abbaab");
        assert_eq!((paired.a.len(), paired.b.len()), (3, 3));
        assert!((paired.ratio() - 2.0).abs() < 1e-9);
    }
}
