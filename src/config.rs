//! Project configuration: `muslcheck.toml`, or `[tool.muslcheck]` in
//! `pyproject.toml`, merged under the command line.
//!
//! ```toml
//! target = "alpine:3.20"
//! arch = "x86_64"
//! gcompat = false
//! fail-on = "error"
//! exclude = ["docs/**"]
//!
//! [[ignore]]
//! code = "MC102"
//! path = "vendor/**"
//! reason = "vendored tools run in the build stage only"
//!
//! [[ignore]]
//! package = "bcrypt"
//! version = "<6"
//! reason = "replaced by bcryptjs in the Alpine image"
//! ```

use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use crate::check::{Code, Finding};
use crate::discover::WalkOptions;
use crate::ecosystem::python::normalize_name;
use crate::ecosystem::python_lock::version_less;
use crate::elf::Arch;
use crate::report::FailOn;
use crate::scan::{Artifact, Options};
use crate::target::Target;

/// The file names looked for in the scanned root, in order.
pub const CONFIG_FILE: &str = "muslcheck.toml";
const PYPROJECT: &str = "pyproject.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Settings from a file or the command line; unset fields fall through to
/// the layer below (command line over file over defaults).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    pub target: Option<String>,
    pub arch: Option<String>,
    pub gcompat: Option<bool>,
    pub fail_on: Option<String>,
    pub follow_symlinks: Option<bool>,
    pub all_files: Option<bool>,
    /// Globs relative to the scanned root; file and command line add up.
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<IgnoreEntry>,
}

/// One `[[ignore]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    pub code: Option<String>,
    pub path: Option<String>,
    pub package: Option<String>,
    pub version: Option<String>,
    pub reason: String,
}

/// A config file found or given, and what it holds.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
}

impl Config {
    /// Reads `path`: a `muslcheck.toml`, or a `pyproject.toml` whose
    /// `[tool.muslcheck]` table is used (`Ok(None)` when it has none).
    pub fn read(path: &Path) -> Result<Option<Config>, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: shown.clone(),
            message,
        };
        let is_pyproject = path.file_name().is_some_and(|n| n == PYPROJECT);
        let config = if is_pyproject {
            let document: toml::Table =
                toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
            let section = document
                .get("tool")
                .and_then(|tool| tool.get("muslcheck"))
                .cloned();
            match section {
                None => return Ok(None),
                Some(section) => section
                    .try_into::<Config>()
                    .map_err(|e| invalid(format!("[tool.muslcheck]: {e}")))?,
            }
        } else {
            toml::from_str(&text).map_err(|e| invalid(e.to_string()))?
        };
        config.validate().map_err(invalid)?;
        Ok(Some(config))
    }

    /// The config for a scan: `explicit` when given, else `muslcheck.toml` or
    /// `pyproject.toml` `[tool.muslcheck]` in the first scanned directory.
    pub fn find(roots: &[PathBuf], explicit: Option<&Path>) -> Result<Option<Loaded>, ConfigError> {
        if let Some(path) = explicit {
            let config = Config::read(path)?.ok_or_else(|| ConfigError::Invalid {
                path: path.display().to_string(),
                message: "has no [tool.muslcheck] table".to_string(),
            })?;
            return Ok(Some(Loaded {
                path: path.to_path_buf(),
                config,
            }));
        }
        let Some(root) = roots.first().filter(|r| r.is_dir()) else {
            return Ok(None);
        };
        for name in [CONFIG_FILE, PYPROJECT] {
            let path = root.join(name);
            if path.is_file() {
                if let Some(config) = Config::read(&path)? {
                    return Ok(Some(Loaded { path, config }));
                }
            }
        }
        Ok(None)
    }

    /// `self` (the command line) over `lower` (the file).
    pub fn over(self, lower: Config) -> Config {
        let mut exclude = lower.exclude;
        exclude.extend(self.exclude);
        let mut ignore = lower.ignore;
        ignore.extend(self.ignore);
        Config {
            target: self.target.or(lower.target),
            arch: self.arch.or(lower.arch),
            gcompat: self.gcompat.or(lower.gcompat),
            fail_on: self.fail_on.or(lower.fail_on),
            follow_symlinks: self.follow_symlinks.or(lower.follow_symlinks),
            all_files: self.all_files.or(lower.all_files),
            exclude,
            ignore,
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.settings().map(|_| ())
    }

    /// The scan options and failure threshold these settings give.
    pub fn settings(&self) -> Result<(Options, FailOn), String> {
        let target: Target = self
            .target
            .as_deref()
            .unwrap_or("alpine")
            .parse()
            .map_err(|e| format!("target: {e}"))?;
        let arch = match self.arch.as_deref() {
            Some(arch) => arch.parse::<Arch>().map_err(|e| format!("arch: {e}"))?,
            None => Arch::host(),
        };
        let fail_on: FailOn = self.fail_on.as_deref().unwrap_or("error").parse()?;
        for glob in &self.exclude {
            Glob::new(glob).map_err(|e| format!("exclude `{glob}`: {e}"))?;
        }
        let ignore = self
            .ignore
            .iter()
            .enumerate()
            .map(|(i, entry)| IgnoreRule::new(entry).map_err(|e| format!("ignore #{}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let options = Options {
            target,
            arch,
            gcompat: self.gcompat.unwrap_or(false),
            walk: WalkOptions {
                follow_symlinks: self.follow_symlinks.unwrap_or(false),
                all_files: self.all_files.unwrap_or(false),
                exclude: self.exclude.clone(),
            },
            ignore,
        };
        Ok((options, fail_on))
    }
}

/// A comparison in a version range such as `>=5, <6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
}

#[derive(Debug, Clone)]
struct VersionRange(Vec<(Comparison, String)>);

impl VersionRange {
    fn parse(text: &str) -> Result<VersionRange, String> {
        let mut parts = Vec::new();
        for part in text.split(',').map(str::trim) {
            let (comparison, version) = [
                ("<=", Comparison::LessOrEqual),
                (">=", Comparison::GreaterOrEqual),
                ("==", Comparison::Equal),
                ("!=", Comparison::NotEqual),
                ("<", Comparison::Less),
                (">", Comparison::Greater),
                ("=", Comparison::Equal),
            ]
            .iter()
            .find_map(|(op, c)| part.strip_prefix(op).map(|rest| (*c, rest.trim())))
            .unwrap_or((Comparison::Equal, part));
            if !version.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(format!(
                    "version `{text}`: expected comparisons like `<6`, `>=5.1, <6` or `5.1.1`"
                ));
            }
            parts.push((comparison, version.to_string()));
        }
        Ok(VersionRange(parts))
    }

    fn contains(&self, version: &str) -> bool {
        self.0.iter().all(|(comparison, bound)| {
            let less = version_less(version, bound);
            let greater = version_less(bound, version);
            match comparison {
                Comparison::Less => less,
                Comparison::LessOrEqual => !greater,
                Comparison::Greater => greater,
                Comparison::GreaterOrEqual => !less,
                Comparison::Equal => !less && !greater,
                Comparison::NotEqual => less || greater,
            }
        })
    }
}

/// A checked `[[ignore]]` entry.
#[derive(Debug, Clone)]
pub struct IgnoreRule {
    code: Option<Code>,
    path: Option<GlobMatcher>,
    package: Option<String>,
    version: Option<VersionRange>,
    pub reason: String,
}

impl IgnoreRule {
    fn new(entry: &IgnoreEntry) -> Result<IgnoreRule, String> {
        if entry.reason.trim().is_empty() {
            return Err("`reason` must say why the finding is accepted".to_string());
        }
        if entry.code.is_none() && entry.package.is_none() {
            return Err("give `code` (with an optional `path`) or `package`".to_string());
        }
        if entry.version.is_some() && entry.package.is_none() {
            return Err("`version` needs `package`".to_string());
        }
        Ok(IgnoreRule {
            code: entry.code.as_deref().map(str::parse).transpose()?,
            path: entry
                .path
                .as_deref()
                .map(|glob| {
                    Glob::new(glob)
                        .map(|g| g.compile_matcher())
                        .map_err(|e| format!("path `{glob}`: {e}"))
                })
                .transpose()?,
            package: entry.package.as_deref().map(normalize_name),
            version: entry
                .version
                .as_deref()
                .map(VersionRange::parse)
                .transpose()?,
            reason: entry.reason.clone(),
        })
    }

    /// Whether this rule accepts `finding` of `artifact`.
    pub fn matches(&self, artifact: &Artifact, finding: &Finding) -> bool {
        if self.code.is_some_and(|code| code != finding.code) {
            return false;
        }
        if let Some(glob) = &self.path {
            // An archive member also matches by the archive's own path.
            let container = artifact.path.split("!/").next().unwrap_or_default();
            if !glob.is_match(&artifact.path) && !glob.is_match(container) {
                return false;
            }
        }
        if let Some(name) = &self.package {
            let Some(package) = &artifact.package else {
                return false;
            };
            if normalize_name(&package.name) != *name {
                return false;
            }
            if let Some(range) = &self.version {
                if !range.contains(&package.version) {
                    return false;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ranges() {
        let below_six = VersionRange::parse("<6").unwrap();
        assert!(below_six.contains("5.1.1"));
        assert!(!below_six.contains("6.0.0"));
        let window = VersionRange::parse(">=1.24, <1.25").unwrap();
        assert!(window.contains("1.24.4"));
        assert!(!window.contains("1.25.0"));
        assert!(!window.contains("1.23.9"));
        assert!(VersionRange::parse("5.1.1").unwrap().contains("5.1.1"));
        assert!(!VersionRange::parse("==5.1.1").unwrap().contains("5.1.2"));
        assert!(VersionRange::parse("!=5.1.1").unwrap().contains("5.1.2"));
        assert!(VersionRange::parse("~5").is_err());
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = toml::from_str::<Config>("traget = \"alpine\"\n").unwrap_err();
        assert!(err.to_string().contains("traget"), "{err}");
        let err =
            toml::from_str::<Config>("[[ignore]]\ncode = \"MC102\"\nreasn = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("reasn"), "{err}");
    }

    #[test]
    fn ignore_entries_are_checked() {
        let entry =
            |code: Option<&str>, package: Option<&str>, version: Option<&str>, reason: &str| {
                IgnoreEntry {
                    code: code.map(String::from),
                    path: None,
                    package: package.map(String::from),
                    version: version.map(String::from),
                    reason: reason.to_string(),
                }
            };
        assert!(IgnoreRule::new(&entry(Some("MC102"), None, None, "ok")).is_ok());
        assert!(IgnoreRule::new(&entry(Some("MC999"), None, None, "ok")).is_err());
        assert!(IgnoreRule::new(&entry(Some("MC102"), None, None, " ")).is_err());
        assert!(IgnoreRule::new(&entry(None, None, None, "ok")).is_err());
        assert!(IgnoreRule::new(&entry(Some("MC102"), None, Some("<6"), "ok")).is_err());
        assert!(IgnoreRule::new(&entry(None, Some("bcrypt"), Some("<6"), "ok")).is_ok());
    }

    #[test]
    fn command_line_overrides_the_file() {
        let file = Config {
            target: Some("alpine:3.18".into()),
            gcompat: Some(true),
            exclude: vec!["a/**".into()],
            ..Config::default()
        };
        let cli = Config {
            target: Some("musl:1.2.3".into()),
            exclude: vec!["b/**".into()],
            ..Config::default()
        };
        let merged = cli.over(file);
        assert_eq!(merged.target.as_deref(), Some("musl:1.2.3"));
        assert_eq!(merged.gcompat, Some(true));
        assert_eq!(merged.exclude, ["a/**", "b/**"]);
    }
}
