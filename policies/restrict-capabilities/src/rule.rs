//! The rule: a pure function over the pod view.

use policy_helpers::prelude::*;

use policy_helpers::capabilities::normalise;
use policy_helpers::mutate::default_unless_rejected;
use policy_helpers::pod::{ContainerRef, PodObject};
use policy_helpers::pss::{AddProblem, CapabilityRules};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::Settings;

const DROP: [&str; 3] = ["securityContext", "capabilities", "drop"];

/// Records the disallowed adds of one container.
fn check_adds(c: &ContainerRef<'_>, add: &[String], l: &CapabilityRules, findings: &mut Findings) {
    for (i, cap) in add.iter().enumerate() {
        let n = normalise(cap);
        let at = format!("securityContext.capabilities.add[{i}]={cap:?}");
        match (l.add_problem(cap), &l.allowed) {
            (None, _) => {}
            (Some(AddProblem::All), _) => {
                findings.container(c, format!("adds ALL capabilities ({at})"));
            }
            (Some(AddProblem::Denied), _) => {
                findings.container(c, format!("adds denied capability {n} ({at})"));
            }
            (Some(AddProblem::NotAllowed), allowed) => {
                let only = match allowed {
                    Some(a) if !a.is_empty() => format!("allowed: {}", a.join(", ")),
                    _ => "no capability may be added".to_owned(),
                };
                findings.container(c, format!("adds capability {n} ({at}); {only}"));
            }
        }
    }
}

/// Rejects containers adding a capability that is not allowed (or is denied; `ALL` is the
/// worst case), and containers not dropping the required ones; in the defaulting mode the
/// missing drops are appended instead. Names compare case-insensitively, with or without
/// `CAP_`. Pods declaring `os.name: windows` are accepted: the API server refuses
/// `capabilities` on them.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    if pod.spec.is_windows() {
        return Verdict::accept();
    }
    let lists = match ctx.settings.lists() {
        Ok(l) => l,
        Err(e) => return Verdict::unreadable(format!("invalid settings: {e}")),
    };
    let mut findings = Findings::new();
    let mut fixes: Vec<(ContainerRef<'_>, Vec<&str>)> = Vec::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let caps = c
            .container
            .security_context
            .as_ref()
            .and_then(|sc| sc.capabilities.as_ref());
        let (add, drop) = caps
            .map(|k| (k.add.as_slice(), k.drop.as_slice()))
            .unwrap_or_default();
        check_adds(&c, add, &lists, &mut findings);
        let missing = lists.missing_drops(drop);
        if missing.is_empty() {
            continue;
        }
        if ctx.settings.mutate {
            fixes.push((c, missing));
        } else {
            let have = if drop.is_empty() {
                "unset".to_owned()
            } else {
                format!("{drop:?}")
            };
            findings.container(
                &c,
                format!(
                    "does not drop {} (securityContext.capabilities.drop is {have})",
                    missing.join(", ")
                ),
            );
        }
    }
    default_unless_rejected(req, findings, !fixes.is_empty(), |m| {
        for (c, missing) in &fixes {
            for cap in missing {
                m.append_unless(c, &DROP, (*cap).into(), |v| {
                    v.as_str().is_some_and(|s| normalise(s) == *cap)
                });
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(json: &str) -> CapabilityRules {
        serde_json::from_str::<Settings>(json)
            .unwrap()
            .lists()
            .unwrap()
    }

    #[test]
    fn drop_all_in_any_spelling_satisfies_every_required_drop() {
        let l = lists(r#"{"requiredDropCapabilities":["NET_RAW","cap_sys_admin"]}"#);
        assert!(l.missing_drops(&["all".into()]).is_empty());
        assert!(
            l.missing_drops(&["CAP_NET_RAW".into(), "SYS_ADMIN".into()])
                .is_empty()
        );
        assert_eq!(l.missing_drops(&["net_raw".into()]), vec!["SYS_ADMIN"]);
    }

    #[test]
    fn levels_and_explicit_lists() {
        let r = lists("{}");
        assert_eq!(
            r.allowed.as_deref(),
            Some(&["NET_BIND_SERVICE".to_owned()][..])
        );
        assert_eq!(r.required_drop, vec!["ALL"]);
        let b = lists(r#"{"level":"baseline"}"#);
        assert!(b.allowed.unwrap().contains(&"CHOWN".to_owned()));
        assert!(b.required_drop.is_empty());
        assert!(lists(r#"{"allowedCapabilities":["*"]}"#).allowed.is_none());
    }
}
