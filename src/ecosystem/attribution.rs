//! Which package owns a file: `*.dist-info/RECORD` for Python, the nearest
//! `package.json` under `node_modules` for npm.
//!
//! Nothing here opens a file: the caller hands in `read`, which returns a
//! metadata file's text or `None` (absent, or unreadable — the caller decides
//! how files are opened and reports the ones that could not be).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::npm::{PackageJson, package_dir};
use super::python::dist_info_name;
use crate::model::{Ecosystem, Package};

/// The file in a `*.dist-info` directory that lists the package's files.
const RECORD: &str = "RECORD";
/// The manifest of an installed npm package.
const PACKAGE_JSON: &str = "package.json";

/// Reads one metadata file's text; `None` leaves its files unattributed.
pub type ReadText<'r> = dyn FnMut(&Path) -> Option<String> + 'r;

/// Owner of every file listed in a `*.dist-info/RECORD`, by location.
pub fn python_owners(dist_infos: &[PathBuf], read: &mut ReadText) -> HashMap<PathBuf, Package> {
    let mut owners = HashMap::new();
    for dist_info in dist_infos {
        let Some((name, version)) = dist_info
            .file_name()
            .and_then(|n| dist_info_name(&n.to_string_lossy()))
        else {
            continue;
        };
        let Some(site_packages) = dist_info.parent() else {
            continue;
        };
        let Some(record) = read(&dist_info.join(RECORD)) else {
            continue;
        };
        let package = Package {
            ecosystem: Ecosystem::Pypi,
            name,
            version,
        };
        for line in record.lines() {
            let path = line.split(',').next().unwrap_or("").trim_matches('"');
            if !path.is_empty() {
                owners.insert(site_packages.join(path), package.clone());
            }
        }
    }
    owners
}

/// Owner of every given file under `node_modules`, by location, from the
/// nearest package's `package.json` (read once per package).
pub fn npm_owners<'a>(
    locations: impl Iterator<Item = &'a Path>,
    read: &mut ReadText,
) -> HashMap<PathBuf, Package> {
    let mut manifests: HashMap<PathBuf, Option<Package>> = HashMap::new();
    let mut owners = HashMap::new();
    for location in locations {
        let Some(dir) = package_dir(location) else {
            continue;
        };
        let package = manifests.entry(dir).or_insert_with_key(|dir| {
            read(&dir.join(PACKAGE_JSON))
                .as_deref()
                .and_then(PackageJson::parse)
                .map(|manifest| manifest.package())
        });
        if let Some(package) = package {
            owners.insert(location.to_path_buf(), package.clone());
        }
    }
    owners
}
