//! What the scanned files must run on, as users name it: a musl target
//! (Alpine release, upstream musl, Debian's musl build) or a base-image
//! profile, and the matrix judged when none is named.

use std::fmt;
use std::str::FromStr;

use super::{MuslProvides, Profile, SymbolTables};
use crate::model::Version;

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

    /// The `X` of the newest `musllinux_1_X` wheel tag this musl installs
    /// (PEP 656: the tag names musl's major and minor release).
    pub fn musllinux_minor(self) -> u32 {
        match self {
            MuslVersion::V1_2_3
            | MuslVersion::V1_2_4
            | MuslVersion::V1_2_5
            | MuslVersion::V1_2_6 => 2,
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

/// What the scanned files must run on: a musl target (muslcheck's own
/// tables), or a base-image profile judged by its own loader's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Musl(MuslTarget),
    /// A profile of `data/base-images/` (glibc or no libc), by canonical name.
    Image(&'static str),
}

/// A musl target: Alpine, upstream musl or Debian's musl build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuslTarget {
    pub distribution: Distribution,
    /// Alpine release (`3.20`), when the target is an Alpine release.
    pub release: Option<String>,
    pub musl: MuslVersion,
}

impl MuslTarget {
    /// The newest Alpine release muslcheck has facts for.
    pub fn newest_alpine() -> MuslTarget {
        let (release, musl) = alpine_releases()
            .into_iter()
            .max_by(|a, b| Version::compare_releases(&a.0, &b.0))
            .unwrap_or_else(|| ("3.24".to_string(), MuslVersion::V1_2_6));
        MuslTarget {
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

    pub(super) fn musl_provides(&self, tables: &SymbolTables, name: &str) -> Option<MuslProvides> {
        tables.musl_provides(name, self.musl, self.is_debian_build())
    }
}

/// The images `muslcheck matrix` judges when no target is given: the
/// common choices of the base-image guides, one of each kind.
pub const DEFAULT_MATRIX: [&str; 10] = [
    "debian:12-slim",
    "debian:13-slim",
    "ubuntu:24.04",
    "gcr.io/distroless/cc-debian12",
    "gcr.io/distroless/base-debian12",
    "registry.access.redhat.com/ubi9/ubi-minimal",
    "amazonlinux:2023",
    "cgr.dev/chainguard/wolfi-base",
    "gcr.io/distroless/static-debian12",
    "scratch",
];

impl Target {
    /// The default matrix: the newest Alpine, then [`DEFAULT_MATRIX`].
    pub fn default_matrix() -> Vec<Target> {
        std::iter::once(Target::newest_alpine())
            .chain(DEFAULT_MATRIX.iter().filter_map(|name| name.parse().ok()))
            .collect()
    }

    /// The newest Alpine release muslcheck has facts for.
    pub fn newest_alpine() -> Target {
        Target::Musl(MuslTarget::newest_alpine())
    }

    /// The musl target, when the target is one.
    pub fn musl(&self) -> Option<&MuslTarget> {
        match self {
            Target::Musl(musl) => Some(musl),
            Target::Image(_) => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Musl(musl) => musl.fmt(f),
            Target::Image(name) => f.write_str(name),
        }
    }
}

impl FromStr for Target {
    type Err = String;

    /// A musl target (`alpine:3.18`, `musl:1.2.3`, `debian-musl`), else a
    /// base-image profile as users write it (`debian:12-slim`, `distroless/cc`,
    /// `scratch`). Alpine names stay musl targets, with their base libraries.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let musl = s.parse::<MuslTarget>();
        let repository = s.split(':').next().unwrap_or(s);
        if musl.is_ok() || matches!(repository, "alpine" | "musl" | "debian-musl") {
            return musl.map(Target::Musl);
        }
        let canonical = Profile::canonical_name(s).map_err(|e| format!("unknown target: {e}"))?;
        // Another spelling of an Alpine image (`docker.io/library/alpine:3.20`).
        if let Ok(musl) = canonical.parse::<MuslTarget>() {
            return Ok(Target::Musl(musl));
        }
        Ok(Target::Image(canonical))
    }
}

impl fmt::Display for MuslTarget {
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

impl FromStr for MuslTarget {
    type Err = String;

    /// `alpine`, `alpine:3.18`, `musl:1.2.3`, `debian-musl` (Debian's musl 1.2.3 package).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, version) = match s.split_once(':') {
            Some((name, version)) => (name, Some(version)),
            None => (s, None),
        };
        match (name, version) {
            ("alpine", None | Some("latest")) => Ok(MuslTarget::newest_alpine()),
            ("alpine", Some(release)) => {
                let releases = alpine_releases();
                let release = release.trim_start_matches('v');
                // `3.20.3` names the same musl as `3.20`.
                let minor: String = release.split('.').take(2).collect::<Vec<_>>().join(".");
                releases
                    .iter()
                    .find(|(known, _)| *known == minor)
                    .map(|(known, musl)| MuslTarget {
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
            ("musl", Some(version)) => Ok(MuslTarget {
                distribution: Distribution::Musl,
                release: None,
                musl: version.parse()?,
            }),
            ("debian-musl", None | Some("1.2.3")) => Ok(MuslTarget {
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
