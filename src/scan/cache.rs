//! The content cache: ELF facts keyed by content, so copies of one file
//! (vendored twice, several venvs or node_modules side by side, pnpm's store)
//! are parsed once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::discover::{self, FileStamp};
use crate::elf::{self, ElfError, ElfFacts};
use crate::model::Code;

/// The result of reading one candidate file.
#[derive(Clone)]
pub(super) enum Read {
    /// Not an ELF file; `head_len`: how many of an ELF header's bytes it has.
    NotElf {
        head_len: usize,
    },
    Elf(Arc<ElfFacts>),
    Failed(Code, String),
}

/// Facts by content: copies of one file (vendored twice, several venvs or
/// node_modules side by side) are parsed once. Content is hashed (xxh3-128
/// of the whole file) only once a second ELF file of the same length shows up,
/// so a tree without copies never pays for reading whole files. A file is
/// hashed from disk only while it is the version that was read (its
/// [`FileStamp`]): one rewritten since must not lend what it held to the
/// copies of what it holds now.
#[derive(Default)]
pub(super) struct FactsCache(Mutex<HashMap<usize, SameLength>>);

/// The ELF files of one length met so far.
enum SameLength {
    /// One file on disk, not hashed yet: read again if a second one comes.
    One {
        location: PathBuf,
        stamp: FileStamp,
        read: Read,
    },
    /// Files hashed by content.
    Hashed(HashMap<u128, Read>),
}

impl FactsCache {
    /// The facts of `bytes`; `on_disk` is where they can be read again, and
    /// the file's stamp when they were read (`None` for an archive member,
    /// which is hashed at once, or from 64 MiB not at all).
    pub(super) fn analyse(&self, bytes: &[u8], on_disk: Option<(&Path, FileStamp)>) -> Read {
        let length = bytes.len();
        // A large member is held in a mapped temporary file (`discover::held`):
        // hashing it would make all of it resident, where the parser reads
        // a few percent. Copies of one are parsed again instead.
        if on_disk.is_none() && length as u64 >= discover::held::SPILL_FROM {
            return analyse_bytes(bytes);
        }
        let earlier = {
            let Ok(mut map) = self.0.lock() else {
                return analyse_bytes(bytes);
            };
            match (map.get(&length), on_disk) {
                (None, Some((location, stamp))) => {
                    drop(map);
                    let read = analyse_bytes(bytes);
                    if let Ok(mut map) = self.0.lock() {
                        map.entry(length).or_insert_with(|| SameLength::One {
                            location: location.to_path_buf(),
                            stamp,
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
        if let Some(SameLength::One {
            location,
            stamp,
            read,
        }) = earlier
            && let Some(key) = hash_file(&location, stamp)
        {
            hashed.insert(key, read);
        }
        // A file on disk is hashed through a small buffer, not through its
        // mapping, so that hashing does not make the whole file resident.
        // One that changed since it was read is judged, and not shared.
        let key = match on_disk {
            Some((location, stamp)) => hash_file(location, stamp),
            None => Some(xxhash_rust::xxh3::xxh3_128(bytes)),
        };
        let known = key.and_then(|key| {
            hashed.get(&key).cloned().or_else(|| {
                let map = self.0.lock().ok()?;
                match map.get(&length)? {
                    SameLength::Hashed(by_hash) => by_hash.get(&key).cloned(),
                    SameLength::One { .. } => None,
                }
            })
        });
        let read = known.unwrap_or_else(|| analyse_bytes(bytes));
        if let Some(key) = key {
            hashed.insert(key, read.clone());
        }
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

/// The xxh3-128 of a file's content, if it is still the version `stamp`
/// says, from before hashing to after.
fn hash_file(location: &Path, stamp: FileStamp) -> Option<u128> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(location).ok()?;
    let unchanged = |file: &std::fs::File| {
        file.metadata()
            .is_ok_and(|metadata| FileStamp::of(&metadata) == stamp)
    };
    if !unchanged(&file) {
        return None;
    }
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
    (u64::try_from(total).ok() == Some(stamp.size()) && unchanged(&file))
        .then(|| hasher.digest128())
}

fn analyse_bytes(bytes: &[u8]) -> Read {
    match elf::analyse(bytes) {
        Ok(facts) => Read::Elf(Arc::new(facts)),
        Err(ElfError::NotElf) => Read::NotElf {
            head_len: bytes.len().min(discover::HEAD_BYTES),
        },
        Err(ElfError::Malformed(reason)) => Read::Failed(Code::MalformedElf, reason),
        Err(ElfError::OverBounds(reason)) => Read::Failed(Code::Unreadable, reason),
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

    /// Where a file is, and its stamp now.
    fn on_disk(path: &Path) -> Option<(&Path, FileStamp)> {
        Some((path, FileStamp::of(&std::fs::metadata(path).unwrap())))
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
        let first = facts(cache.analyse(&plain, on_disk(&first_path)));
        let copy = facts(cache.analyse(&plain, on_disk(&copy_path)));
        assert!(Arc::ptr_eq(&first, &copy), "the copy came from the cache");
        let member = facts(cache.analyse(&plain, None));
        assert!(Arc::ptr_eq(&first, &member), "so did an archive member");
        let other = facts(cache.analyse(&changed, None));
        assert!(
            !Arc::ptr_eq(&first, &other),
            "one byte differs: parsed again"
        );
        let unique = facts(cache.analyse(&fixture("lib/libplain-musl.so"), on_disk(&copy_path)));
        assert!(!Arc::ptr_eq(&first, &unique));
    }

    /// A file rewritten in place (to the same length) after it was read
    /// must not lend what it held to a copy of what it holds now.
    #[test]
    fn a_file_rewritten_since_it_was_read_lends_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let old = fixture("lib/libplain.so");
        let mut new = old.clone();
        if let Some(last) = new.last_mut() {
            *last ^= 1;
        }
        let (first, copy) = (dir.path().join("a.so"), dir.path().join("b.so"));
        std::fs::write(&first, &old).unwrap();
        let cache = FactsCache::default();
        let Read::Elf(old_facts) = cache.analyse(&old, on_disk(&first)) else {
            panic!("libplain.so is ELF");
        };
        let read_at = std::fs::metadata(&first).unwrap().modified().unwrap();
        std::fs::write(&first, &new).unwrap();
        // Later, whatever the clock's granularity.
        std::fs::File::options()
            .write(true)
            .open(&first)
            .unwrap()
            .set_modified(read_at + std::time::Duration::from_secs(1))
            .unwrap();
        std::fs::write(&copy, &new).unwrap();
        let Read::Elf(copy_facts) = cache.analyse(&new, on_disk(&copy)) else {
            panic!("still ELF");
        };
        assert!(
            !Arc::ptr_eq(&old_facts, &copy_facts),
            "the copy got the facts of what a.so held before"
        );
        // Unchanged since: the copy of the copy shares them.
        let again = dir.path().join("c.so");
        std::fs::write(&again, &new).unwrap();
        let Read::Elf(again_facts) = cache.analyse(&new, on_disk(&again)) else {
            panic!("still ELF");
        };
        assert!(Arc::ptr_eq(&copy_facts, &again_facts));
    }
}
