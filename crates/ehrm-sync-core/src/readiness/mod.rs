//! Promotion and retirement readiness runs (`docs/readiness-rules.md`): plan the cohort from
//! BKN's proposal lists and eHRM's own due dates, read each person at BKN within the shared
//! rate and breaker (only the histories a rule needs), check the rules, send eHRM's missing or
//! differing annual SKP through the normal delivery path, and end with `readiness.json`, `.csv`
//! and `.xlsx`.
//!
//! A run is a [`Job`] of the run engine ([`crate::job`]): planning is its first step, then a
//! chunk of people at a time (`person`); the engine checkpoints, halts and resumes.

mod cohort;
mod person;
mod report;
pub mod state;

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use time::Date;

use ehrm_sync_domain::readiness::{Ctx, ReadinessConfig, ReadinessFinding, add_months};
use ehrm_sync_domain::reconcile::kp_periods;
use ehrm_sync_domain::record::Millis;

use crate::clock::{format_ms, jakarta_date};
use crate::job::{
    Choice, Engine, Halt, Job, JobError, Outcome, Progress, ReadFailure, RunDeps, RunDocument,
    RunLife, RunSettings, Step, Turn,
};
use crate::ports::{BknReadiness, StoreError, XLSX_TYPE, load_document, overwrite_document};
pub use cohort::{ehrm_kp_period, unit_and_below};
pub use report::{CSV_HEADERS, ReadinessLine, csv, json, tables};
use state::{COHORT_PAGE, cohort_control, findings_control};
pub use state::{
    Candidate, RUN_CONTROL, ReadinessRun, RuleCount, Subject, all_findings, erase_person,
    finished_runs, forget_finished,
};

#[derive(Clone)]
pub struct ReadinessDeps {
    /// What every long run uses.
    pub run: RunDeps,
    pub bkn: Arc<dyn BknReadiness>,
}

#[derive(Clone, Debug)]
pub struct ReadinessSettings {
    /// Checkpoints, reading, the deadline's margin, the lease.
    pub run: RunSettings,
    /// Monthly KP periods looked at, from the coming one.
    pub horizon_months: u32,
    /// Retirement dates looked at, from this month.
    pub pension_months: u32,
    pub rules: ReadinessConfig,
}

impl Default for ReadinessSettings {
    fn default() -> Self {
        ReadinessSettings {
            run: RunSettings {
                read_tries: 4,
                ..RunSettings::default()
            },
            horizon_months: 6,
            pension_months: 15,
            rules: ReadinessConfig::default(),
        }
    }
}

/// What to look at. An unfinished run is resumed unless `restart`.
#[derive(Clone, Debug, Default, PartialEq)]
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

impl ReadinessRequest {
    fn asks_a_scope(&self) -> bool {
        self.period.is_some()
            || self.horizon_months.is_some()
            || self.unit.is_some()
            || self.nip.is_some()
    }
}

/// What an invocation is asked to do.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadinessCall {
    ByHand(ReadinessRequest),
    /// The schedule: continue the open run, or start this month's when the last one started
    /// in an earlier month; idle once this month's run is done.
    Scheduled,
}

/// How an invocation ended, with the run.
pub type ReadinessOutcome = Outcome<ReadinessRun>;

pub struct Readiness {
    job: ReadinessJob,
    engine: Engine,
}

impl Readiness {
    pub fn new(deps: ReadinessDeps, settings: ReadinessSettings) -> Self {
        let engine = Engine::for_run(&deps.run, &settings.run);
        Readiness {
            job: ReadinessJob { deps, settings },
            engine,
        }
    }

    pub fn settings(&self) -> &ReadinessSettings {
        &self.job.settings
    }

    /// Set to stop at the next checkpoint (Ctrl-C).
    pub fn cancel_flag(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.engine.cancel_flag()
    }

    /// Runs (or resumes) until finished, halted by BKN's or eHRM's unavailability, the
    /// deadline or a cancel. `progress` is told after each chunk.
    pub async fn run(
        &self,
        request: &ReadinessRequest,
        deadline: Option<Millis>,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<ReadinessOutcome, JobError> {
        let call = ReadinessCall::ByHand(request.clone());
        self.engine.run(&self.job, &call, deadline, progress).await
    }

    /// What the schedule asks for: continue the open run, or start this month's run when the
    /// last one started in an earlier month; [`Outcome::Idle`] when this month's run is done.
    pub async fn scheduled(&self, deadline: Option<Millis>) -> Result<ReadinessOutcome, JobError> {
        self.engine
            .run(&self.job, &ReadinessCall::Scheduled, deadline, &|_| {})
            .await
    }

    /// The findings of a finished (or running) run.
    pub async fn findings(&self, run: &ReadinessRun) -> Result<Vec<ReadinessFinding>, StoreError> {
        state::all_findings(self.job.deps.run.controls.as_ref(), run).await
    }
}

/// The readiness check's steps, for the engine.
struct ReadinessJob {
    deps: ReadinessDeps,
    settings: ReadinessSettings,
}

impl RunDocument for ReadinessRun {
    fn life(&self) -> &RunLife {
        &self.life
    }

    fn life_mut(&mut self) -> &mut RunLife {
        &mut self.life
    }
}

/// `20261202T090615529`: the start in Jakarta time, safe in file names, S3 keys and URLs.
fn run_stamp(now: Millis) -> String {
    let text = format_ms(now);
    let local = text.split('+').next().unwrap_or(&text);
    local
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect()
}

/// Why reading stopped: the run halts (and continues later), or cannot go on.
pub(crate) enum Stopped {
    Halt(Halt),
    Failed(JobError),
}

impl From<ReadFailure> for Stopped {
    fn from(f: ReadFailure) -> Self {
        match f {
            ReadFailure::Halted(h) => Stopped::Halt(h),
            ReadFailure::Refused(e) => Stopped::Failed(JobError::Bkn(e)),
        }
    }
}

impl ReadinessJob {
    /// A new run for the request.
    fn new_run(&self, request: &ReadinessRequest, now: Millis) -> ReadinessRun {
        let today = jakarta_date(now);
        let (periods, pension_from, pension_to) = match request.period {
            Some(p) => (vec![p], p, add_months(p, 1).previous_day().unwrap_or(p)),
            None => {
                let months = request
                    .horizon_months
                    .unwrap_or(self.settings.horizon_months)
                    .max(1);
                let from = today.replace_day(1).unwrap_or(today);
                let to = add_months(from, self.settings.pension_months as i32);
                (
                    kp_periods(today, months),
                    from,
                    to.previous_day().unwrap_or(to),
                )
            }
        };
        let ym = |d: &Date| format!("{:04}-{:02}", d.year(), u8::from(d.month()));
        let mut scope = format!(
            "kp {}..{}, pensiun {}..{}",
            periods.first().map(ym).unwrap_or_default(),
            periods.last().map(ym).unwrap_or_default(),
            ym(&pension_from),
            ym(&pension_to)
        );
        if let Some(u) = &request.unit {
            scope.push_str(&format!(", unit {u}"));
        }
        if let Some(n) = &request.nip {
            scope.push_str(&format!(", nip {n}"));
        }
        ReadinessRun {
            life: RunLife::new(format!("kesiapan-{}", run_stamp(now)), now),
            today,
            scope,
            periods,
            pension_from,
            pension_to,
            unit: request.unit.clone(),
            nip: request.nip.clone(),
            dry_run: request.dry_run,
            planned: false,
            chunk: self.settings.run.chunk.max(1),
            people: 0,
            done: 0,
            list_calls: 0,
            queued_for_bkn: 0,
            findings: 0,
            counts: Vec::new(),
            report: Vec::new(),
        }
    }

    fn ctx<'a>(&'a self, run: &ReadinessRun) -> Ctx<'a> {
        Ctx {
            today: run.today,
            config: &self.settings.rules,
        }
    }
}

#[async_trait]
impl Job for ReadinessJob {
    type Run = ReadinessRun;
    type Request = ReadinessCall;

    fn control(&self) -> &'static str {
        RUN_CONTROL
    }

    fn choose(
        &self,
        call: &ReadinessCall,
        open: Option<&ReadinessRun>,
        now: Millis,
    ) -> Choice<ReadinessRun> {
        let open_run = open.filter(|r| r.life.is_open());
        match call {
            ReadinessCall::ByHand(request) => match open_run {
                Some(_) if request.restart => Choice::Start(self.new_run(request, now)),
                Some(r)
                    if request.asks_a_scope() && self.new_run(request, now).scope != r.scope =>
                {
                    Choice::Refuse(JobError::OtherRunOpen {
                        run_id: r.life.run_id.clone(),
                        scope: r.scope.clone(),
                    })
                }
                Some(_) => Choice::Resume,
                None => Choice::Start(self.new_run(request, now)),
            },
            ReadinessCall::Scheduled => {
                let this_month = jakarta_date(now).replace_day(1).ok();
                match open {
                    Some(r) if r.life.is_open() => Choice::Resume,
                    Some(r)
                        if r.life.status == crate::ports::RunStatus::Finished
                            && r.today.replace_day(1).ok() == this_month =>
                    {
                        Choice::Idle
                    }
                    _ => Choice::Start(self.new_run(&ReadinessRequest::default(), now)),
                }
            }
        }
    }

    async fn step(&self, run: &mut ReadinessRun, turn: &Turn<'_>) -> Result<Step, JobError> {
        if !run.planned {
            let before = self.deps.bkn.calls_made();
            let cohort = match self.plan(run, turn).await {
                Ok(cohort) => cohort,
                Err(Stopped::Halt(h)) => return Ok(Step::Halt(h)),
                Err(Stopped::Failed(e)) => return Err(e),
            };
            for (i, page) in cohort.chunks(COHORT_PAGE).enumerate() {
                let name = cohort_control(&run.life.run_id, i);
                overwrite_document(self.deps.run.controls.as_ref(), &name, &page.to_vec()).await?;
            }
            run.people = cohort.len();
            run.planned = true;
            run.list_calls += self.deps.bkn.calls_made().saturating_sub(before);
            return Ok(Step::More);
        }
        if run.done >= run.people {
            return Ok(Step::Done);
        }
        match self.process_chunk(run, turn).await {
            Ok(()) => Ok(Step::More),
            Err(Stopped::Halt(h)) => Ok(Step::Halt(h)),
            Err(Stopped::Failed(e)) => Err(e),
        }
    }

    async fn finish(&self, run: &mut ReadinessRun) -> Result<(), JobError> {
        let findings = state::all_findings(self.deps.run.controls.as_ref(), run).await?;
        run.counts = report::counts(&findings);
        run.findings = findings.len();
        run.life.finished_at = Some(self.deps.run.clock.now_ms());
        if let Some(sink) = &self.deps.run.reports {
            let mut files: Vec<(&str, &str, Vec<u8>)> = vec![
                (
                    "readiness.json",
                    "application/json",
                    report::json(run, &findings).into_bytes(),
                ),
                (
                    "readiness.csv",
                    "text/csv; charset=utf-8",
                    report::csv(&findings).into_bytes(),
                ),
            ];
            if let Some(w) = &self.deps.run.workbooks {
                let people = crate::people::load(self.deps.run.controls.as_ref()).await?;
                let lines: Vec<ReadinessLine<'_>> = findings
                    .iter()
                    .map(|finding| ReadinessLine {
                        finding,
                        follow_up: None,
                    })
                    .collect();
                let bytes = w
                    .workbook(&report::tables(run, &lines, &people))
                    .map_err(|e| JobError::Report(e.to_string()))?;
                files.push(("readiness.xlsx", XLSX_TYPE, bytes));
            }
            run.report.clear();
            for (name, kind, bytes) in files {
                run.report
                    .push(sink.write(&run.life.run_id, name, kind, bytes).await?);
            }
        }
        let mut finished = run.clone();
        finished.life.status = crate::ports::RunStatus::Finished;
        finished.life.lease = None;
        state::remember_finished(self.deps.run.controls.as_ref(), &finished).await?;
        Ok(())
    }

    fn progress(&self, run: &ReadinessRun) -> (&'static str, usize, usize) {
        // After planning no one is done yet: that checkpoint is planning's.
        let stage = if run.done == 0 { "planning" } else { "people" };
        (stage, run.done, run.people)
    }

    fn calls_made(&self) -> u64 {
        self.deps.bkn.calls_made()
    }
}

impl ReadinessJob {
    /// The next chunk of people, their findings kept.
    async fn process_chunk(&self, run: &mut ReadinessRun, turn: &Turn<'_>) -> Result<(), Stopped> {
        let chunk = self.next_chunk(run).await.map_err(store_failed)?;
        let ctx = self.ctx(run);
        let dry_run = run.dry_run;
        // The futures are built first: a closure inside the stream would make the step's
        // future not `Send` for every lifetime (the async trait needs that).
        let reads: Vec<_> = chunk
            .iter()
            .map(|c| self.assess(c, ctx, dry_run, turn))
            .collect();
        let results: Vec<_> = futures::stream::iter(reads)
            .buffered(self.settings.run.concurrency.max(1))
            .collect()
            .await;
        let mut findings = Vec::new();
        for r in results {
            findings.extend(r?);
        }
        let index = run.done / run.chunk;
        let name = findings_control(&run.life.run_id, index);
        overwrite_document(self.deps.run.controls.as_ref(), &name, &findings)
            .await
            .map_err(store_failed)?;
        run.done += chunk.len();
        run.findings += findings.len();
        let queued: HashSet<_> = findings
            .iter()
            .filter(|f| f.action.is_some())
            .map(|f| (f.nip.clone(), f.tahun))
            .collect();
        run.queued_for_bkn += queued.len() as u64;
        Ok(())
    }

    /// The people of the next chunk, from the cohort pages.
    async fn next_chunk(&self, run: &ReadinessRun) -> Result<Vec<Candidate>, StoreError> {
        let end = (run.done + run.chunk).min(run.people);
        let mut out = Vec::new();
        let mut page = run.done / COHORT_PAGE;
        while page * COHORT_PAGE < end {
            let name = cohort_control(&run.life.run_id, page);
            let (rows, _) =
                load_document::<Vec<Candidate>>(self.deps.run.controls.as_ref(), &name).await?;
            let rows = rows.ok_or_else(|| {
                StoreError::Corrupt(format!("cohort page {page} of {} is missing", run.run_id()))
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

    async fn plan(&self, run: &ReadinessRun, turn: &Turn<'_>) -> Result<Vec<Candidate>, Stopped> {
        let ehrm = &self.deps.run.ehrm;
        let mut employees = turn.ehrm(|| ehrm.employees()).await.map_err(ehrm_stopped)?;
        let mut only: Option<HashSet<String>> = None;
        if let Some(unit) = &run.unit {
            let units = turn.ehrm(|| ehrm.units()).await.map_err(ehrm_stopped)?;
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
        let bkn = &self.deps.bkn;
        for p in &run.periods {
            let got = turn.bkn(|| bkn.kp_proposals(*p)).await?;
            lists.kp.push((*p, got));
        }
        for (from, to) in cohort::pension_months(run.pension_from, run.pension_to) {
            lists
                .pensiun
                .extend(turn.bkn(|| bkn.pension_proposals(from, to)).await?);
        }
        Ok(cohort::plan(
            &lists,
            &employees,
            only.as_ref(),
            &run.periods,
            (run.pension_from, run.pension_to),
            self.ctx(run),
        ))
    }
}

/// eHRM unavailable halts the run; a refusal stops it.
pub(crate) fn ehrm_stopped(e: crate::ports::SourceError) -> Stopped {
    if e.transient {
        Stopped::Halt(Halt::EhrmUnavailable(e.message))
    } else {
        Stopped::Failed(JobError::Ehrm(e))
    }
}

fn store_failed(e: StoreError) -> Stopped {
    Stopped::Failed(JobError::Store(e))
}
