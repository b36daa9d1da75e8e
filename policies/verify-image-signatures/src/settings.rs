//! Settings: which images need which signatures, what to do with images no entry covers,
//! digest pinning, and the common exemptions.

use std::collections::BTreeMap;

use policy_helpers::image::ImagePattern;
use policy_helpers::sdk::host_capabilities::SigstoreVerificationInputV2 as Input;
use policy_helpers::sdk::host_capabilities::verification::{KeylessInfo, KeylessPrefixInfo};
use policy_helpers::{Exemptions, PolicySettings};
use serde::Deserialize;

/// Settings of `verify-image-signatures`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// The signature requirements; an image must satisfy every entry whose patterns match it.
    pub signatures: Vec<Requirement>,
    /// Reject images that no entry covers (default false: they are not this policy's concern).
    pub reject_unmatched: bool,
    /// Append the verified digest to images written without one (needs the policy to be
    /// allowed to mutate).
    pub mutate_to_digest: bool,
    /// Common exemptions.
    pub exemptions: Exemptions,
}

/// One keyless identity: OIDC issuer and exact certificate subject.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Keyless {
    /// OIDC issuer, e.g. `https://token.actions.githubusercontent.com`.
    pub issuer: String,
    /// Certificate subject (an e-mail address or a URL).
    pub subject: String,
}

/// One keyless identity by subject URL prefix.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeylessPrefix {
    /// OIDC issuer.
    pub issuer: String,
    /// URL prefix of the certificate subject (the engine appends `/` to it).
    pub url_prefix: String,
}

/// A GitHub Actions workflow identity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GithubActions {
    /// Repository owner (user or organisation).
    pub owner: String,
    /// Repository name; any repository of the owner when absent.
    #[serde(default)]
    pub repo: Option<String>,
}

/// A signing certificate.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Certificate {
    /// PEM certificate of the signing key.
    pub certificate: String,
    /// PEM certificates that certify it; when absent the certificate itself is trusted.
    #[serde(default)]
    pub certificate_chain: Vec<String>,
    /// Require the signature to carry a Rekor bundle (default true).
    #[serde(default = "yes")]
    pub require_rekor_bundle: bool,
}

fn yes() -> bool {
    true
}

/// One entry of `signatures`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Requirement {
    /// Image patterns the entry applies to.
    pub images: Vec<String>,
    /// PEM public keys; every one must have signed.
    pub pub_keys: Vec<String>,
    /// Keyless identities; every one must have signed.
    pub keyless: Vec<Keyless>,
    /// Keyless identities by subject prefix; every one must have signed.
    pub keyless_prefix: Vec<KeylessPrefix>,
    /// A GitHub Actions workflow identity.
    pub github_actions: Option<GithubActions>,
    /// A signing certificate.
    pub certificate: Option<Certificate>,
    /// Annotations every accepted signature must carry.
    pub annotations: BTreeMap<String, String>,
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
