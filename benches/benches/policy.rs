//! `s4-policy` benchmarks: deciding a request against three attached managed policies plus a
//! 10-statement bucket policy with conditions, and wildcard matching of a pathological
//! pattern. Run with `cargo bench -p s4-benches --bench policy`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use s4_naming::AccountId;
use s4_policy::actions::object_arn;
use s4_policy::wildcard::{matches, Pattern};
use s4_policy::{
    decide, explain, keys, managed, CompiledPolicy, Decision, Principal, RequestContext,
};

/// Ten statements, most with conditions, in the style of the AWS documentation examples.
const BUCKET_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Id": "Bench",
  "Statement": [
    {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::photos/public/*"},
    {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::photos", "arn:aws:s3:::photos/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "Office", "Effect": "Allow", "Principal": {"AWS": "000000000000002"},
     "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::photos/shared/*",
     "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}},
    {"Sid": "BadHost", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": "arn:aws:s3:::photos/*",
     "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.7/32"}}},
    {"Sid": "HomeList", "Effect": "Allow",
     "Principal": {"AWS": ["arn:aws:iam::000000000000001:user/alice", "arn:aws:iam::000000000000001:user/carol"]},
     "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::photos",
     "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}},
    {"Sid": "HomeObjects", "Effect": "Allow",
     "Principal": {"AWS": ["arn:aws:iam::000000000000001:user/alice", "arn:aws:iam::000000000000001:user/carol"]},
     "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": "arn:aws:s3:::photos/home/${aws:username}/*"},
    {"Sid": "SmallPages", "Effect": "Deny", "Principal": "*", "Action": "s3:ListBucket",
     "Resource": "arn:aws:s3:::photos",
     "Condition": {"NumericGreaterThan": {"s3:max-keys": "1000"}}},
    {"Sid": "Expiry", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::photos/tmp/*",
     "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
    {"Sid": "NoRefererLeech", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::photos/public/*",
     "Condition": {"StringNotLikeIfExists": {"aws:Referer": ["https://example.com/*", "https://www.example.com/*"]}}},
    {"Sid": "Vault", "Effect": "Deny",
     "NotPrincipal": {"AWS": ["arn:aws:iam::000000000000001:root", "arn:aws:iam::000000000000001:user/alice"]},
     "NotAction": ["s3:GetObject"], "Resource": "arn:aws:s3:::photos/vault/*"}
  ]
}"#;

fn alice() -> Principal<'static> {
    Principal::User {
        account: AccountId::from_number(1).unwrap(),
        name: "alice",
        user_id: "AIDAALICE",
    }
}

fn request(action: &str, resource: &str) -> RequestContext<'static> {
    RequestContext::new(alice(), action, resource)
        .with(keys::SOURCE_IP, "192.0.2.10")
        .with(keys::SECURE_TRANSPORT, "true")
        .with(keys::USER_AGENT, "aws-sdk-rust/1.0")
        .with(keys::REFERER, "https://example.com/page")
        .with(keys::S3_SIGNATURE_VERSION, "AWS4-HMAC-SHA256")
        .with(keys::S3_AUTH_TYPE, "REST-HEADER")
        .with_time(time::macros::datetime!(2026-11-25 19:00:00 UTC))
}

fn bench_decide(c: &mut Criterion) {
    let owner = Some(AccountId::from_number(1).unwrap());
    let bucket = CompiledPolicy::parse_bucket(BUCKET_POLICY, "photos").unwrap();
    assert_eq!(bucket.statement_count(), 10);
    let identity: Vec<&CompiledPolicy> = ["S3ReadAccess", "S3ObjectWriteAccess", "IAMReadAccess"]
        .iter()
        .map(|n| managed::by_name(n).unwrap().compiled())
        .collect();

    let get_home = request("s3:GetObject", "arn:aws:s3:::photos/home/alice/cat.jpg");
    let put_public = request("s3:PutObject", "arn:aws:s3:::photos/public/x.jpg");
    let delete_vault = request("s3:DeleteObject", "arn:aws:s3:::photos/vault/x");
    let mut list = request("s3:ListBucket", "arn:aws:s3:::photos");
    list.insert(keys::S3_PREFIX, "home/alice/");
    list.insert(keys::S3_MAX_KEYS, "1000");
    let mut put_nothing = request("s3:PutBucketPolicy", "arn:aws:s3:::photos");
    put_nothing.insert(keys::S3_PREFIX, "x");
    let cases = [
        ("get_object_allowed", &get_home, Decision::Allow),
        ("put_object_allowed", &put_public, Decision::Allow),
        ("list_bucket_allowed", &list, Decision::Allow),
        (
            "delete_object_denied",
            &delete_vault,
            Decision::ImplicitDeny,
        ),
        (
            "put_bucket_policy_implicit_deny",
            &put_nothing,
            Decision::ImplicitDeny,
        ),
    ];
    let mut group = c.benchmark_group("policy_decide_3_managed_plus_10_statement_bucket");
    for (name, ctx, want) in cases {
        assert_eq!(decide(ctx, owner, &identity, Some(&bucket)), want, "{name}");
        group.bench_function(name, |b| {
            b.iter(|| {
                decide(
                    black_box(ctx),
                    owner,
                    black_box(&identity),
                    Some(black_box(&bucket)),
                )
            });
        });
    }
    group.bench_function("explain_get_object", |b| {
        b.iter(|| {
            explain(
                black_box(&get_home),
                owner,
                black_box(&identity),
                Some(&bucket),
            )
        });
    });
    group.bench_function("build_context_and_decide", |b| {
        b.iter(|| {
            let resource = object_arn("photos", "home/alice/cat.jpg");
            let ctx = request("s3:GetObject", &resource);
            decide(&ctx, owner, &identity, Some(&bucket))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("policy_compile");
    group.throughput(Throughput::Bytes(BUCKET_POLICY.len() as u64));
    group.bench_function("bucket_policy_10_statements", |b| {
        b.iter(|| CompiledPolicy::parse_bucket(black_box(BUCKET_POLICY), "photos").unwrap());
    });
    group.finish();
}

fn bench_wildcard(c: &mut Criterion) {
    let mut group = c.benchmark_group("policy_wildcard");
    // `*a*a*…*a*b` against a text of a's: exponential for recursive matchers.
    for (stars, len) in [(10, 1_000), (50, 1_000), (50, 10_000)] {
        let pattern = format!("{}b", "*a".repeat(stars));
        let text = "a".repeat(len);
        group.throughput(Throughput::Bytes(len as u64));
        let id = format!("{stars}_stars_{len}_bytes");
        group.bench_with_input(BenchmarkId::new("pathological_str", &id), &text, |b, t| {
            b.iter(|| assert!(!matches(black_box(&pattern), black_box(t))));
        });
        let compiled = Pattern::new(&pattern);
        group.bench_with_input(
            BenchmarkId::new("pathological_compiled", &id),
            &text,
            |b, t| {
                b.iter(|| assert!(!compiled.matches(black_box(t))));
            },
        );
    }
    let resource = Pattern::new("arn:aws:s3:::photos/home/*/*.jpg");
    let text = "arn:aws:s3:::photos/home/alice/2026/11/holiday-001.jpg";
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("typical_resource", |b| {
        b.iter(|| assert!(resource.matches(black_box(text))));
    });
    group.finish();
}

criterion_group!(benches, bench_decide, bench_wildcard);
criterion_main!(benches);
