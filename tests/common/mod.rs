//! Helpers shared by the integration tests: run the binary, read its JSON.
#![allow(dead_code)] // Each test crate uses its own subset.

pub mod synthetic_elf;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// A committed fixture under corpus/.
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name)
}

/// `muslcheck --arch x86_64 ARGS DIR`.
pub fn muslcheck(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("muslcheck")
        .unwrap()
        .args(["--arch", "x86_64"])
        .args(args)
        .arg(dir)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap()
}

/// The JSON report of a scan of `dir`, and the exit code.
pub fn json_scan(dir: &Path, args: &[&str]) -> (Value, i32) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let output = muslcheck(dir, &all);
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output.status.code().unwrap_or(-1))
}

/// The artifact reported at `path`.
pub fn artifact<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the report: {report:#}"))
}

/// The finding codes of an artifact.
pub fn codes(artifact: &Value) -> Vec<String> {
    artifact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str().map(String::from))
        .collect()
}

/// The finding codes of the artifact at `path`; none when it is not reported.
pub fn codes_at(report: &Value, path: &str) -> Vec<String> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["path"] == path)
        .flat_map(codes)
        .collect()
}
