//! The rule: `kubectl exec`, `attach` and `port-forward` (CONNECT on `pods/exec`,
//! `pods/attach`, `pods/portforward`) are denied where the namespace is protected, unless the
//! user breaks glass; every allowed one is recorded. Roles granting them are reported.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::rbac::{Permission, RoleReview, RuleFinding, mark_widened, report_aggregation};
use policy_helpers::request::ObjectMeta;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Policy, Request, Verdict};

use crate::RestrictPodExecAttachPortforward;
use crate::settings::{Compiled, Mode, RoleGrants, Settings};

/// The operations evaluated: CONNECT for the connections, CREATE and UPDATE for roles.
pub const OPERATIONS: &[Operation] = &[Operation::Connect, Operation::Create, Operation::Update];

const CONTROLS: &str = RestrictPodExecAttachPortforward::CONTROLS;

/// How a namespace's labels are read (the host capability in a cluster, a map in tests).
pub type LabelLookup<'a> = &'a dyn Fn(&str) -> Result<BTreeMap<String, String>, String>;

/// Longest command text recorded in warnings and audit annotations.
const MAX_COMMAND: usize = 200;

policy_helpers::view! {
    /// The options object of a CONNECT request (`PodExecOptions`, `PodAttachOptions`,
    /// `PodPortForwardOptions`).
    #[derive(Debug, Default)]
    pub struct ConnectOptions {
        /// Target container.
        pub container: Option<String> = "container",
        /// Command (exec).
        pub command: Option<Vec<String>> = "command",
        /// Ports (port-forward).
        pub ports: Option<Vec<u32>> = "ports",
    }
}

/// Routes the request.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let c = match ctx.settings.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    if req.operation == Operation::Connect {
        connect(req, &ctx.settings, &c, &namespace_labels)
    } else if ctx.settings.role_grants != RoleGrants::Ignore {
        role(req, &ctx.settings, &c)
    } else {
        Verdict::accept()
    }
}

/// Reads a namespace's labels through the `kubernetes/get_resource` host capability
/// ([`policy_helpers::host`], answered by the engine, or off-engine by the installed handler).
///
/// # Errors
/// The host's error, a message when the answer is not a Namespace, or when the namespace does
/// not exist (the caller fails closed on every error).
pub fn namespace_labels(ns: &str) -> Result<BTreeMap<String, String>, String> {
    policy_helpers::view! {
        #[derive(Default)]
        struct Ns {
            metadata: ObjectMeta = "metadata",
        }
    }
    match policy_helpers::host::get::<Ns>("v1", "Namespace", ns, None) {
        Ok(Some(n)) => Ok(n.metadata.labels),
        Ok(None) => Err(format!("namespace {ns:?} was not found")),
        Err(e) => Err(e.to_string()),
    }
}

fn any(globs: &[policy_helpers::glob::Glob], s: &str) -> bool {
    globs.iter().any(|g| g.matches(s))
}

/// Why the namespace is protected, if it is.
fn protection(ns: &str, s: &Settings, c: &Compiled, labels: LabelLookup<'_>) -> Option<String> {
    match s.mode {
        Mode::RecordOnly => return None,
        Mode::DenyAll => return Some("mode is deny-all".into()),
        Mode::DenyProtected => {}
    }
    if let Some(g) = c.protected_namespaces.iter().find(|g| g.matches(ns)) {
        return Some(format!("protectedNamespaces lists {:?}", g.as_str()));
    }
    let sel = s.protected_namespace_selector.as_ref()?;
    match labels(ns) {
        Ok(l) if sel.matches(&l) => Some(format!(
            "its labels match protectedNamespaceSelector {}",
            sel.describe()
        )),
        Ok(_) => None,
        Err(e) => Some(format!(
            "its labels could not be read to apply protectedNamespaceSelector ({e}), so it is treated as protected; grant the policy read access to Namespaces (contextAwareResources) or list it in protectedNamespaces"
        )),
    }
}

fn truncate(s: String) -> String {
    if s.len() <= MAX_COMMAND {
        return s;
    }
    let mut end = MAX_COMMAND;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Evaluates a CONNECT request with the given namespace-label lookup.
pub fn connect(req: &Request<'_>, s: &Settings, c: &Compiled, labels: LabelLookup<'_>) -> Verdict {
    if req.resource.resource != "pods" || !req.resource.group.is_empty() {
        return Verdict::accept();
    }
    let Some(sub) = req.subresource() else {
        return Verdict::accept();
    };
    if !s.subresources.iter().any(|x| x == sub) {
        return Verdict::accept();
    }
    let opts = match req.object_as::<ConnectOptions>() {
        Ok(o) => o.unwrap_or_default(),
        Err(e) => return Verdict::unreadable(format!("{sub} options cannot be read: {e}")),
    };
    let ns = req.namespace.as_deref().unwrap_or("");
    let pod = req.name.as_deref().unwrap_or("");
    let user = &req.user_info.username;
    let verb = match sub {
        "portforward" => "port-forward",
        other => other,
    };
    let mut what = format!("{verb} (pods/{sub})");
    let container = opts.container.as_deref().filter(|c| !c.is_empty());
    if let Some(ct) = container {
        what.push_str(&format!(" into container {ct:?}"));
    }
    let command = opts
        .command
        .as_ref()
        .filter(|c| !c.is_empty())
        .map(|c| truncate(c.join(" ")));
    if let Some(cmd) = &command {
        what.push_str(&format!(" running {cmd:?}"));
    }
    let ports = opts
        .ports
        .as_ref()
        .filter(|p| !p.is_empty())
        .map(|p| p.iter().map(u32::to_string).collect::<Vec<_>>().join(","));
    if let Some(p) = &ports {
        what.push_str(&format!(" to ports {p}"));
    }
    what.push_str(&format!(" by User {user:?}"));

    // (kind, name, setting) of the break-glass identity, if any.
    let break_glass: Option<(&str, &str, &str)> = if any(&c.break_glass_users, user) {
        Some(("user", user.as_str(), "breakGlassUsers"))
    } else {
        req.user_info
            .groups
            .iter()
            .find(|g| any(&c.break_glass_groups, g))
            .map(|g| ("group", g.as_str(), "breakGlassGroups"))
    };
    let protected = protection(ns, s, c, labels);
    let mut f = Findings::new();
    if let Some(why) = &protected
        && break_glass.is_none()
    {
        let who = if c.break_glass_groups.is_empty() && c.break_glass_users.is_empty() {
            "no breakGlassGroups or breakGlassUsers are configured".to_string()
        } else {
            let mut l: Vec<&str> = s.break_glass_groups.iter().map(String::as_str).collect();
            l.extend(s.break_glass_users.iter().map(String::as_str));
            format!("only break-glass identities may connect ({})", l.join(", "))
        };
        f.object(format!(
            "{what} is denied: namespace {ns:?} is protected ({why}); {who}"
        ));
        return f.into_verdict();
    }
    let how = match (&protected, &break_glass) {
        (Some(_), Some((kind, name, key))) => format!(
            "is allowed as break-glass ({kind} {name:?} is in {key}) in protected namespace {ns:?} and recorded"
        ),
        _ => "is allowed and recorded".to_string(),
    };
    f.warn(format!("Pod {ns}/{pod}: {what} {how} [{CONTROLS}]"));
    let mut record = format!("{verb} pod={ns}/{pod}");
    if let Some(ct) = container {
        record.push_str(&format!(" container={ct}"));
    }
    record.push_str(&format!(" user={user}"));
    if let Some((kind, name, _)) = break_glass {
        record.push_str(&format!(" break-glass={kind}:{name}"));
    }
    if protected.is_some() {
        record.push_str(" protected=true");
    }
    if let Some(cmd) = &command {
        record.push_str(&format!(" command={cmd:?}"));
    }
    if let Some(p) = &ports {
        record.push_str(&format!(" ports={p}"));
    }
    f.annotate("pod-connect", record);
    f.into_verdict()
}

fn grants(rules: &[policy_helpers::rbac::PolicyRule], p: &Permission) -> Vec<RuleFinding> {
    rules
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let g = r.overlaps(p);
            if g.is_empty() {
                return None;
            }
            let mut resources: Vec<String> = Vec::new();
            for sub in &p.resources {
                let one = Permission {
                    resources: vec![sub.clone()],
                    ..p.clone()
                };
                if r.overlap(&one).is_some() {
                    resources.push(sub.clone());
                }
            }
            let verbs: Vec<String> = g.iter().map(|x| format!("{:?}", x.verb)).collect();
            Some(RuleFinding {
                rule: i,
                key: resources.join(","),
                detail: format!(
                    "grants {} on {} ({})",
                    verbs.join(", "),
                    resources.join(", "),
                    r.describe()
                ),
            })
        })
        .collect()
}

fn role(req: &Request<'_>, s: &Settings, c: &Compiled) -> Verdict {
    let review = match RoleReview::from_request(req) {
        Ok(Some(r)) => r,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    if review.is_named_by(&c.exempt_roles, req) {
        return Verdict::accept();
    }
    let id = req.identity(&review.role.metadata);
    let mut f = Findings::new();
    if let Some(agg) = &review.role.aggregation_rule {
        report_aggregation(&mut f, s.aggregated_cluster_roles, &id, CONTROLS, agg);
        return f.into_verdict();
    }
    let p = Permission {
        api_groups: vec![String::new()],
        resources: s.subresources.iter().map(|x| format!("pods/{x}")).collect(),
        verbs: vec!["create".into(), "get".into()],
    };
    let mut found = grants(&review.role.rules, &p);
    if found.is_empty() {
        return Verdict::accept();
    }
    if let Some(old) = &review.old {
        mark_widened(&mut found, &grants(&old.rules, &p));
    }
    let text: Vec<String> = found.iter().map(RuleFinding::message).collect();
    match s.role_grants {
        RoleGrants::Deny => {
            for t in text {
                f.object(t);
            }
        }
        _ => {
            f.warn(format!(
                "{id}: {} (recorded: whoever is bound to it can run commands in or tunnel into pods) [{CONTROLS}]",
                text.join("; ")
            ));
            f.annotate("connect-grant", text.join("; "));
        }
    }
    f.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_helpers::settings::check;

    fn exec(ns: &str, groups: &str) -> String {
        format!(
            r#"{{"uid":"1","kind":{{"kind":"PodExecOptions"}},"resource":{{"group":"","version":"v1","resource":"pods"}},
            "subResource":"exec","name":"api","namespace":"{ns}","operation":"CONNECT",
            "userInfo":{{"username":"u","groups":[{groups}]}},
            "object":{{"kind":"PodExecOptions","container":"c","command":["sh"]}}}}"#
        )
    }

    fn lookup(ns: &str) -> Result<BTreeMap<String, String>, String> {
        match ns {
            "pci" => Ok(BTreeMap::from([("pci-scope".into(), "in-scope".into())])),
            "shop" => Ok(BTreeMap::new()),
            _ => Err("not found".into()),
        }
    }

    fn run(settings: &str, request: &str) -> Verdict {
        let ctx = check::<Settings>(settings).unwrap();
        let c = ctx.settings.compile().unwrap();
        let req: Request = serde_json::from_str(request).unwrap();
        connect(&req, &ctx.settings, &c, &lookup)
    }

    #[test]
    fn protected_namespaces_deny_unless_break_glass() {
        assert!(matches!(
            run("{}", &exec("pci", "")),
            Verdict::Reject { .. }
        ));
        let bg = r#"{"breakGlassGroups":["sre"]}"#;
        match run(bg, &exec("pci", r#""sre""#)) {
            Verdict::Record {
                audit_annotations, ..
            } => assert!(
                audit_annotations[0]
                    .1
                    .contains("break-glass=group:sre protected=true")
            ),
            v => panic!("{v:?}"),
        }
        assert!(matches!(
            run("{}", &exec("shop", "")),
            Verdict::Record { .. }
        ));
        // A namespace whose labels cannot be read is treated as protected.
        assert!(matches!(
            run("{}", &exec("gone", "")),
            Verdict::Reject { .. }
        ));
        let off = r#"{"protectedNamespaceSelector":null,"protectedNamespaces":["p*"]}"#;
        assert!(matches!(
            run(off, &exec("gone", "")),
            Verdict::Record { .. }
        ));
        assert!(matches!(run(off, &exec("pci", "")), Verdict::Reject { .. }));
    }
}
