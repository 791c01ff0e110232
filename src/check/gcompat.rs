//! gcompat's reach: whether its preload reaches the process that loads a
//! file, what it supplied (MC401), and the "would load with gcompat" hint.

use crate::model::{Code, ElfFacts, Evidence, Finding, Host, LibcKind};

use super::describe_list;
use super::provider::LibraryProvider;
use super::resolve::Resolution;
use super::tree::TreeFile;

/// Whether gcompat's preload reaches the process loading a file, and why.
pub struct Reach {
    pub reaches: bool,
    pub reason: String,
}

pub fn reach(file: &TreeFile, facts: &ElfFacts, host: Option<&Host>) -> Reach {
    let reach = |reaches, reason: String| Reach { reaches, reason };
    if facts.interpreter.is_some() && facts.libc.kind == LibcKind::Glibc {
        return reach(
            true,
            "a glibc executable: started through gcompat's loader stub, which preloads libgcompat"
                .to_string(),
        );
    }
    if let Some(host) = host {
        return reach(
            false,
            format!(
                "loaded by {} ({}); on Alpine that is a musl program, so gcompat is not preloaded unless LD_PRELOAD=/lib/libgcompat.so.0",
                host.name(),
                host.evidence
            ),
        );
    }
    let in_package_tree = ["site-packages", "dist-packages", "node_modules"]
        .iter()
        .any(|dir| file.shown.split('/').any(|part| part == *dir));
    if in_package_tree {
        return reach(
            false,
            "a library inside a Python or Node package: loaded by Alpine's musl python or node, so gcompat is not preloaded".to_string(),
        );
    }
    reach(
        true,
        "a shared library: assumed loaded by a glibc program started through gcompat's loader stub"
            .to_string(),
    )
}

/// What gcompat supplied to one load, in load order.
pub struct Usage {
    pub used: bool,
    pub symbols: Vec<String>,
    libraries: Vec<String>,
    stub: Option<String>,
}

impl Usage {
    pub fn of(resolution: &Resolution, facts: &ElfFacts, glibc_interpreter: bool) -> Usage {
        let symbols: Vec<String> = resolution
            .in_load_order()
            .flat_map(|s| s.from_gcompat.iter().cloned())
            .collect();
        let libraries: Vec<String> = resolution
            .loaded
            .iter()
            .filter(|l| l.provider == LibraryProvider::Gcompat)
            .map(|l| l.name.clone())
            .collect();
        let used = resolution.gcompat_active
            && (!symbols.is_empty() || !libraries.is_empty() || glibc_interpreter);
        let stub = facts
            .interpreter
            .as_ref()
            .filter(|_| glibc_interpreter)
            .map(|interpreter| format!("{interpreter} (loader stub)"));
        Usage {
            used,
            symbols,
            libraries,
            stub,
        }
    }

    /// MC401, when the file loads only because of gcompat.
    pub fn finding(&self, reach: &Reach) -> Option<Finding> {
        if !self.used {
            return None;
        }
        let supplied: Vec<String> = self.stub.iter().chain(&self.libraries).cloned().collect();
        let everything: Vec<String> = supplied.iter().chain(&self.symbols).cloned().collect();
        Some(Finding::new(
            Code::OnlyWithGcompat,
            format!(
                "loads only with gcompat, which supplies {}",
                describe_list(&everything, 8)
            ),
            Evidence::Gcompat {
                symbols: self.symbols.clone(),
                libraries: supplied,
                reach: reach.reason.clone(),
            },
        ))
    }
}

/// What gcompat would do for a failing file.
pub enum Hint {
    /// It would load with gcompat installed.
    Loads,
    /// gcompat does not reach it (its host loads it): why.
    DoesNotHelp(String),
}

impl Hint {
    pub fn text(&self) -> String {
        match self {
            Hint::Loads => {
                "would load with gcompat: `apk add gcompat` (check with --gcompat)".to_string()
            }
            Hint::DoesNotHelp(reason) => format!("gcompat does not help here: {reason}"),
        }
    }
}

/// "would load with gcompat" — or why it would not — from a resolution
/// made as if gcompat were installed.
pub fn hint(
    with_gcompat: &Resolution,
    glibc_interpreter: bool,
    host: Option<&Host>,
    reach: &Reach,
) -> Option<Hint> {
    let all_resolved = with_gcompat.missing_libraries.is_empty()
        && with_gcompat
            .symbols
            .values()
            .all(|s| s.missing_count() == 0 && s.unsupported_relocations.is_empty());
    // A glibc executable needs gcompat's loader stub even when no symbol is
    // missing; a library needing glibc's loader by name (`__tls_get_addr`,
    // which musl defines) finds the stub gcompat installs as that file,
    // preloaded or not.
    let supplies_a_library = with_gcompat
        .loaded
        .iter()
        .any(|library| library.provider == LibraryProvider::Gcompat);
    if all_resolved && (with_gcompat.gcompat_active || glibc_interpreter || supplies_a_library) {
        return Some(Hint::Loads);
    }
    if host.is_some() && !with_gcompat.gcompat_active {
        return Some(Hint::DoesNotHelp(reach.reason.clone()));
    }
    None
}

/// Puts the hint first in the remedy of the findings gcompat would fix.
pub fn add_hint(findings: &mut [Finding], hint: &str) {
    let fixable = |code| {
        matches!(
            code,
            Code::GlibcInterpreter | Code::MissingSymbols | Code::MissingLibrary
        )
    };
    for finding in findings.iter_mut().filter(|f| fixable(f.code)) {
        finding.remedy = Some(match finding.remedy.take() {
            Some(existing) if !existing.contains("gcompat") => format!("{hint}; or {existing}"),
            _ => hint.to_string(),
        });
    }
}
