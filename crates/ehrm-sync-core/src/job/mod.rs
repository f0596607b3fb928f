//! The engine of long runs. Reconciliation and the readiness check read thousands of people at
//! BKN's scarce rate: a run takes hours, spans many invocations (a Lambda lives 15 minutes, a
//! command can be stopped), and must never be worked on twice at once. Both follow one
//! protocol, owned here; each supplies only its steps ([`Job`]).
//!
//! * **One open run** per kind, kept as a control document written with compare-and-swap.
//!   A request either resumes it, starts a new one (abandoning an unfinished one), is refused
//!   (a run of another scope is open) or finds nothing to do ([`Choice`]).
//! * **A lease** ([`RunLease`]) keeps two invocations off one run: taken when an invocation
//!   starts, extended at every checkpoint, released when it ends. A live lease held by someone
//!   else answers [`Outcome::Busy`]; a killed invocation's lease runs out and the next one takes
//!   over.
//! * **Steps and checkpoints**: the job does one step at a time (planning, a chunk of people,
//!   the units); after each the run is saved. A step is not started when it would not fit before
//!   the invocation's deadline (twice the last step's time, plus the margin), nor after a cancel.
//! * **Halts**: BKN or eHRM unavailable, the deadline, a cancel — the run pauses at its last
//!   checkpoint with the reason, and the next invocation continues ([`Outcome::Paused`]).
//! * **Guarded reads** ([`Turn`]): BKN through the shared breaker and rate gate, tried again on
//!   transient failures while the deadline allows; eHRM tried again on transient failures.
//!
//! The caller maps the [`Outcome`] to an exit code, a console message or a Lambda result.

mod life;
mod reads;
mod settings;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use ehrm_sync_domain::record::Millis;
use ehrm_sync_domain::sso::WaitReason;

use crate::breaker::Breaker;
use crate::ports::{
    BknError, Clock, ControlStore, RunStatus, SourceError, StoreError, load_document, save_document,
};
pub use life::{RunLease, RunLife};
pub use reads::{ReadFailure, Turn};
pub use settings::{EngineSettings, RunDeps, RunSettings};

/// A run document the engine can drive.
pub trait RunDocument: Serialize + DeserializeOwned + Clone + Send + Sync {
    fn life(&self) -> &RunLife;
    fn life_mut(&mut self) -> &mut RunLife;
}

/// Why an invocation stopped before the run's end; the run continues from its last checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Halt {
    /// Too little of the invocation's time was left for the next step.
    Deadline,
    /// Stopped by hand (Ctrl-C).
    Interrupted,
    /// BKN did not answer within the time the invocation had (outage, breaker open).
    BknUnavailable(String),
    /// eHRM's read API did not answer (transient).
    EhrmUnavailable(String),
    /// No usable BKN SSO token is held (`docs/bkn-sso.md`): the run waits for an operator.
    AwaitingSso(WaitReason),
}

impl std::fmt::Display for Halt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Halt::Deadline => f.write_str("the invocation's time is up"),
            Halt::Interrupted => f.write_str("interrupted"),
            Halt::BknUnavailable(why) => write!(f, "BKN unavailable: {why}"),
            Halt::EhrmUnavailable(why) => write!(f, "eHRM unavailable: {why}"),
            Halt::AwaitingSso(reason) => {
                write!(f, "waiting for a BKN SSO token: {}", reason.words_en())
            }
        }
    }
}

/// What a step left to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// More steps follow.
    More,
    /// The run's work is done; [`Job::finish`] writes its files.
    Done,
    /// Stop here; the next invocation continues.
    Halt(Halt),
}

/// What a request makes of the open run.
#[derive(Debug)]
pub enum Choice<R> {
    /// Continue the open run.
    Resume,
    /// Start this run; an unfinished open run is abandoned.
    Start(R),
    /// Nothing to do now (a scheduled invocation, the last run recent enough).
    Idle,
    /// Refused (a run of another scope is open).
    Refuse(JobError),
}

/// How an invocation ended.
#[derive(Clone, Debug)]
pub enum Outcome<R> {
    Finished(R),
    /// Stopped at a checkpoint; the next invocation continues.
    Paused {
        run: R,
        halt: Halt,
    },
    /// Another invocation holds the run.
    Busy {
        run_id: String,
    },
    /// Nothing to do.
    Idle,
}

impl<R> Outcome<R> {
    pub fn map<S>(self, f: impl FnOnce(R) -> S) -> Outcome<S> {
        match self {
            Outcome::Finished(r) => Outcome::Finished(f(r)),
            Outcome::Paused { run, halt } => Outcome::Paused { run: f(run), halt },
            Outcome::Busy { run_id } => Outcome::Busy { run_id },
            Outcome::Idle => Outcome::Idle,
        }
    }
}

/// A run's progress, after each step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// What the run is at (`employees`, `people`, `units`…).
    pub stage: &'static str,
    pub done: usize,
    pub total: usize,
    pub bkn_calls: u64,
}

/// Why a run could not go on (beyond a halt, which only pauses it).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// eHRM refused a read (configuration, contract): trying again cannot help.
    #[error("eHRM: {0}")]
    Ehrm(SourceError),
    /// BKN refused a read the run cannot do without (a proposal list, the unit tree).
    #[error("BKN: {0}")]
    Bkn(BknError),
    /// A run of another scope is open; resume it, or restart.
    #[error(
        "an unfinished {scope} run ({run_id}) is open; resume it with the same options, or start over with --restart"
    )]
    OtherRunOpen { run_id: String, scope: String },
    /// The run's files could not be written.
    #[error("report: {0}")]
    Report(String),
    /// A repair could not be queued.
    #[error("a repair could not be queued: {0}")]
    Repair(String),
}

/// One kind of long run: its document, how a request chooses, and its steps.
#[async_trait]
pub trait Job: Send + Sync {
    type Run: RunDocument;
    type Request: Send + Sync;

    /// The control document holding the open (or last) run.
    fn control(&self) -> &'static str;
    fn choose(
        &self,
        request: &Self::Request,
        open: Option<&Self::Run>,
        now: Millis,
    ) -> Choice<Self::Run>;
    /// The next piece of work (a phase, a chunk of people). Pieces it writes (rows, findings)
    /// are its own; the run document is saved by the engine after it.
    async fn step(&self, run: &mut Self::Run, turn: &Turn<'_>) -> Result<Step, JobError>;
    /// The finished run's files and final figures.
    async fn finish(&self, run: &mut Self::Run) -> Result<(), JobError>;
    /// Called after every save: where pages read runs from (a summary), if elsewhere.
    async fn publish(&self, _run: &Self::Run) -> Result<(), JobError> {
        Ok(())
    }
    fn progress(&self, run: &Self::Run) -> (&'static str, usize, usize);
    /// BKN calls made so far by this process's client (to count a run's own).
    fn calls_made(&self) -> u64;
}

/// Drives [`Job`]s through the protocol.
pub struct Engine {
    controls: Arc<dyn ControlStore>,
    clock: Arc<dyn Clock>,
    breaker: Option<Arc<Breaker>>,
    settings: EngineSettings,
    cancelled: Arc<AtomicBool>,
}

/// What one invocation carries between steps.
struct Invocation<'p> {
    revision: u64,
    deadline: Option<Millis>,
    calls_before: u64,
    started: Millis,
    last_step_ms: i64,
    progress: &'p (dyn Fn(&Progress) + Send + Sync),
}

impl Engine {
    pub fn new(
        controls: Arc<dyn ControlStore>,
        clock: Arc<dyn Clock>,
        breaker: Option<Arc<Breaker>>,
        settings: EngineSettings,
    ) -> Self {
        Engine {
            controls,
            clock,
            breaker,
            settings,
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The engine of a run with these dependencies and settings.
    pub fn for_run(deps: &RunDeps, settings: &RunSettings) -> Self {
        Self::new(
            deps.controls.clone(),
            deps.clock.clone(),
            deps.breaker.clone(),
            settings.engine(),
        )
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Set it to stop at the next checkpoint (Ctrl-C): the run is saved and can be resumed.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancelled.clone()
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Whether less than `reserve_ms` plus the margin is left before `deadline` (or a cancel
    /// came).
    pub fn out_of_time(&self, deadline: Option<Millis>, reserve_ms: i64) -> bool {
        self.is_cancelled()
            || deadline.is_some_and(|d| {
                self.clock.now_ms() + self.settings.deadline_margin_ms + reserve_ms >= d
            })
    }

    /// The open (or last) run of a job, as stored.
    pub async fn current<J: Job>(&self, job: &J) -> Result<Option<J::Run>, StoreError> {
        Ok(load_document(self.controls.as_ref(), job.control())
            .await?
            .0)
    }

    /// Resumes or starts the run `request` asks for and works on it until it is done, halts, or
    /// the deadline nears.
    pub async fn run<J: Job>(
        &self,
        job: &J,
        request: &J::Request,
        deadline: Option<Millis>,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<Outcome<J::Run>, JobError> {
        let now = self.clock.now_ms();
        let (open, revision) =
            load_document::<J::Run>(self.controls.as_ref(), job.control()).await?;
        let (mut run, revision) = match job.choose(request, open.as_ref(), now) {
            Choice::Idle => return Ok(Outcome::Idle),
            Choice::Refuse(e) => return Err(e),
            Choice::Resume => match open {
                Some(run) => (run, revision),
                None => return Ok(Outcome::Idle),
            },
            Choice::Start(new) => match open {
                Some(old) if old.life().is_open() => (new, self.abandon(job, old, revision).await?),
                _ => (new, revision),
            },
        };
        let Some(revision) = self.take_lease(job, &mut run, revision, deadline).await? else {
            return Ok(Outcome::Busy {
                run_id: run.life().run_id.clone(),
            });
        };
        tracing::info!(job = job.control(), run_id = %run.life().run_id,
            invocation = run.life().invocations, "run invocation starts");
        let mut inv = Invocation {
            revision,
            deadline,
            calls_before: job.calls_made(),
            started: now,
            last_step_ms: 0,
            progress,
        };
        let result = self.steps(job, &mut run, &mut inv).await;
        self.end(job, run, inv, result).await
    }

    async fn abandon<J: Job>(
        &self,
        job: &J,
        mut old: J::Run,
        revision: u64,
    ) -> Result<u64, JobError> {
        let life = old.life_mut();
        life.status = RunStatus::Abandoned;
        life.lease = None;
        let revision = save_document(self.controls.as_ref(), job.control(), &old, revision).await?;
        job.publish(&old).await?;
        Ok(revision)
    }

    /// Takes the run for this invocation; `None` when another invocation holds it.
    async fn take_lease<J: Job>(
        &self,
        job: &J,
        run: &mut J::Run,
        revision: u64,
        deadline: Option<Millis>,
    ) -> Result<Option<u64>, JobError> {
        let now = self.clock.now_ms();
        if run.life().lease.as_ref().is_some_and(|l| l.until > now) {
            return Ok(None);
        }
        let until = self.lease_until(deadline, 0);
        let life = run.life_mut();
        life.lease = Some(RunLease {
            token: crate::ids::new_token(),
            until,
        });
        life.invocations += 1;
        life.status = RunStatus::Running;
        life.pause_reason = None;
        match save_document(self.controls.as_ref(), job.control(), run, revision).await {
            Ok(r) => {
                job.publish(run).await?;
                Ok(Some(r))
            }
            Err(StoreError::Conflict) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Until when an invocation holds the run: its deadline when it has one (it cannot outlive
    /// it), else `lease_ms` or three steps' time past now, whichever is longer.
    fn lease_until(&self, deadline: Option<Millis>, step_ms: i64) -> Millis {
        match deadline {
            Some(d) => d + 5_000,
            None => self.clock.now_ms() + self.settings.lease_ms.max(step_ms * 3),
        }
    }

    /// Steps until the run is done (`None`) or halts.
    async fn steps<J: Job>(
        &self,
        job: &J,
        run: &mut J::Run,
        inv: &mut Invocation<'_>,
    ) -> Result<Option<Halt>, JobError> {
        let turn = Turn::new(self, inv.deadline);
        loop {
            if self.is_cancelled() {
                return Ok(Some(Halt::Interrupted));
            }
            if self.out_of_time(inv.deadline, inv.last_step_ms * 2) {
                return Ok(Some(Halt::Deadline));
            }
            let t0 = self.clock.now_ms();
            let step = job.step(run, &turn).await?;
            inv.last_step_ms = self.clock.now_ms() - t0;
            match step {
                Step::Done => return Ok(None),
                Step::Halt(halt) => return Ok(Some(halt)),
                Step::More => {
                    if !self.checkpoint(job, run, inv).await? {
                        return Err(JobError::Store(StoreError::Conflict));
                    }
                }
            }
        }
    }

    /// Saves progress and extends the lease; `false` if the run was taken over meanwhile.
    async fn checkpoint<J: Job>(
        &self,
        job: &J,
        run: &mut J::Run,
        inv: &mut Invocation<'_>,
    ) -> Result<bool, JobError> {
        let until = self.lease_until(inv.deadline, inv.last_step_ms);
        if let Some(lease) = &mut run.life_mut().lease {
            lease.until = until;
        }
        let mut saved = run.clone();
        saved.life_mut().bkn_calls += job.calls_made().saturating_sub(inv.calls_before);
        match save_document(self.controls.as_ref(), job.control(), &saved, inv.revision).await {
            Ok(r) => {
                inv.revision = r;
                crate::crashpoint::crashpoint("job.after_checkpoint");
                job.publish(&saved).await?;
                let (stage, done, total) = job.progress(run);
                (inv.progress)(&Progress {
                    stage,
                    done,
                    total,
                    bkn_calls: saved.life().bkn_calls,
                });
                Ok(true)
            }
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Releases the run with its status (finished, paused with the reason), or keeps what was
    /// done when a step failed.
    async fn end<J: Job>(
        &self,
        job: &J,
        mut run: J::Run,
        inv: Invocation<'_>,
        result: Result<Option<Halt>, JobError>,
    ) -> Result<Outcome<J::Run>, JobError> {
        let now = self.clock.now_ms();
        let held = run.life_mut().lease.take();
        {
            let life = run.life_mut();
            life.bkn_calls += job.calls_made().saturating_sub(inv.calls_before);
            life.active_ms += now - inv.started;
        }
        let result = match result {
            Ok(None) => job.finish(&mut run).await.map(|()| None),
            other => other,
        };
        let halt = match result {
            Ok(halt) => halt,
            Err(JobError::Store(StoreError::Conflict)) => {
                return Ok(Outcome::Busy {
                    run_id: run.life().run_id.clone(),
                });
            }
            Err(e) => {
                // Keep what was done; the next invocation continues from the last checkpoint.
                let life = run.life_mut();
                life.status = RunStatus::Paused;
                life.pause_reason = Some(e.to_string());
                if let Ok(Some(current)) = self.current(job).await
                    && current.life().run_id == run.life().run_id
                    && current.life().lease == held
                {
                    let saved =
                        save_document(self.controls.as_ref(), job.control(), &run, inv.revision);
                    if saved.await.is_ok() {
                        let _ = job.publish(&run).await;
                    }
                }
                return Err(e);
            }
        };
        let life = run.life_mut();
        match &halt {
            None => {
                life.status = RunStatus::Finished;
                life.finished_at = Some(self.clock.now_ms());
            }
            Some(h) => {
                life.status = RunStatus::Paused;
                life.pause_reason = Some(h.to_string());
            }
        }
        match save_document(self.controls.as_ref(), job.control(), &run, inv.revision).await {
            Ok(_) => {}
            Err(StoreError::Conflict) => {
                return Ok(Outcome::Busy {
                    run_id: run.life().run_id.clone(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        job.publish(&run).await?;
        tracing::info!(job = job.control(), run_id = %run.life().run_id,
            status = %run.life().status, bkn_calls = run.life().bkn_calls, "run invocation ends");
        Ok(match halt {
            None => Outcome::Finished(run),
            Some(halt) => Outcome::Paused { run, halt },
        })
    }
}
