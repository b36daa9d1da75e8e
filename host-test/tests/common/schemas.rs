//! Validation of the modules' SBOMs against the vendored CycloneDX 1.5 JSON schema of
//! `tests/data/schemas/cyclonedx` (origins and licences in `tests/data/schemas/README.md`).

use serde_json::Value;

use super::data_dir;

/// Problems of `sbom` against the CycloneDX 1.5 JSON schema (empty when valid). The schema's
/// references to its SPDX licence list and JSF signature parts are served from the vendored
/// files of `tests/data/schemas/cyclonedx`, never fetched.
pub fn cyclonedx_problems(sbom: &[u8]) -> Vec<String> {
    struct Vendored;
    impl jsonschema::Retrieve for Vendored {
        fn retrieve(
            &self,
            uri: &jsonschema::Uri<String>,
        ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
            let name = uri.path().as_str().rsplit('/').next().unwrap_or_default();
            let path = data_dir().join("schemas/cyclonedx").join(name);
            Ok(serde_json::from_str(&std::fs::read_to_string(&path)?)?)
        }
    }
    let dir = data_dir().join("schemas/cyclonedx");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("bom-1.5.SNAPSHOT.schema.json"))
            .expect("the vendored CycloneDX schema"),
    )
    .expect("the CycloneDX schema is JSON");
    let instance: Value = match serde_json::from_slice(sbom) {
        Ok(value) => value,
        Err(e) => return vec![format!("not JSON: {e}")],
    };
    let validator = jsonschema::options()
        .with_retriever(Vendored)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the CycloneDX schema compiles");
    validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
