//! Reconciliation runs: plan a cohort (priority employees first), read both sides within BKN's
//! shared rate and circuit breaker, compare, repair what can be repaired, keep every row in the
//! store, checkpoint after every chunk, and resume in the next invocation. A run ends with its
//! report (CSV + JSON) and a summary.
//!
//! One run is open at a time; its state is a control document (`reconciliation.run`) written with
//! compare-and-swap and held under a lease, so two invocations never work on it at once.

mod employees;
mod finishing;
pub use finishing::XLSX_TYPE;
mod lifecycle;
mod planning;
pub(crate) mod reading;
pub mod repair;
mod state;
mod summary;
mod units;

use std::sync::Arc;

use ehrm_sync_domain::reconcile::compare::Context;
use ehrm_sync_domain::reconcile::{PegawaiFacts, StructuralPost, UnitFacts};
use ehrm_sync_domain::record::Millis;

use crate::breaker::Breaker;
use crate::ports::{
    BknDirectory, CallbackOutbox, Clock, ControlStore, DeliveryQueue, EhrmDirectory, PnsIdCache,
    ReconcileStore, ReportSink, SourceError, StoreError, SyncStore,
};
pub use state::{Phase, RunState, RunStatus, Scope};
pub use summary::{FindingCount, RunSummary, Unreadable};

const RUN_CONTROL: &str = "reconcile.run";
const ROLLING_CONTROL: &str = "reconcile.rolling";
/// The unit tree as eHRM last gave it: `{code: parent code or null}`.
pub const UNIT_TREE_CONTROL: &str = "reconcile.unit_tree";
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
    /// Monthly promotion periods read from BKN's proposal list, from the coming one.
    pub kp_horizon_months: u32,
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
            kp_horizon_months: ehrm_sync_domain::reconcile::DEFAULT_KP_HORIZON_MONTHS,
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
    Finished(RunSummary),
    /// Stopped with the run checkpointed (deadline, BKN unavailable); the next invocation
    /// continues.
    Paused {
        summary: RunSummary,
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
}
