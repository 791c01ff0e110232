//! Multi-platform npm packages ship every platform's prebuild; the target
//! loads only its own (node-gyp-build's selection).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::ecosystem::node_gyp_build::{self, Runner};
use crate::ecosystem::npm::{
    GlibcPlatformPackage, Prebuild, is_musl_variant_name, npm_cpu, prebuild,
};
use crate::ecosystem::ruby;
use crate::model::{Arch, LibcKind};
use crate::platform::{LoaderKind, Platform};

use super::jni::{self, MuslJniMembers};
use super::tree::{TreeFile, TreeIndex};

/// What the prebuilds of the tree tell, found in one pass over it: a
/// directory of thousands of prebuilds is not searched again for each.
pub struct Prebuilds {
    /// The first musl prebuild of each directory (in the tree's order).
    by_directory: HashMap<PathBuf, usize>,
    /// Prebuilds node-gyp-build never chooses on the target although their
    /// tags match it, by location: the one it chooses before each.
    never_chosen: HashMap<PathBuf, String>,
    /// The musl JNI members of jars, for the same question about jars.
    jni: MuslJniMembers,
    /// Installed musl platform gems: (name, version, platform).
    musl_gems: HashSet<(String, String, String)>,
}

impl Prebuilds {
    pub fn new(index: &TreeIndex, count: usize, platform: &Platform) -> Self {
        let mut by_directory = HashMap::new();
        // The prebuilds node-gyp-build chooses among on the target, by directory.
        let mut choices: HashMap<PathBuf, Vec<&TreeFile>> = HashMap::new();
        let target_cpu = npm_cpu(platform.arch);
        for i in 0..count {
            let Some(file) = index.file(i) else { continue };
            let Some(prebuild) = prebuild(file.shown).filter(|p| !p.bare) else {
                continue;
            };
            let directory = index.directory_of(file.location);
            if prebuild.platform == "linux" && prebuild.cpu == target_cpu {
                choices.entry(directory.clone()).or_default().push(file);
            }
            if prebuild.libc == Some(LibcKind::Musl) {
                by_directory.entry(directory).or_insert(i);
            }
        }
        let never_chosen = match platform.loader_kind() {
            LoaderKind::Musl => never_chosen(&choices, LibcKind::Musl, platform.arch),
            LoaderKind::Glibc => never_chosen(&choices, LibcKind::Glibc, platform.arch),
            LoaderKind::None => HashMap::new(),
        };
        let musl_gems = (0..count)
            .filter_map(|i| index.file(i))
            .filter_map(|file| ruby::gem_of(file.location))
            .filter_map(|(name, version, platform)| {
                platform
                    .filter(|p| p.ends_with("-linux-musl"))
                    .map(|p| (name, version, p))
            })
            .collect();
        Prebuilds {
            by_directory,
            never_chosen,
            jni: MuslJniMembers::new(index, count),
            musl_gems,
        }
    }

    /// The musl prebuild beside `file`, if any.
    fn beside<'i>(&self, index: &'i TreeIndex, file: &TreeFile) -> Option<&'i TreeFile<'i>> {
        let found = *self.by_directory.get(&index.directory_of(file.location))?;
        index.file(found)
    }

    /// Why node-gyp-build never chooses `file`, a prebuild whose tags match
    /// the target, if another always comes first.
    fn never_chosen(&self, file: &TreeFile) -> Option<String> {
        let chosen = self.never_chosen.get(file.location)?;
        Some(format!(
            "node-gyp-build loads {chosen} instead: by the tags in the file names it \
             ranks first here under every Node ABI this file matches"
        ))
    }
}

/// For each directory of prebuilds, those node-gyp-build never chooses on
/// `libc` (see [`node_gyp_build::never_chosen`]).
fn never_chosen(
    choices: &HashMap<PathBuf, Vec<&TreeFile>>,
    libc: LibcKind,
    arch: Arch,
) -> HashMap<PathBuf, String> {
    // node-gyp-build's ARM_VERSION: 8 on arm64, Node's arm_version (7 in
    // its armv7 builds) on arm.
    let armv = match arch {
        Arch::Aarch64 => Some("8"),
        Arch::Armv7 => Some("7"),
        _ => None,
    };
    let runner = Runner { libc, armv };
    let mut found = HashMap::new();
    for files in choices.values().filter(|files| files.len() > 1) {
        let names: Vec<&str> = files.iter().map(|f| f.file_name()).collect();
        for (lost, won) in node_gyp_build::never_chosen(&names, runner) {
            if let (Some(lost), Some(won)) = (files.get(lost), files.get(won)) {
                found.insert(lost.location.to_path_buf(), won.shown.to_string());
            }
        }
    }
    found
}

/// Why the target never loads `file`; `None` when it may.
pub fn never_loaded(
    index: &TreeIndex,
    prebuilds: &Prebuilds,
    file: &TreeFile,
    platform: &Platform,
) -> Option<String> {
    if jni::jar_member(file.shown).is_some() {
        return jni::never_loaded(index, &prebuilds.jni, file, platform);
    }
    if let Some(gem) = ruby::gem_of(file.location)
        && let (name, version, Some(gem_platform)) = gem
    {
        return platform_gem_never_loaded(prebuilds, &name, &version, &gem_platform, platform);
    }
    let arch = platform.arch;
    match platform.loader_kind() {
        LoaderKind::Glibc => return never_loaded_on_glibc(prebuilds, file, arch, true),
        LoaderKind::None => return never_loaded_on_glibc(prebuilds, file, arch, false),
        LoaderKind::Musl => {}
    }
    if let Some(package) = file.glibc_platform_package {
        if file.facts.arch != arch {
            let loader = package.parent.as_deref().unwrap_or("its parent");
            return Some(format!(
                "platform package for glibc on {} ({}); {loader}'s loader never requires it on {arch} musl",
                file.facts.arch, package.name
            ));
        }
        return Some(glibc_platform_package_reason(package));
    }
    let target_cpu = npm_cpu(arch);
    let prebuild = prebuild(file.shown)?;
    if let Some(reason) = never_picked(&prebuild, target_cpu, arch) {
        return Some(reason);
    }
    if prebuild.libc == Some(LibcKind::Glibc) {
        let musl_sibling = prebuilds.beside(index, file)?;
        return Some(format!(
            "the glibc prebuild; on musl node-gyp-build loads {} instead",
            musl_sibling.shown
        ));
    }
    prebuilds.never_chosen(file)
}

/// Platform gems: Bundler 2.5+ installs (and Ruby then loads) the
/// `<arch>-linux-musl` gem on musl and the `<arch>-linux`/`-linux-gnu` one on
/// glibc; with both installed, the other one is never loaded.
fn platform_gem_never_loaded(
    prebuilds: &Prebuilds,
    name: &str,
    version: &str,
    gem_platform: &str,
    platform: &Platform,
) -> Option<String> {
    let musl_platform = format!("{}-linux-musl", super::reinstall::pip_arch(platform.arch));
    if platform.loader_kind() != LoaderKind::Musl {
        return gem_platform.ends_with("-linux-musl").then(|| {
            format!("a platform gem for musl ({name}-{version}-{gem_platform}); on glibc Bundler uses the glibc one")
        });
    }
    let glibc_platform = gem_platform.ends_with("-linux") || gem_platform.ends_with("-linux-gnu");
    let musl_installed = prebuilds.musl_gems.contains(&(
        name.to_string(),
        version.to_string(),
        musl_platform.clone(),
    ));
    (glibc_platform && musl_installed).then(|| {
        format!(
            "a platform gem for glibc ({name}-{version}-{gem_platform}); on musl Bundler uses {name}-{version}-{musl_platform}"
        )
    })
}

/// On glibc: the loaders pick the glibc variant, never the musl one. On an
/// image without a C library (`glibc: false`) neither loads, and the musl
/// variant is judged as any file is (it fails there), not set aside: a tree
/// installed on Alpine does not run on scratch.
fn never_loaded_on_glibc(
    prebuilds: &Prebuilds,
    file: &TreeFile,
    arch: Arch,
    glibc: bool,
) -> Option<String> {
    let target_cpu = npm_cpu(arch);
    if let Some(package) = file.glibc_platform_package {
        return (file.facts.arch != arch).then(|| {
            format!(
                "platform package for {} ({}); never required on {arch}",
                file.facts.arch, package.name
            )
        });
    }
    if let Some(name) = npm_package_name(file.shown)
        && is_musl_variant_name(name, target_cpu)
        && glibc
    {
        return Some(format!(
            "platform package for musl ({name}); on glibc its parent's loader requires the glibc variant"
        ));
    }
    let prebuild = prebuild(file.shown)?;
    if let Some(reason) = never_picked(&prebuild, target_cpu, arch) {
        return Some(reason);
    }
    if glibc && prebuild.libc == Some(LibcKind::Musl) {
        return Some("the musl prebuild; on glibc node-gyp-build never loads it".to_string());
    }
    prebuilds.never_chosen(file)
}

/// Why node-gyp-build never picks a prebuild, on any libc: one for another
/// OS or CPU, or an addon for the Bare runtime (`.bare`: Node's loaders pick
/// `.node` files; its `js_*` symbols come from Bare).
fn never_picked(prebuild: &Prebuild, target_cpu: &str, arch: Arch) -> Option<String> {
    if prebuild.platform != "linux" {
        return Some(format!(
            "a prebuild for {}; node-gyp-build loads prebuilds/linux-{target_cpu}/ here",
            prebuild.platform
        ));
    }
    if prebuild.cpu != target_cpu {
        return Some(format!(
            "a prebuild for linux-{}; node-gyp-build loads prebuilds/linux-{target_cpu}/ on {arch}",
            prebuild.cpu
        ));
    }
    prebuild.bare.then(|| {
        "an addon for the Bare runtime (.bare): Node never loads it \
         (node-gyp-build and require-addon load .node files)"
            .to_string()
    })
}

/// The npm package a file is in: `@scope/name` or `name` after the last
/// `node_modules/`.
fn npm_package_name(shown: &str) -> Option<&str> {
    let (_, rest) = shown.rsplit_once("node_modules/")?;
    let mut parts = rest.splitn(3, '/');
    let first = parts.next()?;
    if first.starts_with('@') {
        let second = parts.next()?;
        rest.get(..first.len() + 1 + second.len())
    } else {
        Some(first)
    }
}

/// Why a file of a glibc platform package is never loaded on musl: the
/// parent's JS loader (napi-rs's generated index.js, sharp's
/// lib/sharp.js, @parcel/watcher's index.js) asks detect-libc and requires
/// the musl package there, never the glibc one.
fn glibc_platform_package_reason(package: &GlibcPlatformPackage) -> String {
    let name = &package.name;
    match (&package.parent, &package.musl_variant) {
        (Some(parent), Some(musl)) => format!(
            "platform package for glibc ({name}); on musl, {parent}'s loader requires {musl}"
        ),
        (Some(parent), None) => format!(
            "platform package for glibc ({name}); {parent} declares no musl variant, so on musl its loader finds none"
        ),
        (None, _) => format!(
            "platform package for glibc ({name}); on musl its parent's loader requires the musl variant"
        ),
    }
}
