//! Which package owns a file: `*.dist-info/RECORD` for Python, the nearest
//! `package.json` under `node_modules` for npm.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::npm::{PackageJson, package_dir};
use super::python::dist_info_name;
use crate::model::{Ecosystem, Package};

/// Owner of every file listed in a `*.dist-info/RECORD`, by location.
pub fn python_owners(dist_infos: &[PathBuf]) -> HashMap<PathBuf, Package> {
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
        // RECORD is small text written by the installer; unreadable means unattributed.
        let Ok(record) = std::fs::read_to_string(dist_info.join("RECORD")) else {
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
pub fn npm_owners<'a>(locations: impl Iterator<Item = &'a Path>) -> HashMap<PathBuf, Package> {
    let mut manifests: HashMap<PathBuf, Option<Package>> = HashMap::new();
    let mut owners = HashMap::new();
    for location in locations {
        let Some(dir) = package_dir(location) else {
            continue;
        };
        let package = manifests.entry(dir).or_insert_with_key(|dir| {
            std::fs::read_to_string(dir.join("package.json"))
                .ok()
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
