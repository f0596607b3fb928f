//! [`ReconcileStore`] on SQLite: a run's rows and the runs' summaries.

use async_trait::async_trait;
use rusqlite::params;

use ehrm_sync_core::ports::RunSummary;
use ehrm_sync_core::ports::{ReconcileStore, StoreError};
use ehrm_sync_domain::reconcile::Discrepancy;

use crate::store::{SqliteStore, corrupt, db_err};

#[async_trait]
impl ReconcileStore for SqliteStore {
    async fn put_rows(&self, run_id: &str, rows: &[Discrepancy]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let run_id = run_id.to_string();
        let docs: Vec<(String, String)> = rows
            .iter()
            .map(|r| Ok((r.row_key(), serde_json::to_string(r).map_err(corrupt)?)))
            .collect::<Result<_, StoreError>>()?;
        self.actor
            .call(move |c| {
                // The actor commits a group of calls in one transaction.
                let mut stmt = c
                    .prepare_cached(
                        "INSERT INTO reconcile_rows (run_id, row_key, doc) VALUES (?1, ?2, ?3)
                         ON CONFLICT(run_id, row_key) DO UPDATE SET doc = excluded.doc",
                    )
                    .map_err(db_err)?;
                for (key, doc) in &docs {
                    stmt.execute(params![run_id, key, doc]).map_err(db_err)?;
                }
                Ok(())
            })
            .await
    }

    async fn rows(&self, run_id: &str) -> Result<Vec<Discrepancy>, StoreError> {
        let run_id = run_id.to_string();
        let docs: Vec<String> = self
            .actor
            .call(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT doc FROM reconcile_rows WHERE run_id = ?1 ORDER BY row_key",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![run_id], |r| r.get(0))
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<String>, _>>().map_err(db_err)
            })
            .await?;
        docs.iter()
            .map(|d| serde_json::from_str(d).map_err(corrupt))
            .collect()
    }

    async fn put_run(&self, run_id: &str, summary: &RunSummary) -> Result<(), StoreError> {
        let run_id = run_id.to_string();
        let started_at = summary.started_at;
        let doc = serde_json::to_string(summary).map_err(corrupt)?;
        self.actor
            .call(move |c| {
                c.execute(
                    "INSERT INTO reconcile_runs (run_id, started_at, doc) VALUES (?1, ?2, ?3)
                     ON CONFLICT(run_id) DO UPDATE SET doc = excluded.doc",
                    params![run_id, started_at, doc],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn runs(&self, limit: usize) -> Result<Vec<RunSummary>, StoreError> {
        let docs: Vec<String> = self
            .actor
            .call(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT doc FROM reconcile_runs ORDER BY started_at DESC, run_id DESC LIMIT ?1",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![limit as i64], |r| r.get(0))
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<String>, _>>().map_err(db_err)
            })
            .await?;
        docs.iter()
            .map(|d| serde_json::from_str(d).map_err(corrupt))
            .collect()
    }
}
