//! The rule.
//!
//! - SecretProviderClass with `provider: azure`, its parameters read as the provider reads
//!   them (trimmed; identity switches with Go's `strconv.ParseBool`; `tenantID` over
//!   `tenantId`; exact names): no VM managed identity (unless allowed), no pod identity, a
//!   `clientID` that is a GUID, an allowed `keyvaultName` and tenant, no ambiguous tenant and no
//!   misspelled parameter; and, with `requireClientIDMatch`, the pods of the namespace that
//!   mount it (listed through the engine) run as ServiceAccounts that exist and are not
//!   annotated with another client id (nor unannotated, with `requireServiceAccountAnnotation`).
//! - Pod-bearing kinds: every Secrets Store CSI volume passes no service-principal secret, and
//!   the SecretProviderClass it names (read through the engine) has a `clientID` the pod's
//!   ServiceAccount (read through the engine) may use, by the same rule.
//!
//! Every failed lookup rejects, naming the call.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::consumer::{go_trim_space, keyvault_provider_bool};
use policy_helpers::glob::Glob;
use policy_helpers::host;
use policy_helpers::identity::{self, is_guid};
use policy_helpers::pod::PodObject;
use policy_helpers::request::ObjectMeta;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

/// The Secrets Store CSI driver.
pub const DRIVER: &str = "secrets-store.csi.k8s.io";
const SPC_API: &str = "secrets-store.csi.x-k8s.io/v1";

policy_helpers::view! {
    #[derive(Default, Clone)]
    struct SpcSpec {
        provider: Option<String> = "provider",
        parameters: Option<BTreeMap<String, String>> = "parameters",
    }
}

policy_helpers::view! {
    #[derive(Default, Clone)]
    struct Spc {
        metadata: ObjectMeta = "metadata",
        spec: Option<SpcSpec> = "spec",
    }
}

/// The parameters the Azure provider reads, spelled as it reads them (Go map lookups are
/// exact): `pkg/provider/types/constants.go` and `GetTenantID` of
/// `secrets-store-csi-driver-provider-azure`. Both `tenantID` and the deprecated `tenantId` are
/// read.
const PROVIDER_PARAMETERS: &[&str] = &[
    "keyvaultName",
    "cloudName",
    "usePodIdentity",
    "useVMManagedIdentity",
    "userAssignedIdentityID",
    "tenantID",
    "tenantId",
    "cloudEnvFileName",
    "clientID",
    "objects",
];

impl Spc {
    fn parameters(&self) -> Option<&BTreeMap<String, String>> {
        self.spec.as_ref().and_then(|s| s.parameters.as_ref())
    }

    /// A parameter as the provider reads it: the exact key, trimmed with Go's
    /// `strings.TrimSpace` (every `Get*` of `pkg/provider/types/parameters.go`).
    fn param(&self, key: &str) -> Option<&str> {
        self.parameters()
            .and_then(|p| p.get(key))
            .map(|v| go_trim_space(v))
    }

    /// A parameter as written (for messages).
    fn raw(&self, key: &str) -> &str {
        self.parameters()
            .and_then(|p| p.get(key))
            .map_or("", String::as_str)
    }

    fn is_azure(&self) -> bool {
        self.spec
            .as_ref()
            .and_then(|s| s.provider.as_deref())
            .is_some_and(|p| p.eq_ignore_ascii_case("azure"))
    }
}

/// The tenant the provider uses: `tenantID` when it is not blank, else the deprecated
/// `tenantId` (`GetTenantID`). Providers released before `tenantID` was added read `tenantId`
/// only, so two different non-blank values are ambiguous: `Err` with both.
fn tenant(spc: &Spc) -> Result<Option<&str>, (String, String)> {
    let new = spc.param("tenantID").filter(|t| !t.is_empty());
    let old = spc.param("tenantId").filter(|t| !t.is_empty());
    match (new, old) {
        (Some(n), Some(o)) if !n.eq_ignore_ascii_case(o) => Err((n.to_string(), o.to_string())),
        (Some(n), _) => Ok(Some(n)),
        (None, o) => Ok(o),
    }
}

/// A boolean parameter as the provider reads it; a value it refuses is a finding (the mount
/// would fail) and counts as unset.
fn provider_bool(spc: &Spc, key: &str, findings: &mut Findings) -> bool {
    match keyvault_provider_bool(spc.param(key)) {
        Ok(v) => v.unwrap_or(false),
        Err(()) => {
            findings.object(format!(
                "sets spec.parameters.{key}={:?}, which the Key Vault provider cannot read as a boolean (it trims the value and reads it with Go's strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)",
                spc.raw(key)
            ));
            false
        }
    }
}

/// Parameters spelled like one the provider reads but not exactly (`clientId`, `keyVaultName`,
/// `TenantID`): the provider ignores them, so what a reader of the object sees is not what the
/// driver uses.
fn misspelled_parameters(spc: &Spc, findings: &mut Findings) {
    let Some(params) = spc.parameters() else {
        return;
    };
    for key in params.keys() {
        if PROVIDER_PARAMETERS.contains(&key.as_str()) {
            continue;
        }
        let read: Vec<&str> = PROVIDER_PARAMETERS
            .iter()
            .copied()
            .filter(|p| p.eq_ignore_ascii_case(key))
            .collect();
        if !read.is_empty() {
            findings.object(format!(
                "sets spec.parameters.{key}, which the Key Vault provider does not read (it reads {}, spelled exactly); remove it or spell it as the provider reads it",
                read.join(" and ")
            ));
        }
    }
}

policy_helpers::view! {
    /// A pod of a host-call list: only what the clientID check reads (the list is decoded from
    /// the host's answer, so nothing in it borrows from the request).
    #[derive(Default)]
    struct PodItem {
        metadata: ObjectMeta = "metadata",
        spec: PodItemSpec = "spec",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct PodItemSpec {
        volumes: Vec<policy_helpers::pod::Volume> = "volumes",
        service_account_name: Option<String> = "serviceAccountName",
        service_account: Option<String> = "serviceAccount",
    }
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

/// The SecretProviderClass names a pod spec mounts through the driver: (volume index, name).
fn mounted_classes(volumes: &[policy_helpers::pod::Volume]) -> Vec<(usize, String, bool)> {
    let mut out = Vec::new();
    for (i, v) in volumes.iter().enumerate() {
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
        Err(e) => return Verdict::cannot_read(e),
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
    misspelled_parameters(&spc, &mut findings);
    let vm = provider_bool(&spc, "useVMManagedIdentity", &mut findings);
    if vm && !s.allow_vm_managed_identity {
        findings.object(format!(
            "sets spec.parameters.useVMManagedIdentity={:?}, which the Key Vault provider reads as true: the kubelet's identity is shared by every pod on the node; set clientID to the workload identity of the consuming ServiceAccount (allowVMManagedIdentity)",
            spc.raw("useVMManagedIdentity")
        ));
    }
    if provider_bool(&spc, "usePodIdentity", &mut findings) {
        findings.object(format!(
            "sets spec.parameters.usePodIdentity={:?}, which the Key Vault provider reads as true: AAD pod identity (v1) is deprecated; use workload identity (clientID)",
            spc.raw("usePodIdentity")
        ));
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
    let mut ambiguous_tenant = false;
    let tenant = match tenant(&spc) {
        Ok(t) => t,
        Err((new, old)) => {
            ambiguous_tenant = true;
            findings.object(format!(
                "sets spec.parameters.tenantID={new:?} and the deprecated spec.parameters.tenantId={old:?}: current Key Vault providers use tenantID, older ones tenantId, so which tenant is used depends on the provider version; keep one"
            ));
            None
        }
    };
    if !s.allowed_tenants.is_empty() {
        match tenant {
            Some(t) if s.allowed_tenants.iter().any(|a| a.eq_ignore_ascii_case(t)) => {}
            Some(t) => findings.object(format!(
                "names tenant {t:?} (spec.parameters.tenantID, else tenantId), which is not in allowedTenants"
            )),
            None if !ambiguous_tenant => findings
                .object("sets no spec.parameters.tenantID or tenantId (allowedTenants is set)"),
            None => {}
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
                let mut seen: BTreeMap<String, Result<SaIdentity, String>> = BTreeMap::new();
                for p in &pods {
                    if !mounted_classes(&p.spec.volumes)
                        .iter()
                        .any(|(_, n, _)| *n == name)
                    {
                        continue;
                    }
                    let sa = policy_helpers::pod::service_account_of(
                        p.spec.service_account_name.as_deref(),
                        p.spec.service_account.as_deref(),
                    )
                    .to_string();
                    let found = seen
                        .entry(sa.clone())
                        .or_insert_with(|| sa_identity(&namespace, &sa))
                        .clone();
                    let pod = &p.metadata.name;
                    let who = format!(
                        "has clientID {c} but pod {namespace}/{pod}, which mounts it, runs as ServiceAccount {namespace}/{sa}"
                    );
                    match found {
                        Ok(id) => {
                            if let Some(m) = mismatch(&id, c, s) {
                                findings.object(format!("{who}{}", m.tail(Side::Class)));
                            }
                        }
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

/// What the cluster says about the ServiceAccount a pod runs as.
#[derive(Clone)]
enum SaIdentity {
    /// It does not exist.
    Missing,
    /// It exists without (or with a blank) `azure.workload.identity/client-id` annotation.
    Unannotated,
    /// Its `azure.workload.identity/client-id` annotation (trimmed).
    ClientId(String),
}

fn sa_identity(namespace: &str, name: &str) -> Result<SaIdentity, String> {
    match identity::get_service_account(namespace, name) {
        Err(e) => Err(e.to_string()),
        Ok(None) => Ok(SaIdentity::Missing),
        Ok(Some(sa)) => Ok(match sa.client_id().filter(|c| !c.is_empty()) {
            Some(c) => SaIdentity::ClientId(c.to_string()),
            None => SaIdentity::Unannotated,
        }),
    }
}

/// Why a ServiceAccount cannot use the class's `clientID`.
enum Mismatch {
    /// Its annotation names another client id.
    Other(String),
    /// It has no annotation and `requireServiceAccountAnnotation` is set.
    Unannotated,
    /// It does not exist.
    Missing,
}

/// Why a ServiceAccount cannot use the class's `clientID`, or `None` when it can.
///
/// The driver's workload-identity flow exchanges the mounting pod's ServiceAccount token for
/// a token of `clientID`; Entra ID grants it only when that identity has a federated
/// credential for the ServiceAccount, so an unannotated ServiceAccount is the documented set-up
/// (the annotation is read by the workload identity webhook, not by the driver). An
/// annotation naming another client id ties the ServiceAccount to another identity, and a
/// missing ServiceAccount cannot run the pod at all.
fn mismatch(id: &SaIdentity, client_id: &str, s: &Settings) -> Option<Mismatch> {
    match id {
        SaIdentity::ClientId(a) if a.eq_ignore_ascii_case(client_id) => None,
        SaIdentity::ClientId(a) => Some(Mismatch::Other(a.clone())),
        SaIdentity::Unannotated if !s.require_service_account_annotation => None,
        SaIdentity::Unannotated => Some(Mismatch::Unannotated),
        SaIdentity::Missing => Some(Mismatch::Missing),
    }
}

/// Which message a [`Mismatch`] ends: the class's (`… runs as ServiceAccount ns/sa`) or the
/// pod's (`… the pod's ServiceAccount ns/sa (path)`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Class,
    Pod,
}

impl Mismatch {
    /// The end of the message, after the ServiceAccount is named.
    fn tail(&self, side: Side) -> String {
        let which = if side == Side::Class { ", which" } else { "" };
        match (self, side) {
            (Mismatch::Other(a), Side::Class) => format!(
                " with client id {a}; the class must use the identity of the workload that mounts it"
            ),
            (Mismatch::Other(a), Side::Pod) => {
                format!(" has client id {a}; use the class of this workload's identity")
            }
            (Mismatch::Unannotated, _) => format!("{which} {REQUIRE_ANNOTATION}"),
            (Mismatch::Missing, _) => format!("{which} {MISSING}"),
        }
    }
}

const REQUIRE_ANNOTATION: &str = "has no azure.workload.identity/client-id annotation (requireServiceAccountAnnotation is set; without it the class's clientID and a federated credential for the ServiceAccount are enough)";
const MISSING: &str = "does not exist, so no pod can run as it and its token cannot be exchanged for the class's identity";

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
    let volumes = match pod.volumes() {
        Ok(v) => v,
        Err(e) => return Verdict::cannot_read(e),
    };
    for (i, v) in volumes.iter().enumerate() {
        if let Err(e) = v.csi() {
            return Verdict::unreadable(format!(
                "cannot be read: {base}.volumes[{i}].{}: {}",
                e.path, e.reason
            ));
        }
    }
    let classes = mounted_classes(&volumes);
    if classes.is_empty() {
        return Verdict::accept();
    }
    let s = &ctx.settings;
    let namespace = req.effective_namespace(&pod.metadata).to_string();
    let sa = pod.spec.service_account().to_string();
    let mut findings = Findings::new();
    let mut sa_id: Option<Result<SaIdentity, String>> = None;
    for (i, class, secret_ref) in classes {
        let vol = format!("volume {:?} ({base}.volumes[{i}])", volumes[i].name);
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
            .get_or_insert_with(|| sa_identity(&namespace, &sa))
            .clone();
        match id {
            Ok(id) => {
                let who = format!(
                    "{vol} mounts SecretProviderClass {namespace}/{class} with clientID {c}, but the pod's ServiceAccount {namespace}/{sa} ({base}.serviceAccountName)"
                );
                if let Some(m) = mismatch(&id, &c, s) {
                    findings.object(format!("{who}{}", m.tail(Side::Pod)));
                }
            }
            Err(e) => findings.object(format!(
                "{vol} mounts SecretProviderClass {namespace}/{class} and the pod's ServiceAccount {namespace}/{sa} could not be read to compare client ids ({e})"
            )),
        }
    }
    findings.into_verdict()
}
