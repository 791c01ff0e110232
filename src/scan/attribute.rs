//! Which package owns each file read, and which CPython each installed
//! distribution was built for.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::discover::{Inventory, OtherName};
use crate::ecosystem::attribution::{npm_owners, python_owners};
use crate::ecosystem::distro::distro_owners;
use crate::ecosystem::python;
use crate::model::{Ecosystem, Package, ReportPath};

use super::read::Item;
use super::side_reads::SideReads;

/// The tags of the wheel each installed distribution came from (its
/// `WHEEL` file's `Tag: cp311-cp311-…` lines), for the index lookups: which
/// CPython it was built for, and whether a reinstall gets that very wheel.
pub(super) fn installed_wheels(
    inventory: &Inventory,
    side_reads: &mut SideReads,
) -> BTreeMap<Package, python::InstalledWheel> {
    inventory
        .dist_infos
        .iter()
        .filter_map(|dist_info| {
            let (name, version) = dist_info
                .file_name()
                .and_then(|n| python::dist_info_name(&n.to_string_lossy()))?;
            let text = side_reads.package_metadata(&dist_info.join("WHEEL"))?;
            let wheel = python::InstalledWheel::read(&text);
            let package = Package {
                ecosystem: Ecosystem::Pypi,
                name,
                version,
            };
            (!wheel.tags.is_empty()).then_some((package, wheel))
        })
        .collect()
}

/// Gives each file its owning package (a wheel's or tarball's members
/// already have theirs), after [`name_hard_links`].
pub(super) fn attribute_packages(
    items: &mut [Item],
    inventory: &Inventory,
    side_reads: &mut SideReads,
) {
    let mut read = |location: &Path| side_reads.package_metadata(location);
    let owners = python_owners(
        &inventory.dist_infos,
        items
            .iter()
            .filter(|item| item.package.is_none())
            .map(|item| item.location.as_path()),
        &mut read,
    );
    // A member without a package of its own belongs to its archive's:
    // nothing is looked for on disk under an archive's path.
    let npm = npm_owners(
        items
            .iter()
            .filter(|item| item.package.is_none())
            .map(|item| item.owner_location()),
        &mut read,
    );
    // A language package's own metadata first: a Debian python3-numpy is
    // also a numpy distribution, but the file is the same either way.
    let distro = distro_owners(&inventory.package_databases, &mut read);
    for item in items.iter_mut() {
        if item.package.is_none() {
            item.package = owners
                .get(&item.location)
                .or_else(|| npm.get(item.owner_location()))
                .cloned()
                .or_else(|| gem_package(item.owner_location()))
                .or_else(|| distro.get(&item.location).cloned());
        }
    }
}

/// A file met under several names (hard links) is named, located and so
/// attributed by its shallowest path, then smallest, whichever name the
/// walk (its jobs in any order) met first: node-gyp's `build/Release/x.node`,
/// which Node loads, not its link `build/Release/obj.target/x.node`. The
/// loader model finds it under every name.
pub(super) fn name_hard_links(
    items: &mut [Item],
    mut hard_links: HashMap<PathBuf, Vec<OtherName>>,
) {
    if hard_links.is_empty() {
        return;
    }
    for item in items.iter_mut() {
        let Some(others) = hard_links.remove(&item.location) else {
            continue;
        };
        let mut names: Vec<(ReportPath, PathBuf)> = others
            .into_iter()
            .map(|other| (ReportPath::file(other.shown), other.location))
            .collect();
        names.push((
            std::mem::take(&mut item.shown),
            std::mem::take(&mut item.location),
        ));
        names.sort_by(|(a, _), (b, _)| {
            let depth = |path: &ReportPath| path.as_str().matches('/').count();
            depth(a).cmp(&depth(b)).then_with(|| a.cmp(b))
        });
        let mut names = names.into_iter();
        if let Some((shown, location)) = names.next() {
            (item.shown, item.location) = (shown, location);
        }
        (item.also_at, item.also_located) = names.unzip();
    }
}

/// The gem a file is installed in, by its gem directory.
fn gem_package(location: &Path) -> Option<Package> {
    let (name, version, _) = crate::ecosystem::ruby::gem_of(location)?;
    Some(Package {
        ecosystem: Ecosystem::Rubygems,
        name,
        version,
    })
}
