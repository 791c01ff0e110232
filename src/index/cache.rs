//! The index documents' cache on disk: one file per URL, with the time it
//! was fetched, the URL and the body's hash first, so that a file cut
//! short, changed or of another layout reads back as a miss.

/// The first line of every cache file, so that a file of another kind is
/// never taken for a document. Layout 4 holds the compacted document (PyPI
/// pages and npm documents as lines) and its hash (a file cut short or
/// changed reads back as a miss, checked at a fraction of the cost of
/// parsing it).
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::discover::{read_bounded, read_prefix, write_atomically};

use super::fetch::{Fetched, RESPONSE_CAP, Request};

pub(super) const CACHE_MAGIC: &str = "muslcheck-index-cache 4";
/// Earlier layouts, read, compacted again where their body is not kept as
/// this one keeps it, and rewritten: 1 held the document as served; 2 held
/// it compacted as JSON, with its hash; 3 held PyPI pages as lines (as 4
/// does) and npm documents as JSON.
const CACHE_MAGIC_AS_SERVED: &str = "muslcheck-index-cache 1";
const CACHE_MAGIC_JSON: &str = "muslcheck-index-cache 2";
const CACHE_MAGIC_PYPI_LINES: &str = "muslcheck-index-cache 3";

/// A cached body's check: its 128-bit xxh3, in hex.
pub(super) fn body_hash(body: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(body))
}

/// Cached documents: one file per URL, named by its hash; the time it was
/// fetched, the URL and the body's hash on the first lines. A file that does
/// not read back whole (another layout, another URL, another body, from the
/// future) is a miss.
pub(super) struct Cache {
    pub(super) dir: Option<PathBuf>,
}

pub(super) struct CacheEntry {
    pub(super) age: Duration,
    /// `None`: the index said it has no such document.
    pub(super) body: Option<Vec<u8>>,
}

impl CacheEntry {
    pub(super) fn fetched(self) -> Fetched {
        match self.body {
            Some(body) => Fetched::Document(body),
            None => Fetched::NotFound,
        }
    }

    /// [`CacheEntry::fetched`] of a stale entry kept aside: copied, as only
    /// a failed request falls back to it.
    pub(super) fn fetched_copy(&self) -> Fetched {
        match &self.body {
            Some(body) => Fetched::Document(body.clone()),
            None => Fetched::NotFound,
        }
    }
}

/// The first line of a digest file; its second is its document's hash,
/// its third its own body's. Its number changes with the rules that make
/// a digest, so that one made by older rules is made again (2: an sdist's
/// version follows its project's name, not the last dash).
pub(super) const DIGEST_MAGIC: &str = "muslcheck-index-digest 2";
/// Enough of a cached document's file for its header (URLs are short).
const HEADER_CAP: u64 = 8192;

/// The hash line of a cached "not found" answer (and its empty body).
pub(super) const NOT_FOUND: &str = "not-found";
pub(super) const NOT_FOUND_BODY: &[u8] = b"";

pub(super) fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |now| now.as_secs())
}

impl Cache {
    pub(super) fn path(dir: &Path, url: &str) -> PathBuf {
        let hash = xxhash_rust::xxh3::xxh3_128(url.as_bytes());
        dir.join(format!("{hash:032x}.json"))
    }

    /// A digest of the document at `url`, one per `key`.
    pub(super) fn digest_path(dir: &Path, url: &str, key: &str) -> PathBuf {
        let hash = xxhash_rust::xxh3::xxh3_128(format!("{url}\n{key}").as_bytes());
        dir.join(format!("{hash:032x}.digest"))
    }

    /// The age and body hash of the cached document of `request`, from its
    /// header alone. Layouts 3 and 4 share their header; a layout-3 body
    /// that `read` compacts again gets another hash, so its digests miss.
    pub(super) fn header(&self, request: &Request) -> Option<(Duration, Vec<u8>)> {
        let url = request.url.as_str();
        let path = Cache::path(self.dir.as_deref()?, url);
        let head = read_prefix(&path, HEADER_CAP).ok()?;
        let mut lines = head.split(|&b| b == b'\n');
        let magic = lines.next()?;
        if magic != CACHE_MAGIC.as_bytes() && magic != CACHE_MAGIC_PYPI_LINES.as_bytes() {
            return None;
        }
        let fetched: u64 = std::str::from_utf8(lines.next()?).ok()?.parse().ok()?;
        if lines.next()? != url.as_bytes() {
            return None;
        }
        let hash = lines.next()?;
        // A hash line cut by the prefix is no hash; "not found" has no digest.
        if lines.next().is_none() || hash == NOT_FOUND.as_bytes() {
            return None;
        }
        let age = Duration::from_secs(now_seconds().checked_sub(fetched)?);
        Some((age, hash.to_vec()))
    }

    pub(super) fn read(&self, request: &Request) -> Option<CacheEntry> {
        let url = request.url.as_str();
        let path = Cache::path(self.dir.as_deref()?, url);
        let bytes = read_bounded(&path, RESPONSE_CAP.saturating_add(4096)).ok()?;
        let mut parts = bytes.splitn(4, |&b| b == b'\n');
        let magic = parts.next()?;
        let (as_served, current, lines_unless_json) = (
            magic == CACHE_MAGIC_AS_SERVED.as_bytes(),
            magic == CACHE_MAGIC.as_bytes(),
            magic == CACHE_MAGIC_PYPI_LINES.as_bytes(),
        );
        if !(as_served || current || lines_unless_json || magic == CACHE_MAGIC_JSON.as_bytes()) {
            return None;
        }
        let fetched: u64 = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
        if parts.next()? != url.as_bytes() {
            return None;
        }
        let rest = parts.next()?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        let age = Duration::from_secs(now.checked_sub(fetched)?);
        let body = if as_served {
            rest
        } else {
            let (hash, body) = rest.split_at_checked(rest.iter().position(|&b| b == b'\n')?)?;
            let body = body.get(1..)?;
            if hash == NOT_FOUND.as_bytes() && body.is_empty() {
                return Some(CacheEntry { age, body: None });
            }
            if hash != body_hash(body).as_bytes() {
                return None;
            }
            body
        };
        // Kept forms are lines, never a JSON object.
        if current || (lines_unless_json && body.first() != Some(&b'{')) {
            // The header cut off in place: copied, next's document took twice
            // as long to read (1.2 ms, not 0.6: fresh pages faulted in).
            let header = bytes.len().saturating_sub(body.len());
            let mut bytes = bytes;
            bytes.drain(..header);
            return Some(CacheEntry {
                age,
                body: Some(bytes),
            });
        }
        // An earlier layout: kept as this one keeps it, and rewritten.
        let body = (request.compact)(body)?;
        self.write_at(url, &body, fetched, &body_hash(&body));
        Some(CacheEntry {
            age,
            body: Some(body),
        })
    }

    /// Best effort: a cache that cannot be written makes the next scan ask again.
    pub(super) fn write(&self, url: &str, body: &[u8]) {
        self.write_at(url, body, now_seconds(), &body_hash(body));
    }

    /// `body`, fetched at `fetched` (seconds since the epoch), with its hash
    /// line (the body's hash, or [`NOT_FOUND`]).
    pub(super) fn write_at(&self, url: &str, body: &[u8], fetched: u64, hash: &str) {
        let Some(dir) = &self.dir else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let mut bytes = format!("{CACHE_MAGIC}\n{fetched}\n{url}\n{hash}\n").into_bytes();
        bytes.extend_from_slice(body);
        let _ = write_atomically(&Cache::path(dir, url), &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache in a directory of its own (removed when the first is dropped).
    fn temp_cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache {
            dir: Some(dir.path().to_path_buf()),
        };
        (dir, cache)
    }

    #[test]
    fn cache_files_read_back_only_whole_and_for_their_url() {
        let (dir, cache) = temp_cache();
        let url = "https://pypi.org/simple/numpy/";
        let request = |url: &str| Request {
            url: url.to_string(),
            accept: super::super::pypi::ACCEPT,
            compact: super::super::pypi::compact,
        };
        cache.write(url, b"{\"files\":[]}");
        let path = Cache::path(dir.path(), url);
        let whole = std::fs::read(&path).unwrap();
        std::fs::write(&path, &whole[..whole.len() - 1]).unwrap();
        assert!(cache.read(&request(url)).is_none(), "cut short");
        cache.write(url, b"{\"files\":[]}");
        let entry = cache.read(&request(url)).unwrap();
        assert_eq!(entry.body.as_deref(), Some(&b"{\"files\":[]}"[..]));
        assert!(entry.age < Duration::from_secs(60));
        assert!(
            cache
                .read(&request("https://pypi.org/simple/scipy/"))
                .is_none()
        );
        let path = Cache::path(dir.path(), url);
        for corrupt in [
            &b"garbage"[..],
            b"muslcheck-index-cache 1\nnot a time\nhttps://pypi.org/simple/numpy/\n{}",
            b"muslcheck-index-cache 1\n1\nhttps://pypi.org/simple/other/\n{}",
            b"muslcheck-index-cache 1\n99999999999\nhttps://pypi.org/simple/numpy/\n{}",
            b"muslcheck-index-cache 1\n1\nhttps://pypi.org/simple/numpy/\n{\"files\": [",
            // Layouts 2 and 3 with another body than their hash says, or none.
            b"muslcheck-index-cache 2\n1\nhttps://pypi.org/simple/numpy/\n00000000000000000000000000000000\n{\"files\":[]}",
            b"muslcheck-index-cache 2\n1\nhttps://pypi.org/simple/numpy/\n{\"files\":[]}",
            b"muslcheck-index-cache 3\n1\nhttps://pypi.org/simple/numpy/\n00000000000000000000000000000000\nnumpy-1.0.tar.gz\n",
            b"muslcheck-index-cache 3\n1\nhttps://pypi.org/simple/numpy/\nnumpy-1.0.tar.gz\n",
        ] {
            std::fs::write(&path, corrupt).unwrap();
            assert!(
                cache.read(&request(url)).is_none(),
                "{}",
                String::from_utf8_lossy(corrupt)
            );
        }
    }

    /// A cache file of `layout` (2 and later: the body's hash on its fourth
    /// line), fetched at 1700000000.
    fn cache_file(layout: u8, url: &str, body: &[u8]) -> Vec<u8> {
        let mut file = format!(
            "muslcheck-index-cache {layout}\n1700000000\n{url}\n{}\n",
            body_hash(body)
        )
        .into_bytes();
        file.extend_from_slice(body);
        file
    }

    #[test]
    fn a_cached_document_as_served_is_compacted_and_rewritten() {
        let (dir, cache) = temp_cache();
        let url = "https://pypi.org/simple/numpy/";
        let served = br#"{"meta": {"api-version": "1.1"}, "name": "numpy", "files": [
            {"filename": "numpy-1.26.4.tar.gz", "hashes": {"sha256": "abc"}, "requires-python": ">=3.9", "yanked": false},
            {"filename": "numpy-1.0.tar.gz", "url": "https://files/numpy-1.0.tar.gz", "yanked": "broken build"}]}"#;
        let mut layout_1 = format!("muslcheck-index-cache 1\n1700000000\n{url}\n").into_bytes();
        layout_1.extend_from_slice(served);
        let path = Cache::path(dir.path(), url);
        std::fs::write(&path, &layout_1).unwrap();
        let request = Request {
            url: url.to_string(),
            accept: super::super::pypi::ACCEPT,
            compact: super::super::pypi::compact,
        };
        let entry = cache.read(&request).unwrap();
        let kept = b"numpy-1.26.4.tar.gz\nnumpy-1.0.tar.gz\tyanked\n";
        assert_eq!(
            String::from_utf8_lossy(entry.body.as_deref().unwrap()),
            String::from_utf8_lossy(kept)
        );
        let rewritten = std::fs::read(&path).unwrap();
        assert!(
            rewritten
                .starts_with(format!("muslcheck-index-cache 4\n1700000000\n{url}\n").as_bytes())
        );
        assert!(rewritten.ends_with(kept));
        // Read back as layout 4, the same document and the same age.
        let again = cache.read(&request).unwrap();
        assert_eq!(again.body, entry.body);
        assert!(again.age >= entry.age);

        // Layout 2 (0.3.x after its first read): the page compacted as JSON.
        let json = br#"{"files":[{"filename":"numpy-1.26.4.tar.gz"},{"filename":"numpy-1.0.tar.gz","yanked":true}]}"#;
        std::fs::write(&path, cache_file(2, url, json)).unwrap();
        let from_layout_2 = cache.read(&request).unwrap();
        assert_eq!(from_layout_2.body, entry.body);
        assert!(std::fs::read(&path).unwrap().ends_with(kept));

        // Layout 3 kept PyPI pages as lines already: read as they are.
        std::fs::write(&path, cache_file(3, url, kept)).unwrap();
        assert_eq!(cache.read(&request).unwrap().body, entry.body);
    }

    #[test]
    fn an_npm_document_kept_as_json_by_layout_3_is_kept_as_lines_again() {
        let (dir, cache) = temp_cache();
        let url = "https://registry.npmjs.org/sharp";
        let json = br#"{"versions":{"0.33.0":{"optionalDependencies":{"@img/sharp-linuxmusl-x64":"0.33.0"}},"0.34.1":{"os":["linux"]}},"dist-tags":{"latest":"0.34.1"}}"#;
        let path = Cache::path(dir.path(), url);
        std::fs::write(&path, cache_file(3, url, json)).unwrap();
        let request = Request {
            url: url.to_string(),
            accept: super::super::npm::ACCEPT,
            compact: super::super::npm::compact,
        };
        let kept = "latest\t0.34.1\n\
                    0.33.0\t{\"optionalDependencies\":{\"@img/sharp-linuxmusl-x64\":\"0.33.0\"}}\n\
                    0.34.1\t{\"os\":[\"linux\"]}\n";
        let entry = cache.read(&request).unwrap();
        assert_eq!(
            String::from_utf8_lossy(entry.body.as_deref().unwrap()),
            kept
        );
        let rewritten = std::fs::read(&path).unwrap();
        assert!(rewritten.starts_with(b"muslcheck-index-cache 4\n1700000000\n"));
        assert!(rewritten.ends_with(kept.as_bytes()));
        assert_eq!(cache.read(&request).unwrap().body, entry.body);
    }
}
