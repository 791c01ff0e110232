//! Target profiles: which musl (and which build of it) the files must load on.

mod tables;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub use tables::{GlibcSymbol, MuslProvides, SonameProvider, SymbolTables, alpine_provider};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
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

    pub fn musl_provides(&self, tables: &SymbolTables, name: &str) -> Option<tables::MuslProvides> {
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

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Target", 4)?;
        s.serialize_field("name", &self.to_string())?;
        s.serialize_field("distribution", &self.distribution)?;
        s.serialize_field("release", &self.release)?;
        s.serialize_field("musl", self.musl.as_str())?;
        s.end()
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
}
