//! Multi-platform npm packages ship every platform's prebuild; the target
//! loads only its own (node-gyp-build's selection).

use crate::ecosystem::npm::{npm_cpu, prebuild};
use crate::model::{Arch, LibcKind};

use super::tree::{TreeFile, TreeIndex};

/// Why the target never loads `file`; `None` when it may.
pub fn never_loaded(index: &TreeIndex, file: &TreeFile, arch: Arch) -> Option<String> {
    let target_cpu = npm_cpu(arch);
    let prebuild = prebuild(file.shown)?;
    if prebuild.platform != "linux" {
        return Some(format!(
            "a prebuild for {}; node-gyp-build loads prebuilds/linux-{target_cpu}/ here",
            prebuild.platform
        ));
    }
    if prebuild.cpu != target_cpu {
        return Some(format!(
            "a prebuild for linux-{}; node-gyp-build loads prebuilds/linux-{target_cpu}/ on {arch}",
            prebuild.cpu
        ));
    }
    if prebuild.libc == Some(LibcKind::Glibc) {
        let musl_sibling = index.siblings(file.location).find(|other| {
            crate::ecosystem::npm::prebuild(other.shown)
                .is_some_and(|p| p.libc == Some(LibcKind::Musl))
        })?;
        return Some(format!(
            "the glibc prebuild; on musl node-gyp-build loads {} instead",
            musl_sibling.shown
        ));
    }
    None
}
