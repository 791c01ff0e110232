//! How an installed npm package gets its native code: the files that
//! tell (`binding.gyp`, prebuilds, addons named for a platform, platform
//! packages) gathered from the walk, then its manifest's install script.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{
    PackageJson, Prebuild, node_resolution, package_dir, pkg_prebuild, prebuild,
    require_addon_names,
};
use crate::ecosystem::node_gyp_build;
use crate::model::LibcKind;

/// How an installed package gets its native code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeSource {
    /// A `.node` prebuild for musl and this CPU is in the package.
    MuslPrebuild(String),
    /// An addon named for Linux, this CPU and musl outside node-gyp-build's
    /// layout (`lib/sentry_cpu_profiler-linux-x64-musl-115.node`), in a
    /// package that would otherwise compile: its own loader picks it.
    MuslNamedAddon(String),
    /// A `.node` prebuild for musl and this CPU is in the package's platform
    /// package for Linux and this CPU (`@name/name-linux-x64`), which
    /// node-gyp-build-optional-packages loads before it compiles anything.
    MuslPlatformPackage { package: String, prebuild: String },
    /// A musl prebuild for this CPU in pkg-prebuilds' layout
    /// (`prebuilds/HID-linux-x64-musl/node-napi-v4.node`), which the
    /// install script's `pkg-prebuilds-verify` finds before it compiles.
    MuslPkgPrebuild(String),
    /// A prebuild without a libc tag: node-gyp-build loads it on any libc.
    /// `compiles`: where it does not load, the install compiles the addon
    /// instead (an install script running node-gyp-build, and a binding.gyp).
    UntaggedPrebuild { name: String, compiles: bool },
    /// Downloaded by an install script (node-pre-gyp `binary.host`, prebuild-install),
    /// often with node-gyp as the fallback when no matching binary exists.
    Downloaded {
        how: String,
        falls_back_to_compiling: bool,
        /// The download's name says the libc (prebuild-install's
        /// `linuxmusl`, a node-pre-gyp template naming `{libc}`); else
        /// every libc downloads the same build.
        names_libc: bool,
    },
    /// Found by require-addon, which reads `prebuilds/linux-<cpu>-musl/`
    /// (`directory`) on Alpine and never the untagged directory: its addon
    /// there, if the package has one. Nothing compiles at install.
    RequireAddon {
        directory: String,
        addon: Option<String>,
    },
    /// Compiled by node-gyp at install time (`binding.gyp`).
    Compiled,
}

/// The files of a tree that say how installed npm packages get their native
/// code (each `binding.gyp`, each `.node` file in `prebuilds/linux-<cpu>/`),
/// by package directory. Gathered from what the walk or an image's merged
/// view met, never looked up on disk: a package inside an image is answered
/// as the same package on disk is.
#[derive(Debug, Default)]
pub struct NativeFiles {
    by_package: HashMap<PathBuf, PackageNativeFiles>,
}

#[derive(Debug, Default)]
struct PackageNativeFiles {
    binding_gyp: bool,
    /// Each Linux prebuild and its file name, by name.
    prebuilds: Vec<(Prebuild, String)>,
    /// Each prebuild in pkg-prebuilds' layout, as `<directory>/<file>`.
    pkg_prebuilds: Vec<String>,
    /// Each other addon whose name says linux and musl, by file name.
    musl_named_addons: Vec<String>,
}

/// What one file says about its package's native code.
enum NativeFile<'p> {
    BindingGyp {
        package: &'p Path,
    },
    /// A Linux `.node` prebuild, named as [`prebuild`] reads the names.
    Prebuild {
        package: &'p Path,
        prebuild: Prebuild,
        name: &'p str,
    },
    /// A `.node` file in pkg-prebuilds' layout.
    PkgPrebuild {
        package: &'p Path,
        /// `<directory>/<file>`, below `prebuilds/`.
        prebuild: &'p str,
    },
    /// Any other `.node` file whose name's words include `linux` and `musl`.
    MuslNamedAddon {
        package: PathBuf,
        name: &'p str,
    },
}

impl<'p> NativeFile<'p> {
    fn of(path: &'p Path) -> Option<NativeFile<'p>> {
        // Most files are neither: told by the bytes' end, before parsing components.
        let bytes = path.as_os_str().as_encoded_bytes();
        if !bytes.ends_with(b".node") && !bytes.ends_with(b"binding.gyp") {
            return None;
        }
        let name = path.file_name()?.to_str()?;
        if name == "binding.gyp" {
            return Some(NativeFile::BindingGyp {
                package: path.parent()?,
            });
        }
        let text = path.to_str()?;
        if pkg_prebuild(text).is_some_and(|prebuild| prebuild.addon) {
            // <package>/prebuilds/<directory>/<file>
            let above = text.rsplitn(3, '/').nth(2)?;
            return Some(NativeFile::PkgPrebuild {
                package: path.ancestors().nth(3)?,
                prebuild: text.get(above.len() + 1..)?,
            });
        }
        let Some(parsed) = prebuild(text).filter(|p| p.platform == "linux" && !p.bare) else {
            let words = name_words(name);
            return (words.contains(&"linux") && words.contains(&"musl")).then(|| {
                Some(NativeFile::MuslNamedAddon {
                    package: package_dir(path)?,
                    name,
                })
            })?;
        };
        Some(NativeFile::Prebuild {
            // <package>/prebuilds/linux-<cpu>/<name>, or <package>/<name>
            package: path.ancestors().nth(parsed.package_depth())?,
            prebuild: parsed,
            name,
        })
    }
}

/// The words of a file name, split at `-`, `_` and `.`.
fn name_words(name: &str) -> Vec<&str> {
    name.split(['-', '_', '.']).collect()
}

/// Whether a file at `path` says how its npm package gets native code (see
/// [`NativeFiles`]): asked of every file the walk meets, so by name only.
pub fn is_native_file(path: &Path) -> bool {
    NativeFile::of(path).is_some()
}

impl NativeFiles {
    pub fn new<'p>(paths: impl IntoIterator<Item = &'p Path>) -> NativeFiles {
        let mut files = NativeFiles::default();
        for path in paths {
            match NativeFile::of(path) {
                Some(NativeFile::BindingGyp { package }) => {
                    files.entry(package).binding_gyp = true;
                }
                Some(NativeFile::Prebuild {
                    package,
                    prebuild,
                    name,
                }) => files
                    .entry(package)
                    .prebuilds
                    .push((prebuild, name.to_string())),
                Some(NativeFile::PkgPrebuild { package, prebuild }) => files
                    .entry(package)
                    .pkg_prebuilds
                    .push(prebuild.to_string()),
                Some(NativeFile::MuslNamedAddon { package, name }) => files
                    .entry(&package)
                    .musl_named_addons
                    .push(name.to_string()),
                None => {}
            }
        }
        for package in files.by_package.values_mut() {
            package.prebuilds.sort_by(|a, b| a.1.cmp(&b.1));
            package.pkg_prebuilds.sort();
            package.musl_named_addons.sort();
        }
        files
    }

    fn entry(&mut self, package: &Path) -> &mut PackageNativeFiles {
        self.by_package.entry(package.to_path_buf()).or_default()
    }

    /// The prebuild node-gyp-build would load for `cpu` on musl: one tagged
    /// `.musl.`, else one without a libc tag (by name, for a stable answer),
    /// of those Node can load at all (not an Electron build).
    /// An N-API one first: it loads under any Node version, a `.abi115.`
    /// one under one alone.
    fn musl_prebuild(&self, package: &Path, cpu: &str) -> Option<NativeSource> {
        let runner = node_gyp_build::Runner::for_cpu(LibcKind::Musl, cpu);
        let for_cpu = self
            .by_package
            .get(package)?
            .prebuilds
            .iter()
            .filter(|(prebuild, _)| prebuild.cpus.iter().any(|c| c == cpu))
            .filter(|(_, name)| node_gyp_build::never_matches(name, runner).is_none());
        let is_napi = node_gyp_build::is_napi;
        let mut musl: Option<&String> = None;
        let mut untagged = None;
        for (prebuild, name) in for_cpu {
            match prebuild.libc {
                Some(LibcKind::Musl)
                    if musl.is_none_or(|chosen| !is_napi(chosen) && is_napi(name)) =>
                {
                    musl = Some(name);
                }
                None if untagged.is_none() => untagged = Some(name),
                _ => {}
            }
        }
        if let Some(name) = musl {
            return Some(NativeSource::MuslPrebuild(name.clone()));
        }
        untagged.map(|name| NativeSource::UntaggedPrebuild {
            name: name.clone(),
            compiles: false,
        })
    }

    /// The addon require-addon loads for `cpu` on Alpine from `package`
    /// (`manifest`'s directory): in `prebuilds/linux-<cpu>-musl/`, which
    /// [`prebuild`] reads as a directory for the CPU `<cpu>-musl`.
    fn require_addon_prebuild(
        &self,
        package: &Path,
        manifest: &PackageJson,
        directory: &str,
    ) -> Option<String> {
        let cpu = directory.strip_prefix("linux-")?;
        let names = require_addon_names(&manifest.name, &manifest.version);
        self.by_package
            .get(package)?
            .prebuilds
            .iter()
            .find(|(prebuild, name)| {
                prebuild.cpus.len() == 1
                    && prebuild.cpus.first().is_some_and(|c| c == cpu)
                    && names.contains(name)
            })
            .map(|(_, name)| format!("prebuilds/{directory}/{name}"))
    }

    /// An addon of `package` named for linux, `cpu` and musl (the first by name).
    fn musl_named_addon(&self, package: &Path, cpu: &str) -> Option<String> {
        self.by_package
            .get(package)?
            .musl_named_addons
            .iter()
            .find(|name| name_words(name).contains(&cpu))
            .cloned()
    }

    /// The installed platform package for Linux and `cpu` that
    /// node-gyp-build-optional-packages resolves from the package `dir`
    /// named `name` (`@name/name-linux-x64`; `@scope/name-linux-x64` for a
    /// scoped one), with its directory, looked up as Node resolves it.
    fn platform_package(&self, dir: &Path, name: &str, cpu: &str) -> Option<(String, PathBuf)> {
        let package = match name.strip_prefix('@') {
            Some(_) => format!("{name}-linux-{cpu}"),
            None => format!("@{name}/{name}-linux-{cpu}"),
        };
        let found = node_resolution(dir, &package)
            .find(|candidate| self.by_package.contains_key(candidate))?;
        Some((package, found))
    }

    /// The musl prebuild for `cpu` pkg-prebuilds loads on Alpine, in its
    /// `prebuilds/<name>-linux-<cpu>-musl/` (the first by name).
    fn musl_pkg_prebuild(&self, package: &Path, cpu: &str) -> Option<NativeSource> {
        let suffix = format!("-linux-{cpu}-musl");
        self.by_package
            .get(package)?
            .pkg_prebuilds
            .iter()
            .find(|prebuild| {
                prebuild
                    .split_once('/')
                    .is_some_and(|(directory, _)| directory.ends_with(&suffix))
            })
            .map(|prebuild| NativeSource::MuslPkgPrebuild(format!("prebuilds/{prebuild}")))
    }

    fn has_binding_gyp(&self, package: &Path) -> bool {
        self.by_package
            .get(package)
            .is_some_and(|files| files.binding_gyp)
    }
}

/// What an installed package (in directory `dir`) says about its native
/// code, if it has any: its files (`files`), then its manifest.
pub fn native_source(
    dir: &Path,
    manifest: &PackageJson,
    cpu: &str,
    files: &NativeFiles,
) -> Option<NativeSource> {
    if manifest.loads_with_require_addon() {
        let directory = format!("linux-{cpu}-musl");
        let addon = files.require_addon_prebuild(dir, manifest, &directory);
        return Some(NativeSource::RequireAddon { directory, addon });
    }
    let install: Vec<&String> = ["preinstall", "install", "postinstall"]
        .iter()
        .filter_map(|k| manifest.scripts.get(*k))
        .collect();
    // npm compiles with node-gyp where the package has a binding.gyp (unless
    // `gypfile: false`); `gypfile: true` with none (zeromq 6, whose install
    // script loads a bundled addon and builds with CMake) compiles nothing.
    let has_gyp = manifest.gypfile != Some(false) && files.has_binding_gyp(dir);
    let optional_packages = install
        .iter()
        .any(|s| s.contains("node-gyp-build-optional-packages"));
    let platform_package = optional_packages
        .then(|| files.platform_package(dir, &manifest.name, cpu))
        .flatten();
    // pkg-prebuilds-verify exits 0 when the platform's prebuild loads, and
    // the script's `|| node-gyp rebuild` compiles only when it does not.
    let pkg_prebuilds = install.iter().any(|s| s.contains("pkg-prebuilds"));
    if let Some(prebuild) = pkg_prebuilds
        .then(|| files.musl_pkg_prebuild(dir, cpu))
        .flatten()
    {
        return Some(prebuild);
    }
    let prebuild = files.musl_prebuild(dir, cpu).or_else(|| {
        let (package, package_dir) = platform_package.as_ref()?;
        match files.musl_prebuild(package_dir, cpu)? {
            NativeSource::MuslPrebuild(prebuild) => Some(NativeSource::MuslPlatformPackage {
                package: package.clone(),
                prebuild,
            }),
            untagged => Some(untagged),
        }
    });
    match prebuild {
        Some(NativeSource::UntaggedPrebuild { name, .. }) => {
            // node-gyp-build's install command tests the prebuild and
            // compiles with node-gyp when it does not load.
            let compiles = has_gyp && install.iter().any(|s| s.contains("node-gyp-build"));
            return Some(NativeSource::UntaggedPrebuild { name, compiles });
        }
        Some(prebuild) => return Some(prebuild),
        None => {}
    }
    // A package that compiles but bundles an addon named for musl
    // (@sentry/node-cpu-profiler's install script compiles only when no
    // `lib/*-linux-x64-musl-<abi>.node` loads).
    if has_gyp && let Some(addon) = files.musl_named_addon(dir, cpu) {
        return Some(NativeSource::MuslNamedAddon(addon));
    }
    let compiles = has_gyp || install.iter().any(|s| s.contains("node-gyp "));
    // node-pre-gyp needs `binary.host`; a bare `binary` object (sharp's napi_versions) is not a download.
    let pre_gyp_host = manifest
        .binary
        .as_ref()
        .and_then(|b| b.get("host"))
        .and_then(|h| h.as_str());
    // Without an install script nothing reads `binary.host`: npm's own
    // `node-gyp rebuild` runs where there is a binding.gyp (@vscode/sqlite3
    // 5.1.2 kept the `binary` of the fork it came from).
    if let Some(host) = pre_gyp_host.filter(|_| !install.is_empty()) {
        // node-pre-gyp fills `{libc}` only where the template names it; its
        // default `package_name` does not. Another install script reading
        // `binary.host` (iltorb's prebuild-install) names its own files.
        let runs_node_pre_gyp = install.iter().any(|s| s.contains("node-pre-gyp"));
        // `--build-from-source` skips the download: node-pre-gyp runs
        // node-gyp (@abandonware/bluetooth-hci-socket's install script).
        if install
            .iter()
            .any(|s| s.contains("node-pre-gyp") && s.contains("--build-from-source"))
        {
            return Some(NativeSource::Compiled);
        }
        let names_libc = !runs_node_pre_gyp
            || ["host", "remote_path", "package_name"].iter().any(|key| {
                let template = manifest.binary.as_ref().and_then(|b| b.get(*key));
                template
                    .and_then(|t| t.as_str())
                    .is_some_and(|t| t.contains("{libc}"))
            });
        return Some(NativeSource::Downloaded {
            how: format!("node-pre-gyp from {host}"),
            falls_back_to_compiling: compiles,
            names_libc,
        });
    }
    // Tools that download a build named for the libc they run on:
    // prebuild-install (`linuxmusl`), and install-artifact-from-github's
    // `install-from-cache` (re2: `linux-musl-x64-<abi>`).
    let downloader = [
        ("prebuild-install", "prebuild-install (GitHub releases)"),
        (
            "install-from-cache",
            "install-artifact-from-github (GitHub releases)",
        ),
    ]
    .into_iter()
    .find(|(tool, _)| install.iter().any(|s| s.contains(tool)));
    if let Some((_, how)) = downloader {
        return Some(NativeSource::Downloaded {
            how: how.to_string(),
            falls_back_to_compiling: compiles,
            names_libc: true,
        });
    }
    compiles.then_some(NativeSource::Compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packages_native_files_answer_how_it_gets_native_code_without_the_disk() {
        let paths = [
            "/p/node_modules/a/prebuilds/linux-x64/a.glibc.node",
            "/p/node_modules/a/prebuilds/linux-x64/a.node",
            "/p/node_modules/a/prebuilds/linux-arm64/a.musl.node",
            "/p/node_modules/b/prebuilds/linux-x64/b.glibc.node",
            "/p/node_modules/b/prebuilds/linux-x64/b.musl.node",
            "/p/node_modules/c/prebuilds/linux-x64/c.glibc.node",
            "/p/node_modules/c/binding.gyp",
            // Not the package's own: a dependency's sources, another directory's name.
            "/p/node_modules/d/deps/x/binding.gyp",
            "/p/node_modules/d/build/linux-x64/d.node",
            "/p/node_modules/d/prebuilds/darwin-x64/d.node",
            // ref-napi 3.0.3: Node never loads the Electron build.
            "/p/node_modules/r/prebuilds/linux-x64/electron.napi.node",
            "/p/node_modules/r/prebuilds/linux-x64/node.napi.node",
        ];
        for path in paths {
            // Any binding.gyp is kept (by name only); whose it is is decided later.
            let expected = !path.contains("/d/") || path.ends_with("binding.gyp");
            assert_eq!(is_native_file(Path::new(path)), expected, "{path}");
        }
        let files = NativeFiles::new(paths.iter().map(Path::new));
        let manifest = PackageJson::default();
        let source = |package: &str, cpu: &str| {
            native_source(
                Path::new(&format!("/p/node_modules/{package}")),
                &manifest,
                cpu,
                &files,
            )
        };
        // An untagged prebuild loads on any libc; a tagged musl one is preferred.
        assert_eq!(
            source("a", "x64"),
            Some(NativeSource::UntaggedPrebuild {
                name: "a.node".to_string(),
                compiles: false
            })
        );
        assert_eq!(
            source("a", "arm64"),
            Some(NativeSource::MuslPrebuild("a.musl.node".to_string()))
        );
        assert_eq!(
            source("b", "x64"),
            Some(NativeSource::MuslPrebuild("b.musl.node".to_string()))
        );
        // Only a glibc prebuild: node-gyp compiles on musl.
        assert_eq!(source("c", "x64"), Some(NativeSource::Compiled));
        assert_eq!(
            source("r", "x64"),
            Some(NativeSource::UntaggedPrebuild {
                name: "node.napi.node".to_string(),
                compiles: false
            })
        );
        assert_eq!(source("d", "x64"), None);
        assert_eq!(source("e", "x64"), None);
        // `gypfile` says what npm found when the package was packed: without
        // a binding.gyp in the package, nothing compiles; `false` turns it off.
        let says_gypfile = |gypfile| PackageJson {
            gypfile: Some(gypfile),
            ..PackageJson::default()
        };
        let with = |package: &str, manifest: &PackageJson| {
            native_source(
                Path::new(&format!("/p/node_modules/{package}")),
                manifest,
                "x64",
                &files,
            )
        };
        assert_eq!(with("e", &says_gypfile(true)), None);
        assert_eq!(with("c", &says_gypfile(true)), Some(NativeSource::Compiled));
        assert_eq!(with("c", &says_gypfile(false)), None);
        // re2 1.24.0: install-artifact-from-github downloads a build named
        // for the libc (`linux-musl-x64-<abi>`), and compiles without one.
        let re2 = PackageJson {
            scripts: [(
                "install".to_string(),
                "install-from-cache --artifact build/Release/re2.node || node-gyp -j max rebuild"
                    .to_string(),
            )]
            .into(),
            ..PackageJson::default()
        };
        assert_eq!(
            with("c", &re2),
            Some(NativeSource::Downloaded {
                how: "install-artifact-from-github (GitHub releases)".to_string(),
                falls_back_to_compiling: true,
                names_libc: true,
            })
        );
    }

    /// msgpackr-extract 3.0.7: its install script, node-gyp-build-optional-packages,
    /// loads a prebuild of `@msgpackr-extract/msgpackr-extract-linux-x64`
    /// (found as Node resolves it, in any `node_modules` above) before it
    /// would compile; its N-API musl one loads under any Node version.
    #[test]
    fn node_gyp_build_optional_packages_loads_its_platform_package_s_prebuild() {
        let paths = [
            "/p/node_modules/@x/x-linux-x64/node.abi115.musl.node",
            "/p/node_modules/@x/x-linux-x64/node.napi.glibc.node",
            "/p/node_modules/@x/x-linux-x64/node.napi.musl.node",
            "/p/node_modules/@x/x-linux-arm64/node.napi.musl.node",
            "/p/node_modules/app/node_modules/x/binding.gyp",
            "/p/node_modules/@s/y-linux-x64/node.napi.glibc.node",
            "/p/node_modules/@s/y/binding.gyp",
        ];
        let files = NativeFiles::new(paths.iter().map(Path::new));
        let source = |dir: &str, name: &str, script: &str| {
            let manifest = PackageJson {
                name: name.to_string(),
                scripts: [("install".to_string(), script.to_string())].into(),
                ..PackageJson::default()
            };
            native_source(Path::new(dir), &manifest, "x64", &files)
        };
        let optional = "node-gyp-build-optional-packages";
        assert_eq!(
            source("/p/node_modules/app/node_modules/x", "x", optional),
            Some(NativeSource::MuslPlatformPackage {
                package: "@x/x-linux-x64".to_string(),
                prebuild: "node.napi.musl.node".to_string(),
            })
        );
        // Plain node-gyp-build does not look there.
        assert_eq!(
            source("/p/node_modules/app/node_modules/x", "x", "node-gyp-build"),
            Some(NativeSource::Compiled)
        );
        // A scoped package's platform package; only a glibc prebuild in it.
        assert_eq!(
            source("/p/node_modules/@s/y", "@s/y", optional),
            Some(NativeSource::Compiled)
        );
    }

    /// node-hid 3.4.0: `"install": "pkg-prebuilds-verify ./binding-options.js
    /// || node-gyp rebuild"`, with `prebuilds/HID-linux-x64-musl/` beside
    /// the glibc and other platforms' directories.
    #[test]
    fn pkg_prebuilds_verify_finds_the_musl_directory_before_node_gyp_compiles() {
        let paths = [
            "/p/node_modules/h/binding.gyp",
            "/p/node_modules/h/prebuilds/HID-linux-x64/node-napi-v4.node",
            "/p/node_modules/h/prebuilds/HID_hidraw-linux-x64-musl/node-napi-v4.node",
            "/p/node_modules/h/prebuilds/HID-linux-x64-musl/node-napi-v4.node",
            "/p/node_modules/h/prebuilds/HID-linux-arm64/node-napi-v4.node",
            "/p/node_modules/h/prebuilds/HID-darwin-x64-musl/node-napi-v4.node",
        ];
        for path in paths {
            assert!(is_native_file(Path::new(path)), "{path}");
        }
        let files = NativeFiles::new(paths.iter().map(Path::new));
        let source = |script: &str, cpu: &str| {
            let manifest = PackageJson {
                name: "h".to_string(),
                scripts: [("install".to_string(), script.to_string())].into(),
                ..PackageJson::default()
            };
            native_source(Path::new("/p/node_modules/h"), &manifest, cpu, &files)
        };
        let verify = "pkg-prebuilds-verify ./binding-options.js || node-gyp rebuild";
        assert_eq!(
            source(verify, "x64"),
            Some(NativeSource::MuslPkgPrebuild(
                "prebuilds/HID-linux-x64-musl/node-napi-v4.node".to_string()
            ))
        );
        // No musl directory for this CPU: the script's node-gyp compiles.
        assert_eq!(source(verify, "arm64"), Some(NativeSource::Compiled));
        // Without pkg-prebuilds in the install script, npm runs node-gyp.
        assert_eq!(
            source("node-gyp rebuild", "x64"),
            Some(NativeSource::Compiled)
        );
    }

    /// better-sqlite3 13.2.0 keeps its binding.gyp but says `"gypfile":
    /// false` and has no install script: npm compiles nothing.
    #[test]
    fn gypfile_false_turns_off_npm_s_implicit_node_gyp_build() {
        let files = NativeFiles::new([Path::new("/p/node_modules/b/binding.gyp")]);
        let source = |gypfile: &str| {
            let manifest =
                PackageJson::parse(&format!(r#"{{"name": "b", "version": "1.0.0"{gypfile}}}"#))
                    .unwrap();
            native_source(Path::new("/p/node_modules/b"), &manifest, "x64", &files)
        };
        assert_eq!(source(""), Some(NativeSource::Compiled));
        assert_eq!(source(r#", "gypfile": true"#), Some(NativeSource::Compiled));
        assert_eq!(source(r#", "gypfile": false"#), None);
        assert_eq!(source(r#", "gypfile": "no""#), Some(NativeSource::Compiled));
    }

    /// node-pre-gyp's `binary.host` is a download only where an install
    /// script reads it, and not when it says `--build-from-source`.
    #[test]
    fn node_pre_gyp_downloads_only_from_an_install_script_that_asks() {
        let files = NativeFiles::new([Path::new("/p/node_modules/s/binding.gyp")]);
        let source = |scripts: &str| {
            let manifest = PackageJson::parse(&format!(
                r#"{{"name": "s", "version": "1.0.0", "scripts": {{{scripts}}},
                    "binary": {{"host": "https://example.org/releases/"}}}}"#
            ))
            .unwrap();
            native_source(Path::new("/p/node_modules/s"), &manifest, "x64", &files)
        };
        assert_eq!(source(""), Some(NativeSource::Compiled));
        assert_eq!(
            source(r#""install": "node-pre-gyp install --build-from-source""#),
            Some(NativeSource::Compiled)
        );
        assert!(matches!(
            source(r#""install": "node-pre-gyp install --fallback-to-build""#),
            Some(NativeSource::Downloaded {
                falls_back_to_compiling: true,
                ..
            })
        ));
    }
}
