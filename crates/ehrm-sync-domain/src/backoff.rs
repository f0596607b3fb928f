//! The retry schedule: exponential from a base, ±20 % jitter, capped.

use serde::{Deserialize, Serialize};

/// SQS cannot hide a message longer than 12 hours, so no retry waits longer.
pub const MAX_DELAY_MS: i64 = 12 * 60 * 60 * 1000;

/// How transient failures are retried (`RETRY_BASE_SECONDS`, `RETRY_MAX_SECONDS`,
/// `RETRY_MAX_ATTEMPTS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub base_ms: i64,
    pub max_ms: i64,
    /// Attempts before a record is dead.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_ms: 5_000,
            max_ms: 3_600_000,
            max_attempts: 12,
        }
    }
}

impl RetryPolicy {
    /// Delay before the retry that follows failed attempt number `attempt` (1-based).
    /// `jitter_unit` is uniform in [0, 1): 0 gives −20 %, 0.5 the plain value, 1 gives +20 %.
    pub fn delay_ms(&self, attempt: u32, jitter_unit: f64) -> i64 {
        let exponent = attempt.saturating_sub(1).min(40);
        let plain = (self.base_ms as f64) * 2f64.powi(exponent as i32);
        let factor = 0.8 + 0.4 * jitter_unit.clamp(0.0, 1.0);
        let cap = self.max_ms.clamp(0, MAX_DELAY_MS) as f64;
        (plain.min(cap) * factor).min(cap).max(0.0).round() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_with_bounded_jitter_and_a_cap() {
        let p = RetryPolicy {
            base_ms: 1_000,
            max_ms: 10_000,
            max_attempts: 5,
        };
        let cases = [
            (1, 0.5, 1_000),
            (2, 0.5, 2_000),
            (3, 0.5, 4_000),
            (4, 0.0, 6_400),
            (4, 1.0, 9_600),
            (5, 0.5, 10_000),
            (30, 1.0, 10_000),
        ];
        for (attempt, jitter, expected) in cases {
            assert_eq!(
                p.delay_ms(attempt, jitter),
                expected,
                "attempt {attempt} jitter {jitter}"
            );
        }
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let p = RetryPolicy::default();
        for i in 0..=100 {
            let unit = f64::from(i) / 100.0;
            let d = p.delay_ms(2, unit);
            assert!((8_000..=12_000).contains(&d), "{d}");
        }
    }

    #[test]
    fn never_beyond_sqs_visibility_limit() {
        let p = RetryPolicy {
            base_ms: 1_000,
            max_ms: i64::MAX,
            max_attempts: 100,
        };
        assert_eq!(p.delay_ms(60, 1.0), MAX_DELAY_MS);
    }
}
