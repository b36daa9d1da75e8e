//! The rule: pure functions over the Service view and the pod view.

use policy_helpers::prelude::*;

use policy_helpers::net::{PortRef, ServiceView};
use policy_helpers::pod::{ContainerRef, PodObject};
use policy_helpers::request::ObjectError;
use policy_helpers::settings::Checked;
use policy_helpers::{Findings, Request, Verdict};

use crate::settings::{Settings, SshdAction};

/// Image name parts that denote an SSH server.
pub const SSHD_IMAGES: &[&str] = &["sshd", "openssh-server", "dropbear"];
/// Executables that are SSH servers.
pub const SSHD_COMMANDS: &[&str] = &["sshd", "dropbear"];

/// Services: no port, target port or port name in `deniedPorts`. Pod-bearing kinds: no
/// container port (or host port, or port name) in `deniedPorts`; SSH servers in images and
/// commands reported as `sshdAction` says.
pub fn check(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    if req.kind.group.is_empty() && req.kind.kind == "Service" {
        return check_service(req, ctx);
    }
    check_pod(req, ctx)
}

fn check_service(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let svc = match req.object_as::<ServiceView>() {
        Ok(Some(s)) => s,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    let denied = &ctx.settings.denied_ports;
    let mut findings = Findings::new();
    for (i, p) in svc.spec.ports.iter().enumerate() {
        if let Some(n) = p.port
            && denied.contains_number(n)
        {
            findings.object(format!("spec.ports[{i}].port={n} is an SSH port"));
        } else if let Some(t) = &p.target_port
            && denied.contains(t)
        {
            findings.object(format!(
                "spec.ports[{i}].targetPort={t} forwards to an SSH port"
            ));
        } else if let Some(name) = p.name.as_deref()
            && denied.contains_name(name)
        {
            findings.object(format!("spec.ports[{i}].name={name:?} names an SSH port"));
        }
    }
    findings.into_verdict()
}

fn check_pod(req: &Request<'_>, ctx: &Checked<Settings>) -> Verdict {
    let pod = match PodObject::in_scope(req, &ctx.exemptions) {
        Ok(Some(p)) => p,
        Ok(None) => return Verdict::accept(),
        Err(rejection) => return rejection,
    };
    let s = &ctx.settings;
    let mut findings = Findings::new();
    for c in pod.checked_containers(&ctx.exemptions) {
        let ports = match c.ports() {
            Ok(ports) => ports,
            Err(e) => return Verdict::cannot_read(e),
        };
        for (i, p) in ports.iter().enumerate() {
            if let Some(n) = p.container_port
                && s.denied_ports.contains_number(n)
            {
                findings.container(
                    &c,
                    format!("declares ports[{i}].containerPort={n}, an SSH port"),
                );
            } else if let Some(n) = p.host_port
                && s.denied_ports.contains_number(n)
            {
                findings.container(&c, format!("declares ports[{i}].hostPort={n}, an SSH port"));
            } else if let Some(name) = p.name.as_deref()
                && s.denied_ports.contains(&PortRef::Name(name.to_string()))
            {
                findings.container(
                    &c,
                    format!("declares ports[{i}].name={name:?}, an SSH port"),
                );
            }
        }
        if s.sshd_action == SshdAction::Ignore {
            continue;
        }
        let found = match sshd_in(&c) {
            Ok(found) => found,
            Err(e) => return Verdict::cannot_read(e),
        };
        if let Some(what) = found {
            if s.sshd_action == SshdAction::Deny {
                findings.container(&c, what);
            } else {
                findings.warn(format!("{} {what}", c.subject()));
            }
        }
    }
    findings.into_verdict()
}

/// What in the container looks like an SSH server, if anything.
fn sshd_in(c: &ContainerRef<'_>) -> Result<Option<String>, ObjectError> {
    let path = c.path();
    if let Some(image) = c.container.image.as_deref() {
        // The repository path without registry, tag or digest.
        let name = image.split('@').next().unwrap_or(image);
        let last = name.rsplit('/').next().unwrap_or(name);
        let repo = last.split(':').next().unwrap_or(last).to_ascii_lowercase();
        if SSHD_IMAGES.iter().any(|s| repo.contains(s)) {
            return Ok(Some(format!("runs image {image:?}, an SSH server image")));
        }
    }
    for (field, list) in [("command", c.command()?), ("args", c.args()?)] {
        for (i, arg) in list.iter().enumerate() {
            let exe = arg.rsplit('/').next().unwrap_or(arg);
            let exe = exe.split_whitespace().next().unwrap_or(exe);
            if SSHD_COMMANDS.contains(&exe) {
                return Ok(Some(format!(
                    "starts an SSH server ({path}.{field}[{i}]={arg:?})"
                )));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_helpers::settings::check as check_settings;

    fn verdict(settings: &str) -> Verdict {
        let payload = r#"{"uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},
            "resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE",
            "object":{"metadata":{"name":"p","namespace":"shop"},
            "spec":{"containers":[{"name":"app","image":"linuxserver/openssh-server:9"}]}}}"#;
        let req: Request = serde_json::from_str(payload).unwrap();
        check(&req, &check_settings::<Settings>(settings).unwrap())
    }

    #[test]
    fn sshd_action_decides_between_warning_rejection_and_silence() {
        match verdict("{}") {
            Verdict::Accept { warnings } => {
                assert_eq!(warnings.len(), 1);
                assert!(warnings[0].contains("an SSH server image"), "{warnings:?}");
            }
            v => panic!("{v:?}"),
        }
        assert!(matches!(
            verdict(r#"{"sshdAction":"deny"}"#),
            Verdict::Reject { .. }
        ));
        assert_eq!(verdict(r#"{"sshdAction":"ignore"}"#), Verdict::accept());
    }
}
