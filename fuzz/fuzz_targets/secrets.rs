//! Secret detectors (`policy_helpers::secrets`): byte 0 picks the scanner configuration, then
//! `value\nname`. No panic, and the properties of `tests/parser_properties.rs::secrets`:
//! ordered detectors, known key shapes found whatever surrounds them, name normalisation.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../tests/parser_properties.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    let Some((&config, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if let Err(e) = props::secrets(config, text) {
        panic!("{e}");
    }
});
