//! Reconciliation runs: plan a cohort (priority employees first), read both sides within BKN's
//! shared rate and circuit breaker, compare, repair what can be repaired, keep every row in the
//! store, checkpoint after every chunk, and resume in the next invocation. A run ends with its
//! report (CSV + JSON) and a summary.
//!
//! One run is open at a time; its state is a control document (`reconciliation.run`) written with
//! compare-and-swap and held under a lease, so two invocations never work on it at once.

pub mod repair;
mod state;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};

use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::reconcile::compare::{Context, compare_employee, compare_units};
use ehrm_sync_domain::reconcile::{
    Action, DataSet, Discrepancy, EmployeeFacts, Kind, PegawaiFacts, Priority, StructuralPost,
    UnitFacts, report,
};
use ehrm_sync_domain::record::Millis;

use crate::breaker::{Breaker, CallResult, Permit};
use crate::clock::{format_ms, jakarta_date};
use crate::ports::{
    BknDirectory, BknError, CallbackOutbox, Clock, ControlStore, DeliveryQueue, EhrmDirectory,
    ListedPns, PnsIdCache, ReconcileStore, ReportSink, SourceError, StoreError, SyncStore,
};
use repair::{Repaired, queue_kinerja, send_to_ehrm};
pub use state::{Phase, RunState, Scope};

const RUN_CONTROL: &str = "reconcile.run";
const ROLLING_CONTROL: &str = "reconcile.rolling";
/// Kept in the run state at most (the summary keeps the count).
const MAX_UNREADABLE_KEPT: usize = 200;

/// Everything a run reads and writes.
#[derive(Clone)]
pub struct ReconcilerDeps {
    pub ehrm: Arc<dyn EhrmDirectory>,
    pub bkn: Arc<dyn BknDirectory>,
    pub store: Arc<dyn SyncStore>,
    pub pns_ids: Arc<dyn PnsIdCache>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub controls: Arc<dyn ControlStore>,
    pub reconcile: Arc<dyn ReconcileStore>,
    /// Present when eHRM callbacks are configured.
    pub outbox: Option<Arc<dyn CallbackOutbox>>,
    pub reports: Option<Arc<dyn ReportSink>>,
    pub breaker: Option<Arc<Breaker>>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Clone, Debug)]
pub struct ReconcileSettings {
    /// A scheduled (rolling) run covers the priority cohort plus 1/`cover_days` of everyone
    /// else, so every employee is covered within this many days.
    pub cover_days: u32,
    /// A new scheduled run starts when the last one started at least this long ago.
    pub interval_ms: i64,
    /// Employees between checkpoints.
    pub chunk: usize,
    /// Employees read at once (the rate gate is what bounds BKN calls).
    pub concurrency: usize,
    /// Tries of one read before the run pauses (transient failures).
    pub read_tries: u32,
    /// Stop this long before the invocation's deadline.
    pub deadline_margin_ms: i64,
    /// An invocation holds the run this long past its last checkpoint; a killed one is taken
    /// over after that.
    pub lease_ms: i64,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        ReconcileSettings {
            cover_days: 7,
            interval_ms: 24 * 3_600_000,
            chunk: 25,
            concurrency: 4,
            read_tries: 3,
            deadline_margin_ms: 60_000,
            lease_ms: 120_000,
        }
    }
}

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRequest {
    pub scope: Scope,
    pub dry_run: bool,
    /// Abandon an unfinished run of another scope and start this one.
    pub restart: bool,
}

#[derive(Clone, Debug)]
pub struct Progress {
    pub phase: Phase,
    pub done: usize,
    pub total: usize,
    pub bkn_calls: u64,
}

/// How an invocation ended.
#[derive(Clone, Debug)]
pub enum RunOutcome {
    Finished(Value),
    /// Stopped with the run checkpointed (deadline, BKN unavailable); the next invocation
    /// continues.
    Paused {
        summary: Value,
        reason: String,
    },
    /// Another invocation holds the run.
    Busy {
        run_id: String,
    },
    /// A scheduled invocation with nothing to do (the last run is recent enough).
    Idle,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("eHRM: {0}")]
    Ehrm(SourceError),
    #[error("BKN: {0}")]
    Bkn(String),
    #[error(
        "an unfinished {scope} run ({run_id}) is open; resume it with the same filter, or start over with --restart"
    )]
    OtherRunOpen { run_id: String, scope: String },
    #[error("a repair could not be queued: {0}")]
    Repair(#[from] repair::RepairError),
    #[error("{0}")]
    Invalid(String),
}

/// Why processing stopped before the end of a phase.
enum Stop {
    Deadline,
    Unavailable(String),
    LeaseLost,
}

pub struct Reconciler {
    deps: ReconcilerDeps,
    settings: ReconcileSettings,
    cancelled: Arc<std::sync::atomic::AtomicBool>,
}

/// The directories' data that stays fixed during one invocation.
struct Snapshot {
    employees: Vec<PegawaiFacts>,
    units: Vec<UnitFacts>,
    posts: Vec<StructuralPost>,
    ctx: Context,
}

impl Reconciler {
    pub fn new(deps: ReconcilerDeps, settings: ReconcileSettings) -> Self {
        Reconciler {
            deps,
            settings,
            cancelled: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    /// Set it to stop at the next checkpoint (Ctrl-C): the run is saved and can be resumed.
    pub fn cancel_flag(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.cancelled.clone()
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn settings(&self) -> &ReconcileSettings {
        &self.settings
    }

    /// A run by hand: resumes the open run of the same scope or starts one; `deadline` bounds
    /// this invocation (none: until done).
    pub async fn run(
        &self,
        request: &RunRequest,
        deadline: Option<Millis>,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<RunOutcome, ReconcileError> {
        let now = self.deps.clock.now_ms();
        let (state, revision) = match self.load().await? {
            Some((s, rev)) if !s.finished => {
                if s.scope == request.scope && s.dry_run == request.dry_run {
                    (s, rev)
                } else if request.restart {
                    self.abandon(s, rev).await?;
                    let rev = self.current_revision().await?;
                    (RunState::new(request, now), rev)
                } else {
                    return Err(ReconcileError::OtherRunOpen {
                        run_id: s.run_id,
                        scope: s.scope.to_string(),
                    });
                }
            }
            Some((_, rev)) => (RunState::new(request, now), rev),
            None => (RunState::new(request, now), 0),
        };
        self.drive(state, revision, deadline, progress).await
    }

    /// A scheduled invocation: continues the open run (whatever its scope), or starts a rolling
    /// run when the last one started at least `interval` ago.
    pub async fn scheduled(
        &self,
        deadline: Option<Millis>,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<RunOutcome, ReconcileError> {
        let now = self.deps.clock.now_ms();
        let request = RunRequest {
            scope: Scope::Slice,
            dry_run: false,
            restart: false,
        };
        let (state, revision) = match self.load().await? {
            Some((s, rev)) if !s.finished => (s, rev),
            Some((s, rev)) => {
                if now - s.started_at < self.settings.interval_ms {
                    return Ok(RunOutcome::Idle);
                }
                (RunState::new(&request, now), rev)
            }
            None => (RunState::new(&request, now), 0),
        };
        self.drive(state, revision, deadline, progress).await
    }

    async fn load(&self) -> Result<Option<(RunState, u64)>, StoreError> {
        match self.deps.controls.control(RUN_CONTROL).await? {
            Some(c) => {
                let s: RunState = serde_json::from_value(c.value)
                    .map_err(|e| StoreError::Corrupt(format!("reconcile.run: {e}")))?;
                Ok(Some((s, c.revision)))
            }
            None => Ok(None),
        }
    }

    async fn current_revision(&self) -> Result<u64, StoreError> {
        Ok(self.load().await?.map_or(0, |(_, r)| r))
    }

    async fn save(&self, state: &RunState, revision: u64) -> Result<u64, StoreError> {
        let value = serde_json::to_value(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.deps
            .controls
            .put_control(RUN_CONTROL, &value, revision)
            .await?;
        Ok(revision + 1)
    }

    async fn abandon(&self, mut state: RunState, revision: u64) -> Result<(), ReconcileError> {
        state.finished = true;
        state.status = "abandoned".into();
        state.lease = None;
        self.save(&state, revision).await?;
        self.deps
            .reconcile
            .put_run(&state.run_id, &state.summary(None))
            .await?;
        Ok(())
    }

    async fn drive(
        &self,
        mut state: RunState,
        revision: u64,
        deadline: Option<Millis>,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<RunOutcome, ReconcileError> {
        let now = self.deps.clock.now_ms();
        if let Some((_, until)) = &state.lease
            && *until > now
        {
            return Ok(RunOutcome::Busy {
                run_id: state.run_id,
            });
        }
        let token = crate::deliver::new_token();
        state.lease = Some((token, self.lease_until(deadline, 0)));
        state.invocations += 1;
        state.status = "running".into();
        let mut revision = match self.save(&state, revision).await {
            Ok(r) => r,
            Err(StoreError::Conflict) => {
                return Ok(RunOutcome::Busy {
                    run_id: state.run_id,
                });
            }
            Err(e) => return Err(e.into()),
        };
        tracing::info!(run_id = %state.run_id, scope = %state.scope, phase = ?state.phase,
            invocation = state.invocations, "reconciliation invocation starts");
        let calls_before = self.deps.bkn.calls_made();
        let started = self.deps.clock.now_ms();
        let result = self
            .phases(&mut state, &mut revision, deadline, progress, calls_before)
            .await;
        state.bkn_calls += self.deps.bkn.calls_made().saturating_sub(calls_before);
        state.active_ms += self.deps.clock.now_ms() - started;
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
                state.status = "paused".into();
                if let Ok(rev) = self.reload_revision(&state, &held).await {
                    let _ = self.save(&state, rev).await;
                }
                return Err(e);
            }
        };
        state.status = if state.finished {
            "finished".into()
        } else {
            "paused".into()
        };
        let summary = if state.finished {
            self.finish(&mut state).await?
        } else {
            state.summary(reason.as_deref())
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

    async fn reload_revision(
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

    fn out_of_time(&self, deadline: Option<Millis>, reserve_ms: i64) -> bool {
        self.is_cancelled()
            || deadline.is_some_and(|d| {
                self.deps.clock.now_ms() + self.settings.deadline_margin_ms + reserve_ms >= d
            })
    }

    async fn phases(
        &self,
        state: &mut RunState,
        revision: &mut u64,
        deadline: Option<Millis>,
        progress: &(dyn Fn(&Progress) + Send + Sync),
        calls_before: u64,
    ) -> Result<Option<Stop>, ReconcileError> {
        let snapshot = self.snapshot(state).await?;
        if state.phase == Phase::Planning {
            self.plan(state, &snapshot).await?;
            state.phase = Phase::Employees;
            *revision = match self
                .checkpoint(state, *revision, calls_before, deadline, 0)
                .await?
            {
                Some(r) => r,
                None => return Ok(Some(Stop::LeaseLost)),
            };
        }
        let mut snapshot = snapshot;
        apply_lists(&mut snapshot.ctx, state);
        if state.phase == Phase::Employees {
            let cohort = self.remaining(state, &snapshot);
            let mut last_chunk_ms = 0;
            for chunk in cohort.chunks(self.settings.chunk.max(1)) {
                if self.out_of_time(deadline, last_chunk_ms * 2) {
                    return Ok(Some(Stop::Deadline));
                }
                let t0 = self.deps.clock.now_ms();
                let (done, stop) = self
                    .process_chunk(state, &snapshot.ctx, chunk, deadline)
                    .await?;
                state.advance(&chunk[..done]);
                last_chunk_ms = self.deps.clock.now_ms() - t0;
                *revision = match self
                    .checkpoint(state, *revision, calls_before, deadline, last_chunk_ms)
                    .await?
                {
                    Some(r) => r,
                    None => return Ok(Some(Stop::LeaseLost)),
                };
                progress(&Progress {
                    phase: Phase::Employees,
                    done: state.done(),
                    total: state.total(),
                    bkn_calls: state.bkn_calls
                        + self.deps.bkn.calls_made().saturating_sub(calls_before),
                });
                if let Some(stop) = stop {
                    return Ok(Some(stop));
                }
            }
            state.phase = if state.scope.compares_units() {
                Phase::Units
            } else {
                Phase::Report
            };
            *revision = match self
                .checkpoint(state, *revision, calls_before, deadline, 0)
                .await?
            {
                Some(r) => r,
                None => return Ok(Some(Stop::LeaseLost)),
            };
        }
        if state.phase == Phase::Units {
            if self.out_of_time(deadline, 0) {
                return Ok(Some(Stop::Deadline));
            }
            if let Err(stop) = self.compare_unit_sets(state, &snapshot).await? {
                return Ok(Some(stop));
            }
            state.phase = Phase::Report;
            progress(&Progress {
                phase: Phase::Units,
                done: state.done(),
                total: state.total(),
                bkn_calls: state.bkn_calls
                    + self.deps.bkn.calls_made().saturating_sub(calls_before),
            });
        }
        state.finished = true;
        Ok(None)
    }

    /// Saves progress; `None` if the run was taken over meanwhile.
    /// Until when an invocation holds the run: its deadline when it has one (it cannot outlive
    /// it), else `lease_ms` or three chunks' time past now, whichever is longer.
    fn lease_until(&self, deadline: Option<Millis>, chunk_ms: i64) -> Millis {
        match deadline {
            Some(d) => d + 5_000,
            None => self.deps.clock.now_ms() + self.settings.lease_ms.max(chunk_ms * 3),
        }
    }

    async fn checkpoint(
        &self,
        state: &mut RunState,
        revision: u64,
        calls_before: u64,
        deadline: Option<Millis>,
        chunk_ms: i64,
    ) -> Result<Option<u64>, ReconcileError> {
        if let Some((_, until)) = &mut state.lease {
            *until = self.lease_until(deadline, chunk_ms);
        }
        let mut snapshot = state.clone();
        snapshot.bkn_calls += self.deps.bkn.calls_made().saturating_sub(calls_before);
        match self.save(&snapshot, revision).await {
            Ok(r) => {
                crate::crashpoint::crashpoint("reconcile.after_checkpoint");
                Ok(Some(r))
            }
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn snapshot(&self, state: &RunState) -> Result<Snapshot, ReconcileError> {
        // eHRM's whole employee list is needed to plan, and to walk "everyone else" in NIP order;
        // a rolling slice, the priority cohort or one NIP is already in the run's state.
        let walks_everyone = matches!(state.scope, Scope::All | Scope::Unit(_));
        let needs_employees = match state.phase {
            Phase::Planning => !matches!(state.scope, Scope::Nip(_)),
            Phase::Employees => walks_everyone,
            Phase::Units | Phase::Report => false,
        };
        let employees = if needs_employees {
            self.ehrm_read(|| self.deps.ehrm.employees()).await?
        } else {
            Vec::new()
        };
        let units = self.ehrm_read(|| self.deps.ehrm.units()).await?;
        let posts = self.ehrm_read(|| self.deps.ehrm.structural_posts()).await?;
        let mut ctx = Context::new(&units, &posts);
        ctx.callbacks_enabled = self.deps.outbox.is_some();
        apply_lists(&mut ctx, state);
        Ok(Snapshot {
            employees,
            units,
            posts,
            ctx,
        })
    }

    async fn ehrm_read<T, F, Fut>(&self, read: F) -> Result<T, ReconcileError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, SourceError>>,
    {
        let mut pause = 500;
        let mut tries = 0;
        loop {
            tries += 1;
            match read().await {
                Ok(v) => return Ok(v),
                Err(e) if e.transient && tries < self.settings.read_tries => {
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                    pause *= 2;
                }
                Err(e) => return Err(ReconcileError::Ehrm(e)),
            }
        }
    }

    /// A BKN read through the breaker, tried again on transient failures.
    async fn bkn_read<T, F, Fut>(
        &self,
        deadline: Option<Millis>,
        read: F,
    ) -> Result<Result<T, BknError>, Stop>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, BknError>>,
    {
        let mut tries = 0;
        let mut pause = 1_000;
        loop {
            let permit = match &self.deps.breaker {
                Some(b) => match b.permit().await {
                    Ok(Permit::Wait { ms }) => {
                        if self.out_of_time(deadline, ms) {
                            return Err(Stop::Unavailable(
                                "BKN is unavailable (circuit breaker open)".into(),
                            ));
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(ms as u64)).await;
                        continue;
                    }
                    Ok(p) => p,
                    Err(e) => return Err(Stop::Unavailable(format!("the store: {e}"))),
                },
                None => Permit::Go,
            };
            tries += 1;
            let result = read().await;
            if let Some(b) = &self.deps.breaker {
                let call = match &result {
                    Err(e) if e.is_transient() => CallResult::Unavailable {
                        reason: e.message.clone(),
                        suspended: e.message.contains("SUSPENDED"),
                    },
                    _ => CallResult::Answered,
                };
                if let Err(e) = b.record(&permit, &call).await {
                    tracing::warn!(error = %e, "breaker not updated");
                }
            }
            match result {
                Err(e) if e.is_transient() => {
                    if tries >= self.settings.read_tries || self.out_of_time(deadline, pause) {
                        return Err(Stop::Unavailable(format!("BKN: {}", e.message)));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(pause as u64)).await;
                    pause *= 2;
                }
                other => return Ok(other),
            }
        }
    }

    /// The cohort: BKN's promotion and retirement lists and eHRM's structural posts first,
    /// then (by scope) everyone else or a rolling slice.
    async fn plan(&self, state: &mut RunState, snap: &Snapshot) -> Result<(), ReconcileError> {
        let today = jakarta_date(self.deps.clock.now_ms());
        let periode = ehrm_sync_domain::reconcile::next_kp_period(today);
        let (_, until) = ehrm_sync_domain::reconcile::retirement_window(today);
        let kp = self
            .bkn_read(None, || self.deps.bkn.promotion_list(periode))
            .await
            .map_err(stop_error)?
            .map_err(|e| ReconcileError::Bkn(e.message))?;
        let pensiun = self
            .bkn_read(None, || self.deps.bkn.retirement_list(today, until))
            .await
            .map_err(stop_error)?
            .map_err(|e| ReconcileError::Bkn(e.message))?;
        state.periode = Some(ehrm_sync_domain::dates::format_iso_date(periode));
        state.listed_kp = kp.iter().map(|l| l.nip.clone()).collect();
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
            self.deps.reconcile.put_rows(&state.run_id, &rows).await?;
        }
        tracing::info!(run_id = %state.run_id, priority = state.priority.len(),
            rest = state.rest_total, "reconciliation planned");
        Ok(())
    }

    async fn rolling_cursor(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .deps
            .controls
            .control(ROLLING_CONTROL)
            .await?
            .and_then(|c| c.value.get("last_nip")?.as_str().map(str::to_string)))
    }

    /// The employees still to do, in order.
    fn remaining(&self, state: &RunState, snap: &Snapshot) -> Vec<String> {
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

    /// Reads, compares and repairs a chunk; returns how many from the start are done.
    async fn process_chunk(
        &self,
        state: &mut RunState,
        ctx: &Context,
        chunk: &[String],
        deadline: Option<Millis>,
    ) -> Result<(usize, Option<Stop>), ReconcileError> {
        let results: Vec<Result<EmployeeDone, Stop>> = futures::stream::iter(
            chunk
                .iter()
                .map(|nip| self.process_employee(ctx, nip, deadline)),
        )
        .buffered(self.settings.concurrency.max(1))
        .collect()
        .await;
        let mut rows = Vec::new();
        let mut done = 0;
        let mut stop = None;
        for r in results {
            let mut e = match r {
                Ok(e) if stop.is_none() => e,
                Ok(_) => continue,
                Err(s) => {
                    stop.get_or_insert(s);
                    continue;
                }
            };
            done += 1;
            if !state.dry_run {
                let (queued, sent) = apply_repairs(&self.deps, &state.run_id, &mut e).await?;
                state.repairs_queued += queued;
                state.callbacks_sent += sent;
            }
            rows.extend(e.rows);
            if e.missing_at_bkn {
                state.missing_at_bkn.push(e.nip.clone());
            }
            if let Some(why) = e.unreadable {
                state.unreadable += 1;
                if state.unreadable_examples.len() < MAX_UNREADABLE_KEPT {
                    state.unreadable_examples.push((e.nip.clone(), why));
                }
            }
        }
        self.deps.reconcile.put_rows(&state.run_id, &rows).await?;
        Ok((done, stop))
    }

    async fn process_employee(
        &self,
        ctx: &Context,
        nip: &str,
        deadline: Option<Millis>,
    ) -> Result<EmployeeDone, Stop> {
        let mut done = EmployeeDone {
            nip: nip.to_string(),
            ..EmployeeDone::default()
        };
        let Ok(parsed) = Nip::parse(nip) else {
            done.unreadable = Some("eHRM holds an invalid NIP".into());
            return Ok(done);
        };
        let bkn = match self
            .bkn_read(deadline, || self.deps.bkn.employee(&parsed))
            .await?
        {
            Ok(b) => b,
            Err(e) => {
                done.unreadable = Some(format!("BKN refused the read: {}", e.message));
                return Ok(done);
            }
        };
        let ehrm = match self.ehrm_read(|| self.deps.ehrm.employee(nip)).await {
            Ok(e) => e,
            Err(ReconcileError::Ehrm(e)) if !e.transient => {
                done.unreadable = Some(format!("eHRM refused the read: {e}"));
                return Ok(done);
            }
            Err(e) => return Err(Stop::Unavailable(e.to_string())),
        };
        if let Some(pns) = bkn.as_ref().and_then(|b| b.pegawai.pns_id.as_deref())
            && let Err(e) = self
                .deps
                .pns_ids
                .put_pns_id(&parsed, pns, self.deps.clock.now_ms())
                .await
        {
            tracing::warn!(error = %e, "PNS id not cached");
        }
        done.missing_at_bkn = bkn.is_none() && ehrm.is_some();
        let cmp = compare_employee(ctx, nip, ehrm.as_ref(), bkn.as_ref());
        done.rows = cmp.rows;
        done.repairs = cmp.repairs;
        Ok(done)
    }

    async fn compare_unit_sets(
        &self,
        state: &mut RunState,
        snap: &Snapshot,
    ) -> Result<Result<(), Stop>, ReconcileError> {
        let bkn_units = match self.bkn_read(None, || self.deps.bkn.units()).await {
            Ok(Ok(u)) => u,
            Ok(Err(e)) => return Err(ReconcileError::Bkn(e.message)),
            Err(stop) => return Ok(Err(stop)),
        };
        let scope_units = state.unit_filter(&snap.units);
        let units: Vec<UnitFacts> = snap
            .units
            .iter()
            .filter(|u| scope_units.contains(u.id.as_str()))
            .cloned()
            .collect();
        let posts: Vec<StructuralPost> = snap
            .posts
            .iter()
            .filter(|p| scope_units.contains(p.unor_id.as_str()))
            .cloned()
            .collect();
        let bkn_in_scope: Vec<UnitFacts> = if matches!(state.scope, Scope::Unit(_)) {
            let mapped: HashSet<String> = units
                .iter()
                .filter_map(|u| u.bkn_id.as_ref().map(|b| b.to_uppercase()))
                .collect();
            bkn_units
                .into_iter()
                .filter(|b| mapped.contains(&b.id.to_uppercase()))
                .collect()
        } else {
            bkn_units
        };
        let mut holder_pns = HashMap::new();
        for nip in posts.iter().filter_map(|p| p.nip.as_deref()) {
            if let Ok(n) = Nip::parse(nip)
                && let Some(pns) = self.deps.pns_ids.pns_id(&n).await?
            {
                holder_pns.insert(nip.to_string(), pns);
            }
        }
        let mut nip_of_pns = HashMap::new();
        for pns in bkn_in_scope.iter().filter_map(|u| u.head_pns_id.as_deref()) {
            if let Some(nip) = self.deps.pns_ids.nip_for_pns_id(pns).await? {
                nip_of_pns.insert(pns.to_uppercase(), nip);
            }
        }
        let missing: HashSet<String> = state.missing_at_bkn.iter().cloned().collect();
        let rows = compare_units(
            &snap.ctx,
            &units,
            &bkn_in_scope,
            &posts,
            &holder_pns,
            &nip_of_pns,
            &missing,
        );
        self.deps.reconcile.put_rows(&state.run_id, &rows).await?;
        Ok(Ok(()))
    }

    /// Writes the report files and the final summary.
    async fn finish(&self, state: &mut RunState) -> Result<Value, ReconcileError> {
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
        state.finished_at = Some(self.deps.clock.now_ms());
        let mut summary = state.summary(None);
        summary["counts"] = counts(&rows);
        summary["rows"] = json!(rows.len());
        summary["left_for_people"] = json!(
            rows.iter()
                .filter(|r| r.action == Action::NeedsReview)
                .count()
        );
        summary["finished_at_text"] = json!(format_ms(self.deps.clock.now_ms()));
        Ok(summary)
    }
}

/// BKN's promotion and retirement lists, as planned, into the comparison's priorities.
fn apply_lists(ctx: &mut Context, state: &RunState) {
    ctx.kenaikan_pangkat = state.listed_kp.iter().cloned().collect();
    ctx.pensiun = state.listed_pensiun.iter().cloned().collect();
}

fn stop_error(stop: Stop) -> ReconcileError {
    match stop {
        Stop::Unavailable(why) => ReconcileError::Bkn(why),
        Stop::Deadline => ReconcileError::Bkn("out of time".into()),
        Stop::LeaseLost => ReconcileError::Invalid("the run was taken over".into()),
    }
}

fn missing_in_ehrm(ctx: &Context, l: &ListedPns) -> Vec<Discrepancy> {
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

/// Counts by data set, kind and priority, for the summary.
fn counts(rows: &[Discrepancy]) -> Value {
    let mut map: HashMap<(DataSet, Kind, Priority), u64> = HashMap::new();
    for r in rows {
        *map.entry((r.data_set, r.kind, r.priority)).or_default() += 1;
    }
    let mut list: Vec<_> = map.into_iter().collect();
    list.sort();
    Value::Array(
        list.into_iter()
            .map(|((d, k, p), n)| {
                json!({"data_set": d.as_str(), "kind": k.as_str(), "priority": p.as_str(), "count": n})
            })
            .collect(),
    )
}

#[derive(Default)]
struct EmployeeDone {
    nip: String,
    rows: Vec<Discrepancy>,
    repairs: Vec<ehrm_sync_domain::reconcile::compare::KinerjaRepair>,
    missing_at_bkn: bool,
    unreadable: Option<String>,
}

/// Queues the performance repairs and sends the BKN-authoritative rows to eHRM; a repair that
/// cannot be made turns its rows into `needs_review`.
async fn apply_repairs(
    deps: &ReconcilerDeps,
    run_id: &str,
    done: &mut EmployeeDone,
) -> Result<(u64, u64), ReconcileError> {
    let mut queued = 0;
    let mut sent = 0;
    for r in std::mem::take(&mut done.repairs) {
        match queue_kinerja(&deps.store, &deps.queue, &deps.clock, &r).await? {
            Repaired::Queued => queued += 1,
            Repaired::NotPossible(why) => {
                for i in &r.rows {
                    if let Some(row) = done.rows.get_mut(*i) {
                        row.action = Action::NeedsReview;
                    }
                }
                tracing::info!(reason = %why, "performance record left for review");
            }
        }
    }
    if let Some(outbox) = &deps.outbox {
        for row in done.rows.iter().filter(|r| r.action == Action::SentToEhrm) {
            send_to_ehrm(outbox, &deps.clock, run_id, row).await?;
            sent += 1;
        }
    }
    Ok((queued, sent))
}
