//! The findings of the glibc (and no-libc) model, in its loader's words:
//! what [`super::GlibcResolver`] found missing, as MC1xx findings.

use std::collections::HashSet;
use std::sync::Arc;

use crate::check::findings::{
    UNCHECKED_REMEDY, UNLOADABLE_REMEDY, relative_name_remedy, stopped_at_unloadable,
};
use crate::check::tree::TreeFile;
use crate::check::{describe_list, describe_symbols};
use crate::model::{
    Arch, Code, Evidence, Finding, Host, MissingLibrary, MissingNode, MissingSymbol, Presence,
    Reference, RuntimeFile, Stack, StackNeed, install_shell_command,
};
use crate::platform::{LoaderKind, Platform};

/// MC110: the kernel finds no PT_INTERP file on the image (or no loader at all).
pub(super) fn interpreter_missing(file: &TreeFile, platform: &Platform) -> Option<Finding> {
    let no_loader = platform.loader_kind() == LoaderKind::None;
    let (message, loader_messages) = match &file.facts.interpreter {
        Some(interpreter) if !platform.is_own_interpreter(interpreter) => {
            let message = match platform.interpreter() {
                Some(own) => format!(
                    "its interpreter {interpreter} is not on {}, whose loader is {own}",
                    platform.target
                ),
                None => format!(
                    "its interpreter {interpreter} is not on {}, which has no C library and no dynamic loader",
                    platform.target
                ),
            };
            let messages = vec![
                format!("sh: {}: not found", file.shown),
                format!("exec {}: no such file or directory", file.shown),
            ];
            (message, messages)
        }
        // A shared library: nothing on a loader-less image could load it.
        None if no_loader => (
            format!(
                "a dynamically linked file, and {} has no dynamic loader to load it",
                platform.target
            ),
            Vec::new(),
        ),
        _ => return None,
    };
    Some(
        Finding::new(
            Code::InterpreterNotOnImage,
            message,
            Evidence::Interpreter {
                interpreter: file.facts.interpreter.clone().unwrap_or_default(),
                expected: platform.interpreter().map(str::to_string),
            },
        )
        .with_loader_messages(loader_messages)
        .with_remedy(if no_loader {
            "use a static build, or a base image with the C library the file was built for".to_string()
        } else {
            "use a build for the image's C library (or a static build), or an image with the loader the file names".to_string()
        }),
    )
}

/// Why glibc reads an object as needing an executable stack.
fn stack_reason(need: &StackNeed, arch: Arch) -> String {
    match need.stack {
        Stack::Unmarked => {
            format!("it has no PT_GNU_STACK, and on {arch} glibc then makes the stack executable")
        }
        _ => "its PT_GNU_STACK has the execute flag".to_string(),
    }
}

/// ld.so's words when a dlopen meets an object needing an executable stack.
fn refused_message(name: &str) -> String {
    format!("{name}: cannot enable executable stack as shared object requires: Invalid argument")
}

/// MC113: the host dlopens the file, and the first of `needs` (objects of
/// its load in load order, each with the name ld.so loaded it under) stops it.
pub(super) fn executable_stack_refused(
    file: &TreeFile,
    needs: Vec<(StackNeed, String)>,
    host: &Host,
    glibc: &str,
    platform: &Platform,
) -> Option<Finding> {
    let arch = file.facts.arch;
    let (first, first_name) = needs.first()?;
    let own = first.path == file.shown;
    let whose = if own {
        "it needs an executable stack".to_string()
    } else {
        format!("{}, which it loads, needs an executable stack", first.path)
    };
    let message = format!(
        "{} loads this file with dlopen, and {whose} ({}); glibc {glibc} on {} refuses to make the stack executable for dlopen, so loading it fails",
        host.name(),
        stack_reason(first, arch),
        platform.target
    );
    // ld.so names the file as dlopen was given it, a dependency by its needed name.
    let stopped_at = if own { file.shown } else { first_name };
    let loader_messages = vec![refused_message(stopped_at)];
    Some(
        Finding::new(
            Code::ExecutableStackRefused,
            message,
            Evidence::ExecutableStack {
                objects: needs.into_iter().map(|(need, _)| need).collect(),
                glibc: glibc.to_string(),
            },
        )
        .with_loader_messages(loader_messages),
    )
}

/// MC402: a library needing an executable stack that no known host loads.
pub(super) fn executable_stack_note(need: StackNeed, glibc: &str, platform: &Platform) -> Finding {
    let arch = platform.arch;
    let message = format!(
        "needs an executable stack ({}): glibc {glibc} on {} loads it when a program that needs it starts, but refuses it to dlopen (ctypes.CDLL, plugins)",
        stack_reason(&need, arch),
        platform.target
    );
    let shown = need.path.clone();
    Finding::new(
        Code::ExecutableStack,
        message,
        Evidence::ExecutableStack {
            objects: vec![need],
            glibc: glibc.to_string(),
        },
    )
    .with_loader_messages(vec![refused_message(&shown)])
}

/// MC103 in ld.so's words.
pub(super) fn missing_libraries(
    file: &TreeFile,
    libraries: Vec<MissingLibrary>,
    platform: &Platform,
) -> Finding {
    // One line per library however many loaded objects need it: ld.so
    // names the file run, not the object that needed it.
    let mut seen = HashSet::new();
    let mut loader_messages: Vec<String> = Vec::new();
    for line in libraries.iter().map(|l| match &l.unloadable_at {
            // ld.so names the file it opened, by its path.
            Some(at) => format!(
                "{}: error while loading shared libraries: {}: {}",
                file.shown,
                at.path,
                at.reason.glibc_error()
            ),
            None => format!(
                "{}: error while loading shared libraries: {}: cannot open shared object file: No such file or directory",
                file.shown, l.name
            ),
        }) {
        if seen.insert(line.clone()) {
            loader_messages.push(line);
        }
    }
    let (mut names, mut absent, mut off_path, mut unloadable) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut other_machine = Vec::new();
    for library in &libraries {
        // One name, however many of the loaded objects need it.
        if names.contains(&library.name) {
            continue;
        }
        if library.unloadable_at.is_some() {
            if !unloadable
                .iter()
                .any(|l: &&MissingLibrary| l.name == library.name)
            {
                unloadable.push(library);
            }
            continue;
        }
        names.push(library.name.clone());
        match (&library.in_tree_at, &library.note) {
            // glibc's findings note only a copy for another machine.
            (Some(at), Some(built_for)) => other_machine.push(format!(
                "{}, which the scanned tree has at {at} {built_for}",
                library.name
            )),
            (Some(at), None) => off_path.push(format!(
                "{}, which is in the scanned tree at {at}",
                library.name
            )),
            (None, _) => absent.push(library.name.clone()),
        }
    }
    let mut parts: Vec<String> = stopped_at_unloadable(&unloadable).into_iter().collect();
    if !absent.is_empty() {
        parts.push(format!(
            "needs {} which neither the scanned tree (RPATH/RUNPATH) nor {} provides",
            describe_list(&absent, 6),
            platform.target
        ));
    }
    if !off_path.is_empty() {
        parts.push(format!(
            "needs {} but not on ld.so's search path (an object's DT_RUNPATH serves its own \
             needs only, not the libraries it loads; without one, the DT_RPATH of each object up \
             the chain that loaded it is searched)",
            describe_list(&off_path, 6)
        ));
    }
    if !other_machine.is_empty() {
        parts.push(format!(
            "needs {}, which ld.so passes over: it loads a library of its own machine and ELF \
             class only",
            describe_list(&other_machine, 6)
        ));
    }
    let message = parts.join("; ");
    let mut remedies = Vec::new();
    // musl's C library on a glibc image: the file was built for musl, and
    // no package of the image, nor a bundled copy, makes ld.so run it.
    let built_for_musl = names
        .iter()
        .any(|n| n.starts_with("libc.musl-") || n.as_str() == "libc.so");
    remedies.extend(relative_name_remedy(absent.iter().map(String::as_str)));
    if built_for_musl {
        remedies.push(
            "it was built for musl: install its glibc build instead (a manylinux wheel, the \
             -gnu platform package; reinstalling on the target picks it) or build it on the target"
                .to_string(),
        );
    }
    let packages: Vec<&str> = names
        .iter()
        .filter_map(|n| platform.package_providing(n))
        .collect();
    if let (Some(install), false) = (platform.install_command(), packages.is_empty()) {
        let mut unique_packages: Vec<&str> = Vec::new();
        for package in packages {
            if !unique_packages.contains(&package) {
                unique_packages.push(package);
            }
        }
        remedies.push(format!(
            "`RUN {}`",
            install_shell_command(install, &unique_packages.join(" "))
        ));
    }
    let images: Vec<&str> = names
        .iter()
        .filter_map(|n| platform.image_providing(n))
        .collect();
    if let Some(image) = images.first().filter(|_| images.len() == names.len()) {
        let has = if names.len() == 1 {
            "has it"
        } else {
            "has them"
        };
        remedies.push(format!("use `FROM {image}`, which {has}"));
    }
    if !off_path.is_empty() {
        remedies.push(
            "give the object that needs it a RUNPATH that reaches it (`patchelf --set-rpath`), \
             or link the program with DT_RPATH (`-Wl,--disable-new-dtags`), which the libraries \
             it loads inherit"
                .to_string(),
        );
    }
    if !unloadable.is_empty() {
        remedies.push(UNLOADABLE_REMEDY.to_string());
    }
    if remedies.is_empty() {
        remedies.push("bundle the library with the artifact (and an RPATH that reaches it), or use a build that does not need it".to_string());
    }
    Finding::new(
        Code::MissingLibrary,
        message,
        Evidence::Libraries { libraries },
    )
    .with_loader_messages(loader_messages)
    .with_remedy(remedies.join(", or "))
}

/// MC109 in dl-version.c's words.
pub(super) fn version_nodes_missing(file: &TreeFile, nodes: Vec<MissingNode>) -> Finding {
    let loader_messages: Vec<String> = nodes
        .iter()
        .map(|n| {
            format!(
                "{}: {}: version `{}' not found (required by {})",
                file.shown,
                n.path.as_deref().unwrap_or(&n.library),
                n.node,
                n.needed_by
            )
        })
        .collect();
    let described: Vec<String> = nodes
        .iter()
        .map(|n| match &n.newest_defined {
            Some(newest) => format!(
                "{} from {} (the image's newest is {newest})",
                n.node, n.library
            ),
            None => format!("{} from {}", n.node, n.library),
        })
        .collect();
    Finding::new(
        Code::VersionNodeMissing,
        format!(
            "needs version node(s) the image's libraries do not define: {}",
            describe_list(&described, 6)
        ),
        Evidence::VersionNodes { nodes },
    )
    .with_loader_messages(loader_messages)
}

/// MC111: GLIBC_PRIVATE needs.
pub(super) fn glibc_private(needed_by: &[String]) -> Finding {
    Finding::new(
        Code::GlibcPrivate,
        format!(
            "needs GLIBC_PRIVATE, glibc's internal interface, from {}: it loads only where that glibc still has the private symbols it uses, which change between releases without notice",
            describe_list(needed_by, 6)
        ),
        Evidence::Unchecked {
            symbols: vec!["GLIBC_PRIVATE".to_string()],
            libraries: needed_by.to_vec(),
        },
    )
}

/// MC102 in dl-lookup.c's words, saying when the failure comes.
pub(super) fn missing_symbols(
    (file, host): (&TreeFile, Option<&Host>),
    missing: Arc<[MissingSymbol]>,
    loaded: &[(String, String)],
) -> Finding {
    // ld.so binds GOT entries and other data relocations at load; PLT slots
    // at their first call, unless the object or the dlopen binds now.
    let binds_now = file.facts.bind_now || host.is_some_and(Host::dlopens_now);
    let bound_at_load = |s: &MissingSymbol| binds_now || s.reference >= Reference::Got;
    // One name bound at load fails the load; the PLT slots are never reached.
    let at_load = missing.iter().any(bound_at_load);
    let when = match (host, at_load) {
        (Some(host), true) if host.dlopens_now() => format!(
            "{} loads it with dlopen(RTLD_NOW), so loading it fails",
            host.name()
        ),
        (Some(host), true) => format!("{}'s dlopen of it fails", host.name()),
        (Some(host), false) => format!(
            "{} loads it with dlopen(RTLD_LAZY): it loads, and the process stops at the first call of a missing function",
            host.name()
        ),
        (None, true) => "it fails at load time (it binds now, or the symbols are data)".to_string(),
        (None, false) => "it starts and fails at the first call of a missing function (bound \
             lazily), at load time for data or under LD_BIND_NOW"
            .to_string(),
    };
    let version = |s: &MissingSymbol| {
        s.version
            .as_ref()
            .map(|v| format!(", version {v}"))
            .unwrap_or_default()
    };
    let failing: Vec<&MissingSymbol> = missing
        .iter()
        .filter(|s| !at_load || bound_at_load(s))
        .collect();
    let loader_messages = failing.iter().map(|s| match host {
        // dlerror()'s text, as `import` and `require()` print it.
        Some(_) if bound_at_load(s) => {
            format!("{}: undefined symbol: {}{}", file.shown, s.name, version(s))
        }
        Some(host) => format!(
            "{}: symbol lookup error: {}: undefined symbol: {}{}",
            host.program(),
            file.shown,
            s.name,
            version(s)
        ),
        None => format!(
            "{0}: symbol lookup error: {0}: undefined symbol: {1}{2}",
            file.shown,
            s.name,
            version(s)
        ),
    });
    Finding::new(
        Code::MissingSymbols,
        format!(
            "{} symbol(s) that no loaded library (the image's or the scanned tree's) exports: {}; {when}",
            missing.len(),
            describe_symbols(&missing, 6)
        ),
        Evidence::Symbols {
            symbols: Arc::clone(&missing),
            looked_in: loaded
                .iter()
                .map(|(name, from)| format!("{name}: {from}"))
                .collect(),
        },
    )
    .with_loader_messages(loader_messages)
    .with_remedy(
        "build the file against the image's libraries, or use an image whose libraries export them",
    )
}

/// MC108: needs whose library's exports or definitions are not tabulated.
pub(super) fn unchecked_needs(symbols: &[String], nodes: &[String]) -> Finding {
    let mut all: Vec<String> = symbols.to_vec();
    all.extend(nodes.iter().cloned());
    Finding::new(
        Code::UncheckedSymbols,
        format!(
            "{} symbol(s) or version node(s) expected from image libraries whose exports muslcheck has no table for: {}",
            all.len(),
            describe_list(&all, 6)
        ),
        Evidence::Unchecked {
            symbols: all,
            libraries: Vec::new(),
        },
    )
    .with_remedy(UNCHECKED_REMEDY)
}

/// MC112: a static program's run-time files the image lacks, with the COPY line.
pub(super) fn runtime_files_missing(file: &TreeFile, platform: &Platform) -> Option<Finding> {
    let profile = platform.profile()?;
    let lacking: Vec<RuntimeFile> = file
        .facts
        .runtime_files
        .iter()
        .filter(|f| profile.runtime_file(*f).presence == Presence::No)
        .collect();
    let files: Vec<String> = lacking.iter().map(|f| f.path().to_string()).collect();
    if files.is_empty() {
        return None;
    }
    // The image's own package where it has a package manager, else a COPY line.
    let copies: Vec<String> = lacking
        .iter()
        .map(|needed| {
            if let Some(install) = profile.install_command
                && let Some(packages) = profile.runtime_file_packages(*needed)
            {
                return format!(
                    "RUN {}",
                    install_shell_command(install, &packages.join(" "))
                );
            }
            needed.copy_line()
        })
        .collect();
    Some(
        Finding::new(
            Code::RuntimeFileMissing,
            format!(
                "a static program that names {}, which {} lacks: it runs, and fails when it first needs them",
                describe_list(&files, 4),
                platform.target
            ),
            Evidence::RuntimeFiles { files },
        )
        .with_remedy(format!(
            "add them to the image: {}",
            copies
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    )
}
