//! [`ControlStore`], [`CallbackOutbox`] and [`ReconcileStore`] on SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use ehrm_sync_core::ports::{
    Callback, CallbackOutbox, CallbackStatus, Control, ControlStore, ReconcileStore, StoreError,
};
use ehrm_sync_core::reconcile::RunSummary;
use ehrm_sync_domain::reconcile::Discrepancy;
use ehrm_sync_domain::record::Millis;

use crate::store::{SqliteStore, db_err};

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

#[async_trait]
impl ControlStore for SqliteStore {
    async fn control(&self, name: &str) -> Result<Option<Control>, StoreError> {
        let name = name.to_string();
        self.actor
            .call(move |c| {
                let row: Option<(String, i64)> = c
                    .query_row(
                        "SELECT value, revision FROM controls WHERE name = ?1",
                        params![name],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(db_err)?;
                row.map(|(v, rev)| {
                    Ok(Control {
                        value: serde_json::from_str(&v).map_err(corrupt)?,
                        revision: rev as u64,
                    })
                })
                .transpose()
            })
            .await
    }

    async fn put_control(
        &self,
        name: &str,
        value: &Value,
        expected: u64,
    ) -> Result<(), StoreError> {
        let (name, value) = (name.to_string(), value.to_string());
        self.actor
            .call(move |c| {
                let changed = if expected == 0 {
                    c.execute(
                        "INSERT INTO controls (name, value, revision) VALUES (?1, ?2, 1) ON CONFLICT(name) DO NOTHING",
                        params![name, value],
                    )
                } else {
                    c.execute(
                        "UPDATE controls SET value = ?2, revision = revision + 1 WHERE name = ?1 AND revision = ?3",
                        params![name, value, expected as i64],
                    )
                }
                .map_err(db_err)?;
                if changed == 1 { Ok(()) } else { Err(StoreError::Conflict) }
            })
            .await
    }

    async fn append_event(
        &self,
        stream: &str,
        at: Millis,
        event: &Value,
    ) -> Result<(), StoreError> {
        let (stream, event) = (stream.to_string(), event.to_string());
        self.actor
            .call(move |c| {
                c.execute(
                    "INSERT INTO events (stream, at, event) VALUES (?1, ?2, ?3)",
                    params![stream, at, event],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn events(&self, stream: &str, limit: usize) -> Result<Vec<(Millis, Value)>, StoreError> {
        let stream = stream.to_string();
        self.actor
            .call(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT at, event FROM events WHERE stream = ?1 ORDER BY id DESC LIMIT ?2",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![stream, limit as i64], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                    })
                    .map_err(db_err)?;
                let mut out = Vec::new();
                for row in rows {
                    let (at, e) = row.map_err(db_err)?;
                    out.push((at, serde_json::from_str(&e).map_err(corrupt)?));
                }
                Ok(out)
            })
            .await
    }
}

fn due_at(cb: &Callback) -> Option<Millis> {
    (cb.status == CallbackStatus::Pending).then(|| cb.next_attempt_at.unwrap_or(cb.created_at))
}

#[async_trait]
impl CallbackOutbox for SqliteStore {
    async fn add_callback(&self, callback: &Callback) -> Result<(), StoreError> {
        let mut cb = callback.clone();
        cb.revision = 1;
        let doc = serde_json::to_string(&cb).map_err(corrupt)?;
        self.actor
            .call(move |c| {
                c.execute(
                    "INSERT INTO callbacks (id, status, due_at, revision, doc) VALUES (?1, ?2, ?3, 1, ?4)
                     ON CONFLICT(id) DO NOTHING",
                    params![cb.id, cb.status.as_str(), due_at(&cb), doc],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn callback(&self, id: &str) -> Result<Option<Callback>, StoreError> {
        let id = id.to_string();
        self.actor
            .call(move |c| {
                let row: Option<(String, i64)> = c
                    .query_row(
                        "SELECT doc, revision FROM callbacks WHERE id = ?1",
                        params![id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(db_err)?;
                row.map(|(doc, rev)| {
                    let mut cb: Callback = serde_json::from_str(&doc).map_err(corrupt)?;
                    cb.revision = rev as u64;
                    Ok(cb)
                })
                .transpose()
            })
            .await
    }

    async fn due_callbacks(
        &self,
        before: Millis,
        limit: usize,
    ) -> Result<Vec<Callback>, StoreError> {
        self.actor
            .call(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT doc, revision FROM callbacks WHERE due_at IS NOT NULL AND due_at <= ?1 ORDER BY due_at LIMIT ?2",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![before, limit as i64], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                    .map_err(db_err)?;
                let mut out = Vec::new();
                for row in rows {
                    let (doc, rev) = row.map_err(db_err)?;
                    let mut cb: Callback = serde_json::from_str(&doc).map_err(corrupt)?;
                    cb.revision = rev as u64;
                    out.push(cb);
                }
                Ok(out)
            })
            .await
    }

    async fn put_callback(&self, callback: &Callback) -> Result<(), StoreError> {
        let mut cb = callback.clone();
        let expected = cb.revision;
        cb.revision = expected + 1;
        let doc = serde_json::to_string(&cb).map_err(corrupt)?;
        self.actor
            .call(move |c| {
                let changed = c
                    .execute(
                        "UPDATE callbacks SET status = ?2, due_at = ?3, revision = ?4, doc = ?5 WHERE id = ?1 AND revision = ?6",
                        params![cb.id, cb.status.as_str(), due_at(&cb), cb.revision as i64, doc, expected as i64],
                    )
                    .map_err(db_err)?;
                if changed == 1 { Ok(()) } else { Err(StoreError::Conflict) }
            })
            .await
    }
}

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
