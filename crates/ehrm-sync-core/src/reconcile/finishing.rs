//! The end of a run: the report files, the rolling cursor, and the findings' totals.

use std::collections::HashMap;

use serde_json::json;

use ehrm_sync_domain::reconcile::{Action, DataSet, Discrepancy, Kind, Priority, report};

use super::state::FindingTotals;
use super::{ROLLING_CONTROL, ReconcileJob, RunState};
use crate::job::JobError;
use crate::ports::{FindingCount, Scope, StoreError, XLSX_TYPE};
use crate::tables::{FindingLine, RunFacts, findings_tables};

impl ReconcileJob {
    /// `report.xlsx`: the rows for HR officers, NIPs as text, with a summary sheet.
    async fn workbook(
        &self,
        state: &RunState,
        rows: &[Discrepancy],
    ) -> Option<Result<Vec<u8>, JobError>> {
        let workbooks = self.deps.run.workbooks.as_ref()?;
        let people = match crate::people::load(self.deps.run.controls.as_ref()).await {
            Ok(people) => people,
            Err(e) => return Some(Err(e.into())),
        };
        let facts = RunFacts {
            run_id: state.life.run_id.clone(),
            scope: state.scope.to_string(),
            started: state.life.started_at,
            finished: Some(self.deps.run.clock.now_ms()),
            selection: None,
        };
        let lines: Vec<_> = rows
            .iter()
            .map(|row| FindingLine {
                row,
                follow_up: None,
            })
            .collect();
        Some(
            workbooks
                .workbook(&findings_tables(&facts, &lines, &people))
                .map_err(|e| JobError::Report(e.to_string())),
        )
    }

    /// Writes the report files, advances the rolling cursor, counts the findings.
    pub(super) async fn finish_run(&self, state: &mut RunState) -> Result<(), JobError> {
        let run_id = state.life.run_id.clone();
        let mut rows = self.deps.reconcile.rows(&run_id).await?;
        rows.sort_by_key(Discrepancy::sort_key);
        if let Some(sink) = &self.deps.run.reports {
            let json = report::to_json(&rows).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let csv = report::to_csv(&rows).into_bytes();
            let mut files = vec![
                sink.write(&run_id, "report.csv", "text/csv; charset=utf-8", csv)
                    .await?,
                sink.write(&run_id, "report.json", "application/json", json)
                    .await?,
            ];
            if let Some(xlsx) = self.workbook(state, &rows).await {
                files.push(sink.write(&run_id, "report.xlsx", XLSX_TYPE, xlsx?).await?);
            }
            state.report = files;
        }
        if state.scope == Scope::Slice
            && let Some(last) = state.slice.as_ref().and_then(|s| s.last())
        {
            let value = json!({"last_nip": last, "run_id": run_id});
            let rev = self
                .deps
                .run
                .controls
                .control(ROLLING_CONTROL)
                .await?
                .map_or(0, |c| c.revision);
            if let Err(e) = self
                .deps
                .run
                .controls
                .put_control(ROLLING_CONTROL, &value, rev)
                .await
            {
                tracing::warn!(error = %e, "rolling cursor not advanced");
            }
        }
        state.findings = Some(totals(&rows));
        Ok(())
    }
}

/// Findings by data set, kind and priority; how many no repair or callback takes care of.
fn totals(rows: &[Discrepancy]) -> FindingTotals {
    let mut map: HashMap<(DataSet, Kind, Priority), u64> = HashMap::new();
    for r in rows {
        *map.entry((r.data_set, r.kind, r.priority)).or_default() += 1;
    }
    let mut counts: Vec<_> = map.into_iter().collect();
    counts.sort();
    FindingTotals {
        counts: counts
            .into_iter()
            .map(|((data_set, kind, priority), count)| FindingCount {
                data_set,
                kind,
                priority,
                count,
            })
            .collect(),
        rows: rows.len(),
        left_for_people: rows
            .iter()
            .filter(|r| r.action == Action::NeedsReview)
            .count(),
    }
}
