//! The global BKN call rate (`BKN_RATE_PER_SEC`), shared by every worker and process through a
//! [`RateGate`] in the store.
//!
//! Each call reserves its own slot, at least one interval after the previous slot, then sleeps
//! until it. The interval carries a small margin (`BKN_RATE_MARGIN_MS`, spread over a second's
//! worth of calls) so that scheduling jitter between reservation and the request reaching BKN
//! cannot squeeze more than the rate into any one-second window.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::ports::{Clock, Pacer, RateGate, StoreError};

/// Why a call could not be given its turn (transient: the call is tried again later).
#[derive(Debug, thiserror::Error)]
pub enum PacerError {
    #[error("rate gate unavailable: {0}")]
    GateUnavailable(#[from] StoreError),
}

/// Spacing between calls for a rate, with the jitter margin.
pub fn interval_ms(rate_per_sec: f64, margin_ms: i64) -> i64 {
    if rate_per_sec <= 0.0 || !rate_per_sec.is_finite() {
        return i64::MAX / 4;
    }
    ((1000.0 + margin_ms.max(0) as f64) / rate_per_sec).ceil() as i64
}

/// A [`Pacer`] over a shared [`RateGate`].
pub struct GatePacer {
    gate: Arc<dyn RateGate>,
    clock: Arc<dyn Clock>,
    interval_ms: i64,
}

impl GatePacer {
    pub fn new(
        gate: Arc<dyn RateGate>,
        clock: Arc<dyn Clock>,
        rate_per_sec: f64,
        margin_ms: i64,
    ) -> Self {
        GatePacer {
            gate,
            clock,
            interval_ms: interval_ms(rate_per_sec, margin_ms),
        }
    }

    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }
}

#[async_trait]
impl Pacer for GatePacer {
    async fn wait_turn(&self) -> Result<(), PacerError> {
        let now = self.clock.now_ms();
        let slot = self.gate.reserve(now, self.interval_ms).await?;
        self.clock.sleep_ms(slot - self.clock.now_ms()).await;
        Ok(())
    }

    async fn hold_for(&self, ms: i64) {
        let until = self.clock.now_ms() + ms.max(0);
        if let Err(e) = self.gate.hold_until(until).await {
            tracing::warn!(error = %e, "could not record BKN's Retry-After in the rate gate");
        }
    }
}

/// A rate gate for one process (tests, single-process tools).
#[derive(Default)]
pub struct MemoryRateGate {
    next: Mutex<i64>,
}

#[async_trait]
impl RateGate for MemoryRateGate {
    async fn reserve(&self, now: i64, interval_ms: i64) -> Result<i64, StoreError> {
        let mut next = self
            .next
            .lock()
            .map_err(|_| StoreError::Unavailable("rate gate lock poisoned".into()))?;
        let slot = (*next).max(now);
        *next = slot + interval_ms;
        Ok(slot)
    }

    async fn hold_until(&self, until: i64) -> Result<(), StoreError> {
        let mut next = self
            .next
            .lock()
            .map_err(|_| StoreError::Unavailable("rate gate lock poisoned".into()))?;
        *next = (*next).max(until);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_leave_a_margin() {
        assert_eq!(interval_ms(1.0, 0), 1000);
        assert_eq!(interval_ms(2.0, 50), 525);
        assert_eq!(interval_ms(0.5, 50), 2100);
        assert!(interval_ms(0.0, 0) > 1_000_000_000);
    }

    #[tokio::test]
    async fn slots_are_spaced_and_holds_push_them_back() {
        let gate = MemoryRateGate::default();
        assert_eq!(gate.reserve(1000, 100).await.ok(), Some(1000));
        assert_eq!(gate.reserve(1000, 100).await.ok(), Some(1100));
        assert_eq!(gate.reserve(1500, 100).await.ok(), Some(1500));
        gate.hold_until(5000).await.ok();
        assert_eq!(gate.reserve(1600, 100).await.ok(), Some(5000));
    }
}
