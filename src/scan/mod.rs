//! The pipeline: discover → read (elf, archives) → attribute → check → [`Report`].
//!
//! The walk runs as jobs on every core, each reading what it meets (see
//! [`discover::walk`]); facts are cached by content; packages are attributed
//! after reading; every ELF file is then judged against the platform.

mod attribute;
mod cache;
mod entries;
mod image;
mod inputs;
mod manifests;
mod npm_installed;
mod read;
mod side_reads;
mod walk;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::check::{self, NotElfEntry, TreeFile, TreeIndex};
use crate::config::{IndexLookups, Options};
use crate::discover::{self, Inventory, Manifest, Problem, ProblemKind};
use crate::ecosystem::npm::package_dir;
use crate::ecosystem::python::InstalledWheel;
use crate::ecosystem::{ManifestKind, distro};
use crate::index;
use crate::model::{
    ActionPlan, Arch, Artifact, ArtifactKind, Assessment, Code, ContainerImage, Ecosystem,
    Evidence, Finding, Package, Report, ReportPath, SCHEMA_VERSION, Summary, ToolInfo, Verdict,
    outermost_archive_root,
};
use crate::platform::Platform;
use crate::progress::{Progress, Silent};

use attribute::{attribute_packages, installed_wheels, name_hard_links};
use cache::Read;
use entries::{answer_pins, for_target_libc};
use inputs::Inputs;
use read::{ArchivedManifest, CandidateRead, Item, NotElfFile, WheelRead};
use side_reads::SideReads;
use walk::{Walked, walk_and_read};

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{path}: no such file or directory; check the path and run again")]
    PathNotFound { path: String },
    #[error(
        "{path} cannot be read: {reason}; run muslcheck as a user who can read it, or scan another path"
    )]
    RootUnreadable { path: String, reason: String },
}

/// Scans `paths` and judges every ELF file in them against the platform.
pub fn scan(paths: &[PathBuf], options: &Options) -> Result<Report, ScanError> {
    scan_with_progress(paths, options, &Silent)
}

/// [`scan`], telling `progress` how far it got.
pub fn scan_with_progress(
    paths: &[PathBuf],
    options: &Options,
    progress: &dyn Progress,
) -> Result<Report, ScanError> {
    let started = Instant::now();
    let (scanned, side_reads) = read_paths(paths, options, progress)?;
    let inputs = Inputs::of(&scanned, side_reads, options.platform.arch);
    let report = with_tree(&inputs, options.platform.arch, |tree| {
        report_for(&inputs, tree, paths, options, &OnceLock::new(), started)
    });
    Ok(report)
}

/// Judges `paths` against each platform: one report per platform, side by
/// side by package. The paths are walked and read once.
pub fn scan_matrix(
    paths: &[PathBuf],
    options: &Options,
    platforms: &[Platform],
    progress: &dyn Progress,
) -> Result<crate::model::Matrix, ScanError> {
    let started = Instant::now();
    let (scanned, side_reads) = read_paths(paths, options, progress)?;
    let inputs = Inputs::of(&scanned, side_reads, options.platform.arch);
    // The index is asked once; each platform judges its documents.
    let lookup = OnceLock::new();
    // The tree's index and library searches are shared too: every
    // platform of a matrix has the architecture of `options`.
    let reports = with_tree(&inputs, options.platform.arch, |tree| {
        platforms
            .iter()
            .map(|platform| {
                let options = Options {
                    platform: platform.clone(),
                    ..options.clone()
                };
                report_for(&inputs, tree, paths, &options, &lookup, started)
            })
            .collect()
    });
    Ok(check::matrix::matrix(reports, platforms))
}

/// Everything read from the paths, before any platform judges it.
struct Scanned {
    inventory: Inventory,
    items: Vec<Item>,
    wheels: Vec<WheelRead>,
    /// The files read that are not ELF: a library search can stop at one.
    not_elf: Vec<NotElfFile>,
    installed_wheels: BTreeMap<Package, InstalledWheel>,
    /// The container images among the paths.
    images: Vec<ContainerImage>,
    /// The directories on disk that hold a root filesystem (a package
    /// database below them: an image exported and unpacked, a chroot).
    root_filesystems: Vec<PathBuf>,
}

/// Walks and reads the paths and attributes files to packages; the side
/// reads go on with the manifests.
fn read_paths(
    paths: &[PathBuf],
    options: &Options,
    progress: &dyn Progress,
) -> Result<(Scanned, SideReads), ScanError> {
    if let Some(missing) = paths.iter().find(|p| std::fs::symlink_metadata(p).is_err()) {
        return Err(ScanError::PathNotFound {
            path: missing.display().to_string(),
        });
    }
    // A root that cannot be read would make a scan that read nothing pass.
    for path in paths {
        if let Some(reason) = discover::unreadable_root(path) {
            return Err(ScanError::RootUnreadable {
                path: path.display().to_string(),
                reason,
            });
        }
    }
    // Container images are read layer by layer, not walked.
    let mut trees = Vec::new();
    let mut images = Vec::new();
    for path in paths {
        match discover::image::Image::at(path) {
            Some(image) => images.push((path, image)),
            None => trees.push(path.clone()),
        }
    }
    // The symbol tables are parsed while the walk goes on; the judging
    // would otherwise wait for them (2–4 ms on one thread).
    let platform = options.platform.clone();
    std::thread::spawn(move || platform.prepare_tables());
    let mut side_reads = SideReads::new(discover::ScannedPaths::new(paths));
    let Walked {
        mut inventory,
        reads,
        manifests,
        metadata,
    } = walk_and_read(&trees, options, progress, &side_reads);
    side_reads.read_early(manifests);
    for (location, outcome) in metadata {
        side_reads.read_during_walk(location, outcome);
    }
    let Flattened {
        mut items,
        wheels,
        mut not_elf,
        manifests: archived_manifests,
    } = flatten(reads);
    // Read from inside archives: kept for the manifests' readers.
    for manifest in archived_manifests {
        let Some(kind) = ManifestKind::at(&manifest.location) else {
            continue;
        };
        side_reads.keep(manifest.location.clone(), manifest.bytes);
        inventory.manifests.push(Manifest {
            shown: manifest.shown,
            location: manifest.location,
            kind,
        });
    }
    not_elf.extend(
        std::mem::take(&mut inventory.library_named_dirs)
            .into_iter()
            .map(|(location, shown)| NotElfFile {
                shown,
                location,
                kind: check::NotElfKind::Directory,
            }),
    );
    let mut located: Vec<(PathBuf, ReportPath, discover::image::Image)> = Vec::new();
    for (given, image) in images {
        let location = std::path::absolute(given).unwrap_or_else(|_| given.clone());
        inventory.add_root(given, &location);
        located.push((
            location,
            ReportPath::file(discover::path_text(given)),
            image,
        ));
    }
    // OCI layouts met in a tree: their blobs are the image's, not files of their own.
    for (dir, shown) in std::mem::take(&mut inventory.oci_layouts) {
        if let Some(image) = discover::image::Image::at(&dir) {
            items.retain(|item| !item.location.starts_with(&dir));
            inventory.problems.retain(|p| !p.path.starts_with(&shown));
            located.push((dir, ReportPath::file(shown), image));
        }
    }
    // A `docker save` archive met in a tree (`*.tar`, or gzip-compressed: skipped as archives).
    items.retain(|item| {
        let skipped = matches!(item.read, Read::Failed(Code::SkippedArchive, _));
        match skipped
            .then(|| discover::image::Image::at(&item.location))
            .flatten()
        {
            Some(image) => {
                located.push((item.location.clone(), item.shown.clone(), image));
                false
            }
            None => true,
        }
    });
    located.sort_by(|a, b| a.1.cmp(&b.1));
    let images = located
        .into_iter()
        .map(|(location, shown, image)| {
            image::read_image(
                (&location, shown),
                image,
                (options, progress),
                &mut inventory,
                &mut items,
                &mut side_reads,
            )
        })
        .collect();
    name_hard_links(&mut items, std::mem::take(&mut inventory.hard_links));
    // Every reader is done: the mappings they retired are unmapped beside
    // the attribution (0.5 ms on the venv benchmark).
    rayon::join(
        || attribute_packages(&mut items, &inventory, &mut side_reads),
        discover::release_retired_maps,
    );
    let installed_wheels = if options.index.lookups == IndexLookups::Off {
        BTreeMap::new()
    } else {
        installed_wheels(&inventory, &mut side_reads)
    };
    let root_filesystems = root_filesystems(&inventory);
    let scanned = Scanned {
        inventory,
        items,
        wheels,
        not_elf,
        installed_wheels,
        images,
        root_filesystems,
    };
    Ok((scanned, side_reads))
}

/// The report of what was read, judged against `options.platform`.
fn report_for(
    inputs: &Inputs,
    tree: &TreeIndex,
    paths: &[PathBuf],
    options: &Options,
    lookup: &OnceLock<index::Lookup>,
    started: Instant,
) -> Report {
    let scanned = inputs.scanned;
    let inventory = &scanned.inventory;
    // The packages asked about do not depend on the platform, and are known
    // before judging: the lookup (the cache's documents, or the network)
    // runs while the files are judged.
    let subjects = inputs.index_subjects();
    let asked = index::Asked {
        subjects: &subjects,
        installed_wheels: &scanned.installed_wheels,
        roots: paths,
    };
    // On a pool thread: a thread spawned here took the judging's core for
    // about a millisecond before the scheduler moved it to the idle one.
    let (mut artifacts, lookup) = rayon::join(
        || judge(inputs, tree, options),
        || lookup.get_or_init(|| index::look_up(&asked, &options.index)),
    );
    let (answers, index_summary) = lookup.answers(&options.platform);
    answer_pins(&mut artifacts, &answers, &options.platform);
    // What another base replaces does not depend on the target.
    let mut images = scanned.images.clone();
    image::set_aside(&mut images, &mut artifacts);

    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        target: options.platform.info(),
        arch: options.platform.arch,
        gcompat: options.platform.gcompat,
        roots: paths.iter().map(|p| discover::path_text(p)).collect(),
        artifacts,
        packages: Vec::new(),
        plan: ActionPlan::default(),
        index: index_summary,
        images,
        summary: Summary {
            files_walked: inventory.files_walked,
            skipped_by_name: inventory.skipped_by_name,
            archives_in_packages: inventory.archives_in_packages,
            ..Summary::default()
        },
    };
    // Counted before any rule accepts the findings: what was not read stays said.
    report.summary.unreadable = unreadable_paths(&report.artifacts);
    let mut by_rule = vec![0; options.ignore.len()];
    report.summary.ignored = report.remove_findings(|artifact, finding| {
        let rule = options
            .ignore
            .iter()
            .position(|rule| rule.matches(artifact, finding));
        if let Some(count) = rule.and_then(|index| by_rule.get_mut(index)) {
            *count += 1;
        }
        rule.is_some()
    });
    report.summary.ignored_by_rule = by_rule;
    // Decided on what the rules left: an accepted finding changes no plan.
    (report.packages, report.plan) =
        check::packages::decide(&report.artifacts, &answers, &options.platform);
    image::complete(
        &mut report.images,
        &report.artifacts,
        &options.platform,
        &mut report.plan,
    );
    report.summary.duration_ms = started.elapsed().as_millis();
    report
}

/// What the candidates gave, in one list each.
struct Flattened {
    /// Each wheel remembers the range of its members here.
    items: Vec<Item>,
    wheels: Vec<WheelRead>,
    /// The files that are not ELF.
    not_elf: Vec<NotElfFile>,
    /// Manifests read from inside archives.
    manifests: Vec<ArchivedManifest>,
}

fn flatten(reads: Vec<CandidateRead>) -> Flattened {
    let mut flat = Flattened {
        items: Vec::new(),
        wheels: Vec::new(),
        not_elf: Vec::new(),
        manifests: Vec::new(),
    };
    for read in reads {
        if let Some(mut wheel) = read.wheel {
            wheel.first_item = flat.items.len();
            wheel.item_count = read.items.len();
            flat.wheels.push(wheel);
        }
        flat.items.extend(read.items);
        flat.not_elf.extend(read.not_elf.map(|file| *file));
        flat.manifests
            .extend(read.manifest.map(|manifest| *manifest));
    }
    flat
}

/// The directories on disk whose package database the walk met: each is a
/// root filesystem, searched as the loaders search `/`.
fn root_filesystems(inventory: &Inventory) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = inventory
        .package_databases
        .iter()
        .filter_map(|database| database.root())
        .filter(|root| outermost_archive_root(root).is_none())
        .map(Path::to_path_buf)
        .collect();
    roots.sort();
    roots.dedup();
    roots
}

/// Where the loaders' `/` is for a file: for a file of a container image,
/// the image's root; for a file on disk below a root filesystem, that
/// directory (the innermost, when one holds another); else none.
fn filesystem_root<'i>(item: &'i Item, root_filesystems: &'i [PathBuf]) -> Option<&'i Path> {
    if item.in_image {
        return outermost_archive_root(&item.location);
    }
    if root_filesystems.is_empty() || outermost_archive_root(&item.location).is_some() {
        return None;
    }
    root_filesystems
        .iter()
        .rev()
        .find(|root| item.location.starts_with(root))
        .map(PathBuf::as_path)
}

/// The ELF files read, indexed for the loaders' searches, for `run`.
fn with_tree<R>(inputs: &Inputs, arch: Arch, run: impl FnOnce(&TreeIndex) -> R) -> R {
    let scanned = inputs.scanned;
    let glibc_platform_packages = inputs.manifests.glibc_platform_packages(arch);
    let cmake_ts = inputs.manifests.cmake_ts_manifests();
    let other_cpus = inputs.manifests.other_cpu_platform_packages(arch);
    let require_addon = inputs.manifests.require_addon_packages();
    let tree_files: Vec<Option<TreeFile>> = scanned
        .items
        .iter()
        .map(|item| match &item.read {
            Read::Elf(facts) => {
                let package = package_dir(item.owner_location());
                Some(TreeFile {
                    location: &item.location,
                    other_locations: &item.also_located,
                    shown: item.shown.as_str(),
                    facts,
                    glibc_platform_package: package
                        .as_ref()
                        .and_then(|dir| glibc_platform_packages.get(dir)),
                    cmake_ts: package.as_ref().and_then(|dir| cmake_ts.get(dir)),
                    require_addon: package
                        .as_ref()
                        .is_some_and(|dir| require_addon.contains(dir.as_path())),
                    other_cpu_platform_package: package
                        .as_ref()
                        .and_then(|dir| other_cpus.get(dir))
                        .map(String::as_str),
                    filesystem_root: filesystem_root(item, &scanned.root_filesystems),
                    // An image's distribution packages are its base's, which the
                    // target replaces; a root filesystem on disk is judged as it
                    // is, but for its C library, which the target's stands in for.
                    distro_owned: item.package.as_ref().is_some_and(|p| {
                        matches!(p.ecosystem, Ecosystem::Debian | Ecosystem::Alpine)
                            && (item.in_image || distro::is_c_library_package(p))
                    }),
                    ecosystem: item.package.as_ref().map(|p| p.ecosystem),
                    package: item.package.as_ref(),
                })
            }
            _ => None,
        })
        .collect();
    let not_elf: Vec<NotElfEntry> = scanned
        .not_elf
        .iter()
        .map(|file| NotElfEntry {
            location: &file.location,
            shown: &file.shown,
            kind: file.kind,
        })
        .collect();
    let index = TreeIndex::new(&tree_files, &scanned.inventory.symlinks, &not_elf);
    run(&index)
}

/// Every artifact of the report: wheels, files and members, lockfile
/// packages and the paths that could not be walked, sorted by path.
fn judge(inputs: &Inputs, index: &TreeIndex, options: &Options) -> Vec<Artifact> {
    let scanned = inputs.scanned;
    let (items, wheels) = (&scanned.items, &scanned.wheels);
    let assessments = check::assess_all(index, index.file_count(), &options.platform);

    let mut artifacts: Vec<Artifact> = wheels
        .iter()
        .map(|wheel| read::wheel_artifact(wheel, items, &assessments))
        .collect();
    for (item, assessment) in items.iter().zip(assessments) {
        let (kind, assessment) = match (&item.read, assessment) {
            (Read::Elf(facts), Some(assessment)) => (
                ArtifactKind::Elf {
                    facts: Arc::clone(facts),
                },
                assessment,
            ),
            (Read::Failed(code, reason), _) => {
                let mut assessment = failure(*code, reason.clone());
                // A jar member the target's loader never extracts, by its path.
                if *code == Code::MalformedElf
                    && let Some(why) = check::jni::unread_member_never_loaded(
                        item.shown.as_str(),
                        &options.platform,
                    )
                {
                    assessment.verdict = Verdict::NotApplicable;
                    assessment.load = Some(crate::model::LoadSummary {
                        not_loaded: Some(why),
                        ..crate::model::LoadSummary::default()
                    });
                }
                (ArtifactKind::Unreadable, assessment)
            }
            _ => continue,
        };
        artifacts.push(Artifact {
            path: item.shown.clone(),
            also_at: item.also_at.clone(),
            size: item.size,
            package: item.package.clone(),
            kind,
            assessment,
        });
    }
    // Lockfile findings are about installing on musl (MC201-MC205) or on glibc (MC206).
    artifacts.extend(
        inputs
            .entries
            .locked
            .iter()
            .cloned()
            .map(|entry| for_target_libc(entry, &options.platform)),
    );
    artifacts.extend(
        inputs
            .entries
            .installed
            .iter()
            .cloned()
            .map(|entry| for_target_libc(entry, &options.platform)),
    );
    artifacts.extend(inputs.problems.iter().map(problem_artifact));
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    artifacts
}

/// How many paths could not be read, or only in part (an MC001 finding).
fn unreadable_paths(artifacts: &[Artifact]) -> usize {
    artifacts
        .iter()
        .filter(|a| a.findings().iter().any(|f| f.code == Code::Unreadable))
        .map(|a| a.path.as_str())
        .collect::<HashSet<_>>()
        .len()
}

/// A path the walk could not read (or chose not to open).
fn problem_artifact(problem: &Problem) -> Artifact {
    let (code, verdict) = match problem.kind {
        ProblemKind::SpecialFile => (Code::SpecialFile, Verdict::NotApplicable),
        ProblemKind::SymlinkLoop => (Code::SymlinkLoop, Verdict::Unknown),
        ProblemKind::SymlinkOutside => (Code::SymlinkOutside, Verdict::NotApplicable),
        ProblemKind::Unreadable | ProblemKind::Missing => (Code::Unreadable, Verdict::Unknown),
    };
    let finding = Finding::new(
        code,
        problem.reason.clone(),
        Evidence::Read {
            reason: problem.reason.clone(),
        },
    );
    Artifact::entry(
        ReportPath::file(&problem.path),
        None,
        ArtifactKind::Unreadable,
        Assessment::of(verdict, vec![finding]),
    )
}

/// The assessment of a file or manifest that could not be read.
fn failure(code: Code, reason: String) -> Assessment {
    let message = match code {
        Code::MalformedElf => format!("starts like ELF but cannot be read: {reason}"),
        Code::HostileMemberName => format!(
            "{reason}; installers refuse or skip such a member, so it was not read and \
             satisfies no other file's needs"
        ),
        Code::SkippedArchive => reason.clone(),
        _ => format!("cannot be read: {reason}"),
    };
    Assessment::unreadable(code, message, reason)
}
