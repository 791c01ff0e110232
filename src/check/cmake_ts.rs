//! cmake-ts's loader (zeromq 6): it reads the package's
//! `build/manifest.json`, keeps the addons named for the running OS, CPU
//! and libc, and requires them highest Node ABI first until one loads. An
//! addon the manifest does not name for the target is never required, and
//! one tried after another that loads is never reached; one that fails
//! before another loads costs nothing but the attempt.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::ecosystem::npm::cmake_ts::{self, CmakeTsManifest};
use crate::ecosystem::npm::npm_cpu;
use crate::model::{Assessment, LibcKind, LoadSummary, Severity, Verdict};
use crate::platform::{LoaderKind, Platform};

use super::tree::{TreeFile, TreeIndex};

/// A package's manifest, and its addons below `build/` (file number, path there).
type PackageAddons<'a> = (&'a CmakeTsManifest, Vec<(usize, String)>);

/// What cmake-ts's manifests of the tree say of their packages' addons.
#[derive(Default)]
pub struct CmakeTsBuilds {
    /// Addons the loader never requires on the target, by location: why.
    never: HashMap<PathBuf, String>,
    /// For each package with more than one addon for the target, those
    /// addons (file numbers) in the order the loader tries them.
    tried: Vec<Vec<usize>>,
}

impl CmakeTsBuilds {
    pub fn new(index: &TreeIndex, count: usize, platform: &Platform) -> CmakeTsBuilds {
        let libc = match platform.loader_kind() {
            LoaderKind::Musl => LibcKind::Musl,
            LoaderKind::Glibc => LibcKind::Glibc,
            // No Node process runs there, cmake-ts's or any.
            LoaderKind::None => return CmakeTsBuilds::default(),
        };
        let cpu = npm_cpu(platform.arch);
        let mut by_package: HashMap<PathBuf, PackageAddons> = HashMap::new();
        for i in 0..count {
            let Some(file) = index.file(i) else { continue };
            let Some(manifest) = file.cmake_ts else {
                continue;
            };
            // Only addons: a library beside one is loaded by it, not by the loader.
            if !file.file_name().ends_with(".node") {
                continue;
            }
            if let Some((package, inside)) = cmake_ts::inside_build(file.location) {
                by_package
                    .entry(package)
                    .or_insert_with(|| (manifest, Vec::new()))
                    .1
                    .push((i, inside));
            }
        }
        let mut builds = CmakeTsBuilds::default();
        for (manifest, addons) in by_package.values() {
            builds.read_package(index, manifest, addons, (cpu, libc));
        }
        builds
    }

    fn read_package(
        &mut self,
        index: &TreeIndex,
        manifest: &CmakeTsManifest,
        addons: &[(usize, String)],
        (cpu, libc): (&str, LibcKind),
    ) {
        let tried = manifest.tried(cpu, libc);
        // None for the target: the loader finds nothing to require, and the
        // files judged as they are say what fails.
        if tried.is_empty() {
            return;
        }
        let target = format!("linux-{cpu}-{libc}");
        let location = |i: usize| index.file(i).map(|f| f.location.to_path_buf());
        let by_path = manifest.by_path();
        let order: HashMap<&str, usize> = (tried.iter().enumerate())
            .map(|(order, build)| (build.path.as_str(), order))
            .collect();
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        for (i, inside) in addons {
            let why = match by_path.get(inside.as_str()) {
                None => format!(
                    "not named in build/manifest.json: cmake-ts's loader requires only the \
                     addons it names ({} for {target})",
                    tried.len()
                ),
                Some(entry) if !entry.is_for(cpu, libc) => format!(
                    "build/manifest.json names it for {}; cmake-ts's loader requires only \
                     those for {target}",
                    entry.platform()
                ),
                Some(entry) => match order.get(entry.path.as_str()) {
                    Some(&order) => {
                        candidates.push((order, *i));
                        continue;
                    }
                    None => format!(
                        "build/manifest.json names another addon for Node ABI {} on {target}, \
                         which cmake-ts's loader keeps instead",
                        entry.abi
                    ),
                },
            };
            if let Some(location) = location(*i) {
                self.never.insert(location, why);
            }
        }
        candidates.sort_unstable();
        if candidates.len() > 1 {
            self.tried
                .push(candidates.into_iter().map(|(_, i)| i).collect());
        }
    }

    /// Why cmake-ts's loader never requires `file` on the target, if so.
    pub fn never_loaded(&self, file: &TreeFile) -> Option<String> {
        self.never.get(file.location).cloned()
    }

    /// Sets aside the addons the loader never reaches, or gets past, given
    /// how each was judged: those after the first that loads, and those
    /// before it, which all fail (their failure is caught, and the next is
    /// tried). When none loads, or one before the first that loads may
    /// load, each stays as judged.
    pub fn settle(&self, index: &TreeIndex, assessments: &mut [Option<Assessment>]) {
        for order in &self.tried {
            let verdicts: Vec<Option<Verdict>> = order
                .iter()
                .map(|&i| {
                    assessments
                        .get(i)
                        .and_then(|a| a.as_ref())
                        .map(|a| a.verdict)
                })
                .collect();
            let Some(loads) = verdicts.iter().position(|v| *v == Some(Verdict::Ok)) else {
                continue;
            };
            let failed_before = verdicts.iter().take(loads);
            if !failed_before
                .into_iter()
                .all(|v| *v == Some(Verdict::Breaks))
            {
                continue;
            }
            let Some(chosen) = order.get(loads).and_then(|&i| index.file(i)) else {
                continue;
            };
            for (position, &i) in order.iter().enumerate() {
                let Some(slot @ Some(_)) = assessments.get_mut(i) else {
                    continue;
                };
                let reason = match position.cmp(&loads) {
                    std::cmp::Ordering::Equal => continue,
                    std::cmp::Ordering::Less => tried_first(slot.as_ref(), chosen.shown),
                    std::cmp::Ordering::Greater => format!(
                        "cmake-ts's loader requires {} first (build/manifest.json, highest \
                         Node ABI first), which loads here",
                        chosen.shown
                    ),
                };
                let host = slot.as_ref().and_then(|a| a.host.clone());
                *slot = Some(Assessment {
                    verdict: Verdict::NotApplicable,
                    findings: Vec::new(),
                    host,
                    load: Some(LoadSummary {
                        not_loaded: Some(reason),
                        ..LoadSummary::default()
                    }),
                });
            }
        }
    }
}

/// Why an addon that fails, tried before `chosen`, which loads, is set aside.
fn tried_first(failed: Option<&Assessment>, chosen: &str) -> String {
    let error = failed
        .and_then(|a| a.findings.iter().find(|f| f.severity == Severity::Error))
        .map(|f| format!(" ({}: {})", f.code, f.message))
        .unwrap_or_default();
    format!(
        "cmake-ts's loader tries it first (build/manifest.json, highest Node ABI first); it \
         fails to load here{error}, the loader catches that and requires {chosen}, which loads"
    )
}
