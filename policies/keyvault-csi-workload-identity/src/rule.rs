//! The rule.
//!
//! - SecretProviderClass with `provider: azure`: no VM managed identity (unless allowed), no pod
//!   identity, a `clientID` that is a GUID, an allowed `keyvaultName` and `tenantId`; and, with
//!   `requireClientIDMatch`, the pods of the namespace that mount it (listed through the engine)
//!   run as ServiceAccounts whose workload identity client id is that `clientID`.
//! - Pod-bearing kinds: every Secrets Store CSI volume passes no service-principal secret, and
//!   the SecretProviderClass it names (read through the engine) has the `clientID` of the pod's
//!   ServiceAccount (read through the engine).
//!
//! Every failed lookup rejects, naming the call.

use std::collections::BTreeMap;

use policy_helpers::glob::Glob;
use policy_helpers::host::{self, HostError};
use policy_helpers::identity::{self, CLIENT_ID_ANNOTATION, is_guid};
use policy_helpers::pod::{PodObject, PodSpec};
use policy_helpers::request::ObjectMeta;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};
use serde::Deserialize;

use crate::settings::Settings;

/// The Secrets Store CSI driver.
pub const DRIVER: &str = "secrets-store.csi.k8s.io";
const SPC_API: &str = "secrets-store.csi.x-k8s.io/v1";

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct SpcSpec {
    provider: Option<String>,
    parameters: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct Spc {
    metadata: ObjectMeta,
    spec: Option<SpcSpec>,
}

impl Spc {
    fn param(&self, key: &str) -> Option<&str> {
        self.spec
            .as_ref()
            .and_then(|s| s.parameters.as_ref())
            .and_then(|p| p.get(key))
            .map(|v| v.trim())
    }

    fn is_azure(&self) -> bool {
        self.spec
            .as_ref()
            .and_then(|s| s.provider.as_deref())
            .is_some_and(|p| p.eq_ignore_ascii_case("azure"))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PodItem {
    metadata: ObjectMeta,
    spec: PodSpec,
}

/// Checks SecretProviderClasses and the pods that mount them.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if req.kind.group == "secrets-store.csi.x-k8s.io" {
        if req.kind.kind != "SecretProviderClass" {
            return Verdict::accept();
        }
        return check_class(req, ctx);
    }
    check_pod(req, ctx)
}

fn is_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The SecretProviderClass names a pod spec mounts through the driver: (volume index, name).
fn mounted_classes(spec: &PodSpec) -> Vec<(usize, String, bool)> {
    let mut out = Vec::new();
    for (i, v) in spec.volumes.iter().enumerate() {
        if let Ok(Some(csi)) = v.csi()
            && csi.driver == DRIVER
        {
            let class = csi
                .volume_attributes
                .get("secretProviderClass")
                .cloned()
                .unwrap_or_default();
            out.push((i, class, csi.node_publish_secret_ref.is_some()));
        }
    }
    out
}

fn check_class(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let spc = match req.object_as::<Spc>() {
        Ok(Some(s)) => s,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
    };
    if !spc.is_azure() {
        return Verdict::accept();
    }
    let s = &ctx.settings;
    let vaults: Vec<Glob> = match s.vaults() {
        Ok(v) => v,
        Err(e) => return Verdict::unreadable(format!("has invalid settings: {e}")),
    };
    let mut findings = Findings::new();
    let vm = is_true(spc.param("useVMManagedIdentity"));
    if vm && !s.allow_vm_managed_identity {
        findings.object(
            "sets spec.parameters.useVMManagedIdentity=\"true\": the kubelet's identity is shared by every pod on the node; set clientID to the workload identity of the consuming ServiceAccount (allowVMManagedIdentity)",
        );
    }
    if is_true(spc.param("usePodIdentity")) {
        findings.object(
            "sets spec.parameters.usePodIdentity=\"true\": AAD pod identity (v1) is deprecated; use workload identity (clientID)",
        );
    }
    let client_id = spc.param("clientID").filter(|c| !c.is_empty());
    match client_id {
        Some(c) if !is_guid(c) => findings.object(format!(
            "sets spec.parameters.clientID={c:?}, which is not a client id (GUID)"
        )),
        None if !vm => findings.object(
            "sets no spec.parameters.clientID: name the workload identity (client id) of the ServiceAccount that mounts it",
        ),
        _ => {}
    }
    match spc.param("keyvaultName").filter(|v| !v.is_empty()) {
        None => findings.object("sets no spec.parameters.keyvaultName"),
        Some(v) if !vaults.is_empty() && !vaults.iter().any(|g| g.matches(v)) => findings
            .object(format!(
                "reads Key Vault {v:?} (spec.parameters.keyvaultName), which is not in allowedKeyVaults"
            )),
        _ => {}
    }
    let tenant = spc.param("tenantId").or(spc.param("tenantID"));
    if !s.allowed_tenants.is_empty() {
        match tenant {
            Some(t) if s.allowed_tenants.iter().any(|a| a.eq_ignore_ascii_case(t)) => {}
            Some(t) => findings.object(format!(
                "names tenant {t:?} (spec.parameters.tenantId), which is not in allowedTenants"
            )),
            None => findings.object("sets no spec.parameters.tenantId (allowedTenants is set)"),
        }
    }
    if s.require_client_id_match
        && let Some(c) = client_id.filter(|c| is_guid(c))
    {
        let namespace = req.effective_namespace(&spc.metadata).to_string();
        let name = spc.metadata.name.clone();
        match host::list_in_namespace::<PodItem>("v1", "Pod", &namespace, None, None) {
            Err(e) => findings.object(format!(
                "has clientID {c} and the pods of namespace {namespace:?} could not be listed to check the ServiceAccounts that mount it ({e})"
            )),
            Ok(pods) => {
                let mut seen: BTreeMap<String, Result<Option<String>, String>> = BTreeMap::new();
                for p in &pods {
                    if !mounted_classes(&p.spec).iter().any(|(_, n, _)| *n == name) {
                        continue;
                    }
                    let sa = p.spec.service_account().to_string();
                    let found = seen
                        .entry(sa.clone())
                        .or_insert_with(|| sa_client_id(&namespace, &sa))
                        .clone();
                    let pod = &p.metadata.name;
                    match found {
                        Ok(Some(id)) if id.eq_ignore_ascii_case(c) => {}
                        Ok(Some(id)) => findings.object(format!(
                            "has clientID {c} but pod {namespace}/{pod}, which mounts it, runs as ServiceAccount {namespace}/{sa} with client id {id}; the class must use the identity of the workload that mounts it"
                        )),
                        Ok(None) => findings.object(format!(
                            "has clientID {c} but pod {namespace}/{pod}, which mounts it, runs as ServiceAccount {namespace}/{sa}, which has no {CLIENT_ID_ANNOTATION} annotation or does not exist"
                        )),
                        Err(e) => findings.object(format!(
                            "has clientID {c} and ServiceAccount {namespace}/{sa} of pod {namespace}/{pod}, which mounts it, could not be read ({e})"
                        )),
                    }
                }
            }
        }
    }
    findings.into_verdict()
}

/// The client id of a ServiceAccount: `Ok(None)` when it has none or does not exist.
fn sa_client_id(namespace: &str, name: &str) -> Result<Option<String>, String> {
    identity::get_service_account(namespace, name)
        .map(|sa| sa.and_then(|a| a.client_id().filter(|c| !c.is_empty()).map(str::to_string)))
        .map_err(|e: HostError| e.to_string())
}

fn check_pod(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    // Volumes cannot change through the ephemeral-containers subresource.
    if pod.ephemeral_only {
        return Verdict::accept();
    }
    let base = pod.spec_path();
    for (i, v) in pod.spec.volumes.iter().enumerate() {
        if let Err(e) = v.csi() {
            return Verdict::unreadable(format!(
                "cannot be read: {base}.volumes[{i}].{}: {}",
                e.path, e.reason
            ));
        }
    }
    let classes = mounted_classes(&pod.spec);
    if classes.is_empty() {
        return Verdict::accept();
    }
    let s = &ctx.settings;
    let namespace = req.effective_namespace(&pod.metadata).to_string();
    let sa = pod.spec.service_account().to_string();
    let mut findings = Findings::new();
    let mut sa_id: Option<Result<Option<String>, String>> = None;
    for (i, class, secret_ref) in classes {
        let vol = format!(
            "volume {:?} ({base}.volumes[{i}])",
            pod.spec.volumes[i].name
        );
        if secret_ref && !s.allow_node_publish_secret_ref {
            findings.object(format!(
                "{vol} passes service-principal credentials to the Key Vault driver ({base}.volumes[{i}].csi.nodePublishSecretRef); use workload identity (allowNodePublishSecretRef)"
            ));
        }
        if class.is_empty() {
            findings.object(format!(
                "{vol} names no SecretProviderClass ({base}.volumes[{i}].csi.volumeAttributes.secretProviderClass)"
            ));
            continue;
        }
        if !s.require_client_id_match {
            continue;
        }
        let spc = match host::get::<Spc>(SPC_API, "SecretProviderClass", &class, Some(&namespace)) {
            Ok(Some(spc)) => spc,
            Ok(None) => {
                findings.warn(format!(
                    "{vol}: SecretProviderClass {namespace}/{class} does not exist yet; its clientID is checked against this pod's ServiceAccount when it is created"
                ));
                continue;
            }
            Err(e) => {
                findings.object(format!(
                    "{vol} mounts SecretProviderClass {namespace}/{class}, which could not be read to check its clientID ({e})"
                ));
                continue;
            }
        };
        let Some(c) = spc
            .param("clientID")
            .filter(|c| spc.is_azure() && !c.is_empty())
            .map(str::to_string)
        else {
            continue;
        };
        let id = sa_id
            .get_or_insert_with(|| sa_client_id(&namespace, &sa))
            .clone();
        match id {
            Ok(Some(id)) if id.eq_ignore_ascii_case(&c) => {}
            Ok(Some(id)) => findings.object(format!(
                "{vol} mounts SecretProviderClass {namespace}/{class} with clientID {c}, but the pod's ServiceAccount {namespace}/{sa} ({base}.serviceAccountName) has client id {id}; use the class of this workload's identity"
            )),
            Ok(None) => findings.object(format!(
                "{vol} mounts SecretProviderClass {namespace}/{class} with clientID {c}, but the pod's ServiceAccount {namespace}/{sa} has no {CLIENT_ID_ANNOTATION} annotation or does not exist"
            )),
            Err(e) => findings.object(format!(
                "{vol} mounts SecretProviderClass {namespace}/{class} and the pod's ServiceAccount {namespace}/{sa} could not be read to compare client ids ({e})"
            )),
        }
    }
    findings.into_verdict()
}
