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
        collect_wheel_names(package, &mut files);
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
