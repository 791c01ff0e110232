//! A container image that was scanned: how it was stored, what it is built
//! on and how it runs (its config).

use serde::Serialize;

use super::ReportPath;

/// One scanned container image (`docker save` archive, OCI layout or archive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContainerImage {
    /// The image as the report shows its files' paths (`image.tar`).
    pub path: ReportPath,
    /// `docker-save`, `oci-layout` or `oci-archive`.
    pub format: String,
    /// The tag `docker save` recorded, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub layers: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// The base's name from `/etc/os-release` (`Debian GNU/Linux 12 (bookworm)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// The distribution packages its package database lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distro_packages: Option<DistroPackages>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// The program the container runs, found in the image and judged first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<ImageCommand>,
    /// `PATH` from the config's environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Language runtimes installed outside the package manager, as the
    /// official images install them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runtimes: Vec<ImageRuntime>,
}

/// A distribution's package database in an image, summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistroPackages {
    /// `debian` or `alpine`.
    pub manager: String,
    pub count: usize,
    /// Their ELF files scanned.
    pub elf_files: usize,
    /// The libraries of those packages the app's own files need
    /// (`libjq.so.1 (libjq1)`): on another base they come from its packages.
    pub needed_by_app: Vec<String>,
}

/// The program the container runs (`Entrypoint`, else `Cmd`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageCommand {
    /// As the config names it (`node`, `/usr/local/bin/tool`).
    pub name: String,
    /// Where it is in the image, through symlinks; absent when it is not there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `elf`, `script`, `other` or `missing`.
    pub kind: String,
    /// The file whose verdict is the command's: itself when ELF, a script's
    /// interpreter (through symlinks) when the image holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged_file: Option<String>,
    /// A script's `#!` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// The verdict of the file the command runs (an ELF file, or a script's
    /// interpreter when the image holds it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<super::Verdict>,
}

/// A language runtime the image installs outside its package manager, and
/// the official image variant that answers it on the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRuntime {
    /// `node` or `python`.
    pub name: String,
    pub version: String,
    /// Where it is (`/usr/local/bin/node`).
    pub path: String,
    /// `node:20-alpine`.
    pub official_variant: String,
}
