//! Wheel tags, the wheel audit and the reinstall answer: what the Python and
//! npm checks conclude about packages rather than files.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::LibcKind;

/// A wheel platform tag, parsed once at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PlatformTag {
    /// `manylinux_2_17_x86_64`; legacy `manylinux1/2010/2014` are parsed to their PEP 600 form.
    Manylinux {
        major: u32,
        minor: u32,
        arch: String,
    },
    /// `musllinux_1_2_x86_64`.
    Musllinux {
        major: u32,
        minor: u32,
        arch: String,
    },
    /// `linux_x86_64`: built on some Linux, no portability promise.
    Linux { arch: String },
    /// `any`: pure Python.
    Any,
    /// Anything else (`macosx_…`, `win_amd64`).
    Other(String),
}

impl PlatformTag {
    pub fn arch(&self) -> Option<&str> {
        match self {
            PlatformTag::Manylinux { arch, .. }
            | PlatformTag::Musllinux { arch, .. }
            | PlatformTag::Linux { arch } => Some(arch),
            _ => None,
        }
    }

    pub fn is_musl(&self) -> bool {
        matches!(self, PlatformTag::Musllinux { .. })
    }

    pub fn is_glibc(&self) -> bool {
        matches!(self, PlatformTag::Manylinux { .. })
    }
}

fn split_version_arch(rest: &str) -> Option<(u32, u32, String)> {
    let mut parts = rest.splitn(3, '_');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let arch = parts.next()?.to_string();
    Some((major, minor, arch))
}

impl FromStr for PlatformTag {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let legacy = [
            ("manylinux1_", (2, 5)),
            ("manylinux2010_", (2, 12)),
            ("manylinux2014_", (2, 17)),
        ];
        for (prefix, (major, minor)) in legacy {
            if let Some(arch) = s.strip_prefix(prefix) {
                return Ok(PlatformTag::Manylinux {
                    major,
                    minor,
                    arch: arch.to_string(),
                });
            }
        }
        if let Some(rest) = s.strip_prefix("manylinux_")
            && let Some((major, minor, arch)) = split_version_arch(rest)
        {
            return Ok(PlatformTag::Manylinux { major, minor, arch });
        }
        if let Some(rest) = s.strip_prefix("musllinux_")
            && let Some((major, minor, arch)) = split_version_arch(rest)
        {
            return Ok(PlatformTag::Musllinux { major, minor, arch });
        }
        if let Some(arch) = s.strip_prefix("linux_") {
            return Ok(PlatformTag::Linux {
                arch: arch.to_string(),
            });
        }
        if s == "any" {
            return Ok(PlatformTag::Any);
        }
        Ok(PlatformTag::Other(s.to_string()))
    }
}

impl fmt::Display for PlatformTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlatformTag::Manylinux { major, minor, arch } => {
                write!(f, "manylinux_{major}_{minor}_{arch}")
            }
            PlatformTag::Musllinux { major, minor, arch } => {
                write!(f, "musllinux_{major}_{minor}_{arch}")
            }
            PlatformTag::Linux { arch } => write!(f, "linux_{arch}"),
            PlatformTag::Any => f.write_str("any"),
            PlatformTag::Other(tag) => f.write_str(tag),
        }
    }
}

impl Serialize for PlatformTag {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Orders tags of one family by how old a system they promise to run on.
impl PartialOrd for PlatformTag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (
                PlatformTag::Manylinux {
                    major: a, minor: b, ..
                },
                PlatformTag::Manylinux {
                    major: c, minor: d, ..
                },
            )
            | (
                PlatformTag::Musllinux {
                    major: a, minor: b, ..
                },
                PlatformTag::Musllinux {
                    major: c, minor: d, ..
                },
            ) => Some((a, b).cmp(&(c, d))),
            _ => None,
        }
    }
}

/// What the content of a wheel supports, against what its name claims.
#[derive(Debug, Clone, Serialize)]
pub struct WheelAudit {
    pub claimed: Vec<PlatformTag>,
    /// The C library the ELF members are built against (`none` when no member
    /// needs one).
    pub content_libc: LibcKind,
    /// The highest GLIBC_x.y any member needs, and which member.
    pub required_glibc: Option<(String, String)>,
    /// The tag the content supports (the lowest policy that allows it).
    pub supported: Option<String>,
    pub why: Vec<String>,
}

/// What installing one pinned package on the target gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reinstall {
    /// A musl build (musllinux wheel, musl prebuild or platform package) exists
    /// for this version and architecture.
    MuslBuild,
    /// The package manager builds it from source on the target.
    SourceBuild,
    /// Nothing the project has answers the question.
    Unknown,
    /// Only pure-Python wheels: nothing native to build.
    NotNative,
    /// A musl build exists but the lockfile does not record it.
    MuslBuildNotLocked,
    /// Platform builds exist, none for musl.
    NoMuslBuild,
    /// No musl build and no source to build from: the install fails.
    CannotInstall,
    /// On a glibc image: a build its glibc accepts exists (a manylinux wheel
    /// no newer than the image's glibc).
    GlibcBuild,
    /// On a glibc image: platform builds exist, none its glibc accepts.
    NoGlibcBuild,
}

impl Reinstall {
    pub fn as_str(self) -> &'static str {
        match self {
            Reinstall::MuslBuild => "musl-build",
            Reinstall::SourceBuild => "source-build",
            Reinstall::Unknown => "unknown",
            Reinstall::NotNative => "not-native",
            Reinstall::MuslBuildNotLocked => "musl-build-not-locked",
            Reinstall::NoMuslBuild => "no-musl-build",
            Reinstall::CannotInstall => "cannot-install",
            Reinstall::GlibcBuild => "glibc-build",
            Reinstall::NoGlibcBuild => "no-glibc-build",
        }
    }

    /// A build for the target exists (for its musl or its glibc).
    pub fn has_target_build(self) -> bool {
        matches!(self, Reinstall::MuslBuild | Reinstall::GlibcBuild)
    }

    /// Platform builds exist, none for the target's C library.
    pub fn lacks_target_build(self) -> bool {
        matches!(self, Reinstall::NoMuslBuild | Reinstall::NoGlibcBuild)
    }
}
