//! Settings: one block per resource (`cpu`, `memory`, `ephemeralStorage`) and the common
//! exemptions.

use policy_helpers::prelude::*;

use policy_helpers::quantity::Quantity;
use policy_helpers::{Exemptions, PolicySettings};
use serde_json::value::RawValue;

policy_helpers::view! {
    /// Settings of `container-resources`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// Rules for `cpu` (requests and limits required by default).
        pub cpu: ResourceRule = "cpu",
        /// Rules for `memory` (requests and limits required by default).
        pub memory: ResourceRule = "memory",
        /// Rules for `ephemeral-storage` (nothing required by default).
        pub ephemeral_storage: ResourceRule = "ephemeralStorage",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

policy_helpers::view! {
    /// What is required of one resource.
    #[derive(Debug, Clone, Default)]
    pub struct ResourceRule [deny_unknown_fields] {
        /// `requests.<resource>` must be set (a limit alone counts: Kubernetes defaults the request
        /// to the limit). Default: true for cpu and memory, false for ephemeral-storage.
        pub require_request: Option<bool> = "requireRequest",
        /// `limits.<resource>` must be set. Default: true for cpu and memory, false for
        /// ephemeral-storage.
        pub require_limit: Option<bool> = "requireLimit",
        /// Smallest request allowed.
        pub min_request: Option<Box<RawValue>> = "minRequest",
        /// Largest request allowed.
        pub max_request: Option<Box<RawValue>> = "maxRequest",
        /// Smallest limit allowed.
        pub min_limit: Option<Box<RawValue>> = "minLimit",
        /// Largest limit allowed.
        pub max_limit: Option<Box<RawValue>> = "maxLimit",
        /// Written into a container's `requests.<resource>` when it sets none (the policy then
        /// mutates, as a LimitRange's `defaultRequest` would).
        pub default_request: Option<Box<RawValue>> = "defaultRequest",
        /// Written into a container's `limits.<resource>` when it sets none (as a LimitRange's
        /// `default`).
        pub default_limit: Option<Box<RawValue>> = "defaultLimit",
    }
}

/// A quantity as written: a string, or a YAML/JSON number's literal text.
fn quantity_text(raw: &RawValue) -> Option<String> {
    let t = raw.get();
    if t.starts_with('"') {
        policy_helpers::json::from_str::<String>(t).ok()
    } else if t.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        Some(t.to_string())
    } else {
        None
    }
}

/// One resource's rule with its quantities parsed.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The resource name in `requests`/`limits`, e.g. `ephemeral-storage`.
    pub resource: &'static str,
    /// The settings key, e.g. `ephemeralStorage`.
    pub key: &'static str,
    /// Whether a request is required.
    pub require_request: bool,
    /// Whether a limit is required.
    pub require_limit: bool,
    /// `minRequest` (as written, parsed).
    pub min_request: Option<(String, Quantity)>,
    /// `maxRequest`
    pub max_request: Option<(String, Quantity)>,
    /// `minLimit`
    pub min_limit: Option<(String, Quantity)>,
    /// `maxLimit`
    pub max_limit: Option<(String, Quantity)>,
    /// `defaultRequest`
    pub default_request: Option<(String, Quantity)>,
    /// `defaultLimit`
    pub default_limit: Option<(String, Quantity)>,
}

impl Limits {
    /// Whether this resource is checked at all.
    pub fn is_active(&self) -> bool {
        self.require_request
            || self.require_limit
            || self.min_request.is_some()
            || self.max_request.is_some()
            || self.min_limit.is_some()
            || self.max_limit.is_some()
            || self.has_defaults()
    }

    /// Whether a default is configured (the policy may then mutate).
    pub fn has_defaults(&self) -> bool {
        self.default_request.is_some() || self.default_limit.is_some()
    }
}

fn parse(
    key: &str,
    field: &str,
    v: &Option<Box<RawValue>>,
) -> Result<Option<(String, Quantity)>, String> {
    let Some(raw) = v.as_deref().filter(|r| r.get() != "null") else {
        return Ok(None);
    };
    let text = quantity_text(raw).ok_or_else(|| {
        format!("{key}.{field}: invalid type: expected a quantity (a string such as \"500m\" or a number)")
    })?;
    let q = Quantity::parse(&text).map_err(|e| format!("{key}.{field}: {e}"))?;
    if q.is_negative() {
        return Err(format!("{key}.{field}: {text:?} is negative"));
    }
    Ok(Some((text, q)))
}

fn not_above(
    key: &str,
    (a_name, a): (&str, &Option<(String, Quantity)>),
    (b_name, b): (&str, &Option<(String, Quantity)>),
) -> Result<(), String> {
    if let (Some((at, aq)), Some((bt, bq))) = (a, b)
        && aq > bq
    {
        return Err(format!(
            "{key}.{a_name} {at:?} is above {key}.{b_name} {bt:?}: the settings contradict each other"
        ));
    }
    Ok(())
}

impl ResourceRule {
    fn compile(
        &self,
        resource: &'static str,
        key: &'static str,
        required_by_default: bool,
    ) -> Result<Limits, String> {
        let l = Limits {
            resource,
            key,
            require_request: self.require_request.unwrap_or(required_by_default),
            require_limit: self.require_limit.unwrap_or(required_by_default),
            min_request: parse(key, "minRequest", &self.min_request)?,
            max_request: parse(key, "maxRequest", &self.max_request)?,
            min_limit: parse(key, "minLimit", &self.min_limit)?,
            max_limit: parse(key, "maxLimit", &self.max_limit)?,
            default_request: parse(key, "defaultRequest", &self.default_request)?,
            default_limit: parse(key, "defaultLimit", &self.default_limit)?,
        };
        not_above(
            key,
            ("minRequest", &l.min_request),
            ("maxRequest", &l.max_request),
        )?;
        not_above(key, ("minLimit", &l.min_limit), ("maxLimit", &l.max_limit))?;
        not_above(
            key,
            ("minRequest", &l.min_request),
            ("maxLimit", &l.max_limit),
        )?;
        // A default must itself comply.
        for (a, b) in [
            (
                ("minRequest", &l.min_request),
                ("defaultRequest", &l.default_request),
            ),
            (
                ("defaultRequest", &l.default_request),
                ("maxRequest", &l.max_request),
            ),
            (
                ("minLimit", &l.min_limit),
                ("defaultLimit", &l.default_limit),
            ),
            (
                ("defaultLimit", &l.default_limit),
                ("maxLimit", &l.max_limit),
            ),
            (
                ("defaultRequest", &l.default_request),
                ("defaultLimit", &l.default_limit),
            ),
        ] {
            not_above(key, a, b)?;
        }
        Ok(l)
    }
}

impl Settings {
    /// The three rules with their quantities parsed.
    ///
    /// # Errors
    /// A message naming the offending key.
    pub fn compile(&self) -> Result<[Limits; 3], String> {
        Ok([
            self.cpu.compile("cpu", "cpu", true)?,
            self.memory.compile("memory", "memory", true)?,
            self.ephemeral_storage
                .compile("ephemeral-storage", "ephemeralStorage", false)?,
        ])
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        let rules = self.compile()?;
        if !rules.iter().any(Limits::is_active) {
            return Err(
                "cpu, memory and ephemeralStorage require nothing: the policy would check nothing"
                    .into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_helpers::settings::check;

    #[test]
    fn defaults_require_cpu_and_memory() {
        let c = check::<Settings>("{}").unwrap();
        let [cpu, mem, eph] = c.settings.compile().unwrap();
        assert!(cpu.require_request && cpu.require_limit);
        assert!(mem.require_request && mem.require_limit);
        assert!(!eph.is_active());
    }

    #[test]
    fn quantities_as_numbers_or_strings() {
        let c = check::<Settings>(
            r#"{"cpu":{"maxLimit":2,"minRequest":"100m"},"memory":{"maxLimit":"2Gi"}}"#,
        )
        .unwrap();
        let [cpu, mem, _] = c.settings.compile().unwrap();
        assert_eq!(cpu.max_limit.unwrap().0, "2");
        assert_eq!(mem.max_limit.unwrap().1, Quantity::parse("2048Mi").unwrap());
    }

    #[test]
    fn defaults_must_comply() {
        let e = |s: &str| check::<Settings>(s).err().unwrap();
        assert!(
            e(r#"{"cpu":{"defaultLimit":"2","maxLimit":"1"}}"#)
                .contains("cpu.defaultLimit \"2\" is above cpu.maxLimit \"1\"")
        );
        assert!(
            e(r#"{"memory":{"defaultRequest":"1Gi","defaultLimit":"512Mi"}}"#)
                .contains("memory.defaultRequest")
        );
        assert!(
            e(r#"{"cpu":{"defaultRequest":"10m","minRequest":"100m"}}"#)
                .contains("cpu.minRequest \"100m\" is above cpu.defaultRequest \"10m\"")
        );
        let c = check::<Settings>(r#"{"cpu":{"defaultRequest":"100m","defaultLimit":1}}"#).unwrap();
        assert!(c.settings.compile().unwrap()[0].has_defaults());
    }

    #[test]
    fn bad_settings_name_the_key() {
        let e = |s: &str| check::<Settings>(s).err().unwrap();
        assert!(
            e(r#"{"cpu":{"maxLimit":"2x"}}"#).starts_with("cpu.maxLimit: \"2x\" is not a quantity")
        );
        assert!(e(r#"{"memory":{"minLimit":"-1Gi"}}"#).contains("memory.minLimit"));
        assert!(
            e(r#"{"cpu":{"minRequest":"2","maxRequest":"1"}}"#)
                .contains("cpu.minRequest \"2\" is above cpu.maxRequest \"1\"")
        );
        assert!(e(r#"{"cpu":{"minRequest":"2","maxLimit":"1"}}"#).contains("maxLimit"));
        assert!(e(r#"{"cpu":{"maxLimit":true}}"#).contains("cpu.maxLimit"));
        assert!(e(r#"{"cpu":{"maxlimit":"1"}}"#).contains("unknown field `maxlimit`"));
        assert!(e(r#"{"cpu":{"requireRequest":false,"requireLimit":false},"memory":{"requireRequest":false,"requireLimit":false}}"#).contains("check nothing"));
    }
}
