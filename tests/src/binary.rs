//! Where the `minidocker` binary under test is.
//!
//! `MINIDOCKER_BIN` wins; otherwise the binary built next to this test binary:
//! test binaries live in `target/<profile>/deps/`, `leak-check` in `target/<profile>/`, and
//! `cargo build -p minidocker` puts `minidocker` in `target/<profile>/`.
//! Cargo does not rebuild `minidocker` for `cargo test -p minidocker-e2e`: build it first.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The environment variable naming the binary to test.
pub const BIN_ENV: &str = "MINIDOCKER_BIN";

/// The path of the `minidocker` binary; panics with what to do when it is missing.
pub fn minidocker_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| match locate() {
        Ok(path) => path,
        Err(problem) => panic!("{problem}"),
    })
}

fn locate() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os(BIN_ENV) {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("{BIN_ENV}={} is not a file", bin.display()))
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the test binary: {e}"))?;
    let candidate = profile_dir_of(&exe).join("minidocker");
    if candidate.is_file() {
        Ok(candidate)
    } else {
        Err(format!(
            "minidocker binary not found at {}: run `cargo build -p minidocker` first \
             (or set {BIN_ENV}=/path/to/minidocker)",
            candidate.display()
        ))
    }
}

/// `target/<profile>` for a binary in `target/<profile>/deps/` or `target/<profile>/`.
fn profile_dir_of(exe: &Path) -> PathBuf {
    let dir = exe.parent().unwrap_or(Path::new("."));
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().unwrap_or(dir).to_owned()
    } else {
        dir.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_binaries_and_bins_map_to_the_profile_dir() {
        assert_eq!(
            profile_dir_of(Path::new("/t/debug/deps/run-0123abcd")),
            Path::new("/t/debug")
        );
        assert_eq!(
            profile_dir_of(Path::new("/t/release/leak-check")),
            Path::new("/t/release")
        );
    }
}
