//! Deserialisation helpers shared by the views.

use serde::{Deserialize, Deserializer};

/// Deserialises `null` as the type's default, so that `initContainers: null` (as a YAML user may
/// write it) reads the same as an absent list instead of failing.
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
