//! MC114: initial-exec TLS in a library musl loads with dlopen.
//!
//! musl gives static TLS (a fixed offset from the thread pointer) only to
//! the objects loaded when the program starts. A library loaded later that
//! reaches a thread-local symbol of a library loaded with it through an
//! initial-exec relocation (`R_*_TPOFF`) stops the load: `Error relocating
//! X: sym: initial-exec TLS resolves to dynamic definition in Y`. One that
//! reaches its own block without a symbol stops it too, but the message
//! names whatever symbol the loader looked up last, and when there was none
//! the loader itself crashes (SIGSEGV under Alpine 3.20's). glibc lends such
//! libraries its static TLS surplus.

use super::resolve::Resolution;
use super::tree::TreeIndex;
use crate::model::{Code, Evidence, Finding, Host, TlsUse};
use crate::platform::{LoaderKind, Platform};

/// MC114 for a file its host loads with dlopen, when it or a tree library
/// loaded with it uses initial-exec TLS defined in that load.
pub fn initial_exec_tls(
    index: &TreeIndex,
    resolution: &Resolution,
    host: Option<&Host>,
    platform: &Platform,
) -> Option<Finding> {
    let host = host?;
    if platform.loader_kind() != LoaderKind::Musl {
        return None;
    }
    let uses: Vec<TlsUse> = resolution
        .objects
        .iter()
        .filter_map(|&object| {
            let file = index.file(object)?;
            let tls = &file.facts.initial_exec_tls;
            if tls.is_empty() {
                return None;
            }
            // Where each name is defined: the first object of the load
            // exporting it (musl's lookup order); elsewhere (the host's own
            // start-up libraries) it is static TLS and fine.
            let resolved: Vec<(String, String)> = tls
                .symbols
                .iter()
                .filter_map(|symbol| {
                    let definer = resolution.objects.iter().find_map(|&other| {
                        let other = index.file(other)?;
                        other.facts.exports.contains(symbol).then_some(other.shown)
                    })?;
                    Some((symbol.clone(), definer.to_string()))
                })
                .collect();
            (tls.own_block || !resolved.is_empty()).then(|| TlsUse {
                path: file.shown.to_string(),
                own_block: tls.own_block,
                symbols: resolved,
            })
        })
        .collect();
    let first = uses.first()?;
    let loader_messages: Vec<String> = uses
        .iter()
        .flat_map(|tls| {
            tls.symbols.iter().map(|(symbol, definer)| {
                format!(
                    "Error relocating {}: {symbol}: initial-exec TLS resolves to dynamic definition in {definer}",
                    tls.path
                )
            })
        })
        .collect();
    let reached: Vec<String> = first
        .symbols
        .iter()
        .map(|(symbol, definer)| match definer == &first.path {
            true => format!("its own `{symbol}`"),
            false => format!("`{symbol}` of {definer}"),
        })
        .collect();
    let what = if first.symbols.is_empty() {
        "reaches its own thread-local variables through initial-exec TLS, and musl's loader \
         refuses that (its `Error relocating` line names the symbol it relocated just before, \
         or, with none, the process crashes in the loader)"
    } else {
        &format!(
            "reaches {} through initial-exec TLS, and musl's loader refuses that",
            reached.join(", ")
        )
    };
    let root = index.file(*resolution.objects.first()?)?;
    let whose = if root.shown == first.path {
        "it".to_string()
    } else {
        format!("{}, which it loads,", first.path)
    };
    let message = format!(
        "{} loads this file with dlopen, and {whose} {what}; musl gives static TLS only to \
         what the program loads at start",
        host.name()
    );
    Some(
        Finding::new(
            Code::InitialExecTls,
            message,
            Evidence::InitialExecTls { objects: uses },
        )
        .with_loader_messages(loader_messages),
    )
}
