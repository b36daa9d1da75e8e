//! Resource quantities (`policy_helpers::quantity`): no panic (overflow checks on), and the
//! properties of `tests/parser_properties.rs::quantity`: within the cap, signs, exact printing
//! that parses back equal, `milli_value` rounded up.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../tests/parser_properties.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = props::quantity(text) {
        panic!("{e}");
    }
});
