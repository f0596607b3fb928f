//! `bench console`'s readiness run: a finished promotion/retirement check of a third of the
//! population (its cohort), with two findings a person, kept as the check keeps them (findings
//! per chunk of people, the run in `readiness.runs`), and follow-up marks on some.

use serde_json::json;

use ehrm_sync_console::pages::kesiapan::mark_id;
use ehrm_sync_core::ports::overwrite_document as overwrite;
use ehrm_sync_core::ports::{FindingMark, FindingMarks, MarkState};
use ehrm_sync_core::readiness::ReadinessRun;
use ehrm_sync_core::readiness::state::{findings_control, remember_finished};
use ehrm_sync_domain::readiness::{RULES, ReadinessFinding};
use ehrm_sync_population::Population;
use ehrm_sync_sqlite::SqliteStore;

pub const READINESS_RUN: &str = "bench-readiness";
const CHUNK: usize = 25;
const PERIODS: [&str; 6] = [
    "2027-01-01",
    "2027-02-01",
    "2027-03-01",
    "2027-04-01",
    "2027-05-01",
    "2027-06-01",
];

fn finding(nip: &str, unit: &str, i: usize) -> Result<ReadinessFinding, String> {
    let rule = &RULES[i % RULES.len()];
    let period = if rule.service == "kp" {
        PERIODS[i % PERIODS.len()].to_string()
    } else {
        format!("{}-{:02}-01", 2027 + (i % 2), 1 + i % 12)
    };
    let side = ["bkn_data", "ehrm_data", "usulan"][i % 3];
    serde_json::from_value(json!({
        "nip": nip, "unit": unit, "service": rule.service, "period": period,
        "rule": rule.id, "severity": rule.severity,
        "side": side, "deadline": period,
        "problem_id": format!("{} (bench {i})", rule.title_id),
        "problem_en": format!("{} (bench {i})", rule.title_en),
        "bkn_value": "III/b", "ehrm_value": "III/c", "tahun": 2025
    }))
    .map_err(|e| e.to_string())
}

/// Seeds the run; returns how many findings it holds.
pub async fn seed_readiness(
    store: &SqliteStore,
    pop: &Population,
    now: i64,
) -> Result<usize, String> {
    let people: Vec<_> = pop.employees.iter().step_by(3).collect();
    let mut total = 0;
    for (c, chunk) in people.chunks(CHUNK).enumerate() {
        let mut rows = Vec::with_capacity(chunk.len() * 2);
        for (j, e) in chunk.iter().enumerate() {
            for k in 0..2 {
                rows.push(finding(&e.nip, &e.unor_id, (c * CHUNK + j) * 2 + k)?);
            }
        }
        total += rows.len();
        for (n, f) in rows.iter().enumerate().filter(|(n, _)| n % 10 == 0) {
            let mark = FindingMark {
                finding_id: mark_id(f),
                state: MarkState::Handled,
                note: "usulan diperbaiki".into(),
                by: "bench".into(),
                at: now - n as i64,
            };
            store.put_mark(&mark).await.map_err(|e| e.to_string())?;
        }
        overwrite(store, &findings_control(READINESS_RUN, c), &rows)
            .await
            .map_err(|e| e.to_string())?;
    }
    let run: ReadinessRun = serde_json::from_value(json!({
        "run_id": READINESS_RUN, "today": "2026-12-01",
        "scope": "kp 2027-01..2027-06, pensiun 2027-01..2028-03",
        "periods": PERIODS, "pension_from": "2027-01-01", "pension_to": "2028-03-31",
        "unit": null, "nip": null, "status": "finished", "planned": false, "chunk": CHUNK,
        "people": people.len(), "done": people.len(), "list_calls": 28,
        "bkn_calls": 28 + people.len() * 5, "queued_for_bkn": 40, "findings": total, "counts": [],
        "started_at": now - 3_600_000, "finished_at": now, "invocations": 3, "lease_until": 0,
        "pause_reason": null, "report": []
    }))
    .map_err(|e| e.to_string())?;
    remember_finished(store, &run)
        .await
        .map_err(|e| e.to_string())?;
    Ok(total)
}
