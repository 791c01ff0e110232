//! Packages that ship a build per machine: the target loads its own
//! machine's, never another machine's build beside it, nor a library only
//! another machine's files need.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::model::{Arch, Package};

use super::tree::{TreeFile, TreeIndex};

/// What the tree's files for other machines than the target's tell, found
/// in one pass over it.
pub struct MachineBuilds {
    /// The target's machine.
    machine: Arch,
    /// Directories of files built for another machine than the target's,
    /// none for it: what their files need, by name, and the first that
    /// needs each name.
    other_machine_dirs: HashMap<PathBuf, HashMap<String, String>>,
    /// The files built for the target's machine, by directory and name
    /// stem ([`machine_stem`]); empty when every file is for its machine.
    target_machine_builds: HashMap<(PathBuf, String), String>,
    /// The same, by package and name stem.
    target_machine_package_builds: HashMap<(Package, String), String>,
}

impl MachineBuilds {
    pub fn new(index: &TreeIndex, count: usize, machine: Arch) -> MachineBuilds {
        let files = || (0..count).filter_map(|i| index.file(i));
        let mut builds = MachineBuilds {
            machine,
            other_machine_dirs: HashMap::new(),
            target_machine_builds: HashMap::new(),
            target_machine_package_builds: HashMap::new(),
        };
        // Most trees hold no other machine's files: nothing to index.
        if files().all(|file| file.facts.arch == machine) {
            return builds;
        }
        let mut dirs: HashMap<PathBuf, Option<HashMap<String, String>>> = HashMap::new();
        for file in files() {
            let directory = index.directory_of(file.location);
            let entry = dirs
                .entry(directory.clone())
                .or_insert_with(|| Some(HashMap::new()));
            if file.facts.arch == machine {
                *entry = None;
                let stem = machine_stem(file.file_name()).to_string();
                if let Some(package) = file.package {
                    builds
                        .target_machine_package_builds
                        .entry((package.clone(), stem.clone()))
                        .or_insert_with(|| file.shown.to_string());
                }
                builds
                    .target_machine_builds
                    .entry((machine_neutral(&directory), stem))
                    .or_insert_with(|| file.shown.to_string());
            } else if let Some(needed) = entry {
                for name in &file.facts.needed {
                    let name = name.rsplit('/').next().unwrap_or(name);
                    needed
                        .entry(name.to_string())
                        .or_insert_with(|| file.shown.to_string());
                }
            }
        }
        builds.other_machine_dirs = dirs
            .into_iter()
            .filter_map(|(dir, needed)| Some((dir, needed?)))
            .collect();
        builds
    }

    /// Why the target never loads `file`, built for another machine than
    /// the target's, where its package holds that machine's build.
    pub fn never_loaded(&self, index: &TreeIndex, file: &TreeFile) -> Option<String> {
        if file.facts.arch == self.machine {
            return None;
        }
        self.needed_only_off_target(index, file)
            .or_else(|| self.beside_the_targets_build(index, file))
    }

    /// A library in a directory of another machine's files, one of which
    /// needs it (onnxruntime-node's `linux/arm64/libonnxruntime.so.1`,
    /// needed by the arm64 addon beside it): a multi-machine package's other
    /// build. `None` when nothing beside it needs it (a file to run, that
    /// fails: MC104).
    fn needed_only_off_target(&self, index: &TreeIndex, file: &TreeFile) -> Option<String> {
        if self.other_machine_dirs.is_empty() {
            return None;
        }
        let needed_by = self
            .other_machine_dirs
            .get(&index.directory_of(file.location))?;
        let needer = std::iter::once(file.file_name())
            .chain(file.facts.soname.as_deref())
            .find_map(|name| needed_by.get(name).filter(|needer| *needer != file.shown))?;
        Some(format!(
            "built for {}, as are the files beside it, one of which needs it ({needer}): \
             the package's build for another machine, which the target never loads",
            file.facts.arch
        ))
    }

    /// A file with the same build for the target's machine beside it
    /// (teradatasql's `teradatasql.arm.so`, `.power.so` and `.x86.so` beside
    /// `teradatasql.so`: its `__init__.py` loads the one for
    /// `platform.machine()`; a loader given the wrong machine's file fails,
    /// so a package shipping several chooses), in a sibling directory
    /// named for the machine (selenium's `linux-arm64/selenium-manager` and
    /// `linux-x86_64/selenium-manager`; onnxruntime-node's `linux/arm64/`),
    /// or anywhere in its package (pvporcupine's `lib/linux/x86_64/` and
    /// `lib/raspberry-pi/cortex-a53-aarch64/`).
    fn beside_the_targets_build(&self, index: &TreeIndex, file: &TreeFile) -> Option<String> {
        if self.target_machine_builds.is_empty() {
            return None;
        }
        let stem = machine_stem(file.file_name()).to_string();
        let in_package = || {
            let key = (file.package?.clone(), stem.clone());
            self.target_machine_package_builds.get(&key)
        };
        let key = (
            machine_neutral(&index.directory_of(file.location)),
            stem.clone(),
        );
        let own = self.target_machine_builds.get(&key).or_else(in_package)?;
        Some(format!(
            "built for {}; {own} is the same file built for the target's machine, \
             which its package loads there",
            file.facts.arch
        ))
    }
}

/// The words that name a machine in file and directory names.
const MACHINES: &[&str] = &[
    "x64", "x86", "x86_64", "amd64", "i386", "i686", "ia32", "arm", "arm64", "aarch64", "armhf",
    "armv7", "armv7l", "ppc64", "ppc64le", "power", "s390x", "riscv64", "loong64",
];

/// A directory with what names a machine taken from its own name
/// (`linux-arm64` and `linux-x86_64`: `linux`; `arm64` and `x64`: nothing),
/// so that each machine's directory of one package has the same one.
fn machine_neutral(directory: &Path) -> PathBuf {
    let Some(name) = directory.file_name().and_then(|n| n.to_str()) else {
        return directory.to_path_buf();
    };
    let parent = directory.parent().unwrap_or(directory);
    if MACHINES.contains(&name) {
        // No directory is named with a NUL: never the parent itself.
        parent.join("\0")
    } else {
        parent.join(without_machine_suffixes(name))
    }
}

/// A file name without what names a machine: up to its first dot, less a
/// trailing `-arm64` or `_x86_64` (`teradatasql.arm.so` and
/// `teradatasql.so`: `teradatasql`; `libfoo-aarch64.so`: `libfoo`).
fn machine_stem(name: &str) -> &str {
    without_machine_suffixes(name.split('.').next().unwrap_or(name))
}

/// `name` less its trailing `-arm64`, `_x86_64` …, unless that is all of it.
fn without_machine_suffixes(name: &str) -> &str {
    let mut stem = name;
    while let Some(shorter) = MACHINES.iter().find_map(|machine| {
        let rest = stem.strip_suffix(machine)?;
        rest.strip_suffix(['-', '_']).filter(|r| !r.is_empty())
    }) {
        stem = shorter;
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::machine_stem;

    #[test]
    fn machine_words_leave_the_stem() {
        assert_eq!(machine_stem("teradatasql.arm.so"), "teradatasql");
        assert_eq!(machine_stem("teradatasql.so"), "teradatasql");
        assert_eq!(machine_stem("libfoo-aarch64.so.1"), "libfoo");
        assert_eq!(machine_stem("libfoo_x86_64.so"), "libfoo");
        assert_eq!(machine_stem("libfoo-linux-arm64.so"), "libfoo-linux");
        // A name that is only a machine word stays whole.
        assert_eq!(machine_stem("arm64.so"), "arm64");
        assert_eq!(machine_stem("libpower.so"), "libpower");
    }
}
