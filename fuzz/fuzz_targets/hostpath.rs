//! Host paths (`policy_helpers::hostpath`), input `path\nprefix-or-pattern`: no panic, and the
//! properties of `tests/parser_properties.rs::hostpath`: normal form, idempotence, comparison
//! by component, `/var/run` as `/run`, path patterns.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../tests/parser_properties.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = props::hostpath(text) {
        panic!("{e}");
    }
});
