//! The container's environment, assembled the way Docker does.

use ch03_rootfs::process::DEFAULT_PATH;

/// Docker's `-e` check: a variable needs a name (`=bar` and `` are refused).
pub fn validate_env_flag(value: &str) -> Result<(), String> {
    if value.is_empty() || value.starts_with('=') {
        return Err(format!(
            "invalid argument \"{value}\" for \"-e, --env\" flag: invalid environment variable: {value}"
        ));
    }
    Ok(())
}

/// `-e NAME` without `=` takes NAME's value from minidocker's own environment, or is dropped.
pub fn expand_env_flag(value: &str, lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    if value.contains('=') {
        Some(value.to_owned())
    } else {
        lookup(value).map(|v| format!("{value}={v}"))
    }
}

fn key(kv: &str) -> &str {
    kv.split_once('=').map_or(kv, |(k, _)| k)
}

/// Set each of `vars` in `env`, replacing a variable of the same name where it stands.
pub fn replace_or_append(env: &mut Vec<String>, vars: &[String]) {
    for var in vars {
        match env.iter_mut().find(|e| key(e) == key(var)) {
            Some(slot) => slot.clone_from(var),
            None => env.push(var.clone()),
        }
    }
}

// ANCHOR: container_env
/// `PATH` and `HOSTNAME` first, then the image's and the user's variables (each may replace
/// them), then `HOME` from the user's passwd entry unless already set.
pub fn container_env(hostname: &str, image_env: &[String], user_env: &[String], home: &str) -> Vec<String> {
    let mut env = vec![format!("PATH={DEFAULT_PATH}"), format!("HOSTNAME={hostname}")];
    replace_or_append(&mut env, image_env);
    replace_or_append(&mut env, user_env);
    if !env.iter().any(|e| key(e) == "HOME") {
        env.push(format!("HOME={home}"));
    }
    env
}
// ANCHOR_END: container_env

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_order() {
        let env = container_env("abc", &[], &["FOO=bar".into()], "/root");
        assert_eq!(
            env,
            vec![
                format!("PATH={DEFAULT_PATH}"),
                "HOSTNAME=abc".into(),
                "FOO=bar".into(),
                "HOME=/root".into()
            ]
        );
    }

    #[test]
    fn later_values_replace_in_place() {
        let env = container_env(
            "h",
            &["PATH=/bin".into()],
            &["PATH=/x".into(), "HOME=/h".into(), "A=B=C".into()],
            "/root",
        );
        assert_eq!(env, vec!["PATH=/x", "HOSTNAME=h", "HOME=/h", "A=B=C"]);
    }

    #[test]
    fn flag_validation_and_expansion() {
        assert_eq!(
            validate_env_flag("=bar").unwrap_err(),
            "invalid argument \"=bar\" for \"-e, --env\" flag: invalid environment variable: =bar"
        );
        assert!(validate_env_flag("").is_err());
        assert!(validate_env_flag("A=").is_ok());
        let lookup = |k: &str| (k == "SET").then(|| "v".to_owned());
        assert_eq!(expand_env_flag("SET", lookup), Some("SET=v".into()));
        assert_eq!(expand_env_flag("UNSET", lookup), None);
        assert_eq!(expand_env_flag("A=B", lookup), Some("A=B".into()));
    }
}
