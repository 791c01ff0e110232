//! Python lockfiles and requirements: which versions are pinned and which wheel
//! files the lock records for them. Read offline; nothing is fetched.

use super::PythonLock;
use super::python::WheelName;
use crate::model::PlatformTag;

/// A pinned distribution, with the wheel file names the lock lists for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    pub wheels: Vec<WheelName>,
    /// The lock records wheel files at all (a requirements file does not).
    pub lists_files: bool,
    /// Of the files it records, one is a source distribution (`.tar.gz`, `.zip`).
    pub lists_sdist: bool,
}

/// Parses a manifest of the given format; `Err` says what is wrong with it.
pub fn parse_manifest(format: PythonLock, text: &str) -> Result<Vec<LockedPackage>, String> {
    match format {
        PythonLock::Pipfile => parse_pipfile_lock(text),
        PythonLock::Toml => parse_toml_lock(text),
        PythonLock::Requirements => Ok(parse_requirements(text)),
    }
}

/// uv.lock, poetry.lock and pdm.lock: `[[package]]` tables with `name`, `version`
/// and wheel files as `url`s (uv) or `file` names (poetry, pdm).
fn parse_toml_lock(text: &str) -> Result<Vec<LockedPackage>, String> {
    let value: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let packages = value
        .get("package")
        .and_then(toml::Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut locked = Vec::new();
    for package in packages {
        let (Some(name), Some(version)) = (
            package.get("name").and_then(toml::Value::as_str),
            package.get("version").and_then(toml::Value::as_str),
        ) else {
            continue;
        };
        let mut files = Vec::new();
        collect_file_names(package, &mut files);
        let lists_sdist = files.iter().any(|f| is_sdist_name(f));
        locked.push(LockedPackage {
            name: name.to_string(),
            version: version.to_string(),
            lists_files: !files.is_empty() || package.get("files").is_some(),
            lists_sdist,
            wheels: files.iter().filter_map(|f| WheelName::parse(f)).collect(),
        });
    }
    Ok(locked)
}

/// A source distribution's file name (PEP 625 `.tar.gz`; older `.zip`, `.tar.bz2`).
fn is_sdist_name(name: &str) -> bool {
    [".tar.gz", ".zip", ".tar.bz2"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// The wheel and sdist file names a lock entry records (uv's `url`s,
/// poetry's and pdm's `file`s), wherever they sit in the entry.
fn collect_file_names(value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::String(s) if s.ends_with(".whl") || is_sdist_name(s) => {
            out.push(s.rsplit('/').next().unwrap_or(s).to_string());
        }
        toml::Value::Array(items) => items.iter().for_each(|v| collect_file_names(v, out)),
        toml::Value::Table(table) => table.values().for_each(|v| collect_file_names(v, out)),
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
                lists_sdist: false,
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
                lists_sdist: false,
            })
        })
        .collect()
}

/// A wheel the lock lists that pip on musl for `arch` would install.
pub fn musllinux_wheel<'p>(package: &'p LockedPackage, arch: &str) -> Option<&'p WheelName> {
    package.wheels.iter().find(|w| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_say_whether_a_release_has_an_sdist() {
        let uv = r#"
[[package]]
name = "numpy"
version = "1.24.4"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/a4/9b/numpy-1.24.4.tar.gz", hash = "sha256:00" }
wheels = [{ url = "https://files.pythonhosted.org/packages/x/numpy-1.24.4-cp311-cp311-manylinux_2_17_x86_64.whl" }]

[[package]]
name = "onnxruntime"
version = "1.18.0"
wheels = [{ url = "https://files.pythonhosted.org/packages/y/onnxruntime-1.18.0-cp311-cp311-manylinux_2_27_x86_64.whl" }]
"#;
        let parsed = parse_manifest(PythonLock::Toml, uv).unwrap();
        let sdists: Vec<(&str, bool, usize)> = parsed
            .iter()
            .map(|p| (p.name.as_str(), p.lists_sdist, p.wheels.len()))
            .collect();
        assert_eq!(sdists, [("numpy", true, 1), ("onnxruntime", false, 1)]);
        let poetry = r#"
[[package]]
name = "psycopg2"
version = "2.9.9"
files = [{file = "psycopg2-2.9.9.tar.gz", hash = "sha256:00"}]
"#;
        let parsed = parse_manifest(PythonLock::Toml, poetry).unwrap();
        assert!(parsed[0].lists_files && parsed[0].lists_sdist && parsed[0].wheels.is_empty());
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
}
