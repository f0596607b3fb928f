//! [`CallbackOutbox`] on SQLite: outcome callbacks to eHRM and when each is due.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use ehrm_sync_core::ports::{Callback, CallbackOutbox, CallbackStatus, StoreError};
use ehrm_sync_domain::record::Millis;

use crate::store::{SqliteStore, corrupt, db_err};

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
