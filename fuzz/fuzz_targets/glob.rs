//! Glob patterns (`policy_helpers::glob`), input `pattern\nsubject`: compiling and matching
//! never panic and stay bounded; a literal pattern matches itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../tests/parser_properties.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = props::glob(text) {
        panic!("{e}");
    }
});
