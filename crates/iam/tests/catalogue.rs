//! The IAM catalogue (`s4_iam_query::IamAction`) and the IAM vocabulary policy validation
//! accepts (`s4_policy::actions::IAM_ACTIONS`) live in crates that may not depend on each
//! other; this test ties them so that neither can drift.

use std::collections::BTreeSet;

use s4_iam_query::{IamAction, IamResourceKind};
use s4_policy::actions::{iam_action, IAM_ACTIONS};

/// AWS IAM actions a policy may name although S4 does not serve them (so that policies
/// written for AWS validate). Moving an action between this list and the catalogue is a
/// deliberate change of both.
const RECOGNIZED_NOT_SERVED: &[&str] = &[
    "ListPolicyVersions",
    "ListEntitiesForPolicy",
    "UpdateUser",
    "UpdateGroup",
    "GetAccessKeyLastUsed",
    "GetAccountSummary",
];

#[test]
fn every_served_action_is_in_the_policy_vocabulary_as_its_policy_action() {
    for &action in IamAction::ALL {
        assert_eq!(
            iam_action(action.as_str()).as_deref(),
            Some(action.policy_action()),
            "{action}"
        );
    }
}

#[test]
fn the_vocabulary_is_the_served_actions_and_the_recognized_ones_without_duplicates() {
    let vocabulary: BTreeSet<&str> = IAM_ACTIONS.iter().copied().collect();
    assert_eq!(
        vocabulary.len(),
        IAM_ACTIONS.len(),
        "duplicates in IAM_ACTIONS"
    );
    let served: BTreeSet<&str> = IamAction::ALL.iter().map(|a| a.as_str()).collect();
    let recognized: BTreeSet<&str> = RECOGNIZED_NOT_SERVED.iter().copied().collect();
    assert!(served.is_disjoint(&recognized), "{served:?} {recognized:?}");
    let expected: BTreeSet<&str> = served.union(&recognized).copied().collect();
    assert_eq!(vocabulary, expected);
    for name in RECOGNIZED_NOT_SERVED {
        assert_eq!(IamAction::parse(name), None, "{name} is served");
    }
}

#[test]
fn policy_actions_and_resource_kinds_follow_the_rows() {
    use IamResourceKind as K;
    for &action in IamAction::ALL {
        assert_eq!(action.policy_action(), format!("iam:{action}"));
        let name = action.as_str();
        // The kind follows the entity the action names: policies for the policy reads (the
        // attachment actions, *tach*, act on their user or group),
        // otherwise the group for group-centred actions and the user for the rest (access
        // keys belong to their user), as AWS's authorization reference gives them.
        let expected = if name.contains("Polic") && !name.contains("tach") {
            K::Policy
        } else if name.contains("Group") && !name.ends_with("ForUser") {
            K::Group
        } else {
            K::User
        };
        assert_eq!(action.resource_kind(), expected, "{action}");
    }
}
