//! The rule: every `data` and `binaryData` entry of a ConfigMap runs through the shared secret
//! detectors, and sensitive keys carrying a literal are findings. Values never appear in
//! messages.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::secrets::{self, Scanner};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

const FIX: &str = "store it in a Secret or in Key Vault";

policy_helpers::view! {
    #[derive(Default)]
    struct ConfigMap {
        data: Option<BTreeMap<String, String>> = "data",
        binary_data: Option<BTreeMap<String, String>> = "binaryData",
    }
}

/// Rejects ConfigMaps with credential material in keys or values.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if !req.kind.group.is_empty() || req.kind.kind != "ConfigMap" {
        return Verdict::accept();
    }
    let cm = match req.object_as::<ConfigMap>() {
        Ok(Some(cm)) => cm,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return Verdict::cannot_read(e),
    };
    let compiled = match ctx.settings.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("has invalid settings: {e}")),
    };
    let name = if meta.name.is_empty() {
        req.name.as_deref().unwrap_or("")
    } else {
        &meta.name
    };
    if compiled
        .exempt
        .matches(req.effective_namespace(&meta), name)
    {
        return Verdict::accept();
    }
    let scan_values = ctx.settings.scan_values;
    let mut findings = Findings::new();
    for (key, value) in cm.data.iter().flatten() {
        let path = format!("data[{key:?}]");
        let detector = scan_values.then(|| compiled.scanner.scan(value)).flatten();
        report(
            &mut findings,
            &compiled.scanner,
            &path,
            key,
            value,
            detector,
        );
    }
    // Binary values: the base64 text itself (private keys, DER keys) without the entropy
    // detector (every binary file is random-looking), then the decoded text when it is UTF-8.
    let binary_scanner = Scanner {
        entropy_threshold: None,
        ..compiled.scanner.clone()
    };
    for (key, value) in cm.binary_data.iter().flatten() {
        let path = format!("binaryData[{key:?}]");
        let Some(bytes) = secrets::decode_base64(value) else {
            return Verdict::unreadable(format!("cannot be read: {path}: not base64"));
        };
        let text = core::str::from_utf8(&bytes).ok();
        let detector = if scan_values {
            binary_scanner
                .scan(value)
                .or_else(|| text.and_then(|t| compiled.scanner.scan(t)))
        } else {
            None
        };
        report(
            &mut findings,
            &compiled.scanner,
            &path,
            key,
            text.unwrap_or(value),
            detector,
        );
    }
    findings.into_verdict()
}

fn report(
    findings: &mut Findings,
    scanner: &Scanner,
    path: &str,
    key: &str,
    value: &str,
    detector: Option<secrets::Detector>,
) {
    if let Some(d) = detector {
        findings.object(format!(
            "{path} holds a literal secret (detector {}, {}); {FIX}",
            d.id(),
            secrets::mask(value)
        ));
    } else if let Some(pattern) = scanner.names.sensitive(key)
        && secrets::could_be_credential(value)
    {
        findings.object(format!(
            "{path} is a sensitive key (matches {pattern}) with a literal value (detector sensitive-name, {}); {FIX}",
            secrets::mask(value)
        ));
    }
}
