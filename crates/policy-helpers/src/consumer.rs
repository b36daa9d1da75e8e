//! String values read the way the component that acts on them reads them.
//!
//! Annotations, labels, CSI parameters and ConfigMap data are strings; each consumer decides
//! for itself what `"1"`, `"True"` or `" true"` means. A module that reads such a value more
//! strictly than its consumer is bypassed (the consumer switches on what the module thought
//! off); one that reads it more leniently is bypassed the other way (the module thinks a
//! protection is on while the consumer ignores it). So there is no single "is true" here: one
//! named reader per consumer rule, with the rule's source beside it, and every module uses the
//! reader of the component that acts on the value it judges.

/// Go's `strconv.ParseBool`, exactly: `1 t T TRUE true True` are true, `0 f F FALSE false
/// False` are false, anything else (including padded or mixed-case spellings such as `" true"`
/// or `"tRUE"`) is an error, given here as `None`.
///
/// Source: the Go standard library, `strconv/atob.go` (`ParseBool`). Used as is (untrimmed) by
/// ingress-nginx and the Application Gateway Ingress Controller for their boolean annotations
/// (`parseBool` in their `annotations/parser` packages), by the GCE-style
/// `kubernetes.io/ingress.allow-http` readers, and by the Kubernetes ServiceAccount admission
/// plugin for `kubernetes.io/enforce-mountable-secrets` (`enforceMountableSecrets`, where an
/// error counts as false).
pub fn go_parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Every spelling [`go_parse_bool`] reads as true (for tests and messages).
pub const GO_TRUE: [&str; 6] = ["1", "t", "T", "TRUE", "true", "True"];
/// Every spelling [`go_parse_bool`] reads as false.
pub const GO_FALSE: [&str; 6] = ["0", "f", "F", "FALSE", "false", "False"];

/// Go's `strings.TrimSpace`: leading and trailing characters for which `unicode.IsSpace` holds.
///
/// Go's `unicode.IsSpace` is the Unicode `White_Space` property (its Latin-1 fast path lists
/// `\t \n \v \f \r`, space, U+0085 and U+00A0, the same characters), and so is Rust's
/// `char::is_whitespace`: the two trims agree.
pub fn go_trim_space(v: &str) -> &str {
    v.trim_matches(char::is_whitespace)
}

/// A boolean parameter of the Azure Key Vault provider for the Secrets Store CSI driver
/// (`usePodIdentity`, `useVMManagedIdentity`, ...): trimmed with `strings.TrimSpace`, empty
/// means false, otherwise `strconv.ParseBool`; a value that does not parse fails the mount.
///
/// Source: `secrets-store-csi-driver-provider-azure`, `pkg/provider/types/parameters.go`
/// (`GetUsePodIdentity`, `GetUseVMManagedIdentity`). `Ok(None)` when the parameter is absent
/// or blank, `Err(())` when the provider would refuse the value.
#[allow(clippy::result_unit_err)]
pub fn keyvault_provider_bool(v: Option<&str>) -> Result<Option<bool>, ()> {
    match v.map(go_trim_space) {
        None | Some("") => Ok(None),
        Some(t) => go_parse_bool(t).map(Some).ok_or(()),
    }
}

/// The Azure cloud provider's reading of its `true`-valued Service annotations (among them
/// `service.beta.kubernetes.io/azure-load-balancer-internal`): the value as written, compared
/// with `"true"` by Go's `strings.EqualFold`, untrimmed. `"TRUE"` and `"True"` count; `"1"`,
/// `"t"`, `"yes"` and `"true "` do not (they get a public load balancer).
///
/// Source: `cloud-provider-azure`, `pkg/consts/helpers.go`
/// (`IsK8sServiceUsingInternalLoadBalancer` through `expectAttributeInSvcAnnotationBeEqualTo`).
/// Older in-tree providers compared with `== "true"`; a value only the newer rule accepts is
/// internal on every provider AKS runs today. `EqualFold` is Unicode simple case folding, but no
/// character other than the ASCII letters folds to `t`, `r`, `u` or `e`, so an ASCII
/// case-insensitive comparison is the same test.
pub fn azure_cloud_provider_true(v: &str) -> bool {
    v.eq_ignore_ascii_case("true")
}

/// Exact `"true"`: the reading of consumers that compare the string (`value == "true"` in Go)
/// or select on it with a label selector (`matchLabels: {key: "true"}`, an exact match).
///
/// Used for: the Azure Workload Identity webhook's pod label `azure.workload.identity/use`
/// (the webhook's `objectSelector` matches `"true"` exactly); the ClusterRole aggregation
/// labels `rbac.authorization.k8s.io/aggregate-to-*` (the built-in roles' `aggregationRule`
/// selectors); Velero's `velero.io/exclude-from-backup` label (`pkg/backup/item_backupper.go`,
/// `== "true"`); and the Kubernetes `DefaultIngressClass` admission plugin's
/// `ingressclass.kubernetes.io/is-default-class` (`== "true"`).
pub fn exact_true(v: Option<&str>) -> bool {
    v == Some("true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_parse_bool_is_strconv() {
        for t in GO_TRUE {
            assert_eq!(go_parse_bool(t), Some(true), "{t}");
        }
        for f in GO_FALSE {
            assert_eq!(go_parse_bool(f), Some(false), "{f}");
        }
        for x in [
            "", "yes", "on", "tRUE", " true", "true ", "2", "0x1", "TRUE\n",
        ] {
            assert_eq!(go_parse_bool(x), None, "{x:?}");
        }
    }

    #[test]
    fn keyvault_provider_trims_then_parses() {
        assert_eq!(keyvault_provider_bool(None), Ok(None));
        assert_eq!(keyvault_provider_bool(Some("  ")), Ok(None));
        assert_eq!(keyvault_provider_bool(Some(" 1\n")), Ok(Some(true)));
        assert_eq!(keyvault_provider_bool(Some("\tTrue ")), Ok(Some(true)));
        assert_eq!(keyvault_provider_bool(Some("F")), Ok(Some(false)));
        assert_eq!(keyvault_provider_bool(Some("yes")), Err(()));
        assert_eq!(keyvault_provider_bool(Some("tRuE")), Err(()));
    }

    #[test]
    fn azure_cloud_provider_is_case_insensitive_and_untrimmed() {
        for t in ["true", "True", "TRUE", "tRuE"] {
            assert!(azure_cloud_provider_true(t), "{t}");
        }
        for f in ["1", "t", "yes", "true ", " true", "false", ""] {
            assert!(!azure_cloud_provider_true(f), "{f:?}");
        }
    }

    #[test]
    fn exact_true_is_exact() {
        assert!(exact_true(Some("true")));
        for f in ["True", "1", " true", ""] {
            assert!(!exact_true(Some(f)), "{f:?}");
        }
        assert!(!exact_true(None));
    }
}
