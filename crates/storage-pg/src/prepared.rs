//! Queries through each pooled connection's statement cache: a statement is parsed once per
//! connection, and every later use is one round trip instead of two.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Error, Row};

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

#[async_trait]
pub(crate) trait Prepared {
    async fn pquery(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, Error>;
    async fn pquery_opt(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>, Error>;
    async fn pquery_one(&self, sql: &str, params: Params<'_>) -> Result<Row, Error>;
    async fn pexecute(&self, sql: &str, params: Params<'_>) -> Result<u64, Error>;
}

#[async_trait]
impl<C: GenericClient + Sync> Prepared for C {
    async fn pquery(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, Error> {
        let statement = self.prepare_cached(sql).await?;
        self.query(&statement, params).await
    }

    async fn pquery_opt(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>, Error> {
        let statement = self.prepare_cached(sql).await?;
        self.query_opt(&statement, params).await
    }

    async fn pquery_one(&self, sql: &str, params: Params<'_>) -> Result<Row, Error> {
        let statement = self.prepare_cached(sql).await?;
        self.query_one(&statement, params).await
    }

    async fn pexecute(&self, sql: &str, params: Params<'_>) -> Result<u64, Error> {
        let statement = self.prepare_cached(sql).await?;
        self.execute(&statement, params).await
    }
}
