//! Addon loaders that read one directory of prebuilds, named for the host,
//! and no other: require-addon (Holepunch's `require.addon`, through
//! bare-addon-resolve) reads `prebuilds/<platform>-<arch>[-musl]/`, and
//! pkg-prebuilds reads `prebuilds/<name>-<platform>-<arch>[-musl]/`. Both add
//! `-musl` on Alpine alone (they look for `/etc/alpine-release`, which other
//! musl systems lack) and never fall back to the other directory, so a
//! package without the target's directory finds no addon and its `require`
//! throws.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::ecosystem::npm::{PkgPrebuild, npm_cpu, package_dir, pkg_prebuild, require_addon_names};
use crate::model::{Code, Evidence, Finding, LibcKind};
use crate::platform::Platform;

use super::tree::{TreeFile, TreeIndex};

/// The directories such loaders read on the target, and which of them the
/// tree's packages have.
pub struct HostDirectories {
    /// The directories of prebuilds, in these loaders' layouts, that hold an
    /// addon the loader would take.
    with_addon: HashSet<PathBuf>,
    /// Whether the directories read here end in `-musl` (on Alpine alone);
    /// `None` without a C library (no Node runs there: nothing is set aside).
    musl: Option<bool>,
    cpu: &'static str,
}

/// Where a file of such a layout stands on the target.
pub enum Place {
    /// In the directory its loader reads here (or no Node runs here).
    Read,
    SetAside(SetAside),
}

/// Why the target never loads a file of such a layout.
pub struct SetAside {
    pub reason: String,
    /// For the addon for the other libc and this CPU, when the package
    /// lacks the directory its loader reads here: why that loader finds no
    /// addon at all, so the package does not load.
    pub loader_finds_none: Option<Box<Finding>>,
}

/// A file in one of these loaders' layouts.
enum Layout<'f> {
    /// `<package>/prebuilds/<directory>/<file>` of a package that loads its
    /// addon with require-addon.
    RequireAddon {
        directory: &'f str,
    },
    PkgPrebuilds(PkgPrebuild<'f>),
}

impl HostDirectories {
    pub fn new(index: &TreeIndex, count: usize, platform: &Platform) -> Self {
        let musl = platform
            .libc_by_alpine_release()
            .map(|libc| libc == LibcKind::Musl);
        let with_addon = (0..count)
            .filter_map(|i| index.file(i))
            .filter(|file| match layout(file) {
                Some(Layout::RequireAddon { .. }) => require_addon_takes(file),
                Some(Layout::PkgPrebuilds(prebuild)) => prebuild.addon,
                None => false,
            })
            .filter_map(|file| file.location.parent().map(Path::to_path_buf))
            .collect();
        HostDirectories {
            with_addon,
            musl,
            cpu: npm_cpu(platform.arch),
        }
    }

    /// Where `file` stands, if it is in one of these layouts: in the
    /// directory its loader reads here, or set aside.
    pub fn place(&self, file: &TreeFile) -> Option<Place> {
        let layout = layout(file)?;
        let Some(musl) = self.musl else {
            return Some(Place::Read);
        };
        let (suffix, other_suffix) = if musl { ("-musl", "") } else { ("", "-musl") };
        let on_alpine = if musl {
            " (on Alpine: it looks for /etc/alpine-release)"
        } else {
            ""
        };
        // The addon for the other libc and this CPU is the one a user
        // expects to load: where the package lacks the directory read here,
        // its loader finds nothing and `require` throws this.
        let (loader, read, reason, other_libc_addon, thrown) = match layout {
            Layout::RequireAddon { directory } => {
                let read = format!("linux-{}{suffix}", self.cpu);
                let reason = if file.file_name().ends_with(".bare") {
                    "an addon for the Bare runtime (.bare): Node never loads it \
                     (require-addon loads .node files)"
                        .to_string()
                } else if directory != read {
                    format!(
                        "a prebuild for {directory}; require-addon reads only \
                         prebuilds/{read}/ here{on_alpine}"
                    )
                } else if file.file_name().ends_with(".node") && !require_addon_takes(file) {
                    format!(
                        "require-addon loads only the addon named for its package in \
                         prebuilds/{read}/"
                    )
                } else {
                    return Some(Place::Read);
                };
                let other_libc_addon = directory == format!("linux-{}{other_suffix}", self.cpu)
                    && require_addon_takes(file);
                (
                    "require-addon",
                    read,
                    reason,
                    other_libc_addon,
                    "Cannot find addon '.'",
                )
            }
            Layout::PkgPrebuilds(prebuild) => {
                let read = format!("{}-linux-{}{suffix}", prebuild.name, self.cpu);
                if prebuild.directory == read {
                    return Some(Place::Read);
                }
                let reason = format!(
                    "a prebuild for {}; pkg-prebuilds loads prebuilds/{read}/ here{}",
                    prebuild.directory,
                    if musl { " (on Alpine)" } else { "" }
                );
                let other_libc_addon = prebuild.addon
                    && prebuild.directory
                        == format!("{}-linux-{}{other_suffix}", prebuild.name, self.cpu);
                (
                    "pkg-prebuilds",
                    read,
                    reason,
                    other_libc_addon,
                    "Failed to find binding",
                )
            }
        };
        let prebuilds = file.location.parent().and_then(Path::parent);
        let has_read = prebuilds.is_some_and(|p| self.with_addon.contains(&p.join(&read)));
        let loader_finds_none = (other_libc_addon && !has_read).then(|| {
            let package = file.package.map_or_else(
                || "its package".to_string(),
                |p| format!("{} {}", p.name, p.version),
            );
            Box::new(Finding::new(
                Code::LoaderFindsNoBuild,
                format!(
                    "{loader} never loads {} here: it reads only prebuilds/{read}/{on_alpine}, \
                     which {package} does not have, so requiring the package throws \
                     \"{thrown}\"",
                    file.shown
                ),
                Evidence::AddonSearch {
                    loader: loader.to_string(),
                    reads: format!("prebuilds/{read}/"),
                },
            ))
        });
        Some(Place::SetAside(SetAside {
            reason,
            loader_finds_none,
        }))
    }
}

fn layout<'f>(file: &'f TreeFile) -> Option<Layout<'f>> {
    if file.require_addon {
        let directory = file.location.parent()?;
        let prebuilds = directory.parent()?;
        if prebuilds.file_name().is_some_and(|n| n == "prebuilds")
            && prebuilds.parent() == package_dir(file.location).as_deref()
        {
            return Some(Layout::RequireAddon {
                directory: directory.file_name()?.to_str()?,
            });
        }
    }
    pkg_prebuild(file.npm_path()).map(Layout::PkgPrebuilds)
}

/// Whether require-addon takes `file` from its directory, by its name
/// ([`require_addon_names`]).
fn require_addon_takes(file: &TreeFile) -> bool {
    let Some(package) = file.package else {
        // Unknown package: any addon of the directory may be the one.
        return file.file_name().ends_with(".node");
    };
    require_addon_names(&package.name, &package.version)
        .iter()
        .any(|name| name == file.file_name())
}
