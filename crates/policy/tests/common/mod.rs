//! Shared fixtures for the integration tests.
#![allow(dead_code)]

use s4_naming::AccountId;
use s4_policy::{CompiledPolicy, Principal, RequestContext};

pub fn acct(n: u64) -> AccountId {
    AccountId::from_number(n).unwrap()
}

/// The account owning the buckets in the fixtures.
pub fn owner() -> AccountId {
    acct(1)
}

/// Shorthand principals: account 1 owns the bucket, account 2 is another account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Anon,
    /// Root of account 1 (the owner).
    Root1,
    /// Root of account 2.
    Root2,
    /// IAM user alice of account 1.
    Alice,
    /// IAM user carol of account 1.
    Carol,
    /// IAM user bob of account 2.
    Bob,
}

impl Who {
    pub fn principal(self) -> Principal<'static> {
        match self {
            Who::Anon => Principal::Anonymous,
            Who::Root1 => Principal::Root { account: acct(1) },
            Who::Root2 => Principal::Root { account: acct(2) },
            Who::Alice => Principal::User {
                account: acct(1),
                name: "alice",
                user_id: "AIDAALICE",
            },
            Who::Carol => Principal::User {
                account: acct(1),
                name: "carol",
                user_id: "AIDACAROL",
            },
            Who::Bob => Principal::User {
                account: acct(2),
                name: "bob",
                user_id: "AIDABOB",
            },
        }
    }
}

pub fn ctx(
    who: Who,
    action: &str,
    resource: &str,
    keys: &[(&str, &str)],
) -> RequestContext<'static> {
    let mut c = RequestContext::new(who.principal(), action, resource);
    for (k, v) in keys {
        c.insert(k, *v);
    }
    c
}

pub fn bucket_policy(json: &str, bucket: &str) -> CompiledPolicy {
    CompiledPolicy::parse_bucket(json, bucket).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

pub fn identity_policy(json: &str) -> CompiledPolicy {
    CompiledPolicy::parse_identity(json).unwrap_or_else(|e| panic!("{e}\n{json}"))
}
