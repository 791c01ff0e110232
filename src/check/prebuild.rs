//! Multi-platform npm packages ship every platform's prebuild; the target
//! loads only its own (node-gyp-build's selection).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::ecosystem::node_gyp_build::{self, Runner};
use crate::ecosystem::npm::{
    GlibcPlatformPackage, NamedPlatform, Prebuild, is_musl_variant_name, named_platform, npm_cpu,
    package_dir, prebuild,
};
use crate::ecosystem::ruby;
use crate::model::{Arch, Code, Evidence, Finding, LibcKind};
use crate::platform::{LoaderKind, Platform};

use super::cmake_ts::CmakeTsBuilds;
use super::host_directory::{HostDirectories, Place};
use super::jni::{self, MuslJniMembers};
use super::machines::MachineBuilds;
use super::prebuild_dirs::{TupleDir, never_consulted};
use super::tree::{TreeFile, TreeIndex};

/// What the prebuilds of the tree tell, found in one pass over it: a
/// directory of thousands of prebuilds is not searched again for each.
pub struct Prebuilds {
    /// The first musl prebuild of each directory (in the tree's order).
    by_directory: HashMap<PathBuf, usize>,
    /// Prebuilds node-gyp-build never chooses on the target although their
    /// tags match it, by location: the one it chooses before each.
    never_chosen: HashMap<PathBuf, String>,
    /// Prebuilds in a directory for the target's OS and CPU that
    /// node-gyp-build never reads here, by location: why.
    never_consulted: HashMap<PathBuf, String>,
    /// The Node process choosing on the target (none without a libc).
    runner: Option<Runner<'static>>,
    /// The musl JNI members of jars, for the same question about jars.
    jni: MuslJniMembers,
    /// Installed musl platform gems: (name, version, platform).
    musl_gems: HashSet<(String, String, String)>,
    /// Files outside node-gyp-build's layout whose path names another
    /// platform than the target's, in a package with one named for the
    /// target: why the package's loader never requires or runs them.
    named_for_others: HashMap<PathBuf, String>,
    /// Prebuilds of a package holding an addon built at install, which
    /// node-gyp-build loads before any prebuild, by location: that addon.
    built_at_install: HashMap<PathBuf, String>,
    /// The builds for other machines than the target's.
    pub machines: MachineBuilds,
    /// The addons cmake-ts's manifests name.
    pub cmake_ts: CmakeTsBuilds,
    /// The directories require-addon and pkg-prebuilds read.
    pub host_directories: HostDirectories,
    /// Package roots with an addon for Linux and the target's CPU that
    /// node-gyp-build may take on musl (tagged musl, or untagged).
    loadable_on_musl: HashSet<PathBuf>,
    /// The target's CPU, as Node names it.
    cpu: &'static str,
}

impl Prebuilds {
    pub fn new(index: &TreeIndex, count: usize, platform: &Platform) -> Self {
        let mut by_directory = HashMap::new();
        let mut loadable_on_musl = HashSet::new();
        // The prebuilds node-gyp-build chooses among on the target, by directory.
        // (node-gyp-build-optional-packages' platform package, its files).
        let mut choices: HashMap<PathBuf, (bool, Vec<&TreeFile>)> = HashMap::new();
        let mut tuples: HashMap<PathBuf, TupleDir> = HashMap::new();
        let target_cpu = npm_cpu(platform.arch);
        let mut named: HashMap<PathBuf, Vec<(&TreeFile, NamedPlatform)>> = HashMap::new();
        let mut builds = InstallBuilds::default();
        for i in 0..count {
            let Some(file) = index.file(i) else { continue };
            let found = prebuild(file.npm_path());
            builds.meet(file, found.as_ref());
            // node-gyp-build's layout (a Bare runtime addon too) is read as
            // node-gyp-build reads it, not by the platform its path names.
            let in_layout = found.is_some();
            let Some(prebuild) = found.filter(|p| !p.bare) else {
                if let Some((package, platform)) = named_file(file).filter(|_| !in_layout) {
                    named.entry(package).or_default().push((file, platform));
                }
                continue;
            };
            let directory = index.directory_of(file.location);
            if prebuild.platform == "linux" && prebuild.cpus.iter().any(|c| c == target_cpu) {
                if prebuild.addon {
                    choices
                        .entry(directory.clone())
                        .or_insert_with(|| (prebuild.in_platform_package, Vec::new()))
                        .1
                        .push(file);
                }
                if !prebuild.in_platform_package {
                    tuples
                        .entry(directory.clone())
                        .or_insert_with(|| TupleDir::of(&prebuild))
                        .files
                        .push(file);
                }
            }
            if prebuild.addon && prebuild.libc == Some(LibcKind::Musl) {
                by_directory.entry(directory).or_insert(i);
            }
            if prebuild.addon
                && prebuild.libc != Some(LibcKind::Glibc)
                && prebuild.platform == "linux"
                && prebuild.cpus.iter().any(|c| c == target_cpu)
                && let Some(root) = file.location.ancestors().nth(prebuild.package_depth())
            {
                loadable_on_musl.insert(root.to_path_buf());
            }
        }
        // node-gyp-build takes the libc to be musl where /etc/alpine-release is.
        let runner = platform
            .libc_by_alpine_release()
            .map(|libc| runner(libc, platform.arch));
        let never_chosen = runner.map_or_else(HashMap::new, |r| never_chosen(&choices, r));
        let never_consulted = runner.map_or_else(HashMap::new, |r| {
            never_consulted(&tuples, r.libc, target_cpu)
        });
        // Their own loaders tell the libc by what runs (napi-rs's isMusl).
        let named_for_others = match platform.loader_kind() {
            LoaderKind::Musl => named_for_others(&named, LibcKind::Musl, target_cpu),
            LoaderKind::Glibc => named_for_others(&named, LibcKind::Glibc, target_cpu),
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
            never_consulted,
            runner,
            jni: MuslJniMembers::new(index, count),
            musl_gems,
            named_for_others,
            built_at_install: builds.shadowed_prebuilds(),
            machines: MachineBuilds::new(index, count, platform.arch),
            cmake_ts: CmakeTsBuilds::new(index, count, platform),
            host_directories: HostDirectories::new(index, count, platform),
            loadable_on_musl,
            cpu: target_cpu,
        }
    }

    /// The addon built at install that node-gyp-build loads instead of
    /// `file`, a prebuild of the same package, if any.
    pub fn built_at_install(&self, file: &TreeFile) -> Option<&str> {
        self.built_at_install.get(file.location).map(String::as_str)
    }

    /// For an addon its loader never reads here, the error that the
    /// package finds no addon at all: a package without the directory
    /// require-addon or pkg-prebuilds reads, or one whose prebuilds for
    /// Linux and the target's CPU node-gyp-build all rejects. Not where
    /// node-gyp built an addon at install, which both load first.
    pub fn loader_finds_none(&self, file: &TreeFile) -> Option<Finding> {
        if self.built_at_install(file).is_some() {
            return None;
        }
        match self.host_directories.place(file) {
            Some(Place::SetAside(set_aside)) => set_aside.loader_finds_none.map(|f| *f),
            Some(Place::Read) => None,
            None => self.only_glibc_tagged(file),
        }
    }

    /// The error node-gyp-build gives on musl for a package whose prebuilds
    /// for Linux and this CPU are all tagged glibc (@newrelic/native-metrics
    /// 13.1's `*.abi127.uv1.glibc.node`): its `matchTags` rejects each.
    fn only_glibc_tagged(&self, file: &TreeFile) -> Option<Finding> {
        self.runner.filter(|r| r.libc == LibcKind::Musl)?;
        let found = prebuild(file.npm_path())?;
        let tagged_glibc = found.addon
            && !found.bare
            && !found.libc_directory
            && found.libc == Some(LibcKind::Glibc)
            && found.platform == "linux"
            && found.cpus.iter().any(|c| c == self.cpu);
        let root = file.location.ancestors().nth(found.package_depth())?;
        if !tagged_glibc || self.loadable_on_musl.contains(root) {
            return None;
        }
        let reads = format!("prebuilds/linux-{}/", self.cpu);
        Some(Finding::new(
            Code::LoaderFindsNoBuild,
            format!(
                "node-gyp-build never loads {} on musl: the package's prebuilds in {reads} \
                 are all tagged glibc, which its matchTags rejects there, so requiring the \
                 package throws \"No native build was found\"",
                file.shown
            ),
            Evidence::AddonSearch {
                loader: "node-gyp-build".to_string(),
                reads: format!("{reads} (a prebuild tagged musl or untagged)"),
            },
        ))
    }

    /// Why the package's loader never requires `file`, a file named for
    /// another platform (see [`named_for_others`]).
    fn named_for_another(&self, file: &TreeFile) -> Option<String> {
        self.named_for_others.get(file.location).cloned()
    }

    /// The musl prebuild beside `file`, if any.
    fn beside<'i>(&self, index: &'i TreeIndex, file: &TreeFile) -> Option<&'i TreeFile<'i>> {
        let found = *self.by_directory.get(&index.directory_of(file.location))?;
        index.file(found)
    }

    /// Why node-gyp-build never reads the directory of `file` here.
    fn never_consulted(&self, file: &TreeFile) -> Option<String> {
        self.never_consulted.get(file.location).cloned()
    }

    /// Why node-gyp-build never picks `file` for Node here by a tag of its
    /// name (another runtime, libuv or ARM version).
    fn never_matching(&self, file: &TreeFile, prebuild: &Prebuild) -> Option<String> {
        let runner = Runner {
            optional_packages: prebuild.in_platform_package,
            ..self.runner?
        };
        let why = node_gyp_build::never_matches(file.file_name(), runner)?;
        Some(format!(
            "{why}: node-gyp-build never loads it for Node here"
        ))
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

/// node-gyp-build looks in the package's `build/Release`, then
/// `build/Debug`, before its `prebuilds/` (unless `PREBUILDS_ONLY` is set),
/// and loads the first `.node` file there: an addon node-gyp built at
/// install (where no prebuild loaded, or a build was asked for) hides every
/// prebuild. A fresh install on the target has no such build.
#[derive(Default)]
struct InstallBuilds {
    /// By package root: the addon found first (Release before Debug, then
    /// by name, as a directory listing usually gives them).
    addons: HashMap<PathBuf, (bool, String)>,
    /// Prebuild addons in node-gyp-build's layout, with their package root.
    prebuilds: Vec<(PathBuf, PathBuf)>,
}

impl InstallBuilds {
    /// Notes `file`, whose path parses as `prebuild` in node-gyp-build's layout.
    fn meet(&mut self, file: &TreeFile, prebuild: Option<&Prebuild>) {
        let location = file.location;
        let mut above = location.ancestors().skip(1);
        let (Some(config), Some(build), Some(root)) = (above.next(), above.next(), above.next())
        else {
            return;
        };
        let named = |dir: &Path, name: &str| dir.file_name().is_some_and(|n| n == name);
        let release = named(config, "Release");
        if file.file_name().ends_with(".node")
            && named(build, "build")
            && (release || named(config, "Debug"))
        {
            let candidate = (!release, file.shown.to_string());
            let first = self
                .addons
                .entry(root.to_path_buf())
                .or_insert_with(|| candidate.clone());
            if candidate < *first {
                *first = candidate;
            }
            return;
        }
        let Some(prebuild) = prebuild else {
            return;
        };
        if prebuild.addon && !prebuild.bare && !prebuild.in_platform_package {
            self.prebuilds
                .push((root.to_path_buf(), location.to_path_buf()));
        }
    }

    fn shadowed_prebuilds(self) -> HashMap<PathBuf, String> {
        let InstallBuilds { addons, prebuilds } = self;
        if addons.is_empty() {
            return HashMap::new();
        }
        prebuilds
            .into_iter()
            .filter_map(|(root, location)| Some((location, addons.get(&root)?.1.clone())))
            .collect()
    }
}

/// A file outside node-gyp-build's layout whose path inside its npm package
/// names a platform (an addon, or a program the package runs: 7zip-bin's
/// `linux/<process.arch>/7za`): the package and the platform.
fn named_file(file: &TreeFile) -> Option<(PathBuf, NamedPlatform)> {
    let package = package_dir(file.location)?;
    let inside = file.location.strip_prefix(&package).ok()?.to_str()?;
    Some((package.clone(), named_platform(inside)?))
}

/// The files of each package (`named`) a loader choosing by the platform
/// their paths name never requires on `libc` and `target_cpu`:
/// those named for another platform, when the package has one named for
/// this one (its libc's, else one naming no libc), which it requires
/// instead. A package with none for the target is left alone: it does not
/// run here, and its files say why. By location: why.
fn named_for_others(
    named: &HashMap<PathBuf, Vec<(&TreeFile, NamedPlatform)>>,
    libc: LibcKind,
    target_cpu: &str,
) -> HashMap<PathBuf, String> {
    let mut never = HashMap::new();
    for variants in named.values() {
        let for_target =
            |p: &NamedPlatform, wanted| p.os == "linux" && p.cpu == target_cpu && p.libc == wanted;
        let Some((chosen, chosen_platform)) = variants
            .iter()
            .find(|(_, p)| for_target(p, Some(libc)))
            .or_else(|| variants.iter().find(|(_, p)| for_target(p, None)))
        else {
            continue;
        };
        // Several builds for the target (one per Node ABI): the one Node
        // takes depends on its version, which the tree does not say.
        let for_chosen: Vec<String> = variants
            .iter()
            .filter(|(_, p)| p == chosen_platform)
            .map(|(file, _)| {
                let shown: &str = file.shown;
                shown.rsplit('/').next().unwrap_or(shown).to_string()
            })
            .collect();
        let requires = match for_chosen.as_slice() {
            [_, _, ..] => format!(
                "one of its {} builds named for it ({})",
                for_chosen.len(),
                super::describe_list(&for_chosen, 3)
            ),
            _ => chosen.shown.to_string(),
        };
        for (file, platform) in variants {
            if platform != chosen_platform {
                never.insert(
                    file.location.to_path_buf(),
                    format!(
                        "named for {platform}; on {chosen_platform} the package's loader requires {requires}"
                    ),
                );
            }
        }
    }
    never
}

/// The Node process choosing on `libc` and `arch`.
fn runner(libc: LibcKind, arch: Arch) -> Runner<'static> {
    Runner::for_cpu(libc, npm_cpu(arch))
}

/// For each directory of prebuilds, those node-gyp-build never chooses for
/// `runner` (see [`node_gyp_build::never_chosen`]).
fn never_chosen(
    choices: &HashMap<PathBuf, (bool, Vec<&TreeFile>)>,
    runner: Runner,
) -> HashMap<PathBuf, String> {
    let mut found = HashMap::new();
    for (optional_packages, files) in choices.values().filter(|(_, files)| files.len() > 1) {
        let names: Vec<&str> = files.iter().map(|f| f.file_name()).collect();
        let runner = Runner {
            optional_packages: *optional_packages,
            ..runner
        };
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
    if let Some(reason) = prebuilds.cmake_ts.never_loaded(file) {
        return Some(reason);
    }
    // Installed for another machine (`npm install --cpu=x64`, judged for
    // arm64); a glibc one's own reason below names its parent.
    if let Some(package) = file.other_cpu_platform_package
        && file.facts.arch != platform.arch
        && file.glibc_platform_package.is_none()
    {
        return Some(format!(
            "platform package for another CPU, {package}: npm never installs or loads it on {}",
            npm_cpu(platform.arch)
        ));
    }
    if let Some(gem) = ruby::gem_of(file.location)
        && let (name, version, Some(gem_platform)) = gem
    {
        return platform_gem_never_loaded(prebuilds, &name, &version, &gem_platform, platform);
    }
    let arch = platform.arch;
    match prebuilds.host_directories.place(file) {
        Some(Place::Read) => return None,
        Some(Place::SetAside(set_aside)) => return Some(set_aside.reason),
        None => {}
    }
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
    if let Some(reason) = prebuilds.named_for_another(file) {
        return Some(reason);
    }
    let target_cpu = npm_cpu(arch);
    let prebuild = prebuild(file.npm_path())?;
    if let Some(reason) = never_picked(&prebuild, target_cpu, arch) {
        return Some(reason);
    }
    if let Some(reason) = prebuilds
        .never_consulted(file)
        .or_else(|| prebuilds.never_matching(file, &prebuild))
    {
        return Some(reason);
    }
    // node-gyp-build's matchTags rejects a libc tag other than the running one.
    let node_gyp_build_libc = prebuilds.runner.map(|r| r.libc);
    if prebuild.addon
        && prebuild.libc == Some(LibcKind::Glibc)
        && node_gyp_build_libc == Some(LibcKind::Musl)
    {
        return Some(match prebuilds.beside(index, file) {
            Some(musl_sibling) => format!(
                "the glibc prebuild; on musl node-gyp-build loads {} instead",
                musl_sibling.shown
            ),
            None => "a prebuild tagged glibc: node-gyp-build never loads it on musl".to_string(),
        });
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
    if let Some(name) = npm_package_name(file.npm_path())
        && is_musl_variant_name(name, target_cpu)
        && glibc
    {
        return Some(format!(
            "platform package for musl ({name}); on glibc its parent's loader requires the glibc variant"
        ));
    }
    if let Some(reason) = prebuilds.named_for_another(file) {
        return Some(reason);
    }
    let prebuild = prebuild(file.npm_path())?;
    if let Some(reason) = never_picked(&prebuild, target_cpu, arch) {
        return Some(reason);
    }
    if let Some(reason) = prebuilds
        .never_consulted(file)
        .or_else(|| prebuilds.never_matching(file, &prebuild))
    {
        return Some(reason);
    }
    if glibc && prebuild.addon && prebuild.libc == Some(LibcKind::Musl) {
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
    if !prebuild.cpus.iter().any(|cpu| cpu == target_cpu) {
        return Some(format!(
            "a prebuild for linux-{}; node-gyp-build loads prebuilds/linux-{target_cpu}/ on {arch}",
            prebuild.cpus.join("+")
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
        (Some(parent), None) if package.parent_for_glibc => format!(
            "platform package for glibc ({name}); it is required by {parent}, a platform \
             package for glibc too: on musl neither is loaded"
        ),
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
