//! What a container changed: `docker diff` lists it, `docker commit` makes it an image layer,
//! `docker export` writes the whole filesystem the container sees as one flat tar.
//!
//! ```text
//!  overlay2/<mount>/diff        the container's own changes ── diff:   chapter 4 `changes`
//!        (upper dir)                                        └─ commit: chapter 4 `write_layer_tar`
//!  overlay2/<mount>-init/diff   /etc/hosts, /.dockerenv …        → unpack_layer on the image's top
//!  image layers                                              export: mount all, tar `merged/`
//! ```
//!
//! The init layer is below the upper dir, so `diff` and `commit` never see the files the engine
//! puts in every container; `export` shows them as the container does, empty (the real
//! `/etc/hosts` is bind-mounted inside the container's mount namespace only).

use std::io::{BufWriter, Seek, Write};
use std::path::Path;

use ch04_layers::{Change, changes, write_layer_tar, write_tar_with_names};
use ch05_images::config::now_rfc3339;
use ch05_images::{
    ContainerConfig, Digest, DigestingWriter, History, Image, LayerMeta, Reference, StoreError,
};

use super::confined::ConfinedRoot;
use super::{Engine, EngineError};
use crate::container::Container;
use crate::env::replace_or_append;
use crate::instructions::apply_changes;

/// `docker commit`'s options.
#[derive(Debug, Clone)]
pub struct CommitOptions {
    /// `-a`: the image's and the history entry's author.
    pub author: String,
    /// `-m`: the history entry's comment.
    pub comment: String,
    /// `-c`: Dockerfile instructions applied to the new image's config.
    pub changes: Vec<String>,
    /// The new image's name; `:latest` when it has no tag.
    pub reference: Option<Reference>,
    /// `-p` (default true): a running container is frozen (chapter 6's freezer) meanwhile, so
    /// its files do not change while they are read.
    pub pause: bool,
}

impl Engine {
    // ANCHOR: diff
    /// `docker diff`: the container's changes against its image, sorted by path.
    pub fn container_changes(&self, name: &str) -> Result<Vec<Change>, EngineError> {
        let container = self.containers.find(name)?;
        let (lowers, upper) = self.container_dirs(&container.id)?;
        Ok(changes(&lowers, &upper)?)
    }
    // ANCHOR_END: diff

    // ANCHOR: export
    /// `docker export`: the container's filesystem as it sees it, as a tar. A running
    /// container's mount is read where it is; a stopped one is mounted for the export.
    pub fn export_container(&self, name: &str, out: impl Write) -> Result<(), EngineError> {
        let container = self.containers.find(name)?;
        let rootfs = self.container_rootfs(&container)?;
        // owners named as the container names them (uid 1 is `daemon` on a Debian host,
        // nobody in busybox): read from its files without leaving its root
        let names = ConfinedRoot::new(rootfs.path())
            .map(|root| super::archive_path::owner_names_in(&root))
            .unwrap_or_default();
        // The merged view has no whiteouts or opaque markers left: this is a plain tar.
        write_tar_with_names(rootfs.path(), &names, out)?;
        self.container_event(&container, "export", &[]);
        Ok(())
    }
    // ANCHOR_END: export

    // ANCHOR: commit
    /// `docker commit`: a new image whose top layer is the container's changes and whose config
    /// is the container's (command, environment, working directory…) with `changes` applied.
    /// `overlay` is the config `POST /commit` may carry: when given, the changes apply to it and
    /// the container's config only fills what it leaves empty (moby's
    /// `CreateImageFromContainer`).
    pub fn commit_container_with(
        &self,
        name: &str,
        opts: &CommitOptions,
        overlay: Option<&ContainerConfig>,
    ) -> Result<Image, EngineError> {
        let container = self.containers.find(name)?;
        let parent_id: Digest = container
            .image
            .parse()
            .map_err(|_| StoreError::NoSuchImage(container.image.clone()))?;
        let parent = self.images.get(&parent_id)?;
        let parent_layers = self.images.layers_of(&parent)?;

        let base = container_config(&container, &parent.config.config);
        let mut config = apply_changes(overlay.unwrap_or(&base), &opts.changes)
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        merge(&mut config, &base);

        let frozen = opts.pause && self.is_running(&container) && !container.state.paused;
        if frozen {
            self.pause_container(&container.id)?;
        }
        let committed = self.commit_layer_and_config(&container, &parent, parent_layers.last(), config, opts);
        if frozen {
            if let Err(e) = self.unpause_container(&container.id) {
                tracing::warn!(container = %container.id, error = %e, "unpausing after commit");
            }
        }
        let image = committed?;
        let image_ref = match &opts.reference {
            Some(reference) => {
                self.tag_id(&image.id, reference)?;
                reference.familiar_string()
            }
            None => String::new(),
        };
        let image_id = image.id.to_string();
        self.container_event(
            &container,
            "commit",
            &[
                ("comment", opts.comment.clone()),
                ("imageID", image_id),
                ("imageRef", image_ref),
            ],
        );
        Ok(image)
    }
    // ANCHOR_END: commit

    /// The container's upper dir as a layer on `parent_layer`, and the image of `config` on top
    /// of `parent`, stored; the new layer is removed again if the image cannot be stored.
    fn commit_layer_and_config(
        &self,
        container: &Container,
        parent: &Image,
        parent_layer: Option<&LayerMeta>,
        config: ContainerConfig,
        opts: &CommitOptions,
    ) -> Result<Image, EngineError> {
        let (_, upper) = self.container_dirs(&container.id)?;
        let (layer, new_layer) = self.layer_from_upper(&upper, parent_layer)?;
        let stored = (|| -> Result<Image, EngineError> {
            let created = now_rfc3339();
            let author = Some(opts.author.clone()).filter(|a| !a.is_empty());
            let mut image_config = parent.config.clone();
            image_config.author = author.clone();
            image_config.comment = None;
            image_config.docker_version = None;
            image_config.created = Some(created.clone());
            image_config.config = config;
            let command = container.config.cmd.join(" ");
            image_config.push_layer(
                layer.as_ref().map(|l| l.diff_id.clone()),
                History {
                    created: Some(created),
                    author,
                    created_by: Some(command).filter(|c| !c.is_empty()),
                    comment: Some(opts.comment.clone()).filter(|c| !c.is_empty()),
                    empty_layer: false,
                },
            );
            let image = Image::from_config(image_config);
            self.images.put_image(&image.raw)?;
            self.images.set_parent(&image.id, &parent.id)?;
            Ok(image)
        })();
        if stored.is_err() {
            if let Some(layer) = layer.filter(|_| new_layer) {
                if self.images.remove_layer(&layer.chain_id).is_ok() {
                    self.delete_layer_files(&layer);
                }
            }
        }
        stored
    }

    /// The upper dir as a layer on top of `parent`: `None` when nothing changed (the empty tar,
    /// which Docker records as an `empty_layer` history entry), and whether it is a new layer.
    fn layer_from_upper(
        &self,
        upper: &Path,
        parent: Option<&LayerMeta>,
    ) -> Result<(Option<LayerMeta>, bool), EngineError> {
        let dir = self.staging_root()?;
        let io = |source| EngineError::Io {
            path: dir.clone(),
            source,
        };
        let spool = tempfile::tempfile_in(&dir).map_err(io)?;
        let mut writer = DigestingWriter::new(BufWriter::new(spool));
        write_layer_tar(upper, &mut writer)?;
        let (buffered, diff_id, _) = writer.finish();
        if diff_id == empty_tar_digest() {
            return Ok((None, false));
        }
        let mut spool = buffered.into_inner().map_err(|e| io(e.into_error()))?;
        spool.rewind().map_err(io)?;
        let chain_id = match parent {
            None => diff_id.clone(),
            Some(p) => ch05_images::chain::child_chain_id(&p.chain_id, &diff_id),
        };
        let new_layer = !self.images.has_layer(&chain_id);
        let meta = self.unpack_layer(parent, spool, Some(&diff_id))?;
        Ok((Some(meta), new_layer))
    }
}

/// The diff id of a layer without files: a tar that is only its two zero end blocks.
fn empty_tar_digest() -> Digest {
    Digest::of(&[0u8; 1024])
}

/// The container's config as Docker keeps it (`Config` in `docker inspect`): the image's, with
/// what `run` set on top (command, environment, working directory, user).
fn container_config(container: &Container, image: &ContainerConfig) -> ContainerConfig {
    let mut config = image.clone();
    let run = &container.config;
    if !run.cmd.is_empty() {
        config.cmd = Some(run.cmd.clone());
    }
    if !run.env.is_empty() {
        let mut env = image.env.clone().unwrap_or_default();
        replace_or_append(&mut env, &run.env);
        config.env = Some(env);
    }
    if !run.working_dir.is_empty() {
        config.working_dir = Some(run.working_dir.clone());
    }
    if !run.user.is_empty() {
        config.user = Some(run.user.clone());
    }
    config
}

// ANCHOR: merge
/// moby's `merge` (daemon/commit.go): whatever the changes left empty comes from the
/// container's config; so `-c 'ENTRYPOINT []'` keeps the container's command. Container
/// creation merges the image's config into the run's with the same function (see
/// `container_inspect.rs`).
pub(super) fn merge(config: &mut ContainerConfig, base: &ContainerConfig) {
    let empty = |s: &Option<String>| s.as_deref().unwrap_or_default().is_empty();
    if empty(&config.user) {
        config.user.clone_from(&base.user);
    }
    match (&mut config.exposed_ports, &base.exposed_ports) {
        (Some(ports), Some(more)) if !ports.is_empty() => {
            ports.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        (Some(ports), _) if !ports.is_empty() => {}
        (ports, more) => ports.clone_from(more),
    }
    match config.env.as_mut() {
        Some(env) if !env.is_empty() => {
            let key = |var: &str| var.split('=').next().unwrap_or_default().to_owned();
            let keys: Vec<String> = env.iter().map(|e| key(e)).collect();
            for var in base.env.iter().flatten() {
                if !keys.contains(&key(var)) {
                    env.push(var.clone());
                }
            }
        }
        _ => config.env.clone_from(&base.env),
    }
    let labels = config.labels.get_or_insert_default();
    for (k, v) in base.labels.iter().flatten() {
        labels.entry(k.clone()).or_insert_with(|| v.clone());
    }
    if config.entrypoint.as_ref().is_none_or(Vec::is_empty) {
        if config.cmd.as_ref().is_none_or(Vec::is_empty) {
            config.cmd.clone_from(&base.cmd);
        }
        if config.entrypoint.is_none() {
            config.entrypoint.clone_from(&base.entrypoint);
        }
    }
    if let Some(theirs) = &base.healthcheck {
        let ours = config.healthcheck.get_or_insert_with(|| theirs.clone());
        if ours.test.as_ref().is_none_or(Vec::is_empty) {
            ours.test.clone_from(&theirs.test);
        }
        for (mine, default) in [
            (&mut ours.interval, theirs.interval),
            (&mut ours.timeout, theirs.timeout),
            (&mut ours.start_period, theirs.start_period),
            (&mut ours.retries, theirs.retries),
        ] {
            if *mine == 0 {
                *mine = default;
            }
        }
    }
    if empty(&config.working_dir) {
        config.working_dir.clone_from(&base.working_dir);
    }
    match (&mut config.volumes, &base.volumes) {
        (Some(volumes), Some(more)) if !volumes.is_empty() => {
            volumes.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        (Some(volumes), _) if !volumes.is_empty() => {}
        (volumes, more) => volumes.clone_from(more),
    }
    if empty(&config.stop_signal) {
        config.stop_signal.clone_from(&base.stop_signal);
    }
}
// ANCHOR_END: merge

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{Config, State};

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn container(cmd: &[&str], env: &[&str], workdir: &str) -> Container {
        Container {
            id: "ab".repeat(32),
            created: String::new(),
            path: cmd.first().map(|s| (*s).to_owned()).unwrap_or_default(),
            args: Vec::new(),
            config: Config {
                cmd: strings(cmd),
                env: strings(env),
                working_dir: workdir.to_owned(),
                ..Config::default()
            },
            state: State::default(),
            image: String::new(),
            name: "/c".into(),
            ..Container::default()
        }
    }

    #[test]
    fn the_container_config_is_the_image_config_with_what_run_set() {
        let image = ContainerConfig {
            env: Some(strings(&["PATH=/bin", "A=image"])),
            cmd: Some(strings(&["sh"])),
            working_dir: Some("/srv".into()),
            ..ContainerConfig::default()
        };
        let c = container_config(&container(&["true"], &["A=run", "B=2"], ""), &image);
        assert_eq!(c.cmd, Some(strings(&["true"])));
        assert_eq!(c.env, Some(strings(&["PATH=/bin", "A=run", "B=2"])));
        assert_eq!(c.working_dir.as_deref(), Some("/srv"));
        let c = container_config(&container(&["true"], &[], "/tmp"), &ContainerConfig::default());
        assert_eq!((c.env, c.working_dir.as_deref()), (None, Some("/tmp")));
    }

    #[test]
    fn merge_restores_what_the_changes_emptied() {
        let base = ContainerConfig {
            cmd: Some(strings(&["true"])),
            env: Some(strings(&["FOO=bar"])),
            working_dir: Some("/tmp".into()),
            ..ContainerConfig::default()
        };
        // the oracle: `commit -c 'ENTRYPOINT []'` keeps Cmd ["true"]
        let mut c = apply_changes(&base, &strings(&["ENTRYPOINT []"])).unwrap();
        merge(&mut c, &base);
        assert_eq!(c.cmd, Some(strings(&["true"])));
        assert_eq!(c.entrypoint, Some(Vec::new()));
        // ... and `-c 'ENTRYPOINT ["sh"]'` drops it
        let mut c = apply_changes(&base, &strings(&[r#"ENTRYPOINT ["sh"]"#])).unwrap();
        merge(&mut c, &base);
        assert_eq!((c.cmd, c.entrypoint), (None, Some(strings(&["sh"]))));
        assert_eq!(c.labels, Some(Default::default()), "Docker always writes Labels");
        assert_eq!(c.env, Some(strings(&["FOO=bar"])));
        // what the changes added stays, whatever the container had
        let mut c = apply_changes(&base, &strings(&["EXPOSE 80", "VOLUME /data"])).unwrap();
        merge(&mut c, &base);
        assert_eq!(c.exposed_ports.unwrap().keys().collect::<Vec<_>>(), ["80/tcp"]);
        assert_eq!(c.volumes.unwrap().keys().collect::<Vec<_>>(), ["/data"]);
        let with_ports = ContainerConfig {
            exposed_ports: Some([("443/tcp".to_owned(), Default::default())].into()),
            ..base.clone()
        };
        let mut c = apply_changes(&with_ports, &strings(&["EXPOSE 80"])).unwrap();
        merge(&mut c, &with_ports);
        assert_eq!(
            c.exposed_ports.unwrap().keys().collect::<Vec<_>>(),
            ["443/tcp", "80/tcp"]
        );
    }

    #[test]
    fn the_empty_layer_is_two_zero_blocks() {
        assert_eq!(
            empty_tar_digest().to_string(),
            "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
        );
    }
}
