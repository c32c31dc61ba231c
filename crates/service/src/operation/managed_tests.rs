//! The managed policies (spec 3.2) against the catalogue: each allows exactly the S3
//! operations its name says, to a user of the owning account.

use s4_naming::AccountId;
use s4_policy::{decide, Decision, Principal, RequestContext};

use super::*;

fn owner() -> AccountId {
    AccountId::from_number(1).unwrap()
}

/// Which S3 operations each policy allows to a user of the owning account (no bucket
/// policy); every other operation must be implicitly denied.
#[test]
fn s3_policies_mean_what_their_names_say() {
    use S3Operation as O;
    let all: Vec<O> = S3Operation::all().collect();
    let expect: &[(&str, &[O])] = &[
        ("AdministratorAccess", &all),
        ("S3FullAccess", &all),
        (
            "S3ListAccess",
            &[
                O::ListBuckets,
                O::HeadBucket,
                O::ListObjects,
                O::ListObjectsV2,
                O::ListParts,
                O::ListMultipartUploads,
            ],
        ),
        (
            "S3ReadAccess",
            &[
                O::ListBuckets,
                O::HeadBucket,
                O::ListObjects,
                O::ListObjectsV2,
                O::ListParts,
                O::ListMultipartUploads,
                O::GetBucketLocation,
                O::GetBucketAcl,
                O::GetObject,
                O::HeadObject,
                O::GetObjectAcl,
                O::GetBucketPolicy,
            ],
        ),
        (
            "S3WriteAccess",
            &[
                O::CreateBucket,
                O::PutBucketAcl,
                O::PutObject,
                O::CopyObject,
                O::CreateMultipartUpload,
                O::UploadPart,
                O::UploadPartCopy,
                O::CompleteMultipartUpload,
                O::PutObjectAcl,
                O::PutBucketPolicy,
            ],
        ),
        (
            "S3DeleteAccess",
            &[
                O::DeleteBucket,
                O::DeleteObject,
                O::DeleteObjects,
                O::DeleteBucketPolicy,
            ],
        ),
        ("S3BucketListAccess", &[O::ListBuckets]),
        (
            "S3BucketReadAccess",
            &[
                O::ListBuckets,
                O::GetBucketLocation,
                O::GetBucketAcl,
                O::GetBucketPolicy,
            ],
        ),
        (
            "S3BucketWriteAccess",
            &[O::CreateBucket, O::PutBucketAcl, O::PutBucketPolicy],
        ),
        (
            "S3BucketDeleteAccess",
            &[O::DeleteBucket, O::DeleteBucketPolicy],
        ),
        (
            "S3BucketFullAccess",
            &[
                O::ListBuckets,
                O::GetBucketLocation,
                O::GetBucketAcl,
                O::GetBucketPolicy,
                O::CreateBucket,
                O::PutBucketAcl,
                O::PutBucketPolicy,
                O::DeleteBucket,
                O::DeleteBucketPolicy,
            ],
        ),
        (
            "S3ObjectListAccess",
            &[
                O::HeadBucket,
                O::ListObjects,
                O::ListObjectsV2,
                O::ListMultipartUploads,
            ],
        ),
        (
            "S3ObjectReadAccess",
            &[
                O::HeadBucket,
                O::ListObjects,
                O::ListObjectsV2,
                O::ListMultipartUploads,
                O::GetObject,
                O::HeadObject,
                O::GetObjectAcl,
                O::ListParts,
            ],
        ),
        (
            "S3ObjectWriteAccess",
            &[
                O::PutObject,
                O::CopyObject,
                O::CreateMultipartUpload,
                O::UploadPart,
                O::UploadPartCopy,
                O::CompleteMultipartUpload,
                O::PutObjectAcl,
            ],
        ),
        (
            "S3ObjectDeleteAccess",
            &[O::DeleteObject, O::DeleteObjects, O::AbortMultipartUpload],
        ),
        (
            "S3ObjectFullAccess",
            &[
                O::HeadBucket,
                O::ListObjects,
                O::ListObjectsV2,
                O::ListMultipartUploads,
                O::GetObject,
                O::HeadObject,
                O::GetObjectAcl,
                O::ListParts,
                O::PutObject,
                O::CopyObject,
                O::CreateMultipartUpload,
                O::UploadPart,
                O::UploadPartCopy,
                O::CompleteMultipartUpload,
                O::PutObjectAcl,
                O::DeleteObject,
                O::DeleteObjects,
                O::AbortMultipartUpload,
            ],
        ),
        ("IAMListAccess", &[]),
        ("IAMReadAccess", &[]),
        ("IAMAttachDetachAccess", &[]),
        ("IAMFullAccess", &[]),
    ];
    assert_eq!(expect.len(), 20);
    let mut cases = 0;
    for (name, allowed) in expect {
        let policy = s4_policy::managed::by_name(name).unwrap().compiled();
        for op in S3Operation::all() {
            // The operation's own action (the copy source's GetObject is checked separately;
            // DeleteObjects' action is decided per key).
            let check = op.own_check("photos", "k");
            let alice = Principal::User {
                account: owner(),
                name: "alice",
                user_id: "AIDAALICE",
            };
            let request = RequestContext::new(alice, check.action, check.resource);
            let got = decide(&request, Some(owner()), &[policy], None);
            let want = if allowed.contains(&op) {
                Decision::Allow
            } else {
                Decision::ImplicitDeny
            };
            assert_eq!(got, want, "{name} {op:?} ({})", check.action);
            cases += 1;
        }
    }
    assert_eq!(cases, 20 * 27);
}
