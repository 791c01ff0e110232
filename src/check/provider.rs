//! Who provides a library a file needs on a musl target, once the tree's
//! search has found it or said where it looked: musl itself (its reserved
//! names, or a second libc found on disk), a tree file, gcompat, the base
//! image, a package the host program brings, an Alpine package — or nobody,
//! with where it was looked for.

use super::resolve::ResolveContext;
use super::search::NotFound;
use super::tree::TreeIndex;
use crate::model::MissingLibrary;
use crate::platform::musl::{is_gcompat_soname, is_reserved_name, search_path_description};
use crate::platform::{BaseLibrary, Platform, SonameProvider, alpine_provider};

/// Who provides a needed library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LibraryProvider {
    Musl,
    /// A file in the scanned tree (index into the analysed files).
    Tree(usize),
    Gcompat,
    /// A library the target's base image already has, with its exports.
    BaseImage(BaseLibrary),
    /// An Alpine package that installing the host program brings (`libstdc++`
    /// with `nodejs`); `table` when muslcheck has its export table.
    BroughtByHost {
        package: &'static str,
        host_package: &'static str,
        table: Option<PackageTable>,
    },
    /// An Alpine package; `checked` when muslcheck has its export table.
    AlpinePackage {
        package: &'static str,
        table: Option<PackageTable>,
    },
}

/// An Alpine library whose export table muslcheck carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageTable {
    Libstdcxx,
    LibgccS,
}

/// Who provided a library, for the load summary.
pub fn describe_provider(index: &TreeIndex, provider: &LibraryProvider) -> String {
    match provider {
        LibraryProvider::Musl => "musl".to_string(),
        LibraryProvider::Tree(found) => index
            .file(*found)
            .map(|f| f.shown.to_string())
            .unwrap_or_default(),
        LibraryProvider::Gcompat => "gcompat".to_string(),
        LibraryProvider::BaseImage(library) => library.describe(),
        LibraryProvider::AlpinePackage { package, .. } => format!("apk {package}"),
        LibraryProvider::BroughtByHost {
            package,
            host_package,
            ..
        } => format!("apk {package}, brought by Alpine's {host_package} package"),
    }
}

/// A needed library's provider, or why there is none (an MC103 finding).
pub(super) type LibraryAnswer = Result<LibraryProvider, Box<MissingLibrary>>;

/// The export table muslcheck has for the Alpine library `soname`, if any.
pub(super) fn package_table(soname: &str) -> Option<PackageTable> {
    match soname {
        "libstdc++.so.6" => Some(PackageTable::Libstdcxx),
        "libgcc_s.so.1" => Some(PackageTable::LibgccS),
        _ => None,
    }
}

/// Who provides library `name` that `object` needs, given what the search
/// of the tree found (or where it looked).
pub(super) fn find_library(
    index: &TreeIndex,
    platform: &Platform,
    object: usize,
    name: &str,
    in_tree: Result<usize, NotFound>,
    ctx: &ResolveContext,
) -> LibraryAnswer {
    if is_reserved_name(name) {
        return Ok(LibraryProvider::Musl);
    }
    let not_found = match in_tree {
        Ok(found) => {
            let is_another_libc = index.file(found).is_some_and(|f| {
                f.facts.exports_symbol("__libc_start_main") && f.facts.exports_symbol("stdin")
            });
            // musl drops a second libc found on disk and uses itself instead.
            return Ok(if is_another_libc {
                LibraryProvider::Musl
            } else {
                LibraryProvider::Tree(found)
            });
        }
        Err(not_found) => not_found,
    };
    let needed_by = || {
        index
            .file(object)
            .map(|f| f.shown.to_string())
            .unwrap_or_default()
    };
    // The search stopped at a file by the name that does not load: musl
    // looks nowhere else.
    if let Some(unloadable) = not_found.unloadable_at() {
        return Err(Box::new(MissingLibrary {
            name: name.to_string(),
            needed_by: needed_by(),
            looked_in: not_found.looked_in(index),
            gcompat_provides: false,
            note: None,
            in_tree_at: None,
            symbols_expected: Vec::new(),
            unloadable_at: Some(unloadable.clone()),
        }));
    }
    // The loader itself, found on the default path: musl sees the file it
    // already is (same device and inode) and does not load it again.
    if platform.musl_loader_on_search_path() == Some(name) {
        return Ok(LibraryProvider::Musl);
    }
    if is_gcompat_soname(name) && ctx.gcompat_installed {
        return Ok(LibraryProvider::Gcompat);
    }
    // musl's default path (/lib, /usr/local/lib, /usr/lib) on the image.
    if let Some(library) = platform.base_library(name) {
        return Ok(LibraryProvider::BaseImage(library));
    }
    let brought = ctx.host.and_then(|host| {
        platform
            .brought_by_host(host.kind)
            .into_iter()
            .find(|brought| brought.soname == name)
    });
    if let Some(brought) = brought {
        return Ok(LibraryProvider::BroughtByHost {
            package: brought.package,
            host_package: brought.host_package,
            table: package_table(name),
        });
    }
    let mut note = None;
    let mut looked_in = not_found.looked_in(index);
    if platform.has_packages() {
        looked_in.push("Alpine packages".to_string());
        match alpine_provider(name) {
            Some(SonameProvider::Package(package)) if !is_gcompat_soname(name) => {
                let table = package_table(name);
                return Ok(LibraryProvider::AlpinePackage { package, table });
            }
            Some(SonameProvider::Nothing(why)) => note = Some(why.to_string()),
            _ => {}
        }
    } else {
        looked_in.push(format!("{} system paths (musl only)", platform.target));
    }
    let in_tree_at = off_search_path(index, name);
    if let Some(at) = &in_tree_at {
        note = Some(format!(
            "in the scanned tree at {at}, but not on musl's search path: no RPATH/RUNPATH reaches it; {}",
            search_path_description(platform.arch)
        ));
    }
    Err(Box::new(MissingLibrary {
        name: name.to_string(),
        needed_by: needed_by(),
        looked_in,
        gcompat_provides: is_gcompat_soname(name) && platform.has_packages(),
        note,
        in_tree_at,
        symbols_expected: Vec::new(),
        unloadable_at: None,
    }))
}

/// Where the scanned tree has a file named `name` that the search did not
/// reach, as the report shows it: beside the file it names (a symlink in
/// the same directory), else the file itself. Not an image's distribution
/// file: the target's own packages replace those, wherever they lie.
pub(super) fn off_search_path(index: &TreeIndex, name: &str) -> Option<String> {
    let (location, file) = index.named(name)?;
    let file = index.file(file)?;
    if file.distro_owned && file.filesystem_root.is_some() {
        return None;
    }
    if location.parent() == file.location.parent()
        && let Some((dir, _)) = file.shown.rsplit_once('/')
    {
        return Some(format!("{dir}/{name}"));
    }
    if location.parent() == file.location.parent() {
        return Some(name.to_string());
    }
    Some(file.shown.to_string())
}
