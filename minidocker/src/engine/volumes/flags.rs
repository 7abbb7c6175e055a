//! The docker CLI's side of `-v` and `--mount`: what it makes of the flags before anything is
//! sent (its own errors, exit 125), and which part of the create body each ends up in.
//!
//! ```text
//!  -v /ctr                 Config.Volumes {"/ctr": {}}
//!  -v SOURCE:/ctr[:MODE]   HostConfig.Binds ["SOURCE:/ctr:MODE"]   (./dir made absolute)
//!  --mount k=v,…           HostConfig.Mounts [{"Type": …, "Source": …, "Target": …}]
//! ```

use super::spec::{
    BindOptions, DriverConfig, MountSpec, TYPE_BIND, TYPE_TMPFS, TYPE_VOLUME, TmpfsOptions, VolumeOptions,
    clean_path,
};

/// What one `-v` flag becomes in the create body, as the docker CLI decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumeFlag {
    /// A `HostConfig.Binds` entry (a source was given; `./dir` made absolute).
    Bind(String),
    /// A `Config.Volumes` key: an anonymous volume at this path.
    Volume(String),
}

// ANCHOR: volume_flag
/// The docker CLI's reading of `-v` (compose's `ParseVolume`, then its split): with a source
/// the flag is a bind (`Binds`), without one an anonymous volume (`Config.Volumes`). A letter
/// and a colon at the start is a Windows drive (`c:/x`), part of the path. Its own errors are
/// `invalid empty volume spec` and `invalid spec: …: empty section between colons` / `too many
/// colons`; everything else is left for the daemon to judge.
pub fn volume_flag(spec: &str, cwd: &std::path::Path) -> Result<VolumeFlag, String> {
    if spec.is_empty() {
        return Err("invalid empty volume spec".into());
    }
    if spec.chars().count() <= 2 {
        return Ok(VolumeFlag::Volume(spec.into()));
    }
    let (mut source, mut target): (Option<String>, Option<String>) = (None, None);
    let mut buffer = String::new();
    let chars: Vec<char> = spec.chars().collect();
    for (i, c) in chars.iter().copied().chain(std::iter::once('\0')).enumerate() {
        let end = i == chars.len();
        let drive = c == ':' && buffer.chars().count() == 1 && buffer.chars().all(char::is_alphabetic);
        if drive || (c != ':' && !end) {
            buffer.push(c);
            continue;
        }
        let field = std::mem::take(&mut buffer);
        if field.is_empty() {
            return Err(format!("invalid spec: {spec}: empty section between colons"));
        }
        if source.is_none() && end {
            target = Some(field);
        } else if source.is_none() {
            source = Some(field);
        } else if target.is_none() {
            target = Some(field);
        } else if !end {
            return Err(format!("invalid spec: {spec}: too many colons"));
        }
    }
    match source {
        None => Ok(VolumeFlag::Volume(target.unwrap_or_default())),
        Some(source) => {
            let is_path = source.starts_with(['.', '/', '~']);
            match spec.split_once(':') {
                Some((host, rest)) if is_path && host.starts_with('.') => {
                    let absolute = clean_path(&cwd.join(host).to_string_lossy());
                    Ok(VolumeFlag::Bind(format!("{absolute}:{rest}")))
                }
                _ => Ok(VolumeFlag::Bind(spec.into())),
            }
        }
    }
}
// ANCHOR_END: volume_flag

/// Go's `encoding/csv` reading of one line: fields split at commas, a field that starts with
/// `"` quoted (`""` inside is a quote).
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut field = String::new();
            let mut chars = quoted.char_indices();
            let mut after = None;
            while let Some((i, c)) = chars.next() {
                if c != '"' {
                    field.push(c);
                    continue;
                }
                if quoted[i + 1..].starts_with('"') {
                    field.push('"');
                    chars.next();
                    continue;
                }
                after = Some(&quoted[i + 1..]);
                break;
            }
            let column = line.len() - rest.len() + 1;
            let after = after.ok_or_else(|| {
                format!(
                    "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                    line.len() + 1
                )
            })?;
            fields.push(field);
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(fields),
                None => {
                    return Err(format!(
                        "parse error on line 1, column {}: extraneous or missing \" in quoted-field",
                        column + 1
                    ));
                }
            }
        } else {
            match rest.split_once(',') {
                Some((field, next)) => {
                    fields.push(field.into());
                    rest = next;
                }
                None => {
                    fields.push(rest.into());
                    return Ok(fields);
                }
            }
        }
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

// ANCHOR: parse_mount_flag
/// The docker CLI's reading of one `--mount` flag (`opts.MountOpt`): `key=value` fields
/// (`type` defaults to `volume`), flags `readonly`/`ro`, `volume-nocopy`, `bind-nonrecursive`.
/// `cwd` makes a `./` source absolute. The error is what follows
/// `invalid argument "…" for "--mount" flag: `.
pub fn parse_mount_flag(value: &str, cwd: &std::path::Path) -> Result<MountSpec, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("EOF".into());
    }
    let mut mount = MountSpec {
        kind: TYPE_VOLUME.into(),
        ..MountSpec::default()
    };
    let invalid_value = |key: &str, val: &str| format!("invalid value for {key}: {val}");
    let bool_value = |key: &str, val: &str| parse_go_bool(val).ok_or_else(|| invalid_value(key, val));
    let key_value = |s: &str| -> Option<(String, String)> {
        let (k, v) = s.split_once('=').unwrap_or((s, ""));
        (!k.is_empty()).then(|| (k.to_owned(), v.to_owned()))
    };
    fn volume(m: &mut MountSpec) -> &mut VolumeOptions {
        let options = m.volume_options.get_or_insert_with(VolumeOptions::default);
        options.driver_config.get_or_insert_with(DriverConfig::default);
        options
    }
    for field in csv_fields(value)? {
        let Some((key, val)) = field.split_once('=') else {
            match field.to_lowercase().as_str() {
                "readonly" | "ro" => mount.read_only = true,
                "volume-nocopy" => volume(&mut mount).no_copy = true,
                "bind-nonrecursive" => {
                    mount
                        .bind_options
                        .get_or_insert_with(BindOptions::default)
                        .non_recursive = true
                }
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
            continue;
        };
        let key = key.to_lowercase();
        match key.as_str() {
            "type" => mount.kind = val.to_lowercase(),
            "source" | "src" => {
                mount.source = match val == "." || val.starts_with("./") {
                    true => clean_path(&cwd.join(val).to_string_lossy()),
                    false => val.into(),
                }
            }
            "target" | "dst" | "destination" => mount.target = val.into(),
            "readonly" | "ro" => mount.read_only = bool_value(&key, val)?,
            "consistency" => mount.consistency = val.to_lowercase(),
            "bind-propagation" => {
                mount
                    .bind_options
                    .get_or_insert_with(BindOptions::default)
                    .propagation = val.to_lowercase()
            }
            "bind-nonrecursive" => {
                let b = bool_value(&key, val)?;
                mount
                    .bind_options
                    .get_or_insert_with(BindOptions::default)
                    .non_recursive = b;
            }
            "volume-nocopy" => volume(&mut mount).no_copy = bool_value(&key, val)?,
            "volume-label" => {
                if let Some((k, v)) = key_value(val) {
                    volume(&mut mount).labels.insert(k, v);
                }
            }
            "volume-driver" => {
                if let Some(driver) = volume(&mut mount).driver_config.as_mut() {
                    driver.name = val.into();
                }
            }
            "volume-opt" => {
                if let Some((k, v)) = key_value(val)
                    && let Some(driver) = volume(&mut mount).driver_config.as_mut()
                {
                    driver.options.insert(k, v);
                }
            }
            "tmpfs-size" => {
                let size = ch06_cgroups::ram_in_bytes(val).map_err(|_| invalid_value(&key, val))?;
                mount
                    .tmpfs_options
                    .get_or_insert_with(TmpfsOptions::default)
                    .size_bytes = size;
            }
            "tmpfs-mode" => {
                let mode = u32::from_str_radix(val, 8).map_err(|_| invalid_value(&key, val))?;
                mount.tmpfs_options.get_or_insert_with(TmpfsOptions::default).mode = mode;
            }
            _ => return Err(format!("unexpected key '{key}' in '{field}'")),
        }
    }
    if mount.kind.is_empty() {
        return Err("type is required".into());
    }
    if mount.target.is_empty() {
        return Err("target is required".into());
    }
    let mix = |what: &str| format!("cannot mix '{what}-*' options with mount type '{}'", mount.kind);
    if mount.volume_options.is_some() && mount.kind != TYPE_VOLUME {
        return Err(mix("volume"));
    }
    if mount.bind_options.is_some() && mount.kind != TYPE_BIND {
        return Err(mix("bind"));
    }
    if mount.tmpfs_options.is_some() && mount.kind != TYPE_TMPFS {
        return Err(mix("tmpfs"));
    }
    Ok(mount)
}
// ANCHOR_END: parse_mount_flag

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_cli_splits_v_flags_as_docker_does() {
        let cwd = Path::new("/work");
        let flag = |s: &str| volume_flag(s, cwd);
        assert_eq!(flag("/data"), Ok(VolumeFlag::Volume("/data".into())));
        assert_eq!(flag("vol:/data"), Ok(VolumeFlag::Bind("vol:/data".into())));
        assert_eq!(flag("/h:/data:ro"), Ok(VolumeFlag::Bind("/h:/data:ro".into())));
        assert_eq!(flag("./h:/data"), Ok(VolumeFlag::Bind("/work/h:/data".into())));
        // a letter and a colon is a Windows drive: the whole thing is a path in the container
        assert_eq!(flag("a:/y"), Ok(VolumeFlag::Volume("a:/y".into())));
        assert_eq!(flag("a:b:c:d"), Ok(VolumeFlag::Bind("a:b:c:d".into())));
        assert_eq!(flag(""), Err("invalid empty volume spec".into()));
        assert_eq!(
            flag(":/y"),
            Err("invalid spec: :/y: empty section between colons".into())
        );
        assert_eq!(
            flag("vol::/y"),
            Err("invalid spec: vol::/y: empty section between colons".into())
        );
        assert_eq!(
            flag("vol:/a:ro:x"),
            Err("invalid spec: vol:/a:ro:x: too many colons".into())
        );
    }

    #[test]
    fn mount_flags_are_read_as_the_docker_cli_reads_them() {
        let cwd = Path::new("/work");
        let err = |s: &str| parse_mount_flag(s, cwd).unwrap_err();
        assert_eq!(err("type=tmpfs"), "target is required");
        assert_eq!(
            err("target=/x,foo"),
            "invalid field 'foo' must be a key=value pair"
        );
        assert_eq!(err("target=/x,bogus=1"), "unexpected key 'bogus' in 'bogus=1'");
        assert_eq!(
            err("type=bind,target=/x,volume-nocopy"),
            "cannot mix 'volume-*' options with mount type 'bind'"
        );
        assert_eq!(
            err("type=volume,target=/x,tmpfs-size=1m"),
            "cannot mix 'tmpfs-*' options with mount type 'volume'"
        );
        assert_eq!(
            err("type=tmpfs,target=/x,tmpfs-size=abc"),
            "invalid value for tmpfs-size: abc"
        );
        assert_eq!(
            err("type=tmpfs,target=/x,tmpfs-mode=99"),
            "invalid value for tmpfs-mode: 99"
        );
        assert_eq!(
            err("target=/x,readonly=maybe"),
            "invalid value for readonly: maybe"
        );
        assert_eq!(err(""), "EOF");
        // the JSON the docker CLI sends for these (seen in the oracle's hostconfig)
        let json = |s: &str| serde_json::to_string(&parse_mount_flag(s, cwd).unwrap()).unwrap();
        assert_eq!(
            json("type=bind,src=/tmp,dst=/x,ro=true,bind-propagation=RSHARED"),
            r#"{"Type":"bind","Source":"/tmp","Target":"/x","ReadOnly":true,"BindOptions":{"Propagation":"rshared"}}"#
        );
        assert_eq!(
            json(
                "type=volume,source=v,target=/x,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-label=k=v,volume-driver=local"
            ),
            r#"{"Type":"volume","Source":"v","Target":"/x","VolumeOptions":{"Labels":{"k":"v"},"DriverConfig":{"Name":"local","Options":{"device":"tmpfs","type":"tmpfs"}}}}"#
        );
        assert_eq!(
            json("type=tmpfs,target=/x,tmpfs-size=1m,tmpfs-mode=1770"),
            r#"{"Type":"tmpfs","Target":"/x","TmpfsOptions":{"SizeBytes":1048576,"Mode":1016}}"#
        );
        assert_eq!(
            json("target=/x,src=./d"),
            r#"{"Type":"volume","Source":"/work/d","Target":"/x"}"#
        );
        // a quoted field keeps its commas
        assert_eq!(
            json("\"target=/x,a\",ro"),
            r#"{"Type":"volume","Target":"/x,a","ReadOnly":true}"#
        );
    }
}
