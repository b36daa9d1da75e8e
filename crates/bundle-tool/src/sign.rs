//! Cosign key-based signatures of pushed artifacts, in the layout `cosign` and `kwctl verify`
//! read, made and checked by the `sigstore` crate (the library Kubewarden's policy-fetcher
//! uses), not by code of ours:
//!
//! - the signed payload is cosign's *simple signing* JSON
//!   (`{"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":"sha256:…"},"type":"cosign container image signature"},"optional":…}`);
//! - it is pushed as the one layer (`application/vnd.dev.cosign.simplesigning.v1+json`, with the
//!   base64 signature in the layer annotation `dev.cosignproject.cosign/signature`) of an image
//!   manifest tagged `sha256-<hex>.sig` in the artifact's repository;
//! - keys are ECDSA P-256: the private key in cosign's encrypted PEM (`ENCRYPTED SIGSTORE PRIVATE
//!   KEY`: scrypt + secretbox, password from `COSIGN_PASSWORD`, as cosign reads it), the public key
//!   as SPKI PEM (`PUBLIC KEY`).
//!
//! Verification fetches the signature layers of the artifact's digest, drops layers whose payload
//! names another digest or whose blob does not match its descriptor (the crate does both), and
//! requires one layer whose signature the given key verifies.

use std::path::Path;

use anyhow::{Context, Result, bail};
use sigstore::cosign::constraint::{PrivateKeySigner, SignConstraintVec};
use sigstore::cosign::verification_constraint::{PublicKeyVerifier, VerificationConstraintVec};
use sigstore::cosign::{ClientBuilder, CosignCapabilities, SignatureLayer};
use sigstore::crypto::SigningScheme;
use sigstore::crypto::signing_key::SigStoreKeyPair;
use sigstore::registry::{
    Auth, Certificate, CertificateEncoding, ClientConfig, ClientProtocol, OciReference,
};

use crate::oci::Transport;

/// The only signing scheme made and accepted: what `cosign generate-key-pair` makes.
const SCHEME: SigningScheme = SigningScheme::ECDSA_P256_SHA256_ASN1;

/// The environment variable holding the private key's password (cosign's name for it).
pub const PASSWORD_ENV: &str = "COSIGN_PASSWORD";

/// A new key pair: (encrypted private key PEM, public key PEM).
///
/// # Errors
/// When the key cannot be made or encrypted.
pub fn keygen(password: &[u8]) -> Result<(String, String)> {
    let signer = SCHEME
        .create_signer()
        .context("creating an ECDSA P-256 key")?;
    let pair = signer
        .to_sigstore_keypair()
        .context("exporting the key pair")?;
    let private = pair
        .private_key_to_encrypted_pem(password)
        .context("encrypting the private key")?;
    let public = pair
        .public_key_to_pem()
        .context("encoding the public key")?;
    // The library writes CRLF line ends; cosign's files (and every PEM reader) use LF.
    let lf = |s: &str| s.replace("\r\n", "\n");
    Ok((lf(&private), lf(&public)))
}

/// Reads the password for a private key from `COSIGN_PASSWORD` (empty when unset, as cosign
/// does when it cannot prompt).
#[must_use]
pub fn password_from_env() -> Vec<u8> {
    std::env::var(PASSWORD_ENV).unwrap_or_default().into_bytes()
}

/// Loads a private key file: cosign's encrypted PEM (with `password`), or an unencrypted
/// PKCS#8 `PRIVATE KEY` PEM.
///
/// # Errors
/// When the file is unreadable, the password is wrong, or the key is not ECDSA P-256.
pub fn load_private_key(path: &Path, password: &[u8]) -> Result<SigStoreKeyPair> {
    let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = String::from_utf8_lossy(&pem);
    let pair = if text.contains("ENCRYPTED") {
        SigStoreKeyPair::from_encrypted_pem(&pem, password).with_context(|| {
            format!(
                "decrypting {} (wrong {PASSWORD_ENV}, or not a cosign key)",
                path.display()
            )
        })?
    } else {
        SigStoreKeyPair::from_pem(&pem)
            .with_context(|| format!("{} is not a PEM private key", path.display()))?
    };
    if !matches!(pair, SigStoreKeyPair::ECDSA(_)) {
        bail!("{}: only ECDSA P-256 keys are supported", path.display());
    }
    Ok(pair)
}

fn client(transport: &Transport) -> Result<sigstore::cosign::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = ClientConfig {
        protocol: if transport.insecure_http {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        ..ClientConfig::default()
    };
    if let Some(ca) = &transport.ca_file {
        let data =
            std::fs::read(ca).with_context(|| format!("reading CA file {}", ca.display()))?;
        config.extra_root_certificates.push(Certificate {
            encoding: CertificateEncoding::Pem,
            data,
        });
    }
    ClientBuilder::default()
        .with_oci_client_config(config)
        .build()
        .context("creating the cosign client")
}

fn auth(transport: &Transport) -> Auth {
    match &transport.basic_auth {
        Some((u, p)) => Auth::Basic(u.clone(), p.clone()),
        None => Auth::Anonymous,
    }
}

fn parse(reference: &str) -> Result<OciReference> {
    let t = reference.strip_prefix("registry://").unwrap_or(reference);
    t.parse::<OciReference>()
        .with_context(|| format!("{reference:?} is not an OCI reference"))
}

/// What a signature was pushed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// `<registry>/<repository>@sha256:…`, the artifact signed.
    pub artifact: String,
    /// `<registry>/<repository>:sha256-<hex>.sig`, where the signature lives.
    pub signature: String,
}

/// Signs the artifact `reference` (a tag or a digest; the signature covers the digest the
/// registry serves for it now) with `key`, and pushes the signature as cosign does. A
/// signature already at `sha256-<hex>.sig` is replaced.
///
/// # Errors
/// When the registry refuses or the artifact does not exist.
pub fn sign(reference: &str, key: &SigStoreKeyPair, transport: &Transport) -> Result<Signed> {
    let image = parse(reference)?;
    let signer = key
        .to_sigstore_signer(&SCHEME)
        .context("the key is not an ECDSA P-256 key")?;
    let auth = auth(transport);
    let mut client = client(transport)?;
    crate::oci::runtime()?.block_on(async {
        let (sig_image, digest) = client
            .triangulate(&image, &auth)
            .await
            .with_context(|| format!("reading the digest of {reference}"))?;
        let mut layer = SignatureLayer::new_unsigned(&image, &digest)
            .context("building the simple signing payload")?;
        // cosign names the repository, not the tag, as the signed identity.
        layer.simple_signing.critical.identity.docker_reference =
            format!("{}/{}", image.registry(), image.repository());
        let signers: SignConstraintVec = vec![Box::new(PrivateKeySigner::new_with_signer(signer))];
        for s in &signers {
            if !s
                .add_constraint(&mut layer)
                .context("signing the payload")?
            {
                bail!("the payload of {reference} was already signed");
            }
        }
        client
            .push_signature(None, &auth, &sig_image, vec![layer])
            .await
            .with_context(|| format!("pushing the signature of {reference} to {sig_image}"))?;
        Ok(Signed {
            artifact: format!("{}/{}@{digest}", image.registry(), image.repository()),
            signature: sig_image.to_string(),
        })
    })
}

/// Verifies that the artifact `reference` carries a cosign signature by `public_key_pem` over
/// the digest the registry serves for it. Returns the verified digest reference
/// `<registry>/<repository>@sha256:…`: pull that, not the tag, so what runs is what was verified.
///
/// # Errors
/// When there is no signature, no signature by that key over this digest, or the registry
/// cannot be read; the message names the artifact, its digest and the signature tag.
pub fn verify(reference: &str, public_key_pem: &[u8], transport: &Transport) -> Result<String> {
    let image = parse(reference)?;
    let verifier = PublicKeyVerifier::new(public_key_pem, &SCHEME)
        .context("the verification key is not an ECDSA P-256 public key in PEM")?;
    let auth = auth(transport);
    let mut client = client(transport)?;
    crate::oci::runtime()?.block_on(async {
        let (sig_image, digest) = client
            .triangulate(&image, &auth)
            .await
            .with_context(|| format!("reading the digest of {reference}"))?;
        let layers = client
            .trusted_signature_layers(&auth, &image)
            .await
            .with_context(|| format!("reading the signatures of {reference}"))?;
        if layers.is_empty() {
            bail!(
                "{reference} ({digest}) is not signed: no signature for this digest at {sig_image}"
            );
        }
        let constraints: VerificationConstraintVec = vec![Box::new(verifier)];
        if sigstore::cosign::verify_constraints(&layers, constraints.iter()).is_err() {
            bail!(
                "{reference} ({digest}): none of the {} signature(s) at {sig_image} is by the given key",
                layers.len()
            );
        }
        Ok(format!(
            "{}/{}@{digest}",
            image.registry(),
            image.repository()
        ))
    })
}

/// Verifies `source` with [`verify`] and pulls the module by the verified digest (not by the
/// tag, which could move between the two requests).
///
/// # Errors
/// As [`verify`] and [`crate::oci::pull`].
pub fn pull_verified(
    source: &str,
    public_key_pem: &[u8],
    transport: &Transport,
) -> Result<Vec<u8>> {
    let verified = verify(source, public_key_pem, transport)?;
    crate::oci::pull(&verified, transport)
}

/// Reads a public key file.
///
/// # Errors
/// When it is unreadable or not a PEM public key.
pub fn read_public_key(path: &Path) -> Result<Vec<u8>> {
    let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN PUBLIC KEY-----") {
        bail!(
            "{} is not a PEM public key (BEGIN PUBLIC KEY)",
            path.display()
        );
    }
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_makes_cosign_formats_that_load_back() {
        let (private, public) = keygen(b"pw").unwrap();
        assert!(private.contains("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
        assert!(public.contains("-----BEGIN PUBLIC KEY-----"));
        let dir = std::env::temp_dir().join(format!("aks-keygen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cosign.key");
        std::fs::write(&path, &private).unwrap();
        let pair = load_private_key(&path, b"pw").unwrap();
        assert!(!public.contains('\r') && !private.contains('\r'));
        assert_eq!(
            pair.public_key_to_pem().unwrap().replace("\r\n", "\n"),
            public
        );
        let Err(err) = load_private_key(&path, b"wrong") else {
            panic!("a wrong password must not decrypt the key");
        };
        assert!(format!("{err:#}").contains("COSIGN_PASSWORD"), "{err:#}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_signature_over_a_payload_verifies_only_with_its_key() {
        use sigstore::crypto::{CosignVerificationKey, Signature};
        let (private, public) = keygen(b"").unwrap();
        let pair = SigStoreKeyPair::from_encrypted_pem(private.as_bytes(), b"").unwrap();
        let sig = pair
            .to_sigstore_signer(&SCHEME)
            .unwrap()
            .sign(b"payload")
            .unwrap();
        let key = CosignVerificationKey::from_pem(public.as_bytes(), &SCHEME).unwrap();
        assert!(
            key.verify_signature(Signature::Raw(&sig), b"payload")
                .is_ok()
        );
        assert!(
            key.verify_signature(Signature::Raw(&sig), b"payloaD")
                .is_err()
        );
        let (_, other) = keygen(b"").unwrap();
        let other = CosignVerificationKey::from_pem(other.as_bytes(), &SCHEME).unwrap();
        assert!(
            other
                .verify_signature(Signature::Raw(&sig), b"payload")
                .is_err()
        );
    }
}
