//! The circuit breaker on BKN, shared by every worker through the store.
//!
//! * **Closed**: calls go ahead. Consecutive transient failures are counted (a `SUSPENDED`
//!   answer counts as the whole threshold at once); at `failure_threshold` it opens.
//! * **Open** until `retry_at`: no worker calls BKN, no record is leased and no attempt is spent,
//!   so records cannot go `dead` during an outage; their messages wait for `retry_at`.
//! * **Half-open**: after `retry_at` one worker wins the probe (compare-and-swap); the others
//!   keep waiting. If the probe's delivery reaches BKN (even to be refused), the breaker closes
//!   and the backlog drains at the rate gate's pace; if not, it opens again for twice as long
//!   (up to `max_cooldown_ms`).
//!
//! Every open and close is appended to the `breaker` event stream with its time and reason.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use ehrm_sync_domain::record::Millis;

use crate::ports::{BknError, BknErrorKind, Clock, ControlStore, StoreError};

pub const CONTROL_NAME: &str = "breaker/bkn";
/// While a probe is out, other workers look again this often (not after the probe's whole turn),
/// so the backlog resumes right after a successful probe.
const HALF_OPEN_POLL_MS: i64 = 2_000;
pub const EVENT_STREAM: &str = "breaker";
const MAX_CAS_ROUNDS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerSettings {
    pub failure_threshold: u32,
    pub cooldown_ms: i64,
    pub max_cooldown_ms: i64,
    /// How long a probe may take before another worker may probe instead.
    pub probe_ttl_ms: i64,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failure_threshold: 5,
            cooldown_ms: 10_000,
            // Recovery is noticed within this long; probing BKN this often costs nothing.
            max_cooldown_ms: 30_000,
            probe_ttl_ms: 120_000,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerMode {
    Closed,
    Open,
    HalfOpen,
}

/// The shared state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerState {
    pub mode: BreakerMode,
    pub consecutive_failures: u32,
    /// Open: when a probe may be tried. Half-open: when the probe's turn expires.
    pub retry_at: Option<Millis>,
    pub cooldown_ms: i64,
    pub probe_token: Option<String>,
    pub reason: Option<String>,
    pub changed_at: Millis,
}

impl BreakerState {
    fn closed(now: Millis) -> Self {
        BreakerState {
            mode: BreakerMode::Closed,
            consecutive_failures: 0,
            retry_at: None,
            cooldown_ms: 0,
            probe_token: None,
            reason: None,
            changed_at: now,
        }
    }
}

/// One open or close of the breaker, kept in the `breaker` event stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum BreakerEvent {
    Opened {
        reason: Option<String>,
        retry_at: Option<Millis>,
        consecutive_failures: u32,
    },
    Closed {
        was_open_ms: i64,
        reason: String,
    },
}

/// Whether a worker may call BKN now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permit {
    /// Closed: go ahead.
    Go,
    /// This worker holds the probe.
    Probe { token: String },
    /// Wait this long without calling BKN.
    Wait { ms: i64 },
}

/// How a delivery that was allowed through went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallResult {
    /// BKN answered (accepted or refused the data): it is up.
    Answered,
    /// It did not (timeout, 5xx, connection failure…).
    Unavailable { reason: String, suspended: bool },
}

impl CallResult {
    /// The one reading of BKN's answers for the breaker, for delivery and reconciliation alike:
    /// a transient failure means BKN is down, except a `429`, which BKN sends while it is up
    /// (the rate gate slows down for it instead). `SUSPENDED` comes from the client's
    /// classification of the answer, never from the message text. `None` when no request was
    /// made (no SSO token to make it with): that says nothing about BKN.
    pub fn of<T>(result: &Result<T, BknError>) -> Option<CallResult> {
        match result {
            Err(e) => match e.kind {
                BknErrorKind::Transient { suspended, .. } => Some(CallResult::Unavailable {
                    reason: e.message.clone(),
                    suspended,
                }),
                BknErrorKind::Throttled { .. } | BknErrorKind::Permanent => {
                    Some(CallResult::Answered)
                }
                BknErrorKind::AwaitingSso { .. } => None,
            },
            Ok(_) => Some(CallResult::Answered),
        }
    }
}

/// Why a call through [`Breaker::call`] was not made.
#[derive(Debug, thiserror::Error)]
pub enum NotCalled {
    /// The breaker is open and it will not close within the time the caller has.
    #[error("BKN is unavailable (circuit breaker open)")]
    Open,
    #[error("the breaker's state cannot be read: {0}")]
    Store(#[from] StoreError),
}

/// A call through the breaker that brought no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Not made: the breaker stayed open, or its state could not be read.
    #[error(transparent)]
    NotCalled(#[from] NotCalled),
    /// Made, and BKN's answer was a failure (transient or a refusal).
    #[error(transparent)]
    Bkn(BknError),
}

pub struct Breaker {
    store: Arc<dyn ControlStore>,
    clock: Arc<dyn Clock>,
    settings: BreakerSettings,
}

impl Breaker {
    pub fn new(
        store: Arc<dyn ControlStore>,
        clock: Arc<dyn Clock>,
        settings: BreakerSettings,
    ) -> Self {
        Breaker {
            store,
            clock,
            settings,
        }
    }

    async fn load(&self) -> Result<(BreakerState, u64), StoreError> {
        let now = self.clock.now_ms();
        Ok(match self.store.control(CONTROL_NAME).await? {
            Some(c) => (
                serde_json::from_value(c.value).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                c.revision,
            ),
            None => (BreakerState::closed(now), 0),
        })
    }

    async fn save(&self, state: &BreakerState, revision: u64) -> Result<(), StoreError> {
        let value = serde_json::to_value(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store.put_control(CONTROL_NAME, &value, revision).await
    }

    /// The current state, for operators.
    pub async fn state(&self) -> Result<BreakerState, StoreError> {
        Ok(self.load().await?.0)
    }

    /// Asks whether BKN may be called now.
    pub async fn permit(&self) -> Result<Permit, StoreError> {
        for _ in 0..MAX_CAS_ROUNDS {
            let now = self.clock.now_ms();
            let (mut state, revision) = self.load().await?;
            let retry_at = state.retry_at.unwrap_or(now);
            match state.mode {
                BreakerMode::Closed => return Ok(Permit::Go),
                BreakerMode::Open if retry_at > now => {
                    return Ok(Permit::Wait { ms: retry_at - now });
                }
                BreakerMode::HalfOpen if retry_at > now => {
                    return Ok(Permit::Wait {
                        ms: (retry_at - now).min(HALF_OPEN_POLL_MS),
                    });
                }
                _ => {
                    // Time for a probe (or the last probe's turn expired): try to take it.
                    let token = crate::ids::new_token();
                    state.mode = BreakerMode::HalfOpen;
                    state.probe_token = Some(token.clone());
                    state.retry_at = Some(now + self.settings.probe_ttl_ms);
                    match self.save(&state, revision).await {
                        Ok(()) => return Ok(Permit::Probe { token }),
                        Err(StoreError::Conflict) => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(Permit::Wait { ms: 1_000 })
    }

    /// Gives an unused probe back (its record needed no call), so another worker probes now.
    pub async fn release(&self, permit: &Permit) -> Result<(), StoreError> {
        let Permit::Probe { token } = permit else {
            return Ok(());
        };
        for _ in 0..MAX_CAS_ROUNDS {
            let (mut state, revision) = self.load().await?;
            if state.mode != BreakerMode::HalfOpen
                || state.probe_token.as_deref() != Some(token.as_str())
            {
                return Ok(());
            }
            state.probe_token = None;
            state.retry_at = Some(self.clock.now_ms());
            match self.save(&state, revision).await {
                Err(StoreError::Conflict) => continue,
                other => return other,
            }
        }
        Ok(())
    }

    /// Reports how an allowed delivery went.
    /// One call to BKN through the breaker: waits while the breaker is open (as long as
    /// `may_wait` allows), makes the call, and reports the answer. Waiting spends no attempt.
    pub async fn call<T, F, Fut>(
        &self,
        may_wait: impl Fn(i64) -> bool,
        call: F,
    ) -> Result<T, CallError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, BknError>>,
    {
        let permit = loop {
            let permit = self.permit().await.map_err(NotCalled::Store)?;
            match permit {
                Permit::Wait { ms } if may_wait(ms) => self.clock.sleep_ms(ms).await,
                Permit::Wait { .. } => return Err(CallError::NotCalled(NotCalled::Open)),
                p => break p,
            }
        };
        let result = call().await;
        let updated = match CallResult::of(&result) {
            Some(answer) => self.record(&permit, &answer).await,
            None => self.release(&permit).await,
        };
        if let Err(e) = updated {
            tracing::warn!(error = %e, "breaker not updated");
        }
        result.map_err(CallError::Bkn)
    }

    pub async fn record(&self, permit: &Permit, result: &CallResult) -> Result<(), StoreError> {
        for _ in 0..MAX_CAS_ROUNDS {
            let now = self.clock.now_ms();
            let (state, revision) = self.load().await?;
            let Some(next) = self.next_state(&state, permit, result, now) else {
                return Ok(());
            };
            match self.save(&next, revision).await {
                Ok(()) => {
                    if next.mode != state.mode {
                        self.announce(&state, &next, now).await;
                    }
                    return Ok(());
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The state after `result`, or `None` when nothing changes (no write).
    fn next_state(
        &self,
        state: &BreakerState,
        permit: &Permit,
        result: &CallResult,
        now: Millis,
    ) -> Option<BreakerState> {
        let s = &self.settings;
        let probing = matches!(permit, Permit::Probe { token } if state.probe_token.as_deref() == Some(token.as_str()));
        match (state.mode, result) {
            (BreakerMode::Closed, CallResult::Answered) if state.consecutive_failures == 0 => None,
            (BreakerMode::Closed, CallResult::Answered) => Some(BreakerState {
                consecutive_failures: 0,
                ..state.clone()
            }),
            (BreakerMode::Closed, CallResult::Unavailable { reason, suspended }) => {
                let failures = if *suspended {
                    s.failure_threshold
                } else {
                    state.consecutive_failures + 1
                };
                if failures >= s.failure_threshold {
                    Some(BreakerState {
                        mode: BreakerMode::Open,
                        consecutive_failures: failures,
                        retry_at: Some(now + s.cooldown_ms),
                        cooldown_ms: s.cooldown_ms,
                        probe_token: None,
                        reason: Some(reason.clone()),
                        changed_at: now,
                    })
                } else {
                    Some(BreakerState {
                        consecutive_failures: failures,
                        ..state.clone()
                    })
                }
            }
            (BreakerMode::HalfOpen, CallResult::Answered) if probing => {
                Some(BreakerState::closed(now))
            }
            (BreakerMode::HalfOpen, CallResult::Unavailable { reason, .. }) if probing => {
                let cooldown = (state.cooldown_ms.max(s.cooldown_ms) * 2).min(s.max_cooldown_ms);
                Some(BreakerState {
                    mode: BreakerMode::Open,
                    consecutive_failures: state.consecutive_failures + 1,
                    retry_at: Some(now + cooldown),
                    cooldown_ms: cooldown,
                    probe_token: None,
                    reason: Some(reason.clone()),
                    changed_at: now,
                })
            }
            // A delivery that started before the breaker opened reports late; an answer from BKN
            // is still news that it is up.
            (BreakerMode::Open | BreakerMode::HalfOpen, CallResult::Answered) => {
                Some(BreakerState::closed(now))
            }
            _ => None,
        }
    }

    async fn announce(&self, before: &BreakerState, after: &BreakerState, now: Millis) {
        let event = match after.mode {
            BreakerMode::Open => BreakerEvent::Opened {
                reason: after.reason.clone(),
                retry_at: after.retry_at,
                consecutive_failures: after.consecutive_failures,
            },
            BreakerMode::Closed => BreakerEvent::Closed {
                was_open_ms: now - before.changed_at,
                reason: "BKN answered again".into(),
            },
            BreakerMode::HalfOpen => return,
        };
        let Ok(event) = serde_json::to_value(&event) else {
            return;
        };
        match after.mode {
            BreakerMode::Open => {
                tracing::warn!(
                    reason = after.reason.as_deref().unwrap_or("-"),
                    "BKN circuit breaker opened: deliveries wait"
                )
            }
            _ => tracing::info!("BKN circuit breaker closed: deliveries resume"),
        }
        if let Err(e) = self.store.append_event(EVENT_STREAM, now, &event).await {
            tracing::warn!(error = %e, "breaker event not recorded");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    use crate::test_support::{FakeClock, MemControls};

    fn down(reason: &str) -> CallResult {
        CallResult::Unavailable {
            reason: reason.into(),
            suspended: false,
        }
    }

    #[tokio::test]
    async fn opens_after_repeated_failures_probes_once_and_closes() {
        let clock = Arc::new(FakeClock(Mutex::new(1_000)));
        let store = Arc::new(MemControls::default());
        let b = Breaker::new(
            store.clone(),
            clock.clone(),
            BreakerSettings {
                failure_threshold: 3,
                cooldown_ms: 10_000,
                max_cooldown_ms: 40_000,
                probe_ttl_ms: 5_000,
            },
        );
        for _ in 0..2 {
            assert_eq!(b.permit().await.ok(), Some(Permit::Go));
            b.record(&Permit::Go, &down("timeout")).await.ok();
        }
        b.record(&Permit::Go, &CallResult::Answered).await.ok();
        assert_eq!(
            b.state().await.ok().map(|s| s.consecutive_failures),
            Some(0),
            "an answer resets the count"
        );
        for _ in 0..3 {
            b.record(&Permit::Go, &down("timeout")).await.ok();
        }
        assert_eq!(
            b.permit().await.ok(),
            Some(Permit::Wait { ms: 10_000 }),
            "open: wait the cooldown"
        );
        *clock.0.lock().expect("clock") += 10_000;
        let probe = b.permit().await.expect("answers");
        assert!(matches!(probe, Permit::Probe { .. }));
        assert_eq!(
            b.permit().await.ok(),
            Some(Permit::Wait { ms: 2_000 }),
            "only one probe at a time; others look again soon"
        );
        // The probe fails: open again for twice as long.
        b.record(&probe, &down("still down")).await.ok();
        assert_eq!(b.permit().await.ok(), Some(Permit::Wait { ms: 20_000 }));
        *clock.0.lock().expect("clock") += 20_000;
        let probe = b.permit().await.expect("answers");
        b.record(&probe, &CallResult::Answered).await.ok();
        assert_eq!(b.permit().await.ok(), Some(Permit::Go), "closed again");
        let events = store.events.lock().expect("events").clone();
        let kinds: Vec<&str> = events
            .iter()
            .filter_map(|(_, _, e)| e["event"].as_str())
            .collect();
        assert_eq!(kinds, ["opened", "opened", "closed"]);
        assert_eq!(events[0].2["reason"], "timeout");
    }

    #[tokio::test]
    async fn suspended_opens_at_once() {
        let clock = Arc::new(FakeClock(Mutex::new(0)));
        let b = Breaker::new(
            Arc::new(MemControls::default()),
            clock,
            BreakerSettings::default(),
        );
        b.record(
            &Permit::Go,
            &CallResult::Unavailable {
                reason: "SUSPENDED".into(),
                suspended: true,
            },
        )
        .await
        .ok();
        assert!(matches!(b.permit().await, Ok(Permit::Wait { .. })));
    }

    #[tokio::test]
    async fn an_unused_probe_is_handed_on_at_once() {
        let clock = Arc::new(FakeClock(Mutex::new(0)));
        let settings = BreakerSettings {
            failure_threshold: 1,
            cooldown_ms: 100,
            max_cooldown_ms: 1000,
            probe_ttl_ms: 60_000,
        };
        let b = Breaker::new(Arc::new(MemControls::default()), clock.clone(), settings);
        b.record(&Permit::Go, &down("x")).await.ok();
        *clock.0.lock().expect("clock") += 100;
        let probe = b.permit().await.expect("answers");
        b.release(&probe).await.ok();
        assert!(matches!(b.permit().await, Ok(Permit::Probe { .. })));
    }

    #[tokio::test]
    async fn an_expired_probe_can_be_taken_over() {
        let clock = Arc::new(FakeClock(Mutex::new(0)));
        let settings = BreakerSettings {
            failure_threshold: 1,
            cooldown_ms: 100,
            max_cooldown_ms: 1000,
            probe_ttl_ms: 500,
        };
        let b = Breaker::new(Arc::new(MemControls::default()), clock.clone(), settings);
        b.record(&Permit::Go, &down("x")).await.ok();
        *clock.0.lock().expect("clock") += 100;
        assert!(matches!(b.permit().await, Ok(Permit::Probe { .. })));
        *clock.0.lock().expect("clock") += 500;
        assert!(
            matches!(b.permit().await, Ok(Permit::Probe { .. })),
            "the first prober died"
        );
    }
}
