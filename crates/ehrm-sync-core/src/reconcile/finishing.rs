//! The end of a run: the report files, the rolling cursor, and the final summary.

use serde_json::json;

use ehrm_sync_domain::reconcile::{Discrepancy, report};

use super::{ROLLING_CONTROL, ReconcileError, Reconciler, RunState, RunSummary, Scope};
use crate::ports::StoreError;

impl Reconciler {
    /// Writes the report files and the final summary.
    pub(super) async fn finish(&self, state: &mut RunState) -> Result<RunSummary, ReconcileError> {
        let mut rows = self.deps.reconcile.rows(&state.run_id).await?;
        rows.sort_by_key(Discrepancy::sort_key);
        if let Some(sink) = &self.deps.reports {
            let json = report::to_json(&rows).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let csv = report::to_csv(&rows).into_bytes();
            state.report = vec![
                sink.write(&state.run_id, "report.csv", "text/csv; charset=utf-8", csv)
                    .await?,
                sink.write(&state.run_id, "report.json", "application/json", json)
                    .await?,
            ];
        }
        if state.scope == Scope::Slice
            && let Some(last) = state.slice.as_ref().and_then(|s| s.last())
        {
            let value = json!({"last_nip": last, "run_id": state.run_id});
            let rev = self
                .deps
                .controls
                .control(ROLLING_CONTROL)
                .await?
                .map_or(0, |c| c.revision);
            if let Err(e) = self
                .deps
                .controls
                .put_control(ROLLING_CONTROL, &value, rev)
                .await
            {
                tracing::warn!(error = %e, "rolling cursor not advanced");
            }
        }
        let now = self.deps.clock.now_ms();
        state.finished_at = Some(now);
        Ok(RunSummary::of(state, None).with_findings(&rows, now))
    }
}
