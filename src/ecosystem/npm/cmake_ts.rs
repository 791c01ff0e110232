//! cmake-ts's `build/manifest.json` (zeromq 6): which addon is built for
//! which OS, CPU, libc and Node ABI. Its loader (`loadAddon`, and zeromq's
//! copy of it) keeps the entries for the running OS, CPU and libc, sorts
//! them by ABI, highest first, and requires each until one loads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::package_dir;
use crate::model::LibcKind;

/// The manifest's name within its package.
pub const MANIFEST: &str = "build/manifest.json";

/// The addons a package's `build/manifest.json` names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CmakeTsManifest {
    pub builds: Vec<CmakeTsBuild>,
}

/// One entry: the configuration (a JSON object written as the key) and the
/// addon's path below `build/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmakeTsBuild {
    pub os: String,
    pub cpu: String,
    /// `glibc`, `musl` (Linux), `libc` (macOS), `msvc` (Windows).
    pub libc: String,
    /// The Node ABI it was built under (0 when the entry gives none, as
    /// the loader counts it).
    pub abi: u64,
    /// Below `build/`, with `/` separators (Windows entries use `\`).
    pub path: String,
}

impl CmakeTsBuild {
    /// Whether cmake-ts's loader considers it on Linux for `cpu` and `libc`.
    pub fn is_for(&self, cpu: &str, libc: LibcKind) -> bool {
        self.os == "linux" && self.cpu == cpu && self.libc == libc.as_str()
    }

    /// `linux-x64-glibc`.
    pub fn platform(&self) -> String {
        format!("{}-{}-{}", self.os, self.cpu, self.libc)
    }
}

impl CmakeTsManifest {
    /// Reads the manifest; `None` when it is not one (not a JSON object, or
    /// no key is a configuration naming an OS and a CPU).
    pub fn parse(text: &str) -> Option<CmakeTsManifest> {
        let entries: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).ok()?;
        let builds: Vec<CmakeTsBuild> = entries
            .iter()
            .filter_map(|(key, path)| {
                let config: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(key).ok()?;
                let field = |name: &str| config.get(name).and_then(|v| v.as_str());
                Some(CmakeTsBuild {
                    os: field("os")?.to_string(),
                    cpu: field("arch")?.to_string(),
                    libc: field("libc").unwrap_or_default().to_string(),
                    abi: config
                        .get("abi")
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(0),
                    path: path.as_str()?.replace('\\', "/"),
                })
            })
            .collect();
        (!builds.is_empty()).then_some(CmakeTsManifest { builds })
    }

    /// The builds the loader tries on Linux for `cpu` and `libc`, in its
    /// order: ABI highest first (one per ABI: the loader keys them by ABI,
    /// and the last entry of an ABI wins).
    pub fn tried(&self, cpu: &str, libc: LibcKind) -> Vec<&CmakeTsBuild> {
        let mut by_abi: HashMap<u64, &CmakeTsBuild> = HashMap::new();
        for build in self.builds.iter().filter(|b| b.is_for(cpu, libc)) {
            by_abi.insert(build.abi, build);
        }
        let mut tried: Vec<&CmakeTsBuild> = by_abi.into_values().collect();
        tried.sort_by_key(|b| std::cmp::Reverse(b.abi));
        tried
    }

    /// The entries by their paths below `build/` (the first of a path).
    pub fn by_path(&self) -> HashMap<&str, &CmakeTsBuild> {
        let mut by_path = HashMap::new();
        for build in &self.builds {
            by_path.entry(build.path.as_str()).or_insert(build);
        }
        by_path
    }
}

/// Whether `path` is a cmake-ts manifest's place: `build/manifest.json` at
/// the root of an installed npm package.
pub fn is_manifest_path(path: &Path) -> bool {
    package_dir(path).is_some_and(|dir| dir.join(MANIFEST) == path)
}

/// The package directory and the path below its `build/` of a file there.
pub fn inside_build(location: &Path) -> Option<(PathBuf, String)> {
    let package = package_dir(location)?;
    let inside = location.strip_prefix(package.join("build")).ok()?;
    let inside = inside.to_str()?.to_string();
    Some((package, inside))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// zeromq 6.8.0's manifest, cut to its Linux x64 entries and one other
    /// (the keys are JSON written as strings, as cmake-ts writes them).
    const ZEROMQ: &str = r#"{
        "{\"name\":\"\",\"os\":\"linux\",\"arch\":\"x64\",\"runtime\":\"node\",\"abi\":115,\"libc\":\"glibc\"}": "linux/x64/node/glibc-115-Release/addon.node",
        "{\"name\":\"\",\"os\":\"linux\",\"arch\":\"x64\",\"runtime\":\"node\",\"abi\":72,\"libc\":\"glibc\"}": "linux/x64/node/glibc-72-Release/addon.node",
        "{\"name\":\"\",\"os\":\"win32\",\"arch\":\"x64\",\"runtime\":\"node\",\"abi\":115,\"libc\":\"msvc\"}": "win32\\x64\\node\\msvc-115-Release\\addon.node",
        "{\"name\":\"\",\"os\":\"linux\",\"arch\":\"x64\",\"runtime\":\"node\",\"abi\":127,\"libc\":\"glibc\"}": "linux/x64/node/glibc-127-Release/addon.node",
        "{\"name\":\"\",\"os\":\"linux\",\"arch\":\"x64\",\"runtime\":\"node\",\"abi\":127,\"libc\":\"musl\"}": "linux/x64/node/musl-127-Release/addon.node"
    }"#;

    #[test]
    fn the_loader_tries_its_platforms_builds_highest_abi_first() {
        let manifest = CmakeTsManifest::parse(ZEROMQ).unwrap();
        assert_eq!(manifest.builds.len(), 5);
        let tried: Vec<&str> = manifest
            .tried("x64", LibcKind::Glibc)
            .iter()
            .map(|b| b.path.as_str())
            .collect();
        assert_eq!(
            tried,
            [
                "linux/x64/node/glibc-127-Release/addon.node",
                "linux/x64/node/glibc-115-Release/addon.node",
                "linux/x64/node/glibc-72-Release/addon.node",
            ]
        );
        let musl = manifest.tried("x64", LibcKind::Musl);
        assert_eq!(musl.len(), 1);
        assert!(manifest.tried("arm64", LibcKind::Glibc).is_empty());
        let by_path = manifest.by_path();
        let windows = by_path["win32/x64/node/msvc-115-Release/addon.node"];
        assert_eq!(windows.platform(), "win32-x64-msvc");
    }

    #[test]
    fn other_json_is_no_manifest() {
        for text in [
            "",
            "[]",
            "{}",
            r#"{"name": "x"}"#,
            r#"{"{\"os\":\"linux\"}": "a.node"}"#,
            r#"{"{\"os\":\"linux\",\"arch\":\"x64\"}": 7}"#,
        ] {
            assert_eq!(CmakeTsManifest::parse(text), None, "{text}");
        }
    }

    #[test]
    fn the_manifest_is_at_the_package_root() {
        assert!(is_manifest_path(Path::new(
            "/p/node_modules/zeromq/build/manifest.json"
        )));
        assert!(is_manifest_path(Path::new(
            "/p/node_modules/@s/z/build/manifest.json"
        )));
        assert!(!is_manifest_path(Path::new(
            "/p/node_modules/zeromq/lib/build/manifest.json"
        )));
        assert!(!is_manifest_path(Path::new("/p/build/manifest.json")));
        assert_eq!(
            inside_build(Path::new(
                "/p/node_modules/zeromq/build/linux/x64/node/64/addon.node"
            )),
            Some((
                PathBuf::from("/p/node_modules/zeromq"),
                "linux/x64/node/64/addon.node".to_string()
            ))
        );
    }
}
