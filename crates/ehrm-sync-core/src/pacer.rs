//! Pacing BKN calls: [`GatePacer`] waits for each call's slot in the shared schedule (the
//! [`RateGate`] port, whose state and adaptive rate are the domain's pure policy:
//! [`ehrm_sync_domain::rate`]) and tells the gate of BKN's `429`s and `Retry-After`s;
//! [`MemoryRateGate`] keeps the schedule for one process (tests, single-process tools).

use async_trait::async_trait;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use ehrm_sync_domain::rate::{GateState, RatePolicy, hold};
use ehrm_sync_domain::record::Millis;

use crate::ports::{Clock, Pacer, PacerError, RateGate, StoreError};

/// A [`Pacer`] over a shared [`RateGate`].
pub struct GatePacer {
    gate: Arc<dyn RateGate>,
    clock: Arc<dyn Clock>,
    policy: RatePolicy,
    /// The latest hold this process learnt of (a `429` or `Retry-After` answered to one of its
    /// calls): a worker waking for a slot reserved before it takes a new slot instead of
    /// sending into the throttle.
    held_until: AtomicI64,
}

/// A worker takes a new slot at most this often in a row when holds keep arriving.
const RESERVE_AGAIN_MAX: usize = 3;

impl GatePacer {
    pub fn new(gate: Arc<dyn RateGate>, clock: Arc<dyn Clock>, policy: RatePolicy) -> Self {
        GatePacer {
            gate,
            clock,
            policy,
            held_until: AtomicI64::new(i64::MIN),
        }
    }

    pub fn policy(&self) -> RatePolicy {
        self.policy
    }
}

#[async_trait]
impl Pacer for GatePacer {
    async fn wait_turn(&self) -> Result<Millis, PacerError> {
        let mut slot = 0;
        for _ in 0..RESERVE_AGAIN_MAX {
            let now = self.clock.now_ms();
            slot = self.gate.reserve(now, &self.policy).await?;
            self.clock.sleep_ms(slot - self.clock.now_ms()).await;
            if self.held_until.load(Ordering::Relaxed) <= slot {
                break;
            }
        }
        Ok(slot)
    }

    async fn throttled(&self, slot: Option<Millis>, retry_after_ms: Option<i64>) {
        let now = self.clock.now_ms();
        let until = now + retry_after_ms.unwrap_or(0).max(0);
        self.held_until
            .fetch_max(until.max(now + 1), Ordering::Relaxed);
        if let Err(e) = self.gate.throttled(now, slot, until, &self.policy).await {
            tracing::warn!(error = %e, "could not record BKN's 429 in the rate gate");
        }
    }

    async fn hold_for(&self, ms: i64) {
        let now = self.clock.now_ms();
        self.held_until
            .fetch_max(now + ms.max(0), Ordering::Relaxed);
        let policy = self.policy;
        if let Err(e) = self.gate.hold_until(now + ms.max(0), &policy).await {
            tracing::warn!(error = %e, "could not record BKN's Retry-After in the rate gate");
        }
    }
}

/// A rate gate for one process (tests, single-process tools).
#[derive(Default)]
pub struct MemoryRateGate {
    state: Mutex<Option<GateState>>,
}

impl MemoryRateGate {
    fn update<T>(
        &self,
        f: impl FnOnce(Option<GateState>) -> (GateState, T),
    ) -> Result<T, StoreError> {
        let mut guard = self
            .state
            .lock()
            .map_err(|_| StoreError::Unavailable("rate gate lock poisoned".into()))?;
        let (next, out) = f(guard.take());
        *guard = Some(next);
        Ok(out)
    }
}

#[async_trait]
impl RateGate for MemoryRateGate {
    async fn reserve(&self, now: Millis, policy: &RatePolicy) -> Result<Millis, StoreError> {
        self.update(|st| policy.reserve(st, now))
    }

    async fn throttled(
        &self,
        now: Millis,
        slot: Option<Millis>,
        hold_until: Millis,
        policy: &RatePolicy,
    ) -> Result<(), StoreError> {
        self.update(|st| (policy.throttled(st, now, slot, hold_until), ()))
    }

    async fn hold_until(&self, until: Millis, policy: &RatePolicy) -> Result<(), StoreError> {
        self.update(|st| (hold(policy, st, until), ()))
    }

    async fn gate_state(&self) -> Result<Option<GateState>, StoreError> {
        self.state
            .lock()
            .map(|g| g.clone())
            .map_err(|_| StoreError::Unavailable("rate gate lock poisoned".into()))
    }
}
