//! Ingest: one eHRM webhook in, one durable, idempotent change out (ehrm-contract.md §1).
//!
//! Order of checks, each answered with its own status:
//! `413` size → `401` signature (raw bytes, before parsing) → `200`/`409` webhook id already
//! seen → `400` malformed → `422` rules (including the per-year month limits) → write
//! (idempotency entry + audit entry + record, atomically) → `202`. A `2xx` is only sent once
//! the write is durable; if it is not, `503` and eHRM retries. Queueing the delivery message
//! happens after the write; if it fails, the record is still due and the sweeper queues it.

use std::sync::Arc;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use ehrm_sync_domain::Violation;
use ehrm_sync_domain::envelope::{EnvelopeError, parse_event};
use ehrm_sync_domain::kinerja::Periodik;
use ehrm_sync_domain::record::{ChangeEffect, RecordKey, SyncRecord};
use ehrm_sync_webhook::{SignedHeaders, Verifier};

use crate::clock::jakarta_date;
use crate::crashpoint::crashpoint;
use crate::ports::{
    AcceptResult, AcceptWrite, ChangeLogEntry, Clock, DeliveryMessage, DeliveryQueue, Guard,
    IdempotencyEntry, Metric, Metrics, StoreError, SyncStore,
};

/// Bodies above this are refused with `413`.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// How long a webhook id is remembered.
pub const IDEMPOTENCY_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
const MAX_WRITE_ROUNDS: usize = 8;

/// An HTTP-shaped answer, so the same logic serves axum and Lambda.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestResponse {
    pub status: u16,
    pub body: Value,
}

impl IngestResponse {
    fn new(status: u16, body: Value) -> Self {
        IngestResponse { status, body }
    }

    fn error(status: u16, error: &str, message: impl Into<String>) -> Self {
        IngestResponse::new(status, json!({"error": error, "message": message.into()}))
    }
}

pub struct IngestService {
    verifier: Verifier,
    store: Arc<dyn SyncStore>,
    queue: Arc<dyn DeliveryQueue>,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
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
        }
    }

    /// Handles one webhook request: its three signature headers and raw body.
    pub async fn handle(&self, headers: SignedHeaders<'_>, body: &[u8]) -> IngestResponse {
        let response = self.handle_inner(headers, body).await;
        match response.status {
            202 if response.body["result"] == "ignored_stale" => self.metrics.record(Metric::Stale),
            202 => self.metrics.record(Metric::Accepted),
            200 => self.metrics.record(Metric::Duplicate),
            status => {
                let reason = match status {
                    400 => "malformed",
                    401 => "signature",
                    409 => "id_conflict",
                    413 => "too_large",
                    422 => "invalid",
                    _ => "unavailable",
                };
                self.metrics.record(Metric::Rejected { reason });
            }
        }
        response
    }

    async fn handle_inner(&self, headers: SignedHeaders<'_>, body: &[u8]) -> IngestResponse {
        if body.len() > MAX_BODY_BYTES {
            return IngestResponse::error(
                413,
                "too_large",
                format!("the body exceeds {MAX_BODY_BYTES} bytes"),
            );
        }
        let now = self.clock.now_ms();
        if let Err(e) = self.verifier.verify(headers, body, now.div_euclid(1000)) {
            tracing::info!(reason = %e, "webhook refused: signature");
            return IngestResponse::error(401, "invalid_signature", e.to_string());
        }
        // verify() guarantees the id is present.
        let webhook_id = headers.id.unwrap_or_default();
        let hash = sha256_hex(body);
        match self.store.idempotency(webhook_id, now).await {
            Ok(Some(seen)) => return self.repeat(&seen, &hash).await,
            Ok(None) => {}
            Err(e) => return unavailable(&e),
        }
        let event = match parse_event(body, jakarta_date(now)) {
            Ok(ev) => ev,
            Err(EnvelopeError::Malformed(m)) => return IngestResponse::error(400, "malformed", m),
            Err(EnvelopeError::Invalid(violations)) => return invalid(violations),
        };
        let change = &event.change;
        let log = ChangeLogEntry {
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
        };
        let idem = IdempotencyEntry {
            webhook_id: webhook_id.to_string(),
            payload_hash: hash.clone(),
            record_key: change.key.to_string(),
            outcome: String::new(),
            created_at: now,
            expires_at: now + IDEMPOTENCY_TTL_MS,
        };

        for _ in 0..MAX_WRITE_ROUNDS {
            let guard = match self
                .month_guard(change.months().is_some(), &change.key)
                .await
            {
                Ok(g) => g,
                Err(e) => return unavailable(&e),
            };
            let existing = match self.store.record(&change.key).await {
                Ok(r) => r,
                Err(e) => return unavailable(&e),
            };
            let (record, effect) = match existing {
                Some(mut rec) => {
                    let effect = rec.apply_change(change, now);
                    (rec, effect)
                }
                None => (SyncRecord::from_change(change, now), ChangeEffect::Applied),
            };
            if effect == ChangeEffect::Applied
                && let Some(months) = change.months()
            {
                match self.month_overlap(&change.key, months).await {
                    Ok(None) => {}
                    Ok(Some(v)) => return invalid(vec![v]),
                    Err(e) => return unavailable(&e),
                }
            }
            let stale = effect == ChangeEffect::Stale;
            let outcome = if stale { "stale" } else { "accepted" };
            let mut record = record;
            if !stale {
                record.last_enqueued_at = Some(now);
            }
            let write = AcceptWrite {
                idempotency: IdempotencyEntry {
                    outcome: outcome.into(),
                    ..idem.clone()
                },
                change_log: ChangeLogEntry {
                    outcome: if stale { "stale" } else { "applied" }.into(),
                    ..log.clone()
                },
                record: (!stale).then(|| record.clone()),
                guard: if stale { None } else { guard },
            };
            match self.store.accept(&write).await {
                Ok(AcceptResult::Written) => {}
                Ok(AcceptResult::DuplicateEvent(seen)) => return self.repeat(&seen, &hash).await,
                Err(StoreError::Conflict) => continue,
                Err(e) => return unavailable(&e),
            }
            if stale {
                tracing::info!(record = %change.key.masked(), version = change.version,
                    held = record.received_version, "stale change acknowledged and ignored");
                return IngestResponse::new(
                    202,
                    json!({"result": "ignored_stale", "record_key": change.key.to_string(),
                           "status": record.status, "received_version": record.received_version,
                           "message": "a newer version of this record is already held; this one is ignored"}),
                );
            }
            crashpoint("ingest.after_store_before_queue");
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
            tracing::info!(record = %change.key.masked(), version = change.version,
                event = event.event_type.as_str(), "change accepted");
            return IngestResponse::new(
                202,
                json!({"result": "accepted", "record_key": change.key.to_string(),
                       "status": record.status, "received_version": change.version}),
            );
        }
        unavailable(&StoreError::Unavailable(
            "too much concurrent change on this record".into(),
        ))
    }

    async fn repeat(&self, seen: &IdempotencyEntry, hash: &str) -> IngestResponse {
        if seen.payload_hash != hash {
            return IngestResponse::error(
                409,
                "id_conflict",
                "this webhook-id was already used for a different body",
            );
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
        IngestResponse::new(
            200,
            json!({"result": "duplicate", "record_key": seen.record_key,
                   "original_result": seen.outcome, "status": status}),
        )
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
        let guard_key = format!("months/{}/{}", key.nip(), key.tahun());
        let revision = self.store.guard_revision(&guard_key).await?;
        Ok(Some(Guard {
            key: guard_key,
            revision,
        }))
    }

    /// Per-year limits: periodic evaluations of one employee and year never share a month.
    async fn month_overlap(
        &self,
        key: &RecordKey,
        months: u16,
    ) -> Result<Option<Violation>, StoreError> {
        let siblings = self.store.records_for_nip(key.nip()).await?;
        let clash = siblings.iter().find(|r| {
            r.key != *key
                && r.key.tahun() == key.tahun()
                && !r.deleted
                && r.months.is_some_and(|m| m & months != 0)
        });
        Ok(clash.map(|other| {
            let kind = match &other.key {
                RecordKey::Periodik { periodik: Periodik::Bulanan, .. } => "monthly",
                _ => "quarterly",
            };
            Violation::new(
                "data.bulan_mulai",
                format!(
                    "overlaps the {kind} evaluation {} already held for {}: at most 12 monthly or 4 quarterly evaluations per year, months never shared",
                    other.key,
                    key.tahun()
                ),
            )
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

fn invalid(violations: Vec<Violation>) -> IngestResponse {
    tracing::info!(rules = violations.len(), "webhook refused: validation");
    IngestResponse::new(422, json!({"error": "invalid", "errors": violations}))
}

fn unavailable(e: &StoreError) -> IngestResponse {
    tracing::error!(error = %e, "change could not be recorded durably");
    IngestResponse::error(
        503,
        "unavailable",
        "the change could not be recorded; retry later",
    )
}

/// SHA-256 of a payload, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
