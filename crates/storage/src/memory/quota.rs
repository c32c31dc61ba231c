//! Storage quotas for [`MemoryStore`](super::MemoryStore): the reference model. Usage is
//! counted from the state under the write lock that commits the change, so it is exact by
//! construction (and O(account's objects and parts) per write, which a model can afford).

use s4_naming::AccountId;

use super::ObjectState;
use crate::quota::{AccountQuota, AccountUsage, UsageChange};
use crate::StorageResult;

impl ObjectState {
    pub(super) fn account_usage(&self, account: &AccountId) -> AccountUsage {
        let mut usage = AccountUsage::default();
        for ((owner, _), bucket) in self.buckets.range((*account, String::new())..) {
            if owner != account {
                break;
            }
            usage.buckets += 1;
            usage.objects += bucket.objects.len() as u64;
            usage.bytes += bucket.objects.values().map(|o| o.info.size).sum::<u64>();
            usage.bytes += bucket
                .uploads
                .values()
                .flat_map(|u| u.parts.values())
                .map(|p| p.info.size)
                .sum::<u64>();
        }
        usage
    }

    fn quota(&self, account: &AccountId) -> Option<&AccountQuota> {
        self.quotas.get(account)
    }

    /// [`AccountQuota::admit_change`] against the account's current usage.
    pub(super) fn admit_change(
        &self,
        account: &AccountId,
        change: &UsageChange,
    ) -> StorageResult<()> {
        match self.quota(account) {
            Some(quota) => quota.admit_change(&self.account_usage(account), change),
            None => Ok(()),
        }
    }

    /// [`AccountQuota::admit_upload_start`] against the account's current usage.
    pub(super) fn admit_upload_start(&self, account: &AccountId) -> StorageResult<()> {
        match self.quota(account) {
            Some(quota) => quota.admit_upload_start(&self.account_usage(account)),
            None => Ok(()),
        }
    }

    /// [`AccountQuota::admit_bucket`] against the account's current usage.
    pub(super) fn admit_bucket(&self, account: &AccountId) -> StorageResult<()> {
        match self.quota(account) {
            Some(quota) => quota.admit_bucket(&self.account_usage(account)),
            None => Ok(()),
        }
    }

    pub(super) fn set_quota(&mut self, account: &AccountId, quota: AccountQuota) {
        if quota.is_unlimited() {
            self.quotas.remove(account);
        } else {
            self.quotas.insert(*account, quota);
        }
    }
}
