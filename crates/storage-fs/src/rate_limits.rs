//! `RateLimitStore` for [`FsStore`]: one row per account with an override, in the same redb
//! database as the accounts, so that the account check and the write commit together.

use async_trait::async_trait;
use redb::ReadableTable as _;
use s4_naming::AccountId;
use s4_storage::identity_rules::no_account;
use s4_storage::{RateLimit, RateLimitStore, StorageError, StorageResult};

use crate::codec::{Dec, Enc};
use crate::write::commit;
use crate::{blocking, Bin, Db, FsStore, ACCOUNTS};

/// account ID -> `requests_per_second (u32) ++ burst (u32)`.
pub(crate) const RATE_LIMITS: Bin = redb::TableDefinition::new("rate_limits");

fn encode(limit: RateLimit) -> Vec<u8> {
    let mut e = Enc::new();
    e.u32(limit.requests_per_second);
    e.u32(limit.burst);
    e.0
}

fn decode(account: &[u8], value: &[u8]) -> StorageResult<(AccountId, RateLimit)> {
    let corrupt = || StorageError::Internal("corrupt rate limit row".to_owned());
    let account = std::str::from_utf8(account)
        .ok()
        .and_then(|s| AccountId::parse(s).ok())
        .ok_or_else(corrupt)?;
    let mut d = Dec::new(value)?;
    let limit = RateLimit::new(d.u32()?, Some(d.u32()?)).map_err(|_| corrupt())?;
    Ok((account, limit))
}

#[async_trait]
impl RateLimitStore for FsStore {
    async fn set_rate_limit(
        &self,
        account: &AccountId,
        limit: Option<RateLimit>,
    ) -> StorageResult<()> {
        let inner = self.inner.clone();
        let account = *account;
        blocking(move || {
            commit(&inner, None, |txn, _| {
                let mut limits = txn.open_table(RATE_LIMITS).db()?;
                let key = account.as_str().as_bytes();
                match limit {
                    Some(limit) => {
                        let accounts = txn.open_table(ACCOUNTS).db()?;
                        if accounts.get(key).db()?.is_none() {
                            return Err(no_account(&account));
                        }
                        limits.insert(key, encode(limit).as_slice()).db()?;
                    }
                    None => {
                        limits.remove(key).db()?;
                    }
                }
                Ok(Ok(()))
            })
        })
        .await
    }

    async fn rate_limits(&self) -> StorageResult<Vec<(AccountId, RateLimit)>> {
        let txn = self.inner.db.begin_read().db()?;
        let table = txn.open_table(RATE_LIMITS).db()?;
        let mut out = Vec::new();
        for row in table.iter().db()? {
            let (k, v) = row.db()?;
            out.push(decode(k.value(), v.value())?);
        }
        Ok(out)
    }
}
