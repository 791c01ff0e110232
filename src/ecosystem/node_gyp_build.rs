//! Which of the `.node` files of one directory node-gyp-build loads
//! (node-gyp-build 4.8 `resolve`; node-gyp-build-optional-packages 5.2
//! `resolveFile`, whose `matchTags` also wants a `node` runtime tag and an
//! ABI tag equal to Node's or `napi`): every file's name is parsed into tags
//! (`parseTags`: `node`, `napi`, `abi115`, `uv1`, `armv8`, `glibc`/`musl`,
//! one point of specificity each), the files whose tags match the running
//! Node are kept (`matchTags`), and the first of them after sorting
//! (`compareTags`: a `node` runtime tag first, then an ABI tag, then the
//! higher specificity) is loaded.
//!
//! The Node version of the image is not known, so a file is only said never
//! to load when, under every ABI it can match, another file always sorts
//! before it: `x.node` beside `x.musl.node` on musl, `node.abi115.node`
//! beside `node.musl.abi115.node`.

use std::collections::HashMap;

use crate::model::LibcKind;

/// libuv's major version in every Node release that has `uv` tags.
const NODE_UV_MAJOR: &str = "1";

/// A file's tags, as `parseTags` reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tags<'n> {
    runtime: Option<&'n str>,
    napi: bool,
    abi: Option<&'n str>,
    uv: Option<&'n str>,
    armv: Option<&'n str>,
    libc: Option<LibcKind>,
    specificity: u32,
}

/// Whether `file_name` is tagged `napi` (loads under any Node version).
pub fn is_napi(file_name: &str) -> bool {
    parse_tags(file_name).is_some_and(|tags| tags.napi)
}

/// The tags of `file_name`; `None` unless it ends with `.node` (node-gyp-build
/// considers no other file).
pub fn parse_tags(file_name: &str) -> Option<Tags<'_>> {
    let stem = file_name.strip_suffix(".node")?;
    let mut tags = Tags {
        runtime: None,
        napi: false,
        abi: None,
        uv: None,
        armv: None,
        libc: None,
        specificity: 0,
    };
    for tag in stem.split('.') {
        if matches!(tag, "node" | "electron" | "node-webkit") {
            tags.runtime = Some(tag);
        } else if tag == "napi" {
            tags.napi = true;
        } else if let Some(abi) = tag.strip_prefix("abi") {
            // Kept as it is: `''` is false, yet differs from no tag in compareTags.
            tags.abi = Some(abi);
        } else if let Some(uv) = tag.strip_prefix("uv") {
            tags.uv = non_empty(uv);
        } else if let Some(armv) = tag.strip_prefix("armv") {
            tags.armv = non_empty(armv);
        } else if tag == "glibc" {
            tags.libc = Some(LibcKind::Glibc);
        } else if tag == "musl" {
            tags.libc = Some(LibcKind::Musl);
        } else {
            continue;
        }
        tags.specificity += 1;
    }
    Some(tags)
}

/// Whether every part of `file_name` before `.node` is a tag
/// (`node.napi.musl.node`, as node-gyp-build-optional-packages' platform
/// packages name their files; `duckdb.node` is not).
pub fn only_tags(file_name: &str) -> bool {
    let Some(stem) = file_name.strip_suffix(".node") else {
        return false;
    };
    parse_tags(file_name).is_some_and(|tags| tags.specificity as usize == stem.split('.').count())
}

/// A tag's value; an empty one (`x.uv.node`) counts for specificity but
/// JavaScript's `''` is false where node-gyp-build tests it.
fn non_empty(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

/// The Node process choosing: its C library and ARM version (`ARM_VERSION`,
/// 8 on arm64, none on other CPUs), and whether the choosing is
/// node-gyp-build-optional-packages' (stricter `matchTags`).
#[derive(Debug, Clone, Copy)]
pub struct Runner<'r> {
    pub libc: LibcKind,
    pub armv: Option<&'r str>,
    pub optional_packages: bool,
}

impl Runner<'static> {
    /// Node choosing on `libc` and Node's CPU name `cpu`: node-gyp-build's
    /// ARM_VERSION is 8 on arm64, Node's arm_version (7 in its armv7 builds) on arm.
    pub fn for_cpu(libc: LibcKind, cpu: &str) -> Runner<'static> {
        let armv = match cpu {
            "arm64" => Some("8"),
            "arm" => Some("7"),
            _ => None,
        };
        Runner {
            libc,
            armv,
            optional_packages: false,
        }
    }
}

impl Runner<'_> {
    /// `matchTags` but for the ABI, which the caller decides.
    fn may_match(&self, tags: &Tags) -> bool {
        self.never_matches(tags).is_none() && tags.libc.is_none_or(|libc| libc == self.libc)
    }

    /// The tag by which a file never matches Node on this platform, whatever
    /// its ABI or libc: another runtime (Electron, NW.js), libuv or ARM version.
    fn never_matches(&self, tags: &Tags) -> Option<String> {
        // A `node` runtime tag, or none: Node is the runtime.
        if let Some(runtime) = tags.runtime.filter(|&runtime| runtime != "node") {
            return Some(format!("a build for the {runtime} runtime"));
        }
        if self.optional_packages && tags.runtime.is_none() {
            return Some("a file without the node tag (node-gyp-build-optional-packages)".into());
        }
        if self.optional_packages && !tags.napi && !tags.has_abi() {
            return Some(
                "a file tagged neither napi nor with an ABI (node-gyp-build-optional-packages)"
                    .into(),
            );
        }
        if let Some(uv) = tags.uv.filter(|&uv| uv != NODE_UV_MAJOR) {
            return Some(format!(
                "a build for libuv {uv} (Node has libuv {NODE_UV_MAJOR})"
            ));
        }
        match (tags.armv, self.armv) {
            (Some(armv), Some(own)) if armv != own => Some(format!(
                "a build for ARMv{armv} (Node here asks for ARMv{own})"
            )),
            (Some(armv), None) => Some(format!("a build for ARMv{armv}")),
            _ => None,
        }
    }
}

/// Why node-gyp-build never picks the file `name` for Node here whatever
/// its ABI and libc, by a tag of its name (`x.electron.napi.node`).
pub fn never_matches(name: &str, runner: Runner) -> Option<String> {
    runner.never_matches(&parse_tags(name)?)
}

impl Tags<'_> {
    /// An ABI tag with a value (`x.abi.node`'s empty one is false in JavaScript).
    fn has_abi(&self) -> bool {
        self.abi.is_some_and(|abi| !abi.is_empty())
    }
}

/// Whether `first` sorts before `second` under `compareTags` whatever the
/// order they came in: when their ABI tags differ, `a.abi ? -1 : 1` puts
/// first the one with a value, and either one when both or neither have one.
fn always_before(first: &Tags, second: &Tags) -> bool {
    if first.runtime != second.runtime {
        return first.runtime == Some("node");
    }
    if first.abi != second.abi {
        return first.has_abi() && !second.has_abi();
    }
    first.specificity > second.specificity
}

/// For each file of `names` (the `.node` files of one directory) that
/// node-gyp-build never loads in `runner` although its tags can match, the
/// index of one that it loads before it. Linear in the files: each is
/// compared with the best of the others under the one ABI that matters.
pub fn never_chosen(names: &[&str], runner: Runner) -> HashMap<usize, usize> {
    let tags: Vec<Option<Tags>> = names
        .iter()
        .map(|name| parse_tags(name).filter(|tags| runner.may_match(tags)))
        .collect();
    // Candidates under an ABI no tag names: no ABI tag (for
    // optional-packages: none), or N-API ones. Under ABI x, also the files
    // tagged abi x without napi.
    let any_abi: Vec<usize> = (tags.iter().enumerate())
        .filter(|(_, t)| {
            t.as_ref()
                .is_some_and(|t| t.napi || (!t.has_abi() && !runner.optional_packages))
        })
        .map(|(index, _)| index)
        .collect();
    let mut by_abi: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, tags) in tags.iter().enumerate() {
        if let Some(tags) = tags.as_ref().filter(|t| t.has_abi() && !t.napi)
            && let Some(abi) = tags.abi
        {
            by_abi.entry(abi).or_default().push(index);
        }
    }
    let mut beaten = HashMap::new();
    // A file tagged both napi and with an ABI matches under other ABIs,
    // where it and the files of that ABI each sort before the other:
    // Array.prototype.sort's result is then the engine's, not the tags'.
    if tags.iter().flatten().any(|t| t.napi && t.has_abi()) {
        return beaten;
    }
    let best_of_any_abi = Best::of(&tags, &any_abi);
    // A file matching under every ABI loses under every ABI if it loses
    // where there are fewest rivals: where no ABI tag matches.
    for &index in &any_abi {
        if let Some(winner) = best_of_any_abi.beating(&tags, index) {
            beaten.insert(index, winner);
        }
    }
    for files in by_abi.values() {
        let best = best_of_any_abi.with(&tags, files);
        for &index in files {
            if let Some(winner) = best.beating(&tags, index) {
                beaten.insert(index, winner);
            }
        }
    }
    beaten
}

/// Of a set of candidates: the first with a `node` runtime tag, and per
/// (runtime tag, ABI tag) the one of highest specificity.
#[derive(Clone, Default)]
struct Best<'n> {
    node_runtime: Option<usize>,
    /// By runtime tag (`None` or `node`): one with an ABI tag.
    with_abi: HashMap<Option<&'n str>, usize>,
    /// By (runtime tag, ABI tag): the most specific.
    most_specific: HashMap<(Option<&'n str>, Option<&'n str>), usize>,
}

impl<'n> Best<'n> {
    fn of(tags: &[Option<Tags<'n>>], files: &[usize]) -> Best<'n> {
        Best::default().with(tags, files)
    }

    fn with(&self, tags: &[Option<Tags<'n>>], files: &[usize]) -> Best<'n> {
        let mut best = self.clone();
        for &index in files {
            let Some(Some(file)) = tags.get(index) else {
                continue;
            };
            if file.runtime == Some("node") {
                best.node_runtime.get_or_insert(index);
            }
            if file.has_abi() {
                best.with_abi.entry(file.runtime).or_insert(index);
            }
            let specificity = |i: &usize| {
                tags.get(*i)
                    .and_then(Option::as_ref)
                    .map_or(0, |t| t.specificity)
            };
            best.most_specific
                .entry((file.runtime, file.abi))
                .and_modify(|kept| {
                    if file.specificity > specificity(kept) {
                        *kept = index;
                    }
                })
                .or_insert(index);
        }
        best
    }

    /// A candidate that always sorts before candidate `index`, if any.
    fn beating(&self, tags: &[Option<Tags<'n>>], index: usize) -> Option<usize> {
        let file = tags.get(index)?.as_ref()?;
        [
            self.node_runtime,
            self.with_abi.get(&file.runtime).copied(),
            self.most_specific.get(&(file.runtime, file.abi)).copied(),
        ]
        .into_iter()
        .flatten()
        .find(|&other| {
            other != index
                && tags
                    .get(other)
                    .and_then(Option::as_ref)
                    .is_some_and(|rival| always_before(rival, file))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MUSL: Runner = Runner {
        libc: LibcKind::Musl,
        armv: None,
        optional_packages: false,
    };
    const GLIBC: Runner = Runner {
        libc: LibcKind::Glibc,
        armv: None,
        optional_packages: false,
    };

    fn never(names: &[&str], runner: Runner) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = never_chosen(names, runner)
            .into_iter()
            .map(|(lost, won)| (names[lost].to_string(), names[won].to_string()))
            .collect();
        found.sort();
        found
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn names_made_of_tags_only() {
        assert!(only_tags("node.abi115.glibc.node"));
        assert!(!only_tags("duckdb.node"));
        assert!(!only_tags("x.musl.node"));
    }

    #[test]
    fn tags_as_node_gyp_build_parses_them() {
        let tags = parse_tags("dd_pprof.musl.node.abi115.node").unwrap();
        assert_eq!(tags.runtime, Some("node"));
        assert_eq!(tags.abi, Some("115"));
        assert_eq!(tags.libc, Some(LibcKind::Musl));
        assert_eq!(tags.specificity, 3);
        assert_eq!(parse_tags("utf-8-validate.node").unwrap().specificity, 0);
        assert_eq!(parse_tags("x.bare"), None);
    }

    #[test]
    fn an_untagged_file_beside_a_musl_one_loads_on_glibc_only() {
        let names = ["utf-8-validate.musl.node", "utf-8-validate.node"];
        assert_eq!(
            never(&names, MUSL),
            pairs(&[("utf-8-validate.node", "utf-8-validate.musl.node")])
        );
        assert!(never(&names, GLIBC).is_empty());
    }

    #[test]
    fn abi_tags_beat_napi_before_specificity_counts() {
        // node-gyp-build's order: x.abi115.node wins over x.napi.musl.node
        // under Node's ABI 115, which is only one of the possible ABIs.
        let names = ["x.abi115.node", "x.napi.musl.node"];
        assert!(never(&names, MUSL).is_empty());
        // Per ABI, a musl file for each: the untagged ones never load on musl.
        let names = [
            "dd.node.abi115.node",
            "dd.musl.node.abi115.node",
            "dd.node.abi127.node",
            "dd.musl.node.abi127.node",
        ];
        assert_eq!(
            never(&names, MUSL),
            pairs(&[
                ("dd.node.abi115.node", "dd.musl.node.abi115.node"),
                ("dd.node.abi127.node", "dd.musl.node.abi127.node"),
            ])
        );
        // On glibc the musl ones never match: not "never chosen" here (the
        // libc rule says why), and the untagged ones load.
        assert!(never(&names, GLIBC).is_empty());
        // An ABI with no musl file: its untagged file is what musl gets.
        let names = ["dd.node.abi108.node", "dd.musl.node.abi115.node"];
        assert!(never(&names, MUSL).is_empty());
    }

    #[test]
    fn a_platform_packages_files_by_libc() {
        // @lmdb/lmdb-linux-x64: N-API for both, an ABI build for glibc.
        let names = [
            "node.abi115.glibc.node",
            "node.napi.glibc.node",
            "node.napi.musl.node",
        ];
        // Under ABI 115 glibc loads the ABI build, else the N-API one.
        assert!(never(&names, GLIBC).is_empty());
        assert!(never(&names, MUSL).is_empty(), "glibc files never match");
        let names = ["node.napi.node", "node.napi.glibc.node"];
        assert_eq!(
            never(&names, GLIBC),
            pairs(&[("node.napi.node", "node.napi.glibc.node")])
        );
    }

    #[test]
    fn empty_tag_values_are_false_yet_differ_from_none() {
        // compareTags: '' !== undefined, and '' is false: either order.
        assert!(never(&["x.abi.node", "x.node"], MUSL).is_empty());
        // An empty uv tag matches and counts.
        assert_eq!(
            never(&["x.uv.node", "x.node"], MUSL),
            pairs(&[("x.node", "x.uv.node")])
        );
        // A real ABI tag comes before an empty one.
        assert_eq!(
            never(&["x.abi.node", "x.abi115.node"], MUSL),
            Vec::<(String, String)>::new(),
            "x.abi.node still loads under other ABIs"
        );
    }

    #[test]
    fn other_runtimes_and_versions_never_match_node() {
        assert!(
            never_matches("x.electron.napi.node", MUSL)
                .unwrap()
                .contains("electron")
        );
        assert!(
            never_matches("x.uv2.node", MUSL)
                .unwrap()
                .contains("libuv 2")
        );
        assert!(
            never_matches("x.armv7.node", MUSL).is_some(),
            "no ARM version on x64"
        );
        let arm64 = Runner {
            libc: LibcKind::Musl,
            armv: Some("8"),
            optional_packages: false,
        };
        assert!(never_matches("x.armv7.node", arm64).is_some());
        assert_eq!(never_matches("x.armv8.musl.node", arm64), None);
        assert_eq!(
            never_matches("x.glibc.node", MUSL),
            None,
            "libc: another rule"
        );
        assert_eq!(never_matches("x.napi.node", MUSL), None);
    }

    #[test]
    fn no_claim_where_the_order_depends_on_the_sort() {
        let names = [
            "b.napi.node.abi115.node",
            "b.node.abi108.napi.node",
            "x.abi115.node.node",
        ];
        assert!(never(&names, MUSL).is_empty());
        // One napi file with an ABI tag is enough (a review's case).
        let names = ["x.abi115.node", "x.abi115.uv1.node", "x.napi.abi108.node"];
        assert!(never(&names, MUSL).is_empty());
    }

    #[test]
    fn optional_packages_want_a_node_tag_and_napi_or_an_abi() {
        let strict = Runner {
            optional_packages: true,
            ..MUSL
        };
        // node.musl.uv1.node has no ABI tag: never matches there, so
        // node.napi.node is what loads (node-gyp-build 4 would rank it first).
        let names = ["node.napi.node", "node.musl.uv1.node"];
        assert!(never(&names, strict).is_empty());
        assert_eq!(
            never(&names, MUSL),
            pairs(&[("node.napi.node", "node.musl.uv1.node")])
        );
        assert!(never_matches("node.musl.uv1.node", strict).is_some());
        assert!(never_matches("napi.musl.node", strict).is_some());
        assert_eq!(never_matches("node.napi.musl.node", strict), None);
    }

    #[test]
    fn equal_files_leave_the_choice_to_the_directory_order() {
        let names = ["a.musl.node", "b.musl.node"];
        assert!(never(&names, MUSL).is_empty());
    }
}
