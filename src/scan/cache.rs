//! The content cache: ELF facts keyed by content, so copies of one file
//! (vendored twice, several venvs or node_modules side by side, pnpm's store)
//! are parsed once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::elf::{self, ElfError, ElfFacts};
use crate::model::Code;

/// The result of reading one candidate file.
#[derive(Clone)]
pub(super) enum Read {
    NotElf,
    Elf(Arc<ElfFacts>),
    Failed(Code, String),
}

/// Facts by content: copies of one file (vendored twice, several venvs or
/// node_modules side by side) are parsed once. Content is hashed (xxh3-128
/// of the whole file) only once a second ELF file of the same length shows up,
/// so a tree without copies never pays for reading whole files.
#[derive(Default)]
pub(super) struct FactsCache(Mutex<HashMap<usize, SameLength>>);

/// The ELF files of one length met so far.
enum SameLength {
    /// One file on disk, not hashed yet: read again if a second one comes.
    One { location: PathBuf, read: Read },
    /// Files hashed by content.
    Hashed(HashMap<u128, Read>),
}

impl FactsCache {
    /// The facts of `bytes`; `location` is where they can be read again
    /// (`None` for an archive member, which is hashed at once).
    pub(super) fn analyse(&self, bytes: &[u8], location: Option<&Path>) -> Read {
        let length = bytes.len();
        let earlier = {
            let Ok(mut map) = self.0.lock() else {
                return analyse_bytes(bytes);
            };
            match (map.get(&length), location) {
                (None, Some(location)) => {
                    drop(map);
                    let read = analyse_bytes(bytes);
                    if let Ok(mut map) = self.0.lock() {
                        map.entry(length).or_insert_with(|| SameLength::One {
                            location: location.to_path_buf(),
                            read: read.clone(),
                        });
                    }
                    return read;
                }
                (Some(SameLength::One { .. }), _) => map.remove(&length),
                _ => None,
            }
        };
        let mut hashed = HashMap::new();
        if let Some(SameLength::One { location, read }) = earlier {
            if let Some(key) = hash_file(&location, length) {
                hashed.insert(key, read);
            }
        }
        // A file on disk is hashed through a small buffer, not through its
        // mapping, so that hashing does not make the whole file resident.
        let key = location
            .and_then(|location| hash_file(location, length))
            .unwrap_or_else(|| xxhash_rust::xxh3::xxh3_128(bytes));
        let known = hashed.get(&key).cloned().or_else(|| {
            let map = self.0.lock().ok()?;
            match map.get(&length)? {
                SameLength::Hashed(by_hash) => by_hash.get(&key).cloned(),
                SameLength::One { .. } => None,
            }
        });
        let read = known.unwrap_or_else(|| analyse_bytes(bytes));
        hashed.insert(key, read.clone());
        if let Ok(mut map) = self.0.lock() {
            match map.get_mut(&length) {
                Some(SameLength::Hashed(by_hash)) => by_hash.extend(hashed),
                // A racing first file is forgotten: a missed copy, never a wrong one.
                _ => {
                    map.insert(length, SameLength::Hashed(hashed));
                }
            }
        }
        read
    }
}

/// The xxh3-128 of a file's content, if it still has `length` bytes.
fn hash_file(location: &Path, length: usize) -> Option<u128> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(location).ok()?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = file.read(&mut buffer).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(buffer.get(..n)?);
        total += n;
    }
    (total == length).then(|| hasher.digest128())
}

fn analyse_bytes(bytes: &[u8]) -> Read {
    match elf::analyse(bytes) {
        Ok(facts) => Read::Elf(Arc::new(facts)),
        Err(ElfError::NotElf) => Read::NotElf,
        Err(ElfError::Malformed(reason)) => Read::Failed(Code::MalformedElf, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("corpus")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn identical_content_is_parsed_once() {
        let dir = tempfile::tempdir().unwrap();
        let plain = fixture("lib/libplain.so");
        let (first_path, copy_path) = (dir.path().join("a.so"), dir.path().join("b.so"));
        std::fs::write(&first_path, &plain).unwrap();
        std::fs::write(&copy_path, &plain).unwrap();
        let mut changed = plain.clone();
        if let Some(last) = changed.last_mut() {
            *last ^= 1;
        }
        let cache = FactsCache::default();
        let facts = |read: Read| match read {
            Read::Elf(facts) => facts,
            _ => panic!("libplain.so is ELF"),
        };
        let first = facts(cache.analyse(&plain, Some(&first_path)));
        let copy = facts(cache.analyse(&plain, Some(&copy_path)));
        assert!(Arc::ptr_eq(&first, &copy), "the copy came from the cache");
        let member = facts(cache.analyse(&plain, None));
        assert!(Arc::ptr_eq(&first, &member), "so did an archive member");
        let other = facts(cache.analyse(&changed, None));
        assert!(
            !Arc::ptr_eq(&first, &other),
            "one byte differs: parsed again"
        );
        let unique = facts(cache.analyse(&fixture("lib/libplain-musl.so"), Some(&copy_path)));
        assert!(!Arc::ptr_eq(&first, &unique));
    }
}
