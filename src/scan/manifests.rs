//! Lockfiles and manifests: one artifact per pinned package whose reinstall
//! on the target is answered.
//!
//! Every manifest is read through [`SideReads`] (regular files within the
//! cap; a failure is reported at its path) and decoded line by line: a line
//! that is not UTF-8 is reported with its number and the other lines are kept.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::npm_installed::{Installed, npm_install_artifact};
use super::side_reads::SideReads;
use crate::check::reinstall;
use crate::discover::{LossyText, Manifest, ReadError};
use crate::ecosystem::npm::cmake_ts::CmakeTsManifest;
use crate::ecosystem::npm::{
    self, GlibcPlatformPackage, NativeFiles, PackageJson, native_source, npm_cpu,
};
use crate::ecosystem::npm_lock::{self, LockEntry, LockVariant};
use crate::ecosystem::python::dist_info_name;
use crate::ecosystem::python_lock::parse_manifest;
use crate::ecosystem::{ManifestKind, NpmLock, PythonLock};
use crate::model::{
    Arch, Artifact, ArtifactKind, Assessment, Code, Ecosystem, Finding, Package, Reinstall,
    ReinstallAnswer, ReportPath, Verdict, on_disk,
};

/// The manifests of a scan, read once: the lockfiles' texts, and the
/// installed npm packages parsed (the loader model needs to know which
/// platform packages are for glibc before any file is judged).
pub(super) struct ReadManifests<'m> {
    texts: Vec<ManifestText<'m>>,
    /// Artifacts for manifests with lines that are not UTF-8.
    undecodable: Vec<Artifact>,
    /// Installed npm packages: (package directory, manifest), package roots only.
    installed: Vec<(PathBuf, PackageJson)>,
    /// cmake-ts's manifests, by package directory.
    cmake_ts: HashMap<PathBuf, CmakeTsManifest>,
}

struct ManifestText<'m> {
    manifest: &'m Manifest,
    text: String,
    /// An installed `package.json`, parsed.
    package_json: Option<PackageJson>,
}

/// One manifest as read, before its failures and findings are kept.
struct OneRead {
    text: String,
    bad_lines: Vec<usize>,
    package_json: Option<PackageJson>,
    cmake_ts: Option<CmakeTsManifest>,
    /// The package directory, when the manifest is its package's root
    /// `package.json` (not one deeper inside: test fixtures, `lib/`).
    package_root: Option<PathBuf>,
}

/// Reads every manifest through `side_reads` (those not read during the
/// walk): in parallel (a node_modules holds a `package.json` per package),
/// kept in the walk's order.
pub(super) fn read<'m>(manifests: &'m [Manifest], side_reads: &mut SideReads) -> ReadManifests<'m> {
    let early = side_reads.take_early(manifests.len());
    let shared: &SideReads = side_reads;
    let reads: Vec<Result<Option<OneRead>, ReadError>> = manifests
        .par_iter()
        .zip(early)
        .map(|(manifest, early)| {
            let location = manifest.location.as_path();
            let read = early.unwrap_or_else(|| shared.read(location));
            let Some(bytes) = read? else {
                return Ok(None);
            };
            let LossyText { text, bad_lines } = LossyText::decode(bytes);
            let package_json = (manifest.kind == ManifestKind::InstalledPackageJson)
                .then(|| PackageJson::parse(&text))
                .flatten();
            let cmake_ts = (manifest.kind == ManifestKind::CmakeTsManifest)
                .then(|| CmakeTsManifest::parse(&text))
                .flatten();
            let package_root = package_json
                .as_ref()
                .and(location.parent())
                .filter(|dir| npm::package_dir(location).as_deref() == Some(*dir))
                .map(Path::to_path_buf);
            Ok(Some(OneRead {
                text,
                bad_lines,
                package_json,
                cmake_ts,
                package_root,
            }))
        })
        .collect();
    let mut read = ReadManifests {
        texts: Vec::new(),
        undecodable: Vec::new(),
        installed: Vec::new(),
        cmake_ts: HashMap::new(),
    };
    for (manifest, outcome) in manifests.iter().zip(reads) {
        let one = match outcome {
            Ok(Some(one)) => one,
            Ok(None) => continue,
            Err(failure) => {
                let consequence = "what it pins or installs is not checked";
                side_reads.fail::<()>(&manifest.location, failure, consequence);
                continue;
            }
        };
        if !one.bad_lines.is_empty() {
            read.undecodable.push(undecodable_lines(
                ReportPath::file(&manifest.shown),
                &one.bad_lines,
            ));
        }
        if let (Some(dir), Some(parsed)) = (one.package_root, &one.package_json) {
            read.installed.push((dir, parsed.clone()));
        }
        if let (Some(parsed), Some(dir)) = (one.cmake_ts, npm::package_dir(&manifest.location)) {
            read.cmake_ts.insert(dir, parsed);
            continue;
        }
        read.texts.push(ManifestText {
            manifest,
            text: one.text,
            package_json: one.package_json,
        });
    }
    // Which require-addon each package finds decides the directory it reads.
    let require_addon = npm::require_addon_versions(&read.installed);
    if !require_addon.is_empty() {
        for (dir, manifest) in &mut read.installed {
            manifest.require_addon_version = require_addon.get(dir).cloned();
        }
        for text in &mut read.texts {
            if let (Some(manifest), Some(dir)) =
                (&mut text.package_json, text.manifest.location.parent())
            {
                manifest.require_addon_version = require_addon.get(dir).cloned();
            }
        }
    }
    read
}

impl ReadManifests<'_> {
    /// The installed platform packages built for glibc, by package directory.
    pub(super) fn glibc_platform_packages(
        &self,
        arch: Arch,
    ) -> HashMap<PathBuf, GlibcPlatformPackage> {
        npm::glibc_platform_packages(&self.installed, npm_cpu(arch))
    }

    /// The installed platform packages for other CPUs than `arch`'s, by
    /// package directory: `name (cpus)`.
    pub(super) fn other_cpu_platform_packages(&self, arch: Arch) -> HashMap<PathBuf, String> {
        npm::other_cpu_platform_packages(&self.installed, npm_cpu(arch))
    }

    /// The installed packages whose addon require-addon finds, by directory.
    pub(super) fn require_addon_packages(&self) -> HashSet<&Path> {
        self.installed
            .iter()
            .filter(|(_, manifest)| manifest.loads_with_require_addon())
            .map(|(dir, _)| dir.as_path())
            .collect()
    }

    /// The installed packages' cmake-ts manifests, by package directory.
    pub(super) fn cmake_ts_manifests(&self) -> &HashMap<PathBuf, CmakeTsManifest> {
        &self.cmake_ts
    }

    /// One artifact per pinned or installed package whose reinstall is answered.
    /// `with_elf_files`: the installed npm packages (name, version) with ELF files.
    pub(super) fn artifacts(
        &self,
        arch: Arch,
        native_files: &NativeFiles,
        with_elf_files: &HashSet<(String, String)>,
    ) -> Vec<Artifact> {
        let installed_variants = self.installed_variants(arch);
        let archives_read = self.archives_read();
        let without_native_code =
            self.installed_without_native_code(arch, native_files, with_elf_files);
        let per_manifest: Vec<Vec<Artifact>> = self
            .texts
            .par_iter()
            .map(|read| {
                let ManifestText {
                    manifest,
                    text,
                    package_json,
                } = read;
                let shown = ReportPath::file(&manifest.shown);
                let location = manifest.location.as_path();
                match manifest.kind {
                    ManifestKind::InstalledPackageJson => package_json
                        .as_ref()
                        .and_then(|parsed| {
                            let installed = Installed {
                                arch,
                                variants: &installed_variants,
                                native_files,
                                with_elf_files,
                            };
                            npm_install_artifact(shown, location, parsed, &installed)
                        })
                        .into_iter()
                        .collect(),
                    ManifestKind::NpmLock(format) => {
                        let lock = LockRead {
                            shown,
                            location,
                            text,
                            format,
                        };
                        npm_lock_artifacts(lock, arch, &without_native_code)
                    }
                    ManifestKind::PythonLock(format) => {
                        python_lock_artifacts(shown, location, text, format, arch)
                    }
                    // Answered for the gems found installed: `gem_lock_artifacts`.
                    ManifestKind::GemLock => Vec::new(),
                    // Read by the loader model: `cmake_ts_manifests`.
                    ManifestKind::CmakeTsManifest => Vec::new(),
                    ManifestKind::PnpRuntime => pnp_runtime_artifacts(shown, text, &archives_read)
                        .into_iter()
                        .collect(),
                }
            })
            .collect();
        let mut artifacts = self.undecodable.clone();
        artifacts.extend(per_manifest.into_iter().flatten());
        artifacts
    }

    /// Each `Gemfile.lock`'s answer for the installed gems with native code
    /// (`native`: name and version).
    pub(super) fn gem_lock_artifacts(
        &self,
        native: &HashSet<(String, String)>,
        arch: Arch,
    ) -> Vec<Artifact> {
        let mut artifacts = Vec::new();
        for ManifestText { manifest, text, .. } in &self.texts {
            if manifest.kind != ManifestKind::GemLock {
                continue;
            }
            let lock = crate::ecosystem::ruby::GemLock::parse(text);
            for (name, version) in native {
                let answer = reinstall::assess_gem_lock(&lock, name, version, arch, "Gemfile.lock");
                if let Some(answer) = answer {
                    let package = Package {
                        ecosystem: Ecosystem::Rubygems,
                        name: name.clone(),
                        version: version.clone(),
                    };
                    let shown = ReportPath::file(&manifest.shown);
                    artifacts.push(reinstall_entry(shown, package, answer, Vec::new()));
                }
            }
        }
        artifacts
    }

    /// The installed packages whose loader picks a platform package by libc,
    /// by name and version; a variant counts as locked when it is installed.
    /// The installed npm packages (name, version) with no native code: no
    /// ELF file, and nothing that makes one at install (a binding.gyp, a
    /// download tool, prebuilds). Whatever install script a lockfile says
    /// they run made no native file here (core-js's banner).
    fn installed_without_native_code(
        &self,
        arch: Arch,
        native_files: &NativeFiles,
        with_elf_files: &HashSet<(String, String)>,
    ) -> HashSet<(String, String)> {
        let cpu = npm_cpu(arch);
        self.installed
            .iter()
            .map(|(dir, manifest)| {
                (
                    dir,
                    manifest,
                    (manifest.name.clone(), manifest.version.clone()),
                )
            })
            .filter(|(dir, manifest, key)| {
                !with_elf_files.contains(key)
                    && native_source(dir, manifest, cpu, native_files).is_none()
            })
            .map(|(_, _, key)| key)
            .collect()
    }

    /// The file names of the archives whose package manifests were read
    /// (Yarn's cache archives).
    fn archives_read(&self) -> HashSet<&OsStr> {
        self.installed
            .iter()
            .map(|(dir, _)| on_disk(dir))
            .filter(|archive| archive.extension().is_some_and(|e| e == "zip"))
            .filter_map(Path::file_name)
            .collect()
    }

    fn installed_variants(&self, arch: Arch) -> HashMap<(String, String), LockVariant> {
        let entries: Vec<LockEntry> = self
            .installed
            .iter()
            .map(|(_, manifest)| LockEntry {
                name: manifest.name.clone(),
                version: manifest.version.clone(),
                optional_dependencies: manifest.optional_dependencies.keys().cloned().collect(),
                is_platform_package: npm_lock::is_platform_package(&manifest.os, &manifest.cpu),
                libc: manifest.libc.clone(),
                has_install_script: false,
            })
            .collect();
        by_parent(npm_lock::lock_variants_of(&entries, npm_cpu(arch)))
    }
}

/// The variants, by parent name and version.
fn by_parent(variants: Vec<LockVariant>) -> HashMap<(String, String), LockVariant> {
    variants
        .into_iter()
        .map(|variant| ((variant.parent.clone(), variant.version.clone()), variant))
        .collect()
}

/// The table's answer for each installed Python distribution that owns ELF
/// files (`native`: name and version), at its `*.dist-info` directory.
pub(super) fn installed_python_artifacts(
    dist_infos: &[PathBuf],
    native: &HashSet<(String, String)>,
    shown: impl Fn(&Path) -> String,
) -> Vec<Artifact> {
    dist_infos
        .iter()
        .filter_map(|dist_info| {
            let dir_name = dist_info.file_name()?.to_string_lossy().into_owned();
            let (name, version) = dist_info_name(&dir_name)?;
            if !native.contains(&(name.clone(), version.clone())) {
                return None;
            }
            let (answer, findings) = reinstall::known_answer(Ecosystem::Pypi, &name, &version)?;
            let package = Package {
                ecosystem: Ecosystem::Pypi,
                name,
                version,
            };
            Some(reinstall_entry(
                ReportPath::file(shown(dist_info)),
                package,
                answer,
                findings,
            ))
        })
        .collect()
}

/// The lines of a manifest that are not UTF-8 (read with U+FFFD in place
/// of their bad bytes), in one finding.
fn undecodable_lines(path: ReportPath, lines: &[usize]) -> Artifact {
    const LISTED: usize = 10;
    let mut listed: Vec<String> = lines.iter().take(LISTED).map(usize::to_string).collect();
    if lines.len() > LISTED {
        listed.push(format!("… ({} lines in all)", lines.len()));
    }
    let (which, are) = match lines {
        [_] => ("line", "is"),
        _ => ("lines", "are"),
    };
    let reason = format!("{which} {} {are} not valid UTF-8", listed.join(", "));
    let message = format!(
        "{reason}: read with U+FFFD in place of the bad bytes, every other line as written; \
         re-save the file as UTF-8"
    );
    let assessment = Assessment::unreadable(Code::Unreadable, message, reason);
    Artifact::entry(path, None, ArtifactKind::Unreadable, assessment)
}
/// A package's reinstall answer; `unknown` when it has findings.
pub(super) fn reinstall_entry(
    path: ReportPath,
    package: Package,
    answer: ReinstallAnswer,
    findings: Vec<Finding>,
) -> Artifact {
    let verdict = if findings.is_empty() {
        Verdict::Ok
    } else {
        Verdict::Unknown
    };
    Artifact::entry(
        path,
        Some(package),
        ArtifactKind::Package { answer },
        Assessment::of(verdict, findings),
    )
}

/// A Plug'n'Play runtime whose packages are archives the scan did not read
/// (Yarn 4's default global cache, outside the project): a note naming
/// where they are, since what they declare (a parent's musl platform
/// package) goes unchecked.
fn pnp_runtime_artifacts(
    shown: ReportPath,
    runtime: &str,
    archives_read: &HashSet<&OsStr>,
) -> Option<Artifact> {
    let unread: Vec<&str> = npm::yarn_pnp::runtime_archives(runtime)
        .into_iter()
        .filter(|archive| {
            Path::new(archive)
                .file_name()
                .is_none_or(|name| !archives_read.contains(name))
        })
        .collect();
    let folder = Path::new(unread.first()?).parent()?.display().to_string();
    let message = format!(
        "{} of the packages of this Plug'n'Play install are archives in {folder} (Yarn's global \
         cache, as located from here), outside the scanned paths: not read, so what they declare \
         (a parent's musl platform package) is not checked; scan that folder too, or install \
         with `enableGlobalCache: false` in .yarnrc.yml",
        unread.len()
    );
    let assessment = Assessment::unreadable(Code::SkippedArchive, message.clone(), message);
    Some(Artifact::entry(
        shown,
        None,
        ArtifactKind::Unreadable,
        assessment,
    ))
}

/// A lockfile that could not be read or parsed.
fn unreadable(path: ReportPath, message: String) -> Artifact {
    let assessment = Assessment::unreadable(
        Code::Unreadable,
        format!("cannot be read: {message}"),
        message,
    );
    Artifact::entry(path, None, ArtifactKind::Unreadable, assessment)
}

fn file_name(location: &Path) -> String {
    location
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn python_lock_artifacts(
    shown: ReportPath,
    location: &Path,
    text: &str,
    format: PythonLock,
    arch: Arch,
) -> Vec<Artifact> {
    let file_name = file_name(location);
    let packages = match parse_manifest(format, text) {
        Ok(packages) => packages,
        Err(reason) => {
            return vec![unreadable(
                shown,
                format!("{file_name} could not be parsed: {reason}"),
            )];
        }
    };
    packages
        .into_iter()
        .filter_map(|package| {
            let (answer, findings) = reinstall::assess_locked(&package, arch, &file_name);
            // A pin alone (requirements.txt), or one whose lock lists only
            // its sdist (uv.lock keeps the wheels its Pythons take: none of
            // netifaces 0.11.0's win32 ones), is kept for the package index
            // to answer: whether the target gets a wheel, an sdist or nothing.
            let asked_of_the_index = answer.reinstall == Reinstall::Unknown
                && (!package.lists_files || package.wheels.is_empty())
                && !package.version.is_empty();
            if matches!(answer.reinstall, Reinstall::Unknown | Reinstall::NotNative)
                && !asked_of_the_index
            {
                return None;
            }
            let owner = Package {
                ecosystem: Ecosystem::Pypi,
                name: package.name,
                version: package.version,
            };
            Some(reinstall_entry(shown.clone(), owner, answer, findings))
        })
        .collect()
}

/// An npm lockfile as read.
struct LockRead<'r> {
    shown: ReportPath,
    location: &'r Path,
    text: &'r str,
    format: NpmLock,
}

/// `without_native_code`: installed packages an install script the lock
/// records left no native code (see `installed_without_native_code`).
fn npm_lock_artifacts(
    lock: LockRead,
    arch: Arch,
    without_native_code: &HashSet<(String, String)>,
) -> Vec<Artifact> {
    let LockRead {
        shown,
        location,
        text,
        format,
    } = lock;
    let file_name = file_name(location);
    let entries = match format {
        NpmLock::Indented => Ok(npm_lock::indented_lock_entries(text)),
        NpmLock::PackageLock => npm_lock::package_lock_entries(text),
    };
    let entries = match entries {
        Ok(entries) => entries,
        Err(reason) => {
            return vec![unreadable(
                shown,
                format!("{file_name} could not be parsed: {reason}"),
            )];
        }
    };
    let cpu = npm_cpu(arch);
    let variants = by_parent(npm_lock::lock_variants_of(&entries, cpu));
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    entries
        .iter()
        .filter(|entry| !entry.is_platform_package && !npm::is_linux_variant_name(&entry.name, cpu))
        .filter(|entry| seen.insert((entry.name.as_str(), entry.version.as_str())))
        .filter_map(|entry| {
            let key = (entry.name.clone(), entry.version.clone());
            let variant = variants.get(&key);
            let known = || reinstall::known_answer(Ecosystem::Npm, &entry.name, &entry.version);
            let (answer, findings) = if let Some(variant) = variant.filter(|v| v.split_by_libc) {
                reinstall::assess_npm_variants(variant, &file_name)
            } else if let Some(known) = known() {
                known
            } else if let Some(variant) = variant {
                // Its install script only checks the shared build (workerd's, esbuild's).
                reinstall::assess_npm_variants(variant, &file_name)
            } else if entry.has_install_script && !without_native_code.contains(&key) {
                reinstall::install_script_answer(&entry.name, &entry.version, &file_name)
            } else {
                return None;
            };
            let package = Package {
                ecosystem: Ecosystem::Npm,
                name: entry.name.clone(),
                version: entry.version.clone(),
            };
            Some(reinstall_entry(shown.clone(), package, answer, findings))
        })
        .collect()
}
