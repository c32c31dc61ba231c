//! ListPolicies' filters: `OnlyAttached`, `Scope` and `PolicyUsageFilter`, with AWS's values.
//!
//! A value outside AWS's set is a `ValidationError` naming the set, as AWS answers. Applying
//! the filters is the handler's work ([`PolicyFilter::keeps`]): it knows which policies exist
//! and how often each is attached.

use crate::validate::Reader;

/// `Scope`: whose managed policies to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PolicyScope {
    /// Every policy (the default).
    #[default]
    All,
    /// Only the provider's managed policies (S4's are all of this kind).
    Aws,
    /// Only policies the account made itself (S4 has none).
    Local,
}

impl PolicyScope {
    const VALUES: [&'static str; 3] = ["All", "AWS", "Local"];

    /// The value as the `Scope` parameter spells it.
    pub const fn as_str(self) -> &'static str {
        Self::VALUES[self as usize]
    }
}

/// `PolicyUsageFilter`: what the listed policies are used as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyUsage {
    /// Policies that grant permissions (every S4 policy).
    PermissionsPolicy,
    /// Policies set as permissions boundaries (S4 has no boundaries: none).
    PermissionsBoundary,
}

impl PolicyUsage {
    const VALUES: [&'static str; 2] = ["PermissionsPolicy", "PermissionsBoundary"];

    /// The value as the `PolicyUsageFilter` parameter spells it.
    pub const fn as_str(self) -> &'static str {
        Self::VALUES[self as usize]
    }
}

/// The filters of one ListPolicies request; the default lists every policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PolicyFilter {
    /// `OnlyAttached=true`: only policies attached to at least one user or group.
    pub only_attached: bool,
    /// `Scope`: whose policies are listed.
    pub scope: PolicyScope,
    /// `PolicyUsageFilter`, when given.
    pub usage: Option<PolicyUsage>,
}

impl PolicyFilter {
    /// Whether a managed policy of S4 (a provider policy, used as a permissions policy)
    /// attached `attachments` times is listed.
    pub fn keeps(self, attachments: u64) -> bool {
        let scope = matches!(self.scope, PolicyScope::All | PolicyScope::Aws);
        let usage = self.usage != Some(PolicyUsage::PermissionsBoundary);
        scope && usage && (!self.only_attached || attachments > 0)
    }

    /// Reads the three parameters; an unknown value is recorded as a violation.
    pub(crate) fn read(r: &mut Reader<'_>) -> Self {
        let only_attached = r.opt_enum("OnlyAttached", &["false", "true"], true) == Some(1);
        let scope = match r.opt_enum("Scope", &PolicyScope::VALUES, false) {
            Some(1) => PolicyScope::Aws,
            Some(2) => PolicyScope::Local,
            _ => PolicyScope::All,
        };
        let usage = match r.opt_enum("PolicyUsageFilter", &PolicyUsage::VALUES, false) {
            Some(0) => Some(PolicyUsage::PermissionsPolicy),
            Some(_) => Some(PolicyUsage::PermissionsBoundary),
            None => None,
        };
        Self {
            only_attached,
            scope,
            usage,
        }
    }

    /// The parameters that state this filter (none for the default).
    pub(crate) fn params(self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        if self.only_attached {
            out.push(("OnlyAttached", "true"));
        }
        if self.scope != PolicyScope::All {
            out.push(("Scope", self.scope.as_str()));
        }
        if let Some(usage) = self.usage {
            out.push(("PolicyUsageFilter", usage.as_str()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_the_filters_allow() {
        let all = PolicyFilter::default();
        assert!(all.keeps(0) && all.keeps(3));
        let attached = PolicyFilter {
            only_attached: true,
            ..all
        };
        assert!(!attached.keeps(0) && attached.keeps(1));
        for (scope, kept) in [
            (PolicyScope::All, true),
            (PolicyScope::Aws, true),
            (PolicyScope::Local, false),
        ] {
            assert_eq!(PolicyFilter { scope, ..all }.keeps(1), kept, "{scope:?}");
        }
        for (usage, kept) in [
            (PolicyUsage::PermissionsPolicy, true),
            (PolicyUsage::PermissionsBoundary, false),
        ] {
            let filter = PolicyFilter {
                usage: Some(usage),
                ..all
            };
            assert_eq!(filter.keeps(1), kept, "{usage:?}");
        }
    }
}
