//! A readiness run's state and where its pieces are kept: the run (`readiness.run`), its
//! cohort in pages and its findings per chunk of people (control documents, so SQLite and
//! DynamoDB keep them alike and each stays well under DynamoDB's item size), and the last
//! finished runs (`readiness.runs`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::Date;

use ehrm_sync_domain::readiness::{Proposal, ReadinessFinding, RuleId, Service, Severity};
use ehrm_sync_domain::record::Millis;

use crate::ports::{ControlStore, StoreError};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessStatus {
    Running,
    Finished,
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
    pub run_id: String,
    pub today: Date,
    /// `kp 2026-12..2027-05, pensiun 2026-12..2028-02[, unit U][, nip N]`.
    pub scope: String,
    pub periods: Vec<Date>,
    pub pension_from: Date,
    pub pension_to: Date,
    pub unit: Option<String>,
    pub nip: Option<String>,
    pub status: ReadinessStatus,
    pub planned: bool,
    /// People per checkpoint (and per findings document).
    pub chunk: usize,
    pub people: usize,
    pub done: usize,
    /// BKN calls for the proposal lists, and for the people.
    pub list_calls: u64,
    pub person_calls: u64,
    pub queued_for_bkn: u64,
    pub findings: usize,
    pub counts: Vec<RuleCount>,
    pub started_at: Millis,
    pub finished_at: Option<Millis>,
    pub invocations: u32,
    pub lease_until: Millis,
    pub pause_reason: Option<String>,
    pub report: Vec<String>,
}

impl ReadinessRun {
    /// BKN calls per person read so far.
    pub fn calls_per_person(&self) -> f64 {
        self.person_calls as f64 / self.done.max(1) as f64
    }
}

pub fn cohort_control(run_id: &str, page: usize) -> String {
    format!("readiness.{run_id}.cohort.{page}")
}

pub fn findings_control(run_id: &str, chunk: usize) -> String {
    format!("readiness.{run_id}.findings.{chunk}")
}

/// A document and its revision (0 when absent).
pub async fn load<T: DeserializeOwned>(
    controls: &dyn ControlStore,
    name: &str,
) -> Result<(Option<T>, u64), StoreError> {
    match controls.control(name).await? {
        Some(c) => {
            let value = serde_json::from_value(c.value)
                .map_err(|e| StoreError::Corrupt(format!("{name}: {e}")))?;
            Ok((Some(value), c.revision))
        }
        None => Ok((None, 0)),
    }
}

/// Writes a document whatever its revision (pieces only one invocation writes, under the
/// run's lease).
pub async fn overwrite<T: Serialize>(
    controls: &dyn ControlStore,
    name: &str,
    value: &T,
) -> Result<(), StoreError> {
    let value = serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    crate::ports::overwrite_control(controls, name, &value).await
}

/// Every finding of a run, chunk by chunk.
pub async fn all_findings(
    controls: &dyn ControlStore,
    run: &ReadinessRun,
) -> Result<Vec<ReadinessFinding>, StoreError> {
    let mut out = Vec::new();
    for i in 0..run.people.div_ceil(run.chunk.max(1)) {
        let (rows, _) =
            load::<Vec<ReadinessFinding>>(controls, &findings_control(&run.run_id, i)).await?;
        out.extend(rows.unwrap_or_default());
    }
    Ok(out)
}

/// The newest finished runs first.
pub async fn finished_runs(controls: &dyn ControlStore) -> Result<Vec<ReadinessRun>, StoreError> {
    Ok(load::<Vec<ReadinessRun>>(controls, RUNS_CONTROL)
        .await?
        .0
        .unwrap_or_default())
}

pub async fn remember_finished(
    controls: &dyn ControlStore,
    run: &ReadinessRun,
) -> Result<(), StoreError> {
    for _ in 0..5 {
        let (runs, revision) = load::<Vec<ReadinessRun>>(controls, RUNS_CONTROL).await?;
        let mut runs = runs.unwrap_or_default();
        runs.retain(|r| r.run_id != run.run_id);
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
