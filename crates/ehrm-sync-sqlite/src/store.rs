//! [`SyncStore`], [`PnsIdCache`] and [`RiwayatLists`] on SQLite.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use ehrm_sync_core::clock::SystemClock;
use ehrm_sync_core::ports as series;
use ehrm_sync_core::ports::{
    AcceptResult, AcceptWrite, AttemptEntry, AttemptOutcome, Clock, IdempotencyEntry, Operations,
    PnsIdCache, RiwayatFamily, RiwayatLists, StoreError, SyncStore,
};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::{Millis, RecordKey, SyncRecord, SyncStatus};

use crate::actor::Actor;
use crate::queue::{QueueOptions, SqliteQueue};

/// The embedded store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) actor: Actor,
    pub(crate) clock: Arc<dyn Clock>,
    path: PathBuf,
}

pub(crate) fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the store file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    pub fn open_with_clock(
        path: impl AsRef<Path>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        Ok(SqliteStore {
            actor: Actor::open(&path)?,
            clock,
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The delivery queue in the same file.
    pub fn queue(&self, options: QueueOptions) -> SqliteQueue {
        SqliteQueue::new(self.clone(), options)
    }

    /// Runs a read-only closure on the store (for reports and tools).
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    {
        self.actor.call(f).await
    }
}

fn load_record(conn: &Connection, key: &str) -> Result<Option<SyncRecord>, StoreError> {
    conn.query_row(
        "SELECT doc, revision FROM records WHERE key = ?1",
        params![key],
        |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
    )
    .optional()
    .map_err(db_err)?
    .map(|(doc, rev)| decode(&doc, rev))
    .transpose()
}

fn decode(doc: &str, revision: i64) -> Result<SyncRecord, StoreError> {
    let mut rec: SyncRecord = serde_json::from_str(doc).map_err(corrupt)?;
    rec.revision = revision as u64;
    Ok(rec)
}

fn collect(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<SyncRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
    let rows = stmt
        .query_map(params, |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(db_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (doc, rev) = row.map_err(db_err)?;
        out.push(decode(&doc, rev)?);
    }
    Ok(out)
}

/// Compare-and-swap write: the stored revision must equal `rec.revision` (0 = absent).
fn cas_record(conn: &Connection, rec: &SyncRecord) -> Result<(), StoreError> {
    let next = rec.revision + 1;
    let mut stored = rec.clone();
    stored.revision = next;
    let doc = serde_json::to_string(&stored).map_err(corrupt)?;
    let key = rec.key.to_string();
    let changed = if rec.revision == 0 {
        conn.execute(
            "INSERT INTO records (key, nip, status, due_at, updated_at, revision, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(key) DO NOTHING",
            params![
                key,
                rec.key.nip().as_str(),
                rec.status.as_str(),
                rec.due_at(),
                rec.updated_at,
                next as i64,
                doc
            ],
        )
    } else {
        conn.execute(
            "UPDATE records SET status = ?2, due_at = ?3, updated_at = ?4, revision = ?5, doc = ?6
             WHERE key = ?1 AND revision = ?7",
            params![
                key,
                rec.status.as_str(),
                rec.due_at(),
                rec.updated_at,
                next as i64,
                doc,
                rec.revision as i64
            ],
        )
    }
    .map_err(db_err)?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

fn load_idempotency(
    conn: &Connection,
    id: &str,
    now: Millis,
) -> Result<Option<IdempotencyEntry>, StoreError> {
    conn.query_row(
        "SELECT webhook_id, payload_hash, record_key, outcome, created_at, expires_at
         FROM idempotency WHERE webhook_id = ?1 AND expires_at > ?2",
        params![id, now],
        |r| {
            Ok(IdempotencyEntry {
                webhook_id: r.get(0)?,
                payload_hash: r.get(1)?,
                record_key: r.get(2)?,
                outcome: r.get(3)?,
                created_at: r.get(4)?,
                expires_at: r.get(5)?,
            })
        },
    )
    .optional()
    .map_err(db_err)
}

#[async_trait]
impl SyncStore for SqliteStore {
    async fn idempotency(
        &self,
        webhook_id: &str,
        now: Millis,
    ) -> Result<Option<IdempotencyEntry>, StoreError> {
        let id = webhook_id.to_string();
        self.actor
            .call(move |c| load_idempotency(c, &id, now))
            .await
    }

    async fn accept(&self, write: &AcceptWrite) -> Result<AcceptResult, StoreError> {
        let w = write.clone();
        self.actor
            .call(move |c| {
                let i = &w.idempotency;
                if let Some(seen) = load_idempotency(c, &i.webhook_id, i.created_at)? {
                    return Ok(AcceptResult::DuplicateEvent(seen));
                }
                if let Some(g) = &w.guard {
                    let current: i64 = c
                        .query_row("SELECT revision FROM guards WHERE key = ?1", params![g.key], |r| r.get(0))
                        .optional()
                        .map_err(db_err)?
                        .unwrap_or(0);
                    if current as u64 != g.revision {
                        return Err(StoreError::Conflict);
                    }
                    c.execute(
                        "INSERT INTO guards (key, revision) VALUES (?1, ?2)
                         ON CONFLICT(key) DO UPDATE SET revision = excluded.revision",
                        params![g.key, (g.revision + 1) as i64],
                    )
                    .map_err(db_err)?;
                }
                if let Some(rec) = &w.record {
                    cas_record(c, rec)?;
                }
                c.execute(
                    "INSERT INTO idempotency (webhook_id, payload_hash, record_key, outcome, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(webhook_id) DO UPDATE SET payload_hash = excluded.payload_hash,
                        record_key = excluded.record_key, outcome = excluded.outcome,
                        created_at = excluded.created_at, expires_at = excluded.expires_at",
                    params![i.webhook_id, i.payload_hash, i.record_key, i.outcome, i.created_at, i.expires_at],
                )
                .map_err(db_err)?;
                let l = &w.change_log;
                c.execute(
                    "INSERT INTO change_log (webhook_id, record_key, version, event_type, occurred_at, received_at, outcome, change)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![l.webhook_id, l.record_key, l.version as i64, l.event_type, l.occurred_at,
                            l.received_at, l.outcome, l.change.to_string()],
                )
                .map_err(db_err)?;
                Ok(AcceptResult::Written)
            })
            .await
    }

    async fn record(&self, key: &RecordKey) -> Result<Option<SyncRecord>, StoreError> {
        let key = key.to_string();
        self.actor.call(move |c| load_record(c, &key)).await
    }

    async fn records_for_nip(&self, nip: &Nip) -> Result<Vec<SyncRecord>, StoreError> {
        let nip = nip.to_string();
        self.actor
            .call(move |c| {
                collect(
                    c,
                    "SELECT doc, revision FROM records WHERE nip = ?1 ORDER BY key",
                    params![nip],
                )
            })
            .await
    }

    async fn guard_revision(&self, key: &str) -> Result<u64, StoreError> {
        let key = key.to_string();
        self.actor
            .call(move |c| {
                let rev: Option<i64> = c
                    .query_row(
                        "SELECT revision FROM guards WHERE key = ?1",
                        params![key],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db_err)?;
                Ok(rev.unwrap_or(0) as u64)
            })
            .await
    }

    async fn put_record(&self, record: &SyncRecord) -> Result<(), StoreError> {
        let rec = record.clone();
        self.actor.call(move |c| cas_record(c, &rec)).await
    }

    async fn append_attempt(&self, a: &AttemptEntry) -> Result<(), StoreError> {
        let a = a.clone();
        self.actor
            .call(move |c| {
                c.execute(
                    "INSERT INTO attempts (record_key, at, version, operation, outcome, http_status, message, duration_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![a.record_key, a.at, a.version as i64, a.operation.to_string(), a.outcome.as_str(), a.http_status, a.message, a.duration_ms],
                )
                .map_err(db_err)?;
                let hour = series::bucket(a.at, series::HOUR_MS);
                crate::console::add(c, &series::outcome_series(a.outcome), hour, 1)
            })
            .await
    }

    async fn attempts(&self, key: &RecordKey) -> Result<Vec<AttemptEntry>, StoreError> {
        let key = key.to_string();
        self.actor
            .call(move |c| {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT record_key, at, version, operation, outcome, http_status, message, duration_ms
                         FROM attempts WHERE record_key = ?1 ORDER BY id",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![key], |r| {
                        Ok(AttemptEntry {
                            record_key: r.get(0)?,
                            at: r.get(1)?,
                            version: r.get::<_, i64>(2)? as u64,
                            operation: {
                                let text: String = r.get(3)?;
                                Operations::parse(&text).map_err(|e| {
                                    rusqlite::Error::FromSqlConversionFailure(
                                        3,
                                        rusqlite::types::Type::Text,
                                        e.to_string().into(),
                                    )
                                })?
                            },
                            outcome: {
                                let text: String = r.get(4)?;
                                AttemptOutcome::parse(&text).ok_or_else(|| {
                                    rusqlite::Error::FromSqlConversionFailure(
                                        4,
                                        rusqlite::types::Type::Text,
                                        format!("unknown attempt outcome {text:?}").into(),
                                    )
                                })?
                            },
                            http_status: r.get(5)?,
                            message: r.get(6)?,
                            duration_ms: r.get(7)?,
                        })
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }

    async fn due_records(
        &self,
        before: Millis,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<(Vec<SyncRecord>, Option<String>), StoreError> {
        let (after_due, after_key) = match cursor.as_deref().and_then(|c| c.split_once('|')) {
            Some((d, k)) => (d.parse::<i64>().unwrap_or(i64::MIN), k.to_string()),
            None => (i64::MIN, String::new()),
        };
        self.actor
            .call(move |c| {
                let page = collect(
                    c,
                    "SELECT doc, revision FROM records
                     WHERE due_at IS NOT NULL AND due_at <= ?1 AND (due_at > ?2 OR (due_at = ?2 AND key > ?3))
                     ORDER BY due_at, key LIMIT ?4",
                    params![before, after_due, after_key, limit as i64],
                )?;
                let next = if page.len() == limit {
                    page.last().and_then(|r| r.due_at().map(|d| format!("{d}|{}", r.key)))
                } else {
                    None
                };
                Ok((page, next))
            })
            .await
    }

    async fn records_by_status(
        &self,
        status: SyncStatus,
        since: Millis,
        until: Millis,
        limit: usize,
    ) -> Result<Vec<SyncRecord>, StoreError> {
        self.actor
            .call(move |c| {
                collect(
                    c,
                    "SELECT doc, revision FROM records WHERE status = ?1 AND updated_at BETWEEN ?2 AND ?3
                     ORDER BY updated_at, key LIMIT ?4",
                    params![status.as_str(), since, until, limit as i64],
                )
            })
            .await
    }

    async fn records_by_status_with_error(
        &self,
        status: SyncStatus,
        since: Millis,
        until: Millis,
        text: &str,
        limit: usize,
    ) -> Result<Vec<SyncRecord>, StoreError> {
        let text = text.to_lowercase();
        self.actor
            .call(move |c| {
                collect(
                    c,
                    "SELECT doc, revision FROM records WHERE status = ?1 AND updated_at BETWEEN ?2 AND ?3
                     AND instr(lower(json_extract(doc, '$.last_error')), ?4) > 0
                     ORDER BY updated_at, key LIMIT ?5",
                    params![status.as_str(), since, until, text, limit as i64],
                )
            })
            .await
    }

    async fn count_by_status(&self) -> Result<Vec<(SyncStatus, u64)>, StoreError> {
        self.actor
            .call(|c| {
                let mut stmt = c
                    .prepare_cached("SELECT status, COUNT(*) FROM records GROUP BY status")
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                    .map_err(db_err)?;
                let mut out = Vec::new();
                for row in rows {
                    let (s, n) = row.map_err(db_err)?;
                    let status = SyncStatus::parse(&s)
                        .ok_or_else(|| StoreError::Corrupt(format!("status {s}")))?;
                    out.push((status, n as u64));
                }
                Ok(out)
            })
            .await
    }
}

#[async_trait]
impl PnsIdCache for SqliteStore {
    async fn pns_id(&self, nip: &Nip) -> Result<Option<String>, StoreError> {
        let nip = nip.to_string();
        self.actor
            .call(move |c| {
                c.query_row(
                    "SELECT pns_id FROM pns_ids WHERE nip = ?1",
                    params![nip],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn put_pns_id(&self, nip: &Nip, pns_id: &str, now: Millis) -> Result<(), StoreError> {
        let (nip, pns_id) = (nip.to_string(), pns_id.to_string());
        self.actor
            .call(move |c| {
                c.execute(
                    "INSERT INTO pns_ids (nip, pns_id, fetched_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT(nip) DO UPDATE SET pns_id = excluded.pns_id, fetched_at = excluded.fetched_at",
                    params![nip, pns_id, now],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn nip_for_pns_id(&self, pns_id: &str) -> Result<Option<String>, StoreError> {
        let pns_id = pns_id.to_string();
        self.actor
            .call(move |c| {
                c.query_row(
                    "SELECT nip FROM pns_ids WHERE pns_id = ?1 COLLATE NOCASE LIMIT 1",
                    params![pns_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }
}

#[async_trait]
impl RiwayatLists for SqliteStore {
    async fn riwayat_list(
        &self,
        nip: &Nip,
        family: RiwayatFamily,
    ) -> Result<Option<String>, StoreError> {
        let nip = nip.to_string();
        self.actor
            .call(move |c| {
                c.query_row(
                    "SELECT doc FROM riwayat_lists WHERE nip = ?1 AND family = ?2",
                    params![nip, family.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn put_riwayat_list(
        &self,
        nip: &Nip,
        family: RiwayatFamily,
        doc: &str,
    ) -> Result<(), StoreError> {
        let (nip, doc) = (nip.to_string(), doc.to_string());
        self.actor
            .call(move |c| {
                c.execute(
                    "INSERT INTO riwayat_lists (nip, family, doc) VALUES (?1, ?2, ?3)
                     ON CONFLICT(nip, family) DO UPDATE SET doc = excluded.doc",
                    params![nip, family.as_str(), doc],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn forget_riwayat_list(
        &self,
        nip: &Nip,
        family: RiwayatFamily,
    ) -> Result<(), StoreError> {
        let nip = nip.to_string();
        self.actor
            .call(move |c| {
                c.execute(
                    "DELETE FROM riwayat_lists WHERE nip = ?1 AND family = ?2",
                    params![nip, family.as_str()],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }
}
