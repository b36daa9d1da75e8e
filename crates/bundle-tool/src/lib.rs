//! Distribution of the aks-baseline-policies bundle (the `bundle` command):
//!
//! - [`policy`]: the policies of the workspace, their versions (from `Cargo.toml`) and metadata;
//! - [`profile`]: profiles (`profiles/<name>.yaml`), named subsets with settings and modes;
//! - [`render`]: a profile into Kubewarden manifests (`ClusterAdmissionPolicy` per module, or a
//!   `ClusterAdmissionPolicyGroup`, plus an optional `PolicyServer`);
//! - [`deploy`]: the kustomize tree (`deploy/base`, `deploy/overlays/<profile>`);
//! - [`oci`]: push and pull of annotated modules as `kwctl push` lays them out, SBOM attachments;
//! - [`sign`]: cosign key pairs, signatures and their verification (the `sigstore` crate);
//! - [`sbom`]: one CycloneDX SBOM per module from its dependency tree;
//! - [`scaffold`]: `bundle new-policy`, a new policy crate from the templates under `templates/`.

#![deny(missing_docs)]

pub mod deploy;
pub mod oci;
pub mod policy;
pub mod profile;
pub mod render;
pub mod sbom;
pub mod scaffold;
pub mod sign;
