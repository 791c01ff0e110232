//! Symbol and soname tables, embedded from `data/` and parsed once.
//!
//! Every table's source and version is in `data/README.md`.

use std::collections::HashMap;
use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::Arch;

use super::MuslVersion;

const MUSL_EXPORTS_X86_64: &str = include_str!("../../data/musl/musl-exports-x86_64.tsv");
const MUSL_EXPORTS_AARCH64: &str = include_str!("../../data/musl/musl-exports-aarch64.tsv");
const MUSL_LFS64: &str = include_str!("../../data/musl/musl-lfs64-remap.tsv");
const DEBIAN_MUSL_DIFF: &str =
    include_str!("../../data/musl/debian-musl-1.2.3-vs-upstream-x86_64.tsv");
const GCOMPAT_EXPORTS: &str = include_str!("../../data/gcompat/gcompat-1.1.0-exports-x86_64.tsv");
const GLIBC_VS_MUSL_X86_64: &str = include_str!("../../data/glibc/glibc-vs-musl-x86_64.tsv");
const GLIBC_VS_MUSL_AARCH64: &str = include_str!("../../data/glibc/glibc-vs-musl-aarch64.tsv");
const ALPINE_LIBSTDCXX: &str =
    include_str!("../../data/alpine/alpine-libstdcxx-14.2.0-exports-x86_64.tsv");
const ALPINE_LIBGCC_S: &str =
    include_str!("../../data/alpine/alpine-libgcc_s-14.2.0-exports-x86_64.tsv");
const SONAME_PACKAGES: &str = include_str!("../../data/alpine/soname-to-alpine-package.tsv");
const HOST_BROUGHT: &str = include_str!("../../data/alpine/host-brought-libraries.tsv");

/// Rows of a TSV file: `#` lines skipped, fields split on tabs.
pub(super) fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    lines(text).map(|line| line.split('\t').collect())
}

/// The rows of a TSV file unsplit, for the large symbol tables: they are
/// parsed at the start of most scans (4.5 ms for the four on one thread,
/// with a `Vec` of fields per row and SipHash), so no row allocates.
pub(super) fn lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
}

/// The first field of a TSV row.
fn first_field(line: &'static str) -> &'static str {
    line.split_once('\t').map_or(line, |(first, _)| first)
}

/// Bit `i` set for each of `flags` that is `1` (at most 32).
pub(super) fn flag_bits<'a>(flags: impl Iterator<Item = &'a str>) -> u32 {
    flags
        .take(32)
        .enumerate()
        .filter(|(_, flag)| *flag == "1")
        .fold(0, |bits, (bit, _)| bits | 1 << bit)
}

/// Where glibc puts a symbol, from its abilists.
#[derive(Debug, Clone, Copy)]
pub struct GlibcSymbol {
    pub soname: &'static str,
    pub first_version: &'static str,
}

/// The symbol tables for one architecture, each parsed when first asked:
/// most scans need two or three of them (libstdc++'s is the largest and only
/// matters to C++ files).
#[derive(Debug)]
pub struct SymbolTables {
    musl_exports: &'static str,
    glibc_vs_musl: &'static str,
    /// musl exports: name → bit per [`MuslVersion`] column (1.2.3 = bit 0 … 1.2.6 = bit 3).
    musl: OnceLock<FxHashMap<&'static str, u8>>,
    /// LFS64 names: glibc name → (musl target, bit per version the loader remaps it).
    lfs64: OnceLock<HashMap<&'static str, (&'static str, u8)>>,
    /// Debian's musl 1.2.3 build: names it adds and names it lacks, against upstream.
    debian: OnceLock<DebianMusl>,
    /// gcompat 1.1.0 and the libraries it links (musl-obstack, libucontext),
    /// and where glibc puts each symbol (one file holds both).
    glibc: OnceLock<GlibcTables>,
    libstdcxx: OnceLock<FxHashSet<&'static str>>,
    libgcc_s: OnceLock<FxHashSet<&'static str>>,
}

/// What gcompat provides, and where glibc puts each symbol.
type GlibcTables = (
    FxHashSet<&'static str>,
    FxHashMap<&'static str, GlibcSymbol>,
);

#[derive(Debug, Default)]
struct DebianMusl {
    added: FxHashSet<&'static str>,
    removed: FxHashSet<&'static str>,
}

/// How musl resolves a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MuslProvides {
    Exported,
    /// Not exported, but the loader retries the name without `64` (1.2.4+).
    Lfs64Redirect(&'static str),
}

impl SymbolTables {
    pub fn for_arch(arch: Arch) -> &'static SymbolTables {
        static X86_64: OnceLock<SymbolTables> = OnceLock::new();
        static AARCH64: OnceLock<SymbolTables> = OnceLock::new();
        match arch {
            Arch::Aarch64 => AARCH64
                .get_or_init(|| SymbolTables::new(MUSL_EXPORTS_AARCH64, GLIBC_VS_MUSL_AARCH64)),
            Arch::X86_64 => {
                X86_64.get_or_init(|| SymbolTables::new(MUSL_EXPORTS_X86_64, GLIBC_VS_MUSL_X86_64))
            }
            // No table for the other architectures: the x86_64 names are the nearest
            // (musl's exports differ between architectures only in a handful of names).
            _ => {
                static APPROX: OnceLock<SymbolTables> = OnceLock::new();
                APPROX.get_or_init(|| SymbolTables::new(MUSL_EXPORTS_X86_64, GLIBC_VS_MUSL_X86_64))
            }
        }
    }

    fn new(musl_exports: &'static str, glibc_vs_musl: &'static str) -> Self {
        SymbolTables {
            musl_exports,
            glibc_vs_musl,
            musl: OnceLock::new(),
            lfs64: OnceLock::new(),
            debian: OnceLock::new(),
            glibc: OnceLock::new(),
            libstdcxx: OnceLock::new(),
            libgcc_s: OnceLock::new(),
        }
    }

    fn musl(&self) -> &FxHashMap<&'static str, u8> {
        self.musl.get_or_init(|| {
            lines(self.musl_exports)
                .map(|line| {
                    // Columns 3 to 6: exported by 1.2.3 … 1.2.6.
                    let mut fields = line.split('\t');
                    let name = fields.next().unwrap_or(line);
                    let bits = flag_bits(fields.skip(2).take(4));
                    (name, u8::try_from(bits).unwrap_or(0))
                })
                .collect()
        })
    }

    fn lfs64(&self) -> &HashMap<&'static str, (&'static str, u8)> {
        self.lfs64.get_or_init(|| {
            rows(MUSL_LFS64)
                .filter_map(|row| {
                    let name = *row.first()?;
                    let target = *row.get(1)?;
                    // Columns: exported in 1.2.3, remapped in 1.2.4, 1.2.5, 1.2.6.
                    let mut bits = 0u8;
                    for (bit, column) in (3..6).enumerate() {
                        if row.get(column) == Some(&"1") {
                            bits |= 1 << (bit + 1);
                        }
                    }
                    Some((name, (target, bits)))
                })
                .collect()
        })
    }

    fn debian(&self) -> &DebianMusl {
        self.debian.get_or_init(|| {
            let mut debian = DebianMusl::default();
            for row in rows(DEBIAN_MUSL_DIFF) {
                match (row.first(), row.get(1), row.get(2)) {
                    (Some(name), Some(&"1"), Some(&"0")) => {
                        debian.added.insert(*name);
                    }
                    (Some(name), Some(&"0"), Some(&"1")) => {
                        debian.removed.insert(*name);
                    }
                    _ => {}
                }
            }
            debian
        })
    }

    fn glibc(&self) -> &GlibcTables {
        self.glibc.get_or_init(|| {
            let mut gcompat: FxHashSet<&'static str> = lines(GCOMPAT_EXPORTS)
                .map(first_field)
                .filter(|name| !name.starts_with("GCOMPAT_"))
                .collect();
            let mut glibc = FxHashMap::default();
            for line in lines(self.glibc_vs_musl) {
                let mut fields = line.split('\t');
                let (Some(soname), Some(name), Some(first_version)) =
                    (fields.next(), fields.next(), fields.next())
                else {
                    continue;
                };
                // musl-obstack and libucontext come with Alpine's gcompat package.
                if matches!(fields.nth(4), Some("O" | "U")) {
                    gcompat.insert(name);
                }
                glibc.entry(name).or_insert(GlibcSymbol {
                    soname,
                    first_version,
                });
            }
            (gcompat, glibc)
        })
    }

    /// Whether musl of `version` (upstream or Debian's build) resolves `name` at load time.
    pub fn musl_provides(
        &self,
        name: &str,
        version: MuslVersion,
        debian_build: bool,
    ) -> Option<MuslProvides> {
        let bit = 1u8 << version.column();
        if debian_build {
            let debian = self.debian();
            if debian.added.contains(name) {
                return Some(MuslProvides::Exported);
            }
            if debian.removed.contains(name) {
                return None;
            }
        }
        if self.musl().get(name).is_some_and(|bits| bits & bit != 0) {
            return Some(MuslProvides::Exported);
        }
        match self.lfs64().get(name) {
            Some((target, bits)) if bits & bit != 0 => Some(MuslProvides::Lfs64Redirect(target)),
            _ => None,
        }
    }

    /// Parses every table a musl model of this architecture asks (about
    /// 2–4 ms on one thread): run beside the walk, the judging never waits
    /// on it.
    pub fn prepare(&self) {
        self.musl();
        self.lfs64();
        self.debian();
        self.glibc();
        self.libstdcxx_exports("");
        self.libgcc_s_exports("");
    }

    pub fn gcompat_provides(&self, name: &str) -> bool {
        self.glibc().0.contains(name)
    }

    pub fn glibc_symbol(&self, name: &str) -> Option<GlibcSymbol> {
        self.glibc().1.get(name).copied()
    }

    pub fn libstdcxx_exports(&self, name: &str) -> bool {
        self.libstdcxx
            .get_or_init(|| lines(ALPINE_LIBSTDCXX).map(first_field).collect())
            .contains(name)
    }

    pub fn libgcc_s_exports(&self, name: &str) -> bool {
        self.libgcc_s
            .get_or_init(|| {
                lines(ALPINE_LIBGCC_S)
                    .map(first_field)
                    .map(|name| name.split('@').next().unwrap_or(name))
                    .collect()
            })
            .contains(name)
    }

    /// All gcompat names, for tests.
    pub fn gcompat_len(&self) -> usize {
        self.glibc().0.len()
    }
}

/// What Alpine offers for a soname.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SonameProvider {
    /// An `apk` package installs a library by that name.
    Package(&'static str),
    /// Nothing on Alpine provides it.
    Nothing(&'static str),
}

/// The soname → Alpine package table (`data/alpine/soname-to-alpine-package.tsv`).
pub fn alpine_provider(soname: &str) -> Option<SonameProvider> {
    static TABLE: OnceLock<HashMap<&'static str, SonameProvider>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        rows(SONAME_PACKAGES)
            .filter_map(|row| {
                let soname = *row.first()?;
                let package = *row.get(1)?;
                let provider = if package.starts_with("(none") {
                    SonameProvider::Nothing(package)
                } else {
                    // "libcap2 (newer) / libcap (older)" → "libcap2".
                    let name = package.split([' ', '(']).next().unwrap_or(package);
                    SonameProvider::Package(name)
                };
                Some((soname, provider))
            })
            .collect()
    });
    table.get(soname).copied()
}

/// A library a host program's Alpine package brings with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostBrought {
    pub soname: &'static str,
    /// The package that installs the library (`libstdc++`).
    pub package: &'static str,
    /// The host's own package (`nodejs`).
    pub host_package: &'static str,
}

/// The libraries the Alpine package of the host `host` (`node`, `cpython`,
/// `jvm`) brings (`data/alpine/host-brought-libraries.tsv`).
pub fn host_brought(host: &str) -> impl Iterator<Item = HostBrought> + '_ {
    static TABLE: OnceLock<Vec<(&'static str, HostBrought)>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            rows(HOST_BROUGHT)
                .filter_map(|row| {
                    Some((
                        *row.first()?,
                        HostBrought {
                            host_package: row.get(1)?,
                            soname: row.get(2)?,
                            package: row.get(3)?,
                        },
                    ))
                })
                .collect()
        })
        .iter()
        .filter(move |(kind, _)| *kind == host)
        .map(|(_, brought)| *brought)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn musl_exports_differ_by_version_as_documented() {
        let tables = SymbolTables::for_arch(Arch::X86_64);
        assert_eq!(
            tables.musl_provides("memcpy", MuslVersion::V1_2_3, false),
            Some(MuslProvides::Exported)
        );
        assert_eq!(
            tables.musl_provides("stat64", MuslVersion::V1_2_3, false),
            Some(MuslProvides::Exported)
        );
        assert_eq!(
            tables.musl_provides("stat64", MuslVersion::V1_2_5, false),
            Some(MuslProvides::Lfs64Redirect("stat"))
        );
        assert_eq!(
            tables.musl_provides("fcntl64", MuslVersion::V1_2_6, false),
            None
        );
        // The 1.2.4/1.2.5 loader's 16-byte buffer misses this one.
        assert_eq!(
            tables.musl_provides("posix_fallocate64", MuslVersion::V1_2_5, false),
            None
        );
        assert!(
            tables
                .musl_provides("posix_fallocate64", MuslVersion::V1_2_6, false)
                .is_some()
        );
        assert_eq!(
            tables.musl_provides("statx", MuslVersion::V1_2_4, false),
            None
        );
        assert!(
            tables
                .musl_provides("statx", MuslVersion::V1_2_5, false)
                .is_some()
        );
        assert_eq!(
            tables.musl_provides("__memcpy_chk", MuslVersion::V1_2_6, false),
            None
        );
    }

    #[test]
    fn debian_build_differs_from_upstream() {
        let tables = SymbolTables::for_arch(Arch::X86_64);
        assert!(
            tables
                .musl_provides("crypt", MuslVersion::V1_2_3, false)
                .is_some()
        );
        assert_eq!(
            tables.musl_provides("crypt", MuslVersion::V1_2_3, true),
            None
        );
        assert!(
            tables
                .musl_provides("fts_open", MuslVersion::V1_2_3, true)
                .is_some()
        );
        assert_eq!(
            tables.musl_provides("fts_open", MuslVersion::V1_2_3, false),
            None
        );
    }

    #[test]
    fn gcompat_glibc_and_cxx_tables_load() {
        let tables = SymbolTables::for_arch(Arch::X86_64);
        assert!(tables.gcompat_provides("__memcpy_chk"));
        assert!(!tables.gcompat_provides("arc4random"));
        assert!(!tables.gcompat_provides("fcntl64"));
        assert!(tables.gcompat_len() > 250);
        let single = tables.glibc_symbol("__libc_single_threaded");
        assert_eq!(single.map(|s| s.first_version), Some("GLIBC_2.32"));
        assert!(tables.libstdcxx_exports("_Znwm"));
        assert!(tables.libgcc_s_exports("_Unwind_Resume"));
        assert_eq!(
            alpine_provider("libstdc++.so.6"),
            Some(SonameProvider::Package("libstdc++"))
        );
        assert!(matches!(
            alpine_provider("libanl.so.1"),
            Some(SonameProvider::Nothing(_))
        ));
        let node: Vec<HostBrought> = host_brought("node").collect();
        assert!(
            node.iter()
                .any(|b| b.soname == "libstdc++.so.6" && b.host_package == "nodejs")
        );
        assert!(
            node.iter()
                .any(|b| b.soname == "libgcc_s.so.1" && b.package == "libgcc")
        );
        assert_eq!(host_brought("jvm").count(), 0);
    }
}
