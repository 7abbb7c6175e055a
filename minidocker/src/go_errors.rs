//! System errors in Go's words, as Docker prints them: `open /x: no such file or directory`,
//! where Rust would say `No such file or directory (os error 2)`. Go's `syscall.Errno` text is
//! the C library's `strerror(3)` in lower case.

use nix::errno::Errno;

/// The text Go gives `errno` (`no such file or directory`).
pub fn errno_text(errno: Errno) -> String {
    errno.desc().to_lowercase()
}

/// The text Go gives an I/O error: its errno's when it has one, else the error's own.
pub fn io_error_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => errno_text(Errno::from_raw(errno)),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_go_prints_them() {
        assert_eq!(errno_text(Errno::ENOENT), "no such file or directory");
        let missing = std::fs::read("/nonexistent/minidocker").unwrap_err();
        assert_eq!(io_error_text(&missing), "no such file or directory");
        let other = std::io::Error::other("broken pipe in a test");
        assert_eq!(io_error_text(&other), "broken pipe in a test");
    }
}
