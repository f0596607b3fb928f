//! Sync state: idempotency, records, the audit of accepted changes, delivery attempts; the NIP →
//! SIASN PNS id cache; an employee's remembered riwayat lists at BKN.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::{Millis, RecordKey, SyncRecord, SyncStatus};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A compare-and-swap lost to a concurrent writer: re-read and try again.
    #[error("the item changed concurrently")]
    Conflict,
    /// The store cannot be reached or is overloaded (transient).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Stored data cannot be read back (permanent; a bug or manual tampering).
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn is_transient(&self) -> bool {
        !matches!(self, StoreError::Corrupt(_))
    }
}

/// The idempotency record of one webhook event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyEntry {
    pub webhook_id: String,
    /// SHA-256 (hex) of the raw body.
    pub payload_hash: String,
    pub record_key: String,
    /// `accepted` or `stale`.
    pub outcome: String,
    pub created_at: Millis,
    /// After this the id may be reused; checked by the code, not left to a TTL sweeper.
    pub expires_at: Millis,
}

/// The audit entry of one accepted event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeLogEntry {
    pub webhook_id: String,
    pub record_key: String,
    pub version: u64,
    pub event_type: String,
    pub occurred_at: String,
    pub received_at: Millis,
    /// `applied` or `stale`.
    pub outcome: String,
    /// The validated change as JSON.
    pub change: serde_json::Value,
}

/// Everything one accepted event writes, atomically.
#[derive(Clone, Debug)]
pub struct AcceptWrite {
    pub idempotency: IdempotencyEntry,
    pub change_log: ChangeLogEntry,
    /// The record to write, with compare-and-swap on its `revision` (0: must not exist yet).
    /// `None` for a stale event: only the idempotency and audit entries are written.
    pub record: Option<SyncRecord>,
    /// A guard counter that must still be at this revision (bumped by one), so that checks made
    /// across several records (the per-year month limits) cannot race.
    pub guard: Option<Guard>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    pub key: String,
    pub revision: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcceptResult {
    Written,
    /// The webhook id was recorded meanwhile (a concurrent retry of the same event).
    DuplicateEvent(IdempotencyEntry),
}

/// How one delivery attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AttemptOutcome {
    Delivered,
    /// Timeout, 5xx, 429, SUSPENDED, token trouble: tried again later.
    Transient,
    /// BKN refused the data.
    Permanent,
    /// BKN offers no way to apply the change.
    NeedsAction,
}

impl AttemptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Transient => "transient",
            AttemptOutcome::Permanent => "permanent",
            AttemptOutcome::NeedsAction => "needs_action",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AttemptOutcome::Delivered,
            AttemptOutcome::Transient,
            AttemptOutcome::Permanent,
            AttemptOutcome::NeedsAction,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// One thing a delivery attempt did at BKN (or checked before asking it anything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// The record's data did not fit its type: nothing was asked of BKN.
    Check,
    /// The employee's PNS id read from `data-utama`.
    DataUtama,
    /// BKN's riwayat list read, to find the record before writing it.
    Lookup,
    Create,
    Update,
    Delete,
    /// A document attached to the record at BKN (`upload-dok-rw`).
    Upload,
    /// BKN asked to bring data-utama up to date (`data-utama-jabatansync`).
    Refresh,
    /// A document read from eHRM (no BKN call).
    Document,
}

impl Operation {
    pub const ALL: [Operation; 9] = [
        Operation::Check,
        Operation::DataUtama,
        Operation::Lookup,
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Upload,
        Operation::Refresh,
        Operation::Document,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Check => "check",
            Operation::DataUtama => "data-utama",
            Operation::Lookup => "lookup",
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Upload => "upload",
            Operation::Refresh => "refresh",
            Operation::Document => "document",
        }
    }

    pub fn parse(s: &str) -> Option<Operation> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// What one attempt did at BKN, in order; kept and shown as `lookup+create`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Operations(pub Vec<Operation>);

impl Operations {
    pub fn push(&mut self, op: Operation) {
        self.0.push(op);
    }

    /// Reads the kept form; a part no release wrote is an error.
    pub fn parse(s: &str) -> Result<Operations, StoreError> {
        s.split('+')
            .filter(|p| !p.is_empty())
            .map(|p| {
                Operation::parse(p)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown BKN operation {p:?}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Operations)
    }
}

impl From<Vec<Operation>> for Operations {
    fn from(ops: Vec<Operation>) -> Self {
        Operations(ops)
    }
}

impl std::fmt::Display for Operations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|o| o.as_str()).collect();
        f.write_str(&names.join("+"))
    }
}

impl Serialize for Operations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Operations {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Operations::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One delivery attempt, kept for operators and auditors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptEntry {
    pub record_key: String,
    pub at: Millis,
    pub version: u64,
    /// What was done at BKN, e.g. `lookup+create`, `update`, `delete`.
    pub operation: Operations,
    pub outcome: AttemptOutcome,
    pub http_status: Option<u16>,
    /// BKN's message, verbatim.
    pub message: Option<String>,
    pub duration_ms: i64,
}

/// Sync state: idempotency, records, audit, attempts. Records are written with compare-and-swap
/// on [`SyncRecord::revision`]: the stored revision must equal the given record's, and the
/// stored copy gets `revision + 1`.
#[async_trait]
pub trait SyncStore: Send + Sync {
    /// The unexpired idempotency entry of a webhook id.
    async fn idempotency(
        &self,
        webhook_id: &str,
        now: Millis,
    ) -> Result<Option<IdempotencyEntry>, StoreError>;
    /// Writes an accepted event atomically; `Conflict` if the record or guard moved.
    async fn accept(&self, write: &AcceptWrite) -> Result<AcceptResult, StoreError>;
    async fn record(&self, key: &RecordKey) -> Result<Option<SyncRecord>, StoreError>;
    async fn records_for_nip(&self, nip: &Nip) -> Result<Vec<SyncRecord>, StoreError>;
    /// Current revision of a guard counter (0 if never written).
    async fn guard_revision(&self, key: &str) -> Result<u64, StoreError>;
    /// Compare-and-swap write of one record.
    async fn put_record(&self, record: &SyncRecord) -> Result<(), StoreError>;
    async fn append_attempt(&self, attempt: &AttemptEntry) -> Result<(), StoreError>;
    async fn attempts(&self, key: &RecordKey) -> Result<Vec<AttemptEntry>, StoreError>;
    /// Records whose `due_at` is at or before `before`, oldest first (the sparse "due" index),
    /// a page at a time: pass the returned cursor to continue.
    async fn due_records(
        &self,
        before: Millis,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<(Vec<SyncRecord>, Option<String>), StoreError>;
    /// Records in a status, last updated within `[since, until]`, oldest first.
    async fn records_by_status(
        &self,
        status: SyncStatus,
        since: Millis,
        until: Millis,
        limit: usize,
    ) -> Result<Vec<SyncRecord>, StoreError>;
    /// As [`SyncStore::records_by_status`], keeping records whose last error contains `text`
    /// (lower case; compared case-insensitively). By default a page at a time in memory; a
    /// store that can filter where the data is does so.
    async fn records_by_status_with_error(
        &self,
        status: SyncStatus,
        since: Millis,
        until: Millis,
        text: &str,
        limit: usize,
    ) -> Result<Vec<SyncRecord>, StoreError> {
        with_error_in_memory(self, status, since, until, text, limit).await
    }
    async fn count_by_status(&self) -> Result<Vec<(SyncStatus, u64)>, StoreError>;
}

/// NIP → SIASN PNS id, resolved once through data-utama.
#[async_trait]
pub trait PnsIdCache: Send + Sync {
    async fn pns_id(&self, nip: &Nip) -> Result<Option<String>, StoreError>;
    async fn put_pns_id(&self, nip: &Nip, pns_id: &str, now: Millis) -> Result<(), StoreError>;
    /// The reverse: whose PNS id is this (reconciliation names the head BKN records for a unit).
    async fn nip_for_pns_id(&self, pns_id: &str) -> Result<Option<String>, StoreError>;
}

// ---------------------------------------------------------------------------------------------
// Remembered riwayat lists (when a remembered read may serve a delivery is the deliver
// service's rule: `deliver/lists.rs`).

/// One of an employee's riwayat lists at BKN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RiwayatFamily {
    /// `rw-skp22`: annual SKP 2022 records.
    Skp22,
    /// `rw-kinerjaperiodik`: monthly and quarterly evaluations.
    KinerjaPeriodik,
    /// `rw-jabatan`: position history.
    Jabatan,
}

impl RiwayatFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            RiwayatFamily::Skp22 => "skp22",
            RiwayatFamily::KinerjaPeriodik => "kinerjaperiodik",
            RiwayatFamily::Jabatan => "jabatan",
        }
    }
}

/// The last answer of one riwayat list, kept with its time (the document the store holds is
/// this, as JSON: the store does not look inside).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRead<T> {
    pub read_at: Millis,
    pub records: Vec<T>,
}

/// Remembered riwayat lists: one read of an employee's list serves every record of theirs.
#[async_trait]
pub trait RiwayatLists: Send + Sync {
    async fn riwayat_list(
        &self,
        nip: &Nip,
        family: RiwayatFamily,
    ) -> Result<Option<String>, StoreError>;
    async fn put_riwayat_list(
        &self,
        nip: &Nip,
        family: RiwayatFamily,
        doc: &str,
    ) -> Result<(), StoreError>;
    async fn forget_riwayat_list(&self, nip: &Nip, family: RiwayatFamily)
    -> Result<(), StoreError>;
}

// ---------------------------------------------------------------------------------------------
// Finding records by the text of their last error, for stores that cannot filter where the data
// is: pages of a status read and filtered in memory.

const SEARCH_PAGE: usize = 1_000;

/// Records in `status`, updated within `[since, until]`, whose last error contains `text`
/// (lower case), oldest first, at most `limit`.
pub async fn with_error_in_memory<S: SyncStore + ?Sized>(
    store: &S,
    status: SyncStatus,
    since: Millis,
    until: Millis,
    text: &str,
    limit: usize,
) -> Result<Vec<SyncRecord>, StoreError> {
    let mut out = Vec::new();
    let mut from = since;
    loop {
        let page = store
            .records_by_status(status, from, until, SEARCH_PAGE)
            .await?;
        let full = page.len() == SEARCH_PAGE;
        let last = page.last().map(|r| r.updated_at);
        out.extend(page.into_iter().filter(|r| {
            r.last_error
                .as_deref()
                .is_some_and(|m| m.to_lowercase().contains(text))
        }));
        match last {
            // Past records sharing the page's last time: a page of ties must not loop forever.
            Some(at) if full && out.len() < limit => from = if at == from { at + 1 } else { at },
            _ => break,
        }
    }
    out.sort_by_cached_key(|r| (r.updated_at, r.key.to_string()));
    out.dedup_by(|a, b| a.key == b.key);
    out.truncate(limit);
    Ok(out)
}
