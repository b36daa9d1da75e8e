//! A typed view of the admission request.
//!
//! Only the fields rules read are decoded. The object and the old object stay raw JSON slices
//! (borrowed from the payload, never copied) until a rule asks for a view of them with
//! [`Request::object_as`] or [`crate::pod::PodObject::from_request`], so a DELETE or a kind a
//! policy does not read costs almost nothing.

use crate::prelude::*;
use alloc::collections::BTreeMap;
use core::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

crate::view! {
    /// Group, version and kind of the object under admission.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct GroupVersionKind {
        /// API group; empty for the core group.
        pub group: String = "group",
        /// API version, e.g. `v1`.
        pub version: String = "version",
        /// Kind, e.g. `Deployment`.
        pub kind: String = "kind",
    }
}

crate::view! {
    /// Group, version and resource of the request.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct GroupVersionResource {
        /// API group; empty for the core group.
        pub group: String = "group",
        /// API version, e.g. `v1`.
        pub version: String = "version",
        /// Plural resource name, e.g. `deployments`.
        pub resource: String = "resource",
    }
}

crate::view! {
    /// The requesting identity.
    #[derive(Debug, Clone, Default)]
    pub struct UserInfo {
        /// User name, e.g. `system:serviceaccount:ci:deployer` or an Entra object id.
        pub username: String = "username" or_default,
        /// Groups of the user.
        pub groups: Vec<String> = "groups" or_default,
    }
}

/// The admission operation. (`Default` is only where the request decoder starts: a request
/// without `operation` is refused with ``missing field `operation` ``.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Operation {
    /// CREATE
    #[default]
    Create,
    /// UPDATE
    Update,
    /// DELETE
    Delete,
    /// CONNECT (exec, attach, port-forward, proxy)
    Connect,
}

impl Operation {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Operation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = alloc::borrow::Cow::<'de, str>::deserialize(d)?;
        match s.as_ref() {
            "CREATE" => Ok(Operation::Create),
            "UPDATE" => Ok(Operation::Update),
            "DELETE" => Ok(Operation::Delete),
            "CONNECT" => Ok(Operation::Connect),
            other => Err(serde::de::Error::unknown_variant(
                other,
                &["CREATE", "UPDATE", "DELETE", "CONNECT"],
            )),
        }
    }
}

crate::decode_by_serde!(Operation);

crate::view! {
    /// The admission request, as policy-server sends it inside the `validate` payload.
    #[derive(Debug, Default)]
    pub struct Request<'a> {
        /// Request uid.
        pub uid: String = "uid",
        /// Kind of the object (after any conversion the API server made).
        pub kind: GroupVersionKind = "kind",
        /// Resource of the request.
        pub resource: GroupVersionResource = "resource",
        /// Subresource, e.g. `ephemeralcontainers` or `exec`.
        pub sub_resource: Option<String> = "subResource",
        /// Kind of the object as the client sent it, before any conversion the API server made
        /// for the webhook (absent from hand-written requests: then it is [`Request::kind`]).
        pub request_kind: Option<GroupVersionKind> = "requestKind",
        /// Name as given in the request (may be empty on CREATE with `generateName`).
        pub name: Option<String> = "name",
        /// Namespace of the request; authoritative for namespaced objects.
        pub namespace: Option<String> = "namespace",
        /// The operation.
        pub operation: Operation = "operation" required,
        /// The requesting identity.
        pub user_info: UserInfo = "userInfo",
        /// The object, raw (absent or null on DELETE and CONNECT).
        pub object: Option<&'a RawValue> = "object",
        /// The old object, raw (UPDATE and DELETE).
        pub old_object: Option<&'a RawValue> = "oldObject",
        /// Whether the request is a dry run.
        pub dry_run: Option<bool> = "dryRun",
        /// The object's metadata once read ([`Request::metadata_view`]), by a view that read it
        /// anyway (the pod view) or by an earlier call: the runtime names the object in a
        /// rejection without another pass over it.
        meta: core::cell::OnceCell<MetaView<'a>>,
    }
}

/// An object that could not be read with the view a rule asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectError {
    /// Dotted path of the offending field inside the object (empty for the root).
    pub path: String,
    /// What was wrong there.
    pub reason: String,
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

/// Decodes `raw` as `T`. On failure the error names the exact field: the reader reports where
/// in the text it stopped, and [`path_at`] turns that position back into a field path. This
/// keeps one instantiation of each view's decoder (a path-tracking deserializer would double
/// the module size).
pub fn decode<'de, T: crate::json::Decode<'de>>(raw: &'de str) -> Result<T, ObjectError> {
    crate::json::decode::<T>(raw).map_err(|e| object_error(raw, &e))
}

/// The [`ObjectError`] of a reader error in `raw` (one copy, not one per view type).
#[cold]
#[inline(never)]
fn object_error(raw: &str, e: &crate::json::Error) -> ObjectError {
    ObjectError {
        path: path_at(raw, e.offset()),
        reason: e.reason().to_owned(),
    }
}

/// [`decode`] for a whole `serde_json::Value` (the object a mutating rule edits), read by
/// [`crate::json::value`].
///
/// # Errors
/// When the text is not JSON; the error names the field.
pub fn decode_value(raw: &str) -> Result<serde_json::Value, ObjectError> {
    crate::json::value(raw).map_err(|e| object_error(raw, &e))
}

enum Frame {
    Object {
        key: Option<String>,
        expecting_key: bool,
    },
    Array {
        index: usize,
    },
}

/// The dotted field path (`spec.containers[0].image`) of the value being read at byte `offset`
/// of the JSON `text`. Empty at the root.
pub fn path_at(text: &str, offset: usize) -> String {
    let b = text.as_bytes();
    let end = offset.min(b.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match b[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                None => {}
            },
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let j = j.min(b.len());
                if let Some(Frame::Object { key, expecting_key }) = stack.last_mut()
                    && *expecting_key
                {
                    // Cut next to quotes (ASCII), so on character boundaries; `get` keeps
                    // the slicing panic out of the modules.
                    let raw_key = text.get(start..j).unwrap_or_default();
                    let quoted = text
                        .get(start - 1..(j + 1).min(b.len()))
                        .unwrap_or_default();
                    *key = Some(
                        crate::json::decode::<String>(quoted)
                            .unwrap_or_else(|_| raw_key.to_string()),
                    );
                    *expecting_key = false;
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for f in &stack {
        match f {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    path
}

crate::view! {
    /// Minimal metadata of any object, for messages and exemptions.
    #[derive(Debug, Clone, Default)]
    pub struct ObjectMeta {
        /// `metadata.name`
        pub name: String = "name" or_default,
        /// `metadata.generateName`
        pub generate_name: String = "generateName" or_default,
        /// `metadata.namespace`
        pub namespace: String = "namespace" or_default,
        /// `metadata.labels`
        pub labels: BTreeMap<String, String> = "labels" or_default,
        /// `metadata.annotations`
        pub annotations: BTreeMap<String, String> = "annotations" or_default,
        /// `metadata.ownerReferences`
        pub owner_references: Vec<OwnerReference> = "ownerReferences" or_default,
        /// `metadata.deletionTimestamp`
        pub deletion_timestamp: Option<String> = "deletionTimestamp",
    }
}

/// The names in an object's metadata: what messages and namespace lookups read, from an
/// [`ObjectMeta`] or a [`MetaView`].
pub trait Names {
    /// `metadata.name`
    fn name(&self) -> &str;
    /// `metadata.generateName`
    fn generate_name(&self) -> &str;
    /// `metadata.namespace`
    fn namespace(&self) -> &str;
}

/// Both metadata types carry the names as the same `String` fields.
macro_rules! names_from_fields {
    ($($t:ty),*) => {$(
        impl Names for $t {
            fn name(&self) -> &str {
                &self.name
            }
            fn generate_name(&self) -> &str {
                &self.generate_name
            }
            fn namespace(&self) -> &str {
                &self.namespace
            }
        }
    )*};
}

names_from_fields!(ObjectMeta, MetaView<'_>);

crate::view! {
    /// `metadata.ownerReferences[]`
    #[derive(Debug, Clone, Default)]
    pub struct OwnerReference {
        /// `apiVersion`
        pub api_version: String = "apiVersion" or_default,
        /// `kind`
        pub kind: String = "kind" or_default,
        /// `name`
        pub name: String = "name" or_default,
        /// `controller`
        pub controller: Option<bool> = "controller",
    }
}

crate::view! {
    /// An object's metadata as the runtime and the pod view read it: the names at once, `labels`,
    /// `annotations` and `ownerReferences` kept raw and decoded by the rules that read them (most
    /// rules read none of them; a Deployment's own annotations often hold a whole copy of the
    /// object in `kubectl.kubernetes.io/last-applied-configuration`). A malformed part is an
    /// error of the rule that reads it, naming its path. [`MetaView::decode`] gives the whole
    /// [`ObjectMeta`].
    #[derive(Debug, Clone, Default)]
    pub struct MetaView<'a> {
        /// `name`
        pub name: String = "name" or_default,
        /// `generateName`
        pub generate_name: String = "generateName" or_default,
        /// `namespace`
        pub namespace: String = "namespace" or_default,
        /// `deletionTimestamp`
        pub deletion_timestamp: Option<String> = "deletionTimestamp",
        labels: Option<&'a RawValue> = "labels",
        annotations: Option<&'a RawValue> = "annotations",
        owner_references: Option<&'a RawValue> = "ownerReferences",
        /// Path of this metadata in the object (`metadata`, `spec.template.metadata`, ...).
        path: &'static str,
    }
}

impl MetaView<'_> {
    /// Path of this metadata in the object, e.g. `spec.template.metadata`.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// `labels`, decoded (empty when absent or `null`).
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `labels` is not a map of strings.
    pub fn labels(&self) -> Result<BTreeMap<String, String>, ObjectError> {
        Ok(
            crate::pod::decode_part(self.labels, &format!("{}.labels", self.path))?
                .unwrap_or_default(),
        )
    }

    /// `annotations`, decoded (empty when absent or `null`). For the pod's own annotations
    /// prefer [`crate::pod::PodObject::pod_annotations`], decoded once with the view.
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `annotations` is not a map of strings.
    pub fn annotations(&self) -> Result<BTreeMap<String, String>, ObjectError> {
        Ok(
            crate::pod::decode_part(self.annotations, &format!("{}.annotations", self.path))?
                .unwrap_or_default(),
        )
    }

    /// `ownerReferences`, decoded (empty when absent or `null`).
    ///
    /// # Errors
    /// An [`ObjectError`] with the full path when `ownerReferences` is malformed.
    pub fn owner_references(&self) -> Result<Vec<OwnerReference>, ObjectError> {
        Ok(crate::pod::decode_part(
            self.owner_references,
            &format!("{}.ownerReferences", self.path),
        )?
        .unwrap_or_default())
    }

    /// The whole metadata decoded as an [`ObjectMeta`].
    ///
    /// # Errors
    /// The first malformed part, as the accessors above name it.
    pub fn decode(&self) -> Result<ObjectMeta, ObjectError> {
        Ok(ObjectMeta {
            name: self.name.clone(),
            generate_name: self.generate_name.clone(),
            namespace: self.namespace.clone(),
            labels: self.labels()?,
            annotations: self.annotations()?,
            owner_references: self.owner_references()?,
            deletion_timestamp: self.deletion_timestamp.clone(),
        })
    }

    pub(crate) fn at(mut self, path: &'static str) -> Self {
        self.path = path;
        self
    }
}

crate::view! {
    #[derive(Default)]
    struct MetaOnly<'a> {
        metadata: MetaView<'a> = "metadata" or_default,
    }
}

impl<'a> Request<'a> {
    /// Decodes the object as `T`. `Ok(None)` when the request carries no object (DELETE,
    /// CONNECT, or an explicit null).
    ///
    /// # Errors
    /// An [`ObjectError`] naming the field that does not fit `T`.
    pub fn object_as<T: crate::json::Decode<'a>>(&self) -> Result<Option<T>, ObjectError> {
        match self.object {
            None => Ok(None),
            Some(raw) if raw.get() == "null" => Ok(None),
            Some(raw) => decode::<T>(raw.get()).map(Some),
        }
    }

    /// The object as a `serde_json::Value` (for a rule that edits it), `None` when absent.
    ///
    /// # Errors
    /// An [`ObjectError`] naming the field where the object is not JSON.
    pub fn object_value(&self) -> Result<Option<serde_json::Value>, ObjectError> {
        match self.object {
            None => Ok(None),
            Some(raw) if raw.get() == "null" => Ok(None),
            Some(raw) => decode_value(raw.get()).map(Some),
        }
    }

    /// Decodes the old object as `T` (UPDATE and DELETE).
    ///
    /// # Errors
    /// An [`ObjectError`] naming the field that does not fit `T`.
    pub fn old_object_as<T: crate::json::Decode<'a>>(&self) -> Result<Option<T>, ObjectError> {
        match self.old_object {
            None => Ok(None),
            Some(raw) if raw.get() == "null" => Ok(None),
            Some(raw) => decode::<T>(raw.get()).map(Some),
        }
    }

    /// The object's metadata (or the old object's on DELETE), defaulted when absent.
    ///
    /// # Errors
    /// An [`ObjectError`] when `metadata` is not an object of the expected shape.
    pub fn metadata(&self) -> Result<ObjectMeta, ObjectError> {
        self.metadata_view()?.decode()
    }

    /// The object's metadata (or the old object's on DELETE) with its labels, annotations and
    /// owner references left raw ([`MetaView`]), defaulted when absent.
    ///
    /// # Errors
    /// An [`ObjectError`] when `metadata` or one of its names is not of the expected shape.
    pub fn metadata_view(&self) -> Result<MetaView<'a>, ObjectError> {
        if let Some(m) = self.meta.get() {
            return Ok(m.clone());
        }
        let m = match self.object_as::<MetaOnly>()? {
            Some(m) => Some(m),
            None => self.old_object_as::<MetaOnly>()?,
        };
        let m = m.map(|m| m.metadata).unwrap_or_default().at("metadata");
        let _ = self.meta.set(m.clone());
        Ok(m)
    }

    /// Records the object's metadata read by a view of the object (`metadata` of `object`,
    /// the same JSON [`Request::metadata_view`] would read), so that it is not read again.
    pub(crate) fn remember_metadata(&self, meta: &MetaView<'a>) {
        if self.object.is_some_and(|o| o.get() != "null") {
            let _ = self.meta.set(meta.clone());
        }
    }

    /// The namespace the object lives in: the request's namespace (authoritative, and the only
    /// place it appears when the manifest leaves it out), else the object's.
    pub fn effective_namespace<'s, M: Names + ?Sized>(&'s self, meta: &'s M) -> &'s str {
        match self.namespace.as_deref() {
            Some(ns) if !ns.is_empty() => ns,
            _ => meta.namespace(),
        }
    }

    /// The subresource, with an empty string read as none.
    pub fn subresource(&self) -> Option<&str> {
        self.sub_resource.as_deref().filter(|s| !s.is_empty())
    }

    /// The kind as the client sent it: `requestKind` when present, else `kind`.
    pub fn original_kind(&self) -> &GroupVersionKind {
        self.request_kind
            .as_ref()
            .filter(|k| !k.kind.is_empty())
            .unwrap_or(&self.kind)
    }

    /// Whether this is the `pods/ephemeralcontainers` subresource (`kubectl debug`).
    pub fn is_ephemeral_containers_update(&self) -> bool {
        self.resource.group.is_empty()
            && self.resource.resource == "pods"
            && self.subresource() == Some("ephemeralcontainers")
    }

    /// Whether the object is a core `Namespace`.
    pub fn is_namespace_object(&self) -> bool {
        self.kind.group.is_empty() && self.kind.kind == "Namespace"
    }

    /// `Kind namespace/name` (or `Kind name` for cluster-scoped objects) for messages. A
    /// CONNECT request is about the object it connects to (`Pod shop/web` for `kubectl exec`),
    /// not about its options object (`PodExecOptions`).
    pub fn identity<M: Names + ?Sized>(&self, meta: &M) -> String {
        let connected = match (self.operation, self.resource.resource.as_str()) {
            (Operation::Connect, "pods") => Some("Pod"),
            (Operation::Connect, "services") => Some("Service"),
            (Operation::Connect, "nodes") => Some("Node"),
            _ => None,
        };
        let kind = if let Some(k) = connected {
            k
        } else if self.kind.kind.is_empty() {
            "Object"
        } else {
            &self.kind.kind
        };
        let name: String = if !meta.name().is_empty() {
            meta.name().to_string()
        } else if let Some(n) = self.name.as_deref().filter(|n| !n.is_empty()) {
            n.to_string()
        } else if !meta.generate_name().is_empty() {
            format!("{}*", meta.generate_name())
        } else {
            "(unnamed)".to_string()
        };
        // The API server fills `namespace` with the name for a Namespace's own requests (its
        // URL is /api/v1/namespaces/<name>); a Namespace lives in no namespace.
        let ns = if self.is_namespace_object() {
            ""
        } else {
            self.effective_namespace(meta)
        };
        if ns.is_empty() {
            format!("{kind} {name}")
        } else {
            format!("{kind} {ns}/{name}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(json: &str) -> Request<'_> {
        serde_json::from_str(json).expect("request")
    }

    #[test]
    fn borrows_the_object_and_decodes_lazily() {
        let r = req(
            r#"{"uid":"1","kind":{"group":"apps","version":"v1","kind":"Deployment"},
            "resource":{"group":"apps","version":"v1","resource":"deployments"},
            "operation":"CREATE","userInfo":{"username":"u"},
            "object":{"metadata":{"name":"web","namespace":"shop"}}}"#,
        );
        let meta = r.metadata().unwrap();
        assert_eq!(r.identity(&meta), "Deployment shop/web");
    }

    #[test]
    fn namespace_from_the_request_wins() {
        let r = req(
            r#"{"kind":{"kind":"Pod"},"operation":"CREATE","namespace":"default",
            "object":{"metadata":{"generateName":"web-"}}}"#,
        );
        let meta = r.metadata().unwrap();
        assert_eq!(r.identity(&meta), "Pod default/web-*");
    }

    #[test]
    fn a_namespace_is_named_without_the_namespace_the_api_server_adds() {
        let r = req(
            r#"{"kind":{"group":"","version":"v1","kind":"Namespace"},"operation":"UPDATE",
            "namespace":"payments","object":{"metadata":{"name":"payments"}}}"#,
        );
        let meta = r.metadata().unwrap();
        assert!(r.is_namespace_object());
        assert_eq!(r.identity(&meta), "Namespace payments");
    }

    #[test]
    fn delete_reads_the_old_object() {
        let r = req(
            r#"{"kind":{"kind":"ConfigMap"},"operation":"DELETE","object":null,
            "oldObject":{"metadata":{"name":"a","namespace":"b"}}}"#,
        );
        assert!(r.object_as::<serde_json::Value>().unwrap().is_none());
        assert_eq!(r.metadata().unwrap().name, "a");
    }

    #[test]
    fn a_request_without_operation_is_refused_not_read_as_create() {
        // `Operation`'s `Default` (CREATE) is only where the decoder starts: the key is
        // required, so a request that leaves it out never evaluates as a CREATE.
        let text = r#"{"uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},"object":{}}"#;
        let err = crate::json::from_str::<Request<'_>>(text).unwrap_err();
        assert_eq!(err.reason(), "missing field `operation`");
        let err = crate::json::from_str::<Request<'_>>(r#"{"operation":"PATCH"}"#).unwrap_err();
        assert!(err.reason().starts_with("unknown variant `PATCH`"), "{err}");
        let ok = crate::json::from_str::<Request<'_>>(r#"{"operation":"DELETE"}"#).unwrap();
        assert_eq!(ok.operation, Operation::Delete);
    }

    #[test]
    fn decode_errors_name_the_field() {
        crate::view! {
            #[derive(Debug, Default)]
            #[allow(dead_code)]
            struct V {
                spec: S = "spec" required,
            }
        }
        crate::view! {
            #[derive(Debug, Default)]
            #[allow(dead_code)]
            struct S {
                replicas: u32 = "replicas" required,
            }
        }
        let e = decode::<V>(r#"{"spec":{"replicas":"three"}}"#).unwrap_err();
        assert_eq!(e.path, "spec.replicas");
        assert!(e.reason.contains("invalid type"), "{e}");
        assert!(!e.reason.contains("line"), "{e}");
    }

    #[test]
    fn paths_through_arrays_escapes_and_lines() {
        let t = r#"{"a":[{"x":1},{"y\"z":{"k":[0,1,"bad"]}}]}"#;
        let at = t.find("bad").unwrap() + 3;
        assert_eq!(path_at(t, at), "a[1].y\"z.k[2]");
        assert_eq!(path_at(t, 0), "");
        crate::view! {
            #[derive(Debug, Default)]
            #[allow(dead_code)]
            struct L {
                items: Vec<u8> = "items" required,
            }
        }
        let e = decode::<L>("{\n  \"items\": [1,\n 2, \"three\"]\n}").unwrap_err();
        assert_eq!(e.path, "items[2]");
    }

    #[test]
    fn connect_names_the_connected_object() {
        let r = req(
            r#"{"kind":{"kind":"PodExecOptions"},"resource":{"resource":"pods"},
            "subResource":"exec","operation":"CONNECT","name":"web","namespace":"shop",
            "object":{"kind":"PodExecOptions","command":["sh"]}}"#,
        );
        let meta = r.metadata().unwrap();
        assert_eq!(r.identity(&meta), "Pod shop/web");
    }

    #[test]
    fn unknown_operations_are_refused() {
        assert!(serde_json::from_str::<Request>(r#"{"operation":"PATCH"}"#).is_err());
    }
}
