//! See `muslcheck::fuzz_entry::lock_variants`; inputs that once failed are replayed by
//! tests/fuzz_regressions.rs from corpus/fuzz-regressions/lock_variants/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| muslcheck::fuzz_entry::lock_variants(data));
