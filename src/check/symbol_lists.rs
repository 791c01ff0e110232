//! One copy of each long list of missing symbols. Copies of a file (a wheel
//! vendoring one library sixteen times, a package at three places in a
//! `node_modules`) miss the same symbols, and one file can miss 100,000:
//! held once per copy, sixteen such lists were 218 MB.

use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::model::MissingSymbol;

/// Shorter lists are not looked up: they cost less than their hashing and
/// the lock that all judging threads share.
const SHARED_FROM: usize = 256;

/// The long lists made so far, by hash.
#[derive(Debug, Default)]
pub struct SymbolLists {
    lists: Mutex<FxHashMap<u64, Vec<Arc<[MissingSymbol]>>>>,
}

impl SymbolLists {
    /// `list`, or the equal list made before.
    pub fn share(&self, list: Vec<MissingSymbol>) -> Arc<[MissingSymbol]> {
        if list.is_empty() {
            // Most objects of a process: no allocation.
            return Arc::default();
        }
        if list.len() < SHARED_FROM {
            return list.into();
        }
        let hash = FxBuildHasher.hash_one(&list);
        // A thread that panicked holding the lock left the map whole.
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        let same_hash = lists.entry(hash).or_default();
        if let Some(made) = same_hash.iter().find(|made| ***made == *list) {
            return Arc::clone(made);
        }
        let list: Arc<[MissingSymbol]> = list.into();
        same_hash.push(Arc::clone(&list));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Reference;

    fn symbols(names: std::ops::Range<usize>) -> Vec<MissingSymbol> {
        names
            .map(|i| MissingSymbol {
                name: format!("g{i}"),
                version: None,
                expected_library: None,
                glibc_since: None,
                gcompat_provides: false,
                copy_relocation: false,
                ifunc_only_in: None,
                reference: Reference::Load,
            })
            .collect()
    }

    #[test]
    fn equal_long_lists_are_one_copy_and_others_their_own() {
        let lists = SymbolLists::default();
        let first = lists.share(symbols(0..SHARED_FROM));
        let again = lists.share(symbols(0..SHARED_FROM));
        assert!(Arc::ptr_eq(&first, &again));
        let other = lists.share(symbols(1..SHARED_FROM + 1));
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(other.first().map(|s| s.name.as_str()), Some("g1"));
        // The same names bound another way are another list.
        let mut lazily = symbols(0..SHARED_FROM);
        if let Some(symbol) = lazily.first_mut() {
            symbol.reference = Reference::Plt;
        }
        assert!(!Arc::ptr_eq(&first, &lists.share(lazily)));
        // Short lists are not looked up.
        let short = lists.share(symbols(0..3));
        assert!(!Arc::ptr_eq(&short, &lists.share(symbols(0..3))));
        assert_eq!(*short, *symbols(0..3));
    }
}
