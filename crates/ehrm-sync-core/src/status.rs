//! What operators see at a glance, as typed data: records by status, the oldest pending one,
//! dead letters, the breaker and its recent opens and closes, the BKN rate and its changes,
//! the last sweep, the last reconciliation runs. The JSON view (`ehrm-sync status --json`, the ops function) is built
//! from it in `ehrm-sync-http`, the text view in the CLI.

use ehrm_sync_domain::record::{Millis, SyncStatus};

use crate::breaker::{BreakerEvent, BreakerState};
use crate::ports::RunSummary;
use crate::ports::{ControlStore, DeadLetters, RateGate, ReconcileStore, StoreError, SyncStore};
use crate::sweep::LastSweep;
use ehrm_sync_domain::rate::GateState;

/// How many breaker events and reconciliation runs the overview shows.
pub const RECENT: usize = 5;

#[derive(Clone, Debug, PartialEq)]
pub struct Overview {
    /// Every status, in [`SyncStatus::ALL`] order.
    pub records: Vec<(SyncStatus, u64)>,
    /// When the oldest pending record was last updated.
    pub oldest_pending: Option<Millis>,
    pub dead_letters: u64,
    /// `None`: never opened (closed).
    pub breaker: Option<BreakerState>,
    /// Newest first.
    pub breaker_events: Vec<(Millis, BreakerEvent)>,
    pub last_sweep: Option<LastSweep>,
    /// Newest first.
    pub reconciliation_runs: Vec<RunSummary>,
    /// The BKN rate gate: the adaptive rate now and its last changes (`None`: no call yet).
    pub bkn_rate: Option<GateState>,
}

#[derive(Debug, thiserror::Error)]
pub enum OverviewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the dead-letter queue cannot be read: {0}")]
    DeadLetters(String),
}

/// Reads the overview from the stores.
pub async fn overview(
    store: &dyn SyncStore,
    control: &dyn ControlStore,
    dead: &dyn DeadLetters,
    reconcile: &dyn ReconcileStore,
    gate: &dyn RateGate,
) -> Result<Overview, OverviewError> {
    let counts = store.count_by_status().await?;
    let records = SyncStatus::ALL
        .iter()
        .map(|s| {
            let n = counts.iter().find(|(st, _)| st == s).map_or(0, |(_, n)| *n);
            (*s, n)
        })
        .collect();
    let oldest_pending = store
        .records_by_status(SyncStatus::Pending, i64::MIN / 2, i64::MAX / 2, 1)
        .await?
        .first()
        .map(|r| r.updated_at);
    let dead_letters = dead
        .depth()
        .await
        .map_err(|e| OverviewError::DeadLetters(e.to_string()))?;
    let breaker = control
        .control(crate::breaker::CONTROL_NAME)
        .await?
        .and_then(|c| serde_json::from_value(c.value).ok());
    let breaker_events = control
        .events(crate::breaker::EVENT_STREAM, RECENT)
        .await?
        .into_iter()
        .filter_map(|(at, e)| Some((at, serde_json::from_value(e).ok()?)))
        .collect();
    let last_sweep = control
        .control(crate::sweep::LAST_SWEEP)
        .await?
        .and_then(|c| serde_json::from_value(c.value).ok());
    Ok(Overview {
        records,
        oldest_pending,
        dead_letters,
        breaker,
        breaker_events,
        last_sweep,
        reconciliation_runs: reconcile.runs(RECENT).await?,
        bkn_rate: gate.gate_state().await?,
    })
}
