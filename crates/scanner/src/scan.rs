//! Scanning plain Kubernetes manifests (not admission requests) against every module of a
//! bundle: each object read by [`admission::manifest`] becomes the CREATE AdmissionRequest the
//! API server would send for it ([`admission::request`]), and every module whose metadata
//! `rules` route that request evaluates it with its settings.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use admission::fixture::ClusterFixture;
use admission::kinds::KindCatalog;
use admission::manifest::{InputError, Manifests};
use admission::request::{RequestDefaults, admission_request_in};
use host_test::evaluate::EvalOptions;
use host_test::response::PolicyMode;
use serde_json::Value;

use crate::policies::{ScanPolicy, Severity};
use crate::report::{Finding, InputErrorMode, Outcome, PolicyInfo, ScanReport};

/// Reports progress: called with (evaluations done, evaluations in all).
#[derive(Clone)]
pub struct ProgressSink(pub Arc<dyn Fn(usize, usize) + Send + Sync>);

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// How a scan runs.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Namespace and user of the requests.
    pub defaults: RequestDefaults,
    /// The cluster that already exists (empty when `None`): host calls are answered from it
    /// and, when `manifests_as_context`, from the scanned objects.
    pub cluster: Option<Arc<ClusterFixture>>,
    /// Whether the scanned objects are part of the cluster the Kubernetes host calls see
    /// (each evaluation does not see the object it evaluates, which is being created).
    pub manifests_as_context: bool,
    /// Evaluations run in parallel on this many threads (0: as many as the machine has).
    pub threads: usize,
    /// The lowest severity whose violations fail the scan (`None`: nothing fails).
    pub fail_on: Option<Severity>,
    /// Objects of kinds nothing declares are scanned with a warning (the default) instead of
    /// being input errors (`--strict-kinds`).
    pub allow_unknown_kinds: bool,
    /// Whether input errors fail the scan (the default) or are only reported.
    pub input_errors: InputErrorMode,
    /// Called as evaluations finish.
    pub progress: Option<ProgressSink>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            defaults: RequestDefaults::default(),
            cluster: None,
            manifests_as_context: true,
            threads: 0,
            fail_on: Some(Severity::Low),
            allow_unknown_kinds: true,
            input_errors: InputErrorMode::Fail,
            progress: None,
        }
    }
}

/// The key that makes two objects the same object of a cluster.
fn identity(object: &Value) -> Option<(String, String, Option<String>, String)> {
    let api_version = object.get("apiVersion").and_then(Value::as_str)?;
    let kind = object.get("kind").and_then(Value::as_str)?;
    let name = object.pointer("/metadata/name").and_then(Value::as_str)?;
    let namespace = object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((
        admission::kinds::api_group(api_version).to_owned(),
        kind.to_owned(),
        namespace,
        name.to_owned(),
    ))
}

/// The cluster the evaluations see: the fixture's objects (but those the scan redefines),
/// then every named scanned object as the API server would store it, plus the cluster-scoped
/// kinds of CustomResourceDefinitions. Returns it with, per scanned object, its index in it.
fn context_cluster(
    base: &ClusterFixture,
    requests: &[Value],
    catalog: &KindCatalog,
) -> (ClusterFixture, Vec<Option<usize>>) {
    let scanned: BTreeMap<_, ()> = requests
        .iter()
        .filter_map(|r| r.get("object").and_then(identity))
        .map(|key| (key, ()))
        .collect();
    let mut cluster = ClusterFixture {
        objects: base
            .objects
            .iter()
            .filter(|o| identity(o).is_none_or(|key| !scanned.contains_key(&key)))
            .cloned()
            .collect(),
        ..base.clone()
    };
    cluster
        .cluster_scoped_kinds
        .extend(catalog.custom_cluster_scoped_kinds().map(str::to_owned));
    let mut positions = Vec::with_capacity(requests.len());
    for request in requests {
        match request.get("object") {
            Some(object) if identity(object).is_some() => {
                positions.push(Some(cluster.objects.len()));
                cluster.objects.push(object.clone());
            }
            _ => positions.push(None),
        }
    }
    (cluster, positions)
}

/// Evaluates every object of `manifests` with every policy whose metadata rules route its
/// CREATE request (objects in input order, uids `scan-1`, `scan-2`, …), as policy-server
/// runs the policy in protect mode (a monitor-mode policy's verdict is reported as it would
/// be enforced, and never fails the scan), allowed to mutate as the policy says, with every
/// host capability and the module's context-aware resources. Kubernetes host calls see the
/// cluster fixture plus (with `manifests_as_context`) the other scanned objects.
pub fn scan(policies: &[ScanPolicy], manifests: Manifests, options: &ScanOptions) -> ScanReport {
    // Every cluster has its built-in namespaces; a fixture may define them itself.
    let base = options
        .cluster
        .as_deref()
        .map_or_else(ClusterFixture::empty, ClusterFixture::clone)
        .with_builtin_namespaces();
    let base = &base;
    let catalog = KindCatalog::new(base, manifests.objects.iter().map(|m| &m.object));
    let mut input_errors: Vec<InputError> = manifests
        .errors
        .into_iter()
        .map(explain_input_error)
        .collect();
    let mut warnings = manifests.notes;
    let notes = manifests.info;
    let skipped = manifests.skipped;
    for manifest in &manifests.objects {
        let group = admission::kinds::api_group(manifest.api_version());
        if catalog.lookup(group, manifest.kind()).is_none() {
            let scope =
                if catalog.is_object_cluster_scoped(group, manifest.kind(), &manifest.object) {
                    "as cluster-scoped (no metadata.namespace)".to_owned()
                } else {
                    "as namespaced (it has metadata.namespace)".to_owned()
                };
            let problem = InputError::at(
                &manifest.file,
                manifest.line,
                format!(
                    "unknown kind {} {}: not a built-in Kubernetes kind, and no CustomResourceDefinition among the inputs or in the cluster fixture declares it{}",
                    manifest.api_version(),
                    manifest.kind(),
                    if options.allow_unknown_kinds {
                        format!(
                            "; scanned {scope}, resource {} (--strict-kinds makes this an error)",
                            catalog.resource(group, manifest.kind())
                        )
                    } else {
                        String::new()
                    }
                ),
            );
            if options.allow_unknown_kinds {
                warnings.push(problem);
            } else {
                input_errors.push(problem);
            }
        }
    }
    let requests: Vec<Value> = manifests
        .objects
        .iter()
        .enumerate()
        .map(|(i, m)| admission_request_in(&m.object, i + 1, &options.defaults, &catalog))
        .collect();
    let mut first_seen: BTreeMap<_, usize> = BTreeMap::new();
    for (index, request) in requests.iter().enumerate() {
        let Some(key) = request.get("object").and_then(identity) else {
            continue;
        };
        if let Some(first) = first_seen.get(&key) {
            let first = &manifests.objects[*first];
            let manifest = &manifests.objects[index];
            warnings.push(InputError::at(
                &manifest.file,
                manifest.line,
                format!(
                    "{} {} is also defined at {}:{} (creating it again would fail)",
                    manifest.kind(),
                    match &key.2 {
                        Some(ns) => format!("{ns}/{}", key.3),
                        None => key.3.clone(),
                    },
                    first.file,
                    first.line
                ),
            ));
        } else {
            first_seen.insert(key, index);
        }
    }
    let (cluster, positions) = if options.manifests_as_context {
        context_cluster(base, &requests, &catalog)
    } else {
        (base.clone(), vec![None; requests.len()])
    };
    let (cluster, undefined) = with_undefined_namespaces(cluster, &requests);
    for (namespace, first) in &undefined {
        let manifest = &manifests.objects[*first];
        let users = requests
            .iter()
            .filter(|r| r.get("namespace").and_then(Value::as_str) == Some(namespace))
            .count();
        warnings.push(InputError::at(
            &manifest.file,
            manifest.line,
            format!(
                "namespace \"{namespace}\" is used by {users} object{} but neither the inputs nor \
                 the cluster fixture define it: a cluster needs it created first; the scan assumes \
                 it with no labels but kubernetes.io/metadata.name (add the Namespace to the \
                 inputs or to --cluster to scan with its labels)",
                if users == 1 { "" } else { "s" }
            ),
        ));
    }
    let mut notes = notes;
    // Policies that judge by objects only a running cluster has (vulnerability reports) are
    // not run when the scan's cluster holds none: every object would be "cannot be checked".
    let runnable: Vec<bool> = policies
        .iter()
        .map(|policy| {
            let needs = policy.needs_objects();
            if needs.is_empty() || needs.iter().any(|(group, kind, _)| holds(&cluster, group, kind)) {
                return true;
            }
            let spelled: Vec<&str> = needs.iter().map(|(_, _, s)| s.as_str()).collect();
            notes.push(InputError::general(format!(
                    "policy {} not run: it judges by {} objects, which a running cluster \
                     produces and a repository does not hold, and this scan has none; give them \
                     in --cluster (e.g. exported with `kubectl get {} -A -o yaml`) to judge with them",
                    policy.id,
                    spelled.join(", "),
                    needs
                        .iter()
                        .map(|(group, kind, _)| match catalog.resource(group, kind) {
                            resource if group.is_empty() => resource,
                            resource => format!("{resource}.{group}"),
                        })
                        .collect::<Vec<_>>()
                        .join(",")
            )));
            false
        })
        .collect();
    let cluster = Arc::new(cluster);
    // (namespace, policy) pairs a profile's namespaceSelector leaves out, with how many.
    let mut unselected: BTreeMap<String, (usize, std::collections::BTreeSet<usize>)> =
        BTreeMap::new();
    let mut jobs: Vec<(usize, usize)> = Vec::new();
    for (object, request) in requests.iter().enumerate() {
        let mut excluded_here = false;
        for (index, policy) in policies.iter().enumerate() {
            if !runnable[index]
                || !policy
                    .module
                    .metadata()
                    .is_some_and(|m| m.routes_request(request))
            {
                continue;
            }
            if policy.selects(request) {
                jobs.push((object, index));
            } else if let Some(namespace) = crate::policies::selector_namespace(request) {
                let entry = unselected.entry(namespace.to_owned()).or_default();
                entry.1.insert(index);
                excluded_here = true;
            }
        }
        if excluded_here
            && let Some(namespace) = crate::policies::selector_namespace(request)
            && let Some(entry) = unselected.get_mut(namespace)
        {
            entry.0 += 1;
        }
    }
    for (namespace, (objects, skipped)) in &unselected {
        notes.push(InputError::general(format!(
            "{objects} object{} in namespace \"{namespace}\" not evaluated by {} of the \
                 profile's policies: their namespaceSelector leaves the namespace out, as the \
                 profile's excludedNamespaces say (the cluster would not send them these objects; \
                 a profile file with its own excludedNamespaces, or includeSystemNamespaces on an \
                 entry, changes that)",
            if *objects == 1 { "" } else { "s" },
            skipped.len()
        )));
    }

    let evaluate = |(object, policy): (usize, usize)| -> Finding {
        let manifest = &manifests.objects[object];
        let request = &requests[object];
        let policy = &policies[policy];
        let eval_options = EvalOptions {
            policy_id: Some(policy.id.clone()),
            mode: PolicyMode::Protect,
            allowed_to_mutate: policy.allowed_to_mutate,
            cluster: Some(cluster.clone()),
            hidden_object: positions[object],
            ..EvalOptions::default()
        };
        let (outcome, allowed, message, code, warnings) =
            match policy
                .module
                .validate_with(request, &policy.settings, &eval_options)
            {
                Ok(evaluation) => {
                    let failed =
                        evaluation.failure.is_some() || evaluation.policy_response.is_none();
                    let outcome = if failed {
                        Outcome::Error
                    } else if evaluation.allowed() {
                        Outcome::Allowed
                    } else {
                        Outcome::Rejected
                    };
                    (
                        outcome,
                        evaluation.allowed(),
                        evaluation.message().map(str::to_owned),
                        evaluation.code(),
                        evaluation.response.warnings.clone().unwrap_or_default(),
                    )
                }
                Err(e) => (
                    Outcome::Error,
                    false,
                    Some(host_test::suite::error_chain(&e)),
                    None,
                    Vec::new(),
                ),
            };
        let paths = match (&message, outcome) {
            (Some(message), Outcome::Rejected) => crate::report::field_paths(message),
            _ => Vec::new(),
        };
        Finding {
            file: manifest.file.clone(),
            line: manifest.line,
            source: manifest.source.clone(),
            api_version: manifest.api_version().to_owned(),
            kind: manifest.kind().to_owned(),
            namespace: request
                .get("namespace")
                .and_then(Value::as_str)
                .map(str::to_owned),
            name: manifest.name().map(str::to_owned),
            policy: policy.id.clone(),
            outcome,
            allowed,
            message,
            code,
            controls: policy.controls.clone(),
            severity: policy.severity,
            mode: policy.mode,
            paths,
            warnings,
        }
    };

    let total = jobs.len();
    let done = AtomicUsize::new(0);
    let tick = || {
        let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(progress) = &options.progress {
            (progress.0)(finished, total);
        }
    };
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let findings: Vec<Finding> =
        crate::parallel::map_in_order(&jobs, threads, |job| evaluate(*job), tick);
    ScanReport {
        objects: manifests.objects.len(),
        policies: policies.iter().map(PolicyInfo::of).collect(),
        findings,
        input_errors,
        warnings,
        notes,
        input_errors_mode: options.input_errors,
        skipped,
        fail_on: options.fail_on,
    }
}

/// Whether `cluster` holds an object of `kind` in API `group`.
fn holds(cluster: &ClusterFixture, group: &str, kind: &str) -> bool {
    cluster.objects.iter().any(|o| {
        o.get("kind").and_then(Value::as_str) == Some(kind)
            && o.get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|v| admission::kinds::api_group(v) == group)
    })
}

/// `cluster` plus a Namespace (labelled only `kubernetes.io/metadata.name`) for every namespace
/// a request is in that the cluster does not hold, and those namespaces with the index of the
/// first object in each. Policies that look a namespace up (its labels) then judge the object
/// as in a namespace without labels, instead of failing closed on a namespace that the
/// repository expects to exist (created by a platform team, another repository or a chart).
fn with_undefined_namespaces(
    cluster: ClusterFixture,
    requests: &[Value],
) -> (ClusterFixture, Vec<(String, usize)>) {
    let defined: std::collections::BTreeSet<&str> = cluster
        .objects
        .iter()
        .filter(|o| {
            o.get("kind").and_then(Value::as_str) == Some("Namespace")
                && o.get("apiVersion").and_then(Value::as_str) == Some("v1")
        })
        .filter_map(|o| o.pointer("/metadata/name").and_then(Value::as_str))
        .collect();
    let mut undefined: Vec<(String, usize)> = Vec::new();
    for (index, request) in requests.iter().enumerate() {
        if let Some(namespace) = request.get("namespace").and_then(Value::as_str)
            && !defined.contains(namespace)
            && !undefined.iter().any(|(n, _)| n == namespace)
        {
            undefined.push((namespace.to_owned(), index));
        }
    }
    let cluster = cluster.with_namespaces(undefined.iter().map(|(n, _)| n.as_str()));
    (cluster, undefined)
}

/// An input error with what the API server and kubectl would make of it, where that differs
/// from a plain parse error: a duplicate mapping key (kubectl's YAML-to-JSON conversion,
/// sigs.k8s.io/yaml's non-strict `YAMLToJSON`, keeps the last value and drops the others
/// before the API server's strict field validation sees the request, so `kubectl apply -f`
/// applies the file silently without them; kustomize, reading YAML strictly, refuses it).
fn explain_input_error(mut error: InputError) -> InputError {
    if error.message.contains("duplicate entry with key") {
        error.message.push_str(
            " (a duplicate mapping key: `kubectl apply -f` would silently keep only the last \
             value, as its YAML-to-JSON conversion drops the others before the API server's \
             strict field validation sees them; `kubectl apply -k` and kustomize refuse the file; \
             not scanned: remove the duplicate)",
        );
    }
    error
}
