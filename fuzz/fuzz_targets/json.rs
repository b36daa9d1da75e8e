//! The modules' JSON reader (`policy_helpers::json`) against serde_json on arbitrary bytes:
//! the same value or the same error at the same field; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../tests/parser_properties.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = props::json_reader(data) {
        panic!("{e}");
    }
});
