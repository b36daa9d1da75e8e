//! Image references and image patterns: no panic; a parsed reference's normalised name parses
//! again to the same registry and repository; matching never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_helpers::image::{ImagePattern, ImageRef};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (reference, pattern) = text.split_once('\n').unwrap_or((text, text));
    let parsed = ImageRef::parse(reference);
    if let Ok(image) = &parsed {
        assert!(!image.registry.is_empty());
        let again = ImageRef::parse(&image.name()).expect("the normalised name parses");
        assert_eq!(again.registry, image.registry);
        assert_eq!(again.repository, image.repository);
    }
    if let (Ok(p), Ok(image)) = (ImagePattern::new(pattern), &parsed) {
        let _ = p.matches(image);
    }
});
