//! Settings: which images need which signatures, what to do with images no entry covers,
//! digest pinning, and the common exemptions.

use policy_helpers::prelude::*;

use alloc::collections::BTreeMap;

use policy_helpers::image::ImagePattern;
use policy_helpers::{Exemptions, PolicySettings};
use serde::Serialize;

/// The engine's `oci/v2/verify` request: one variant per kind of signature, internally tagged
/// by `type`, field names as the engine reads them (Kubewarden's `SigstoreVerificationInputV2`;
/// the test below compares the JSON with the SDK's for every variant).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub enum Input {
    /// Signed with one of these PEM public keys.
    SigstorePubKeyVerify {
        image: String,
        pub_keys: Vec<String>,
        annotations: Option<BTreeMap<String, String>>,
    },
    /// Signed keyless by one of these identities (exact subject).
    SigstoreKeylessVerify {
        image: String,
        keyless: Vec<KeylessInfo>,
        annotations: Option<BTreeMap<String, String>>,
    },
    /// Signed keyless by an identity whose subject starts with one of these URL prefixes.
    SigstoreKeylessPrefixVerify {
        image: String,
        keyless_prefix: Vec<KeylessPrefixInfo>,
        annotations: Option<BTreeMap<String, String>>,
    },
    /// Signed keyless from a GitHub Actions workflow of this owner (and repository).
    SigstoreGithubActionsVerify {
        image: String,
        owner: String,
        repo: Option<String>,
        annotations: Option<BTreeMap<String, String>>,
    },
    /// Signed with this PEM certificate (chained to these, when given).
    SigstoreCertificateVerify {
        image: String,
        certificate: Vec<u8>,
        certificate_chain: Option<Vec<Vec<u8>>>,
        require_rekor_bundle: bool,
        annotations: Option<BTreeMap<String, String>>,
    },
}

/// A keyless identity in an [`Input`]: OIDC issuer and exact subject.
#[derive(Debug, Clone, Serialize)]
pub struct KeylessInfo {
    /// OIDC issuer.
    pub issuer: String,
    /// Certificate subject.
    pub subject: String,
}

/// A keyless identity in an [`Input`]: OIDC issuer and subject URL prefix.
#[derive(Debug, Clone, Serialize)]
pub struct KeylessPrefixInfo {
    /// OIDC issuer.
    pub issuer: String,
    /// URL prefix of the subject.
    pub url_prefix: String,
}

policy_helpers::view! {
    /// Settings of `verify-image-signatures`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// The signature requirements; an image must satisfy every entry whose patterns match it.
        pub signatures: Vec<Requirement> = "signatures",
        /// Reject images that no entry covers (default false: they are not this policy's concern).
        pub reject_unmatched: bool = "rejectUnmatched",
        /// Append the verified digest to images written without one (needs the policy to be
        /// allowed to mutate).
        pub mutate_to_digest: bool = "mutateToDigest",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

policy_helpers::view! {
    /// One keyless identity: OIDC issuer and exact certificate subject.
    #[derive(Debug, Clone, Default)]
    pub struct Keyless [deny_unknown_fields] {
        /// OIDC issuer, e.g. `https://token.actions.githubusercontent.com`.
        pub issuer: String = "issuer" required,
        /// Certificate subject (an e-mail address or a URL).
        pub subject: String = "subject" required,
    }
}

policy_helpers::view! {
    /// One keyless identity by subject URL prefix.
    #[derive(Debug, Clone, Default)]
    pub struct KeylessPrefix [deny_unknown_fields] {
        /// OIDC issuer.
        pub issuer: String = "issuer" required,
        /// URL prefix of the certificate subject (the engine appends `/` to it).
        pub url_prefix: String = "urlPrefix" required,
    }
}

policy_helpers::view! {
    /// A GitHub Actions workflow identity.
    #[derive(Debug, Clone, Default)]
    pub struct GithubActions [deny_unknown_fields] {
        /// Repository owner (user or organisation).
        pub owner: String = "owner" required,
        /// Repository name; any repository of the owner when absent.
        pub repo: Option<String> = "repo",
    }
}

policy_helpers::view! {
    /// A signing certificate.
    #[derive(Debug, Clone)]
    pub struct Certificate [deny_unknown_fields] {
        /// PEM certificate of the signing key.
        pub certificate: String = "certificate" required,
        /// PEM certificates that certify it; when absent the certificate itself is trusted.
        pub certificate_chain: Vec<String> = "certificateChain",
        /// Require the signature to carry a Rekor bundle (default true).
        pub require_rekor_bundle: bool = "requireRekorBundle",
    }
}

/// What an entry leaves out: no chain, a Rekor bundle required.
impl Default for Certificate {
    fn default() -> Self {
        Certificate {
            certificate: String::new(),
            certificate_chain: Vec::new(),
            require_rekor_bundle: true,
        }
    }
}

policy_helpers::view! {
    /// One entry of `signatures`.
    #[derive(Debug, Clone, Default)]
    pub struct Requirement [deny_unknown_fields] {
        /// Image patterns the entry applies to.
        pub images: Vec<String> = "images",
        /// PEM public keys; every one must have signed.
        pub pub_keys: Vec<String> = "pubKeys",
        /// Keyless identities; every one must have signed.
        pub keyless: Vec<Keyless> = "keyless",
        /// Keyless identities by subject prefix; every one must have signed.
        pub keyless_prefix: Vec<KeylessPrefix> = "keylessPrefix",
        /// A GitHub Actions workflow identity.
        pub github_actions: Option<GithubActions> = "githubActions",
        /// A signing certificate.
        pub certificate: Option<Certificate> = "certificate",
        /// Annotations every accepted signature must carry.
        pub annotations: BTreeMap<String, String> = "annotations",
    }
}

/// An entry ready to use.
#[derive(Debug)]
pub struct Compiled {
    /// Its patterns.
    pub images: Vec<ImagePattern>,
    /// `signatures[i]`, for messages.
    pub label: String,
    /// How it verifies, for messages (`public keys`, `keyless`, ...).
    pub method: &'static str,
    /// Its index.
    pub index: usize,
}

fn is_pem(s: &str) -> bool {
    s.trim_start().starts_with("-----BEGIN ") && s.contains("-----END ")
}

fn is_https_url(s: &str) -> bool {
    s.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/') && !rest.contains(' '))
}

impl Requirement {
    fn method(&self, key: &str) -> Result<&'static str, String> {
        let mut methods = Vec::new();
        if !self.pub_keys.is_empty() {
            methods.push("pubKeys");
        }
        if !self.keyless.is_empty() {
            methods.push("keyless");
        }
        if !self.keyless_prefix.is_empty() {
            methods.push("keylessPrefix");
        }
        if self.github_actions.is_some() {
            methods.push("githubActions");
        }
        if self.certificate.is_some() {
            methods.push("certificate");
        }
        match methods.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "{key}: names no verification (set one of pubKeys, keyless, keylessPrefix, githubActions, certificate)"
            )),
            many => Err(format!(
                "{key}: sets {} together; use one verification per entry (several entries that match the same images must all be satisfied)",
                many.join(" and ")
            )),
        }
    }

    fn check(&self, key: &str) -> Result<(), String> {
        for (i, k) in self.pub_keys.iter().enumerate() {
            if !is_pem(k) {
                return Err(format!("{key}.pubKeys[{i}]: not a PEM public key"));
            }
        }
        for (i, k) in self.keyless.iter().enumerate() {
            if !is_https_url(&k.issuer) {
                return Err(format!(
                    "{key}.keyless[{i}].issuer: {:?} is not an https:// URL",
                    k.issuer
                ));
            }
            if k.subject.trim().is_empty() {
                return Err(format!("{key}.keyless[{i}].subject is empty"));
            }
        }
        for (i, k) in self.keyless_prefix.iter().enumerate() {
            if !is_https_url(&k.issuer) {
                return Err(format!(
                    "{key}.keylessPrefix[{i}].issuer: {:?} is not an https:// URL",
                    k.issuer
                ));
            }
            if !is_https_url(&k.url_prefix) {
                return Err(format!(
                    "{key}.keylessPrefix[{i}].urlPrefix: {:?} is not an https:// URL",
                    k.url_prefix
                ));
            }
        }
        if let Some(g) = &self.github_actions
            && (g.owner.is_empty() || g.owner.contains('/'))
        {
            return Err(format!(
                "{key}.githubActions.owner: {:?} is not a GitHub owner",
                g.owner
            ));
        }
        if let Some(c) = &self.certificate {
            if !is_pem(&c.certificate) {
                return Err(format!(
                    "{key}.certificate.certificate: not a PEM certificate"
                ));
            }
            for (i, p) in c.certificate_chain.iter().enumerate() {
                if !is_pem(p) {
                    return Err(format!(
                        "{key}.certificate.certificateChain[{i}]: not a PEM certificate"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The engine request verifying `image` against this entry.
    pub fn input(&self, image: &str) -> Input {
        let image = image.to_string();
        let annotations = if self.annotations.is_empty() {
            None
        } else {
            Some(self.annotations.clone())
        };
        if !self.pub_keys.is_empty() {
            Input::SigstorePubKeyVerify {
                image,
                pub_keys: self.pub_keys.clone(),
                annotations,
            }
        } else if !self.keyless.is_empty() {
            Input::SigstoreKeylessVerify {
                image,
                keyless: self
                    .keyless
                    .iter()
                    .map(|k| KeylessInfo {
                        issuer: k.issuer.clone(),
                        subject: k.subject.clone(),
                    })
                    .collect(),
                annotations,
            }
        } else if !self.keyless_prefix.is_empty() {
            Input::SigstoreKeylessPrefixVerify {
                image,
                keyless_prefix: self
                    .keyless_prefix
                    .iter()
                    .map(|k| KeylessPrefixInfo {
                        issuer: k.issuer.clone(),
                        url_prefix: k.url_prefix.clone(),
                    })
                    .collect(),
                annotations,
            }
        } else if let Some(g) = &self.github_actions {
            Input::SigstoreGithubActionsVerify {
                image,
                owner: g.owner.clone(),
                repo: g.repo.clone(),
                annotations,
            }
        } else {
            let c = self.certificate.clone().unwrap_or_default();
            Input::SigstoreCertificateVerify {
                image,
                certificate: c.certificate.into_bytes(),
                certificate_chain: if c.certificate_chain.is_empty() {
                    None
                } else {
                    Some(
                        c.certificate_chain
                            .into_iter()
                            .map(String::into_bytes)
                            .collect(),
                    )
                },
                require_rekor_bundle: c.require_rekor_bundle,
                annotations,
            }
        }
    }
}

impl Settings {
    /// Checks and compiles every entry.
    ///
    /// # Errors
    /// A message naming the offending key, e.g. `signatures[1].keyless[0].issuer: …`.
    pub fn compile(&self) -> Result<Vec<Compiled>, String> {
        self.signatures
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let key = format!("signatures[{i}]");
                if r.images.is_empty() {
                    return Err(format!(
                        "{key}.images is empty: list the image patterns this entry applies to"
                    ));
                }
                let images = r
                    .images
                    .iter()
                    .enumerate()
                    .map(|(j, p)| {
                        ImagePattern::new(p).map_err(|e| format!("{key}.images[{j}]: {e}"))
                    })
                    .collect::<Result<_, _>>()?;
                let method = r.method(&key)?;
                r.check(&key)?;
                Ok(Compiled {
                    images,
                    label: key,
                    method,
                    index: i,
                })
            })
            .collect()
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        if self.signatures.is_empty() {
            return Err(
                "signatures is empty: list at least one entry with images and a verification (pubKeys, keyless, keylessPrefix, githubActions or certificate)"
                    .into(),
            );
        }
        self.compile().map(|_| ())
    }
}

#[cfg(test)]
mod wire_tests {
    use super::*;
    use kubewarden_policy_sdk::host_capabilities::SigstoreVerificationInputV2 as Sdk;
    use kubewarden_policy_sdk::host_capabilities::verification as sdk;

    #[test]
    fn every_variant_is_the_sdk_json() {
        let annotations = || Some(BTreeMap::from([("env".to_string(), "prod".to_string())]));
        let pairs: Vec<(Input, Sdk)> = vec![
            (
                Input::SigstorePubKeyVerify {
                    image: "i".into(),
                    pub_keys: vec!["k1".into(), "k2".into()],
                    annotations: annotations(),
                },
                Sdk::SigstorePubKeyVerify {
                    image: "i".into(),
                    pub_keys: vec!["k1".into(), "k2".into()],
                    annotations: annotations(),
                },
            ),
            (
                Input::SigstoreKeylessVerify {
                    image: "i".into(),
                    keyless: vec![KeylessInfo {
                        issuer: "is".into(),
                        subject: "su".into(),
                    }],
                    annotations: None,
                },
                Sdk::SigstoreKeylessVerify {
                    image: "i".into(),
                    keyless: vec![sdk::KeylessInfo {
                        issuer: "is".into(),
                        subject: "su".into(),
                    }],
                    annotations: None,
                },
            ),
            (
                Input::SigstoreKeylessPrefixVerify {
                    image: "i".into(),
                    keyless_prefix: vec![KeylessPrefixInfo {
                        issuer: "is".into(),
                        url_prefix: "https://x/".into(),
                    }],
                    annotations: annotations(),
                },
                Sdk::SigstoreKeylessPrefixVerify {
                    image: "i".into(),
                    keyless_prefix: vec![sdk::KeylessPrefixInfo {
                        issuer: "is".into(),
                        url_prefix: "https://x/".into(),
                    }],
                    annotations: annotations(),
                },
            ),
            (
                Input::SigstoreGithubActionsVerify {
                    image: "i".into(),
                    owner: "o".into(),
                    repo: Some("r".into()),
                    annotations: None,
                },
                Sdk::SigstoreGithubActionsVerify {
                    image: "i".into(),
                    owner: "o".into(),
                    repo: Some("r".into()),
                    annotations: None,
                },
            ),
            (
                Input::SigstoreCertificateVerify {
                    image: "i".into(),
                    certificate: b"PEM".to_vec(),
                    certificate_chain: Some(vec![b"C1".to_vec()]),
                    require_rekor_bundle: true,
                    annotations: annotations(),
                },
                Sdk::SigstoreCertificateVerify {
                    image: "i".into(),
                    certificate: b"PEM".to_vec(),
                    certificate_chain: Some(vec![b"C1".to_vec()]),
                    require_rekor_bundle: true,
                    annotations: annotations(),
                },
            ),
        ];
        for (ours, theirs) in pairs {
            assert_eq!(
                serde_json::to_string(&ours).unwrap(),
                serde_json::to_string(&theirs).unwrap()
            );
        }
    }
}
