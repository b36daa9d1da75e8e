//! The properties of the shared parsers, written once and checked by both the cargo-fuzz
//! targets (`fuzz/fuzz_targets/*.rs`, on coverage-guided inputs) and the property tests
//! (`tests/properties.rs`, on generated inputs with a fixed seed, in `make test`). Each check
//! takes the input as the fuzz target receives it and returns what is wrong, if anything.
//! Included with `#[path]` by both (it needs only `policy-helpers` and `serde_json`).

use policy_helpers::consumer::{
    GO_FALSE, GO_TRUE, azure_cloud_provider_true, exact_true, go_parse_bool, go_trim_space,
    keyvault_provider_bool,
};
use policy_helpers::glob::Glob;
use policy_helpers::hostpath::{PathPattern, canonical_run, components, is_at_or_under, normalise};
use policy_helpers::image::{ImagePattern, ImageRef};
use policy_helpers::pod::PodObject;
use policy_helpers::quantity::{MAX_LEN, Quantity, kubelet_reads_as_unset};
use policy_helpers::request::Request;
use policy_helpers::secrets::{
    DEFAULT_ALLOWED_NAMES, DEFAULT_SENSITIVE_NAMES, NameRules, Scanner, compile_value_patterns,
    defaults, mask, normalise_name,
};

/// What a property check found wrong.
pub type Outcome = Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Splits `a\nb` (`b` = `default` without a newline).
pub fn split<'t>(text: &'t str, default: &'t str) -> (&'t str, &'t str) {
    text.split_once('\n').unwrap_or((text, default))
}

/// Quantities: a parsed quantity stays within the cap (2^63-1 units), has the sign it was
/// given, prints (`Display`, exact) as text that parses to the same value, has a
/// `milli_value` that is its value rounded up to a milli unit, negates with a leading `-` and
/// is unchanged by a leading `+`; the kubelet reads a CPU or memory quantity as unset exactly
/// when it is zero (every positive spelling, however small, rounds up to at least 1m / 1 byte),
/// and never an ephemeral-storage one.
pub fn quantity(text: &str) -> Outcome {
    const CAP_NANOS: i128 = (i64::MAX as i128) * 1_000_000_000;
    let Ok(q) = Quantity::parse(text) else {
        return Ok(());
    };
    let nanos = q.nanos();
    ensure!(
        nanos.abs() <= CAP_NANOS,
        "{text:?}: {nanos} nanos is over the cap"
    );
    ensure!(
        text.starts_with('-') || !q.is_negative(),
        "{text:?} read as negative"
    );
    ensure!(q.is_zero() == (nanos == 0), "{text:?}: is_zero");
    let printed = q.to_string();
    match Quantity::parse(&printed) {
        Ok(again) => ensure!(again == q, "{text:?} -> {printed:?} -> {again}"),
        Err(e) => return Err(format!("{text:?} prints as {printed:?}: {e}")),
    }
    let milli = q.milli_value();
    ensure!(
        milli * 1_000_000 >= nanos && (milli - 1) * 1_000_000 < nanos,
        "{text:?}: milli_value {milli} for {nanos} nanos"
    );
    if !q.is_negative() {
        for resource in ["cpu", "memory"] {
            ensure!(
                kubelet_reads_as_unset(resource, q) == q.is_zero(),
                "{text:?}: {resource} read as unset={} for {nanos} nanos",
                kubelet_reads_as_unset(resource, q)
            );
        }
    }
    ensure!(
        !kubelet_reads_as_unset("ephemeral-storage", q),
        "{text:?}: ephemeral-storage read as unset"
    );
    if !text.starts_with(['-', '+']) && text.len() < MAX_LEN {
        let neg = Quantity::parse(&format!("-{text}")).map_err(|e| e.to_string())?;
        ensure!(neg.nanos() == -nanos, "-{text:?} is {neg}, not -{q}");
        let pos = Quantity::parse(&format!("+{text}")).map_err(|e| e.to_string())?;
        ensure!(pos == q, "+{text:?} is {pos}, not {q}");
    }
    Ok(())
}

fn comps(path: &str) -> Vec<&str> {
    components(path).collect()
}

fn normal_form(input: &str, n: &str) -> Outcome {
    ensure!(n.starts_with('/'), "{input:?} -> {n:?} is not absolute");
    ensure!(
        n == "/" || !n.ends_with('/'),
        "{input:?} -> {n:?} has a trailing slash"
    );
    ensure!(
        !n.contains("//"),
        "{input:?} -> {n:?} has an empty component"
    );
    ensure!(
        comps(n).iter().all(|c| *c != "." && *c != ".."),
        "{input:?} -> {n:?} keeps `.` or `..`"
    );
    ensure!(
        normalise(n).as_deref() == Ok(n),
        "normalise is not idempotent on {input:?} -> {n:?}"
    );
    let kept: Vec<&str> = input
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    ensure!(
        comps(n) == kept,
        "{input:?} -> {n:?} changed its components"
    );
    Ok(())
}

/// Host paths (input `path\nprefix-or-pattern`): `normalise` refuses only empty, relative and
/// `..` paths; its output is absolute, without empty, `.` or `..` components or a trailing
/// slash, keeps the other components in order and is idempotent; `is_at_or_under` compares by
/// component, never as strings; `canonical_run` is idempotent and moves only `/var/run`;
/// a path pattern without `*` covers exactly the paths at or under it, and no path is both
/// covered by a pattern and a strict ancestor of it.
pub fn hostpath(text: &str) -> Outcome {
    let (path, other) = split(text, "/");
    let p = match normalise(path) {
        Ok(p) => p,
        Err(_) => {
            ensure!(
                path.is_empty() || !path.starts_with('/') || path.split('/').any(|c| c == ".."),
                "{path:?} refused without a reason"
            );
            return Ok(());
        }
    };
    normal_form(path, &p)?;
    ensure!(is_at_or_under(&p, &p), "{p:?} is not at or under itself");
    ensure!(is_at_or_under(&p, "/"), "{p:?} is not under /");
    let run = canonical_run(&p);
    normal_form(&run, &run)?;
    ensure!(
        canonical_run(&run) == run,
        "canonical_run({run:?}) moves again"
    );
    if is_at_or_under(&p, "/var/run") {
        ensure!(is_at_or_under(&run, "/run"), "{p:?} -> {run:?}");
    } else {
        ensure!(run == p, "{p:?} -> {run:?} though it is not under /var/run");
    }
    if let Ok(prefix) = normalise(other) {
        let (pc, qc) = (comps(&p), comps(&prefix));
        let by_component = qc.len() <= pc.len() && pc[..qc.len()] == qc[..];
        ensure!(
            is_at_or_under(&p, &prefix) == by_component,
            "is_at_or_under({p:?}, {prefix:?}) disagrees with the components"
        );
    }
    if let Ok(pattern) = PathPattern::new(other) {
        let (covers, inside) = (pattern.covers(&p), pattern.is_inside(&p));
        let lit = pattern.as_str();
        ensure!(!(covers && inside), "{p:?} covered by and inside {lit:?}");
        if !lit.contains('*') {
            ensure!(
                covers == is_at_or_under(&p, lit),
                "{p:?} covered by {lit:?}: {covers}"
            );
            ensure!(
                inside == (p != lit && is_at_or_under(lit, &p)),
                "{p:?} inside {lit:?}: {inside}"
            );
        }
        let again = PathPattern::new(lit).map_err(|e| format!("{lit:?}: {e}"))?;
        ensure!(
            again.covers(&p) == covers,
            "{lit:?} compiled again disagrees on {p:?}"
        );
    }
    Ok(())
}

fn name_rules() -> NameRules {
    NameRules::new(
        "deniedNamePatterns",
        &defaults(DEFAULT_SENSITIVE_NAMES),
        "allowedNamePatterns",
        &defaults(DEFAULT_ALLOWED_NAMES),
    )
    .expect("the default name patterns compile")
}

/// Credential shapes every scanner must find on a line of their own.
pub const KNOWN_KEYS: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLQ",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
];

/// Secret detectors (`config` picks the entropy threshold and whether the name is also a
/// value pattern; input `value\nname`): the detectors are ordered, so turning the entropy or
/// the assignment detector on never loses a finding; a known credential shape on a line of
/// its own is found whatever text surrounds it; name normalisation leaves no lower-case
/// ASCII or separators, and a name spelled with `-`, `.`, `/` or spaces is judged as with
/// `_`; `mask` tells only the length.
pub fn secrets(config: u8, text: &str) -> Outcome {
    let (value, name) = split(text, "");
    let patterns = if config & 4 != 0 && !name.is_empty() {
        compile_value_patterns("valuePatterns", &[name.to_owned()]).unwrap_or_default()
    } else {
        Vec::new()
    };
    let full = Scanner {
        entropy_threshold: [None, Some(3.0), Some(4.5), Some(6.0)][usize::from(config & 3)],
        names: name_rules(),
        assignments: true,
        value_patterns: patterns,
    };
    let found = full.scan(value);
    let no_entropy = Scanner {
        entropy_threshold: None,
        ..full.clone()
    };
    let without = no_entropy.scan(value);
    if let Some(d) = without {
        ensure!(
            found == Some(d),
            "{value:?}: the entropy detector turned {d:?} into {found:?}"
        );
    }
    let no_assignments = Scanner {
        assignments: false,
        ..no_entropy
    };
    if let Some(d) = no_assignments.scan(value) {
        ensure!(
            without.is_some(),
            "{value:?}: the assignment detector hid {d:?}"
        );
    }
    for key in KNOWN_KEYS {
        let framed = format!("{value}\n{key}\n{name}");
        ensure!(
            full.scan(&framed).is_some() && no_assignments.scan(&framed).is_some(),
            "{key} hidden by the text around it: {framed:?}"
        );
    }
    let n = normalise_name(name);
    ensure!(
        !n.bytes()
            .any(|c| c.is_ascii_lowercase() || matches!(c, b'-' | b'.' | b'/' | b' ')),
        "{name:?} normalised to {n:?}"
    );
    if !name.starts_with('-') {
        let spelled: String = name
            .chars()
            .map(|c| {
                if matches!(c, '-' | '.' | '/' | ' ') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        ensure!(
            full.names.sensitive(name) == full.names.sensitive(&spelled),
            "{name:?} and {spelled:?} judged differently"
        );
    }
    ensure!(
        mask(value) == format!("value masked, {} characters", value.chars().count()),
        "mask tells more than the length"
    );
    Ok(())
}

/// Image references (input `reference\npattern`): a parsed reference has a lower-case
/// registry, and its normalised name parses to the same registry and repository; pattern
/// matching never panics.
pub fn image_ref(text: &str) -> Outcome {
    let (reference, pattern) = split(text, text);
    let parsed = ImageRef::parse(reference);
    if let Ok(image) = &parsed {
        ensure!(!image.registry.is_empty(), "{reference:?}: empty registry");
        ensure!(
            image.registry.to_lowercase() == image.registry,
            "{reference:?}: registry {:?} not lower case",
            image.registry
        );
        let name = image.name();
        let again = ImageRef::parse(&name).map_err(|e| format!("{name}: {e}"))?;
        ensure!(
            again.registry == image.registry && again.repository == image.repository,
            "{reference:?} -> {name:?} -> {}/{}",
            again.registry,
            again.repository
        );
    }
    if let (Ok(p), Ok(image)) = (ImagePattern::new(pattern), &parsed) {
        let _ = p.matches(image);
    }
    Ok(())
}

/// Globs (input `pattern\nsubject`): compiling and matching never panic; a literal pattern
/// matches itself.
pub fn glob(text: &str) -> Outcome {
    let (pattern, subject) = split(text, text);
    if let Ok(glob) = Glob::new(pattern) {
        let _ = glob.matches(subject);
        ensure!(
            !glob.is_literal() || glob.matches(pattern),
            "literal {pattern:?} does not match itself"
        );
    }
    Ok(())
}

/// Pod extraction (input: an AdmissionRequest as JSON bytes): decoding, `metadata()`, pod
/// extraction, the effective security-context getters and the parts read on use (volumes,
/// nodeSelector, tolerations, the pod's annotations) never panic; every container path lies
/// under the kind's pod spec path, and an error of a part read on use names a field under it.
pub fn pod_extraction(data: &[u8]) -> Outcome {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let Ok(req) = policy_helpers::json::from_str::<Request>(text) else {
        return Ok(());
    };
    let _ = req.metadata();
    if let Ok(Some(pod)) = PodObject::from_request(&req) {
        for c in pod.containers() {
            let path = c.path();
            ensure!(
                path.starts_with(pod.spec_path()),
                "{path} is not under {}",
                pod.spec_path()
            );
            let _ = c.subject();
            let _ = pod.effective_run_as_non_root(&c);
            let _ = pod.effective_run_as_user(&c);
            let _ = pod.effective_seccomp(&c);
        }
        // The parts read on use: never a panic, and an error names a field under the part.
        let spec = pod.spec_path();
        let parts = [
            (format!("{spec}.volumes"), pod.volumes().err()),
            (
                format!("{spec}.nodeSelector"),
                pod.spec.node_selector(spec).err(),
            ),
            (
                format!("{spec}.tolerations"),
                pod.spec.tolerations(spec).err(),
            ),
            (
                format!("{}.annotations", pod.pod_metadata.path()),
                pod.pod_annotations().err(),
            ),
        ];
        for (part, error) in parts {
            if let Some(e) = error {
                ensure!(
                    e.path.starts_with(&part),
                    "an error of {part} names {} ({})",
                    e.path,
                    e.reason
                );
            }
        }
    }
    Ok(())
}

/// Whether two values are equal, numbers within a few units in the last place: the reader
/// rounds decimal text to the nearest float (as Go's `ParseFloat` does), serde_json's default
/// parser can be one or two units off for long numbers (`33333333333333333337`).
fn same_value(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => x == y || (x - y).abs() <= x.abs().max(y.abs()) * 1e-15,
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k, x), (l, y))| k == l && same_value(x, y))
        }
        _ => a == b,
    }
}

/// The modules' JSON reader (`policy_helpers::json`, input: any bytes) reads JSON as
/// serde_json does: the same value (floats within a few units in the last place, see
/// `same_value`), or an error with the same reason whose position names the same field
/// (`request::path_at`); a float in an error is written by the reader's own short formatter,
/// so reasons naming one are not compared. Typed, it is at most stricter: whatever it reads as
/// a request, serde_json reads too (serde_json also fills a struct from an array; the reader
/// refuses that).
pub fn json_reader(data: &[u8]) -> Outcome {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    // serde_json reads an object whose key is its private raw-value token as a raw value (a
    // quirk of its `raw_value` feature); the reader keeps it an ordinary key.
    if text.contains("$serde_json::private::RawValue") {
        return Ok(());
    }
    let ours = policy_helpers::json::value(text);
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => ensure!(
            same_value(a, b),
            "{text:?}: read as {a} here, {b} by serde_json"
        ),
        (Err(a), Err(b)) => {
            let shown = b.to_string();
            let reason = shown.rsplit_once(" at line ").map_or(&*shown, |(r, _)| r);
            ensure!(
                a.reason() == reason || reason.contains("floating point"),
                "{text:?}: {:?} here, {reason:?} by serde_json",
                a.reason()
            );
            let at = policy_helpers::request::path_at;
            let there = policy_helpers::json::offset_of(text, b.line(), b.column());
            let (here, there) = (at(text, a.offset()), at(text, there));
            ensure!(
                here == there,
                "{text:?}: error at {here:?} here, {there:?} by serde_json"
            );
        }
        (Ok(_), Err(e)) => return Err(format!("{text:?}: read here, refused by serde_json: {e}")),
        (Err(e), Ok(_)) => return Err(format!("{text:?}: refused here ({e}), read by serde_json")),
    }
    let through_serde = policy_helpers::json::from_str::<Request>(text);
    if through_serde.is_ok() {
        ensure!(
            serde_json::from_str::<Request>(text).is_ok(),
            "{text:?}: a request here, not for serde_json"
        );
    }
    // The modules decode directly (`json::Decode`): the same request or the same error at the
    // same place as through serde's visitors.
    let direct = policy_helpers::json::decode::<Request>(text);
    let show = |r: &Result<Request, policy_helpers::json::Error>| match r {
        Ok(req) => Ok(format!("{req:?}")),
        Err(e) => Err((e.reason().to_string(), e.offset())),
    };
    ensure!(
        show(&direct) == show(&through_serde),
        "{text:?}: decoded directly {:?}, through serde {:?}",
        show(&direct),
        show(&through_serde)
    );
    Ok(())
}

/// String booleans, each consumer's rule: Go's `strconv.ParseBool` is true exactly for its six
/// true spellings and false exactly for its six false ones; the Key Vault provider's reading
/// is `ParseBool` after Go's `TrimSpace`, blank meaning unset; the Azure cloud provider's
/// internal-load-balancer reading is true exactly for the four letters of `true` in any case,
/// nothing around them; exact `"true"` is exactly that string. Never two readers agreeing by
/// accident where their consumers differ: `1` is true for ParseBool and public for Azure.
pub fn consumer_bools(text: &str) -> Outcome {
    let go = go_parse_bool(text);
    ensure!(
        (go == Some(true)) == GO_TRUE.contains(&text),
        "{text:?}: ParseBool true = {go:?}"
    );
    ensure!(
        (go == Some(false)) == GO_FALSE.contains(&text),
        "{text:?}: ParseBool false = {go:?}"
    );
    let trimmed = go_trim_space(text);
    let kv = keyvault_provider_bool(Some(text));
    let expected = if trimmed.is_empty() {
        Ok(None)
    } else {
        go_parse_bool(trimmed).map(Some).ok_or(())
    };
    ensure!(
        kv == expected,
        "{text:?}: Key Vault provider {kv:?}, expected {expected:?}"
    );
    let azure = azure_cloud_provider_true(text);
    ensure!(
        azure
            == text
                .chars()
                .map(|c| c.to_ascii_lowercase())
                .eq("true".chars()),
        "{text:?}: Azure cloud provider internal = {azure}"
    );
    ensure!(
        exact_true(Some(text)) == (text == "true"),
        "{text:?}: exact true"
    );
    Ok(())
}
