//! `cargo run -p minidocker-e2e --bin leak-check`: lists what minidocker tests left on the host
//! (mounts, container processes, the harness's data roots) and exits 1 if anything is left.
//! See `minidocker_e2e::leaks` for what counts. With nothing left, it removes the (empty)
//! `minidocker` cgroup parents the tests' engines made under its own cgroup.

fn main() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "leak-check: not root: other users' processes cannot be inspected, the process check is partial"
        );
    }
    let leaks = minidocker_e2e::leaks::scan();
    if leaks.is_empty() {
        for parent in minidocker_e2e::leaks::remove_empty_cgroup_parents() {
            println!("leak-check: removed the empty cgroup parent {}", parent.display());
        }
        println!("leak-check: nothing left behind");
        return;
    }
    for leak in &leaks {
        println!("{leak}");
    }
    println!("leak-check: {} thing(s) left behind", leaks.len());
    std::process::exit(1);
}
