//! Which system package provides a library: the target's package for the
//! libraries and run-time files a package's files need (MC103, MC107,
//! MC112), apk's `so:` names, and for apt and dnf the command that asks
//! the user's own package lists.

use std::collections::BTreeSet;

use crate::model::{
    Action, Artifact, Code, Evidence, HostKind, LibcKind, RuntimeFile, Severity, Verdict,
    shell_word, shell_words,
};
use crate::platform::{Platform, SonameProvider};

/// The image's packages, and the `COPY --from=build` lines where it has no
/// package manager, of the run-time files the files' MC112 findings name.
pub(super) fn runtime_file_fixes(
    files: &[&Artifact],
    platform: &Platform,
) -> (BTreeSet<String>, Vec<String>) {
    let mut packages = BTreeSet::new();
    let mut copies = BTreeSet::new();
    let Some(profile) = platform.profile() else {
        return (packages, Vec::new());
    };
    for finding in files.iter().flat_map(|f| f.findings()) {
        let Evidence::RuntimeFiles { files: paths } = &finding.evidence else {
            continue;
        };
        for needed in paths.iter().filter_map(|path| RuntimeFile::at(path)) {
            // The image's packages, where its table names them (only
            // with a package manager), else a copy from the build stage.
            match profile.runtime_file_packages(needed) {
                Some(names) => packages.extend(names),
                None => {
                    copies.insert(needed.copy_line());
                }
            }
        }
    }
    (packages, copies.into_iter().collect())
}

/// Alpine packages the files need at run time (MC107).
pub(super) fn runtime_packages(files: &[&Artifact]) -> Vec<String> {
    let mut packages = BTreeSet::new();
    for finding in files.iter().flat_map(|f| f.findings()) {
        if let Evidence::Packages {
            packages: needs, ..
        } = &finding.evidence
        {
            packages.extend(needs.iter().map(|n| n.package.clone()));
        }
    }
    packages.into_iter().collect()
}

/// The command that asks apt which package has each of `names`: apt-file
/// searches one pattern (more words are not more patterns).
fn apt_file_search(names: &[&str]) -> String {
    let search = match names {
        [name] => format!("apt-file search {}", shell_words([*name])),
        _ => format!(
            "for name in {}; do apt-file search \"$name\"; done",
            shell_words(names.iter().copied())
        ),
    };
    format!("apt-get update && apt-get install -y apt-file && apt-file update && {search}")
}

/// The command that asks dnf (or yum, on images that have no dnf, such as
/// amazonlinux:2) which package has each of `names`, each on its own: one
/// that nothing provides (exit 1) stops no other.
fn dnf_provides(manager: &str, names: &[&str]) -> String {
    names
        .iter()
        .filter_map(|name| {
            shell_word(&format!("*/{name}")).map(|word| format!("{manager} provides {word}"))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// For libraries that no image package muslcheck knows of provides (by
/// name: its tables hold what the base images ship): apk installs by soname
/// (`so:libtbb.so.12`, Wolfi); for apt and dnf, which package has the file
/// is for the user's own package lists to say.
pub(super) fn unknown_library_packages(
    unprovided: &[(&str, &Artifact)],
    platform: &Platform,
) -> Option<Action> {
    let install = platform.install_command()?;
    let names: BTreeSet<&str> = unprovided.iter().map(|(name, _)| *name).collect();
    let names: Vec<&str> = names.into_iter().collect();
    if install.starts_with("apk ") {
        return Some(Action::ApkAdd {
            packages: names.iter().filter_map(|name| so_name(name)).collect(),
        });
    }
    let check = if install.starts_with("apt-get ") {
        Some(apt_file_search(&names))
    } else if install.contains("dnf ") {
        Some(dnf_provides("dnf", &names))
    } else if install.starts_with("yum ") {
        Some(dnf_provides("yum", &names))
    } else {
        None
    };
    let (_, file) = unprovided.first()?;
    Some(Action::Unanswered {
        why: format!(
            "{}: needs {}, which no package of the image muslcheck knows of provides",
            file.path.as_str(),
            names.join(", ")
        ),
        check,
    })
}

/// When every failing file is a musl build whose only errors are libraries
/// neither the tree nor the target has (MC103, by soname): those sonames
/// as apk names them (`so:libodbc.so.2`).
pub(super) fn absent_system_libraries(files: &[&Artifact]) -> Option<Vec<String>> {
    let failing: Vec<&&Artifact> = files
        .iter()
        .filter(|f| f.verdict() == Verdict::Breaks)
        .collect();
    let mut sonames = BTreeSet::new();
    for file in &failing {
        if file.facts()?.libc.kind != LibcKind::Musl {
            return None;
        }
        for finding in file
            .findings()
            .iter()
            .filter(|f| f.severity == Severity::Error)
        {
            let Evidence::Libraries { libraries } = &finding.evidence else {
                return None;
            };
            for library in libraries {
                let absent = library.in_tree_at.is_none()
                    && library.unloadable_at.is_none()
                    && !library.name.contains('/');
                if finding.code != Code::MissingLibrary || !absent {
                    return None;
                }
                // A name nothing on Alpine provides (libmvec) is no apk add.
                sonames.insert(alpine_package(&library.name)?);
            }
        }
    }
    (!sonames.is_empty()).then(|| sonames.into_iter().collect())
}

/// The Alpine package that installs `soname`: the table's, else apk's
/// `so:` name; `None` when nothing on Alpine provides it.
pub(super) fn alpine_package(soname: &str) -> Option<String> {
    match crate::platform::alpine_provider(soname) {
        Some(SonameProvider::Nothing(_)) => None,
        Some(SonameProvider::Package(package)) => Some(package.to_string()),
        None => so_name(soname),
    }
}

/// apk's name for the package that provides `soname` (`so:libtbb.so.12`),
/// as a shell word: a soname is the scanned file's own text.
pub(super) fn so_name(soname: &str) -> Option<String> {
    shell_word(&format!("so:{soname}")).map(String::from)
}

/// What a pure-Python reinstall loads from the system in place of the
/// libraries the glibc build bundled for ctypes or cffi: their SONAMEs
/// (soundfile's wheel bundles `libsndfile.so.1`; its pure wheel asks
/// `ctypes.util.find_library('sndfile')`). Where the build has extension
/// modules, a library none of its files needs is a plugin its bundled
/// libraries open (mysql-connector-python's SASL mechanisms), and the pure
/// wheel, in place of those modules, needs none of them.
pub(super) fn libraries_in_place_of_bundled(files: &[&Artifact]) -> Vec<String> {
    let has_extension_modules = files.iter().any(|file| {
        file.assessment.host.as_ref().is_some_and(|host| {
            host.kind == HostKind::Cpython && !host.foreign_library && host.loaded_by.is_none()
        })
    });
    if has_extension_modules {
        return Vec::new();
    }
    let packages: BTreeSet<String> = files
        .iter()
        .filter(|file| {
            file.assessment
                .host
                .as_ref()
                .is_some_and(|host| host.foreign_library)
        })
        .filter_map(|file| file.facts()?.soname.as_deref())
        .filter_map(alpine_package)
        .collect();
    packages.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_library_is_asked_of_the_package_lists_on_its_own() {
        assert!(apt_file_search(&["libtbb.so.12"]).ends_with("&& apt-file search libtbb.so.12"));
        let both = apt_file_search(&["libX11.so.6", "libglib-2.0.so.0"]);
        assert!(
            both.ends_with(
                "&& for name in libX11.so.6 libglib-2.0.so.0; do apt-file search \"$name\"; done"
            ),
            "{both}"
        );
        assert_eq!(
            dnf_provides("dnf", &["libX11.so.6", "libglib-2.0.so.0"]),
            "dnf provides '*/libX11.so.6'; dnf provides '*/libglib-2.0.so.0'"
        );
        assert_eq!(
            dnf_provides("yum", &["libX11.so.6"]),
            "yum provides '*/libX11.so.6'"
        );
    }
}
