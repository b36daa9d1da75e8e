//! Glob patterns: compiling and matching never panic and stay bounded; a literal pattern
//! matches itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_helpers::glob::Glob;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, subject) = text.split_once('\n').unwrap_or((text, text));
    if let Ok(glob) = Glob::new(pattern) {
        let _ = glob.matches(subject);
        if glob.is_literal() {
            assert!(glob.matches(pattern));
        }
    }
});
