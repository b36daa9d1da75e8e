//! The rule: pods run as a named ServiceAccount other than `default` (optionally equal to an app
//! label); bindings do not grant to a `default` ServiceAccount.

use policy_helpers::prelude::*;

use policy_helpers::pod::PodObject;
use policy_helpers::rbac::{BindingReview, Identity};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// Checks pod-bearing kinds and role bindings.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if req.kind.group == "rbac.authorization.k8s.io" {
        return check_binding(req, ctx);
    }
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    // Through the subresource only ephemeral containers change; the ServiceAccount cannot.
    if pod.ephemeral_only {
        return Verdict::accept();
    }
    let spec = &pod.spec;
    let base = pod.spec_path();
    let sa = spec.service_account();
    let field = if spec
        .service_account_name
        .as_deref()
        .is_some_and(|s| !s.is_empty())
    {
        "serviceAccountName"
    } else {
        "serviceAccount"
    };
    let mut findings = Findings::new();
    if sa == "default" {
        let set = spec
            .service_account_name
            .as_deref()
            .or(spec.service_account.as_deref())
            .is_some_and(|s| !s.is_empty());
        if set {
            findings.object(format!(
                "runs as the namespace's default ServiceAccount ({base}.{field}=default); create a ServiceAccount for this workload"
            ));
        } else {
            findings.object(format!(
                "runs as the namespace's default ServiceAccount ({base}.serviceAccountName is unset); create a ServiceAccount for this workload"
            ));
        }
    } else if let Some(key) = &ctx.settings.require_name_matches_label {
        let labels_path = format!("{}.labels", pod.kind.metadata_path());
        let labels = match pod.pod_metadata.labels() {
            Ok(l) => l,
            Err(e) => return Verdict::cannot_read(e),
        };
        match labels.get(key) {
            Some(v) if v == sa => {}
            Some(v) => findings.object(format!(
                "runs as ServiceAccount {sa:?} ({base}.{field}) but its label {key}={v:?} ({labels_path}) names another component (requireNameMatchesLabel)"
            )),
            None => findings.object(format!(
                "has no label {key:?} ({labels_path}) to match its ServiceAccount {sa:?} against (requireNameMatchesLabel)"
            )),
        }
    }
    findings.into_verdict()
}

fn check_binding(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if !ctx.settings.check_bindings {
        return Verdict::accept();
    }
    let review = match BindingReview::from_request(req) {
        Ok(Some(b)) => b,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let binding_ns = review.subject_namespace();
    let mut findings = Findings::new();
    // Every spelling of the default ServiceAccount (`policy_helpers::rbac::Identity`): the
    // ServiceAccount subject, its user name as a User subject, and the groups of
    // ServiceAccounts, which hold the default ones.
    for (i, s) in review.binding.subjects.iter().enumerate() {
        let whom = match s.identity(binding_ns) {
            Identity::ServiceAccount {
                namespace,
                name: "default",
                as_user,
            } => {
                let spelt = if as_user {
                    format!(", written as User {:?}", s.name)
                } else {
                    String::new()
                };
                format!(
                    "the default ServiceAccount of namespace {namespace:?} (subjects[{i}]{spelt})"
                )
            }
            Identity::NamespaceServiceAccounts(ns) => format!(
                "every ServiceAccount of namespace {ns:?}, its default ServiceAccount included (subjects[{i}], Group {:?})",
                s.name
            ),
            Identity::AllServiceAccounts => format!(
                "every ServiceAccount of every namespace, the default ServiceAccounts included (subjects[{i}], Group {:?})",
                s.name
            ),
            Identity::Nobody if s.kind == "ServiceAccount" && s.name == "default" => {
                format!("the default ServiceAccount of namespace \"\" (subjects[{i}])")
            }
            _ => continue,
        };
        findings.object(format!(
            "grants to {whom}, so every pod without its own ServiceAccount gets the role; bind a dedicated ServiceAccount"
        ));
    }
    findings.into_verdict()
}
