//! Which package owns a file: `*.dist-info/RECORD` for Python, the nearest
//! `package.json` under `node_modules` for npm.
//!
//! Nothing here opens a file: the caller hands in `read`, which returns a
//! metadata file's text or `None` (absent, or unreadable — the caller decides
//! how files are opened and reports the ones that could not be).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use super::npm::{PackageJson, enclosing_package_dir, package_dir};
use super::python::dist_info_name;
use crate::model::{Ecosystem, Package};

/// The file in a `*.dist-info` directory that lists the package's files.
const RECORD: &str = "RECORD";
/// The manifest of an installed npm package.
const PACKAGE_JSON: &str = "package.json";

/// Reads one metadata file's text; `None` leaves its files unattributed.
pub type ReadText<'r> = dyn FnMut(&Path) -> Option<String> + 'r;

/// Owner of each of `locations` that a `*.dist-info/RECORD` lists, by
/// location. A RECORD lists every file of its distribution (thousands for
/// a data stack); only the asked-for ones get an entry.
pub fn python_owners<'a>(
    dist_infos: &[PathBuf],
    locations: impl Iterator<Item = &'a Path>,
    read: &mut ReadText,
) -> HashMap<PathBuf, Package> {
    let locations: Vec<&Path> = locations.collect();
    // A RECORD line can only be one of the locations if its name is one of theirs:
    // telling that by name spares hashing thousands of paths component by component.
    let names: FxHashSet<&OsStr> = locations.iter().filter_map(|l| l.file_name()).collect();
    let mut records = Vec::new();
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
        records.push((site_packages, package, record));
    }
    // Each RECORD's lines naming one of the locations' names, the RECORDs
    // side by side (the venv's are 5,000 lines, read while one core waits).
    let named: Vec<Vec<&str>> = records
        .par_iter()
        .map(|(_, _, record)| {
            record
                .lines()
                .map(|line| line.split(',').next().unwrap_or("").trim_matches('"'))
                .filter(|listed_path| names_path(listed_path, &names))
                .collect()
        })
        .collect();
    // Per site-packages directory, each listed path (compared by components,
    // as the joined path was) → its distribution; a later RECORD wins.
    let mut listed: HashMap<&Path, HashMap<&Path, &Package>> = HashMap::new();
    // Files a wheel installs outside site-packages (its scripts and data:
    // `../../../bin/ruff` in a venv), by where they are.
    let mut outside: HashMap<PathBuf, &Package> = HashMap::new();
    for ((site_packages, package, _), listed_paths) in records.iter().zip(named) {
        let files = listed.entry(*site_packages).or_default();
        for listed_path in listed_paths {
            match listed_path.strip_prefix("../") {
                Some(_) => {
                    if let Some(path) = outside_site_packages(site_packages, listed_path) {
                        outside.insert(path, package);
                    }
                    if let Some(path) = moved_by_pip_target(site_packages, listed_path) {
                        outside.insert(path, package);
                    }
                }
                None => {
                    files.insert(Path::new(listed_path), package);
                }
            }
        }
    }
    let mut owners = HashMap::new();
    for location in locations {
        let owner = location
            .ancestors()
            .skip(1)
            .find_map(|dir| {
                let files = listed.get(dir)?;
                files.get(location.strip_prefix(dir).ok()?)
            })
            .or_else(|| outside.get(location));
        if let Some(package) = owner {
            owners.insert(location.to_path_buf(), (*package).clone());
        }
    }
    owners
}

/// Where a RECORD path that leaves site-packages (`../../../bin/ruff`)
/// points, its `..` taken as pip wrote them: from the venv's
/// `lib/pythonX.Y/site-packages` up. `None` past the path's first component.
fn outside_site_packages(site_packages: &Path, listed_path: &str) -> Option<PathBuf> {
    let mut path = site_packages.to_path_buf();
    for component in Path::new(listed_path).components() {
        match component {
            Component::ParentDir => {
                if !path.pop() {
                    return None;
                }
            }
            Component::Normal(name) => path.push(name),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(path)
}

/// Where `pip install --target DIR` put a file RECORD lists from its
/// `--home` prefix's site-packages, `lib/python`: the prefix's directories
/// other than `lib` move into DIR (`../../bin/typos` is `DIR/bin/typos`).
fn moved_by_pip_target(site_packages: &Path, listed_path: &str) -> Option<PathBuf> {
    let rest = listed_path.strip_prefix("../../")?;
    let mut components = Path::new(rest).components();
    match components.next()? {
        Component::Normal(first) if first != "lib" => {}
        _ => return None,
    }
    components
        .all(|component| matches!(component, Component::Normal(_)))
        .then(|| site_packages.join(rest))
}

/// Whether `listed_path`'s file name is one of `names`. Its last segment is
/// that name unless it is empty, `.` or `..`: only those need `Path`'s
/// component parsing (most of the time spent on a data stack's RECORDs).
fn names_path(listed_path: &str, names: &FxHashSet<&OsStr>) -> bool {
    let last = listed_path.rsplit('/').next().unwrap_or(listed_path);
    if matches!(last, "" | "." | "..") {
        Path::new(listed_path)
            .file_name()
            .is_some_and(|name| names.contains(name))
    } else {
        names.contains(OsStr::new(last))
    }
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
        // A directory without a package.json is part of the package around it.
        let mut dir = package_dir(location);
        while let Some(candidate) = dir {
            let next = enclosing_package_dir(&candidate);
            let package = manifests.entry(candidate).or_insert_with_key(|dir| {
                read(&dir.join(PACKAGE_JSON))
                    .as_deref()
                    .and_then(PackageJson::parse)
                    .map(|manifest| manifest.package())
            });
            if let Some(package) = package {
                owners.insert(location.to_path_buf(), package.clone());
                break;
            }
            dir = next;
        }
    }
    owners
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_belongs_to_the_distribution_whose_record_lists_it() {
        let site = Path::new("/v/lib/python3.12/site-packages");
        let dist_infos = [
            site.join("pkg-1.0.dist-info"),
            site.join("later-2.0.dist-info"),
        ];
        let records: HashMap<PathBuf, &str> = HashMap::from([
            (
                dist_infos[0].join(RECORD),
                "pkg/a.so,sha256=x,1\n\"pkg/c d.so\",sha256=y,2\npkg.libs/libz-1.so,,\nx/b.so,,\n",
            ),
            (
                dist_infos[1].join(RECORD),
                "x/b.so,sha256=z,3\n../../../bin/tool,sha256=t,4\n../../../../../etc/tool,,\n",
            ),
        ]);
        let locations: Vec<PathBuf> = [
            "pkg/a.so",
            "pkg/c d.so",
            "pkg.libs/libz-1.so",
            "x/b.so",
            // Named like a listed file, in a directory no RECORD lists.
            "other/a.so",
        ]
        .iter()
        .map(|relative| site.join(relative))
        .collect();
        // A wheel's script in the venv's bin/, listed from site-packages.
        let script = PathBuf::from("/v/bin/tool");
        let mut read = |path: &Path| records.get(path).map(|text| text.to_string());
        let owners = python_owners(
            &dist_infos,
            locations
                .iter()
                .map(PathBuf::as_path)
                .chain([script.as_path(), Path::new("/etc/tool")]),
            &mut read,
        );
        let owner = |relative: &str| owners.get(&site.join(relative)).map(|p| p.name.as_str());
        assert_eq!(owner("pkg/a.so"), Some("pkg"));
        assert_eq!(owner("pkg/c d.so"), Some("pkg"));
        assert_eq!(owner("pkg.libs/libz-1.so"), Some("pkg"));
        assert_eq!(owner("x/b.so"), Some("later"), "a later RECORD wins");
        assert_eq!(owner("other/a.so"), None);
        assert_eq!(owners.get(&script).map(|p| p.name.as_str()), Some("later"));
        // `..` past the filesystem's root is not the root.
        assert_eq!(owners.get(Path::new("/etc/tool")), None);
        assert_eq!(owners.len(), 5);
    }

    /// `pip install --target DIR` installs under a `--home` prefix, whose
    /// site-packages is `lib/python`, then moves it into DIR and the
    /// prefix's other directories (`bin/`) into DIR too: RECORD still says
    /// `../../bin/typos` for `DIR/bin/typos`.
    #[test]
    fn a_script_of_a_pip_target_directory_is_its_wheels() {
        let target = Path::new("/app/deps");
        let dist_info = target.join("typos-1.52.2.dist-info");
        let record = "typos-1.52.2.dist-info/RECORD,,\n../../bin/typos,sha256=a,3\n\
                      ../../lib/x/inner,,\n";
        let mut read = |path: &Path| (path == dist_info.join(RECORD)).then(|| record.to_string());
        let script = target.join("bin/typos");
        let in_lib = target.join("lib/x/inner");
        let owners = python_owners(
            std::slice::from_ref(&dist_info),
            [script.as_path(), in_lib.as_path()].into_iter(),
            &mut read,
        );
        assert_eq!(owners.get(&script).map(|p| p.name.as_str()), Some("typos"));
        // The prefix's lib/ is site-packages itself: pip moves nothing there.
        assert_eq!(owners.get(&in_lib), None);
    }

    #[test]
    fn a_listed_name_is_found_as_paths_own_component_parsing_finds_it() {
        let names: FxHashSet<&OsStr> = [OsStr::new("b.so"), OsStr::new("x")].into_iter().collect();
        for listed in [
            "a/b.so", "b.so", "a/b.so/", "a/b.so//", "a/b.so/.", "a/./b.so", "a/x/..", "..", ".",
            "", "/", "a/b.sox", "x", "x/", "/b.so", "a//b.so",
        ] {
            let by_components = Path::new(listed)
                .file_name()
                .is_some_and(|name| names.contains(name));
            assert_eq!(names_path(listed, &names), by_components, "{listed:?}");
        }
    }

    #[test]
    fn a_file_below_a_directory_that_is_no_package_belongs_to_the_package_around_it() {
        let manifests: HashMap<PathBuf, &str> = HashMap::from([
            (
                PathBuf::from("/p/node_modules/sq/package.json"),
                r#"{"name":"sq","version":"1.0.0"}"#,
            ),
            (
                PathBuf::from("/p/node_modules/sq/node_modules/@s/dep/package.json"),
                r#"{"name":"@s/dep","version":"2.0.0"}"#,
            ),
        ]);
        let mut read = |path: &Path| manifests.get(path).map(|text| text.to_string());
        // node-gyp's intermediate files, and a real nested package.
        let object = Path::new(
            "/p/node_modules/sq/build/Release/obj.target/nothing/node_modules/node-addon-api/nothing.o",
        );
        let nested = Path::new("/p/node_modules/sq/node_modules/@s/dep/dep.node");
        let stray = Path::new("/p/node_modules/nobody/x.node");
        let owners = npm_owners([object, nested, stray].into_iter(), &mut read);
        let name = |path: &Path| owners.get(path).map(|p| p.name.as_str());
        assert_eq!(name(object), Some("sq"));
        assert_eq!(name(nested), Some("@s/dep"));
        assert_eq!(name(stray), None);
    }
}
