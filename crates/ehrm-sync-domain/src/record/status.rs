//! Where a record stands in its delivery to BKN.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a record stands on its way to BKN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SyncStatus {
    /// Accepted, waiting for a delivery worker.
    Pending,
    /// A worker holds the lease and is talking to BKN.
    Sending,
    /// BKN holds the latest version.
    Synced,
    /// The last attempt failed transiently; another follows at `next_attempt_at`.
    Retrying,
    /// BKN rejected the record (validation); it stays until eHRM sends a corrected version or an
    /// operator replays it.
    Failed,
    /// Transient failures exhausted the attempts; an operator may replay it.
    Dead,
    /// BKN offers no way to apply this change (an annual SKP deleted in eHRM): an operator must
    /// act in SIASN by hand.
    NeedsAction,
}

impl SyncStatus {
    pub const ALL: [SyncStatus; 7] = [
        SyncStatus::Pending,
        SyncStatus::Sending,
        SyncStatus::Synced,
        SyncStatus::Retrying,
        SyncStatus::Failed,
        SyncStatus::Dead,
        SyncStatus::NeedsAction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Pending => "pending",
            SyncStatus::Sending => "sending",
            SyncStatus::Synced => "synced",
            SyncStatus::Retrying => "retrying",
            SyncStatus::Failed => "failed",
            SyncStatus::Dead => "dead",
            SyncStatus::NeedsAction => "needs_action",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        SyncStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Settled states need no worker until something changes.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            SyncStatus::Synced | SyncStatus::Failed | SyncStatus::Dead | SyncStatus::NeedsAction
        )
    }
}

impl fmt::Display for SyncStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
