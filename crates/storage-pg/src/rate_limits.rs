//! `RateLimitStore` for [`PgStore`]: the `rate_limits` table (migration 6), one row per
//! account with an override. Every server of a cluster reads it at start and periodically.

use async_trait::async_trait;
use s4_naming::AccountId;
use s4_storage::identity_rules::no_account;
use s4_storage::{RateLimit, RateLimitStore, StorageError, StorageResult};

use crate::prepared::Prepared;
use crate::{Db, PgStore};

#[async_trait]
impl RateLimitStore for PgStore {
    async fn set_rate_limit(
        &self,
        account: &AccountId,
        limit: Option<RateLimit>,
    ) -> StorageResult<()> {
        let client = self.client().await?;
        let Some(limit) = limit else {
            client
                .pexecute(
                    "DELETE FROM rate_limits WHERE account = $1",
                    &[&account.as_str()],
                )
                .await
                .db()?;
            return Ok(());
        };
        // One statement: the row is written only if the account exists (and the foreign key
        // keeps it from being left behind).
        let written = client
            .pexecute(
                "INSERT INTO rate_limits (account, requests_per_second, burst) \
                 SELECT id, $2, $3 FROM accounts WHERE id = $1 \
                 ON CONFLICT (account) DO UPDATE \
                 SET requests_per_second = EXCLUDED.requests_per_second, burst = EXCLUDED.burst",
                &[
                    &account.as_str(),
                    &i64::from(limit.requests_per_second),
                    &i64::from(limit.burst),
                ],
            )
            .await
            .db()?;
        if written == 0 {
            return Err(no_account(account));
        }
        Ok(())
    }

    async fn rate_limits(&self) -> StorageResult<Vec<(AccountId, RateLimit)>> {
        let client = self.client().await?;
        let rows = client
            .pquery(
                "SELECT account, requests_per_second, burst FROM rate_limits ORDER BY account",
                &[],
            )
            .await
            .db()?;
        rows.iter()
            .map(|row| {
                let corrupt = || StorageError::Internal("corrupt rate limit row".to_owned());
                let account: String = row.get(0);
                let account = AccountId::parse(&account).map_err(|_| corrupt())?;
                let rate = u32::try_from(row.get::<_, i64>(1)).map_err(|_| corrupt())?;
                let burst = u32::try_from(row.get::<_, i64>(2)).map_err(|_| corrupt())?;
                let limit = RateLimit::new(rate, Some(burst)).map_err(|_| corrupt())?;
                Ok((account, limit))
            })
            .collect()
    }
}
