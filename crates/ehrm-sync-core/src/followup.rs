//! Follow-up of reconciliation findings (tindak lanjut): what an HR officer did about a finding,
//! keyed by the finding's stable id ([`Discrepancy::finding_id`]) so that the mark carries over
//! to the next run while the same difference persists, and drops off once it is fixed (the
//! finding, and with it its id, no longer appears).
//!
//! [`Discrepancy::finding_id`]: ehrm_sync_domain::reconcile::Discrepancy::finding_id

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use ehrm_sync_domain::record::Millis;

use crate::ports::StoreError;

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
