//! Image references and image patterns (`policy_helpers::image`), input `reference\npattern`:
//! no panic; the properties of `tests/parser_properties.rs::image_ref` (normalised names
//! round-trip).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../tests/parser_properties.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = props::image_ref(text) {
        panic!("{e}");
    }
});
