//! Pod-spec extraction for every pod-bearing kind, containers with their field paths, and the
//! effective security context.
//!
//! | kind (group)                          | pod spec at                              |
//! |---------------------------------------|------------------------------------------|
//! | Pod (core), incl. `pods/ephemeralcontainers` | `spec`                            |
//! | PodTemplate (core)                    | `template.spec`                          |
//! | ReplicationController (core)          | `spec.template.spec`                     |
//! | Deployment, ReplicaSet, StatefulSet, DaemonSet (apps) | `spec.template.spec`     |
//! | Job (batch)                           | `spec.template.spec`                     |
//! | CronJob (batch)                       | `spec.jobTemplate.spec.template.spec`    |
//!
//! Every other kind carries no pod spec: [`PodObject::from_request`] returns `Ok(None)` and pod
//! rules accept it untouched.

use crate::prelude::*;
use alloc::collections::BTreeMap;
use core::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::exemptions::CompiledExemptions;
use crate::request::{MetaView, ObjectError, Request};
use crate::verdict::Verdict;

/// The pod-bearing kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodKind {
    /// core/v1 Pod
    Pod,
    /// core/v1 PodTemplate
    PodTemplate,
    /// core/v1 ReplicationController
    ReplicationController,
    /// apps/v1 Deployment
    Deployment,
    /// apps/v1 ReplicaSet
    ReplicaSet,
    /// apps/v1 StatefulSet
    StatefulSet,
    /// apps/v1 DaemonSet
    DaemonSet,
    /// batch/v1 Job
    Job,
    /// batch/v1 CronJob
    CronJob,
}

impl PodKind {
    /// The pod-bearing kind for a group and kind, if it is one.
    pub fn of(group: &str, kind: &str) -> Option<PodKind> {
        Some(match (group, kind) {
            ("", "Pod") => PodKind::Pod,
            ("", "PodTemplate") => PodKind::PodTemplate,
            ("", "ReplicationController") => PodKind::ReplicationController,
            ("apps", "Deployment") => PodKind::Deployment,
            ("apps", "ReplicaSet") => PodKind::ReplicaSet,
            ("apps", "StatefulSet") => PodKind::StatefulSet,
            ("apps", "DaemonSet") => PodKind::DaemonSet,
            ("batch", "Job") => PodKind::Job,
            ("batch", "CronJob") => PodKind::CronJob,
            _ => return None,
        })
    }

    /// Dotted path of the pod spec inside the object.
    pub fn spec_path(self) -> &'static str {
        match self {
            PodKind::Pod => "spec",
            PodKind::PodTemplate => "template.spec",
            PodKind::CronJob => "spec.jobTemplate.spec.template.spec",
            _ => "spec.template.spec",
        }
    }

    /// Dotted path of the pod's metadata (annotations) inside the object.
    pub fn metadata_path(self) -> &'static str {
        match self {
            PodKind::Pod => "metadata",
            PodKind::PodTemplate => "template.metadata",
            PodKind::CronJob => "spec.jobTemplate.spec.template.metadata",
            _ => "spec.template.metadata",
        }
    }
}

crate::view! {
    /// `securityContext.capabilities`
    #[derive(Debug, Clone, Default)]
    pub struct Capabilities {
        /// `add`
        pub add: Vec<String> = "add" or_default,
        /// `drop`
        pub drop: Vec<String> = "drop" or_default,
    }
}

crate::view! {
    /// `seccompProfile` and `appArmorProfile` share this shape.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Profile {
        /// `type`: RuntimeDefault, Localhost, Unconfined
        pub kind: String = "type" or_default,
        /// `localhostProfile`
        pub localhost_profile: Option<String> = "localhostProfile",
    }
}

crate::view! {
    /// `seLinuxOptions`
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct SeLinuxOptions {
        /// `user`
        pub user: Option<String> = "user",
        /// `role`
        pub role: Option<String> = "role",
        /// `type`
        pub kind: Option<String> = "type",
        /// `level`
        pub level: Option<String> = "level",
    }
}

crate::view! {
    /// `windowsOptions`
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct WindowsOptions {
        /// `hostProcess`
        pub host_process: Option<bool> = "hostProcess",
        /// `runAsUserName`
        pub run_as_user_name: Option<String> = "runAsUserName",
    }
}

crate::view! {
    /// A container's `securityContext`.
    #[derive(Debug, Clone, Default)]
    pub struct SecurityContext {
        /// `privileged`
        pub privileged: Option<bool> = "privileged",
        /// `allowPrivilegeEscalation`
        pub allow_privilege_escalation: Option<bool> = "allowPrivilegeEscalation",
        /// `readOnlyRootFilesystem`
        pub read_only_root_filesystem: Option<bool> = "readOnlyRootFilesystem",
        /// `runAsNonRoot`
        pub run_as_non_root: Option<bool> = "runAsNonRoot",
        /// `runAsUser`
        pub run_as_user: Option<i64> = "runAsUser",
        /// `runAsGroup`
        pub run_as_group: Option<i64> = "runAsGroup",
        /// `procMount`
        pub proc_mount: Option<String> = "procMount",
        /// `capabilities`
        pub capabilities: Option<Capabilities> = "capabilities",
        /// `seccompProfile`
        pub seccomp_profile: Option<Profile> = "seccompProfile",
        /// `appArmorProfile`
        pub app_armor_profile: Option<Profile> = "appArmorProfile",
        /// `seLinuxOptions`
        pub se_linux_options: Option<SeLinuxOptions> = "seLinuxOptions",
        /// `windowsOptions`
        pub windows_options: Option<WindowsOptions> = "windowsOptions",
    }
}

crate::view! {
    /// `sysctls[]`
    #[derive(Debug, Clone, Default)]
    pub struct Sysctl {
        /// `name`
        pub name: String = "name" or_default,
        /// `value`
        pub value: String = "value" or_default,
    }
}

crate::view! {
    /// The pod's `securityContext`.
    #[derive(Debug, Clone, Default)]
    pub struct PodSecurityContext {
        /// `runAsNonRoot`
        pub run_as_non_root: Option<bool> = "runAsNonRoot",
        /// `runAsUser`
        pub run_as_user: Option<i64> = "runAsUser",
        /// `runAsGroup`
        pub run_as_group: Option<i64> = "runAsGroup",
        /// `fsGroup`
        pub fs_group: Option<i64> = "fsGroup",
        /// `supplementalGroups`
        pub supplemental_groups: Vec<i64> = "supplementalGroups" or_default,
        /// `seccompProfile`
        pub seccomp_profile: Option<Profile> = "seccompProfile",
        /// `appArmorProfile`
        pub app_armor_profile: Option<Profile> = "appArmorProfile",
        /// `seLinuxOptions`
        pub se_linux_options: Option<SeLinuxOptions> = "seLinuxOptions",
        /// `windowsOptions`
        pub windows_options: Option<WindowsOptions> = "windowsOptions",
        /// `sysctls`
        pub sysctls: Vec<Sysctl> = "sysctls" or_default,
    }
}

crate::view! {
    /// `ports[]`
    #[derive(Debug, Clone, Default)]
    pub struct ContainerPort {
        /// `name`
        pub name: Option<String> = "name",
        /// `containerPort`
        pub container_port: Option<i64> = "containerPort",
        /// `hostPort`
        pub host_port: Option<i64> = "hostPort",
        /// `protocol`
        pub protocol: Option<String> = "protocol",
    }
}

crate::view! {
    /// `volumeMounts[]`
    #[derive(Debug, Clone, Default)]
    pub struct VolumeMount {
        /// `name`
        pub name: String = "name" or_default,
        /// `mountPath`
        pub mount_path: String = "mountPath" or_default,
        /// `readOnly`
        pub read_only: Option<bool> = "readOnly",
    }
}

crate::view! {
    /// A container, init container or ephemeral container.
    #[derive(Debug, Clone, Default)]
    pub struct Container<'a> {
        /// `name`
        pub name: String = "name" or_default,
        /// `image`
        pub image: Option<String> = "image",
        /// `imagePullPolicy`
        pub image_pull_policy: Option<String> = "imagePullPolicy",
        /// `restartPolicy` (init containers only: `Always` makes a native sidecar)
        pub restart_policy: Option<String> = "restartPolicy",
        /// `securityContext`
        pub security_context: Option<Box<SecurityContext>> = "securityContext",
        /// `ports`, kept raw: decode with [`ContainerRef::ports`].
        pub ports: Option<&'a RawValue> = "ports",
        /// `volumeMounts`, kept raw: decode with [`ContainerRef::volume_mounts`].
        pub volume_mounts: Option<&'a RawValue> = "volumeMounts",
        /// `command`, kept raw: decode with [`ContainerRef::command`].
        pub command: Option<&'a RawValue> = "command",
        /// `args`, kept raw: decode with [`ContainerRef::args`].
        pub args: Option<&'a RawValue> = "args",
        /// `env`, kept raw: decode with [`Container::env`].
        pub env: Option<&'a RawValue> = "env",
        /// `envFrom`, kept raw: decode with [`Container::env_from`].
        pub env_from: Option<&'a RawValue> = "envFrom",
        /// `resources`, kept raw: decode with [`Container::resources`].
        pub resources: Option<&'a RawValue> = "resources",
        /// `livenessProbe`, kept raw: decode with [`Container::probe`].
        pub liveness_probe: Option<&'a RawValue> = "livenessProbe",
        /// `readinessProbe`, kept raw: decode with [`Container::probe`].
        pub readiness_probe: Option<&'a RawValue> = "readinessProbe",
        /// `startupProbe`, kept raw: decode with [`Container::probe`].
        pub startup_probe: Option<&'a RawValue> = "startupProbe",
        /// `lifecycle`, raw (decode with [`Lifecycle`]).
        pub lifecycle: Option<&'a RawValue> = "lifecycle",
    }
}

/// Decodes a raw part of the object as `T`; `Ok(None)` for an absent or `null` part. Error
/// paths are prefixed with `base`, the part's path in the object.
///
/// # Errors
/// An [`ObjectError`] naming the field that does not fit `T`.
pub fn decode_part<T: crate::json::DecodeOwned>(
    raw: Option<&RawValue>,
    base: &str,
) -> Result<Option<T>, ObjectError> {
    match raw {
        None => Ok(None),
        Some(r) if r.get() == "null" => Ok(None),
        Some(r) => crate::request::decode::<T>(r.get())
            .map(Some)
            .map_err(|e| ObjectError {
                path: if e.path.is_empty() {
                    base.to_string()
                } else if e.path.starts_with('[') {
                    format!("{base}{}", e.path)
                } else {
                    format!("{base}.{}", e.path)
                },
                reason: e.reason,
            }),
    }
}

/// Which probe of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// `livenessProbe`
    Liveness,
    /// `readinessProbe`
    Readiness,
    /// `startupProbe`
    Startup,
}

impl ProbeKind {
    /// The field name.
    pub fn field(self) -> &'static str {
        match self {
            ProbeKind::Liveness => "livenessProbe",
            ProbeKind::Readiness => "readinessProbe",
            ProbeKind::Startup => "startupProbe",
        }
    }
}

impl ContainerRef<'_> {
    /// The container's image, as written and parsed. `Err` carries the finding to report: the
    /// container sets no image, or the reference does not parse (with the reason).
    ///
    /// # Errors
    /// The finding detail, e.g. `image "a b" is not a valid reference: …`.
    pub fn image_ref(&self) -> Result<(&str, crate::image::ImageRef), String> {
        let Some(written) = self.container.image.as_deref().filter(|i| !i.is_empty()) else {
            return Err("sets no image".into());
        };
        crate::image::ImageRef::parse(written)
            .map(|r| (written, r))
            .map_err(|e| format!("image {written:?} is not a valid reference: {e}"))
    }

    /// A raw part of the container decoded as `T` (`None` when absent or `null`), errors
    /// naming `<container path>.<field>`.
    fn part<T: crate::json::DecodeOwned>(
        &self,
        raw: Option<&RawValue>,
        field: &str,
    ) -> Result<Option<T>, ObjectError> {
        decode_part(raw, &format!("{}.{field}", self.path()))
    }

    /// A raw list of the container decoded (empty when absent or `null`).
    fn list<T: crate::json::DecodeOwned>(
        &self,
        raw: Option<&RawValue>,
        field: &str,
    ) -> Result<Vec<T>, ObjectError> {
        Ok(self.part(raw, field)?.unwrap_or_default())
    }

    /// `command`, decoded (empty when absent).
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `command` is not a list of strings.
    pub fn command(&self) -> Result<Vec<String>, ObjectError> {
        self.list(self.container.command, "command")
    }

    /// `args`, decoded (empty when absent).
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `args` is not a list of strings.
    pub fn args(&self) -> Result<Vec<String>, ObjectError> {
        self.list(self.container.args, "args")
    }

    /// `env`, decoded (empty when absent).
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `env` is malformed.
    pub fn env(&self) -> Result<Vec<EnvVar>, ObjectError> {
        self.list(self.container.env, "env")
    }

    /// `envFrom`, decoded (empty when absent).
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `envFrom` is malformed.
    pub fn env_from(&self) -> Result<Vec<EnvFromSource>, ObjectError> {
        self.list(self.container.env_from, "envFrom")
    }

    /// `ports`, decoded (empty when absent). Kept raw in the view, like `env`: a module whose
    /// rule does not read the ports neither pays for decoding them nor judges them.
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `ports` is malformed.
    pub fn ports(&self) -> Result<Vec<ContainerPort>, ObjectError> {
        self.list(self.container.ports, "ports")
    }

    /// `volumeMounts`, decoded (empty when absent); kept raw in the view like `ports`.
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `volumeMounts` is malformed.
    pub fn volume_mounts(&self) -> Result<Vec<VolumeMount>, ObjectError> {
        self.list(self.container.volume_mounts, "volumeMounts")
    }

    /// `resources`, decoded (`None` when absent).
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `resources` is malformed.
    pub fn resources(&self) -> Result<Option<Resources>, ObjectError> {
        self.part(self.container.resources, "resources")
    }

    /// A probe, decoded (`None` when absent).
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when the probe is malformed.
    pub fn probe(&self, which: ProbeKind) -> Result<Option<Probe>, ObjectError> {
        let raw = match which {
            ProbeKind::Liveness => self.container.liveness_probe,
            ProbeKind::Readiness => self.container.readiness_probe,
            ProbeKind::Startup => self.container.startup_probe,
        };
        self.part(raw, which.field())
    }
}

crate::view! {
    /// A reference to an object by name (`secretRef`, `configMapRef`, `imagePullSecrets[]`, ...).
    #[derive(Debug, Clone, Default)]
    pub struct NameRef {
        /// `name`
        pub name: String = "name" or_default,
    }
}

crate::view! {
    /// `secretKeyRef` / `configMapKeyRef`
    #[derive(Debug, Clone, Default)]
    pub struct KeyRef {
        /// `name`
        pub name: String = "name" or_default,
        /// `key`
        pub key: String = "key" or_default,
        /// `optional`
        pub optional: Option<bool> = "optional",
    }
}

crate::view! {
    /// `env[].valueFrom`
    #[derive(Debug, Clone, Default)]
    pub struct EnvVarSource {
        /// `secretKeyRef`
        pub secret_key_ref: Option<KeyRef> = "secretKeyRef",
        /// `configMapKeyRef`
        pub config_map_key_ref: Option<KeyRef> = "configMapKeyRef",
        /// `fieldRef.fieldPath`, when set.
        pub field_ref: Option<FieldRef> = "fieldRef",
    }
}

crate::view! {
    /// `valueFrom.fieldRef`
    #[derive(Debug, Clone, Default)]
    pub struct FieldRef {
        /// `fieldPath`
        pub field_path: String = "fieldPath" or_default,
    }
}

crate::view! {
    /// `env[]`
    #[derive(Debug, Clone, Default)]
    pub struct EnvVar {
        /// `name`
        pub name: String = "name" or_default,
        /// `value` (a literal)
        pub value: Option<String> = "value",
        /// `valueFrom`
        pub value_from: Option<EnvVarSource> = "valueFrom",
    }
}

crate::view! {
    /// `envFrom[]`
    #[derive(Debug, Clone, Default)]
    pub struct EnvFromSource {
        /// `prefix`
        pub prefix: Option<String> = "prefix",
        /// `secretRef`
        pub secret_ref: Option<NameRef> = "secretRef",
        /// `configMapRef`
        pub config_map_ref: Option<NameRef> = "configMapRef",
    }
}

crate::view! {
    /// `resources`: quantities kept as written (a YAML number such as `cpu: 1` reads as `"1"`).
    #[derive(Debug, Clone, Default)]
    pub struct Resources {
        /// `limits`
        pub limits: BTreeMap<String, String> = "limits" with(quantity_map),
        /// `requests`
        pub requests: BTreeMap<String, String> = "requests" with(quantity_map),
    }
}

/// Reads a map of quantities keeping each as written: a JSON string's text, or a JSON number's
/// literal text (`1e3` stays `1e3`, no float round trip); `null` values are dropped.
fn quantity_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    use serde::de::Error;
    let m = Option::<BTreeMap<String, Box<serde_json::value::RawValue>>>::deserialize(d)?
        .unwrap_or_default();
    let mut out = BTreeMap::new();
    for (k, v) in m {
        let raw = v.get();
        if raw == "null" {
            continue;
        }
        let text = if raw.starts_with('"') {
            crate::json::decode::<String>(raw).map_err(D::Error::custom)?
        } else if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            raw.to_string()
        } else {
            return Err(D::Error::custom(format!(
                "quantity {k:?} is neither a string nor a number"
            )));
        };
        out.insert(k, text);
    }
    Ok(out)
}

crate::view! {
    /// `livenessProbe` / `readinessProbe` / `startupProbe`: which handler it uses.
    #[derive(Debug, Clone, Default)]
    pub struct Probe {
        /// `exec`
        pub exec: Option<serde::de::IgnoredAny> = "exec",
        /// `httpGet`
        pub http_get: Option<serde::de::IgnoredAny> = "httpGet",
        /// `tcpSocket`
        pub tcp_socket: Option<serde::de::IgnoredAny> = "tcpSocket",
        /// `grpc`
        pub grpc: Option<serde::de::IgnoredAny> = "grpc",
    }
}

impl Probe {
    /// Whether the probe names a handler (a probe without one is not a probe).
    pub fn has_handler(&self) -> bool {
        self.exec.is_some()
            || self.http_get.is_some()
            || self.tcp_socket.is_some()
            || self.grpc.is_some()
    }
}

crate::view! {
    /// `tolerations[]`
    #[derive(Debug, Clone, Default)]
    pub struct Toleration {
        /// `key`
        pub key: Option<String> = "key",
        /// `operator`
        pub operator: Option<String> = "operator",
        /// `value`
        pub value: Option<String> = "value",
        /// `effect`
        pub effect: Option<String> = "effect",
    }
}

crate::view! {
    /// `volumes[].secret`
    #[derive(Debug, Clone, Default)]
    pub struct SecretVolume {
        /// `secretName`
        pub secret_name: String = "secretName" or_default,
    }
}

crate::view! {
    /// `volumes[].csi`
    #[derive(Debug, Clone, Default)]
    pub struct CsiVolume {
        /// `driver`
        pub driver: String = "driver" or_default,
        /// `readOnly`
        pub read_only: Option<bool> = "readOnly",
        /// `volumeAttributes`
        pub volume_attributes: BTreeMap<String, String> = "volumeAttributes" or_default,
        /// `nodePublishSecretRef`
        pub node_publish_secret_ref: Option<NameRef> = "nodePublishSecretRef",
    }
}

crate::view! {
    /// `volumes[].persistentVolumeClaim`
    #[derive(Debug, Clone, Default)]
    pub struct PvcVolume {
        /// `claimName`
        pub claim_name: String = "claimName" or_default,
    }
}

crate::view! {
    /// `volumes[].projected.sources[]`: which sources it projects.
    #[derive(Debug, Clone, Default)]
    pub struct ProjectedSource {
        /// `secret`
        pub secret: Option<NameRef> = "secret",
        /// `configMap`
        pub config_map: Option<NameRef> = "configMap",
        /// `serviceAccountToken`
        pub service_account_token: Option<serde::de::IgnoredAny> = "serviceAccountToken",
    }
}

crate::view! {
    /// `volumes[].projected`
    #[derive(Debug, Clone, Default)]
    pub struct ProjectedVolume {
        /// `sources`
        pub sources: Vec<ProjectedSource> = "sources" or_default,
    }
}

crate::view! {
    /// `httpGet` or `tcpSocket` of a probe or lifecycle handler: only `host` is read.
    #[derive(Debug, Clone, Default)]
    pub struct HandlerTarget {
        /// `host`: where the kubelet connects (empty or absent means the pod's IP).
        pub host: Option<String> = "host",
    }
}

crate::view! {
    /// A probe or a lifecycle handler: the actions that can name a host.
    #[derive(Debug, Clone, Default)]
    pub struct Handler {
        /// `httpGet`
        pub http_get: Option<HandlerTarget> = "httpGet",
        /// `tcpSocket`
        pub tcp_socket: Option<HandlerTarget> = "tcpSocket",
    }
}

crate::view! {
    /// `lifecycle`
    #[derive(Debug, Clone, Default)]
    pub struct Lifecycle {
        /// `postStart`
        pub post_start: Option<Handler> = "postStart",
        /// `preStop`
        pub pre_stop: Option<Handler> = "preStop",
    }
}

crate::view! {
    /// `volumes[].hostPath`
    #[derive(Debug, Clone, Default)]
    pub struct HostPathVolume {
        /// `path`
        pub path: String = "path" or_default,
        /// `type`
        pub kind: Option<String> = "type",
    }
}

/// `volumes[]`: the name, the volume source type (the one key besides `name`), and the
/// fields of the sources rules read.
#[derive(Debug, Clone, Default)]
pub struct Volume {
    /// `name`
    pub name: String,
    /// The source keys present, e.g. `["hostPath"]`.
    pub sources: Vec<String>,
    /// `hostPath`, when that is the source.
    pub host_path: Option<HostPathVolume>,
    /// The value of the (last) source key other than `hostPath`, kept raw: decode with
    /// [`Volume::secret`], [`Volume::csi`], [`Volume::persistent_volume_claim`],
    /// [`Volume::projected`] or [`Volume::source_as`].
    pub source: Option<Box<RawValue>>,
    /// `flexVolume.driver`, when that is the source.
    pub flex_volume_driver: Option<String>,
    /// `csi.driver`, when that is the source (inline CSI volume).
    pub csi_driver: Option<String>,
}

impl Volume {
    /// The source decoded as `T` when the volume's source is `key`.
    ///
    /// # Errors
    /// An [`ObjectError`] (path relative to the source) when it does not fit `T`.
    pub fn source_as<T: crate::json::DecodeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, ObjectError> {
        if self.sources.last().map(String::as_str) != Some(key) {
            return Ok(None);
        }
        decode_part(self.source.as_deref(), key)
    }

    /// `secret`, when that is the source.
    ///
    /// # Errors
    /// When it is malformed.
    pub fn secret(&self) -> Result<Option<SecretVolume>, ObjectError> {
        self.source_as("secret")
    }

    /// `csi`, when that is the source.
    ///
    /// # Errors
    /// When it is malformed.
    pub fn csi(&self) -> Result<Option<CsiVolume>, ObjectError> {
        self.source_as("csi")
    }

    /// `persistentVolumeClaim`, when that is the source.
    ///
    /// # Errors
    /// When it is malformed.
    pub fn persistent_volume_claim(&self) -> Result<Option<PvcVolume>, ObjectError> {
        self.source_as("persistentVolumeClaim")
    }

    /// `projected`, when that is the source.
    ///
    /// # Errors
    /// When it is malformed.
    pub fn projected(&self) -> Result<Option<ProjectedVolume>, ObjectError> {
        self.source_as("projected")
    }
}

crate::view! {
    /// The `driver` of a `flexVolume` or `csi` volume source.
    #[derive(Default)]
    struct DriverOnly {
        driver: String = "driver" or_default,
    }
}

impl<'de> Deserialize<'de> for Volume {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Volume;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a volume object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Volume, A::Error> {
                let mut v = Volume::default();
                while let Some(key) = m.next_key::<alloc::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "name" => v.name = m.next_value::<Option<String>>()?.unwrap_or_default(),
                        "hostPath" => {
                            let hp = m.next_value::<Option<HostPathVolume>>()?;
                            if hp.is_some() {
                                v.sources.push("hostPath".into());
                            }
                            v.host_path = hp;
                        }
                        "flexVolume" | "csi" => {
                            let raw = m.next_value::<Box<RawValue>>()?;
                            if raw.get() != "null" {
                                let d: DriverOnly = crate::json::decode(raw.get())
                                    .map_err(serde::de::Error::custom)?;
                                if key.as_ref() == "csi" {
                                    v.sources.push("csi".into());
                                    v.csi_driver = Some(d.driver);
                                } else {
                                    v.sources.push("flexVolume".into());
                                    v.flex_volume_driver = Some(d.driver);
                                }
                                v.source = Some(raw);
                            }
                        }
                        other => {
                            let val = m.next_value::<Box<RawValue>>()?;
                            if val.get() != "null" {
                                v.sources.push(other.to_string());
                                v.source = Some(val);
                            }
                        }
                    }
                }
                Ok(v)
            }
        }
        d.deserialize_map(V)
    }
}

crate::decode_by_serde!(Volume);

crate::view! {
    /// The fields of a pod spec that rules read.
    #[derive(Debug, Clone, Default)]
    pub struct PodSpec<'a> {
        /// `containers`
        pub containers: Vec<Container<'a>> = "containers" or_default,
        /// `initContainers`
        pub init_containers: Vec<Container<'a>> = "initContainers" or_default,
        /// `ephemeralContainers`
        pub ephemeral_containers: Vec<Container<'a>> = "ephemeralContainers" or_default,
        /// `securityContext`
        pub security_context: Option<Box<PodSecurityContext>> = "securityContext",
        /// `hostNetwork`
        pub host_network: Option<bool> = "hostNetwork",
        /// `hostPID`
        pub host_pid: Option<bool> = "hostPID",
        /// `hostIPC`
        pub host_ipc: Option<bool> = "hostIPC",
        /// `shareProcessNamespace`
        pub share_process_namespace: Option<bool> = "shareProcessNamespace",
        /// `volumes`, kept raw: decode with [`PodSpec::volumes`] (or [`PodObject::volumes`]), so
        /// that a module whose rule does not read volumes neither pays for decoding them nor
        /// judges them.
        pub volumes: Option<&'a RawValue> = "volumes",
        /// `serviceAccountName`
        pub service_account_name: Option<String> = "serviceAccountName",
        /// `serviceAccount` (deprecated alias)
        pub service_account: Option<String> = "serviceAccount",
        /// `automountServiceAccountToken`
        pub automount_service_account_token: Option<bool> = "automountServiceAccountToken",
        /// `runtimeClassName`
        pub runtime_class_name: Option<String> = "runtimeClassName",
        /// `hostUsers`
        pub host_users: Option<bool> = "hostUsers",
        /// `nodeName`
        pub node_name: Option<String> = "nodeName",
        /// `nodeSelector`, kept raw: decode with [`PodSpec::node_selector`].
        pub node_selector: Option<&'a RawValue> = "nodeSelector",
        /// `tolerations`, kept raw: decode with [`PodSpec::tolerations`].
        pub tolerations: Option<&'a RawValue> = "tolerations",
        /// `affinity`, kept raw for the rules that read it.
        pub affinity: Option<&'a RawValue> = "affinity",
        /// `priorityClassName`
        pub priority_class_name: Option<String> = "priorityClassName",
        /// `imagePullSecrets`, kept raw: decode with [`decode_part`].
        pub image_pull_secrets: Option<&'a RawValue> = "imagePullSecrets",
        /// `os`
        pub os: Option<PodOs> = "os",
    }
}

crate::view! {
    /// `os` of a pod spec.
    #[derive(Debug, Clone, Default)]
    pub struct PodOs {
        /// `name`: `linux` or `windows`.
        pub name: String = "name" or_default,
    }
}

impl PodSpec<'_> {
    /// Whether the pod declares `os.name: windows`. The API server then refuses the Linux-only
    /// security fields (`allowPrivilegeEscalation`, `capabilities`, `privileged`,
    /// `readOnlyRootFilesystem`, `runAsUser`, `runAsGroup`, `seccompProfile`, …), and the Pod
    /// Security Standards exempt such pods from the checks of those fields.
    pub fn is_windows(&self) -> bool {
        self.os.as_ref().is_some_and(|o| o.name == "windows")
    }

    /// `tolerations`, decoded (empty when absent); `base` is the pod spec's path.
    ///
    /// # Errors
    /// When it is malformed.
    pub fn tolerations(&self, base: &str) -> Result<Vec<Toleration>, ObjectError> {
        Ok(decode_part(self.tolerations, &format!("{base}.tolerations"))?.unwrap_or_default())
    }

    /// `volumes`, decoded (empty when absent or `null`); `base` is the pod spec's path.
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `volumes` is malformed.
    pub fn volumes(&self, base: &str) -> Result<Vec<Volume>, ObjectError> {
        Ok(decode_part(self.volumes, &format!("{base}.volumes"))?.unwrap_or_default())
    }

    /// `nodeSelector`, decoded (empty when absent or `null`); `base` is the pod spec's path.
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `nodeSelector` is malformed.
    pub fn node_selector(&self, base: &str) -> Result<BTreeMap<String, String>, ObjectError> {
        Ok(decode_part(self.node_selector, &format!("{base}.nodeSelector"))?.unwrap_or_default())
    }

    /// The service account the pod runs as (`serviceAccountName`, else the deprecated
    /// `serviceAccount`, else `default`).
    pub fn service_account(&self) -> &str {
        service_account_of(
            self.service_account_name.as_deref(),
            self.service_account.as_deref(),
        )
    }
}

/// The ServiceAccount a pod runs as, from its `serviceAccountName` and the deprecated alias
/// `serviceAccount`: the first that is set and not empty, else `default` (as the API server's
/// ServiceAccount admission fills it in).
pub fn service_account_of<'s>(name: Option<&'s str>, alias: Option<&'s str>) -> &'s str {
    name.filter(|s| !s.is_empty())
        .or(alias.filter(|s| !s.is_empty()))
        .unwrap_or("default")
}

crate::view! {
    #[derive(Default)]
    struct TemplateView<'a> {
        metadata: MetaView<'a> = "metadata" or_default,
        spec: Option<Box<PodSpec<'a>>> = "spec",
    }
}

crate::view! {
    #[derive(Default)]
    struct PodView<'a> {
        metadata: MetaView<'a> = "metadata" or_default,
        spec: Option<Box<PodSpec<'a>>> = "spec",
    }
}

crate::view! {
    #[derive(Default)]
    struct PodTemplateView<'a> {
        metadata: MetaView<'a> = "metadata" or_default,
        template: Option<Box<TemplateView<'a>>> = "template",
    }
}

crate::view! {
    #[derive(Default)]
    struct WorkloadSpec<'a> {
        template: Option<Box<TemplateView<'a>>> = "template",
    }
}

crate::view! {
    #[derive(Default)]
    struct WorkloadView<'a> {
        metadata: MetaView<'a> = "metadata" or_default,
        spec: Option<WorkloadSpec<'a>> = "spec",
    }
}

crate::view! {
    #[derive(Default)]
    struct JobTemplate<'a> {
        spec: Option<WorkloadSpec<'a>> = "spec",
    }
}

crate::view! {
    #[derive(Default)]
    struct CronJobSpec<'a> {
        job_template: Option<JobTemplate<'a>> = "jobTemplate",
    }
}

crate::view! {
    #[derive(Default)]
    struct CronJobView<'a> {
        metadata: MetaView<'a> = "metadata" or_default,
        spec: Option<CronJobSpec<'a>> = "spec",
    }
}

/// The decoded `volumeMounts` of a pod's containers, for rules that match volumes to the
/// containers mounting them ([`PodObject::mounts`]).
pub struct PodMounts<'p> {
    /// Every container with its mounts.
    pub all: Vec<(ContainerRef<'p>, Vec<VolumeMount>)>,
    /// The containers not exempt ([`PodObject::checked_containers`]) with their mounts.
    pub checked: Vec<(ContainerRef<'p>, Vec<VolumeMount>)>,
}

impl PodMounts<'_> {
    /// Whether volume `name` is mounted, and only by exempt containers: a rule leaves such a
    /// volume to the exemption. A volume no container mounts is not.
    pub fn only_exempt_mounts(&self, name: &str) -> bool {
        let mounts = |list: &[(ContainerRef<'_>, Vec<VolumeMount>)]| {
            list.iter().any(|(_, ms)| ms.iter().any(|m| m.name == name))
        };
        mounts(&self.all) && !mounts(&self.checked)
    }
}

/// Which list a container comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    /// `containers`
    Regular,
    /// `initContainers`
    Init,
    /// `ephemeralContainers`
    Ephemeral,
}

impl ContainerKind {
    /// The pod-spec field name.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Regular => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// The word used in messages.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Regular => "container",
            ContainerKind::Init => "init container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// A container together with where it sits in the object.
#[derive(Debug, Clone, Copy)]
pub struct ContainerRef<'a> {
    /// The container.
    pub container: &'a Container<'a>,
    /// Which list it is in.
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    /// Path of the pod spec in the object, e.g. `spec.template.spec`.
    pub spec_path: &'static str,
}

impl ContainerRef<'_> {
    /// The container's field path, e.g. `spec.template.spec.initContainers[1]`.
    pub fn path(&self) -> String {
        format!("{}.{}[{}]", self.spec_path, self.kind.field(), self.index)
    }

    /// `container "app" (spec.template.spec.containers[0])`, the subject of a message.
    pub fn subject(&self) -> String {
        format!(
            "{} {:?} ({})",
            self.kind.noun(),
            self.container.name,
            self.path()
        )
    }
}

impl crate::verdict::Subject for ContainerRef<'_> {
    fn subject(&self) -> String {
        ContainerRef::subject(self)
    }
}

/// Where an effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The pod's `securityContext`.
    Pod,
    /// The container's `securityContext`.
    Container,
}

/// An effective setting and the field path it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective<T> {
    /// The value in force.
    pub value: T,
    /// Whether it was set on the container or inherited from the pod.
    pub level: Level,
    /// Full field path of the setting, e.g. `spec.securityContext.runAsUser`.
    pub path: String,
}

/// A pod spec located in its object.
#[derive(Debug, Clone)]
pub struct PodObject<'a> {
    /// Which pod-bearing kind.
    pub kind: PodKind,
    /// The object's metadata.
    pub metadata: MetaView<'a>,
    /// The pod's own metadata (the template's for workloads; the object's for a Pod).
    pub pod_metadata: MetaView<'a>,
    /// The pod's own annotations, decoded on first use ([`PodObject::pod_annotations`]: the
    /// legacy seccomp and AppArmor annotations are read through them). A bare Pod applied
    /// with `kubectl apply` carries its whole manifest in one of them, which rules that do not
    /// read annotations should neither copy nor judge.
    annotations: core::cell::OnceCell<BTreeMap<String, String>>,
    /// The pod spec (empty when the object has none).
    pub spec: PodSpec<'a>,
    /// Only ephemeral containers are in scope (the `pods/ephemeralcontainers` subresource,
    /// through which nothing else can change).
    pub ephemeral_only: bool,
}

impl<'a> PodObject<'a> {
    /// Extracts the pod spec from the request's object, by the request's kind.
    ///
    /// `Ok(None)` for kinds that carry no pod spec and for requests without an object.
    ///
    /// # Errors
    /// An [`ObjectError`] naming the field that does not have the Kubernetes shape.
    pub fn from_request(req: &Request<'a>) -> Result<Option<PodObject<'a>>, ObjectError> {
        let Some(kind) = PodKind::of(&req.kind.group, &req.kind.kind) else {
            return Ok(None);
        };
        let ephemeral_only = req.is_ephemeral_containers_update();
        let meta_path = kind.metadata_path();
        let views = match kind {
            PodKind::Pod => req.object_as::<PodView>()?.map(|v| {
                let metadata = v.metadata.at(meta_path);
                (metadata.clone(), metadata, v.spec)
            }),
            PodKind::PodTemplate => req.object_as::<PodTemplateView>()?.map(|v| {
                let t = v.template.map(|t| *t).unwrap_or_default();
                (v.metadata.at("metadata"), t.metadata.at(meta_path), t.spec)
            }),
            PodKind::CronJob => req.object_as::<CronJobView>()?.map(|v| {
                let t = v
                    .spec
                    .and_then(|s| s.job_template)
                    .and_then(|j| j.spec)
                    .and_then(|s| s.template)
                    .map(|t| *t)
                    .unwrap_or_default();
                (v.metadata.at("metadata"), t.metadata.at(meta_path), t.spec)
            }),
            _ => req.object_as::<WorkloadView>()?.map(|v| {
                let t = v
                    .spec
                    .and_then(|s| s.template)
                    .map(|t| *t)
                    .unwrap_or_default();
                (v.metadata.at("metadata"), t.metadata.at(meta_path), t.spec)
            }),
        };
        let Some((metadata, pod_metadata, spec)) = views else {
            return Ok(None);
        };
        req.remember_metadata(&metadata);
        let built = Some(PodObject {
            kind,
            metadata,
            pod_metadata,
            annotations: core::cell::OnceCell::new(),
            spec: spec.map(|s| *s).unwrap_or_default(),
            ephemeral_only,
        });
        Ok(built)
    }

    /// The pod a pod rule should check, with the preamble every pod rule shares applied:
    /// `Ok(None)` (accept) for kinds without a pod spec, requests without an object, and pods
    /// running as an exempt ServiceAccount; `Err` with the 400 rejection for an object that
    /// cannot be read.
    ///
    /// # Errors
    /// The [`Verdict`] rejecting an unreadable object.
    pub fn in_scope(
        req: &Request<'a>,
        exemptions: &CompiledExemptions,
    ) -> Result<Option<PodObject<'a>>, Verdict> {
        let pod = match PodObject::from_request(req) {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(None),
            Err(e) => return Err(Verdict::cannot_read(e)),
        };
        let namespace = req.effective_namespace(&pod.metadata);
        if exemptions.exempts_service_account(namespace, pod.spec.service_account()) {
            return Ok(None);
        }
        Ok(Some(pod))
    }

    /// The `volumeMounts` of every container and of the containers not exempt, each decoded
    /// once.
    ///
    /// # Errors
    /// The first container whose `volumeMounts` is malformed (the rule's 400).
    pub fn mounts<'s>(
        &'s self,
        exemptions: &'s CompiledExemptions,
    ) -> Result<PodMounts<'s>, ObjectError> {
        let decode = |list: &mut dyn Iterator<Item = ContainerRef<'s>>| {
            list.map(|c| c.volume_mounts().map(|m| (c, m)))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(PodMounts {
            all: decode(&mut self.containers())?,
            checked: decode(&mut self.checked_containers(exemptions))?,
        })
    }

    /// The pod's `volumes`, decoded (empty when absent or `null`).
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `volumes` is malformed (the rule's 400).
    pub fn volumes(&self) -> Result<Vec<Volume>, ObjectError> {
        self.spec.volumes(self.spec_path())
    }

    /// The in-scope containers whose image is not exempt (see [`PodObject::containers`]).
    pub fn checked_containers<'s>(
        &'s self,
        exemptions: &'s CompiledExemptions,
    ) -> impl Iterator<Item = ContainerRef<'s>> + 's {
        self.containers().filter(move |c| {
            !c.container
                .image
                .as_deref()
                .is_some_and(|i| exemptions.exempts_image(i))
        })
    }

    /// Path of the pod spec in the object.
    pub fn spec_path(&self) -> &'static str {
        self.kind.spec_path()
    }

    /// Every container in scope: containers, init containers and ephemeral containers, in
    /// that order (only ephemeral ones for the `pods/ephemeralcontainers` subresource).
    pub fn containers(&self) -> impl Iterator<Item = ContainerRef<'_>> {
        let spec_path = self.spec_path();
        let lists: [(&[Container], ContainerKind); 3] = [
            (&self.spec.containers, ContainerKind::Regular),
            (&self.spec.init_containers, ContainerKind::Init),
            (&self.spec.ephemeral_containers, ContainerKind::Ephemeral),
        ];
        let ephemeral_only = self.ephemeral_only;
        lists
            .into_iter()
            .filter(move |(_, k)| !ephemeral_only || *k == ContainerKind::Ephemeral)
            .flat_map(move |(list, kind)| {
                list.iter()
                    .enumerate()
                    .map(move |(index, container)| ContainerRef {
                        container,
                        kind,
                        index,
                        spec_path,
                    })
            })
    }

    /// Pod annotations (the template's for workloads), decoded on first use.
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when they are malformed (the rule's 400).
    pub fn pod_annotations(&self) -> Result<&BTreeMap<String, String>, ObjectError> {
        if let Some(a) = self.annotations.get() {
            return Ok(a);
        }
        let decoded = self.pod_metadata.annotations()?;
        Ok(self.annotations.get_or_init(|| decoded))
    }

    fn pick<T: Clone>(
        &self,
        c: &ContainerRef<'_>,
        field: &str,
        from_container: impl Fn(&SecurityContext) -> Option<T>,
        from_pod: impl Fn(&PodSecurityContext) -> Option<T>,
    ) -> Option<Effective<T>> {
        if let Some(v) = c
            .container
            .security_context
            .as_deref()
            .and_then(&from_container)
        {
            return Some(Effective {
                value: v,
                level: Level::Container,
                path: format!("{}.securityContext.{field}", c.path()),
            });
        }
        self.spec
            .security_context
            .as_deref()
            .and_then(&from_pod)
            .map(|v| Effective {
                value: v,
                level: Level::Pod,
                path: format!("{}.securityContext.{field}", self.spec_path()),
            })
    }

    /// Effective `runAsNonRoot` for a container (container value over pod value).
    pub fn effective_run_as_non_root(&self, c: &ContainerRef<'_>) -> Option<Effective<bool>> {
        self.pick(
            c,
            "runAsNonRoot",
            |s| s.run_as_non_root,
            |p| p.run_as_non_root,
        )
    }

    /// Effective `runAsUser`.
    pub fn effective_run_as_user(&self, c: &ContainerRef<'_>) -> Option<Effective<i64>> {
        self.pick(c, "runAsUser", |s| s.run_as_user, |p| p.run_as_user)
    }

    /// Effective `runAsGroup`.
    pub fn effective_run_as_group(&self, c: &ContainerRef<'_>) -> Option<Effective<i64>> {
        self.pick(c, "runAsGroup", |s| s.run_as_group, |p| p.run_as_group)
    }

    /// Effective `seccompProfile`.
    pub fn effective_seccomp(&self, c: &ContainerRef<'_>) -> Option<Effective<Profile>> {
        self.pick(
            c,
            "seccompProfile",
            |s| s.seccomp_profile.clone(),
            |p| p.seccomp_profile.clone(),
        )
    }

    /// Effective `appArmorProfile`.
    pub fn effective_apparmor(&self, c: &ContainerRef<'_>) -> Option<Effective<Profile>> {
        self.pick(
            c,
            "appArmorProfile",
            |s| s.app_armor_profile.clone(),
            |p| p.app_armor_profile.clone(),
        )
    }

    /// Effective `seLinuxOptions`.
    pub fn effective_selinux(&self, c: &ContainerRef<'_>) -> Option<Effective<SeLinuxOptions>> {
        self.pick(
            c,
            "seLinuxOptions",
            |s| s.se_linux_options.clone(),
            |p| p.se_linux_options.clone(),
        )
    }

    /// Effective `windowsOptions.hostProcess`.
    pub fn effective_host_process(&self, c: &ContainerRef<'_>) -> Option<Effective<bool>> {
        self.pick(
            c,
            "windowsOptions.hostProcess",
            |s| s.windows_options.as_ref().and_then(|w| w.host_process),
            |p| p.windows_options.as_ref().and_then(|w| w.host_process),
        )
    }

    /// Effective `windowsOptions.runAsUserName`.
    pub fn effective_run_as_user_name(&self, c: &ContainerRef<'_>) -> Option<Effective<String>> {
        self.pick(
            c,
            "windowsOptions.runAsUserName",
            |s| {
                s.windows_options
                    .as_ref()
                    .and_then(|w| w.run_as_user_name.clone())
            },
            |p| {
                p.windows_options
                    .as_ref()
                    .and_then(|w| w.run_as_user_name.clone())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(group: &str, kind: &str, sub: Option<&str>, object: &str) -> String {
        let sub = sub
            .map(|s| format!(r#""subResource":"{s}","#))
            .unwrap_or_default();
        format!(
            r#"{{"uid":"u","kind":{{"group":"{group}","version":"v1","kind":"{kind}"}},
            "resource":{{"group":"{group}","version":"v1","resource":"pods"}},{sub}
            "operation":"CREATE","userInfo":{{"username":"u"}},"object":{object}}}"#
        )
    }

    /// The pod view of a test object (the request text is leaked: the view borrows it).
    fn extract(group: &str, kind: &str, object: &str) -> PodObject<'static> {
        let r: &'static str = Box::leak(request(group, kind, None, object).into_boxed_str());
        let req: Request = serde_json::from_str(r).unwrap();
        PodObject::from_request(&req).unwrap().unwrap()
    }

    const SPEC: &str = r#"{"containers":[{"name":"a","image":"x"}],
        "initContainers":[{"name":"i"}],"ephemeralContainers":[{"name":"e"}]}"#;

    #[test]
    fn env_resources_probes_and_volume_sources_are_read() {
        let pod = extract(
            "",
            "Pod",
            r#"{"metadata":{"name":"p","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","controller":true}]},
            "spec":{"containers":[{"name":"a","image":"x",
              "env":[{"name":"A","value":"1"},{"name":"S","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}],
              "envFrom":[{"secretRef":{"name":"all"}}],
              "resources":{"limits":{"cpu":1,"memory":"1Gi","x":1e3,"n":null},"requests":null},
              "livenessProbe":{"httpGet":{"path":"/"}},"readinessProbe":{}}],
            "volumes":[{"name":"s","secret":{"secretName":"db"}},
              {"name":"c","csi":{"driver":"secrets-store.csi.k8s.io","volumeAttributes":{"secretProviderClass":"kv"}}},
              {"name":"p","projected":{"sources":[{"serviceAccountToken":{"path":"t"}}]}},
              {"name":"v","persistentVolumeClaim":{"claimName":"data"}}],
            "nodeSelector":{"pci-scope":"in"},"tolerations":[{"key":"pci","operator":"Exists"}],
            "affinity":{"nodeAffinity":{}},"hostUsers":false}}"#,
        );
        let c = pod.containers().next().unwrap();
        let env = c.env().unwrap();
        assert_eq!(env[0].value.as_deref(), Some("1"));
        let r = env[1]
            .value_from
            .as_ref()
            .unwrap()
            .secret_key_ref
            .as_ref()
            .unwrap();
        assert_eq!((r.name.as_str(), r.key.as_str()), ("s", "k"));
        assert_eq!(
            c.env_from().unwrap()[0].secret_ref.as_ref().unwrap().name,
            "all"
        );
        let res = c.resources().unwrap().unwrap();
        assert_eq!(res.limits.get("cpu").map(String::as_str), Some("1"));
        assert_eq!(res.limits.get("memory").map(String::as_str), Some("1Gi"));
        assert_eq!(res.limits.get("x").map(String::as_str), Some("1e3"));
        assert!(!res.limits.contains_key("n"));
        assert!(c.probe(ProbeKind::Liveness).unwrap().unwrap().has_handler());
        assert!(
            !c.probe(ProbeKind::Readiness)
                .unwrap()
                .unwrap()
                .has_handler()
        );
        assert!(c.probe(ProbeKind::Startup).unwrap().is_none());
        let v = &pod.volumes().unwrap();
        assert_eq!(v[0].secret().unwrap().unwrap().secret_name, "db");
        assert!(v[0].csi().unwrap().is_none());
        assert_eq!(
            v[1].csi().unwrap().unwrap().volume_attributes["secretProviderClass"],
            "kv"
        );
        assert!(
            v[2].projected().unwrap().unwrap().sources[0]
                .service_account_token
                .is_some()
        );
        assert_eq!(
            v[3].persistent_volume_claim().unwrap().unwrap().claim_name,
            "data"
        );
        assert_eq!(
            v.iter().map(|v| v.sources.join(",")).collect::<Vec<_>>(),
            ["secret", "csi", "projected", "persistentVolumeClaim"]
        );
        assert_eq!(
            pod.spec.tolerations("spec").unwrap()[0].operator.as_deref(),
            Some("Exists")
        );
        assert_eq!(pod.spec.node_selector("spec").unwrap()["pci-scope"], "in");
        assert!(pod.spec.affinity.is_some());
        assert_eq!(pod.spec.host_users, Some(false));
        assert_eq!(
            pod.metadata.owner_references().unwrap()[0].kind,
            "ReplicaSet"
        );
    }

    #[test]
    fn the_pod_view_hands_its_metadata_to_the_request() {
        let object = r#"{"metadata":{"name":"web","namespace":"shop","labels":{"a":"b"}},
            "spec":{"template":{"metadata":{"name":"other"},"spec":{}}}}"#;
        let text = request("apps", "Deployment", None, object);
        let req: Request = serde_json::from_str(&text).unwrap();
        let fresh: Request = serde_json::from_str(&text).unwrap();
        PodObject::from_request(&req).unwrap().unwrap();
        // The object's metadata, not the template's, and the same as a fresh read.
        let (kept, read) = (req.metadata_view().unwrap(), fresh.metadata_view().unwrap());
        assert_eq!((kept.name.as_str(), kept.path()), ("web", "metadata"));
        assert_eq!((kept.name, kept.namespace), (read.name, read.namespace));
        assert_eq!(req.metadata().unwrap().labels["a"], "b");
        assert_eq!(
            req.identity(&req.metadata_view().unwrap()),
            "Deployment shop/web"
        );
    }

    #[test]
    fn metadata_parts_are_decoded_by_the_rules_that_read_them() {
        let object = r#"{"metadata":{"name":"web","namespace":"shop",
            "labels":{"app":"web"},"annotations":{"a":1},"ownerReferences":"x"},
            "spec":{"template":{"metadata":{"labels":{"tier":"front"},
            "annotations":{"container.apparmor.security.beta.kubernetes.io/c":"runtime/default"}},
            "spec":{"containers":[{"name":"c","image":"nginx"}]}}}}"#;
        let pod = extract("apps", "Deployment", object);
        // The names are read at once; a malformed part is only an error where it is read.
        assert_eq!(
            (pod.metadata.name.as_str(), pod.metadata.namespace.as_str()),
            ("web", "shop")
        );
        assert_eq!(pod.metadata.path(), "metadata");
        assert_eq!(pod.pod_metadata.path(), "spec.template.metadata");
        assert_eq!(pod.metadata.labels().unwrap()["app"], "web");
        let e = pod.metadata.annotations().unwrap_err();
        assert_eq!(e.path, "metadata.annotations.a");
        let e = pod.metadata.owner_references().unwrap_err();
        assert_eq!(e.path, "metadata.ownerReferences");
        assert!(pod.metadata.decode().is_err());
        assert_eq!(pod.pod_metadata.labels().unwrap()["tier"], "front");
        assert!(pod.pod_metadata.owner_references().unwrap().is_empty());
        let m = pod.pod_metadata.decode().unwrap();
        assert_eq!(m.labels["tier"], "front");
        // The pod's own annotations are decoded on first use, once.
        assert_eq!(
            pod.pod_annotations().unwrap()["container.apparmor.security.beta.kubernetes.io/c"],
            "runtime/default"
        );
        assert!(core::ptr::eq(
            pod.pod_annotations().unwrap(),
            pod.pod_annotations().unwrap()
        ));

        // A Pod's metadata is both; a malformed pod annotation is an error where it is read.
        let pod = extract(
            "",
            "Pod",
            r#"{"metadata":{"name":"p","labels":null,"annotations":{"k":"v"}},"spec":{}}"#,
        );
        assert_eq!(pod.pod_metadata.path(), "metadata");
        assert!(pod.pod_metadata.labels().unwrap().is_empty());
        assert_eq!(pod.pod_annotations().unwrap()["k"], "v");
        let req = request(
            "batch",
            "CronJob",
            None,
            r#"{"spec":{"jobTemplate":{"spec":{"template":{"metadata":{"annotations":["x"]}}}}}}"#,
        );
        let req: Request = serde_json::from_str(&req).unwrap();
        let pod = PodObject::from_request(&req).unwrap().unwrap();
        let e = pod.pod_annotations().unwrap_err();
        assert_eq!(
            e.path,
            "spec.jobTemplate.spec.template.metadata.annotations"
        );
    }

    #[test]
    fn a_quantity_of_the_wrong_type_is_an_error_with_its_full_path() {
        let pod = extract(
            "apps",
            "Deployment",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":true}}}]}}}}"#,
        );
        let e = pod.containers().next().unwrap().resources().unwrap_err();
        assert!(
            e.path
                .starts_with("spec.template.spec.containers[0].resources"),
            "{e:?}"
        );
        assert!(e.reason.contains("\"cpu\""), "{e:?}");
        let pod = extract(
            "",
            "Pod",
            r#"{"spec":{"containers":[{"name":"a","env":[{"name":1}]}]}}"#,
        );
        let e = pod.containers().next().unwrap().env().unwrap_err();
        assert!(e.path.starts_with("spec.containers[0].env[0]"), "{e:?}");
    }

    #[test]
    fn command_and_args_are_decoded_by_the_rules_that_read_them() {
        let pod = extract(
            "",
            "Pod",
            r#"{"spec":{"containers":[{"name":"a","command":["sh","-c"],"args":[1]},
              {"name":"b","command":null}]}}"#,
        );
        let cs: Vec<_> = pod.containers().collect();
        assert_eq!(cs[0].command().unwrap(), ["sh", "-c"]);
        let e = cs[0].args().unwrap_err();
        assert!(e.path.starts_with("spec.containers[0].args[0]"), "{e:?}");
        assert!(cs[1].command().unwrap().is_empty());
        assert!(cs[1].args().unwrap().is_empty());
    }

    #[test]
    fn ports_and_volume_mounts_are_decoded_by_the_rules_that_read_them() {
        // Malformed ports and volumeMounts do not stop the view: only their accessors judge them.
        let pod = extract(
            "apps",
            "Deployment",
            r#"{"spec":{"template":{"spec":{"containers":[
              {"name":"a","ports":[{"containerPort":"80"}],"volumeMounts":"x"},
              {"name":"b","image":"exempt/b","ports":[{"containerPort":22,"hostPort":2222}],
               "volumeMounts":[{"name":"host","mountPath":"/h","readOnly":true}]}],
              "initContainers":[{"name":"i","volumeMounts":null,"ports":null}]}}}}"#,
        );
        let cs: Vec<_> = pod.containers().collect();
        let e = cs[0].ports().unwrap_err();
        assert!(
            e.path
                .starts_with("spec.template.spec.containers[0].ports[0]"),
            "{e:?}"
        );
        let e = cs[0].volume_mounts().unwrap_err();
        assert_eq!(
            e.path, "spec.template.spec.containers[0].volumeMounts",
            "{e:?}"
        );
        let p = &cs[1].ports().unwrap()[0];
        assert_eq!((p.container_port, p.host_port), (Some(22), Some(2222)));
        let m = &cs[1].volume_mounts().unwrap()[0];
        assert_eq!((m.name.as_str(), m.read_only), ("host", Some(true)));
        // `null` and absent read as empty, for init containers too.
        assert!(cs[2].ports().unwrap().is_empty());
        assert!(cs[2].volume_mounts().unwrap().is_empty());
        // PodObject::mounts reports the first malformed volumeMounts.
        let none = crate::Exemptions::default().compile().unwrap();
        assert!(pod.mounts(&none).is_err());

        // Volumes mounted only by exempt containers are left to the exemption.
        let pod = extract(
            "",
            "Pod",
            r#"{"spec":{"containers":[
              {"name":"a","image":"app","volumeMounts":[{"name":"shared","mountPath":"/s"}]},
              {"name":"b","image":"exempt/b","volumeMounts":[{"name":"shared","mountPath":"/s"},
                {"name":"host","mountPath":"/h"}]}],
              "ephemeralContainers":[{"name":"e","image":"exempt/e","volumeMounts":[{"name":"dbg","mountPath":"/d"}]}]}}"#,
        );
        let exempt = crate::Exemptions {
            images: vec!["exempt/**".into()],
            ..Default::default()
        }
        .compile()
        .unwrap();
        let m = pod.mounts(&exempt).unwrap();
        assert_eq!(m.all.len(), 3);
        assert_eq!(m.checked.len(), 1);
        assert!(m.only_exempt_mounts("host"));
        assert!(m.only_exempt_mounts("dbg"));
        assert!(!m.only_exempt_mounts("shared"));
        assert!(!m.only_exempt_mounts("unmounted"));
    }

    #[test]
    fn every_pod_bearing_kind() {
        let cases = [
            ("", "Pod", format!(r#"{{"spec":{SPEC}}}"#), "spec"),
            (
                "",
                "PodTemplate",
                format!(r#"{{"template":{{"spec":{SPEC}}}}}"#),
                "template.spec",
            ),
            (
                "",
                "ReplicationController",
                format!(r#"{{"spec":{{"template":{{"spec":{SPEC}}}}}}}"#),
                "spec.template.spec",
            ),
            (
                "apps",
                "Deployment",
                format!(r#"{{"spec":{{"template":{{"spec":{SPEC}}}}}}}"#),
                "spec.template.spec",
            ),
            (
                "apps",
                "ReplicaSet",
                format!(r#"{{"spec":{{"template":{{"spec":{SPEC}}}}}}}"#),
                "spec.template.spec",
            ),
            (
                "apps",
                "StatefulSet",
                format!(r#"{{"spec":{{"template":{{"spec":{SPEC}}}}}}}"#),
                "spec.template.spec",
            ),
            (
                "apps",
                "DaemonSet",
                format!(r#"{{"spec":{{"template":{{"spec":{SPEC}}}}}}}"#),
                "spec.template.spec",
            ),
            (
                "batch",
                "Job",
                format!(r#"{{"spec":{{"template":{{"spec":{SPEC}}}}}}}"#),
                "spec.template.spec",
            ),
            (
                "batch",
                "CronJob",
                format!(
                    r#"{{"spec":{{"jobTemplate":{{"spec":{{"template":{{"spec":{SPEC}}}}}}}}}}}"#
                ),
                "spec.jobTemplate.spec.template.spec",
            ),
        ];
        for (g, k, obj, base) in cases {
            let p = extract(g, k, &obj);
            let paths: Vec<String> = p.containers().map(|c| c.path()).collect();
            assert_eq!(
                paths,
                vec![
                    format!("{base}.containers[0]"),
                    format!("{base}.initContainers[0]"),
                    format!("{base}.ephemeralContainers[0]")
                ],
                "{k}"
            );
        }
    }

    #[test]
    fn other_kinds_carry_no_pod_spec() {
        let r = request("", "ConfigMap", None, r#"{"data":{}}"#);
        let req: Request = serde_json::from_str(&r).unwrap();
        assert!(PodObject::from_request(&req).unwrap().is_none());
        // A Deployment-named kind of another group is not a Deployment.
        let r = request("example.com", "Deployment", None, r#"{"spec":{}}"#);
        let req: Request = serde_json::from_str(&r).unwrap();
        assert!(PodObject::from_request(&req).unwrap().is_none());
    }

    #[test]
    fn ephemeral_subresource_scopes_to_ephemeral_containers() {
        let r = request(
            "",
            "Pod",
            Some("ephemeralcontainers"),
            &format!(r#"{{"spec":{SPEC}}}"#),
        );
        let req: Request = serde_json::from_str(&r).unwrap();
        let p = PodObject::from_request(&req).unwrap().unwrap();
        let names: Vec<&str> = p.containers().map(|c| c.container.name.as_str()).collect();
        assert_eq!(names, vec!["e"]);
    }

    #[test]
    fn effective_values_prefer_the_container() {
        let p = extract(
            "",
            "Pod",
            r#"{"spec":{"securityContext":{"runAsNonRoot":true,"runAsUser":1000},
            "containers":[{"name":"a","securityContext":{"runAsUser":0}},{"name":"b"}]}}"#,
        );
        let cs: Vec<_> = p.containers().collect();
        let u = p.effective_run_as_user(&cs[0]).unwrap();
        assert_eq!((u.value, u.level), (0, Level::Container));
        assert_eq!(u.path, "spec.containers[0].securityContext.runAsUser");
        let u = p.effective_run_as_user(&cs[1]).unwrap();
        assert_eq!((u.value, u.level), (1000, Level::Pod));
        assert_eq!(u.path, "spec.securityContext.runAsUser");
        assert!(p.effective_run_as_non_root(&cs[1]).unwrap().value);
        assert!(p.effective_seccomp(&cs[1]).is_none());
    }

    #[test]
    fn malformed_objects_name_the_field() {
        let r = request(
            "apps",
            "Deployment",
            None,
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"a","securityContext":{"privileged":"yes"}}]}}}}"#,
        );
        let req: Request = serde_json::from_str(&r).unwrap();
        let e = PodObject::from_request(&req).unwrap_err();
        assert_eq!(
            e.path,
            "spec.template.spec.containers[0].securityContext.privileged"
        );
    }

    #[test]
    fn nulls_read_as_absent_and_volumes_record_their_source() {
        let p = extract(
            "",
            "Pod",
            r#"{"spec":{"initContainers":null,"containers":[{"name":"a","ports":null}],
            "volumes":[{"name":"h","hostPath":{"path":"/etc"}},{"name":"c","configMap":{"name":"x"}}]}}"#,
        );
        assert_eq!(p.containers().count(), 1);
        let v = p.volumes().unwrap();
        assert_eq!(v[0].sources, vec!["hostPath"]);
        assert_eq!(v[0].host_path.as_ref().unwrap().path, "/etc");
        assert_eq!(v[1].sources, vec!["configMap"]);
    }

    #[test]
    fn volumes_and_node_selector_are_read_on_use_with_their_paths() {
        // Kept raw in the view: the pod view reads, and a rule that reads them reports the
        // malformed part with its full path.
        let p = extract(
            "apps",
            "Deployment",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"a"}],
            "volumes":[{"name":"h","hostPath":{"path":5}}],"nodeSelector":{"pool":1}}}}}"#,
        );
        let e = p.volumes().unwrap_err();
        assert_eq!(e.path, "spec.template.spec.volumes[0].hostPath.path");
        assert!(
            e.reason.starts_with("invalid type: integer `5`"),
            "{}",
            e.reason
        );
        let e = p.spec.node_selector(p.spec_path()).unwrap_err();
        assert_eq!(e.path, "spec.template.spec.nodeSelector.pool");
        let p = extract(
            "",
            "Pod",
            r#"{"spec":{"volumes":null,"nodeSelector":null}}"#,
        );
        assert!(p.volumes().unwrap().is_empty());
        assert!(p.spec.node_selector("spec").unwrap().is_empty());
    }

    #[test]
    fn volume_drivers_os_and_host_users() {
        let p = extract(
            "",
            "Pod",
            r#"{"spec":{"os":{"name":"windows"},"hostUsers":false,"volumes":[
            {"name":"f","flexVolume":{"driver":"acme/x"}},{"name":"c","csi":{"driver":"d.csi"}},
            {"name":"n","flexVolume":null}]}}"#,
        );
        let v = p.volumes().unwrap();
        assert_eq!(v[0].sources, vec!["flexVolume"]);
        assert_eq!(v[0].flex_volume_driver.as_deref(), Some("acme/x"));
        assert_eq!(v[1].csi_driver.as_deref(), Some("d.csi"));
        assert!(v[2].sources.is_empty());
        assert!(p.spec.is_windows());
        assert_eq!(p.spec.host_users, Some(false));
    }
}
