//! Settings: the checks applied to added ephemeral containers, where and with which images
//! they may be added, who may break glass, where node-debugging pods may run, and the common
//! exemptions.

use policy_helpers::prelude::*;

use policy_helpers::glob::{Glob, compile_list};
use policy_helpers::image::ImagePattern;
use policy_helpers::pss::Level;
use policy_helpers::{Exemptions, PolicySettings};

policy_helpers::view! {
    /// Settings of `restrict-ephemeral-and-node-debug`.
    #[derive(Debug, Clone, Default)]
    pub struct Settings [deny_unknown_fields] {
        /// The Pod Security Standards level whose container checks every added ephemeral container
        /// must pass (default `restricted`).
        pub level: Level = "level",
        /// Image patterns added ephemeral containers must use; empty allows every image.
        pub allowed_debug_images: Vec<String> = "allowedDebugImages",
        /// Namespaces (exact or glob) where ephemeral containers may not be added at all, except by
        /// break-glass identities.
        pub protected_namespaces: Vec<String> = "protectedNamespaces",
        /// Namespaces (exact or glob) where node-debugging pods may run (e.g. a dedicated namespace
        /// with its own RBAC).
        pub node_debug_namespaces: Vec<String> = "nodeDebugNamespaces",
        /// Users (exact or glob) who may break glass: debug nodes and add any ephemeral container,
        /// with a warning that records it.
        pub break_glass_users: Vec<String> = "breakGlassUsers",
        /// Groups (exact or glob) whose members may break glass.
        pub break_glass_groups: Vec<String> = "breakGlassGroups",
        /// Common exemptions.
        pub exemptions: Exemptions = "exemptions",
    }
}

/// The settings compiled for matching.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Allowed debug images.
    pub images: Vec<ImagePattern>,
    /// Protected namespaces.
    pub protected: Vec<Glob>,
    /// Node-debug namespaces.
    pub node_debug: Vec<Glob>,
    /// Break-glass users.
    pub users: Vec<Glob>,
    /// Break-glass groups.
    pub groups: Vec<Glob>,
}

impl Settings {
    /// Compiles the lists.
    ///
    /// # Errors
    /// A message naming the offending entry.
    pub fn compile(&self) -> Result<Compiled, String> {
        let images = self
            .allowed_debug_images
            .iter()
            .enumerate()
            .map(|(i, p)| ImagePattern::new(p).map_err(|e| format!("allowedDebugImages[{i}]: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Compiled {
            images,
            protected: compile_list("protectedNamespaces", &self.protected_namespaces)?,
            node_debug: compile_list("nodeDebugNamespaces", &self.node_debug_namespaces)?,
            users: compile_list("breakGlassUsers", &self.break_glass_users)?,
            groups: compile_list("breakGlassGroups", &self.break_glass_groups)?,
        })
    }
}

impl PolicySettings for Settings {
    fn exemptions(&self) -> &Exemptions {
        &self.exemptions
    }

    fn validate(&self) -> Result<(), String> {
        self.compile().map(|_| ())
    }
}
