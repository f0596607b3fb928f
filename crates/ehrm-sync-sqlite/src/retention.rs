//! [`Purge`]: what has outlived its retention, removed by one statement per table. Only synced
//! records lose their data, attempts and changes (a record still on its way, failed or waiting
//! for someone keeps everything); only finished runs go; the record itself — key, versions, BKN
//! id — and unexpired idempotency entries are never touched (`docs/privacy.md`).

use async_trait::async_trait;
use rusqlite::{Connection, params};

use ehrm_sync_core::ports::{AUDIT_STREAM, DataClass, Purge, Purged, StoreError};
use ehrm_sync_domain::record::Millis;

use crate::store::{SqliteStore, db_err};

/// Keys of the records that are done with: BKN holds their latest version.
const SYNCED: &str = "SELECT key FROM records WHERE status = 'synced'";

/// The rows of one class, as `(table, condition)` pairs; `?1` is the cutoff.
fn targets(class: DataClass) -> Vec<(&'static str, String)> {
    match class {
        DataClass::RecordData => vec![(
            "records",
            "status = 'synced' AND updated_at <= ?1 \
             AND (json_extract(doc, '$.data') IS NOT NULL \
                  OR json_extract(doc, '$.last_error') IS NOT NULL)"
                .into(),
        )],
        DataClass::Attempts => vec![("attempts", format!("at <= ?1 AND record_key IN ({SYNCED})"))],
        DataClass::Changes => vec![(
            "change_log",
            format!("received_at <= ?1 AND record_key IN ({SYNCED})"),
        )],
        DataClass::Callbacks => vec![(
            "callbacks",
            "status = 'sent' AND json_extract(doc, '$.updated_at') <= ?1".into(),
        )],
        DataClass::Runs => {
            let finished = "SELECT run_id FROM reconcile_runs \
                 WHERE json_extract(doc, '$.status') IN ('finished', 'abandoned') \
                 AND COALESCE(json_extract(doc, '$.finished_at'), started_at) <= ?1";
            vec![
                ("reconcile_rows", format!("run_id IN ({finished})")),
                ("reconcile_runs", format!("run_id IN ({finished})")),
                ("finding_marks", "json_extract(doc, '$.at') <= ?1".into()),
            ]
        }
        DataClass::Sessions => vec![(
            "controls",
            "name LIKE 'console.session.%' AND json_extract(value, '$.seen') <= ?1".into(),
        )],
        DataClass::Events => vec![("events", format!("stream <> '{AUDIT_STREAM}' AND at <= ?1"))],
        DataClass::Audit => vec![("events", format!("stream = '{AUDIT_STREAM}' AND at <= ?1"))],
        DataClass::Lists => vec![(
            "riwayat_lists",
            "json_extract(doc, '$.read_at') <= ?1".into(),
        )],
        DataClass::Series => vec![("series", "bucket <= ?1".into())],
    }
}

/// Counts, or removes, the rows of one class. A synced record is not removed: its data and
/// last message are set to null and its revision moves on (a writer holding the old revision
/// reads it again).
fn purge_class(
    c: &Connection,
    class: DataClass,
    before: Millis,
    dry_run: bool,
) -> Result<u64, StoreError> {
    let mut total = 0;
    for (table, condition) in targets(class) {
        let sql = if dry_run {
            format!("SELECT COUNT(*) FROM {table} WHERE {condition}")
        } else if class == DataClass::RecordData {
            format!(
                "UPDATE {table} SET revision = revision + 1, doc = json_set(doc, \
                 '$.data', NULL, '$.last_error', NULL, '$.revision', revision + 1) \
                 WHERE {condition}"
            )
        } else {
            format!("DELETE FROM {table} WHERE {condition}")
        };
        let n = if dry_run {
            c.query_row(&sql, params![before], |r| r.get::<_, i64>(0))
                .map_err(db_err)? as u64
        } else {
            c.execute(&sql, params![before]).map_err(db_err)? as u64
        };
        total += n;
    }
    Ok(total)
}

/// Names of the control documents `<family>.<run id>.<piece>` of runs not in `keep`.
fn run_pieces(c: &Connection, family: &str, keep: &[String]) -> Result<Vec<String>, StoreError> {
    let prefix = format!("{family}.");
    let mut stmt = c
        .prepare("SELECT name FROM controls WHERE substr(name, 1, length(?1)) = ?1")
        .map_err(db_err)?;
    let names = stmt
        .query_map(params![prefix], |r| r.get::<_, String>(0))
        .map_err(db_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_err)?;
    Ok(names
        .into_iter()
        .filter(|name| {
            let mut parts = name[prefix.len()..].splitn(2, '.');
            let run = parts.next().unwrap_or_default();
            parts.next().is_some() && !keep.iter().any(|k| k == run)
        })
        .collect())
}

#[async_trait]
impl Purge for SqliteStore {
    async fn purge(
        &self,
        class: DataClass,
        before: Millis,
        dry_run: bool,
    ) -> Result<Purged, StoreError> {
        let n = self
            .actor
            .call(move |c| purge_class(c, class, before, dry_run))
            .await?;
        Ok(Purged::Removed(n))
    }

    async fn purge_run_pieces(
        &self,
        family: &str,
        keep: &[String],
        dry_run: bool,
    ) -> Result<Purged, StoreError> {
        let (family, keep) = (family.to_string(), keep.to_vec());
        let n = self
            .actor
            .call(move |c| {
                let names = run_pieces(c, &family, &keep)?;
                if !dry_run {
                    for name in &names {
                        c.execute("DELETE FROM controls WHERE name = ?1", params![name])
                            .map_err(db_err)?;
                    }
                }
                Ok(names.len() as u64)
            })
            .await?;
        Ok(Purged::Removed(n))
    }
}
