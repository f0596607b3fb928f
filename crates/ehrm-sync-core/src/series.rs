//! Time series for operators' charts, written as things happen so that no chart has to scan
//! records or attempts: delivery outcomes per hour (written with each attempt), BKN calls per
//! minute (written with each slot of the rate gate), and the backlog the sweeper found.

use async_trait::async_trait;

use ehrm_sync_domain::record::Millis;

use crate::ports::{AttemptOutcome, StoreError};

pub const HOUR_MS: Millis = 3_600_000;
pub const MINUTE_MS: Millis = 60_000;

/// BKN calls that passed the rate gate, per minute.
pub const BKN_CALLS: &str = "bkn_calls";
/// Records found due by the sweeper (a gauge, per minute).
pub const BACKLOG: &str = "backlog";

/// The series of one attempt outcome, per hour.
pub fn outcome_series(outcome: AttemptOutcome) -> String {
    format!("outcome:{}", outcome.as_str())
}

/// The start of the bucket `at` falls in.
pub fn bucket(at: Millis, width: Millis) -> Millis {
    at.div_euclid(width) * width
}

#[async_trait]
pub trait Series: Send + Sync {
    /// Adds `n` to the bucket starting at `bucket`.
    async fn add_to_series(&self, series: &str, bucket: Millis, n: i64) -> Result<(), StoreError>;
    /// Sets the bucket's value (a gauge).
    async fn set_in_series(
        &self,
        series: &str,
        bucket: Millis,
        value: i64,
    ) -> Result<(), StoreError>;
    /// The buckets in `[from, until)`, oldest first; buckets never written are absent.
    async fn series(
        &self,
        series: &str,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<(Millis, i64)>, StoreError>;
}
