//! MC105: the libraries of the scanned tree that fail in a file's process,
//! said once each (a library's own failure is its own finding) and referred to.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::model::{Code, Evidence, Finding, Host};

use super::resolve::{ObjectSymbols, Resolution};
use super::tree::{TreeFile, TreeIndex};

/// A library of the scanned tree that fails in a file's process.
pub struct FailingDependency {
    pub object: usize,
    failure: DependencyFailure,
    /// The file reaches it only through other failing libraries.
    pub behind_failing: bool,
}

/// The failing libraries of the scanned tree a file's process loads, in load
/// order. MC105 names those the file reaches through libraries that load;
/// one it reaches only through failing libraries is named by their own
/// findings, unless their own process does not fail on it (see
/// `check::assess_all`).
pub fn failing_dependencies(root: usize, resolution: &Resolution) -> Vec<FailingDependency> {
    let mut missing_libraries: HashMap<usize, Vec<&str>> = HashMap::new();
    for (object, library) in &resolution.missing_libraries {
        missing_libraries
            .entry(*object)
            .or_default()
            .push(library.name.as_str());
    }
    let failure = |object: usize| {
        let symbols = resolution.symbols.get(&object);
        let missing_here = missing_libraries.get(&object);
        let named = missing_here
            .into_iter()
            .flatten()
            .take(NAMED_FAILURES)
            .map(|name| name.to_string())
            .collect();
        let failure = DependencyFailure {
            named,
            // Also those that fail because a library it needs is missing
            // (its own MC103 counts them; the loader reports each).
            missing_symbols: symbols
                .map_or(0, |s| s.missing_count() + s.from_missing_libraries.len()),
            deferrable_symbols: symbols.map_or(0, ObjectSymbols::deferrable_count),
            missing_libraries: missing_here.map_or(0, Vec::len),
            unsupported_relocations: symbols
                .map_or(0, |s| s.unsupported_relocations.iter().map(|r| r.1).sum()),
        };
        failure.fails().then_some(failure)
    };
    // Breadth first from the file through the libraries that load.
    let mut reached_through_loading: HashSet<usize> = HashSet::new();
    let mut seen: HashSet<usize> = HashSet::from([root]);
    let mut queue = VecDeque::from([root]);
    while let Some(object) = queue.pop_front() {
        for &needed in resolution.tree_needs.get(&object).into_iter().flatten() {
            if !seen.insert(needed) {
                continue;
            }
            reached_through_loading.insert(needed);
            if failure(needed).is_none() {
                queue.push_back(needed);
            }
        }
    }
    resolution
        .objects
        .iter()
        .skip(1)
        .filter_map(|&object| {
            Some(FailingDependency {
                object,
                failure: failure(object)?,
                behind_failing: !reached_through_loading.contains(&object),
            })
        })
        .collect()
}

/// MC105: the file loads `dependency`, which fails.
pub fn dependency_breaks(
    index: &TreeIndex,
    dependency: &FailingDependency,
    host: Option<&Host>,
) -> Option<Finding> {
    let file = index.file(dependency.object)?;
    Some(describe_dependency(file, &dependency.failure, host))
}

/// How many of the libraries a loaded library lacks MC105 names.
const NAMED_FAILURES: usize = 3;

/// How much of a loaded library fails.
struct DependencyFailure {
    /// The first libraries it lacks in the process, by name.
    named: Vec<String>,
    missing_symbols: usize,
    /// Of those, the ones only a PLT or GOT entry names (a lazy dlopen
    /// leaves them unbound).
    deferrable_symbols: usize,
    missing_libraries: usize,
    unsupported_relocations: usize,
}

impl DependencyFailure {
    fn fails(&self) -> bool {
        self.missing_symbols + self.missing_libraries + self.unsupported_relocations > 0
    }

    /// Whether a lazy dlopen of the dependency succeeds: nothing fails
    /// but names a PLT or GOT entry leaves for later.
    fn only_deferrable(&self) -> bool {
        self.missing_libraries == 0
            && self.unsupported_relocations == 0
            && self.deferrable_symbols == self.missing_symbols
    }
}

fn describe_dependency(
    file: &TreeFile,
    failure: &DependencyFailure,
    host: Option<&Host>,
) -> Finding {
    // musl's lazy dlopen (Node, the JVM, Ruby) loads such a dependency.
    let lazy_host = host
        .filter(|host| !host.dlopens_now() && !file.facts.bind_now && failure.only_deferrable())
        .map(Host::name);
    let message = match lazy_host {
        Some(host) => format!(
            "loads {} from the scanned tree, which lacks {} symbol(s) that {host}'s lazy dlopen \
             leaves unbound: it loads, and the process dies (SIGSEGV) at the first use of one",
            file.shown, failure.missing_symbols
        ),
        None => {
            let mut parts = Vec::new();
            if failure.missing_symbols > 0 {
                parts.push(format!("{} missing symbol(s)", failure.missing_symbols));
            }
            if failure.missing_libraries > 0 {
                parts.push(format!("{} missing librar(ies)", failure.missing_libraries));
            }
            if failure.unsupported_relocations > 0 {
                parts.push("unsupported relocations".to_string());
            }
            let named = match failure.named.as_slice() {
                [] => String::new(),
                named => format!("; it lacks {}", named.join(", ")),
            };
            format!(
                "loads {} from the scanned tree, which fails in this process: {}{named}",
                file.shown,
                parts.join(", "),
            )
        }
    };
    Finding::new(
        Code::DependencyBreaks,
        message,
        Evidence::Dependency {
            path: file.shown.to_string(),
            missing_symbols: failure.missing_symbols,
            missing_libraries: failure.missing_libraries,
            unsupported_relocations: failure.unsupported_relocations,
        },
    )
    // What fails may fail only here (a library it needs is found through
    // another program's RUNPATH), so its own findings need not say it.
    .with_remedy(if failure.named.is_empty() {
        format!("fix {} first (see its own findings)", file.shown)
    } else {
        format!(
            "fix {}, which lacks {} in this process",
            file.shown,
            failure.named.join(", ")
        )
    })
}
