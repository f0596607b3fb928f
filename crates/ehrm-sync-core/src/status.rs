//! The status view of records, as `GET /v1/sync/{nip}` and `ehrm-sync status` show them.

use serde_json::{Value, json};

use ehrm_sync_domain::record::{RecordKey, SyncRecord};

use crate::clock::format_ms;
use crate::ports::AttemptEntry;

/// One record for eHRM and HR officers. Times are RFC 3339 in Jakarta time.
pub fn record_view(rec: &SyncRecord) -> Value {
    let (periodik, bulan_mulai) = match &rec.key {
        RecordKey::Periodik {
            periodik,
            bulan_mulai,
            ..
        } => (Some(periodik.as_str()), Some(*bulan_mulai)),
        RecordKey::Tahunan { .. } => (None, None),
    };
    json!({
        "key": rec.key.to_string(),
        "type": rec.key.record_type().as_str(),
        "tahun": rec.key.tahun(),
        "periodik": periodik,
        "bulan_mulai": bulan_mulai,
        "status": rec.status.as_str(),
        "deleted": rec.deleted,
        "received_version": rec.received_version,
        "delivered_version": rec.delivered_version,
        "bkn_id": rec.bkn_id,
        "attempts": rec.attempts,
        "next_attempt_at": rec.next_attempt_at.filter(|_| !rec.status.is_settled()).map(format_ms),
        "last_error": rec.last_error,
        "updated_at": format_ms(rec.updated_at),
    })
}

/// One attempt of a record's history.
pub fn attempt_view(a: &AttemptEntry) -> Value {
    json!({
        "at": format_ms(a.at),
        "version": a.version,
        "operation": a.operation,
        "outcome": a.outcome,
        "http_status": a.http_status,
        "message": a.message,
        "duration_ms": a.duration_ms,
    })
}

/// The operator's overview: counts by status, oldest pending record, dead letters, breaker state
/// and history, last sweep.
pub async fn overview(
    store: &dyn crate::ports::SyncStore,
    control: &dyn crate::ports::ControlStore,
    dead: &dyn crate::ports::DeadLetters,
) -> Result<Value, String> {
    use ehrm_sync_domain::record::SyncStatus;
    let counts = store.count_by_status().await.map_err(|e| e.to_string())?;
    let count_of = |s: SyncStatus| {
        counts
            .iter()
            .find(|(st, _)| *st == s)
            .map_or(0, |(_, n)| *n)
    };
    let by_status: serde_json::Map<String, Value> = SyncStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), json!(count_of(*s))))
        .collect();
    let oldest_pending = store
        .records_by_status(SyncStatus::Pending, i64::MIN / 2, i64::MAX / 2, 1)
        .await
        .map_err(|e| e.to_string())?
        .first()
        .map(|r| format_ms(r.updated_at));
    let dead_letters = dead.depth().await.map_err(|e| e.to_string())?;
    let breaker = control
        .control(crate::breaker::CONTROL_NAME)
        .await
        .map_err(|e| e.to_string())?
        .map(|c| c.value);
    let breaker = match breaker {
        Some(b) => json!({
            "mode": b["mode"], "reason": b["reason"],
            "retry_at": b["retry_at"].as_i64().map(format_ms),
            "since": b["changed_at"].as_i64().map(format_ms),
        }),
        None => json!({"mode": "closed"}),
    };
    let events: Vec<Value> = control
        .events(crate::breaker::EVENT_STREAM, 5)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|(at, mut e)| {
            e["at"] = json!(format_ms(at));
            e
        })
        .collect();
    let last_sweep = control
        .control(crate::sweep::LAST_SWEEP)
        .await
        .map_err(|e| e.to_string())?
        .map(|c| json!({"at": c.value["at"].as_i64().map(format_ms), "examined": c.value["examined"], "queued": c.value["queued"]}));
    Ok(json!({
        "records": by_status,
        "oldest_pending": oldest_pending,
        "dead_letters": dead_letters,
        "breaker": breaker,
        "breaker_events": events,
        "last_sweep": last_sweep,
    }))
}
