//! Package ecosystems: which package owns a file, what its metadata and
//! lockfiles say, and the known-problem table.

pub mod attribution;
pub mod distro;
pub mod known;
mod manifest;
pub mod maven;
pub mod node_gyp_build;
pub mod npm;
pub mod npm_lock;
pub mod python;
pub mod python_lock;
pub mod ruby;

pub use manifest::{ManifestKind, NpmLock, PythonLock};

/// Directories whose contents are installed packages (`node_modules`,
/// `site-packages`, `dist-packages`).
const INSTALLED_PACKAGE_DIRS: [&str; 3] = ["node_modules", "site-packages", "dist-packages"];

/// Whether an archive at `relative` is data of an installed package rather
/// than something to install: node and python never load code out of a
/// tarball or wheel sitting inside an installed package (test fixtures,
/// database seeds, vendored downloads), so its members are not judged.
pub fn is_archive_inside_installed_packages(relative: &std::path::Path) -> bool {
    relative.parent().is_some_and(|dir| {
        dir.components()
            .any(|c| INSTALLED_PACKAGE_DIRS.iter().any(|d| c.as_os_str() == *d))
    })
}
