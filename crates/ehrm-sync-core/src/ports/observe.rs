//! What operators watch and what HR officers note: the metrics the services count, the chart
//! series written as things happen (so no chart scans records or attempts), and the follow-up
//! marks of findings (tindak lanjut).
//!
//! A mark is keyed by the finding's stable id ([`Discrepancy::finding_id`]) so that it carries
//! over to the next run while the same difference persists, and drops off once it is fixed.
//!
//! [`Discrepancy::finding_id`]: ehrm_sync_domain::reconcile::Discrepancy::finding_id

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use ehrm_sync_domain::record::Millis;

use super::store::{AttemptOutcome, StoreError};

/// What the services count. Adapters render them (CloudWatch EMF on Lambda, logs locally).
#[derive(Clone, Debug, PartialEq)]
pub enum Metric<'a> {
    Accepted,
    Duplicate,
    Stale,
    Rejected {
        reason: &'a str,
    },
    Delivered,
    Retried,
    Failed,
    Dead,
    NeedsAction,
    BknLatency {
        ms: i64,
    },
    /// Seconds until the SSO login ends without an operator (0 while BKN work waits).
    SsoSecondsLeft {
        seconds: i64,
    },
}

pub trait Metrics: Send + Sync {
    fn record(&self, metric: Metric<'_>);
}

// ---------------------------------------------------------------------------------------------
// Chart series: delivery outcomes per hour (written with each attempt), BKN calls per minute
// (written with each slot of the rate gate), and the backlog the sweeper found.

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

// ---------------------------------------------------------------------------------------------
// Follow-up marks

/// Where a finding stands. New findings are `open`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkState {
    Open,
    Handled,
    Ignored,
}

impl MarkState {
    pub const ALL: [MarkState; 3] = [MarkState::Open, MarkState::Handled, MarkState::Ignored];

    /// `(Indonesian, English)` words.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            MarkState::Open => ("terbuka", "open"),
            MarkState::Handled => ("sudah ditangani", "handled"),
            MarkState::Ignored => ("diabaikan", "ignored"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MarkState::Open => "open",
            MarkState::Handled => "handled",
            MarkState::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The latest mark of one finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingMark {
    pub finding_id: String,
    pub state: MarkState,
    pub note: String,
    /// The console user who set it.
    pub by: String,
    pub at: Millis,
}

/// Longest note kept (characters).
pub const MAX_NOTE_CHARS: usize = 1_000;

/// The marks, one per finding (a new mark replaces the old one).
#[async_trait]
pub trait FindingMarks: Send + Sync {
    async fn put_mark(&self, mark: &FindingMark) -> Result<(), StoreError>;
    /// Every mark (a ministry's marks number in the thousands, not millions).
    async fn marks(&self) -> Result<Vec<FindingMark>, StoreError>;
}
