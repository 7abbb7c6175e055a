//! Privileged: a fork bomb inside a pids-limited cgroup hits the limit and stays there, and
//! killing the cgroup leaves nothing behind.

mod common;

use ch06_cgroups::Resources;
use common::{TestCgroup, eventually};

const LIMIT: u64 = 16;

#[test]
fn a_fork_bomb_is_contained_and_cleaned_up() {
    let Some(mut t) = TestCgroup::create("forkbomb") else {
        return;
    };
    t.cg.apply(&Resources {
        pids_limit: Some(LIMIT as i64),
        ..Default::default()
    })
    .unwrap();
    // The classic: every call starts two more in the background, forever.
    t.spawn("bomb() { bomb | bomb & }; bomb; wait");

    // The limit is reached and forks are being refused...
    assert!(eventually(|| {
        let s = t.cg.stats().unwrap();
        s.pids
            .refused_forks
            .map_or(s.pids.current >= LIMIT - 2, |n| n > 0)
    }));
    // ...and the count never goes above it.
    for _ in 0..20 {
        let current = t.cg.stats().unwrap().pids.current;
        assert!(current <= LIMIT, "{current} processes with a limit of {LIMIT}");
        assert!(t.cg.pids().unwrap().len() as u64 <= LIMIT);
    }

    // Killing wins against the bomb: the freezer stops it from forking between rounds.
    t.cg.kill_all().unwrap();
    assert!(t.cg.pids().unwrap().is_empty());
    // (pids.current may stay up for a while: a killed task is uncharged only when reaped, and
    // the bomb's orphans are reaped by the host's init whenever it gets to it. Zombies do not
    // keep the cgroup from being removed.)
    t.cg.remove().unwrap();
    for dir in t.cg.dirs() {
        assert!(!dir.exists(), "{}", dir.display());
    }
}
