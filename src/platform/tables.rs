//! Symbol and soname tables, embedded from `data/`: the large ones indexed
//! at build time, the small ones parsed once.
//!
//! Every table's source and version is in `data/README.md`.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::table_rows::{Indexed, is_row};

use crate::model::{Arch, Version};

use super::MuslVersion;

const SONAME_PACKAGES: &str = include_str!("../../data/alpine/soname-to-alpine-package.tsv");
const HOST_BROUGHT: &str = include_str!("../../data/alpine/host-brought-libraries.tsv");

/// Rows of a TSV file: `#` lines skipped, fields split on tabs.
pub(super) fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    lines(text).map(|line| line.split('\t').collect())
}

/// The rows of a TSV file unsplit.
pub(super) fn lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines().filter(|line| is_row(line))
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

/// The symbol tables for one architecture, indexed at build time.
#[derive(Debug)]
pub struct SymbolTables {
    /// musl exports: name, kind, and a flag per [`MuslVersion`] column (1.2.3 … 1.2.6).
    musl_exports: &'static Indexed,
    /// Where glibc puts each symbol, and whether gcompat's dependencies
    /// (musl-obstack, libucontext) provide it.
    glibc_vs_musl: &'static Indexed,
}

/// The exports of the libstdc++ and libgcc_s an Alpine release installs
/// (`apk add libstdc++ libgcc`), for one architecture: they differ between
/// architectures (aarch64 has `__frame_state_for` and `__bf16` typeinfo,
/// x86_64 the x87 `__mulxc3`, `__powixf2` and `__float128` typeinfo) and
/// between GCC releases (GCC 14 added `__basic_file::native_handle` …).
pub struct GccRuntime {
    /// The GCC release the tables are of (`13.2`).
    pub gcc: &'static str,
    libstdcxx: &'static Indexed,
    libgcc_s: &'static Indexed,
}

impl GccRuntime {
    /// Alpine `release`'s (`3.20`; `None`: the newest tabulated) on `arch`:
    /// GCC 13.2 up to 3.20 (3.19's and 3.20's; older releases' GCC 11 and 12
    /// are nearer it than 14.2), GCC 14.2 from 3.21 (3.21's and 3.22's; the
    /// GCC 15 of later releases is not tabulated).
    pub fn of(arch: Arch, release: Option<&str>) -> &'static GccRuntime {
        static GCC_14_X86_64: GccRuntime = GccRuntime {
            gcc: "14.2",
            libstdcxx: &index::ALPINE_LIBSTDCXX_14_X86_64,
            libgcc_s: &index::ALPINE_LIBGCC_S_14_X86_64,
        };
        static GCC_14_AARCH64: GccRuntime = GccRuntime {
            gcc: "14.2",
            libstdcxx: &index::ALPINE_LIBSTDCXX_14_AARCH64,
            libgcc_s: &index::ALPINE_LIBGCC_S_14_AARCH64,
        };
        static GCC_13_X86_64: GccRuntime = GccRuntime {
            gcc: "13.2",
            libstdcxx: &index::ALPINE_LIBSTDCXX_13_X86_64,
            libgcc_s: &index::ALPINE_LIBGCC_S_13_X86_64,
        };
        static GCC_13_AARCH64: GccRuntime = GccRuntime {
            gcc: "13.2",
            libstdcxx: &index::ALPINE_LIBSTDCXX_13_AARCH64,
            libgcc_s: &index::ALPINE_LIBGCC_S_13_AARCH64,
        };
        // A release is one muslcheck has facts for (`alpine_releases`).
        let before_gcc_14 =
            release.is_some_and(|release| Version::compare_releases(release, "3.21").is_lt());
        // Other architectures borrow x86_64's, as for musl's own exports.
        match (arch, before_gcc_14) {
            (Arch::Aarch64, true) => &GCC_13_AARCH64,
            (Arch::Aarch64, false) => &GCC_14_AARCH64,
            (_, true) => &GCC_13_X86_64,
            (_, false) => &GCC_14_X86_64,
        }
    }

    pub fn libstdcxx_exports(&self, name: &str) -> bool {
        self.libstdcxx.has(name)
    }

    pub fn libgcc_s_exports(&self, name: &str) -> bool {
        self.libgcc_s.has(name)
    }
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
        static X86_64: SymbolTables = SymbolTables {
            musl_exports: &index::MUSL_EXPORTS_X86_64,
            glibc_vs_musl: &index::GLIBC_VS_MUSL_X86_64,
        };
        static AARCH64: SymbolTables = SymbolTables {
            musl_exports: &index::MUSL_EXPORTS_AARCH64,
            glibc_vs_musl: &index::GLIBC_VS_MUSL_AARCH64,
        };
        match arch {
            Arch::Aarch64 => &AARCH64,
            // No table for the other architectures: the x86_64 names are the nearest
            // (musl's exports differ between architectures only in a handful of names).
            _ => &X86_64,
        }
    }

    /// Bit per musl version column exporting `name` (1.2.3 = bit 0 … 1.2.6 = bit 3).
    fn musl_bits(&self, name: &str) -> u8 {
        self.musl_exports.rows(name).next().map_or(0, |row| {
            // After name, type and bind: exported by 1.2.3 … 1.2.6.
            let bits = flag_bits(row.split('\t').skip(3).take(4));
            u8::try_from(bits).unwrap_or(0)
        })
    }

    /// The LFS64 name's musl target, and a bit per version whose loader remaps it.
    fn lfs64(name: &str) -> Option<(&'static str, u8)> {
        let row: Vec<&'static str> = index::MUSL_LFS64.rows(name).next()?.split('\t').collect();
        let target = *row.get(1)?;
        // Columns: exported in 1.2.3, remapped in 1.2.4, 1.2.5, 1.2.6.
        let mut bits = 0u8;
        for (bit, column) in (3..6).enumerate() {
            if row.get(column) == Some(&"1") {
                bits |= 1 << (bit + 1);
            }
        }
        Some((target, bits))
    }

    /// Whether Debian's musl 1.2.3 build adds (`Some(true)`) or lacks
    /// (`Some(false)`) `name` against upstream.
    fn debian_differs(name: &str) -> Option<bool> {
        index::DEBIAN_MUSL_DIFF.rows(name).find_map(|row| {
            let mut fields = row.split('\t').skip(1);
            match (fields.next(), fields.next()) {
                (Some("1"), Some("0")) => Some(true),
                (Some("0"), Some("1")) => Some(false),
                _ => None,
            }
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
            match SymbolTables::debian_differs(name) {
                Some(true) => return Some(MuslProvides::Exported),
                Some(false) => return None,
                None => {}
            }
        }
        if self.musl_bits(name) & bit != 0 {
            return Some(MuslProvides::Exported);
        }
        match SymbolTables::lfs64(name) {
            Some((target, bits)) if bits & bit != 0 => Some(MuslProvides::Lfs64Redirect(target)),
            _ => None,
        }
    }

    /// gcompat 1.1.0 (its own exports, and musl-obstack's and libucontext's,
    /// which come with Alpine's gcompat package).
    pub fn gcompat_provides(&self, name: &str) -> bool {
        (!name.starts_with("GCOMPAT_") && index::GCOMPAT_EXPORTS.has(name))
            || self
                .glibc_vs_musl
                .rows(name)
                .any(|row| matches!(row.split('\t').nth(7), Some("O" | "U")))
    }

    pub fn glibc_symbol(&self, name: &str) -> Option<GlibcSymbol> {
        let row = self.glibc_vs_musl.rows(name).next()?;
        let mut fields = row.split('\t');
        let soname = fields.next()?;
        let _name = fields.next()?;
        let first_version = fields.next()?;
        Some(GlibcSymbol {
            soname,
            first_version,
        })
    }

    /// All gcompat names, for tests.
    pub fn gcompat_len(&self) -> usize {
        let own = lines(index::GCOMPAT_EXPORTS.text).map(first_field);
        let dependencies = lines(self.glibc_vs_musl.text).filter_map(|row| {
            let fields: Vec<&str> = row.split('\t').collect();
            matches!(fields.get(7), Some(&("O" | "U")))
                .then(|| fields.get(1).copied())
                .flatten()
        });
        own.chain(dependencies)
            .filter(|name| self.gcompat_provides(name))
            .collect::<std::collections::HashSet<_>>()
            .len()
    }
}

/// The build-time indexes of the large tables (see `build.rs`).
pub(super) mod index {
    use super::super::table_rows::{Indexed, Key};
    include!(concat!(env!("OUT_DIR"), "/table_index.rs"));
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
    use crate::platform::table_rows::row_key;

    #[test]
    fn every_row_of_an_indexed_table_is_found_by_its_key_and_only_by_it() {
        for table in index::ALL {
            let mut rows = 0;
            for row in lines(table.text) {
                let Some(key) = row_key(row, table.key) else {
                    continue;
                };
                rows += 1;
                assert!(table.rows(key).any(|found| found == row), "{row:?}");
                assert!(
                    table
                        .rows(key)
                        .all(|found| row_key(found, table.key) == Some(key))
                );
                let absent = format!("{key}\u{1}");
                assert!(!table.has(&absent), "{absent:?}");
            }
            assert!(
                rows > 0 && rows == table.hashes.len(),
                "{rows} rows, {} indexed",
                table.hashes.len()
            );
        }
    }

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
    fn each_architecture_has_its_own_gcc_runtime_exports() {
        for release in [Some("3.19"), Some("3.21"), None] {
            let (x86_64, aarch64) = (
                GccRuntime::of(Arch::X86_64, release),
                GccRuntime::of(Arch::Aarch64, release),
            );
            for tables in [x86_64, aarch64] {
                assert!(tables.libgcc_s_exports("_Unwind_Resume"));
                assert!(tables.libstdcxx_exports("_Znwm"));
            }
            // x87 complex arithmetic: x86 only; the unwinder's old entry point: aarch64 only.
            assert!(x86_64.libgcc_s_exports("__mulxc3"));
            assert!(!aarch64.libgcc_s_exports("__mulxc3"));
            assert!(aarch64.libgcc_s_exports("__frame_state_for"));
            assert!(!x86_64.libgcc_s_exports("__frame_state_for"));
        }
        let (x86_64, aarch64) = (
            GccRuntime::of(Arch::X86_64, None),
            GccRuntime::of(Arch::Aarch64, None),
        );
        // __float128 typeinfo: x86 only; __fp16's: aarch64 only.
        assert!(x86_64.libstdcxx_exports("_ZTIg"));
        assert!(!aarch64.libstdcxx_exports("_ZTIg"));
        assert!(aarch64.libstdcxx_exports("_ZTIDh"));
        assert!(!x86_64.libstdcxx_exports("_ZTIDh"));
    }

    #[test]
    fn each_alpine_release_has_its_own_gcc_runtime() {
        // GCC 14's std::print support: in 3.21's libstdc++, not in 3.19's or 3.20's (GCC 13.2).
        let native_handle = "_ZNKSt12__basic_fileIcE13native_handleEv";
        for arch in [Arch::X86_64, Arch::Aarch64] {
            for (release, exports) in [
                (Some("3.17"), false),
                (Some("3.19"), false),
                (Some("3.20"), false),
                (Some("3.21"), true),
                (Some("3.24"), true),
                (None, true),
            ] {
                let runtime = GccRuntime::of(arch, release);
                assert_eq!(
                    runtime.libstdcxx_exports(native_handle),
                    exports,
                    "{arch:?} {release:?}"
                );
            }
        }
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
