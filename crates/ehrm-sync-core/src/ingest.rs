//! Ingest: one eHRM webhook in, one durable, idempotent change out (`docs/ehrm-contract.md`, "Change webhooks").
//!
//! Order of checks, each with its own [`IngestOutcome`] (the HTTP status `ehrm-sync-http` gives
//! it in brackets): size (`413`) → signature on the raw bytes, before parsing (`401`) → webhook id
//! already seen (`200`, or `409` for another body) → malformed (`400`) → rules, including the
//! per-year month limits (`422`) → write (idempotency entry + audit entry + record, atomically)
//! → accepted (`202`). Accepted is only answered once the write is durable; if it is not,
//! unavailable (`503`) and eHRM retries. Queueing the delivery message happens after the write;
//! if it fails, the record is still due and the sweeper queues it.

use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

use ehrm_sync_domain::Violation;
use ehrm_sync_domain::envelope::{ChangeEvent, EnvelopeError, parse_event};
use ehrm_sync_domain::kinerja::Periodik;
use ehrm_sync_domain::record::{
    Change, ChangeAction, ChangeEffect, Millis, RecordData, RecordKey, SyncRecord, SyncStatus,
};
use ehrm_sync_webhook::{SignedHeaders, Verifier};

use crate::clock::jakarta_date;
use crate::crashpoint::crashpoint;
use crate::ports::{
    AcceptResult, AcceptWrite, ChangeLogEntry, Clock, ControlStore, DeliveryMessage, DeliveryQueue,
    Guard, IdempotencyEntry, Metric, Metrics, StoreError, SyncStore,
};
use crate::unor_map::{UnitMapping, lookup};

/// Bodies above this are refused with `413`.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// The longest `webhook-id` accepted (bytes): every store can key on it (DynamoDB's sort key
/// allows 1024 bytes with its prefix; this leaves room), and no sender needs more.
pub const MAX_WEBHOOK_ID_BYTES: usize = 256;
/// How long a webhook id is remembered.
pub const IDEMPOTENCY_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
const MAX_WRITE_ROUNDS: usize = 8;

/// What became of one webhook.
#[derive(Clone, Debug, PartialEq)]
pub enum IngestOutcome {
    /// Recorded durably and queued for BKN.
    Accepted {
        record_key: String,
        status: SyncStatus,
        received_version: u64,
    },
    /// Recorded, but a newer version of the record is already held: nothing changes.
    IgnoredStale {
        record_key: String,
        status: SyncStatus,
        received_version: u64,
    },
    /// This webhook id was already accepted with the same body.
    Duplicate {
        record_key: String,
        /// `accepted` or `stale`, as the first delivery of the webhook was answered.
        original_result: String,
        status: Option<SyncStatus>,
    },
    /// The body is larger than [`MAX_BODY_BYTES`].
    TooLarge,
    /// The Standard Webhooks signature does not verify (why, without secrets).
    BadSignature(String),
    /// This webhook id was already used for a different body.
    IdConflict,
    /// Not JSON, or not the envelope of `docs/ehrm-contract.md`.
    Malformed(String),
    /// Every rule the change breaks.
    Invalid(Vec<Violation>),
    /// The change could not be recorded durably; eHRM should retry.
    Unavailable,
}

impl IngestOutcome {
    /// What it counts as in the metrics.
    pub fn metric(&self) -> Metric<'static> {
        match self {
            IngestOutcome::Accepted { .. } => Metric::Accepted,
            IngestOutcome::IgnoredStale { .. } => Metric::Stale,
            IngestOutcome::Duplicate { .. } => Metric::Duplicate,
            IngestOutcome::TooLarge => Metric::Rejected {
                reason: "too_large",
            },
            IngestOutcome::BadSignature(_) => Metric::Rejected {
                reason: "signature",
            },
            IngestOutcome::IdConflict => Metric::Rejected {
                reason: "id_conflict",
            },
            IngestOutcome::Malformed(_) => Metric::Rejected {
                reason: "malformed",
            },
            IngestOutcome::Invalid(_) => Metric::Rejected { reason: "invalid" },
            IngestOutcome::Unavailable => Metric::Rejected {
                reason: "unavailable",
            },
        }
    }
}

pub struct IngestService {
    verifier: Verifier,
    store: Arc<dyn SyncStore>,
    queue: Arc<dyn DeliveryQueue>,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
    unit_map: Option<Arc<dyn ControlStore>>,
}

impl IngestService {
    pub fn new(
        verifier: Verifier,
        store: Arc<dyn SyncStore>,
        queue: Arc<dyn DeliveryQueue>,
        clock: Arc<dyn Clock>,
        metrics: Arc<dyn Metrics>,
    ) -> Self {
        IngestService {
            verifier,
            store,
            queue,
            clock,
            metrics,
            unit_map: None,
        }
    }

    /// Positions are checked against eHRM's unit map kept in `controls` ([`crate::unor_map`]).
    pub fn with_unit_map(mut self, controls: Arc<dyn ControlStore>) -> Self {
        self.unit_map = Some(controls);
        self
    }

    /// Handles one webhook request: its three signature headers and raw body.
    pub async fn handle(&self, headers: SignedHeaders<'_>, body: &[u8]) -> IngestOutcome {
        let outcome = self.handle_inner(headers, body).await;
        self.metrics.record(outcome.metric());
        outcome
    }

    async fn handle_inner(&self, headers: SignedHeaders<'_>, body: &[u8]) -> IngestOutcome {
        if body.len() > MAX_BODY_BYTES {
            return IngestOutcome::TooLarge;
        }
        let now = self.clock.now_ms();
        if let Err(e) = self.verifier.verify(headers, body, now.div_euclid(1000)) {
            return IngestOutcome::BadSignature(e.to_string());
        }
        // verify() guarantees the id is present.
        let webhook_id = headers.id.unwrap_or_default();
        if webhook_id.len() > MAX_WEBHOOK_ID_BYTES {
            return IngestOutcome::Malformed(format!(
                "the webhook-id header is {} bytes long; at most {MAX_WEBHOOK_ID_BYTES} are accepted",
                webhook_id.len()
            ));
        }
        let hash = sha256_hex(body);
        match self.store.idempotency(webhook_id, now).await {
            Ok(Some(seen)) => return self.repeat(&seen, &hash).await,
            Ok(None) => {}
            Err(e) => return unavailable(&e),
        }
        let mut event = match parse_event(body, jakarta_date(now)) {
            Ok(ev) => ev,
            Err(EnvelopeError::Malformed(m)) => return IngestOutcome::Malformed(m),
            Err(EnvelopeError::Invalid(violations)) => return invalid(violations),
        };
        if let Err(outcome) = self.map_unit(&mut event).await {
            return outcome;
        }
        let entries = Entries::new(webhook_id, &hash, &event, now);
        for _ in 0..MAX_WRITE_ROUNDS {
            match self.try_write(&event, &entries, &hash, now).await {
                Written::Done(outcome) => return outcome,
                Written::Conflict => continue,
            }
        }
        unavailable(&StoreError::Unavailable(
            "too much concurrent change on this record".into(),
        ))
    }

    /// One round of the write: read the record, apply the change, check the month limits, write
    /// everything at once under compare-and-swap, then queue.
    async fn try_write(
        &self,
        event: &ChangeEvent,
        entries: &Entries,
        hash: &str,
        now: Millis,
    ) -> Written {
        let change = &event.change;
        let guard = match self
            .month_guard(change.months().is_some(), &change.key)
            .await
        {
            Ok(g) => g,
            Err(e) => return Written::Done(unavailable(&e)),
        };
        let (mut record, effect) = match self.store.record(&change.key).await {
            Ok(Some(mut rec)) => {
                let effect = rec.apply_change(change, now);
                (rec, effect)
            }
            Ok(None) => (SyncRecord::from_change(change, now), ChangeEffect::Applied),
            Err(e) => return Written::Done(unavailable(&e)),
        };
        if effect == ChangeEffect::Applied
            && let Some(months) = change.months()
        {
            match month_overlap(self.store.as_ref(), &change.key, months).await {
                Ok(None) => {}
                Ok(Some(v)) => return Written::Done(invalid(vec![v])),
                Err(e) => return Written::Done(unavailable(&e)),
            }
        }
        let stale = effect == ChangeEffect::Stale;
        if !stale {
            record.last_enqueued_at = Some(now);
        }
        match self
            .store
            .accept(&entries.write(&record, guard, stale))
            .await
        {
            Ok(AcceptResult::Written) => {}
            Ok(AcceptResult::DuplicateEvent(seen)) => {
                return Written::Done(self.repeat(&seen, hash).await);
            }
            Err(StoreError::Conflict) => return Written::Conflict,
            Err(e) => return Written::Done(unavailable(&e)),
        }
        if stale {
            tracing::info!(record = %change.key.masked(), version = change.version,
                held = record.received_version, "stale change acknowledged and ignored");
            return Written::Done(IngestOutcome::IgnoredStale {
                record_key: change.key.to_string(),
                status: record.status,
                received_version: record.received_version,
            });
        }
        crashpoint("ingest.after_store_before_queue");
        self.queue_delivery(change).await;
        tracing::info!(record = %change.key.masked(), version = change.version,
            event = event.event_type.as_str(), "change accepted");
        Written::Done(IngestOutcome::Accepted {
            record_key: change.key.to_string(),
            status: record.status,
            received_version: change.version,
        })
    }

    /// A position's unit, mapped to its SIASN UNOR id: a unit eHRM's map knows to be missing
    /// or unmapped is refused (`422` naming it); before the map is first read, the change is
    /// accepted and delivery maps it.
    async fn map_unit(&self, event: &mut ChangeEvent) -> Result<(), IngestOutcome> {
        let (Some(controls), ChangeAction::Upsert(RecordData::Jabatan(j))) =
            (&self.unit_map, &mut event.change.action)
        else {
            return Ok(());
        };
        let Some(unor_id) = j.unor_id.clone() else {
            return Ok(());
        };
        match lookup(controls.as_ref(), &unor_id).await {
            Ok(UnitMapping::Mapped(id)) => j.unor_id_bkn = Some(id),
            Ok(UnitMapping::NotLoaded) => {}
            Ok(m) => {
                let message = m.refusal(&unor_id).unwrap_or_default();
                return Err(invalid(vec![Violation::new("data.unor_id", message)]));
            }
            Err(e) => return Err(unavailable(&e)),
        }
        Ok(())
    }

    async fn queue_delivery(&self, change: &Change) {
        let msg = DeliveryMessage {
            key: change.key.clone(),
            version: change.version,
        };
        if let Err(e) = self.queue.enqueue(&[msg]).await {
            // Durable already: the record stays due and the sweeper will queue it.
            tracing::warn!(record = %change.key.masked(), error = %e,
                "change recorded but not queued; the sweeper will queue it");
            self.forget_enqueue(&change.key).await;
        }
    }

    async fn repeat(&self, seen: &IdempotencyEntry, hash: &str) -> IngestOutcome {
        if seen.payload_hash != hash {
            return IngestOutcome::IdConflict;
        }
        let status = match seen.record_key.parse::<RecordKey>() {
            Ok(key) => self
                .store
                .record(&key)
                .await
                .ok()
                .flatten()
                .map(|r| r.status),
            Err(_) => None,
        };
        IngestOutcome::Duplicate {
            record_key: seen.record_key.clone(),
            original_result: seen.outcome.clone(),
            status,
        }
    }

    /// The guard over one employee's periodic months in one year.
    async fn month_guard(
        &self,
        applies: bool,
        key: &RecordKey,
    ) -> Result<Option<Guard>, StoreError> {
        if !applies {
            return Ok(None);
        }
        let guard_key = format!("months/{}/{}", key.nip(), key.tahun().unwrap_or_default());
        let revision = self.store.guard_revision(&guard_key).await?;
        Ok(Some(Guard {
            key: guard_key,
            revision,
        }))
    }

    async fn forget_enqueue(&self, key: &RecordKey) {
        for _ in 0..3 {
            let Ok(Some(mut rec)) = self.store.record(key).await else {
                return;
            };
            rec.last_enqueued_at = None;
            match self.store.put_record(&rec).await {
                Err(StoreError::Conflict) => continue,
                _ => return,
            }
        }
    }
}

/// Per-year limits: periodic evaluations of one employee and year never share a month (for
/// webhooks and for reconciliation's repairs alike).
pub async fn month_overlap(
    store: &dyn SyncStore,
    key: &RecordKey,
    months: u16,
) -> Result<Option<Violation>, StoreError> {
    let siblings = store.records_for_nip(key.nip()).await?;
    let clash = siblings.iter().find(|r| {
        r.key != *key
            && r.key.tahun() == key.tahun()
            && !r.deleted
            && r.months.is_some_and(|m| m & months != 0)
    });
    Ok(clash.map(|other| {
        let kind = match &other.key {
            RecordKey::Periodik {
                periodik: Periodik::Bulanan,
                ..
            } => "monthly",
            _ => "quarterly",
        };
        Violation::new(
            "data.bulan_mulai",
            format!(
                "overlaps the {kind} evaluation {} already held for {}: at most 12 monthly or 4 quarterly evaluations per year, months never shared",
                other.key,
                key.tahun().unwrap_or_default()
            ),
        )
    }))
}

/// The result of one write round.
enum Written {
    Done(IngestOutcome),
    /// The record or the month guard moved meanwhile: read again and retry.
    Conflict,
}

/// The idempotency and audit entries of one webhook, completed by each write round.
struct Entries {
    idempotency: IdempotencyEntry,
    change_log: ChangeLogEntry,
}

impl Entries {
    fn new(webhook_id: &str, hash: &str, event: &ChangeEvent, now: Millis) -> Self {
        let change = &event.change;
        Entries {
            idempotency: IdempotencyEntry {
                webhook_id: webhook_id.to_string(),
                payload_hash: hash.to_string(),
                record_key: change.key.to_string(),
                outcome: String::new(),
                created_at: now,
                expires_at: now + IDEMPOTENCY_TTL_MS,
            },
            change_log: ChangeLogEntry {
                webhook_id: webhook_id.to_string(),
                record_key: change.key.to_string(),
                version: change.version,
                event_type: event.event_type.as_str().to_string(),
                occurred_at: event
                    .occurred_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                received_at: now,
                outcome: String::new(),
                change: serde_json::to_value(change).unwrap_or(Value::Null),
            },
        }
    }

    /// Everything written at once: a stale change only records that it was seen.
    fn write(&self, record: &SyncRecord, guard: Option<Guard>, stale: bool) -> AcceptWrite {
        AcceptWrite {
            idempotency: IdempotencyEntry {
                outcome: if stale { "stale" } else { "accepted" }.into(),
                ..self.idempotency.clone()
            },
            change_log: ChangeLogEntry {
                outcome: if stale { "stale" } else { "applied" }.into(),
                ..self.change_log.clone()
            },
            record: (!stale).then(|| record.clone()),
            guard: if stale { None } else { guard },
        }
    }
}

fn invalid(violations: Vec<Violation>) -> IngestOutcome {
    IngestOutcome::Invalid(violations)
}

fn unavailable(e: &StoreError) -> IngestOutcome {
    tracing::error!(error = %e, "change could not be recorded durably");
    IngestOutcome::Unavailable
}

/// SHA-256 of a payload, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
