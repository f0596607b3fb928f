//! The end of a run: the report files, the rolling cursor, and the final summary.

use serde_json::json;

use ehrm_sync_domain::reconcile::{Discrepancy, report};

use super::{ROLLING_CONTROL, ReconcileError, Reconciler, RunState, RunSummary, Scope};
use crate::clock::format_ms;
use crate::ports::StoreError;

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl Reconciler {
    /// `report.xlsx`: the rows for HR officers, NIPs as text, with a summary sheet.
    fn workbook(&self, state: &RunState, rows: &[Discrepancy]) -> Result<Vec<u8>, ReconcileError> {
        let facts = ehrm_sync_sheets::RunFacts {
            run_id: state.run_id.clone(),
            scope: state.scope.to_string(),
            started: format_ms(state.started_at),
            finished: Some(format_ms(self.deps.clock.now_ms())),
            selection: None,
        };
        let lines: Vec<_> = rows
            .iter()
            .map(|row| ehrm_sync_sheets::FindingLine {
                row,
                follow_up: None,
            })
            .collect();
        ehrm_sync_sheets::findings_workbook(&facts, &lines, false)
            .map_err(|e| ReconcileError::Invalid(e.to_string()))
    }

    /// Writes the report files and the final summary.
    pub(super) async fn finish(&self, state: &mut RunState) -> Result<RunSummary, ReconcileError> {
        let mut rows = self.deps.reconcile.rows(&state.run_id).await?;
        rows.sort_by_key(Discrepancy::sort_key);
        if let Some(sink) = &self.deps.reports {
            let json = report::to_json(&rows).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let csv = report::to_csv(&rows).into_bytes();
            let xlsx = self.workbook(state, &rows)?;
            state.report = vec![
                sink.write(&state.run_id, "report.csv", "text/csv; charset=utf-8", csv)
                    .await?,
                sink.write(&state.run_id, "report.json", "application/json", json)
                    .await?,
                sink.write(&state.run_id, "report.xlsx", XLSX_TYPE, xlsx)
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
