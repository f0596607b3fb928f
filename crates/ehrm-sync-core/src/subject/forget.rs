//! Erasure of one person (UU 27/2022 Art. 43–44): refused while they have records not yet
//! settled (a delivery still needs the data) or an open run includes them (it would write their
//! findings again); otherwise their payloads, history, findings and marks go, and what prevents
//! a resend — record keys, versions, statuses, BKN ids — stays.

use std::fmt;

use ehrm_sync_domain::nip::{Nip, mask_nip};
use ehrm_sync_domain::record::SyncRecord;

use crate::ports::{Erased, ErasurePlan, RunStatus, StoreError, load_document};
use crate::readiness::{RUN_CONTROL, ReadinessRun, erase_person};

use super::{SubjectDeps, findings_of, marks_of, readiness_runs};

/// Why an erasure was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// These records are still on their way to BKN (pending, sending, retrying).
    Unsettled(Vec<String>),
    /// An open reconciliation or readiness run covers the person.
    OpenRun { kind: &'static str, run_id: String },
}

impl Refusal {
    /// For HR officers and operators on the console.
    pub fn indonesian(&self) -> String {
        match self {
            Refusal::Unsettled(keys) => format!(
                "Ditolak: {} rekaman pegawai ini masih dalam pengiriman ke BKN ({}). Hapus \
                 setelah semuanya selesai (terkirim, gagal, atau perlu tindakan).",
                keys.len(),
                keys.join(", ")
            ),
            Refusal::OpenRun { kind, run_id } => format!(
                "Ditolak: {} {run_id} sedang berjalan dan mencakup pegawai ini. Hapus setelah \
                 proses itu selesai.",
                if *kind == "reconciliation" {
                    "rekonsiliasi"
                } else {
                    "pemeriksaan kesiapan"
                }
            ),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Unsettled(keys) => write!(
                f,
                "refused: {} of this person's records are still on their way to BKN ({}); \
                 erase once they are settled",
                keys.len(),
                keys.join(", ")
            ),
            Refusal::OpenRun { kind, run_id } => write!(
                f,
                "refused: the {kind} run {run_id} is open and covers this person; erase once it \
                 has finished"
            ),
        }
    }
}

/// What an erasure removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForgetOutcome {
    pub erased: Erased,
    /// Entries about the person in readiness runs' cohorts and findings.
    pub readiness_entries: u64,
    /// The name and unit were taken off the console's list (eHRM's next read brings them back
    /// while eHRM holds the person).
    pub listed: bool,
}

impl ForgetOutcome {
    /// Every item removed, of every kind.
    pub fn total(&self) -> u64 {
        let e = &self.erased;
        e.records
            + e.attempts
            + e.changes
            + e.callbacks
            + e.read_from_bkn
            + e.findings
            + e.marks
            + self.readiness_entries
            + u64::from(self.listed)
    }
}

fn unsettled(records: &[SyncRecord]) -> Vec<String> {
    records
        .iter()
        .filter(|r| !r.status.is_settled())
        .map(|r| r.key.masked())
        .collect()
}

/// An open run that covers `nip`, if any: a run of one employee covers only them; any other
/// scope (everyone, the priority cohort, a unit, a rolling slice) may include them.
async fn open_run(deps: &SubjectDeps, nip: &Nip) -> Result<Option<Refusal>, StoreError> {
    let open = |s: RunStatus| matches!(s, RunStatus::Running | RunStatus::Paused);
    let own = [
        format!("nip {nip}"),
        format!("nip {}", mask_nip(nip.as_str())),
    ];
    for run in deps.reconcile.runs(5).await? {
        let other_person = run.scope.starts_with("nip ") && !own.contains(&run.scope);
        if open(run.status) && !other_person {
            return Ok(Some(Refusal::OpenRun {
                kind: "reconciliation",
                run_id: run.run_id,
            }));
        }
    }
    let (current, _) = load_document::<ReadinessRun>(deps.controls.as_ref(), RUN_CONTROL).await?;
    if let Some(run) = current
        && open(run.life.status)
        && run.nip.as_deref().is_none_or(|n| n == nip.as_str())
    {
        return Ok(Some(Refusal::OpenRun {
            kind: "readiness",
            run_id: run.life.run_id,
        }));
    }
    Ok(None)
}

/// Erases `nip`'s data, or says why it may not yet.
pub async fn forget(
    deps: &SubjectDeps,
    nip: &Nip,
) -> Result<Result<ForgetOutcome, Refusal>, StoreError> {
    let records = deps.store.records_for_nip(nip).await?;
    let waiting = unsettled(&records);
    if !waiting.is_empty() {
        return Ok(Err(Refusal::Unsettled(waiting)));
    }
    if let Some(refusal) = open_run(deps, nip).await? {
        return Ok(Err(refusal));
    }
    let findings = findings_of(deps, nip.as_str()).await?;
    let plan = ErasurePlan {
        rows: findings
            .iter()
            .map(|f| (f.run_id.clone(), f.row.row_key()))
            .collect(),
        marks: marks_of(deps.marks.marks().await?, nip.as_str(), &findings)
            .into_iter()
            .map(|m| m.finding_id)
            .collect(),
    };
    let erased = deps.history.erase(nip, &plan).await?;
    let mut readiness_entries = 0;
    for run in readiness_runs(deps.controls.as_ref()).await? {
        readiness_entries += erase_person(deps.controls.as_ref(), &run, nip.as_str()).await?;
    }
    let listed = crate::people::forget(deps.controls.as_ref(), nip.as_str()).await?;
    tracing::info!(nip = %nip.masked(), records = erased.records, "personal data erased");
    Ok(Ok(ForgetOutcome {
        erased,
        readiness_entries,
        listed,
    }))
}
