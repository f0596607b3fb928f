//! What the console reads besides records: the follow-up marks of findings ([`FindingMarks`])
//! and the time series of its charts ([`Series`]).

use async_trait::async_trait;
use rusqlite::{Connection, params};

use ehrm_sync_core::ports::Series;
use ehrm_sync_core::ports::StoreError;
use ehrm_sync_core::ports::{FindingMark, FindingMarks};
use ehrm_sync_domain::record::Millis;

use crate::store::{SqliteStore, corrupt, db_err};

/// Adds to a counter inside the caller's transaction (an attempt or a rate-gate slot).
pub(crate) fn add(c: &Connection, series: &str, bucket: Millis, n: i64) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO series (series, bucket, value) VALUES (?1, ?2, ?3)
         ON CONFLICT(series, bucket) DO UPDATE SET value = value + excluded.value",
    )
    .and_then(|mut stmt| stmt.execute(params![series, bucket, n]))
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl FindingMarks for SqliteStore {
    async fn put_mark(&self, mark: &FindingMark) -> Result<(), StoreError> {
        let doc = serde_json::to_string(mark).map_err(corrupt)?;
        let id = mark.finding_id.clone();
        self.actor
            .call(move |c| {
                c.execute(
                    "INSERT INTO finding_marks (finding_id, doc) VALUES (?1, ?2)
                     ON CONFLICT(finding_id) DO UPDATE SET doc = excluded.doc",
                    params![id, doc],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn marks(&self) -> Result<Vec<FindingMark>, StoreError> {
        self.actor
            .call(|c| {
                let mut stmt = c
                    .prepare_cached("SELECT doc FROM finding_marks")
                    .map_err(db_err)?;
                let docs = stmt
                    .query_map([], |r| r.get::<_, String>(0))
                    .map_err(db_err)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_err)?;
                docs.iter()
                    .map(|d| serde_json::from_str(d).map_err(corrupt))
                    .collect()
            })
            .await
    }
}

#[async_trait]
impl Series for SqliteStore {
    async fn add_to_series(&self, series: &str, bucket: Millis, n: i64) -> Result<(), StoreError> {
        let series = series.to_string();
        self.actor.call(move |c| add(c, &series, bucket, n)).await
    }

    async fn set_in_series(
        &self,
        series: &str,
        bucket: Millis,
        value: i64,
    ) -> Result<(), StoreError> {
        let series = series.to_string();
        self.actor
            .call(move |c| {
                c.execute(
                    "INSERT INTO series (series, bucket, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT(series, bucket) DO UPDATE SET value = excluded.value",
                    params![series, bucket, value],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn series(
        &self,
        series: &str,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<(Millis, i64)>, StoreError> {
        let series = series.to_string();
        self.actor
            .call(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT bucket, value FROM series
                         WHERE series = ?1 AND bucket >= ?2 AND bucket < ?3 ORDER BY bucket",
                    )
                    .map_err(db_err)?;
                stmt.query_map(params![series, from, until], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(db_err)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_err)
            })
            .await
    }
}
