//! The rule: the object's Namespace, looked up in the cluster through the engine
//! (`kubernetes/get_resource`, listed in `contextAwareResources` of metadata.yml), must carry a
//! label. A lookup that fails is a rejection naming the lookup: the policy fails closed.

use policy_helpers::prelude::*;

use policy_helpers::labels::namespace_labels;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Rejects an object whose Namespace lacks `requiredNamespaceLabel` (or sets it empty), does
/// not exist, or cannot be looked up. Cluster-scoped objects have no Namespace and are accepted.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return Verdict::cannot_read(e),
    };
    let namespace = req.effective_namespace(&meta);
    if namespace.is_empty() {
        return Verdict::accept();
    }
    let key = &ctx.settings.required_namespace_label;
    let mut findings = Findings::new();
    match namespace_labels(namespace) {
        Err(e) => findings.object(format!(
            "cannot be judged: looking up Namespace {namespace:?} failed: {e}"
        )),
        Ok(None) => findings.object(format!(
            "is in Namespace {namespace:?}, which does not exist"
        )),
        Ok(Some(labels)) => match labels.get(key) {
            Some(v) if !v.is_empty() => {}
            Some(_) => findings.object(format!(
                "is in Namespace {namespace:?}, whose label {key:?} is empty (metadata.labels of the Namespace)"
            )),
            None => findings.object(format!(
                "is in Namespace {namespace:?}, which lacks label {key:?} (metadata.labels of the Namespace)"
            )),
        },
    }
    findings.into_verdict()
}
