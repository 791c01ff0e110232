//! Python lockfiles and requirements: which versions are pinned and which wheel
//! files the lock records for them. Read offline; nothing is fetched.

use std::sync::OnceLock;

use super::python::{PlatformTag, WheelName, normalize_name};

const KNOWN_PACKAGES: &str = include_str!("../../data/known-packages.tsv");

/// A pinned distribution, with the wheel file names the lock lists for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    pub wheels: Vec<WheelName>,
    /// The lock records wheel files at all (a requirements file does not).
    pub lists_files: bool,
}

/// File names muslcheck reads as Python manifests.
pub fn is_python_manifest(file_name: &str) -> bool {
    matches!(
        file_name,
        "uv.lock" | "poetry.lock" | "pdm.lock" | "Pipfile.lock"
    ) || (file_name.starts_with("requirements") && file_name.ends_with(".txt"))
}

/// Parses a manifest by its file name; `Err` says what is wrong with it.
pub fn parse_manifest(file_name: &str, text: &str) -> Result<Vec<LockedPackage>, String> {
    match file_name {
        "Pipfile.lock" => parse_pipfile_lock(text),
        name if name.ends_with(".lock") => parse_toml_lock(text),
        _ => Ok(parse_requirements(text)),
    }
}

/// uv.lock, poetry.lock and pdm.lock: `[[package]]` tables with `name`, `version`
/// and wheel files as `url`s (uv) or `file` names (poetry, pdm).
fn parse_toml_lock(text: &str) -> Result<Vec<LockedPackage>, String> {
    let value: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let packages = value
        .get("package")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut locked = Vec::new();
    for package in packages {
        let (Some(name), Some(version)) = (
            package.get("name").and_then(toml::Value::as_str),
            package.get("version").and_then(toml::Value::as_str),
        ) else {
            continue;
        };
        let mut files = Vec::new();
        collect_wheel_names(&package, &mut files);
        locked.push(LockedPackage {
            name: name.to_string(),
            version: version.to_string(),
            lists_files: !files.is_empty() || package.get("files").is_some(),
            wheels: files.iter().filter_map(|f| WheelName::parse(f)).collect(),
        });
    }
    Ok(locked)
}

fn collect_wheel_names(value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::String(s) if s.ends_with(".whl") => {
            out.push(s.rsplit('/').next().unwrap_or(s).to_string());
        }
        toml::Value::Array(items) => items.iter().for_each(|v| collect_wheel_names(v, out)),
        toml::Value::Table(table) => table.values().for_each(|v| collect_wheel_names(v, out)),
        _ => {}
    }
}

fn parse_pipfile_lock(text: &str) -> Result<Vec<LockedPackage>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut locked = Vec::new();
    for section in ["default", "develop"] {
        let Some(entries) = value.get(section).and_then(|v| v.as_object()) else {
            continue;
        };
        for (name, entry) in entries {
            let Some(version) = entry
                .get("version")
                .and_then(|v| v.as_str())
                .and_then(|v| v.strip_prefix("=="))
            else {
                continue;
            };
            locked.push(LockedPackage {
                name: name.clone(),
                version: version.to_string(),
                wheels: Vec::new(),
                lists_files: false,
            });
        }
    }
    Ok(locked)
}

/// `name==version` lines (extras and markers dropped); `-r` includes are not followed here.
fn parse_requirements(text: &str) -> Vec<LockedPackage> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.starts_with('-'))
        .filter_map(|line| {
            let (name, rest) = line.split_once("==")?;
            let name = name.split('[').next()?.trim();
            let version = rest.split([';', ' ', ',']).next()?.trim();
            (!name.is_empty() && !version.is_empty()).then(|| LockedPackage {
                name: name.to_string(),
                version: version.to_string(),
                wheels: Vec::new(),
                lists_files: false,
            })
        })
        .collect()
}

/// Whether the lock lists a wheel pip on musl for `arch` would install.
pub fn has_musllinux_wheel(package: &LockedPackage, arch: &str) -> bool {
    package.wheels.iter().any(|w| {
        w.platform_tags.iter().any(|t| match t {
            PlatformTag::Musllinux { arch: a, .. } => a == arch,
            PlatformTag::Any => true,
            _ => false,
        })
    })
}

/// Whether any listed wheel is platform-specific (the package has native code).
pub fn has_native_wheels(package: &LockedPackage) -> bool {
    package.wheels.iter().any(|w| {
        w.platform_tags
            .iter()
            .all(|t| !matches!(t, PlatformTag::Any))
    })
}

/// When a package first had a musl build, per the known-problem table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstMusl {
    Version(String),
    /// Every version works on musl (pure code or static binaries).
    Always,
    /// No version has a musl build.
    Never,
    /// The table does not know (`[unverified]`, `n/a`).
    Unknown,
}

/// A row of the known-problem table (`data/known-packages.tsv`).
#[derive(Debug, Clone)]
pub struct KnownPackage {
    pub ecosystem: &'static str,
    pub name: String,
    pub first_musl: FirstMusl,
    pub remedy: String,
    pub sources: String,
}

impl KnownPackage {
    /// Whether `version` has no musl build, per the table (`None`: the table cannot tell).
    pub fn lacks_musl_build(&self, version: &str) -> Option<bool> {
        match &self.first_musl {
            FirstMusl::Version(first) => Some(version_less(version, first)),
            FirstMusl::Always => Some(false),
            FirstMusl::Never => Some(true),
            FirstMusl::Unknown => None,
        }
    }
}

/// Looks a package up in the known-problem table (`ecosystem`: `pypi` or `npm`).
pub fn known_package_in(ecosystem: &str, name: &str) -> Option<&'static KnownPackage> {
    static TABLE: OnceLock<Vec<KnownPackage>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        KNOWN_PACKAGES
            .lines()
            .skip(1)
            .filter_map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                let ecosystem: &'static str = match *fields.first()? {
                    "pypi" => "pypi",
                    "npm" => "npm",
                    _ => return None,
                };
                // "bcrypt (PyPI)", "polars / polars-runtime-32": the first name.
                let name = fields.get(1)?.split([' ', '/']).find(|p| !p.is_empty())?;
                let name = if name.starts_with('@') {
                    // A scoped npm name keeps its slash: take it whole.
                    fields.get(1)?.split(' ').next()?.to_string()
                } else {
                    name.to_string()
                };
                let first = fields.get(5)?.split_whitespace().next().unwrap_or("");
                let first_musl = match first {
                    "none" => FirstMusl::Never,
                    "all" => FirstMusl::Always,
                    v if v.starts_with(|c: char| c.is_ascii_digit()) => {
                        FirstMusl::Version(v.trim_end_matches(';').to_string())
                    }
                    _ => FirstMusl::Unknown,
                };
                Some(KnownPackage {
                    ecosystem,
                    name: if ecosystem == "pypi" {
                        normalize_name(&name)
                    } else {
                        name
                    },
                    first_musl,
                    remedy: fields.get(7).unwrap_or(&"").to_string(),
                    sources: fields.get(8).unwrap_or(&"").to_string(),
                })
            })
            .collect()
    });
    let wanted = if ecosystem == "pypi" {
        normalize_name(name)
    } else {
        name.to_string()
    };
    table
        .iter()
        .find(|k| k.ecosystem == ecosystem && k.name == wanted)
}

/// The PyPI part of the known-problem table.
pub fn known_package(name: &str) -> Option<&'static KnownPackage> {
    known_package_in("pypi", name)
}

/// PEP 440 release comparison (numeric release segments; pre/post tags ignored).
pub fn version_less(a: &str, b: &str) -> bool {
    fn release(v: &str) -> Vec<u64> {
        v.trim_start_matches('v')
            .split('.')
            .map(|part| {
                let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().unwrap_or(0)
            })
            .collect()
    }
    let (mut x, mut y) = (release(a), release(b));
    let len = x.len().max(y.len());
    x.resize(len, 0);
    y.resize(len, 0);
    x < y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep440_release_ordering() {
        assert!(version_less("1.24.4", "1.25.0"));
        assert!(!version_less("1.25", "1.25.0"));
        assert!(version_less("1.9", "1.10"));
        assert!(!version_less("2.0.0rc1", "1.99"));
        assert!(version_less("2021.9.1", "2021.11.10"));
    }

    #[test]
    fn parses_requirements_lines() {
        let parsed = parse_requirements(
            "numpy==1.24.4  # pinned\n-r base.txt\nrequests>=2\nuvicorn[standard]==0.30.0 ; python_version>'3.8'\n",
        );
        let pairs: Vec<(&str, &str)> = parsed
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(pairs, [("numpy", "1.24.4"), ("uvicorn", "0.30.0")]);
    }

    #[test]
    fn known_table_has_numpy() {
        let numpy = known_package("NumPy").unwrap();
        assert_eq!(numpy.first_musl, FirstMusl::Version("1.25.0".to_string()));
        assert_eq!(numpy.lacks_musl_build("1.24.4"), Some(true));
        assert_eq!(numpy.lacks_musl_build("2.0.0"), Some(false));
        assert_eq!(
            known_package("psycopg2").unwrap().first_musl,
            FirstMusl::Never
        );
        let bcrypt = known_package_in("npm", "bcrypt").unwrap();
        assert_eq!(bcrypt.lacks_musl_build("5.1.1"), Some(true));
        assert_eq!(bcrypt.lacks_musl_build("6.0.0"), Some(false));
        assert!(known_package_in("npm", "@swc/core").is_some());
        assert_eq!(
            known_package_in("npm", "kerberos").unwrap().first_musl,
            FirstMusl::Unknown
        );
    }
}
