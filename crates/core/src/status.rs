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
