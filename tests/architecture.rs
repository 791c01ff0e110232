//! The house rules of docs/ARCHITECTURE.md, checked on the source: every
//! module imports only the modules below it, `model` imports nothing of the
//! crate, `report` never imports the pipeline, and `elf` names no
//! distribution.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top to bottom; a module may import only modules of the layers below its
/// own. `report` and `scan` share a layer, so neither imports the other.
const LAYERS: &[&[&str]] = &[
    &["report", "scan"],
    &["index"],
    &["config"],
    &["discover"],
    &["check"],
    &["ecosystem"],
    &["platform"],
    &["elf"],
    &["progress"],
    &["model"],
];

fn allowed(from: &str, to: &str) -> bool {
    let position = |name: &str| LAYERS.iter().position(|layer| layer.contains(&name));
    match (position(from), position(to)) {
        (Some(from), Some(to)) => to > from,
        // Not a layered module (fuzz_entry, lib.rs): not judged here.
        _ => true,
    }
}

/// `crate::name` references in every file of `src/`, by top-level module.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = entry.path().strip_prefix(&src).unwrap();
        let first = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let grouped = rest.starts_with('{');
            let names: Vec<String> = if grouped {
                let inner = &rest[1..rest.find('}').unwrap()];
                inner
                    .split(',')
                    .map(|part| part.trim().split("::").next().unwrap().to_string())
                    .filter(|name| !name.is_empty())
                    .collect()
            } else {
                vec![
                    rest.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect(),
                ]
            };
            for name in names {
                if name != module {
                    edges.entry(module.clone()).or_default().insert(name);
                }
            }
        }
    }
    edges
}

#[test]
fn every_import_points_down_the_layers() {
    let edges = imports();
    assert!(
        edges.get("scan").is_some_and(|to| to.contains("check")),
        "the scan → check edge is seen: {edges:?}"
    );
    let wrong: Vec<String> = edges
        .iter()
        .flat_map(|(from, tos)| {
            tos.iter()
                .filter(|to| !allowed(from, to))
                .map(move |to| format!("{from} → {to}"))
        })
        .collect();
    assert!(wrong.is_empty(), "imports against the layers: {wrong:?}");
    assert!(
        !edges.contains_key("model"),
        "model imports nothing of the crate: {:?}",
        edges.get("model")
    );
    assert!(!edges.get("report").is_some_and(|to| to.contains("scan")));
}

#[test]
fn the_layer_check_catches_an_upward_import() {
    assert!(!allowed("model", "elf"));
    assert!(!allowed("report", "scan"));
    assert!(!allowed("elf", "platform"));
    assert!(allowed("scan", "check"));
}

#[test]
fn elf_names_no_distribution() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/elf");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
        for name in ["alpine", "debian", "ubuntu", "wolfi", "apk add"] {
            assert!(!text.contains(name), "{} mentions {name}", path.display());
        }
    }
}
