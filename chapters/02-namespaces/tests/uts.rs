//! A hostname set in a new UTS namespace stays there.

mod common;

use ch02_namespaces::{Namespace, same_namespace, set_hostname, unshare};
use nix::unistd::{Pid, gethostname};

fn hostname() -> String {
    gethostname().expect("gethostname").to_string_lossy().into_owned()
}

#[test]
fn hostname_set_after_unshare_uts_is_not_visible_to_the_parent() {
    if !common::is_root("hostname_set_after_unshare_uts_is_not_visible_to_the_parent") {
        return;
    }
    let before = hostname();
    let name = format!("ch02-uts-{}", std::process::id());
    let wanted = name.clone();
    let mut child = common::spawn(move |side| {
        unshare(&[Namespace::Uts])?;
        set_hostname(&wanted)?;
        let now = gethostname().map(|h| h.to_string_lossy().into_owned());
        side.send(&now.unwrap_or_default())?;
        Ok(side.wait_for_parent()?)
    });

    assert_eq!(
        common::expect_line(&mut child),
        name,
        "the child sees its new name"
    );
    assert_eq!(hostname(), before, "the host keeps its name while the child runs");
    assert_ne!(hostname(), name);
    let in_same_uts = same_namespace(Pid::this(), child.pid(), Namespace::Uts).expect("compare");
    assert!(!in_same_uts, "the child has its own uts namespace");
    common::expect_success(child);
    assert_eq!(hostname(), before, "and after it exited");
}

#[test]
fn set_hostname_takes_what_the_kernel_takes() {
    if !common::is_root("set_hostname_takes_what_the_kernel_takes") {
        return;
    }
    // In a child with its own uts namespace, so the host's name is never touched.
    let mut child = common::spawn(|side| {
        unshare(&[Namespace::Uts])?;
        // Docker accepts any name the kernel does, even one that is not a valid DNS name.
        set_hostname("bad host!")?;
        let now = gethostname().map(|h| h.to_string_lossy().into_owned());
        side.send(&format!("{now:?}"))?;
        // 65 bytes is over HOST_NAME_MAX: the kernel refuses and nothing changes.
        let result = set_hostname(&"a".repeat(65));
        let after = gethostname().map(|h| h.to_string_lossy().into_owned());
        match result {
            Ok(()) => side.send("accepted")?,
            Err(e) => side.send(&format!("{e} / unchanged: {}", after == now))?,
        }
        Ok(())
    });
    assert_eq!(common::expect_line(&mut child), "Ok(\"bad host!\")");
    let report = common::expect_line(&mut child);
    assert!(
        report.contains("EINVAL") && report.ends_with("/ unchanged: true"),
        "{report}"
    );
    common::expect_success(child);
}
