//! What a run reports about itself: kept in the store after every invocation, shown by
//! `ehrm-sync status` and `reconcile`, returned by the scheduled function. The field names are
//! the JSON keys stored since the first release, so older summaries still read.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use ehrm_sync_domain::reconcile::{Action, DataSet, Discrepancy, Kind, Priority};
use ehrm_sync_domain::record::Millis;

use super::{Phase, RunState, RunStatus};
use crate::clock::format_ms;

/// An employee that could not be compared, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    pub nip: String,
    pub reason: String,
}

/// Findings of one data set, kind and priority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingCount {
    pub data_set: DataSet,
    pub kind: Kind,
    pub priority: Priority,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub run_id: String,
    /// `all`, `priority-only`, `nip …`, `unit …`, `rolling slice`.
    pub scope: String,
    pub dry_run: bool,
    pub status: RunStatus,
    pub phase: Phase,
    pub started_at: Millis,
    pub started_at_text: String,
    pub finished_at: Option<Millis>,
    /// Start to finish once finished; else the time spent working so far.
    pub duration_ms: i64,
    pub active_ms: i64,
    pub invocations: u32,
    pub employees_total: usize,
    pub employees_done: usize,
    pub priority_employees: usize,
    pub bkn_calls: u64,
    pub repairs_queued: u64,
    pub callbacks_sent: u64,
    pub unreadable: u64,
    /// The first 20 at most.
    pub unreadable_examples: Vec<Unreadable>,
    pub missing_at_bkn: usize,
    /// Why the last invocation stopped before the end (deadline, BKN unavailable, interrupted).
    pub pause_reason: Option<String>,
    /// Where the report files went.
    pub report: Vec<String>,
    /// Once finished: findings by data set, kind and priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Vec<FindingCount>>,
    /// Once finished: the number of findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// Once finished: findings no repair or callback takes care of (`needs_review`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_for_people: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at_text: Option<String>,
}

impl RunSummary {
    /// The summary of a run as it stands.
    pub fn of(state: &RunState, pause_reason: Option<&str>) -> Self {
        RunSummary {
            run_id: state.run_id.clone(),
            scope: state.scope.masked(),
            dry_run: state.dry_run,
            status: state.status,
            phase: state.phase,
            started_at: state.started_at,
            started_at_text: format_ms(state.started_at),
            finished_at: state.finished_at,
            duration_ms: state
                .finished_at
                .map(|f| f - state.started_at)
                .unwrap_or(state.active_ms),
            active_ms: state.active_ms,
            invocations: state.invocations,
            employees_total: state.total(),
            employees_done: state.done(),
            priority_employees: state.priority.len(),
            bkn_calls: state.bkn_calls,
            repairs_queued: state.repairs_queued,
            callbacks_sent: state.callbacks_sent,
            unreadable: state.unreadable,
            unreadable_examples: state
                .unreadable_examples
                .iter()
                .take(20)
                .map(|(nip, reason)| Unreadable {
                    nip: nip.clone(),
                    reason: reason.clone(),
                })
                .collect(),
            missing_at_bkn: state.missing_at_bkn.len(),
            pause_reason: pause_reason.map(str::to_string),
            report: state.report.clone(),
            counts: None,
            rows: None,
            left_for_people: None,
            finished_at_text: None,
        }
    }

    /// Adds the totals of a finished run's findings.
    pub fn with_findings(mut self, rows: &[Discrepancy], finished_at: Millis) -> Self {
        let mut map: HashMap<(DataSet, Kind, Priority), u64> = HashMap::new();
        for r in rows {
            *map.entry((r.data_set, r.kind, r.priority)).or_default() += 1;
        }
        let mut counts: Vec<_> = map.into_iter().collect();
        counts.sort();
        self.counts = Some(
            counts
                .into_iter()
                .map(|((data_set, kind, priority), count)| FindingCount {
                    data_set,
                    kind,
                    priority,
                    count,
                })
                .collect(),
        );
        self.rows = Some(rows.len());
        self.left_for_people = Some(
            rows.iter()
                .filter(|r| r.action == Action::NeedsReview)
                .count(),
        );
        self.finished_at_text = Some(format_ms(finished_at));
        self
    }
}
