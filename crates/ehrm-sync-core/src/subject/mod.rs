//! A data subject's report and erasure (UU 27/2022 Art. 32, 43–44; `docs/privacy.md`): what
//! ehrm-sync holds about one person and what it did with it — each change received, each BKN
//! call, each callback, each finding and follow-up mark, each console view and download that
//! named them — and the erasure that keeps only what prevents a resend (record keys, versions,
//! statuses, BKN ids).
//!
//! * [`report`] assembles the report from the ports (`tables` writes its workbook sheets).
//! * [`forget`] erases, refused while the person has records not yet settled or a run that
//!   includes them is open.

mod forget;
mod tables;

use std::sync::Arc;

use serde::Serialize;

use ehrm_sync_domain::nip::Nip;
use ehrm_sync_domain::readiness::ReadinessFinding;
use ehrm_sync_domain::reconcile::Discrepancy;
use ehrm_sync_domain::record::{Millis, SyncRecord};

use crate::clock::format_ms;
use crate::ports::{
    AUDIT_STREAM, AttemptEntry, Callback, ChangeLogEntry, Clock, ControlStore, FindingMark,
    FindingMarks, PersonalHistory, PnsIdCache, ReconcileStore, StoreError, SyncStore,
};
use crate::readiness::{ReadinessRun, all_findings, finished_runs};

pub use forget::{ForgetOutcome, Refusal, forget};
pub use tables::subject_tables;

/// Reconciliation runs looked at (the newest; older ones are purged by retention anyway).
const RUNS_READ: usize = 100;
/// Audit entries read back, newest first.
const AUDIT_READ: usize = 200_000;
/// The prefix of a readiness finding's follow-up mark, before the NIP.
const READINESS_MARK: &str = "kesiapan|";

/// What the report and the erasure read and write.
#[derive(Clone)]
pub struct SubjectDeps {
    pub store: Arc<dyn SyncStore>,
    pub history: Arc<dyn PersonalHistory>,
    pub pns: Arc<dyn PnsIdCache>,
    pub reconcile: Arc<dyn ReconcileStore>,
    pub controls: Arc<dyn ControlStore>,
    pub marks: Arc<dyn FindingMarks>,
    pub clock: Arc<dyn Clock>,
}

/// One reconciliation finding about the person, with its run.
#[derive(Clone, Debug, Serialize)]
pub struct RunFinding {
    pub run_id: String,
    pub finding_id: String,
    #[serde(flatten)]
    pub row: Discrepancy,
}

/// One readiness finding about the person, with its run.
#[derive(Clone, Debug, Serialize)]
pub struct ReadinessHeld {
    pub run_id: String,
    #[serde(flatten)]
    pub finding: ReadinessFinding,
}

/// A console entry that named the person (a view of their page, a search, a download, an
/// action on their records).
#[derive(Clone, Debug, Serialize)]
pub struct Access {
    pub at: String,
    pub entry: serde_json::Value,
}

/// Everything held about one person, and its processing history.
#[derive(Clone, Debug, Serialize)]
pub struct SubjectReport {
    pub nip: String,
    pub generated_at: String,
    pub pns_id: Option<String>,
    /// The name and unit the console shows, from eHRM's employee list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed: Option<crate::people::Person>,
    pub records: Vec<SyncRecord>,
    pub changes: Vec<ChangeLogEntry>,
    pub attempts: Vec<AttemptEntry>,
    pub callbacks: Vec<Callback>,
    pub findings: Vec<RunFinding>,
    pub readiness: Vec<ReadinessHeld>,
    pub marks: Vec<FindingMark>,
    pub accesses: Vec<Access>,
}

/// The person's reconciliation findings in the kept runs, with the run each is in.
async fn findings_of(deps: &SubjectDeps, nip: &str) -> Result<Vec<RunFinding>, StoreError> {
    let mut out = Vec::new();
    for run in deps.reconcile.runs(RUNS_READ).await? {
        for row in deps.reconcile.rows(&run.run_id).await? {
            if row.nip.as_deref() == Some(nip) {
                out.push(RunFinding {
                    run_id: run.run_id.clone(),
                    finding_id: row.finding_id(),
                    row,
                });
            }
        }
    }
    Ok(out)
}

/// The readiness runs whose pieces are kept: the current one and the finished ones listed.
async fn readiness_runs(controls: &dyn ControlStore) -> Result<Vec<ReadinessRun>, StoreError> {
    let (current, _) =
        crate::ports::load_document::<ReadinessRun>(controls, crate::readiness::RUN_CONTROL)
            .await?;
    let mut runs: Vec<ReadinessRun> = current.into_iter().collect();
    for run in finished_runs(controls).await? {
        if !runs.iter().any(|r| r.life.run_id == run.life.run_id) {
            runs.push(run);
        }
    }
    Ok(runs)
}

async fn readiness_of(deps: &SubjectDeps, nip: &str) -> Result<Vec<ReadinessHeld>, StoreError> {
    let mut out = Vec::new();
    for run in readiness_runs(deps.controls.as_ref()).await? {
        for finding in all_findings(deps.controls.as_ref(), &run).await? {
            if finding.nip == nip {
                out.push(ReadinessHeld {
                    run_id: run.life.run_id.clone(),
                    finding,
                });
            }
        }
    }
    Ok(out)
}

/// The console's audit entries that name the person, oldest first.
async fn accesses_of(controls: &dyn ControlStore, nip: &str) -> Result<Vec<Access>, StoreError> {
    let mut entries: Vec<(Millis, serde_json::Value)> = controls
        .events(AUDIT_STREAM, AUDIT_READ)
        .await?
        .into_iter()
        .filter(|(_, e)| e.to_string().contains(nip))
        .collect();
    entries.sort_by_key(|(at, _)| *at);
    Ok(entries
        .into_iter()
        .map(|(at, entry)| Access {
            at: format_ms(at),
            entry,
        })
        .collect())
}

/// The follow-up marks of the person's findings.
fn marks_of(all: Vec<FindingMark>, nip: &str, findings: &[RunFinding]) -> Vec<FindingMark> {
    let readiness = format!("{READINESS_MARK}{nip}|");
    all.into_iter()
        .filter(|m| {
            m.finding_id.starts_with(&readiness)
                || findings.iter().any(|f| f.finding_id == m.finding_id)
        })
        .collect()
}

/// Everything ehrm-sync holds about `nip`, and what it did with it.
pub async fn report(deps: &SubjectDeps, nip: &Nip) -> Result<SubjectReport, StoreError> {
    let records = deps.store.records_for_nip(nip).await?;
    let mut attempts = Vec::new();
    for rec in &records {
        attempts.extend(deps.store.attempts(&rec.key).await?);
    }
    attempts.sort_by_key(|a| a.at);
    let findings = findings_of(deps, nip.as_str()).await?;
    let marks = marks_of(deps.marks.marks().await?, nip.as_str(), &findings);
    Ok(SubjectReport {
        nip: nip.to_string(),
        generated_at: format_ms(deps.clock.now_ms()),
        pns_id: deps.pns.pns_id(nip).await?,
        listed: crate::people::person(deps.controls.as_ref(), nip.as_str()).await?,
        changes: deps.history.changes_of(nip).await?,
        callbacks: deps.history.callbacks_of(nip).await?,
        readiness: readiness_of(deps, nip.as_str()).await?,
        accesses: accesses_of(deps.controls.as_ref(), nip.as_str()).await?,
        records,
        attempts,
        findings,
        marks,
    })
}
