//! The rule: the requesting identity (`userInfo`) is compared with the local admin credential's
//! user and groups. A match is rejected in `deny` mode, outside the break-glass window; otherwise
//! it is accepted with a warning naming the credential.

use policy_helpers::prelude::*;

use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Mode, Settings};

/// Seconds since the epoch, from the WASI clock (the engine's wall clock); 0 when the host
/// gives none.
fn now() -> i64 {
    policy_helpers::guest::unix_seconds().unwrap_or(0)
}

/// Reports or rejects requests made with a local admin credential.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let c = match ctx.settings.compile() {
        Ok(c) => c,
        Err(e) => return Verdict::unreadable(format!("has invalid settings: {e}")),
    };
    let user = &req.user_info.username;
    let mut matched: Vec<String> = Vec::new();
    if c.users.iter().any(|g| g.matches(user)) {
        matched.push(format!("user {user:?}"));
    }
    for group in &req.user_info.groups {
        if c.groups.iter().any(|g| g.matches(group)) {
            matched.push(format!("group {group:?}"));
        }
    }
    if matched.is_empty() {
        return Verdict::accept();
    }
    let what = format!(
        "{} by {}, a local admin credential that bypasses Entra ID, Conditional Access and Azure RBAC",
        req.operation,
        matched.join(" and ")
    );
    let in_window = c.break_glass_until.is_some_and(|until| now() < until);
    let mut findings = Findings::new();
    if ctx.settings.mode == Mode::Deny && !in_window {
        findings.object(format!(
            "was requested ({what}); sign in with an Entra identity and disable local accounts"
        ));
    } else {
        let why = if in_window {
            "break-glass window open (breakGlassUntil)"
        } else {
            "mode: audit"
        };
        let meta = req.metadata().unwrap_or_default();
        findings.warn(format!(
            "{}: {what}; admitted ({why}) [{}]",
            req.identity(&meta),
            <crate::DenyLocalAdminCredentials as policy_helpers::Policy>::CONTROLS
        ));
    }
    findings.into_verdict()
}
