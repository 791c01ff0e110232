//! Which config and layers make the image: `manifest.json` of `docker save`
//! (legacy `<id>/layer.tar` or Docker ≥ 25's `blobs/sha256/…`), or an OCI
//! `index.json` followed through nested indexes to one image manifest,
//! picked by platform.

use serde::Deserialize;

use super::source::Blobs;
use super::{ImageFormat, ImageProblem, ImageProblemKind};
use crate::model::Arch;

/// Largest manifest, index or config read.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Nested indexes followed at most this deep.
const MAX_INDEX_DEPTH: usize = 4;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// What a layer's bytes must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub algorithm: String,
    pub hex: String,
}

impl Digest {
    /// `sha256:<hex>`; `Err` when it does not look like one (it then names no blob).
    pub fn parse(text: &str) -> Result<Digest, String> {
        let (algorithm, hex) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}` is not a digest (algorithm:hex)"))?;
        let algorithm_ok = !algorithm.is_empty()
            && algorithm
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let hex_ok = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        if !(algorithm_ok && hex_ok) {
            return Err(format!("`{text}` is not a digest (algorithm:hex)"));
        }
        Ok(Digest {
            algorithm: algorithm.to_string(),
            hex: hex.to_ascii_lowercase(),
        })
    }

    pub fn blob_path(&self) -> String {
        format!("blobs/{}/{}", self.algorithm, self.hex)
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

/// One layer to apply: where its blob is and what it must hash to.
#[derive(Debug, Clone)]
pub struct LayerRef {
    pub path: String,
    pub expected: Option<Digest>,
}

/// The image found in the blobs.
#[derive(Debug)]
pub struct Located {
    pub format: ImageFormat,
    pub reference: Option<String>,
    pub config: Option<ConfigFile>,
    pub layers: Vec<LayerRef>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ConfigFile {
    pub architecture: Option<String>,
    pub os: Option<String>,
    #[serde(default)]
    pub config: Option<ContainerConfig>,
    #[serde(default)]
    pub rootfs: Option<RootFs>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub env: Option<Vec<String>>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RootFs {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifest {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: Option<String>,
    digest: String,
    #[serde(default)]
    platform: Option<Platform>,
    #[serde(default)]
    annotations: Option<std::collections::HashMap<String, String>>,
}

#[derive(Deserialize, Clone)]
struct Platform {
    architecture: String,
    os: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexOrManifest {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

/// The OCI name of an architecture (`GOARCH`).
pub fn oci_arch(arch: Arch) -> Option<&'static str> {
    Some(match arch {
        Arch::X86_64 => "amd64",
        Arch::Aarch64 => "arm64",
        Arch::I686 => "386",
        Arch::Armv7 => "arm",
        Arch::Ppc64le => "ppc64le",
        Arch::Ppc64 => "ppc64",
        Arch::S390x => "s390x",
        Arch::Riscv64 => "riscv64",
        Arch::Loongarch64 => "loong64",
        Arch::Other(_) => return None,
    })
}

fn read_json<T: serde::de::DeserializeOwned>(
    blobs: &Blobs,
    path: &str,
    expected: Option<&Digest>,
    problems: &mut Vec<ImageProblem>,
) -> Result<T, String> {
    let bytes = blobs.read_small(path, MAX_MANIFEST_BYTES)?;
    if let Some(expected) = expected {
        check_digest(path, expected, &bytes, problems);
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| format!("{path} is not valid JSON for its kind: {e}"))
}

/// A finding when `bytes` do not hash to `expected` (sha256 only).
pub fn check_digest(path: &str, expected: &Digest, bytes: &[u8], problems: &mut Vec<ImageProblem>) {
    use sha2::Digest as _;
    if expected.algorithm != "sha256" {
        return;
    }
    let actual = hex(&sha2::Sha256::digest(bytes));
    if actual != expected.hex {
        problems.push(digest_mismatch(path, expected, &actual));
    }
}

pub fn digest_mismatch(path: &str, expected: &Digest, actual_hex: &str) -> ImageProblem {
    ImageProblem {
        path: path.to_string(),
        kind: ImageProblemKind::DigestMismatch,
        reason: format!(
            "digest mismatch: the manifest names {expected}, the content hashes to \
             sha256:{actual_hex} (altered or corrupt); its files were still read"
        ),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The config and layers of the image in `blobs`, picking among platforms by
/// `arch`. `Err` says why no image could be found.
pub fn locate(
    blobs: &Blobs,
    arch: Arch,
    problems: &mut Vec<ImageProblem>,
) -> Result<Located, String> {
    if blobs.has("manifest.json") {
        return locate_docker(blobs, problems);
    }
    let format = if blobs.is_directory() {
        ImageFormat::OciLayout
    } else {
        ImageFormat::OciArchive
    };
    let index: IndexOrManifest = read_json(blobs, "index.json", None, problems)?;
    let manifest = pick_manifest(blobs, index, arch, 0, problems)?;
    let config = match manifest.config.as_ref().map(|d| Digest::parse(&d.digest)) {
        Some(Ok(digest)) => {
            match read_json::<ConfigFile>(blobs, &digest.blob_path(), Some(&digest), problems) {
                Ok(config) => Some(config),
                Err(reason) => {
                    problems.push(unreadable(
                        "index.json",
                        format!("the image config: {reason}"),
                    ));
                    None
                }
            }
        }
        Some(Err(reason)) => {
            problems.push(hostile("index.json", reason));
            None
        }
        None => None,
    };
    let mut layers = Vec::new();
    for descriptor in manifest.layers.unwrap_or_default() {
        match Digest::parse(&descriptor.digest) {
            Ok(digest) => layers.push(LayerRef {
                path: digest.blob_path(),
                expected: Some(digest),
            }),
            Err(reason) => problems.push(hostile(
                "index.json",
                format!("a layer that names no blob: {reason}; the image's files are incomplete"),
            )),
        }
    }
    Ok(Located {
        format,
        reference: None,
        config,
        layers,
    })
}

fn unreadable(path: &str, reason: String) -> ImageProblem {
    ImageProblem {
        path: path.to_string(),
        kind: ImageProblemKind::Unreadable,
        reason,
    }
}

fn hostile(path: &str, reason: String) -> ImageProblem {
    ImageProblem {
        path: path.to_string(),
        kind: ImageProblemKind::HostileName,
        reason,
    }
}

fn locate_docker(blobs: &Blobs, problems: &mut Vec<ImageProblem>) -> Result<Located, String> {
    let manifests: Vec<DockerManifest> = read_json(blobs, "manifest.json", None, problems)?;
    let mut manifests = manifests.into_iter();
    let manifest = manifests
        .next()
        .ok_or_else(|| "manifest.json lists no image".to_string())?;
    let others = manifests.count();
    if others > 0 {
        problems.push(unreadable(
            "manifest.json",
            format!(
                "the archive holds {} images; only the first was read",
                others + 1
            ),
        ));
    }
    let config_digest = config_digest_of(&manifest.config);
    let config = match crate::discover::archive::member_path(&manifest.config) {
        Ok(path) => match read_json::<ConfigFile>(blobs, &path, config_digest.as_ref(), problems) {
            Ok(config) => Some(config),
            Err(reason) => {
                problems.push(unreadable(
                    "manifest.json",
                    format!("the image config: {reason}"),
                ));
                None
            }
        },
        Err(reason) => {
            problems.push(hostile(
                "manifest.json",
                format!("the config `{}`: {reason}; not read", manifest.config),
            ));
            None
        }
    };
    let diff_ids: Vec<String> = config
        .as_ref()
        .and_then(|c| c.rootfs.as_ref())
        .map(|r| r.diff_ids.clone())
        .unwrap_or_default();
    let mut layers = Vec::new();
    for (position, layer) in manifest.layers.iter().enumerate() {
        let path = match crate::discover::archive::member_path(layer) {
            Ok(path) => path,
            Err(reason) => {
                problems.push(hostile(
                    "manifest.json",
                    format!(
                        "layer {} `{layer}`: {reason}; not read, so the image's files are incomplete",
                        position + 1
                    ),
                ));
                continue;
            }
        };
        // Docker ≥ 25 names layers by digest; the legacy layout's layer.tar is
        // the uncompressed tar whose digest the config lists as its diff_id.
        let expected = config_digest_of(&path)
            .or_else(|| diff_ids.get(position).and_then(|id| Digest::parse(id).ok()));
        layers.push(LayerRef { path, expected });
    }
    Ok(Located {
        format: ImageFormat::DockerSave,
        reference: manifest.repo_tags.and_then(|tags| tags.into_iter().next()),
        config,
        layers,
    })
}

/// The digest a `blobs/<algorithm>/<hex>` path (or a legacy `<hex>.json`)
/// stands for.
fn config_digest_of(path: &str) -> Option<Digest> {
    if let Some(rest) = path.strip_prefix("blobs/") {
        let (algorithm, hex) = rest.split_once('/')?;
        return Digest::parse(&format!("{algorithm}:{hex}")).ok();
    }
    let hex = path.strip_suffix(".json")?;
    (hex.len() == 64)
        .then(|| Digest::parse(&format!("sha256:{hex}")).ok())
        .flatten()
}

fn is_index(media_type: Option<&str>, document: &IndexOrManifest) -> bool {
    matches!(media_type, Some(OCI_INDEX | DOCKER_LIST))
        || (document.manifests.is_some() && document.layers.is_none())
}

/// Follows `index` to one image manifest for `arch`.
fn pick_manifest(
    blobs: &Blobs,
    index: IndexOrManifest,
    arch: Arch,
    depth: usize,
    problems: &mut Vec<ImageProblem>,
) -> Result<IndexOrManifest, String> {
    if !is_index(index.media_type.as_deref(), &index) {
        return Ok(index);
    }
    if depth >= MAX_INDEX_DEPTH {
        return Err(format!("indexes nested deeper than {MAX_INDEX_DEPTH}"));
    }
    let wanted = oci_arch(arch);
    // Attestations (BuildKit) are manifests for no platform.
    let descriptors: Vec<Descriptor> = index
        .manifests
        .unwrap_or_default()
        .into_iter()
        .filter(|d| {
            !d.annotations
                .as_ref()
                .is_some_and(|a| a.contains_key("vnd.docker.reference.type"))
        })
        .collect();
    let chosen = descriptors
        .iter()
        .find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| Some(p.architecture.as_str()) == wanted && p.os == "linux")
        })
        .or_else(|| match descriptors.as_slice() {
            [only] if only.platform.is_none() => Some(only),
            _ => None,
        })
        .or_else(|| {
            // A nested index without platforms of its own (Docker ≥ 25's
            // index.json pointing at the image's index).
            descriptors.iter().find(|d| {
                d.platform.is_none()
                    && matches!(d.media_type.as_deref(), Some(OCI_INDEX | DOCKER_LIST))
            })
        });
    let Some(chosen) = chosen.cloned() else {
        let present: Vec<String> = descriptors
            .iter()
            .filter_map(|d| d.platform.as_ref())
            .map(|p| match &p.variant {
                Some(variant) => format!("{}/{}/{variant}", p.os, p.architecture),
                None => format!("{}/{}", p.os, p.architecture),
            })
            .collect();
        return Err(format!(
            "no image for linux/{} in the index; platforms present: {}; pass --arch to pick one",
            wanted.unwrap_or("?"),
            if present.is_empty() {
                "none named".to_string()
            } else {
                present.join(", ")
            }
        ));
    };
    let digest = Digest::parse(&chosen.digest)?;
    let document: IndexOrManifest = read_json(blobs, &digest.blob_path(), Some(&digest), problems)?;
    let media_type = chosen.media_type.clone().or(document.media_type.clone());
    if is_index(media_type.as_deref(), &document) {
        pick_manifest(blobs, document, arch, depth + 1, problems)
    } else {
        Ok(document)
    }
}
