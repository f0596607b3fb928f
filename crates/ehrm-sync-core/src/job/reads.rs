//! A step's reads: BKN through the shared breaker (the rate gate is the BKN client's), eHRM
//! directly, each tried again on transient failures while the invocation's deadline allows.
//! eHRM is tried again after 0.5 s, 1 s, … (with jitter); BKN after 1 s, 2 s, … .

use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_domain::record::Millis;

use super::{Engine, Halt};
use crate::breaker::CallError;
use crate::ports::{BknError, SourceError};
use crate::retry::run_with_retries;

const EHRM_FIRST_PAUSE_MS: i64 = 500;
const BKN_FIRST_PAUSE_MS: i64 = 1_000;
const LONGEST_PAUSE_MS: i64 = 30_000;

/// A BKN read that brought no answer worth keeping.
#[derive(Debug)]
pub enum ReadFailure {
    /// BKN refused this read (not found, a rule): the caller notes it and goes on.
    Refused(BknError),
    /// BKN is unavailable for longer than the invocation has: the run halts.
    Halted(Halt),
}

/// What a step may do within its invocation.
pub struct Turn<'a> {
    engine: &'a Engine,
    deadline: Option<Millis>,
}

impl<'a> Turn<'a> {
    pub(super) fn new(engine: &'a Engine, deadline: Option<Millis>) -> Self {
        Turn { engine, deadline }
    }

    pub fn deadline(&self) -> Option<Millis> {
        self.deadline
    }

    pub fn now_ms(&self) -> Millis {
        self.engine.clock.now_ms()
    }

    /// Whether less than `reserve_ms` (plus the margin) is left, or a cancel came.
    pub fn out_of_time(&self, reserve_ms: i64) -> bool {
        self.engine.out_of_time(self.deadline, reserve_ms)
    }

    fn policy(&self, first_pause_ms: i64) -> RetryPolicy {
        RetryPolicy {
            base_ms: first_pause_ms,
            max_ms: LONGEST_PAUSE_MS,
            max_attempts: self.engine.settings.read_tries.max(1),
        }
    }

    /// An eHRM read, tried again on transient failures; the last failure when they are used up
    /// or the failure is permanent.
    pub async fn ehrm<T, F, Fut>(&self, read: F) -> Result<T, SourceError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, SourceError>>,
    {
        run_with_retries(
            self.engine.clock.as_ref(),
            &self.policy(EHRM_FIRST_PAUSE_MS),
            |e: &SourceError| e.transient,
            |_| true,
            read,
        )
        .await
    }

    /// A BKN read through the breaker (when there is one), tried again on transient failures
    /// while the deadline allows.
    pub async fn bkn<T, F, Fut>(&self, read: F) -> Result<T, ReadFailure>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, BknError>>,
    {
        let may_wait = |ms: i64| !self.out_of_time(ms);
        let outcome = run_with_retries(
            self.engine.clock.as_ref(),
            &self.policy(BKN_FIRST_PAUSE_MS),
            |e: &CallError| {
                matches!(e, CallError::Bkn(b) if b.is_transient() && b.awaiting_sso().is_none())
            },
            may_wait,
            || async {
                match &self.engine.breaker {
                    Some(b) => b.call(may_wait, &read).await,
                    None => read().await.map_err(CallError::Bkn),
                }
            },
        )
        .await;
        outcome.map_err(|e| match e {
            CallError::Bkn(b) => match b.awaiting_sso() {
                Some(reason) => ReadFailure::Halted(Halt::AwaitingSso(reason)),
                None if !b.is_transient() => ReadFailure::Refused(b),
                None => ReadFailure::Halted(Halt::BknUnavailable(b.message)),
            },
            CallError::NotCalled(n) => ReadFailure::Halted(Halt::BknUnavailable(n.to_string())),
        })
    }
}
