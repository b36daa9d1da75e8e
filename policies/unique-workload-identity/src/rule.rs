//! The rule.
//!
//! - ServiceAccounts: the `azure.workload.identity/client-id` (and `tenant-id`) annotations are
//!   GUIDs; every ServiceAccount of the cluster is listed through the engine and none other may
//!   carry the same client id (unless allowed), and allowed sharing never crosses environments
//!   (a namespace label, read through the engine). A failed lookup rejects, naming the call.
//! - Pods labelled `azure.workload.identity/use: "true"`: run as a non-default ServiceAccount
//!   that exists and carries a client id (read through the engine).
//! - AAD pod identity v1: its objects and the `aadpodidbinding` pod label are denied.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::consumer::exact_true;
use policy_helpers::host::{self, HostError};
use policy_helpers::identity::{
    self, CLIENT_ID_ANNOTATION, POD_IDENTITY_LABEL, ServiceAccount, TENANT_ID_ANNOTATION,
    USE_LABEL, is_guid,
};
use policy_helpers::pod::PodObject;
use policy_helpers::request::ObjectMeta;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

policy_helpers::view! {
    #[derive(Default)]
    struct Namespace {
        metadata: ObjectMeta = "metadata",
    }
}

/// Checks ServiceAccounts, pods and pod identity v1 objects.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    match (req.kind.group.as_str(), req.kind.kind.as_str()) {
        ("", "ServiceAccount") => check_service_account(req, ctx),
        ("aadpodidentity.k8s.io", kind) => {
            if !ctx.settings.deny_pod_identity_v1 {
                return Verdict::accept();
            }
            let mut f = Findings::new();
            f.object(format!(
                "is an AAD pod identity (v1) {kind}, deprecated and replaced by Azure Workload Identity (node-level NMI interception, shared node identity); annotate a ServiceAccount with {CLIENT_ID_ANNOTATION} instead (denyPodIdentityV1)"
            ));
            f.into_verdict()
        }
        _ => check_pod(req, ctx),
    }
}

fn check_pod(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    // Labels and the ServiceAccount cannot change through the ephemeral-containers subresource.
    if pod.ephemeral_only {
        return Verdict::accept();
    }
    let labels = match pod.pod_metadata.labels() {
        Ok(l) => l,
        Err(e) => return Verdict::cannot_read(e),
    };
    let labels_path = format!("{}.labels", pod.kind.metadata_path());
    let mut findings = Findings::new();
    if ctx.settings.deny_pod_identity_v1 && labels.contains_key(POD_IDENTITY_LABEL) {
        findings.object(format!(
            "carries the AAD pod identity (v1) label {POD_IDENTITY_LABEL} ({labels_path}); use Azure Workload Identity (denyPodIdentityV1)"
        ));
    }
    // The workload identity webhook selects pods with matchLabels {USE_LABEL: "true"}: exact.
    if exact_true(labels.get(USE_LABEL).map(String::as_str)) {
        let namespace = req.effective_namespace(&pod.metadata);
        let sa = pod.spec.service_account();
        let base = pod.spec_path();
        if sa == "default" {
            findings.object(format!(
                "uses workload identity ({USE_LABEL}=true) as the namespace's default ServiceAccount ({base}.serviceAccountName); give the component its own ServiceAccount and identity"
            ));
        } else {
            match identity::get_service_account(namespace, sa) {
                Ok(Some(account)) => match account.client_id() {
                    Some(id) if !id.is_empty() => {}
                    _ => findings.object(format!(
                        "uses workload identity ({USE_LABEL}=true) but its ServiceAccount {namespace}/{sa} has no {CLIENT_ID_ANNOTATION} annotation"
                    )),
                },
                Ok(None) => findings.object(format!(
                    "uses workload identity ({USE_LABEL}=true) but its ServiceAccount {namespace}/{sa} does not exist"
                )),
                Err(e) => findings.object(format!(
                    "uses workload identity ({USE_LABEL}=true) and its ServiceAccount {namespace}/{sa} could not be read to check its client id ({e})"
                )),
            }
        }
    }
    findings.into_verdict()
}

fn environment(
    cache: &mut BTreeMap<String, Option<String>>,
    key: &str,
    namespace: &str,
) -> Result<Option<String>, HostError> {
    if let Some(v) = cache.get(namespace) {
        return Ok(v.clone());
    }
    let env = host::get::<Namespace>("v1", "Namespace", namespace, None)?
        .and_then(|n| n.metadata.labels.get(key).cloned());
    cache.insert(namespace.to_string(), env.clone());
    Ok(env)
}

fn check_service_account(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let sa = match req.object_as::<ServiceAccount>() {
        Ok(Some(s)) => s,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let namespace = req.effective_namespace(&sa.metadata).to_string();
    let name = if sa.metadata.name.is_empty() {
        req.name.clone().unwrap_or_default()
    } else {
        sa.metadata.name.clone()
    };
    let mut findings = Findings::new();
    if let Some(t) = sa.metadata.annotations.get(TENANT_ID_ANNOTATION)
        && !is_guid(t.trim())
    {
        findings.object(format!(
            "has annotation {TENANT_ID_ANNOTATION}={t:?} (metadata.annotations), which is not a tenant id (GUID)"
        ));
    }
    let Some(client_id) = sa.client_id() else {
        return findings.into_verdict();
    };
    if !is_guid(client_id) {
        findings.object(format!(
            "has annotation {CLIENT_ID_ANNOTATION}={client_id:?} (metadata.annotations), which is not a client id (GUID)"
        ));
        return findings.into_verdict();
    }
    let others: Vec<ServiceAccount> = match host::list_all::<ServiceAccount>(
        "v1",
        "ServiceAccount",
        None,
        None,
    ) {
        Ok(all) => all
            .into_iter()
            .filter(|o| {
                !(o.metadata.namespace == namespace && o.metadata.name == name)
                    && o.client_id()
                        .is_some_and(|c| c.eq_ignore_ascii_case(client_id))
            })
            .collect(),
        Err(e) => {
            findings.object(format!(
                    "carries workload identity client id {client_id} and the ServiceAccounts of the cluster could not be listed to check that it is not shared ({e})"
                ));
            return findings.into_verdict();
        }
    };
    if others.is_empty() {
        return findings.into_verdict();
    }
    let names: Vec<String> = others
        .iter()
        .map(|o| format!("{}/{}", o.metadata.namespace, o.metadata.name))
        .collect();
    let allowed = ctx
        .settings
        .allow_shared_client_ids
        .iter()
        .any(|a| a.eq_ignore_ascii_case(client_id));
    if !allowed {
        findings.object(format!(
            "carries workload identity client id {client_id} ({CLIENT_ID_ANNOTATION}), already used by ServiceAccount {}; each component needs its own identity (allowSharedClientIDs)",
            names.join(", ")
        ));
        return findings.into_verdict();
    }
    let Some(key) = ctx.settings.environment_label_key.as_deref() else {
        return findings.into_verdict();
    };
    let mut cache = BTreeMap::new();
    let own = match environment(&mut cache, key, &namespace) {
        Ok(e) => e,
        Err(e) => {
            findings.object(format!(
                "shares client id {client_id} and namespace {namespace:?} could not be read to find its environment label {key:?} ({e})"
            ));
            return findings.into_verdict();
        }
    };
    let show = |e: &Option<String>| {
        e.as_deref()
            .map_or("(none)".to_string(), |v| format!("{v:?}"))
    };
    for o in &others {
        match environment(&mut cache, key, &o.metadata.namespace) {
            Ok(env) if env == own => {}
            Ok(env) => findings.object(format!(
                "shares client id {client_id} with ServiceAccount {}/{} across environments ({key}={} here, {} there); never share an identity between environments",
                o.metadata.namespace,
                o.metadata.name,
                show(&own),
                show(&env)
            )),
            Err(e) => findings.object(format!(
                "shares client id {client_id} and namespace {:?} could not be read to find its environment label {key:?} ({e})",
                o.metadata.namespace
            )),
        }
    }
    findings.into_verdict()
}
