//! The bodies of the public HTTP contract (`docs/ehrm-contract.md`), as Rust types: the handlers
//! serve them and the OpenAPI document is generated from them, so the two cannot drift.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use ehrm_sync_core::clock::format_ms;
use ehrm_sync_core::ingest::IngestOutcome;
use ehrm_sync_core::ports::{AttemptEntry, AttemptOutcome};
use ehrm_sync_core::told::RecordFacts;
use ehrm_sync_domain::Violation;
use ehrm_sync_domain::record::{SyncRecord, SyncStatus};

/// The kinds of change eHRM sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ChangeType {
    #[serde(rename = "kinerja.tahunan.upserted")]
    TahunanUpserted,
    #[serde(rename = "kinerja.tahunan.deleted")]
    TahunanDeleted,
    #[serde(rename = "kinerja.periodik.upserted")]
    PeriodikUpserted,
    #[serde(rename = "kinerja.periodik.deleted")]
    PeriodikDeleted,
    #[serde(rename = "jabatan.upserted")]
    JabatanUpserted,
    #[serde(rename = "jabatan.deleted")]
    JabatanDeleted,
}

/// The body of a change webhook (`docs/ehrm-contract.md`). The handler checks it with the domain's
/// rules, reporting every broken rule at once (`422`); this is its shape, and the tests check
/// that every event they send fits both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangeEnvelope {
    #[serde(rename = "type")]
    pub change_type: ChangeType,
    /// RFC 3339 with offset, e.g. `2026-11-27T10:15:00+07:00`.
    #[schema(format = DateTime)]
    pub occurred_at: String,
    /// eHRM's row version of the record: a version at or below the one held is acknowledged
    /// and ignored.
    #[schema(minimum = 1)]
    pub version: u64,
    pub data: EventData,
}

/// A performance record (`kinerja.*`) or a position history row (`jabatan.*`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum EventData {
    Kinerja(ChangeData),
    Jabatan(JabatanData),
}

/// A position history row (riwayat jabatan). A delete needs only its key: `nip` and
/// `riwayat_id`. Dates are `YYYY-MM-DD`; the reference ids are BKN's own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JabatanData {
    #[schema(pattern = "^[0-9]{18}$")]
    pub nip: String,
    /// eHRM's id of the history row, stable across edits.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub riwayat_id: String,
    /// `struktural` (needs `unor_id`, `eselon_id`), `fungsional` (needs
    /// `jabatan_fungsional_id`) or `pelaksana` (needs `jabatan_fungsional_umum_id`).
    pub jenis_jabatan: Option<String>,
    /// eHRM's unit code; it must map to a SIASN UNOR id in eHRM's `unor` resource.
    pub unor_id: Option<String>,
    /// BKN's eselon id, e.g. `31` for III.a.
    pub eselon_id: Option<String>,
    pub jabatan_fungsional_id: Option<String>,
    pub jabatan_fungsional_umum_id: Option<String>,
    pub nama_jabatan: Option<String>,
    pub nomor_sk: Option<String>,
    #[schema(format = Date)]
    pub tanggal_sk: Option<String>,
    #[schema(format = Date)]
    pub tmt_jabatan: Option<String>,
    #[schema(format = Date)]
    pub tmt_pelantikan: Option<String>,
    /// The SK Jabatan (PDF) eHRM serves at `GET {base}/v1/ehrm/dokumen/{id}`; optional.
    pub dokumen_sk: Option<DokumenSk>,
    #[schema(pattern = "^[0-9A-Fa-f]{32}$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pns_id: Option<String>,
}

/// A document's description; its bytes are checked against it before anything goes to BKN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DokumenSk {
    pub id: String,
    #[schema(pattern = "^[0-9A-Fa-f]{64}$")]
    pub sha256: String,
    /// Size in bytes (at most 5 MiB).
    #[schema(minimum = 1, maximum = 5242880)]
    pub ukuran: u64,
    pub nama: String,
}

/// The record. A delete needs only its key: `nip`, `tahun` and, for periodic evaluations,
/// `periodik` and `bulan_mulai`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangeData {
    /// 18 digits (PNS or PPPK).
    #[schema(pattern = "^[0-9]{18}$")]
    pub nip: String,
    /// 2022 or later (SKP 2022).
    #[schema(minimum = 2022)]
    pub tahun: i32,
    /// 1 above, 2 as expected, 3 below expectation.
    #[schema(minimum = 1, maximum = 3)]
    pub hasil_kinerja: Option<u8>,
    #[schema(minimum = 1, maximum = 3)]
    pub perilaku_kerja: Option<u8>,
    /// 1 Sangat Baik … 5 Sangat Kurang; must agree with the PermenPANRB 6/2022 matrix.
    #[schema(minimum = 1, maximum = 5)]
    pub predikat: Option<u8>,
    pub penilai: Option<Penilai>,
    /// `bulanan` or `triwulan` (periodic evaluations).
    pub periodik: Option<String>,
    #[schema(minimum = 1, maximum = 12)]
    pub bulan_mulai: Option<u8>,
    #[schema(minimum = 1, maximum = 12)]
    pub bulan_selesai: Option<u8>,
    /// SIASN's koefisien id (periodic evaluations).
    pub koefisien_id: Option<String>,
    /// The employee's SIASN PNS id (data-utama's `id`), when eHRM holds it: it spares BKN a
    /// look-up. A wrong one is refused by BKN; ehrm-sync then looks the id up itself, once.
    #[schema(pattern = "^[0-9A-Fa-f]{32}$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pns_id: Option<String>,
}

/// The appraiser, as BKN needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Penilai {
    pub nip: String,
    pub nama: String,
    pub jabatan: String,
    pub unor_nama: String,
    /// BKN's golongan id, e.g. `41` for IV/a.
    pub golongan_id: String,
    /// `ASN` or `NON ASN`.
    pub status: String,
}

/// What became of an accepted, stale or repeated webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventResult {
    /// Recorded durably and queued for BKN (`202`).
    Accepted,
    /// Recorded, but a newer version of the record is already held (`202`).
    IgnoredStale,
    /// This webhook id was already accepted with the same body (`200`).
    Duplicate,
}

/// The answer to a webhook that was (or had already been) recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventAnswer {
    pub result: EventResult,
    /// The record's key: `kinerja.tahunan/<nip>/<tahun>`,
    /// `kinerja.periodik/<nip>/<tahun>/<bulanan|triwulan>/<bulan_mulai, two digits>` or
    /// `jabatan/<nip>/<riwayat_id>`.
    pub record_key: String,
    /// The record's status now (null for a duplicate whose record cannot be read).
    pub status: Option<SyncStatus>,
    /// The newest version held (accepted, ignored_stale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_version: Option<u64>,
    /// How the first delivery of this webhook was answered: `accepted` or `stale` (duplicate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_result: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Machine-readable error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// `413`: the body is over 256 KiB.
    TooLarge,
    /// `401`: the Standard Webhooks signature does not verify.
    InvalidSignature,
    /// `409`: the webhook id was already used for a different body.
    IdConflict,
    /// `400`: not JSON, or not the envelope.
    Malformed,
    /// `422`: the change breaks the rules listed in `errors`.
    Invalid,
    /// `503`: not recorded; retry (see `Retry-After`).
    Unavailable,
    /// `401` on the status endpoint: no or a wrong API key.
    Unauthorised,
    /// `400` on the status endpoint: not a valid NIP.
    InvalidNip,
}

impl ErrorCode {
    /// The wire name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::TooLarge => "too_large",
            ErrorCode::InvalidSignature => "invalid_signature",
            ErrorCode::IdConflict => "id_conflict",
            ErrorCode::Malformed => "malformed",
            ErrorCode::Invalid => "invalid",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Unauthorised => "unauthorised",
            ErrorCode::InvalidNip => "invalid_nip",
        }
    }
}

/// Every refusal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `invalid` only: every broken rule, with the field and words an HR officer can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Violation>>,
}

impl ErrorBody {
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error,
            message: Some(message.into()),
            errors: None,
        }
    }
}

/// The answer to a webhook: HTTP status and body.
pub enum IngestAnswer {
    Recorded(u16, EventAnswer),
    Refused(u16, ErrorBody),
}

impl From<IngestOutcome> for IngestAnswer {
    fn from(outcome: IngestOutcome) -> Self {
        use IngestAnswer::{Recorded, Refused};
        let answer = |result, record_key, status: Option<SyncStatus>| EventAnswer {
            result,
            record_key,
            status,
            received_version: None,
            original_result: None,
            message: None,
        };
        match outcome {
            IngestOutcome::Accepted {
                record_key,
                status,
                received_version,
            } => Recorded(
                202,
                EventAnswer {
                    received_version: Some(received_version),
                    ..answer(EventResult::Accepted, record_key, Some(status))
                },
            ),
            IngestOutcome::IgnoredStale {
                record_key,
                status,
                received_version,
            } => Recorded(
                202,
                EventAnswer {
                    received_version: Some(received_version),
                    message: Some(
                        "a newer version of this record is already held; this one is ignored"
                            .into(),
                    ),
                    ..answer(EventResult::IgnoredStale, record_key, Some(status))
                },
            ),
            IngestOutcome::Duplicate {
                record_key,
                original_result,
                status,
            } => Recorded(
                200,
                EventAnswer {
                    original_result: Some(original_result),
                    ..answer(EventResult::Duplicate, record_key, status)
                },
            ),
            IngestOutcome::TooLarge => Refused(413, too_large()),
            IngestOutcome::BadSignature(why) => {
                Refused(401, ErrorBody::new(ErrorCode::InvalidSignature, why))
            }
            IngestOutcome::IdConflict => Refused(
                409,
                ErrorBody::new(
                    ErrorCode::IdConflict,
                    "this webhook-id was already used for a different body",
                ),
            ),
            IngestOutcome::Malformed(why) => {
                Refused(400, ErrorBody::new(ErrorCode::Malformed, why))
            }
            IngestOutcome::Invalid(violations) => Refused(
                422,
                ErrorBody {
                    error: ErrorCode::Invalid,
                    message: None,
                    errors: Some(violations),
                },
            ),
            IngestOutcome::Unavailable => Refused(
                503,
                ErrorBody::new(
                    ErrorCode::Unavailable,
                    "the change could not be recorded; retry later",
                ),
            ),
        }
    }
}

pub fn too_large() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::TooLarge,
        format!(
            "the body exceeds {} bytes",
            ehrm_sync_core::ingest::MAX_BODY_BYTES
        ),
    )
}

/// One record of an employee. Times are RFC 3339 in Jakarta time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecordView {
    pub key: String,
    #[serde(flatten)]
    pub record: RecordFacts,
    pub attempts: u32,
    /// When the next attempt is due (not for settled records).
    pub next_attempt_at: Option<String>,
    pub updated_at: String,
    /// With `?history=true`: every delivery attempt, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_history: Option<Vec<AttemptView>>,
}

impl RecordView {
    pub fn of(rec: &SyncRecord) -> Self {
        RecordView {
            key: rec.key.to_string(),
            record: RecordFacts::of(rec),
            attempts: rec.attempts,
            next_attempt_at: rec
                .next_attempt_at
                .filter(|_| !rec.status.is_settled())
                .map(format_ms),
            updated_at: format_ms(rec.updated_at),
            attempt_history: None,
        }
    }
}

/// One delivery attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    pub at: String,
    pub version: u64,
    /// What was done at BKN, e.g. `lookup+create`, `update`, `delete`.
    pub operation: String,
    pub outcome: AttemptOutcome,
    pub http_status: Option<u16>,
    /// BKN's message, verbatim.
    pub message: Option<String>,
    pub duration_ms: i64,
}

impl AttemptView {
    pub fn of(a: &AttemptEntry) -> Self {
        AttemptView {
            at: format_ms(a.at),
            version: a.version,
            operation: a.operation.to_string(),
            outcome: a.outcome,
            http_status: a.http_status,
            message: a.message.clone(),
            duration_ms: a.duration_ms,
        }
    }
}

/// `GET /v1/sync/{nip}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SyncStatusView {
    pub nip: String,
    pub records: Vec<RecordView>,
}

/// The operator's overview as JSON (`ehrm-sync status --json`, the ops function's `status`).
/// Times are RFC 3339 in Jakarta time.
pub fn overview_json(o: &ehrm_sync_core::status::Overview) -> serde_json::Value {
    use serde_json::json;
    let records: serde_json::Map<String, serde_json::Value> = o
        .records
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect();
    let breaker = match &o.breaker {
        Some(b) => json!({
            "mode": b.mode, "reason": b.reason,
            "retry_at": b.retry_at.map(format_ms),
            "since": format_ms(b.changed_at),
        }),
        None => json!({"mode": "closed"}),
    };
    let events: Vec<serde_json::Value> = o
        .breaker_events
        .iter()
        .map(|(at, e)| {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            v["at"] = json!(format_ms(*at));
            v
        })
        .collect();
    let last_sweep = o
        .last_sweep
        .map(|s| json!({"at": format_ms(s.at), "examined": s.examined, "queued": s.queued}));
    json!({
        "records": records,
        "oldest_pending": o.oldest_pending.map(format_ms),
        "dead_letters": o.dead_letters,
        "breaker": breaker,
        "breaker_events": events,
        "last_sweep": last_sweep,
        "reconciliation_runs": o.reconciliation_runs,
        "bkn_rate": o.bkn_rate.as_ref().map(|g| json!({
            "calls_per_second": g.rate, "ceiling": g.ceiling, "floor": g.floor,
            "throttled_at": g.limit_seen,
            "changes": g.changes.iter().rev().map(|c| json!({
                "at": format_ms(c.at), "from": c.from, "to": c.to, "why": c.why,
            })).collect::<Vec<_>>(),
        })),
    })
}
