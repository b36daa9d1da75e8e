//! The rule: a pure function over the pod view.

use policy_helpers::capabilities::{is_all, normalise};
use policy_helpers::mutate::Mutation;
use policy_helpers::pod::{ContainerRef, PodObject};
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Lists, Settings};

const DROP: [&str; 3] = ["securityContext", "capabilities", "drop"];

/// Records the disallowed adds of one container.
fn check_adds(c: &ContainerRef<'_>, add: &[String], l: &Lists, findings: &mut Findings) {
    for (i, cap) in add.iter().enumerate() {
        let n = normalise(cap);
        let at = format!("securityContext.capabilities.add[{i}]={cap:?}");
        if n == "ALL" {
            if l.allowed.is_some() || !l.denied.is_empty() {
                findings.container(c, format!("adds ALL capabilities ({at})"));
            }
        } else if l.denied.iter().any(|d| *d == n || d == "ALL") {
            findings.container(c, format!("adds denied capability {n} ({at})"));
        } else if let Some(allowed) = &l.allowed
            && !allowed.contains(&n)
        {
            let only = if allowed.is_empty() {
                "no capability may be added".to_owned()
            } else {
                format!("allowed: {}", allowed.join(", "))
            };
            findings.container(c, format!("adds capability {n} ({at}); {only}"));
        }
    }
}

/// The required drops a container's `drop` list misses (none when it drops `ALL`).
fn missing_drops<'l>(drop: &[String], l: &'l Lists) -> Vec<&'l str> {
    if drop.iter().any(|d| is_all(d)) {
        return Vec::new();
    }
    l.required_drop
        .iter()
        .filter(|r| !drop.iter().any(|d| normalise(d) == **r))
        .map(String::as_str)
        .collect()
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
        let missing = missing_drops(drop, &lists);
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
    if !findings.is_empty() || fixes.is_empty() {
        return findings.into_verdict();
    }
    let mut m = match Mutation::from_request(req) {
        Ok(Some(m)) => m,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::unreadable(format!("cannot be read: {e}")),
    };
    for (c, missing) in &fixes {
        for cap in missing {
            m.append_unless(c, &DROP, (*cap).into(), |v| {
                v.as_str().is_some_and(|s| normalise(s) == *cap)
            });
        }
    }
    m.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(json: &str) -> Lists {
        serde_json::from_str::<Settings>(json)
            .unwrap()
            .lists()
            .unwrap()
    }

    #[test]
    fn drop_all_in_any_spelling_satisfies_every_required_drop() {
        let l = lists(r#"{"requiredDropCapabilities":["NET_RAW","cap_sys_admin"]}"#);
        assert!(missing_drops(&["all".into()], &l).is_empty());
        assert!(missing_drops(&["CAP_NET_RAW".into(), "SYS_ADMIN".into()], &l).is_empty());
        assert_eq!(missing_drops(&["net_raw".into()], &l), vec!["SYS_ADMIN"]);
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
