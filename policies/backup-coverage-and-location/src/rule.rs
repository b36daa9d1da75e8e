//! The rule: BackupStorageLocations and Schedules are read directly; coverage of in-scope
//! namespaces is checked against the Namespaces and Schedules in the cluster.

use policy_helpers::prelude::*;

use policy_helpers::consumer::exact_true;
use policy_helpers::host::{self, HostError};
use policy_helpers::request::{ObjectMeta, decode};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};
use serde_json::value::RawValue;

use crate::cron;
use crate::selector::Selector;
use crate::settings::{Compiled, NamespaceCheck, Settings};
use crate::velero::{Namespace, Schedule};

/// The label that makes Velero skip an object.
pub const EXCLUDE_LABEL: &str = "velero.io/exclude-from-backup";

policy_helpers::view! {
    #[derive(Default)]
    struct ObjectStorage {
        bucket: String = "bucket",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct BslSpec {
        provider: String = "provider",
        object_storage: ObjectStorage = "objectStorage",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct BslView {
        spec: BslSpec = "spec",
    }
}

fn unreadable(e: impl core::fmt::Display) -> Verdict {
    Verdict::cannot_read(e)
}

/// Every Velero Schedule in the cluster. The items are decoded with the same decoder as the
/// request's object (one copy of the Schedule decoder in the module instead of two).
fn schedules() -> Result<Vec<Schedule>, Verdict> {
    let what = "the Velero Schedules";
    let raw = host::list_all::<Box<RawValue>>("velero.io/v1", "Schedule", None, None)
        .map_err(|e| lookup_failed(what, &e))?;
    raw.iter()
        .enumerate()
        .map(|(i, r)| {
            decode::<Schedule>(r.get()).map_err(|e| {
                lookup_failed(
                    what,
                    &HostError::BadAnswer {
                        call: "kubernetes/list_resources_all".into(),
                        reason: format!("items[{i}]: {e}"),
                    },
                )
            })
        })
        .collect()
}

fn lookup_failed(what: &str, e: &HostError) -> Verdict {
    let mut f = Findings::new();
    f.object(format!(
        "cannot verify backup coverage: listing {what} failed: {e}"
    ));
    f.into_verdict()
}

fn storage_location(
    req: &Request<'_>,
    s: &Settings,
    c: &Compiled,
    f: &mut Findings,
) -> Result<(), Verdict> {
    let bsl = req
        .object_as::<BslView>()
        .map_err(unreadable)?
        .unwrap_or_default();
    let p = &bsl.spec.provider;
    if !s.allowed_providers.iter().any(|a| a == p) {
        f.object(format!(
            "spec.provider {p:?} is not in allowedProviders ({}): backups may go only to approved, off-premises storage",
            s.allowed_providers.join(", ")
        ));
    }
    let b = &bsl.spec.object_storage.bucket;
    if !c.buckets.is_empty() && !c.buckets.iter().any(|g| g.matches(b)) {
        f.object(format!(
            "spec.objectStorage.bucket {b:?} is not in allowedBuckets ({})",
            s.allowed_buckets.join(", ")
        ));
    }
    Ok(())
}

/// The in-scope namespaces no schedule covers, given the schedules in the cluster with the one
/// under admission replaced by `replacement` (or removed).
fn uncovered(
    namespaces: &[Namespace],
    schedules: &[Schedule],
    skip: (&str, &str),
    replacement: Option<&Schedule>,
    require_volumes: bool,
) -> Vec<String> {
    namespaces
        .iter()
        .map(|n| n.metadata.name.as_str())
        .filter(|ns| {
            let by_others = schedules
                .iter()
                .filter(|s| (s.metadata.namespace.as_str(), s.metadata.name.as_str()) != skip)
                .any(|s| s.covers(ns, require_volumes));
            let by_this = replacement.is_some_and(|s| s.covers(ns, require_volumes));
            !by_others && !by_this
        })
        .map(str::to_string)
        .collect()
}

fn schedule(
    req: &Request<'_>,
    meta: &ObjectMeta,
    s: &Settings,
    c: &Compiled,
    f: &mut Findings,
) -> Result<(), Verdict> {
    let new = req.object_as::<Schedule>().map_err(unreadable)?;
    if let Some(new) = &new {
        match new.spec.schedule.as_deref() {
            None => f.object("sets no spec.schedule"),
            Some(expr) => {
                if let Err(e) = cron::validate(expr) {
                    f.object(format!(
                        "spec.schedule {expr:?} is not a valid schedule: {e}"
                    ));
                }
            }
        }
        if s.require_volumes
            && let Some(why) = new.spec.template.volumes_left_out()
        {
            f.object(format!(
                "{why}: volumes would not be backed up (requireVolumes)"
            ));
        }
    }
    // Coverage can only shrink through an UPDATE or a DELETE.
    let Some(scope) = &c.scope else { return Ok(()) };
    if req.operation == Operation::Create {
        return Ok(());
    }
    let namespaces = host::list_all::<Namespace>("v1", "Namespace", Some(&scope.to_string()), None)
        .map_err(|e| lookup_failed("the in-scope Namespaces", &e))?;
    if namespaces.is_empty() {
        return Ok(());
    }
    let schedules = schedules()?;
    let ns = req.effective_namespace(meta);
    let skip = (ns, meta.name.as_str());
    let old = req.old_object_as::<Schedule>().map_err(unreadable)?;
    let before = uncovered(
        &namespaces,
        &schedules,
        skip,
        old.as_ref(),
        s.require_volumes,
    );
    let after = uncovered(
        &namespaces,
        &schedules,
        skip,
        new.as_ref(),
        s.require_volumes,
    );
    let lost: Vec<&String> = after.iter().filter(|n| !before.contains(n)).collect();
    if !lost.is_empty() {
        f.object(format!(
            "{} would leave in-scope namespaces without a backup schedule covering them with their volumes: {} (requiredNamespacesSelector {scope})",
            req.operation,
            lost.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}

fn namespace(
    req: &Request<'_>,
    meta: &ObjectMeta,
    s: &Settings,
    scope: &Selector,
    f: &mut Findings,
) -> Result<(), Verdict> {
    // A Namespace being deleted is only losing its finalizers.
    if s.namespace_check == NamespaceCheck::Off
        || meta.deletion_timestamp.is_some()
        || !scope.matches(&meta.labels)
    {
        return Ok(());
    }
    let schedules = schedules()?;
    if schedules
        .iter()
        .any(|sc| sc.covers(&meta.name, s.require_volumes))
    {
        return Ok(());
    }
    let what = format!(
        "is in scope ({scope}) but no Velero Schedule backs it up with its volumes; create or extend a Schedule first (namespaceCheck: {})",
        if s.namespace_check == NamespaceCheck::Deny {
            "deny"
        } else {
            "warn"
        }
    );
    if s.namespace_check == NamespaceCheck::Deny {
        f.object(what);
    } else {
        f.warn(format!("{}: {what}", req.identity(meta)));
    }
    Ok(())
}

fn claim(
    req: &Request<'_>,
    meta: &ObjectMeta,
    scope: &Selector,
    f: &mut Findings,
) -> Result<(), Verdict> {
    // Velero skips an item only when the label is exactly "true" (item_backupper.go).
    if !exact_true(meta.labels.get(EXCLUDE_LABEL).map(String::as_str)) {
        return Ok(());
    }
    let ns = req.effective_namespace(meta);
    let found = host::get::<Namespace>("v1", "Namespace", ns, None).map_err(|e| {
        let mut g = Findings::new();
        g.object(format!(
            "cannot verify backup coverage: looking up Namespace {ns} failed: {e}"
        ));
        g.into_verdict()
    })?;
    let labels = found.and_then(|n| n.metadata.labels).unwrap_or_default();
    if scope.matches(&labels) {
        f.object(format!(
            "sets metadata.labels[{EXCLUDE_LABEL}]=true in namespace {ns:?}, which is in scope ({scope}): its volume would be left out of the backups"
        ));
    }
    Ok(())
}

/// Checks BackupStorageLocations, Schedules, in-scope Namespaces and claims.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let s = &ctx.settings;
    let c = match s.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return unreadable(e),
    };
    let mut f = Findings::new();
    let op = req.operation;
    let outcome = match (req.kind.group.as_str(), req.kind.kind.as_str()) {
        ("velero.io", "BackupStorageLocation") if op != Operation::Delete => {
            storage_location(req, s, &c, &mut f)
        }
        ("velero.io", "Schedule") => schedule(req, &meta, s, &c, &mut f),
        ("", "Namespace") if op != Operation::Delete => match &c.scope {
            Some(scope) => namespace(req, &meta, s, scope, &mut f),
            None => Ok(()),
        },
        ("", "PersistentVolumeClaim") if op != Operation::Delete => match &c.scope {
            Some(scope) => claim(req, &meta, scope, &mut f),
            None => Ok(()),
        },
        _ => Ok(()),
    };
    match outcome {
        Ok(()) => f.into_verdict(),
        Err(v) => v,
    }
}
