//! `kwctl annotate` for the harness: embeds validated metadata, with the `protocolVersion`
//! the module itself reports, into the module's `io.kubewarden.metadata` custom section.

use crate::engine::{Harness, LoadError};
use crate::evaluate::EvalError;
use crate::metadata::{self, ExecutionMode, Metadata, MetadataError};

/// Why a module could not be annotated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnnotateError {
    /// The metadata is unusable.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// The module could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The module did not answer `protocol_version`.
    #[error(transparent)]
    ProtocolVersion(#[from] EvalError),
}

/// Returns `wasm` annotated with `metadata` (and `usage` as `io.kubewarden.policy.usage`).
/// For `kubewarden-wapc` modules `protocolVersion` comes from calling the module's
/// `protocol_version`; other execution modes get `Unknown`, as kwctl writes. Annotating an
/// annotated module replaces its metadata, so annotating twice gives the same bytes.
///
/// # Errors
/// When the metadata is invalid, the module does not load, or `protocol_version` fails.
pub fn annotate(
    harness: &Harness,
    name: &str,
    wasm: &[u8],
    metadata: Metadata,
    usage: Option<&str>,
) -> Result<Vec<u8>, AnnotateError> {
    metadata.validate()?;
    let protocol_version = match metadata.execution_mode {
        ExecutionMode::KubewardenWapc => {
            let module = harness.load_module_bytes(name, wasm)?;
            module.protocol_version()?
        }
        _ => "Unknown".to_owned(),
    };
    let contents = metadata::prepare(metadata, usage, &protocol_version)?;
    Ok(metadata::write_metadata_section(wasm, &contents)?)
}
