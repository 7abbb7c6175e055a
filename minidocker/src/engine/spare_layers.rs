//! Spare layers: a `--rm` container's two layers made before the container is created.
//!
//! `create` makes a container two layers (`layers.rs`): `<id>-init`, whose `diff/` holds the
//! mount points every container needs (`dev/pts`, `etc/hosts`, `.dockerenv`, …), and `<id>`
//! for its own changes. That is about twenty directories and files, each a new inode, and on
//! this kind of machine (ext4, the Orlov allocator spreading each top directory, a block of its
//! own for every directory) it was a millisecond of a `run --rm busybox true` of ~14.
//!
//! The files do not depend on the container, only on the image layer below them. So the
//! daemon keeps one pair made ahead, in the background at idle priority (`idle.rs`), for the
//! image of the last `--rm` container it created, under `<data-root>/spare-layers`
//! (chapter 4's [`LayerDriver::stage`](ch04_layers::LayerDriver::stage): no `l/` link yet,
//! nothing in the store refers to them). The next `--rm` container of that image takes them:
//! two rename(2)s into `overlay2/` and two symlinks
//! ([`LayerDriver::publish`](ch04_layers::LayerDriver::publish)) instead of twenty inodes.
//! Any other create makes its layers as before.
//!
//! ```text
//!  spare-layers/<n>-init/{diff/{dev/pts,…,.dockerenv},work,link,lower}  ──rename──▶ overlay2/<id>-init/
//!  spare-layers/<n>/{diff,work,link,lower}                               ──rename──▶ overlay2/<id>/
//!                                                       + l/<link> ──▶ ../<id>[-init]/diff, each
//! ```
//!
//! Only `--rm` containers take them: their files are written without fsync(2) (chapter 4's
//! `Durability::Volatile`), as a `--rm` container's own are. What a daemon leaves in
//! `spare-layers` when it ends is garbage: the next one sends it to the trash as it starts.

use std::path::PathBuf;
use std::sync::Mutex;

use ch04_layers::{Below, Durability, StagedLayer};

use super::{Engine, EngineError};

/// The directory under the data root the spare layers are made in: on the same file system
/// as `overlay2/`, which a rename(2) needs.
pub const SPARE_LAYERS_DIR: &str = "spare-layers";

/// The slot of one spare pair, and what the next one is for.
#[derive(Debug, Default)]
pub struct SpareLayers {
    slot: Mutex<Slot>,
}

#[derive(Debug, Default)]
struct Slot {
    ready: Option<SparePair>,
    /// The image layer (its cache id; `None`: an image without layers) of the last `--rm`
    /// container created: what the next pair is made on top of. `None` until one is created.
    wanted: Option<Option<String>>,
    making: bool,
}

impl Slot {
    /// The image layer a pair should be made on top of now: one is wanted, none is ready or
    /// being made.
    fn to_make(&self) -> Option<&Option<String>> {
        self.wanted
            .as_ref()
            .filter(|_| self.ready.is_none() && !self.making)
    }
}

/// A container's two layers, staged.
#[derive(Debug)]
struct SparePair {
    parent: Option<String>,
    init: StagedLayer,
    mount: StagedLayer,
}

impl Engine {
    /// `<data-root>/spare-layers`.
    pub fn spare_layers_dir(&self) -> PathBuf {
        self.data_root.join(SPARE_LAYERS_DIR)
    }

    // ANCHOR: take_spare
    /// Publish the spare pair as `init_id` and `mount_id` if there is one made on top of
    /// `parent` (a cache id): true if the layers exist now. The next pair will be made on top
    /// of `parent` ([`Engine::make_spare_layers`]). A pair for another image is discarded.
    pub(super) fn take_spare_layers(&self, parent: Option<&str>, init_id: &str, mount_id: &str) -> bool {
        let pair = {
            let mut slot = self.spare_layers.slot.lock().unwrap_or_else(|e| e.into_inner());
            slot.wanted = Some(parent.map(str::to_owned));
            slot.ready.take()
        };
        let Some(pair) = pair else {
            return false;
        };
        if pair.parent.as_deref() != parent {
            self.discard_spare_pair(&pair);
            return false;
        }
        let published = self.layers.publish(&pair.init, init_id).and_then(|()| {
            self.layers.publish(&pair.mount, mount_id).inspect_err(|_| {
                let _ = self.layers.remove(init_id);
            })
        });
        match published {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!(error = %e, "publishing the spare layers: making them anew");
                self.discard_spare_pair(&pair);
                false
            }
        }
    }
    // ANCHOR_END: take_spare

    /// Whether a spare pair is wanted and none is ready or being made: what
    /// [`Engine::make_spare_layers`] would make.
    pub fn spare_layers_wanted(&self) -> bool {
        let slot = self.spare_layers.slot.lock().unwrap_or_else(|e| e.into_inner());
        slot.to_make().is_some()
    }

    // ANCHOR: make_spare
    /// Make the spare pair the last `--rm` create wanted, unless one is ready or being made.
    /// Blocking file work: the daemon runs it on a thread of its own, at idle priority.
    pub fn make_spare_layers(&self) -> Result<(), EngineError> {
        let parent = {
            let mut slot = self.spare_layers.slot.lock().unwrap_or_else(|e| e.into_inner());
            let Some(parent) = slot.to_make().cloned() else {
                return Ok(());
            };
            slot.making = true;
            parent
        };
        let made = self.stage_container_layers(parent.as_deref());
        let mut slot = self.spare_layers.slot.lock().unwrap_or_else(|e| e.into_inner());
        slot.making = false;
        let pair = made?;
        if slot.wanted.as_ref() == Some(&parent) {
            slot.ready = Some(pair);
        } else {
            drop(slot); // (another image's containers came meanwhile)
            self.discard_spare_pair(&pair);
        }
        Ok(())
    }

    /// The two layers of a container on top of `parent`, staged under `spare-layers/`.
    fn stage_container_layers(&self, parent: Option<&str>) -> Result<SparePair, EngineError> {
        let dir = self.spare_layers_dir();
        // (not create_dir_all: a data root removed under a daemon that ends is not made again)
        match std::fs::create_dir(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(EngineError::Io { path: dir, source: e });
            }
            _ => {}
        }
        let name = super::layers::random_hex_id();
        let below = parent.map_or(Below::Nothing, Below::Layer);
        let init = self
            .layers
            .stage(&dir.join(format!("{name}-init")), below, Durability::Volatile)?;
        let mount = super::layers::populate_init_layer(&init.diff_dir()).and_then(|()| {
            Ok(self
                .layers
                .stage(&dir.join(&name), Below::Staged(&init), Durability::Volatile)?)
        });
        match mount {
            Ok(mount) => Ok(SparePair {
                parent: parent.map(str::to_owned),
                init,
                mount,
            }),
            Err(e) => {
                let _ = self.containers.trash().discard(init.dir());
                Err(e)
            }
        }
    }
    // ANCHOR_END: make_spare

    fn discard_spare_pair(&self, pair: &SparePair) {
        let trash = self.containers.trash();
        for staged in [&pair.mount, &pair.init] {
            if let Err(e) = trash.discard(staged.dir()) {
                tracing::warn!(error = %e, dir = %staged.dir().display(), "discarding a spare layer");
            }
        }
    }

    /// What an earlier daemon left in `spare-layers/` sent to the trash, and the directory
    /// made again, empty (a daemon calls this as it starts, before any create).
    pub fn discard_spare_layers_left(&self) -> Result<(), EngineError> {
        let dir = self.spare_layers_dir();
        let io = |e| EngineError::Io {
            path: dir.clone(),
            source: e,
        };
        self.containers.trash().discard(&dir).map_err(io)?;
        std::fs::create_dir_all(&dir).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> (tempfile::TempDir, Engine) {
        let tmp = tempfile::tempdir().unwrap();
        let engine = Engine::open(tmp.path()).unwrap();
        engine.layers.create("image", None).unwrap();
        (tmp, engine)
    }

    fn entries(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_pair_is_made_for_the_image_a_create_wanted_and_taken_by_the_next() {
        let (_tmp, engine) = engine();
        assert!(
            !engine.spare_layers_wanted(),
            "nothing wanted before a --rm create"
        );
        engine.make_spare_layers().unwrap();
        assert!(entries(&engine.spare_layers_dir()).is_empty(), "made nothing");

        assert!(
            !engine.take_spare_layers(Some("image"), "a-init", "a"),
            "none ready yet"
        );
        assert!(engine.spare_layers_wanted());
        engine.make_spare_layers().unwrap();
        assert!(!engine.spare_layers_wanted(), "one ready");
        assert_eq!(entries(&engine.spare_layers_dir()).len(), 2);

        assert!(engine.take_spare_layers(Some("image"), "b-init", "b"));
        assert!(
            entries(&engine.spare_layers_dir()).is_empty(),
            "moved into the store"
        );
        assert_eq!(
            engine.layers.lower_dirs("b").unwrap(),
            [engine.layers.diff_dir("b-init"), engine.layers.diff_dir("image")]
        );
        for path in [".dockerenv", "etc/hosts", "dev/pts", "dev/console"] {
            assert!(engine.layers.diff_dir("b-init").join(path).exists(), "{path}");
        }
        assert_eq!(
            std::fs::read_link(engine.layers.diff_dir("b-init").join("etc/mtab")).unwrap(),
            std::path::Path::new("/proc/mounts")
        );
        assert!(engine.spare_layers_wanted(), "the next one, for the same image");
    }

    #[test]
    fn a_pair_made_for_another_image_is_not_taken_but_discarded() {
        let (_tmp, engine) = engine();
        engine.layers.create("other", None).unwrap();
        engine.take_spare_layers(Some("image"), "a-init", "a");
        engine.make_spare_layers().unwrap();
        assert!(!engine.take_spare_layers(Some("other"), "b-init", "b"));
        assert!(!engine.layers.exists("b") && !engine.layers.exists("b-init"));
        assert!(entries(&engine.spare_layers_dir()).is_empty(), "in the trash");
        engine.make_spare_layers().unwrap();
        assert!(
            engine.take_spare_layers(Some("other"), "c-init", "c"),
            "made for the new one"
        );
    }

    #[test]
    fn a_pair_whose_image_layer_went_is_not_published() {
        let (_tmp, engine) = engine();
        engine.take_spare_layers(Some("image"), "a-init", "a");
        engine.make_spare_layers().unwrap();
        engine.layers.remove("image").unwrap();
        engine.layers.create("image", None).unwrap(); // the same id, another link
        assert!(!engine.take_spare_layers(Some("image"), "b-init", "b"));
        assert!(!engine.layers.exists("b") && !engine.layers.exists("b-init"));
    }

    #[test]
    fn a_data_root_removed_meanwhile_is_not_made_again() {
        let (tmp, engine) = engine();
        engine.take_spare_layers(Some("image"), "a-init", "a");
        std::fs::remove_dir_all(&engine.data_root).unwrap();
        assert!(engine.make_spare_layers().is_err());
        assert!(!engine.data_root.exists(), "{:?}", entries(tmp.path()));
    }

    #[test]
    fn a_daemon_start_discards_what_an_earlier_one_left() {
        let (_tmp, engine) = engine();
        engine.take_spare_layers(Some("image"), "a-init", "a");
        engine.make_spare_layers().unwrap();
        let again = Engine::open(&engine.data_root).unwrap();
        again.discard_spare_layers_left().unwrap();
        assert!(again.spare_layers_dir().is_dir());
        assert!(entries(&again.spare_layers_dir()).is_empty());
    }
}
