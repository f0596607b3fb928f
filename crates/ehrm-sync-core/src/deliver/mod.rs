//! Deliver: push the latest version of one record to BKN SIASN.
//!
//! A message only names a record; the store holds the truth. Per message:
//! 1. take the record's lease (one worker per record; a settled record needs nothing, a
//!    record leased elsewhere or not yet due asks for the message back later);
//! 2. resolve the SIASN PNS id (eHRM's `data.pns_id`, the cache, else data-utama);
//! 3. if BKN's id for the record is unknown, find the record in the employee's riwayat list (by
//!    year, and period) and adopt it — so a create whose answer was lost, or a record entered at
//!    BKN by hand, is updated instead of duplicated; if it already holds this version, stop
//!    there. The list is read once per employee and family and remembered (`lists` says when
//!    a remembered read may serve);
//! 4. save (create or update) or delete;
//! 5. record the outcome on the record (compare-and-swap, the lease token must still be ours)
//!    and in the attempt history.
//!
//! Transient failures come back after the backoff; permanent ones stop at once as `failed`.
//!
//! Each record has one message that carries it (the one whose worker scheduled its next step);
//! duplicates — a message for a record leased elsewhere or not due for a while — are dropped.

use std::sync::Arc;
use std::time::Instant;

use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_domain::record::{
    DeliveryOutcome, LeaseDecision, Millis, RecordKey, SyncRecord, SyncStatus,
};

use crate::breaker::{Breaker, Permit};
use crate::crashpoint::crashpoint;
use crate::ports::{
    AttemptEntry, AttemptOutcome, Bkn, Clock, ControlStore, DeliveryMessage, EhrmDocuments, Metric,
    Metrics, OutcomeObserver, PnsIdCache, StoreError, SyncStore,
};
use crate::sso::SsoDesk;

pub mod families;
pub mod family;
mod jabatan;
mod lists;
mod push;
mod pushed;

use pushed::{Call, Pushed};

/// What to do with the message that triggered a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Delete it: the record is settled, or another message/worker owns what remains.
    Done,
    /// Hide it for this long, then process it again.
    RetryIn { ms: i64 },
}

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// The store failed; the message must come back (transient).
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone, Copy, Debug)]
pub struct DeliverySettings {
    pub retry: RetryPolicy,
    /// Longest lease a worker takes; shortened to the time the worker has left.
    pub lease_ms: i64,
    /// A write to BKN is only started with at least this much lease left (the BKN timeout plus
    /// a margin), so no write can land after the lease passed to another worker.
    pub write_guard_ms: i64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            retry: RetryPolicy::default(),
            lease_ms: 600_000,
            write_guard_ms: 35_000,
        }
    }
}

/// Margin kept before a worker's deadline: no lease runs into it.
const DEADLINE_MARGIN_MS: i64 = 3_000;
const MAX_CAS_ROUNDS: usize = 8;
/// A message back a little before its record's retry time (queue timing is approximate) waits
/// for it; one back much earlier is a duplicate.
const NOT_DUE_TOLERANCE_MS: i64 = 10_000;
/// A record may receive a newer version while being delivered; deliver it at once, a few times.
const MAX_ROUNDS_PER_MESSAGE: usize = 3;
/// While BKN work waits for an SSO token, a message looks again after a quarter of the time
/// waited so far, between these bounds, plus up to half as much again (jitter): right after a
/// token ran out the backlog resumes within seconds of a paste; after a night of waiting,
/// within a minute, without the waiting messages keeping the queue busy.
pub const SSO_RECHECK_MIN_MS: i64 = 4_000;
pub const SSO_RECHECK_MAX_MS: i64 = 40_000;

pub struct DeliveryService {
    store: Arc<dyn SyncStore>,
    pns_ids: Arc<dyn PnsIdCache>,
    bkn: Arc<dyn Bkn>,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
    settings: DeliverySettings,
    observers: Vec<Arc<dyn OutcomeObserver>>,
    breaker: Option<Arc<Breaker>>,
    sso: Option<Arc<SsoDesk>>,
    lists: Option<Arc<dyn crate::ports::RiwayatLists>>,
    one_reader: lists::OneReader,
    documents: Option<Arc<dyn EhrmDocuments>>,
    unit_map: Option<Arc<dyn ControlStore>>,
}

impl DeliveryService {
    pub fn new(
        store: Arc<dyn SyncStore>,
        pns_ids: Arc<dyn PnsIdCache>,
        bkn: Arc<dyn Bkn>,
        clock: Arc<dyn Clock>,
        metrics: Arc<dyn Metrics>,
        settings: DeliverySettings,
    ) -> Self {
        DeliveryService {
            store,
            pns_ids,
            bkn,
            clock,
            metrics,
            settings,
            observers: Vec::new(),
            breaker: None,
            sso: None,
            lists: None,
            one_reader: lists::OneReader::default(),
            documents: None,
            unit_map: None,
        }
    }

    /// Positions' SK documents are read from eHRM here (`docs/ehrm-contract.md`).
    pub fn with_documents(mut self, documents: Arc<dyn EhrmDocuments>) -> Self {
        self.documents = Some(documents);
        self
    }

    /// Positions' units are mapped with eHRM's unit map kept in `controls`
    /// ([`crate::unor_map`]).
    pub fn with_unit_map(mut self, controls: Arc<dyn ControlStore>) -> Self {
        self.unit_map = Some(controls);
        self
    }

    pub fn with_breaker(mut self, breaker: Arc<Breaker>) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// BKN work waits, untouched, while the SSO desk says no usable token is held.
    pub fn with_sso(mut self, sso: Arc<SsoDesk>) -> Self {
        self.sso = Some(sso);
        self
    }

    pub fn with_observer(mut self, observer: Arc<dyn OutcomeObserver>) -> Self {
        self.observers.push(observer);
        self
    }

    pub fn settings(&self) -> DeliverySettings {
        self.settings
    }

    /// Processes one delivery message. `deadline` is when the worker must have finished
    /// (Lambda's deadline); `None` for long-running workers.
    pub async fn process(
        &self,
        msg: &DeliveryMessage,
        deadline: Option<Millis>,
    ) -> Result<Disposition, DeliverError> {
        for _ in 0..MAX_ROUNDS_PER_MESSAGE {
            match self.deliver_once(&msg.key, deadline).await? {
                Round::Again => continue,
                Round::Finished(d) => return Ok(d),
            }
        }
        Ok(Disposition::RetryIn { ms: 0 })
    }

    /// Long because it is the delivery protocol in order — breaker, lease, push, attempt
    /// record, settle — and the order is what keeps the invariants of `docs/architecture.md`.
    async fn deliver_once(
        &self,
        key: &RecordKey,
        deadline: Option<Millis>,
    ) -> Result<Round, DeliverError> {
        let now = self.clock.now_ms();
        let lease_ms = match deadline {
            Some(d) => self.settings.lease_ms.min(d - now - DEADLINE_MARGIN_MS),
            None => self.settings.lease_ms,
        };
        if lease_ms < 1_000 {
            return Ok(Round::Finished(Disposition::RetryIn { ms: 0 }));
        }
        if let Some(sso) = &self.sso
            && let Some((_, waited_ms)) = sso.waited().await?
        {
            // No usable SSO token: the record is not touched, no attempt is spent, BKN is not
            // called; the message comes back and looks again.
            return Ok(Round::Finished(sso_recheck(waited_ms)));
        }
        let permit = match &self.breaker {
            Some(b) => match b.permit().await? {
                Permit::Wait { ms } => {
                    // BKN is known to be down: the record is not touched, no attempt is spent.
                    let jitter = (rand::random::<f64>() * 1_000.0) as i64;
                    return Ok(Round::Finished(Disposition::RetryIn { ms: ms + jitter }));
                }
                p => p,
            },
            None => Permit::Go,
        };
        let (mut rec, version, token) = match self.lease(key, now, lease_ms).await {
            Ok(Leased::Yes(rec, version, token)) => (*rec, version, token),
            Ok(Leased::No(round)) => {
                self.release_probe(&permit).await;
                return Ok(round);
            }
            Err(e) => {
                self.release_probe(&permit).await;
                return Err(e);
            }
        };
        crashpoint("deliver.after_lease");

        let started = Instant::now();
        let lease_until = rec.lease.as_ref().map_or(now, |l| l.until);
        let pushed = self.push(&rec, lease_until).await;
        let elapsed = started.elapsed().as_millis() as i64;
        self.metrics.record(Metric::BknLatency { ms: elapsed });
        crashpoint("deliver.after_bkn_before_store");
        self.report_to_breaker(&permit, &pushed).await;
        if pushed.call == Call::AwaitingSso {
            // The token ran out before a request was made: the lease goes back as it was.
            self.give_back(&mut rec, &token).await?;
            return Ok(Round::Finished(sso_recheck(0)));
        }
        // A probe that finds BKN still down, a call BKN throttled (429), or a write held back
        // because the lease ran short tells about BKN or about timing, not about this record: it
        // spends no attempt, so records cannot go `dead` through a long outage or throttling.
        let attempt_not_spent = match pushed.call {
            Call::NotMade | Call::Throttled | Call::AwaitingSso => true,
            Call::Unavailable { .. } => matches!(permit, Permit::Probe { .. }),
            Call::Answered => false,
        };

        let finished = self
            .finish(&mut rec, &token, version, &pushed, attempt_not_spent)
            .await?;
        let attempt = AttemptEntry {
            record_key: key.to_string(),
            at: now,
            version,
            operation: pushed.ops.clone(),
            outcome: outcome_name(&pushed.outcome),
            http_status: pushed.http_status,
            message: outcome_message(&pushed.outcome),
            duration_ms: elapsed,
        };
        if let Err(e) = self.store.append_attempt(&attempt).await {
            tracing::warn!(record = %key.masked(), error = %e, "attempt history not written");
        }
        crashpoint("deliver.after_store_before_ack");
        let Some(rec) = finished else {
            tracing::warn!(record = %key.masked(), "lease lost during delivery; the new holder continues");
            return Ok(Round::Finished(Disposition::Done));
        };
        tracing::info!(record = %key.masked(), version, status = %rec.status,
            operation = %attempt.operation, http_status = ?pushed.http_status, ms = elapsed,
            "delivery attempt finished");
        self.count(&rec);
        if rec.status.is_settled() {
            for o in &self.observers {
                o.settled(&rec).await;
            }
        }
        Ok(match rec.status {
            SyncStatus::Pending => Round::Again,
            SyncStatus::Retrying => Round::Finished(Disposition::RetryIn {
                ms: rec.next_attempt_at.unwrap_or(now) - self.clock.now_ms(),
            }),
            _ => Round::Finished(Disposition::Done),
        })
    }

    /// Takes the record's lease, or says what to do with the message instead.
    async fn lease(
        &self,
        key: &RecordKey,
        now: Millis,
        lease_ms: i64,
    ) -> Result<Leased, DeliverError> {
        let token = crate::ids::new_token();
        loop {
            let Some(mut rec) = self.store.record(key).await? else {
                tracing::warn!(record = %key.masked(), "message for an unknown record dropped");
                return Ok(Leased::No(Round::Finished(Disposition::Done)));
            };
            let finished = |d| Ok(Leased::No(Round::Finished(d)));
            match rec.lease(now, lease_ms, &token) {
                LeaseDecision::Settled => return finished(Disposition::Done),
                // The lease holder's own message carries the record onwards (and the sweeper
                // recovers a lost one), so extra messages are dropped rather than kept circling
                // and piling up receive counts.
                LeaseDecision::Busy { .. } => return finished(Disposition::Done),
                LeaseDecision::NotDue { at } if at - now > NOT_DUE_TOLERANCE_MS => {
                    return finished(Disposition::Done);
                }
                LeaseDecision::NotDue { at } => {
                    return finished(Disposition::RetryIn { ms: at - now });
                }
                LeaseDecision::Leased { version, .. } => match self.store.put_record(&rec).await {
                    Ok(()) => {
                        rec.revision += 1;
                        return Ok(Leased::Yes(Box::new(rec), version, token));
                    }
                    Err(StoreError::Conflict) => continue,
                    Err(e) => return Err(e.into()),
                },
            }
        }
    }

    async fn release_probe(&self, permit: &Permit) {
        if let Some(b) = &self.breaker
            && let Err(e) = b.release(permit).await
        {
            tracing::warn!(error = %e, "breaker probe not released; it expires by itself");
        }
    }

    async fn report_to_breaker(&self, permit: &Permit, pushed: &Pushed) {
        let Some(b) = &self.breaker else { return };
        let Some(answer) = pushed.call.for_breaker() else {
            self.release_probe(permit).await;
            return;
        };
        if let Err(e) = b.record(permit, &answer).await {
            tracing::warn!(error = %e, "breaker not updated");
        }
    }

    /// Returns the lease without an attempt (no request was made), due again after the SSO
    /// re-check; nothing to do if the lease was lost meanwhile.
    async fn give_back(&self, rec: &mut SyncRecord, token: &str) -> Result<(), DeliverError> {
        for _ in 0..MAX_CAS_ROUNDS {
            let now = self.clock.now_ms();
            let mut candidate = rec.clone();
            if candidate
                .release(token, now + SSO_RECHECK_MIN_MS, now)
                .is_err()
            {
                return Ok(());
            }
            match self.store.put_record(&candidate).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict) => match self.store.record(&rec.key).await? {
                    Some(fresh) => *rec = fresh,
                    None => return Ok(()),
                },
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Applies the outcome under compare-and-swap; `None` if our lease was lost meanwhile.
    async fn finish(
        &self,
        rec: &mut SyncRecord,
        token: &str,
        version: u64,
        pushed: &Pushed,
        attempt_not_spent: bool,
    ) -> Result<Option<SyncRecord>, DeliverError> {
        for _ in 0..MAX_CAS_ROUNDS {
            let mut candidate = rec.clone();
            if attempt_not_spent {
                // finish_delivery counts the attempt; a failed probe is given it back first.
                candidate.attempts = candidate.attempts.saturating_sub(1);
            }
            if let Some(pns) = &pushed.pns {
                candidate.siasn_pns_id = Some(pns.id().to_string());
            }
            if let Some(progress) = &pushed.progress
                && candidate.lease.as_ref().is_some_and(|l| l.token == token)
            {
                candidate.note_progress(progress);
            }
            let jitter: f64 = rand::random();
            if candidate
                .finish_delivery(
                    token,
                    version,
                    &pushed.outcome,
                    &self.settings.retry,
                    jitter,
                    self.clock.now_ms(),
                )
                .is_err()
            {
                return Ok(None);
            }
            match self.store.put_record(&candidate).await {
                Ok(()) => {
                    candidate.revision += 1;
                    return Ok(Some(candidate));
                }
                Err(StoreError::Conflict) => match self.store.record(&rec.key).await? {
                    Some(fresh) => *rec = fresh,
                    None => return Ok(None),
                },
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Unavailable(
            "the record kept changing while its outcome was written".into(),
        )
        .into())
    }

    fn count(&self, rec: &SyncRecord) {
        let metric = match rec.status {
            SyncStatus::Synced => Metric::Delivered,
            SyncStatus::Retrying => Metric::Retried,
            SyncStatus::Failed => Metric::Failed,
            SyncStatus::Dead => Metric::Dead,
            SyncStatus::NeedsAction => Metric::NeedsAction,
            _ => return,
        };
        self.metrics.record(metric);
    }
}

/// When a message waiting for an SSO token (for `waited_ms` so far) looks again.
fn sso_recheck(waited_ms: i64) -> Disposition {
    let base = (waited_ms / 4).clamp(SSO_RECHECK_MIN_MS, SSO_RECHECK_MAX_MS);
    let jitter = (rand::random::<f64>() * base as f64 / 2.0) as i64;
    Disposition::RetryIn { ms: base + jitter }
}

enum Round {
    Again,
    Finished(Disposition),
}

enum Leased {
    Yes(Box<SyncRecord>, u64, String),
    No(Round),
}

fn outcome_name(o: &DeliveryOutcome) -> AttemptOutcome {
    match o {
        DeliveryOutcome::Delivered { .. } => AttemptOutcome::Delivered,
        DeliveryOutcome::NeedsAction { .. } => AttemptOutcome::NeedsAction,
        DeliveryOutcome::Transient { .. } => AttemptOutcome::Transient,
        DeliveryOutcome::Permanent { .. } => AttemptOutcome::Permanent,
    }
}

fn outcome_message(o: &DeliveryOutcome) -> Option<String> {
    match o {
        DeliveryOutcome::Delivered { .. } => None,
        DeliveryOutcome::NeedsAction { reason } => Some(reason.clone()),
        DeliveryOutcome::Transient { error, .. } | DeliveryOutcome::Permanent { error } => {
            Some(error.clone())
        }
    }
}
