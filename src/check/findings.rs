//! Load findings (MC1xx): what the loader model found, as the user would
//! see it on the target. Loader messages come from musl's own format strings.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::model::{
    Code, Evidence, Finding, Host, MissingLibrary, MissingSymbol, PackageNeed, Reference,
    RelocationEvidence,
};
use crate::platform::musl::search_path_description;
use crate::platform::{LoaderMessage, Platform, SonameProvider, alpine_provider};

use super::provider::LibraryProvider;
use super::resolve::Resolution;
use super::tree::TreeFile;
use super::{describe_first, describe_list, describe_symbols, has_glibc_interpreter};

/// MC104: another architecture's file.
pub fn wrong_architecture(file: &TreeFile, platform: &Platform) -> Finding {
    let (built, target) = (file.facts.arch, platform.arch);
    Finding::new(
        Code::WrongArchitecture,
        format!("built for {built}, the target is {target}"),
        Evidence::Architecture {
            file: built,
            target,
        },
    )
    .with_loader_messages(vec![format!("exec {}: exec format error", file.shown)])
    .with_remedy(format!(
        "install the {target} build of this file, or pass --arch {built} if that is the image's architecture"
    ))
}

/// MC101: the program asks for glibc's loader.
pub fn glibc_interpreter(file: &TreeFile, platform: &Platform) -> Option<Finding> {
    let interpreter = file.facts.interpreter.as_ref()?;
    if !has_glibc_interpreter(file.facts, platform) {
        return None;
    }
    let own = platform.interpreter();
    Some(
        Finding::new(
            Code::GlibcInterpreter,
            format!(
                "its interpreter {interpreter} is glibc's loader; {} has none (musl's is {})",
                platform.target,
                own.unwrap_or("ld-musl")
            ),
            Evidence::Interpreter {
                interpreter: interpreter.clone(),
                expected: own.map(str::to_string),
            },
        )
        .with_loader_messages(vec![format!("sh: {}: not found", file.shown)])
        .with_remedy(
            "install a musl build of this program (a musl release, the -musl platform package, \
             a musllinux wheel) or build it on the target",
        ),
    )
}

/// MC102, MC103 and MC106 for the file itself.
pub fn own_failures(
    file: &TreeFile,
    (root, host): (usize, Option<&Host>),
    resolution: &Resolution,
    platform: &Platform,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let own = resolution.symbols.get(&root);
    if let Some(missing) = own.map(|own| &own.missing).filter(|m| !m.is_empty()) {
        // musl's dlopen with RTLD_LAZY leaves PLT and GOT entries it cannot
        // bind for later (`prepare_lazy` in ldso/dynlink.c), unless the
        // object binds now: those fail at their first use, not at load.
        let lazy_host = host
            .filter(|host| !host.dlopens_now() && !file.facts.bind_now)
            .map(Host::name);
        findings.push(missing_symbols(
            (file.shown, lazy_host),
            missing,
            resolution,
            platform,
        ));
    }
    let libraries = resolution.missing_libraries_of(root);
    if !libraries.is_empty() {
        findings.push(missing_libraries(libraries, platform));
    }
    if let Some(relocations) = own
        .map(|own| &own.unsupported_relocations)
        .filter(|r| !r.is_empty())
    {
        findings.push(unsupported_relocations(file, relocations));
    }
    findings
}

fn missing_symbols(
    (shown, lazy_host): (&str, Option<&str>),
    missing: &Arc<[MissingSymbol]>,
    resolution: &Resolution,
    platform: &Platform,
) -> Finding {
    let mut message = format!(
        "{} symbol(s) that musl {} and every loaded library lack: {}",
        missing.len(),
        platform.musl_version().map_or("?", |v| v.as_str()),
        describe_symbols(missing, 6)
    );
    // Under a lazy dlopen only the names another relocation type binds stop the load.
    let at_load: Vec<&MissingSymbol> = missing
        .iter()
        .filter(|s| lazy_host.is_none() || s.reference == Reference::Load)
        .collect();
    if let (Some(host), true) = (lazy_host, at_load.len() < missing.len()) {
        let _ = write!(
            message,
            "; {host} loads it with RTLD_LAZY, so musl leaves {} unbound instead of failing: {}",
            if at_load.is_empty() {
                "them"
            } else {
                "those only a PLT or GOT entry names"
            },
            if at_load.is_empty() {
                "it loads, and the process dies (SIGSEGV) at the first use of one of them"
            } else {
                "the others stop the load"
            }
        );
    }
    let ifunc_only: Vec<&MissingSymbol> = missing
        .iter()
        .filter(|s| s.ifunc_only_in.is_some())
        .collect();
    let first_definer = ifunc_only.first().and_then(|s| s.ifunc_only_in.clone());
    if let Some(definer) = &first_definer {
        let _ = write!(
            message,
            "; {} of them defined only as an IFUNC in {definer}{}, which musl's loader does not resolve",
            ifunc_only.len(),
            if ifunc_only
                .iter()
                .all(|s| s.ifunc_only_in.as_ref() == Some(definer))
            {
                ""
            } else {
                " and others"
            }
        );
    }
    let mut finding = Finding::new(
        Code::MissingSymbols,
        message,
        Evidence::Symbols {
            symbols: Arc::clone(missing),
            looked_in: resolution.scope.clone(),
        },
    )
    .with_loader_messages(symbol_messages(shown, &at_load));
    // Every missing name in a newer Alpine's musl: that image is the simpler fix.
    let names: Vec<&str> = missing.iter().map(|s| s.name.as_str()).collect();
    if let Some((release, musl)) = platform.newer_alpine_providing(&names) {
        finding = finding.with_remedy(format!(
            "use Alpine ≥ {release} (musl {musl} adds {}): `FROM alpine:{release}`",
            describe_first(names.iter(), names.len(), 6)
        ));
        finding.min_alpine = Some(release);
        return finding;
    }
    match first_definer {
        Some(definer) if ifunc_only.len() == missing.len() => finding.with_remedy(format!(
            "install a musl build of {definer} (musl's loader binds only plain definitions, never IFUNC resolvers)"
        )),
        _ => finding,
    }
}

fn symbol_messages<'a>(
    shown: &'a str,
    missing: &'a [&MissingSymbol],
) -> impl ExactSizeIterator<Item = String> + 'a {
    missing
        .iter()
        .map(move |s| LoaderMessage::SymbolNotFound.format(&[shown, &s.name]))
}

fn library_message(library: &MissingLibrary) -> String {
    let args = [library.name.as_str(), library.needed_by.as_str()];
    match &library.unloadable_at {
        Some(file) => {
            LoaderMessage::LibraryNotFound.format_with_error(&args, file.reason.musl_error())
        }
        None => LoaderMessage::LibraryNotFound.format(&args),
    }
}

/// "liba.so, whose first file on the search path, d1/liba.so, is not an
/// ELF file": the libraries whose search stopped at a file that does not
/// load.
pub(super) fn stopped_at_unloadable(libraries: &[&MissingLibrary]) -> Option<String> {
    let stopped: Vec<String> = libraries
        .iter()
        .filter_map(|library| {
            let file = library.unloadable_at.as_ref()?;
            Some(format!(
                "{}, but the first file by that name on the search path, {}, is {}",
                library.name,
                file.path,
                file.reason.describe()
            ))
        })
        .collect();
    (!stopped.is_empty()).then(|| {
        format!(
            "needs {} (the loader stops at the first file it can open by the name)",
            describe_list(&stopped, 6)
        )
    })
}

fn relocation_messages(shown: &str, relocations: &[(u32, usize)]) -> Vec<String> {
    relocations
        .iter()
        .map(|(r_type, _)| {
            LoaderMessage::UnsupportedRelocation.format(&[shown, &r_type.to_string()])
        })
        .collect()
}

/// The fix when a library's search stopped at a file that does not load.
pub(super) const UNLOADABLE_REMEDY: &str = "remove or rename the file the search stops at, or \
     put the real library ahead of it on the search path";

/// The fix when a needed name is a relative path (`lib/libf.so`: the
/// library had no SONAME when the file was linked against it by path).
/// Both loaders open such a name from the working directory, so it loads
/// only when the program starts where that path exists.
pub(super) fn relative_name_remedy<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let name = names
        .into_iter()
        .find(|name| name.contains('/') && !name.starts_with('/'))?;
    let file_name = name.rsplit('/').next().unwrap_or(name);
    Some(format!(
        "`{name}` is a path relative to the directory the program is started in (the library \
         had no SONAME when it was linked), so it loads only when started where that path \
         exists: relink against the library built with `-Wl,-soname,{file_name}`, or \
         `patchelf --replace-needed {name} {file_name}` with an RPATH that reaches it"
    ))
}

fn missing_libraries(libraries: Vec<MissingLibrary>, platform: &Platform) -> Finding {
    let loader_messages: Vec<String> = libraries.iter().map(library_message).collect();
    let (unloadable, searched): (Vec<&MissingLibrary>, Vec<&MissingLibrary>) =
        libraries.iter().partition(|l| l.unloadable_at.is_some());
    let (off_path, absent): (Vec<&MissingLibrary>, Vec<&MissingLibrary>) =
        searched.iter().partition(|l| l.in_tree_at.is_some());
    let mut parts: Vec<String> = stopped_at_unloadable(&unloadable).into_iter().collect();
    if !absent.is_empty() {
        let names: Vec<String> = absent.iter().map(|l| l.name.clone()).collect();
        parts.push(format!(
            "needs {} which neither the scanned tree nor the target provides",
            describe_list(&names, 6)
        ));
    }
    if !off_path.is_empty() {
        let placed: Vec<String> = off_path
            .iter()
            .map(|l| {
                format!(
                    "{}, which is in the scanned tree at {}",
                    l.name,
                    l.in_tree_at.as_deref().unwrap_or_default()
                )
            })
            .collect();
        parts.push(format!(
            "needs {} but not on musl's search path (no RPATH/RUNPATH reaches it; {})",
            describe_list(&placed, 6),
            search_path_description(platform.arch)
        ));
    }
    let mut message = parts.join("; ");
    let expected: Vec<String> = libraries
        .iter()
        .flat_map(|l| l.symbols_expected.iter().cloned())
        .collect();
    if !expected.is_empty() {
        let _ = write!(
            message,
            "; the {} symbol(s) the file expects from {} ({}) fail with {} and are not listed under MC102",
            expected.len(),
            if libraries.len() == 1 { "it" } else { "them" },
            describe_list(&expected, 6),
            if libraries.len() == 1 { "it" } else { "them" }
        );
    }
    let relative = relative_name_remedy(absent.iter().map(|l| l.name.as_str()));
    let remedy = if let Some(remedy) = relative {
        remedy
    } else if searched.is_empty() {
        UNLOADABLE_REMEDY.to_string()
    } else if libraries.iter().all(|l| l.gcompat_provides) {
        "gcompat provides it: `apk add gcompat`".to_string()
    } else if absent.is_empty() {
        "make the loader find it: an RPATH/RUNPATH that reaches it (`patchelf --set-rpath`), LD_LIBRARY_PATH, or the library installed on musl's default path".to_string()
    } else {
        absent_library_remedy(&absent)
    };
    Finding::new(
        Code::MissingLibrary,
        message,
        Evidence::Libraries { libraries },
    )
    .with_loader_messages(loader_messages)
    .with_remedy(remedy)
}

/// What to do about libraries nothing provides, each as Alpine has it:
/// gcompat's names, the packages muslcheck's table knows, the names
/// nothing on Alpine provides, and the rest asked of apk by soname.
fn absent_library_remedy(absent: &[&MissingLibrary]) -> String {
    let mut gcompat = Vec::new();
    let mut packages = Vec::new();
    let mut nothing = Vec::new();
    let mut unknown = Vec::new();
    for library in absent {
        let name = library.name.as_str();
        match alpine_provider(name) {
            _ if library.gcompat_provides => gcompat.push(name),
            Some(SonameProvider::Package(package)) => packages.push(package),
            Some(SonameProvider::Nothing(why)) => {
                match why
                    .trim_start_matches("(none)")
                    .trim_start_matches([' ', '-'])
                {
                    "" => nothing.push(name.to_string()),
                    why => nothing.push(format!("{name} ({why})")),
                }
            }
            None => unknown.extend(super::library_packages::so_name(name)),
        }
    }
    packages.sort_unstable();
    packages.dedup();
    let mut parts = Vec::new();
    if !gcompat.is_empty() {
        parts.push(format!(
            "gcompat provides {}: `apk add gcompat`",
            gcompat.join(", ")
        ));
    }
    if !packages.is_empty() {
        parts.push(format!("`apk add {}`", packages.join(" ")));
    }
    if !unknown.is_empty() {
        // apk resolves a soname (`so:libodbc.so.2`) to the package that
        // provides it, for names muslcheck's own table does not know.
        parts.push(format!(
            "`apk add {}` installs the Alpine package that provides {}, if there is one",
            unknown.join(" "),
            if unknown.len() == 1 { "it" } else { "each" }
        ));
    }
    if !nothing.is_empty() {
        parts.push(format!("nothing on Alpine provides {}", nothing.join("; ")));
    }
    if !unknown.is_empty() || !nothing.is_empty() {
        parts.push(
            "else bundle the library with the artifact, or use a build that does not need it"
                .to_string(),
        );
    }
    parts.join("; ")
}

fn relocation_evidence(file: &TreeFile, relocations: &[(u32, usize)]) -> Vec<RelocationEvidence> {
    relocations
        .iter()
        .map(|&(r_type, count)| RelocationEvidence {
            r_type,
            name: file.facts.arch.relocation_name(r_type),
            count,
        })
        .collect()
}

fn unsupported_relocations(file: &TreeFile, relocations: &[(u32, usize)]) -> Finding {
    let evidence = relocation_evidence(file, relocations);
    let names: Vec<String> = evidence
        .iter()
        .map(|r| format!("{} ×{}", r.name, r.count))
        .collect();
    Finding::new(
        Code::UnsupportedRelocation,
        format!("relocations musl's loader refuses: {}", names.join(", ")),
        Evidence::Relocations {
            relocations: evidence,
        },
    )
    .with_loader_messages(relocation_messages(file.shown, relocations))
}

/// MC107: the Alpine packages the load needs, as one `apk add` line.
pub fn alpine_packages(resolution: &Resolution) -> Option<Finding> {
    let mut packages: Vec<PackageNeed> = Vec::new();
    for lib in &resolution.loaded {
        if let LibraryProvider::AlpinePackage { package, table } = lib.provider
            && !packages.iter().any(|p| p.library == lib.name)
        {
            packages.push(PackageNeed {
                library: lib.name.clone(),
                package: package.to_string(),
                checked: table.is_some(),
            });
        }
    }
    if packages.is_empty() {
        return None;
    }
    // One name per package, in the order first needed.
    let mut names: Vec<&str> = Vec::new();
    for need in &packages {
        if !names.contains(&need.package.as_str()) {
            names.push(&need.package);
        }
    }
    let apk_add = format!("apk add {}", names.join(" "));
    let libraries: Vec<String> = packages.iter().map(|p| p.library.clone()).collect();
    Some(
        Finding::new(
            Code::NeedsAlpinePackage,
            format!(
                "needs {} from Alpine packages: `{apk_add}`",
                libraries.join(", ")
            ),
            Evidence::Packages {
                packages,
                apk_add: apk_add.clone(),
            },
        )
        .with_remedy(format!("add `RUN {apk_add}` to the Alpine stage")),
    )
}

/// MC108: names expected from a system library whose exports are not tabulated.
pub fn unchecked(resolution: &Resolution, symbols: &[String]) -> Option<Finding> {
    if symbols.is_empty() {
        return None;
    }
    let libraries: Vec<String> = resolution
        .loaded
        .iter()
        .filter(|l| {
            matches!(
                l.provider,
                LibraryProvider::AlpinePackage { table: None, .. }
            )
        })
        .map(|l| l.name.clone())
        .collect();
    Some(Finding::new(
        Code::UncheckedSymbols,
        format!(
            "{} symbol(s) not in musl, expected from {} whose exports muslcheck has no table for",
            symbols.len(),
            libraries.join(", ")
        ),
        Evidence::Unchecked {
            symbols: symbols.to_vec(),
            libraries,
        },
    )
    .with_remedy(UNCHECKED_REMEDY))
}

/// MC108's fix: the target's own loader knows the library's exports.
pub(super) const UNCHECKED_REMEDY: &str = "check on the target, with the libraries installed: \
     `ldd FILE` lists each symbol its loader cannot bind (`ldd -r` with glibc's)";

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(name: &str, gcompat_provides: bool) -> MissingLibrary {
        MissingLibrary {
            name: name.to_string(),
            needed_by: "x.so".to_string(),
            looked_in: Vec::new(),
            gcompat_provides,
            note: None,
            in_tree_at: None,
            symbols_expected: Vec::new(),
            unloadable_at: None,
        }
    }

    #[test]
    fn each_absent_library_gets_the_remedy_alpine_has_for_it() {
        // imageio_ffmpeg's binary: gcompat's loader name, and libmvec,
        // which nothing on Alpine provides (no `apk add so:libmvec.so.1`).
        let loader = missing("ld-linux-x86-64.so.2", true);
        let mvec = missing("libmvec.so.1", false);
        let remedy = absent_library_remedy(&[&loader, &mvec]);
        assert!(
            remedy.starts_with("gcompat provides ld-linux-x86-64.so.2: `apk add gcompat`"),
            "{remedy}"
        );
        assert!(
            remedy.contains("nothing on Alpine provides libmvec.so.1 ("),
            "{remedy}"
        );
        assert!(!remedy.contains("so:"), "{remedy}");
        // A name the table knows is its package; one it does not, asked by soname.
        let odbc = missing("libodbc.so.2", false);
        let zlib = missing("libz.so.1", false);
        let remedy = absent_library_remedy(&[&odbc, &zlib]);
        assert!(
            remedy.starts_with("`apk add zlib`; `apk add so:libodbc.so.2`"),
            "{remedy}"
        );
    }
}
