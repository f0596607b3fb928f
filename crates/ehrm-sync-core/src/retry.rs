//! One way to try again, for delivery, outcome callbacks and reconciliation (modelled on svix's
//! `run_with_retries`): the schedule is [`RetryPolicy`] (exponential from a base, ±20 % jitter,
//! capped), waits go through the [`Clock`] port, and the caller says which failures are worth
//! another try and how long it may still wait.
//!
//! Durable retries (a record's or a callback's next attempt, a message's visibility) take their
//! time from [`next_attempt_at`] / [`backoff_ms`]; in-process retries (a reconciliation read) run
//! through [`run_with_retries`].

use std::future::Future;

use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_domain::record::Millis;

use crate::ports::Clock;

/// The wait after failed attempt number `attempt` (1-based), jitter drawn here.
pub fn backoff_ms(policy: &RetryPolicy, attempt: u32) -> i64 {
    policy.delay_ms(attempt.max(1), rand::random::<f64>())
}

/// When the attempt after failed attempt `attempt` is due, or `None` when the attempts are used
/// up (the caller marks the work dead).
pub fn next_attempt_at(policy: &RetryPolicy, attempt: u32, now: Millis) -> Option<Millis> {
    (attempt < policy.max_attempts).then(|| now + backoff_ms(policy, attempt))
}

/// Runs `op` until it succeeds, fails in a way `should_retry` rejects, has used
/// `policy.max_attempts` tries, or the next wait is one `may_wait` refuses (a deadline). The
/// last error is returned in every failing case.
pub async fn run_with_retries<T, E, F, Fut>(
    clock: &dyn Clock,
    policy: &RetryPolicy,
    should_retry: impl Fn(&E) -> bool,
    may_wait: impl Fn(i64) -> bool,
    mut op: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < policy.max_attempts && should_retry(&e) => {
                let wait = backoff_ms(policy, attempt);
                if !may_wait(wait) {
                    return Err(e);
                }
                clock.sleep_ms(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// A clock that only moves when slept on, recording each wait.
    #[derive(Default)]
    struct StepClock {
        now: Mutex<i64>,
        waits: Mutex<Vec<i64>>,
    }

    impl Clock for StepClock {
        fn now_ms(&self) -> Millis {
            *self.now.lock().unwrap()
        }
        fn sleep_ms(
            &self,
            ms: i64,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
            *self.now.lock().unwrap() += ms;
            self.waits.lock().unwrap().push(ms);
            Box::pin(async {})
        }
    }

    const POLICY: RetryPolicy = RetryPolicy {
        base_ms: 1_000,
        max_ms: 10_000,
        max_attempts: 4,
    };

    #[tokio::test]
    async fn retries_transient_failures_with_growing_jittered_waits_then_succeeds() {
        let clock = StepClock::default();
        let calls = AtomicU32::new(0);
        let result: Result<u32, &str> = run_with_retries(
            &clock,
            &POLICY,
            |_| true,
            |_| true,
            || async {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                if n < 3 { Err("timeout") } else { Ok(n) }
            },
        )
        .await;
        assert_eq!(result, Ok(3));
        let waits = clock.waits.lock().unwrap().clone();
        assert_eq!(waits.len(), 2);
        assert!((800..=1_200).contains(&waits[0]), "{waits:?}");
        assert!((1_600..=2_400).contains(&waits[1]), "{waits:?}");
    }

    #[tokio::test]
    async fn stops_at_the_attempt_limit_with_the_last_error() {
        let clock = StepClock::default();
        let calls = AtomicU32::new(0);
        let result: Result<(), u32> = run_with_retries(
            &clock,
            &POLICY,
            |_| true,
            |_| true,
            || async { Err(calls.fetch_add(1, Ordering::SeqCst) + 1) },
        )
        .await;
        assert_eq!(result, Err(4));
        assert_eq!(clock.waits.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_permanent_failure_or_a_wait_past_the_deadline_stops_at_once() {
        let clock = StepClock::default();
        let permanent: Result<(), &str> = run_with_retries(
            &clock,
            &POLICY,
            |e| *e != "refused",
            |_| true,
            || async { Err("refused") },
        )
        .await;
        assert_eq!(permanent, Err("refused"));
        let no_time: Result<(), &str> = run_with_retries(
            &clock,
            &POLICY,
            |_| true,
            |wait| wait < 500,
            || async { Err("timeout") },
        )
        .await;
        assert_eq!(no_time, Err("timeout"));
        assert!(clock.waits.lock().unwrap().is_empty());
    }

    #[test]
    fn the_next_attempt_is_none_once_the_attempts_are_used_up() {
        assert!(next_attempt_at(&POLICY, 3, 0).is_some_and(|t| (3_200..=4_800).contains(&t)));
        assert_eq!(next_attempt_at(&POLICY, 4, 0), None);
    }
}
