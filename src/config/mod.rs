//! Settings and suppression: `muslcheck.toml` (or `[tool.muslcheck]` in
//! `pyproject.toml`) layered under the command line, the [`Options`] a scan
//! runs with, the [`FailOn`] threshold, `[[ignore]]` rules and baselines.
//!
//! ```toml
//! target = "alpine:3.20"
//! targets = ["alpine:3.20", "debian:12-slim", "distroless/cc"]   # muslcheck matrix
//! arch = "x86_64"
//! gcompat = false
//! fail-on = "error"
//! exclude = ["docs/**"]
//! offline = false
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

pub mod baseline;
mod ignore;

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use crate::discover::{
    Excludes, METADATA_CAP, ReadError, ScannedPaths, WalkOptions, read_found_text, read_text_file,
};
use crate::model::{Arch, Severity};
use crate::platform::{Platform, Target};

pub use ignore::{IgnoreEntry, IgnoreRule};

/// The file names looked for in the scanned root, in order.
pub const CONFIG_FILE: &str = "muslcheck.toml";
const PYPROJECT: &str = "pyproject.toml";

/// What a scan runs with.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// What the files must run on.
    pub platform: Platform,
    pub walk: WalkOptions,
    /// Accepted findings (`[[ignore]]` in the config), left out of the report.
    pub ignore: Vec<IgnoreRule>,
    /// Whether and where the package index is asked about the packages found.
    pub index: IndexOptions,
}

/// How the package index (PyPI, the npm registry) is asked.
#[derive(Debug, Clone, Default)]
pub struct IndexOptions {
    pub lookups: IndexLookups,
    /// The PyPI simple index (`https://pypi.org/simple`); `None`: from
    /// `PIP_INDEX_URL`, `UV_INDEX_URL`, `UV_DEFAULT_INDEX`, pip.conf, else PyPI.
    pub pypi_url: Option<String>,
    /// The npm registry; `None`: from `npm_config_registry`, `.npmrc`, else npmjs.
    pub npm_url: Option<String>,
    /// Whether `registry=` in the scanned project's `.npmrc` is used. Off
    /// unless the scan's settings come from the scanned tree too: a pull
    /// request's `.npmrc` would choose where the lookups go and what they
    /// answer.
    pub project_npmrc: bool,
    /// Where index documents are cached; `None`: the user's cache directory.
    pub cache_dir: Option<PathBuf>,
    /// The target's CPython 3 minor version (`12` for 3.12); `None`: the one
    /// the installed extension modules were built for.
    pub python_minor: Option<u32>,
    /// The whole of one request; `None`: `MUSLCHECK_INDEX_TIMEOUT` seconds, else 20 s.
    pub timeout: Option<std::time::Duration>,
    /// All the requests of a scan; `None`: 120 s, or one request's timeout
    /// when longer. Past it no request goes out (the cache answers the rest).
    pub total_timeout: Option<std::time::Duration>,
}

/// Whether the package index is asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IndexLookups {
    /// Not at all (the library's default: a scan makes no network request
    /// unless asked to).
    #[default]
    Off,
    /// From the cache only, whatever its age (`--offline`, `offline = true`,
    /// `MUSLCHECK_OFFLINE=1`).
    CacheOnly,
    /// The network, with the cache in front (the command line's default).
    Online,
}

/// The severity at or above which the scan fails (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::Note => "note",
            FailOn::Never => "never",
        }
    }

    /// The lowest severity that fails the scan; `None` for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

impl FromStr for FailOn {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "error" => Ok(FailOn::Error),
            "warning" => Ok(FailOn::Warning),
            "note" => Ok(FailOn::Note),
            "never" => Ok(FailOn::Never),
            other => Err(format!(
                "unknown --fail-on level `{other}`; expected error, warning, note or never"
            )),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "could not read the config file {path}: {source}; fix or remove it, or run with \
         --no-config (or --config FILE)"
    )]
    Read { path: String, source: ReadError },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Settings from a file or the command line, parsed into their types as
/// they are read; unset fields fall through to the layer below (command line
/// over file over defaults).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    #[serde(default, deserialize_with = "parsed")]
    pub target: Option<Target>,
    /// The columns of `muslcheck matrix` when no `--target` is given.
    #[serde(default, deserialize_with = "parsed_list")]
    pub targets: Vec<Target>,
    #[serde(default, deserialize_with = "parsed")]
    pub arch: Option<Arch>,
    pub gcompat: Option<bool>,
    #[serde(default, deserialize_with = "parsed")]
    pub fail_on: Option<FailOn>,
    pub follow_symlinks: Option<bool>,
    pub all_files: Option<bool>,
    /// No package index requests: cached answers only.
    pub offline: Option<bool>,
    /// Globs relative to the scanned root; file and command line add up.
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<IgnoreEntry>,
}

/// A string field parsed with the type's own `FromStr`, whose message is kept.
fn parsed<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let text = String::deserialize(deserializer)?;
    text.parse().map(Some).map_err(serde::de::Error::custom)
}

/// A list of strings, each parsed with the type's own `FromStr`.
fn parsed_list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    Vec::<String>::deserialize(deserializer)?
        .iter()
        .map(|text| text.parse().map_err(serde::de::Error::custom))
        .collect()
}

/// A config file found or given, and what it holds.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
    /// Found in the scanned directory (not named with `--config`): in CI it
    /// comes with the change being checked, so what it relaxes is said.
    pub discovered: bool,
}

/// What a config file did to one scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigEffects {
    /// Each setting the file gave that the command line did not override,
    /// with its consequence: `fail-on = "never": no finding can fail this scan`.
    pub settings: Vec<String>,
    /// A short phrase for each of those that can keep a finding from
    /// failing the scan: `lowered fail-on to never`, `ignored 3 finding(s)`.
    pub relaxed: Vec<String>,
}

impl Loaded {
    /// What this file changed in a scan run with `command_line` (whose
    /// settings win), given how many findings each `[[ignore]]` rule took
    /// (`Summary::ignored_by_rule`, in the file's order).
    pub fn effects(&self, command_line: &Config, ignored_by_rule: &[usize]) -> ConfigEffects {
        let file = &self.config;
        let mut effects = ConfigEffects::default();
        if let (Some(target), None) = (&file.target, &command_line.target) {
            effects.settings.push(format!("target = \"{target}\""));
        }
        if !file.targets.is_empty() && command_line.targets.is_empty() {
            let names: Vec<String> = file.targets.iter().map(|t| format!("\"{t}\"")).collect();
            effects.settings.push(format!(
                "targets = [{}] (muslcheck matrix)",
                names.join(", ")
            ));
        }
        if let (Some(arch), None) = (file.arch, command_line.arch) {
            effects.settings.push(format!("arch = \"{arch}\""));
        }
        if let (Some(gcompat), None) = (file.gcompat, command_line.gcompat) {
            if gcompat {
                effects.settings.push(
                    "gcompat = true: files that load with gcompat are not counted as breaking"
                        .to_string(),
                );
                effects.relaxed.push("assumed gcompat".to_string());
            } else {
                effects.settings.push("gcompat = false".to_string());
            }
        }
        if let (Some(fail_on), None) = (file.fail_on, command_line.fail_on) {
            let name = fail_on.as_str();
            if fail_on == FailOn::Never {
                effects.settings.push(format!(
                    "fail-on = \"{name}\": no finding can fail this scan"
                ));
                effects.relaxed.push(format!("lowered fail-on to {name}"));
            } else {
                effects.settings.push(format!("fail-on = \"{name}\""));
            }
        }
        if let (Some(follow), None) = (file.follow_symlinks, command_line.follow_symlinks) {
            if follow {
                effects.settings.push(
                    "follow-symlinks = true (links leading outside the scanned paths are still not followed)"
                        .to_string(),
                );
                effects.relaxed.push("followed symlinks".to_string());
            } else {
                effects.settings.push("follow-symlinks = false".to_string());
            }
        }
        if let (Some(all_files), None) = (file.all_files, command_line.all_files) {
            effects.settings.push(format!("all-files = {all_files}"));
        }
        if let (Some(offline), None) = (file.offline, command_line.offline) {
            effects.settings.push(if offline {
                "offline = true: no package index requests, cached answers only".to_string()
            } else {
                "offline = false".to_string()
            });
        }
        if !file.exclude.is_empty() {
            effects.settings.push(format!(
                "exclude = {:?}: matching paths are not scanned",
                file.exclude
            ));
            effects
                .relaxed
                .push(format!("excluded {}", file.exclude.join(", ")));
        }
        for (index, entry) in file.ignore.iter().enumerate() {
            let count = ignored_by_rule.get(index).copied().unwrap_or(0);
            effects.settings.push(format!(
                "[[ignore]] #{} ({}): {count} finding(s) ignored, reason: {:?}",
                index + 1,
                entry.label(),
                entry.reason
            ));
        }
        let ignored: usize = ignored_by_rule.iter().sum();
        if ignored > 0 {
            effects
                .relaxed
                .push(format!("ignored {ignored} finding(s)"));
        }
        effects
    }
}

impl Config {
    /// Reads `path`: a `muslcheck.toml`, or a `pyproject.toml` whose
    /// `[tool.muslcheck]` table is used (`Ok(None)` when it has none).
    pub fn read(path: &Path) -> Result<Option<Config>, ConfigError> {
        Config::read_from(path, None)
    }

    /// [`Config::read`]; a config found in `scanned` (not named by the user)
    /// is read through a symlink only when it stays inside the scanned paths.
    fn read_from(
        path: &Path,
        scanned: Option<&ScannedPaths>,
    ) -> Result<Option<Config>, ConfigError> {
        let shown = path.display().to_string();
        let text = match scanned {
            Some(scanned) => read_found_text(path, METADATA_CAP, scanned),
            None => read_text_file(path, METADATA_CAP),
        }
        .map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let is_pyproject = path.file_name().is_some_and(|n| n == PYPROJECT);
        Config::parse(&text, is_pyproject).map_err(|message| ConfigError::Invalid {
            path: shown,
            message,
        })
    }

    /// A config file's text: a `muslcheck.toml`, or with `pyproject` a
    /// `pyproject.toml` whose `[tool.muslcheck]` table is used (`Ok(None)`
    /// when it has none). The settings are checked as well (globs, ignore
    /// rules); the error says what is wrong.
    pub fn parse(text: &str, pyproject: bool) -> Result<Option<Config>, String> {
        let config = if pyproject {
            let document: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
            let section = document
                .get("tool")
                .and_then(|tool| tool.get("muslcheck"))
                .cloned();
            match section {
                None => return Ok(None),
                Some(section) => section
                    .try_into::<Config>()
                    .map_err(|e| format!("[tool.muslcheck]: {e}"))?,
            }
        } else {
            toml::from_str(text).map_err(|e| e.to_string())?
        };
        config.settings()?;
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
                discovered: false,
            }));
        }
        let Some(root) = roots.first().filter(|r| r.is_dir()) else {
            return Ok(None);
        };
        let scanned = ScannedPaths::new(roots);
        for name in [CONFIG_FILE, PYPROJECT] {
            let path = root.join(name);
            // Whatever holds the name is read (a FIFO or a directory there is an
            // error, not silently skipped); a root that cannot be entered is
            // left to the scan to report.
            match std::fs::symlink_metadata(&path) {
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    ) =>
                {
                    continue;
                }
                _ => {}
            }
            if let Some(config) = Config::read_from(&path, Some(&scanned))? {
                return Ok(Some(Loaded {
                    path,
                    config,
                    discovered: true,
                }));
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
            targets: if self.targets.is_empty() {
                lower.targets
            } else {
                self.targets
            },
            arch: self.arch.or(lower.arch),
            gcompat: self.gcompat.or(lower.gcompat),
            fail_on: self.fail_on.or(lower.fail_on),
            follow_symlinks: self.follow_symlinks.or(lower.follow_symlinks),
            all_files: self.all_files.or(lower.all_files),
            offline: self.offline.or(lower.offline),
            exclude,
            ignore,
        }
    }

    /// The scan options and failure threshold these settings give.
    pub fn settings(&self) -> Result<(Options, FailOn), String> {
        let target = self.target.clone().unwrap_or_else(Target::newest_alpine);
        let arch = self.arch.unwrap_or_else(Arch::host);
        let exclude = Excludes::new(&self.exclude).map_err(|e| e.to_string())?;
        let ignore = self
            .ignore
            .iter()
            .enumerate()
            .map(|(i, entry)| IgnoreRule::new(entry).map_err(|e| format!("ignore #{}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let platform = Platform::new(target, arch, self.gcompat.unwrap_or(false));
        platform.validate()?;
        let options = Options {
            platform,
            walk: WalkOptions {
                follow_symlinks: self.follow_symlinks.unwrap_or(false),
                all_files: self.all_files.unwrap_or(false),
                exclude,
            },
            ignore,
            index: IndexOptions {
                lookups: if self.offline.unwrap_or(false) {
                    IndexLookups::CacheOnly
                } else {
                    IndexLookups::Online
                },
                ..IndexOptions::default()
            },
        };
        Ok((options, self.fail_on.unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let err = toml::from_str::<Config>("traget = \"alpine\"\n").unwrap_err();
        assert!(err.to_string().contains("traget"), "{err}");
        let err =
            toml::from_str::<Config>("[[ignore]]\ncode = \"MC102\"\nreasn = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("reasn"), "{err}");
        let err = toml::from_str::<Config>("target = \"alpine:2.0\"\n").unwrap_err();
        assert!(err.to_string().contains("no facts for Alpine 2.0"), "{err}");
        let err = toml::from_str::<Config>("fail-on = \"sometimes\"\n").unwrap_err();
        assert!(err.to_string().contains("sometimes"), "{err}");
    }

    #[test]
    fn command_line_overrides_the_file() {
        let file = Config {
            target: Some("alpine:3.18".parse().unwrap()),
            gcompat: Some(true),
            exclude: vec!["a/**".into()],
            ..Config::default()
        };
        let cli = Config {
            target: Some("musl:1.2.3".parse().unwrap()),
            exclude: vec!["b/**".into()],
            ..Config::default()
        };
        let merged = cli.over(file);
        assert_eq!(merged.target, Some("musl:1.2.3".parse().unwrap()));
        assert_eq!(merged.gcompat, Some(true));
        assert_eq!(merged.exclude, ["a/**", "b/**"]);
        let (options, fail_on) = merged.settings().unwrap();
        assert!(options.platform.gcompat && !options.platform.gcompat_installed());
        assert_eq!(fail_on, FailOn::Error);
    }
}
