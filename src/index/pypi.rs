//! PyPI: the PEP 691 JSON simple API's project page, and what pip on the
//! target would install from it for one pinned version.

use super::Verdict;
use std::borrow::Cow;

use serde::Deserialize;

use crate::ecosystem::python::{WheelName, normalize_name};
use crate::model::{PlatformTag, Reinstall, Version};

/// The JSON media type of the simple API (PEP 691).
pub const ACCEPT: &str = "application/vnd.pypi.simple.v1+json";

/// The URL of a project's page: `{index}/{normalised-name}/`.
pub fn project_url(index: &str, name: &str) -> String {
    format!("{}/{}/", index.trim_end_matches('/'), normalize_name(name))
}

/// A project page as served: its files (every version's), names borrowed
/// from the document.
#[derive(Debug, Deserialize)]
struct Served<'a> {
    #[serde(default, borrow)]
    files: Vec<ServedFile<'a>>,
}

#[derive(Debug, Deserialize)]
struct ServedFile<'a> {
    #[serde(borrow)]
    filename: Cow<'a, str>,
    /// Served as `false`, `true` or the reason (a string) it was yanked.
    #[serde(default, deserialize_with = "yanked")]
    yanked: bool,
}

fn yanked<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Bool(yanked) => yanked,
        serde_json::Value::String(_) => true,
        _ => false,
    })
}

/// The page as muslcheck keeps it (in its cache): one line per file, its
/// name, and a tab and `yanked` when it was (numpy's 1.9 MB page keeps
/// 0.22 MB). Read back line by line, with no JSON parse: the benchmark
/// venv's eight pages name 37k files. `None` when `document` is not a
/// project page.
pub fn compact(document: &[u8]) -> Option<Vec<u8>> {
    let served: Served = serde_json::from_slice(document).ok()?;
    let mut kept = Vec::with_capacity(document.len() / 4);
    // A name with a line break or tab is no file pip installs: not kept.
    for file in served
        .files
        .iter()
        .filter(|file| !file.filename.contains(['\n', '\r', '\t']))
    {
        kept.extend_from_slice(file.filename.as_bytes());
        if file.yanked {
            kept.extend_from_slice(YANKED.as_bytes());
        }
        kept.push(b'\n');
    }
    Some(kept)
}

const YANKED: &str = "\tyanked";

/// How a digest line of the pinned version's files starts, and of a later wheel.
const PINNED: &str = "P\t";
const LATER: &str = "L\t";

/// A project page as [`compact`] keeps it: its files, names borrowed.
#[derive(Debug)]
pub struct Project<'a> {
    kept: &'a str,
}

#[derive(Debug)]
pub struct File<'a> {
    pub filename: &'a str,
    pub yanked: bool,
}

impl<'a> Project<'a> {
    /// `None` when `kept` is not text of [`compact`]'s making.
    pub fn read(kept: &'a [u8]) -> Option<Project<'a>> {
        let kept = std::str::from_utf8(kept).ok()?;
        Some(Project { kept })
    }

    /// The page's files, in its order.
    pub fn files(&self) -> impl Iterator<Item = File<'a>> + use<'a> {
        self.kept
            .lines()
            .filter(|line| !line.is_empty())
            .map(|line| match line.strip_suffix(YANKED) {
                Some(filename) => File {
                    filename,
                    yanked: true,
                },
                None => File {
                    filename: line,
                    yanked: false,
                },
            })
    }
}

/// What the target accepts: the wheel tags pip on it would install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepts {
    /// pip's name of the architecture (`x86_64`, `aarch64`, `armv7l`).
    pub arch: String,
    /// The target's C library: which platform wheels install.
    pub libc: WheelLibc,
    /// The interpreter's minor version of CPython 3 (`11` for 3.11); `None`
    /// when the installed files do not say, and any CPython 3 tag is accepted.
    pub python_minor: Option<u32>,
}

/// The C library wheels are chosen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WheelLibc {
    /// musl 1.`minor`: musllinux_1_X wheels with X up to it install.
    Musl { minor: u32 },
    /// glibc 2.`minor`: manylinux_2_X wheels with X up to it install.
    Glibc { minor: u32 },
}

impl WheelLibc {
    /// The wheel family and newest tag the target takes, for messages.
    fn wanted(self, arch: &str) -> (&'static str, String) {
        match self {
            WheelLibc::Musl { minor } => ("musllinux", format!("musllinux_1_{minor}_{arch}")),
            WheelLibc::Glibc { minor } => ("manylinux", format!("manylinux_2_{minor}_{arch}")),
        }
    }
}

impl Accepts {
    fn platform(&self, tag: &PlatformTag) -> bool {
        match (tag, self.libc) {
            (PlatformTag::Musllinux { major, minor, arch }, WheelLibc::Musl { minor: target }) => {
                *major == 1 && *minor <= target && *arch == self.arch
            }
            (PlatformTag::Manylinux { major, minor, arch }, WheelLibc::Glibc { minor: target }) => {
                *major == 2 && *minor <= target && *arch == self.arch
            }
            (PlatformTag::Any, _) => true,
            _ => false,
        }
    }

    /// Whether pip on the target installs this wheel, and it is a
    /// platform wheel (not a pure one).
    fn platform_wheel(&self, wheel: &WheelName) -> bool {
        self.wheel(wheel)
            && wheel
                .platform_tags
                .iter()
                .any(|tag| *tag != PlatformTag::Any && self.platform(tag))
    }

    /// Whether the interpreter accepts one `python-abi` pair: `cp311-cp311`,
    /// `cp3x-abi3` with x up to 11, `py3-none`, `py311-none`, `cp311-none`.
    fn interpreter(&self, python: &str, abi: &str) -> bool {
        let wanted = self.python_minor;
        let fits = |minor: Option<u32>, at_most: bool| match (minor, wanted) {
            (Some(minor), Some(wanted)) => {
                if at_most {
                    minor <= wanted
                } else {
                    minor == wanted
                }
            }
            (None, _) | (_, None) => true,
        };
        if python == "py3" {
            return abi == "none";
        }
        if let Some(rest) = python.strip_prefix("py3") {
            return abi == "none" && fits(rest.parse().ok(), true);
        }
        let Some(minor) = python.strip_prefix("cp3") else {
            return false;
        };
        let minor: Option<u32> = minor.parse().ok();
        if minor.is_none() {
            return false;
        }
        match abi {
            "abi3" => fits(minor, true),
            "none" => fits(minor, false),
            _ => {
                // The interpreter's own ABI: `cp311` (or `cp37m` of old).
                let own = abi.trim_end_matches('m');
                own == python && fits(minor, false)
            }
        }
    }

    /// Whether pip on the target would install this wheel.
    pub fn wheel(&self, wheel: &WheelName) -> bool {
        let interpreter = wheel.python_tags.iter().any(|python| {
            wheel
                .abi_tags
                .iter()
                .any(|abi| self.interpreter(python, abi))
        });
        interpreter && wheel.platform_tags.iter().any(|tag| self.platform(tag))
    }
}

/// How much pip prefers a wheel among those the target accepts: the
/// interpreter's own ABI over the stable ABI over none, then the newest
/// Python the tag names (`cp39-abi3` over `cp37-abi3`), then the newest
/// musllinux (pip orders its supported tags so).
fn preference(wheel: &WheelName) -> (u8, u32, u32) {
    let abi = wheel
        .abi_tags
        .iter()
        .map(|abi| match abi.as_str() {
            "none" => 0,
            "abi3" => 1,
            _ => 2,
        })
        .max()
        .unwrap_or(0);
    let musl = wheel
        .platform_tags
        .iter()
        .filter_map(|tag| match tag {
            PlatformTag::Musllinux { minor, .. } | PlatformTag::Manylinux { minor, .. } => {
                Some(*minor)
            }
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let python = wheel
        .python_tags
        .iter()
        .filter_map(|tag| {
            let minor = tag
                .strip_prefix("cp3")
                .or_else(|| tag.strip_prefix("py3"))?;
            minor.parse().ok()
        })
        .max()
        .unwrap_or(0);
    (abi, python, musl)
}

/// A file of the page, with its version and kind.
enum Kind {
    Wheel(WheelName),
    Sdist,
}

/// The version an sdist's name gives for `project` (PEP 503 normalised):
/// what follows the project's name and a dash, as pip reads it
/// (`PyMuPDF-1.14.19.post-2.tar.gz` is 1.14.19.post-2, not 2;
/// `argon2-cffi-bindings-21.2.0.tar.gz`). `None` for another project's file
/// or no sdist.
fn sdist_version<'a>(filename: &'a str, project: &str) -> Option<&'a str> {
    let stem = sdist_stem(filename)?;
    stem.char_indices()
        .filter(|&(_, c)| c == '-')
        .find(|&(at, _)| {
            stem.get(..at)
                .is_some_and(|name| normalize_name(name) == project)
        })
        .and_then(|(at, _)| stem.get(at + 1..))
}

/// An sdist's name without its archive suffix.
fn sdist_stem(filename: &str) -> Option<&str> {
    [".tar.gz", ".zip", ".tar.bz2", ".tgz"]
        .iter()
        .find_map(|suffix| filename.strip_suffix(suffix))
}

/// The version a file's name gives (`numpy-1.26.4-cp311-…whl`,
/// `numpy-1.26.4.tar.gz`), without parsing the rest.
fn named_version<'a>(filename: &'a str, project: &str) -> Option<&'a str> {
    if filename.ends_with(".whl") {
        return filename.split('-').nth(1);
    }
    sdist_version(filename, project)
}

/// A file's kind: a wheel, read from its name, or an sdist.
fn classify(filename: &str) -> Option<Kind> {
    if let Some(wheel) = WheelName::parse(filename) {
        return Some(Kind::Wheel(wheel));
    }
    sdist_stem(filename).map(|_| Kind::Sdist)
}

/// Whether two spellings name one version: equal as written, or equal
/// release numbers when neither is a pre-release (`1.0` and `1.0.0`).
fn same_version(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || (is_final(a) && is_final(b) && Version::compare_releases(a, b).is_eq())
}

/// A final release (`1.26.4`), not `2.0.0rc1` or `1.0.dev3`: what pip picks
/// by default.
fn is_final(version: &str) -> bool {
    !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// A project page with the pinned version's files read from their names,
/// once (a matrix decides the same page for each target).
pub struct Page {
    /// The pinned version's files.
    files: Vec<PageFile>,
    /// Later final releases' Linux wheels, oldest release first, one line
    /// each as the digest writes it (`L`, a tab, the name, then [`YANKED`]
    /// when it was): parsed only as far as a target's search goes, which
    /// the first wheel it takes ends.
    later: String,
}

struct PageFile {
    kind: Kind,
    filename: String,
    yanked: bool,
}

impl Page {
    /// The later wheels, oldest release first: each name and whether it was yanked.
    fn later_wheels(&self) -> impl Iterator<Item = (&str, bool)> {
        self.later
            .lines()
            .filter_map(|line| line.strip_prefix(LATER))
            .map(|line| match line.strip_suffix(YANKED) {
                Some(filename) => (filename, true),
                None => (line, false),
            })
    }
}

impl Page {
    /// The files of `project` (named `name`) that can matter for `version`:
    /// its own, and later releases' Linux wheels (the first with a wheel for
    /// the target is named).
    pub fn of(project: Project, name: &str, version: &str) -> Page {
        let mut files = Vec::new();
        let mut later = Vec::new();
        // A page lists a release's files together: each version is compared
        // once, not once per file (grpcio's page names 4,000 wheels).
        let mut last: Option<(&str, bool, bool)> = None;
        let name = normalize_name(name);
        for file in project.files() {
            // The version from the name alone first: most of a page's files
            // are other versions' or other systems', never parsed further.
            let Some(named) = named_version(file.filename, &name) else {
                continue;
            };
            let (same, is_later) = match last {
                Some((last_named, same, is_later)) if last_named == named => (same, is_later),
                _ => {
                    let same = same_version(named, version);
                    let is_later = !same
                        && is_final(named)
                        && Version::compare_releases(named, version).is_gt();
                    last = Some((named, same, is_later));
                    (same, is_later)
                }
            };
            if same {
                if let Some(kind) = classify(file.filename) {
                    files.push(PageFile {
                        kind,
                        yanked: file.yanked,
                        filename: file.filename.to_string(),
                    });
                }
                continue;
            }
            let linux_wheel = file.filename.ends_with(".whl") && file.filename.contains("linux");
            if is_later && linux_wheel {
                later.push((Version::release(named), file.filename, file.yanked));
            }
        }
        // Stable: among one release's wheels the page's order stays.
        later.sort_by(|a, b| a.0.cmp(&b.0));
        let mut later_lines = String::new();
        for (_, filename, yanked) in later {
            later_lines.push_str(LATER);
            later_lines.push_str(filename);
            if yanked {
                later_lines.push_str(YANKED);
            }
            later_lines.push('\n');
        }
        Page {
            files,
            later: later_lines,
        }
    }

    /// The page as a digest keeps it (one line per file, `P` for the pinned
    /// version's, `L` for a later wheel, then `yanked` when it was): all a
    /// target's decision reads, a few lines instead of the whole page.
    pub fn digest(&self) -> Vec<u8> {
        let mut kept = Vec::new();
        for file in &self.files {
            kept.extend_from_slice(PINNED.as_bytes());
            kept.extend_from_slice(file.filename.as_bytes());
            if file.yanked {
                kept.extend_from_slice(YANKED.as_bytes());
            }
            kept.push(b'\n');
        }
        kept.extend_from_slice(self.later.as_bytes());
        kept
    }

    /// A page from its [`Page::digest`]; `None` when `digest` is not one.
    /// The later wheels' lines are kept as they are (the venv's eight
    /// digests are 0.4 MB, nearly all of it later wheels).
    pub fn from_digest(digest: Vec<u8>) -> Option<Page> {
        let mut text = String::from_utf8(digest).ok()?;
        let mut files = Vec::new();
        let mut later_from = text.len();
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let file = line.strip_suffix('\n').unwrap_or(line);
            if let Some(file) = file.strip_prefix(PINNED) {
                if later_from < at {
                    return None;
                }
                let (filename, yanked) = match file.strip_suffix(YANKED) {
                    Some(filename) => (filename, true),
                    None => (file, false),
                };
                files.push(PageFile {
                    kind: classify(filename)?,
                    filename: filename.to_string(),
                    yanked,
                });
            } else if file.starts_with(LATER) {
                later_from = later_from.min(at);
            } else {
                return None;
            }
            at += line.len();
        }
        text.drain(..later_from);
        Some(Page { files, later: text })
    }
}

/// Whether the page has any file of its version: one without was cached
/// before that release (or the version was never published there).
pub fn lists_version(page: &Page) -> bool {
    !page.files.is_empty()
}

/// The page's version's one wheel for Linux on `arch`, when it publishes
/// exactly one and no pure wheel: the wheel any Linux install of that
/// version came from, whatever its `WHEEL` file says (playwright 1.65.2's
/// manylinux1 wheel says `py3-none-any`).
pub fn only_linux_wheel<'p>(page: &'p Page, arch: &str) -> Option<&'p str> {
    let wheels = || {
        page.files.iter().filter_map(|file| match &file.kind {
            Kind::Wheel(wheel) => Some((file, wheel)),
            Kind::Sdist => None,
        })
    };
    let pure = wheels().any(|(_, wheel)| wheel.platform_tags.contains(&PlatformTag::Any));
    // Only Linux tags (manylinux, musllinux, linux) have an architecture.
    let mut linux = wheels().filter(|(_, wheel)| {
        wheel
            .platform_tags
            .iter()
            .any(|tag| tag.arch() == Some(arch))
    });
    match (pure, linux.next(), linux.next()) {
        (false, Some((file, _)), None) => Some(file.filename.as_str()),
        _ => None,
    }
}

/// Whether the page's version publishes any wheel, pure or not.
pub fn publishes_wheels(page: &Page) -> bool {
    page.files
        .iter()
        .any(|file| matches!(file.kind, Kind::Wheel(_)))
}

/// What pip on the target does with the page's version of the project:
/// install a platform wheel the target takes, a pure wheel, build the
/// sdist, or fail. `None` when the page has no file of that version.
pub fn decide(page: &Page, accepts: &Accepts) -> Option<Verdict> {
    let pinned_among = |yanked: bool| -> Vec<&PageFile> {
        page.files.iter().filter(|f| f.yanked == yanked).collect()
    };
    let mut pinned = pinned_among(false);
    // PEP 592: yanked files are skipped, except that an exact pin of a
    // version whose files are all yanked still installs them (pip warns).
    let all_yanked = pinned.is_empty();
    if all_yanked {
        pinned = pinned_among(true);
    }
    if pinned.is_empty() {
        return None;
    }
    let mut verdict = decide_pinned(page, &pinned, accepts);
    if all_yanked {
        verdict
            .detail
            .push_str(" (the version is yanked: pip installs it for an exact pin only)");
    }
    Some(verdict)
}

fn decide_pinned(page: &Page, pinned: &[&PageFile], accepts: &Accepts) -> Verdict {
    let musl_wheel = |wheel: &WheelName| accepts.platform_wheel(wheel);
    let (family, newest_tag) = accepts.libc.wanted(&accepts.arch);
    let (build_found, target_name) = match accepts.libc {
        WheelLibc::Musl { .. } => (Reinstall::MuslBuild, "Alpine"),
        WheelLibc::Glibc { .. } => (Reinstall::GlibcBuild, "the target"),
    };
    let musl = pinned
        .iter()
        .filter_map(|file| match &file.kind {
            Kind::Wheel(wheel) if musl_wheel(wheel) => {
                Some((preference(wheel), file.filename.as_str()))
            }
            _ => None,
        })
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, name)| name);
    if let Some(first) = musl {
        return Verdict {
            reinstall: build_found,
            build: Some(first.to_string()),
            first_musl_version: None,
            detail: match accepts.python_minor {
                Some(_) => format!("pip installs the {family} wheel {first}"),
                None => format!(
                    "pip installs a {family} wheel such as {first} (the scanned files do not \
                     say which Python: any CPython 3 wheel counted)"
                ),
            },
        };
    }
    let first_musl_version = page
        .later_wheels()
        .filter(|(_, yanked)| !yanked)
        .filter_map(|(filename, _)| WheelName::parse(filename))
        .find(|wheel| musl_wheel(wheel))
        .map(|wheel| wheel.version);
    let mut pure: Vec<&str> = pinned
        .iter()
        .filter_map(|file| match &file.kind {
            Kind::Wheel(wheel)
                if accepts.wheel(wheel) && wheel.platform_tags.contains(&PlatformTag::Any) =>
            {
                Some(file.filename.as_str())
            }
            _ => None,
        })
        .collect();
    pure.sort_unstable();
    let wheels = pinned
        .iter()
        .filter(|file| matches!(file.kind, Kind::Wheel(_)))
        .count();
    if let Some(first) = pure.first() {
        let detail = if pure.len() == wheels {
            format!("only pure-Python wheels ({first}): nothing native to build")
        } else {
            format!(
                "no {family} wheel; pip installs the pure-Python wheel {first} instead of the \
                 platform wheels"
            )
        };
        return Verdict {
            reinstall: Reinstall::NotNative,
            build: Some((*first).to_string()),
            first_musl_version,
            detail,
        };
    }
    let sdist = pinned.iter().find_map(|file| match file.kind {
        Kind::Sdist => Some(file.filename.as_str()),
        Kind::Wheel(_) => None,
    });
    let python = match accepts.python_minor {
        Some(minor) => format!("CPython 3.{minor}"),
        None => "CPython 3".to_string(),
    };
    let wanted = format!("{newest_tag} for {python}");
    match sdist {
        Some(sdist) => Verdict {
            reinstall: Reinstall::SourceBuild,
            build: Some(sdist.to_string()),
            first_musl_version,
            detail: format!(
                "no wheel the target accepts ({wanted}, or older {family}); pip builds the \
                 sdist {sdist}"
            ),
        },
        None => Verdict {
            reinstall: Reinstall::CannotInstall,
            build: None,
            first_musl_version,
            detail: format!(
                "no {family} wheel ({wanted}) and no sdist among {wheels} wheel(s): pip on \
                 {target_name} fails with 'No matching distribution found'"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(python_minor: Option<u32>) -> Accepts {
        Accepts {
            arch: "x86_64".into(),
            libc: WheelLibc::Musl { minor: 2 },
            python_minor,
        }
    }

    fn wheel(name: &str) -> WheelName {
        WheelName::parse(name).unwrap()
    }

    #[test]
    fn a_page_read_back_from_its_digest_decides_as_the_page_does() {
        let recorded =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/index/pypi");
        let mut compared = 0;
        for (name, versions) in [
            ("numpy", &["1.24.4", "1.26.4", "2.4.6", "9.9"][..]),
            ("pyyaml", &["6.0.1", "6.0.4"][..]),
            ("psycopg2", &["2.9.9"][..]),
            ("onnxruntime", &["1.18.1"][..]),
        ] {
            let served = std::fs::read(recorded.join(format!("{name}.json"))).unwrap();
            for version in versions {
                let kept = compact(&served).unwrap();
                let page = Page::of(Project::read(&kept).unwrap(), name, version);
                let digest = page.digest();
                let back = Page::from_digest(digest.clone()).unwrap();
                assert_eq!(back.digest(), digest, "{name} {version}");
                for libc in [
                    WheelLibc::Musl { minor: 2 },
                    WheelLibc::Glibc { minor: 17 },
                    WheelLibc::Glibc { minor: 36 },
                ] {
                    for python_minor in [None, Some(9), Some(11), Some(13)] {
                        let accepts = Accepts {
                            arch: "x86_64".into(),
                            libc,
                            python_minor,
                        };
                        assert_eq!(
                            decide(&back, &accepts),
                            decide(&page, &accepts),
                            "{name} {version}"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert_eq!(compared, 96);
        assert!(Page::from_digest(b"X\tnumpy-1.0.tar.gz\n".to_vec()).is_none());
        assert!(Page::from_digest(b"P\tnot a file name\n".to_vec()).is_none());
        // The pinned version's lines come first, as `digest` writes them.
        let later_then_pinned =
            b"L\tnumpy-2.0-cp311-cp311-manylinux_2_17_x86_64.whl\nP\tnumpy-1.0.tar.gz\n";
        assert!(Page::from_digest(later_then_pinned.to_vec()).is_none());
        assert!(Page::from_digest(b"P\tnumpy-1.0.tar.gz\nL\n".to_vec()).is_none());
    }

    #[test]
    fn accepts_the_tags_pip_on_musl_accepts() {
        let py311 = accepts(Some(11));
        assert!(py311.wheel(&wheel("a-1-cp311-cp311-musllinux_1_1_x86_64.whl")));
        assert!(py311.wheel(&wheel("a-1-cp311-cp311-musllinux_1_2_x86_64.whl")));
        assert!(py311.wheel(&wheel("a-1-cp38-abi3-musllinux_1_2_x86_64.whl")));
        assert!(py311.wheel(&wheel("a-1-py3-none-musllinux_1_2_x86_64.whl")));
        assert!(py311.wheel(&wheel("a-1-py3-none-any.whl")));
        assert!(!py311.wheel(&wheel("a-1-cp312-cp312-musllinux_1_2_x86_64.whl")));
        assert!(!py311.wheel(&wheel("a-1-cp312-abi3-musllinux_1_2_x86_64.whl")));
        assert!(!py311.wheel(&wheel("a-1-cp311-cp311-musllinux_1_3_x86_64.whl")));
        assert!(!py311.wheel(&wheel("a-1-cp311-cp311-musllinux_1_2_aarch64.whl")));
        assert!(!py311.wheel(&wheel("a-1-cp311-cp311-manylinux2014_x86_64.whl")));
        assert!(!py311.wheel(&wheel("a-1-py2-none-any.whl")));
        let unknown = accepts(None);
        assert!(unknown.wheel(&wheel("a-1-cp312-cp312-musllinux_1_2_x86_64.whl")));
    }

    /// The page a served document gives for `version`, as a scan reads it.
    fn page_of(served: &[u8], version: &str) -> Page {
        let kept = compact(served).unwrap();
        Page::of(Project::read(&kept).unwrap(), "a", version)
    }

    /// playwright 1.65.2 publishes one wheel per system, its manylinux1 one
    /// retagged `py3-none-any` inside: any Linux x86_64 install came from it.
    #[test]
    fn a_release_s_one_linux_wheel_is_named_only_when_no_pure_wheel_exists() {
        let files = |extra: &str| {
            format!(
                r#"{{"files": [
                    {{"filename": "a-1.0-py3-none-macosx_11_0_universal2.whl"}},
                    {{"filename": "a-1.0-py3-none-manylinux1_x86_64.whl"}},
                    {{"filename": "a-1.0-py3-none-manylinux_2_17_aarch64.whl"}},
                    {{"filename": "a-1.0-py3-none-win_amd64.whl"}}{extra}
                ]}}"#
            )
        };
        let page = page_of(files("").as_bytes(), "1.0");
        assert_eq!(
            only_linux_wheel(&page, "x86_64"),
            Some("a-1.0-py3-none-manylinux1_x86_64.whl")
        );
        assert_eq!(
            only_linux_wheel(&page, "aarch64"),
            Some("a-1.0-py3-none-manylinux_2_17_aarch64.whl")
        );
        let pure = page_of(
            files(r#", {"filename": "a-1.0-py3-none-any.whl"}"#).as_bytes(),
            "1.0",
        );
        assert_eq!(only_linux_wheel(&pure, "x86_64"), None);
        let two = page_of(
            files(r#", {"filename": "a-1.0-py3-none-musllinux_1_2_x86_64.whl"}"#).as_bytes(),
            "1.0",
        );
        assert_eq!(only_linux_wheel(&two, "x86_64"), None);
    }

    fn later_names(page: &Page) -> Vec<&str> {
        page.later_wheels().map(|(filename, _)| filename).collect()
    }

    #[test]
    fn the_first_later_release_with_a_wheel_for_the_target_is_named_whatever_the_page_order() {
        let page = page_of(
            br#"{"files": [
                {"filename": "a-1.0.tar.gz"},
                {"filename": "a-3.0-cp311-cp311-musllinux_1_1_x86_64.whl"},
                {"filename": "a-2.1-cp311-cp311-musllinux_1_2_x86_64.whl", "yanked": "broken"},
                {"filename": "a-2.0-cp311-cp311-manylinux2014_x86_64.whl"},
                {"filename": "a-1.5-cp311-cp311-win_amd64.whl"},
                {"filename": "a-2.2rc1-cp311-cp311-musllinux_1_1_x86_64.whl"},
                {"filename": "a-2.2-cp312-cp312-musllinux_1_1_x86_64.whl"},
                {"filename": "a-2.5-cp311-cp311-musllinux_1_1_x86_64.whl"},
                {"filename": "a-0.9-cp311-cp311-musllinux_1_1_x86_64.whl"}
            ]}"#,
            "1.0",
        );
        // Later Linux wheels of final releases only, oldest first.
        assert_eq!(
            later_names(&page),
            [
                "a-2.0-cp311-cp311-manylinux2014_x86_64.whl",
                "a-2.1-cp311-cp311-musllinux_1_2_x86_64.whl",
                "a-2.2-cp312-cp312-musllinux_1_1_x86_64.whl",
                "a-2.5-cp311-cp311-musllinux_1_1_x86_64.whl",
                "a-3.0-cp311-cp311-musllinux_1_1_x86_64.whl",
            ]
        );
        let verdict = decide(&page, &accepts(Some(11))).unwrap();
        assert_eq!(verdict.reinstall, Reinstall::SourceBuild);
        // 2.1 is yanked, 2.2's wheel is for CPython 3.12.
        assert_eq!(verdict.first_musl_version.as_deref(), Some("2.5"));
    }

    #[test]
    fn a_release_listed_in_runs_is_compared_once_per_run_with_the_same_answer() {
        let page = page_of(
            br#"{"files": [
                {"filename": "a-1.0-cp311-cp311-manylinux2014_x86_64.whl"},
                {"filename": "a-1.0-cp311-cp311-musllinux_1_1_x86_64.whl"},
                {"filename": "a-2.0-cp311-cp311-manylinux2014_x86_64.whl"},
                {"filename": "a-2.0-cp311-cp311-musllinux_1_1_x86_64.whl"},
                {"filename": "a-1.0.0.tar.gz"},
                {"filename": "a-1.0.0rc1-cp311-cp311-musllinux_1_1_x86_64.whl"},
                {"filename": "a-2.0-cp311-cp311-musllinux_1_2_aarch64.whl"}
            ]}"#,
            "1.0",
        );
        let pinned: Vec<&str> = page.files.iter().map(|f| f.filename.as_str()).collect();
        assert_eq!(
            pinned,
            [
                "a-1.0-cp311-cp311-manylinux2014_x86_64.whl",
                "a-1.0-cp311-cp311-musllinux_1_1_x86_64.whl",
                "a-1.0.0.tar.gz",
            ]
        );
        assert_eq!(
            later_names(&page),
            [
                "a-2.0-cp311-cp311-manylinux2014_x86_64.whl",
                "a-2.0-cp311-cp311-musllinux_1_1_x86_64.whl",
                "a-2.0-cp311-cp311-musllinux_1_2_aarch64.whl",
            ]
        );
    }

    #[test]
    fn sdist_versions_follow_the_projects_name() {
        assert_eq!(
            sdist_version("argon2-cffi-bindings-21.2.0.tar.gz", "argon2-cffi-bindings"),
            Some("21.2.0")
        );
        assert_eq!(
            sdist_version("PyYAML-6.0.1.tar.gz", "pyyaml"),
            Some("6.0.1")
        );
        assert_eq!(
            sdist_version("zope.interface-7.2.tar.gz", "zope-interface"),
            Some("7.2")
        );
        // A legacy name with a dash in its version, read as pip reads it.
        assert_eq!(
            sdist_version("PyMuPDF-1.14.19.post-2.tar.gz", "pymupdf"),
            Some("1.14.19.post-2")
        );
        assert_eq!(sdist_version("other-1.0.tar.gz", "pymupdf"), None);
        assert_eq!(sdist_version("a-1.0.exe", "a"), None);
    }

    #[test]
    fn same_version_treats_missing_zeros_as_equal_but_not_prereleases() {
        assert!(same_version("1.0", "1.0.0"));
        assert!(!same_version("2.0.0rc1", "2.0.0"));
        assert!(same_version("2.0.0RC1", "2.0.0rc1"));
    }
}
