//! Mutation: defaulting fields of containers and returning the mutated object.
//!
//! Kubewarden mutates by answering `accepted: true` with the whole `mutated_object`; the host
//! diffs it against the request's object into the JSON patch the API server applies. A rule
//! that offers a defaulting mode reads the request through the typed views as usual, and for
//! each container it wants to change calls [`Mutation::set_default`] (or
//! [`Mutation::append_unless`]) with the [`ContainerRef`] it got from
//! [`crate::pod::PodObject::containers`]. The container's location (`spec.template.spec`,
//! `initContainers`, index) comes from that reference, so the same code mutates a Pod, a
//! Deployment's template or a CronJob's job template, and only the containers in scope (only the
//! ephemeral ones through `pods/ephemeralcontainers`).
//!
//! ```text
//! let mut m = Mutation::from_request(req)?.expect("pod rules only run on objects");
//! for c in pod.checked_containers(&ctx.exemptions) {
//!     m.set_default(&c, &["securityContext", "readOnlyRootFilesystem"], true.into());
//! }
//! m.into_verdict()   // Mutate when something changed, else Accept
//! ```
//!
//! Every change is also returned as a warning naming the container and the field, so the user
//! sees what the policy set.
//!
//! Defaulting never overwrites a value the user wrote: `set_default` only fills a field that is
//! absent or `null`. A rule rejects explicit values it does not accept instead of rewriting them.

use crate::prelude::*;
use serde_json::{Map, Value};

use crate::pod::ContainerRef;
use crate::request::{ObjectError, Request};
use crate::verdict::{Findings, Verdict};

/// The request's object as an editable JSON tree, and the changes made to it.
#[derive(Debug, Clone)]
pub struct Mutation {
    object: Value,
    changes: Vec<String>,
}

impl Mutation {
    /// The request's object, ready to edit; `Ok(None)` when the request carries none (DELETE).
    ///
    /// # Errors
    /// An [`ObjectError`] when the object is not JSON (the typed views would have refused it
    /// first).
    pub fn from_request(req: &Request<'_>) -> Result<Option<Mutation>, ObjectError> {
        match req.object {
            None => Ok(None),
            Some(raw) if raw.get() == "null" => Ok(None),
            Some(raw) => crate::request::decode_value(raw.get()).map(|object| {
                Some(Mutation {
                    object,
                    changes: Vec::new(),
                })
            }),
        }
    }

    /// A mutation of an object given directly (for tests and non-request callers).
    pub fn of(object: Value) -> Mutation {
        Mutation {
            object,
            changes: Vec::new(),
        }
    }

    /// The object as edited so far.
    pub fn object(&self) -> &Value {
        &self.object
    }

    /// The changes made so far, one line each (`container "app" (spec.containers[0]):
    /// securityContext.readOnlyRootFilesystem set to true`).
    pub fn changes(&self) -> &[String] {
        &self.changes
    }

    /// The edited object, for a rule that words its own warning instead of one per change
    /// (see [`Mutation::into_verdict`]).
    pub fn into_object(self) -> Value {
        self.object
    }

    /// Whether anything was changed.
    pub fn is_changed(&self) -> bool {
        !self.changes.is_empty()
    }

    /// The container's JSON object inside the tree, if it is where the reference says.
    pub fn container_mut(&mut self, c: &ContainerRef<'_>) -> Option<&mut Map<String, Value>> {
        let mut node = &mut self.object;
        for key in c.spec_path.split('.').chain([c.kind.field()]) {
            node = node.as_object_mut()?.get_mut(key)?;
        }
        node.as_array_mut()?.get_mut(c.index)?.as_object_mut()
    }

    /// Sets the field at `path` (keys below the container, e.g. `["securityContext",
    /// "allowPrivilegeEscalation"]`) to `value` when it is absent or `null`, creating the
    /// objects on the way. Returns whether it changed anything; a field already set, or a path
    /// crossing a non-object, is left alone.
    pub fn set_default(&mut self, c: &ContainerRef<'_>, path: &[&str], value: Value) -> bool {
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        let shown = display(&value);
        let Some(container) = self.container_mut(c) else {
            return false;
        };
        let Some(parent) = object_at(container, parents) else {
            return false;
        };
        match parent.get(*last) {
            Some(v) if !v.is_null() => return false,
            _ => {}
        }
        parent.insert((*last).to_owned(), value);
        self.changes.push(format!(
            "{}: {} set to {shown}",
            c.subject(),
            path.join(".")
        ));
        true
    }

    /// Appends `item` to the list at `path` (created when absent or `null`) unless an element
    /// already satisfies `present`. Returns whether it changed anything; a path crossing a
    /// non-object, or a field that is not a list, is left alone.
    pub fn append_unless(
        &mut self,
        c: &ContainerRef<'_>,
        path: &[&str],
        item: Value,
        present: impl Fn(&Value) -> bool,
    ) -> bool {
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        let shown = display(&item);
        let Some(container) = self.container_mut(c) else {
            return false;
        };
        let Some(parent) = object_at(container, parents) else {
            return false;
        };
        let slot = parent
            .entry((*last).to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if slot.is_null() {
            *slot = Value::Array(Vec::new());
        }
        let Some(list) = slot.as_array_mut() else {
            return false;
        };
        if list.iter().any(present) {
            return false;
        }
        list.push(item);
        self.changes.push(format!(
            "{}: {} gained {shown}",
            c.subject(),
            path.join(".")
        ));
        true
    }

    /// `Mutate` with the edited object and the changes as warnings when anything changed,
    /// else a plain `Accept`.
    pub fn into_verdict(self) -> Verdict {
        if self.changes.is_empty() {
            Verdict::accept()
        } else {
            Verdict::Mutate {
                object: crate::verdict::Mutated::new(&self.object),
                warnings: self.changes,
            }
        }
    }
}

/// The verdict of a rule with a defaulting mode: its findings when there are any, or when
/// nothing waits to be defaulted (`pending` false); otherwise the request's object with
/// `apply` run on it ([`Mutation::into_verdict`]). A request without an object is accepted; an
/// object that is not JSON is rejected with code 400.
pub fn default_unless_rejected(
    req: &Request<'_>,
    findings: Findings,
    pending: bool,
    apply: impl FnOnce(&mut Mutation),
) -> Verdict {
    if !findings.is_empty() || !pending {
        return findings.into_verdict();
    }
    let mut m = match Mutation::from_request(req) {
        Ok(Some(m)) => m,
        Ok(None) => return Verdict::accept(),
        Err(e) => return Verdict::cannot_read(e),
    };
    apply(&mut m);
    m.into_verdict()
}

/// The object at `path` below `map`, creating missing (or `null`) objects on the way.
fn object_at<'m>(
    map: &'m mut Map<String, Value>,
    path: &[&str],
) -> Option<&'m mut Map<String, Value>> {
    let mut node = map;
    for key in path {
        let slot = node
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if slot.is_null() {
            *slot = Value::Object(Map::new());
        }
        node = slot.as_object_mut()?;
    }
    Some(node)
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::PodObject;
    use serde_json::json;

    fn request(object: &Value) -> String {
        json!({"uid":"u","kind":{"group":"batch","version":"v1","kind":"CronJob"},
            "resource":{"group":"batch","version":"v1","resource":"cronjobs"},
            "operation":"CREATE","userInfo":{"username":"u"},"object":object})
        .to_string()
    }

    #[test]
    fn defaults_only_absent_fields_at_the_containers_own_path() {
        let obj = json!({"spec":{"jobTemplate":{"spec":{"template":{"spec":{
            "containers":[{"name":"a"},{"name":"b","securityContext":{"readOnlyRootFilesystem":false}}],
            "initContainers":[{"name":"i","securityContext":null}]}}}}}});
        let text = request(&obj);
        let req: Request = serde_json::from_str(&text).unwrap();
        let pod = PodObject::from_request(&req).unwrap().unwrap();
        let mut m = Mutation::from_request(&req).unwrap().unwrap();
        let path = ["securityContext", "readOnlyRootFilesystem"];
        let changed: Vec<bool> = pod
            .containers()
            .map(|c| m.set_default(&c, &path, true.into()))
            .collect();
        assert_eq!(changed, vec![true, false, true]);
        let spec = &m.object()["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(
            spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
            true
        );
        assert_eq!(
            spec["containers"][1]["securityContext"]["readOnlyRootFilesystem"],
            false
        );
        assert_eq!(
            spec["initContainers"][0]["securityContext"]["readOnlyRootFilesystem"],
            true
        );
        assert_eq!(
            m.changes()[0],
            "container \"a\" (spec.jobTemplate.spec.template.spec.containers[0]): securityContext.readOnlyRootFilesystem set to true"
        );
        assert!(matches!(m.into_verdict(), Verdict::Mutate { .. }));
    }

    #[test]
    fn appends_unless_present_and_accepts_when_unchanged() {
        let text = json!({"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},
            "resource":{"group":"","version":"v1","resource":"pods"},
            "operation":"CREATE","userInfo":{"username":"u"},
            "object":{"spec":{"containers":[
                {"name":"a","securityContext":{"capabilities":{"drop":["NET_RAW"]}}},
                {"name":"b","securityContext":{"capabilities":{"drop":["all"]}}}]}}})
        .to_string();
        let req: Request = serde_json::from_str(&text).unwrap();
        let pod = PodObject::from_request(&req).unwrap().unwrap();
        let mut m = Mutation::from_request(&req).unwrap().unwrap();
        let path = ["securityContext", "capabilities", "drop"];
        let is_all = |v: &Value| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("ALL"));
        let changed: Vec<bool> = pod
            .containers()
            .map(|c| m.append_unless(&c, &path, "ALL".into(), is_all))
            .collect();
        assert_eq!(changed, vec![true, false]);
        assert_eq!(
            m.object()["spec"]["containers"][0]["securityContext"]["capabilities"]["drop"],
            json!(["NET_RAW", "ALL"])
        );

        let untouched = Mutation::of(json!({"spec":{}}));
        assert_eq!(untouched.into_verdict(), Verdict::accept());
    }

    #[test]
    fn a_path_through_a_non_object_is_left_alone() {
        let text = json!({"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},
            "resource":{"group":"","version":"v1","resource":"pods"},
            "operation":"CREATE","userInfo":{"username":"u"},
            "object":{"spec":{"containers":[{"name":"a"}]}}})
        .to_string();
        let req: Request = serde_json::from_str(&text).unwrap();
        let pod = PodObject::from_request(&req).unwrap().unwrap();
        let c = pod.containers().next().unwrap();
        let mut m =
            Mutation::of(json!({"spec":{"containers":[{"name":"a","securityContext":"x"}]}}));
        assert!(!m.set_default(&c, &["securityContext", "runAsNonRoot"], true.into()));
        let mut m = Mutation::of(json!({"spec":{}}));
        assert!(!m.set_default(&c, &["securityContext", "runAsNonRoot"], true.into()));
        assert!(!m.is_changed());
    }
}
