//! A readiness run's state and where its pieces are kept: the run (`readiness.run`), its
//! cohort in pages and its findings per chunk of people (control documents, so SQLite and
//! DynamoDB keep them alike and each stays well under DynamoDB's item size), and the last
//! finished runs (`readiness.runs`).

use serde::{Deserialize, Serialize};
use time::Date;

use ehrm_sync_domain::readiness::{Proposal, ReadinessFinding, RuleId, Service, Severity};

use crate::job::RunLife;
use crate::ports::{ControlStore, StoreError, load_document};

pub const RUN_CONTROL: &str = "readiness.run";
pub const RUNS_CONTROL: &str = "readiness.runs";
/// Finished runs kept in `readiness.runs`.
const RUNS_KEPT: usize = 24;
/// Candidates per cohort page.
pub const COHORT_PAGE: usize = 200;

/// A KP period or a retirement date someone faces, with their proposal at BKN if any.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub service: Service,
    /// The KP period, or TMT pensiun.
    pub period: Date,
    pub proposal: Option<Proposal>,
    /// KP only: eHRM says due at this period and BKN lists no proposal up to it.
    #[serde(default)]
    pub due_without_proposal: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub nip: String,
    /// eHRM's unit.
    pub unit: Option<String>,
    pub subjects: Vec<Subject>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCount {
    pub rule: RuleId,
    pub severity: Severity,
    pub count: usize,
}

/// The run, as kept and as summarised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadinessRun {
    /// What the run engine keeps: id, status, lease, invocations, BKN calls, time spent.
    #[serde(flatten)]
    pub life: RunLife,
    pub today: Date,
    /// `kp 2026-12..2027-05, pensiun 2026-12..2028-02[, unit U][, nip N]`.
    pub scope: String,
    pub periods: Vec<Date>,
    pub pension_from: Date,
    pub pension_to: Date,
    pub unit: Option<String>,
    pub nip: Option<String>,
    /// Report only: queue nothing.
    #[serde(default)]
    pub dry_run: bool,
    pub planned: bool,
    /// People per checkpoint (and per findings document).
    pub chunk: usize,
    pub people: usize,
    pub done: usize,
    /// BKN calls for the proposal lists (the rest were for the people).
    pub list_calls: u64,
    pub queued_for_bkn: u64,
    pub findings: usize,
    pub counts: Vec<RuleCount>,
    pub report: Vec<String>,
}

impl ReadinessRun {
    pub fn run_id(&self) -> &str {
        &self.life.run_id
    }

    /// BKN calls for the people read so far.
    pub fn person_calls(&self) -> u64 {
        self.life.bkn_calls.saturating_sub(self.list_calls)
    }

    /// BKN calls per person read so far.
    pub fn calls_per_person(&self) -> f64 {
        self.person_calls() as f64 / self.done.max(1) as f64
    }
}

pub fn cohort_control(run_id: &str, page: usize) -> String {
    format!("readiness.{run_id}.cohort.{page}")
}

pub fn findings_control(run_id: &str, chunk: usize) -> String {
    format!("readiness.{run_id}.findings.{chunk}")
}

/// Every finding of a run, chunk by chunk.
pub async fn all_findings(
    controls: &dyn ControlStore,
    run: &ReadinessRun,
) -> Result<Vec<ReadinessFinding>, StoreError> {
    let mut out = Vec::new();
    for i in 0..run.people.div_ceil(run.chunk.max(1)) {
        let (rows, _) = load_document::<Vec<ReadinessFinding>>(
            controls,
            &findings_control(&run.life.run_id, i),
        )
        .await?;
        out.extend(rows.unwrap_or_default());
    }
    Ok(out)
}

/// Removes one person from a run's cohort pages and findings (their erasure); returns how many
/// of their entries went.
pub async fn erase_person(
    controls: &dyn ControlStore,
    run: &ReadinessRun,
    nip: &str,
) -> Result<u64, StoreError> {
    let findings =
        (0..run.people.div_ceil(run.chunk.max(1))).map(|i| findings_control(&run.life.run_id, i));
    let pages = (0..run.people.div_ceil(COHORT_PAGE)).map(|i| cohort_control(&run.life.run_id, i));
    let mut erased = 0;
    for name in findings.chain(pages) {
        erased += drop_person(controls, &name, nip).await?;
    }
    Ok(erased)
}

/// Rewrites one list document without the entries about `nip`.
async fn drop_person(
    controls: &dyn ControlStore,
    name: &str,
    nip: &str,
) -> Result<u64, StoreError> {
    for _ in 0..5 {
        let (entries, revision) = load_document::<Vec<serde_json::Value>>(controls, name).await?;
        let Some(mut entries) = entries else {
            return Ok(0);
        };
        let before = entries.len();
        entries.retain(|e| e["nip"].as_str() != Some(nip));
        let gone = (before - entries.len()) as u64;
        if gone == 0 {
            return Ok(0);
        }
        let value =
            serde_json::to_value(&entries).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        match controls.put_control(name, &value, revision).await {
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
            Ok(()) => return Ok(gone),
        }
    }
    Err(StoreError::Conflict)
}

/// The newest finished runs first.
pub async fn finished_runs(controls: &dyn ControlStore) -> Result<Vec<ReadinessRun>, StoreError> {
    Ok(load_document::<Vec<ReadinessRun>>(controls, RUNS_CONTROL)
        .await?
        .0
        .unwrap_or_default())
}

/// Drops finished runs from the list (their retention has ended: `crate::retention`).
pub async fn forget_finished(
    controls: &dyn ControlStore,
    run_ids: &[String],
) -> Result<(), StoreError> {
    for _ in 0..5 {
        let (runs, revision) = load_document::<Vec<ReadinessRun>>(controls, RUNS_CONTROL).await?;
        let mut runs = runs.unwrap_or_default();
        runs.retain(|r| !run_ids.contains(&r.life.run_id));
        let value = serde_json::to_value(&runs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        match controls.put_control(RUNS_CONTROL, &value, revision).await {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}

pub async fn remember_finished(
    controls: &dyn ControlStore,
    run: &ReadinessRun,
) -> Result<(), StoreError> {
    for _ in 0..5 {
        let (runs, revision) = load_document::<Vec<ReadinessRun>>(controls, RUNS_CONTROL).await?;
        let mut runs = runs.unwrap_or_default();
        runs.retain(|r| r.life.run_id != run.life.run_id);
        runs.insert(0, run.clone());
        runs.truncate(RUNS_KEPT);
        let value = serde_json::to_value(&runs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        match controls.put_control(RUNS_CONTROL, &value, revision).await {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}
