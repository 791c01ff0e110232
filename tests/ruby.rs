//! Ruby gems: a C extension installed by Bundler under vendor/bundle is
//! attributed to its gem, judged with Ruby as its host (`rb_*` from the
//! interpreter), and answered from Gemfile.lock's PLATFORMS. Debian's
//! ruby-bcrypt build placed as Bundler installs it
//! (corpus/thirdparty/make-ruby-bundle.sh; the tests skip, saying why, when
//! absent, unless MUSLCHECK_REQUIRE_TOOLS is set).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use muslcheck::check::host::provides;
use muslcheck::model::{Action, Arch, Ecosystem, Evidence, HostKind, Reinstall, Verdict};
use muslcheck::platform::Platform;
use muslcheck::{Options, Report};

mod common;

use common::{fetched, scan_with};

const LOADER: &str = common::MUSL_LOADER;
const EXTENSION: &str = "vendor/bundle/ruby/3.1.0/gems/bcrypt-3.1.18/lib/bcrypt_ext.so";

fn bundle() -> Option<PathBuf> {
    let bundle = fetched("ruby-bundle");
    if bundle.is_none() {
        assert!(
            std::env::var_os("MUSLCHECK_REQUIRE_TOOLS").is_none(),
            "corpus/thirdparty/fetched/ruby-bundle absent (MUSLCHECK_REQUIRE_TOOLS is set)"
        );
        eprintln!("SKIPPED: run corpus/thirdparty/make-ruby-bundle.sh");
    }
    bundle
}

fn scan_on(target: &str, path: &Path) -> Report {
    let options = Options {
        platform: Platform::new(target.parse().unwrap(), Arch::X86_64, false),
        ..Default::default()
    };
    scan_with(&[path.to_path_buf()], &options)
}

fn bcrypt_decision(report: &Report) -> &muslcheck::model::PackageDecision {
    report
        .packages
        .iter()
        .find(|d| d.package.as_ref().is_some_and(|p| p.name == "bcrypt"))
        .unwrap()
}

#[test]
fn glibc_extension_is_attributed_to_its_gem_with_ruby_as_host() {
    let Some(bundle) = bundle() else { return };
    let report = scan_on("alpine:3.20", &bundle.join("glibc-lock"));
    let extension = common::found(&report, EXTENSION);
    let package = extension.package.as_ref().unwrap();
    assert_eq!(
        (
            package.ecosystem,
            package.name.as_str(),
            package.version.as_str()
        ),
        (Ecosystem::Rubygems, "bcrypt", "3.1.18")
    );
    assert_eq!(
        extension.assessment.host.as_ref().map(|h| h.kind),
        Some(HostKind::Ruby)
    );
    // Debian's build needs libruby-3.1.so.3.1; its rb_* imports come from the host.
    assert_eq!(extension.verdict(), Verdict::Breaks);
    let load = extension.assessment.load.as_ref().unwrap();
    assert!(load.from_host > 0, "{load:?}");

    // The lock holds only bcrypt's source gem (PLATFORMS ruby, x86_64-linux):
    // `bundle install` on Alpine compiles it, relocked or not (batch 12 F10).
    let decision = bcrypt_decision(&report);
    assert_eq!(decision.reinstalled.reinstall, Reinstall::SourceBuild);
    assert!(
        decision
            .reinstalled
            .build_packages
            .contains(&"ruby-dev".to_string()),
        "{decision:?}"
    );
    assert!(
        !decision
            .actions
            .iter()
            .any(|a| matches!(a, Action::RelockForMusl { .. }))
    );
}

#[test]
fn a_lock_with_the_musl_platform_compiles_the_source_gem_on_the_target() {
    let Some(bundle) = bundle() else { return };
    let report = scan_on("alpine:3.20", &bundle.join("musl-lock"));
    let decision = bcrypt_decision(&report);
    assert_eq!(decision.reinstalled.reinstall, Reinstall::SourceBuild);
    assert!(
        decision
            .reinstalled
            .build_packages
            .contains(&"ruby-dev".to_string())
    );
}

#[test]
fn extension_agrees_with_the_real_musl_loader() {
    let Some(bundle) = bundle() else { return };
    if common::musl_loader_missing("musl's side") {
        return;
    }
    let root = bundle.join("glibc-lock");
    let report = scan_on("debian-musl", &root);
    let extension = common::found(&report, EXTENSION);
    let output = Command::new(LOADER)
        .arg("--list")
        .arg(root.join(EXTENSION))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let host = extension.assessment.host.as_ref().unwrap();
    let errors = common::musl_loader_errors(&stderr);
    let libraries = errors.libraries;
    let (hosted, symbols): (Vec<_>, Vec<_>) = errors
        .symbols
        .into_iter()
        .map(|(_, symbol)| symbol)
        .partition(|symbol| provides(host, symbol));
    let host_symbols = hosted.len();
    let ours: BTreeSet<String> = extension
        .findings()
        .iter()
        .filter_map(|f| match &f.evidence {
            Evidence::Libraries { libraries } => Some(libraries.iter().map(|l| l.name.clone())),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(libraries, ours, "{stderr}");
    assert!(host_symbols > 0, "the loader binds rb_* nowhere: {stderr}");
    // Past the missing libruby, what else fails is libc's: none here.
    assert!(symbols.is_empty(), "{symbols:?}");
    assert_eq!(extension.verdict(), Verdict::Breaks);
}

#[test]
fn platform_gems_the_target_never_uses_are_not_applicable() {
    let Some(bundle) = bundle() else { return };
    let root = bundle.join("platform-gems");
    let gem = |platform: &str| {
        format!("vendor/bundle/ruby/3.1.0/gems/bcrypt-3.1.18-{platform}/lib/bcrypt_ext.so")
    };
    let alpine = scan_on("alpine:3.20", &root);
    assert_eq!(
        common::found(&alpine, &gem("x86_64-linux-gnu")).verdict(),
        Verdict::NotApplicable
    );
    // The synthetic "musl" gem holds the glibc build: judged, and breaks.
    assert_eq!(
        common::found(&alpine, &gem("x86_64-linux-musl")).verdict(),
        Verdict::Breaks
    );
    let debian = scan_on("debian:12-slim", &root);
    assert_eq!(
        common::found(&debian, &gem("x86_64-linux-musl")).verdict(),
        Verdict::NotApplicable
    );
    assert_ne!(
        common::found(&debian, &gem("x86_64-linux-gnu")).verdict(),
        Verdict::NotApplicable
    );
}
