//! `[[ignore]]` rules: findings a team has accepted, by code, path glob,
//! package and version range. A reason is required.

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use crate::ecosystem::python::normalize_name;
use crate::model::{Artifact, Code, Finding, Version};

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

impl IgnoreEntry {
    /// What the entry matches, as written: `code = "MC102", path = "vendor/**"`.
    pub fn label(&self) -> String {
        [
            ("code", &self.code),
            ("path", &self.path),
            ("package", &self.package),
            ("version", &self.version),
        ]
        .iter()
        .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key} = {v:?}")))
        .collect::<Vec<_>>()
        .join(", ")
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
            let (version, bound) = (Version::release(version), Version::release(bound));
            let (less, greater) = (version < bound, version > bound);
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
    pub fn new(entry: &IgnoreEntry) -> Result<IgnoreRule, String> {
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
            let path = &artifact.path;
            if !glob.is_match(path.as_str()) && !glob.is_match(path.outer_file()) {
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
}
