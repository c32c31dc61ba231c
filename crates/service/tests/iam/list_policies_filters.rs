//! ListPolicies' `OnlyAttached`, `Scope` and `PolicyUsageFilter` through the official SDK.

use aws_sdk_iam::types::{PolicyScopeType, PolicyUsageType};

use crate::harness::TestServer;
use crate::sdk::{assert_error, iam, READ};

fn names(out: &aws_sdk_iam::operation::list_policies::ListPoliciesOutput) -> Vec<String> {
    out.policies()
        .iter()
        .filter_map(|p| p.policy_name().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn list_policies_filters() {
    let s = TestServer::start().await;
    let c = iam(&s, &s.root);
    let all = names(&c.list_policies().send().await.unwrap());
    assert!(all.len() > 2, "{all:?}");
    let attached = c.list_policies().only_attached(true).send().await.unwrap();
    assert!(names(&attached).is_empty(), "nothing is attached yet");

    c.create_user().user_name("carol").send().await.unwrap();
    c.attach_user_policy()
        .user_name("carol")
        .policy_arn(READ)
        .send()
        .await
        .unwrap();
    let attached = c.list_policies().only_attached(true).send().await.unwrap();
    assert_eq!(names(&attached), ["S3ReadAccess"]);
    assert_eq!(attached.policies()[0].attachment_count(), Some(1));

    for scope in [PolicyScopeType::All, PolicyScopeType::Aws] {
        let out = c.list_policies().scope(scope.clone()).send().await.unwrap();
        assert_eq!(names(&out), all, "{scope:?}");
    }
    let local = c
        .list_policies()
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert!(names(&local).is_empty());
    let permissions = c
        .list_policies()
        .policy_usage_filter(PolicyUsageType::PermissionsPolicy)
        .send()
        .await
        .unwrap();
    assert_eq!(names(&permissions), all);
    let boundaries = c
        .list_policies()
        .policy_usage_filter(PolicyUsageType::PermissionsBoundary)
        .send()
        .await
        .unwrap();
    assert!(names(&boundaries).is_empty());
    // A marker past the filtered list is ValidationError.
    assert_error(
        c.list_policies()
            .only_attached(true)
            .marker("2")
            .send()
            .await,
        "ValidationError",
        400,
    );
}
