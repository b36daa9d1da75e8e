//! The Kubernetes RBAC model shared by the role and binding policies.
//!
//! Roles are judged by what they grant, not by how they are spelt: [`PolicyRule`] matches
//! verbs, API groups, resources (with the RBAC authorizer's subresource rules: `*` matches every
//! resource and subresource, `*/scale` the `scale` subresource of every resource, `pods/*` is
//! *not* a wildcard) and non-resource URLs exactly as the API server's authorizer does, and
//! [`PolicyRule::overlap`] answers "does this rule grant any of these permissions", with `*` on
//! either side. A rule listing every standard verb is the same as `*` for ordinary resources
//! ([`PolicyRule::all_verbs`]).
//!
//! Also here: typed views of Role/ClusterRole ([`Role`]) and RoleBinding/ClusterRoleBinding
//! ([`Binding`]) objects, the reviews a role or binding policy starts from ([`RoleReview`],
//! [`BindingReview`]), subjects read as the authorizer matches them ([`Identity`]: a
//! ServiceAccount in either spelling, the groups of ServiceAccounts) and role references, name patterns for roles
//! ([`RolePatterns`]) and subjects ([`SubjectPatterns`]), the aggregation labels through which a
//! ClusterRole's rules flow into `admin`, `edit` and `view`, and the comparison of an UPDATE with
//! the old object ([`mark_widened`]).

use crate::prelude::*;
use alloc::collections::BTreeSet;

use serde::Deserialize;

use crate::glob::Glob;
use crate::request::{ObjectError, ObjectMeta, Request};
use crate::selector::LabelSelector;
use crate::verdict::Findings;

/// The RBAC API group.
pub const GROUP: &str = "rbac.authorization.k8s.io";

/// The verbs of the resource API: what `*` amounts to for an ordinary resource.
pub const STANDARD_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// The verbs that change objects.
pub const WRITE_VERBS: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];

/// The labels through which a ClusterRole's rules are aggregated into the built-in user-facing
/// roles (label value `"true"`), with the role they extend.
pub const AGGREGATION_LABELS: &[(&str, &str)] = &[
    ("rbac.authorization.k8s.io/aggregate-to-admin", "admin"),
    ("rbac.authorization.k8s.io/aggregate-to-edit", "edit"),
    ("rbac.authorization.k8s.io/aggregate-to-view", "view"),
];

crate::view! {
    /// One rule of a Role or ClusterRole.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct PolicyRule {
        /// Verbs (`get`, `list`, …, `*`).
        pub verbs: Vec<String> = "verbs" or_default,
        /// API groups (`""` for core, `*`).
        pub api_groups: Vec<String> = "apiGroups" or_default,
        /// Resources (`pods`, `pods/exec`, `*`, `*/scale`).
        pub resources: Vec<String> = "resources" or_default,
        /// Object names the rule is restricted to (empty: all).
        pub resource_names: Vec<String> = "resourceNames" or_default,
        /// Non-resource URLs (`/healthz`, `/metrics`, `*`, `/logs/*`); ClusterRoles only.
        pub non_resource_urls: Vec<String> = "nonResourceURLs" or_default,
    }
}

crate::view! {
    /// A permission pattern: groups × resources × verbs, `*` allowed in each (settings such as
    /// `deniedPermissions` use it).
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Permission [deny_unknown_fields] {
        /// API groups (`""` for core, `*` for any).
        pub api_groups: Vec<String> = "apiGroups",
        /// Resources, optionally with a subresource (`pods/exec`); `*` for any.
        pub resources: Vec<String> = "resources",
        /// Verbs; `*` for any.
        pub verbs: Vec<String> = "verbs",
    }
}

impl Permission {
    /// A permission from string slices.
    pub fn new(api_groups: &[&str], resources: &[&str], verbs: &[&str]) -> Permission {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Permission {
            api_groups: own(api_groups),
            resources: own(resources),
            verbs: own(verbs),
        }
    }

    /// Checks that every list is non-empty and has no empty resource or verb.
    ///
    /// # Errors
    /// A message naming `key` and the list at fault.
    pub fn validate(&self, key: &str) -> Result<(), String> {
        for (name, list, empty_ok) in [
            ("apiGroups", &self.api_groups, true),
            ("resources", &self.resources, false),
            ("verbs", &self.verbs, false),
        ] {
            if list.is_empty() {
                return Err(format!(
                    "{key}.{name} is empty (use [\"*\"] for any{})",
                    if empty_ok { ", [\"\"] for core" } else { "" }
                ));
            }
            if !empty_ok && let Some(i) = list.iter().position(|s| s.is_empty()) {
                return Err(format!("{key}.{name}[{i}] is empty"));
            }
        }
        Ok(())
    }
}

/// A concrete permission a rule was found to grant: `verb` on `group`/`resource`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    /// API group (`""` core, `*` any).
    pub group: String,
    /// Resource, possibly with subresource (`*` any).
    pub resource: String,
    /// Verb (`*` any).
    pub verb: String,
}

impl Grant {
    /// `"list" on secrets`, `"escalate" on rbac.authorization.k8s.io/clusterroles`,
    /// `"*" on * (apiGroup *)`.
    pub fn describe(&self) -> String {
        let on = if self.group.is_empty() {
            self.resource.clone()
        } else if self.group == "*" {
            format!("{} (apiGroup *)", self.resource)
        } else {
            format!("{}/{}", self.group, self.resource)
        };
        format!("{:?} on {on}", self.verb)
    }

    /// A stable key for comparing an UPDATE with the old object.
    pub fn key(&self) -> String {
        format!("{}|{}|{}", self.group, self.resource, self.verb)
    }
}

fn split_resource(r: &str) -> (&str, Option<&str>) {
    match r.split_once('/') {
        Some((main, sub)) => (main, Some(sub)),
        None => (r, None),
    }
}

/// Whether a rule's resource entry covers the requested resource (`pods` or `pods/exec`), as
/// the RBAC authorizer decides it.
pub fn resource_matches(rule_resource: &str, requested: &str) -> bool {
    if rule_resource == "*" || rule_resource == requested {
        return true;
    }
    match (
        split_resource(requested).1,
        rule_resource.strip_prefix("*/"),
    ) {
        (Some(sub), Some(rule_sub)) => sub == rule_sub,
        _ => false,
    }
}

/// Whether a rule's resource entry and a permission's resource pattern can name the same
/// resource. Either may hold `*` or `*/sub`; the permission may also hold `res/*` (any
/// subresource of `res`), which in a rule would be a literal name, not a wildcard.
fn resources_overlap(rule_resource: &str, permission: &str) -> bool {
    resource_matches(rule_resource, permission)
        || resource_matches(permission, rule_resource)
        || permission
            .strip_suffix('*')
            .filter(|p| p.ends_with('/') && p.len() > 1)
            .is_some_and(|p| rule_resource.starts_with(p))
}

/// The more concrete of two overlapping names (the one that is not `*`).
fn concrete<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a == "*" || a.starts_with("*/") {
        b
    } else {
        a
    }
}

impl PolicyRule {
    /// Whether the rule grants `verb` (`*` matches every verb, special ones included).
    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == "*" || v == verb)
    }

    /// Whether the rule covers API group `group`.
    pub fn has_group(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == "*" || g == group)
    }

    /// Whether the rule covers `resource` (`pods`, `pods/exec`).
    pub fn has_resource(&self, resource: &str) -> bool {
        self.resources.iter().any(|r| resource_matches(r, resource))
    }

    /// Whether the rule grants `verb` on `group`/`resource` (any object name).
    pub fn grants(&self, group: &str, resource: &str, verb: &str) -> bool {
        self.has_verb(verb) && self.has_group(group) && self.has_resource(resource)
    }

    /// Whether the rule is restricted to named objects (`resourceNames`).
    pub fn is_named(&self) -> bool {
        !self.resource_names.is_empty()
    }

    /// Whether the rule grants every verb: `*`, or every one of [`STANDARD_VERBS`] listed
    /// explicitly (the same thing for ordinary resources).
    pub fn all_verbs(&self) -> bool {
        self.verbs.iter().any(|v| v == "*")
            || STANDARD_VERBS
                .iter()
                .all(|s| self.verbs.iter().any(|v| v == s))
    }

    /// Whether the rule grants everything on every resource of every group: the shape of
    /// `cluster-admin` (`*` groups, `*` resources, every verb).
    pub fn grants_everything(&self) -> bool {
        self.api_groups.iter().any(|g| g == "*")
            && self.resources.iter().any(|r| r == "*")
            && self.all_verbs()
            && !self.is_named()
    }

    /// The first permission of `p` this rule grants, as a concrete [`Grant`] (names taken
    /// from whichever side is not a wildcard), or `None`.
    pub fn overlap(&self, p: &Permission) -> Option<Grant> {
        let group = p.api_groups.iter().find_map(|pg| {
            self.api_groups
                .iter()
                .find(|rg| *rg == "*" || pg == "*" || *rg == pg)
                .map(|rg| concrete(pg, rg).to_string())
        })?;
        let resource = p.resources.iter().find_map(|pr| {
            self.resources
                .iter()
                .find(|rr| resources_overlap(rr, pr))
                .map(|rr| concrete(pr, rr).to_string())
        })?;
        let verb = p.verbs.iter().find_map(|pv| {
            self.verbs
                .iter()
                .find(|rv| *rv == "*" || pv == "*" || *rv == pv)
                .map(|rv| concrete(pv, rv).to_string())
        })?;
        Some(Grant {
            group,
            resource,
            verb,
        })
    }

    /// Every permission of `p` this rule grants, one [`Grant`] per verb of `p` that it grants
    /// (so a message can list `"list", "watch"`).
    pub fn overlaps(&self, p: &Permission) -> Vec<Grant> {
        let mut out = Vec::new();
        for v in &p.verbs {
            let one = Permission {
                api_groups: p.api_groups.clone(),
                resources: p.resources.clone(),
                verbs: vec![v.clone()],
            };
            if let Some(g) = self.overlap(&one)
                && !out.contains(&g)
            {
                out.push(g);
            }
        }
        out
    }

    /// The wildcards the rule uses, each described with its field: `verbs "*"`,
    /// `apiGroups "*"`, `resources "*"`, `resources "*/scale"`, `nonResourceURLs "/logs/*"`.
    /// With `all_verbs_is_wildcard`, a verb list naming every standard verb is reported too.
    pub fn wildcards(&self, all_verbs_is_wildcard: bool) -> Vec<String> {
        let mut out = Vec::new();
        if self.verbs.iter().any(|v| v == "*") {
            out.push("verbs \"*\"".to_string());
        } else if all_verbs_is_wildcard && self.all_verbs() {
            out.push(format!(
                "verbs listing every verb ({}), the same as \"*\"",
                STANDARD_VERBS.join(", ")
            ));
        }
        if self.api_groups.iter().any(|g| g == "*") {
            out.push("apiGroups \"*\"".to_string());
        }
        for r in self.resources.iter().filter(|r| r.starts_with('*')) {
            out.push(format!("resources {r:?}"));
        }
        for u in self.non_resource_urls.iter().filter(|u| u.ends_with('*')) {
            out.push(format!("nonResourceURLs {u:?}"));
        }
        out
    }

    /// A short description: `apiGroups [""], resources ["secrets"], verbs ["get"]`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "apiGroups {:?}, resources {:?}, verbs {:?}",
            self.api_groups, self.resources, self.verbs
        );
        if self.is_named() {
            s.push_str(&format!(", resourceNames {:?}", self.resource_names));
        }
        s
    }
}

crate::view! {
    /// `aggregationRule` of a ClusterRole.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct AggregationRule {
        /// The selectors of the ClusterRoles whose rules are aggregated.
        pub cluster_role_selectors: Vec<LabelSelector> = "clusterRoleSelectors" or_default,
    }
}

impl AggregationRule {
    /// `{a=b}, {c=d}`.
    pub fn describe(&self) -> String {
        if self.cluster_role_selectors.is_empty() {
            return "no selectors".to_string();
        }
        self.cluster_role_selectors
            .iter()
            .map(|s| format!("{{{}}}", s.describe()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

crate::view! {
    /// A Role or ClusterRole.
    #[derive(Debug, Clone, Default)]
    pub struct Role {
        /// Metadata.
        pub metadata: ObjectMeta = "metadata" or_default,
        /// The rules.
        pub rules: Vec<PolicyRule> = "rules" or_default,
        /// Set on aggregated ClusterRoles, whose rules the aggregation controller writes.
        pub aggregation_rule: Option<AggregationRule> = "aggregationRule",
    }
}

impl Role {
    /// The built-in roles this ClusterRole's rules flow into through the aggregation labels.
    pub fn aggregates_into(&self) -> Vec<&'static str> {
        AGGREGATION_LABELS
            .iter()
            .filter(|(label, _)| {
                // The built-in roles' aggregationRule selectors match "true" exactly.
                crate::consumer::exact_true(self.metadata.labels.get(*label).map(String::as_str))
            })
            .map(|(_, role)| *role)
            .collect()
    }
}

crate::view! {
    /// `roleRef` of a binding.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct RoleRef {
        /// `rbac.authorization.k8s.io`.
        pub api_group: String = "apiGroup",
        /// `Role` or `ClusterRole`.
        pub kind: String = "kind",
        /// Name of the role.
        pub name: String = "name",
    }
}

impl RoleRef {
    /// Whether it references a ClusterRole.
    pub fn is_cluster_role(&self) -> bool {
        self.kind == "ClusterRole"
    }

    /// `ClusterRole "cluster-admin"`.
    pub fn describe(&self) -> String {
        format!("{} {:?}", self.kind, self.name)
    }
}

crate::view! {
    /// One subject of a binding.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Subject {
        /// `User`, `Group` or `ServiceAccount`.
        pub kind: String = "kind",
        /// `rbac.authorization.k8s.io` for users and groups, empty for service accounts.
        pub api_group: String = "apiGroup" or_default,
        /// Name.
        pub name: String = "name",
        /// Namespace (service accounts).
        pub namespace: String = "namespace" or_default,
    }
}

/// The user name prefix of a ServiceAccount token: `system:serviceaccount:<namespace>:<name>`.
pub const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";

/// The group of every ServiceAccount; `system:serviceaccounts:<namespace>` is the group of the
/// ServiceAccounts of one namespace.
pub const SERVICE_ACCOUNTS_GROUP: &str = "system:serviceaccounts";

/// Who a subject grants to, read as the API server's RBAC authorizer matches it
/// (`appliesToUser`): a `User` subject matches the request's user name exactly, a `Group`
/// subject one of its groups, a `ServiceAccount` subject the user name
/// `system:serviceaccount:<namespace>:<name>` (its namespace defaulting to the RoleBinding's).
/// A ServiceAccount token authenticates as that user name with the groups
/// `system:serviceaccounts` and `system:serviceaccounts:<namespace>`
/// (`serviceaccount.UserInfo`). So a `User` subject spelt `system:serviceaccount:<ns>:<name>`
/// *is* that ServiceAccount, and those two groups are sets of ServiceAccounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity<'a> {
    /// One ServiceAccount, written as `kind: ServiceAccount` or as its user name.
    ServiceAccount {
        /// Its namespace.
        namespace: &'a str,
        /// Its name.
        name: &'a str,
        /// Whether it was written as a `User` subject.
        as_user: bool,
    },
    /// `Group system:serviceaccounts`: every ServiceAccount of every namespace.
    AllServiceAccounts,
    /// `Group system:serviceaccounts:<namespace>`: every ServiceAccount of one namespace.
    NamespaceServiceAccounts(&'a str),
    /// Any other user.
    User(&'a str),
    /// Any other group.
    Group(&'a str),
    /// A kind the authorizer matches to nobody (or a ServiceAccount without a namespace in a
    /// ClusterRoleBinding).
    Nobody,
}

/// The ServiceAccount `(namespace, name)` a user name belongs to:
/// `system:serviceaccount:<namespace>:<name>` with both parts non-empty and no further `:`
/// (as `serviceaccount.SplitUsername` splits it).
pub fn service_account_of_user(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
}

/// The namespace whose ServiceAccounts a group is, `Some("")` for `system:serviceaccounts`
/// (every namespace), `None` for any other group.
pub fn service_accounts_group_namespace(group: &str) -> Option<&str> {
    let rest = group.strip_prefix(SERVICE_ACCOUNTS_GROUP)?;
    if rest.is_empty() {
        return Some("");
    }
    let ns = rest.strip_prefix(':')?;
    (!ns.is_empty() && !ns.contains(':')).then_some(ns)
}

impl Subject {
    /// Who this subject grants to; `binding_namespace` is the RoleBinding's namespace (`None`
    /// for a ClusterRoleBinding), the default of a ServiceAccount subject's namespace.
    pub fn identity<'a>(&'a self, binding_namespace: Option<&'a str>) -> Identity<'a> {
        match self.kind.as_str() {
            "ServiceAccount" => {
                let namespace = if self.namespace.is_empty() {
                    binding_namespace.unwrap_or("")
                } else {
                    self.namespace.as_str()
                };
                if namespace.is_empty() {
                    Identity::Nobody
                } else {
                    Identity::ServiceAccount {
                        namespace,
                        name: &self.name,
                        as_user: false,
                    }
                }
            }
            "User" => match service_account_of_user(&self.name) {
                Some((namespace, name)) => Identity::ServiceAccount {
                    namespace,
                    name,
                    as_user: true,
                },
                None => Identity::User(&self.name),
            },
            "Group" => match service_accounts_group_namespace(&self.name) {
                Some("") => Identity::AllServiceAccounts,
                Some(ns) => Identity::NamespaceServiceAccounts(ns),
                None => Identity::Group(&self.name),
            },
            _ => Identity::Nobody,
        }
    }

    /// The ServiceAccount `(namespace, name)` this subject is, in either spelling
    /// (`kind: ServiceAccount` with its own namespace, or a `User` named
    /// `system:serviceaccount:<namespace>:<name>`).
    pub fn service_account(&self) -> Option<(&str, &str)> {
        match self.identity(None) {
            Identity::ServiceAccount {
                namespace, name, ..
            } => Some((namespace, name)),
            _ => None,
        }
    }

    /// `User "alice"`, `Group "ops"`, `ServiceAccount "ci/deployer"`.
    pub fn describe(&self) -> String {
        if self.kind == "ServiceAccount" {
            format!("ServiceAccount \"{}/{}\"", self.namespace, self.name)
        } else {
            format!("{} {:?}", self.kind, self.name)
        }
    }
}

crate::view! {
    /// A RoleBinding or ClusterRoleBinding.
    #[derive(Debug, Clone, Default)]
    pub struct Binding {
        /// Metadata.
        pub metadata: ObjectMeta = "metadata" or_default,
        /// The role it grants.
        pub role_ref: RoleRef = "roleRef",
        /// Who it grants it to.
        pub subjects: Vec<Subject> = "subjects" or_default,
    }
}

/// The four RBAC kinds, from the request's resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RbacKind {
    /// `roles`
    Role,
    /// `clusterroles`
    ClusterRole,
    /// `rolebindings`
    RoleBinding,
    /// `clusterrolebindings`
    ClusterRoleBinding,
}

impl RbacKind {
    /// The kind of an RBAC request (no subresource), else `None`.
    pub fn of(req: &Request<'_>) -> Option<RbacKind> {
        if req.resource.group != GROUP || req.subresource().is_some() {
            return None;
        }
        match req.resource.resource.as_str() {
            "roles" => Some(RbacKind::Role),
            "clusterroles" => Some(RbacKind::ClusterRole),
            "rolebindings" => Some(RbacKind::RoleBinding),
            "clusterrolebindings" => Some(RbacKind::ClusterRoleBinding),
            _ => None,
        }
    }

    /// Whether it is a role (not a binding).
    pub fn is_role(self) -> bool {
        matches!(self, RbacKind::Role | RbacKind::ClusterRole)
    }

    /// Whether it is namespaced.
    pub fn is_namespaced(self) -> bool {
        matches!(self, RbacKind::Role | RbacKind::RoleBinding)
    }
}

/// A RoleBinding or ClusterRoleBinding under admission: the new object, its namespace and, on
/// UPDATE, the old subjects. The preamble every binding policy shares.
#[derive(Debug)]
pub struct BindingReview {
    /// RoleBinding or ClusterRoleBinding.
    pub kind: RbacKind,
    /// The binding's namespace (the object's, else the request's).
    pub namespace: String,
    /// The binding as it would be stored.
    pub binding: Binding,
    /// The subjects before an UPDATE (empty on CREATE, or when the old object cannot be read).
    pub old_subjects: Vec<Subject>,
}

impl BindingReview {
    /// Reads the RoleBinding or ClusterRoleBinding of a request; `Ok(None)` for any other
    /// request or one without an object.
    ///
    /// # Errors
    /// An [`ObjectError`] naming the field that does not have the RBAC shape.
    pub fn from_request(req: &Request<'_>) -> Result<Option<BindingReview>, ObjectError> {
        let Some(kind) = RbacKind::of(req).filter(|k| !k.is_role()) else {
            return Ok(None);
        };
        let Some(binding) = req.object_as::<Binding>()? else {
            return Ok(None);
        };
        let old_subjects = req
            .old_object_as::<Binding>()
            .ok()
            .flatten()
            .map(|o| o.subjects)
            .unwrap_or_default();
        let namespace = req.effective_namespace(&binding.metadata).to_string();
        Ok(Some(BindingReview {
            kind,
            namespace,
            binding,
            old_subjects,
        }))
    }

    /// Whether it is a ClusterRoleBinding (it grants in every namespace).
    pub fn is_cluster_wide(&self) -> bool {
        self.kind == RbacKind::ClusterRoleBinding
    }

    /// The namespace a ServiceAccount subject without one lives in: a RoleBinding's own,
    /// `None` for a ClusterRoleBinding (see [`Subject::identity`]).
    pub fn subject_namespace(&self) -> Option<&str> {
        (!self.is_cluster_wide()).then_some(self.namespace.as_str())
    }

    /// The binding's name (from the object, else the request).
    pub fn name<'s>(&'s self, req: &'s Request<'_>) -> &'s str {
        if self.binding.metadata.name.is_empty() {
            req.name.as_deref().unwrap_or("")
        } else {
            &self.binding.metadata.name
        }
    }

    /// Each subject `pick` selects, named with its index, e.g.
    /// `ServiceAccount "ci/deployer" (subjects[2], added by this update)`: on UPDATE a subject
    /// the old binding did not have is marked.
    pub fn name_subjects(&self, req: &Request<'_>, pick: impl Fn(&Subject) -> bool) -> Vec<String> {
        let update = req.operation == crate::Operation::Update;
        self.binding
            .subjects
            .iter()
            .enumerate()
            .filter(|(_, s)| pick(s))
            .map(|(i, s)| {
                let added = if update && !self.old_subjects.contains(s) {
                    ", added by this update"
                } else {
                    ""
                };
                format!("{} (subjects[{i}]{added})", s.describe())
            })
            .collect()
    }
}

/// A role under admission: the new object and, on UPDATE, the old one.
#[derive(Debug)]
pub struct RoleReview {
    /// Role or ClusterRole.
    pub kind: RbacKind,
    /// Namespace of a Role (empty for a ClusterRole).
    pub namespace: String,
    /// The role as it would be stored.
    pub role: Role,
    /// The role before an UPDATE.
    pub old: Option<Role>,
}

impl RoleReview {
    /// Reads the Role or ClusterRole of a request; `Ok(None)` for any other request or one
    /// without an object.
    ///
    /// # Errors
    /// An [`ObjectError`] naming the field that does not have the RBAC shape.
    pub fn from_request(req: &Request<'_>) -> Result<Option<RoleReview>, ObjectError> {
        let Some(kind) = RbacKind::of(req).filter(|k| k.is_role()) else {
            return Ok(None);
        };
        let Some(role) = req.object_as::<Role>()? else {
            return Ok(None);
        };
        let old = req.old_object_as::<Role>().unwrap_or(None);
        let namespace = if kind.is_namespaced() {
            req.effective_namespace(&role.metadata).to_string()
        } else {
            String::new()
        };
        Ok(Some(RoleReview {
            kind,
            namespace,
            role,
            old,
        }))
    }

    /// The role's name (from the object, else the request).
    pub fn name<'s>(&'s self, req: &'s Request<'_>) -> &'s str {
        if self.role.metadata.name.is_empty() {
            req.name.as_deref().unwrap_or("")
        } else {
            &self.role.metadata.name
        }
    }

    /// Whether `patterns` name this role.
    pub fn is_named_by(&self, patterns: &RolePatterns, req: &Request<'_>) -> bool {
        let ns = (self.kind == RbacKind::Role).then_some(self.namespace.as_str());
        patterns.matches(ns, self.name(req))
    }
}

/// Patterns naming roles, bindings or role references: `name` (glob) names a cluster-scoped
/// object (ClusterRole, ClusterRoleBinding), `namespace/name` (each a glob) a namespaced one
/// (Role, RoleBinding). RBAC object names cannot contain `/`, so the two never mix: a Role
/// called `system:x` in a user namespace is *not* matched by `system:*`.
#[derive(Debug, Clone, Default)]
pub struct RolePatterns {
    items: Vec<(Option<Glob>, Glob)>,
}

impl RolePatterns {
    /// Compiles a settings list.
    ///
    /// # Errors
    /// A message naming `key[i]`.
    pub fn compile(key: &str, list: &[String]) -> Result<RolePatterns, String> {
        let mut items = Vec::with_capacity(list.len());
        for (i, s) in list.iter().enumerate() {
            let g = |p: &str| Glob::new(p).map_err(|e| format!("{key}[{i}]: {e}"));
            items.push(match s.split_once('/') {
                Some((ns, name)) => {
                    if ns.is_empty() || name.is_empty() || name.contains('/') {
                        return Err(format!(
                            "{key}[{i}]: {s:?} is neither a name nor namespace/name"
                        ));
                    }
                    (Some(g(ns)?), g(name)?)
                }
                None => (None, g(s)?),
            });
        }
        Ok(RolePatterns { items })
    }

    /// Whether a cluster-scoped object `name` (`namespace: None`) or a namespaced object
    /// `namespace/name` is named.
    pub fn matches(&self, namespace: Option<&str>, name: &str) -> bool {
        self.items.iter().any(|(ns, n)| match (ns, namespace) {
            (None, None) => n.matches(name),
            (Some(nsg), Some(ns)) => nsg.matches(ns) && n.matches(name),
            _ => false,
        })
    }

    /// Whether a binding's `roleRef` is named: a ClusterRole by its name, a Role as
    /// `<binding namespace>/<name>`.
    pub fn matches_role_ref(&self, role_ref: &RoleRef, binding_namespace: &str) -> bool {
        if role_ref.is_cluster_role() {
            self.matches(None, &role_ref.name)
        } else {
            self.matches(Some(binding_namespace), &role_ref.name)
        }
    }
}

/// Patterns naming binding subjects: `User:<glob>`, `Group:<glob>`,
/// `ServiceAccount:<namespace glob>/<name glob>`.
#[derive(Debug, Clone, Default)]
pub struct SubjectPatterns {
    items: Vec<(&'static str, Option<Glob>, Glob)>,
}

impl SubjectPatterns {
    /// Compiles a settings list.
    ///
    /// # Errors
    /// A message naming `key[i]`.
    pub fn compile(key: &str, list: &[String]) -> Result<SubjectPatterns, String> {
        let mut items = Vec::with_capacity(list.len());
        for (i, s) in list.iter().enumerate() {
            let g = |p: &str| Glob::new(p).map_err(|e| format!("{key}[{i}]: {e}"));
            let bad = || {
                format!(
                    "{key}[{i}]: {s:?} is not User:<name>, Group:<name> or ServiceAccount:<namespace>/<name>"
                )
            };
            let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
            items.push(match kind {
                "User" => ("User", None, g(rest)?),
                "Group" => ("Group", None, g(rest)?),
                "ServiceAccount" => {
                    let (ns, name) = rest
                        .split_once('/')
                        .filter(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('/'))
                        .ok_or_else(bad)?;
                    ("ServiceAccount", Some(g(ns)?), g(name)?)
                }
                _ => return Err(bad()),
            });
        }
        Ok(SubjectPatterns { items })
    }

    /// Whether the subject of a ClusterRoleBinding (or one with its namespace) is named; see
    /// [`SubjectPatterns::matches_in`].
    pub fn matches(&self, s: &Subject) -> bool {
        self.matches_in(s, None)
    }

    /// Whether the subject of a binding is named; `binding_namespace` is a RoleBinding's
    /// namespace, where a ServiceAccount subject without one lives. A ServiceAccount is one
    /// identity in both spellings ([`Subject::identity`]): `ServiceAccount:<ns>/<name>`
    /// patterns match a `User` subject named `system:serviceaccount:<ns>:<name>`, and `User`
    /// patterns match a ServiceAccount subject on that user name. The groups
    /// `system:serviceaccounts[:<ns>]` are matched by `Group` patterns only.
    pub fn matches_in(&self, s: &Subject, binding_namespace: Option<&str>) -> bool {
        let sa = match s.identity(binding_namespace) {
            Identity::ServiceAccount {
                namespace, name, ..
            } => Some((namespace, name)),
            _ => None,
        };
        self.items.iter().any(|(kind, ns, name)| match (*kind, sa) {
            ("ServiceAccount", Some((sa_ns, sa_name))) => {
                ns.as_ref().is_some_and(|g| g.matches(sa_ns)) && name.matches(sa_name)
            }
            ("ServiceAccount", None) => false,
            ("User", Some((sa_ns, sa_name))) => {
                name.matches(&format!("{SERVICE_ACCOUNT_USER_PREFIX}{sa_ns}:{sa_name}"))
            }
            (k, _) => s.kind == k && name.matches(&s.name),
        })
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// How an aggregated ClusterRole (one with an `aggregationRule`) is handled. Its `rules` are
/// written by the aggregation controller from the selected ClusterRoles, which are checked
/// when they are admitted, so its own rules are not evaluated; it is reported instead.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AggregatedRoles {
    /// Accept with a warning and an audit annotation naming the selectors (default).
    #[default]
    Warn,
    /// Reject unless the role is exempt.
    Deny,
}

crate::decode_by_serde!(AggregatedRoles);

/// One thing a role grants that a policy objects to, with the rule it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFinding {
    /// Index in `rules`.
    pub rule: usize,
    /// Stable key of what is granted, to compare an UPDATE with the old object.
    pub key: String,
    /// The message text after `rules[i] `.
    pub detail: String,
}

impl RuleFinding {
    /// `rules[2] grants "list" on secrets`.
    pub fn message(&self) -> String {
        format!("rules[{}] {}", self.rule, self.detail)
    }
}

/// On UPDATE, marks each finding whose key the old object's findings lack with
/// ` (added by this update)`, so a user sees which change widened the role.
pub fn mark_widened(new: &mut [RuleFinding], old: &[RuleFinding]) {
    let before: BTreeSet<&str> = old.iter().map(|f| f.key.as_str()).collect();
    for f in new.iter_mut() {
        if !before.contains(f.key.as_str()) {
            f.detail.push_str(" (added by this update)");
        }
    }
}

/// The message for an aggregated ClusterRole.
pub fn aggregation_note(rule: &AggregationRule) -> String {
    format!(
        "aggregates the ClusterRoles selected by aggregationRule.clusterRoleSelectors {}: its rules are written by the aggregation controller and are checked on the selected roles when they are admitted, not here",
        rule.describe()
    )
}

/// Reports an aggregated ClusterRole: with [`AggregatedRoles::Warn`] a warning
/// (`<identity>: <note> [<controls>]`) and the audit annotation `aggregated-clusterrole`, with
/// [`AggregatedRoles::Deny`] a violation.
pub fn report_aggregation(
    f: &mut Findings,
    mode: AggregatedRoles,
    identity: &str,
    controls: &str,
    rule: &AggregationRule,
) {
    let note = aggregation_note(rule);
    match mode {
        AggregatedRoles::Warn => {
            f.warn(format!("{identity}: {note} [{controls}]"));
            f.annotate("aggregated-clusterrole", rule.describe());
        }
        AggregatedRoles::Deny => f.object(format!(
            "{note}; aggregated ClusterRoles are denied (aggregatedClusterRoles: deny)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        PolicyRule {
            verbs: own(verbs),
            api_groups: own(groups),
            resources: own(resources),
            ..PolicyRule::default()
        }
    }

    #[test]
    fn resource_matching_follows_the_authorizer() {
        assert!(resource_matches("*", "pods/exec"));
        assert!(resource_matches("pods/exec", "pods/exec"));
        assert!(resource_matches("*/exec", "pods/exec"));
        assert!(!resource_matches("*/exec", "pods"));
        assert!(
            !resource_matches("pods/*", "pods/exec"),
            "pods/* is not a wildcard"
        );
        assert!(
            !resource_matches("pods", "pods/exec"),
            "subresources are separate"
        );
        assert!(!resource_matches("*/scale", "pods/exec"));
    }

    #[test]
    fn grants_and_wildcards() {
        let r = rule(&[""], &["secrets"], &["get", "list"]);
        assert!(r.grants("", "secrets", "list"));
        assert!(!r.grants("", "secrets", "watch"));
        assert!(!r.grants("apps", "secrets", "list"));
        let any = rule(&["*"], &["*"], &["*"]);
        assert!(any.grants("rbac.authorization.k8s.io", "clusterroles", "escalate"));
        assert!(any.grants_everything());
        assert_eq!(
            any.wildcards(true),
            vec!["verbs \"*\"", "apiGroups \"*\"", "resources \"*\""]
        );
        let spelled = rule(&["*"], &["*"], STANDARD_VERBS);
        assert!(spelled.all_verbs() && spelled.grants_everything());
        assert!(spelled.wildcards(true)[0].contains("the same as \"*\""));
        assert_eq!(spelled.wildcards(false).len(), 2);
        let mut named = any.clone();
        named.resource_names = vec!["x".into()];
        assert!(!named.grants_everything());
        let urls = PolicyRule {
            non_resource_urls: vec!["/healthz".into(), "/logs/*".into()],
            verbs: vec!["get".into()],
            ..PolicyRule::default()
        };
        assert_eq!(urls.wildcards(true), vec!["nonResourceURLs \"/logs/*\""]);
    }

    #[test]
    fn overlap_takes_wildcards_on_either_side() {
        let secrets_read = Permission::new(&[""], &["secrets"], &["list", "watch"]);
        let all_core = rule(&[""], &["*"], &["*"]);
        assert_eq!(
            all_core.overlap(&secrets_read).unwrap().describe(),
            "\"list\" on secrets"
        );
        assert_eq!(all_core.overlaps(&secrets_read).len(), 2);
        assert!(
            rule(&["apps"], &["*"], &["*"])
                .overlap(&secrets_read)
                .is_none()
        );
        let exec = Permission::new(&[""], &["pods/exec"], &["create", "get"]);
        assert!(
            rule(&[""], &["*/exec"], &["create"])
                .overlap(&exec)
                .is_some()
        );
        assert!(rule(&[""], &["pods"], &["*"]).overlap(&exec).is_none());
        let extras = Permission::new(&["*"], &["userextras/*"], &["impersonate"]);
        assert!(
            rule(&["*"], &["userextras/scopes"], &["impersonate"])
                .overlap(&extras)
                .is_some()
        );
        assert!(
            rule(&["*"], &["userextras"], &["impersonate"])
                .overlap(&extras)
                .is_none()
        );
        let pods_any = Permission::new(&[""], &["pods/exec"], &["get"]);
        assert!(
            rule(&[""], &["pods/*"], &["get"])
                .overlap(&pods_any)
                .is_none(),
            "a rule's pods/* grants nothing"
        );
        let any_verb_on_nodes_proxy = Permission::new(&[""], &["nodes/proxy"], &["*"]);
        let g = rule(&[""], &["nodes/proxy"], &["get"])
            .overlap(&any_verb_on_nodes_proxy)
            .unwrap();
        assert_eq!(g.verb, "get");
        let g = rule(&["*"], &["*"], &["*"])
            .overlap(&Permission::new(
                &["rbac.authorization.k8s.io"],
                &["roles"],
                &["bind"],
            ))
            .unwrap();
        assert_eq!(g.describe(), "\"bind\" on rbac.authorization.k8s.io/roles");
    }

    #[test]
    fn role_patterns_keep_cluster_and_namespaced_names_apart() {
        let p = RolePatterns::compile(
            "exemptRoles",
            &["system:*".into(), "kube-system/*".into(), "admin".into()],
        )
        .unwrap();
        assert!(p.matches(None, "system:controller:x"));
        assert!(!p.matches(Some("shop"), "system:evil"));
        assert!(p.matches(Some("kube-system"), "anything"));
        assert!(!p.matches(None, "kube-system"));
        let cr = RoleRef {
            kind: "ClusterRole".into(),
            name: "admin".into(),
            ..RoleRef::default()
        };
        assert!(p.matches_role_ref(&cr, "shop"));
        let r = RoleRef {
            kind: "Role".into(),
            name: "admin".into(),
            ..RoleRef::default()
        };
        assert!(!p.matches_role_ref(&r, "shop"));
        assert!(
            RolePatterns::compile("k", &["a/b/c".into()])
                .unwrap_err()
                .contains("k[0]")
        );
        assert!(RolePatterns::compile("k", &["".into()]).is_err());
    }

    #[test]
    fn subject_patterns() {
        let p = SubjectPatterns::compile(
            "allowedSubjects",
            &[
                "Group:system:masters".into(),
                "ServiceAccount:kube-system/*".into(),
                "User:system:serviceaccount:flux-system:*".into(),
            ],
        )
        .unwrap();
        let s = |kind: &str, ns: &str, name: &str| Subject {
            kind: kind.into(),
            namespace: ns.into(),
            name: name.into(),
            ..Subject::default()
        };
        assert!(p.matches(&s("Group", "", "system:masters")));
        assert!(!p.matches(&s("User", "", "system:masters")));
        assert!(p.matches(&s("ServiceAccount", "kube-system", "coredns")));
        assert!(p.matches(&s("ServiceAccount", "flux-system", "kustomize")));
        assert!(!p.matches(&s("ServiceAccount", "shop", "web")));
        for bad in ["admin", "Robot:x", "ServiceAccount:justname", "User:"] {
            let e = SubjectPatterns::compile("k", &[bad.into()]).unwrap_err();
            assert!(e.starts_with("k[0]"), "{bad}: {e}");
        }
        assert_eq!(
            s("ServiceAccount", "ci", "deployer").describe(),
            "ServiceAccount \"ci/deployer\""
        );
        // A ServiceAccount written as a User is that ServiceAccount.
        assert!(p.matches(&s("User", "", "system:serviceaccount:kube-system:coredns")));
        assert!(p.matches(&s(
            "User",
            "",
            "system:serviceaccount:flux-system:kustomize"
        )));
        assert!(!p.matches(&s("User", "", "system:serviceaccount:shop:web")));
        // The groups of ServiceAccounts are groups.
        assert!(!p.matches(&s("Group", "", "system:serviceaccounts:kube-system")));
    }

    #[test]
    fn identities_in_every_spelling() {
        let s = |kind: &str, ns: &str, name: &str| Subject {
            kind: kind.into(),
            namespace: ns.into(),
            name: name.into(),
            ..Subject::default()
        };
        let sa = |namespace, name, as_user| Identity::ServiceAccount {
            namespace,
            name,
            as_user,
        };
        assert_eq!(
            s("User", "", "system:serviceaccount:ci:deployer").identity(None),
            sa("ci", "deployer", true)
        );
        assert_eq!(
            s("ServiceAccount", "ci", "deployer").identity(None),
            sa("ci", "deployer", false)
        );
        // A RoleBinding's ServiceAccount subject without a namespace is in the binding's.
        assert_eq!(
            s("ServiceAccount", "", "deployer").identity(Some("shop")),
            sa("shop", "deployer", false)
        );
        assert_eq!(
            s("ServiceAccount", "", "deployer").identity(None),
            Identity::Nobody
        );
        assert_eq!(
            s("Group", "", "system:serviceaccounts").identity(None),
            Identity::AllServiceAccounts
        );
        assert_eq!(
            s("Group", "", "system:serviceaccounts:shop").identity(None),
            Identity::NamespaceServiceAccounts("shop")
        );
        for user in [
            "system:serviceaccount:ci",
            "system:serviceaccount::x",
            "system:serviceaccount:ci:",
            "system:serviceaccount:a:b:c",
            "system:serviceaccounts:ci:x",
            "System:serviceaccount:ci:x",
            "alice",
        ] {
            assert_eq!(
                s("User", "", user).identity(None),
                Identity::User(user),
                "{user}"
            );
        }
        for group in [
            "system:serviceaccounts:",
            "system:serviceaccountsx",
            "system:authenticated",
        ] {
            assert_eq!(
                s("Group", "", group).identity(None),
                Identity::Group(group),
                "{group}"
            );
        }
        assert_eq!(s("Robot", "", "x").identity(None), Identity::Nobody);
    }

    #[test]
    fn views_and_widening() {
        let role: Role = serde_json::from_str(
            r#"{"metadata":{"name":"x","labels":{"rbac.authorization.k8s.io/aggregate-to-edit":"true"}},
                "rules":[{"apiGroups":[""],"resources":["endpoints"],"verbs":["create"],"nonResourceURLs":null}],
                "aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]}}"#,
        )
        .unwrap();
        assert_eq!(role.aggregates_into(), vec!["edit"]);
        assert_eq!(role.aggregation_rule.unwrap().describe(), "{a=b}");
        let f = |rule: usize, key: &str| RuleFinding {
            rule,
            key: key.into(),
            detail: format!("grants {key}"),
        };
        let mut new = vec![f(0, "a"), f(1, "b")];
        mark_widened(&mut new, &[f(0, "a")]);
        assert_eq!(new[0].message(), "rules[0] grants a");
        assert_eq!(new[1].message(), "rules[1] grants b (added by this update)");
        let b: Binding = serde_json::from_str(
            r#"{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":null}"#,
        )
        .unwrap();
        assert!(b.subjects.is_empty() && b.role_ref.is_cluster_role());
    }
}
