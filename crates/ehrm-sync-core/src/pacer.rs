//! The global BKN call rate (`BKN_RATE_PER_SEC`), shared by every worker and process through a
//! [`RateGate`] in the store.
//!
//! Each call reserves its own slot, at least one interval after the previous slot, then sleeps
//! until it. The interval carries a small margin (`BKN_RATE_MARGIN_MS`, spread over a second's
//! worth of calls) so that scheduling jitter between reservation and the request reaching BKN
//! cannot squeeze more than the rate into any one-second window.
//!
//! BKN's gateway may throttle below the agreed rate. Each `429` cuts this process's pace by a
//! quarter (at most once every two seconds, down to a tenth), and the pace recovers linearly to
//! the configured rate within ten seconds without `429`s: under a lower limit the calls settle
//! near it instead of meeting a `429` every few calls, while the odd `429` of a busy BKN costs
//! almost nothing.

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

/// Slowest pace a run of `429`s can bring a process to, as a share of the configured rate.
const MIN_PACE: f64 = 0.1;
/// What one `429` leaves of the pace.
const CUT: f64 = 0.75;
/// A `429` within this long of the last cut is the same episode.
const CUT_EVERY_MS: i64 = 2_000;
/// The pace recovers from nothing to the configured rate in this long.
const RECOVERY_MS: f64 = 10_000.0;

/// The share of the configured rate this process uses after BKN's `429`s.
#[derive(Clone, Copy, Debug)]
struct Pace {
    share: f64,
    since: i64,
}

impl Pace {
    fn at(&self, now: i64) -> f64 {
        (self.share + (now - self.since).max(0) as f64 / RECOVERY_MS).min(1.0)
    }
}

/// A [`Pacer`] over a shared [`RateGate`].
pub struct GatePacer {
    gate: Arc<dyn RateGate>,
    clock: Arc<dyn Clock>,
    interval_ms: i64,
    pace: Mutex<Pace>,
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
            pace: Mutex::new(Pace {
                share: 1.0,
                since: i64::MIN / 2,
            }),
        }
    }

    /// The spacing of calls at the configured rate.
    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    /// The spacing used now: wider for a while after a `429`.
    pub fn current_interval_ms(&self) -> i64 {
        let share = self
            .pace
            .lock()
            .map_or(1.0, |p| p.at(self.clock.now_ms()))
            .max(MIN_PACE);
        (self.interval_ms as f64 / share).ceil() as i64
    }

    fn slow_down(&self) {
        let now = self.clock.now_ms();
        if let Ok(mut p) = self.pace.lock()
            && now - p.since >= CUT_EVERY_MS
        {
            let share = (p.at(now) * CUT).max(MIN_PACE);
            *p = Pace { share, since: now };
            tracing::info!(
                share_of_rate = share,
                "BKN throttled (429): this process slows down, recovering within seconds"
            );
        }
    }
}

#[async_trait]
impl Pacer for GatePacer {
    async fn wait_turn(&self) -> Result<(), PacerError> {
        let now = self.clock.now_ms();
        let slot = self.gate.reserve(now, self.current_interval_ms()).await?;
        self.clock.sleep_ms(slot - self.clock.now_ms()).await;
        Ok(())
    }

    async fn hold_for(&self, ms: i64) {
        self.slow_down();
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

    #[test]
    fn a_429_slows_the_pace_which_recovers_within_seconds() {
        struct At(std::sync::atomic::AtomicI64);
        impl Clock for At {
            fn now_ms(&self) -> i64 {
                self.0.load(std::sync::atomic::Ordering::Relaxed)
            }
        }
        let clock = Arc::new(At(std::sync::atomic::AtomicI64::new(1_000_000)));
        let pacer = GatePacer::new(Arc::new(MemoryRateGate::default()), clock.clone(), 10.0, 0);
        let tick = |ms| clock.0.fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(pacer.current_interval_ms(), 100);
        pacer.slow_down();
        assert_eq!(pacer.current_interval_ms(), 134);
        pacer.slow_down(); // the same episode: counted once
        assert_eq!(pacer.current_interval_ms(), 134);
        for _ in 0..40 {
            tick(2_000);
            pacer.slow_down();
        }
        // A 429 every two seconds settles the pace near 60 % of the rate.
        let steady = pacer.current_interval_ms();
        assert!((150..=200).contains(&steady), "{steady}");
        tick(10_000);
        assert_eq!(pacer.current_interval_ms(), 100, "recovered");
        let floor = Pace {
            share: MIN_PACE,
            since: 0,
        };
        assert!((floor.at(0) * CUT).max(MIN_PACE) >= MIN_PACE);
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
