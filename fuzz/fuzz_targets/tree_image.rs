//! See `muslcheck::fuzz_entry::tree_image`; inputs that once failed are
//! replayed by tests/fuzz_regressions.rs from
//! corpus/fuzz-regressions/tree_image/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| muslcheck::fuzz_entry::tree_image(data));
