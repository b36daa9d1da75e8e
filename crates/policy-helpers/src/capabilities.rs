//! Linux capability names as pod specs and settings write them.
//!
//! Kubernetes passes `capabilities.add` / `drop` to the container runtime, which accepts the
//! names with or without the `CAP_` prefix and in any case; so do the rules: every name is
//! compared in its normal form (upper case, no `CAP_` prefix). `ALL` stands for every
//! capability: in `add` it is the worst case, in `drop` it drops everything.

use crate::prelude::*;
/// The normal form of a capability name: upper case, without the `CAP_` prefix.
pub fn normalise(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    match upper.strip_prefix("CAP_") {
        Some(rest) => rest.to_owned(),
        None => upper,
    }
}

/// `ALL` (in any case, with or without `CAP_`).
pub fn is_all(name: &str) -> bool {
    normalise(name) == "ALL"
}

/// The capabilities of the Linux kernel (normal form), as of Linux 6.x.
pub const KNOWN: &[&str] = &[
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "PERFMON",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYSLOG",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "WAKE_ALARM",
];

/// The capabilities the Pod Security Standards `baseline` level lets a container add: the
/// default set of the container runtimes.
pub const PSS_BASELINE_ALLOWED: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The only capability the `restricted` level lets a container add.
pub const PSS_RESTRICTED_ALLOWED: &[&str] = &["NET_BIND_SERVICE"];

/// Whether `name` (any form) is a Linux capability or `ALL`.
pub fn is_known(name: &str) -> bool {
    let n = normalise(name);
    n == "ALL" || KNOWN.contains(&n.as_str())
}

/// Normalises a settings list of capability names, refusing names that are not Linux
/// capabilities (a misspelt name would silently allow or require nothing). `wildcard` also
/// accepts `*` (kept as is).
///
/// # Errors
/// A message naming the entry, e.g. `allowedCapabilities[1]: "NET_BIND_SERVCE" is not a Linux
/// capability`.
pub fn normalise_list(key: &str, list: &[String], wildcard: bool) -> Result<Vec<String>, String> {
    list.iter()
        .enumerate()
        .map(|(i, name)| {
            if wildcard && name.trim() == "*" {
                Ok("*".to_owned())
            } else if is_known(name) {
                Ok(normalise(name))
            } else {
                Err(format!(
                    "{key}[{i}]: {name:?} is not a Linux capability (e.g. NET_BIND_SERVICE or CAP_NET_BIND_SERVICE)"
                ))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_prefix_and_case() {
        assert_eq!(normalise("cap_sys_admin"), "SYS_ADMIN");
        assert_eq!(normalise(" Net_Raw "), "NET_RAW");
        assert!(is_all("all") && is_all("CAP_ALL") && !is_all("SYS_ALL"));
        assert!(is_known("CAP_BPF") && !is_known("SYS_ADMN"));
    }

    #[test]
    fn settings_lists_refuse_unknown_names() {
        let ok = normalise_list("x", &["cap_chown".into(), "*".into()], true).unwrap();
        assert_eq!(ok, vec!["CHOWN", "*"]);
        let e = normalise_list("x", &["*".into()], false).unwrap_err();
        assert!(e.starts_with("x[0]: \"*\" is not"), "{e}");
        let e = normalise_list(
            "allowed",
            &["CHOWN".into(), "NET_BIND_SERVCE".into()],
            false,
        )
        .unwrap_err();
        assert!(e.starts_with("allowed[1]:"), "{e}");
    }
}
