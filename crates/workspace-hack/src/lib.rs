//! No code: this crate only fixes the features of shared dependencies (see its Cargo.toml).
