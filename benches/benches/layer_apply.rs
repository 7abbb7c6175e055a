//! How fast does chapter 4 unpack a layer tar, compared with GNU tar?
//!
//! Two layers (see `minidocker_benches::layer_tar`), each plain and gzipped, each unpacked two
//! ways into a fresh, empty directory on the same filesystem as the archive:
//!
//! * `ours/<layer>.tar[.gz]`: `ch05_images::archive::open_layer_tar` (a `BufReader`, plus
//!   flate2's gzip decoder for `.gz`) into `ch04_layers::apply_layer_tar`, every safety check
//!   on (names, `secure_join` of every parent, `O_EXCL|O_NOFOLLOW`, limits);
//! * `gnu_tar/<layer>.tar[.gz]`: `tar -xf` / `tar -xzf` (`gzip -d` in a second process).
//!
//! Only the unpacking is timed (`iter_custom`): making the empty directory before and
//! deleting the tree after each iteration are not. Before criterion's benchmarks, a paired
//! pass (see `minidocker_benches::paired`) unpacks each archive with ours and tar
//! alternately and writes the medians and the median ratio to
//! `target/criterion/layer_apply/paired.json`, which `benches/report` uses for the verdict. Throughput is in bytes of the
//! *uncompressed* tar, for both the plain and the gzipped archive, so the four numbers of a
//! layer compare directly. Before timing, both ways unpack each archive once and their trees
//! (types, modes, owners, sizes, mtimes, link counts, symlink targets) must be identical.
//!
//! **Where:** as root, on a tmpfs the bench mounts in a private mount namespace (a guard
//! unmounts it, and the namespace dies with the process): the unpackers' own cost, without
//! the noise of a disk filesystem's journal and writeback (on the ext4 of the VM this was
//! written on, the same unpack took 0.2 s to 2.6 s depending on what the previous iteration's
//! deletion left to commit). `MINIDOCKER_BENCH_UNPACK_DIR=/some/dir` unpacks there instead;
//! without root, the temp dir is used.
//!
//! Run: `cargo bench -p minidocker-benches --bench layer_apply && benches/report`.

use std::time::Duration;

use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use minidocker_benches::layer_tar::{
    Compression, LayerArchive, apply_ours, extract_gnu_tar, filesystem_name, fresh_dir_in, tree_listing,
};
use minidocker_benches::mounts::{ScratchDir, private_mount_namespace};
use minidocker_benches::paired::{Paired, PairedReport};
use minidocker_benches::timed;

/// Set to a directory to unpack there rather than on a private tmpfs.
const UNPACK_DIR_ENV: &str = "MINIDOCKER_BENCH_UNPACK_DIR";

fn layer_apply(c: &mut Criterion) {
    let unpack = UnpackDir::new().expect("preparing the directory to unpack into");
    eprintln!(
        "layer_apply: unpacking into {} ({})",
        unpack.path().display(),
        filesystem_name(unpack.path())
    );
    let generated = LayerArchive::generated().expect("generating the layer tar");
    // (archive, criterion samples, criterion measurement time, pairs in the paired pass)
    let mut archives = vec![(generated, 10, Duration::from_secs(5), 8)];
    if std::path::Path::new(minidocker_benches::HOST_BUSYBOX).exists() {
        let busybox = LayerArchive::busybox().expect("building the busybox layer tar");
        archives.push((busybox, 20, Duration::from_secs(3), 40));
    } else {
        eprintln!(
            "layer_apply: busybox layer skipped, {} missing",
            minidocker_benches::HOST_BUSYBOX
        );
    }
    for (archive, ..) in &archives {
        eprintln!(
            "layer_apply: {}: {} entries, {:.1} MiB of file data, tar {:.1} MiB, tar.gz {:.1} MiB",
            archive.name(),
            archive.entries,
            mib(archive.data_bytes),
            mib(archive.tar_len),
            mib(archive.tar_gz_len)
        );
        check_same_tree(archive, unpack.path());
    }

    let mut report = PairedReport::new("layer_apply", "ours", "gnu_tar");
    for (archive, _, _, pairs) in &archives {
        for compression in [Compression::Plain, Compression::Gzip] {
            let path = archive.path(compression);
            let ours = || {
                into_fresh_dir(unpack.path(), |dest| {
                    apply_ours(&path, dest).expect("apply_layer_tar");
                })
            };
            let tar = || {
                into_fresh_dir(unpack.path(), |dest| {
                    extract_gnu_tar(&path, compression, dest).expect("tar -x");
                })
            };
            let case = format!("{}.{}", archive.name(), compression.suffix());
            report.add(&case, Paired::measure(*pairs, ours, tar));
        }
    }
    match report.write() {
        Ok(path) => eprintln!("layer_apply: paired results in {}", path.display()),
        Err(e) => eprintln!("layer_apply: writing the paired results: {e}"),
    }

    let mut group = c.benchmark_group("layer_apply");
    // Each iteration takes milliseconds (busybox) to a second (generated): flat sampling.
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    for (archive, samples, time, _) in &archives {
        group.sample_size(*samples);
        group.measurement_time(*time);
        group.throughput(Throughput::Bytes(archive.tar_len));
        for compression in [Compression::Plain, Compression::Gzip] {
            let path = archive.path(compression);
            let param = format!("{}.{}", archive.name(), compression.suffix());
            let ours = || {
                into_fresh_dir(unpack.path(), |dest| {
                    apply_ours(&path, dest).expect("apply_layer_tar");
                })
            };
            let tar = || {
                into_fresh_dir(unpack.path(), |dest| {
                    extract_gnu_tar(&path, compression, dest).expect("tar -x");
                })
            };
            group.bench_function(BenchmarkId::new("ours", &param), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| ours()).sum());
            });
            group.bench_function(BenchmarkId::new("gnu_tar", &param), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| tar()).sum());
            });
        }
    }
    group.finish();
}

/// Run `unpack` into a new empty directory in `parent` and return the time it took (making
/// the directory before and removing the tree after are not counted).
fn into_fresh_dir(parent: &Path, unpack: impl FnOnce(&Path)) -> Duration {
    let dest = fresh_dir_in(parent).expect("a fresh directory");
    timed(|| unpack(dest.path()))
}

/// Both ways of unpacking produce the same tree, so both are timed doing the same work.
fn check_same_tree(archive: &LayerArchive, parent: &Path) {
    for compression in [Compression::Plain, Compression::Gzip] {
        let path = archive.path(compression);
        let ours = fresh_dir_in(parent).expect("a fresh directory");
        let theirs = fresh_dir_in(parent).expect("a fresh directory");
        let stats = apply_ours(&path, ours.path()).expect("apply_layer_tar");
        assert_eq!(
            stats.bytes,
            archive.data_bytes,
            "{}: file bytes written",
            path.display()
        );
        extract_gnu_tar(&path, compression, theirs.path()).expect("tar -x");
        let ours = tree_listing(ours.path()).expect("listing our tree");
        let theirs = tree_listing(theirs.path()).expect("listing tar's tree");
        if ours != theirs {
            let diff: Vec<_> = ours
                .iter()
                .filter(|(k, v)| theirs.get(*k) != Some(*v))
                .map(|(k, v)| format!("{}: ours {v:?}, tar {:?}", k.display(), theirs.get(k)))
                .chain(
                    theirs
                        .keys()
                        .filter(|k| !ours.contains_key(*k))
                        .map(|k| format!("{}: only tar made it", k.display())),
                )
                .take(10)
                .collect();
            panic!(
                "layer_apply: apply_layer_tar and tar -x unpack {} differently:\n{}",
                path.display(),
                diff.join("\n")
            );
        }
    }
}

/// The directory the iterations unpack into; see the module documentation.
enum UnpackDir {
    Scratch(ScratchDir),
    Given(PathBuf),
}

impl UnpackDir {
    fn new() -> std::io::Result<UnpackDir> {
        if let Some(dir) = std::env::var_os(UNPACK_DIR_ENV) {
            return Ok(UnpackDir::Given(PathBuf::from(dir)));
        }
        if !nix::unistd::geteuid().is_root() {
            eprintln!("layer_apply: not root, so no tmpfs: unpacking in the temp dir");
            return Ok(UnpackDir::Scratch(ScratchDir::tempdir("mdb-unpack-")?));
        }
        private_mount_namespace()?;
        Ok(UnpackDir::Scratch(ScratchDir::tmpfs("mdb-unpack-")?))
    }

    fn path(&self) -> &Path {
        match self {
            UnpackDir::Scratch(dir) => dir.path(),
            UnpackDir::Given(dir) => dir,
        }
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

criterion_group!(benches, layer_apply);
criterion_main!(benches);
