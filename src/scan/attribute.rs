//! Which package owns each file read, and which CPython each installed
//! distribution was built for.

use std::collections::{BTreeMap, HashMap, HashSet};
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
/// already have theirs), after [`name_hard_links`]. A file whose names lie in
/// different packages is one file of each: the names of each package become
/// an item of their own, judged there (`@pnpm/exe/pnpm`, hard-linked to its
/// glibc platform package's `pnpm`, is what runs when the platform package
/// is never loaded).
pub(super) fn attribute_packages(
    items: &mut Vec<Item>,
    inventory: &Inventory,
    side_reads: &mut SideReads,
) {
    let mut read = |location: &Path| side_reads.package_metadata(location);
    let unowned = || items.iter().filter(|item| item.package.is_none());
    let owners = python_owners(
        &inventory.dist_infos,
        unowned().flat_map(|item| names(item).map(|(location, _)| location)),
        &mut read,
    );
    // A member without a package of its own belongs to its archive's:
    // nothing is looked for on disk under an archive's path.
    let npm = npm_owners(
        unowned().flat_map(|item| names(item).map(|(_, owner)| owner)),
        &mut read,
    );
    // A language package's own metadata first: a Debian python3-numpy is
    // also a numpy distribution, but the file is the same either way.
    let distro = distro_owners(&inventory.package_databases, &mut read);
    let owner = |(location, owner_location): (&Path, &Path)| {
        owners
            .get(location)
            .or_else(|| npm.get(owner_location))
            .cloned()
            .or_else(|| gem_package(owner_location))
            .or_else(|| distro.get(location).cloned())
    };
    let mut split_off = Vec::new();
    for item in items.iter_mut() {
        if item.package.is_some() {
            continue;
        }
        if item.also_located.is_empty() {
            let package = names(item).next().and_then(owner);
            item.package = package;
            continue;
        }
        // In the order first met; indexed, as a hostile image may give one
        // file many names in as many packages.
        let mut by_package: Vec<(Option<Package>, Vec<usize>)> = Vec::new();
        let mut group_of: HashMap<Option<Package>, usize> = HashMap::new();
        for (index, package) in names(item).map(owner).enumerate() {
            let group = *group_of.entry(package.clone()).or_insert_with(|| {
                by_package.push((package, Vec::new()));
                by_package.len() - 1
            });
            if let Some((_, indices)) = by_package.get_mut(group) {
                indices.push(index);
            }
        }
        let mut groups = by_package.into_iter();
        let Some((package, _)) = groups.next() else {
            continue;
        };
        item.package = package;
        let others: Vec<(Option<Package>, Vec<usize>)> = groups.collect();
        if others.is_empty() {
            continue;
        }
        // Index 0 is the item's own name, 1.. its other names in order.
        let name_at = |item: &Item, index: usize| match index.checked_sub(1) {
            None => Some((item.shown.clone(), item.location.clone())),
            Some(other) => Some((
                item.also_at.get(other)?.clone(),
                item.also_located.get(other)?.clone(),
            )),
        };
        for (package, indices) in &others {
            let mut names = indices.iter().filter_map(|&index| name_at(item, index));
            let Some((shown, location)) = names.next() else {
                continue;
            };
            let (also_at, also_located) = names.unzip();
            split_off.push(Item {
                shown,
                also_at,
                also_located,
                location,
                size: item.size,
                read: item.read.clone(),
                package: package.clone(),
                in_image: item.in_image,
            });
        }
        let moved: HashSet<usize> = others
            .iter()
            .flat_map(|(_, indices)| indices.iter().filter_map(|i| i.checked_sub(1)))
            .collect();
        item.also_at = without(std::mem::take(&mut item.also_at), &moved);
        item.also_located = without(std::mem::take(&mut item.also_located), &moved);
    }
    items.append(&mut split_off);
}

/// `names` but those at the positions `moved`.
fn without<T>(names: Vec<T>, moved: &HashSet<usize>) -> Vec<T> {
    names
        .into_iter()
        .enumerate()
        .filter(|(index, _)| !moved.contains(index))
        .map(|(_, name)| name)
        .collect()
}

/// An item's names (its own first, then its hard links'), each with where
/// its package metadata is looked for.
fn names(item: &Item) -> impl Iterator<Item = (&Path, &Path)> {
    std::iter::once(item.location.as_path())
        .chain(item.also_located.iter().map(PathBuf::as_path))
        .map(move |location| {
            let owner = if item.in_image {
                location
            } else {
                crate::model::on_disk(location)
            };
            (location, owner)
        })
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
