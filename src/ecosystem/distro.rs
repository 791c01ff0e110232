//! Distribution packages of a root filesystem: dpkg's database
//! (`var/lib/dpkg/status` and `info/<package>[:<arch>].list`) and apk's
//! (`lib/apk/db/installed`), so a Debian or Alpine tree's files are owned by
//! their packages.
//!
//! Like [`super::attribution`], nothing here opens a file: the caller hands
//! in the reader.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::attribution::ReadText;
use crate::model::{Ecosystem, Package};

/// dpkg's database directory, below a root filesystem.
pub const DPKG_DIR: &str = "var/lib/dpkg";
/// apk's database of installed packages, below a root filesystem.
pub const APK_INSTALLED: &str = "lib/apk/db/installed";

/// A package database found in the scanned tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PackageDatabase {
    /// The `var/lib/dpkg` directory.
    Dpkg(PathBuf),
    /// The `lib/apk/db/installed` file.
    Apk(PathBuf),
}

impl PackageDatabase {
    /// The database `path` is, if any: a directory `var/lib/dpkg` or a file
    /// `lib/apk/db/installed`.
    pub fn recognise(path: &Path, is_dir: bool) -> Option<PackageDatabase> {
        // The last name first, by bytes: this runs for every path of the
        // walk (`Path::file_name` parses components: a twelfth of the walk).
        let bytes = path.as_os_str().as_encoded_bytes();
        let bytes = bytes.strip_suffix(b"/").unwrap_or(bytes);
        let named = |full: &str| {
            let last = full.rsplit('/').next().unwrap_or(full);
            bytes
                .strip_suffix(last.as_bytes())
                .is_some_and(|rest| rest.is_empty() || rest.ends_with(b"/"))
        };
        if is_dir && named(DPKG_DIR) && path.ends_with(DPKG_DIR) {
            Some(PackageDatabase::Dpkg(path.to_path_buf()))
        } else if !is_dir && named(APK_INSTALLED) && path.ends_with(APK_INSTALLED) {
            Some(PackageDatabase::Apk(path.to_path_buf()))
        } else {
            None
        }
    }

    /// The root filesystem the database describes.
    pub fn root(&self) -> Option<&Path> {
        let (path, depth) = match self {
            PackageDatabase::Dpkg(dir) => (dir, 3),
            PackageDatabase::Apk(file) => (file, 4),
        };
        path.ancestors().nth(depth)
    }
}

/// Whether `package` (Debian's or Ubuntu's, Alpine's) is the C library's
/// own: its loader and libraries, which the target's C library stands in for.
pub fn is_c_library_package(package: &Package) -> bool {
    let name = package.name.as_str();
    match package.ecosystem {
        Ecosystem::Debian => name == "libc6" || name.starts_with("libc6-"),
        Ecosystem::Alpine => name == "musl",
        _ => false,
    }
}

/// One installed package of dpkg's `status` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpkgPackage {
    pub name: String,
    pub version: String,
    pub architecture: String,
}

/// The installed packages of a dpkg `status` file (stanzas whose `Status`
/// ends in `installed`).
pub fn dpkg_installed(status: &str) -> Vec<DpkgPackage> {
    stanzas(status)
        .filter_map(|stanza| {
            let field = |name: &str| {
                stanza.iter().find_map(|line| {
                    line.strip_prefix(name)
                        .and_then(|rest| rest.strip_prefix(':'))
                        .map(str::trim)
                })
            };
            let status = field("Status")?;
            if !status.ends_with(" installed") {
                return None;
            }
            Some(DpkgPackage {
                name: field("Package")?.to_string(),
                version: field("Version").unwrap_or("").to_string(),
                architecture: field("Architecture").unwrap_or("").to_string(),
            })
        })
        .collect()
}

/// An installed package of apk's database with the files it owns (paths
/// relative to the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkPackage {
    pub name: String,
    pub version: String,
    pub files: Vec<String>,
}

/// The packages of apk's `installed` database: `P:` name, `V:` version,
/// `F:` a directory, `R:` a file in the last `F:` directory.
pub fn apk_installed(installed: &str) -> Vec<ApkPackage> {
    stanzas(installed)
        .filter_map(|stanza| {
            let mut name = None;
            let mut version = String::new();
            let mut dir = "";
            let mut files = Vec::new();
            for line in stanza {
                match line.split_once(':') {
                    Some(("P", value)) => name = Some(value.to_string()),
                    Some(("V", value)) => version = value.to_string(),
                    Some(("F", value)) => dir = value,
                    Some(("R", value)) if dir.is_empty() => files.push(value.to_string()),
                    Some(("R", value)) => files.push(format!("{dir}/{value}")),
                    _ => {}
                }
            }
            Some(ApkPackage {
                name: name?,
                version,
                files,
            })
        })
        .collect()
}

/// Blank-line separated stanzas, as lines.
fn stanzas(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.split("\n\n")
        .map(|stanza| stanza.lines().collect::<Vec<_>>())
        .filter(|lines| !lines.is_empty())
}

/// Owner of every file the databases list, by location (with merged-/usr
/// aliases: `/lib/x` is also `/usr/lib/x` and the other way round, as a
/// Debian ≥ 12 or Ubuntu root links them).
pub fn distro_owners(
    databases: &[PackageDatabase],
    read: &mut ReadText,
) -> HashMap<PathBuf, Package> {
    let mut owners = HashMap::new();
    for database in databases {
        let Some(root) = database.root() else {
            continue;
        };
        let mut own = |path: &str, package: &Package| {
            let relative = path.trim_start_matches('/');
            if relative.is_empty() {
                return;
            }
            for alias in merged_usr_aliases(relative) {
                owners
                    .entry(root.join(alias))
                    .or_insert_with(|| package.clone());
            }
        };
        match database {
            PackageDatabase::Dpkg(dir) => {
                let Some(status) = read(&dir.join("status")) else {
                    continue;
                };
                for installed in dpkg_installed(&status) {
                    let package = Package {
                        ecosystem: Ecosystem::Debian,
                        name: installed.name.clone(),
                        version: installed.version.clone(),
                    };
                    let info = dir.join("info");
                    // Multi-arch packages name their list `<name>:<arch>.list`.
                    let list = read(&info.join(format!(
                        "{}:{}.list",
                        installed.name, installed.architecture
                    )))
                    .or_else(|| read(&info.join(format!("{}.list", installed.name))));
                    for path in list.iter().flat_map(|l| l.lines()) {
                        own(path, &package);
                    }
                }
            }
            PackageDatabase::Apk(file) => {
                let Some(text) = read(file) else {
                    continue;
                };
                for installed in apk_installed(&text) {
                    let package = Package {
                        ecosystem: Ecosystem::Alpine,
                        name: installed.name,
                        version: installed.version,
                    };
                    for path in &installed.files {
                        own(path, &package);
                    }
                }
            }
        }
    }
    owners
}

/// `lib/x` and `usr/lib/x` name one file on a merged-/usr root.
fn merged_usr_aliases(relative: &str) -> Vec<String> {
    const MERGED: [&str; 4] = ["bin/", "sbin/", "lib/", "lib64/"];
    let mut aliases = vec![relative.to_string()];
    if let Some(rest) = relative.strip_prefix("usr/") {
        if MERGED.iter().any(|dir| rest.starts_with(dir)) {
            aliases.push(rest.to_string());
        }
    } else if MERGED.iter().any(|dir| relative.starts_with(dir)) {
        aliases.push(format!("usr/{relative}"));
    }
    aliases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_databases_are_recognised_by_their_whole_last_names() {
        let dpkg = |path: &str| {
            matches!(
                PackageDatabase::recognise(Path::new(path), true),
                Some(PackageDatabase::Dpkg(_))
            )
        };
        let apk = |path: &str, is_dir: bool| {
            matches!(
                PackageDatabase::recognise(Path::new(path), is_dir),
                Some(PackageDatabase::Apk(_))
            )
        };
        assert!(dpkg("/root/var/lib/dpkg"));
        assert!(dpkg("/root/var/lib/dpkg/"));
        assert!(dpkg("var/lib/dpkg"));
        assert!(!dpkg("/root/var/lib/notdpkg"));
        assert!(!dpkg("/root/var/lib2/dpkg"));
        assert!(apk("/root/lib/apk/db/installed", false));
        assert!(!apk("/root/lib/apk/db/installed", true));
        assert!(!apk("/root/lib/apk/db/uninstalled", false));
        assert!(!apk("/root/lib/apk/installed", false));
    }

    #[test]
    fn reads_installed_packages_from_dpkg_status() {
        let status = "Package: jq\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.6-2.1\nDescription: x\n second line\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n";
        assert_eq!(
            dpkg_installed(status),
            [DpkgPackage {
                name: "jq".to_string(),
                version: "1.6-2.1".to_string(),
                architecture: "amd64".to_string(),
            }]
        );
    }

    #[test]
    fn reads_apk_files_relative_to_their_directories() {
        let installed = "C:Q1x=\nP:jq\nV:1.7.1-r0\nF:usr/bin\nR:jq\nF:usr/lib\nR:libjq.so.1\n\nP:musl\nV:1.2.5-r0\nF:lib\nR:ld-musl-x86_64.so.1\n";
        let packages = apk_installed(installed);
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].name, "jq");
        assert_eq!(packages[0].files, ["usr/bin/jq", "usr/lib/libjq.so.1"]);
        assert_eq!(packages[1].files, ["lib/ld-musl-x86_64.so.1"]);
    }

    #[test]
    fn dpkg_lists_own_files_under_both_merged_usr_names() {
        let root = Path::new("/r");
        let databases = [PackageDatabase::Dpkg(root.join(DPKG_DIR))];
        let mut read = |path: &Path| {
            match path.to_str()? {
            "/r/var/lib/dpkg/status" => Some(
                "Package: libjq1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.6\n"
                    .to_string(),
            ),
            "/r/var/lib/dpkg/info/libjq1:amd64.list" => {
                Some("/.\n/lib/x86_64-linux-gnu/libjq.so.1\n".to_string())
            }
            _ => None,
        }
        };
        let owners = distro_owners(&databases, &mut read);
        for path in [
            "/r/lib/x86_64-linux-gnu/libjq.so.1",
            "/r/usr/lib/x86_64-linux-gnu/libjq.so.1",
        ] {
            assert_eq!(owners[Path::new(path)].name, "libjq1", "{path}");
        }
    }
}
