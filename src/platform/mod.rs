//! Platform profiles: what a base image provides, and its loader's rules.
//!
//! A [`Platform`] is built once at the command-line edge from a [`Target`]
//! (the image as the user names it), an architecture and the `--gcompat`
//! choice, and passed by reference to every check. Today the profiles are
//! Alpine and musl ones; all musl and gcompat facts live here, read from the
//! embedded tables in `data/`.

mod alpine_build_names;
pub use alpine_build_names::IN_ALPINE_BUILD_BASE;
mod base;
mod debian_sonames;
pub mod musl;
mod profile_exports;
pub mod profiles;
mod table_rows;
mod tables;
mod target;

use crate::model::{Arch, HostKind, LibcKind, TargetInfo, Version};

pub use base::BaseLibrary;
pub use musl::LoaderMessage;
pub use profiles::{Library, LookupError, Profile, target_summaries};
pub use tables::{
    GccRuntime, GlibcSymbol, HostBrought, MuslProvides, SonameProvider, SymbolTables,
    alpine_provider,
};
pub use target::{DEFAULT_MATRIX, Distribution, MuslTarget, MuslVersion, Target, alpine_releases};

/// The first glibc release whose `dlopen` fails on a library needing an
/// executable stack.
pub const GLIBC_REFUSING_EXECUTABLE_STACK: &str = "2.41";

/// One base image as it ships, for one architecture: what the scanned files
/// must run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub target: Target,
    pub arch: Arch,
    /// `apk add gcompat` was asked for (it takes effect where packages exist).
    pub gcompat: bool,
}

impl Default for Platform {
    /// The newest Alpine on this machine's architecture, without gcompat.
    fn default() -> Self {
        Platform::new(Target::newest_alpine(), Arch::host(), false)
    }
}

/// Whose rules load the target's programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoaderKind {
    Musl,
    Glibc,
    /// No C library and no loader (scratch, distroless/static): only static files run.
    None,
}

impl Platform {
    pub fn new(target: Target, arch: Arch, gcompat: bool) -> Platform {
        Platform {
            target,
            arch,
            gcompat,
        }
    }

    /// Why this platform cannot be judged (a profile without facts for the
    /// architecture), for the command line to report before scanning.
    pub fn validate(&self) -> Result<(), String> {
        match &self.target {
            Target::Musl(_) => Ok(()),
            Target::Image(name) => Profile::lookup(name, self.arch)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }

    /// The base-image profile, for an image target.
    pub fn profile(&self) -> Option<&'static Profile> {
        match &self.target {
            Target::Musl(_) => None,
            Target::Image(name) => Profile::lookup(name, self.arch).ok(),
        }
    }

    /// Whose loader rules apply. An image without facts for this architecture
    /// (rejected by [`Platform::validate`]) is taken as glibc with nothing known.
    pub fn loader_kind(&self) -> LoaderKind {
        match (&self.target, self.profile()) {
            (Target::Musl(_), _) => LoaderKind::Musl,
            (Target::Image(_), Some(profile)) if profile.libc == LibcKind::None => LoaderKind::None,
            (Target::Image(_), _) => LoaderKind::Glibc,
        }
    }

    /// The libc Node's addon loaders that look for `/etc/alpine-release`
    /// (node-gyp-build, pkg-prebuilds, require-addon) take the target for:
    /// musl on Alpine alone; glibc on other musl systems, which lack that
    /// file, as on glibc ones; `None` without a C library.
    pub fn libc_by_alpine_release(&self) -> Option<LibcKind> {
        match (&self.target, self.loader_kind()) {
            (Target::Musl(musl), _) if musl.distribution == Distribution::Alpine => {
                Some(LibcKind::Musl)
            }
            (_, LoaderKind::None) => None,
            _ => Some(LibcKind::Glibc),
        }
    }

    /// The shared library the image holds under `soname` (glibc and no-libc images).
    pub fn image_library(&self, soname: &str) -> Option<&'static Library> {
        self.profile()?.library(soname)
    }

    /// Whether the image's list of shared libraries is known (for musl targets: no).
    pub fn image_libraries_known(&self) -> bool {
        self.profile().is_some_and(Profile::libraries_known)
    }

    /// The package that provides `soname` for this image (`libstdc++6`),
    /// read from the other profiles of its family, else from those whose
    /// packages come from the same archive and release (Debian 12's
    /// distroless images for debian:12-slim), else, for Debian's archive,
    /// from Debian's index of every package's files (`libatomic1`).
    pub fn package_providing(&self, soname: &str) -> Option<&'static str> {
        let own = self.profile()?;
        let package = |p: &'static Profile| p.library(soname).and_then(|l| l.package);
        let archive = package_archive(own);
        self.family_profiles()
            .find_map(package)
            .or_else(|| {
                Profile::all()
                    .iter()
                    .filter(|p| {
                        p.arch == own.arch && archive.is_some() && package_archive(p) == archive
                    })
                    .find_map(package)
            })
            .or_else(|| match archive {
                Some(("deb.debian.org", codename)) => {
                    debian_sonames::debian_package(codename, self.arch, soname)
                }
                _ => None,
            })
    }

    /// The smallest other image of this one's family and architecture that
    /// holds `soname` (`gcr.io/distroless/cc-debian12` for libstdc++.so.6 on
    /// distroless/base), when one holds it.
    pub fn image_providing(&self, soname: &str) -> Option<&'static str> {
        self.family_profiles()
            .filter(|p| p.library(soname).is_some())
            .min_by_key(|p| p.libraries().len())
            .map(|p| p.name)
    }

    fn family_profiles(&self) -> impl Iterator<Item = &'static Profile> {
        let own = self.profile();
        Profile::all().iter().filter(move |p| {
            own.is_some_and(|own| {
                p.family == own.family && p.arch == own.arch && p.name != own.name
            })
        })
    }

    fn musl_target(&self) -> Option<&MuslTarget> {
        self.target.musl()
    }

    /// The musl loader's file name when musl's own library search finds it:
    /// it lies in `/lib`, on musl's built-in path (Alpine); Debian's musl
    /// reads `/etc/ld-musl-ARCH.path`, which names only `/lib/TRIPLET-musl`
    /// and `/usr/lib/TRIPLET-musl`.
    pub fn musl_loader_on_search_path(&self) -> Option<&'static str> {
        let target = self.musl_target()?;
        if target.is_debian_build() {
            return None;
        }
        musl::interpreter(self.arch).and_then(|path| path.rsplit('/').next())
    }

    /// The musl release of a musl target.
    pub fn musl_version(&self) -> Option<MuslVersion> {
        self.musl_target().map(|t| t.musl)
    }

    /// The glibc release of a glibc image (`2.41`), when its profile says.
    pub fn glibc_version(&self) -> Option<Version> {
        let profile = self.profile()?;
        (profile.libc == LibcKind::Glibc)
            .then_some(profile.libc_version)
            .flatten()
            .map(Version::release)
    }

    /// glibc 2.x's minor on a glibc image: pip there installs wheels tagged
    /// manylinux_2_X with X up to it.
    pub fn manylinux_minor(&self) -> Option<u32> {
        let version = self.glibc_version()?;
        (version.segment(0) == 2)
            .then(|| u32::try_from(version.segment(1)).ok())
            .flatten()
    }

    /// Whether the image's glibc refuses to `dlopen` a library that needs
    /// an executable stack while the process's stack is not executable
    /// (glibc 2.41 NEWS; before, it made the stack executable).
    pub fn refuses_executable_stack_in_dlopen(&self) -> bool {
        self.glibc_version()
            .is_some_and(|version| version >= Version::release(GLIBC_REFUSING_EXECUTABLE_STACK))
    }

    /// Whether Alpine packages (`apk add libstdc++`, `gcompat` …) can be
    /// installed: the musl model's package remedies and the roll-up's
    /// Alpine-package answers ask this. An image's own package manager
    /// (`apt-get install -y`) is [`Platform::install_command`].
    pub fn has_packages(&self) -> bool {
        self.musl_target().is_some_and(MuslTarget::has_packages)
    }

    /// The command that installs the target's packages in a Dockerfile
    /// (`apk add --no-cache`, `apt-get install -y`), when it has a package manager.
    pub fn install_command(&self) -> Option<&'static str> {
        match &self.target {
            Target::Musl(musl) => musl.has_packages().then_some("apk add --no-cache"),
            Target::Image(_) => self.profile()?.install_command,
        }
    }

    /// The packages a native build needs on the target (a C/C++ toolchain,
    /// and the Python headers for a Python extension), by package manager.
    pub fn build_packages(&self, python: bool) -> &'static [&'static str] {
        match (self.package_manager(), python) {
            (Some("apk"), true) => &["build-base", "python3-dev"],
            (Some("apk"), false) => &["build-base", "python3"],
            (Some("apt"), true) => &["build-essential", "python3-dev"],
            (Some("apt"), false) => &["build-essential", "python3"],
            (Some(_), true) => &["gcc", "gcc-c++", "make", "python3-devel"],
            (Some(_), false) => &["gcc", "gcc-c++", "make", "python3"],
            (None, _) => &[],
        }
    }

    /// The package manager of the target (`apk`, `apt`, `dnf`, `microdnf`, `yum`).
    fn package_manager(&self) -> Option<&'static str> {
        let manager = match &self.target {
            Target::Musl(_) => Some("apk"),
            Target::Image(_) => self.profile().and_then(|p| p.package_manager),
        }?;
        Some(manager.split('/').next().unwrap_or(manager))
    }

    /// Alpine's build packages (the known-problem table names them) in the
    /// target's names, and those beyond the toolchain it has no name for:
    /// Alpine's own on Alpine, Debian's on Debian and Ubuntu; elsewhere
    /// (Wolfi, UBI, Amazon Linux) none is known, and an image without a
    /// package manager installs none.
    pub fn build_packages_for_alpine(&self, alpine: &[String]) -> (Vec<String>, Vec<String>) {
        let on_alpine = match &self.target {
            Target::Musl(_) => true,
            Target::Image(name) => name.starts_with("alpine:"),
        };
        let mut named: Vec<String> = Vec::new();
        let mut unknown = Vec::new();
        for package in alpine {
            let theirs: Vec<String> = if on_alpine {
                if IN_ALPINE_BUILD_BASE.contains(&package.as_str()) {
                    continue;
                }
                vec![package.clone()]
            } else if self.package_manager() == Some("apt")
                && let Some(debian) = alpine_build_names::debian_packages(package)
            {
                debian.iter().map(|p| p.to_string()).collect()
            } else {
                // The toolchain is the target's own (`build_packages`).
                if self.package_manager().is_some() && !alpine_build_names::is_toolchain(package) {
                    unknown.push(package.clone());
                }
                continue;
            };
            for name in theirs {
                if !named.contains(&name) {
                    named.push(name);
                }
            }
        }
        (named, unknown)
    }

    /// How many shared libraries the image holds, when its list is known:
    /// the measure of how lean it is (muslcheck has no image sizes).
    pub fn library_count(&self) -> Option<usize> {
        let profile = match &self.target {
            Target::Image(_) => self.profile(),
            // By the image's name (`alpine:3.24`), not the target's display
            // (`alpine:3.24 (musl 1.2.6)`), which names no profile.
            Target::Musl(musl) if musl.has_packages() => musl
                .release
                .as_ref()
                .and_then(|release| Profile::lookup(&format!("alpine:{release}"), self.arch).ok()),
            Target::Musl(_) => None,
        }?;
        profile.libraries_known().then(|| profile.libraries().len())
    }

    /// Whether gcompat is on the image: asked for, and installable there (Alpine only).
    pub fn gcompat_installed(&self) -> bool {
        self.gcompat && self.has_packages()
    }

    /// The path of the target's dynamic loader (`PT_INTERP` of its programs).
    pub fn interpreter(&self) -> Option<&'static str> {
        match &self.target {
            Target::Musl(_) => musl::interpreter(self.arch),
            Target::Image(_) => self.profile()?.loader,
        }
    }

    /// Whether the target's loader runs programs asking for `interpreter`.
    pub fn is_own_interpreter(&self, interpreter: &str) -> bool {
        match self.loader_kind() {
            LoaderKind::Musl => {
                self.interpreter() == Some(interpreter) || musl::is_musl_interpreter(interpreter)
            }
            // Debian's ld.so is reachable as /lib64/… and /lib/<triplet>/… alike
            // (merged /usr too): the same file name under a library directory.
            LoaderKind::Glibc => self.interpreter().is_some_and(|own| {
                let name = |path: &str| path.rsplit('/').next().map(str::to_string);
                own == interpreter
                    || (name(own) == name(interpreter)
                        && ["/lib", "/lib64/", "/usr/lib"]
                            .iter()
                            .any(|dir| interpreter.starts_with(dir)))
            }),
            LoaderKind::None => false,
        }
    }

    /// The relocation types the loader handles; `None` where unknown.
    pub fn handled_relocation_types(&self) -> Option<&'static [u32]> {
        self.musl_target()?;
        musl::handled_relocation_types(self.arch)
    }

    /// The symbol tables of this architecture.
    pub fn tables(&self) -> &'static SymbolTables {
        SymbolTables::for_arch(self.arch)
    }

    /// The exports of the libstdc++ and libgcc_s the target's Alpine
    /// release installs (`apk add libstdc++ libgcc`), or the newest tabulated.
    pub fn gcc_runtime(&self) -> &'static GccRuntime {
        let release = self.musl_target().and_then(|t| t.release.as_deref());
        GccRuntime::of(self.arch, release)
    }

    /// Parses the base image's export tables judging against this platform
    /// reads, so that a scan can do it beside the walk rather than when
    /// judging starts (musl's and Alpine's tables are indexed at build time).
    pub fn prepare_tables(&self) {
        for library in self
            .profile()
            .map_or(&[][..], |profile| profile.libraries())
        {
            library.prepare();
        }
    }

    /// How the target's musl provides `name`, if it does (never on other targets).
    pub fn libc_provides(&self, name: &str) -> Option<MuslProvides> {
        self.musl_target()?.musl_provides(self.tables(), name)
    }

    /// The library `name` (a DT_NEEDED entry) when the Alpine base image
    /// already has it on the loader's default path (zlib, OpenSSL …).
    pub fn base_library(&self, name: &str) -> Option<BaseLibrary> {
        let target = self.musl_target()?;
        if target.distribution != Distribution::Alpine {
            return None;
        }
        base::base_library(target.release.as_deref()?, self.arch, name)
    }

    /// Whether the base image's `library` exports `symbol` to the loader.
    pub fn base_exports(&self, library: &BaseLibrary, symbol: &str) -> bool {
        base::base_exports(library, self.arch, symbol)
    }

    /// The libraries that installing `host` on the (Alpine) target brings with it.
    pub fn brought_by_host(&self, host: HostKind) -> Vec<HostBrought> {
        if !self.has_packages() {
            return Vec::new();
        }
        let key = match host {
            HostKind::Node => "node",
            HostKind::Cpython => "cpython",
            HostKind::Jvm => "jvm",
            HostKind::Ruby => "ruby",
            HostKind::Perl => "perl",
            HostKind::Postgres => "postgres",
        };
        tables::host_brought(key).collect()
    }

    /// The oldest Alpine release newer than the target whose musl provides
    /// every one of `names`, with that musl; `None` when the target is not
    /// Alpine, or no release muslcheck knows provides them all.
    pub fn newer_alpine_providing(&self, names: &[&str]) -> Option<(String, MuslVersion)> {
        let target = self.musl_target()?;
        let already = names.iter().all(|name| self.libc_provides(name).is_some());
        if target.distribution != Distribution::Alpine || already {
            return None;
        }
        let current = target.release.as_deref()?;
        let tables = self.tables();
        let mut releases = alpine_releases();
        releases.sort_by(|(a, _), (b, _)| Version::compare_releases(a, b));
        releases.into_iter().find(|(release, musl)| {
            Version::compare_releases(release, current).is_gt()
                && names
                    .iter()
                    .all(|name| tables.musl_provides(name, *musl, false).is_some())
        })
    }

    /// The target as the report names it.
    pub fn info(&self) -> TargetInfo {
        match &self.target {
            Target::Musl(target) => {
                let distribution = match target.distribution {
                    Distribution::Alpine => "alpine",
                    Distribution::Musl => "musl",
                    Distribution::DebianMusl => "debian-musl",
                };
                TargetInfo {
                    name: target.to_string(),
                    distribution: distribution.to_string(),
                    release: target.release.clone(),
                    musl: Some(target.musl.as_str().to_string()),
                    libc: LibcKind::Musl.to_string(),
                    libc_version: Some(target.musl.as_str().to_string()),
                }
            }
            Target::Image(name) => {
                let profile = self.profile();
                let libc = profile.map_or(LibcKind::Unknown, |p| p.libc);
                let libc_version = profile.and_then(|p| p.libc_version);
                TargetInfo {
                    name: match libc_version {
                        Some(version) => format!("{name} ({libc} {version})"),
                        None => format!("{name} (no libc)"),
                    },
                    distribution: "image".to_string(),
                    release: None,
                    musl: None,
                    libc: libc.to_string(),
                    libc_version: libc_version.map(str::to_string),
                }
            }
        }
    }
}

/// The archive and release a profile's packages come from, as its sources
/// say (`packages from deb.debian.org bookworm, …` → (`deb.debian.org`, `bookworm`)).
fn package_archive(profile: &Profile) -> Option<(&'static str, &'static str)> {
    let (_, from) = profile.sources.split_once("packages from ")?;
    let mut words = from.split_whitespace();
    Some((words.next()?, words.next()?.trim_end_matches([',', ';'])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpine_build_packages_take_each_targets_names() {
        let on = |target: &str| Platform::new(target.parse().unwrap(), Arch::X86_64, false);
        let alpine = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let psycopg2 = alpine(&[
            "postgresql-dev",
            "gcc",
            "musl-dev",
            "python3-dev",
            "linux-headers",
        ]);
        // On Alpine the names stand, but for what build-base brings.
        assert_eq!(
            on("alpine:3.20").build_packages_for_alpine(&psycopg2),
            (
                alpine(&["postgresql-dev", "python3-dev", "linux-headers"]),
                vec![]
            )
        );
        // Debian and Ubuntu: their names; the toolchain is build-essential's.
        for target in ["debian:11-slim", "ubuntu:24.04"] {
            assert_eq!(
                on(target).build_packages_for_alpine(&psycopg2),
                (alpine(&["libpq-dev", "python3-dev"]), vec![]),
                "{target}"
            );
        }
        // dnf and Wolfi's apk: no name known beyond the toolchain.
        for target in [
            "registry.access.redhat.com/ubi9/ubi",
            "cgr.dev/chainguard/wolfi-base",
        ] {
            assert_eq!(
                on(target).build_packages_for_alpine(&psycopg2),
                (vec![], alpine(&["postgresql-dev"])),
                "{target}"
            );
        }
        // No package manager: nothing is installed there.
        assert_eq!(
            on("gcr.io/distroless/cc-debian12").build_packages_for_alpine(&psycopg2),
            (vec![], vec![])
        );
    }

    #[test]
    fn parses_targets() {
        let newest: MuslTarget = "alpine".parse().unwrap();
        assert_eq!(newest.release.as_deref(), Some("3.24"));
        assert_eq!(newest.musl, MuslVersion::V1_2_6);
        let t318: MuslTarget = "alpine:3.18".parse().unwrap();
        assert_eq!(t318.musl, MuslVersion::V1_2_4);
        let t3203: MuslTarget = "alpine:3.20.3".parse().unwrap();
        assert_eq!(t3203.musl, MuslVersion::V1_2_5);
        assert_eq!(
            "alpine:3.16".parse::<MuslTarget>().unwrap().musl,
            MuslVersion::V1_2_3
        );
        let musl: MuslTarget = "musl:1.2.3".parse().unwrap();
        assert_eq!(musl.distribution, Distribution::Musl);
        assert!(!musl.has_packages());
        assert!(
            "debian-musl"
                .parse::<MuslTarget>()
                .unwrap()
                .is_debian_build()
        );
        assert!("alpine:3.14".parse::<Target>().is_err());
        // Not a musl target: a profile, or an error naming close ones.
        assert_eq!(
            "ubuntu".parse::<Target>().unwrap(),
            Target::Image("ubuntu:24.04")
        );
        let unknown = "debain:12".parse::<Target>().unwrap_err();
        assert!(unknown.contains("did you mean"), "{unknown}");
        assert!("musl:1.1.24".parse::<Target>().is_err());
    }

    #[test]
    fn other_images_are_profiles_and_alpine_stays_musl() {
        assert_eq!(
            "alpine:3.20".parse::<Target>().unwrap(),
            Target::Musl("alpine:3.20".parse().unwrap())
        );
        // Another spelling of an Alpine image is still the musl target.
        assert_eq!(
            "docker.io/library/alpine:3.20".parse::<Target>().unwrap(),
            Target::Musl("alpine:3.20".parse().unwrap())
        );
        assert_eq!(
            "debian:bookworm-slim".parse::<Target>().unwrap(),
            Target::Image("debian:12-slim")
        );
        assert_eq!(
            "distroless/cc".parse::<Target>().unwrap(),
            Target::Image("gcr.io/distroless/cc-debian13")
        );
        let on = |target: &str| Platform::new(target.parse().unwrap(), Arch::X86_64, false);
        let debian = on("debian:11-slim");
        assert_eq!(debian.loader_kind(), LoaderKind::Glibc);
        assert_eq!(debian.install_command(), Some("apt-get install -y"));
        assert!(debian.is_own_interpreter("/lib64/ld-linux-x86-64.so.2"));
        assert!(debian.is_own_interpreter("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
        assert!(!debian.is_own_interpreter("/lib/ld-musl-x86_64.so.1"));
        assert!(!debian.gcompat_installed() && debian.libc_provides("printf").is_none());
        assert_eq!(
            debian
                .image_library("libc.so.6")
                .and_then(|l| l.defines("GLIBC_2.31")),
            Some(false)
        );
        let scratch = on("scratch");
        assert_eq!(scratch.loader_kind(), LoaderKind::None);
        assert_eq!(scratch.interpreter(), None);
        assert!(!scratch.has_packages() && scratch.install_command().is_none());
        // apt, not apk: the Alpine-package answers stay off.
        assert!(!debian.has_packages());
        assert_eq!(
            on("gcr.io/distroless/base-debian12").image_providing("libstdc++.so.6"),
            Some("gcr.io/distroless/cc-debian12")
        );
        assert_eq!(on("alpine:3.20").loader_kind(), LoaderKind::Musl);
    }

    #[test]
    fn a_newer_alpine_is_found_when_its_musl_has_every_name() {
        let on = |target: &str| Platform::new(target.parse().unwrap(), Arch::X86_64, false);
        assert_eq!(
            on("alpine:3.18").newer_alpine_providing(&["statx"]),
            Some(("3.20".to_string(), MuslVersion::V1_2_5))
        );
        assert_eq!(on("alpine:3.20").newer_alpine_providing(&["statx"]), None);
        assert_eq!(
            on("alpine:3.18").newer_alpine_providing(&["statx", "__printf_chk"]),
            None
        );
        assert_eq!(on("musl:1.2.3").newer_alpine_providing(&["statx"]), None);
    }
}
