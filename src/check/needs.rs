//! What one object asks of musl's loader whoever loads it, worked out once
//! per object for every process [`super::resolve`] models: the symbols it
//! binds at load time that musl does not provide (with what the platform's
//! tables say of each, read when first asked), the names musl provides
//! through its LFS64 redirect, and the relocation types musl refuses.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::provider::PackageTable;
use crate::model::{ElfFacts, RequiredSymbol};
use crate::platform::{GlibcSymbol, LoaderKind, MuslProvides, Platform};

/// What one object asks of the loader whoever loads it: the symbols it binds
/// at load time that musl does not provide, the names musl provides through
/// its LFS64 redirect, and the relocation types musl refuses.
#[derive(Debug, Default)]
pub(super) struct ObjectNeeds<'a> {
    pub lookups: Vec<Lookup<'a>>,
    pub redirected: Vec<(String, String)>,
    pub unsupported_relocations: Vec<(u32, usize)>,
}

/// A symbol musl does not provide. What the platform's tables say of it is
/// read once, and only when a process asks: most such names (Python's C API)
/// are bound by the tree or the host before any table is consulted.
#[derive(Debug)]
pub(super) struct Lookup<'a> {
    pub required: &'a RequiredSymbol,
    /// Whether Alpine's libstdc++ and libgcc_s export it.
    packages: OnceLock<PackageExports>,
    /// What gcompat and glibc say of it, for a name nothing else binds.
    libc: OnceLock<LibcFacts>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct PackageExports {
    libstdcxx: bool,
    libgcc_s: bool,
}

impl PackageExports {
    pub fn in_any(self, tables: &[PackageTable]) -> bool {
        tables.iter().any(|table| match table {
            PackageTable::Libstdcxx => self.libstdcxx,
            PackageTable::LibgccS => self.libgcc_s,
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct LibcFacts {
    pub gcompat_provides: bool,
    pub glibc: Option<GlibcSymbol>,
}

impl<'a> Lookup<'a> {
    fn new(required: &'a RequiredSymbol) -> Self {
        Lookup {
            required,
            packages: OnceLock::new(),
            libc: OnceLock::new(),
        }
    }

    pub fn packages(&self, platform: &Platform) -> PackageExports {
        *self.packages.get_or_init(|| {
            let (runtime, name) = (platform.gcc_runtime(), self.required.name.as_str());
            PackageExports {
                libstdcxx: runtime.libstdcxx_exports(name),
                libgcc_s: runtime.libgcc_s_exports(name),
            }
        })
    }

    pub fn libc(&self, platform: &Platform) -> LibcFacts {
        *self.libc.get_or_init(|| {
            let (tables, name) = (platform.tables(), self.required.name.as_str());
            LibcFacts {
                gcompat_provides: tables.gcompat_provides(name),
                // glibc's table speaks for glibc's names: not for one bound to
                // another library's version node (`__register_atfork@LIBC` is bionic's).
                glibc: self
                    .required
                    .version
                    .as_deref()
                    .is_none_or(|node| node.starts_with("GLIBC_"))
                    .then(|| tables.glibc_symbol(name))
                    .flatten(),
            }
        })
    }
}

/// What musl said of each name already asked about: a tree's objects ask
/// for the same few names again and again (the venv benchmark's 99 files
/// 13,600 times for 1,600 names), and a table lookup costs several hashes
/// and row reads.
pub(super) type MuslAnswers<'a> = FxHashMap<&'a str, Option<MuslProvides>>;

impl<'a> ObjectNeeds<'a> {
    pub fn of(facts: &'a ElfFacts, platform: &Platform, answers: &mut MuslAnswers<'a>) -> Self {
        let mut needs = ObjectNeeds::default();
        // Only musl's loader is modelled here: a glibc or no-libc image's
        // resolver (`glibc`) asks its own tables. The matrix built these for
        // ten images that never read them.
        if platform.loader_kind() != LoaderKind::Musl {
            return needs;
        }
        let own_ifuncs = facts.own_ifunc_references.iter();
        for required in facts
            .required_symbols
            .iter()
            .filter(|s| !s.weak && s.relocated)
            .chain(own_ifuncs)
        {
            let provides = *answers
                .entry(required.name.as_str())
                .or_insert_with(|| platform.libc_provides(&required.name));
            match provides {
                Some(MuslProvides::Exported) => {}
                Some(MuslProvides::Lfs64Redirect(target)) => needs
                    .redirected
                    .push((required.name.clone(), target.to_string())),
                None => needs.lookups.push(Lookup::new(required)),
            }
        }
        if let Some(handled) = crate::platform::musl::handled_relocation_types(facts.arch) {
            needs.unsupported_relocations = facts
                .relocation_types
                .iter()
                .filter(|r| !handled.contains(&r.r_type))
                .map(|r| (r.r_type, r.count))
                .collect();
        }
        needs
    }
}
