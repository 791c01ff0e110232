//! JNI libraries inside jars: a library's own loader extracts the one
//! member built for the running OS, architecture and (where the library
//! ships one) C library; the JVM never loads the others.

use std::collections::HashMap;

use crate::ecosystem::maven::native_variant;
use crate::model::{Arch, LibcKind};
use crate::platform::{LoaderKind, Platform};

use super::tree::{TreeFile, TreeIndex};

/// The jar holding `shown` and the member's path inside it, when the file
/// is a member of a jar, war or ear (nested or not).
pub fn jar_member(shown: &str) -> Option<(&str, &str)> {
    let (jar, member) = shown.rsplit_once("!/")?;
    let lower = jar.to_ascii_lowercase();
    [".jar", ".war", ".ear"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        .then_some((jar, member))
}

/// The first Linux musl member of each jar and architecture, found in one pass.
#[derive(Default)]
pub struct MuslJniMembers {
    by_jar: HashMap<(String, Arch), usize>,
}

impl MuslJniMembers {
    pub fn new(index: &TreeIndex, count: usize) -> Self {
        let mut by_jar = HashMap::new();
        for i in 0..count {
            let Some(file) = index.file(i) else { continue };
            let Some((jar, member)) = jar_member(file.shown) else {
                continue;
            };
            let variant = native_variant(member);
            if variant.other_os.is_none() && variant.libc == LibcKind::Musl {
                by_jar
                    .entry((jar.to_string(), file.facts.arch))
                    .or_insert(i);
            }
        }
        MuslJniMembers { by_jar }
    }

    fn beside<'i>(&self, index: &'i TreeIndex, jar: &str, arch: Arch) -> Option<&'i TreeFile<'i>> {
        let found = *self.by_jar.get(&(jar.to_string(), arch))?;
        index.file(found)
    }
}

/// Why the JVM on the target never loads the jar member `file`; `None` when
/// its library's loader picks it (or the file is not in a jar).
pub fn never_loaded(
    index: &TreeIndex,
    musl_members: &MuslJniMembers,
    file: &TreeFile,
    platform: &Platform,
) -> Option<String> {
    let (jar, member) = jar_member(file.shown)?;
    let variant = native_variant(member);
    let arch = platform.arch;
    if let Some(os) = variant.other_os {
        return Some(format!(
            "a JNI library for {os}; on Linux its loader extracts the Linux {arch} member"
        ));
    }
    if file.facts.arch != arch {
        return Some(format!(
            "a JNI library for Linux {}; on {arch} its loader extracts the {arch} member",
            file.facts.arch
        ));
    }
    let musl_target = platform.loader_kind() == LoaderKind::Musl;
    match variant.libc {
        LibcKind::Musl if !musl_target => {
            Some("the musl variant; on glibc its loader extracts the glibc member".to_string())
        }
        LibcKind::Glibc if musl_target => {
            let musl = musl_members.beside(index, jar, arch)?;
            Some(format!(
                "the glibc variant; on musl its loader extracts {} instead",
                musl.shown
            ))
        }
        _ => None,
    }
}

/// Why the target never loads a jar member whose ELF header could not be
/// read, from its path alone (another OS or architecture, or the musl
/// variant on glibc); `None` when it may be the one its loader extracts.
pub fn unread_member_never_loaded(shown: &str, platform: &Platform) -> Option<String> {
    let (_, member) = jar_member(shown)?;
    let variant = native_variant(member);
    let arch = platform.arch;
    if let Some(os) = variant.other_os {
        return Some(format!(
            "a JNI library for {os} (by its path); on Linux its loader extracts the Linux {arch} member"
        ));
    }
    if let Some(named) = variant.arch.filter(|named| *named != arch) {
        return Some(format!(
            "a JNI library for Linux {named} (by its path); on {arch} its loader extracts the {arch} member"
        ));
    }
    (variant.libc == LibcKind::Musl && platform.loader_kind() != LoaderKind::Musl).then(|| {
        "the musl variant (by its path); on glibc its loader extracts the glibc member".to_string()
    })
}
