//! The rule: pods run as a named ServiceAccount other than `default` (optionally equal to an app
//! label); bindings do not grant to a `default` ServiceAccount.

use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};
use serde::Deserialize;

use crate::settings::Settings;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Subject {
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Binding {
    subjects: Option<Vec<Subject>>,
}

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
        match pod.pod_metadata.labels.get(key) {
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
    let cluster = match req.kind.kind.as_str() {
        "RoleBinding" => false,
        "ClusterRoleBinding" => true,
        _ => return Verdict::accept(),
    };
    if !ctx.settings.check_bindings {
        return Verdict::accept();
    }
    let binding = match req.object_as::<Binding>() {
        Ok(Some(b)) => b,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
    };
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
    };
    let own = req.effective_namespace(&meta);
    let mut findings = Findings::new();
    for (i, s) in binding.subjects.iter().flatten().enumerate() {
        if s.kind.as_deref() == Some("ServiceAccount") && s.name.as_deref() == Some("default") {
            let ns = s
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(if cluster { "" } else { own });
            findings.object(format!(
                "grants to the default ServiceAccount of namespace {ns:?} (subjects[{i}]), so every pod without its own ServiceAccount gets the role; bind a dedicated ServiceAccount"
            ));
        }
    }
    findings.into_verdict()
}
