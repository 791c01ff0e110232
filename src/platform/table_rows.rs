//! Rows of the embedded TSV tables, found by key through an index made at
//! build time (`build.rs` includes this file too, so both sides agree on
//! what a row and its key are). Parsing the large tables at run time cost
//! about 3 ms of CPU in most scans; a lookup now hashes one name and reads
//! the matching rows.

/// Which part of a row is its key: always a slice of the row.
#[derive(Debug, Clone, Copy)]
pub enum Key {
    /// The first field (`name<TAB>…`).
    First,
    /// The second field.
    Second,
    /// The first two fields with the tab between them (`soname<TAB>symbol`).
    FirstTwo,
    /// The first field up to an `@` (`name@VERSION`).
    FirstBeforeAt,
}

/// Whether `line` is a row: comments (`#`) and blank lines are not.
pub fn is_row(line: &str) -> bool {
    !line.starts_with('#') && !line.trim().is_empty()
}

/// The key of `row` under `key`; `None` when the row has too few fields.
pub fn row_key(row: &str, key: Key) -> Option<&str> {
    let first_end = row.find('\t').unwrap_or(row.len());
    match key {
        Key::First => row.get(..first_end),
        Key::FirstBeforeAt => {
            let first = row.get(..first_end)?;
            Some(first.split('@').next().unwrap_or(first))
        }
        Key::Second => row.get(first_end..)?.split('\t').nth(1),
        Key::FirstTwo => {
            let rest = row.get(first_end.checked_add(1)?..)?;
            let second_len = rest.find('\t').unwrap_or(rest.len());
            row.get(..first_end + 1 + second_len)
        }
    }
}

/// A 64-bit hash of a key, eight bytes at a time (names of C++ symbols run
/// to a hundred bytes and more; a byte at a time was most of a lookup),
/// finished with MurmurHash3's mixer so that the top bits, which choose the
/// bucket, depend on every byte. build.rs uses it too: no crate needed.
pub fn key_hash(key: &str) -> u64 {
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes = key.as_bytes();
    let mut hash = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in words.by_ref() {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        hash = (hash.rotate_left(23) ^ u64::from_le_bytes(eight)).wrapping_mul(MULTIPLIER);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut eight = [0u8; 8];
        if let Some(head) = eight.get_mut(..rest.len()) {
            head.copy_from_slice(rest);
        }
        hash = (hash.rotate_left(23) ^ u64::from_le_bytes(eight)).wrapping_mul(MULTIPLIER);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// A table's text with its build-time index: each row's key hash, ascending,
/// beside the row's byte offset (rows of one key in file order), and where
/// each run of hashes sharing their top bits starts, so that a lookup reads
/// a bucket instead of searching the whole array.
#[derive(Debug)]
pub struct Indexed {
    pub text: &'static str,
    pub key: Key,
    pub hashes: &'static [u64],
    pub offsets: &'static [u32],
    /// `buckets[b]` is the first entry whose hash's top bits are at least `b`
    /// (one more bucket than there are, ending at the array's length).
    pub buckets: &'static [u32],
    /// 64 less the number of top bits that choose a bucket.
    pub shift: u32,
}

/// The top bits of a key's hash that choose its bucket, for `entries` rows:
/// about one row per bucket (build.rs sizes the buckets with it).
#[allow(dead_code)]
pub fn bucket_bits(entries: usize) -> u32 {
    entries.next_power_of_two().trailing_zeros().clamp(1, 24)
}

impl Indexed {
    /// The rows whose key is `wanted`, in file order.
    pub fn rows<'a>(&'a self, wanted: &'a str) -> impl Iterator<Item = &'static str> + 'a {
        let hash = key_hash(wanted);
        let bucket = usize::try_from(hash.checked_shr(self.shift).unwrap_or(0)).unwrap_or(0);
        let at = |b: usize| {
            self.buckets
                .get(b)
                .and_then(|&i| usize::try_from(i).ok())
                .unwrap_or(0)
        };
        let range = at(bucket)..at(bucket + 1);
        let hashes = self.hashes.get(range.clone()).unwrap_or_default();
        let offsets = self.offsets.get(range).unwrap_or_default();
        hashes
            .iter()
            .zip(offsets)
            .filter(move |(probe, _)| **probe == hash)
            .filter_map(|(_, &offset)| {
                let rest = self.text.get(usize::try_from(offset).ok()?..)?;
                Some(rest.split('\n').next().unwrap_or(rest))
            })
            .filter(move |row| row_key(row, self.key) == Some(wanted))
    }

    /// Whether any row has the key `wanted`.
    pub fn has(&self, wanted: &str) -> bool {
        self.rows(wanted).next().is_some()
    }
}
