//! Context-aware lookups answered from the pasted objects: the page has no cluster, so the
//! other objects of the input are the cluster (a Namespace pasted next to a Deployment is what a
//! namespace lookup finds). The answers and errors are those of policy-server: a missing object
//! is `Cannot find …`, a kind outside the module's `contextAwareResources` is refused, and the
//! capabilities that need a registry or the API server's authorizer (`oci/*`, `kubernetes/can_i`)
//! fail, so a rule that depends on them fails closed and says which lookup failed.

use serde_json::{Value, json};

use crate::rules::Resource;

/// Installs the handler for this thread: `objects` are the cluster, `grants` the resource
/// types the module may read.
pub fn install(objects: Vec<Value>, grants: Vec<Resource>) {
    policy_helpers::host::set_handler(Some(Box::new(move |ns, op, payload| {
        answer(&objects, &grants, ns, op, payload)
    })));
}

/// Removes the handler.
pub fn uninstall() {
    policy_helpers::host::set_handler(None);
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Answers one host call from `objects`.
///
/// # Errors
/// The error text a module receives.
pub fn answer(
    objects: &[Value],
    grants: &[Resource],
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> Result<Vec<u8>, String> {
    if namespace != "kubernetes" || operation == "can_i" {
        return Err(format!(
            "the playground has no {} to answer {namespace}/{operation}",
            if namespace == "kubernetes" {
                "API server"
            } else {
                "registry or network access"
            }
        ));
    }
    let request: Value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let api_version = text(&request, "api_version").unwrap_or_default();
    let kind = text(&request, "kind").unwrap_or_default();
    if !grants
        .iter()
        .any(|g| g.api_version == api_version && g.kind == kind)
    {
        return Err(format!(
            "Policy has not been granted access to Kubernetes resources {api_version}/{kind}: add it to contextAwareResources"
        ));
    }
    let of_type = objects
        .iter()
        .filter(|o| text(o, "apiVersion") == Some(api_version) && text(o, "kind") == Some(kind));
    let ns_of = |o: &Value| {
        o.pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match operation {
        "get_resource" => {
            let name = text(&request, "name").unwrap_or_default();
            let ns = text(&request, "namespace");
            of_type
                .into_iter()
                .find(|o| {
                    o.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
                        && (ns.is_none() || ns_of(o).as_deref() == ns)
                })
                .map(|o| serde_json::to_vec(o).unwrap_or_default())
                .ok_or_else(|| match ns {
                    Some(ns) => format!("Cannot find {kind} named '{name}' in namespace '{ns}'"),
                    None => format!("Cannot find {kind} named '{name}'"),
                })
        }
        "list_resources_by_namespace" | "list_resources_all" => {
            let ns = (operation == "list_resources_by_namespace")
                .then(|| text(&request, "namespace").unwrap_or_default());
            let labels = Selector::parse(text(&request, "label_selector").unwrap_or(""), true)?;
            let fields = Selector::parse(text(&request, "field_selector").unwrap_or(""), false)?;
            let items: Vec<&Value> = of_type
                .filter(|o| ns.is_none() || ns_of(o).as_deref() == ns)
                .filter(|o| labels.matches(o) && fields.matches(o))
                .collect();
            serde_json::to_vec(
                &json!({"apiVersion": api_version, "kind": format!("{kind}List"), "items": items}),
            )
            .map_err(|e| e.to_string())
        }
        other => Err(format!("unknown operation: {other}")),
    }
}

/// An equality-based selector (`a=b,c!=d,e,!f`): labels, or fields by dotted path.
struct Selector {
    terms: Vec<(String, Option<String>, bool)>, // key, value (None: exists), negated
    labels: bool,
}

impl Selector {
    fn parse(text: &str, labels: bool) -> Result<Selector, String> {
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if term.contains(" in ") || term.contains(" notin ") {
                return Err(format!(
                    "the playground reads equality selectors only, not '{term}'"
                ));
            }
            let t = if let Some((k, v)) = term.split_once("!=") {
                (k.trim().to_owned(), Some(v.trim().to_owned()), true)
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (k.trim().to_owned(), Some(v.trim().to_owned()), false)
            } else if let Some(k) = term.strip_prefix('!') {
                (k.trim().to_owned(), None, true)
            } else {
                (term.to_owned(), None, false)
            };
            terms.push(t);
        }
        Ok(Selector { terms, labels })
    }

    fn matches(&self, object: &Value) -> bool {
        self.terms.iter().all(|(key, value, negated)| {
            let found = if self.labels {
                object
                    .pointer("/metadata/labels")
                    .and_then(|l| l.get(key))
                    .and_then(Value::as_str)
            } else {
                key.split('.')
                    .try_fold(object, |v, k| v.get(k))
                    .and_then(Value::as_str)
            };
            let hit = match value {
                Some(v) => found == Some(v.as_str()),
                None => found.is_some(),
            };
            hit != *negated
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(name: &str, team: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"team": team}}})
    }

    #[test]
    fn answers_from_the_objects_and_refuses_what_is_not_granted() {
        let objects = vec![ns("shop", "a"), ns("bank", "b")];
        let grants = vec![Resource {
            api_version: "v1".into(),
            kind: "Namespace".into(),
        }];
        let get = |name: &str| {
            answer(
                &objects,
                &grants,
                "kubernetes",
                "get_resource",
                json!({"api_version": "v1", "kind": "Namespace", "name": name})
                    .to_string()
                    .as_bytes(),
            )
        };
        let found: Value = serde_json::from_slice(&get("shop").unwrap()).unwrap();
        assert_eq!(found["metadata"]["name"], "shop");
        assert!(get("nope").unwrap_err().starts_with("Cannot find"));
        let list = answer(
            &objects,
            &grants,
            "kubernetes",
            "list_resources_all",
            json!({"api_version": "v1", "kind": "Namespace", "label_selector": "team!=a"})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        let list: Value = serde_json::from_slice(&list).unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert_eq!(list["items"][0]["metadata"]["name"], "bank");
        let e = answer(
            &objects,
            &grants,
            "kubernetes",
            "get_resource",
            json!({"api_version": "v1", "kind": "Secret", "name": "x"})
                .to_string()
                .as_bytes(),
        )
        .unwrap_err();
        assert!(e.contains("not been granted"), "{e}");
        assert!(answer(&objects, &grants, "oci", "v1/manifest_digest", b"\"x\"").is_err());
    }
}
