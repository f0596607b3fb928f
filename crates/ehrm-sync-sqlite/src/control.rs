//! [`ControlStore`] on SQLite: control documents (breaker, last sweep, reconciliation run) and
//! event streams.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use ehrm_sync_core::ports::{Control, ControlStore, StoreError};
use ehrm_sync_domain::record::Millis;

use crate::store::{SqliteStore, corrupt, db_err};

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
