//! Planning a run's cohort: BKN's promotion and retirement lists and eHRM's structural posts
//! first, then (by scope) everyone else in NIP order or the next rolling slice.

use std::collections::HashSet;

use ehrm_sync_domain::reconcile::compare::{Context, compare_employee};
use ehrm_sync_domain::reconcile::{Discrepancy, EmployeeFacts, PegawaiFacts, Priority};

use super::{ROLLING_CONTROL, ReconcileJob, RunState, Snapshot};
use crate::clock::jakarta_date;
use crate::job::{Halt, JobError, ReadFailure, Turn};
use crate::ports::{ListedPns, Scope, StoreError};

impl ReconcileJob {
    /// The cohort: BKN's promotion and retirement lists and eHRM's structural posts first,
    /// then (by scope) everyone else or a rolling slice. `Some` when BKN is unavailable (the
    /// run stays at planning).
    pub(super) async fn plan(
        &self,
        state: &mut RunState,
        snap: &Snapshot,
        turn: &Turn<'_>,
    ) -> Result<Option<Halt>, JobError> {
        let today = jakarta_date(self.deps.run.clock.now_ms());
        let (periods, kp, pensiun) = match self.read_lists(today, turn).await {
            Ok(lists) => lists,
            Err(ReadFailure::Halted(halt)) => return Ok(Some(halt)),
            Err(ReadFailure::Refused(e)) => return Err(JobError::Bkn(e)),
        };
        state.periode = Some(periods_label(&periods));
        state.listed_kp = kp.iter().map(|l| l.nip.clone()).collect();
        state.listed_kp.sort();
        state.listed_kp.dedup();
        state.listed_pensiun = pensiun.iter().map(|l| l.nip.clone()).collect();

        let in_scope = state.scope_filter(&snap.employees, &snap.units);
        let holders: HashSet<&str> = snap.posts.iter().filter_map(|p| p.nip.as_deref()).collect();
        let mut ctx = snap.ctx.clone();
        apply_lists(&mut ctx, state);
        let mut priority: Vec<(Priority, String)> = in_scope
            .iter()
            .map(|n| (ctx.priority(n), n.clone()))
            .filter(|(p, n)| *p != Priority::Normal || holders.contains(n.as_str()))
            .collect();
        priority.sort();
        state.priority = priority.into_iter().map(|(_, n)| n).collect();
        let prio: HashSet<&String> = state.priority.iter().collect();
        let mut rest: Vec<String> = in_scope.into_iter().filter(|n| !prio.contains(n)).collect();
        rest.sort();
        match &state.scope {
            Scope::PriorityOnly => rest.clear(),
            Scope::Slice => {
                let cursor = self.rolling_cursor().await?;
                let size = rest
                    .len()
                    .div_ceil(self.settings.cover_days.max(1) as usize);
                let start = cursor
                    .as_ref()
                    .map_or(0, |c| rest.partition_point(|n| n <= c));
                let n = rest.len();
                let slice: Vec<String> = (0..size.min(n))
                    .map(|i| rest[(start + i) % n].clone())
                    .collect();
                state.slice = Some(slice);
            }
            _ => {}
        }
        state.rest_total = match &state.slice {
            Some(s) => s.len(),
            None => rest.len(),
        };
        // People in BKN's lists whom eHRM does not know (not for a unit or one employee: they
        // belong to no unit eHRM knows).
        if matches!(state.scope, Scope::All | Scope::PriorityOnly | Scope::Slice) {
            let known: HashSet<&str> = snap.employees.iter().map(|e| e.nip.as_str()).collect();
            let mut rows = Vec::new();
            for l in kp.iter().chain(pensiun.iter()) {
                if known.contains(l.nip.as_str()) {
                    continue;
                }
                rows.extend(missing_in_ehrm(&ctx, l));
            }
            rows.sort_by_key(Discrepancy::row_key);
            rows.dedup_by_key(|r| r.row_key());
            self.deps
                .reconcile
                .put_rows(&state.life.run_id, &rows)
                .await?;
        }
        tracing::info!(run_id = %state.life.run_id, priority = state.priority.len(),
            rest = state.rest_total, "reconciliation planned");
        Ok(None)
    }

    /// BKN's promotion proposals for every monthly period of the horizon, and its retirement
    /// proposals for the next 12 months. Planning cannot do without them.
    async fn read_lists(
        &self,
        today: time::Date,
        turn: &Turn<'_>,
    ) -> Result<(Vec<time::Date>, Vec<ListedPns>, Vec<ListedPns>), ReadFailure> {
        let periods =
            ehrm_sync_domain::reconcile::kp_periods(today, self.settings.kp_horizon_months);
        let (_, until) = ehrm_sync_domain::reconcile::retirement_window(today);
        let bkn = &self.deps.bkn;
        let mut kp = Vec::new();
        for periode in &periods {
            kp.extend(turn.bkn(|| bkn.promotion_list(*periode)).await?);
        }
        let pensiun = turn.bkn(|| bkn.retirement_list(today, until)).await?;
        Ok((periods, kp, pensiun))
    }

    pub(super) async fn rolling_cursor(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .deps
            .run
            .controls
            .control(ROLLING_CONTROL)
            .await?
            .and_then(|c| c.value.get("last_nip")?.as_str().map(str::to_string)))
    }

    /// The employees still to do, in order.
    pub(super) fn remaining(&self, state: &RunState, snap: &Snapshot) -> Vec<String> {
        let mut out: Vec<String> =
            state.priority[state.priority_done.min(state.priority.len())..].to_vec();
        match &state.slice {
            Some(slice) => out.extend(slice[state.rest_done.min(slice.len())..].iter().cloned()),
            None if state.scope == Scope::PriorityOnly => {}
            None => {
                let prio: HashSet<&String> = state.priority.iter().collect();
                let mut rest: Vec<String> = state
                    .scope_filter(&snap.employees, &snap.units)
                    .into_iter()
                    .filter(|n| !prio.contains(n))
                    .filter(|n| state.cursor.as_ref().is_none_or(|c| n > c))
                    .collect();
                rest.sort();
                out.extend(rest);
            }
        }
        out
    }
}

/// `yyyy-mm-dd` of the first period, `..yyyy-mm-dd` of the last when there are more.
fn periods_label(periods: &[time::Date]) -> String {
    use ehrm_sync_domain::dates::format_iso_date;
    match (periods.first(), periods.last()) {
        (Some(a), Some(b)) if a != b => format!("{}..{}", format_iso_date(*a), format_iso_date(*b)),
        (Some(a), _) => format_iso_date(*a),
        _ => String::new(),
    }
}

/// BKN's promotion and retirement lists, as planned, into the comparison's priorities.
pub(super) fn apply_lists(ctx: &mut Context, state: &RunState) {
    ctx.kenaikan_pangkat = state.listed_kp.iter().cloned().collect();
    ctx.pensiun = state.listed_pensiun.iter().cloned().collect();
}

pub(super) fn missing_in_ehrm(ctx: &Context, l: &ListedPns) -> Vec<Discrepancy> {
    let bkn = EmployeeFacts {
        pegawai: PegawaiFacts {
            nip: l.nip.clone(),
            nama: l.nama.clone(),
            pns_id: l.pns_id.clone(),
            ..PegawaiFacts::default()
        },
        ..EmployeeFacts::default()
    };
    compare_employee(ctx, &l.nip, None, Some(&bkn)).rows
}
