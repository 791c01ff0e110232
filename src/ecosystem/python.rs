//! Python packaging: wheel file names and platform tags (PEP 425/427/600/656),
//! auditwheel's policies, and `*.dist-info` metadata.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

use crate::model::PlatformTag;

const MANYLINUX_POLICY: &str = include_str!("../../data/auditwheel/manylinux-policy.json");
const MUSLLINUX_POLICY: &str = include_str!("../../data/auditwheel/musllinux-policy.json");

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

    /// The file name again (`numpy-1.26.4-cp311-cp311-musllinux_1_1_x86_64.whl`).
    pub fn file_name(&self) -> String {
        let build = self
            .build
            .as_ref()
            .map(|b| format!("-{b}"))
            .unwrap_or_default();
        let platforms: Vec<String> = self.platform_tags.iter().map(ToString::to_string).collect();
        format!(
            "{}-{}{build}-{}-{}-{}.whl",
            self.distribution,
            self.version,
            self.python_tags.join("."),
            self.abi_tags.join("."),
            platforms.join(".")
        )
    }
}

/// One of auditwheel's policies: the sonames a wheel may use without
/// bundling them, and the version nodes of those it may need, by machine
/// and family (`x86_64` → `GLIBCXX` → `3.4.19`, …).
struct Policy {
    lib_whitelist: Vec<String>,
    symbol_versions: HashMap<String, HashMap<String, Vec<String>>>,
}

/// auditwheel's policies by name (`manylinux_2_17`).
fn policies() -> &'static HashMap<String, Policy> {
    static POLICIES: OnceLock<HashMap<String, Policy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct Parsed {
            name: String,
            lib_whitelist: Vec<String>,
            #[serde(default)]
            symbol_versions: HashMap<String, HashMap<String, Vec<String>>>,
        }
        let mut map = HashMap::new();
        for text in [MANYLINUX_POLICY, MUSLLINUX_POLICY] {
            let parsed: Vec<Parsed> = serde_json::from_str(text).unwrap_or_default();
            for policy in parsed {
                let Parsed {
                    name,
                    lib_whitelist,
                    symbol_versions,
                } = policy;
                map.insert(
                    name,
                    Policy {
                        lib_whitelist,
                        symbol_versions,
                    },
                );
            }
        }
        map
    })
}

/// The lowest manylinux policy on `arch` whose symbol versions allow
/// `node` (`GLIBCXX_3.4.21`: manylinux_2_24), as auditwheel's
/// `versioned_symbols_policy` weighs it: a family the policies do not list
/// constrains nothing (`None`); one they list and none allows this node of
/// is allowed by no policy (`Some(None)`).
pub fn lowest_manylinux_policy_for(arch: &str, node: &str) -> Option<Option<(u32, u32)>> {
    let (family, version) = node.split_once('_')?;
    let mut listed = false;
    for (major, minor) in manylinux_policies() {
        let Some(families) = policies()
            .get(&format!("manylinux_{major}_{minor}"))
            .and_then(|p| p.symbol_versions.get(arch))
        else {
            continue;
        };
        let Some(versions) = families.get(family) else {
            continue;
        };
        listed = true;
        if versions.iter().any(|v| v == version) {
            return Some(Some((major, minor)));
        }
    }
    listed.then_some(None)
}

/// Whether some manylinux policy lets a wheel use `soname` unbundled.
pub fn is_manylinux_system_library(soname: &str) -> bool {
    policies()
        .iter()
        .filter(|(name, _)| name.starts_with("manylinux_"))
        .any(|(_, policy)| policy.lib_whitelist.iter().any(|lib| lib == soname))
}

/// Needed names auditwheel never counts as external, whatever the policy:
/// the ELF dynamic loader and libpython. From `filter_libs` in auditwheel's
/// `policy/__init__.py` (`lddtree_external_references`): `if "ld-linux" in
/// lib or lib in ["ld64.so.2", "ld64.so.1"]: # always exclude ELF dynamic
/// linker/loader`, then `LIBPYTHON_RE = ^libpython\d+\.\d+m?.so(.\d)*$`
/// (auditwheel 3.1.1, pypa/auditwheel#213).
pub fn always_allowed_by_auditwheel(needed: &str) -> bool {
    if needed.contains("ld-linux") || needed == "ld64.so.2" || needed == "ld64.so.1" {
        return true;
    }
    is_libpython(needed)
}

/// `libpython3.11.so.1.0`, `libpython3.7m.so`: auditwheel's
/// `^libpython\d+\.\d+m?.so(.\d)*$` (its unescaped dots match any character).
fn is_libpython(needed: &str) -> bool {
    let Some(rest) = needed.strip_prefix("libpython") else {
        return false;
    };
    let mut chars = rest.chars().peekable();
    let digits = |chars: &mut std::iter::Peekable<std::str::Chars>| {
        let mut count = 0;
        while chars.next_if(char::is_ascii_digit).is_some() {
            count += 1;
        }
        count
    };
    if digits(&mut chars) == 0 || chars.next() != Some('.') || digits(&mut chars) == 0 {
        return false;
    }
    chars.next_if_eq(&'m');
    if chars.next().is_none() || chars.next() != Some('s') || chars.next() != Some('o') {
        return false;
    }
    // Then any number of (any character, one digit) pairs.
    while chars.next().is_some() {
        if !chars.next().is_some_and(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    true
}

/// The sonames a policy lets a wheel use without bundling them.
pub fn policy_whitelist(tag: &PlatformTag) -> Option<&'static [String]> {
    let key = match tag {
        PlatformTag::Manylinux { major, minor, .. } => format!("manylinux_{major}_{minor}"),
        PlatformTag::Musllinux { major, minor, .. } => format!("musllinux_{major}_{minor}"),
        _ => return None,
    };
    policies()
        .get(&key)
        .map(|policy| policy.lib_whitelist.as_slice())
}

/// The manylinux policies auditwheel knows, as (major, minor) pairs, ascending.
pub fn manylinux_policies() -> Vec<(u32, u32)> {
    let mut versions: Vec<(u32, u32)> = policies()
        .keys()
        .filter_map(|name| {
            let (major, minor) = name.strip_prefix("manylinux_")?.split_once('_')?;
            Some((major.parse().ok()?, minor.parse().ok()?))
        })
        .collect();
    versions.sort_unstable();
    versions
}

/// What an installed distribution's `*.dist-info/WHEEL` says of the wheel
/// it came from: its tags, one `python-abi-platform` triple each
/// (`cp311-cp311-manylinux_2_17_x86_64`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstalledWheel {
    pub tags: Vec<String>,
}

impl InstalledWheel {
    pub fn read(text: &str) -> InstalledWheel {
        let tags = text
            .lines()
            .filter_map(|line| line.strip_prefix("Tag:"))
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(str::to_string)
            .collect();
        InstalledWheel { tags }
    }

    /// The CPython 3 minor version the wheel was built for
    /// (`cp311-cp311-manylinux_2_17_x86_64` → 11). Only a tag naming the
    /// interpreter's own ABI says it: `cp39-abi3` and `py3-none` fit many.
    pub fn python_minor(&self) -> Option<u32> {
        self.tags.iter().find_map(|tag| {
            let mut fields = tag.trim().split('-');
            let python = fields.next()?;
            let abi = fields.next()?;
            let minor = python.strip_prefix("cp3")?;
            (abi.trim_end_matches('m') == python).then(|| minor.parse().ok())?
        })
    }

    /// Whether every tag says pure Python (`py3-none-any`).
    pub fn is_pure(&self) -> bool {
        !self.tags.is_empty() && self.tags.iter().all(|tag| tag.ends_with("-any"))
    }

    /// Whether the wheel file `file_name` is this one: a tag of its name
    /// (each compressed set expanded; legacy platform names as PEP 600's)
    /// is one of the installed wheel's. A `Tag:` line may hold a compressed
    /// set too (nodejs-bin's `py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64`),
    /// read as a file name's.
    pub fn is(&self, file_name: &str) -> bool {
        let Some(wheel) = WheelName::parse(file_name) else {
            return false;
        };
        let shared = |ours: &[String], theirs: &[String]| ours.iter().any(|t| theirs.contains(t));
        self.tags.iter().any(|tag| {
            WheelName::parse(&format!("installed-0-{tag}.whl")).is_some_and(|installed| {
                shared(&installed.python_tags, &wheel.python_tags)
                    && shared(&installed.abi_tags, &wheel.abi_tags)
                    && (installed.platform_tags.iter()).any(|p| wheel.platform_tags.contains(p))
            })
        })
    }
}

/// `11` for an extension module named `x.cpython-311-x86_64-linux-gnu.so`,
/// or for any file under `lib/python3.11/site-packages/`.
pub fn cpython_minor(path: &str) -> Option<u32> {
    let name = path.rsplit('/').next()?;
    let digits = |tag: &str| -> Option<u32> {
        let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    if let Some((_, tag)) = name.split_once(".cpython-3") {
        return digits(tag);
    }
    path.split('/')
        .find_map(|component| component.strip_prefix("python3."))
        .and_then(digits)
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

/// `<dist>.libs/<name>`: a library auditwheel bundled into a wheel, as
/// its distribution and file name.
pub fn auditwheel_bundled(path: &str) -> Option<(&str, &str)> {
    let (dir, name) = path.rsplit_once('/')?;
    let dist = dir.rsplit('/').next()?.strip_suffix(".libs")?;
    Some((dist, name))
}

/// `libcurl-d2d8e4a5.so.4.8.0` → `libcurl.so.4`: the name auditwheel gave a
/// bundled library (its hash of the content added, and in some builds the
/// distribution's name: fiona's `libgdal-fiona-e8f6bdb0.so.35`) back to its
/// own soname. `None` for a name without auditwheel's hash.
pub fn bundled_library_soname(name: &str, dist: &str) -> Option<String> {
    let (stem, version) = name.split_once(".so")?;
    let (library, hash) = stem.rsplit_once('-')?;
    if hash.len() != 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) || library.is_empty() {
        return None;
    }
    let library = library
        .strip_suffix(dist)
        .and_then(|l| l.strip_suffix('-'))
        .filter(|l| !l.is_empty())
        .unwrap_or(library);
    let major = version
        .strip_prefix('.')
        .and_then(|v| v.split('.').next())
        .filter(|major| !major.is_empty());
    Some(match major {
        Some(major) => format!("{library}.so.{major}"),
        None => format!("{library}.so"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundled_librarys_name_gives_back_its_own_soname() {
        assert_eq!(
            auditwheel_bundled("site/pycurl.libs/libcurl-d2d8e4a5.so.4.8.0"),
            Some(("pycurl", "libcurl-d2d8e4a5.so.4.8.0"))
        );
        assert_eq!(auditwheel_bundled("site/pycurl/pycurl.so"), None);
        for (name, dist, soname) in [
            ("libcurl-d2d8e4a5.so.4.8.0", "pycurl", Some("libcurl.so.4")),
            (
                "libgdal-fiona-e8f6bdb0.so.35.3.9.2",
                "fiona",
                Some("libgdal.so.35"),
            ),
            (
                "libgfortran-040039e1.so.5.0.0",
                "numpy",
                Some("libgfortran.so.5"),
            ),
            ("libbz2-a273e504.so", "pkg", Some("libbz2.so")),
            // Not auditwheel's names: no hash, or not hex.
            ("libfoo-bar.so.1", "foo", None),
            ("libfoo-zzzzzzzz.so.1", "foo", None),
            ("-d2d8e4a5.so.1", "x", None),
        ] {
            assert_eq!(
                bundled_library_soname(name, dist).as_deref(),
                soname,
                "{name}"
            );
        }
    }

    #[test]
    fn auditwheel_never_counts_the_loader_or_libpython() {
        for needed in [
            "ld-linux-x86-64.so.2",
            "ld-linux-aarch64.so.1",
            "ld64.so.2",
            "ld64.so.1",
            "libpython3.11.so.1.0",
            "libpython3.7m.so",
            "libpython3.12.so",
        ] {
            assert!(always_allowed_by_auditwheel(needed), "{needed}");
        }
        for needed in [
            "libc.so.6",
            "libpython.so",
            "libpython3.so",
            "libpython3.11.so.10",
            "ld64.so.3",
        ] {
            assert!(!always_allowed_by_auditwheel(needed), "{needed}");
        }
    }

    #[test]
    fn wheel_files_name_the_interpreter_only_with_its_own_abi() {
        let minor = |text: &str| InstalledWheel::read(text).python_minor();
        let wheel = "Wheel-Version: 1.0\nGenerator: bdist_wheel\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64\n";
        assert_eq!(minor(wheel), Some(11));
        assert_eq!(minor("Tag: cp39-abi3-manylinux_2_28_x86_64\n"), None);
        assert_eq!(minor("Tag: py3-none-any\n"), None);
        assert_eq!(minor("Tag: cp37-cp37m-manylinux1_x86_64\n"), Some(7));
    }

    #[test]
    fn a_compressed_tag_set_in_a_wheel_file_is_each_of_its_tags() {
        let installed =
            InstalledWheel::read("Tag: py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64\n");
        assert!(installed.is("nodejs_bin-18.4.0a4-py3-none-manylinux_2_12_x86_64.whl"));
        assert!(installed.is("nodejs_bin-18.4.0a4-py3-none-manylinux2010_x86_64.whl"));
        assert!(!installed.is("nodejs_bin-18.4.0a4-py3-none-musllinux_1_1_x86_64.whl"));
        // Sets are compared, never multiplied out.
        let crafted = format!("Tag: {}-none-any\n", vec!["py2"; 100_000].join("."));
        let crafted = InstalledWheel::read(&crafted);
        assert!(!crafted.is("x-1.0-py3-none-any.whl"));
        assert!(crafted.is("x-1.0-py2-none-any.whl"));
    }

    #[test]
    fn an_installed_wheel_is_known_by_any_tag_of_a_file_name() {
        let installed = InstalledWheel::read(
            "Wheel-Version: 1.0\nTag: cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64\n",
        );
        assert!(installed.is("numpy-1.26.4-cp311-cp311-manylinux2014_x86_64.whl"));
        assert!(
            installed.is("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
        );
        // A build tag does not move the tags.
        assert!(installed.is("numpy-1.26.4-1-cp311-cp311-manylinux_2_17_x86_64.whl"));
        assert!(!installed.is("numpy-1.26.4-cp311-cp311-musllinux_1_1_x86_64.whl"));
        assert!(!installed.is("numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.whl"));
        assert!(!installed.is("numpy-1.26.4.tar.gz"));
        assert!(!installed.is("cp311-cp311-manylinux_2_17_x86_64.whl"));
        assert!(!InstalledWheel::default().is("x-1-py3-none-any.whl"));
        // The legacy name of the same platform is the same platform.
        let legacy = InstalledWheel::read("Tag: cp311-cp311-manylinux2014_x86_64\n");
        assert!(legacy.is("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl"));
    }

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

    #[test]
    fn extension_suffixes_give_the_python_minor() {
        assert_eq!(
            cpython_minor("venv/lib/numpy/core/_multiarray.cpython-311-x86_64-linux-gnu.so"),
            Some(11)
        );
        assert_eq!(
            cpython_minor("a/_x.cpython-39-x86_64-linux-gnu.so"),
            Some(9)
        );
        assert_eq!(cpython_minor("a/_x.abi3.so"), None);
        assert_eq!(
            cpython_minor("venv/lib/python3.12/site-packages/bcrypt/_bcrypt.abi3.so"),
            Some(12)
        );
    }
}
