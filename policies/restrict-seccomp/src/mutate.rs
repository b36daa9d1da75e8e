//! The opt-in defaulting: set `securityContext.seccompProfile.type: RuntimeDefault` on the
//! containers that run without any profile, in the raw object, keeping every other field as
//! it was.

use serde_json::{Map, Value, json};

/// Sets `RuntimeDefault` on each target container (`(list field, index)`, e.g.
/// `("initContainers", 0)`) of the pod spec at the dotted `spec_path` of `object`.
///
/// # Errors
/// A message when the object does not have the shape the rule read (it never happens for an
/// object the rule decoded).
pub fn set_runtime_default(
    object: &mut Value,
    spec_path: &str,
    targets: &[(&str, usize)],
) -> Result<(), String> {
    let mut spec = &mut *object;
    for part in spec_path.split('.') {
        spec = spec
            .get_mut(part)
            .ok_or_else(|| format!("the object has no {spec_path}"))?;
    }
    for (list, index) in targets {
        let container = spec
            .get_mut(*list)
            .and_then(|l| l.get_mut(*index))
            .and_then(Value::as_object_mut)
            .ok_or_else(|| format!("the object has no {spec_path}.{list}[{index}]"))?;
        let sc = container
            .entry("securityContext")
            .or_insert_with(|| Value::Object(Map::new()));
        if !sc.is_object() {
            *sc = Value::Object(Map::new());
        }
        if let Some(sc) = sc.as_object_mut() {
            sc.insert("seccompProfile".into(), json!({"type": "RuntimeDefault"}));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_the_profile_and_keeps_the_rest() {
        let mut o = json!({"spec": {"template": {"spec": {
            "containers": [{"name": "a", "securityContext": {"runAsNonRoot": true}}, {"name": "b"}],
            "initContainers": [{"name": "i", "securityContext": null}]}}}});
        set_runtime_default(
            &mut o,
            "spec.template.spec",
            &[("containers", 0), ("containers", 1), ("initContainers", 0)],
        )
        .unwrap();
        let s = &o["spec"]["template"]["spec"];
        assert_eq!(
            s["containers"][0]["securityContext"],
            json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})
        );
        assert_eq!(
            s["containers"][1]["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        assert_eq!(
            s["initContainers"][0]["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
    }

    #[test]
    fn a_missing_container_is_an_error_not_a_panic() {
        let mut o = json!({"spec": {"containers": []}});
        assert!(set_runtime_default(&mut o, "spec", &[("containers", 3)]).is_err());
        assert!(set_runtime_default(&mut o, "spec.template.spec", &[]).is_err());
    }
}
