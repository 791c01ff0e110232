//! muslcheck against the real musl loader: for every ELF file in corpus/ (and in
//! the third-party packages, extracted to a temporary directory), the symbols,
//! libraries and relocations `ld-musl-x86_64.so.1 --list FILE` reports missing
//! must be exactly those muslcheck reports.
//!
//! Needs Debian's `musl` package (`/lib/ld-musl-x86_64.so.1`); without it the
//! test prints why and passes, unless MUSLCHECK_REQUIRE_TOOLS is set (CI).
//! The target is `debian-musl`: Debian's build of musl 1.2.3, whose exports
//! differ from upstream (data/musl/debian-musl-1.2.3-vs-upstream-x86_64.tsv),
//! with no system libraries besides musl. The same comparison runs with
//! Alpine's own loaders in their minirootfs (as root, in a chroot): x86_64,
//! and aarch64 under `qemu-aarch64-static` (Debian's `qemu-user-static`).
//!
//! Not compared, by design:
//! - files for another architecture (MC104: the loader cannot map them);
//! - static and static-pie files: the kernel runs them without any loader;
//!   `--list` would treat a static-pie as a dynamic program and apply its
//!   IRELATIVE relocations, which never happens when it is executed;
//! - symbols, when nothing in the file's load graph names libc (e.g. a library
//!   whose only DT_NEEDED is libresolv.so.2): in `--list` mode musl then never
//!   enters the lookup scope and every libc name is reported missing, while in
//!   a real process musl is always loaded. Libraries and relocations are still
//!   compared for those files;
//! - files the target never loads (`not-applicable`: another platform's
//!   prebuild, or the glibc prebuild beside a musl one, which node-gyp-build
//!   skips on musl);
//! - symbols the host process provides: filtered from the loader's output by
//!   the same rule muslcheck uses (`check::host::provides`), since `--list` loads an
//!   extension module without its interpreter.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use muslcheck::check::host::provides;
use muslcheck::discover::Excludes;
use muslcheck::model::{Arch, Evidence, Linkage, Verdict};
use muslcheck::platform::Platform;
use muslcheck::{Artifact, Options, Report, scan};

mod common;

use common::{corpus, fetched};

const LOADER: &str = common::MUSL_LOADER;

#[derive(Debug, Default, PartialEq, Eq)]
struct Missing {
    /// (object file name, symbol)
    symbols: BTreeSet<(String, String)>,
    libraries: BTreeSet<String>,
    /// (object file name, relocation type)
    relocations: BTreeSet<(String, u32)>,
    /// The loader listed none of the file's libraries and reported nothing:
    /// it did not get as far as loading them.
    listed_nothing: bool,
}

fn base_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Which musl loader runs `--list`: Debian's on this machine, or Alpine's
/// inside an Alpine root filesystem (the files are then below it); an
/// aarch64 root's through qemu-user, copied into the root.
enum Loader {
    Host,
    Chroot {
        root: PathBuf,
        arch: Arch,
        /// Libraries put in the root as an `apk add` would (beyond its base).
        installed: Vec<String>,
    },
}

/// Where Debian's `qemu-user-static` puts the aarch64 emulator; copied to
/// the same place in an aarch64 root, as a static program it runs there.
const QEMU_AARCH64: &str = "/usr/bin/qemu-aarch64-static";

impl Loader {
    fn alpine(root: PathBuf) -> Loader {
        Loader::Chroot {
            root,
            arch: Arch::X86_64,
            installed: Vec::new(),
        }
    }

    fn arch(&self) -> Arch {
        match self {
            Loader::Host => Arch::X86_64,
            Loader::Chroot { arch, .. } => *arch,
        }
    }

    fn installed(&self) -> &[String] {
        match self {
            Loader::Host => &[],
            Loader::Chroot { installed, .. } => installed,
        }
    }

    /// The loader's output of `--list file` with `library_path`, after
    /// `preload` and what it needs (a module's dlopen group).
    fn list(
        &self,
        file: &Path,
        library_path: &[PathBuf],
        preload: Option<&Path>,
    ) -> std::process::Output {
        match self {
            Loader::Host => {
                let mut command = Command::new(LOADER);
                if let Some(preload) = preload {
                    command.arg("--preload").arg(preload);
                }
                command
                    .arg("--list")
                    .arg(file)
                    .env(
                        "LD_LIBRARY_PATH",
                        std::env::join_paths(library_path).unwrap(),
                    )
                    .output()
                    .unwrap()
            }
            Loader::Chroot { root, arch, .. } => {
                let inside = |path: &Path| Path::new("/").join(path.strip_prefix(root).unwrap());
                let library_path: Vec<PathBuf> = library_path.iter().map(|p| inside(p)).collect();
                let mut command = Command::new("/usr/sbin/chroot");
                command.arg(root);
                match arch {
                    Arch::Aarch64 => command.args([QEMU_AARCH64, "/lib/ld-musl-aarch64.so.1"]),
                    _ => command.arg(LOADER),
                };
                if let Some(preload) = preload {
                    command.arg("--preload").arg(inside(preload));
                }
                // qemu hands its environment to the program it runs.
                command
                    .arg("--list")
                    .arg(inside(file))
                    .env_clear()
                    .env(
                        "LD_LIBRARY_PATH",
                        std::env::join_paths(library_path).unwrap(),
                    )
                    .output()
                    .unwrap()
            }
        }
    }
}

fn loader_says(loader: &Loader, file: &Path, artifact: &Artifact) -> Missing {
    let host = artifact.assessment.host.as_ref();
    // A file listed on its own is the root of its process, as muslcheck judges
    // it: nothing but RPATH/RUNPATH and the system paths is searched. A library
    // muslcheck judges in the process of the module or program that loads it
    // is searched for there through that one's RPATH too: its directory and
    // auditwheel's bundled libraries stand in for that here.
    let mut library_path: Vec<PathBuf> = Vec::new();
    let loaded_by_program = artifact
        .assessment
        .load
        .as_ref()
        .is_some_and(|load| load.loaded_by_program.is_some());
    if loaded_by_program || host.is_some_and(|host| host.loaded_by.is_some()) {
        library_path.extend(file.parent().map(Path::to_path_buf));
        for ancestor in file.ancestors().skip(1).take(3) {
            if let Ok(entries) = std::fs::read_dir(ancestor) {
                for entry in entries.flatten() {
                    if entry.file_name().to_string_lossy().ends_with(".libs") {
                        library_path.push(entry.path());
                    }
                }
            }
        }
    }
    let output = loader.list(file, &library_path, None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let listed_nothing =
        stderr.trim().is_empty() && !String::from_utf8_lossy(&output.stdout).contains(" => ");
    let mut errors = common::musl_loader_errors(&stderr);
    // A library a module loads is relocated in the module's dlopen, where
    // the module and all it needs are global: its symbols are what a run
    // with the module preloaded says of the objects this file's own load
    // maps (the module's own failures are the module's).
    let module = host.and_then(|host| {
        let root = file.to_str()?.strip_suffix(artifact.path.as_str())?;
        Some(PathBuf::from(format!(
            "{root}{}",
            host.loaded_by.as_deref()?
        )))
    });
    if let Some(module) = module {
        let mut own_load: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split(" => ").next())
            .map(|name| base_name(name.trim()))
            .collect();
        own_load.insert(base_name(artifact.path.as_str()));
        let preloaded = loader.list(file, &library_path, Some(&module));
        errors.symbols = common::musl_loader_errors(&String::from_utf8_lossy(&preloaded.stderr))
            .symbols
            .into_iter()
            .filter(|(object, _)| own_load.contains(&base_name(object)))
            .collect();
    }
    Missing {
        libraries: errors.libraries,
        symbols: errors
            .symbols
            .into_iter()
            .filter(|(_, symbol)| !host.is_some_and(|h| provides(h, symbol)))
            .map(|(object, symbol)| (base_name(&object), symbol))
            .collect(),
        relocations: errors
            .relocations
            .into_iter()
            .map(|(object, kind)| (base_name(&object), kind))
            .collect(),
        listed_nothing,
    }
}

/// What muslcheck says fails when a file is loaded.
struct Says {
    /// Its own failures, and those its MC105 findings refer to, listed by
    /// each failing library's own artifact.
    missing: Missing,
    /// The file's own name.
    own: String,
    /// Failing library → missing symbols in this file's process (MC105's count).
    dependency_counts: BTreeMap<String, usize>,
    /// Libraries an `apk add` brings (MC107): absent from a bare root.
    packaged: BTreeSet<String>,
    /// Libraries whose own artifact is judged in another module's process:
    /// their names may bind there and not here (a module's weak C++ template
    /// definitions), so only MC105's count, made in this process, is theirs.
    judged_elsewhere: BTreeSet<String>,
}

/// Its own findings, and those of every library its MC105 findings refer to
/// (they give counts and the library's path; the library's own artifact lists
/// what fails), followed through the libraries those refer to in turn.
fn muslcheck_says(report: &Report, artifact: &Artifact) -> Says {
    let mut says = Says {
        missing: Missing::default(),
        own: base_name(artifact.path.as_str()),
        dependency_counts: BTreeMap::new(),
        packaged: BTreeSet::new(),
        judged_elsewhere: BTreeSet::new(),
    };
    let root = artifact.path.as_str();
    let mut pending = vec![(artifact, true)];
    let mut seen = BTreeSet::new();
    while let Some((artifact, is_root)) = pending.pop() {
        if !seen.insert(artifact.path.as_str().to_string()) {
            continue;
        }
        let own = base_name(artifact.path.as_str());
        let module = artifact
            .assessment
            .host
            .as_ref()
            .and_then(|host| host.loaded_by.as_deref());
        // A library loaded by another module is judged in that module's
        // process; one that is itself a module is judged with its host's
        // names (a JNI library's JVM_*), which this process may lack.
        let own_host = artifact.assessment.host.is_some();
        if !is_root && (module.is_some_and(|module| module != root) || own_host) {
            says.judged_elsewhere.insert(own.clone());
        }
        let missing = &mut says.missing;
        for finding in artifact.findings() {
            match &finding.evidence {
                Evidence::Symbols { symbols, .. } => {
                    for symbol in symbols.iter() {
                        missing.symbols.insert((own.clone(), symbol.name.clone()));
                    }
                }
                Evidence::Libraries { libraries } => {
                    missing
                        .libraries
                        .extend(libraries.iter().map(|l| l.name.clone()));
                    // Symbols MC103 says fail with a missing library (MC102
                    // does not repeat them); the loader reports each.
                    for library in libraries {
                        for symbol in &library.symbols_expected {
                            missing.symbols.insert((own.clone(), symbol.clone()));
                        }
                    }
                }
                Evidence::Packages { packages, .. } => {
                    says.packaged
                        .extend(packages.iter().map(|need| need.library.clone()));
                }
                Evidence::Relocations { relocations } => {
                    for relocation in relocations {
                        missing.relocations.insert((own.clone(), relocation.r_type));
                    }
                }
                Evidence::Dependency {
                    path,
                    missing_symbols,
                    ..
                } => {
                    if is_root {
                        says.dependency_counts
                            .insert(base_name(path), *missing_symbols);
                    }
                    let dependency = report
                        .artifacts
                        .iter()
                        .find(|a| a.path.as_str() == path)
                        .unwrap_or_else(|| panic!("MC105 names {path}, which is not reported"));
                    pending.push((dependency, false));
                }
                _ => {}
            }
        }
    }
    says
}

/// Where muslcheck and the loader disagree, if they do. Libraries,
/// relocations and the file's own symbols must match exactly. A failing
/// library's own artifact lists what fails when it is loaded on its own; in
/// this file's process the file (and what else it loads) may supply a few of
/// those, so the loader may report fewer of its symbols, never others, and
/// exactly as many as this file's MC105 counts.
fn disagreement(loader: &Missing, ours: &Says) -> Option<String> {
    let mut problems = Vec::new();
    if loader.libraries != ours.missing.libraries {
        problems.push("libraries differ".to_string());
    }
    if loader.relocations != ours.missing.relocations {
        problems.push("relocations differ".to_string());
    }
    let of = |missing: &Missing, object: &str| -> BTreeSet<String> {
        missing
            .symbols
            .iter()
            .filter(|(o, _)| o == object)
            .map(|(_, s)| s.clone())
            .collect()
    };
    if of(loader, &ours.own) != of(&ours.missing, &ours.own) {
        problems.push(format!("symbols of {} differ", ours.own));
    }
    for entry in &loader.symbols {
        if entry.0 != ours.own
            && !ours.judged_elsewhere.contains(&entry.0)
            && !ours.missing.symbols.contains(entry)
        {
            problems.push(format!("{entry:?} is not reported"));
        }
    }
    for (dependency, count) in &ours.dependency_counts {
        let loader_count = of(loader, dependency).len();
        if !loader.symbols.is_empty() && loader_count != *count {
            problems.push(format!(
                "MC105 counts {count} missing symbols of {dependency}, the loader {loader_count}"
            ));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Extracts the committed third-party archives (wheels, npm tarballs).
fn extract_third_party(into: &Path) -> usize {
    let dir = corpus("thirdparty");
    let mut archives = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let target = into.join(&name);
        if name.ends_with(".whl") {
            let mut zip = zip::ZipArchive::new(File::open(&path).unwrap()).unwrap();
            zip.extract(&target).unwrap();
            archives += 1;
            if name.contains("musllinux") {
                copy_shared_objects_flat(&target, &into.join(format!("{name}-flat")));
            }
        } else if name.ends_with(".tgz") {
            let gz = flate2::read::GzDecoder::new(File::open(&path).unwrap());
            tar::Archive::new(gz).unpack(&target).unwrap();
            archives += 1;
        }
    }
    archives
}

/// The shared objects under `tree` copied into one directory, as a
/// Dockerfile's `COPY` of built libraries leaves them: the extension module's
/// RPATH (`$ORIGIN/<pkg>.libs`) no longer reaches its bundled libraries, which
/// musl then does not find beside it.
fn copy_shared_objects_flat(tree: &Path, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    for entry in walkdir::WalkDir::new(tree).into_iter().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().is_file() && name.contains(".so") {
            std::fs::copy(entry.path(), into.join(&name)).unwrap();
        }
    }
}

/// What one loader's comparison found.
#[derive(Default)]
struct Compared {
    files: usize,
    third_party: usize,
    breaking: usize,
    counted_dependencies: usize,
    /// (object, symbol) the loader reported missing, as compared.
    loader_symbols: BTreeSet<(String, String)>,
    /// Files needing an installed library whose symbols were compared.
    bound_in_installed: usize,
    /// Programs for another loader that the loader, run as a command,
    /// listed nothing of (musl's `--list` maps such a program itself, and
    /// patchelf's relocated program headers crash or stop it): no answer
    /// to compare with.
    unlistable: Vec<String>,
    differences: Vec<String>,
}

impl Compared {
    /// Names the programs the loader could not list, if any.
    fn unlistable_note(&self) -> String {
        if self.unlistable.is_empty() {
            return String::new();
        }
        format!(
            "; not compared: {} program(s) for another loader that the loader listed \
             nothing of: {}",
            self.unlistable.len(),
            self.unlistable.join(", ")
        )
    }
}

/// Scans each root against `target` and compares every loadable file with
/// what `loader` says of it. The first root is the project's corpus.
fn compare(loader: &Loader, target: &str, roots: &[PathBuf]) -> Compared {
    let options = Options {
        platform: Platform::new(target.parse().unwrap(), loader.arch(), false),
        walk: muslcheck::discover::WalkOptions {
            // Scanned as its own root below.
            // Fuzzer-mutated inputs are replayed for crashes, not compared:
            // musl refuses many as "Not a valid dynamic program".
            exclude: Excludes::new(&[
                "thirdparty/fetched/**".to_string(),
                "fuzz-regressions/**".to_string(),
            ])
            .unwrap(),
            ..Default::default()
        },
        ..Options::default()
    };
    let mut compared = Compared::default();
    for root in roots {
        let report = scan(std::slice::from_ref(root), &options).unwrap();
        for artifact in &report.artifacts {
            let Some(facts) = artifact.facts() else {
                continue;
            };
            // Archive members have no file of their own for the loader to open.
            if artifact.path.is_member()
                || artifact.verdict() == Verdict::NotApplicable
                || facts.arch != loader.arch()
                || facts.linkage != Linkage::Dynamic
                || !facts.is_loadable()
            {
                continue;
            }
            let file = root.join(artifact.path.as_str());
            let mut says = loader_says(loader, &file, artifact);
            let foreign_program = facts
                .interpreter
                .as_deref()
                .is_some_and(|interpreter| !interpreter.contains("ld-musl"));
            if says.listed_nothing && foreign_program && !facts.needed.is_empty() {
                compared.unlistable.push(artifact.path.to_string());
                continue;
            }
            let mut ours = muslcheck_says(&report, artifact);
            let graph_names_libc = artifact.assessment.load.as_ref().is_some_and(|load| {
                load.libraries
                    .iter()
                    .any(|(_, provider)| provider == "musl")
            });
            // A bare root lacks what an `apk add` brings, and what the host
            // program's package brings (node's libgcc_s): the loader stops
            // on those libraries (and then binds nothing from them). A root
            // given them loads them, but `--list` runs no host: what the
            // host's libraries would supply (node's libstdc++) is missing
            // there, so symbols are not compared for such a file either.
            let brought_by_host: BTreeSet<String> = artifact
                .assessment
                .load
                .iter()
                .flat_map(|load| &load.libraries)
                .filter(|(_, provider)| provider.contains("brought by"))
                .map(|(name, _)| name.clone())
                .collect();
            ours.packaged.extend(brought_by_host.iter().cloned());
            let needs = ours.packaged.len();
            ours.packaged
                .retain(|library| !loader.installed().contains(library));
            let needs_installed = ours.packaged.len() < needs;
            if !ours.packaged.is_empty() {
                ours.missing.libraries.extend(ours.packaged.iter().cloned());
            }
            if !graph_names_libc || !ours.packaged.is_empty() || !brought_by_host.is_empty() {
                says.symbols.clear();
                ours.missing.symbols.clear();
            }
            if !says.symbols.is_empty() {
                compared.counted_dependencies += ours.dependency_counts.len();
            }
            compared.loader_symbols.extend(says.symbols.iter().cloned());
            if needs_installed && graph_names_libc && ours.packaged.is_empty() {
                compared.bound_in_installed += 1;
            }
            if let Some(problem) = disagreement(&says, &ours) {
                compared.differences.push(format!(
                    "{target}: {}: {problem}\n  loader:    {says:?}\n  muslcheck: {:?}",
                    artifact.path, ours.missing
                ));
            }
            compared.files += 1;
            if root != &roots[0] {
                compared.third_party += 1;
            }
            if artifact.verdict() == Verdict::Breaks {
                compared.breaking += 1;
            }
        }
    }
    compared
}

/// The comparisons of one test over Alpine's releases: each release's
/// figures, and every difference, reported together at the end.
#[derive(Default)]
struct Releases {
    summary: Vec<String>,
    differences: Vec<String>,
}

impl Releases {
    /// Compares `roots` on `alpine:<release>` with `loader`; at least
    /// `min_files` files, `min_breaking` of them breaking.
    fn compare(
        &mut self,
        loader: &Loader,
        release: &str,
        roots: &[PathBuf],
        (min_files, min_breaking): (usize, usize),
    ) -> Compared {
        let target = format!("alpine:{release}");
        let mut compared = compare(loader, &target, roots);
        self.summary.push(format!(
            "{target}: {} files ({} third-party, {} breaking, {} binding in installed libraries){}",
            compared.files,
            compared.third_party,
            compared.breaking,
            compared.bound_in_installed,
            compared.unlistable_note()
        ));
        assert!(
            compared.files >= min_files,
            "{target}: only {} files",
            compared.files
        );
        assert!(
            compared.breaking >= min_breaking,
            "{target}: {} breaking",
            compared.breaking
        );
        self.differences.append(&mut compared.differences);
        compared
    }

    /// Says what was compared, and fails on any difference.
    fn finish(self, loaders: &str) {
        eprintln!("compared with {loaders}: {}", self.summary.join("; "));
        assert!(
            self.differences.is_empty(),
            "muslcheck and {loaders} disagree on {} file(s):\n{}",
            self.differences.len(),
            self.differences.join("\n")
        );
    }
}

/// The corpus, the committed third-party archives extracted into `scratch`,
/// the fetched trees that were built, and the directories listed in
/// `MUSLCHECK_DIFFERENTIAL_ROOTS` (`:`-separated: installed packages of your
/// own to compare on).
fn roots(scratch: &Path) -> Vec<PathBuf> {
    assert!(extract_third_party(scratch) >= 5);
    let mut roots = vec![corpus(""), scratch.to_path_buf()];
    // Real manylinux wheels, node_modules trees and a Ruby vendor/bundle, when
    // corpus/thirdparty/make-*.sh built them.
    roots.extend(
        ["venv", "npm-glibc", "npm-musl", "ruby-bundle"]
            .into_iter()
            .filter_map(fetched),
    );
    roots.extend(common::differential_roots());
    roots
}

/// Whether Debian's musl loader is absent, which skips `what` (saying so),
/// unless MUSLCHECK_REQUIRE_TOOLS is set (CI), which fails it.
fn loader_missing(what: &str) -> bool {
    common::musl_loader_missing(what)
}

#[test]
fn muslcheck_agrees_with_the_real_musl_loader() {
    if loader_missing("loader differential test") {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let roots = roots(scratch.path());
    let compared = compare(&Loader::Host, "debian-musl", &roots);
    let Compared {
        files,
        third_party,
        breaking,
        counted_dependencies,
        ref differences,
        ..
    } = compared;
    eprintln!(
        "compared {files} ELF files ({third_party} third-party, {breaking} breaking, \
         {counted_dependencies} MC105 counts) with {LOADER}{}",
        compared.unlistable_note()
    );
    assert!(
        differences.is_empty(),
        "muslcheck and the musl loader disagree on {} file(s):\n{}",
        differences.len(),
        differences.join("\n")
    );
    assert!(files >= 30, "only {files} files compared");
    assert!(
        third_party >= 6,
        "only {third_party} third-party files compared"
    );
    assert!(
        breaking >= 8,
        "the comparison must include failures, got {breaking}"
    );
    assert!(
        counted_dependencies >= 1,
        "the comparison must include a failing dependency's count"
    );
}

/// The same comparison against Alpine's own loaders (musl 1.2.3, 1.2.4 and
/// 1.2.5 of Alpine 3.17, 3.19 and 3.20), each in its minirootfs with its
/// base libraries (zlib, OpenSSL): the trees are copied into the root and
/// judged there against that release. The roots are bare: a library that
/// muslcheck says an `apk add` (or node's package) brings is missing there,
/// and its symbols are then not compared.
#[test]
fn muslcheck_agrees_with_alpine_s_own_loaders() {
    let mut releases = Releases::default();
    for (release, _) in common::ALPINE_MINIROOTFS {
        let Some(alpine) = common::alpine_root(release) else {
            return;
        };
        let inside = tempfile::tempdir_in(alpine.join("tmp")).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let roots: Vec<PathBuf> = roots(scratch.path())
            .iter()
            .enumerate()
            .map(|(i, root)| copy_tree(root, &inside.path().join(i.to_string())))
            .collect();
        releases.compare(&Loader::alpine(alpine.clone()), release, &roots, (30, 8));
    }
    releases.finish("Alpine's loaders");
}

/// The same comparison in copies of the x86_64 roots given Alpine's own
/// libgcc_s and libstdc++ as `apk add libgcc libstdc++` installs them on
/// 3.19 (GCC 13.2.1_git20231014: the copies the committed ujson musllinux
/// wheel bundles; 3.17's GCC 12 and 3.20's later 13.2 snapshot are judged
/// with 3.19's too): a file that needs them then has what it binds there
/// compared, against muslcheck's tables of those packages (in the bare
/// roots it stops at the missing library). Copies: the shared roots stay
/// as Alpine ships them.
#[test]
fn muslcheck_agrees_with_alpine_s_loaders_given_the_gcc_runtime() {
    let mut releases = Releases::default();
    for (release, _) in common::ALPINE_MINIROOTFS {
        let Some(alpine) = common::alpine_root(release) else {
            return;
        };
        let copy = tempfile::tempdir().unwrap();
        let root = copy.path().join("root");
        std::fs::create_dir(&root).unwrap();
        // All but tmp/, where the test above makes and removes its trees
        // meanwhile (cp -a of a file removed under it fails).
        for entry in std::fs::read_dir(&alpine).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == "tmp" {
                std::fs::create_dir(root.join("tmp")).unwrap();
                continue;
            }
            let status = Command::new("cp")
                .arg("-a")
                .arg(entry.path())
                .arg(&root)
                .status()
                .unwrap();
            assert!(status.success(), "copying {}", entry.path().display());
        }
        let inside = tempfile::tempdir_in(root.join("tmp")).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let roots: Vec<PathBuf> = roots(scratch.path())
            .iter()
            .enumerate()
            .map(|(i, tree)| copy_tree(tree, &inside.path().join(i.to_string())))
            .collect();
        let bundled = scratch
            .path()
            .join("ujson-5.10.0-cp311-cp311-musllinux_1_2_x86_64.whl/ujson.libs");
        install_gcc_runtime(&bundled, &root.join("usr/lib"));
        let loader = Loader::Chroot {
            root: root.clone(),
            arch: Arch::X86_64,
            installed: gcc_runtime(),
        };
        let compared = releases.compare(&loader, release, &roots, (30, 8));
        assert!(
            compared.bound_in_installed >= 5,
            "alpine:{release}: {} files bind in the installed libraries",
            compared.bound_in_installed
        );
    }
    releases.finish("Alpine's loaders given libgcc_s and libstdc++");
}

/// `from` copied to `to` (made), without the fetched trees and fuzzer inputs
/// a copy of the corpus would bring.
fn copy_tree(from: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    let status = Command::new("sh")
        .arg("-c")
        .arg(
            "tar -C \"$1\" --exclude=./thirdparty/fetched --exclude=./fuzz-regressions \
             -cf - . | tar -C \"$2\" -xf -",
        )
        .args(["copy", from.to_str().unwrap(), to.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "copying {}", from.display());
    to.to_path_buf()
}

/// The same against Alpine's aarch64 loaders (3.17, 3.19, 3.20), run by
/// qemu-aarch64-static in each root, on the corpus's aarch64 files and real
/// aarch64 wheels (corpus/thirdparty/make-aarch64.sh) as installed and, for
/// the musllinux ones, copied flat. Each root also gets Alpine 3.19's libgcc_s
/// and libstdc++ (the copies ujson's aarch64 musllinux wheel bundles), as
/// `apk add libgcc libstdc++` installs them, so that what a file binds there
/// is compared too: the checks against muslcheck's tables of those packages,
/// per architecture (`__frame_state_for` is aarch64's, `__mulxc3` x86's).
#[test]
fn muslcheck_agrees_with_alpine_s_aarch64_loaders_under_qemu() {
    if !Path::new(QEMU_AARCH64).exists() {
        let reason = format!("{QEMU_AARCH64} not found: apt-get install qemu-user-static");
        if std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_some() {
            panic!("{reason} (MUSLCHECK_REQUIRE_TOOLS is set)");
        }
        eprintln!("SKIPPED aarch64 loader differential test: {reason}");
        return;
    }
    // Absent when PyPI could not be reached, like every fetched tree.
    let Some(wheels) = fetched("aarch64") else {
        return;
    };
    let bundled = wheels.join("ujson-5.10.0-cp311-cp311-musllinux_1_2_aarch64/ujson.libs");
    let mut releases = Releases::default();
    for (release, _) in common::ALPINE_MINIROOTFS {
        let Some(alpine) = common::alpine_root_for(release, "aarch64") else {
            return;
        };
        std::fs::copy(QEMU_AARCH64, alpine.join(&QEMU_AARCH64[1..])).unwrap();
        install_gcc_runtime(&bundled, &alpine.join("usr/lib"));
        let inside = tempfile::tempdir_in(alpine.join("tmp")).unwrap();
        let mut roots = vec![copy_tree(&corpus(""), &inside.path().join("corpus"))];
        for entry in std::fs::read_dir(&wheels).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "wheels" {
                continue;
            }
            roots.push(copy_tree(&entry.path(), &inside.path().join(&name)));
            if name.contains("musllinux") {
                let flat = inside.path().join(format!("{name}-flat"));
                copy_shared_objects_flat(&entry.path(), &flat);
                roots.push(flat);
            }
        }
        let loader = Loader::Chroot {
            root: alpine.clone(),
            arch: Arch::Aarch64,
            installed: gcc_runtime(),
        };
        let compared = releases.compare(&loader, release, &roots, (40, 4));
        // The loader really bound symbols in libgcc_s: the x87 function is not there.
        let x87 = (
            "libcalls__mulxc3-aarch64.so".to_string(),
            "__mulxc3".to_string(),
        );
        assert!(
            compared.loader_symbols.contains(&x87),
            "alpine:{release}: {:?}",
            compared.loader_symbols
        );
    }
    releases.finish("Alpine's aarch64 loaders");
}

/// Alpine's names of the libraries [`install_gcc_runtime`] puts in a root.
fn gcc_runtime() -> Vec<String> {
    vec!["libgcc_s.so.1".to_string(), "libstdc++.so.6".to_string()]
}

/// A wheel's bundled libgcc_s and libstdc++ installed in `lib` under Alpine's
/// names, libstdc++'s need of auditwheel's renamed libgcc_s
/// (`libgcc_s-<hash>.so.1`) written back as `libgcc_s.so.1` in its string
/// table (shorter, so the rest of the string is NULs), as Alpine's has it.
fn install_gcc_runtime(bundled: &Path, lib: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(bundled)
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort_by_key(|name| (name.len(), name.clone()));
    let find = |prefix: &str| {
        names
            .iter()
            .find(|name| name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}* in {}", bundled.display()))
    };
    std::fs::copy(bundled.join(find("libgcc_s-")), lib.join("libgcc_s.so.1")).unwrap();
    let mut libstdcxx = std::fs::read(bundled.join(find("libstdc++-"))).unwrap();
    let needed = libstdcxx
        .windows(b"\0libgcc_s-".len())
        .position(|window| window == b"\0libgcc_s-")
        .expect("libstdc++ needs a renamed libgcc_s")
        + 1;
    let length = libstdcxx[needed..].iter().position(|&b| b == 0).unwrap();
    let mut renamed = b"libgcc_s.so.1".to_vec();
    renamed.resize(length, 0);
    libstdcxx[needed..needed + length].copy_from_slice(&renamed);
    std::fs::write(lib.join("libstdc++.so.6"), libstdcxx).unwrap();
}

/// musl's `load_library` looks a name up in the RPATH/RUNPATH of the object
/// that needs it and then of each object up the chain that loaded it, not
/// only the root's. Here `root.so` (RUNPATH `$ORIGIN/a`) loads `a/liba.so`
/// (RUNPATH `$ORIGIN/../b:$ORIGIN/../c`), which loads `b/libb.so` (no
/// RUNPATH), which needs `libc_only.so`: in `c/`, which only `liba.so`'s
/// RUNPATH names. Loaded on its own, `libb.so` finds nothing.
#[test]
fn a_library_is_found_through_the_runpath_of_the_object_that_loaded_it() {
    use common::synthetic_elf::SharedObject;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["a", "b", "c"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let objects = [
        ("root.so", "liba.so", Some("$ORIGIN/a")),
        ("a/liba.so", "libb.so", Some("$ORIGIN/../b:$ORIGIN/../c")),
        ("b/libb.so", "libc_only.so", None),
        ("c/libc_only.so", "", None),
    ];
    for (path, needs, runpath) in objects {
        let object = SharedObject {
            needed: ["libc.so", needs]
                .into_iter()
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect(),
            runpath: runpath.map(str::to_string),
            ..SharedObject::default()
        };
        std::fs::write(root.join(path), object.to_bytes()).unwrap();
    }
    let options = Options {
        platform: Platform::new("debian-musl".parse().unwrap(), Arch::X86_64, false),
        ..Options::default()
    };
    let report = scan(&[root.to_path_buf()], &options).unwrap();
    let verdict_and_missing = |path: &str| {
        let artifact = report
            .artifacts
            .iter()
            .find(|a| a.path.as_str() == path)
            .unwrap_or_else(|| panic!("{path} not judged"));
        let missing: Vec<String> = artifact
            .findings()
            .iter()
            .flat_map(|f| match &f.evidence {
                Evidence::Libraries { libraries } => {
                    libraries.iter().map(|l| l.name.clone()).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        (artifact.verdict(), missing)
    };
    assert_eq!(verdict_and_missing("root.so"), (Verdict::Ok, Vec::new()));
    assert_eq!(
        verdict_and_missing("b/libb.so"),
        (Verdict::Breaks, vec!["libc_only.so".to_string()])
    );

    if loader_missing("the loader's side") {
        return;
    }
    for (file, missing) in [("root.so", vec![]), ("b/libb.so", vec!["libc_only.so"])] {
        let output = Loader::Host.list(&root.join(file), &[], None);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors = common::musl_loader_errors(&stderr);
        let libraries: Vec<&str> = errors.libraries.iter().map(String::as_str).collect();
        assert_eq!(libraries, missing, "{file}: {stderr}");
    }
}

/// The kernel follows a directory symlink on a RUNPATH for the loader:
/// `root.so` (RUNPATH `$ORIGIN/lib`, `lib -> real`) finds `real/liba.so`.
#[test]
fn a_directory_symlink_on_the_runpath_is_followed() {
    use common::synthetic_elf::SharedObject;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("real")).unwrap();
    std::os::unix::fs::symlink("real", root.join("lib")).unwrap();
    let library = |needed: &[&str], runpath: Option<&str>| SharedObject {
        runpath: runpath.map(str::to_string),
        ..SharedObject::needing("libc.so", needed)
    };
    std::fs::write(
        root.join("root.so"),
        library(&["liba.so"], Some("$ORIGIN/lib")).to_bytes(),
    )
    .unwrap();
    std::fs::write(root.join("real/liba.so"), library(&[], None).to_bytes()).unwrap();
    let options = Options {
        platform: Platform::new("debian-musl".parse().unwrap(), Arch::X86_64, false),
        ..Options::default()
    };
    let report = scan(&[root.to_path_buf()], &options).unwrap();
    let artifact = report
        .artifacts
        .iter()
        .find(|a| a.path.as_str() == "root.so")
        .expect("root.so judged");
    assert_eq!(artifact.verdict(), Verdict::Ok, "{:?}", artifact.findings());

    if loader_missing("the loader's side") {
        return;
    }
    let output = Loader::Host.list(&root.join("root.so"), &[], None);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        common::musl_loader_errors(&stderr).libraries.is_empty(),
        "{stderr}"
    );
}

/// Each loader reads a RUNPATH by its own rules, and so does muslcheck's
/// model of it, checked against the loaders themselves: musl drops a path
/// holding any `$` token but `$ORIGIN` whole (`$LIB`), splits it at line
/// breaks too, and takes `$ORIGIN` as a prefix (`$ORIGINAL` is the origin
/// and `AL`); glibc splits at `:` only, and its `$ORIGIN` ends where an
/// identifier would (`$ORIGINAL` stays as written: here a directory).
#[test]
fn each_loader_reads_a_runpath_by_its_own_rules() {
    use common::synthetic_elf::SharedObject;
    // (file, RUNPATH, found by musl, found by glibc)
    let cases = [
        ("other-token.so", "$ORIGIN/lib:/opt/$LIB", false, true),
        ("line-break.so", "$ORIGIN/none\n$ORIGIN/lib", true, false),
        ("longer-token.so", "$ORIGIN/$ORIGINAL", false, true),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (loader, libc, target) in [
        ("musl", "libc.so", "debian-musl"),
        ("glibc", "libc.so.6", "debian:12-slim"),
    ] {
        let root = dir.path().join(loader);
        let library = SharedObject {
            needed: vec![libc.to_string()],
            ..SharedObject::default()
        };
        for at in ["lib", "$ORIGINAL"] {
            std::fs::create_dir_all(root.join(at)).unwrap();
            std::fs::write(root.join(at).join("liba.so"), library.to_bytes()).unwrap();
        }
        for (file, runpath, _, _) in cases {
            let object = SharedObject {
                needed: vec![libc.to_string(), "liba.so".to_string()],
                runpath: Some(runpath.to_string()),
                ..SharedObject::default()
            };
            std::fs::write(root.join(file), object.to_bytes()).unwrap();
        }
        let options = Options {
            platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
            ..Options::default()
        };
        let report = scan(std::slice::from_ref(&root), &options).unwrap();
        for (file, runpath, musl_finds, glibc_finds) in cases {
            let expected = if loader == "musl" {
                musl_finds
            } else {
                glibc_finds
            };
            let (_, missing, findings) = judged_missing(&report, file, "liba.so");
            assert_eq!(
                !missing, expected,
                "{loader}: {file} (RUNPATH {runpath:?}): {findings}"
            );
        }
    }

    if !loader_missing("musl's side") {
        for (file, runpath, musl_finds, _) in cases {
            let output = Loader::Host.list(&dir.path().join("musl").join(file), &[], None);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let errors = common::musl_loader_errors(&stderr);
            assert_eq!(
                errors.libraries.is_empty(),
                musl_finds,
                "musl: {file} (RUNPATH {runpath:?}): {stderr}"
            );
        }
    }
    for (file, runpath, _, glibc_finds) in cases {
        let Some(output) = glibc_list(&dir.path().join("glibc").join(file)) else {
            return;
        };
        let listed = String::from_utf8_lossy(&output.stdout);
        let found = listed.lines().any(|line| line.contains("liba.so => /"));
        assert_eq!(
            found, glibc_finds,
            "glibc: {file} (RUNPATH {runpath:?}): {listed}"
        );
    }
}

/// glibc's loader passes over a library for another machine on its search
/// path and searches on (`open_verify`); checked against the loader itself.
#[test]
fn glibc_passes_over_a_library_for_another_machine() {
    use common::synthetic_elf::SharedObject;
    let dir = tempfile::tempdir().unwrap();
    let library = SharedObject {
        needed: vec!["libc.so.6".to_string()],
        ..SharedObject::default()
    }
    .to_bytes();
    let mut for_aarch64 = library.clone();
    // e_machine: EM_AARCH64.
    for_aarch64[18..20].copy_from_slice(&183u16.to_le_bytes());
    // (case, where liba.so is: the other machine's first, then this one's)
    for (case, copies) in [
        ("other-only", &[&for_aarch64][..]),
        ("other-first", &[&for_aarch64, &library]),
    ] {
        let root = dir.path().join(case);
        for (at, bytes) in ["d1", "d2"].iter().zip(copies) {
            std::fs::create_dir_all(root.join(at)).unwrap();
            std::fs::write(root.join(at).join("liba.so"), bytes).unwrap();
        }
        let object = SharedObject {
            needed: vec!["libc.so.6".to_string(), "liba.so".to_string()],
            runpath: Some("$ORIGIN/d1:$ORIGIN/d2".to_string()),
            ..SharedObject::default()
        };
        std::fs::write(root.join("root.so"), object.to_bytes()).unwrap();
    }
    let options = Options {
        platform: Platform::new("debian:12-slim".parse().unwrap(), Arch::X86_64, false),
        ..Options::default()
    };
    let report = scan(&[dir.path().to_path_buf()], &options).unwrap();
    let verdict = |path: &str| {
        let (verdict, missing, _) = judged_missing(&report, path, "liba.so");
        (verdict, missing)
    };
    assert_eq!(verdict("other-only/root.so"), (Verdict::Breaks, true));
    assert_eq!(verdict("other-first/root.so"), (Verdict::Ok, false));
    // Said as it is: on the path, for another machine.
    let (_, _, findings) = judged_missing(&report, "other-only/root.so", "liba.so");
    assert!(
        findings.contains("which the scanned tree has at other-only/d1/liba.so built for aarch64")
            && findings.contains("ld.so passes over"),
        "{findings}"
    );

    for (case, found_in) in [("other-only", None), ("other-first", Some("d2/liba.so"))] {
        let Some(output) = glibc_list(&dir.path().join(case).join("root.so")) else {
            return;
        };
        let listed = String::from_utf8_lossy(&output.stdout);
        let errors = String::from_utf8_lossy(&output.stderr);
        let line = listed.lines().find(|line| line.contains("liba.so =>"));
        match found_in {
            Some(at) => assert!(line.is_some_and(|l| l.contains(at)), "{case}: {listed}"),
            // A library's missing need ends `--list` with the error.
            None => assert!(
                errors.contains("liba.so: cannot open shared object file")
                    || line.is_some_and(|l| l.contains("not found")),
                "{case}: {listed}{errors}"
            ),
        }
    }
}

/// musl's loader takes the first file by the needed name, whatever its
/// machine or class: a real aarch64 or i686 library ahead of the x86_64 one
/// on the RUNPATH fails the load, though the right one is next on the path
/// (glibc's passes over it: the test above). Checked against the loader.
#[test]
fn musl_stops_at_a_library_for_another_machine() {
    use common::synthetic_elf::SharedObject;
    use muslcheck::model::Unloadable;
    let dir = tempfile::tempdir().unwrap();
    // Built by corpus/build.sh: aarch64-linux-gnu-gcc (R_AARCH64_JUMP_SLOT),
    // and gcc -m32.
    let copies = [
        ("aarch64", "lib/libcalls__mulxc3-aarch64.so"),
        ("i686", "lib/liba-i686.so"),
    ];
    let library = SharedObject {
        needed: vec!["libc.so".to_string()],
        exports: vec!["a".to_string()],
        ..SharedObject::default()
    };
    let program = SharedObject {
        needed: vec!["libc.so".to_string(), "liba.so".to_string()],
        runpath: Some("$ORIGIN/d1:$ORIGIN/d2".to_string()),
        undefined: vec!["a".to_string()],
        ..SharedObject::default()
    };
    for (case, fixture) in copies {
        let root = dir.path().join(case);
        for at in ["d1", "d2"] {
            std::fs::create_dir_all(root.join(at)).unwrap();
        }
        std::fs::copy(corpus(fixture), root.join("d1/liba.so")).unwrap();
        std::fs::write(root.join("d2/liba.so"), library.to_bytes()).unwrap();
        std::fs::write(root.join("root.so"), program.to_bytes()).unwrap();
    }
    let options = Options {
        platform: Platform::new("debian-musl".parse().unwrap(), Arch::X86_64, false),
        ..Options::default()
    };
    let report = scan(&[dir.path().to_path_buf()], &options).unwrap();
    for (case, _) in copies {
        let path = format!("{case}/root.so");
        let (verdict, _, findings) = judged_missing(&report, &path, "liba.so");
        assert_eq!(verdict, Verdict::Breaks, "{case}: {findings}");
        assert_eq!(
            stopped_at(&report, &path),
            Some((Unloadable::OtherMachine, format!("{case}/d1/liba.so"))),
            "{case}: {findings}"
        );
        assert!(findings.contains("built for another machine"), "{findings}");
    }

    if loader_missing("musl's side") {
        return;
    }
    for (case, _) in copies {
        let output = Loader::Host.list(&dir.path().join(case).join("root.so"), &[], None);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors = common::musl_loader_errors(&stderr);
        assert!(!output.status.success(), "{case}: {stderr}");
        // It never opens d2/liba.so, which defines the program's `a`.
        assert!(!stderr.contains("d2/liba.so"), "{case}: {stderr}");
        match case {
            // The 32-bit header fails map_library: ENOEXEC.
            "i686" => assert!(
                stderr.contains("Error loading shared library liba.so: Exec format error"),
                "{stderr}"
            ),
            // The aarch64 file is mapped; its needs and relocations fail.
            _ => assert!(
                errors
                    .symbols
                    .iter()
                    .any(|(object, symbol)| object.ends_with("/root.so") && symbol == "a"),
                "{stderr}"
            ),
        }
    }
}

/// A loader's library search stops at the first file it can open by the
/// needed name: one that is not ELF, shorter than an ELF header, or an ELF
/// object file ends it and the load fails, though the real library is next
/// on the path. Checked against both loaders (the file names the error).
#[test]
fn a_library_search_stops_at_the_first_file_by_the_name() {
    use common::synthetic_elf::SharedObject;
    use muslcheck::model::Unloadable;
    let dir = tempfile::tempdir().unwrap();
    // (case, why what is first on the path does not load, glibc's words)
    let cases = [
        ("nothing", None),
        ("text", Some((Unloadable::NotElf, "invalid ELF header"))),
        ("empty", Some((Unloadable::TooShort, "file too short"))),
        (
            "object",
            Some((
                Unloadable::NotLoadableType,
                "only ET_DYN and ET_EXEC can be loaded",
            )),
        ),
        // Opened, then read: EISDIR (glibc's ld.so has no words for it).
        (
            "directory",
            Some((Unloadable::Directory, "cannot read file data: Error 21")),
        ),
    ];
    for (loader, libc, target) in [
        ("musl", "libc.so", "debian-musl"),
        ("glibc", "libc.so.6", "debian:12-slim"),
    ] {
        let library = SharedObject {
            needed: vec![libc.to_string()],
            exports: vec!["a".to_string()],
            ..SharedObject::default()
        }
        .to_bytes();
        for (case, _) in &cases {
            let root = dir.path().join(loader).join(case);
            for at in ["d1", "d2"] {
                std::fs::create_dir_all(root.join(at)).unwrap();
            }
            let first = match *case {
                "text" => Some("INPUT(-la)\n".repeat(8).into_bytes()),
                "empty" => Some(Vec::new()),
                "object" => {
                    let mut object = library.clone();
                    // e_type: ET_REL.
                    object[16..18].copy_from_slice(&1u16.to_le_bytes());
                    Some(object)
                }
                "directory" => {
                    std::fs::create_dir(root.join("d1/liba.so")).unwrap();
                    None
                }
                _ => None,
            };
            if let Some(first) = first {
                std::fs::write(root.join("d1/liba.so"), first).unwrap();
            }
            std::fs::write(root.join("d2/liba.so"), &library).unwrap();
            let program = SharedObject {
                needed: vec![libc.to_string(), "liba.so".to_string()],
                runpath: Some("$ORIGIN/d1:$ORIGIN/d2".to_string()),
                undefined: vec!["a".to_string()],
                ..SharedObject::default()
            };
            std::fs::write(root.join("root.so"), program.to_bytes()).unwrap();
        }
        let options = Options {
            platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
            ..Options::default()
        };
        let report = scan(&[dir.path().join(loader)], &options).unwrap();
        for (case, stops) in &cases {
            let path = format!("{case}/root.so");
            let (verdict, missing, findings) = judged_missing(&report, &path, "liba.so");
            let stopped_at = stopped_at(&report, &path);
            match stops {
                None => assert_eq!(
                    (verdict, missing),
                    (Verdict::Ok, false),
                    "{loader}: {case}: {findings}"
                ),
                Some((reason, _)) => {
                    assert_eq!(verdict, Verdict::Breaks, "{loader}: {case}: {findings}");
                    assert_eq!(
                        stopped_at,
                        Some((*reason, format!("{case}/d1/liba.so"))),
                        "{loader}: {case}: {findings}"
                    );
                }
            }
        }
    }

    if !loader_missing("musl's side") {
        for (case, stops) in &cases {
            let output = Loader::Host.list(
                &dir.path().join("musl").join(case).join("root.so"),
                &[],
                None,
            );
            let stderr = String::from_utf8_lossy(&output.stderr);
            let errors = common::musl_loader_errors(&stderr);
            assert_eq!(
                errors.libraries.contains("liba.so"),
                stops.is_some(),
                "musl: {case}: {stderr}"
            );
            // The line muslcheck shows is the loader's.
            if let Some((reason, _)) = stops {
                let line = format!(
                    "Error loading shared library liba.so: {}",
                    reason.musl_error()
                );
                assert!(stderr.contains(&line), "musl: {case}: {stderr}");
            }
        }
    }
    for (case, stops) in &cases {
        let Some(output) = glibc_list(&dir.path().join("glibc").join(case).join("root.so")) else {
            return;
        };
        let listed = String::from_utf8_lossy(&output.stdout);
        let errors = String::from_utf8_lossy(&output.stderr);
        match stops {
            None => assert!(
                listed
                    .lines()
                    .any(|l| l.contains("liba.so => ") && l.contains("/d2/liba.so")),
                "glibc: {case}: {listed}{errors}"
            ),
            Some((_, words)) => assert!(
                errors.contains(&format!("/d1/liba.so: {words}")),
                "glibc: {case}: {listed}{errors}"
            ),
        }
    }
}

/// musl's loader looks up by name every symbol a relocation names that is
/// not STB_LOCAL, the file's own definitions included, and never binds an
/// IFUNC definition: a file whose relocations name its own IFUNCs (Debian's
/// libatomic) fails unless another loaded object defines the names plainly.
/// Checked against the loader itself.
#[test]
fn musl_never_binds_a_file_s_own_ifunc() {
    use common::synthetic_elf::SharedObject;
    let dir = tempfile::tempdir().unwrap();
    let with_own_ifunc = |needed: &[&str]| SharedObject {
        needed: needed.iter().map(|n| n.to_string()).collect(),
        runpath: Some("$ORIGIN".to_string()),
        ifunc_exports: vec!["atomic_op".to_string()],
        exports: vec!["plain_op".to_string()],
        ..SharedObject::default()
    };
    // (file, bytes, whether musl finds `atomic_op`)
    let files = [
        ("alone.so", with_own_ifunc(&["libc.so"]), false),
        (
            "with-plain.so",
            with_own_ifunc(&["libc.so", "libplain.so"]),
            true,
        ),
        (
            "libplain.so",
            SharedObject {
                needed: vec!["libc.so".to_string()],
                exports: vec!["atomic_op".to_string()],
                ..SharedObject::default()
            },
            true,
        ),
    ];
    for (file, object, _) in &files {
        std::fs::write(dir.path().join(file), object.to_bytes()).unwrap();
    }
    let options = Options {
        platform: Platform::new("debian-musl".parse().unwrap(), Arch::X86_64, false),
        ..Options::default()
    };
    let report = scan(&[dir.path().to_path_buf()], &options).unwrap();
    for (file, _, found) in &files {
        let artifact = report
            .artifacts
            .iter()
            .find(|a| a.path.as_str() == *file)
            .unwrap();
        let missing: Vec<(String, Option<String>)> = artifact
            .findings()
            .iter()
            .flat_map(|f| match &f.evidence {
                Evidence::Symbols { symbols, .. } => symbols
                    .iter()
                    .map(|s| (s.name.clone(), s.ifunc_only_in.clone()))
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        if *found {
            assert_eq!(artifact.verdict(), Verdict::Ok, "{file}: {missing:?}");
        } else {
            assert_eq!(artifact.verdict(), Verdict::Breaks, "{file}");
            assert_eq!(
                missing,
                [("atomic_op".to_string(), Some(file.to_string()))],
                "{file}"
            );
        }
    }

    if loader_missing("musl's side") {
        return;
    }
    for (file, _, found) in &files {
        let output = Loader::Host.list(&dir.path().join(file), &[], None);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors = common::musl_loader_errors(&stderr);
        let failed_on_it = errors
            .symbols
            .iter()
            .any(|(_, symbol)| symbol == "atomic_op");
        assert_eq!(failed_on_it, !found, "musl: {file}: {stderr}");
    }
}

/// `root/bin/prog` (`program`), `root/libs/liba.so` needing libb.so and
/// `root/libs/libb.so`, each needing `libc`, judged on `target`.
fn program_with_chained_libraries(
    root: &Path,
    program: &common::synthetic_elf::SharedObject,
    libc: &str,
    target: &str,
) -> Report {
    use common::synthetic_elf::SharedObject;
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("libs")).unwrap();
    std::fs::write(root.join("bin/prog"), program.to_bytes()).unwrap();
    for (name, needed) in [("liba.so", vec![libc, "libb.so"]), ("libb.so", vec![libc])] {
        let library = SharedObject {
            needed: needed.iter().map(|n| n.to_string()).collect(),
            ..SharedObject::default()
        };
        std::fs::write(root.join("libs").join(name), library.to_bytes()).unwrap();
    }
    let options = Options {
        platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
        ..Options::default()
    };
    scan(&[root.to_path_buf()], &options).unwrap()
}

/// A library no module loads is judged in the process of the program of
/// the tree that loads it: musl searches the RPATH or RUNPATH of every
/// object up the chain that loaded a library, so a bundled library without
/// one finds its sibling through the program's (a wheel's `node` binary and
/// its `libstdc++`); glibc inherits only DT_RPATH, never DT_RUNPATH. Checked
/// against both loaders.
#[test]
fn a_library_is_judged_in_the_process_of_the_program_that_loads_it() {
    use common::synthetic_elf::SharedObject;
    let dir = tempfile::tempdir().unwrap();
    // (loader, libc, interpreter, target, program's path tag, found in its process)
    let cases = [
        ("musl", "libc.so", LOADER, "debian-musl", "runpath", true),
        (
            "glibc",
            "libc.so.6",
            "/lib64/ld-linux-x86-64.so.2",
            "debian:12-slim",
            "runpath",
            false,
        ),
        (
            "glibc",
            "libc.so.6",
            "/lib64/ld-linux-x86-64.so.2",
            "debian:12-slim",
            "rpath",
            true,
        ),
    ];
    for (loader, libc, interpreter, target, tag, found) in cases {
        let root = dir.path().join(format!("{loader}-{tag}"));
        let path = Some("$ORIGIN/../libs".to_string());
        let (runpath, rpath) = match tag {
            "rpath" => (None, path),
            _ => (path, None),
        };
        let program = SharedObject {
            needed: vec![libc.to_string(), "liba.so".to_string()],
            runpath,
            rpath,
            interpreter: Some(interpreter.to_string()),
            ..SharedObject::default()
        };
        let report = program_with_chained_libraries(&root, &program, libc, target);
        for file in ["bin/prog", "libs/liba.so"] {
            let (verdict, missing, findings) = judged_missing(&report, file, "libb.so");
            let case = format!("{loader} ({tag}): {file}: {findings}");
            assert_eq!(missing, !found, "{case}");
            assert_eq!(verdict == Verdict::Ok, found, "{case}");
        }
        let library = report
            .artifacts
            .iter()
            .find(|a| a.path.as_str() == "libs/liba.so")
            .unwrap();
        let judged_in = library
            .assessment
            .load
            .as_ref()
            .and_then(|load| load.loaded_by_program.as_deref());
        assert_eq!(judged_in, Some("bin/prog"), "{loader} ({tag})");
    }

    if !loader_missing("musl's side") {
        let output = Loader::Host.list(&dir.path().join("musl-runpath/bin/prog"), &[], None);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            common::musl_loader_errors(&stderr).libraries.is_empty(),
            "musl: {stderr}"
        );
    }
    for (tag, found) in [("runpath", false), ("rpath", true)] {
        let Some(output) = glibc_list(&dir.path().join(format!("glibc-{tag}/bin/prog"))) else {
            return;
        };
        let listed = String::from_utf8_lossy(&output.stdout);
        let errors = String::from_utf8_lossy(&output.stderr);
        let finds = listed
            .lines()
            .any(|l| l.contains("libb.so => ") && l.contains("/libs/libb.so"));
        assert_eq!(finds, found, "glibc ({tag}): {listed}{errors}");
    }
}

/// The verdict on `path`, whether a finding names `library` missing, and
/// the findings.
fn judged_missing(report: &Report, path: &str, library: &str) -> (Verdict, bool, String) {
    let artifact = report
        .artifacts
        .iter()
        .find(|a| a.path.as_str() == path)
        .unwrap_or_else(|| panic!("{path} not judged"));
    let missing = artifact.findings().iter().any(|f| {
        matches!(&f.evidence, Evidence::Libraries { libraries }
            if libraries.iter().any(|l| l.name == library))
    });
    (
        artifact.verdict(),
        missing,
        format!("{:?}", artifact.findings()),
    )
}

/// Where the library search of the artifact at `path` stopped at a file it
/// cannot load, and why.
fn stopped_at(report: &Report, path: &str) -> Option<(muslcheck::model::Unloadable, String)> {
    let artifact = report.artifacts.iter().find(|a| a.path.as_str() == path)?;
    artifact.findings().iter().find_map(|f| match &f.evidence {
        Evidence::Libraries { libraries } => libraries
            .iter()
            .find_map(|l| l.unloadable_at.as_ref())
            .map(|at| (at.reason, at.path.clone())),
        _ => None,
    })
}

/// The host's glibc loader listing `file` (`ld.so --list`), or `None`,
/// saying why, on a host without one.
fn glibc_list(file: &Path) -> Option<std::process::Output> {
    let loader = Path::new("/lib64/ld-linux-x86-64.so.2");
    if !loader.exists() {
        let reason = format!("no {} (a glibc x86_64 host)", loader.display());
        if std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_some() {
            panic!("{reason} (MUSLCHECK_REQUIRE_TOOLS is set)");
        }
        eprintln!("SKIPPED glibc's side: {reason}");
        return None;
    }
    Some(
        Command::new(loader)
            .arg("--list")
            .arg(file)
            .output()
            .unwrap(),
    )
}

/// Both loaders answer a need by the name of a library already loaded,
/// without searching: a program with a DT_RUNPATH needing liba.so and
/// libb.so loads both through it, and liba.so's need of libb.so (liba has
/// no RUNPATH, and glibc does not pass the program's on) is met by the
/// libb.so loaded. liba.so, judged in the program's process, loads there.
/// Checked against both loaders.
#[test]
fn a_need_is_met_by_a_library_the_process_already_loaded() {
    use common::synthetic_elf::SharedObject;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("musl", "libc.so", LOADER, "debian-musl"),
        (
            "glibc",
            "libc.so.6",
            "/lib64/ld-linux-x86-64.so.2",
            "debian:12-slim",
        ),
    ];
    for (loader, libc, interpreter, target) in cases {
        let root = dir.path().join(loader);
        let program = SharedObject {
            needed: vec![
                libc.to_string(),
                "libb.so".to_string(),
                "liba.so".to_string(),
            ],
            runpath: Some("$ORIGIN/../libs".to_string()),
            interpreter: Some(interpreter.to_string()),
            ..SharedObject::default()
        };
        let report = program_with_chained_libraries(&root, &program, libc, target);
        for file in ["bin/prog", "libs/liba.so"] {
            let (verdict, missing, findings) = judged_missing(&report, file, "libb.so");
            let case = format!("{loader}: {file}: {findings}");
            assert!(!missing, "{case}");
            assert_eq!(verdict, Verdict::Ok, "{case}");
        }
    }

    if !loader_missing("musl's side") {
        let output = Loader::Host.list(&dir.path().join("musl/bin/prog"), &[], None);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            common::musl_loader_errors(&stderr).libraries.is_empty(),
            "musl: {stderr}"
        );
    }
    let Some(output) = glibc_list(&dir.path().join("glibc/bin/prog")) else {
        return;
    };
    let listed = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success()
            && listed.contains("/libs/liba.so")
            && !listed.contains("not found"),
        "glibc: {listed}{errors}"
    );
}

/// Compiles with `compiler` (`gcc`, `musl-gcc`), or says why not: `None`
/// when the compiler is absent (a failure when MUSLCHECK_REQUIRE_TOOLS is set).
fn compile(compiler: &str, args: &[&str], dir: &Path) -> Option<()> {
    match Command::new(compiler).args(args).current_dir(dir).output() {
        Ok(output) => {
            assert!(output.status.success(), "{compiler} {args:?}: {output:?}");
            Some(())
        }
        Err(error) => {
            let reason = format!("{compiler}: {error} (apt-get install gcc musl-tools)");
            assert!(
                std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_none(),
                "{reason} (MUSLCHECK_REQUIRE_TOOLS is set)"
            );
            eprintln!("SKIPPED: {reason}");
            None
        }
    }
}

/// musl's lookup never binds a definition whose version is hidden
/// (`foo@V1`, not `foo@@V1`: a negative versym); glibc's takes it. A
/// program needing `foo` from a library defining it only as `foo@V1` (as
/// libbsd keeps its old MD5 functions) fails under musl's loader and loads
/// under glibc's.
#[test]
fn musl_never_binds_a_hidden_version_and_glibc_does() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "lib.c",
        "int foo_old(void){return 0;}\n__asm__(\".symver foo_old,foo@V1\");\nint bar(void){return 2;}\n",
    );
    write("v.map", "V1 { };\nV2 { global: bar; local: *; } V1;\n");
    write("stub.c", "int foo(void){return 0;}\n");
    write("main.c", "int foo(void); int main(void){return foo();}\n");
    for (compiler, out, target) in [
        ("gcc", "g", "debian:12-slim"),
        ("musl-gcc", "m", "debian-musl"),
    ] {
        std::fs::create_dir_all(dir.path().join(out).join("stub")).unwrap();
        let steps: [&[&str]; 3] = [
            &[
                "-shared",
                "-fPIC",
                "-o",
                &format!("{out}/libh.so"),
                "-Wl,-soname,libh.so",
                "-Wl,--version-script=v.map",
                "lib.c",
            ],
            &[
                "-shared",
                "-fPIC",
                "-o",
                &format!("{out}/stub/libh.so"),
                "-Wl,-soname,libh.so",
                "stub.c",
            ],
            &[
                "-o",
                &format!("{out}/main"),
                "main.c",
                &format!("-L{out}/stub"),
                "-lh",
                "-Wl,-rpath,$ORIGIN",
            ],
        ];
        for args in steps {
            if compile(compiler, args, dir.path()).is_none() {
                return;
            }
        }
        std::fs::remove_dir_all(dir.path().join(out).join("stub")).unwrap();
        let options = Options {
            platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
            ..Options::default()
        };
        let report = scan(&[dir.path().join(out)], &options).unwrap();
        let program = report
            .artifacts
            .iter()
            .find(|a| a.path.as_str() == "main")
            .unwrap();
        let missing: Vec<String> = program
            .findings()
            .iter()
            .filter_map(|f| match &f.evidence {
                Evidence::Symbols { symbols, .. } => Some(symbols.iter().map(|s| s.name.clone())),
                _ => None,
            })
            .flatten()
            .collect();
        let expected: &[&str] = if out == "m" { &["foo"] } else { &[] };
        assert_eq!(missing, expected, "{target}: {:?}", program.findings());
    }

    // The real loaders.
    let run = |program: &str| Command::new(dir.path().join(program)).output().unwrap();
    let glibc = run("g/main");
    assert!(glibc.status.success(), "glibc: {glibc:?}");
    if loader_missing("musl's side") {
        return;
    }
    let musl = run("m/main");
    let stderr = String::from_utf8_lossy(&musl.stderr);
    assert!(
        !musl.status.success() && stderr.contains("foo: symbol not found"),
        "musl: {musl:?}"
    );
}

/// glibc binds a library's STT_GNU_IFUNC definition (it calls the resolver),
/// which musl never does: on a glibc target a program needing a name its
/// tree library defines only as an IFUNC loads.
#[test]
fn glibc_binds_an_ifunc_definition() {
    use common::synthetic_elf::SharedObject;
    let dir = tempfile::tempdir().unwrap();
    let library = SharedObject {
        soname: Some("libifunc.so".to_string()),
        needed: vec!["libc.so.6".to_string()],
        ifunc_exports: vec!["atomic_op".to_string()],
        ..SharedObject::default()
    };
    std::fs::write(dir.path().join("libifunc.so"), library.to_bytes()).unwrap();
    let program = SharedObject {
        needed: vec!["libc.so.6".to_string(), "libifunc.so".to_string()],
        undefined: vec!["atomic_op".to_string()],
        runpath: Some("$ORIGIN".to_string()),
        interpreter: Some("/lib64/ld-linux-x86-64.so.2".to_string()),
        ..SharedObject::default()
    };
    std::fs::write(dir.path().join("prog"), program.to_bytes()).unwrap();
    for (target, breaks) in [("debian:12-slim", false), ("debian-musl", true)] {
        let options = Options {
            platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
            ..Options::default()
        };
        let report = scan(&[dir.path().to_path_buf()], &options).unwrap();
        let program = report
            .artifacts
            .iter()
            .find(|a| a.path.as_str() == "prog")
            .unwrap();
        let missing = program.findings().iter().any(|f| {
            matches!(&f.evidence, Evidence::Symbols { symbols, .. }
                if symbols.iter().any(|s| s.name == "atomic_op"))
        });
        assert_eq!(missing, breaks, "{target}: {:?}", program.findings());
    }
}

/// A musl object needing its loader by name (`ld-musl-x86_64.so.1`) loads
/// on Alpine: musl's search finds `/lib/ld-musl-x86_64.so.1`, the file it
/// already is, and takes itself. Debian's musl searches only its
/// `/lib/x86_64-linux-musl` and `/usr/lib/x86_64-linux-musl`
/// (`/etc/ld-musl-x86_64.path`), where no file has that name: it fails.
/// Debian's musl loader and Alpine's in a chroot as ground truth.
#[test]
fn a_musl_object_needing_the_loader_by_name_loads() {
    use common::synthetic_elf::SharedObject;
    let dir = tempfile::tempdir().unwrap();
    let loader_name = LOADER.rsplit('/').next().unwrap();
    let program = SharedObject {
        needed: vec!["libc.so".to_string(), loader_name.to_string()],
        interpreter: Some(LOADER.to_string()),
        ..SharedObject::default()
    };
    std::fs::write(dir.path().join("prog"), program.to_bytes()).unwrap();
    for (target, loads) in [("alpine:3.20", true), ("debian-musl", false)] {
        let options = Options {
            platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
            ..Options::default()
        };
        let report = scan(&[dir.path().to_path_buf()], &options).unwrap();
        let (verdict, missing, findings) = judged_missing(&report, "prog", loader_name);
        assert_eq!(missing, !loads, "{target}: {findings}");
        assert_eq!(verdict == Verdict::Ok, loads, "{target}: {findings}");
    }
    if loader_missing("musl's side") {
        return;
    }
    let output = Command::new(LOADER)
        .arg("--list")
        .arg(dir.path().join("prog"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        common::musl_loader_errors(&stderr)
            .libraries
            .contains(loader_name),
        "Debian's musl: {output:?}"
    );
    let Some(alpine) = common::alpine_root("3.20") else {
        return;
    };
    let inside = tempfile::tempdir_in(alpine.join("tmp")).unwrap();
    std::fs::copy(dir.path().join("prog"), inside.path().join("prog")).unwrap();
    let output = Loader::alpine(alpine.clone()).list(&inside.path().join("prog"), &[], None);
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "Alpine 3.20: {output:?}"
    );
}
