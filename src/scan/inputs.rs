//! What every platform's judgement starts from, read once per scan: the
//! manifests, the packages named without an ELF file of theirs, the paths
//! that could not be read, and what the index is asked about.

use std::collections::HashSet;

use crate::discover::{Inventory, Problem, ProblemKind};
use crate::ecosystem::npm::NativeFiles;
use crate::index;
use crate::model::{Arch, Artifact, ArtifactKind, Ecosystem};

use super::cache::Read;
use super::side_reads::SideReads;
use super::{Scanned, image, manifests};

/// What every platform's judgement starts from: the files read, the
/// manifests, and the paths that could not be read.
pub(super) struct Inputs<'s> {
    pub(super) scanned: &'s Scanned,
    pub(super) manifests: manifests::ReadManifests<'s>,
    /// Lockfile and gem lock entries, judged for musl, then installed
    /// distributions (the same on every platform of one architecture).
    pub(super) entries: Entries,
    /// The walk's problems and the side reads that failed.
    pub(super) problems: Vec<Problem>,
}

impl<'s> Inputs<'s> {
    pub(super) fn of(scanned: &'s Scanned, mut side_reads: SideReads, arch: Arch) -> Inputs<'s> {
        let manifests = manifests::read(&scanned.inventory.manifests, &mut side_reads);
        let problems = problems(&scanned.inventory, side_reads);
        let entries = entries(scanned, &manifests, arch);
        Inputs {
            scanned,
            manifests,
            entries,
            problems,
        }
    }

    /// What the index is asked about: the packages of the ELF files and of
    /// the entries, known before any file is judged (so the lookup runs
    /// beside the judging). The files another base replaces are left out
    /// as the report leaves them out ([`image::set_aside`]).
    pub(super) fn index_subjects(&self) -> Vec<index::Subject<'_>> {
        let images = &self.scanned.images;
        let elf_files = self
            .scanned
            .items
            .iter()
            .filter(|item| matches!(item.read, Read::Elf(_)))
            .filter(|item| !image::is_runtime_member(images, &item.shown))
            .filter_map(|item| {
                Some(index::Subject {
                    package: item.package.as_ref()?,
                    path: item.shown.as_str(),
                })
            });
        let entries = self
            .entries
            .all()
            .filter(|entry| matches!(entry.kind, ArtifactKind::Package { .. }))
            .filter_map(|entry| {
                Some(index::Subject {
                    package: entry.package.as_ref()?,
                    path: entry.path.as_str(),
                })
            });
        elf_files.chain(entries).collect()
    }
}

/// Packages the report names without an ELF file of theirs.
pub(super) struct Entries {
    /// Lockfile and gem lock packages: their findings about installing on
    /// musl are dropped on other platforms.
    pub(super) locked: Vec<Artifact>,
    /// Installed Python distributions with native files: the known-package
    /// table's answer, at their `*.dist-info`.
    pub(super) installed: Vec<Artifact>,
}

impl Entries {
    fn all(&self) -> impl Iterator<Item = &Artifact> {
        self.locked.iter().chain(&self.installed)
    }
}

/// The entries of [`Inputs`].
fn entries(scanned: &Scanned, manifests: &manifests::ReadManifests, arch: Arch) -> Entries {
    let items = &scanned.items;
    let native_packages = |ecosystem: Ecosystem| -> HashSet<(String, String)> {
        items
            .iter()
            .filter(|item| matches!(item.read, Read::Elf(_)))
            .filter_map(|item| item.package.as_ref())
            .filter(|package| package.ecosystem == ecosystem)
            .map(|package| (package.name.clone(), package.version.clone()))
            .collect()
    };
    let native_files = NativeFiles::new(
        scanned
            .inventory
            .npm_native_files
            .iter()
            .map(|p| p.as_path()),
    );
    let mut locked = manifests.artifacts(arch, &native_files, &native_packages(Ecosystem::Npm));
    locked.extend(manifests.gem_lock_artifacts(&native_packages(Ecosystem::Rubygems), arch));
    let installed = manifests::installed_python_artifacts(
        &scanned.inventory.dist_infos,
        &native_packages(Ecosystem::Pypi),
        |location| scanned.inventory.shown(location),
    );
    Entries { locked, installed }
}

/// The walk's problems and the side reads that failed, one per path: a file
/// that was needed and could not be read says so, not only that it was
/// met (a FIFO `RECORD` is unreadable, not merely a special file).
fn problems(inventory: &Inventory, side_reads: SideReads) -> Vec<Problem> {
    let failed: Vec<Problem> = side_reads
        .into_failures()
        .into_iter()
        .map(|(location, reason)| Problem {
            path: inventory.shown(&location),
            kind: ProblemKind::Unreadable,
            reason,
        })
        .collect();
    let replaced: HashSet<&str> = failed.iter().map(|p| p.path.as_str()).collect();
    let walked = inventory
        .problems
        .iter()
        .filter(|p| !replaced.contains(p.path.as_str()))
        .cloned();
    walked.chain(failed.iter().cloned()).collect()
}
