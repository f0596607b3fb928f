//! How eHRM is told about one record: the same projection in the status answer
//! (`GET /v1/sync/{nip}`) and in the outcome callbacks, typed (record type, period kind, status
//! are enums in the public contract, `docs/openapi.json`).

use serde::{Deserialize, Serialize};

use ehrm_sync_domain::kinerja::Periodik;
use ehrm_sync_domain::record::{RecordKey, RecordType, SyncRecord, SyncStatus};

/// What eHRM reads about a record wherever it reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordFacts {
    /// `kinerja.tahunan`, `kinerja.periodik` or `jabatan`.
    #[serde(rename = "type")]
    pub record_type: RecordType,
    /// The year of a performance record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tahun: Option<i32>,
    /// eHRM's id of a position history row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub riwayat_id: Option<String>,
    /// `bulanan` or `triwulan` for periodic evaluations.
    pub periodik: Option<Periodik>,
    pub bulan_mulai: Option<u8>,
    pub status: SyncStatus,
    /// The latest version is a deletion.
    pub deleted: bool,
    pub received_version: u64,
    /// The version BKN holds; equal to `received_version` once synced.
    pub delivered_version: Option<u64>,
    /// BKN's id of the record.
    pub bkn_id: Option<String>,
    /// BKN's message, verbatim, or what went wrong.
    pub last_error: Option<String>,
}

impl RecordFacts {
    pub fn of(rec: &SyncRecord) -> Self {
        let (periodik, bulan_mulai) = match &rec.key {
            RecordKey::Periodik {
                periodik,
                bulan_mulai,
                ..
            } => (Some(*periodik), Some(*bulan_mulai)),
            RecordKey::Tahunan { .. } | RecordKey::Jabatan { .. } => (None, None),
        };
        let riwayat_id = match &rec.key {
            RecordKey::Jabatan { riwayat_id, .. } => Some(riwayat_id.clone()),
            _ => None,
        };
        RecordFacts {
            record_type: rec.key.record_type(),
            tahun: rec.key.tahun(),
            riwayat_id,
            periodik,
            bulan_mulai,
            status: rec.status,
            deleted: rec.deleted,
            received_version: rec.received_version,
            delivered_version: rec.delivered_version,
            bkn_id: rec.bkn_id.clone(),
            last_error: rec.last_error.clone(),
        }
    }
}
