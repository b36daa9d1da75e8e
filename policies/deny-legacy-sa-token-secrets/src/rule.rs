//! The rule: a new Secret of type `kubernetes.io/service-account-token` is rejected (an UPDATE of
//! an existing one is accepted with a warning, so the token and clean-up controllers keep
//! working); a ServiceAccount may not list token Secrets in `secrets[]`, nor grant Secrets there
//! at all unless it enforces mountable Secrets.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::consumer::go_parse_bool;
use policy_helpers::identity::ServiceAccount;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Operation, Request, Verdict};

use crate::settings::Settings;

/// The Secret type of legacy, non-expiring ServiceAccount tokens.
pub const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
/// Annotation naming the ServiceAccount a token Secret belongs to.
pub const SA_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
/// ServiceAccount annotation that turns `secrets[]` into a restriction.
pub const ENFORCE_MOUNTABLE: &str = "kubernetes.io/enforce-mountable-secrets";

const FIX: &str =
    "use a projected ServiceAccount token (automatic, expiring) or `kubectl create token`";

policy_helpers::view! {
    #[derive(Default)]
    struct SecretMeta {
        annotations: Option<BTreeMap<String, String>> = "annotations",
    }
}

policy_helpers::view! {
    #[derive(Default)]
    struct Secret {
        metadata: Option<SecretMeta> = "metadata",
        kind: Option<String> = "type",
    }
}

/// Rejects new legacy token Secrets and ServiceAccounts that list Secrets.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if !req.kind.group.is_empty() {
        return Verdict::accept();
    }
    let allowed = match ctx.settings.allowed() {
        Ok(a) => a,
        Err(e) => return Verdict::unreadable(format!("has invalid settings: {e}")),
    };
    let meta = match req.metadata() {
        Ok(m) => m,
        Err(e) => return Verdict::cannot_read(e),
    };
    let namespace = req.effective_namespace(&meta);
    let mut findings = Findings::new();
    match req.kind.kind.as_str() {
        "Secret" => {
            let secret = match req.object_as::<Secret>() {
                Ok(Some(s)) => s,
                Ok(None) => return Verdict::accept(),
                Err(e) => return Verdict::cannot_read(e),
            };
            if secret.kind.as_deref() != Some(TOKEN_TYPE) {
                return Verdict::accept();
            }
            let owner = secret
                .metadata
                .and_then(|m| m.annotations)
                .and_then(|mut a| a.remove(SA_NAME_ANNOTATION))
                .unwrap_or_default();
            if allowed.matches(namespace, &owner) {
                return Verdict::accept();
            }
            if req.operation == Operation::Update {
                findings.warn(format!(
                    "Secret {namespace}/{} is a legacy non-expiring token of ServiceAccount {owner:?}; delete it and {FIX}",
                    meta.name
                ));
            } else {
                findings.object(format!(
                    "has type: {TOKEN_TYPE} (a non-expiring token of ServiceAccount {owner:?}, annotation {SA_NAME_ANNOTATION}); {FIX}"
                ));
            }
        }
        "ServiceAccount" if ctx.settings.check_service_account_secrets => {
            let sa = match req.object_as::<ServiceAccount>() {
                Ok(Some(s)) => s,
                Ok(None) => return Verdict::accept(),
                Err(e) => return Verdict::cannot_read(e),
            };
            if allowed.matches(namespace, &meta.name) {
                return Verdict::accept();
            }
            // Read as the ServiceAccount admission plugin reads it (`enforceMountableSecrets`):
            // Go's strconv.ParseBool, an unparsable value counting as false.
            let enforced = sa
                .metadata
                .annotations
                .get(ENFORCE_MOUNTABLE)
                .and_then(|v| go_parse_bool(v))
                == Some(true);
            let token_prefix = format!("{}-token-", meta.name);
            for (i, s) in sa.secrets.iter().enumerate() {
                if s.name.starts_with(&token_prefix) {
                    findings.object(format!(
                        "lists the legacy token Secret {:?} in secrets[{i}]; remove it, delete the Secret and {FIX}",
                        s.name
                    ));
                } else if !enforced {
                    findings.object(format!(
                        "lists Secret {:?} in secrets[{i}] without annotation {ENFORCE_MOUNTABLE}: \"true\"; remove the entry (pods name their Secrets themselves)",
                        s.name
                    ));
                }
            }
        }
        _ => {}
    }
    findings.into_verdict()
}
