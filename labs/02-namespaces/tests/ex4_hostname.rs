//! ex4: `validate_hostname`, the check `set_hostname` makes before sethostname(2).

mod common;

use lab02_namespaces::{NamespaceError, set_hostname, validate_hostname};

#[test]
fn ex4_ordinary_names_are_accepted() {
    let longest_label = "x".repeat(63);
    let longest_name = format!("{}.{}", "x".repeat(32), "y".repeat(31));
    for name in [
        "web1",
        "a",
        "0",
        "my-host.example.com",
        "A-1.b-2",
        &longest_label,
        &longest_name,
    ] {
        if let Err(err) = validate_hostname(name) {
            panic!("{name:?} must be accepted: {err}");
        }
    }
}

#[test]
fn ex4_names_that_would_break_dns_are_rejected() {
    let long_label = "x".repeat(64);
    let long_name = format!("{}.{}", "x".repeat(32), "y".repeat(32));
    for name in [
        "",
        "-web",
        "web-",
        "a..b",
        ".a",
        "a.",
        "under_score",
        "sp ace",
        "héte",
        &long_label,
        &long_name,
    ] {
        match validate_hostname(name) {
            Err(NamespaceError::InvalidHostname { name: named, .. }) => assert_eq!(named, name),
            other => panic!("{name:?} must be rejected with InvalidHostname, got {other:?}"),
        }
    }
}

#[test]
fn ex4_the_message_is_dockers() {
    let err = validate_hostname("bad_name").expect_err("an underscore is not allowed");
    assert_eq!(err.to_string(), "invalid hostname format: bad_name");
}

#[test]
fn ex4_the_kernel_takes_every_name_validate_accepts() {
    if !common::is_root("ex4_the_kernel_takes_every_name_validate_accepts") {
        return;
    }
    let host = nix::unistd::gethostname().expect("gethostname");
    let longest = format!("{}.{}", "x".repeat(32), "y".repeat(31));
    let too_long = format!("{longest}z");
    let mut child = common::spawn(move |side| {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWUTS)?;
        for name in ["lab-02.example", longest.as_str()] {
            validate_hostname(name)?;
            set_hostname(name)?;
            side.send(&nix::unistd::gethostname()?.to_string_lossy())?;
        }
        // One byte more: validate_hostname refuses it, and so does the kernel.
        let refused = validate_hostname(&too_long).is_err() && set_hostname(&too_long).is_err();
        side.send(&format!("65 bytes refused: {refused}"))?;
        Ok(())
    });
    assert_eq!(common::expect_line(&mut child), "lab-02.example");
    assert_eq!(common::expect_line(&mut child).len(), 64);
    assert_eq!(common::expect_line(&mut child), "65 bytes refused: true");
    common::expect_success(child);
    assert_eq!(
        nix::unistd::gethostname().expect("gethostname"),
        host,
        "the host kept its name"
    );
}
