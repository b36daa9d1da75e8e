//! The rule: a pure function over StorageClass, PersistentVolumeClaim, PersistentVolume and
//! StatefulSet views.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::request::ObjectError;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};
use serde::de::IgnoredAny;

use crate::settings::{Compiled, Settings};

/// The annotation that named a claim's class before `spec.storageClassName` existed; the API
/// server still honours it.
pub const CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

/// In-tree Azure provisioners and the CSI drivers that replace them.
const IN_TREE: &[(&str, &str)] = &[
    ("kubernetes.io/azure-disk", "disk.csi.azure.com"),
    ("kubernetes.io/azure-file", "file.csi.azure.com"),
];

policy_helpers::view! {
    #[derive(Default)]
    struct StorageClassView {
        provisioner: String = "provisioner",
        parameters: Option<BTreeMap<String, String>> = "parameters",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct Meta {
        annotations: Option<BTreeMap<String, String>> = "annotations",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct ClaimSpec {
        storage_class_name: Option<String> = "storageClassName",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct ClaimView {
        metadata: Meta = "metadata",
        spec: ClaimSpec = "spec",
    }
}

impl ClaimView {
    /// The class the claim asks for and where it was read.
    fn class(&self) -> Option<(&str, &'static str)> {
        if let Some(c) = self.spec.storage_class_name.as_deref() {
            return Some((c, "spec.storageClassName"));
        }
        self.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(CLASS_ANNOTATION))
            .map(|c| {
                (
                    c.as_str(),
                    "metadata.annotations[volume.beta.kubernetes.io/storage-class]",
                )
            })
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct StatefulSetSpec {
        volume_claim_templates: Option<Vec<ClaimView>> = "volumeClaimTemplates",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct StatefulSetView {
        spec: StatefulSetSpec = "spec",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct CsiSource {
        driver: String = "driver",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct PvSpec {
        host_path: Option<IgnoredAny> = "hostPath",
        azure_disk: Option<IgnoredAny> = "azureDisk",
        azure_file: Option<IgnoredAny> = "azureFile",
        csi: Option<CsiSource> = "csi",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct PvView {
        spec: PvSpec = "spec",
    }
}

fn unreadable(e: ObjectError) -> Verdict {
    Verdict::cannot_read(e)
}

/// Whether `id` is the ARM id of a disk encryption set:
/// `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/diskEncryptionSets/<name>`
/// (segment names compared without case, as ARM does).
pub fn is_disk_encryption_set_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('/').collect();
    parts.len() == 9
        && parts[0].is_empty()
        && parts[1].eq_ignore_ascii_case("subscriptions")
        && !parts[2].is_empty()
        && parts[3].eq_ignore_ascii_case("resourceGroups")
        && !parts[4].is_empty()
        && parts[5].eq_ignore_ascii_case("providers")
        && parts[6].eq_ignore_ascii_case("Microsoft.Compute")
        && parts[7].eq_ignore_ascii_case("diskEncryptionSets")
        && !parts[8].is_empty()
}

fn allowed_list(list: &[String]) -> String {
    list.join(", ")
}

fn storage_class(
    req: &Request<'_>,
    s: &Settings,
    c: &Compiled,
    f: &mut Findings,
) -> Result<(), ObjectError> {
    let Some(sc) = req.object_as::<StorageClassView>()? else {
        return Ok(());
    };
    let p = sc.provisioner.as_str();
    if let Some((_, csi)) = IN_TREE.iter().find(|(t, _)| *t == p) {
        f.object(format!(
            "provisioner {p:?} is the in-tree Azure driver; use the CSI driver {csi:?}"
        ));
    } else if !c.provisioners.iter().any(|g| g.matches(p)) {
        f.object(format!(
            "provisioner {p:?} is not in allowedProvisioners ({})",
            allowed_list(&s.allowed_provisioners)
        ));
    }
    if s.require_disk_encryption_set && p == "disk.csi.azure.com" {
        // The Azure Disk CSI driver reads its parameters without regard to case.
        let params = sc.parameters.unwrap_or_default();
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(key, v)| (key.as_str(), v.as_str()))
        };
        match get("diskEncryptionSetID") {
            None => f.object(
                "sets no parameters.diskEncryptionSetID: disks would be encrypted with platform-managed keys (requireDiskEncryptionSet)",
            ),
            Some((key, v)) if !is_disk_encryption_set_id(v) => f.object(format!(
                "parameters.{key} {v:?} is not the resource id of a disk encryption set (/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/diskEncryptionSets/…)"
            )),
            Some(_) => {}
        }
        if let Some((key, v)) = get("diskEncryptionType")
            && !(v.eq_ignore_ascii_case("EncryptionAtRestWithCustomerKey")
                || v.eq_ignore_ascii_case("EncryptionAtRestWithPlatformAndCustomerKeys"))
        {
            f.object(format!(
                "parameters.{key} {v:?} does not use customer-managed keys (EncryptionAtRestWithCustomerKey or EncryptionAtRestWithPlatformAndCustomerKeys)"
            ));
        }
    }
    Ok(())
}

fn check_claim_class(
    claim: &ClaimView,
    base: &str,
    s: &Settings,
    c: &Compiled,
    f: &mut Findings,
    require: bool,
) {
    if c.classes.is_empty() {
        return;
    }
    match claim.class() {
        Some((class, field)) if !c.classes.iter().any(|g| g.matches(class)) => {
            f.object(format!(
                "{base}{field} {class:?} is not in allowedStorageClasses ({})",
                allowed_list(&s.allowed_storage_classes)
            ));
        }
        Some(_) => {}
        None if require => f.object(format!(
            "{base}spec.storageClassName is not set and no default StorageClass filled it in; use one of allowedStorageClasses ({})",
            allowed_list(&s.allowed_storage_classes)
        )),
        None => {}
    }
}

fn claim(
    req: &Request<'_>,
    s: &Settings,
    c: &Compiled,
    f: &mut Findings,
) -> Result<(), ObjectError> {
    let Some(new) = req.object_as::<ClaimView>()? else {
        return Ok(());
    };
    if req.operation == Operation::Update {
        // The class is immutable once set; the only change is a controller assigning the
        // default class to a claim that had none (retroactive default StorageClass).
        let old = req.old_object_as::<ClaimView>()?.unwrap_or_default();
        if old.class().is_some() || new.class().is_none() {
            return Ok(());
        }
    }
    check_claim_class(&new, "", s, c, f, true);
    Ok(())
}

fn stateful_set(
    req: &Request<'_>,
    s: &Settings,
    c: &Compiled,
    f: &mut Findings,
) -> Result<(), ObjectError> {
    let Some(sts) = req.object_as::<StatefulSetView>()? else {
        return Ok(());
    };
    for (i, t) in sts
        .spec
        .volume_claim_templates
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        // A template without a class gets the default class when its claims are created; the
        // claims are checked then.
        check_claim_class(
            t,
            &format!("spec.volumeClaimTemplates[{i}]."),
            s,
            c,
            f,
            false,
        );
    }
    Ok(())
}

fn persistent_volume(
    req: &Request<'_>,
    s: &Settings,
    c: &Compiled,
    f: &mut Findings,
) -> Result<(), ObjectError> {
    let Some(pv) = req.object_as::<PvView>()? else {
        return Ok(());
    };
    if pv.spec.host_path.is_some() && !s.allow_host_path_volumes {
        f.object("uses spec.hostPath: a hostPath PersistentVolume exposes the node's file system to any pod that claims it (allowHostPathVolumes is false)");
    }
    if pv.spec.azure_disk.is_some() {
        f.object("uses the in-tree spec.azureDisk source; use a CSI volume (disk.csi.azure.com)");
    }
    if pv.spec.azure_file.is_some() {
        f.object("uses the in-tree spec.azureFile source; use a CSI volume (file.csi.azure.com)");
    }
    if let Some(csi) = &pv.spec.csi
        && !c.provisioners.iter().any(|g| g.matches(&csi.driver))
    {
        f.object(format!(
            "spec.csi.driver {:?} is not in allowedProvisioners ({})",
            csi.driver,
            allowed_list(&s.allowed_provisioners)
        ));
    }
    Ok(())
}

/// Checks StorageClasses, claims, StatefulSet claim templates and PersistentVolumes.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let s = &ctx.settings;
    let c = match s.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let mut f = Findings::new();
    let outcome = match (req.kind.group.as_str(), req.kind.kind.as_str()) {
        ("storage.k8s.io", "StorageClass") => storage_class(req, s, &c, &mut f),
        ("", "PersistentVolumeClaim") => claim(req, s, &c, &mut f),
        ("apps", "StatefulSet") => stateful_set(req, s, &c, &mut f),
        ("", "PersistentVolume") => persistent_volume(req, s, &c, &mut f),
        _ => Ok(()),
    };
    match outcome {
        Ok(()) => f.into_verdict(),
        Err(e) => unreadable(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_encryption_set_ids() {
        assert!(is_disk_encryption_set_id(
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-cmk/providers/Microsoft.Compute/diskEncryptionSets/des-aks"
        ));
        assert!(is_disk_encryption_set_id(
            "/SUBSCRIPTIONS/x/resourcegroups/rg/providers/microsoft.compute/diskencryptionsets/d"
        ));
        for bad in [
            "",
            "des-aks",
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/",
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/d/extra",
            "subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/d",
        ] {
            assert!(!is_disk_encryption_set_id(bad), "{bad}");
        }
    }
}
