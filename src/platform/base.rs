//! The shared libraries an Alpine base image already has (zlib, OpenSSL …),
//! with the symbols musl's loader binds to in each, from the minirootfs the
//! official images are built from (`data/alpine/alpine-base-*.tsv`, made by
//! `tools/extract-alpine-base-libs.py`).

use std::sync::{Mutex, OnceLock, PoisonError};

use crate::model::{Arch, Version};

use super::MuslVersion;
use super::table_rows::Indexed;
use super::tables::{flag_bits, index, rows};

/// The musl an Alpine release ships.
fn alpine_musl(release: &str) -> Option<MuslVersion> {
    super::alpine_releases()
        .into_iter()
        .find(|(known, _)| known == release)
        .map(|(_, musl)| musl)
}

const LIBRARIES: &str = include_str!("../../data/alpine/alpine-base-libraries.tsv");

/// A library the base image has on the loader's default path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseLibrary {
    /// The file name a DT_NEEDED entry finds (`libz.so.1`).
    pub name: &'static str,
    pub soname: &'static str,
    /// The Alpine package and version that install it.
    pub package: &'static str,
    pub version: &'static str,
    /// The Alpine release whose minirootfs the table was read from.
    pub table_release: &'static str,
    /// The target release (the table's, or the nearest table's when none is).
    pub target_release: String,
}

impl BaseLibrary {
    /// `zlib 1.3.1-r1 in the alpine:3.20 base image` (and which table, when
    /// the target release has none of its own).
    pub fn describe(&self) -> String {
        if self.table_release == self.target_release {
            format!(
                "{} {} in the alpine:{} base image",
                self.package, self.version, self.target_release
            )
        } else {
            format!(
                "{} in the alpine:{} base image (exports from Alpine {}'s minirootfs, {} {}: the nearest release muslcheck has a table for)",
                self.package, self.target_release, self.table_release, self.package, self.version
            )
        }
    }
}

struct Row {
    release: &'static str,
    arch: &'static str,
    name: &'static str,
    soname: &'static str,
    package: &'static str,
    version: &'static str,
}

fn libraries() -> &'static [Row] {
    static TABLE: OnceLock<Vec<Row>> = OnceLock::new();
    TABLE.get_or_init(|| {
        rows(LIBRARIES)
            .filter_map(|row| {
                Some(Row {
                    release: row.first()?,
                    arch: row.get(1)?,
                    name: row.get(2)?,
                    soname: row.get(3)?,
                    package: row.get(4)?,
                    version: row.get(5)?,
                })
            })
            .collect()
    })
}

/// The table release for `release` on `arch`, and the arch as the table
/// names it: worked out once per pair (it is asked for every library every
/// process of a scan needs).
fn table_for(release: &str, arch: Arch) -> Option<(&'static str, &'static str)> {
    type Known = Vec<(String, Arch, Option<(&'static str, &'static str)>)>;
    static KNOWN: Mutex<Known> = Mutex::new(Vec::new());
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, _, found)) = known.iter().find(|(r, a, _)| r == release && *a == arch) {
        return *found;
    }
    let arch_name = arch.to_string();
    let found = nearest_table_release(release, &arch_name, alpine_musl).and_then(|table| {
        let row = libraries().iter().find(|row| row.arch == arch_name)?;
        Some((table, row.arch))
    });
    known.push((release.to_string(), arch, found));
    found
}

/// The release with a table nearest `release` for `arch`: first one that
/// ships the same musl (`musl_of` names each release's), then the nearest,
/// then the older.
fn nearest_table_release(
    release: &str,
    arch: &str,
    musl_of: impl Fn(&str) -> Option<MuslVersion>,
) -> Option<&'static str> {
    let musl = musl_of(release);
    // `3.20` → 3020: how far apart two releases are.
    let minor = |release: &str| {
        let version = Version::release(release);
        let key = version
            .segment(0)
            .saturating_mul(1000)
            .saturating_add(version.segment(1));
        i64::try_from(key).unwrap_or(i64::MAX)
    };
    let target = minor(release);
    let mut releases: Vec<&'static str> = libraries()
        .iter()
        .filter(|row| row.arch == arch)
        .map(|row| row.release)
        .collect();
    releases.sort_by(|a, b| Version::compare_releases(a, b));
    releases.dedup();
    releases.into_iter().min_by_key(|r| {
        let other_musl = musl.is_none() || musl_of(r) != musl;
        let key = minor(r);
        (other_musl, (key - target).abs(), key)
    })
}

/// The library `name` in the base image of Alpine `release` on `arch`.
pub fn base_library(release: &str, arch: Arch, name: &str) -> Option<BaseLibrary> {
    let (table_release, arch) = table_for(release, arch)?;
    let row = libraries()
        .iter()
        .find(|row| row.release == table_release && row.arch == arch && row.name == name)?;
    Some(BaseLibrary {
        name: row.name,
        soname: row.soname,
        package: row.package,
        version: row.version,
        table_release,
        target_release: release.to_string(),
    })
}

fn exports(arch: Arch) -> Option<&'static Indexed> {
    match arch {
        Arch::X86_64 => Some(&index::BASE_EXPORTS_X86_64),
        Arch::Aarch64 => Some(&index::BASE_EXPORTS_AARCH64),
        _ => None,
    }
}

/// The table's release columns, from its header
/// (`#soname`, `symbol`, `version`, then one per release: `3.17` …).
fn releases(table: &Indexed) -> impl Iterator<Item = &'static str> {
    table
        .text
        .lines()
        .find_map(|line| line.strip_prefix("#soname\t"))
        .into_iter()
        .flat_map(|header| header.split('\t').skip(2))
}

/// Whether `library` (as the base image has it) exports `symbol` to musl's loader.
pub fn base_exports(library: &BaseLibrary, arch: Arch, symbol: &str) -> bool {
    let Some(exports) = exports(arch) else {
        return false;
    };
    let Some(column) = releases(exports).position(|r| r == library.table_release) else {
        return false;
    };
    // One row per version of the symbol: exported when any row says so.
    let key = format!("{}\t{symbol}", library.soname);
    exports.rows(&key).any(|row| {
        let flags = row.split('\t').skip(3);
        flag_bits(flags) & (1 << column) != 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_images_have_zlib_and_openssl_with_their_exports() {
        let zlib = base_library("3.20", Arch::X86_64, "libz.so.1").unwrap();
        assert_eq!(zlib.package, "zlib");
        assert_eq!(zlib.table_release, "3.20");
        assert!(base_exports(&zlib, Arch::X86_64, "inflateInit2_"));
        assert!(!base_exports(&zlib, Arch::X86_64, "inflate_no_such_thing"));
        let crypto = base_library("3.19", Arch::Aarch64, "libcrypto.so.3").unwrap();
        assert_eq!(crypto.package, "libcrypto3");
        assert!(base_exports(&crypto, Arch::Aarch64, "EVP_DigestInit_ex"));
        assert!(base_library("3.20", Arch::X86_64, "libstdc++.so.6").is_none());
    }

    #[test]
    fn releases_without_a_table_use_the_nearest() {
        let nearest = |release| nearest_table_release(release, "x86_64", alpine_musl);
        assert_eq!(nearest("3.24"), Some("3.20"));
        assert_eq!(nearest("3.21"), Some("3.20"));
        assert_eq!(nearest("3.16"), Some("3.17"));
        // Between 3.17 and 3.19: 3.19, which ships the same musl 1.2.4.
        assert_eq!(nearest("3.18"), Some("3.19"));
        assert_eq!(nearest("3.19"), Some("3.19"));
        // No musl to match: the nearest, then the older.
        assert_eq!(
            nearest_table_release("3.18", "x86_64", |_| None),
            Some("3.17")
        );
        let zlib = base_library("3.22", Arch::X86_64, "libz.so.1").unwrap();
        assert!(
            zlib.describe().contains("exports from Alpine 3.20"),
            "{}",
            zlib.describe()
        );
        assert!(base_library("3.20", Arch::Riscv64, "libz.so.1").is_none());
    }
}
