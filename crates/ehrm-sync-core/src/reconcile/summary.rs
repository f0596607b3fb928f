//! A run's summary as it stands: kept in the store after every save (the console and
//! `ehrm-sync status` read it), returned by the command and the scheduled function.

use super::RunState;
use crate::clock::format_ms;
use crate::ports::{RunSummary, Unreadable};

impl RunState {
    pub fn summary(&self) -> RunSummary {
        let life = &self.life;
        let findings = self.findings.as_ref();
        RunSummary {
            run_id: life.run_id.clone(),
            scope: self.scope.masked(),
            dry_run: self.dry_run,
            status: life.status,
            phase: self.phase,
            started_at: life.started_at,
            started_at_text: format_ms(life.started_at),
            finished_at: life.finished_at,
            duration_ms: life
                .finished_at
                .map(|f| f - life.started_at)
                .unwrap_or(life.active_ms),
            active_ms: life.active_ms,
            invocations: life.invocations,
            employees_total: self.total(),
            employees_done: self.done(),
            priority_employees: self.priority.len(),
            bkn_calls: life.bkn_calls,
            repairs_queued: self.repairs_queued,
            callbacks_sent: self.callbacks_sent,
            unreadable: self.unreadable,
            unreadable_examples: self
                .unreadable_examples
                .iter()
                .take(20)
                .map(|(nip, reason)| Unreadable {
                    nip: nip.clone(),
                    reason: reason.clone(),
                })
                .collect(),
            missing_at_bkn: self.missing_at_bkn.len(),
            pause_reason: life.pause_reason.clone(),
            report: self.report.clone(),
            counts: findings.map(|f| f.counts.clone()),
            rows: findings.map(|f| f.rows),
            left_for_people: findings.map(|f| f.left_for_people),
            finished_at_text: life.finished_at.map(format_ms),
        }
    }
}
