//! SARIF, GitHub annotations and --output.

mod common;

use std::process::Output;

use serde_json::Value;

use common::{cli, corpus, json_of, muslcheck, stderr, stdout};

/// `muslcheck --arch x86_64 ARGS corpus/`, without the fetched trees.
fn run(args: &[&str]) -> Output {
    let mut all = vec!["--exclude", "thirdparty/fetched/**"];
    all.extend_from_slice(args);
    muslcheck(&corpus(""), &all)
}

#[test]
fn sarif_has_registered_rules_and_relative_locations() {
    let output = run(&["--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1));
    let sarif = json_of(&output);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), muslcheck::model::Code::ALL.len());
    let results = run["results"].as_array().unwrap();
    assert!(results.len() > 10);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.starts_with('/') && !uri.contains("!/"), "{uri}");
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        assert!(result["partialFingerprints"]["muslcheck/v1"].is_string());
    }
    assert!(results.iter().any(|r| r["ruleId"] == "MC101"
        && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bin/hello-glibc"));
}

#[test]
fn github_format_prints_workflow_annotations() {
    let output = run(&["--format", "github"]);
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|l| l.starts_with("::error file=bin/hello-glibc,title=MC101 glibc-interpreter::")),
        "{text}"
    );
    assert!(
        text.lines().all(|l| l.starts_with("::")),
        "one command per line"
    );
}

#[test]
fn output_file_gets_the_report_and_stderr_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let output = run(&["--format", "json", "--output", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(stderr(&output).contains("files walked"));
    let mut report: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(report["schema_version"], muslcheck::SCHEMA_VERSION);
    // The same report as on stdout (written as it is rendered, in both).
    let mut printed: Value = serde_json::from_slice(&run(&["--format", "json"]).stdout).unwrap();
    for report in [&mut report, &mut printed] {
        report["summary"]["duration_ms"] = Value::Null;
    }
    assert_eq!(report, printed);
    assert!(report["artifacts"].as_array().unwrap().len() > 10);

    let output = run(&["--output", "/no/such/dir/report.txt"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("/no/such/dir/report.txt"));
}

#[test]
fn fail_on_levels_decide_the_exit_code() {
    let lock = corpus("projects/uv-numpy-1.24");
    let status = |level: &str| {
        cli(&["--fail-on", level, lock.to_str().unwrap()])
            .status
            .code()
    };
    // Only warnings there (MC304, MC201).
    assert_eq!(status("error"), Some(0));
    assert_eq!(status("warning"), Some(1));
    assert_eq!(status("never"), Some(0));
    assert_eq!(status("bogus"), Some(2));
}

#[test]
fn a_tree_built_for_another_architecture_is_said_to_be() {
    let tree = tempfile::tempdir().unwrap();
    common::copy_fixture("bin/hello-aarch64-glibc", &tree.path().join("bin/hello"));
    let hint = "Every ELF file read is built for aarch64, none for x86_64 (the architecture \
                judged): if the image runs on aarch64, pass --arch aarch64";
    let path = tree.path().to_str().unwrap();
    let text = stdout(&cli(&["--arch", "x86_64", path]));
    assert!(text.contains(hint), "{text}");
    // Judged for its own architecture, or beside a file of the judged one: no hint.
    let text = stdout(&cli(&["--arch", "aarch64", path]));
    assert!(!text.contains("Every ELF file read"), "{text}");
    assert!(text.contains("(aarch64)"), "{text}");
    common::copy_fixture("bin/hello-glibc", &tree.path().join("bin/hello-x86"));
    let text = stdout(&cli(&["--arch", "x86_64", path]));
    assert!(!text.contains("Every ELF file read"), "{text}");
}
