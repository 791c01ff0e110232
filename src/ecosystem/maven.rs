//! Jars: who a jar is (its Maven coordinates), where JNI libraries inside
//! it sit, and which OS and C library each is built for (the table of
//! known JNI libraries, `data/jni/jni-libraries.tsv`, with sources).

use std::sync::OnceLock;

use crate::model::{Arch, Ecosystem, LibcKind, Package};

const JNI_LIBRARIES: &str = include_str!("../../data/jni/jni-libraries.tsv");

/// A jar's package: `pom.properties` first (one per jar, or the one whose
/// artifact the file name starts with), else the manifest's
/// Implementation-Title/Version, else the file name `name-1.2.3.jar`.
pub fn jar_package(
    pom_properties: &[String],
    manifest: Option<&str>,
    file_name: &str,
) -> Option<Package> {
    let stem = file_name
        .rsplit('/')
        .next()
        .unwrap_or(file_name)
        .trim_end_matches(".jar")
        .trim_end_matches(".war")
        .trim_end_matches(".ear");
    let poms: Vec<(String, String, String)> = pom_properties
        .iter()
        .filter_map(|text| pom_coordinates(text))
        .collect();
    let pom = match poms.as_slice() {
        [only] => Some(only),
        many => many
            .iter()
            .find(|(_, artifact, _)| stem.starts_with(artifact.as_str())),
    };
    if let Some((group, artifact, version)) = pom {
        return Some(maven(format!("{group}:{artifact}"), version.clone()));
    }
    if let Some((title, version)) = manifest.and_then(manifest_title) {
        return Some(maven(title, version));
    }
    let (name, version) = split_file_name(stem)?;
    Some(maven(name.to_string(), version.to_string()))
}

fn maven(name: String, version: String) -> Package {
    Package {
        ecosystem: Ecosystem::Maven,
        name,
        version,
    }
}

/// `groupId`, `artifactId`, `version` of a `pom.properties`.
fn pom_coordinates(text: &str) -> Option<(String, String, String)> {
    let value = |key: &str| {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Some((value("groupId")?, value("artifactId")?, value("version")?))
}

/// `Implementation-Title` and `Implementation-Version` of a manifest's main section.
fn manifest_title(text: &str) -> Option<(String, String)> {
    let main = text.split("\n\n").next().unwrap_or(text);
    let value = |key: &str| {
        main.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let title = value("Implementation-Title")?;
    // Maven's archiver writes the groupId as the vendor id.
    let name = match value("Implementation-Vendor-Id") {
        Some(group) => format!("{group}:{title}"),
        None => title,
    };
    Some((name, value("Implementation-Version")?))
}

/// `snappy-java-1.1.10.3` → (`snappy-java`, `1.1.10.3`): the version starts
/// at the first `-` followed by a digit.
fn split_file_name(stem: &str) -> Option<(&str, &str)> {
    let at = stem
        .char_indices()
        .find(|&(i, c)| {
            c == '-'
                && stem
                    .get(i + 1..)
                    .is_some_and(|rest| rest.starts_with(|d: char| d.is_ascii_digit()))
        })
        .map(|(i, _)| i)?;
    Some((stem.get(..at)?, stem.get(at + 1..)?))
}

/// A JNI library of the table.
#[derive(Debug)]
pub struct JniLibrary {
    /// `group:artifact`.
    pub coordinates: String,
    pub glibc_member: String,
    pub musl_member: Option<String>,
    /// A version known to ship the musl member.
    pub musl_in: Option<String>,
    pub source: String,
}

/// The table's entry for a jar's coordinates (`group:artifact`, or the
/// artifact alone when the jar names no group).
pub fn jni_library(coordinates: &str) -> Option<&'static JniLibrary> {
    static TABLE: OnceLock<Vec<JniLibrary>> = OnceLock::new();
    TABLE
        .get_or_init(|| parse_jni_table(JNI_LIBRARIES))
        .iter()
        .find(|library| {
            library.coordinates == coordinates
                || (!coordinates.contains(':')
                    && library.coordinates.rsplit(':').next() == Some(coordinates))
        })
}

fn parse_jni_table(text: &str) -> Vec<JniLibrary> {
    let optional = |field: &str| (field != "-").then(|| field.to_string());
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("coordinates\t"))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some(JniLibrary {
                coordinates: fields.next()?.to_string(),
                glibc_member: fields.next()?.to_string(),
                musl_member: optional(fields.next()?),
                musl_in: optional(fields.next()?),
                source: fields.next()?.to_string(),
            })
        })
        .collect()
}

/// What a JNI member's path inside its jar says it is built for, as the
/// libraries' loaders name their folders and files (`Linux/x86_64/`,
/// `linux/amd64/`, `Linux-Musl/x86_64/`, `librocksdbjni-linux64-musl.so`,
/// `FreeBSD/`, `Linux/android-arm/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NativeVariant {
    /// Built for an OS other than GNU/Linux or musl Linux (FreeBSD, Android, …).
    pub other_os: Option<&'static str>,
    /// `Some(Musl)` when the path names musl; otherwise the loader's
    /// default Linux build, which is glibc's.
    pub libc: LibcKind,
    /// The architecture the path names (`amd64`, `x86_64`, `linux64`,
    /// `aarch64`, `s390x` …), for members whose ELF header cannot be read.
    pub arch: Option<Arch>,
}

/// The architecture a folder or file-name token names, as the JNI
/// libraries' loaders spell them (Java's `os.arch`, `uname -m`, rocksdb's
/// `linux64`/`linux32`).
fn arch_of_token(token: &str) -> Option<Arch> {
    Some(match token {
        "x86_64" | "amd64" | "x64" | "linux64" => Arch::X86_64,
        "aarch64" | "arm64" => Arch::Aarch64,
        "x86" | "i386" | "i686" | "linux32" => Arch::I686,
        "arm" | "armv6" | "armv7" | "armhf" => Arch::Armv7,
        "ppc64le" => Arch::Ppc64le,
        "ppc64" => Arch::Ppc64,
        "s390x" => Arch::S390x,
        "riscv64" => Arch::Riscv64,
        "loongarch64" => Arch::Loongarch64,
        _ => return None,
    })
}

const OTHER_OSES: &[&str] = &[
    "freebsd",
    "openbsd",
    "netbsd",
    "dragonfly",
    "android",
    "sunos",
    "solaris",
    "aix",
    "windows",
    "win32",
    "win64",
    "mac",
    "macos",
    "osx",
    "darwin",
];

/// The variant a member's path names.
pub fn native_variant(member_path: &str) -> NativeVariant {
    // `x86_64` (and netty's `aarch_64`) are one name each, split on nothing.
    let lower = member_path
        .to_ascii_lowercase()
        .replace("x86_64", "amd64")
        .replace("aarch_64", "aarch64");
    let tokens: Vec<&str> = lower
        .split(['/', '-', '_', '.'])
        .filter(|t| !t.is_empty())
        .collect();
    let arch = tokens.iter().rev().find_map(|t| arch_of_token(t));
    let other_os = OTHER_OSES
        .iter()
        .copied()
        .find(|os| tokens.iter().any(|t| t == os));
    let musl = tokens.iter().any(|t| t.starts_with("musl"));
    NativeVariant {
        other_os,
        libc: if musl {
            LibcKind::Musl
        } else {
            LibcKind::Glibc
        },
        arch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_from_pom_manifest_or_name() {
        let pom = "#Created by Maven\nversion=1.1.10.3\ngroupId=org.xerial.snappy\nartifactId=snappy-java\n";
        let package = jar_package(&[pom.to_string()], None, "x.jar").unwrap();
        assert_eq!(package.name, "org.xerial.snappy:snappy-java");
        assert_eq!(package.version, "1.1.10.3");
        let manifest = "Manifest-Version: 1.0\nImplementation-Title: lz4-java\nImplementation-Version: 1.8.0\n";
        let package = jar_package(&[], Some(manifest), "x.jar").unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_str()),
            ("lz4-java", "1.8.0")
        );
        let with_group = format!("{manifest}Implementation-Vendor-Id: org.lz4\n");
        let package = jar_package(&[], Some(&with_group), "x.jar").unwrap();
        assert_eq!(package.name, "org.lz4:lz4-java");
        let package = jar_package(&[], None, "BOOT-INF/lib/zstd-jni-1.5.5-4.jar").unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_str()),
            ("zstd-jni", "1.5.5-4")
        );
        assert!(jar_package(&[], None, "app.jar").is_none());
    }

    #[test]
    fn variants_from_member_paths() {
        let musl = native_variant("librocksdbjni-linux64-musl.so");
        assert_eq!((musl.other_os, musl.libc), (None, LibcKind::Musl));
        assert_eq!(
            native_variant("org/sqlite/native/Linux-Musl/x86_64/libsqlitejdbc.so").libc,
            LibcKind::Musl
        );
        let glibc = native_variant("linux/amd64/libzstd-jni-1.5.5-4.so");
        assert_eq!((glibc.other_os, glibc.libc), (None, LibcKind::Glibc));
        assert_eq!(
            native_variant("freebsd/amd64/libzstd-jni-1.5.5-4.so").other_os,
            Some("freebsd")
        );
        let arch = |p: &str| native_variant(p).arch;
        assert_eq!(
            arch("org/xerial/snappy/native/Linux/s390x/libsnappyjava.so"),
            Some(Arch::S390x)
        );
        assert_eq!(
            arch("org/xerial/snappy/native/Linux/x86_64/libsnappyjava.so"),
            Some(Arch::X86_64)
        );
        assert_eq!(arch("librocksdbjni-linux64-musl.so"), Some(Arch::X86_64));
        assert_eq!(
            arch("META-INF/native/libnetty_tcnative_linux_x86_64.so"),
            Some(Arch::X86_64)
        );
        assert_eq!(
            arch("META-INF/native/libnetty_transport_native_epoll_aarch_64.so"),
            Some(Arch::Aarch64)
        );
        assert_eq!(arch("lib/libfoo.so"), None);
        assert_eq!(
            native_variant("org/xerial/snappy/native/Linux/android-aarch64/libsnappyjava.so")
                .other_os,
            Some("android")
        );
    }

    #[test]
    fn table_parses() {
        let rocksdb = jni_library("org.rocksdb:rocksdbjni").unwrap();
        assert_eq!(rocksdb.musl_in.as_deref(), Some("8.3.2"));
        assert!(
            jni_library("org.xerial.snappy:snappy-java")
                .unwrap()
                .musl_in
                .is_none()
        );
        assert!(jni_library("rocksdbjni").is_some());
        assert!(jni_library("com.example:rocksdbjni").is_none());
    }
}
