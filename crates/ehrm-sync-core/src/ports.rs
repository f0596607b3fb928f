//! The narrow traits the services are written against. Adapters implement them: the embedded
//! SQLite store and queue, DynamoDB and SQS, the BKN SIASN HTTP client.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use crate::pacer::{GateState, RatePolicy};
pub use crate::riwayat::{ListRead, RiwayatFamily, RiwayatLists};
pub use crate::write_guard::WriteGuard;
use ehrm_sync_domain::kinerja::{AnnualKinerja, PeriodicKinerja, Periodik};
use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::record::{Millis, RecordKey, SyncRecord, SyncStatus};

/// Current time, and waiting. Injected so tests can control both.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> Millis;

    /// Waits `ms` (nothing for zero or less). A test clock may advance itself instead.
    fn sleep_ms(
        &self,
        ms: i64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Store

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

/// One delivery attempt, kept for operators and auditors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptEntry {
    pub record_key: String,
    pub at: Millis,
    pub version: u64,
    /// What was done at BKN, e.g. `lookup+create`, `update`, `delete`.
    pub operation: String,
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
        crate::search::with_error_in_memory(self, status, since, until, text, limit).await
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

/// The shared BKN call schedule and its adaptive rate ([`crate::pacer`]): each call takes the
/// next free slot. Adapters keep one [`GateState`] and change it atomically with the policy's
/// pure functions ([`RatePolicy::reserve`], [`RatePolicy::throttled`]).
#[async_trait]
pub trait RateGate: Send + Sync {
    /// Reserves the earliest slot at or after `now` at the current rate; returns its time.
    async fn reserve(&self, now: Millis, policy: &RatePolicy) -> Result<Millis, StoreError>;
    /// BKN answered `429` to the call in `slot`: cut the rate, hold every call to `hold_until`.
    async fn throttled(
        &self,
        now: Millis,
        slot: Option<Millis>,
        hold_until: Millis,
        policy: &RatePolicy,
    ) -> Result<(), StoreError>;
    /// Pushes every future slot to `until` or later (BKN asked us to wait: Retry-After).
    async fn hold_until(&self, until: Millis, policy: &RatePolicy) -> Result<(), StoreError>;
    /// The state as stored (`None` before the first call).
    async fn gate_state(&self) -> Result<Option<GateState>, StoreError>;
}

// ---------------------------------------------------------------------------------------------
// Queue

/// The body of a delivery message: only the record key and the version that triggered it. The
/// store holds the truth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub key: RecordKey,
    pub version: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue is unavailable: {0}")]
    Unavailable(String),
    #[error("the receipt handle is no longer valid")]
    StaleReceipt,
}

#[async_trait]
pub trait DeliveryQueue: Send + Sync {
    async fn enqueue(&self, messages: &[DeliveryMessage]) -> Result<(), QueueError>;
}

/// A received message, SQS style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub receipt: String,
    pub body: String,
    pub receive_count: u32,
}

/// The consuming side of the queue, for processes that poll (the local runtime, redrive).
#[async_trait]
pub trait QueueConsumer: Send + Sync {
    async fn receive(&self, max: usize, wait: Duration)
    -> Result<Vec<ReceivedMessage>, QueueError>;
    async fn delete(&self, receipt: &str) -> Result<(), QueueError>;
    async fn change_visibility(&self, receipt: &str, seconds: u32) -> Result<(), QueueError>;
}

/// Visibility changes from inside a message handler (SQS: `ChangeMessageVisibility`).
#[async_trait]
pub trait VisibilityControl: Send + Sync {
    async fn change_visibility(&self, receipt: &str, seconds: u32) -> Result<(), QueueError>;
}

/// The dead-letter side: how deep it is, and moving messages back.
#[async_trait]
pub trait DeadLetters: Send + Sync {
    async fn depth(&self) -> Result<u64, QueueError>;
    /// Moves up to `max` messages back to the delivery queue; returns how many moved.
    async fn redrive(&self, max: usize) -> Result<u64, QueueError>;
}

// ---------------------------------------------------------------------------------------------
// BKN SIASN

/// How a BKN call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BknErrorKind {
    /// Worth retrying: timeouts, connection errors, 429, 5xx, SUSPENDED, token trouble.
    Transient {
        retry_after_ms: Option<i64>,
        /// The request may have reached BKN and been applied (no answer was read).
        maybe_applied: bool,
        /// BKN's gateway reported its backend SUSPENDED.
        suspended: bool,
    },
    /// BKN refused the request itself (validation, 4xx): retrying the same data cannot help.
    Permanent,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BknError {
    pub kind: BknErrorKind,
    /// BKN's own message where it gave one, else what went wrong.
    pub message: String,
    pub http_status: Option<u16>,
}

impl BknError {
    pub fn transient(message: impl Into<String>) -> Self {
        BknError {
            kind: BknErrorKind::Transient {
                retry_after_ms: None,
                maybe_applied: false,
                suspended: false,
            },
            message: message.into(),
            http_status: None,
        }
    }

    pub fn permanent(message: impl Into<String>, http_status: Option<u16>) -> Self {
        BknError {
            kind: BknErrorKind::Permanent,
            message: message.into(),
            http_status,
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self.kind, BknErrorKind::Transient { .. })
    }
}

/// An annual SKP 2022 record as BKN lists it (rw-skp22).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BknAnnualRecord {
    pub id: String,
    pub tahun: Option<i32>,
    pub hasil_kinerja: Option<u8>,
    pub perilaku_kerja: Option<u8>,
    pub kuadran: Option<u8>,
    pub penilai_nip: Option<String>,
}

/// A periodic evaluation as BKN lists it (rw-kinerjaperiodik).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BknPeriodicRecord {
    pub id: String,
    pub tahun: Option<i32>,
    pub periodik: Option<Periodik>,
    pub bulan_mulai: Option<u8>,
    pub bulan_selesai: Option<u8>,
    pub hasil_kinerja: Option<u8>,
    pub perilaku_kerja: Option<u8>,
    pub kuadran: Option<u8>,
    pub koefisien_id: Option<String>,
    pub penilai_nip: Option<String>,
}

/// The BKN SIASN operations the push path needs.
#[async_trait]
pub trait Bkn: Send + Sync {
    /// SIASN PNS id of an employee (data-utama `id`); `None` when BKN does not know the NIP.
    async fn pns_id(&self, nip: &Nip) -> Result<Option<String>, BknError>;
    async fn annual_records(&self, nip: &Nip) -> Result<Vec<BknAnnualRecord>, BknError>;
    /// Creates (`id: None`) or updates an annual record; returns BKN's id when it gave one.
    /// Writes are sent only if `guard` allows it at the moment of sending.
    async fn save_annual(
        &self,
        id: Option<&str>,
        pns_id: &str,
        data: &AnnualKinerja,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError>;
    async fn periodic_records(&self, nip: &Nip) -> Result<Vec<BknPeriodicRecord>, BknError>;
    async fn save_periodic(
        &self,
        id: Option<&str>,
        pns_id: &str,
        data: &PeriodicKinerja,
        guard: &dyn WriteGuard,
    ) -> Result<Option<String>, BknError>;
    /// Deletes a periodic record; a record BKN no longer has counts as deleted.
    async fn delete_periodic(&self, id: &str, guard: &dyn WriteGuard) -> Result<(), BknError>;
}

/// Spaces calls to BKN; the HTTP client calls it before every request, token requests included.
#[async_trait]
pub trait Pacer: Send + Sync {
    /// Waits for this call's turn; returns the slot it was given.
    async fn wait_turn(&self) -> Result<Millis, crate::pacer::PacerError>;
    /// BKN answered `429` to the call given `slot` (`None` if not known), with its
    /// `Retry-After` if it sent one.
    async fn throttled(&self, slot: Option<Millis>, retry_after_ms: Option<i64>);
    /// BKN asked everyone to wait this long (`Retry-After` on another answer).
    async fn hold_for(&self, ms: i64);
}

// ---------------------------------------------------------------------------------------------
// Metrics

/// What the services count. Adapters render them (CloudWatch EMF on Lambda, logs locally).
#[derive(Clone, Debug, PartialEq)]
pub enum Metric<'a> {
    Accepted,
    Duplicate,
    Stale,
    Rejected { reason: &'a str },
    Delivered,
    Retried,
    Failed,
    Dead,
    NeedsAction,
    BknLatency { ms: i64 },
}

pub trait Metrics: Send + Sync {
    fn record(&self, metric: Metric<'_>);
}

// ---------------------------------------------------------------------------------------------
// Control documents and events

/// A small shared document (breaker state, markers, checkpoints) and its revision.
#[derive(Clone, Debug, PartialEq)]
pub struct Control {
    pub value: serde_json::Value,
    pub revision: u64,
}

/// Small documents shared by every worker, written with compare-and-swap, and append-only
/// event streams (the breaker's opens and closes, for operators).
#[async_trait]
pub trait ControlStore: Send + Sync {
    async fn control(&self, name: &str) -> Result<Option<Control>, StoreError>;
    /// Writes `value` if the stored revision is `expected` (0: absent); `Conflict` otherwise.
    async fn put_control(
        &self,
        name: &str,
        value: &serde_json::Value,
        expected: u64,
    ) -> Result<(), StoreError>;
    async fn append_event(
        &self,
        stream: &str,
        at: Millis,
        event: &serde_json::Value,
    ) -> Result<(), StoreError>;
    /// The newest events of a stream, newest first.
    async fn events(
        &self,
        stream: &str,
        limit: usize,
    ) -> Result<Vec<(Millis, serde_json::Value)>, StoreError>;
}

/// Writes a control document whatever its revision, for documents whose last writer simply wins
/// (a run's pieces under its lease, answers kept for sharing).
pub async fn overwrite_control(
    controls: &dyn ControlStore,
    name: &str,
    value: &serde_json::Value,
) -> Result<(), StoreError> {
    for _ in 0..3 {
        let revision = controls.control(name).await?.map_or(0, |c| c.revision);
        match controls.put_control(name, value, revision).await {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}

// ---------------------------------------------------------------------------------------------
// Outcome callbacks to eHRM (their own module; named here like every port)

pub use crate::outbox::{Callback, CallbackError, CallbackOutbox, CallbackSender, CallbackStatus};

// ---------------------------------------------------------------------------------------------
// Reconciliation: the two directories read, where runs and rows are kept, where reports go

use ehrm_sync_domain::reconcile::{
    Discrepancy, EmployeeFacts, PegawaiFacts, StructuralPost, UnitFacts,
};

/// A failed read of eHRM.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    pub message: String,
    /// Worth trying again later (network, 5xx); otherwise a configuration or contract problem.
    pub transient: bool,
}

/// eHRM's read API (ehrm-contract.md §4).
#[async_trait]
pub trait EhrmDirectory: Send + Sync {
    /// Every employee (all pages of `pegawai`).
    async fn employees(&self) -> Result<Vec<PegawaiFacts>, SourceError>;
    /// One employee with their position history and performance records.
    async fn employee(&self, nip: &str) -> Result<Option<EmployeeFacts>, SourceError>;
    /// The unit tree (all pages of `unor`).
    async fn units(&self) -> Result<Vec<UnitFacts>, SourceError>;
    /// Who holds each structural post (`pejabat_struktural`).
    async fn structural_posts(&self) -> Result<Vec<StructuralPost>, SourceError>;
}

/// An entry of BKN's promotion or retirement list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedPns {
    pub nip: String,
    pub pns_id: Option<String>,
    pub nama: Option<String>,
}

/// BKN SIASN's reads for reconciliation. Every call counts against the shared rate.
#[async_trait]
pub trait BknDirectory: Send + Sync {
    /// data-utama, and when the employee exists: rw-jabatan, rw-skp22, rw-kinerjaperiodik.
    async fn employee(&self, nip: &Nip) -> Result<Option<EmployeeFacts>, BknError>;
    /// All pages of ref-unor.
    async fn units(&self) -> Result<Vec<UnitFacts>, BknError>;
    /// `list-kp-instansi` for one period (`yyyy-mm-dd`).
    async fn promotion_list(&self, periode: time::Date) -> Result<Vec<ListedPns>, BknError>;
    /// `list-pensiun-instansi` between two dates.
    async fn retirement_list(
        &self,
        from: time::Date,
        to: time::Date,
    ) -> Result<Vec<ListedPns>, BknError>;
    /// BKN API calls made so far by this client (for the run's budget figures).
    fn calls_made(&self) -> u64;
}

/// Reconciliation runs and their rows. Rows are keyed by [`Discrepancy::row_key`] within a
/// run, so writing a row again (after a resume) replaces it.
#[async_trait]
pub trait ReconcileStore: Send + Sync {
    async fn put_rows(&self, run_id: &str, rows: &[Discrepancy]) -> Result<(), StoreError>;
    async fn rows(&self, run_id: &str) -> Result<Vec<Discrepancy>, StoreError>;
    async fn put_run(
        &self,
        run_id: &str,
        summary: &crate::reconcile::RunSummary,
    ) -> Result<(), StoreError>;
    /// The newest runs first.
    async fn runs(&self, limit: usize) -> Result<Vec<crate::reconcile::RunSummary>, StoreError>;
}

/// Where report files go (a folder locally, S3 on AWS).
#[async_trait]
pub trait ReportSink: Send + Sync {
    /// Writes one file of a run's report; returns where it went.
    async fn write(
        &self,
        run_id: &str,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, StoreError>;
}
