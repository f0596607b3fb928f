//! [`PersonalHistory`]: one person's changes and callbacks read, and their erasure in one
//! transaction (the record rows stay with their key, versions, status and BKN id).

use async_trait::async_trait;
use rusqlite::{Connection, params};

use ehrm_sync_core::ports::{
    Callback, ChangeLogEntry, Erased, ErasurePlan, PersonalHistory, StoreError,
};
use ehrm_sync_domain::nip::Nip;

use crate::store::{SqliteStore, corrupt, db_err};

/// The keys of one person's records (`?1` is the NIP).
const KEYS_OF: &str = "SELECT key FROM records WHERE nip = ?1";
/// Callbacks about one person: a record's outcome or a finding, both carry `data.nip`.
const CALLBACK_NIP: &str = "json_extract(doc, '$.payload.data.nip') = ?1";

fn read_changes(c: &Connection, nip: &str) -> Result<Vec<ChangeLogEntry>, StoreError> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT webhook_id, record_key, version, event_type, occurred_at, received_at, outcome, change
             FROM change_log WHERE record_key IN ({KEYS_OF}) ORDER BY id"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![nip], |r| {
            Ok((
                ChangeLogEntry {
                    webhook_id: r.get(0)?,
                    record_key: r.get(1)?,
                    version: r.get::<_, i64>(2)? as u64,
                    event_type: r.get(3)?,
                    occurred_at: r.get(4)?,
                    received_at: r.get(5)?,
                    outcome: r.get(6)?,
                    change: serde_json::Value::Null,
                },
                r.get::<_, String>(7)?,
            ))
        })
        .map_err(db_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_err)?;
    rows.into_iter()
        .map(|(mut entry, change)| {
            entry.change = serde_json::from_str(&change).map_err(corrupt)?;
            Ok(entry)
        })
        .collect()
}

fn erase_all(c: &Connection, nip: &str, plan: &ErasurePlan) -> Result<Erased, StoreError> {
    let run = |sql: String| c.execute(&sql, params![nip]).map_err(db_err);
    let mut erased = Erased {
        attempts: run(format!(
            "DELETE FROM attempts WHERE record_key IN ({KEYS_OF})"
        ))? as u64,
        changes: run(format!(
            "DELETE FROM change_log WHERE record_key IN ({KEYS_OF})"
        ))? as u64,
        callbacks: run(format!("DELETE FROM callbacks WHERE {CALLBACK_NIP}"))? as u64,
        read_from_bkn: (run("DELETE FROM riwayat_lists WHERE nip = ?1".into())?
            + run("DELETE FROM pns_ids WHERE nip = ?1".into())?) as u64,
        records: run(
            "UPDATE records SET revision = revision + 1, doc = json_set(doc, \
             '$.data', NULL, '$.last_error', NULL, '$.revision', revision + 1) \
             WHERE nip = ?1 AND (json_extract(doc, '$.data') IS NOT NULL \
             OR json_extract(doc, '$.last_error') IS NOT NULL)"
                .into(),
        )? as u64,
        ..Erased::default()
    };
    for (run_id, row_key) in &plan.rows {
        erased.findings += c
            .execute(
                "DELETE FROM reconcile_rows WHERE run_id = ?1 AND row_key = ?2",
                params![run_id, row_key],
            )
            .map_err(db_err)? as u64;
    }
    for id in &plan.marks {
        erased.marks += c
            .execute(
                "DELETE FROM finding_marks WHERE finding_id = ?1",
                params![id],
            )
            .map_err(db_err)? as u64;
    }
    Ok(erased)
}

#[async_trait]
impl PersonalHistory for SqliteStore {
    async fn changes_of(&self, nip: &Nip) -> Result<Vec<ChangeLogEntry>, StoreError> {
        let nip = nip.to_string();
        self.actor.call(move |c| read_changes(c, &nip)).await
    }

    async fn callbacks_of(&self, nip: &Nip) -> Result<Vec<Callback>, StoreError> {
        let nip = nip.to_string();
        self.actor
            .call(move |c| {
                let mut stmt = c
                    .prepare(&format!(
                        "SELECT doc FROM callbacks WHERE {CALLBACK_NIP} ORDER BY json_extract(doc, '$.created_at')"
                    ))
                    .map_err(db_err)?;
                let docs = stmt
                    .query_map(params![nip], |r| r.get::<_, String>(0))
                    .map_err(db_err)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_err)?;
                docs.iter()
                    .map(|d| serde_json::from_str(d).map_err(corrupt))
                    .collect()
            })
            .await
    }

    async fn erase(&self, nip: &Nip, plan: &ErasurePlan) -> Result<Erased, StoreError> {
        let (nip, plan) = (nip.to_string(), plan.clone());
        self.actor.call(move |c| erase_all(c, &nip, &plan)).await
    }
}
