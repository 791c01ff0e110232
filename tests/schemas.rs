//! The machine outputs against their schemas: `--format json` against the
//! project's own `schema/report.schema.json`, `--format sarif` against the
//! SARIF 2.1.0 schema (`schema/sarif-2.1.0.json`, see `schema/README.md`).

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

use common::{cli, corpus, fetched, json_of};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator(schema_file: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schema").join(schema_file)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    // Formats too (`uri-reference` for SARIF artifact locations); a 2020-12
    // schema only annotates them by default.
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn output_of(args: &[&str]) -> Value {
    json_of(&cli(args))
}

/// `muslcheck --arch x86_64 --format json --fail-on never PATH`.
fn report_on(path: &Path) -> Value {
    output_of(&[
        "--arch",
        "x86_64",
        "--format",
        "json",
        "--fail-on",
        "never",
        path.to_str().unwrap(),
    ])
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Everything the repository can scan: the corpus (fixtures, wheels, the npm
/// tarball, lockfile projects) and the fetched trees when they were built.
fn scanned_trees() -> Vec<PathBuf> {
    let mut trees = vec![corpus("")];
    trees.extend(
        ["venv", "npm-glibc", "npm-musl", "npm-answers"]
            .into_iter()
            .filter_map(fetched),
    );
    // A container image: its `images` object and its members' artifacts.
    trees.extend(fetched("images").map(|dir| dir.join("app-docker-legacy.tar")));
    trees
}

#[test]
fn json_output_validates_against_the_report_schema() {
    let schema = validator("report.schema.json");
    let mut artifacts = 0;
    let mut evidence_kinds = std::collections::BTreeSet::new();
    for tree in scanned_trees() {
        for extra in [
            &[][..],
            &["--gcompat"][..],
            &["--target", "alpine:3.16"][..],
        ] {
            let mut args = vec!["--arch", "x86_64", "--format", "json", "--fail-on", "never"];
            args.extend_from_slice(extra);
            args.push(tree.to_str().unwrap());
            let report = output_of(&args);
            let problems = errors(&schema, &report);
            assert!(problems.is_empty(), "{tree:?} {extra:?}: {problems:#?}");
            for artifact in report["artifacts"].as_array().unwrap() {
                artifacts += 1;
                for finding in artifact["findings"].as_array().unwrap() {
                    evidence_kinds
                        .insert(finding["evidence"]["kind"].as_str().unwrap().to_string());
                }
            }
        }
    }
    assert!(artifacts > 100, "validated {artifacts} artifacts");
    // A package nothing answered for: its `unanswered` action and plan entry.
    let venv = common::venv_with_an_unanswered_package();
    let report = output_of(&[
        "--arch",
        "x86_64",
        "--format",
        "json",
        venv.path().to_str().unwrap(),
    ]);
    assert_eq!(
        report["plan"]["unanswered"].as_array().map(Vec::len),
        Some(1)
    );
    let problems = errors(&schema, &report);
    assert!(problems.is_empty(), "{problems:#?}");
    // A static program on scratch, which lacks its CA bundle: `copy-from-build`.
    let report = output_of(&[
        "--arch",
        "x86_64",
        "--format",
        "json",
        "--target",
        "scratch",
        corpus("image/static-certs").to_str().unwrap(),
    ]);
    assert_eq!(
        report["plan"]["copy_from_build"].as_array().map(Vec::len),
        Some(1)
    );
    let problems = errors(&schema, &report);
    assert!(problems.is_empty(), "{problems:#?}");
    // A pnpm install that must allow a package's install script.
    let project = tempfile::tempdir().unwrap();
    common::write_canvas_not_built(project.path());
    std::fs::write(
        project.path().join("pnpm-lock.yaml"),
        "lockfileVersion: '9.0'\n\npackages:\n  canvas@2.11.2:\n    resolution: {integrity: sha512-x}\n",
    )
    .unwrap();
    let report = output_of(&[
        "--arch",
        "x86_64",
        "--format",
        "json",
        "--offline",
        project.path().to_str().unwrap(),
    ]);
    assert!(
        report["plan"]["reinstall"][0]["only_built_dependencies"].is_array(),
        "{:#}",
        report["plan"]
    );
    let problems = errors(&schema, &report);
    assert!(problems.is_empty(), "{problems:#?}");
    // A library missing more symbols than a finding keeps loader lines for.
    let many = tempfile::tempdir().unwrap();
    let library = common::synthetic_elf::SharedObject {
        needed: vec!["libc.so.6".to_string()],
        undefined: (0..1_200).map(|k| format!("absent_{k}")).collect(),
        ..Default::default()
    };
    std::fs::write(many.path().join("libmany.so"), library.to_bytes()).unwrap();
    let report = report_on(many.path());
    let artifact = common::artifact(&report, "libmany.so");
    assert_eq!(
        common::finding(artifact, "MC102")["loader_messages_omitted"],
        200
    );
    let problems = errors(&schema, &report);
    assert!(problems.is_empty(), "{problems:#?}");
    // The corpus alone exercises most evidence shapes.
    for kind in [
        "read",
        "interpreter",
        "architecture",
        "symbols",
        "libraries",
        "relocations",
        "gcompat",
        "locked-wheels",
        "platform-packages",
        "known-problem",
    ] {
        assert!(
            evidence_kinds.contains(kind),
            "no `{kind}` evidence validated: {evidence_kinds:?}"
        );
    }
}

#[test]
fn the_report_schema_rejects_drift() {
    let schema = validator("report.schema.json");
    let report = report_on(&corpus("bin"));
    assert!(errors(&schema, &report).is_empty());

    let mut renamed = report.clone();
    renamed["summary"]["elf_count"] = renamed["summary"]["elf_files"].take();
    assert!(
        !errors(&schema, &renamed).is_empty(),
        "an unknown field fails"
    );

    let mut bad_verdict = report.clone();
    bad_verdict["artifacts"][0]["verdict"] = Value::from("fine");
    assert!(
        !errors(&schema, &bad_verdict).is_empty(),
        "an unknown verdict fails"
    );
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let schema = validator("sarif-2.1.0.json");
    let mut results = 0;
    for tree in scanned_trees() {
        let sarif = output_of(&[
            "--arch",
            "x86_64",
            "--format",
            "sarif",
            "--fail-on",
            "never",
            tree.to_str().unwrap(),
        ]);
        let problems = errors(&schema, &sarif);
        assert!(problems.is_empty(), "{tree:?}: {problems:#?}");
        results += sarif["runs"][0]["results"].as_array().map_or(0, Vec::len);
    }
    assert!(results > 20, "validated {results} results");

    // The schema is strict enough to catch a malformed log.
    let mut broken = output_of(&[
        "--arch",
        "x86_64",
        "--format",
        "sarif",
        "--fail-on",
        "never",
        corpus("bin").to_str().unwrap(),
    ]);
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!errors(&schema, &broken).is_empty());
}

#[test]
fn wheel_audit_json_validates_against_the_report_schema() {
    let schema = validator("report.schema.json");
    let report = output_of(&[
        "audit-wheel",
        "--format",
        "json",
        corpus("thirdparty").to_str().unwrap(),
    ]);
    assert!(
        report["artifacts"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    let problems = errors(&schema, &report);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Microsoft's SARIF Multitool, when `tools/fetch-sarif-multitool.sh` fetched it.
fn sarif_multitool() -> Option<PathBuf> {
    let tool = corpus("thirdparty/fetched/sarif-multitool/package/Sarif.Multitool");
    if tool.exists() {
        return Some(tool);
    }
    let reason = format!(
        "{} absent: run tools/fetch-sarif-multitool.sh",
        tool.display()
    );
    if std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_some() {
        panic!("{reason} (MUSLCHECK_REQUIRE_TOOLS is set)");
    }
    eprintln!("SKIPPED SARIF Multitool validation: {reason}");
    None
}

#[test]
fn sarif_multitool_with_github_rules_finds_nothing() {
    let Some(tool) = sarif_multitool() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let log = scratch.path().join("muslcheck.sarif");
    let checked = scratch.path().join("validation.sarif");
    let sarif = output_of(&[
        "--arch",
        "x86_64",
        "--format",
        "sarif",
        "--fail-on",
        "never",
        corpus("").to_str().unwrap(),
    ]);
    assert!(
        sarif["runs"][0]["results"]
            .as_array()
            .is_some_and(|r| r.len() > 20)
    );
    std::fs::write(&log, serde_json::to_string(&sarif).unwrap()).unwrap();
    let output = std::process::Command::new(&tool)
        .args(["validate", "--rule-kind", "Sarif;Gh", "-o"])
        .arg(&checked)
        .arg(&log)
        // The .NET runtime needs no telemetry or first-run setup here.
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .unwrap();
    let console = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{console}");
    let validation: Value = serde_json::from_slice(&std::fs::read(&checked).unwrap()).unwrap();
    let complaints: Vec<String> = validation["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r["ruleId"], r["message"]))
        .collect();
    assert!(complaints.is_empty(), "{complaints:#?}");
}

#[test]
fn targets_json_matches_its_schema() {
    let validator = validator("targets.schema.json");
    let output = cli(&["targets", "--format", "json"]);
    assert!(output.status.success());
    let rows = json_of(&output);
    assert!(rows.as_array().is_some_and(|rows| rows.len() >= 38));
    assert_eq!(errors(&validator, &rows), Vec::<String>::new());
    // The schema rejects drift: an unknown exactness.
    let mut drifted = rows.clone();
    drifted[0]["exactness"] = Value::from("approximate");
    assert!(!validator.is_valid(&drifted));
}
