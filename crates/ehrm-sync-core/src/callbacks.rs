//! Outcome callbacks to eHRM (`docs/ehrm-contract.md`, "Outcome callbacks"): the second direction of the duplex.
//!
//! When a record settles (synced, failed, dead, needs action) the [`OutcomeCallbacks`] observer
//! writes a callback into the outbox; the [`CallbackDispatcher`] sends due callbacks, signed like
//! eHRM's own webhooks, and retries transient failures with the same backoff as deliveries. The
//! outbox is its own path: a slow or absent eHRM never holds up delivery to BKN. A callback's id
//! (also its `webhook-id`) is derived from what it reports, so eHRM can deduplicate repeats.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_domain::reconcile::{Authority, DataSet};
use ehrm_sync_domain::record::{Millis, SyncRecord};
use ehrm_sync_domain::sso::{SsoKind, WaitReason};

use crate::clock::format_ms;
use crate::ports::{
    Callback, CallbackOutbox, CallbackSender, CallbackStatus, Clock, OutcomeObserver, StoreError,
};
use crate::retry::next_attempt_at;
use crate::told::RecordFacts;

/// How long a dispatcher holds a callback it is sending before another may try.
const CLAIM_MS: i64 = 60_000;

/// What one callback tells eHRM (`docs/ehrm-contract.md`, "Outcome callbacks"): the JSON body eHRM receives, its `type`
/// naming the kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CallbackEvent {
    /// A record settled at BKN: synced, failed, dead or needs action.
    #[serde(rename = "sync.outcome")]
    SyncOutcome {
        /// RFC 3339, Jakarta time.
        occurred_at: String,
        data: RecordOutcome,
    },
    /// Reconciliation found data where BKN is authoritative (rank, retirement, identity) that
    /// differs from eHRM's. The wire name keeps the ministry's word for reconciliation.
    #[serde(rename = "rekon.bkn_authoritative")]
    BknAuthoritative {
        occurred_at: String,
        data: BknFinding,
    },
    /// The SSO login to BKN is about to end, has left BKN work waiting, or works again
    /// (`docs/bkn-sso.md`), so eHRM can tell its admins.
    #[serde(rename = "bkn.sso")]
    BknSso {
        occurred_at: String,
        data: SsoNotice,
    },
}

impl CallbackEvent {
    /// The `type` on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            CallbackEvent::SyncOutcome { .. } => "sync.outcome",
            CallbackEvent::BknAuthoritative { .. } => "rekon.bkn_authoritative",
            CallbackEvent::BknSso { .. } => "bkn.sso",
        }
    }
}

/// A settled record, as `GET /v1/sync/{nip}` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordOutcome {
    pub record_key: String,
    pub nip: String,
    #[serde(flatten)]
    pub record: RecordFacts,
}

/// One reconciliation finding where BKN's value is the one to keep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BknFinding {
    pub run_id: String,
    pub data_set: DataSet,
    pub nip: Option<String>,
    /// ehrm-sync's normalised field name, e.g. `golongan`, `tmt_pensiun`.
    pub field: Option<String>,
    pub ehrm_value: Option<String>,
    pub bkn_value: Option<String>,
    pub authority: Authority,
}

/// What is news about the SSO login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SsoNoticeState {
    /// It ends within two hours unless an operator sets a new token.
    Expiring,
    /// No usable token: BKN work waits (nothing fails meanwhile).
    Waiting,
    /// A usable token is held again: BKN work has resumed.
    Restored,
}

/// The SSO login's news for eHRM's admins. Never carries a token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoNotice {
    pub state: SsoNoticeState,
    /// How ehrm-sync logs in now, if known.
    pub kind: Option<SsoKind>,
    /// When the login ends without an operator (RFC 3339, Jakarta time).
    pub ends_at: Option<String>,
    pub seconds_left: Option<i64>,
    /// Why work waits (`waiting` only).
    pub reason: Option<WaitReason>,
    /// What to do, in Bahasa Indonesia.
    pub message: String,
}

/// A new callback carrying `event`, its id derived from `identity` (so a repeat of the same news
/// has the same id, and eHRM can drop it).
pub fn new_callback(event: &CallbackEvent, identity: &str, now: Millis) -> Callback {
    let digest = Sha256::digest(format!("{}|{identity}", event.kind()).as_bytes());
    let id: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    Callback {
        id: format!("cb_{id}"),
        payload: serde_json::to_value(event).unwrap_or(Value::Null),
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
    let event = CallbackEvent::SyncOutcome {
        occurred_at: format_ms(now),
        data: RecordOutcome {
            record_key: rec.key.to_string(),
            nip: rec.key.nip().as_str().to_string(),
            record: RecordFacts::of(rec),
        },
    };
    let identity = format!(
        "{}|{}|{}",
        rec.key,
        rec.status.as_str(),
        rec.received_version
    );
    new_callback(&event, &identity, now)
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
    /// Due, but not tried for lack of time.
    pub deferred: usize,
}

/// Sends due callbacks.
pub struct CallbackDispatcher {
    outbox: Arc<dyn CallbackOutbox>,
    sender: Arc<dyn CallbackSender>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    /// The longest one send can take (the sender's timeout plus a margin): no send is started
    /// with less time than this before the caller's `until`.
    send_ms: i64,
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
            send_ms: 17_000,
        }
    }

    /// One send takes at most `timeout_ms` (the sender's timeout).
    pub fn with_send_timeout_ms(mut self, timeout_ms: i64) -> Self {
        self.send_ms = timeout_ms.max(0) + 2_000;
        self
    }

    /// Sends up to `limit` due callbacks, starting none that could run past `until` (a hanging
    /// eHRM endpoint must not hold the caller: the rest wait for the next round).
    pub async fn dispatch(
        &self,
        limit: usize,
        until: Option<Millis>,
    ) -> Result<DispatchReport, StoreError> {
        let mut report = DispatchReport::default();
        let due = self
            .outbox
            .due_callbacks(self.clock.now_ms(), limit)
            .await?;
        let total = due.len();
        for (i, cb) in due.into_iter().enumerate() {
            if until.is_some_and(|u| self.clock.now_ms() + self.send_ms > u) {
                report.deferred = total - i;
                tracing::info!(
                    deferred = report.deferred,
                    "callbacks left for the next round: no time for another send"
                );
                break;
            }
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
