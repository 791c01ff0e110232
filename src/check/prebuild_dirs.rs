//! Which `prebuilds/<platform>` directories node-gyp-build reads: of those
//! for the target's OS and CPU, version 4 reads only the one naming fewest
//! CPUs, version 3 the target libc's then the untagged one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::ecosystem::npm::Prebuild;
use crate::model::LibcKind;

use super::tree::TreeFile;

/// A `prebuilds/` directory for the target's OS and CPU, with its files.
pub(super) struct TupleDir<'t> {
    /// How many CPUs its name gives (`linux-x64+arm64`: 2).
    cpus: usize,
    /// The libc its name gives (node-gyp-build 3's `linuxmusl-x64`).
    libc: Option<LibcKind>,
    /// Its name ends with an ARM version (node-gyp-build 3's `-v8`).
    armv: bool,
    pub(super) files: Vec<&'t TreeFile<'t>>,
}

impl TupleDir<'_> {
    pub(super) fn of(prebuild: &Prebuild) -> Self {
        TupleDir {
            cpus: prebuild.cpus.len(),
            libc: prebuild.libc.filter(|_| prebuild.libc_directory),
            armv: prebuild.armv_directory.is_some(),
            files: Vec::new(),
        }
    }
}

/// The prebuilds of the directories for the target's OS and CPU that
/// node-gyp-build never reads on `libc`: node-gyp-build 4 reads only the
/// first naming the CPU, fewest CPUs first (`linux-x64` before
/// `linux-x64+arm64`); node-gyp-build 3 (whose directories may name a libc,
/// `linuxmusl-x64`) reads the one of its libc, then `linux-<cpu>`, never the
/// other libc's.
pub(super) fn never_consulted(
    tuples: &HashMap<PathBuf, TupleDir>,
    libc: LibcKind,
    cpu: &str,
) -> HashMap<PathBuf, String> {
    let mut by_package: HashMap<&Path, Vec<(&PathBuf, &TupleDir)>> = HashMap::new();
    for (dir, tuple) in tuples {
        if let Some(prebuilds) = dir.parent() {
            by_package.entry(prebuilds).or_default().push((dir, tuple));
        }
    }
    let mut found = HashMap::new();
    let name = |dir: &Path| {
        dir.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    };
    for dirs in by_package.values() {
        if dirs.iter().any(|(_, t)| t.libc.is_some()) {
            node_gyp_build_3(dirs, libc, cpu, &mut found);
            continue;
        }
        let Some(fewest) = dirs.iter().map(|(_, t)| t.cpus).min() else {
            continue;
        };
        let first: Vec<&PathBuf> = dirs
            .iter()
            .filter(|(_, t)| t.cpus == fewest)
            .map(|(dir, _)| *dir)
            .collect();
        let read = match first.as_slice() {
            [only] => format!("prebuilds/{}/", name(only)),
            _ => "a directory naming fewer CPUs".to_string(),
        };
        for (_, tuple) in dirs.iter().filter(|(_, t)| t.cpus > fewest) {
            for file in &tuple.files {
                found.insert(
                    file.location.to_path_buf(),
                    format!("node-gyp-build reads only {read} here (fewest CPUs first)"),
                );
            }
        }
    }
    found
}

/// node-gyp-build 3 on `libc`: the other libc's directory is never read,
/// and in `linux-<cpu>`, read after `linux<libc>-<cpu>`, a file that one
/// has for the same ABI (`node-115.node`, or `node-napi.node` for any) is
/// never loaded. Directories with an ARM version are read in another order:
/// nothing is said of those packages but the other libc's directories.
fn node_gyp_build_3(
    dirs: &[(&PathBuf, &TupleDir)],
    libc: LibcKind,
    cpu: &str,
    found: &mut HashMap<PathBuf, String>,
) {
    let own_name = format!("linux{libc}-{cpu}");
    for (_, tuple) in dirs
        .iter()
        .filter(|(_, t)| t.libc.is_some_and(|l| l != libc))
    {
        for file in &tuple.files {
            found.insert(
                file.location.to_path_buf(),
                format!(
                    "node-gyp-build 3 reads prebuilds/{own_name}/ and prebuilds/linux-{cpu}/ \
                     here, never the other libc's directory"
                ),
            );
        }
    }
    if dirs.iter().any(|(_, t)| t.armv) {
        return;
    }
    let own: Vec<&str> = dirs
        .iter()
        .filter(|(_, t)| t.libc == Some(libc) && t.cpus == 1)
        .flat_map(|(_, t)| t.files.iter().map(|f| f.file_name()))
        .collect();
    let own_has = |name: &str| own.contains(&name);
    for (_, tuple) in dirs.iter().filter(|(_, t)| t.libc.is_none() && t.cpus == 1) {
        for file in &tuple.files {
            let name = file.file_name();
            let before = match name
                .strip_prefix("node-")
                .and_then(|n| n.strip_suffix(".node"))
            {
                Some("napi") => own_has("node-napi.node").then_some("node-napi.node"),
                Some(abi) if !abi.is_empty() && abi.bytes().all(|b| b.is_ascii_digit()) => {
                    [name, "node-napi.node"].into_iter().find(|n| own_has(n))
                }
                _ => None,
            };
            if let Some(before) = before {
                found.insert(
                    file.location.to_path_buf(),
                    format!("node-gyp-build 3 loads prebuilds/{own_name}/{before} here instead"),
                );
            }
        }
    }
}
