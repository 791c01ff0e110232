//! The reinstall answer for an npm package installed in the tree, read
//! from its `package.json`: its platform packages, prebuilds and install
//! scripts, or the known-problem table.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::manifests::reinstall_entry;
use crate::check::reinstall;
use crate::ecosystem::npm::{self, NativeFiles, PackageJson, native_source, npm_cpu};
use crate::ecosystem::npm_lock::LockVariant;
use crate::model::{AnswerSource, Arch, Artifact, Ecosystem, MadeAtInstall, Reinstall, ReportPath};

/// How an installed npm package would get its native code on the target:
/// its platform packages when its loader picks one by libc, else its
/// prebuilds and install scripts, else the known-problem table.
pub(super) fn npm_install_artifact(
    shown: ReportPath,
    location: &Path,
    manifest: &PackageJson,
    installed: &Installed,
) -> Option<Artifact> {
    let dir = location.parent()?;
    let manifest_path = shown.as_str().to_string();
    let key = (manifest.name.clone(), manifest.version.clone());
    let cpu = npm_cpu(installed.arch);
    let variant = installed
        .variants
        .get(&key)
        .filter(|v| v.split_by_libc || !v.shared_builds.is_empty());
    let (answer, findings) = if let Some(variant) = variant {
        let (answer, mut findings) = reinstall::assess_installed_variants(variant, &manifest_path);
        // Kept for glibc targets only (the musl ones drop it, as glibc ones drop MC205).
        findings.extend(reinstall::glibc_variant_missing(variant, &manifest_path));
        (answer, findings)
    } else if let Some(source) = native_source(dir, manifest, cpu, installed.native_files) {
        let (mut answer, findings) =
            reinstall::assess_npm_install(manifest, &source, &manifest_path);
        // None of what it makes at install is here: its script did not run.
        if !installed.with_elf_files.contains(&key) {
            answer.made_at_install = match &source {
                npm::NativeSource::Compiled => Some(MadeAtInstall::Compiled),
                npm::NativeSource::Downloaded {
                    how,
                    falls_back_to_compiling,
                    ..
                } => Some(MadeAtInstall::Downloaded {
                    how: how.clone(),
                    compiles: *falls_back_to_compiling,
                }),
                _ => None,
            };
        }
        // A download naming no libc gets the build installed here: none is
        // when it did not run or failed (--ignore-scripts, no network).
        if let npm::NativeSource::Downloaded { how, .. } = &source
            && answer.same_build_as_installed
            && !installed.with_elf_files.contains(&key)
        {
            answer.reinstall = Reinstall::Unknown;
            answer.same_build_as_installed = false;
            answer.build = None;
            answer.detail = format!(
                "{how} downloads the build glibc systems get on every libc, and none is \
                 installed here to judge (its download did not run or failed)"
            );
        }
        (answer, findings)
    } else if let Some(known) =
        reinstall::known_answer(Ecosystem::Npm, &manifest.name, &manifest.version)
    {
        known
    } else if names_no_libc_for(manifest, cpu) && !installed.is_glibc_variant(&manifest.name) {
        let files = AnswerSource::PackageFiles {
            path: manifest_path,
        };
        let build = format!("{}@{}", manifest.name, manifest.version);
        (reinstall::installed_again(build, files), Vec::new())
    } else {
        return None;
    };
    Some(reinstall_entry(shown, manifest.package(), answer, findings))
}

/// A platform package for Linux and `cpu`, by its fields and its name
/// (`@esbuild/linux-x64`, `@cloudflare/workerd-linux-64`), that names no
/// libc in either: npm on either libc installs it again.
fn names_no_libc_for(manifest: &PackageJson, cpu: &str) -> bool {
    manifest.os == ["linux"]
        && manifest.cpu.iter().any(|c| c == cpu)
        && npm::is_linux_variant_name(&manifest.name, cpu)
        && npm::platform_package_libc(&manifest.name, &manifest.libc, false).is_none()
}

/// What answers an installed npm package besides its manifest.
pub(super) struct Installed<'a> {
    pub(super) arch: Arch,
    /// The lockfiles' platform variants of installed packages, by (name, version).
    pub(super) variants: &'a HashMap<(String, String), LockVariant>,
    pub(super) native_files: &'a NativeFiles,
    /// The installed packages (name, version) with ELF files.
    pub(super) with_elf_files: &'a HashSet<(String, String)>,
}

impl Installed<'_> {
    /// Whether a parent that also declares a musl variant declares the
    /// platform package `name` (opencode-ai's `opencode-linux-x64` beside
    /// `opencode-linux-x64-musl`): its glibc one, whatever its fields say.
    fn is_glibc_variant(&self, name: &str) -> bool {
        self.variants
            .values()
            .any(|variant| variant.glibc_declared.iter().any(|glibc| glibc == name))
    }
}
