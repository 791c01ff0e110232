//! Python packaging: wheel file names and platform tags (PEP 425/427/600/656),
//! auditwheel's policies, and `*.dist-info` metadata.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::Serialize;

const MANYLINUX_POLICY: &str = include_str!("../../data/auditwheel/manylinux-policy.json");
const MUSLLINUX_POLICY: &str = include_str!("../../data/auditwheel/musllinux-policy.json");

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

/// A wheel file name: `{distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl`,
/// each tag field possibly a compressed set (`cp311.cp312`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WheelName {
    pub distribution: String,
    pub version: String,
    pub build: Option<String>,
    pub python_tags: Vec<String>,
    pub abi_tags: Vec<String>,
    pub platform_tags: Vec<PlatformTag>,
}

impl WheelName {
    pub fn parse(file_name: &str) -> Option<WheelName> {
        let stem = file_name.strip_suffix(".whl")?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (distribution, version, build, python, abi, platform) = match parts.as_slice() {
            [d, v, p, a, pl] => (*d, *v, None, *p, *a, *pl),
            [d, v, b, p, a, pl] => (*d, *v, Some(b.to_string()), *p, *a, *pl),
            _ => return None,
        };
        let split = |field: &str| field.split('.').map(str::to_string).collect::<Vec<_>>();
        Some(WheelName {
            distribution: distribution.to_string(),
            version: version.to_string(),
            build,
            python_tags: split(python),
            abi_tags: split(abi),
            platform_tags: platform.split('.').filter_map(|t| t.parse().ok()).collect(),
        })
    }
}

/// The sonames a policy lets a wheel use without bundling them.
pub fn policy_whitelist(tag: &PlatformTag) -> Option<&'static [String]> {
    static POLICIES: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    let policies = POLICIES.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct Policy {
            name: String,
            lib_whitelist: Vec<String>,
        }
        let mut map = HashMap::new();
        for text in [MANYLINUX_POLICY, MUSLLINUX_POLICY] {
            let parsed: Vec<Policy> = serde_json::from_str(text).unwrap_or_default();
            for policy in parsed {
                map.insert(policy.name, policy.lib_whitelist);
            }
        }
        map
    });
    let key = match tag {
        PlatformTag::Manylinux { major, minor, .. } => format!("manylinux_{major}_{minor}"),
        PlatformTag::Musllinux { major, minor, .. } => format!("musllinux_{major}_{minor}"),
        _ => return None,
    };
    policies.get(&key).map(Vec::as_slice)
}

/// The newest manylinux policy auditwheel knows, as (major, minor) pairs, ascending.
pub fn manylinux_policies() -> Vec<(u32, u32)> {
    let mut versions: Vec<(u32, u32)> = [
        (2, 5),
        (2, 12),
        (2, 17),
        (2, 24),
        (2, 26),
        (2, 27),
        (2, 28),
        (2, 31),
        (2, 34),
        (2, 35),
        (2, 36),
        (2, 37),
        (2, 38),
        (2, 39),
        (2, 40),
        (2, 41),
    ]
    .to_vec();
    versions.sort();
    versions
}

/// Name and version from a `*.dist-info` directory name (`numpy-1.26.4.dist-info`).
pub fn dist_info_name(dir_name: &str) -> Option<(String, String)> {
    let stem = dir_name
        .strip_suffix(".dist-info")
        .or_else(|| dir_name.strip_suffix(".egg-info"))?;
    let (name, version) = stem.rsplit_once('-')?;
    Some((name.to_string(), version.to_string()))
}

/// PEP 503 normalised project name.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_dash = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_dash {
                out.push('-');
            }
            last_dash = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_dash = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compressed_tag_sets_and_legacy_aliases() {
        let wheel = WheelName::parse(
            "MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .unwrap();
        assert_eq!(wheel.distribution, "MarkupSafe");
        assert_eq!(wheel.version, "2.1.5");
        assert_eq!(wheel.python_tags, ["cp311"]);
        assert_eq!(wheel.platform_tags.len(), 2);
        assert_eq!(wheel.platform_tags[0], wheel.platform_tags[1]);
        assert_eq!(wheel.platform_tags[0].to_string(), "manylinux_2_17_x86_64");
        let old: PlatformTag = "manylinux1_x86_64".parse().unwrap();
        assert_eq!(old.to_string(), "manylinux_2_5_x86_64");
        let mid: PlatformTag = "manylinux2010_i686".parse().unwrap();
        assert_eq!(mid.to_string(), "manylinux_2_12_i686");
        let musl: PlatformTag = "musllinux_1_2_aarch64".parse().unwrap();
        assert!(musl.is_musl());
        assert_eq!(musl.arch(), Some("aarch64"));
        let built = WheelName::parse("pkg-1.0-1build-py3-none-any.whl").unwrap();
        assert_eq!(built.build.as_deref(), Some("1build"));
        assert_eq!(built.platform_tags, [PlatformTag::Any]);
        assert!(WheelName::parse("not-a-wheel.whl").is_none());
        let multi = WheelName::parse("x-1-cp311.cp312-abi3-linux_x86_64.whl").unwrap();
        assert_eq!(multi.python_tags, ["cp311", "cp312"]);
    }

    #[test]
    fn orders_tags_within_a_family_only() {
        let a: PlatformTag = "manylinux_2_17_x86_64".parse().unwrap();
        let b: PlatformTag = "manylinux_2_28_x86_64".parse().unwrap();
        let m: PlatformTag = "musllinux_1_1_x86_64".parse().unwrap();
        assert!(a < b);
        assert_eq!(a.partial_cmp(&m), None);
    }

    #[test]
    fn policies_and_names() {
        let tag: PlatformTag = "manylinux2014_x86_64".parse().unwrap();
        assert!(
            policy_whitelist(&tag)
                .unwrap()
                .contains(&"libstdc++.so.6".to_string())
        );
        let musl: PlatformTag = "musllinux_1_2_x86_64".parse().unwrap();
        assert!(
            !policy_whitelist(&musl)
                .unwrap()
                .contains(&"libstdc++.so.6".to_string())
        );
        assert_eq!(
            dist_info_name("numpy-1.26.4.dist-info"),
            Some(("numpy".to_string(), "1.26.4".to_string()))
        );
        assert_eq!(normalize_name("Markup_Safe.x"), "markup-safe-x");
    }
}
