//! The managed-policy catalogue (spec 3.2): documents, metadata, lookup, and that each policy
//! means what its name says.

mod common;

use std::path::Path;

use common::{ctx, owner, Who};
use s4_policy::actions::{IAM_ACTIONS, S3_ACTIONS};
use s4_policy::{decide, managed, CompiledPolicy, Decision, PolicyVersion};

#[test]
fn catalogue_metadata() {
    let names: Vec<&str> = managed::all()
        .iter()
        .map(managed::ManagedPolicy::name)
        .collect();
    assert_eq!(
        names,
        [
            "AdministratorAccess",
            "S3ListAccess",
            "S3ReadAccess",
            "S3WriteAccess",
            "S3DeleteAccess",
            "S3FullAccess",
            "S3BucketListAccess",
            "S3BucketReadAccess",
            "S3BucketWriteAccess",
            "S3BucketDeleteAccess",
            "S3BucketFullAccess",
            "S3ObjectListAccess",
            "S3ObjectReadAccess",
            "S3ObjectWriteAccess",
            "S3ObjectDeleteAccess",
            "S3ObjectFullAccess",
            "IAMListAccess",
            "IAMReadAccess",
            "IAMAttachDetachAccess",
            "IAMFullAccess",
        ]
    );
    for p in managed::all() {
        assert_eq!(p.arn(), format!("arn:aws:iam::aws:policy/{}", p.name()));
        assert_eq!(p.policy_id(), p.name().to_uppercase());
        assert_eq!(p.version_id(), "v1");
        assert_eq!(p.path(), "/");
        assert_eq!(p.create_date(), managed::CREATE_DATE);
        assert_eq!(p.update_date(), managed::CREATE_DATE);
        assert_eq!(managed::by_arn(&p.arn()), Some(p));
        assert_eq!(managed::by_name(p.name()), Some(p));
        // Each parses as an identity policy (and not as a bucket policy: no Principal).
        let c = CompiledPolicy::parse_identity(p.document()).unwrap();
        assert_eq!(c.version(), PolicyVersion::V2012_10_17);
        assert_eq!(c.statement_count(), 1);
        assert!(CompiledPolicy::parse_bucket(p.document(), "b").is_err());
        assert_eq!(p.compiled().name(), p.arn());
        assert!(std::ptr::eq(p.compiled(), p.compiled()), "compiled once");
        // Spec formatting: two-space indent, no trailing newline.
        assert!(p
            .document()
            .starts_with("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n"));
        assert!(p.document().ends_with("\n  }\n}"));
    }
    assert_eq!(
        managed::CREATE_DATE.to_string(),
        "2022-07-29 20:05:50.0 +00:00:00"
    );
    assert_eq!(managed::by_name("s3readaccess"), None);
    assert_eq!(managed::by_arn("arn:aws:iam::aws:policy/FullAccess"), None);
    assert_eq!(
        managed::by_arn("arn:aws:iam::000000000000001:policy/S3ReadAccess"),
        None
    );
    assert_eq!(managed::by_arn("S3ReadAccess"), None);
}

#[test]
fn administrator_document_matches_the_spec_sample() {
    // GetPolicyVersion in spec 3.3.1 shows AdministratorAccess URL-encoded and compact.
    let compact: serde_json::Value =
        serde_json::from_str(managed::ADMINISTRATOR_ACCESS_DOCUMENT).unwrap();
    assert_eq!(
        compact.to_string(),
        r#"{"Statement":{"Action":"*","Effect":"Allow","Resource":"*"},"Version":"2012-10-17"}"#
    );
    assert_eq!(
        managed::ADMINISTRATOR_ACCESS_DOCUMENT,
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n    \"Action\": \"*\",\n    \"Resource\": \"*\"\n  }\n}"
    );
}

/// Byte-for-byte against the spec text, read from `../shared/spec/` beside the workspace (where
/// the team and CI keep it). A missing spec fails the test.
#[test]
fn documents_are_the_spec_text() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec/s4-api-spec.md");
    let spec = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the API spec must sit at ../shared/spec/ beside the workspace)",
            path.display()
        )
    });
    let start = spec
        .find("# **3.2 S4 Managed Policies**")
        .expect("section 3.2");
    let end = spec[start..]
        .find("# **3.3. Services**")
        .expect("section 3.3")
        + start;
    let section = &spec[start..end];
    let mut found = 0;
    for p in managed::all() {
        let marker = format!("`{}`", p.name());
        let at = section
            .find(&marker)
            .unwrap_or_else(|| panic!("{} in spec", p.name()));
        let rest = &section[at..];
        let open = rest.find("```\n").expect("code block") + 4;
        let close = rest[open..].find("\n```").expect("end of code block") + open;
        assert_eq!(&rest[open..close], p.document(), "{}", p.name());
        found += 1;
    }
    assert_eq!(found, 20);
}

#[test]
fn iam_policies_mean_what_their_names_say() {
    let expect: &[(&str, &[&str])] = &[
        (
            "IAMListAccess",
            &[
                "ListPolicies",
                "ListAttachedUserPolicies",
                "ListUsers",
                "ListGroupsForUser",
                "ListAccessKeys",
            ],
        ),
        (
            "IAMReadAccess",
            &[
                "ListPolicies",
                "GetPolicy",
                "GetPolicyVersion",
                "GetUser",
                "ListAttachedGroupPolicies",
            ],
        ),
        (
            "IAMAttachDetachAccess",
            &[
                "AttachUserPolicy",
                "AttachGroupPolicy",
                "DetachUserPolicy",
                "DetachGroupPolicy",
            ],
        ),
        ("IAMFullAccess", IAM_ACTIONS),
        ("AdministratorAccess", IAM_ACTIONS),
    ];
    for (name, allowed) in expect {
        let policy = managed::by_name(name).unwrap().compiled();
        for action in IAM_ACTIONS {
            let full = format!("iam:{action}");
            let request = ctx(
                Who::Carol,
                &full,
                "arn:aws:iam::000000000000001:user/x",
                &[],
            );
            let got = decide(&request, None, &[policy], None);
            let want = if allowed.contains(action) {
                Decision::Allow
            } else {
                Decision::ImplicitDeny
            };
            // IAMListAccess / IAMReadAccess are wildcard policies: List* / Get* allow every
            // List / Get action, not just the examples above.
            let want = match *name {
                "IAMListAccess" if action.starts_with("List") => Decision::Allow,
                "IAMReadAccess" if action.starts_with("List") || action.starts_with("Get") => {
                    Decision::Allow
                }
                _ => want,
            };
            assert_eq!(got, want, "{name} iam:{action}");
        }
        // No IAM policy grants S3, and only AdministratorAccess grants both.
        let s3 = ctx(Who::Carol, "s3:GetObject", "arn:aws:s3:::b/k", &[]);
        let want = if *name == "AdministratorAccess" {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        };
        assert_eq!(decide(&s3, Some(owner()), &[policy], None), want, "{name}");
    }
    // And no S3 policy grants IAM.
    for p in managed::all().iter().filter(|p| p.name().starts_with("S3")) {
        let request = ctx(Who::Carol, "iam:ListUsers", "*", &[]);
        assert_eq!(
            decide(&request, None, &[p.compiled()], None),
            Decision::ImplicitDeny,
            "{}",
            p.name()
        );
    }
}

#[test]
fn list_wildcards_cover_the_list_actions_only() {
    // Anchors §4.3: s3:List* must match ListAllMyBuckets, ListBucket and
    // ListMultipartUploadParts but not GetObject.
    let list = managed::by_name("S3ListAccess").unwrap().compiled();
    for (action, _) in S3_ACTIONS {
        let full = format!("s3:{action}");
        let request = ctx(Who::Alice, &full, "arn:aws:s3:::b/k", &[]);
        assert_eq!(
            decide(&request, Some(owner()), &[list], None) == Decision::Allow,
            action.starts_with("List"),
            "{full}"
        );
    }
}

#[test]
fn attachments_combine_as_a_union() {
    let read = managed::by_name("S3ReadAccess").unwrap().compiled();
    let delete = managed::by_name("S3ObjectDeleteAccess").unwrap().compiled();
    let obj = "arn:aws:s3:::b/k";
    let cases = [
        ("s3:GetObject", Decision::Allow),
        ("s3:DeleteObject", Decision::Allow),
        ("s3:AbortMultipartUpload", Decision::Allow),
        ("s3:PutObject", Decision::ImplicitDeny),
        ("s3:DeleteBucket", Decision::ImplicitDeny),
    ];
    for (action, want) in cases {
        let request = ctx(Who::Alice, action, obj, &[]);
        assert_eq!(
            decide(&request, Some(owner()), &[read, delete], None),
            want,
            "{action}"
        );
    }
}
