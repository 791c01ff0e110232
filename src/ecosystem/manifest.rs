//! Manifests and lockfiles muslcheck reads, known by their file names here
//! and nowhere else.

use std::path::Path;

use super::npm::{cmake_ts, package_dir};

/// Which lockfile format an npm lock is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpmLock {
    /// `package-lock.json` or `npm-shrinkwrap.json` (JSON).
    PackageLock,
    /// `yarn.lock` (v1 or berry) or `pnpm-lock.yaml`: indented entries.
    Indented,
}

/// Which Python manifest format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PythonLock {
    /// `uv.lock`, `poetry.lock`, `pdm.lock`: TOML with `[[package]]` tables.
    Toml,
    /// `Pipfile.lock` (JSON).
    Pipfile,
    /// `requirements*.txt`: pins only, no wheel files.
    Requirements,
}

/// A manifest or lockfile, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// `node_modules/<package>/package.json`: an installed npm package.
    InstalledPackageJson,
    NpmLock(NpmLock),
    PythonLock(PythonLock),
    /// Bundler's `Gemfile.lock`.
    GemLock,
    /// cmake-ts's `build/manifest.json` in an installed npm package: which
    /// addon its loader tries for which platform.
    CmakeTsManifest,
    /// Yarn Plug'n'Play's runtime (`.pnp.cjs`, `.pnp.data.json`): where each
    /// package of the project is.
    PnpRuntime,
}

impl ManifestKind {
    /// The kind of the file at `path` (on disk, or inside an image). Only
    /// some names mean something else under node_modules: an installed
    /// package's manifest is at its root (one deeper, `dist/package.json`
    /// saying `"type": "module"` or an example's, installs nothing), and a
    /// dependency's lockfile is not what installs it.
    pub fn at(path: &Path) -> Option<ManifestKind> {
        let name = path.file_name()?.to_str()?;
        let in_node_modules = || path.components().any(|c| c.as_os_str() == "node_modules");
        let under_node_modules = match name {
            "package.json" => package_dir(path).as_deref() == path.parent(),
            "package-lock.json" | "yarn.lock" | "pnpm-lock.yaml" | ".pnp.cjs" | ".pnp.js"
            | ".pnp.data.json" => in_node_modules(),
            "manifest.json" => {
                return cmake_ts::is_manifest_path(path).then_some(Self::CmakeTsManifest);
            }
            _ => false,
        };
        ManifestKind::recognise(name, under_node_modules)
    }

    /// The kind of a file named `file_name`; `in_node_modules` tells whether
    /// it sits under a `node_modules` directory.
    pub fn recognise(file_name: &str, in_node_modules: bool) -> Option<ManifestKind> {
        Some(match file_name {
            "package.json" if in_node_modules => ManifestKind::InstalledPackageJson,
            // npm ignores a dependency's package-lock.json ("it will be ignored if
            // found in any place other than the top-level package", npm docs:
            // package-lock.json); yarn and pnpm read only the project's lock.
            // A published npm-shrinkwrap.json is honoured.
            "package-lock.json" if !in_node_modules => ManifestKind::NpmLock(NpmLock::PackageLock),
            "npm-shrinkwrap.json" => ManifestKind::NpmLock(NpmLock::PackageLock),
            "yarn.lock" | "pnpm-lock.yaml" if !in_node_modules => {
                ManifestKind::NpmLock(NpmLock::Indented)
            }
            "uv.lock" | "poetry.lock" | "pdm.lock" => ManifestKind::PythonLock(PythonLock::Toml),
            "Pipfile.lock" => ManifestKind::PythonLock(PythonLock::Pipfile),
            "Gemfile.lock" => ManifestKind::GemLock,
            ".pnp.cjs" | ".pnp.js" | ".pnp.data.json" if !in_node_modules => {
                ManifestKind::PnpRuntime
            }
            name if name.starts_with("requirements") && name.ends_with(".txt") => {
                ManifestKind::PythonLock(PythonLock::Requirements)
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_manifests_by_path() {
        let at = |path: &str| ManifestKind::at(Path::new(path));
        assert_eq!(
            at("p/node_modules/zeromq/package.json"),
            Some(ManifestKind::InstalledPackageJson)
        );
        assert_eq!(at("p/node_modules/zeromq/dist/package.json"), None);
        assert_eq!(
            at("p/node_modules/zeromq/build/manifest.json"),
            Some(ManifestKind::CmakeTsManifest)
        );
        assert_eq!(at("p/build/manifest.json"), None);
        assert_eq!(at("p/node_modules/zeromq/manifest.json"), None);
        assert_eq!(at("p/node_modules/x/package-lock.json"), None);
        assert_eq!(
            at("p/package-lock.json"),
            Some(ManifestKind::NpmLock(NpmLock::PackageLock))
        );
    }

    #[test]
    fn recognises_manifests_by_name() {
        let kind = |name, nm| ManifestKind::recognise(name, nm);
        assert_eq!(
            kind("package.json", true),
            Some(ManifestKind::InstalledPackageJson)
        );
        assert_eq!(kind("package.json", false), None);
        assert_eq!(
            kind("npm-shrinkwrap.json", false),
            Some(ManifestKind::NpmLock(NpmLock::PackageLock))
        );
        assert_eq!(
            kind("pnpm-lock.yaml", false),
            Some(ManifestKind::NpmLock(NpmLock::Indented))
        );
        assert_eq!(
            kind("requirements-dev.txt", false),
            Some(ManifestKind::PythonLock(PythonLock::Requirements))
        );
        assert_eq!(
            kind("Pipfile.lock", false),
            Some(ManifestKind::PythonLock(PythonLock::Pipfile))
        );
        assert_eq!(kind("Cargo.lock", false), None);
        // A dependency's own lockfile is not what installs it.
        assert_eq!(kind("package-lock.json", true), None);
        assert_eq!(kind("yarn.lock", true), None);
        assert_eq!(
            kind("npm-shrinkwrap.json", true),
            Some(ManifestKind::NpmLock(NpmLock::PackageLock))
        );
    }
}
