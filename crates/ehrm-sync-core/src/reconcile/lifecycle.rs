//! A run's life across invocations: the run document (load, save with compare-and-swap),
//! the lease that keeps two invocations off one run, checkpoints after every chunk, the
//! invocation's deadline, and the phases in order.

use ehrm_sync_domain::record::Millis;

use super::planning::apply_lists;
use super::{
    Phase, Progress, RUN_CONTROL, ReconcileError, Reconciler, RunOutcome, RunState, RunStatus,
    RunSummary, Snapshot, Stop,
};
use crate::ports::StoreError;

/// What one invocation carries through its phases.
struct Invocation<'a> {
    /// The run document's revision after this invocation's last save.
    revision: u64,
    deadline: Option<Millis>,
    /// BKN calls made by this process before the invocation (to count the invocation's own).
    calls_before: u64,
    progress: &'a (dyn Fn(&Progress) + Send + Sync),
}

impl Reconciler {
    pub(super) async fn load(&self) -> Result<Option<(RunState, u64)>, StoreError> {
        match self.deps.controls.control(RUN_CONTROL).await? {
            Some(c) => {
                let s: RunState = serde_json::from_value(c.value)
                    .map_err(|e| StoreError::Corrupt(format!("reconcile.run: {e}")))?;
                Ok(Some((s, c.revision)))
            }
            None => Ok(None),
        }
    }

    pub(super) async fn current_revision(&self) -> Result<u64, StoreError> {
        Ok(self.load().await?.map_or(0, |(_, r)| r))
    }

    pub(super) async fn save(&self, state: &RunState, revision: u64) -> Result<u64, StoreError> {
        let value = serde_json::to_value(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.deps
            .controls
            .put_control(RUN_CONTROL, &value, revision)
            .await?;
        Ok(revision + 1)
    }

    pub(super) async fn abandon(
        &self,
        mut state: RunState,
        revision: u64,
    ) -> Result<(), ReconcileError> {
        state.finished = true;
        state.status = RunStatus::Abandoned;
        state.lease = None;
        self.save(&state, revision).await?;
        self.deps
            .reconcile
            .put_run(&state.run_id, &RunSummary::of(&state, None))
            .await?;
        Ok(())
    }

    pub(super) async fn drive(
        &self,
        mut state: RunState,
        revision: u64,
        deadline: Option<Millis>,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<RunOutcome, ReconcileError> {
        let Some(revision) = self.take_lease(&mut state, revision, deadline).await? else {
            return Ok(RunOutcome::Busy {
                run_id: state.run_id,
            });
        };
        tracing::info!(run_id = %state.run_id, scope = %state.scope.masked(), phase = ?state.phase,
            invocation = state.invocations, "reconciliation invocation starts");
        let mut inv = Invocation {
            revision,
            deadline,
            calls_before: self.deps.bkn.calls_made(),
            progress,
        };
        let started = self.deps.clock.now_ms();
        let result = self.phases(&mut state, &mut inv).await;
        state.bkn_calls += self.deps.bkn.calls_made().saturating_sub(inv.calls_before);
        state.active_ms += self.deps.clock.now_ms() - started;
        self.end_invocation(state, inv.revision, result).await
    }

    /// Takes the run for this invocation; `None` when another invocation holds it.
    async fn take_lease(
        &self,
        state: &mut RunState,
        revision: u64,
        deadline: Option<Millis>,
    ) -> Result<Option<u64>, ReconcileError> {
        if let Some((_, until)) = &state.lease
            && *until > self.deps.clock.now_ms()
        {
            return Ok(None);
        }
        state.lease = Some((crate::deliver::new_token(), self.lease_until(deadline, 0)));
        state.invocations += 1;
        state.status = RunStatus::Running;
        match self.save(state, revision).await {
            Ok(r) => Ok(Some(r)),
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Releases the run with its status and summary (and the report, when finished).
    async fn end_invocation(
        &self,
        mut state: RunState,
        revision: u64,
        result: Result<Option<Stop>, ReconcileError>,
    ) -> Result<RunOutcome, ReconcileError> {
        let held = state.lease.take();
        let reason = match result {
            Ok(None) => None,
            Ok(Some(Stop::Deadline)) if self.is_cancelled() => Some("interrupted".to_string()),
            Ok(Some(Stop::Deadline)) => Some("the invocation's time is up".to_string()),
            Ok(Some(Stop::Unavailable(why))) => Some(why),
            Ok(Some(Stop::LeaseLost)) => {
                return Ok(RunOutcome::Busy {
                    run_id: state.run_id,
                });
            }
            Err(e) => {
                // Keep what was done; the next invocation continues from the last checkpoint.
                state.status = RunStatus::Paused;
                if let Ok(rev) = self.reload_revision(&state, &held).await {
                    let _ = self.save(&state, rev).await;
                }
                return Err(e);
            }
        };
        let summary = if state.finished {
            state.status = RunStatus::Finished;
            self.finish(&mut state).await?
        } else {
            state.status = RunStatus::Paused;
            RunSummary::of(&state, reason.as_deref())
        };
        match self.save(&state, revision).await {
            Ok(_) => {}
            Err(StoreError::Conflict) => {
                return Ok(RunOutcome::Busy {
                    run_id: state.run_id,
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.deps.reconcile.put_run(&state.run_id, &summary).await?;
        tracing::info!(run_id = %state.run_id, status = %state.status,
            employees_done = state.done(), bkn_calls = state.bkn_calls, "reconciliation invocation ends");
        Ok(match reason {
            Some(reason) if !state.finished => RunOutcome::Paused { summary, reason },
            _ => RunOutcome::Finished(summary),
        })
    }

    pub(super) async fn reload_revision(
        &self,
        state: &RunState,
        held: &Option<(String, Millis)>,
    ) -> Result<u64, StoreError> {
        let token = held.as_ref().map(|(t, _)| t);
        match self.load().await? {
            Some((s, rev))
                if s.run_id == state.run_id && s.lease.as_ref().map(|(t, _)| t) == token =>
            {
                Ok(rev)
            }
            _ => Err(StoreError::Conflict),
        }
    }

    pub(super) fn out_of_time(&self, deadline: Option<Millis>, reserve_ms: i64) -> bool {
        self.is_cancelled()
            || deadline.is_some_and(|d| {
                self.deps.clock.now_ms() + self.settings.deadline_margin_ms + reserve_ms >= d
            })
    }

    /// The phases from wherever the run stands: planning, employees, units; `Some` when the
    /// invocation stopped before the end.
    async fn phases(
        &self,
        state: &mut RunState,
        inv: &mut Invocation<'_>,
    ) -> Result<Option<Stop>, ReconcileError> {
        let mut snapshot = self.snapshot(state).await?;
        if state.phase == Phase::Planning {
            self.plan(state, &snapshot).await?;
            state.phase = Phase::Employees;
            if !self.checkpoint(state, inv, 0).await? {
                return Ok(Some(Stop::LeaseLost));
            }
        }
        apply_lists(&mut snapshot.ctx, state);
        if state.phase == Phase::Employees {
            if let Some(stop) = self.employee_phase(state, &snapshot, inv).await? {
                return Ok(Some(stop));
            }
            state.phase = if state.scope.compares_units() {
                Phase::Units
            } else {
                Phase::Report
            };
            if !self.checkpoint(state, inv, 0).await? {
                return Ok(Some(Stop::LeaseLost));
            }
        }
        if state.phase == Phase::Units {
            if self.out_of_time(inv.deadline, 0) {
                return Ok(Some(Stop::Deadline));
            }
            if let Err(stop) = self.compare_unit_sets(state, &snapshot).await? {
                return Ok(Some(stop));
            }
            state.phase = Phase::Report;
            self.report_progress(state, inv, Phase::Units);
        }
        state.finished = true;
        Ok(None)
    }

    /// The employees still to do, chunk by chunk, with a checkpoint after each; stops before a
    /// chunk that would not fit in the invocation's time (twice the last chunk's).
    async fn employee_phase(
        &self,
        state: &mut RunState,
        snapshot: &Snapshot,
        inv: &mut Invocation<'_>,
    ) -> Result<Option<Stop>, ReconcileError> {
        let cohort = self.remaining(state, snapshot);
        let mut last_chunk_ms = 0;
        for chunk in cohort.chunks(self.settings.chunk.max(1)) {
            if self.out_of_time(inv.deadline, last_chunk_ms * 2) {
                return Ok(Some(Stop::Deadline));
            }
            let t0 = self.deps.clock.now_ms();
            let (done, stop) = self
                .process_chunk(state, &snapshot.ctx, chunk, inv.deadline)
                .await?;
            state.advance(&chunk[..done]);
            last_chunk_ms = self.deps.clock.now_ms() - t0;
            if !self.checkpoint(state, inv, last_chunk_ms).await? {
                return Ok(Some(Stop::LeaseLost));
            }
            self.report_progress(state, inv, Phase::Employees);
            if let Some(stop) = stop {
                return Ok(Some(stop));
            }
        }
        Ok(None)
    }

    fn report_progress(&self, state: &RunState, inv: &Invocation<'_>, phase: Phase) {
        (inv.progress)(&Progress {
            phase,
            done: state.done(),
            total: state.total(),
            bkn_calls: state.bkn_calls
                + self.deps.bkn.calls_made().saturating_sub(inv.calls_before),
        });
    }

    /// Until when an invocation holds the run: its deadline when it has one (it cannot outlive
    /// it), else `lease_ms` or three chunks' time past now, whichever is longer.
    pub(super) fn lease_until(&self, deadline: Option<Millis>, chunk_ms: i64) -> Millis {
        match deadline {
            Some(d) => d + 5_000,
            None => self.deps.clock.now_ms() + self.settings.lease_ms.max(chunk_ms * 3),
        }
    }

    /// Saves progress and extends the lease; `false` if the run was taken over meanwhile.
    async fn checkpoint(
        &self,
        state: &mut RunState,
        inv: &mut Invocation<'_>,
        chunk_ms: i64,
    ) -> Result<bool, ReconcileError> {
        if let Some((_, until)) = &mut state.lease {
            *until = self.lease_until(inv.deadline, chunk_ms);
        }
        let mut snapshot = state.clone();
        snapshot.bkn_calls += self.deps.bkn.calls_made().saturating_sub(inv.calls_before);
        match self.save(&snapshot, inv.revision).await {
            Ok(r) => {
                inv.revision = r;
                crate::crashpoint::crashpoint("reconcile.after_checkpoint");
                Ok(true)
            }
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
