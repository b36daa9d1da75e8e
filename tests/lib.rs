//! Workspace-level tests live in `tests/*.rs` of this crate; the library is empty.
