//! Manifests and lockfiles muslcheck reads, known by their file names here
//! and nowhere else.

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
}

impl ManifestKind {
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
