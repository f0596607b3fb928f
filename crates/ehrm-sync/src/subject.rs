//! `ehrm-sync subject-report NIP [--out DIR]`: what ehrm-sync holds about one person and what it
//! did with it (UU 27/2022 Art. 32), as `.xlsx` and JSON; `ehrm-sync forget NIP`: their
//! erasure (Art. 43–44), refused with the reason while they have records not yet settled or an
//! open run covers them, then reported in the same format. Both are audited.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ehrm_sync_console::audit::{AuditEntry, record};
use ehrm_sync_core::ports::Workbooks;
use ehrm_sync_core::subject::{SubjectDeps, SubjectReport, forget, report, subject_tables};
use ehrm_sync_domain::nip::Nip;

use crate::status::{Backend, BackendArgs};

#[derive(clap::Args, Debug)]
pub struct SubjectArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    /// The person's NIP (18 digits).
    pub nip: String,
    /// Where the report's files go.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

fn parse_nip(raw: &str) -> Result<Nip, String> {
    Nip::parse(raw.trim()).map_err(|e| format!("NIP {raw:?}: {e}"))
}

/// The operator at the shell, for the audit.
fn who() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

async fn audit(backend: &Backend, action: &str, nip: &Nip, count: u64) -> Result<(), String> {
    let entry = AuditEntry {
        who: who(),
        address: "local".into(),
        action: action.into(),
        what: format!("nip {nip}"),
        count: Some(count),
        people: Vec::new(),
    };
    record(backend.control.as_ref(), backend.clock.now_ms(), &entry)
        .await
        .map_err(|e| format!("the audit entry could not be written: {e}"))
}

/// Writes `data-pribadi-<nip>.json` and `.xlsx`; returns their paths.
fn write(report: &SubjectReport, dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let base = dir.join(format!("data-pribadi-{}{suffix}", report.nip));
    let json = base.with_extension("json");
    let body = serde_json::to_vec_pretty(report).map_err(|e| e.to_string())?;
    std::fs::write(&json, body).map_err(|e| format!("{}: {e}", json.display()))?;
    let xlsx = base.with_extension("xlsx");
    let bytes = ehrm_sync_sheets::Xlsx
        .workbook(&subject_tables(report))
        .map_err(|e| e.to_string())?;
    std::fs::write(&xlsx, bytes).map_err(|e| format!("{}: {e}", xlsx.display()))?;
    Ok(vec![json, xlsx])
}

fn rows(report: &SubjectReport) -> u64 {
    (report.records.len()
        + report.changes.len()
        + report.attempts.len()
        + report.callbacks.len()
        + report.findings.len()
        + report.readiness.len()
        + report.marks.len()
        + report.accesses.len()) as u64
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

pub async fn run_report(args: SubjectArgs) -> ExitCode {
    finish(subject_report(&args).await)
}

async fn subject_report(args: &SubjectArgs) -> Result<(), String> {
    let nip = parse_nip(&args.nip)?;
    let backend = Backend::open(&args.backend).await?;
    let deps: SubjectDeps = backend.subject();
    audit(&backend, "subject_report", &nip, 0).await?;
    let report = report(&deps, &nip)
        .await
        .map_err(|e| format!("the report could not be read: {e}"))?;
    for path in write(&report, &args.out, "")? {
        println!("{}", path.display());
    }
    eprintln!(
        "{} records, {} changes, {} BKN calls, {} callbacks, {} findings, {} readiness findings, {} marks, {} console accesses",
        report.records.len(),
        report.changes.len(),
        report.attempts.len(),
        report.callbacks.len(),
        report.findings.len(),
        report.readiness.len(),
        report.marks.len(),
        report.accesses.len()
    );
    Ok(())
}

pub async fn run_forget(args: SubjectArgs) -> ExitCode {
    finish(forget_person(&args).await)
}

async fn forget_person(args: &SubjectArgs) -> Result<(), String> {
    let nip = parse_nip(&args.nip)?;
    let backend = Backend::open(&args.backend).await?;
    let deps = backend.subject();
    let outcome = forget(&deps, &nip)
        .await
        .map_err(|e| format!("the erasure stopped: {e}"))?;
    let erased = match outcome {
        Ok(erased) => erased,
        Err(refusal) => {
            audit(&backend, "forget_refused", &nip, 0).await?;
            return Err(refusal.to_string());
        }
    };
    let e = &erased.erased;
    audit(&backend, "forget", &nip, erased.total()).await?;
    println!(
        "erased: data of {} records, {} BKN calls, {} changes, {} callbacks, {} read from BKN, {} findings, {} marks, {} readiness entries",
        e.records,
        e.attempts,
        e.changes,
        e.callbacks,
        e.read_from_bkn,
        e.findings,
        e.marks,
        erased.readiness_entries
    );
    let after = report(&deps, &nip)
        .await
        .map_err(|e| format!("the report after the erasure could not be read: {e}"))?;
    for path in write(&after, &args.out, "-setelah-dihapus")? {
        println!("{}", path.display());
    }
    eprintln!(
        "what is left: {} items (record keys, versions, BKN ids; the audit)",
        rows(&after)
    );
    Ok(())
}
