//! Rules: ELF facts + the scanned tree + the platform → verdicts and findings.
//!
//! One module per family: [`resolve`] models the loader, [`findings`] turns
//! what it found into load findings (MC1xx), [`gcompat`] decides gcompat's
//! reach (MC401), [`prebuild`] which npm prebuild the target loads, [`wheel`]
//! audits wheel tags (MC3xx) and [`reinstall`] answers the reinstall question
//! (MC2xx).

mod actions;
mod cmake_ts;
mod dependencies;
mod file_answers;
mod findings;
mod gcompat;
mod glibc;
pub mod host;
mod host_directory;
pub mod jni;
mod library_packages;
mod machines;
pub mod matrix;
mod needs;
mod npm_prebuilds;
pub mod packages;
mod plan;
mod prebuild;
mod prebuild_dirs;
mod provider;
pub mod reinstall;
pub mod resolve;
mod rpath;
mod search;
mod symbol_lists;
mod threads;
mod tls;
mod tree;
pub mod wheel;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::model::{
    Assessment, Code, ElfFacts, Finding, Host, HostKind, LibcKind, Linkage, LoadSummary,
    MissingSymbol, Severity, Verdict,
};
use crate::platform::{LoaderKind, Platform};

pub use tree::{NotElfEntry, NotElfKind, TreeFile, TreeIndex};

use prebuild::Prebuilds;
use resolve::{LoadChains, Resolution, ResolveContext, Resolver};

/// Assesses every analysed file (`None` entries are skipped).
///
/// In two passes. First each file is judged (in parallel); MC105 names the
/// failing libraries of the tree it reaches through libraries that load,
/// and leaves those it reaches only through failing ones to their own
/// findings. Then each file also names those of them that the findings it
/// refers to do not name, followed from file to file: a library's own
/// process can load other libraries than this file's does (its RPATH, or
/// this file's, finds them).
pub fn assess_all(index: &TreeIndex, count: usize, platform: &Platform) -> Vec<Option<Assessment>> {
    let resolver = Resolver::new(index, count, platform);
    let prebuilds = Prebuilds::new(index, count, platform);
    let (hosts, mut loaders, mut groups) = hosts(&resolver, &prebuilds);
    let programs = programs_loading(&resolver, &prebuilds, &hosts, (&mut loaders, &mut groups));
    // A glibc or no-libc image: its own loader's rules (`glibc`), not musl's.
    let glibc = (platform.loader_kind() != LoaderKind::Musl)
        .then(|| glibc::GlibcResolver::new(index, platform));
    let mut judged: Vec<Option<Judged>> = (0..count)
        .into_par_iter()
        .map(|i| {
            let host = hosts.get(i).cloned().flatten();
            let loaded_through = loaders.get(i).map_or(&[][..], Vec::as_slice);
            index.file(i).map(|file| match &glibc {
                Some(glibc) => judge_on_image(
                    (glibc, index, &prebuilds),
                    (i, file),
                    (host, loaded_through),
                ),
                None => {
                    let loaded_with = loaded_through
                        .last()
                        .and_then(|outermost| groups.get(outermost))
                        .map_or(&[][..], Vec::as_slice);
                    judge(
                        &resolver,
                        &prebuilds,
                        (i, file),
                        (host, loaded_through, loaded_with),
                    )
                }
            })
        })
        .collect();
    let named: Vec<Vec<usize>> = judged
        .iter()
        .map(|j| j.as_ref().map(|j| j.named.clone()).unwrap_or_default())
        .collect();
    judged
        .par_iter_mut()
        .flatten()
        .for_each(|j| j.name_the_unnamed(index, &named));
    let mut assessments: Vec<Option<Assessment>> = judged
        .into_iter()
        .zip(programs)
        .enumerate()
        .map(|(i, (judged, program))| {
            let mut assessment = judged?.assessment;
            if let (Some(load), Some(program)) = (&mut assessment.load, program) {
                load.loaded_by_program = index.file(program).map(|f| f.shown.to_string());
            }
            match index.file(i).and_then(|f| prebuilds.built_at_install(f)) {
                Some(addon) if assessment.verdict != Verdict::NotApplicable => {
                    Some(set_aside_for_install_build(assessment, addon, platform))
                }
                _ => Some(assessment),
            }
        })
        .collect();
    prebuilds.cmake_ts.settle(index, &mut assessments);
    assessments
}

/// A prebuild node-gyp-build does not load here because an addon built at
/// install (`addon`) comes first: set aside as the tree is, keeping how it
/// fares on a fresh install on the target, which has no such build and
/// tries the prebuilds (a reinstall's answer rests on that).
fn set_aside_for_install_build(fresh: Assessment, addon: &str, platform: &Platform) -> Assessment {
    let target = &platform.target;
    let then = match fresh.verdict {
        Verdict::Breaks => format!("which breaks on {target}"),
        Verdict::Ok => format!("which loads on {target}"),
        Verdict::NeedsGcompat => format!("which loads on {target} only with gcompat"),
        Verdict::Unknown | Verdict::NotApplicable => "whose fate is unknown".to_string(),
    };
    let reason = format!(
        "node-gyp-build loads {addon}, built at install, before any prebuild; \
         a fresh install on the target has no such build and tries this file, {then}"
    );
    Assessment {
        verdict: Verdict::NotApplicable,
        findings: Vec::new(),
        host: fresh.host.clone(),
        load: Some(LoadSummary {
            not_loaded: Some(reason),
            on_fresh_install: Some(Box::new(fresh)),
            ..LoadSummary::default()
        }),
    }
}

/// The objects each of `roots` loads in a process of its own, as the loader
/// model resolves it, for those the target's loader maps at all (of its
/// machine, loadable, not a prebuild the target never loads).
fn load_chains_of(
    resolver: &Resolver,
    prebuilds: &Prebuilds,
    roots: Vec<usize>,
) -> Vec<(usize, LoadChains)> {
    let (index, platform) = (resolver.index(), resolver.platform());
    let ctx = ResolveContext {
        gcompat_installed: platform.gcompat_installed(),
        gcompat_reaches_root: false,
        host: None,
        loaded_through: &[],
        loaded_with: &[],
    };
    roots
        .into_par_iter()
        .filter_map(|root| {
            let file = index.file(root)?;
            let mapped = file.facts.is_loadable()
                && file.facts.arch == platform.arch
                && prebuild::never_loaded(index, prebuilds, file, platform).is_none();
            mapped.then(|| (root, resolver.load_chains(root, &ctx)))
        })
        .collect()
}

/// A library no module loads is judged in the process of the first program
/// of the tree (in scan order) that loads it through DT_NEEDED: its needs
/// are searched for in the RPATHs of the objects that load it there too, as
/// both loaders do (a wheel's `node` binary finds the `libgcc_s` its bundled
/// `libstdc++` needs through its own RPATH). Sets those libraries' chains in
/// `loaders` (and the objects each program loads in `groups`) and returns,
/// for each file, the program.
fn programs_loading(
    resolver: &Resolver,
    prebuilds: &Prebuilds,
    hosts: &[Option<Host>],
    (loaders, groups): (&mut [Vec<usize>], &mut Groups),
) -> Vec<Option<usize>> {
    let index = resolver.index();
    let mut programs = vec![None; index.file_count()];
    let started: Vec<usize> = (0..index.file_count())
        .filter(|&program| {
            hosts.get(program).is_some_and(Option::is_none)
                && index
                    .file(program)
                    .is_some_and(|file| file.facts.interpreter.is_some())
        })
        .collect();
    let loads = load_chains_of(resolver, prebuilds, started);
    for (program, objects) in loads {
        groups.insert(program, objects.iter().map(|(object, _)| *object).collect());
        for (object, chain) in objects.into_iter().skip(1) {
            let unplaced = hosts.get(object).is_some_and(Option::is_none)
                && programs.get(object).is_some_and(Option::is_none);
            if let (true, Some(loaded_through)) = (unplaced, loaders.get_mut(object))
                && loaded_through.is_empty()
            {
                *loaded_through = chain;
                if let Some(slot) = programs.get_mut(object) {
                    *slot = Some(program);
                }
            }
        }
    }
    programs
}

/// The host process of every file: its own (from its exports and name), or
/// else that of the first module of the tree (in scan order) whose process
/// loads it through DT_NEEDED as the loader model resolves it — a library an
/// extension module needs is loaded into the same interpreter. With each,
/// the objects that load it in that module's process, nearest first
/// ([`ResolveContext::loaded_through`]), and the objects each module loads.
fn hosts(
    resolver: &Resolver,
    prebuilds: &Prebuilds,
) -> (Vec<Option<Host>>, Vec<Vec<usize>>, Groups) {
    let index = resolver.index();
    let needed = needed_file_names(index);
    let own = index.own_hosts(|file| {
        host::detect(file.file_name(), file.facts).or_else(|| {
            // Only the JVM loads code out of a jar (its libraries' loaders extract it).
            (jni::jar_member(file.shown).is_some()
                && file.facts.is_loadable()
                && !file.facts.is_executable())
            .then(|| Host {
                kind: HostKind::Jvm,
                evidence: "a member of a jar: extracted and loaded by the JVM".to_string(),
                loaded_by: None,
                foreign_library: false,
            })
            .or_else(|| host::foreign_library(file, &needed))
        })
    });
    let modules: Vec<usize> = (0..own.len())
        .filter(|&module| own.get(module).is_some_and(Option::is_some))
        .collect();
    let loads = load_chains_of(resolver, prebuilds, modules);
    let mut hosts = own.to_vec();
    let mut loaders = vec![Vec::new(); hosts.len()];
    let mut groups = Groups::default();
    for (module, objects) in loads {
        groups.insert(module, objects.iter().map(|(object, _)| *object).collect());
        let (Some(Some(module_host)), Some(module_file)) = (own.get(module), index.file(module))
        else {
            continue;
        };
        for (object, chain) in objects.into_iter().skip(1) {
            if let Some(slot @ None) = hosts.get_mut(object) {
                if let Some(loaded_through) = loaders.get_mut(object) {
                    *loaded_through = chain;
                }
                *slot = Some(Host {
                    kind: module_host.kind,
                    evidence: format!(
                        "loaded by {}, a {}",
                        module_file.shown,
                        module_host.module_kind()
                    ),
                    loaded_by: Some(module_file.shown.to_string()),
                    foreign_library: false,
                });
            }
        }
    }
    copies_share_hosts(index, &mut hosts, &mut loaders);
    (hosts, loaders, groups)
}

/// The tree objects a module's or a program's process loads, by the module
/// or program ([`ResolveContext::loaded_with`]).
type Groups = FxHashMap<usize, Vec<usize>>;

/// The file name of every library a file of the tree needs.
fn needed_file_names<'a>(index: &TreeIndex<'a>) -> HashSet<&'a str> {
    (0..index.file_count())
        .filter_map(|i| index.file(i))
        .flat_map(|file| file.facts.needed.iter())
        .map(|name| name.rsplit('/').next().unwrap_or(name))
        .collect()
}

/// A wheel has no symlinks: `libx.so`, `libx.so.1` and `libx.so.1.0` are
/// copies of one library, and only the name a module needs is loaded. The
/// other copies (same SONAME, same directory) are that library too.
fn copies_share_hosts(index: &TreeIndex, hosts: &mut [Option<Host>], loaders: &mut [Vec<usize>]) {
    let mut by_soname: std::collections::HashMap<(PathBuf, &str), (usize, Host)> =
        std::collections::HashMap::new();
    for (i, host) in hosts.iter().enumerate() {
        let (Some(host), Some(file)) = (host, index.file(i)) else {
            continue;
        };
        if let (Some(_), Some(soname)) = (&host.loaded_by, &file.facts.soname) {
            by_soname
                .entry((index.directory_of(file.location), soname.as_str()))
                .or_insert_with(|| (i, host.clone()));
        }
    }
    for (i, slot) in hosts.iter_mut().enumerate() {
        let Some(file) = index.file(i) else { continue };
        let Some(soname) = &file.facts.soname else {
            continue;
        };
        if slot.is_some() {
            continue;
        }
        let key = (index.directory_of(file.location), soname.as_str());
        if let Some((copy, host)) = by_soname.get(&key)
            && let Some(copy_file) = index.file(*copy)
        {
            let chain = loaders.get(*copy).cloned().unwrap_or_default();
            if let Some(loaded_through) = loaders.get_mut(i) {
                *loaded_through = chain;
            }
            *slot = Some(Host {
                evidence: format!(
                    "a copy of {} (same SONAME {soname}), {}",
                    copy_file.shown, host.evidence
                ),
                ..host.clone()
            });
        }
    }
}

/// A file's assessment after the first pass.
struct Judged {
    assessment: Assessment,
    /// Where its MC105 findings end.
    dependencies_end: usize,
    /// The libraries they name.
    named: Vec<usize>,
    /// Failing libraries it reaches only through failing ones.
    behind: Vec<dependencies::FailingDependency>,
}

impl Judged {
    fn of(assessment: Assessment) -> Judged {
        Judged {
            assessment,
            dependencies_end: 0,
            named: Vec::new(),
            behind: Vec::new(),
        }
    }

    /// Adds MC105 for the failing libraries behind failing ones that no
    /// finding this file refers to names (`named`: each file's MC105 libraries).
    fn name_the_unnamed(&mut self, index: &TreeIndex, named: &[Vec<usize>]) {
        if self.behind.is_empty() {
            return;
        }
        let mut unnamed: HashSet<usize> = self.behind.iter().map(|d| d.object).collect();
        let mut seen: HashSet<usize> = HashSet::new();
        let mut referred: Vec<usize> = self.named.clone();
        while let Some(object) = referred.pop() {
            if unnamed.is_empty() {
                break;
            }
            if seen.insert(object) {
                unnamed.remove(&object);
                referred.extend(named.get(object).into_iter().flatten());
            }
        }
        let extra: Vec<Finding> = self
            .behind
            .iter()
            .filter(|d| unnamed.contains(&d.object))
            .filter_map(|d| {
                dependencies::dependency_breaks(index, d, self.assessment.host.as_ref())
            })
            .collect();
        let findings = &mut self.assessment.findings;
        let at = self.dependencies_end.min(findings.len());
        findings.splice(at..at, extra);
    }
}

/// Whether `file` (the tree's file number `root`) loads on the resolver's
/// platform as it is, and why not; MC105 for failing libraries behind
/// failing ones is left to the second pass of [`assess_all`].
fn judge(
    resolver: &Resolver,
    prebuilds: &Prebuilds,
    (root, file): (usize, &TreeFile),
    (host, loaded_through, loaded_with): (Option<Host>, &[usize], &[usize]),
) -> Judged {
    let (index, platform) = (resolver.index(), resolver.platform());
    if let Some(assessment) = assess_without_loading(index, prebuilds, file, platform) {
        return Judged::of(assessment);
    }
    let facts = file.facts;
    let reach = gcompat::reach(file, facts, host.as_ref());
    let resolve_with = |gcompat_installed: bool| {
        resolver.resolve(
            root,
            &ResolveContext {
                gcompat_installed,
                gcompat_reaches_root: reach.reaches,
                host: host.as_ref(),
                loaded_through,
                loaded_with,
            },
        )
    };
    let resolution = resolve_with(platform.gcompat_installed());
    let glibc_interpreter = has_glibc_interpreter(facts, platform);

    let mut findings = Vec::new();
    if !platform.gcompat_installed() {
        findings.extend(findings::glibc_interpreter(file, platform));
    }
    findings.extend(findings::own_failures(
        file,
        (root, host.as_ref()),
        &resolution,
        platform,
    ));
    findings.extend(tls::initial_exec_tls(
        index,
        &resolution,
        host.as_ref(),
        platform,
    ));
    let (behind, reached): (Vec<_>, Vec<_>) = dependencies::failing_dependencies(root, &resolution)
        .into_iter()
        .partition(|d| d.behind_failing);
    let named: Vec<usize> = reached.iter().map(|d| d.object).collect();
    findings.extend(
        reached
            .iter()
            .filter_map(|d| dependencies::dependency_breaks(index, d, host.as_ref())),
    );
    let dependencies_end = findings.len();
    findings.extend(findings::alpine_packages(&resolution));
    let unchecked = resolution.unchecked_symbols();
    findings.extend(findings::unchecked(&resolution, &unchecked));
    let gcompat_use = gcompat::Usage::of(&resolution, facts, glibc_interpreter);
    // "Loads only with gcompat" and how its threads fare are said of files that load.
    if !findings.iter().any(|f| f.severity == Severity::Error) {
        findings.extend(gcompat_use.finding(&reach));
        findings.extend(threads::small_thread_stacks(facts, platform));
    }

    let verdict = verdict(&findings, gcompat_use.used, !unchecked.is_empty());
    let mut loads_with_gcompat = false;
    // gcompat supplies names and a loader path; what else fails stays failing.
    let only_gcompat_could_fix = !findings.iter().any(|f| f.code == Code::InitialExecTls);
    // gcompat is glibc's: it has nothing to say to a process of musl builds.
    let glibc_in_process = glibc_interpreter
        || resolution.objects.iter().any(|&object| {
            index
                .file(object)
                .is_some_and(|f| matches!(f.facts.libc.kind, LibcKind::Glibc | LibcKind::Unknown))
        });
    if verdict == Verdict::Breaks
        && glibc_in_process
        && !platform.gcompat
        && platform.has_packages()
        && only_gcompat_could_fix
    {
        let hint = gcompat::hint(
            &resolve_with(true),
            glibc_interpreter,
            host.as_ref(),
            &reach,
        );
        if let Some(hint) = hint {
            gcompat::add_hint(&mut findings, &hint.text());
            loads_with_gcompat = matches!(hint, gcompat::Hint::Loads);
        }
    }
    let mut load = load_summary(index, root, &resolution, gcompat_use.symbols, reach.reason);
    load.loads_with_gcompat = loads_with_gcompat;
    Judged {
        assessment: Assessment {
            verdict,
            findings,
            host,
            load: Some(load),
        },
        dependencies_end,
        named,
        behind,
    }
}

/// Whether `file` loads on a glibc or no-libc image, by its own loader's rules.
fn judge_on_image(
    (glibc, index, prebuilds): (&glibc::GlibcResolver, &TreeIndex, &Prebuilds),
    (root, file): (usize, &TreeFile),
    (host, loaded_through): (Option<Host>, &[usize]),
) -> Judged {
    let platform = glibc.platform();
    let mut assessment = match assess_without_loading(index, prebuilds, file, platform) {
        Some(assessment) => assessment,
        None => glibc.judge((root, file), (host.as_ref(), loaded_through)),
    };
    assessment.host = host;
    Judged::of(assessment)
}

/// The answer for files the loader never resolves: object files, another
/// platform's prebuild, another architecture, static programs.
fn assess_without_loading(
    index: &TreeIndex,
    prebuilds: &Prebuilds,
    file: &TreeFile,
    platform: &Platform,
) -> Option<Assessment> {
    let facts = file.facts;
    if !facts.is_loadable() {
        return Some(Assessment::of(Verdict::NotApplicable, Vec::new()));
    }
    let never_loaded = prebuild::never_loaded(index, prebuilds, file, platform)
        .or_else(|| prebuilds.machines.never_loaded(index, file));
    if let Some(reason) = never_loaded {
        // Never loaded, and nothing else of its package is: it breaks.
        if let Some(finding) = prebuilds.loader_finds_none(file) {
            return Some(Assessment::of(Verdict::Breaks, vec![finding]));
        }
        let mut assessment = Assessment::of(Verdict::NotApplicable, Vec::new());
        assessment.load = Some(LoadSummary {
            not_loaded: Some(reason),
            ..LoadSummary::default()
        });
        return Some(assessment);
    }
    if facts.arch != platform.arch {
        let finding = findings::wrong_architecture(file, platform);
        return Some(Assessment::of(Verdict::Breaks, vec![finding]));
    }
    // On an image a static file may still need run-time files (`glibc`).
    let musl = platform.loader_kind() == LoaderKind::Musl;
    if musl && matches!(facts.linkage, Linkage::Static | Linkage::StaticPie) {
        return Some(Assessment::of(Verdict::Ok, Vec::new()));
    }
    None
}

/// Whether the file asks for a loader the platform does not have.
fn has_glibc_interpreter(facts: &ElfFacts, platform: &Platform) -> bool {
    facts
        .interpreter
        .as_deref()
        .is_some_and(|interpreter| !platform.is_own_interpreter(interpreter))
}

fn verdict(findings: &[Finding], uses_gcompat: bool, has_unchecked: bool) -> Verdict {
    if findings.iter().any(|f| f.severity == Severity::Error) {
        Verdict::Breaks
    } else if uses_gcompat {
        Verdict::NeedsGcompat
    } else if has_unchecked {
        Verdict::Unknown
    } else {
        Verdict::Ok
    }
}

fn load_summary(
    index: &TreeIndex,
    root: usize,
    resolution: &Resolution,
    from_gcompat: Vec<String>,
    gcompat_reach: String,
) -> LoadSummary {
    let own = resolution.symbols.get(&root);
    LoadSummary {
        libraries: resolution
            .loaded
            .iter()
            .map(|lib| {
                (
                    lib.name.clone(),
                    provider::describe_provider(index, &lib.provider),
                )
            })
            .collect(),
        lfs64_redirects: own.map(|own| own.redirected.clone()).unwrap_or_default(),
        from_host: own.map_or(0, |own| own.from_host),
        from_gcompat,
        gcompat_reach: Some(gcompat_reach),
        not_loaded: None,
        on_fresh_install: None,
        loads_with_gcompat: false,
        loaded_by_program: None,
    }
}

/// `a, b, c and 4 more`.
fn describe_list(items: &[String], cap: usize) -> String {
    describe_first(items.iter(), items.len(), cap)
}

/// [`describe_list`] of the symbols' labels (`name@VERSION`), made for the
/// ones shown only: a list can be 100,000 long.
fn describe_symbols(symbols: &[MissingSymbol], cap: usize) -> String {
    describe_first(symbols.iter().map(MissingSymbol::label), symbols.len(), cap)
}

/// The first `cap` of `total` items, then how many more.
fn describe_first(
    items: impl Iterator<Item = impl AsRef<str>>,
    total: usize,
    cap: usize,
) -> String {
    let mut text = String::new();
    for (i, item) in items.take(cap).enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(item.as_ref());
    }
    if total > cap {
        let _ = write!(text, " and {} more", total - cap);
    }
    text
}
