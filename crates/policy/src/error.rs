//! The `MalformedPolicy` error.

/// The policy element an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyElement {
    /// The JSON text itself (syntax, duplicate keys, unknown top-level elements).
    Json,
    /// The document is larger than allowed.
    Size,
    /// `Version`.
    Version,
    /// `Id`.
    Id,
    /// `Statement` (missing, empty, not an object, unknown element, duplicate Sid).
    Statement,
    /// `Sid`.
    Sid,
    /// `Effect`.
    Effect,
    /// `Principal` or `NotPrincipal`.
    Principal,
    /// `Action` or `NotAction`.
    Action,
    /// `Resource` or `NotResource`.
    Resource,
    /// `Condition`.
    Condition,
}

/// Why a policy document was rejected: S3 `MalformedPolicy` (or IAM `MalformedPolicyDocument`).
/// The message names the offending element and, where there is one, the statement.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    element: PolicyElement,
    message: String,
}

impl PolicyError {
    pub(crate) fn new(element: PolicyElement, message: impl Into<String>) -> Self {
        Self {
            element,
            message: message.into(),
        }
    }

    /// The element the error is about.
    pub fn element(&self) -> PolicyElement {
        self.element
    }

    /// The message (also the `Display` form).
    pub fn message(&self) -> &str {
        &self.message
    }
}
