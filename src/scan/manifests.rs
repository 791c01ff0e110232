//! Lockfiles and manifests: one artifact per pinned package whose reinstall
//! on the target is answered.
//!
//! Every manifest is read through [`SideReads`] (regular files within the
//! cap; a failure is reported at its path) and decoded line by line: a line
//! that is not UTF-8 is reported with its number and the other lines are kept.

use std::path::Path;

use super::side_reads::SideReads;
use crate::check::reinstall;
use crate::discover::{LossyText, Manifest};
use crate::ecosystem::npm::{self, NativeSource, PackageJson, native_source, npm_cpu};
use crate::ecosystem::python_lock::parse_manifest;
use crate::ecosystem::{ManifestKind, NpmLock, PythonLock};
use crate::model::{
    Arch, Artifact, ArtifactKind, Assessment, Code, Ecosystem, Finding, Package, Reinstall,
    ReportPath, Verdict,
};

/// One artifact per pinned package with native code whose reinstall is answered.
pub(super) fn artifacts(
    manifests: &[Manifest],
    arch: Arch,
    side_reads: &mut SideReads,
) -> Vec<Artifact> {
    let mut artifacts = Vec::new();
    for manifest in manifests {
        let shown = ReportPath::file(&manifest.shown);
        let location = manifest.location.as_path();
        let Some(bytes) = side_reads.bytes(location, "what it pins or installs is not checked")
        else {
            continue;
        };
        let LossyText { text, bad_lines } = LossyText::decode(bytes);
        if !bad_lines.is_empty() {
            artifacts.push(undecodable_lines(shown.clone(), &bad_lines));
        }
        match manifest.kind {
            ManifestKind::InstalledPackageJson => {
                artifacts.extend(npm_install_artifact(shown, location, &text, arch));
            }
            ManifestKind::NpmLock(format) => {
                artifacts.extend(npm_lock_artifacts(shown, location, &text, format, arch));
            }
            ManifestKind::PythonLock(format) => {
                artifacts.extend(python_lock_artifacts(shown, location, &text, format, arch));
            }
        }
    }
    artifacts
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
/// A pinned package's reinstall answer; `unknown` when it has findings.
fn reinstall_entry(
    path: ReportPath,
    package: Package,
    reinstall: Reinstall,
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
        ArtifactKind::Package { reinstall },
        Assessment::of(verdict, findings),
    )
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
            let (reinstall, findings) = reinstall::assess_locked(&package, arch, &file_name);
            if matches!(reinstall, Reinstall::Unknown | Reinstall::NotNative) {
                return None;
            }
            let owner = Package {
                ecosystem: Ecosystem::Pypi,
                name: package.name,
                version: package.version,
            };
            Some(reinstall_entry(shown.clone(), owner, reinstall, findings))
        })
        .collect()
}

fn npm_lock_artifacts(
    shown: ReportPath,
    location: &Path,
    text: &str,
    format: NpmLock,
    arch: Arch,
) -> Vec<Artifact> {
    let file_name = file_name(location);
    let entries = match format {
        NpmLock::Indented => Ok(npm::indented_lock_entries(text)),
        NpmLock::PackageLock => npm::package_lock_entries(text),
    };
    let variants = entries.map(|entries| npm::lock_variants_of(&entries, npm_cpu(arch)));
    let variants = match variants {
        Ok(variants) => variants,
        Err(reason) => {
            return vec![unreadable(
                shown,
                format!("{file_name} could not be parsed: {reason}"),
            )];
        }
    };
    variants
        .iter()
        .filter_map(|variant| {
            let (reinstall, findings) = reinstall::assess_npm_variants(variant, &file_name);
            let package = Package {
                ecosystem: Ecosystem::Npm,
                name: variant.parent.clone(),
                version: variant.version.clone(),
            };
            (reinstall != Reinstall::Unknown)
                .then(|| reinstall_entry(shown.clone(), package, reinstall, findings))
        })
        .collect()
}

/// How an installed npm package would get its native code on the target.
fn npm_install_artifact(
    shown: ReportPath,
    location: &Path,
    text: &str,
    arch: Arch,
) -> Option<Artifact> {
    let manifest = PackageJson::parse(text)?;
    let dir = location.parent()?;
    let known = reinstall::npm_known_problem(&manifest);
    let (reinstall, mut findings) = match native_source(dir, &manifest, npm_cpu(arch)) {
        Some(source @ (NativeSource::Downloaded { .. } | NativeSource::Compiled)) => {
            reinstall::assess_npm_install(&manifest, &source)
        }
        _ if known.is_some() => (Reinstall::NoMuslBuild, Vec::new()),
        _ => return None,
    };
    findings.extend(known);
    // Install-time findings are warnings about the reinstall, never `ok`.
    Some(Artifact::entry(
        shown,
        Some(manifest.package()),
        ArtifactKind::Package { reinstall },
        Assessment::of(Verdict::Unknown, findings),
    ))
}
