//! npm lockfiles (`package-lock.json`, `npm-shrinkwrap.json`, `yarn.lock`,
//! `pnpm-lock.yaml`): their package entries, and the platform variants
//! (`optionalDependencies` split by OS, CPU and libc) each locked package declares.

use std::collections::{HashMap, HashSet};

use super::npm::{is_linux_variant_name, is_musl_variant_name, own_platform_packages, string_list};

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
    /// Those, as `name@version`.
    pub musl_builds: Vec<String>,
    /// When the variants are split by libc: the declared ones for glibc
    /// (the others), and those the lock records, as `name@version`.
    pub glibc_declared: Vec<String>,
    pub glibc_builds: Vec<String>,
    /// Some declared variant is glibc-only (`-gnu` name or `libc: ["glibc"]`):
    /// the variants are split by libc, so a missing musl one matters.
    pub split_by_libc: bool,
    /// When they are not: the declared ones the lock records, as
    /// `name@version`. npm on either libc installs these same builds.
    pub shared_builds: Vec<String>,
}

/// One package entry of a lockfile, whatever the format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockEntry {
    pub name: String,
    pub version: String,
    pub optional_dependencies: Vec<String>,
    /// The entry is itself a platform package (`os`/`cpu` fields).
    pub is_platform_package: bool,
    /// Its `libc` field, when the lock records one.
    pub libc: Vec<String>,
    /// npm's `hasInstallScript` (pnpm's `requiresBuild`): it runs a
    /// preinstall, install or postinstall script (or node-gyp for a binding.gyp).
    pub has_install_script: bool,
}

/// Every locked package that declares Linux platform variants for `cpu`
/// through `optionalDependencies`. One pass over the entries: names are
/// looked up in sets built once, never by scanning the entries again.
pub fn lock_variants_of(entries: &[LockEntry], cpu: &str) -> Vec<LockVariant> {
    let locked: HashMap<&str, &str> = entries
        .iter()
        .map(|e| (e.name.as_str(), e.version.as_str()))
        .collect();
    // pnpm writes a package twice (packages: with os/cpu, snapshots: with deps).
    let platform_packages: HashSet<&str> = entries
        .iter()
        // yarn v1 records no os/cpu: the name tells.
        .filter(|e| e.is_platform_package || is_linux_variant_name(&e.name, cpu))
        .map(|e| e.name.as_str())
        .collect();
    let glibc_tagged: HashSet<&str> = entries
        .iter()
        .filter(|e| e.libc.iter().any(|l| l == "glibc"))
        .map(|e| e.name.as_str())
        .collect();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut variants: Vec<LockVariant> = Vec::new();
    for entry in entries
        .iter()
        .filter(|e| !platform_packages.contains(e.name.as_str()))
    {
        let own = own_platform_packages(
            &entry.name,
            entry.optional_dependencies.iter().map(String::as_str),
        );
        let declared: Vec<String> = entry
            .optional_dependencies
            .iter()
            .filter(|dep| is_linux_variant_name(dep, cpu) && own.contains(dep.as_str()))
            .cloned()
            .collect();
        if declared.is_empty() || !seen.insert((&entry.name, &entry.version)) {
            continue;
        }
        let musl_declared: Vec<String> = declared
            .iter()
            .filter(|dep| is_musl_variant_name(dep, cpu))
            .cloned()
            .collect();
        let musl_locked: Vec<String> = musl_declared
            .iter()
            .filter(|dep| locked.contains_key(dep.as_str()))
            .cloned()
            .collect();
        let musl_builds = musl_locked
            .iter()
            .map(|dep| format!("{dep}@{}", locked.get(dep.as_str()).unwrap_or(&"")))
            .collect();
        let split_by_libc = !musl_declared.is_empty()
            || declared.iter().any(|dep| {
                let base = dep.rsplit('/').next().unwrap_or(dep);
                base.split('-').any(|t| t == "gnu" || t == "glibc")
                    || glibc_tagged.contains(dep.as_str())
            });
        let glibc_declared: Vec<String> = if split_by_libc {
            declared
                .iter()
                .filter(|dep| !musl_declared.contains(dep))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let locked_builds = |names: &[String]| -> Vec<String> {
            names
                .iter()
                .filter_map(|dep| Some(format!("{dep}@{}", locked.get(dep.as_str())?)))
                .collect()
        };
        let glibc_builds = locked_builds(&glibc_declared);
        let shared_builds = if split_by_libc {
            Vec::new()
        } else {
            locked_builds(&declared)
        };
        variants.push(LockVariant {
            parent: entry.name.clone(),
            version: entry.version.clone(),
            declared,
            musl_declared,
            musl_locked,
            musl_builds,
            glibc_declared,
            glibc_builds,
            split_by_libc,
            shared_builds,
        });
    }
    variants
}

/// Entries of package-lock.json / npm-shrinkwrap.json (v2/v3 `packages` map).
pub fn package_lock_entries(text: &str) -> Result<Vec<LockEntry>, String> {
    let lock: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Some(packages) = lock.get("packages").and_then(|p| p.as_object()) else {
        return Err(
            "no `packages` map (lockfile v1 is not supported; run npm install with npm 7+)"
                .to_string(),
        );
    };
    Ok(packages
        .iter()
        .filter_map(|(key, entry)| {
            let (_, name) = key.rsplit_once("node_modules/")?;
            Some(LockEntry {
                name: name.to_string(),
                version: entry
                    .get("version")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
                optional_dependencies: entry
                    .get("optionalDependencies")
                    .and_then(|o| o.as_object())
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default(),
                // A platform package's own optional dependencies (sharp-linux-x64 →
                // its glibc libvips) are variants of that one platform, not a choice.
                is_platform_package: is_platform_package(
                    &entry.get("os").map(string_list).unwrap_or_default(),
                    &entry.get("cpu").map(string_list).unwrap_or_default(),
                ),
                libc: entry.get("libc").map(string_list).unwrap_or_default(),
                has_install_script: entry
                    .get("hasInstallScript")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
            })
        })
        .collect())
}

/// Entries of yarn.lock (v1 and berry) and pnpm-lock.yaml, read by indentation:
/// an entry header is a `name@version:` line, its fields are indented below it.
pub fn indented_lock_entries(text: &str) -> Vec<LockEntry> {
    let mut entries: Vec<LockEntry> = Vec::new();
    let mut header_indent = 0usize;
    let mut block: Option<Block> = None;
    for line in text.lines() {
        let trimmed = line.trim_end();
        let content = trimmed.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = trimmed.len() - content.len();
        if let Some(open) = &mut block {
            if indent > open.indent {
                if let Some(entry) = entries.last_mut() {
                    open.read(entry, content, indent);
                }
                continue;
            }
            block = None;
        }
        let header = (content.ends_with(':') && indent <= 2)
            .then(|| entry_header(content.trim_end_matches(':')))
            .flatten();
        if let Some((name, version)) = header {
            header_indent = indent;
            // A `version` field below (yarn) replaces what the header says.
            entries.push(LockEntry {
                name,
                version: version.unwrap_or_default(),
                ..LockEntry::default()
            });
            continue;
        }
        let Some(entry) = entries.last_mut() else {
            continue;
        };
        if indent <= header_indent {
            continue;
        }
        let (key, value) = content.split_once([':', ' ']).unwrap_or((content, ""));
        let value = value.trim().trim_matches('"');
        match key {
            "version" => entry.version = value.trim_matches('\'').to_string(),
            "optionalDependencies" => block = Some(Block::new(BlockKind::Optional, indent)),
            // yarn berry lists optional dependencies with the others, and
            // marks them `optional: true` here.
            "dependenciesMeta" => block = Some(Block::new(BlockKind::Meta, indent)),
            "os" | "cpu" => {
                let values = list_values(value);
                let (os, cpu) = if key == "os" {
                    (values, Vec::new())
                } else {
                    (Vec::new(), values)
                };
                entry.is_platform_package |= is_platform_package(&os, &cpu);
            }
            "requiresBuild" => entry.has_install_script = value == "true",
            "libc" => entry.libc = list_values(value),
            // yarn berry: `conditions: os=linux & cpu=x64 & libc=musl`; a
            // package naming several systems (`os=darwin | os=linux`) is none's build.
            "conditions" => {
                let named = |field: &str| -> Vec<String> {
                    value
                        .split(['&', '|'])
                        .filter_map(|c| c.trim_matches([' ', '(', ')']).strip_prefix(field))
                        .map(str::to_string)
                        .collect()
                };
                entry.is_platform_package = is_platform_package(&named("os="), &named("cpu="));
                entry.libc = named("libc=");
            }
            _ => {}
        }
    }
    entries
}

/// A block of an entry whose keys name packages.
struct Block {
    kind: BlockKind,
    /// The indentation of the block's own key.
    indent: usize,
    /// The indentation of its keys, once met, and the package the last one names.
    key_indent: Option<usize>,
    package: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    /// `optionalDependencies:` (yarn v1, pnpm): each key is one.
    Optional,
    /// `dependenciesMeta:` (yarn berry): a key is one when `optional: true` is below it.
    Meta,
}

impl Block {
    fn new(kind: BlockKind, indent: usize) -> Block {
        Block {
            kind,
            indent,
            key_indent: None,
            package: None,
        }
    }

    /// Reads one line inside the block into `entry`.
    fn read(&mut self, entry: &mut LockEntry, content: &str, indent: usize) {
        let key_indent = *self.key_indent.get_or_insert(indent);
        if indent == key_indent {
            self.package = Some(key_name(content)).filter(|name| !name.is_empty());
            if self.kind == BlockKind::Optional
                && let Some(name) = self.package.take()
            {
                entry.optional_dependencies.push(name);
            }
            return;
        }
        let optional = content
            .split_once(':')
            .is_some_and(|(key, value)| key.trim() == "optional" && value.trim() == "true");
        if optional && let Some(name) = self.package.take() {
            entry.optional_dependencies.push(name);
        }
    }
}

/// The package name a block's key line names: `sharp: 0.33.5`,
/// `"@img/x": ...` or `'@img/x':` (a quoted scoped name keeps its slash).
fn key_name(content: &str) -> String {
    let name = content
        .split([':', ' '])
        .next()
        .unwrap_or("")
        .trim_matches(['"', '\''].as_ref());
    let name = match content.strip_prefix(['"', '\'']) {
        Some(quoted) => quoted.split(['"', '\'']).next().unwrap_or(name),
        None => name,
    };
    name.to_string()
}

/// Whether a package's `os` and `cpu` fields make it one platform's build
/// (`@esbuild/linux-x64`: linux, x64), a variant some parent chooses among,
/// rather than a package that merely names the systems it supports
/// (onnxruntime-node 1.30: `os: [win32, darwin, linux]`, no `cpu`; vectordb
/// 0.21: those and `cpu: [x64, arm64]`) or excludes one (`!win32`).
pub fn is_platform_package(os: &[String], cpu: &[String]) -> bool {
    let named = |list: &[String]| list.iter().filter(|v| !v.starts_with('!')).count();
    named(os) == 1 || named(cpu) == 1
}

fn list_values(value: &str) -> Vec<String> {
    value
        .trim_matches(['[', ']'].as_ref())
        .split(',')
        .map(|v| v.trim().trim_matches(['"', '\''].as_ref()).to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The package name of a lock entry header, and its version when the
/// header gives one exactly: `sharp@^0.33.5, sharp@0.33.5` (yarn v1: a
/// range, the `version` field below says), `"@img/sharp-linux-x64@0.33.5"`,
/// `'@img/x@1.0.0'`, `sharp@npm:0.33.5` (yarn berry), `next@14.2.3(react@18.3.1)`
/// (pnpm 9, with its peers), `/sharp@0.33.5` (pnpm 6), `/sharp/0.33.5_peer@1.0.0` (pnpm 5).
fn entry_header(header: &str) -> Option<(String, Option<String>)> {
    let first = header
        .split(',')
        .next()?
        .trim()
        .trim_matches(['"', '\''].as_ref());
    let (name, spec) = match first.strip_prefix('/') {
        Some(path) => match split_at_version(path) {
            // pnpm 6: /name@version
            Some(split) if is_package_name(split.0) => split,
            // pnpm 5: /name/version, peers after `_`
            _ => {
                let (name, version) = path.rsplit_once('/')?;
                (name, version.split('_').next().unwrap_or(version))
            }
        },
        None => split_at_version(first)?,
    };
    if name.is_empty() || name.contains(' ') {
        return None;
    }
    // pnpm 9 writes the peers a package was resolved with after its version.
    let spec = spec.split('(').next().unwrap_or(spec);
    let spec = spec.strip_prefix("npm:").unwrap_or(spec);
    let exact = spec.starts_with(|c: char| c.is_ascii_digit())
        && spec
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    Some((name.to_string(), exact.then(|| spec.to_string())))
}

/// `name@spec` split at the `@` after the name (a scope's `@` is part of it).
fn split_at_version(text: &str) -> Option<(&str, &str)> {
    let at = text.get(1..)?.find('@')? + 1;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// A package name: `name` or `@scope/name`, no other slash.
fn is_package_name(name: &str) -> bool {
    match name.strip_prefix('@') {
        Some(scoped) => scoped.matches('/').count() == 1,
        None => !name.contains('/'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// npm copies a manifest's `"libc": "glibc"` into the lock as written.
    /// Yarn 4's lock of @lancedb/lancedb 0.13.0 (cut): its platform
    /// packages are dependencies marked optional in `dependenciesMeta`.
    #[test]
    fn yarn_berry_marks_optional_dependencies_in_dependencies_meta() {
        let lock = r#"
__metadata:
  version: 8
  cacheKey: 10c0

"@lancedb/lancedb@npm:0.13.0":
  version: 0.13.0
  resolution: "@lancedb/lancedb@npm:0.13.0"
  dependencies:
    "@lancedb/lancedb-darwin-arm64": "npm:0.13.0"
    "@lancedb/lancedb-linux-x64-gnu": "npm:0.13.0"
    reflect-metadata: "npm:^0.2.2"
  dependenciesMeta:
    "@lancedb/lancedb-darwin-arm64":
      optional: true
    "@lancedb/lancedb-linux-x64-gnu":
      optional: true
    reflect-metadata:
      built: false
  peerDependencies:
    apache-arrow: ">=13.0.0 <=17.0.0"
  conditions: (os=darwin | os=linux | os=win32) & (cpu=x64 | cpu=arm64)
  languageName: node
  linkType: hard

"@lancedb/lancedb-linux-x64-gnu@npm:0.13.0":
  version: 0.13.0
  resolution: "@lancedb/lancedb-linux-x64-gnu@npm:0.13.0"
  conditions: os=linux & cpu=x64 & libc=glibc
  languageName: node
  linkType: hard
"#;
        let entries = indented_lock_entries(lock);
        let parent = entries
            .iter()
            .find(|e| e.name == "@lancedb/lancedb")
            .unwrap();
        assert_eq!(
            parent.optional_dependencies,
            [
                "@lancedb/lancedb-darwin-arm64",
                "@lancedb/lancedb-linux-x64-gnu"
            ]
        );
        let variants = lock_variants_of(&entries, "x64");
        let lancedb = variants.iter().find(|v| v.parent == "@lancedb/lancedb");
        let lancedb = lancedb.expect("the parent's variants are weighed");
        assert_eq!(lancedb.declared, ["@lancedb/lancedb-linux-x64-gnu"]);
        assert!(lancedb.musl_declared.is_empty());
        // yarn v1 and pnpm: each key of optionalDependencies.
        let v1 = "sharp@0.33.5:\n  version \"0.33.5\"\n  optionalDependencies:\n    \"@img/sharp-linux-x64\" \"0.33.5\"\n    '@img/sharp-linuxmusl-x64': 0.33.5\n  dependencies:\n    color \"^4.2.3\"\n";
        let entries = indented_lock_entries(v1);
        assert_eq!(
            entries.first().unwrap().optional_dependencies,
            ["@img/sharp-linux-x64", "@img/sharp-linuxmusl-x64"]
        );
    }

    #[test]
    fn a_lock_entrys_libc_may_be_a_string() {
        let lock = r#"{"packages": {
            "node_modules/a-linux-x64": {"version": "1.0.0", "os": ["linux"], "libc": "glibc"},
            "node_modules/a-linux-musl-x64": {"version": "1.0.0", "libc": ["musl"]},
            "node_modules/b": {"version": "1.0.0", "libc": {"odd": 1}}
        }}"#;
        let entries = package_lock_entries(lock).unwrap();
        let libc = |name: &str| {
            let entry = entries.iter().find(|e| e.name == name).unwrap();
            entry.libc.clone()
        };
        assert_eq!(libc("a-linux-x64"), ["glibc"]);
        assert_eq!(libc("a-linux-musl-x64"), ["musl"]);
        assert!(libc("b").is_empty());
    }

    #[test]
    fn lock_entry_headers() {
        let header = |text: &str| {
            entry_header(text).map(|(name, version)| (name, version.unwrap_or_default()))
        };
        let is = |name: &str, version: &str| Some((name.to_string(), version.to_string()));
        // yarn v1: a range; the `version` field below gives the version.
        assert_eq!(header("sharp@^0.33.5, sharp@0.33.5"), is("sharp", ""));
        assert_eq!(
            header("\"@img/sharp-linux-x64@0.33.5\""),
            is("@img/sharp-linux-x64", "0.33.5")
        );
        assert_eq!(header("'@img/x@1.0.0'"), is("@img/x", "1.0.0"));
        assert_eq!(header("\"sharp@npm:^0.33.5\""), is("sharp", ""));
        assert_eq!(header("\"sharp@npm:0.33.5\""), is("sharp", "0.33.5"));
        // pnpm 9, with peers; pnpm 6; pnpm 5, scoped and with peers.
        assert_eq!(
            header("next@14.2.3(react-dom@18.3.1(react@18.3.1))(react@18.3.1)"),
            is("next", "14.2.3")
        );
        assert_eq!(
            header("'@swc/core@1.7.0(@swc/helpers@0.5.5)'"),
            is("@swc/core", "1.7.0")
        );
        assert_eq!(header("/sharp@0.33.5"), is("sharp", "0.33.5"));
        assert_eq!(header("/@img/x@1.0.0"), is("@img/x", "1.0.0"));
        assert_eq!(header("/@img/x/1.0.0"), is("@img/x", "1.0.0"));
        assert_eq!(header("/foo/1.0.0_react@18.2.0"), is("foo", "1.0.0"));
        assert_eq!(header("packages"), None);
    }

    #[test]
    fn a_package_naming_the_systems_it_supports_is_no_platform_package() {
        let list = |items: &[&str]| items.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert!(is_platform_package(&list(&["linux"]), &list(&["x64"])));
        assert!(is_platform_package(&list(&["darwin"]), &[]));
        assert!(is_platform_package(&[], &list(&["arm64"])));
        assert!(!is_platform_package(
            &list(&["win32", "darwin", "linux"]),
            &[]
        ));
        assert!(!is_platform_package(&list(&["!win32"]), &[]));
        assert!(!is_platform_package(
            &list(&["darwin", "linux", "win32"]),
            &list(&["x64", "arm64"])
        ));
        let lock = r#"{"packages": {
            "node_modules/onnxruntime-node": {"version": "1.30.0", "hasInstallScript": true,
                "os": ["win32", "darwin", "linux"]},
            "node_modules/@esbuild/linux-x64": {"version": "0.21.5", "os": ["linux"], "cpu": ["x64"]}
        }}"#;
        let pnpm = "packages:\n\n  onnxruntime-node@1.30.0:\n    os: [win32, darwin, linux]\n\n  \
                    '@esbuild/linux-x64@0.21.5':\n    cpu: [x64]\n    os: [linux]\n";
        for entries in [
            package_lock_entries(lock).unwrap(),
            indented_lock_entries(pnpm),
        ] {
            let platform = |name: &str| {
                entries
                    .iter()
                    .any(|e| e.name == name && e.is_platform_package)
            };
            assert!(!platform("onnxruntime-node"), "{entries:?}");
            assert!(platform("@esbuild/linux-x64"), "{entries:?}");
        }
    }

    /// pnpm 9 gives a package's version only in its entry's header.
    #[test]
    fn pnpm_9_entries_have_the_headers_version() {
        let lock = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      \
                    argon2:\n        specifier: '*'\n        version: 0.45.1\n\npackages:\n\n  \
                    argon2@0.45.1:\n    resolution: {integrity: sha512-x}\n    \
                    requiresBuild: true\n\nsnapshots:\n\n  argon2@0.45.1:\n    \
                    dependencies:\n      node-addon-api: 8.0.0\n";
        let entries = indented_lock_entries(lock);
        let argon2: Vec<&LockEntry> = entries.iter().filter(|e| e.name == "argon2").collect();
        assert_eq!(argon2.len(), 2, "{entries:?}");
        assert!(argon2.iter().all(|e| e.version == "0.45.1"), "{entries:?}");
        // An importer's dependency is no entry of its own.
        assert!(
            entries
                .iter()
                .all(|e| e.name != "." && e.name != "importers"),
            "{entries:?}"
        );
    }
}
