//! Yarn's Plug'n'Play installs (Yarn 2+'s default linker): each package is
//! a zip archive in the project's `.yarn/cache`, read by Yarn's runtime
//! from there; a package with native code (`.node` files) or a build script
//! is also unplugged into `.yarn/unplugged/<locator>/node_modules/<name>/`,
//! the only place Node loads native code from.

use std::path::{Path, PathBuf};

/// Whether `path` is a package archive of a Yarn cache: in a project's
/// `.yarn/cache`, or anywhere under the name Yarn gives its archives
/// (`<ident>-npm-<version>-<hash>-<checksum>.zip`), as in a `cacheFolder` of
/// the project's choosing or Yarn's global cache given as a path to scan.
pub fn is_cache_archive(path: &Path) -> bool {
    let is_zip = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("zip"));
    let in_project_cache = path.parent().is_some_and(|cache| {
        cache.file_name().is_some_and(|name| name == "cache")
            && cache
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|name| name == ".yarn")
    });
    let named_by_yarn = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .is_some_and(has_cache_name);
    // A published package's own stray cache is none of the project's packages.
    let in_a_package = crate::ecosystem::is_archive_inside_installed_packages(path);
    is_zip && (in_project_cache || named_by_yarn) && !in_a_package
}

/// Whether `stem` is `<locator>-<checksum>` with a locator of the npm
/// protocol ending in its 10-digit hash (`lightningcss-npm-1.33.0-402624c179`).
fn has_cache_name(stem: &str) -> bool {
    let Some((locator, checksum)) = stem.rsplit_once('-') else {
        return false;
    };
    let Some((slug, hash)) = locator.rsplit_once('-') else {
        return false;
    };
    let is_hash = hash.len() == 10
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    is_hash
        && slug.contains("-npm-")
        && !checksum.is_empty()
        && checksum.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Where Yarn unplugs the package of the cache archive `archive`:
/// `unplugged/<locator>` in the project's `.yarn` (beside `.yarn/cache`, or
/// below the project that holds a `cacheFolder`), the archive's name less its
/// checksum (`lightningcss-linux-x64-gnu-npm-1.33.0-222ef84ed1-10c0.zip` is
/// unplugged as `lightningcss-linux-x64-gnu-npm-1.33.0-222ef84ed1`).
pub fn unplugged_copies(archive: &Path) -> Vec<PathBuf> {
    let Some(locator) = archive
        .file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(|stem| stem.rsplit_once('-'))
        .map(|(locator, _checksum)| locator)
    else {
        return Vec::new();
    };
    let Some(above_cache) = archive.parent().and_then(Path::parent) else {
        return Vec::new();
    };
    vec![
        above_cache.join("unplugged").join(locator),
        above_cache.join(".yarn").join("unplugged").join(locator),
    ]
}

/// The package archives a Plug'n'Play runtime (`.pnp.cjs` or
/// `.pnp.data.json`) locates its packages in, as it writes them (relative
/// to its directory: `./.yarn/cache/x.zip`, or
/// `../../.yarn/berry/cache/x.zip` in Yarn's global cache).
pub fn runtime_archives(runtime: &str) -> Vec<&str> {
    const KEY: &str = "\"packageLocation\": \"";
    runtime
        .match_indices(KEY)
        .filter_map(|(at, _)| {
            let value = runtime.get(at + KEY.len()..)?;
            let value = value.get(..value.find('"')?)?;
            let end = value.find(".zip/")? + ".zip".len();
            value.get(..end)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_locates_its_packages_archives() {
        let runtime = r#"const RAW_RUNTIME_STATE =
'{"packageRegistryData": [\
    [null, [[null, {"packageLocation": "./", "packageDependencies": []}]]],\
    ["lightningcss", [["npm:1.30.1", {\
        "packageLocation": "../../yarnglobal/cache/lightningcss-npm-1.30.1-d177e9dceb-10c0.zip/node_modules/lightningcss/",\
        "packageDependencies": []}]]],\
    ["lightningcss-linux-x64-gnu", [["npm:1.30.1", {\
        "packageLocation": "./.yarn/unplugged/lightningcss-linux-x64-gnu-npm-1.30.1-3c3ba2f1b1/node_modules/lightningcss-linux-x64-gnu/"}]]]]}'"#;
        assert_eq!(
            runtime_archives(runtime),
            ["../../yarnglobal/cache/lightningcss-npm-1.30.1-d177e9dceb-10c0.zip"]
        );
        assert!(runtime_archives("\"packageLocation\": \"unterminated").is_empty());
    }

    #[test]
    fn cache_archives_and_their_unplugged_copies() {
        let archive =
            Path::new("/p/.yarn/cache/@node-rs-argon2-npm-2.2.1-0897614911-c9be3329fd.zip");
        assert!(is_cache_archive(archive));
        assert_eq!(
            unplugged_copies(archive).first(),
            Some(&PathBuf::from(
                "/p/.yarn/unplugged/@node-rs-argon2-npm-2.2.1-0897614911"
            ))
        );
        // A cacheFolder of the project's own: unplugged in its `.yarn`.
        let elsewhere = Path::new("/p/cache/lightningcss-npm-1.30.1-d177e9dceb-10c0.zip");
        assert!(is_cache_archive(elsewhere));
        assert!(unplugged_copies(elsewhere).contains(&PathBuf::from(
            "/p/.yarn/unplugged/lightningcss-npm-1.30.1-d177e9dceb"
        )));
        for other in [
            "/p/cache/x-npm-1.0.0-abc-def.zip",
            "/p/dist/release-1.0.0-0123456789-x.zip",
            "/p/.yarn/releases/yarn-4.5.0.cjs",
            "/p/.yarn/cache/x-npm-1.0.0-abc.tgz",
            "/p/node_modules/x/.yarn/x.zip",
            "/p/node_modules/x/.yarn/cache/y-npm-1.0.0-0123456789-abcdef0123.zip",
        ] {
            assert!(!is_cache_archive(Path::new(other)), "{other}");
        }
    }
}
