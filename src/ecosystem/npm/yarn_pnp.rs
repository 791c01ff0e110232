//! Yarn's Plug'n'Play installs (Yarn 2+'s default linker): each package is
//! a zip archive in the project's `.yarn/cache`, read by Yarn's runtime
//! from there; a package with native code (`.node` files) or a build script
//! is also unplugged into `.yarn/unplugged/<locator>/node_modules/<name>/`,
//! the only place Node loads native code from.

use std::path::{Path, PathBuf};

/// Whether `path` is a package archive of a project's Yarn cache
/// (`.yarn/cache/<locator>-<checksum>.zip`).
pub fn is_cache_archive(path: &Path) -> bool {
    let is_zip = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("zip"));
    let in_cache = path.parent().is_some_and(|cache| {
        cache.file_name().is_some_and(|name| name == "cache")
            && cache
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|name| name == ".yarn")
    });
    is_zip && in_cache
}

/// Where Yarn unplugs the package of the cache archive `archive`:
/// `.yarn/unplugged/<locator>`, the archive's name less its checksum
/// (`lightningcss-linux-x64-gnu-npm-1.33.0-222ef84ed1-10c0.zip` is unplugged
/// as `lightningcss-linux-x64-gnu-npm-1.33.0-222ef84ed1`).
pub fn unplugged_copy(archive: &Path) -> Option<PathBuf> {
    let stem = archive.file_stem()?.to_str()?;
    let (locator, _checksum) = stem.rsplit_once('-')?;
    let yarn_dir = archive.parent()?.parent()?;
    Some(yarn_dir.join("unplugged").join(locator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_archives_and_their_unplugged_copies() {
        let archive =
            Path::new("/p/.yarn/cache/@node-rs-argon2-npm-2.2.1-0897614911-c9be3329fd.zip");
        assert!(is_cache_archive(archive));
        assert_eq!(
            unplugged_copy(archive),
            Some(PathBuf::from(
                "/p/.yarn/unplugged/@node-rs-argon2-npm-2.2.1-0897614911"
            ))
        );
        for other in [
            "/p/cache/x-npm-1.0.0-abc-def.zip",
            "/p/.yarn/releases/yarn-4.5.0.cjs",
            "/p/.yarn/cache/x-npm-1.0.0-abc.tgz",
            "/p/node_modules/x/.yarn/x.zip",
        ] {
            assert!(!is_cache_archive(Path::new(other)), "{other}");
        }
    }
}
