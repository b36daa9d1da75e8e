//! Admission request decoding and pod extraction (`policy_helpers::{request,pod}`) from
//! arbitrary bytes: never a panic; every container path lies under the kind's pod spec path.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../tests/parser_properties.rs"]
mod props;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = props::pod_extraction(data) {
        panic!("{e}");
    }
});
