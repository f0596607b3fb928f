//! Outcome callbacks to eHRM (ehrm-contract.md §3): the second direction of the duplex.
//!
//! When a record settles (synced, failed, dead, needs action) the [`OutcomeCallbacks`] observer
//! writes a callback into the outbox; the [`CallbackDispatcher`] sends due callbacks, signed like
//! eHRM's own webhooks, and retries transient failures with the same backoff as deliveries. The
//! outbox is its own path: a slow or absent eHRM never holds up delivery to BKN. A callback's id
//! (also its `webhook-id`) is derived from what it reports, so eHRM can deduplicate repeats.

use std::sync::Arc;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_domain::record::{Millis, RecordKey, SyncRecord};

use crate::clock::format_ms;
use crate::deliver::OutcomeObserver;
use crate::ports::{Callback, CallbackOutbox, CallbackSender, CallbackStatus, Clock, StoreError};
use crate::retry::next_attempt_at;

/// How long a dispatcher holds a callback it is sending before another may try.
const CLAIM_MS: i64 = 60_000;

/// A new callback carrying `data` under `event_type`, id derived from `identity`.
pub fn new_callback(event_type: &str, identity: &str, data: Value, now: Millis) -> Callback {
    let digest = Sha256::digest(format!("{event_type}|{identity}").as_bytes());
    let id: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    Callback {
        id: format!("cb_{id}"),
        payload: json!({"type": event_type, "occurred_at": format_ms(now), "data": data}),
        status: CallbackStatus::Pending,
        attempts: 0,
        next_attempt_at: Some(now),
        last_error: None,
        created_at: now,
        updated_at: now,
        revision: 0,
    }
}

/// The callback reporting a settled record.
pub fn outcome_callback(rec: &SyncRecord, now: Millis) -> Callback {
    let (periodik, bulan_mulai) = match &rec.key {
        RecordKey::Periodik {
            periodik,
            bulan_mulai,
            ..
        } => (Some(periodik.as_str()), Some(*bulan_mulai)),
        RecordKey::Tahunan { .. } => (None, None),
    };
    let data = json!({
        "record_key": rec.key.to_string(),
        "nip": rec.key.nip().as_str(),
        "type": rec.key.record_type().as_str(),
        "tahun": rec.key.tahun(),
        "periodik": periodik,
        "bulan_mulai": bulan_mulai,
        "status": rec.status.as_str(),
        "deleted": rec.deleted,
        "received_version": rec.received_version,
        "delivered_version": rec.delivered_version,
        "bkn_id": rec.bkn_id,
        "last_error": rec.last_error,
    });
    let identity = format!(
        "{}|{}|{}",
        rec.key,
        rec.status.as_str(),
        rec.received_version
    );
    new_callback("sync.outcome", &identity, data, now)
}

/// Turns settled records into callbacks.
pub struct OutcomeCallbacks {
    outbox: Arc<dyn CallbackOutbox>,
    clock: Arc<dyn Clock>,
}

impl OutcomeCallbacks {
    pub fn new(outbox: Arc<dyn CallbackOutbox>, clock: Arc<dyn Clock>) -> Self {
        OutcomeCallbacks { outbox, clock }
    }
}

#[async_trait::async_trait]
impl OutcomeObserver for OutcomeCallbacks {
    async fn settled(&self, record: &SyncRecord) {
        let cb = outcome_callback(record, self.clock.now_ms());
        if let Err(e) = self.outbox.add_callback(&cb).await {
            tracing::warn!(record = %record.key.masked(), error = %e, "outcome callback not queued");
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub dead: usize,
}

/// Sends due callbacks.
pub struct CallbackDispatcher {
    outbox: Arc<dyn CallbackOutbox>,
    sender: Arc<dyn CallbackSender>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl CallbackDispatcher {
    pub fn new(
        outbox: Arc<dyn CallbackOutbox>,
        sender: Arc<dyn CallbackSender>,
        clock: Arc<dyn Clock>,
        retry: RetryPolicy,
    ) -> Self {
        CallbackDispatcher {
            outbox,
            sender,
            clock,
            retry,
        }
    }

    /// Sends up to `limit` due callbacks.
    pub async fn dispatch(&self, limit: usize) -> Result<DispatchReport, StoreError> {
        let mut report = DispatchReport::default();
        let due = self
            .outbox
            .due_callbacks(self.clock.now_ms(), limit)
            .await?;
        for cb in due {
            // Claim it (compare-and-swap), so two dispatchers never send the same one at once.
            let mut claimed = cb.clone();
            claimed.next_attempt_at = Some(self.clock.now_ms() + CLAIM_MS);
            match self.outbox.put_callback(&claimed).await {
                Ok(()) => claimed.revision += 1,
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
            let now = self.clock.now_ms();
            match self.sender.send(&claimed.id, &claimed.payload).await {
                Ok(()) => {
                    claimed.status = CallbackStatus::Sent;
                    claimed.next_attempt_at = None;
                    claimed.last_error = None;
                    report.sent += 1;
                }
                Err(e) if e.transient => {
                    claimed.attempts += 1;
                    claimed.last_error = Some(e.message);
                    claimed.next_attempt_at = next_attempt_at(&self.retry, claimed.attempts, now);
                    if claimed.next_attempt_at.is_none() {
                        claimed.status = CallbackStatus::Dead;
                        report.dead += 1;
                    } else {
                        report.retrying += 1;
                    }
                }
                Err(e) => {
                    claimed.status = CallbackStatus::Failed;
                    claimed.next_attempt_at = None;
                    claimed.last_error = Some(e.message);
                    report.failed += 1;
                }
            }
            claimed.updated_at = now;
            if let Err(e) = self.outbox.put_callback(&claimed).await {
                tracing::warn!(error = %e, "callback outcome not recorded; it may be sent again (eHRM deduplicates by id)");
            }
        }
        if report != DispatchReport::default() {
            tracing::info!(
                sent = report.sent,
                retrying = report.retrying,
                failed = report.failed,
                dead = report.dead,
                "callbacks dispatched"
            );
        }
        Ok(report)
    }
}
