//! The conformance kit for S4 storage backends: one behavioural suite for every backend.
//!
//! A backend's tests hand the kit a factory of fresh [`Fixture`]s; every case gets its own
//! fixture, so cases never see each other's buckets or identities. The kit needs no async
//! runtime of its own (concurrent operations use `futures_util::join`), so any executor can
//! drive it:
//!
//! ```
//! use s4_storage::memory::MemoryStore;
//! use s4_storage_testkit::{run_identity_store_suite, run_object_store_suite, Fixture};
//!
//! # futures_util::FutureExt::now_or_never(async {
//! run_object_store_suite(|| async { Fixture::new(MemoryStore::new().with_min_part_size(16)) })
//!     .await;
//! run_identity_store_suite(|| async { Fixture::new(MemoryStore::new()) }).await;
//! # }).unwrap();
//! ```
//!
//! Every case runs even when an earlier one failed; the suite then panics with one line per
//! failed case, naming it and saying what differed. Multipart parts are sized from
//! `capabilities().min_part_size`, so a backend configured with a small minimum runs the kit
//! fast. Areas a backend's [`Capabilities`] says it lacks are skipped with a printed line
//! (and the kit checks that their methods answer `NotImplemented`).
//!
//! Set `S4_TESTKIT_FILTER` to a substring of case names (for example `multipart::`) to run
//! only the matching cases. A suite in which no case ran (the filter matched none of its cases,
//! or the backend skipped them all) fails.

#![warn(missing_docs)]

mod access_keys;
mod buckets;
mod conditions;
mod copy;
mod identity;
mod key_rules;
mod listing;
mod multipart;
mod objects;
mod quota;
mod rate_limits;
mod support;
mod usage;

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use s4_storage::{Capabilities, IdentityStore, ObjectStore, RateLimitStore};

/// A backend under test, plus whatever must outlive it (a temporary directory, a database
/// container handle, ...).
pub struct Fixture<S> {
    /// The backend under test.
    pub store: S,
    guard: Option<Box<dyn Any + Send + Sync>>,
}

impl<S> Fixture<S> {
    /// A fixture that needs nothing kept alive beside the store.
    pub fn new(store: S) -> Self {
        Self { store, guard: None }
    }

    /// Keeps `guard` (e.g. a tempfile::TempDir) alive as long as the fixture.
    pub fn with_guard(store: S, guard: impl Any + Send + Sync) -> Self {
        Self {
            store,
            guard: Some(Box::new(guard)),
        }
    }
}

impl<S> std::fmt::Debug for Fixture<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture")
            .field("store", &std::any::type_name::<S>())
            .field("has_guard", &self.guard.is_some())
            .finish()
    }
}

/// An optional area of [`ObjectStore`], as [`Capabilities`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    ConditionalWrites,
    Multipart,
    Copy,
    BucketPolicies,
    UsageCounters,
    StorageQuotas,
}

impl Need {
    fn present(self, caps: &Capabilities) -> bool {
        match self {
            Self::ConditionalWrites => caps.conditional_writes,
            Self::Multipart => caps.multipart,
            Self::Copy => caps.copy,
            Self::BucketPolicies => caps.bucket_policies,
            Self::UsageCounters => caps.usage_counters,
            Self::StorageQuotas => caps.storage_quotas,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::ConditionalWrites => "conditional_writes",
            Self::Multipart => "multipart",
            Self::Copy => "copy",
            Self::BucketPolicies => "bucket_policies",
            Self::UsageCounters => "usage_counters",
            Self::StorageQuotas => "storage_quotas",
        }
    }
}

type CaseFn<S> = for<'a> fn(&'a S) -> BoxFuture<'a, ()>;

/// One behavioural check, run against a fresh fixture.
struct Case<S> {
    name: &'static str,
    needs: &'static [Need],
    run: CaseFn<S>,
}

/// Builds a [`Case`] from `module::function` (written inside that module), named after the
/// path.
macro_rules! case {
    ($module:ident :: $function:ident $(, $need:ident)*) => {
        $crate::Case {
            name: concat!(stringify!($module), "::", stringify!($function)),
            needs: &[$($crate::Need::$need),*],
            run: |store| Box::pin(self::$function(store)),
        }
    };
}
use case;

/// Runs every object-store case against fresh fixtures from `make`; panics listing the
/// failed cases.
pub async fn run_object_store_suite<S, F, Fut>(make: F)
where
    S: ObjectStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = Fixture<S>>,
{
    let mut cases = Vec::new();
    cases.extend(buckets::cases::<S>());
    cases.extend(objects::cases::<S>());
    cases.extend(key_rules::cases::<S>());
    cases.extend(listing::cases::<S>());
    cases.extend(conditions::cases::<S>());
    cases.extend(copy::cases::<S>());
    cases.extend(multipart::cases::<S>());
    cases.extend(usage::cases::<S>());
    cases.extend(quota::cases::<S>());
    run_cases("object store", cases, make, |s: &S| Some(s.capabilities())).await;
}

/// Runs every identity-store case against fresh fixtures from `make`; panics listing the
/// failed cases.
pub async fn run_identity_store_suite<S, F, Fut>(make: F)
where
    S: IdentityStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = Fixture<S>>,
{
    let mut cases = identity::cases::<S>();
    cases.extend(access_keys::cases::<S>());
    run_cases("identity store", cases, make, |_: &S| None).await;
}

/// Runs every rate-limit-store case against fresh fixtures from `make`; panics listing the
/// failed cases.
pub async fn run_rate_limit_store_suite<S, F, Fut>(make: F)
where
    S: IdentityStore + RateLimitStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = Fixture<S>>,
{
    run_cases(
        "rate-limit store",
        rate_limits::cases::<S>(),
        make,
        |_: &S| None,
    )
    .await;
}

async fn run_cases<S, F, Fut>(
    suite: &str,
    cases: Vec<Case<S>>,
    mut make: F,
    caps: impl Fn(&S) -> Option<Capabilities>,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Fixture<S>>,
{
    let filter = std::env::var("S4_TESTKIT_FILTER").ok();
    let total = cases.len();
    let mut failures = Vec::new();
    let mut ran = 0usize;
    for case in cases {
        if filter.as_deref().is_some_and(|f| !case.name.contains(f)) {
            continue;
        }
        let fixture = make().await;
        if let Some(caps) = caps(&fixture.store) {
            if let Some(missing) = case.needs.iter().find(|n| !n.present(&caps)) {
                println!(
                    "s4 testkit: skipping {}: the backend lacks {}",
                    case.name,
                    missing.label()
                );
                continue;
            }
        }
        ran += 1;
        let outcome = AssertUnwindSafe((case.run)(&fixture.store))
            .catch_unwind()
            .await;
        drop(fixture);
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked with a non-string payload".to_owned());
            failures.push(format!("{}: {message}", case.name));
        }
    }
    // A suite that ran nothing proves nothing: a filter that matches no case, or a backend
    // that skips them all, fails rather than passing empty.
    assert!(
        ran > 0,
        "no {suite} conformance case ran (of {total}; S4_TESTKIT_FILTER={filter:?}); run only \
         the suites that have matching cases"
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} {suite} conformance cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
    println!("s4 testkit: {ran} {suite} cases passed");
}
