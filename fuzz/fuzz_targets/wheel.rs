//! Wheel (zip) reading, with every ELF member analysed, from arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use muslcheck::discover::archive::read_zip;

fuzz_target!(|data: &[u8]| {
    let _ = read_zip(std::io::Cursor::new(data), |member| {
        muslcheck::elf::analyse(member).is_ok()
    });
});
