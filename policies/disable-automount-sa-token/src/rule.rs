//! The rule. For pods: the effective `automountServiceAccountToken` is the pod's value, or,
//! when the pod leaves it unset, the value of its ServiceAccount, read through the engine's
//! Kubernetes capability (never guessed). A token that would be mounted is a finding; a lookup
//! that fails is a finding too (fail closed, naming the failed call). When the token is
//! disabled, a container mounting something at the token path is re-creating it by hand. For
//! ServiceAccounts: `automountServiceAccountToken: false` is required.

use policy_helpers::prelude::*;

use policy_helpers::identity::{self, SA_TOKEN_PATH, ServiceAccount, ServiceAccountPatterns};
use policy_helpers::pod::PodObject;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Scope, Settings};

/// Users under which kube-controller-manager creates each namespace's `default` ServiceAccount.
const SA_CONTROLLER_USERS: &[&str] = &[
    "system:serviceaccount:kube-system:service-account-controller",
    "system:kube-controller-manager",
];

/// Where a mount exposes the token (`/var/run` is a link to `/run`).
fn exposes_token(mount_path: &str) -> bool {
    let p = mount_path.trim_end_matches('/');
    [SA_TOKEN_PATH, "/run/secrets/kubernetes.io/serviceaccount"]
        .iter()
        .any(|t| p == *t || t.starts_with(&format!("{p}/")) || p.starts_with(&format!("{t}/")))
        && !p.is_empty()
}

/// Checks pod-bearing kinds and ServiceAccounts.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let allowed = match ctx.settings.allowed() {
        Ok(a) => a,
        Err(e) => return Verdict::unreadable(format!("has invalid settings: {e}")),
    };
    let scope = ctx.settings.scope;
    if req.kind.group.is_empty() && req.kind.kind == "ServiceAccount" {
        if scope == Scope::Pod {
            return Verdict::accept();
        }
        return check_service_account(req, &allowed);
    }
    if scope == Scope::Serviceaccount {
        return Verdict::accept();
    }
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let namespace = req.effective_namespace(&pod.metadata).to_string();
    let sa = pod.spec.service_account().to_string();
    if allowed.matches(&namespace, &sa) {
        return Verdict::accept();
    }
    let base = pod.spec_path();
    let mut findings = Findings::new();
    // Through the subresource only ephemeral containers change: check their mounts only.
    let disabled = if pod.ephemeral_only {
        true
    } else {
        match pod.spec.automount_service_account_token {
            Some(false) => true,
            Some(true) => {
                findings.object(format!(
                    "sets {base}.automountServiceAccountToken=true, so every container gets an API token of ServiceAccount {namespace}/{sa}; set it to false"
                ));
                false
            }
            None => match identity::get_service_account(&namespace, &sa) {
                Ok(Some(account)) if account.automount_service_account_token == Some(false) => true,
                Ok(Some(account)) => {
                    let how = match account.automount_service_account_token {
                        Some(true) => "sets automountServiceAccountToken=true",
                        _ => {
                            "leaves automountServiceAccountToken unset (Kubernetes mounts by default)"
                        }
                    };
                    findings.object(format!(
                        "leaves {base}.automountServiceAccountToken unset and its ServiceAccount {namespace}/{sa} {how}, so every container gets an API token; set either to false"
                    ));
                    false
                }
                Ok(None) => {
                    findings.object(format!(
                        "leaves {base}.automountServiceAccountToken unset and its ServiceAccount {namespace}/{sa} does not exist, so nothing disables the token; set {base}.automountServiceAccountToken: false"
                    ));
                    false
                }
                Err(e) => {
                    findings.object(format!(
                        "leaves {base}.automountServiceAccountToken unset and its ServiceAccount {namespace}/{sa} could not be read to resolve it ({e}); set {base}.automountServiceAccountToken: false"
                    ));
                    false
                }
            },
        }
    };
    if disabled {
        for c in pod.checked_containers(&ctx.exemptions) {
            let mounts = match c.volume_mounts() {
                Ok(mounts) => mounts,
                Err(e) => return Verdict::cannot_read(e),
            };
            for (i, m) in mounts.iter().enumerate() {
                if exposes_token(&m.mount_path) {
                    findings.container(
                        &c,
                        format!(
                            "mounts volume {:?} at {} ({}.volumeMounts[{i}].mountPath), the ServiceAccount token path, while automounting is disabled",
                            m.name,
                            m.mount_path,
                            c.path()
                        ),
                    );
                }
            }
        }
    }
    findings.into_verdict()
}

fn check_service_account(req: &Request<'_>, allowed: &ServiceAccountPatterns) -> Verdict {
    let sa = match req.object_as::<ServiceAccount>() {
        Ok(Some(s)) => s,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let namespace = req.effective_namespace(&sa.metadata);
    let name = if sa.metadata.name.is_empty() {
        req.name.as_deref().unwrap_or("")
    } else {
        &sa.metadata.name
    };
    if allowed.matches(namespace, name) || sa.automount_service_account_token == Some(false) {
        return Verdict::accept();
    }
    let mut findings = Findings::new();
    let how = match sa.automount_service_account_token {
        Some(true) => "sets automountServiceAccountToken=true",
        _ => "leaves automountServiceAccountToken unset",
    };
    if name == "default" && SA_CONTROLLER_USERS.contains(&req.user_info.username.as_str()) {
        // Rejecting the controller would leave the namespace without its default account;
        // pods that use it are still checked through the lookup.
        findings.warn(format!(
            "ServiceAccount {namespace}/default {how}; set automountServiceAccountToken: false on it"
        ));
    } else {
        findings.object(format!(
            "{how}; set automountServiceAccountToken: false (pods that need the API opt in with their own automountServiceAccountToken: true and an allowedServiceAccounts entry)"
        ));
    }
    findings.into_verdict()
}

#[cfg(test)]
mod tests {
    use super::exposes_token;

    #[test]
    fn token_paths() {
        assert!(exposes_token(
            "/var/run/secrets/kubernetes.io/serviceaccount"
        ));
        assert!(exposes_token(
            "/var/run/secrets/kubernetes.io/serviceaccount/"
        ));
        assert!(exposes_token(
            "/run/secrets/kubernetes.io/serviceaccount/token"
        ));
        assert!(exposes_token("/var/run/secrets"));
        assert!(!exposes_token("/var/run/secrets/azure/tokens"));
        assert!(!exposes_token(
            "/var/run/secrets/kubernetes.io/serviceaccounts"
        ));
        assert!(!exposes_token("/data"));
    }
}
