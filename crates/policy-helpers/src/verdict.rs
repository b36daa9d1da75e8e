//! Findings, verdicts and the one message format every policy uses:
//!
//! `Deployment default/web: container "app" (spec.template.spec.containers[0]) sets
//! securityContext.privileged=true [ASB 7.3, PCI 7.1.2, PCI 7.2.1]`
//!
//! Several findings are joined with `; ` after the object identity; the control ids close the
//! message.

use crate::prelude::*;
/// What a violation can be about besides the object as a whole: a container, a volume, a
/// rule. It names itself for messages, e.g. `container "app" (spec.containers[0])`.
///
/// Defined here and implemented by the views (`pod::ContainerRef`), so that the views depend
/// on the verdict module and never the other way round.
pub trait Subject {
    /// The subject of a message.
    fn subject(&self) -> String;
}

impl<T: Subject + ?Sized> Subject for &T {
    fn subject(&self) -> String {
        (**self).subject()
    }
}

/// One thing a rule found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What it is about, e.g. `container "app" (spec.containers[0])`; empty for the object.
    pub subject: String,
    /// What is wrong, with field path and offending value.
    pub detail: String,
}

/// Collects violations while a rule runs.
#[derive(Debug, Default)]
pub struct Findings {
    violations: Vec<Violation>,
    warnings: Vec<String>,
    annotations: Vec<(String, String)>,
}

impl Findings {
    /// No findings yet.
    pub fn new() -> Findings {
        Findings::default()
    }

    /// A violation about a container (or another [`Subject`]).
    pub fn container(&mut self, c: &impl Subject, detail: impl Into<String>) {
        self.violations.push(Violation {
            subject: c.subject(),
            detail: detail.into(),
        });
    }

    /// A violation about the object as a whole (or a field outside containers).
    pub fn object(&mut self, detail: impl Into<String>) {
        self.violations.push(Violation {
            subject: String::new(),
            detail: detail.into(),
        });
    }

    /// A warning returned with an accepted request.
    pub fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }

    /// An audit annotation returned with an accepted request (the API server records it in
    /// the audit event as `<webhook name>/<key>`). Keys must not contain `/`.
    pub fn annotate(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.annotations.push((key.into(), value.into()));
    }

    /// Whether any violation was recorded.
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    /// The verdict: reject when anything was found, else accept (recorded with its audit
    /// annotations when there are any).
    pub fn into_verdict(self) -> Verdict {
        if self.violations.is_empty() {
            if self.annotations.is_empty() {
                Verdict::Accept {
                    warnings: self.warnings,
                }
            } else {
                Verdict::Record {
                    warnings: self.warnings,
                    audit_annotations: self.annotations,
                }
            }
        } else {
            Verdict::Reject {
                violations: self.violations,
                code: None,
            }
        }
    }
}

/// What a rule decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Accept, optionally with warnings.
    Accept {
        /// Warnings shown to the user.
        warnings: Vec<String>,
    },
    /// Reject.
    Reject {
        /// What was found.
        violations: Vec<Violation>,
        /// HTTP-style code; `None` lets the API server use its default (403).
        code: Option<u16>,
    },
    /// Accept and record: warnings for the user and audit annotations for the audit log
    /// (e.g. an allowed `kubectl exec`, a role granting `get` on secrets).
    Record {
        /// Warnings shown to the user.
        warnings: Vec<String>,
        /// Audit annotations (key without `/`, value).
        audit_annotations: Vec<(String, String)>,
    },
    /// Accept with a mutated object.
    Mutate {
        /// The whole mutated object, already written as JSON ([`Mutated::new`]).
        object: Mutated,
        /// Warnings shown to the user.
        warnings: Vec<String>,
    },
}

/// A mutated object written as JSON text when the rule builds its verdict, so that the JSON
/// writer (and its float formatter) is linked only into the modules that mutate, not into
/// every module through the shared answer code.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutated(String);

impl Mutated {
    /// The object's JSON text, as serde_json writes it (compact, keys in the object's order).
    pub fn new(object: &serde_json::Value) -> Mutated {
        // serde_json writes UTF-8; writing into a Vec cannot fail.
        let text = serde_json::to_vec(object).unwrap_or_default();
        Mutated(String::from_utf8(text).unwrap_or_default())
    }

    /// The JSON text.
    pub fn json(&self) -> &str {
        &self.0
    }

    /// The JSON text, moved out.
    pub fn into_json(self) -> String {
        self.0
    }
}

impl Verdict {
    /// Plain acceptance.
    pub fn accept() -> Verdict {
        Verdict::Accept {
            warnings: Vec::new(),
        }
    }

    /// The 400 rejection of an object a view could not read: `cannot be read: <error>`, the
    /// error naming the field ([`crate::request::ObjectError`] does).
    pub fn cannot_read(error: impl core::fmt::Display) -> Verdict {
        Verdict::unreadable(format!("cannot be read: {error}"))
    }

    /// A rejection of an object that cannot be read (code 400).
    pub fn unreadable(detail: impl Into<String>) -> Verdict {
        Verdict::Reject {
            violations: vec![Violation {
                subject: String::new(),
                detail: detail.into(),
            }],
            code: Some(400),
        }
    }
}

/// Formats the rejection message.
pub fn message(identity: &str, violations: &[Violation], controls: &str) -> String {
    let mut out = String::with_capacity(64 + violations.len() * 96);
    out.push_str(identity);
    out.push_str(": ");
    for (i, v) in violations.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        if !v.subject.is_empty() {
            out.push_str(&v.subject);
            out.push(' ');
        }
        out.push_str(&v.detail);
    }
    if !controls.is_empty() {
        out.push_str(" [");
        out.push_str(controls);
        out.push(']');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_make_a_recorded_acceptance() {
        let mut f = Findings::new();
        f.warn("w");
        assert_eq!(
            Findings::new().into_verdict(),
            Verdict::Accept { warnings: vec![] }
        );
        f.annotate("k", "v");
        assert_eq!(
            f.into_verdict(),
            Verdict::Record {
                warnings: vec!["w".into()],
                audit_annotations: vec![("k".into(), "v".into())],
            }
        );
        let mut f = Findings::new();
        f.annotate("k", "v");
        f.object("bad");
        assert!(matches!(f.into_verdict(), Verdict::Reject { .. }));
    }

    #[test]
    fn message_format() {
        let v = vec![
            Violation {
                subject: "container \"app\" (spec.containers[0])".into(),
                detail: "sets securityContext.privileged=true".into(),
            },
            Violation {
                subject: String::new(),
                detail: "is in namespace \"default\"".into(),
            },
        ];
        assert_eq!(
            message("Pod default/web", &v, "ASB 7.3"),
            "Pod default/web: container \"app\" (spec.containers[0]) sets securityContext.privileged=true; is in namespace \"default\" [ASB 7.3]"
        );
    }
}
