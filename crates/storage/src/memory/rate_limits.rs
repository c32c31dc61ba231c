//! `RateLimitStore` for [`MemoryStore`].

use std::sync::PoisonError;

use async_trait::async_trait;
use s4_naming::AccountId;

use super::MemoryStore;
use crate::identity_rules::no_account;
use crate::{RateLimit, RateLimitStore, StorageResult};

#[async_trait]
impl RateLimitStore for MemoryStore {
    async fn set_rate_limit(
        &self,
        account: &AccountId,
        limit: Option<RateLimit>,
    ) -> StorageResult<()> {
        // The identities' lock is held across the update, so that the account cannot be
        // checked, then vanish, before the override is stored.
        let identities = self.read_identities();
        let mut limits = self
            .rate_limits
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        match limit {
            Some(limit) => {
                if !identities.accounts.contains_key(account) {
                    return Err(no_account(account));
                }
                limits.insert(*account, limit);
            }
            None => {
                limits.remove(account);
            }
        }
        Ok(())
    }

    async fn rate_limits(&self) -> StorageResult<Vec<(AccountId, RateLimit)>> {
        let limits = self
            .rate_limits
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(limits.iter().map(|(a, l)| (*a, *l)).collect())
    }
}
