//! Promotion and retirement readiness runs (readiness.md §7): plan the cohort from BKN's
//! proposal lists and eHRM's own due dates, read each person at BKN within the shared rate and
//! breaker (only the histories a rule needs), check the rules, send eHRM's missing or differing
//! annual SKP through the normal delivery path, checkpoint after every chunk, resume in the
//! next invocation, and end with `readiness.json`, `.csv` and `.xlsx`.

mod cohort;
mod lifecycle;
mod person;
mod port;
mod report;
pub mod state;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use time::Date;

use ehrm_sync_domain::backoff::RetryPolicy;
use ehrm_sync_domain::readiness::{Ctx, ReadinessConfig};
use ehrm_sync_domain::record::Millis;

use crate::breaker::Breaker;
use crate::ports::{
    BknError, Clock, ControlStore, DeliveryQueue, EhrmDirectory, ReportSink, SourceError,
    StoreError, SyncStore,
};
use crate::retry::run_with_retries;
pub use cohort::{ehrm_kp_period, unit_and_below};
pub use port::{BknReadiness, History, HistoryRows};
pub use report::{CSV_HEADERS, csv, json, workbook};
use state::{COHORT_PAGE, cohort_control, findings_control, load, overwrite};
pub use state::{Candidate, ReadinessRun, ReadinessStatus, RuleCount, Subject, finished_runs};

#[derive(Clone)]
pub struct ReadinessDeps {
    pub ehrm: Arc<dyn EhrmDirectory>,
    pub bkn: Arc<dyn BknReadiness>,
    pub store: Arc<dyn SyncStore>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub controls: Arc<dyn ControlStore>,
    pub reports: Option<Arc<dyn ReportSink>>,
    pub breaker: Option<Arc<Breaker>>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Clone, Debug)]
pub struct ReadinessSettings {
    /// Monthly KP periods looked at, from the coming one.
    pub horizon_months: u32,
    /// Retirement dates looked at, from this month.
    pub pension_months: u32,
    /// People between checkpoints.
    pub chunk: usize,
    /// People read at once (the rate gate bounds BKN calls).
    pub concurrency: usize,
    pub read_tries: u32,
    pub deadline_margin_ms: i64,
    pub lease_ms: i64,
    pub rules: ReadinessConfig,
}

impl Default for ReadinessSettings {
    fn default() -> Self {
        ReadinessSettings {
            horizon_months: 6,
            pension_months: 15,
            chunk: 25,
            concurrency: 4,
            read_tries: 4,
            deadline_margin_ms: 60_000,
            lease_ms: 15 * 60_000,
            rules: ReadinessConfig::default(),
        }
    }
}

/// What to look at. An unfinished run is resumed unless `restart`.
#[derive(Clone, Debug, Default)]
pub struct ReadinessRequest {
    /// One KP period (a 1st of the month) and retirements in its month.
    pub period: Option<Date>,
    pub horizon_months: Option<u32>,
    pub unit: Option<String>,
    pub nip: Option<String>,
    pub restart: bool,
    /// Report only: queue nothing.
    pub dry_run: bool,
}

#[derive(Debug)]
pub enum ReadinessOutcome {
    Finished(ReadinessRun),
    Paused {
        run: ReadinessRun,
        reason: String,
    },
    /// Another invocation holds the run.
    Busy {
        run_id: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ReadinessError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("eHRM: {0}")]
    Ehrm(SourceError),
    #[error("report: {0}")]
    Report(String),
    /// A run of another scope is open; resume it (no options) or restart.
    #[error(
        "run {run_id} ({scope}) is not finished; run the command without options to resume it, or with --restart to abandon it"
    )]
    OtherRunOpen { run_id: String, scope: String },
}

/// Why people stopped being read.
#[derive(Debug)]
pub(crate) enum Stop {
    Unavailable(String),
    Ehrm(SourceError),
}

pub struct Readiness {
    deps: ReadinessDeps,
    settings: ReadinessSettings,
    dry_run: AtomicBool,
    cancelled: Arc<AtomicBool>,
}

impl Readiness {
    pub fn new(deps: ReadinessDeps, settings: ReadinessSettings) -> Self {
        Readiness {
            deps,
            settings,
            dry_run: AtomicBool::new(false),
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn settings(&self) -> &ReadinessSettings {
        &self.settings
    }

    /// Set to stop at the next checkpoint (Ctrl-C).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancelled.clone()
    }

    fn dry_run(&self) -> bool {
        self.dry_run.load(Ordering::Relaxed)
    }

    fn out_of_time(&self, deadline: Option<Millis>, reserve_ms: i64) -> bool {
        self.cancelled.load(Ordering::Relaxed)
            || deadline.is_some_and(|d| {
                self.deps.clock.now_ms() + self.settings.deadline_margin_ms + reserve_ms >= d
            })
    }

    fn policy(&self, base_ms: i64) -> RetryPolicy {
        RetryPolicy {
            base_ms,
            max_ms: 30_000,
            max_attempts: self.settings.read_tries.max(1),
        }
    }

    async fn bkn_read<T, F, Fut>(
        &self,
        deadline: Option<Millis>,
        read: F,
    ) -> Result<Result<T, BknError>, Stop>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, BknError>>,
    {
        crate::reconcile::reading::guarded_bkn_read(
            self.deps.clock.as_ref(),
            self.deps.breaker.as_deref(),
            &self.policy(1_000),
            |ms: i64| !self.out_of_time(deadline, ms),
            read,
        )
        .await
        .map_err(Stop::Unavailable)
    }

    async fn ehrm_read<T, F, Fut>(&self, read: F) -> Result<T, Stop>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, SourceError>>,
    {
        run_with_retries(
            self.deps.clock.as_ref(),
            &self.policy(500),
            |e: &SourceError| e.transient,
            |_| true,
            read,
        )
        .await
        .map_err(Stop::Ehrm)
    }

    /// Runs (or resumes) until finished, paused by BKN's unavailability, the deadline or a
    /// cancel. `progress` is told (done, total, BKN calls) after each chunk.
    pub async fn run(
        &self,
        request: &ReadinessRequest,
        deadline: Option<Millis>,
        progress: &(dyn Fn(usize, usize, u64) + Send + Sync),
    ) -> Result<ReadinessOutcome, ReadinessError> {
        self.dry_run.store(request.dry_run, Ordering::Relaxed);
        let (mut run, mut revision) = match self.take(request).await? {
            Ok(r) => r,
            Err(run_id) => return Ok(ReadinessOutcome::Busy { run_id }),
        };
        let ctx_config = self.settings.rules.clone();
        let ctx = Ctx {
            today: run.today,
            config: &ctx_config,
        };
        let calls_at_start = self.deps.bkn.calls_made();
        if !run.planned {
            match self.plan(&run, ctx, deadline).await {
                Ok(cohort) => {
                    for (i, page) in cohort.chunks(COHORT_PAGE).enumerate() {
                        overwrite(
                            self.deps.controls.as_ref(),
                            &cohort_control(&run.run_id, i),
                            &page.to_vec(),
                        )
                        .await?;
                    }
                    run.people = cohort.len();
                    run.planned = true;
                    run.list_calls += self.deps.bkn.calls_made() - calls_at_start;
                    self.save(&mut run, &mut revision).await?;
                }
                Err(stop) => return self.pause(run, revision, stop).await,
            }
        }
        while run.done < run.people {
            if self.out_of_time(deadline, 0) {
                let why = if self.cancelled.load(Ordering::Relaxed) {
                    "interrupted"
                } else {
                    "out of time"
                };
                return self
                    .pause(run, revision, Stop::Unavailable(why.into()))
                    .await;
            }
            if let Err(stop) = self.process_chunk(&mut run, ctx, deadline).await? {
                return self.pause(run, revision, stop).await;
            }
            self.save(&mut run, &mut revision).await?;
            progress(run.done, run.people, run.list_calls + run.person_calls);
        }
        self.finish(run, revision).await
    }

    /// The next chunk of people, their findings kept; `Ok(Err(stop))` when reading stopped (the
    /// chunk is then done again by the next invocation).
    async fn process_chunk(
        &self,
        run: &mut ReadinessRun,
        ctx: Ctx<'_>,
        deadline: Option<Millis>,
    ) -> Result<Result<(), Stop>, ReadinessError> {
        let before = self.deps.bkn.calls_made();
        let chunk = self.next_chunk(run).await?;
        let results: Vec<_> = futures::stream::iter(chunk.iter())
            .map(|c| self.assess(c, ctx, deadline))
            .buffered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut findings = Vec::new();
        for r in results {
            match r {
                Ok(f) => findings.extend(f),
                Err(stop) => return Ok(Err(stop)),
            }
        }
        let index = run.done / run.chunk;
        overwrite(
            self.deps.controls.as_ref(),
            &findings_control(&run.run_id, index),
            &findings,
        )
        .await?;
        run.done += chunk.len();
        run.person_calls += self.deps.bkn.calls_made() - before;
        run.findings += findings.len();
        let queued: HashSet<_> = findings
            .iter()
            .filter(|f| f.action.is_some())
            .map(|f| (f.nip.clone(), f.tahun))
            .collect();
        run.queued_for_bkn += queued.len() as u64;
        Ok(Ok(()))
    }

    /// The people of the next chunk, from the cohort pages.
    async fn next_chunk(&self, run: &ReadinessRun) -> Result<Vec<Candidate>, ReadinessError> {
        let end = (run.done + run.chunk).min(run.people);
        let mut out = Vec::new();
        let mut page = run.done / COHORT_PAGE;
        while page * COHORT_PAGE < end {
            let (rows, _) = load::<Vec<Candidate>>(
                self.deps.controls.as_ref(),
                &cohort_control(&run.run_id, page),
            )
            .await?;
            let rows = rows.ok_or_else(|| {
                StoreError::Corrupt(format!("cohort page {page} of {} is missing", run.run_id))
            })?;
            let base = page * COHORT_PAGE;
            out.extend(
                rows.into_iter()
                    .enumerate()
                    .filter(|(i, _)| base + i >= run.done && base + i < end)
                    .map(|(_, c)| c),
            );
            page += 1;
        }
        Ok(out)
    }

    async fn plan(
        &self,
        run: &ReadinessRun,
        ctx: Ctx<'_>,
        deadline: Option<Millis>,
    ) -> Result<Vec<Candidate>, Stop> {
        let mut employees = self.ehrm_read(|| self.deps.ehrm.employees()).await?;
        let mut only: Option<HashSet<String>> = None;
        if let Some(unit) = &run.unit {
            let units = self.ehrm_read(|| self.deps.ehrm.units()).await?;
            let below = unit_and_below(&units, unit);
            employees.retain(|e| e.unor.as_ref().is_some_and(|u| below.contains(u)));
            only = Some(employees.iter().map(|e| e.nip.clone()).collect());
        }
        if let Some(nip) = &run.nip {
            employees.retain(|e| &e.nip == nip);
            only = Some(HashSet::from([nip.clone()]));
        }
        let mut lists = cohort::Lists {
            kp: Vec::new(),
            pensiun: Vec::new(),
        };
        for p in &run.periods {
            let got = self
                .bkn_read(deadline, || self.deps.bkn.kp_proposals(*p))
                .await?;
            lists.kp.push((
                *p,
                got.map_err(|e| {
                    Stop::Unavailable(format!("BKN refused list-kp-instansi: {}", e.message))
                })?,
            ));
        }
        for (from, to) in cohort::pension_months(run.pension_from, run.pension_to) {
            let got = self
                .bkn_read(deadline, || self.deps.bkn.pension_proposals(from, to))
                .await?;
            lists.pensiun.extend(got.map_err(|e| {
                Stop::Unavailable(format!("BKN refused list-pensiun-instansi: {}", e.message))
            })?);
        }
        Ok(cohort::plan(
            &lists,
            &employees,
            only.as_ref(),
            &run.periods,
            (run.pension_from, run.pension_to),
            ctx,
        ))
    }

    async fn finish(
        &self,
        mut run: ReadinessRun,
        mut revision: u64,
    ) -> Result<ReadinessOutcome, ReadinessError> {
        let findings = state::all_findings(self.deps.controls.as_ref(), &run).await?;
        run.counts = report::counts(&findings);
        run.findings = findings.len();
        run.status = ReadinessStatus::Finished;
        run.finished_at = Some(self.deps.clock.now_ms());
        if let Some(sink) = &self.deps.reports {
            let files: [(&str, &str, Vec<u8>); 3] = [
                (
                    "readiness.json",
                    "application/json",
                    report::json(&run, &findings).into_bytes(),
                ),
                (
                    "readiness.csv",
                    "text/csv; charset=utf-8",
                    report::csv(&findings).into_bytes(),
                ),
                (
                    "readiness.xlsx",
                    report::XLSX_TYPE,
                    report::workbook(&run, &findings).map_err(ReadinessError::Report)?,
                ),
            ];
            run.report.clear();
            for (name, kind, bytes) in files {
                run.report
                    .push(sink.write(&run.run_id, name, kind, bytes).await?);
            }
        }
        self.save(&mut run, &mut revision).await?;
        state::remember_finished(self.deps.controls.as_ref(), &run).await?;
        Ok(ReadinessOutcome::Finished(run))
    }

    /// The findings of a finished (or running) run.
    pub async fn findings(
        &self,
        run: &ReadinessRun,
    ) -> Result<Vec<ehrm_sync_domain::readiness::ReadinessFinding>, StoreError> {
        state::all_findings(self.deps.controls.as_ref(), run).await
    }
}
