//! How long a test may wait, and waiting for a condition rather than for a fixed time.
//!
//! A test never sleeps a fixed time and then checks: it polls a condition until a deadline.
//! The deadline is what the scenario needs on an idle machine (derived from the configured
//! backoff, cool-downs and rate) times a patience factor, so a machine busy with other work
//! only makes the test slower, never red. Waits return as soon as the condition holds, so a
//! generous deadline costs nothing when all is well.

use std::future::Future;
use std::time::{Duration, Instant};

/// The default factor: measured to be enough with two CPU-bound processes beside the test step
/// on a 2-core machine (see `docs/testing.md`).
const DEFAULT_PATIENCE: f64 = 4.0;

/// The patience factor: `TEST_PATIENCE` if set to a number of at least 1, else 4.
pub fn factor() -> f64 {
    std::env::var("TEST_PATIENCE")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f >= 1.0)
        .unwrap_or(DEFAULT_PATIENCE)
}

/// `idle` (what the wait takes on an idle machine, with its margins) stretched by [`factor`].
pub fn within(idle: Duration) -> Duration {
    idle.mul_f64(factor())
}

/// [`within`] of `secs` seconds.
pub fn secs(secs: u64) -> Duration {
    within(Duration::from_secs(secs))
}

/// Polls `check` every `poll` until it returns `Some`, or until `timeout` has passed; the last
/// answer is returned either way (`None` when the condition never held).
pub async fn poll_until<T, F, Fut>(timeout: Duration, poll: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(poll).await;
    }
}

/// Waits until `check` holds (polled every 100 ms), at most `timeout`; whether it held.
pub async fn until<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    poll_until(timeout, Duration::from_millis(100), || {
        let fut = check();
        async move { fut.await.then_some(()) }
    })
    .await
    .is_some()
}
