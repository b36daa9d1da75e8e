//! Pod Security Standards building blocks shared by the pod security modules.
//!
//! - [`Level`]: the `level` setting (`baseline` / `restricted`) of every module whose control the
//!   PSS defines differently per level.
//! - The PSS value sets: safe sysctls, SELinux types, restricted volume types; the capability
//!   rules of each level ([`CapabilityRules`], the lists in [`crate::capabilities`]) and
//!   [`is_privileged`], shared with the modules that enforce those checks alone.
//! - Seccomp and AppArmor profiles read from both places Kubernetes has kept them: the
//!   `securityContext` field and the legacy annotation ([`ProfileKind`], [`ProfileSetting`],
//!   [`pod_profiles`], [`container_profiles`]), checked by a [`ProfilePolicy`].
//! - [`SeLinuxPolicy`] for `seLinuxOptions`.
//! - [`container_checks`]: every PSS check that applies to one container, at a level (used where
//!   a single module must apply the whole standard, e.g. to ephemeral containers added by
//!   `kubectl debug`).

use crate::prelude::*;
use serde::Deserialize;

use crate::capabilities::{PSS_BASELINE_ALLOWED, PSS_RESTRICTED_ALLOWED, is_all, normalise};
use crate::glob::Glob;
use crate::pod::{ContainerRef, PodObject, Profile, SeLinuxOptions};
use crate::request::ObjectError;

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// `baseline`: prevents known privilege escalations.
    Baseline,
    /// `restricted`: current pod hardening best practice (the default of every module).
    #[default]
    Restricted,
}

crate::decode_by_serde!(Level);

impl Level {
    /// The setting's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// The sysctls the PSS `baseline` level allows (safe, namespaced ones), as of Kubernetes 1.32.
pub const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

/// The SELinux types the PSS `baseline` level allows (besides unset or empty).
pub const SELINUX_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// The volume types the PSS `restricted` level allows.
pub const RESTRICTED_VOLUME_TYPES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Whether the pod declares `spec.os.name: windows` (the PSS exempts such pods from the
/// Linux-only restricted checks).
pub fn is_windows(pod: &PodObject) -> bool {
    pod.spec.is_windows()
}

/// A seccomp or AppArmor profile type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    /// The container runtime's default profile.
    RuntimeDefault,
    /// A profile loaded on the node.
    Localhost,
    /// No profile.
    Unconfined,
}

impl ProfileKind {
    /// The field spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileKind::RuntimeDefault => "RuntimeDefault",
            ProfileKind::Localhost => "Localhost",
            ProfileKind::Unconfined => "Unconfined",
        }
    }

    /// Parses the field spelling.
    pub fn parse(s: &str) -> Option<ProfileKind> {
        match s {
            "RuntimeDefault" => Some(ProfileKind::RuntimeDefault),
            "Localhost" => Some(ProfileKind::Localhost),
            "Unconfined" => Some(ProfileKind::Unconfined),
            _ => None,
        }
    }
}

/// Which profile: seccomp or AppArmor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileField {
    /// `seccompProfile` and the `seccomp.security.alpha.kubernetes.io` annotations.
    Seccomp,
    /// `appArmorProfile` and the `container.apparmor.security.beta.kubernetes.io` annotation.
    AppArmor,
}

impl ProfileField {
    /// The `securityContext` field name.
    pub fn field(self) -> &'static str {
        match self {
            ProfileField::Seccomp => "seccompProfile",
            ProfileField::AppArmor => "appArmorProfile",
        }
    }

    /// The legacy per-container annotation prefix (the container name follows).
    pub fn container_annotation(self) -> &'static str {
        match self {
            ProfileField::Seccomp => "container.seccomp.security.alpha.kubernetes.io/",
            ProfileField::AppArmor => "container.apparmor.security.beta.kubernetes.io/",
        }
    }

    /// The legacy pod-level annotation, if the profile has one.
    pub fn pod_annotation(self) -> Option<&'static str> {
        match self {
            ProfileField::Seccomp => Some("seccomp.security.alpha.kubernetes.io/pod"),
            ProfileField::AppArmor => None,
        }
    }
}

/// One place a profile is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSetting {
    /// The type; `None` when the value is not one Kubernetes knows.
    pub kind: Option<ProfileKind>,
    /// The localhost profile (path or name), for `Localhost`.
    pub localhost: Option<String>,
    /// Where it is set: `spec.securityContext.seccompProfile.type` or
    /// `metadata.annotations["…"]`.
    pub path: String,
    /// The value as written there.
    pub written: String,
    /// Set through the legacy annotation.
    pub annotation: bool,
}

impl ProfileSetting {
    fn from_field(p: &Profile, base: String) -> ProfileSetting {
        ProfileSetting {
            kind: ProfileKind::parse(&p.kind),
            localhost: p.localhost_profile.clone().filter(|s| !s.is_empty()),
            path: base + ".type",
            written: p.kind.clone(),
            annotation: false,
        }
    }

    fn from_annotation(field: ProfileField, value: &str, path: String) -> ProfileSetting {
        let (kind, localhost) = match value {
            "runtime/default" => (Some(ProfileKind::RuntimeDefault), None),
            "docker/default" if field == ProfileField::Seccomp => {
                (Some(ProfileKind::RuntimeDefault), None)
            }
            "unconfined" => (Some(ProfileKind::Unconfined), None),
            v => match v.strip_prefix("localhost/") {
                Some(name) if !name.is_empty() => {
                    (Some(ProfileKind::Localhost), Some(name.to_string()))
                }
                _ => (None, None),
            },
        };
        ProfileSetting {
            kind,
            localhost,
            path,
            written: value.to_string(),
            annotation: true,
        }
    }
}

fn annotation_path(pod: &PodObject, key: &str) -> String {
    format!("{}.annotations[{key:?}]", pod.kind.metadata_path())
}

/// The pod-level settings of a profile: the pod `securityContext` field, then the pod-level
/// legacy annotation (seccomp only).
///
/// # Errors
/// When the pod's annotations are malformed ([`PodObject::pod_annotations`]).
pub fn pod_profiles(
    pod: &PodObject,
    field: ProfileField,
) -> Result<Vec<ProfileSetting>, ObjectError> {
    let mut out = Vec::new();
    let sc = pod.spec.security_context.as_ref();
    let value = match field {
        ProfileField::Seccomp => sc.and_then(|s| s.seccomp_profile.as_ref()),
        ProfileField::AppArmor => sc.and_then(|s| s.app_armor_profile.as_ref()),
    };
    if let Some(p) = value {
        out.push(ProfileSetting::from_field(
            p,
            format!("{}.securityContext.{}", pod.spec_path(), field.field()),
        ));
    }
    if let Some(key) = field.pod_annotation()
        && let Some(v) = pod.pod_annotations()?.get(key)
    {
        out.push(ProfileSetting::from_annotation(
            field,
            v,
            annotation_path(pod, key),
        ));
    }
    Ok(out)
}

/// The container-level settings of a profile: the container `securityContext` field, then the
/// legacy per-container annotation.
///
/// # Errors
/// When the pod's annotations are malformed ([`PodObject::pod_annotations`]).
pub fn container_profiles(
    pod: &PodObject,
    c: &ContainerRef<'_>,
    field: ProfileField,
) -> Result<Vec<ProfileSetting>, ObjectError> {
    let mut out = Vec::new();
    let sc = c.container.security_context.as_ref();
    let value = match field {
        ProfileField::Seccomp => sc.and_then(|s| s.seccomp_profile.as_ref()),
        ProfileField::AppArmor => sc.and_then(|s| s.app_armor_profile.as_ref()),
    };
    if let Some(p) = value {
        out.push(ProfileSetting::from_field(
            p,
            format!("{}.securityContext.{}", c.path(), field.field()),
        ));
    }
    let key = format!("{}{}", field.container_annotation(), c.container.name);
    if let Some(v) = pod.pod_annotations()?.get(&key) {
        out.push(ProfileSetting::from_annotation(
            field,
            v,
            annotation_path(pod, &key),
        ));
    }
    Ok(out)
}

/// The profile in force for a container: its own setting, else the pod's (field before
/// annotation at each level).
///
/// # Errors
/// When the pod's annotations are malformed ([`PodObject::pod_annotations`]).
pub fn effective_profile(
    pod: &PodObject,
    c: &ContainerRef<'_>,
    field: ProfileField,
) -> Result<Option<ProfileSetting>, ObjectError> {
    if let Some(own) = container_profiles(pod, c, field)?.into_iter().next() {
        return Ok(Some(own));
    }
    Ok(pod_profiles(pod, field)?.into_iter().next())
}

/// Which profile types and localhost profiles are allowed.
#[derive(Debug, Clone)]
pub struct ProfilePolicy {
    /// Allowed types.
    pub kinds: Vec<ProfileKind>,
    /// Allowed localhost profiles (globs); empty allows every one.
    pub localhost: Vec<Glob>,
}

impl Default for ProfilePolicy {
    /// The PSS: `RuntimeDefault` and any `Localhost` profile.
    fn default() -> ProfilePolicy {
        ProfilePolicy {
            kinds: vec![ProfileKind::RuntimeDefault, ProfileKind::Localhost],
            localhost: Vec::new(),
        }
    }
}

impl ProfilePolicy {
    /// Compiles the `allowedProfileTypes` / `allowedLocalhostProfiles` settings.
    ///
    /// # Errors
    /// A message naming the offending key and entry.
    pub fn compile(types: &[String], localhost: &[String]) -> Result<ProfilePolicy, String> {
        if types.is_empty() {
            return Err(
                "allowedProfileTypes is empty: no profile would be allowed; \
                 use [RuntimeDefault, Localhost]"
                    .into(),
            );
        }
        let kinds = types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                ProfileKind::parse(t).ok_or_else(|| {
                    format!(
                        "allowedProfileTypes[{i}]: {t:?} is not RuntimeDefault, Localhost or Unconfined"
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let localhost = localhost
            .iter()
            .enumerate()
            .map(|(i, p)| Glob::new(p).map_err(|e| format!("allowedLocalhostProfiles[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        if !localhost.is_empty() && !kinds.contains(&ProfileKind::Localhost) {
            return Err(
                "allowedLocalhostProfiles is set but allowedProfileTypes does not allow Localhost"
                    .into(),
            );
        }
        Ok(ProfilePolicy { kinds, localhost })
    }

    fn allowed_list(&self) -> String {
        let mut s = String::new();
        for (i, k) in self.kinds.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(k.as_str());
        }
        s
    }

    /// Why a setting is not allowed (the detail of a finding), or `None` when it is.
    pub fn check(&self, s: &ProfileSetting) -> Option<String> {
        let Some(kind) = s.kind else {
            return Some(format!(
                "sets {}={:?}, which is not a known profile (allowed: {})",
                s.path,
                s.written,
                self.allowed_list()
            ));
        };
        if !self.kinds.contains(&kind) {
            return Some(format!(
                "sets {}={} (allowed: {})",
                s.path,
                s.written,
                self.allowed_list()
            ));
        }
        if kind == ProfileKind::Localhost && !self.localhost.is_empty() {
            match s.localhost.as_deref() {
                None => {
                    return Some(format!(
                        "sets {}={} without a localhost profile",
                        s.path, s.written
                    ));
                }
                Some(p) if !self.localhost.iter().any(|g| g.matches(p)) => {
                    return Some(format!(
                        "sets {}={} with localhost profile {p:?}, which is not in allowedLocalhostProfiles",
                        s.path, s.written
                    ));
                }
                Some(_) => {}
            }
        }
        None
    }
}

/// Allowed `seLinuxOptions`.
#[derive(Debug, Clone)]
pub struct SeLinuxPolicy {
    /// Allowed `type` values (unset and empty are always allowed).
    pub types: Vec<String>,
    /// Allowed `user` values (unset and empty are always allowed).
    pub users: Vec<String>,
    /// Allowed `role` values (unset and empty are always allowed).
    pub roles: Vec<String>,
}

impl Default for SeLinuxPolicy {
    /// The PSS: the four container types, no user, no role.
    fn default() -> SeLinuxPolicy {
        SeLinuxPolicy {
            types: SELINUX_TYPES.iter().map(|s| s.to_string()).collect(),
            users: Vec::new(),
            roles: Vec::new(),
        }
    }
}

impl SeLinuxPolicy {
    /// Every detail of `options` (set at `path`) that is not allowed.
    pub fn check(&self, options: &SeLinuxOptions, path: &str, out: &mut Vec<String>) {
        let fields = [
            ("type", options.kind.as_deref(), &self.types),
            ("user", options.user.as_deref(), &self.users),
            ("role", options.role.as_deref(), &self.roles),
        ];
        for (name, value, allowed) in fields {
            let Some(v) = value.filter(|v| !v.is_empty()) else {
                continue;
            };
            if allowed.iter().any(|a| a == v) {
                continue;
            }
            if allowed.is_empty() {
                out.push(format!("sets {path}.{name}={v:?} (must be unset)"));
            } else {
                out.push(format!(
                    "sets {path}.{name}={v:?} (allowed: {})",
                    allowed.join(", ")
                ));
            }
        }
    }
}

/// Whether the container sets `securityContext.privileged: true` (PSS baseline "Privileged
/// Containers"; also the first thing `no-privilege-escalation` rules out).
pub fn is_privileged(c: &ContainerRef<'_>) -> bool {
    c.container
        .security_context
        .as_ref()
        .and_then(|s| s.privileged)
        == Some(true)
}

/// Why a capability a container adds is refused by [`CapabilityRules`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddProblem {
    /// `ALL` (every capability) while adds are restricted.
    All,
    /// On the denied list.
    Denied,
    /// Not on the allowed list.
    NotAllowed,
}

/// Which capabilities a container may add and must drop, names normalised (upper case, no
/// `CAP_`; see [`crate::capabilities`]). [`CapabilityRules::for_level`] gives the PSS rules;
/// `restrict-capabilities` builds them from its settings, with the level's as defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapabilityRules {
    /// Allowed adds; `None` allows any.
    pub allowed: Option<Vec<String>>,
    /// Required drops (`ALL` in the container's `drop` satisfies every one).
    pub required_drop: Vec<String>,
    /// Denied adds (`ALL`: no add at all).
    pub denied: Vec<String>,
}

impl CapabilityRules {
    /// The PSS rules of `level`: `baseline` adds only from the runtimes' default set and
    /// requires no drop; `restricted` adds only `NET_BIND_SERVICE` and requires dropping `ALL`.
    pub fn for_level(level: Level) -> CapabilityRules {
        let owned = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        match level {
            Level::Baseline => CapabilityRules {
                allowed: Some(owned(PSS_BASELINE_ALLOWED)),
                required_drop: Vec::new(),
                denied: Vec::new(),
            },
            Level::Restricted => CapabilityRules {
                allowed: Some(owned(PSS_RESTRICTED_ALLOWED)),
                required_drop: vec!["ALL".to_owned()],
                denied: Vec::new(),
            },
        }
    }

    /// Why adding `name` (any spelling) is refused, or `None` when it is allowed.
    pub fn add_problem(&self, name: &str) -> Option<AddProblem> {
        let n = normalise(name);
        if n == "ALL" {
            (self.allowed.is_some() || !self.denied.is_empty()).then_some(AddProblem::All)
        } else if self.denied.iter().any(|d| *d == n || d == "ALL") {
            Some(AddProblem::Denied)
        } else if let Some(allowed) = &self.allowed
            && !allowed.contains(&n)
        {
            Some(AddProblem::NotAllowed)
        } else {
            None
        }
    }

    /// The required drops a container's `drop` list misses (none when it drops `ALL`).
    pub fn missing_drops(&self, drop: &[String]) -> Vec<&str> {
        if drop.iter().any(|d| is_all(d)) {
            return Vec::new();
        }
        self.required_drop
            .iter()
            .filter(|r| !drop.iter().any(|d| normalise(d) == **r))
            .map(String::as_str)
            .collect()
    }
}

/// Every PSS check that applies to container `c` at `level`, as finding details (empty when
/// the container complies). Container-level fields are checked as written; values inherited
/// from the pod (seccomp, AppArmor, SELinux, `runAsNonRoot`, `runAsUser`) are checked through
/// the effective value, so a container is judged by what it will actually run with.
///
/// # Errors
/// When the pod's annotations (the legacy profile annotations) are malformed.
pub fn container_checks(
    pod: &PodObject,
    c: &ContainerRef<'_>,
    level: Level,
) -> Result<Vec<String>, ObjectError> {
    let mut out = Vec::new();
    let sc = c.container.security_context.as_ref();
    let base = format!("{}.securityContext", c.path());
    let windows = is_windows(pod);

    if is_privileged(c) {
        out.push("sets securityContext.privileged=true".to_string());
    }
    if let Some(hp) = pod.effective_host_process(c)
        && hp.value
    {
        out.push(format!(
            "runs as a Windows HostProcess container ({}=true)",
            hp.path
        ));
    }
    if let Some(pm) = sc.and_then(|s| s.proc_mount.as_deref())
        && pm != "Default"
    {
        out.push(format!("sets {base}.procMount={pm} (allowed: Default)"));
    }
    let caps = sc.and_then(|s| s.capabilities.as_ref());
    let capability_rules = CapabilityRules::for_level(level);
    // Windows pods have no Linux capabilities: the restricted level does not restrict them.
    if !(windows && level == Level::Restricted) {
        for cap in caps.map(|c| c.add.as_slice()).unwrap_or_default() {
            if capability_rules.add_problem(cap).is_some() {
                out.push(format!("adds capability {cap} ({base}.capabilities.add)"));
            }
        }
    }
    let profiles = ProfilePolicy::default();
    for field in [ProfileField::Seccomp, ProfileField::AppArmor] {
        match effective_profile(pod, c, field)? {
            Some(s) => {
                if let Some(d) = profiles.check(&s) {
                    out.push(d);
                }
            }
            None if field == ProfileField::Seccomp && level == Level::Restricted && !windows => {
                out.push(format!(
                    "has no seccomp profile (set {base}.seccompProfile.type or the pod's to RuntimeDefault or Localhost)"
                ));
            }
            None => {}
        }
    }
    if let Some(se) = pod.effective_selinux(c) {
        SeLinuxPolicy::default().check(&se.value, &se.path, &mut out);
    }
    if level == Level::Restricted && !windows {
        if sc.and_then(|s| s.allow_privilege_escalation) != Some(false) {
            out.push(format!(
                "does not set {base}.allowPrivilegeEscalation=false"
            ));
        }
        let drop = caps.map(|c| c.drop.as_slice()).unwrap_or_default();
        if !capability_rules.missing_drops(drop).is_empty() {
            out.push(format!(
                "does not drop ALL capabilities ({base}.capabilities.drop)"
            ));
        }
    }
    if level == Level::Restricted {
        let user = pod.effective_run_as_user(c);
        if let Some(u) = &user
            && u.value == 0
        {
            out.push(format!("runs as root ({}=0)", u.path));
        } else if pod.effective_run_as_non_root(c).map(|e| e.value) != Some(true)
            && user.is_none_or(|u| u.value <= 0)
        {
            out.push(format!(
                "may run as root (set {base}.runAsNonRoot=true or the pod's)"
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;

    /// The pod view of a test object (the request text is leaked: the view borrows it).
    fn pod(object: &str) -> PodObject<'static> {
        let r = format!(
            r#"{{"uid":"u","kind":{{"group":"","version":"v1","kind":"Pod"}},
            "resource":{{"group":"","version":"v1","resource":"pods"}},
            "operation":"CREATE","userInfo":{{"username":"u"}},"object":{object}}}"#
        );
        let r: &'static str = Box::leak(r.into_boxed_str());
        let req: Request = serde_json::from_str(r).unwrap();
        PodObject::from_request(&req).unwrap().unwrap()
    }

    #[test]
    fn container_field_beats_annotation_beats_pod() {
        let p = pod(r#"{"metadata":{"annotations":{
                "seccomp.security.alpha.kubernetes.io/pod":"unconfined",
                "container.seccomp.security.alpha.kubernetes.io/b":"localhost/prof.json"}},
              "spec":{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},
                "containers":[{"name":"a"},{"name":"b"},
                  {"name":"c","securityContext":{"seccompProfile":{"type":"Unconfined"}}}]}}"#);
        let cs: Vec<_> = p.containers().collect();
        let e = |i: usize| {
            effective_profile(&p, &cs[i], ProfileField::Seccomp)
                .unwrap()
                .unwrap()
        };
        assert_eq!(e(0).kind, Some(ProfileKind::RuntimeDefault));
        assert_eq!(e(0).path, "spec.securityContext.seccompProfile.type");
        assert_eq!(e(1).kind, Some(ProfileKind::Localhost));
        assert_eq!(e(1).localhost.as_deref(), Some("prof.json"));
        assert_eq!(
            e(1).path,
            r#"metadata.annotations["container.seccomp.security.alpha.kubernetes.io/b"]"#
        );
        assert_eq!(e(2).kind, Some(ProfileKind::Unconfined));
        let pods = pod_profiles(&p, ProfileField::Seccomp).unwrap();
        assert_eq!(pods.len(), 2);
        assert_eq!(pods[1].kind, Some(ProfileKind::Unconfined));
    }

    #[test]
    fn profile_policy() {
        let pol = ProfilePolicy::compile(
            &["RuntimeDefault".into(), "Localhost".into()],
            &["profiles/*.json".into()],
        )
        .unwrap();
        let s = |kind, lh: Option<&str>| ProfileSetting {
            kind,
            localhost: lh.map(str::to_string),
            path: "x".into(),
            written: "w".into(),
            annotation: false,
        };
        assert!(
            pol.check(&s(Some(ProfileKind::RuntimeDefault), None))
                .is_none()
        );
        assert!(pol.check(&s(Some(ProfileKind::Unconfined), None)).is_some());
        assert!(pol.check(&s(None, None)).unwrap().contains("not a known"));
        assert!(
            pol.check(&s(Some(ProfileKind::Localhost), Some("profiles/a.json")))
                .is_none()
        );
        assert!(
            pol.check(&s(Some(ProfileKind::Localhost), Some("other/a.json")))
                .is_some()
        );
        assert!(pol.check(&s(Some(ProfileKind::Localhost), None)).is_some());
        assert!(ProfilePolicy::compile(&[], &[]).is_err());
        assert!(
            ProfilePolicy::compile(&["Default".into()], &[])
                .unwrap_err()
                .contains("allowedProfileTypes[0]")
        );
        assert!(ProfilePolicy::compile(&["RuntimeDefault".into()], &["a".into()]).is_err());
    }

    #[test]
    fn selinux_policy() {
        let mut out = Vec::new();
        let o = SeLinuxOptions {
            kind: Some("spc_t".into()),
            user: Some("system_u".into()),
            role: Some(String::new()),
            level: Some("s0:c1".into()),
        };
        SeLinuxPolicy::default().check(&o, "spec.securityContext.seLinuxOptions", &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[0].contains(".type=\"spc_t\""));
        assert!(out[1].contains(".user=\"system_u\" (must be unset)"));
    }

    #[test]
    fn container_checks_by_level() {
        let p = pod(r#"{"spec":{"containers":[{"name":"a","securityContext":{
                "capabilities":{"add":["CAP_CHOWN"]}}}]}}"#);
        let c = p.containers().next().unwrap();
        assert!(
            container_checks(&p, &c, Level::Baseline)
                .unwrap()
                .is_empty()
        );
        let r = container_checks(&p, &c, Level::Restricted).unwrap();
        assert!(
            r.iter().any(|d| d.contains("adds capability CAP_CHOWN")),
            "{r:?}"
        );
        assert!(r.iter().any(|d| d.contains("seccomp")), "{r:?}");
        assert!(
            r.iter().any(|d| d.contains("allowPrivilegeEscalation")),
            "{r:?}"
        );
        assert!(r.iter().any(|d| d.contains("may run as root")), "{r:?}");
        let p = pod(
            r#"{"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
              "containers":[{"name":"a","securityContext":{"allowPrivilegeEscalation":false,
                "capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE"]}}}]}}"#,
        );
        let c = p.containers().next().unwrap();
        assert!(
            container_checks(&p, &c, Level::Restricted)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn value_sets_and_capability_names() {
        assert!(SAFE_SYSCTLS.contains(&"net.ipv4.tcp_syncookies"));
        assert_eq!(RESTRICTED_VOLUME_TYPES.len(), 8);
    }

    #[test]
    fn capability_rules_of_the_levels() {
        let r = CapabilityRules::for_level(Level::Restricted);
        assert_eq!(r.add_problem("cap_net_bind_service"), None);
        assert_eq!(r.add_problem("CHOWN"), Some(AddProblem::NotAllowed));
        assert_eq!(r.add_problem("all"), Some(AddProblem::All));
        assert_eq!(r.missing_drops(&["NET_RAW".into()]), ["ALL"]);
        assert!(r.missing_drops(&["cap_all".into()]).is_empty());
        let b = CapabilityRules::for_level(Level::Baseline);
        assert_eq!(b.add_problem("CAP_CHOWN"), None);
        assert_eq!(b.add_problem("SYS_ADMIN"), Some(AddProblem::NotAllowed));
        assert!(b.missing_drops(&[]).is_empty());
        let any = CapabilityRules {
            allowed: None,
            required_drop: vec!["NET_RAW".into()],
            denied: vec!["SYS_ADMIN".into()],
        };
        assert_eq!(any.add_problem("ALL"), Some(AddProblem::All));
        assert_eq!(any.add_problem("sys_admin"), Some(AddProblem::Denied));
        assert_eq!(any.add_problem("NET_ADMIN"), None);
        assert_eq!(any.missing_drops(&["CHOWN".into()]), ["NET_RAW"]);
        let open = CapabilityRules::default();
        assert_eq!(open.add_problem("ALL"), None);
    }
}
