//! npm: installed `package.json` manifests and the `node_modules` layout
//! (how a package gets its native code: [`native`]; platform packages and
//! prebuild naming: [`platform`]; lockfiles: [`super::npm_lock`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::model::{Ecosystem, Package, Version};

pub mod cmake_ts;
mod native;
mod platform;
pub mod yarn_pnp;

pub use native::{NativeFiles, NativeSource, is_native_file, native_source};

pub use platform::{
    GlibcPlatformPackage, NamedPlatform, PkgPrebuild, Prebuild, glibc_platform_packages,
    is_linux_variant_name, is_musl_variant_name, named_platform, npm_cpu,
    other_cpu_platform_packages, own_platform_packages, pkg_prebuild, platform_package_libc,
    prebuild, require_addon_names,
};

/// The fields of `package.json` muslcheck reads. Each is read leniently:
/// npm takes a string where a list is usual (`"libc": "glibc"`), and a
/// field of another type than expected is as if absent, never a reason to
/// drop the whole manifest (and with it the package its files belong to).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PackageJson {
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub version: String,
    #[serde(
        default,
        rename = "optionalDependencies",
        deserialize_with = "lenient::string_map"
    )]
    pub optional_dependencies: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "lenient::string_map")]
    pub dependencies: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub os: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub cpu: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub libc: Vec<String>,
    #[serde(default, deserialize_with = "lenient::string_map")]
    pub scripts: BTreeMap<String, String>,
    /// `false` turns off npm's `node-gyp rebuild` for a package with a
    /// binding.gyp (better-sqlite3 13 bundles its prebuilds).
    #[serde(default, deserialize_with = "lenient::optional_boolean")]
    pub gypfile: Option<bool>,
    /// node-pre-gyp's download settings (`binary.host`, `module_path` …).
    #[serde(default)]
    pub binary: Option<serde_json::Value>,
    /// The version of the require-addon installed where Node resolves it
    /// from the package: not in the file, set once the tree's manifests are
    /// read ([`require_addon_versions`]).
    #[serde(skip)]
    pub require_addon_version: Option<String>,
}

/// An `os`, `cpu` or `libc` field, in a manifest or a lockfile entry: a
/// list of strings, or one string as a list of one (npm takes both);
/// anything else is empty.
pub fn string_list(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(text) => vec![text.clone()],
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Field readers that take any JSON value and keep what has the expected shape.
mod lenient {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    pub fn string<'de, D: Deserializer<'de>>(value: D) -> Result<String, D::Error> {
        Ok(match Value::deserialize(value)? {
            Value::String(text) => text,
            _ => String::new(),
        })
    }

    pub fn strings<'de, D: Deserializer<'de>>(value: D) -> Result<Vec<String>, D::Error> {
        Ok(super::string_list(&Value::deserialize(value)?))
    }

    /// An object's entries whose values are strings.
    pub fn string_map<'de, D: Deserializer<'de>>(
        value: D,
    ) -> Result<BTreeMap<String, String>, D::Error> {
        Ok(match Value::deserialize(value)? {
            Value::Object(entries) => entries
                .into_iter()
                .filter_map(|(key, value)| match value {
                    Value::String(text) => Some((key, text)),
                    _ => None,
                })
                .collect(),
            _ => BTreeMap::new(),
        })
    }

    pub fn optional_boolean<'de, D: Deserializer<'de>>(value: D) -> Result<Option<bool>, D::Error> {
        Ok(match Value::deserialize(value)? {
            Value::Bool(on) => Some(on),
            _ => None,
        })
    }
}

impl PackageJson {
    pub fn parse(text: &str) -> Option<PackageJson> {
        let mut manifest: PackageJson = serde_json::from_str(text).ok()?;
        manifest.version = clean_version(&manifest.version);
        Some(manifest)
    }

    /// Its addon is found by a require-addon (Holepunch's `require.addon`)
    /// that reads `prebuilds/<platform>-<arch>-musl/` on Alpine: 1.2.0 and
    /// later (before, it read the untagged directory on every libc, as
    /// node-gyp-build reads an untagged prebuild), or one not installed
    /// here, which a fresh install resolves to the latest.
    pub fn loads_with_require_addon(&self) -> bool {
        self.dependencies.contains_key("require-addon")
            && self.require_addon_version.as_deref().is_none_or(|version| {
                Version::compare_releases(version, "1.2.0") != std::cmp::Ordering::Less
            })
    }

    pub fn package(&self) -> Package {
        Package {
            ecosystem: Ecosystem::Npm,
            name: self.name.clone(),
            version: self.version.clone(),
        }
    }
}

/// A version as npm records it (semver's `clean`, which npm applies when it
/// reads a manifest): node-rdkafka 3.6.1 says `"version": "v3.6.1"`, its
/// lockfile entry `3.6.1`.
fn clean_version(version: &str) -> String {
    let trimmed = version.trim();
    let bare = trimmed.trim_start_matches(['=', 'v', 'V']);
    if bare.starts_with(|c: char| c.is_ascii_digit()) {
        bare.to_string()
    } else {
        trimmed.to_string()
    }
}

/// The package directory owning `path` under `node_modules` (nearest one, so
/// nested and pnpm `.pnpm/<name>@<ver>/node_modules/<name>` layouts work).
pub fn package_dir(path: &Path) -> Option<PathBuf> {
    let components: Vec<Component> = path.components().collect();
    let Some(position) = components
        .iter()
        .rposition(|c| c.as_os_str() == "node_modules")
    else {
        return packed_package_dir(&components);
    };
    let name = components.get(position + 1)?.as_os_str().to_string_lossy();
    // `node_modules/<name>` or `node_modules/@scope/<name>`.
    let take = if name.starts_with('@') { 2 } else { 1 };
    if name.starts_with('.') || components.len() <= position + take {
        return None;
    }
    Some(components.iter().take(position + 1 + take).collect())
}

/// For each installed package that depends on require-addon (`installed`:
/// package directory and manifest), the version of the require-addon Node
/// resolves from it: in its own `node_modules`, then in each one above.
pub fn require_addon_versions(installed: &[(PathBuf, PackageJson)]) -> HashMap<PathBuf, String> {
    let versions: HashMap<&Path, &str> = installed
        .iter()
        .filter(|(_, manifest)| manifest.name == "require-addon")
        .map(|(dir, manifest)| (dir.as_path(), manifest.version.as_str()))
        .collect();
    if versions.is_empty() {
        return HashMap::new();
    }
    installed
        .iter()
        .filter(|(_, manifest)| manifest.dependencies.contains_key("require-addon"))
        .filter_map(|(dir, _)| {
            let found = node_resolution(dir, "require-addon")
                .find_map(|candidate| versions.get(candidate.as_path()))?;
            Some((dir.clone(), (*found).to_string()))
        })
        .collect()
}

/// Where Node looks for `package` required from the package `dir`, nearest
/// first: `dir/node_modules/<package>`, then each `node_modules` above.
fn node_resolution<'d>(dir: &'d Path, package: &'d str) -> impl Iterator<Item = PathBuf> + 'd {
    std::iter::once(dir.join("node_modules"))
        .chain(
            dir.ancestors()
                .filter(|a| a.file_name().is_some_and(|n| n == "node_modules"))
                .map(Path::to_path_buf),
        )
        .map(move |modules| modules.join(package))
}

/// The package directory around `package`'s `node_modules`: where a file
/// below a directory that is no package (node-gyp's
/// `build/Release/obj.target/nothing/node_modules/node-addon-api/`, which has
/// no `package.json`) belongs.
pub fn enclosing_package_dir(package: &Path) -> Option<PathBuf> {
    let components: Vec<Component> = package.components().collect();
    let position = components
        .iter()
        .rposition(|c| c.as_os_str() == "node_modules")?;
    let outside: PathBuf = components.iter().take(position).collect();
    package_dir(&outside)
}

/// The package directory of a member of an `npm pack` tarball read in
/// memory (`x-1.0.0.tgz!/package/...`): its `package/`.
fn packed_package_dir(components: &[Component]) -> Option<PathBuf> {
    let root = components
        .iter()
        .rposition(|c| crate::model::is_archive_root(c.as_os_str()))?;
    let archive = components.get(root.checked_sub(1)?)?.as_os_str();
    let packed = archive
        .to_str()
        .is_some_and(|name| name.to_ascii_lowercase().ends_with(".tgz"));
    let package = components.get(root + 1)?;
    (packed && package.as_os_str() == "package" && components.len() > root + 2)
        .then(|| components.iter().take(root + 2).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LibcKind;

    #[test]
    fn versions_are_read_as_npm_records_them() {
        let version = |text: &str| PackageJson::parse(text).unwrap().version;
        assert_eq!(version(r#"{"version":"v3.6.1"}"#), "3.6.1");
        assert_eq!(version(r#"{"version":" =1.28.1 "}"#), "1.28.1");
        assert_eq!(version(r#"{"version":"1.0.0-beta.1"}"#), "1.0.0-beta.1");
        // Not a version semver cleans: kept as written.
        assert_eq!(version(r#"{"version":"vNext"}"#), "vNext");
    }

    #[test]
    fn owning_package_directories() {
        assert_eq!(
            package_dir(Path::new("/p/node_modules/sharp/build/Release/sharp.node")),
            Some("/p/node_modules/sharp".into())
        );
        // A member of an npm tarball read in memory: its `package/`.
        let packed = crate::model::member_location(
            Path::new("/p/aws-crt-1.33.2.tgz"),
            "package/dist/bin/linux-x64-glibc/aws-crt-nodejs.node",
        );
        assert_eq!(
            package_dir(&packed),
            Some(crate::model::member_location(
                Path::new("/p/aws-crt-1.33.2.tgz"),
                "package"
            ))
        );
        let wheel = crate::model::member_location(Path::new("/p/x.whl"), "package/x.so");
        assert_eq!(package_dir(&wheel), None);
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
        // x64 as `64` (workerd, turbo, esbuild before 0.15) and as Go or the kernel say it.
        for name in [
            "@cloudflare/workerd-linux-64",
            "turbo-linux-64",
            "x-linux-amd64",
        ] {
            assert!(is_linux_variant_name(name, "x64"), "{name}");
            assert!(!is_linux_variant_name(name, "arm64"), "{name}");
        }
        assert!(is_linux_variant_name("x-linux-aarch64-musl", "arm64"));
        assert!(is_musl_variant_name("x-linux-aarch64-musl", "arm64"));
        assert!(!is_linux_variant_name("turbo-linux-arm64", "x64"));
    }

    /// Platform packages named as the conventions name them, against a
    /// stray one (@rollup/wasm-node 4.68's optional `@napi-rs/lzma-linux-x64-gnu`).
    #[test]
    fn own_platform_packages_are_told_from_another_packages() {
        let own = |parent: &str, dependencies: &[&str]| -> Vec<String> {
            let mut own: Vec<String> = own_platform_packages(parent, dependencies.iter().copied())
                .into_iter()
                .map(str::to_string)
                .collect();
            own.sort();
            own
        };
        for (parent, variant) in [
            ("@swc/core", "@swc/core-linux-x64-musl"),
            ("@rspack/core", "@rspack/binding-linux-x64-gnu"),
            ("esbuild", "@esbuild/linux-x64"),
            ("next", "@next/swc-linux-x64-gnu"),
            ("sharp", "@img/sharp-linuxmusl-x64"),
            ("sharp", "@img/sharp-libvips-linux-x64"),
            ("bun", "@oven/bun-linux-x64"),
            ("workerd", "@cloudflare/workerd-linux-64"),
            ("unrs-resolver", "@unrs/resolver-binding-linux-x64-gnu"),
            ("snappy", "@napi-rs/snappy-linux-x64-gnu"),
            ("opencode-ai", "opencode-linux-x64-musl"),
            ("lightningcss", "lightningcss-linux-x64-gnu"),
            ("turbo", "turbo-linux-64"),
        ] {
            assert_eq!(own(parent, &[variant]), [variant], "{parent}");
        }
        let stray = "@napi-rs/lzma-linux-x64-gnu";
        assert!(own("@rollup/wasm-node", &[stray, "fsevents"]).is_empty());
        assert!(own("left-pad", &["@swc/core-linux-x64-gnu"]).is_empty());
        // A set for several platforms is the parent's, whatever its name
        // (@anthropic-ai/claude-code 1.0 bundles sharp's loader).
        let sharp = [
            "@img/sharp-darwin-arm64",
            "@img/sharp-linux-arm64",
            "@img/sharp-linux-x64",
        ];
        assert_eq!(own("@anthropic-ai/claude-code", &sharp), sharp);
    }

    fn installed(name: &str, optional: &[&str], libc: &[&str]) -> (PathBuf, PackageJson) {
        let manifest = PackageJson {
            name: name.to_string(),
            version: "1.0.0".to_string(),
            optional_dependencies: optional
                .iter()
                .map(|d| (d.to_string(), "1.0.0".to_string()))
                .collect(),
            os: if optional.is_empty() {
                vec!["linux".to_string()]
            } else {
                Vec::new()
            },
            libc: libc.iter().map(|l| l.to_string()).collect(),
            ..PackageJson::default()
        };
        (format!("/p/node_modules/{name}").into(), manifest)
    }

    #[test]
    fn glibc_platform_packages_and_their_musl_twins() {
        let tree = [
            installed(
                "@biomejs/biome",
                &["@biomejs/cli-linux-x64", "@biomejs/cli-linux-x64-musl"],
                &[],
            ),
            installed("@biomejs/cli-linux-x64", &[], &[]),
            installed(
                "rollup",
                &[
                    "@rollup/rollup-linux-arm-gnueabihf",
                    "@rollup/rollup-linux-arm-musleabihf",
                ],
                &[],
            ),
            installed("@rollup/rollup-linux-arm-gnueabihf", &[], &["glibc"]),
            // One build for both libcs: loaded on musl too.
            installed("esbuild", &["@esbuild/linux-x64"], &[]),
            installed("@esbuild/linux-x64", &[], &[]),
        ];
        let found = glibc_platform_packages(&tree, "x64");
        let biome = &found[Path::new("/p/node_modules/@biomejs/cli-linux-x64")];
        assert_eq!(biome.parent.as_deref(), Some("@biomejs/biome"));
        assert_eq!(
            biome.musl_variant.as_deref(),
            Some("@biomejs/cli-linux-x64-musl")
        );
        let rollup_arm = &found[Path::new("/p/node_modules/@rollup/rollup-linux-arm-gnueabihf")];
        // Declared for arm, not for the x64 target: its twin is arm's.
        assert_eq!(rollup_arm.parent.as_deref(), Some("rollup"));
        assert_eq!(
            rollup_arm.musl_variant.as_deref(),
            Some("@rollup/rollup-linux-arm-musleabihf")
        );
        assert!(!found.contains_key(Path::new("/p/node_modules/@esbuild/linux-x64")));
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn platforms_named_in_paths() {
        let named = |path| named_platform(path).map(|p| p.to_string());
        assert_eq!(
            named("bin/napi-v6/linux/arm64/x.node").as_deref(),
            Some("linux-arm64")
        );
        assert_eq!(
            named("lib/prof-linux-x64-glibc-115.node").as_deref(),
            Some("linux-x64-glibc")
        );
        assert_eq!(
            named("sharp-linuxmusl-x64.node").as_deref(),
            Some("linux-x64-musl")
        );
        assert_eq!(
            named("lib/x86_64-linux-gnu/x.node").as_deref(),
            Some("linux-x64-glibc")
        );
        // musl names Linux (koffi's one platform package holds both libcs).
        assert_eq!(
            named("musl_x64/koffi.node").as_deref(),
            Some("linux-x64-musl")
        );
        assert_eq!(named("linux_x64/koffi.node").as_deref(), Some("linux-x64"));
        // An OS without a CPU, a CPU without an OS, or two of either: nothing named.
        assert_eq!(named("build/Release/linux.node"), None);
        assert_eq!(named("x64/addon.node"), None);
        assert_eq!(named("linux-x64/linux-arm64/a.node"), None);
        assert_eq!(named("farm/sunrise/a.node"), None);
    }

    #[test]
    fn prebuild_names() {
        assert_eq!(
            prebuild("package/prebuilds/linux-x64/bcrypt.musl.node"),
            Some(Prebuild {
                platform: "linux".into(),
                cpu: "x64".into(),
                cpus: vec!["x64".into()],
                libc: Some(LibcKind::Musl),
                libc_directory: false,
                armv_directory: None,
                bare: false,
                in_platform_package: false,
                addon: true,
            })
        );
        assert_eq!(
            prebuild("node_modules/sodium-native/prebuilds/linux-x64/sodium-native.bare"),
            Some(Prebuild {
                platform: "linux".into(),
                cpu: "x64".into(),
                cpus: vec!["x64".into()],
                libc: None,
                libc_directory: false,
                armv_directory: None,
                bare: true,
                in_platform_package: false,
                addon: true,
            })
        );
        assert_eq!(
            prebuild("prebuilds/linux-arm64/node.napi.node")
                .unwrap()
                .libc,
            None
        );
        assert_eq!(prebuild("build/Release/x.node"), None);
        // A library beside the addons shares their directory's fate.
        let beside = prebuild("p/prebuilds/linuxglibc-arm64/libddwaf.so").unwrap();
        assert!(!beside.addon);
        assert_eq!(
            (beside.cpu.as_str(), beside.libc),
            ("arm64", Some(LibcKind::Glibc))
        );
        // node-gyp-build-optional-packages: at a platform package's root.
        let lmdb = prebuild("p/node_modules/@lmdb/lmdb-linux-x64/node.napi.musl.node").unwrap();
        assert_eq!(
            (lmdb.platform.as_str(), lmdb.cpu.as_str()),
            ("linux", "x64")
        );
        assert_eq!(lmdb.libc, Some(LibcKind::Musl));
        assert_eq!(lmdb.package_depth(), 1);
        assert!(prebuild("node_modules/@x/x-darwin-arm64/node.napi.node").is_some());
        assert_eq!(
            prebuild("node_modules/x-linux-x64/node.napi.node"),
            None,
            "unscoped"
        );
        assert_eq!(
            prebuild("node_modules/@duckdb/node-bindings-linux-x64/duckdb.node"),
            None,
            "not named by tags"
        );
        // napi-rs names its packages for the libc too (another rule), and a
        // file below the root is not chosen by tags.
        assert_eq!(
            prebuild("node_modules/@swc/core-linux-x64-gnu/swc.linux-x64-gnu.node"),
            None
        );
        assert_eq!(
            prebuild("node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node"),
            None
        );
        assert_eq!(prebuild("src/foo-linux-x64/x.node"), None);
        // node-gyp-build 3: the libc, and an ARM version, in the directory.
        let v3 = prebuild("p/prebuilds/linuxmusl-arm64-v8/node-napi.node").unwrap();
        assert_eq!((v3.platform.as_str(), v3.cpu.as_str()), ("linux", "arm64"));
        assert_eq!((v3.libc, v3.libc_directory), (Some(LibcKind::Musl), true));
        assert_eq!(v3.armv_directory.as_deref(), Some("8"));
        // Several CPUs; the last libc tag, as parseTags keeps it.
        let multi = prebuild("p/prebuilds/linux-arm64+x64/a.musl.glibc.node").unwrap();
        assert_eq!(multi.cpus, ["arm64", "x64"]);
        assert_eq!(multi.libc, Some(LibcKind::Glibc));
    }
}
