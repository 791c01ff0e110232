//! npm: `package.json` manifests, `node_modules` layout, prebuild naming and
//! `package-lock.json` platform variants.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde::Deserialize;

use super::{Ecosystem, Package};

/// The fields of `package.json` muslcheck reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PackageJson {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default, rename = "optionalDependencies")]
    pub optional_dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub os: Vec<String>,
    #[serde(default)]
    pub cpu: Vec<String>,
    #[serde(default)]
    pub libc: Vec<String>,
    #[serde(default)]
    pub scripts: BTreeMap<String, String>,
    #[serde(default)]
    pub gypfile: bool,
    /// node-pre-gyp's download settings (`binary.host`, `module_path` …).
    #[serde(default)]
    pub binary: Option<serde_json::Value>,
}

/// How an installed package gets its native code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeSource {
    /// A `.node` prebuild for musl and this CPU is in the package.
    MuslPrebuild(String),
    /// A prebuild without a libc tag: node-gyp-build loads it on any libc.
    UntaggedPrebuild(String),
    /// Downloaded by an install script (node-pre-gyp `binary.host`, prebuild-install),
    /// often with node-gyp as the fallback when no matching binary exists.
    Downloaded {
        how: String,
        falls_back_to_compiling: bool,
    },
    /// Compiled by node-gyp at install time (`binding.gyp`).
    Compiled,
}

/// What an installed package directory says about its native code, if it has any.
pub fn native_source(dir: &Path, manifest: &PackageJson, cpu: &str) -> Option<NativeSource> {
    let prebuilds = dir.join("prebuilds").join(format!("linux-{cpu}"));
    if let Ok(entries) = std::fs::read_dir(&prebuilds) {
        let mut untagged = None;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".node") {
                continue;
            }
            if name.contains(".musl.") {
                return Some(NativeSource::MuslPrebuild(name));
            }
            if !name.contains(".glibc.") {
                untagged = Some(name);
            }
        }
        if let Some(name) = untagged {
            return Some(NativeSource::UntaggedPrebuild(name));
        }
    }
    let install: Vec<&String> = ["preinstall", "install", "postinstall"]
        .iter()
        .filter_map(|k| manifest.scripts.get(*k))
        .collect();
    let has_gyp = manifest.gypfile || dir.join("binding.gyp").is_file();
    let compiles = has_gyp || install.iter().any(|s| s.contains("node-gyp "));
    // node-pre-gyp needs `binary.host`; a bare `binary` object (sharp's napi_versions) is not a download.
    let pre_gyp_host = manifest
        .binary
        .as_ref()
        .and_then(|b| b.get("host"))
        .and_then(|h| h.as_str());
    if let Some(host) = pre_gyp_host {
        return Some(NativeSource::Downloaded {
            how: format!("node-pre-gyp from {host}"),
            falls_back_to_compiling: compiles,
        });
    }
    if install.iter().any(|s| s.contains("prebuild-install")) {
        return Some(NativeSource::Downloaded {
            how: "prebuild-install (GitHub releases)".to_string(),
            falls_back_to_compiling: compiles,
        });
    }
    compiles.then_some(NativeSource::Compiled)
}

impl PackageJson {
    pub fn parse(text: &str) -> Option<PackageJson> {
        serde_json::from_str(text).ok()
    }

    pub fn package(&self) -> Package {
        Package {
            ecosystem: Ecosystem::Npm,
            name: self.name.clone(),
            version: self.version.clone(),
        }
    }
}

/// The package directory owning `path` under `node_modules` (nearest one, so
/// nested and pnpm `.pnpm/<name>@<ver>/node_modules/<name>` layouts work).
pub fn package_dir(path: &Path) -> Option<std::path::PathBuf> {
    let components: Vec<Component> = path.components().collect();
    let position = components
        .iter()
        .rposition(|c| c.as_os_str() == "node_modules")?;
    let name = components.get(position + 1)?.as_os_str().to_string_lossy();
    // `node_modules/<name>` or `node_modules/@scope/<name>`.
    let take = if name.starts_with('@') { 2 } else { 1 };
    if name.starts_with('.') || components.len() <= position + take {
        return None;
    }
    Some(components.iter().take(position + 1 + take).collect())
}

/// npm's name for an architecture (`cpu` field, platform package names).
pub fn npm_cpu(arch: crate::elf::Arch) -> &'static str {
    use crate::elf::Arch;
    match arch {
        Arch::X86_64 => "x64",
        Arch::Aarch64 => "arm64",
        Arch::I686 => "ia32",
        Arch::Armv7 => "arm",
        Arch::Ppc64le | Arch::Ppc64 => "ppc64",
        Arch::S390x => "s390x",
        Arch::Riscv64 => "riscv64",
        Arch::Loongarch64 => "loong64",
        Arch::Other(_) => "unknown",
    }
}

/// Whether a platform package name is the musl Linux variant for `cpu`
/// (`@img/sharp-linuxmusl-x64`, `@swc/core-linux-x64-musl`, `@esbuild/linux-x64` is not).
pub fn is_musl_variant_name(name: &str, cpu: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    let tokens: Vec<&str> = base.split('-').collect();
    let has_cpu = tokens.contains(&cpu);
    let musl = tokens.contains(&"musl") || tokens.contains(&"linuxmusl");
    has_cpu && musl
}

/// Whether a platform package name is a Linux variant for `cpu` of either libc.
pub fn is_linux_variant_name(name: &str, cpu: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    let tokens: Vec<&str> = base.split('-').collect();
    tokens.contains(&cpu) && tokens.iter().any(|t| t.starts_with("linux"))
}

/// A prebuild's libc and architecture, from prebuildify / node-gyp-build naming:
/// `prebuilds/linux-x64/<name>.musl.node`, `.glibc.node`, or untagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prebuild {
    pub platform: String,
    pub cpu: String,
    pub libc: Option<String>,
}

pub fn prebuild(path: &str) -> Option<Prebuild> {
    let mut parts = path.rsplit('/');
    let file = parts.next()?;
    let dir = parts.next()?;
    if parts.next()? != "prebuilds" || !file.ends_with(".node") {
        return None;
    }
    let (platform, cpu) = dir.split_once('-')?;
    let libc = file
        .split('.')
        .find(|tag| matches!(*tag, "musl" | "glibc"))
        .map(str::to_string);
    Some(Prebuild {
        platform: platform.to_string(),
        cpu: cpu.split('+').next().unwrap_or(cpu).to_string(),
        libc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owning_package_directories() {
        assert_eq!(
            package_dir(Path::new("/p/node_modules/sharp/build/Release/sharp.node")),
            Some("/p/node_modules/sharp".into())
        );
        assert_eq!(
            package_dir(Path::new("/p/node_modules/@img/sharp-linux-x64/lib/x.node")),
            Some("/p/node_modules/@img/sharp-linux-x64".into())
        );
        assert_eq!(
            package_dir(Path::new(
                "/p/node_modules/.pnpm/bcrypt@6.0.0/node_modules/bcrypt/prebuilds/linux-x64/bcrypt.musl.node"
            )),
            Some("/p/node_modules/.pnpm/bcrypt@6.0.0/node_modules/bcrypt".into())
        );
        assert_eq!(package_dir(Path::new("/p/lib/x.so")), None);
    }

    #[test]
    fn platform_variant_names() {
        assert!(is_musl_variant_name("@img/sharp-linuxmusl-x64", "x64"));
        assert!(is_musl_variant_name("@swc/core-linux-x64-musl", "x64"));
        assert!(!is_musl_variant_name("@swc/core-linux-x64-gnu", "x64"));
        assert!(!is_musl_variant_name("@img/sharp-linuxmusl-arm64", "x64"));
        assert!(is_linux_variant_name("@esbuild/linux-x64", "x64"));
    }

    #[test]
    fn prebuild_names() {
        assert_eq!(
            prebuild("package/prebuilds/linux-x64/bcrypt.musl.node"),
            Some(Prebuild {
                platform: "linux".into(),
                cpu: "x64".into(),
                libc: Some("musl".into())
            })
        );
        assert_eq!(
            prebuild("prebuilds/linux-arm64/node.napi.node")
                .unwrap()
                .libc,
            None
        );
        assert_eq!(prebuild("build/Release/x.node"), None);
    }
}

/// A platform-variant problem in `package-lock.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockVariant {
    pub parent: String,
    pub version: String,
    /// Linux variants the parent declares for the target CPU.
    pub declared: Vec<String>,
    /// Of those, the musl ones.
    pub musl_declared: Vec<String>,
    /// Musl variants the lock records (installable by `npm ci`).
    pub musl_locked: Vec<String>,
    /// Some declared variant is glibc-only (`-gnu` name or `libc: ["glibc"]`):
    /// the variants are split by libc, so a missing musl one matters.
    pub split_by_libc: bool,
}

/// Every locked package that declares Linux platform variants for `cpu`
/// through `optionalDependencies` (npm lockfile v2/v3 `packages` map).
pub fn lock_variants(text: &str, cpu: &str) -> Result<Vec<LockVariant>, String> {
    let lock: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Some(packages) = lock.get("packages").and_then(|p| p.as_object()) else {
        return Err(
            "no `packages` map (lockfile v1 is not supported; run npm install with npm 7+)"
                .to_string(),
        );
    };
    let locked_names: Vec<&str> = packages
        .keys()
        .filter_map(|key| key.rsplit_once("node_modules/").map(|(_, name)| name))
        .collect();
    let mut variants = Vec::new();
    for (key, entry) in packages {
        let Some((_, name)) = key.rsplit_once("node_modules/") else {
            continue;
        };
        // A platform package's own optional dependencies (sharp-linux-x64 → its
        // glibc libvips) are variants of that one platform, not a choice.
        if entry.get("os").is_some() || entry.get("cpu").is_some() {
            continue;
        }
        let Some(optional) = entry
            .get("optionalDependencies")
            .and_then(|o| o.as_object())
        else {
            continue;
        };
        let declared: Vec<String> = optional
            .keys()
            .filter(|dep| is_linux_variant_name(dep, cpu))
            .cloned()
            .collect();
        if declared.is_empty() {
            continue;
        }
        let musl_declared: Vec<String> = declared
            .iter()
            .filter(|dep| is_musl_variant_name(dep, cpu))
            .cloned()
            .collect();
        let musl_locked = musl_declared
            .iter()
            .filter(|dep| locked_names.contains(&dep.as_str()))
            .cloned()
            .collect();
        let split_by_libc = !musl_declared.is_empty()
            || declared.iter().any(|dep| {
                let base = dep.rsplit('/').next().unwrap_or(dep);
                let named_glibc = base.split('-').any(|t| t == "gnu" || t == "glibc");
                let locked_glibc = packages
                    .get(&format!("node_modules/{dep}"))
                    .and_then(|e| e.get("libc"))
                    .and_then(|l| l.as_array())
                    .is_some_and(|l| l.iter().any(|v| v == "glibc"));
                named_glibc || locked_glibc
            });
        variants.push(LockVariant {
            parent: name.to_string(),
            version: entry
                .get("version")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
            declared,
            musl_declared,
            musl_locked,
            split_by_libc,
        });
    }
    Ok(variants)
}
