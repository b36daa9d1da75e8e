//! OCI push and pull of annotated modules, as `kwctl push` lays them out: an image manifest
//! (schema 2, no `mediaType` field) whose config is the blob `{}` of type
//! `application/vnd.wasm.config.v1+json` and whose one layer is the `.wasm` of type
//! `application/vnd.wasm.content.layer.v1+wasm`; the manifest annotations are the module's
//! metadata annotations without multi-line values, plus `org.opencontainers.image.source`.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use oci_client::client::{
    Certificate, CertificateEncoding, ClientConfig, ClientProtocol, Config, ImageLayer,
};
use oci_client::manifest::OciImageManifest;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::Value;

/// Media type of the config blob.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v1+json";
/// Media type of the module layer.
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.wasm.content.layer.v1+wasm";
/// Name of the custom section holding the Kubewarden metadata.
pub const METADATA_SECTION: &str = "io.kubewarden.metadata";

/// How to reach the registry.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// Plain HTTP (a local registry without TLS).
    pub insecure_http: bool,
    /// PEM file of a CA to trust besides the system's (a registry with a private CA).
    pub ca_file: Option<std::path::PathBuf>,
    /// Basic credentials, if the registry wants them.
    pub basic_auth: Option<(String, String)>,
}

impl Transport {
    fn client(&self) -> Result<Client> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut config = ClientConfig {
            protocol: if self.insecure_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            ..ClientConfig::default()
        };
        if let Some(ca) = &self.ca_file {
            let data =
                std::fs::read(ca).with_context(|| format!("reading CA file {}", ca.display()))?;
            config.extra_root_certificates.push(Certificate {
                encoding: CertificateEncoding::Pem,
                data,
            });
        }
        Client::try_from(config).context("creating the OCI client")
    }

    fn auth(&self) -> RegistryAuth {
        match &self.basic_auth {
            Some((u, p)) => RegistryAuth::Basic(u.clone(), p.clone()),
            None => RegistryAuth::Anonymous,
        }
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Parses `host[:port]/path:tag` (with or without `registry://`).
///
/// # Errors
/// When it is not an OCI reference.
pub fn reference(text: &str) -> Result<Reference> {
    let t = text.strip_prefix("registry://").unwrap_or(text);
    Reference::from_str(t).with_context(|| format!("{text:?} is not an OCI reference"))
}

/// The value of a custom section of a wasm module, if present.
///
/// # Errors
/// When the bytes are not a well-formed wasm module header and section list.
pub fn custom_section<'a>(wasm: &'a [u8], name: &str) -> Result<Option<&'a [u8]>> {
    if wasm.len() < 8 || &wasm[..4] != b"\0asm" {
        bail!("not a WebAssembly module (bad magic)");
    }
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let (size, n) = leb128(&wasm[at..]).context("truncated section size")?;
        at += n;
        let end = at
            .checked_add(size)
            .filter(|e| *e <= wasm.len())
            .context("section past the end")?;
        if id == 0 {
            let (name_len, n) = leb128(&wasm[at..end]).context("truncated custom section name")?;
            let name_start = at + n;
            let name_end = name_start
                .checked_add(name_len)
                .filter(|e| *e <= end)
                .context("bad custom section name")?;
            if &wasm[name_start..name_end] == name.as_bytes() {
                return Ok(Some(&wasm[name_end..end]));
            }
        }
        at = end;
    }
    Ok(None)
}

fn leb128(b: &[u8]) -> Option<(usize, usize)> {
    let mut v: usize = 0;
    for (i, byte) in b.iter().enumerate().take(5) {
        v |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The manifest annotations `kwctl push` derives from a module's embedded metadata.
///
/// # Errors
/// When the module carries no metadata section or it is not JSON.
pub fn manifest_annotations(wasm: &[u8]) -> Result<BTreeMap<String, String>> {
    let section = custom_section(wasm, METADATA_SECTION)?.context(
        "the module is not annotated (no io.kubewarden.metadata section): run `make dist` first",
    )?;
    let meta: Value =
        serde_json::from_slice(section).context("the metadata section is not JSON")?;
    let mut out = BTreeMap::new();
    if let Some(map) = meta.get("annotations").and_then(Value::as_object) {
        for (k, v) in map {
            if let Some(s) = v.as_str()
                && !s.trim().contains('\n')
            {
                out.insert(k.clone(), s.trim().to_string());
            }
        }
    }
    if !out.contains_key("org.opencontainers.image.source")
        && let Some(src) = out.get("io.kubewarden.policy.source").cloned()
    {
        out.insert("org.opencontainers.image.source".into(), src);
    }
    Ok(out)
}

/// Pushes an annotated module; returns the immutable reference `<ref>@sha256:…`.
///
/// # Errors
/// When the module is not annotated or the registry refuses.
pub fn push(wasm: &[u8], target: &str, transport: &Transport) -> Result<String> {
    let reference = reference(target)?;
    let annotations = manifest_annotations(wasm)?;
    let layers = [ImageLayer::new(
        wasm.to_vec(),
        LAYER_MEDIA_TYPE.to_string(),
        None,
    )];
    let config = Config::new(b"{}".to_vec(), CONFIG_MEDIA_TYPE.to_string(), None);
    let mut manifest = OciImageManifest::build(&layers, &config, Some(annotations));
    manifest.media_type = None;
    let client = transport.client()?;
    let auth = transport.auth();
    runtime()?.block_on(async {
        client
            .push(&reference, &layers, config, &auth, Some(manifest))
            .await
            .with_context(|| format!("pushing to {target}"))?;
        let digest = client
            .fetch_manifest_digest(&reference, &auth)
            .await
            .with_context(|| format!("reading back the digest of {target}"))?;
        Ok(format!(
            "{}@{digest}",
            reference.whole().split('@').next().unwrap_or_default()
        ))
    })
}

/// Pulls a module: the first layer of the wasm media type, checked to be WebAssembly.
///
/// # Errors
/// When the registry refuses or the artifact holds no module.
pub fn pull(source: &str, transport: &Transport) -> Result<Vec<u8>> {
    let reference = reference(source)?;
    let client = transport.client()?;
    let auth = transport.auth();
    let image = runtime()?.block_on(async {
        client
            .pull(&reference, &auth, vec![LAYER_MEDIA_TYPE])
            .await
            .with_context(|| format!("pulling {source}"))
    })?;
    let layer = image
        .layers
        .into_iter()
        .find(|l| l.media_type == LAYER_MEDIA_TYPE)
        .with_context(|| format!("{source} has no {LAYER_MEDIA_TYPE} layer"))?;
    if !layer.data.starts_with(b"\0asm") {
        bail!("{source}: the layer is not a WebAssembly module");
    }
    Ok(layer.data.to_vec())
}

/// Config media type of an SBOM attachment (an empty OCI config, as cosign writes).
pub const SBOM_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";

/// The tag of an attachment of the artifact with `digest` (`sha256:<hex>`) in cosign's
/// convention: `sha256-<hex>.<suffix>` (`sig`, `sbom`, `att`).
///
/// # Errors
/// When `digest` is not `<algorithm>:<hex>`.
pub fn attachment_tag(digest: &str, suffix: &str) -> Result<String> {
    let (alg, hex) = digest
        .split_once(':')
        .with_context(|| format!("{digest:?} is not a digest"))?;
    Ok(format!("{alg}-{hex}.{suffix}"))
}

/// The digest the registry serves for `source` now.
///
/// # Errors
/// When the registry refuses or the artifact does not exist.
pub fn digest_of(source: &str, transport: &Transport) -> Result<String> {
    let reference = reference(source)?;
    let client = transport.client()?;
    let auth = transport.auth();
    runtime()?.block_on(async {
        client
            .fetch_manifest_digest(&reference, &auth)
            .await
            .with_context(|| format!("reading the digest of {source}"))
    })
}

/// Pushes `sbom` (CycloneDX JSON) beside the module `module_ref` as cosign attaches SBOMs: one
/// layer of type [`crate::sbom::MEDIA_TYPE`] under the tag `sha256-<module hex>.sbom` of the same
/// repository. Returns the immutable reference of the SBOM artifact (sign that).
///
/// # Errors
/// When the module does not exist or the registry refuses.
pub fn push_sbom(sbom: &[u8], module_ref: &str, transport: &Transport) -> Result<String> {
    let module = reference(module_ref)?;
    let digest = digest_of(module_ref, transport)?;
    let target = Reference::with_tag(
        module.registry().to_owned(),
        module.repository().to_owned(),
        attachment_tag(&digest, "sbom")?,
    );
    let layers = [ImageLayer::new(
        sbom.to_vec(),
        crate::sbom::MEDIA_TYPE.to_string(),
        None,
    )];
    let config = Config::new(b"{}".to_vec(), SBOM_CONFIG_MEDIA_TYPE.to_string(), None);
    let manifest = OciImageManifest::build(&layers, &config, None);
    let client = transport.client()?;
    let auth = transport.auth();
    runtime()?.block_on(async {
        client
            .push(&target, &layers, config, &auth, Some(manifest))
            .await
            .with_context(|| format!("pushing the SBOM of {module_ref} to {target}"))?;
        let sbom_digest = client
            .fetch_manifest_digest(&target, &auth)
            .await
            .with_context(|| format!("reading back the digest of {target}"))?;
        Ok(format!(
            "{}/{}@{sbom_digest}",
            module.registry(),
            module.repository()
        ))
    })
}

/// Fetches the SBOM attached to the module `module_ref` (see [`push_sbom`]): the reference it was
/// read from (`<repo>:sha256-<hex>.sbom`) and its bytes.
///
/// # Errors
/// When the module has no SBOM attachment or the registry refuses.
pub fn pull_sbom(module_ref: &str, transport: &Transport) -> Result<(String, Vec<u8>)> {
    let module = reference(module_ref)?;
    let digest = digest_of(module_ref, transport)?;
    let target = format!(
        "{}/{}:{}",
        module.registry(),
        module.repository(),
        attachment_tag(&digest, "sbom")?
    );
    let r = reference(&target)?;
    let client = transport.client()?;
    let auth = transport.auth();
    let image = runtime()?.block_on(async {
        client
            .pull(&r, &auth, vec![crate::sbom::MEDIA_TYPE])
            .await
            .with_context(|| format!("{module_ref} has no SBOM at {target}"))
    })?;
    let layer = image
        .layers
        .into_iter()
        .next()
        .with_context(|| format!("{target} has no {} layer", crate::sbom::MEDIA_TYPE))?;
    Ok((target, layer.data.to_vec()))
}

/// Reads a module file and pushes it.
///
/// # Errors
/// As [`push`].
pub fn push_file(path: &Path, target: &str, transport: &Transport) -> Result<String> {
    let wasm = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    push(&wasm, target, transport)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module_with_section(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        let mut body = vec![u8::try_from(name.len()).unwrap()];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload);
        m.push(0);
        let mut n = body.len();
        loop {
            let byte = u8::try_from(n & 0x7f).unwrap();
            n >>= 7;
            if n == 0 {
                m.push(byte);
                break;
            }
            m.push(byte | 0x80);
        }
        m.extend(body);
        m
    }

    #[test]
    fn annotations_drop_multiline_values_and_add_the_source() {
        let meta = br#"{"annotations":{"io.kubewarden.policy.usage":"line1\nline2","io.kubewarden.policy.source":" https://example.org/src ","io.kubewarden.policy.title":"x"}}"#;
        let m = module_with_section(METADATA_SECTION, meta);
        let a = manifest_annotations(&m).unwrap();
        assert!(!a.contains_key("io.kubewarden.policy.usage"));
        assert_eq!(a["io.kubewarden.policy.source"], "https://example.org/src");
        assert_eq!(
            a["org.opencontainers.image.source"],
            "https://example.org/src"
        );
        assert_eq!(a["io.kubewarden.policy.title"], "x");
    }

    #[test]
    fn an_unannotated_or_broken_module_is_an_error() {
        let m = module_with_section("other", b"x");
        assert!(
            manifest_annotations(&m)
                .unwrap_err()
                .to_string()
                .contains("not annotated")
        );
        assert!(custom_section(b"nope", "x").is_err());
        let mut bad = b"\0asm\x01\0\0\0".to_vec();
        bad.extend([0, 0x7f]);
        assert!(custom_section(&bad, "x").is_err());
    }

    #[test]
    fn attachment_tags_follow_cosign() {
        assert_eq!(
            attachment_tag("sha256:abc", "sbom").unwrap(),
            "sha256-abc.sbom"
        );
        assert!(attachment_tag("abc", "sig").is_err());
    }

    #[test]
    fn references_take_the_registry_scheme() {
        let r = reference("registry://127.0.0.1:5000/p/no-privileged-containers:v0.1.0").unwrap();
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "p/no-privileged-containers");
        assert_eq!(r.tag(), Some("v0.1.0"));
    }
}
