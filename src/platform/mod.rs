//! Platform profiles: what a base image provides, and its loader's rules.
//!
//! A [`Platform`] is built once at the command-line edge from a [`Target`]
//! (the image as the user names it), an architecture and the `--gcompat`
//! choice, and passed by reference to every check. Today the profiles are
//! Alpine and musl ones; all musl and gcompat facts live here, read from the
//! embedded tables in `data/`.

mod base;
pub mod musl;
mod profile_exports;
pub mod profiles;
mod tables;

use std::fmt;
use std::str::FromStr;

use crate::model::{Arch, HostKind, TargetInfo};

pub use base::BaseLibrary;
pub use musl::LoaderMessage;
pub use profiles::{Library, LookupError, Profile, target_summaries};
pub use tables::{
    GlibcSymbol, HostBrought, MuslProvides, SonameProvider, SymbolTables, alpine_provider,
};

const ALPINE_MUSL_VERSIONS: &str = include_str!("../../data/alpine/alpine-musl-versions.tsv");

/// The musl releases muslcheck has export tables for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MuslVersion {
    V1_2_3,
    V1_2_4,
    V1_2_5,
    V1_2_6,
}

impl MuslVersion {
    pub const ALL: [MuslVersion; 4] = [
        MuslVersion::V1_2_3,
        MuslVersion::V1_2_4,
        MuslVersion::V1_2_5,
        MuslVersion::V1_2_6,
    ];

    /// Index of this version's column in the export tables.
    pub fn column(self) -> u8 {
        self as u8
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MuslVersion::V1_2_3 => "1.2.3",
            MuslVersion::V1_2_4 => "1.2.4",
            MuslVersion::V1_2_5 => "1.2.5",
            MuslVersion::V1_2_6 => "1.2.6",
        }
    }
}

impl FromStr for MuslVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MuslVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!("no symbol table for musl {s}; known versions: 1.2.3, 1.2.4, 1.2.5, 1.2.6")
            })
    }
}

impl fmt::Display for MuslVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the target's C library and system libraries come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Alpine Linux: upstream musl with Alpine's packages (`apk add`).
    Alpine,
    /// Upstream musl alone, no distribution packages.
    Musl,
    /// Debian's `musl` package: its own build of 1.2.3 and no musl system
    /// libraries. The profile the loader-differential test runs against.
    DebianMusl,
}

/// What the scanned files must run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub distribution: Distribution,
    /// Alpine release (`3.20`), when the target is an Alpine release.
    pub release: Option<String>,
    pub musl: MuslVersion,
}

impl Target {
    /// The newest Alpine release muslcheck has facts for.
    pub fn newest_alpine() -> Target {
        let (release, musl) = alpine_releases()
            .into_iter()
            .max_by(|a, b| release_key(&a.0).cmp(&release_key(&b.0)))
            .unwrap_or_else(|| ("3.24".to_string(), MuslVersion::V1_2_6));
        Target {
            distribution: Distribution::Alpine,
            release: Some(release),
            musl,
        }
    }

    /// Whether Alpine packages (`libstdc++`, `zlib` …) can be installed on the target.
    pub fn has_packages(&self) -> bool {
        self.distribution == Distribution::Alpine
    }

    /// Whether the target's musl is Debian's build (its exports differ from upstream).
    pub fn is_debian_build(&self) -> bool {
        self.distribution == Distribution::DebianMusl
    }

    fn musl_provides(&self, tables: &SymbolTables, name: &str) -> Option<MuslProvides> {
        tables.musl_provides(name, self.musl, self.is_debian_build())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.distribution, &self.release) {
            (Distribution::Alpine, Some(release)) => {
                write!(f, "alpine:{release} (musl {})", self.musl)
            }
            (Distribution::DebianMusl, _) => write!(f, "debian-musl:{}", self.musl),
            _ => write!(f, "musl:{}", self.musl),
        }
    }
}

impl FromStr for Target {
    type Err = String;

    /// `alpine`, `alpine:3.18`, `musl:1.2.3`, `debian-musl` (Debian's musl 1.2.3 package).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, version) = match s.split_once(':') {
            Some((name, version)) => (name, Some(version)),
            None => (s, None),
        };
        match (name, version) {
            ("alpine", None | Some("latest")) => Ok(Target::newest_alpine()),
            ("alpine", Some(release)) => {
                let releases = alpine_releases();
                let release = release.trim_start_matches('v');
                // `3.20.3` names the same musl as `3.20`.
                let minor: String = release.split('.').take(2).collect::<Vec<_>>().join(".");
                releases
                    .iter()
                    .find(|(known, _)| *known == minor)
                    .map(|(known, musl)| Target {
                        distribution: Distribution::Alpine,
                        release: Some(known.clone()),
                        musl: *musl,
                    })
                    .ok_or_else(|| {
                        let known: Vec<&str> = releases.iter().map(|(r, _)| r.as_str()).collect();
                        format!(
                            "no facts for Alpine {release}; known releases: {}",
                            known.join(", ")
                        )
                    })
            }
            ("musl", Some(version)) => Ok(Target {
                distribution: Distribution::Musl,
                release: None,
                musl: version.parse()?,
            }),
            ("debian-musl", None | Some("1.2.3")) => Ok(Target {
                distribution: Distribution::DebianMusl,
                release: None,
                musl: MuslVersion::V1_2_3,
            }),
            _ => Err(format!(
                "unknown target `{s}`; expected alpine, alpine:3.18, musl:1.2.3 or debian-musl"
            )),
        }
    }
}

/// One base image as it ships, for one architecture: what the scanned files
/// must run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub target: Target,
    pub arch: Arch,
    /// `apk add gcompat` was asked for (it takes effect where packages exist).
    pub gcompat: bool,
}

impl Default for Platform {
    /// The newest Alpine on this machine's architecture, without gcompat.
    fn default() -> Self {
        Platform::new(Target::newest_alpine(), Arch::host(), false)
    }
}

impl Platform {
    pub fn new(target: Target, arch: Arch, gcompat: bool) -> Platform {
        Platform {
            target,
            arch,
            gcompat,
        }
    }

    /// Whether distribution packages (`apk add libstdc++`, `gcompat` …) can be installed.
    pub fn has_packages(&self) -> bool {
        self.target.has_packages()
    }

    /// The command that installs the target's packages in a Dockerfile
    /// (`apk add --no-cache`), when it has a package manager.
    pub fn install_command(&self) -> Option<&'static str> {
        self.has_packages().then_some("apk add --no-cache")
    }

    /// Whether gcompat is on the image: asked for, and installable there.
    pub fn gcompat_installed(&self) -> bool {
        self.gcompat && self.has_packages()
    }

    /// The path of the target's dynamic loader (`PT_INTERP` of its programs).
    pub fn interpreter(&self) -> Option<&'static str> {
        musl::interpreter(self.arch)
    }

    /// Whether the target's loader runs programs asking for `interpreter`.
    pub fn is_own_interpreter(&self, interpreter: &str) -> bool {
        self.interpreter() == Some(interpreter) || musl::is_musl_interpreter(interpreter)
    }

    /// The relocation types the loader handles; `None` where unknown.
    pub fn handled_relocation_types(&self) -> Option<&'static [u32]> {
        musl::handled_relocation_types(self.arch)
    }

    /// The symbol tables of this architecture.
    pub fn tables(&self) -> &'static SymbolTables {
        SymbolTables::for_arch(self.arch)
    }

    /// How the target's libc provides `name`, if it does.
    pub fn libc_provides(&self, name: &str) -> Option<MuslProvides> {
        self.target.musl_provides(self.tables(), name)
    }

    /// The library `name` (a DT_NEEDED entry) when the base image already has
    /// it on the loader's default path (Alpine's zlib, OpenSSL …).
    pub fn base_library(&self, name: &str) -> Option<BaseLibrary> {
        if self.target.distribution != Distribution::Alpine {
            return None;
        }
        base::base_library(self.target.release.as_deref()?, self.arch, name)
    }

    /// Whether the base image's `library` exports `symbol` to the loader.
    pub fn base_exports(&self, library: &BaseLibrary, symbol: &str) -> bool {
        base::base_exports(library, self.arch, symbol)
    }

    /// The libraries that installing `host` on the target brings with it.
    pub fn brought_by_host(&self, host: HostKind) -> Vec<HostBrought> {
        if !self.has_packages() {
            return Vec::new();
        }
        let key = match host {
            HostKind::Node => "node",
            HostKind::Cpython => "cpython",
            HostKind::Jvm => "jvm",
        };
        tables::host_brought(key).collect()
    }

    /// The oldest Alpine release newer than the target whose musl provides
    /// every one of `names`, with that musl; `None` when the target is not
    /// Alpine, or no release muslcheck knows provides them all.
    pub fn newer_alpine_providing(&self, names: &[&str]) -> Option<(String, MuslVersion)> {
        let already = names.iter().all(|name| self.libc_provides(name).is_some());
        if self.target.distribution != Distribution::Alpine || already {
            return None;
        }
        let current = release_key(self.target.release.as_deref()?);
        let tables = self.tables();
        let mut releases = alpine_releases();
        releases.sort_by_key(|(release, _)| release_key(release));
        releases.into_iter().find(|(release, musl)| {
            release_key(release) > current
                && names
                    .iter()
                    .all(|name| tables.musl_provides(name, *musl, false).is_some())
        })
    }

    /// The target as the report names it.
    pub fn info(&self) -> TargetInfo {
        let distribution = match self.target.distribution {
            Distribution::Alpine => "alpine",
            Distribution::Musl => "musl",
            Distribution::DebianMusl => "debian-musl",
        };
        TargetInfo {
            name: self.target.to_string(),
            distribution: distribution.to_string(),
            release: self.target.release.clone(),
            musl: self.target.musl.as_str().to_string(),
        }
    }
}

fn release_key(release: &str) -> Vec<u32> {
    release.split('.').filter_map(|p| p.parse().ok()).collect()
}

/// Alpine releases with a tabulated musl version, from `data/alpine/alpine-musl-versions.tsv`.
pub fn alpine_releases() -> Vec<(String, MuslVersion)> {
    ALPINE_MUSL_VERSIONS
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let release = fields.next()?;
            let _musl = fields.next()?;
            let column = fields.next()?;
            let version = column.strip_prefix("musl_")?.split(' ').next()?;
            let release_is_numeric = release.split('.').all(|p| p.parse::<u32>().is_ok());
            release_is_numeric.then(|| Some((release.to_string(), version.parse().ok()?)))?
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let newest: Target = "alpine".parse().unwrap();
        assert_eq!(newest.release.as_deref(), Some("3.24"));
        assert_eq!(newest.musl, MuslVersion::V1_2_6);
        let t318: Target = "alpine:3.18".parse().unwrap();
        assert_eq!(t318.musl, MuslVersion::V1_2_4);
        let t3203: Target = "alpine:3.20.3".parse().unwrap();
        assert_eq!(t3203.musl, MuslVersion::V1_2_5);
        assert_eq!(
            "alpine:3.16".parse::<Target>().unwrap().musl,
            MuslVersion::V1_2_3
        );
        let musl: Target = "musl:1.2.3".parse().unwrap();
        assert_eq!(musl.distribution, Distribution::Musl);
        assert!(!musl.has_packages());
        assert!("debian-musl".parse::<Target>().unwrap().is_debian_build());
        assert!("alpine:3.14".parse::<Target>().is_err());
        assert!("ubuntu".parse::<Target>().is_err());
        assert!("musl:1.1.24".parse::<Target>().is_err());
    }

    #[test]
    fn a_newer_alpine_is_found_when_its_musl_has_every_name() {
        let on = |target: &str| Platform::new(target.parse().unwrap(), Arch::X86_64, false);
        assert_eq!(
            on("alpine:3.18").newer_alpine_providing(&["statx"]),
            Some(("3.20".to_string(), MuslVersion::V1_2_5))
        );
        assert_eq!(on("alpine:3.20").newer_alpine_providing(&["statx"]), None);
        assert_eq!(
            on("alpine:3.18").newer_alpine_providing(&["statx", "__printf_chk"]),
            None
        );
        assert_eq!(on("musl:1.2.3").newer_alpine_providing(&["statx"]), None);
    }
}
