//! Root or skip: a non-root `cargo test` reports these tests as passed, with a message saying
//! why nothing was checked.

/// Why the end-to-end tests need root.
pub const WHY: &str = "minidocker run creates namespaces, mounts and pivot_root";

/// True when running as root. Otherwise prints `skipped: needs root (...)` with the test's name
/// and returns false: the caller should return at once.
pub fn require_root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("this test");
    eprintln!("skipped: needs root ({WHY}): {test}");
    false
}

/// First line of every root test: returns from the test (which then passes) when not root.
///
/// ```text
/// #[test]
/// fn hello() {
///     minidocker_e2e::root_test!();
///     // ... runs only as root
/// }
/// ```
#[macro_export]
macro_rules! root_test {
    () => {
        if !$crate::require_root() {
            return;
        }
    };
}
