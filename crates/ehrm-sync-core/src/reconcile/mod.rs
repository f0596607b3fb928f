//! Reconciliation runs: plan a cohort (priority employees first), read both sides within BKN's
//! shared rate and circuit breaker, compare, repair what can be repaired, keep every row in the
//! store, and end with a report (CSV, JSON, Excel) and a summary.
//!
//! A run is a [`Job`] of the run engine ([`crate::job`]), which owns what every long run shares
//! (one open run, its lease, checkpoints after every step, halts, resuming). Its steps:
//! planning (`planning`), a chunk of employees at a time (`employees`), the unit tree and
//! structural officials (`units`); then its files (`finishing`).

mod employees;
mod finishing;
mod planning;
mod snapshot;
mod state;
mod summary;
mod units;

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;

use ehrm_sync_domain::record::Millis;

use crate::job::{
    Choice, Engine, Job, JobError, Outcome, Progress, RunDeps, RunDocument, RunSettings, Step, Turn,
};
use crate::ports::{
    BknDirectory, CallbackOutbox, Phase, PnsIdCache, ReconcileStore, RunSummary, Scope,
};
use snapshot::Snapshot;
pub use snapshot::UNIT_TREE_CONTROL;
pub use state::{FindingTotals, RunState};

const RUN_CONTROL: &str = "reconcile.run";
const ROLLING_CONTROL: &str = "reconcile.rolling";
/// Kept in the run state at most (the summary keeps the count).
const MAX_UNREADABLE_KEPT: usize = 200;

/// Everything a run reads and writes.
#[derive(Clone)]
pub struct ReconcilerDeps {
    /// What every long run uses.
    pub run: RunDeps,
    pub bkn: Arc<dyn BknDirectory>,
    pub pns_ids: Arc<dyn PnsIdCache>,
    pub reconcile: Arc<dyn ReconcileStore>,
    /// Present when eHRM callbacks are configured.
    pub outbox: Option<Arc<dyn CallbackOutbox>>,
}

#[derive(Clone, Debug)]
pub struct ReconcileSettings {
    /// Checkpoints, reading, the deadline's margin, the lease.
    pub run: RunSettings,
    /// A scheduled (rolling) run covers the priority cohort plus 1/`cover_days` of everyone
    /// else, so every employee is covered within this many days.
    pub cover_days: u32,
    /// A new scheduled run starts when the last one started at least this long ago.
    pub interval_ms: i64,
    /// Monthly promotion periods read from BKN's proposal list, from the coming one.
    pub kp_horizon_months: u32,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        ReconcileSettings {
            run: RunSettings::default(),
            cover_days: 7,
            interval_ms: 24 * 3_600_000,
            kp_horizon_months: ehrm_sync_domain::reconcile::DEFAULT_KP_HORIZON_MONTHS,
        }
    }
}

/// A run asked for by hand.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRequest {
    pub scope: Scope,
    pub dry_run: bool,
    /// Abandon an unfinished run of another scope and start this one.
    pub restart: bool,
}

/// What an invocation is asked to do.
#[derive(Clone, Debug, PartialEq)]
pub enum ReconcileRequest {
    /// Resume the open run of the same scope, or start one (or, with `restart`, abandon an
    /// open run of another scope).
    ByHand(RunRequest),
    /// The schedule: continue the open run whatever its scope, or start a rolling run when the
    /// last one started at least the interval ago.
    Scheduled,
}

/// How an invocation ended, with the run's summary.
pub type RunOutcome = Outcome<RunSummary>;

pub struct Reconciler {
    job: ReconcileJob,
    engine: Engine,
}

impl Reconciler {
    pub fn new(deps: ReconcilerDeps, settings: ReconcileSettings) -> Self {
        let engine = Engine::for_run(&deps.run, &settings.run);
        Reconciler {
            job: ReconcileJob {
                deps,
                settings,
                local: tokio::sync::Mutex::new(None),
            },
            engine,
        }
    }

    /// Set it to stop at the next checkpoint (Ctrl-C): the run is saved and can be resumed.
    pub fn cancel_flag(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.engine.cancel_flag()
    }

    pub fn settings(&self) -> &ReconcileSettings {
        &self.job.settings
    }

    /// A run by hand: resumes the open run of the same scope or starts one; `deadline` bounds
    /// this invocation (none: until done).
    pub async fn run(
        &self,
        request: &RunRequest,
        deadline: Option<Millis>,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<RunOutcome, JobError> {
        self.invoke(
            &ReconcileRequest::ByHand(request.clone()),
            deadline,
            progress,
        )
        .await
    }

    /// A scheduled invocation: continues the open run (whatever its scope), or starts a rolling
    /// run when the last one started at least `interval` ago.
    pub async fn scheduled(
        &self,
        deadline: Option<Millis>,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<RunOutcome, JobError> {
        self.invoke(&ReconcileRequest::Scheduled, deadline, progress)
            .await
    }

    pub async fn invoke(
        &self,
        request: &ReconcileRequest,
        deadline: Option<Millis>,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<RunOutcome, JobError> {
        let outcome = self
            .engine
            .run(&self.job, request, deadline, progress)
            .await;
        *self.job.local.lock().await = None;
        Ok(outcome?.map(|state| state.summary()))
    }
}

/// The reconciliation's steps, for the engine.
struct ReconcileJob {
    deps: ReconcilerDeps,
    settings: ReconcileSettings,
    /// What stays fixed during one invocation: eHRM's directories, the employees still to do.
    local: tokio::sync::Mutex<Option<Invocation>>,
}

/// One invocation's view of the directories and its queue of employees.
struct Invocation {
    run_id: String,
    snapshot: Snapshot,
    queue: Option<VecDeque<String>>,
}

impl RunDocument for RunState {
    fn life(&self) -> &crate::job::RunLife {
        &self.life
    }

    fn life_mut(&mut self) -> &mut crate::job::RunLife {
        &mut self.life
    }
}

#[async_trait]
impl Job for ReconcileJob {
    type Run = RunState;
    type Request = ReconcileRequest;

    fn control(&self) -> &'static str {
        RUN_CONTROL
    }

    fn choose(
        &self,
        request: &ReconcileRequest,
        open: Option<&RunState>,
        now: Millis,
    ) -> Choice<RunState> {
        let open_run = open.filter(|s| s.life.is_open());
        match request {
            ReconcileRequest::ByHand(r) => match open_run {
                Some(s) if s.scope == r.scope && s.dry_run == r.dry_run => Choice::Resume,
                Some(_) if r.restart => Choice::Start(RunState::new(r, now)),
                Some(s) => Choice::Refuse(JobError::OtherRunOpen {
                    run_id: s.life.run_id.clone(),
                    scope: s.scope.to_string(),
                }),
                None => Choice::Start(RunState::new(r, now)),
            },
            ReconcileRequest::Scheduled => match (open_run, open) {
                (Some(_), _) => Choice::Resume,
                (None, Some(last)) if now - last.life.started_at < self.settings.interval_ms => {
                    Choice::Idle
                }
                _ => Choice::Start(RunState::new(
                    &RunRequest {
                        scope: Scope::Slice,
                        dry_run: false,
                        restart: false,
                    },
                    now,
                )),
            },
        }
    }

    async fn step(&self, state: &mut RunState, turn: &Turn<'_>) -> Result<Step, JobError> {
        let mut local = self.local.lock().await;
        if local.as_ref().is_none_or(|l| l.run_id != state.life.run_id) {
            *local = Some(Invocation {
                run_id: state.life.run_id.clone(),
                snapshot: self.snapshot(state, turn).await?,
                queue: None,
            });
        }
        let Some(inv) = local.as_mut() else {
            return Ok(Step::More);
        };
        match state.phase {
            Phase::Planning => {
                if let Some(halt) = self.plan(state, &inv.snapshot, turn).await? {
                    return Ok(Step::Halt(halt));
                }
                planning::apply_lists(&mut inv.snapshot.ctx, state);
                state.phase = Phase::Employees;
                Ok(Step::More)
            }
            Phase::Employees => {
                let queue = inv
                    .queue
                    .get_or_insert_with(|| self.remaining(state, &inv.snapshot).into());
                if queue.is_empty() {
                    state.phase = if state.scope.compares_units() {
                        Phase::Units
                    } else {
                        Phase::Report
                    };
                    return Ok(Step::More);
                }
                let n = self.settings.run.chunk.max(1).min(queue.len());
                let chunk: Vec<String> = queue.iter().take(n).cloned().collect();
                let (done, halt) = self
                    .process_chunk(state, &inv.snapshot.ctx, &chunk, turn)
                    .await?;
                state.advance(&chunk[..done]);
                queue.drain(..done);
                Ok(halt.map_or(Step::More, Step::Halt))
            }
            Phase::Units => match self.compare_unit_sets(state, &inv.snapshot, turn).await? {
                Some(halt) => Ok(Step::Halt(halt)),
                None => {
                    state.phase = Phase::Report;
                    Ok(Step::Done)
                }
            },
            Phase::Report => Ok(Step::Done),
        }
    }

    async fn finish(&self, state: &mut RunState) -> Result<(), JobError> {
        self.finish_run(state).await
    }

    async fn publish(&self, state: &RunState) -> Result<(), JobError> {
        self.deps
            .reconcile
            .put_run(&state.life.run_id, &state.summary())
            .await?;
        Ok(())
    }

    fn progress(&self, state: &RunState) -> (&'static str, usize, usize) {
        let stage = match state.phase {
            Phase::Planning => "planning",
            Phase::Employees => "employees",
            Phase::Units => "units",
            Phase::Report => "report",
        };
        (stage, state.done(), state.total())
    }

    fn calls_made(&self) -> u64 {
        self.deps.bkn.calls_made()
    }
}
