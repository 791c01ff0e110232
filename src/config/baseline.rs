//! Baselines: accept today's findings, fail only on new ones.
//!
//! A finding's fingerprint is its code, its package name (not version) and its
//! path with version segments removed, so upgrading a package or pnpm's
//! `.pnpm/<name>@<version>/` directory does not make old findings look new.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::discover::{METADATA_CAP, read_text_file, write_atomically};
use crate::model::{Artifact, Finding, Report};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fingerprint {
    pub code: String,
    pub package: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    pub schema_version: u32,
    pub fingerprints: BTreeSet<Fingerprint>,
}

/// `node_modules/.pnpm/bcrypt@6.0.0/node_modules/bcrypt/x.node` →
/// `node_modules/.pnpm/bcrypt@/node_modules/bcrypt/x.node`.
fn version_independent(path: &str) -> String {
    path.split('/')
        .map(|part| match part.get(1..).and_then(|rest| rest.find('@')) {
            Some(at) => part.get(..at + 2).unwrap_or(part).to_string(),
            None => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The fingerprint of one finding.
pub fn fingerprint(artifact: &Artifact, finding: &Finding) -> Fingerprint {
    Fingerprint {
        code: finding.code.id().to_string(),
        package: artifact
            .package
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        path: version_independent(artifact.path.as_str()),
    }
}

fn fingerprints(report: &Report) -> impl Iterator<Item = Fingerprint> + '_ {
    report
        .artifacts
        .iter()
        .flat_map(|a| a.findings().iter().map(move |f| fingerprint(a, f)))
}

/// Reads a baseline file; the error says what failed and what to do.
pub fn read(path: &std::path::Path) -> Result<Baseline, String> {
    let text = read_text_file(path, METADATA_CAP).map_err(|e| {
        format!(
            "could not read the baseline {}: {e}; write one with --write-baseline",
            path.display()
        )
    })?;
    parse(&text).map_err(|e| {
        format!(
            "{} is not a muslcheck baseline: {e}; rewrite it with --write-baseline",
            path.display()
        )
    })
}

/// A baseline file's text; the error says what is wrong in it.
pub fn parse(text: &str) -> Result<Baseline, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Writes a baseline file whole or not at all (the old one stays until the
/// new one is complete).
pub fn write(path: &std::path::Path, baseline: &Baseline) -> Result<(), String> {
    let text = serde_json::to_string_pretty(baseline).map_err(|e| e.to_string())?;
    write_atomically(path, (text + "\n").as_bytes()).map_err(|e| {
        format!(
            "could not write the baseline {}: {e}; the previous file (if any) is unchanged; \
             check the directory is writable and has space",
            path.display()
        )
    })
}

/// Today's findings as a baseline.
pub fn create(report: &Report) -> Baseline {
    Baseline {
        schema_version: 1,
        fingerprints: fingerprints(report).collect(),
    }
}

/// Removes the findings the baseline accepts; returns how many baseline
/// entries no longer occur.
pub fn apply(report: &mut Report, baseline: &Baseline) -> usize {
    let seen: BTreeSet<Fingerprint> = fingerprints(report).collect();
    let stale = baseline
        .fingerprints
        .iter()
        .filter(|fp| !seen.contains(fp))
        .count();
    report.remove_findings(|artifact, finding| {
        baseline
            .fingerprints
            .contains(&fingerprint(artifact, finding))
    });
    stale
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_do_not_change_fingerprints() {
        assert_eq!(
            version_independent("node_modules/.pnpm/bcrypt@6.0.0/node_modules/bcrypt/x.node"),
            "node_modules/.pnpm/bcrypt@/node_modules/bcrypt/x.node"
        );
        assert_eq!(
            version_independent("node_modules/.pnpm/@img+sharp@0.33.5/x"),
            "node_modules/.pnpm/@img+sharp@/x"
        );
        assert_eq!(version_independent("lib/libfoo.so"), "lib/libfoo.so");
    }
}
